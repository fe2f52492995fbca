import {
  Annotations, Arn, ArnFormat, CfnParameter, DefaultTokenResolver, IPostProcessor, IResolvable, IResolveContext, IResource, Stack, StringConcat,
  Token, TokenComparison, Tokenization,
} from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct, IConstruct } from 'constructs';
import { _endsLikeSecretSuffix } from './_iam';
import { _KeyLocation } from './_key-location';
import { _subVariables } from './_template-references';
import { _fail } from './_validation';

/**
 * Where the Mackerel API key is read from at run time.
 *
 * The key itself never enters a template, an environment variable this library writes, or a
 * log line: the agent receives it as an ECS container secret (resolved by ECS with the task's
 * execution role), and the `MackerelProvider` Lambda reads it with its own role when it runs.
 * There is deliberately no plaintext factory.
 *
 * The agent needs a key with Read and Write permission (it creates and retires hosts); so does
 * the provider (it creates monitors). The `cdk-mackerel diff` command can use a Read-only key.
 *
 * Get one from `fromSecretsManager` or `fromSsmParameter`. Subclasses written outside this library
 * (in any language) are refused where the key is used: they cannot tell the provider and the agent
 * where the key lives.
 *
 * @example
 * const apiKey = MackerelApiKey.fromSecretsManager(secret);             // whole SecretString
 * const fromJson = MackerelApiKey.fromSecretsManager(secret, 'apiKey');  // one JSON field
 * const fromSsm = MackerelApiKey.fromSsmParameter(parameter);           // SecureString
 */
export abstract class MackerelApiKey {
  /**
   * The key is the secret's value, or one JSON field of it.
   *
   * Read (and `kms:Decrypt` where the secret has a customer managed key) is granted to the
   * agents' execution roles or to the provider's Lambda role, never to another principal. The
   * agents of one stack share one execution policy, so each of their execution roles may read
   * every key an agent of that stack uses (usually one). A customer managed
   * key created in another stack of the app is granted in the role's own policy, not in the key
   * policy, which would make the two stacks depend on each other: its key policy must let the
   * account's IAM policies allow its use, as the default policy of a `kms.Key` does.
   *
   * A secret created in the app with a literal key (`secretStringValue` or `secretObjectValue`
   * with `SecretValue.unsafePlainText`, or a field of `generateSecretString.secretStringTemplate`),
   * or with a key read from a `CfnMapping` (`Fn::FindInMap`), is refused: its value is written into
   * the template. A generated secret (the key in its
   * `generateStringKey`), or one whose value comes from a dynamic reference or a NoEcho
   * parameter of the secret's own stack without a default, is accepted; a parameter that is not
   * NoEcho, has a default or is of another stack shows the key outside the secret, and is refused.
   *
   * @param secret the secret holding the key
   * @param field the JSON field holding the key, when the secret is a JSON object: without ":",
   *   which ECS reads as the end of the field name. Default: the secret's whole value is the key
   */
  public static fromSecretsManager(secret: secretsmanager.ISecret, field?: string): MackerelApiKey {
    if (field !== undefined && !Token.isUnresolved(field) && field.includes(':')) {
      // ECS reads valueFrom as <secret ARN>:<JSON key>:<version stage>:<version ID>.
      _fail(secret, 'field', field, 'contains ":", which ECS reads as the end of the JSON key in the container secret\'s valueFrom, so the task would not start',
        'a JSON field name without ":"', 'Rename the field in the secret');
    }
    const literal = secret instanceof secretsmanager.Secret ? literalKeyInTemplate(secret, field) : undefined;
    if (literal) {
      const property = field === undefined ? 'secret' : `secret (field ${JSON.stringify(field)})`;
      _fail(secret, property, secret.node.path, `is created by this app with ${literal}, so the key is written into the template`,
        'a generated secret, a value from a dynamic reference or NoEcho parameter, or a secret created outside CloudFormation',
        'Import it with secretsmanager.Secret.fromSecretNameV2 and put the key in it outside CloudFormation');
    }
    const parameter = secret instanceof secretsmanager.Secret ? parameterShowingKey(secret, field) : undefined;
    if (parameter) {
      const property = field === undefined ? 'secret' : `secret (field ${JSON.stringify(field)})`;
      const shows = !parameter.noEcho ? 'is not NoEcho, so CloudFormation shows its value in the stack\'s parameters'
        : parameter.default !== undefined ? 'has a Default, written into the template'
          : `is in another stack (${Stack.of(parameter).node.path}), which passes its value on in plain (an export or a nested stack's parameter)`;
      _fail(secret, property, secret.node.path, `is created by this app from parameter ${parameter.node.path}, which ${shows}`,
        'a generated secret, a value from a dynamic reference or NoEcho parameter without a Default, or a secret created outside CloudFormation',
        'Make the parameter noEcho with no default, or import the secret with secretsmanager.Secret.fromSecretNameV2');
    }
    return new SecretsManagerApiKey(secret, field);
  }

