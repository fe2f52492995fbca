/**
 * A task stop that failed goes back to its `TaskStopAnnotations` queue sooner than the queue's
 * visibility timeout says. That timeout (15 minutes) must cover the whole handler's run, so a
 * failed message left to it comes back only after 15 minutes, and the FIFO queue's one message
 * group holds every later stop back meanwhile. The handler sets the failed message's visibility
 * (SQS ChangeMessageVisibility, with the receipt handle of its record) to a backoff instead.
 *
 * Each failure still counts as one receipt towards the queue's redrive policy: faster retries use
 * the receipts up sooner, which is why `TaskStopAnnotations` allows eight (about 22 minutes of
 * retries, where three receipts 15 minutes apart gave half an hour). At the last receipt (the
 * queue's maxReceiveCount, which the rule's input gives beside the queue's URL) the message is made
 * visible at once instead: SQS moves it to the dead-letter queue at the next receive, and a wait
 * would only delay that and hold the message group back meanwhile. A stop queued by an earlier
 * release, which does not give the count, waits its backoff there too.
 * A stop whose wait could not be shortened (no time left, an SDK error, an invocation that timed
 * out) comes back after the full visibility timeout, as before.
 *
 * The queue's URL and count come in the message's body, which anyone allowed to send to the queue
 * writes; the record's `eventSourceARN`, which the SQS event source sets, says which queue the
 * message really came from. A body naming another queue (a message copied or redriven from
 * elsewhere, or written by hand) is not acted on: its receipt handle belongs to the queue it came
 * from, and the URL, which the SDK sends the call to, could name any host. The stop itself is
 * still marked; only its hand-back is refused, so the mismatch never fails a message by itself (a
 * refusal that failed it would bring it back at every receipt until the dead-letter queue, or
 * forever from a queue without one). A failed stop with such a body comes back after the
 * visibility timeout, as one that names no queue.
 *
 * `@aws-sdk/client-sqs` ships with the Lambda runtime (external in the bundle) and is loaded on
 * first use, as the CloudFormation client is (`stack.ts`): a batch whose stops all succeed never
 * loads it, and a local run needs it only when a queued stop fails.
 */
import { AwsClient, _loadSdk, _within } from './aws';
import { Logger } from './log';

/** The wait before the first retry of a stop that failed. */
const FIRST_RETRY_SECONDS = 30;
/**
 * The longest wait, and the wait of a stop Mackerel refused (a 4xx other than 408 and 429), which
 * the same request gets again: well under the queue's 15-minute visibility timeout.
 */
const LONGEST_RETRY_SECONDS = 300;

/** The time kept, after handing the stops back, for the handler to return its answer to Lambda. */
const RETURN_MARGIN_MS = 1_000;

/** A message of a `TaskStopAnnotations` queue, as the SQS event source hands it to the handler. */
export interface QueuedRecord {
  readonly messageId: string;
  readonly body: string;
  readonly eventSource?: string;
  /** What ChangeMessageVisibility and DeleteMessage take to name this receipt of the message. */
  readonly receiptHandle?: string;
  /** The queue the message came from, such as `arn:aws:sqs:ap-northeast-1:123456789012:Shop-StopsQueue.fifo`. */
  readonly eventSourceARN?: string;
  readonly attributes?: {
    /** How many times the queue has handed the message over, this time included (a number as text). */
    readonly ApproximateReceiveCount?: string;
  };
}

/**
 * How long a stop that failed at its `receiveCount`th receipt stays hidden: 30 seconds, then
 * twice as long at each receipt, up to 5 minutes; always 5 minutes for a stop Mackerel refused,
 * which sending sooner would not change (a deleted role, a field Mackerel does not accept).
 */
export function retryDelaySeconds(receiveCount: number, refused: boolean): number {
  if (refused) return LONGEST_RETRY_SECONDS;
  const n = Number.isInteger(receiveCount) && receiveCount > 0 ? receiveCount : 1;
  return Math.min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (n - 1));
}

/** The queue a stop came from, as the rule's input names it (`_TaskStoppedSettings`). */
export interface StopQueue {
  readonly queueUrl?: string;
  readonly maxReceiveCount?: number;
}

/**
 * Hides a failed stop for its backoff (`retryDelaySeconds`), from now; at the queue's last
 * receipt, for no time, so that it goes to the dead-letter queue at once. A failure here is logged
 * and leaves the message as it was: the handler still reports it in `batchItemFailures`, and the
 * queue hands it over again after its visibility timeout. The stop is never lost for it.
 */
