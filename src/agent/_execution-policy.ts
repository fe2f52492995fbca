import { Annotations, CfnResource, IResource, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, Dependable, IDependable } from 'constructs';
import { _rolesCustomized } from '../_iam';
import { _warnLate } from '../_validation';
import { MackerelApiKey } from '../api-key';

/** The id of the stack's shared agent execution policy. @internal */
export const _EXECUTION_POLICY_ID = 'MackerelContainerAgentExecutionPolicy';

const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/**
 * What every agent's execution role needs (read the API key, write the agent log group) is the
 * same for every task in a stack, so it lives in one IAM policy per stack attached to each of
 * those roles, instead of being repeated in every role's default policy. Instrumenting a task
 * then costs one role name in that policy rather than two statements, in the template and at
 * synth. Roles the stack does not own, keys in another account and keys encrypted with a
 * customer managed key are granted per role as ECS would, since their grants may need resource
 * policies that name each role; for an owned role of another stack, the role's own statements
 * still come here (`SharedPolicyRole`), for the reason `sharedPolicyOf` gives.
 */
class ExecutionPolicy {
  private readonly granted = new Map<object, iam.Grant | undefined>();
  private readonly attached = new WeakSet<iam.Role>();
  private readonly principal: iam.IPrincipal;

  constructor(private readonly policy: iam.Policy) {
    this.principal = new PolicyPrincipal(policy);
  }

  public attach(role: iam.Role): void {
    // The key's grant and the log driver's both come here for each task, and attachToRole compares
    // the role with every role already attached: asking it once per role halves that.
    if (this.attached.has(role)) return;
    this.policy.attachToRole(role);
    this.attached.add(role);
  }

  public isAttached(role: iam.Role): boolean {
    return this.attached.has(role);
  }

  public get resource(): CfnResource {
    return this.policy.node.defaultChild as CfnResource;
  }

  public grantReadKey(apiKey: MackerelApiKey): iam.Grant {
    const key = apiKey._resource();
    let grant = this.granted.get(key);
    if (!grant) {
      grant = apiKey.grantRead(this.principal);
      this.granted.set(key, grant);
    }
    return grant;
  }

  /** A statement written as is, for a grant made to a role through this policy (`SharedPolicyRole`). */
  public addStatement(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    return this.principal.addToPrincipalPolicy(statement);
  }

  public grantWriteLogs(logGroup: logs.ILogGroup): void {
    if (this.granted.has(logGroup)) return;
    this.policy.addStatements(new iam.PolicyStatement({ actions: LOG_ACTIONS, resources: [logGroup.logGroupArn] }));
    this.granted.set(logGroup, undefined);
  }
}

/**
 * Grants made to it land in the shared policy. It cannot be named in a resource policy (the roles
 * it stands for are the policy's attachments), so `AgentSecret` only grants through it what
 * needs no resource policy.
 */
class PolicyPrincipal extends iam.PrincipalBase {
  public readonly principalAccount: string;

  constructor(private readonly policy: iam.Policy) {
    super();
    this.principalAccount = Stack.of(policy).account;
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    throw new Error(`${this.policy.node.path}: the shared execution policy of the Mackerel agents cannot be a resource policy's principal`);
  }

  public dedupeString(): string {
    return `cdk-mackerel:ExecutionPolicy:${this.policy.node.path}`;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}

/**
 * An execution role whose own statements go into the task definition's shared policy (attached to
 * it), while a resource policy would still name the role itself. Used for a role of another stack
 * granted a key with a customer managed key: in the role's default policy, the read would make the
 * role's stack reference the key's, which references the role's when the key is in the task
 * definition's stack, a cycle. `MackerelApiKey.grantRead` reads `_standsFor` to see that the key is
 * in another stack than the role, and so leaves the key policy alone: naming the role there would
 * make the key's stack reference the role's, a cycle again when the role's stack uses the key.
 */
class SharedPolicyRole extends iam.PrincipalBase {
  public readonly principalAccount: string | undefined;
  public readonly assumeRoleAction: string;

  /** The role, for `MackerelApiKey.grantRead` to tell the role's stack from the key's. */
  public readonly _standsFor: iam.Role;