  /**
   * The key is the value of an SSM parameter, normally a SecureString.
   *
   * Import a SecureString with `ssm.StringParameter.fromSecureStringParameterAttributes`,
   * passing its `encryptionKey` when it is a customer managed key so that decrypt is granted.
   * A parameter created in the app is refused: CloudFormation can only create plain String
   * parameters, whose value is written into the template.
   *
   * @param parameter the parameter holding the key
   */
  public static fromSsmParameter(parameter: ssm.IParameter): MackerelApiKey {
    if (parameter instanceof ssm.StringParameter || parameter instanceof ssm.StringListParameter) {
      _fail(parameter, 'parameter', parameter.node.path, 'is created by this app, so it is a plain String parameter with the key written into the template',
        'a SecureString parameter created outside CloudFormation', 'Import it with ssm.StringParameter.fromSecureStringParameterAttributes');
    }
    return new SsmParameterApiKey(parameter);
  }

  /**
   * Fails, naming the construct and the property, unless `key` came from `fromSecretsManager` or
   * `fromSsmParameter`. jsii exposes this abstract class to every language as subclassable, but a
   * subclass there can implement only the public members, not the internal ones read here.
   * @internal
   */
  public static _check(scope: IConstruct, property: string, key: MackerelApiKey): void {
    // By what it can do rather than instanceof, so that a key from another loaded copy of the library passes.
    const internals: Array<keyof MackerelApiKey> = ['_locationEnvironment', '_resource', '_location', '_hasCustomerManagedKey'];
    if (typeof key === 'object' && key !== null && internals.every((name) => typeof key[name] === 'function')) return;
    const shown = typeof key === 'object' && key !== null ? `an instance of ${key.constructor?.name ?? 'an unknown class'}` : key;
    _fail(scope, property, shown, 'is not made by MackerelApiKey.fromSecretsManager or MackerelApiKey.fromSsmParameter',
      'MackerelApiKey.fromSecretsManager(secret, field?) or MackerelApiKey.fromSsmParameter(parameter)',
      'A subclass of MackerelApiKey cannot tell the provider and the agent where the key lives');
  }

  /** The key as an ECS container secret: ECS grants read to the execution role when it is added. */
  public abstract toEcsSecret(): ecs.Secret;

  /**
   * Grants read of the key (and decrypt of its customer managed key, if any) to a principal.
   *
   * Actions: `secretsmanager:GetSecretValue` and `secretsmanager:DescribeSecret`, or
   * `ssm:DescribeParameters`, `ssm:GetParameters`, `ssm:GetParameter` and
   * `ssm:GetParameterHistory`; plus `kms:Decrypt` where a customer managed key is known, only
   * through Secrets Manager or Parameter Store (`kms:ViaService`).
   */
  public abstract grantRead(grantee: iam.IGrantable): iam.Grant;

