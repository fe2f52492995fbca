/**
 * The two AWS reads the handler needs: a Secrets Manager secret and an SSM parameter. The SDK
 * clients ship with the Lambda runtime (external in the bundle). They are loaded on first use,
 * with `require` (which honours the runtime's NODE_PATH, unlike `import()`), so a local run with
 * MACKEREL_APIKEY and plain channel URLs never loads them.
 */
import type * as SecretsManagerSdk from '@aws-sdk/client-secrets-manager';
import type * as SsmSdk from '@aws-sdk/client-ssm';

/** The one method of an SDK v3 client the handler uses; tests pass their own. */
export interface AwsClient {
  send(command: unknown, options?: { readonly abortSignal?: AbortSignal }): Promise<unknown>;
}

let secretsManager: AwsClient | undefined;
let ssm: AwsClient | undefined;

/** Replaces the SDK clients (tests), or forgets them when called with nothing. */
export function useAwsClients(clients: { secretsManager?: AwsClient; ssm?: AwsClient } = {}): void {
  secretsManager = clients.secretsManager;
  ssm = clients.ssm;
}

/**
 * Loads an SDK v3 client module. The Lambda runtime ships them; cdk-mackerel does not depend on
 * them (a CDK app would pull in the SDK for nothing), so a local run of the handler, which
 * `cdk-mackerel apply` does against a real organization, finds them only where the user has
 * installed them. Then the error says which one and how, not only "Cannot find module".
 * `load` requires `id` by name, so that bundlers see which module stays external.
 * @internal
 */
export function _loadSdk<T>(id: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    // A module the client itself fails to find is a different problem: left as it is.
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !(e as Error).message.includes(`'${id}'`)) throw e;
    throw new Error(`the AWS SDK for JavaScript v3 client ${id} is not installed here (the Lambda runtime has it; `
      + `running the handler locally, as cdk-mackerel apply does for a real organization, needs it beside cdk-mackerel: npm install --save-dev ${id})`);
  }
}

export interface SecretVersion {
  readonly versionStage?: string;
  readonly versionId?: string;
}

/** The SecretString of a secret (name or ARN), at a version stage or ID when given. */
export async function getSecretString(secretId: string, version: SecretVersion = {}): Promise<string> {
  try {
    const sdk = _loadSdk('@aws-sdk/client-secrets-manager',
      // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
      (): typeof SecretsManagerSdk => require('@aws-sdk/client-secrets-manager'));
    secretsManager ??= new sdk.SecretsManagerClient({});
    const out = await secretsManager.send(new sdk.GetSecretValueCommand({
      SecretId: secretId,
      VersionStage: version.versionStage || undefined,
      VersionId: version.versionId || undefined,
    })) as SecretsManagerSdk.GetSecretValueCommandOutput;
    if (out.SecretString === undefined) throw new Error('it has no SecretString (binary secrets are not supported)');
    return out.SecretString;
  } catch (e) {
    throw new Error(`reading secret ${secretId} failed: ${(e as Error).message}`);
  }
}

/** The value of an SSM parameter (decrypted when it is a SecureString), at a version when given. */
export async function getParameter(name: string, version?: string): Promise<string> {
  const selector = version ? `${name}:${version}` : name;
  try {
    const sdk = _loadSdk('@aws-sdk/client-ssm',
      // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
      (): typeof SsmSdk => require('@aws-sdk/client-ssm'));
    ssm ??= new sdk.SSMClient({});
    const out = await ssm.send(new sdk.GetParameterCommand({ Name: selector, WithDecryption: true })) as SsmSdk.GetParameterCommandOutput;
    if (out.Parameter?.Value === undefined) throw new Error('it has no value');
    return out.Parameter.Value;
  } catch (e) {
    throw new Error(`reading SSM parameter ${selector} failed: ${(e as Error).message}`);
  }
}
