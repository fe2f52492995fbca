/**
 * The two AWS reads the handler needs: a Secrets Manager secret and an SSM parameter. The SDK
 * clients ship with the Lambda runtime (external in the bundle). They are loaded on first use,
 * with `require` (which honours the runtime's NODE_PATH, unlike `import()`), so a local run with
 * MACKEREL_APIKEY and plain channel URLs never loads them.
 *
 * Every AWS read (these two, and CloudFormation's in stack.ts) goes through `_sendRead`, which
 * bounds it by the invocation's deadline, as the Mackerel client bounds its calls; SQS's
 * ChangeMessageVisibility (queue.ts), which is not repeated, is bounded by the same `_within`.
 */
import type * as SecretsManagerSdk from '@aws-sdk/client-secrets-manager';
import type * as SsmSdk from '@aws-sdk/client-ssm';
import { backoff } from './client';
import { NO_TIME_LEFT, settings, sleep, timeForAnotherAttempt } from './settings';

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

/**
 * AWS error codes for a call refused for its rate, which a later call gets through, and for one
 * that timed out: the SDK's HTTP handler names its own socket timeout `TimeoutError`.
 */
const TRANSIENT_NAMES = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/**
 * Codes of Node's network errors that a later read may not meet: the connection reset, refused or
 * unreachable, or the endpoint's name not resolved for now. The SDK passes them on as they are
 * (naming a reset `TimeoutError`); its own retries, which its clients here do not make, sent the
 * read again after them.
 */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether a read failed in a way a later one may not: throttled, a 5xx, the network, what the SDK
 * marks retryable, or a signature refused for a skewed clock, which the SDK corrects in the client
 * for its next request (a local run of cdk-mackerel on a machine whose clock is off).
 */
function transient(e: unknown): boolean {
  const error = e as { name?: unknown; code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown; clockSkewCorrected?: unknown } };
  const status = error?.$metadata?.httpStatusCode;
  return TRANSIENT_NAMES.has(String(error?.name)) || NETWORK_CODES.has(String(error?.code)) || error?.$retryable !== undefined
    || error?.$metadata?.clockSkewCorrected === true || (typeof status === 'number' && (status >= 500 || status === 429));
}

/**
 * What the user checks when AWS refuses a read for good, by the error's name (the service's error
 * code): the SDK's message alone may not say (SSM's ParameterNotFound comes as "UnknownError").
 */
const WHAT_TO_CHECK: { readonly [name: string]: string } = (() => {
  // The reader is the provider's Lambda, or the user's own credentials when cdk-mackerel apply runs the handler.
  const missing = 'no such secret or parameter in the account and region it is read in: check its name or ARN';
  const denied = 'the role reading it (the provider\'s Lambda role; under cdk-mackerel apply, your own credentials) may not read it, or not decrypt it '
    + 'with its KMS key: check the role\'s policy, the resource\'s policy and the key\'s policy';
  return {
    ResourceNotFoundException: missing,
    ParameterNotFound: missing,
    ParameterVersionNotFound: 'the parameter has no such version: check the version given with its name',
    AccessDeniedException: denied,
    AccessDenied: denied,
    KMSAccessDeniedException: denied,
    DecryptionFailure: 'its KMS key could not decrypt it: check that the key is enabled and that the role reading it may use it',
    InvalidKeyId: 'its KMS key is not valid (disabled, or deleted): check the key',
  };
})();

/**
 * An AWS error as the reason of a failed request says it: the error's name (the service's error
 * code, such as AccessDeniedException) before its message, which the SDK fills with "UnknownError"
 * when the service gave none, and what to check for a code that calls for it (`checks`, by code:
 * by default those of a secret or parameter read). A message the handler wrote (a read given up,
 * a value missing) is as it was.
 * @internal
 */
export function _awsErrorText(e: unknown, checks: { readonly [name: string]: string } = WHAT_TO_CHECK): string {
  const error = e as { name?: unknown; message?: unknown } | undefined;
  const message = typeof error?.message === 'string' ? error.message : String(e);
  const name = error?.name;
  if (typeof name !== 'string' || name === '' || name === 'Error' || e instanceof NoAnswer || e instanceof ReadFailed) return message;
  const said = message === '' || message === 'UnknownError' || message === name ? '' : `: ${message}`;
  const check = checks[name];
  return `${name}${said}${check ? ` (${check})` : ''}`;
}

/**
 * A read `_sendRead` threw, saying what was read (`operation`) and, for AWS's own error, its code and
 * what to check (`_awsErrorText` with `checks`). Named as AWS's error, so that a caller can still
 * tell one code from another; the handler's own (a read given up, or not sent) is as it was.
 * @internal
 */
export function _readFailure(e: unknown, operation: string, checks?: { readonly [name: string]: string }): Error {
  if (e instanceof ReadFailed) return e;
  const name = (e as { name?: unknown } | undefined)?.name;
  return new ReadFailed(`${operation} failed: ${_awsErrorText(e, checks)}`, typeof name === 'string' && name ? name : 'Error', e);
}

/** A read the handler stopped waiting for. */
class NoAnswer extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'NoAnswer';
  }
}

/**
 * A read that failed, in the handler's words: given up after attempts that failed transiently, or
 * not sent for want of time, or refused (`_readFailure`). Named as AWS's error (the last attempt's).
 */