  /**
   * Where the key lives, as the environment of the provider Lambda in the stack of `scope` reads
   * it: the secret's ARN (or its name) and field, or the parameter name. Never the key itself.
   * @internal
   */
  public abstract _locationEnvironment(scope: IConstruct): { [name: string]: string };

  /** The secret or parameter holding the key. @internal */
  public abstract _resource(): IResource;

  /**
   * Whether this and `other` may be the same key, and so reach the same Mackerel organization.
   * They are different only when that is certain: different kinds (secret, parameter), two
   * secrets this app creates, or a literal account, region, name or JSON field that differs. A
   * part only known at deploy time (an environment-agnostic stack's account) matches anything,
   * so two stacks importing the same name are taken as one organization.
   * @internal
   */
  public _sameKey(other: MackerelApiKey): boolean {
    if (this._resource() === other._resource()) return this._location().field === other._location().field;
    const mine = this._location();
    const theirs = other._location();
    if (mine.kind !== theirs.kind || (mine.created && theirs.created)) return false;
    const known = (part?: string): part is string => part !== undefined && !Token.isUnresolved(part);
    const differ = (a?: string, b?: string) => known(a) && known(b) && a !== b;
    const parts = ['account', 'region', 'name'] as const;
    return mine.field === theirs.field && !parts.some((part) => differ(mine[part], theirs[part]));
  }

  /** What is known of where the key lives. @internal */
  public abstract _location(): _KeyLocation;

  /** Whether the key is known to be encrypted with a customer managed KMS key. @internal */
  public abstract _hasCustomerManagedKey(): boolean;

  /**
   * The secret's name when the key is a secret known only by a partial ARN (imported by name or
   * by partial ARN) and that name ends in a hyphen and six letters or digits ("mackerel-apikey"):
   * Secrets Manager reads that ending as the random suffix of a complete ARN, so a look-up by the
   * partial ARN finds no secret. Else undefined.
   * @internal
   */
  public _lookalikePartialArnName(): string | undefined {
    return undefined;
  }
}

/**
 * How a secret the app creates writes the key into the template as a literal, or undefined when
 * it does not: its `SecretString` (or the JSON field holding the key) has text that is not a
 * token, or a generated secret's `secretStringTemplate` has that field (only `generateStringKey`
 * is generated; the template's other fields are written as given). Tokens (a dynamic reference, a
 * NoEcho parameter) resolve at deploy time.
 */
function literalKeyInTemplate(secret: secretsmanager.Secret, field: string | undefined): string | undefined {
  const source = keyText(secret, field);
  if (source === undefined) return undefined;
  const where = source.inGenerateTemplate ? ' in generateSecretString.secretStringTemplate' : '';
  if (hasLiteralKey(source.text, field)) return source.inGenerateTemplate ? `a literal value${where}` : 'a literal value (SecretValue.unsafePlainText)';
  return keyFromMapping(secret, source.text, field) ? `a value from the template's Mappings (Fn::FindInMap)${where}` : undefined;
}

/**
 * The text in the secret's template that the key is written in: its SecretString, or the
 * secretStringTemplate of its generated string, unless the key is the generated field.
 */
function keyText(secret: secretsmanager.Secret, field: string | undefined): { text: string; inGenerateTemplate: boolean } | undefined {
  const cfn = secret.node.defaultChild as secretsmanager.CfnSecret;
  if (cfn.secretString !== undefined) return { text: cfn.secretString, inGenerateTemplate: false };
  const generate = cfn.generateSecretString;
  if (generate === undefined || Tokenization.isResolvable(generate)) return undefined;
  const { secretStringTemplate: template, generateStringKey: generated } = generate as secretsmanager.CfnSecret.GenerateSecretStringProperty;
  if (template === undefined || (field !== undefined && field === generated)) return undefined;
  return { text: template, inGenerateTemplate: true };
}

/**
 * Whether the key in `value` is read, even in part, from the template's Mappings (`Fn::FindInMap`
 * of a `CfnMapping`): a token, yet the Mappings hold it as written, in the template.
 */