  constructor(role: iam.Role, private readonly shared: ExecutionPolicy) {
    super();
    this._standsFor = role;
    this.principalAccount = role.principalAccount;
    this.assumeRoleAction = role.assumeRoleAction;
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return this._standsFor.policyFragment;
  }

  public dedupeString(): string {
    return `cdk-mackerel:SharedPolicyRole:${this._standsFor.node.path}`;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    return this.shared.addStatement(statement);
  }
}

const POLICIES = new WeakMap<iam.Policy, ExecutionPolicy>();

/**
 * The shared policy of the task definition's stack; created when `create` is set, else undefined
 * until an agent made it. A policy made by another loaded copy of the library is wrapped anew.
 *
 * The task definition's stack rather than the role's: the policy names the stack's agent log
 * group and the task definition waits for it, so in the role's stack (a shared "base" stack) it
 * would reference the task's stack while the task's stack depends on it, a cycle. A policy may
 * attach to a role of another stack, which only adds the reference the task definition already
 * makes to its role.
 */
function sharedPolicyOf(taskDefinition: ecs.TaskDefinition, create: boolean): ExecutionPolicy | undefined {
  const stack = Stack.of(taskDefinition);
  let policy = stack.node.tryFindChild(_EXECUTION_POLICY_ID) as iam.Policy | undefined;
  if (!policy) {
    if (!create) return undefined;
    policy = new iam.Policy(stack, _EXECUTION_POLICY_ID);
  }
  let shared = POLICIES.get(policy);
  if (!shared) {
    shared = new ExecutionPolicy(policy);
    POLICIES.set(policy, shared);
  }
  return shared;
}

/**
 * The shared policy of the task definition's stack, attached to its execution role. Only for
 * roles the app owns: imported and immutable roles are not ours to attach policies to.
 */
function sharedPolicyFor(taskDefinition: ecs.TaskDefinition, role: iam.Role): ExecutionPolicy {
  const shared = sharedPolicyOf(taskDefinition, true)!;
  shared.attach(role);
  return shared;
}

/**
 * Whether the role's permissions may go through the stack's shared policy: a role the stack
 * owns and creates, not an imported or a precreated one (see `_rolesCustomized`).
 */
function sharesPolicy(role: object): role is iam.Role {
  return role instanceof iam.Role && !_rolesCustomized(role);
}

/**
 * How the principal's account compares with the resource's. aws-cdk-lib's grants take SAME and
 * BOTH_UNRESOLVED as one account; only DIFFERENT is known to be another account.
 */
function compareAccounts(principal: iam.IPrincipal, resource: IResource): TokenComparison {
  const account = principal.principalAccount;
  // A principal of no account (a service principal) is never an execution role; nothing to compare.
  return account === undefined ? TokenComparison.ONE_UNRESOLVED : Token.compareStrings(account, resource.env.account);
}

/**
 * The API key as the agent container's secret: read is granted through the shared policy where
 * the execution role can use it, otherwise as `MackerelApiKey.grantRead` grants it (which also
 * covers a customer managed key the app imports).
 */
class AgentSecret extends ecs.Secret {
  public readonly arn: string;
  public readonly hasField?: boolean;
  /** The grants made to the role itself (not through the shared policy), for `_checkExecutionGranted`. */
  public readonly ownGrants: iam.Grant[] = [];
  /** The construct path of the secret or parameter holding the key. */
  public readonly keyPath: string;
  /** Set when the key is a secret imported from, or a parameter (by its ARN) of, another account than the execution role's. */
  public otherAccount?: { readonly key: string; readonly role: string };

