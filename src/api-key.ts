import { IResource, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
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
   * task's execution role or to the provider's Lambda role, never more widely.
   *
   * @param secret the secret holding the key
   * @param field the JSON field holding the key, when the secret is a JSON object
   */
  public static fromSecretsManager(secret: secretsmanager.ISecret, field?: string): MackerelApiKey {
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

  /** The key as an ECS container secret; ECS grants read to the execution role when it is added. */
  public abstract toEcsSecret(): ecs.Secret;

  /**
   * Grants read of the key (and decrypt of its customer managed key, if any) to a principal.
   *
   * Actions: `secretsmanager:GetSecretValue` and `secretsmanager:DescribeSecret`, or
   * `ssm:DescribeParameters`, `ssm:GetParameters`, `ssm:GetParameter` and
   * `ssm:GetParameterHistory`; plus `kms:Decrypt` where a customer managed key is known.
   */
  public abstract grantRead(grantee: iam.IGrantable): iam.Grant;

  /**
   * Where the key lives, as the environment of the provider Lambda reads it: the secret ARN and
   * field, or the parameter name. Never the key itself.
   * @internal
   */
  public abstract _locationEnvironment(): { [name: string]: string };

  /** The secret or parameter holding the key. @internal */
  public abstract _resource(): IResource;

  /**
   * Whether this and `other` are known to be the same key: the same secret or parameter (and
   * field), as a construct or by a literal ARN or name in the same account and region. Keys not
   * known to be the same may still be, so this only ever says yes when sure.
   * @internal
   */
  public _sameKey(other: MackerelApiKey): boolean {
    if (this._resource() === other._resource()) return this._identity() === other._identity();
    const mine = this._identity();
    return mine !== undefined && !mine.endsWith(UNRESOLVED) && mine === other._identity();
  }

  /** The key's location as one string, ending in UNRESOLVED where a part is a token. @internal */
  public abstract _identity(): string | undefined;

  /** Whether the key is known to be encrypted with a customer managed KMS key. @internal */
  public abstract _hasCustomerManagedKey(): boolean;
}

/** Marks an identity that holds a token, so it names the key only within one construct. */
const UNRESOLVED = '#unresolved';

/** `parts` joined, or marked UNRESOLVED when any is a token (an ARN or name only known at deploy time). */
function identityOf(...parts: string[]): string {
  const joined = parts.join('|');
  return parts.some((p) => Token.isUnresolved(p)) ? `${joined}${UNRESOLVED}` : joined;
}

class SecretsManagerApiKey extends MackerelApiKey {
  constructor(private readonly secret: secretsmanager.ISecret, private readonly field?: string) {
    super();
  }

  public toEcsSecret(): ecs.Secret {
    return ecs.Secret.fromSecretsManager(this.secret, this.field);
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.secret.grantRead(grantee);
  }

  public _locationEnvironment(): { [name: string]: string } {
    return {
      MACKEREL_APIKEY_SECRET_ARN: this.secret.secretArn,
      ...(this.field ? { MACKEREL_APIKEY_SECRET_FIELD: this.field } : {}),
    };
  }

  public _resource(): IResource {
    return this.secret;
  }

  public _identity(): string {
    const field = this.field ?? '';
    // An imported secret's complete ARN says everything; a name needs its account and region.
    if (!Token.isUnresolved(this.secret.secretArn)) return identityOf('secret', this.secret.secretArn, field);
    return identityOf('secret', this.secret.env.account, this.secret.env.region, this.secret.secretName, field);
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
    return this.parameter.grantRead(grantee);
  }

  public _locationEnvironment(): { [name: string]: string } {
    return { MACKEREL_APIKEY_PARAMETER_NAME: this.parameter.parameterName };
  }

  public _resource(): IResource {
    return this.parameter;
  }

  public _identity(): string {
    return identityOf('parameter', this.parameter.env.account, this.parameter.env.region, this.parameter.parameterName);
  }

  public _hasCustomerManagedKey(): boolean {
    // IParameter does not declare it, but imported SecureStrings and owned parameters carry it.
    return (this.parameter as { encryptionKey?: unknown }).encryptionKey !== undefined;
  }
}