function keyFromMapping(secret: secretsmanager.Secret, value: string, field: string | undefined): boolean {
  const findsInMap = (node: unknown): boolean => (Array.isArray(node) ? node.some(findsInMap)
    : typeof node === 'object' && node !== null && Object.entries(node).some(([name, inner]) => name === 'Fn::FindInMap' || findsInMap(inner)));
  return keysIn(value, field).some((key) => typeof key === 'string'
    && findsInMap(Tokenization.resolve(key, { scope: secret, resolver: new DefaultTokenResolver(new StringConcat()), preparing: true })));
}

/** Whether the key in `value` (the whole value, or its JSON field `field`) has text that is not a token. */
function hasLiteralKey(value: string, field: string | undefined): boolean {
  return keysIn(value, field).some((key) => key !== undefined && key !== null
    && (typeof key !== 'string' || withoutTokens(key).replace(SECRET_DYNAMIC_REFERENCE, '') !== ''));
}

/**
 * A dynamic reference to a SecureString or a secret written out by hand (as `SecretValue.ssmSecure`
 * and `SecretValue.secretsManager` write it): CloudFormation resolves it at deploy time, so it is
 * not the key's text, though it is not a token.
 */
const SECRET_DYNAMIC_REFERENCE = /\{\{resolve:(?:ssm-secure|secretsmanager):[^{}]+\}\}/g;

/** What may be the key in `value`: the whole value, or its JSON field `field` (every field without one). */
function keysIn(value: string, field: string | undefined): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  // Without a field the whole value is the key; with one, only that field is.
  return !isObject ? [value] : field === undefined ? Object.values(parsed as object) : [(parsed as { [name: string]: unknown })[field]];
}

/**
 * A template parameter a secret the app creates takes the key from, where the key is not hidden
 * by it: one that is not NoEcho (CloudFormation shows its value with the stack), has a Default
 * (written into the template), or is of another stack (whose value CloudFormation passes on as an
 * export or a nested stack's parameter, neither NoEcho). A generated field is never the parameter's.
 */
function parameterShowingKey(secret: secretsmanager.Secret, field: string | undefined): CfnParameter | undefined {
  const source = keyText(secret, field);
  if (source === undefined) return undefined;
  for (const key of keysIn(source.text, field)) {
    if (typeof key !== 'string') continue;
    const shows = parametersIn(secret, key).find((target) => !target.noEcho || target.default !== undefined || Stack.of(target) !== Stack.of(secret));
    if (shows) return shows;
  }
  return undefined;
}

/**
 * The template parameters `value` takes its text from: a parameter's token, also inside an
 * intrinsic (`Fn.join`, `Fn.sub`'s variables), or a parameter of the secret's stack named by its
 * logical ID (`Fn.ref`, `${Name}` in `Fn.sub`), which reaches the template the same way.
 */
function parametersIn(secret: secretsmanager.Secret, value: string): CfnParameter[] {
  const found: CfnParameter[] = [];
  class Recording extends DefaultTokenResolver {
    public resolveToken(token: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): any {
      const target = (token as { target?: unknown }).target;
      if (target instanceof CfnParameter) found.push(target);
      return super.resolveToken(token, context, postProcessor);
    }
  }
  const stack = Stack.of(secret);
  // preparing: a parameter of another stack is not yet replaced by its export or nested stack parameter.
  const resolved = Tokenization.resolve(value, { scope: secret, resolver: new Recording(new StringConcat()), preparing: true });
  const byLogicalId = new Map<string, CfnParameter>();
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnParameter && Stack.of(construct) === stack) byLogicalId.set(stack.resolve(construct.logicalId), construct);
  }
  const named = (name: string) => { const parameter = byLogicalId.get(name); if (parameter) found.push(parameter); };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    for (const [name, inner] of Object.entries(node)) {
      if (name === 'Ref' && typeof inner === 'string') named(inner);
      // ${Name} names a parameter unless the Fn::Sub gives it a value (its own, not one an object inherits, as `in` would
      // take `constructor`); ${!Name} is literal text, ${Name.Attr} an attribute.
      if (name === 'Fn::Sub') _subVariables(inner).filter((variable) => !variable.includes('.')).forEach((variable) => named(variable.trim()));
      walk(inner);
    }
  };
  walk(resolved);
  return found;
}