  constructor(public readonly apiKey: MackerelApiKey, private readonly taskDefinition: ecs.TaskDefinition) {
    super();
    this.keyPath = apiKey._resource().node.path;
    const secret = apiKey.toEcsSecret();
    this.arn = secret.arn;
    this.hasField = secret.hasField;
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const role = grantee.grantPrincipal;
    const resource = this.apiKey._resource();
    const accounts = compareAccounts(role, resource);
    // A parameter imported by ARN keeps the importing stack's environment: only its ARN says it is elsewhere.
    if (this.apiKey._location().kind === 'parameter') this.noteParameterAccount(role.principalAccount);
    const same = accounts === TokenComparison.SAME || accounts === TokenComparison.BOTH_UNRESOLVED;
    if (same && sharesPolicy(role) && !this.apiKey._hasCustomerManagedKey()) {
      return sharedPolicyFor(this.taskDefinition, role).grantReadKey(this.apiKey);
    }
    if (accounts === TokenComparison.DIFFERENT && role.principalAccount) this.noteOtherAccount(role.principalAccount);
    const target = same && sharesPolicy(role) && Stack.of(role) !== Stack.of(this.taskDefinition)
      ? new SharedPolicyRole(role, sharedPolicyFor(this.taskDefinition, role)) : grantee;
    const grant = withIdentityHalf(target, this.apiKey.grantRead(target));
    waitFor(this.taskDefinition, grant);
    this.ownGrants.push(grant);
    return grant;
  }

  /** A parameter of another account (by its ARN): that account must share it, which the app cannot arrange. */
  private noteParameterAccount(roleAccount: string | undefined): void {
    const account = this.apiKey._location().account;
    const known = (value?: string): value is string => value !== undefined && !Token.isUnresolved(value);
    if (known(account) && known(roleAccount) && account !== roleAccount) this.otherAccount = { key: account, role: roleAccount };
  }

  /** A secret imported from another account: that account must allow the read, which the app cannot grant. */
  private noteOtherAccount(roleAccount: string): void {
    const location = this.apiKey._location();
    if (location.kind === 'secret' && !location.created) this.otherAccount = { key: this.apiKey._resource().env.account, role: roleAccount };
  }
}

/**
 * The grant with the statement the grantee's own policy took. For a resource in another account
 * (or a principal that took no statement), aws-cdk-lib's `Grant.addToPrincipalOrResource` adds
 * the statement to the principal's policy but returns only the resource policy half, which an
 * imported resource drops: the grant then looks as if it landed nowhere. The identity half is
 * added again here (the policy merges the identical statement at synth), so the grant says where
 * it landed and the task definition can wait for it.
 */
function withIdentityHalf(grantee: iam.IGrantable, grant: iam.Grant): iam.Grant {
  if (grant.principalStatements.length > 0 || grant.resourceStatements.length === 0) return grant;
  return grant.resourceStatements.reduce((combined, statement) => combined.combine(
    iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources })), grant);
}

/**
 * Makes the task definition wait for the policies that realize a grant in its own stack (the
 * execution role's default policy, a key policy), for the reason `_waitForExecutionPolicy` gives.
 * Only the CloudFormation resource: the role is a child of the task definition, so a dependency of
 * the whole construct would make the role wait for its own policy. A policy in another stack is
 * left alone: a stack dependency there could close a cycle.
 */
function waitFor(taskDefinition: ecs.TaskDefinition, grant: iam.Grant): void {
  const stack = Stack.of(taskDefinition);
  // Read when dependencies are rendered: a role's policies are only settled at synth.
  const inStack: IDependable = {};
  Dependable.implement(inStack, {
    get dependencyRoots() {
      return Dependable.of(grant).dependencyRoots.filter((root) => Stack.of(root) === stack);
    },
  });
  (taskDefinition.node.defaultChild as CfnResource).node.addDependency(inStack);
}

/**
 * The awslogs driver into a log group the stack shares between agents; its write permission goes
 * through the shared policy where the execution role can use it, otherwise to the role as
 * aws-cdk-lib's awslogs driver adds it.
 */
class AgentLogDriver extends ecs.LogDriver {
  /** The statements added to the role itself (not through the shared policy), for `_checkExecutionGranted`. */
  public readonly ownStatements: iam.AddToPrincipalPolicyResult[] = [];

  constructor(public readonly logGroup: logs.ILogGroup, private readonly streamPrefix: string) {
    super();
  }

