import * as path from 'path';
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, Dependable, IConstruct, IDependable } from 'constructs';
import { _DependencyGraph, _dependencyGraph, _pathBetween } from '../_dependency-graph';
import { _maskedApiBase } from '../_text';
import { _describeProblem, _fail, _httpUrl, _warnCleartextApiBase } from '../_validation';
import { MackerelApiKey } from '../api-key';

/** The longest handler timeout: aws-cdk-lib's provider framework functions time out after 15 minutes. */
const MAX_TIMEOUT = Duration.minutes(14);

/**
 * The shortest handler timeout. The handler keeps 5 seconds of it to answer CloudFormation, and
 * starts a create (never repeated) only with a second left for it (handler/settings.ts): with 6
 * seconds or less, no create could go out once the key is read.
 */
const MIN_TIMEOUT = Duration.seconds(7);

/** The Mackerel API used unless `apiBase` says otherwise. */
const DEFAULT_API_BASE = 'https://api.mackerelio.com/';

/**
 * Properties of a `MackerelProvider`.
 */
export interface MackerelProviderProps {
  /**
   * Where the provider's Lambda reads the Mackerel API key at run time.
   *
   * Read (and decrypt) is granted to the Lambda's role only. The key needs Read and Write
   * permission. It must be in the stack's region: the Lambda reads it there, and a secret or SSM
   * parameter of another region known at synth is refused.
   */
  readonly apiKey: MackerelApiKey;

  /**
   * The Mackerel API base URL.
   *
   * KCPS users use `https://kcps-mackerel.io/`; tests and local runs point it at the emulator.
   * Plain `http` to anything but loopback is warned about (`cdk-mackerel:apiBaseCleartext`): it
   * carries the API key. A user name or password in it is refused: the handler's `fetch` cannot
   * send a URL with credentials; so is a query or fragment, as the handler appends each API path
   * to the base.
   *
   * @default 'https://api.mackerelio.com/'
   */
  readonly apiBase?: string;

  /**
   * How long the logs of the handler and of the provider framework's function are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * How long one Mackerel operation may take, retries included.
   *
   * Retries of throttled or failed calls, and the wait for a new IAM role to become assumable
   * by Mackerel, happen within this time. At most 14 minutes: the provider framework's own
   * functions stop after 15, and must still answer CloudFormation. At least 7 seconds: the handler
   * keeps 5 seconds to answer, and starts a create only with a second left for it.
   *
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
}

/**
 * The one custom-resource provider of a stack: a Lambda that calls the Mackerel API for every
 * `Custom::Mackerel*` resource in the stack, behind aws-cdk-lib's `custom-resources.Provider`.
 *
 * Creates a fixed set of resources per stack whatever the number of Mackerel objects: the
 * handler `AWS::Lambda::Function`, its `AWS::IAM::Role`, policy and `AWS::Logs::LogGroup`, plus
 * the provider framework's own function, role, policy and log group. Each role may write logs
 * only to its own function's log group (no `AWSLambdaBasicExecutionRole`), and both log groups
 * keep `logRetention`. In a stack that creates services or roles, the handler may also describe
 * its own stack, to tell a rolled-back move of one from a take-over of one whose old resource
 * left the stack keeping it.
 *
 * @example
 * new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secret) });
 */
export class MackerelProvider extends Construct {
  /**
   * The `MackerelProvider` of the stack that holds `scope`.
   *
   * @throws when the stack has no provider
   */
  public static of(scope: IConstruct): MackerelProvider {
    const found = MackerelProvider._tryFind(scope);
    if (!found) {
      const stack = Stack.of(scope);
      throw new Error(`${scope.node.path}: the stack ${JSON.stringify(stack.node.path)} has no MackerelProvider; expected one per stack that holds Mackerel resources. Add new MackerelProvider(stack, 'Mackerel', { apiKey }) to it.`);
    }
    return found;
  }

  /**
   * Runs `use` with the provider of the stack that holds `scope`: now when the stack has one,
   * otherwise as soon as it is created, so a stack may declare its provider after the
   * constructs that need it. A stack that never gets one fails synthesis anyway (see
   * `_createMackerelResource`).
   * @internal
   */
  public static _withProvider(scope: IConstruct, use: (provider: MackerelProvider) => void): void {
    const found = MackerelProvider._tryFind(scope);
    if (found) {
      use(found);
      return;
    }
    const stack = Stack.of(scope);
    PENDING.set(stack, [...(PENDING.get(stack) ?? []), use]);
  }