/** The literal text of a string, its tokens left out. */
function withoutTokens(value: string): string {
  return Tokenization.reverseString(value).mapTokens({ mapToken: () => '' }).join(new StringConcat());
}

/**
 * Whether a key the app creates is in another stack than the grantee (a role of this app), in the
 * same account: aws-cdk-lib's secret grant would then close a stack cycle through the key policy.
 */
function keyOfOtherStack(key: kms.Key, grantee: iam.IGrantable): boolean {
  const principal = grantee.grantPrincipal;
  // A principal standing for a role (the agent's shared policy taking a role's statements) is
  // named in a key policy as that role, so the role's stack is the one the key's would reference.
  const role = Construct.isConstruct(principal) ? principal : (principal as { readonly _standsFor?: unknown })._standsFor;
  if (!Construct.isConstruct(role)) return false;
  const [keyStack, granteeStack] = [Stack.of(key), Stack.of(role)];
  return keyStack !== granteeStack && Token.compareStrings(keyStack.account, granteeStack.account) !== TokenComparison.DIFFERENT;
}

/**
 * What an IAM statement has to name to let `key` be used: a statement naming an alias's ARN applies
 * to the alias, not to its key (KMS developer guide, alias-authorization; aws-cdk-lib's alias grants
 * pass on to the key for that reason). An alias that knows its key (one the app creates, or
 * imported with `fromAliasAttributes`) gives its key's ARN; one imported by name alone gives the
 * keys that carry that alias (`kms:ResourceAliases`) in the account and region of the secret or
 * parameter it encrypts (`where`): the service looks the name up there, and its key is in that
 * region, whatever stack imported the alias.
 */