  public bind(_scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.LogDriverConfig {
    const taskDefinition = containerDefinition.taskDefinition;
    const role = taskDefinition.obtainExecutionRole();
    if (sharesPolicy(role)) {
      sharedPolicyFor(taskDefinition, role).grantWriteLogs(this.logGroup);
    } else {
      const statement = new iam.PolicyStatement({ actions: LOG_ACTIONS, resources: [this.logGroup.logGroupArn] });
      this.ownStatements.push(role.addToPrincipalPolicy(statement));
    }
    return {
      logDriver: 'awslogs',
      options: { 'awslogs-group': this.logGroup.logGroupName, 'awslogs-stream-prefix': this.streamPrefix, 'awslogs-region': this.logGroup.env.region },
    };
  }
}

/**
 * Makes the task definition wait for the shared execution policy when its execution role uses it.
 * The policy is a separate resource from the role, so without this CloudFormation may create the
 * service, and ECS start its first tasks, before the role may read the key or write the logs:
 * those tasks stop with ResourceInitializationError, and a deployment circuit breaker can count
 * them as a failed deployment. aws-cdk-lib leaves the same gap for the execution role's default
 * policy.
 * @internal
 */
export function _waitForExecutionPolicy(taskDefinition: ecs.TaskDefinition): void {
  const role = taskDefinition.executionRole;
  if (!(role instanceof iam.Role)) return;
  const shared = sharedPolicyOf(taskDefinition, false);
  if (!shared?.isAttached(role)) return;
  // A dependency of the construct, not CfnResource.addDependency, which aws-cdk-lib deprecates after the
  // oldest version this library supports (a [WARNING] on every synth); both render the same DependsOn.
  (taskDefinition.node.defaultChild as CfnResource).node.addDependency(shared.resource);
}

/** The API key as the agent's container secret. @internal */
export function _agentSecret(apiKey: MackerelApiKey, taskDefinition: ecs.TaskDefinition): ecs.Secret {
  return new AgentSecret(apiKey, taskDefinition);
}

/** The agent's default awslogs driver into the stack's shared agent log group. @internal */
export function _agentLogDriver(logGroup: logs.ILogGroup, streamPrefix: string): ecs.LogDriver {
  return new AgentLogDriver(logGroup, streamPrefix);
}

/**
 * Warns when the execution role did not take the API key read or the agent log write: a role
 * imported as immutable (`Role.fromRoleArn(..., { mutable: false })`, `withoutPolicyUpdates()`)
 * says it took the statement but puts it in no policy. ECS reads container secrets for the whole
 * task, so its tasks (app included) would fail to start. Grants through the shared policy always
 * land. Known only once the app's roles have placed their statements, hence a validation; roles
 * precreated with `iam.Role.customizeRoles` list the statements in aws-cdk-lib's policy report
 * instead (as `_checkConfigReadable` does for the task role).
 * @internal
 */
export function _checkExecutionGranted(scope: Construct, taskDefinition: ecs.TaskDefinition, secret: ecs.Secret, logging: ecs.LogDriver): void {
  if (secret instanceof AgentSecret && secret.otherAccount) warnOtherAccount(scope, taskDefinition, secret, secret.otherAccount);
  if (secret instanceof AgentSecret) warnLookalikePartialArn(scope, taskDefinition, secret);
  // The container has bound its secret and log driver by now: grants through the shared policy leave nothing to check.
  const own = (secret instanceof AgentSecret && secret.ownGrants.length > 0)
    || (logging instanceof AgentLogDriver && logging.ownStatements.length > 0);
  if (!own || _rolesCustomized(scope)) return;
  scope.node.addValidation({
    validate: () => {
      const missing: string[] = [];
      if (secret instanceof AgentSecret && secret.ownGrants.some((grant) => !landed(grant))) {
        const actions = [...new Set(secret.ownGrants.flatMap((grant) => grant.principalStatements.flatMap((statement) => statement.actions)))];
        missing.push(`${actions.length > 0 ? actions.join(', ') : 'read'} on the API key ${secret.keyPath}`);
      }
      if (logging instanceof AgentLogDriver && logging.ownStatements.some((result) => !result.statementAdded || !landed(result.policyDependable))) {
        missing.push(`${LOG_ACTIONS.join(', ')} on the agent log group ${logging.logGroup.node.path}`);
      }
      if (missing.length > 0) {
        _warnLate(scope, 'cdk-mackerel:agentExecutionNotGranted',
          `The execution role ${taskDefinition.executionRole?.node.path} takes no policy statements (immutable), so it was not granted ${missing.join(', nor ')}. `
          + `Grant them where the role is defined, or the tasks of ${taskDefinition.node.path} fail to start (ResourceInitializationError)`);
      }
      return [];
    },
  });
}

/**
 * A parameter of another account is read only if that account shares it (AWS RAM). A secret
 * imported from another account is read only if that account allows it, which this app cannot
 * arrange either: the secret's resource policy must allow the execution role, and the secret must be
 * encrypted with a customer managed key whose key policy allows the role to decrypt (the AWS
 * managed key `aws/secretsmanager` cannot be used from another account).
 */
function warnOtherAccount(scope: Construct, taskDefinition: ecs.TaskDefinition, secret: AgentSecret, accounts: { key: string; role: string }): void {
  const { key, role } = accounts;
  if (secret.apiKey._location().kind === 'parameter') {
    // Parameter Store shares a parameter with another account only through AWS RAM, and only an advanced-tier one.
    Annotations.of(scope).addWarningV2('cdk-mackerel:apiKeyInOtherAccount',
      `The API key ${secret.keyPath} is an SSM parameter in account ${key}, not in the execution role's account ${role}: that account must share it `
      + 'with this one through AWS RAM (which needs an advanced-tier parameter), and a SecureString must be encrypted with a customer managed key '
      + `whose key policy allows ${taskDefinition.executionRole?.node.path} kms:Decrypt (the AWS managed key aws/ssm cannot be used from another account)`
      + `${secret.apiKey._hasCustomerManagedKey() ? '' : '; no encryptionKey is known for it, so kms:Decrypt was not granted'}. `
      + `Otherwise the tasks of ${taskDefinition.node.path} fail to start (ResourceInitializationError)`);
    return;
  }
  const noKey = secret.apiKey._hasCustomerManagedKey() ? ''
    : '. No encryptionKey is known for it, so kms:Decrypt was not granted: import the secret with '
      + 'secretsmanager.Secret.fromSecretAttributes({ secretCompleteArn, encryptionKey }) to grant it';
  Annotations.of(scope).addWarningV2('cdk-mackerel:apiKeyInOtherAccount',
    `The API key ${secret.keyPath} is a secret in account ${key}, not in the execution role's account ${role}: the secret's resource policy `
    + `there must allow ${taskDefinition.executionRole?.node.path} secretsmanager:GetSecretValue, and the secret must be encrypted with a customer managed key `
    + `whose key policy allows the role kms:Decrypt (the AWS managed key aws/secretsmanager cannot be used from another account)${noKey}. `
    + `Otherwise the tasks of ${taskDefinition.node.path} fail to start (ResourceInitializationError)`);
}

/**
 * ECS looks the secret up by the ARN in the container's valueFrom. A partial ARN whose name ends
 * like the random suffix is read as a complete ARN of another secret, so ECS finds none and no task
 * of the definition starts, the app's containers included (it reads secrets for the whole task).
 */
function warnLookalikePartialArn(scope: Construct, taskDefinition: ecs.TaskDefinition, secret: AgentSecret): void {
  // A key made by another loaded copy of the library may not have it.
  const name = typeof secret.apiKey._lookalikePartialArnName === 'function' ? secret.apiKey._lookalikePartialArnName() : undefined;
  if (name === undefined) return;
  _warnLate(scope, 'cdk-mackerel:apiKeySecretPartialArn',
    `The API key ${secret.keyPath} is a secret known by a partial ARN (imported by name or partial ARN), and its name ${JSON.stringify(name)} ends in a hyphen `
    + 'and six characters, which Secrets Manager reads as the random suffix of a complete ARN: ECS will not find the secret, and the tasks of '
    + `${taskDefinition.node.path} fail to start (ResourceInitializationError). Import it with secretsmanager.Secret.fromSecretCompleteArn`);
}

/** Whether a grant or statement went into some policy (an immutable role's go nowhere). */
function landed(dependable: IDependable | undefined): boolean {
  return dependable !== undefined && Dependable.of(dependable).dependencyRoots.length > 0;
}