  /**
   * The `MackerelProvider` of the stack that holds `scope`, if there is one.
   * @internal
   */
  public static _tryFind(scope: IConstruct): MackerelProvider | undefined {
    return PROVIDERS.get(Stack.of(scope));
  }

  /** The service token every `Custom::Mackerel*` resource of this stack uses. */
  public readonly serviceToken: string;

  /**
   * The Lambda that calls the Mackerel API.
   *
   * Every Mackerel resource of the stack waits for its role's policies, so a grant to it
   * (`addToRolePolicy`), or a managed policy of its role, whose resource refers to a Mackerel
   * construct of the same stack (an ARN built of `shop.name`) fails synthesis: CloudFormation would
   * refuse the circular dependency at deploy. Write such a resource with the literal name, or a wildcard.
   */
  public readonly handler: lambda.IFunction;

  /** The Mackerel API base URL the handler calls. */
  public readonly apiBase: string;

  /**
   * The IAM policies that hold grants of the handler but that the handler function does not depend
   * on: every Mackerel resource depends on them. The function depends on its role's default
   * policy, but with `@aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy` each
   * `addToRolePolicy` (and, without it, one whose resources are a list token after literal ones)
   * makes a policy of its own under the function that nothing depends on, and CloudFormation could
   * invoke the handler before it may read a channel's secret URL or its own stack (or delete the
   * policy before the last delete).
   * @internal
   */
  public readonly _grantPolicies: IDependable;

  private readonly apiKey: MackerelApiKey;
  private readsStack = false;
  private listsStack = false;

  constructor(scope: Construct, id: string, props: MackerelProviderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const existing = PROVIDERS.get(stack);
    if (existing) {
      _fail(this, 'MackerelProvider', id, `is a second provider in stack ${JSON.stringify(stack.node.path)} (the first is ${existing.node.path})`, 'exactly one MackerelProvider per stack', 'Find the existing one with MackerelProvider.of(scope)');
    }
    MackerelApiKey._check(this, 'apiKey', props.apiKey);
    this.apiBase = props.apiBase ?? DEFAULT_API_BASE;
    this.apiKey = props.apiKey;
    checkApiBase(this, this.apiBase);
    checkTimeout(this, props.timeout);

    // Each of the two functions gets its own role rather than the one lambda.Function would make:
    // that one carries AWSLambdaBasicExecutionRole, which may write to every log group of the
    // account, and its logs would be kept forever. These roles (the handler's can read the
    // Mackerel API key) may write only to their own function's log group.
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const { logGroup, role } = ownLogging(this, 'Handler', retention, 'cdk-mackerel provider handler: reads the Mackerel API key, writes its own log group');
    const handler = new lambda.Function(this, 'Handler', {
      role,
      description: 'cdk-mackerel: creates, updates and deletes Mackerel objects for CloudFormation',
      runtime: lambda.determineLatestNodeRuntime(this),
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', '..', 'assets', 'provider-handler')),
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: 256,
      logGroup,
      environment: {
        MACKEREL_APIBASE: this.apiBase,
        ...props.apiKey._locationEnvironment(this),
      },
    });
    props.apiKey.grantRead(handler);
    this.handler = handler;
    this._grantPolicies = grantPolicies(handler);
    this.node.addValidation({ validate: () => grantCycles(this, handler, role) });

    const framework = ownLogging(this, 'Framework', retention, 'cdk-mackerel provider framework: invokes the provider handler, writes its own log group');
    const provider = new cr.Provider(this, 'Framework', {
      onEventHandler: handler,
      frameworkOnEventRole: framework.role,
      logGroup: framework.logGroup,
    });
    this.serviceToken = provider.serviceToken;
    PROVIDERS.set(stack, this);
    for (const use of PENDING.get(stack) ?? []) use(this);
    PENDING.delete(stack);
  }

  /**
   * Whether the objects of this provider's stack and of `other`'s may go to the same Mackerel
   * organization: the same provider, or the same API base and a key that may be the same (see
   * `MackerelApiKey._sameKey`). Stacks with keys known to differ (the stages of a pipeline, each
   * with a secret of its own) may each have a service of the same name.
   * @internal
   */
  public _sameOrganization(other: MackerelProvider): boolean {
    return other === this || this._reaches(other.apiKey, other.apiBase);
  }

  /**
   * Whether a client of `apiBase` (the default API when undefined) with `apiKey` may reach this
   * provider's organization, as `_sameOrganization` counts them: a container agent's hosts go to
   * the organization of the agent's own key.
   * @internal
   */
  public _reaches(apiKey: MackerelApiKey, apiBase: string | undefined): boolean {
    return sameApiBase(apiBase ?? DEFAULT_API_BASE, this.apiBase) && apiKey._sameKey(this.apiKey);
  }