function keyStatementTarget(key: kms.IKey, where: { account: string; region: string }): {
  resourceArns: string[]; conditions: { [operator: string]: { [key: string]: string } };
} {
  const behind = keyBehind(key);
  if (behind) return { resourceArns: [behind.keyArn], conditions: {} };
  const keys = Arn.format({ service: 'kms', resource: 'key', resourceName: '*', account: where.account, region: where.region }, Stack.of(key));
  return { resourceArns: [keys], conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': (key as kms.IAlias).aliasName } } };
}

/**
 * The key behind `key`: itself, or the key of an alias that knows it (one the app creates, or
 * imported with `fromAliasAttributes`). Undefined for an alias imported by name alone.
 */
function keyBehind(key: kms.IKey): kms.IKey | undefined {
  if (!('aliasName' in key)) return key;
  try {
    return (key as kms.IAlias).aliasTargetKey;
  } catch {
    // Alias.fromAliasName throws when asked for its key.
    return undefined;
  }
}

/** The key the app creates behind `key` (`keyBehind`): an alias passes aws-cdk-lib's grants on to its key, whose policy they write. */
function ownedKeyOf(key: kms.IKey): kms.Key | undefined {
  const behind = keyBehind(key);
  return behind instanceof kms.Key ? behind : undefined;
}

/** kms:Decrypt of `key` for `grantee`, only through `service` (secretsmanager or ssm) in the account and region of what it reads. */
function grantDecryptVia(grantee: iam.IGrantable, key: kms.IKey, service: string, account: string, region: string): iam.Grant {
  const { resourceArns, conditions } = keyStatementTarget(key, { account, region });
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['kms:Decrypt'],
    resourceArns,
    conditions: { StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com` }, ...conditions },
  });
}

/**
 * Fails when the key (`what`, known by `arn` and `name`) is in a region that is known and not the
 * one of the stack of `scope`, a provider: its Lambda reads the key with SDK clients of its own
 * region, and neither Secrets Manager nor Parameter Store answers for a resource of another region,
 * even by its ARN, so every Mackerel resource of the stack would fail at deploy time.
 */
function refuseOtherRegion(scope: IConstruct, what: string, arn: string, name: string, region: string | undefined): void {
  const here = Stack.of(scope).region;
  if (region === undefined || Token.isUnresolved(region) || Token.isUnresolved(here) || region === here) return;
  // An ARN formatted by a stack holds the partition's token: the name reads better then.
  _fail(scope, 'apiKey', !Token.isUnresolved(arn) ? arn : name, `is ${what} in region ${region}, but the provider's Lambda runs in ${here} and reads the key there, where it is not found`,
    `a secret or SSM parameter in ${here}`, `Replicate it to ${here} and import that copy`);
}

/**
 * The ARN a policy names the secret by, as aws-cdk-lib's own grants do (protected there): the full
 * ARN when known, else the partial one with a wildcard for the random suffix.
 */
function arnForPolicies(secret: secretsmanager.ISecret): string {
  return (secret as unknown as { arnForPolicies?: string }).arnForPolicies ?? secret.secretFullArn ?? `${secret.secretArn}-??????`;
}

class SecretsManagerApiKey extends MackerelApiKey {
  constructor(private readonly secret: secretsmanager.ISecret, private readonly field?: string) {
    super();
  }

  public toEcsSecret(): ecs.Secret {
    return ecs.Secret.fromSecretsManager(this.secret, this.field);
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const key = this.secret.encryptionKey;
    // aws-cdk-lib grants decrypt to a via-service principal, which only a key policy can take, so
    // with a key the app does not own (imported) it grants nothing and tasks cannot read the key.
    // With a key of another stack of the app, the key policy would name the grantee: the key's stack
    // would reference the grantee's, which references the secret or key, a cycle (aws/aws-cdk#14213).
    // A kms.Key's policy lets the account's IAM policies allow its use, so the grantee's policy is enough.
    const owned = key && ownedKeyOf(key);
    const otherStack = owned !== undefined && keyOfOtherStack(owned, grantee);
    const grant = otherStack ? iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [arnForPolicies(this.secret)],
      resource: this.secret,
    }) : this.secret.grantRead(grantee);
    if (!key || (owned !== undefined && !otherStack)) return grant;
    return grant.combine(grantDecryptVia(grantee, key, 'secretsmanager', this.secret.env.account, this.secret.env.region));
  }

  public _locationEnvironment(scope: IConstruct): { [name: string]: string } {
    return {
      MACKEREL_APIKEY_SECRET_ARN: this.secretId(scope),
      ...(this.field ? { MACKEREL_APIKEY_SECRET_FIELD: this.field } : {}),
    };
  }

  /**
   * What the handler passes to GetSecretValue as SecretId: the full ARN when it is known (a secret
   * of this app, or one imported by its complete ARN); else the secret's name, when the secret is in
   * the handler's own account and region (one imported by name). A partial ARN (no random suffix)
   * is not used there: when the name ends in a hyphen and six characters ("mackerel-apikey"),
   * Secrets Manager takes it as a complete ARN and does not find the secret. A partial ARN of
   * another account has to stay, as a name cannot reach it; a warning says when it cannot work. A
   * secret of another region is refused.
   */
  private secretId(scope: IConstruct): string {
    // Even by its full ARN, Secrets Manager answers for a secret of its own region only.
    refuseOtherRegion(scope, 'a secret', this.secret.secretArn, this.secret.secretName, this.secret.env.region);
    const full = this.secret.secretFullArn;
    if (full !== undefined) return full;
    const stack = Stack.of(scope);
    if (this.secret.env.account === stack.account && this.secret.env.region === stack.region) return this.secret.secretName;
    const name = this._lookalikePartialArnName();
    if (name !== undefined) {
      Annotations.of(scope).addWarningV2('cdk-mackerel:apiKeySecretPartialArn',
        `The API key's secret ${JSON.stringify(name)} is in another account or region and known by a partial ARN, and its name ends in a hyphen and six characters, which Secrets Manager reads as the random suffix of a complete ARN: the provider will not find it. Import it with secretsmanager.Secret.fromSecretCompleteArn`);
    }
    return this.secret.secretArn;
  }

  public _lookalikePartialArnName(): string | undefined {
    if (this.secret.secretFullArn !== undefined) return undefined;
    const arn = this.secret.secretArn;
    // Imported by partial ARN, secretName has the lookalike suffix cut off already: the ARN says the
    // name as given. Imported by name, the ARN has a token (the partition) and secretName is as given.
    const name = Token.isUnresolved(arn) ? this.secret.secretName : Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
    return name !== undefined && !Token.isUnresolved(name) && _endsLikeSecretSuffix(name) ? name : undefined;
  }

  public _resource(): IResource {
    return this.secret;
  }

  public _location(): _KeyLocation {
    // An imported secret's environment comes from its ARN, and its name without the random suffix.
    return {
      kind: 'secret',
      created: this.secret instanceof secretsmanager.Secret,
      account: this.secret.env.account,
      region: this.secret.env.region,
      name: this.secret.secretName,
      field: this.field ?? '',
    };
  }

  public _hasCustomerManagedKey(): boolean {
    return this.secret.encryptionKey !== undefined;
  }
}