export async function handBack(record: QueuedRecord, queue: StopQueue, refused: boolean, deadline: number, log: Logger): Promise<void> {
  const { queueUrl, maxReceiveCount } = queue;
  const receiveCount = record.attributes?.ApproximateReceiveCount;
  const last = isLastReceipt(Number(receiveCount), maxReceiveCount);
  const seconds = last ? 0 : retryDelaySeconds(Number(receiveCount), refused);
  const fields = { messageId: record.messageId, receiveCount };
  const later = 'the queue hands it over again after its visibility timeout';
  const notSooner = (why: string, more = {}): void => log.warn(`the stop is not handed back sooner: ${why}; ${later}`, { ...fields, ...more });
  // A stop queued by a release that did not send its queue's URL, or a record without its receipt.
  if (!queueUrl || !record.receiptHandle) {
    notSooner('the message does not name its queue or its receipt');
    return;
  }
  if (!namesQueue(queueUrl, record.eventSourceARN)) {
    notSooner(`the message names queue ${JSON.stringify(queueUrl)}, not the one it came from`, { eventSourceARN: record.eventSourceARN ?? null });
    return;
  }
  // Whole milliseconds, which AbortSignal.timeout takes only, as `deadline` is (index.ts rounds it).
  const timeLeftMs = deadline - RETURN_MARGIN_MS - Date.now();
  if (timeLeftMs <= 0) {
    notSooner('no time left');
    return;
  }
  try {
    const { sdk, client } = loadSqs();
    const command = new sdk.ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: seconds });
    // Bounded as every AWS read is (`_within`): the signal alone would not end a step of the SDK that does not heed it.
    await _within(timeLeftMs, (abortSignal) => client.send(command, { abortSignal }));
    if (last) log.warn('the stop failed at its last receipt: it goes to the dead-letter queue', { ...fields, maxReceiveCount });
    else log.info('the stop goes back to the queue, to be tried again', { ...fields, retryInSeconds: seconds });
  } catch (e) {
    log.warn(`the stop could not be handed back sooner (ChangeMessageVisibility failed); ${later}`, { ...fields, error: (e as Error).message ?? String(e) });
  }
}

/**
 * Whether `queueUrl` is the URL of the queue `eventSourceArn` names: the same region, account and
 * name, at SQS's host for the region (`sqs.<region>.<domain>`, the form CloudFormation gives a
 * queue's URL in, or the legacy `<region>.queue.<domain>`, `queue.amazonaws.com` in us-east-1).
 * False when either cannot be read.
 */
export function namesQueue(queueUrl: string, eventSourceArn: string | undefined): boolean {
  const arn = /^arn:[^:]+:sqs:([a-z0-9-]+):(\d{12}):([^:/]+)$/.exec(eventSourceArn ?? '');
  if (!arn) return false;
  const [, region, account, name] = arn;
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    return false;
  }
  // us-east-1's legacy host names no region: queue.amazonaws.com.
  const host = url.hostname.startsWith(`sqs.${region}.`) || url.hostname.startsWith(`${region}.queue.`)
    || (region === 'us-east-1' && url.hostname === 'queue.amazonaws.com');
  return url.protocol === 'https:' && host && url.username === '' && url.port === '' && url.search === '' && url.hash === ''
    && url.pathname === `/${account}/${name}`;
}

/** Whether the queue moves the message to its dead-letter queue at the next receive; never without a valid count. */
function isLastReceipt(receiveCount: number, maxReceiveCount: unknown): boolean {
  return typeof maxReceiveCount === 'number' && Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 && receiveCount >= maxReceiveCount;
}

/**
 * The parts of `@aws-sdk/client-sqs` used here. The Lambda runtime ships the module; the package
 * does not depend on it. @internal
 */
export interface SqsSdk {
  readonly SQSClient: new (config: object) => AwsClient;
  readonly ChangeMessageVisibilityCommand: new (input: { QueueUrl: string; ReceiptHandle: string; VisibilityTimeout: number }) => unknown;
}

type Sqs = { readonly sdk: SqsSdk; readonly client: AwsClient };

/**
 * The SQS client sends each call to SQS's endpoint for the Lambda's region, the queue's as
 * `namesQueue` checked, and never to the host of the URL a message's body names (the SDK's default
 * since 3.507 is the URL's host). An SDK of the runtime without the setting ignores it.
 */
const SQS_CLIENT_CONFIG = { useQueueUrlAsEndpoint: false };

let loaded: Sqs | undefined;

/** Replaces the SQS SDK (tests), or goes back to the runtime's when called with nothing. @internal */
export function _useSqsSdk(sdk?: SqsSdk): void {
  loaded = sdk ? { sdk, client: new sdk.SQSClient(SQS_CLIENT_CONFIG) } : undefined;
}

function loadSqs(): Sqs {
  if (!loaded) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies
    const sdk = _loadSdk('@aws-sdk/client-sqs', (): SqsSdk => require('@aws-sdk/client-sqs'));
    loaded = { sdk, client: new sdk.SQSClient(SQS_CLIENT_CONFIG) };
  }
  return loaded;
}