  /**
   * Lets the handler read its own stack: whether a resource is still in it, and whether it is
   * rolling back. It asks only when deleting a service or role that it took over from another
   * resource of the stack (a moved construct, or one kept by `removalPolicy` and added back), to
   * tell whether to hand the object back or delete it, and when a channel URL or a monitor's header
   * value read at deploy time holds whitespace or a line break, to send it all the same in a
   * rollback only; so only stacks that create services, roles, or channels or external HTTP
   * monitors of such a value get the permission.
   * @internal
   */
  public _allowStackReads(): void {
    if (this.readsStack) return;
    this.readsStack = true;
    this.addToRolePolicy(new iam.PolicyStatement({
      actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'],
      resources: [Stack.of(this).stackId],
    }));
  }

  /**
   * Lets the handler list its own stack's resources. It does so only when deleting metadata, to
   * leave a namespace another resource of the stack now holds (a moved metadata construct); so
   * only stacks that write metadata get the permission. Its denial, once the last metadata
   * construct left the template, is read as no other resource holding it (`stack.ts`).
   * @internal
   */
  public _allowStackResourceList(): void {
    if (this.listsStack) return;
    this.listsStack = true;
    this.addToRolePolicy(new iam.PolicyStatement({
      actions: ['cloudformation:ListStackResources'],
      resources: [Stack.of(this).stackId],
    }));
  }

  /**
   * Adds a statement to the policy of the handler's role, as `lambda.Function.addToRolePolicy`
   * does: for example read of a secret a resource refers to at run time (a Slack or webhook URL),
   * rather than having it written into the template. Channels given such a URL add their grant
   * themselves.
   *
   * @param statement the statement the handler's role gets
   */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.handler.addToRolePolicy(statement);
  }

  /**
   * Adds a statement to the policy of the handler's role.
   *
   * @deprecated Use `addToRolePolicy`, which does the same: this method takes a statement, not a
   * grantee, and returns no `iam.Grant`, unlike the `grantXxx` methods of aws-cdk-lib.
   * @param statement the statement the handler's role gets
   */
  public grantSecretRead(statement: iam.PolicyStatement): void {
    this.addToRolePolicy(statement);
  }
}

/** A log group (`<name>Logs`) and a Lambda role (`<name>Role`) that may write only to it. */
function ownLogging(scope: Construct, name: string, retention: logs.RetentionDays, description: string): { logGroup: logs.LogGroup; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${name}Logs`, { retention });
  const role = new iam.Role(scope, `${name}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
  logGroup.grantWrite(role);
  return { logGroup, role };
}

/**
 * The policies under `handler`, found when the dependencies are read (at synthesis), so that the
 * grants added after the provider was made are in them. Those under `role` (its default policy)
 * are left out: the function itself depends on its role, and so on them.
 */
function grantPolicies(handler: lambda.Function): IDependable {
  const dependable: IDependable = {};
  Dependable.implement(dependable, {
    get dependencyRoots() {
      return handler.node.findAll().filter((c) => c instanceof iam.CfnPolicy);
    },
  });
  return dependable;
}

/**
 * A problem for each policy of the handler's role that waits, through what it refers to, for a
 * Mackerel resource of its stack: every Mackerel resource waits for the handler's policies (the
 * DependsOn of `_grantPolicies`, or the handler function's own on its role's default policy), so
 * CloudFormation would refuse the circular dependency, and only at deploy time: CDK does not look
 * for cycles within a stack. A grant of `addToRolePolicy` whose resource is built of a Mackerel
 * construct's reference (an ARN of `shop.name`) is one.
 */
function grantCycles(provider: MackerelProvider, handler: lambda.Function, role: iam.Role): string[] {
  const stack = Stack.of(provider);
  const policies = [...handler.node.findAll(), ...role.node.findAll()].filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy);
  if (policies.length === 0) return [];
  const graph = _dependencyGraph(stack);
  const roleId = stack.resolve((role.node.defaultChild as iam.CfnRole).logicalId) as string;
  // A policy refers to its role, so a cycle through the role (a managed policy added to it) would be
  // told of every policy, each blamed for a statement it does not hold: it is the role's, told once.
  const policyCycles = policies.flatMap((policy) => {
    const id = stack.resolve(policy.logicalId) as string;
    const cycle = cycleFrom(graph, id, 'the handler\'s policies', roleId);
    return cycle ? [_describeProblem('policy', policy.node.path, `of the handler's role refers to ${cycle}`,
      'grants of the handler (addToRolePolicy) that refer to no Mackerel resource of its stack',
      'Write the statement\'s resource without a reference to a Mackerel construct of this stack: with the literal name it stands for, or a wildcard')] : [];
  });
  const roleCycle = cycleFrom(graph, roleId, 'the handler and so its role');
  return roleCycle ? [...policyCycles, _describeProblem('role', role.node.path, `of the handler refers to ${roleCycle}`,
    'a role of the handler whose managed policies refer to no Mackerel resource of its stack',
    'Write the managed policy\'s resources without a reference to a Mackerel construct of this stack: with the literal name it stands for, or a wildcard')]
    : policyCycles;
}