class SsmParameterApiKey extends MackerelApiKey {
  constructor(private readonly parameter: ssm.IParameter) {
    super();
  }

  public toEcsSecret(): ecs.Secret {
    return ecs.Secret.fromSsmParameter(this.parameter);
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const key = (this.parameter as { encryptionKey?: kms.IKey }).encryptionKey;
    if (!key) return this.parameter.grantRead(grantee);
    // aws-cdk-lib's parameter grant lets the grantee decrypt anything under the key, directly, and
    // leaves that statement out of the grant it returns. Only through Parameter Store, as the
    // secret's grant does through Secrets Manager: ECS and the provider read it with GetParameters.
    const { account, region } = this._location();
    const decrypt = grantDecryptVia(grantee, key, 'ssm', account || this.parameter.env.account, region || this.parameter.env.region);
    return decrypt.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'],
      resourceArns: [this.parameter.parameterArn],
    }));
  }

  public _locationEnvironment(scope: IConstruct): { [name: string]: string } {
    // The handler reads the parameter by name with a client of its own region, and a parameter's
    // ARN does not reach another region's either: Parameter Store answers for its region only.
    refuseOtherRegion(scope, 'an SSM parameter', this.parameter.parameterArn, this.parameter.parameterName, this._location().region);
    return { MACKEREL_APIKEY_PARAMETER_NAME: this.parameter.parameterName };
  }

  public _resource(): IResource {
    return this.parameter;
  }

  public _location(): _KeyLocation {
    // Imported by ARN, the parameter keeps the importing stack's environment: the ARN says where it is.
    const slashed = (name: string) => (Token.isUnresolved(name) ? name : name.replace(/^\/?/, '/'));
    const arn = this.parameter.parameterArn;
    if (!Token.isUnresolved(arn)) {
      const { region, account, resourceName } = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
      return { kind: 'parameter', created: false, region, account, name: slashed(resourceName ?? ''), field: '' };
    }
    return {
      kind: 'parameter',
      created: false,
      account: this.parameter.env.account,
      region: this.parameter.env.region,
      name: slashed(this.parameter.parameterName),
      field: '',
    };
  }

  public _hasCustomerManagedKey(): boolean {
    // IParameter does not declare it, but imported SecureStrings and owned parameters carry it.
    return (this.parameter as { encryptionKey?: unknown }).encryptionKey !== undefined;
  }
}