class ReadFailed extends Error {
  constructor(message: string, name: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = name;
  }
}

/**
 * Sends one AWS read (`operation`, such as `Secrets Manager GetSecretValue`, for messages), bounded
 * by `deadline` (whole epoch milliseconds, the invocation's): each attempt gets what the Mackerel
 * client gives one call, at most `settings.requestTimeoutMs` and never past the time kept to answer
 * CloudFormation. Without it a read that hangs ends as the Lambda's "Task timed out", and
 * CloudFormation waits up to an hour for an answer that never comes. A read that is throttled, fails
 * transiently or gets no answer is sent again after a backoff (reads repeat harmlessly) while there
 * is time; then it fails, saying after how many attempts and why. The SDK clients make one attempt
 * each: the SDK's own retries know nothing of the deadline.
 * The attempt is raced against its time limit as well as given it as the SDK's `abortSignal`:
 * what the SDK does before the request (such as resolving credentials) may not heed the signal.
 * @internal
 */
export async function _sendRead(client: AwsClient, command: unknown, operation: string, deadline: number): Promise<unknown> {
  for (let n = 1; ; n++) {
    // Whole milliseconds, which AbortSignal.timeout takes only, as `deadline` is (index.ts rounds it).
    const timeoutMs = Math.min(settings.requestTimeoutMs, deadline - settings.safetyMarginMs - Date.now());
    if (timeoutMs <= 0) {
      throw new ReadFailed(`${operation} was not sent: ${NO_TIME_LEFT}`, 'Error');
    }
    try {
      return await _within(timeoutMs, (abortSignal) => client.send(command, { abortSignal }));
    } catch (e) {
      if (!(e instanceof NoAnswer) && !transient(e)) throw e;
      const delayMs = Math.max(backoff(n), settings.baseDelayMs);
      const why = n >= settings.maxAttempts ? 'attempt limit reached'
        : !timeForAnotherAttempt(deadline, delayMs) ? 'no time left to retry' : undefined;
      if (why) {
        // Without what to check of a refusal (`_awsErrorText`'s checks): a code that names one came with a
        // mark of a transient failure (a clock the SDK corrected, a 5xx), and a secret's advice would
        // not fit a read of the stack anyway.
        throw new ReadFailed(`${operation} failed: ${_awsErrorText(e, {})} (gave up after ${n} attempt${n > 1 ? 's' : ''}: ${why})`, (e as Error).name);
      }
      await sleep(delayMs);
    }
  }
}

/**
 * What `send` resolves to, or a `NoAnswer` once `timeoutMs` (whole milliseconds) have passed, the
 * signal it got then aborted: the bound of every AWS call of the handler (`_sendRead`, and SQS's
 * ChangeMessageVisibility in queue.ts), raced as well as signalled, as `_sendRead` says why.
 * @internal
 */
export async function _within<T>(timeoutMs: number, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  let onAbort: (() => void) | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new NoAnswer(timeoutMs));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    // The SDK's own error for the abort (AbortError) may come first: it is the same timeout.
    return await Promise.race([send(signal), timedOut]).catch((e) => {
      throw signal.aborted ? new NoAnswer(timeoutMs) : e;
    });
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

export interface SecretVersion {
  readonly versionStage?: string;
  readonly versionId?: string;
}

/**
 * The SecretString of a secret (name or ARN), at a version stage or ID when given, read by
 * `deadline` (`_sendRead`).
 */
export async function getSecretString(secretId: string, deadline: number, version: SecretVersion = {}): Promise<string> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    const sdk = _loadSdk('@aws-sdk/client-secrets-manager', (): typeof SecretsManagerSdk => require('@aws-sdk/client-secrets-manager'));
    // One attempt per send: `_sendRead` retries, within the invocation's time.
    secretsManager ??= new sdk.SecretsManagerClient({ maxAttempts: 1 });
    const command = new sdk.GetSecretValueCommand({
      SecretId: secretId,
      VersionStage: version.versionStage || undefined,
      VersionId: version.versionId || undefined,
    });
    const out = await _sendRead(secretsManager, command, 'Secrets Manager GetSecretValue', deadline) as SecretsManagerSdk.GetSecretValueCommandOutput;
    if (out.SecretString === undefined) throw new Error('it has no SecretString (binary secrets are not supported)');
    return out.SecretString;
  } catch (e) {
    throw new Error(`reading secret ${secretId} failed: ${_awsErrorText(e)}`);
  }
}

/**
 * The value of an SSM parameter (decrypted when it is a SecureString), at a version when given,
 * read by `deadline` (`_sendRead`).
 */
export async function getParameter(name: string, deadline: number, version?: string): Promise<string> {
  const selector = version ? `${name}:${version}` : name;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    const sdk = _loadSdk('@aws-sdk/client-ssm', (): typeof SsmSdk => require('@aws-sdk/client-ssm'));
    ssm ??= new sdk.SSMClient({ maxAttempts: 1 });
    const command = new sdk.GetParameterCommand({ Name: selector, WithDecryption: true });
    const out = await _sendRead(ssm, command, 'SSM GetParameter', deadline) as SsmSdk.GetParameterCommandOutput;
    if (out.Parameter?.Value === undefined) throw new Error('it has no value');
    return out.Parameter.Value;
  } catch (e) {
    throw new Error(`reading SSM parameter ${selector} failed: ${_awsErrorText(e)}`);
  }
}