/** The cycle through `id`, not through `skip`, as told of it: what it refers to, and the path back. */
function cycleFrom(graph: _DependencyGraph, id: string, waitsFor: string, skip?: string): string | undefined {
  for (const next of graph.targetsOf(id)) {
    const cycle = next === skip || graph.pathOf(next) === undefined ? undefined : _pathBetween(graph, next, id);
    if (!cycle) continue;
    const mackerel = cycle.find((step) => graph.typeOf(step)?.startsWith('Custom::Mackerel'));
    const shown = [id, ...cycle].map((step) => graph.pathOf(step) ?? step).join(' -> ');
    const what = mackerel ? `the ${graph.typeOf(mackerel)} ${graph.pathOf(mackerel)}` : 'a resource';
    return `${what} (${shown}), which waits for ${waitsFor} as every Mackerel resource of the stack does, `
      + 'so each would wait for the other and CloudFormation would refuse the circular dependency at deploy time';
  }
  return undefined;
}

const PROVIDERS = new WeakMap<Stack, MackerelProvider>();
/** What constructs declared before their stack's provider want done with it. */
const PENDING = new WeakMap<Stack, Array<(provider: MackerelProvider) => void>>();

function checkTimeout(scope: IConstruct, timeout: Duration | undefined): void {
  if (!timeout || timeout.isUnresolved()) return;
  const seconds = timeout.toSeconds({ integral: false });
  if (seconds > MAX_TIMEOUT.toSeconds()) {
    _fail(scope, 'timeout', timeout.toHumanString(), 'leaves the provider framework no time to answer CloudFormation (its functions stop after 15 minutes)',
      'at most 14 minutes');
  }
  if (seconds < MIN_TIMEOUT.toSeconds()) {
    _fail(scope, 'timeout', timeout.toHumanString(), 'leaves the handler no time to create anything (it keeps 5 seconds to answer CloudFormation, '
      + 'and starts a create only with a second left for it)', 'at least 7 seconds');
  }
}

/**
 * Whether two API bases are one API, compared as URLs are (the scheme and host in any case, the
 * default port or not, trailing slashes or not): `https://API.mackerelio.com` and
 * `https://api.mackerelio.com:443/` are the default API. A token (or anything not a URL) is
 * compared as written, as nothing more is known of it at synth.
 */
function sameApiBase(a: string, b: string): boolean {
  const normal = (value: string) => {
    const url = Token.isUnresolved(value) ? undefined : _httpUrl(value);
    return (url?.href ?? value).replace(/\/+$/, '');
  };
  return normal(a) === normal(b);
}

function checkApiBase(scope: IConstruct, apiBase: string): void {
  if (Token.isUnresolved(apiBase)) return;
  const url = _httpUrl(apiBase);
  // A user name and password in it (an API behind basic auth, say), or a query or fragment (a token), are never shown,
  // as in the agent's apiBase error.
  const shown = _maskedApiBase(apiBase);
  if (!url) _fail(scope, 'apiBase', shown, 'is not an http(s) URL', 'a URL such as https://api.mackerelio.com/');
  // The handler's fetch refuses a URL with credentials, and its error would carry them into the stack's events.
  if (url.username !== '' || url.password !== '') {
    _fail(scope, 'apiBase', shown, 'carries a user name or password, which the handler cannot send (fetch refuses a URL with credentials)',
      'a URL without them, such as https://api.mackerelio.com/', 'The Mackerel API authenticates by the API key alone');
  }
  // The handler's client appends each API path to the base as text: after a query or fragment, the path would be part of it.
  // The href, as a lone `?` or `#` leaves search and hash empty.
  if (/[?#]/.test(url.href)) {
    _fail(scope, 'apiBase', shown, 'carries a query or fragment (?, #), which the handler cannot use: it appends each API path to the base',
      'a URL of a host and an optional path, such as https://api.mackerelio.com/', 'The Mackerel API authenticates by the API key alone');
  }
  _warnCleartextApiBase(scope, 'apiBase', url);
}
