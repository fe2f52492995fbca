/**
 * The MackerelProvider's Lambda: the `onEvent` handler of aws-cdk-lib's custom-resources
 * Provider for every `Custom::Mackerel*` type. It returns `{ PhysicalResourceId, Data }`;
 * throwing fails the resource with the message, which names the resource, the Mackerel call,
 * the HTTP status and Mackerel's own message, and never the API key.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { answerGiven, rememberAnswer } from './answered';
import { readApiKey } from './api-key';
import { createClient, isRefused, keyRefusal, MackerelClient, refusedOnTheWay, unresolvedHost } from './client';
import { convert, convertOld, Props } from './convert';
import { localApi } from './local-api';
import { addSecret, addUrlUserinfoSecret, createLogger, Logger, MIN_SECRET_LENGTH, scrub } from './log';
import { handBack, QueuedRecord, StopQueue } from './queue';
import { Outcome, RequestContext, ResourceModule } from './resource';
import { alertGroupSetting } from './resources/alert-group-setting';
import { awsIntegration } from './resources/aws-integration';
import { awsIntegrationExternalId } from './resources/aws-integration-external-id';
import { channel } from './resources/channel';
import { dashboard } from './resources/dashboard';
import { deploymentDowntime } from './resources/deployment-downtime';
import { downtime } from './resources/downtime';
import { graphAnnotation } from './resources/graph-annotation';
import { roleMetadata, serviceMetadata } from './resources/metadata';
import { monitor } from './resources/monitor';
import { notificationGroup } from './resources/notification-group';
import { role } from './resources/role';
import { service } from './resources/service';
import { annotateTaskStop, isTaskStoppedInput, TaskStoppedInput } from './task-stop';

/** The per-type modules, by CloudFormation resource type (`_RESOURCE_TYPES` of the contract). */
export const RESOURCE_MODULES: { readonly [resourceType: string]: ResourceModule } = {
  'Custom::MackerelService': service,
  'Custom::MackerelRole': role,
  'Custom::MackerelMonitor': monitor,
  'Custom::MackerelChannel': channel,
  'Custom::MackerelNotificationGroup': notificationGroup,
  'Custom::MackerelAlertGroupSetting': alertGroupSetting,
  'Custom::MackerelDowntime': downtime,
  'Custom::MackerelAwsIntegrationExternalId': awsIntegrationExternalId,
  'Custom::MackerelAwsIntegration': awsIntegration,
  'Custom::MackerelGraphAnnotation': graphAnnotation,
  'Custom::MackerelDashboard': dashboard,
  'Custom::MackerelDeploymentDowntime': deploymentDowntime,
  'Custom::MackerelServiceMetadata': serviceMetadata,
  'Custom::MackerelRoleMetadata': roleMetadata,
};

const DEFAULT_API_BASE = 'https://api.mackerelio.com/';

/** What the handler needs of the Lambda context. */
export interface HandlerContext {
  getRemainingTimeInMillis(): number;
}

/**
 * When the invocation must have returned, in whole epoch milliseconds. The Lambda's remaining
 * time is whole; an in-process caller's may have a fraction (cdk-mackerel apply's --timeout
 * 10.0005), and AbortSignal.timeout, which every call's time limit is made from (client.ts,
 * queue.ts), throws for one. Rounded down here, where the time enters the handler, so that no
 * deadline inside it has a fraction.
 */
function deadlineOf(context: HandlerContext): number {
  return Date.now() + Math.floor(context.getRemainingTimeInMillis());
}

export interface HandlerResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly [attribute: string]: string };
}

/** A batch of messages from a `TaskStopAnnotations` queue (SQS FIFO), in order. */
export interface QueuedStops {
  readonly Records: ReadonlyArray<QueuedRecord>;
}

/** The messages to hand back to the queue: those that failed. */
export interface QueuedStopsResult {
  readonly batchItemFailures: Array<{ readonly itemIdentifier: string }>;
}

/**
 * The Lambda's entry: a custom-resource event from the provider framework, or ECS task stops from
 * a `TaskStopAnnotations` queue (or one stop sent directly, as its rule's input).
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: HandlerContext): Promise<HandlerResult>;
export async function handler(event: QueuedStops, context: HandlerContext): Promise<QueuedStopsResult>;
export async function handler(event: TaskStoppedInput, context: HandlerContext): Promise<void>;
export async function handler(
  event: CloudFormationCustomResourceEvent | QueuedStops | TaskStoppedInput, context: HandlerContext,
): Promise<HandlerResult | QueuedStopsResult | void> {
  if (isQueuedStops(event)) return onQueuedStops(event, context);
  return isTaskStoppedInput(event) ? onTaskStopped(event, context) : onResourceEvent(event as CloudFormationCustomResourceEvent, context);
}

function isQueuedStops(event: unknown): event is QueuedStops {
  const records = (event as { Records?: unknown })?.Records;
  return Array.isArray(records) && records.length > 0 && records.every((r) => (r as { eventSource?: unknown })?.eventSource === 'aws:sqs');
}

/**
 * Marks a batch of stops one after another, which is what lets a burst of them merge: the queue
 * hands the construct's stops over in order, one batch at a time, and none of the group while a
 * batch is out. A stop that fails is handed back alone: the ones after it are still marked now
 * (a stop that comes back later joins its annotation in time order), so a stop Mackerel keeps
 * refusing goes to the dead-letter queue alone, not with the stops that happened to follow it.
 * A message that is no task stop could never succeed: it is logged and dropped. The key is read
 * once for the batch, at its first stop.
 *
 * A failed stop is handed back with a backoff (`queue.ts`) once the batch is done, so that its
 * wait starts when the message group is free again; it is reported as failed whether or not
 * that worked.
 */
async function onQueuedStops(batch: QueuedStops, context: HandlerContext): Promise<QueuedStopsResult> {
  const failed: Array<{ readonly record: QueuedRecord; readonly queue: StopQueue; readonly refused: boolean }> = [];
  // One client for the batch, so its retries are logged for the batch, not for the stop that made it.
  const batchLog = createLogger({ event: 'ECS task stops', messages: batch.Records.length });
  const deadline = deadlineOf(context);
  let client: Promise<MackerelClient> | undefined;
  for (const record of batch.Records) {
    let input: unknown;
    try {
      input = JSON.parse(record.body);
    } catch {
      input = undefined;
    }
    if (!isTaskStoppedInput(input)) {
      createLogger({ event: 'ECS task stopped', messageId: record.messageId }).error('dropped: the message is not a task stop of TaskStopAnnotations');
      continue;
    }
    try {
      await markStop(input, () => (client ??= connect(context, batchLog)));
    } catch (e) {
      failed.push({ record, queue: { queueUrl: input.queueUrl, maxReceiveCount: input.maxReceiveCount }, refused: isRefused((e as Error).cause) });
    }
  }
  await Promise.all(failed.map(({ record, queue, refused }) => handBack(record, queue, refused, deadline, batchLog)));
  return { batchItemFailures: failed.map(({ record }) => ({ itemIdentifier: record.messageId })) };
}

async function onTaskStopped(input: TaskStoppedInput, context: HandlerContext): Promise<void> {
  await markStop(input, (log) => connect(context, log));
}

/** Marks one stop with the client `connected` gives; a failure is logged and thrown, scrubbed. */
async function markStop(input: TaskStoppedInput, connected: (log: Logger) => Promise<MackerelClient>): Promise<void> {
  const log = createLogger({ event: 'ECS task stopped', task: input.detail?.taskArn });
  try {
    const outcome = await annotateTaskStop({ client: await connected(log), log }, input);
    log.info('done', { outcome });
  } catch (e) {
    // Thrown, the queue hands the stop over again (see queue.ts); a stop already marked is not marked again.
    // The cause says whether Mackerel refused the stop, which a retry soon would not change.
    // Said here, in the log line, as for a resource: the queue hands a refused stop back quietly.
    const message = scrub(`annotating an ECS task stop on service ${JSON.stringify(input.service)} failed: ${(e as Error).message ?? String(e)}`);
    throw reported(log, message, e);
  }
}

/** A Mackerel API client with the key read now (see api-key.ts), for what is left of this invocation. */
async function connect(context: HandlerContext, log: Logger): Promise<MackerelClient> {
  // Handed over, it is the API base, as the key is (api-key.ts): never one the process's own environment holds.
  const handedOver = localApi();
  const apiBase = handedOver ? handedOver.apiBase : process.env.MACKEREL_APIBASE || DEFAULT_API_BASE;
  // A user name and password in it (one synth could not see, from a parameter) is masked as the key is:
  // fetch refuses such a URL with an error that echoes it, unquoted.
  addUrlUserinfoSecret(apiBase);
  // A query or fragment (which synth refuses in a base it can read) may carry a token, and fetch echoes it as
  // the userinfo: it is masked as `_maskedApiBase` shows it, as it stands in each URL (the base's trailing `/` cut).
  // A short one (`?a=1`), blanked alone only in quotes, is blanked with the text up to it, as a short userinfo is,
  // and with the path every request adds after it: a proxy's page may quote the path and query sent
  // (`/?a=1/api/v0/monitors`) without the host, or the query alone (`a=1/api/v0/monitors`, as nginx's $args).
  const query = /[?#]/.exec(apiBase);
  if (query) {
    const secret = apiBase.slice(query.index + 1).replace(/\/+$/, '');
    addSecret(secret);
    if (secret.length < MIN_SECRET_LENGTH) {
      addSecret(apiBase.slice(0, query.index + 1 + secret.length));
      if (query[0] === '?') {
        addSecret(`?${secret}/api/v0`);
        addSecret(`${secret}/api/v0`);
      }
    }
  }
  const deadline = deadlineOf(context);
  return createClient({
    apiBase,
    apiKey: await readApiKey(deadline),
    rereadApiKey: () => readApiKey(deadline),
    deadline,
    log,
  });
}

async function onResourceEvent(event: CloudFormationCustomResourceEvent, context: HandlerContext): Promise<HandlerResult> {
  const physicalId = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
  const log = createLogger({
    requestType: event.RequestType,
    resourceType: event.ResourceType,
    logicalResourceId: event.LogicalResourceId,
    physicalResourceId: physicalId,
  });
  log.info('request');
  const given = answerGiven(event);
  if (given) {
    log.warn('this request was answered already by this container (the provider framework or Lambda delivered it again); '
      + 'the same answer is given again, and nothing is sent to Mackerel', { physicalResourceId: given.PhysicalResourceId });
    return given;
  }
  try {
    const module = RESOURCE_MODULES[event.ResourceType];
    if (!module) throw new Error(`the resource type is not one this handler serves; expected one of ${Object.keys(RESOURCE_MODULES).join(', ')}`);
    // Checked before the key is read: `dispatch` would answer another type with nothing to send back.
    if (!['Create', 'Update', 'Delete'].includes(event.RequestType)) {
      throw new Error(`the request type ${JSON.stringify(event.RequestType)} is not one CloudFormation sends; expected Create, Update or Delete`);
    }
    const client = await connect(context, log);
    const ctx: RequestContext = { client, log, stackId: event.StackId, logicalResourceId: event.LogicalResourceId };
    const outcome = await dispatch(module, ctx, event);
    rememberAnswer(event, outcome);
    log.info('done', { physicalResourceId: outcome.PhysicalResourceId });
    return outcome;
  } catch (e) {
    const message = scrub(`${event.ResourceType} ${event.LogicalResourceId}: ${event.RequestType} failed: ${(e as Error).message ?? String(e)}`);
    throw reported(log, message, e);
  }
}

/** Logs a failure with what to check (`advice`), and gives the error to throw for it. */
function reported(log: Logger, message: string, e: unknown): Error {
  const check = scrub(advice(e));
  log.error('failed', { error: `${message}${check}` });
  return _failure(message, e, check);
}

/**
 * What to check, after Mackerel's words, when Mackerel refused the API key (401 or 403: its pages
 * use both for a key without Write permission, and 403 for a call from outside the organization's
 * allowed addresses), which its own message may not say ("permission denied"). None for a caller
 * that handed over its API: cdk-mackerel apply says what to do with its own MACKEREL_APIKEY.
 *
 * Mackerel says why in its JSON error. A 4xx without it (a proxy's, load balancer's or firewall's
 * HTML page), or a proxy's 407, came from something on the way, which no change to the key or the
 * template gets past: sent to the key, the user would rotate a key that works. A 404 without it is no
 * refusal but a page of something that is not Mackerel's API, which a delete or an update fails on
 * (`isNotFound`): the same advice, what answered named by the API base's host.
 *
 * Also what to check when DNS said the API base's host name does not exist (`unresolvedHost`), which
 * the message says only as getaddrinfo ENOTFOUND. A VPC without a NAT gateway resolves names and then
 * gets no answer: that failure says no response within the time, not this.
 */
function advice(error: unknown): string {
  if (localApi()) return '';
  const apiBase = process.env.MACKEREL_APIBASE || DEFAULT_API_BASE;
  const url = URL.canParse(apiBase) ? new URL(apiBase) : undefined;
  if (url && unresolvedHost(error, url.hostname)) {
    return '; the API base\'s host name does not resolve: check the provider\'s apiBase, and that the Lambda\'s network resolves public names '
      + '(its VPC\'s DNS resolution, a Route 53 Resolver rule or DNS Firewall)';
  }
  const onTheWay = refusedOnTheWay(error, 'the provider\'s Lambda', url?.host);
  if (onTheWay) return `; ${onTheWay}: check the provider's apiBase and the way the Lambda reaches the Internet (its VPC, NAT gateway or proxy)`;
  if (!keyRefusal(error)) return '';
  return '; Mackerel refused the API key: check that the key the provider reads (MackerelProvider\'s apiKey, its secret or parameter) is valid '
    + 'and has Write permission, and that the organization\'s API IP restriction, if it has one, allows the addresses the provider\'s Lambda calls from';
}

/**
 * Room for a text of the handler's (a failure's message, the reason a delete left its object) in
 * CloudFormation's 4096-byte response, beside the IDs the framework adds: in bytes of the
 * response's JSON text, as Mackerel's messages and objects' names echo user text (Japanese is 3
 * bytes a character in UTF-8).
 */
const MAX_REASON_BYTES = 1500;

/**
 * The error CloudFormation reports. Its response body must stay under 4096 bytes, or CloudFormation
 * shows its own error instead of Mackerel's: the message is cut to `MAX_REASON_BYTES` bytes
 * (`_withinResponse`; its start says what failed and Mackerel's words, and `whatToCheck` follows it
 * whole), and the stack, which the provider framework would add to the reason, is dropped (the log
 * line above has the whole message).
 * @internal
 */
export function _failure(message: string, cause?: unknown, whatToCheck = ''): Error {
  // The cause is for a caller in the same process (cdk-mackerel apply tells a refused request from a
  // failed one); the Lambda runtime reports only the name, message and stack.
  const error = new Error(_withinResponse(message, whatToCheck), cause === undefined ? undefined : { cause });
  error.stack = '';
  return error;
}

/**
 * `text` and `whatToCheck` within `MAX_REASON_BYTES` bytes, the text cut on a character boundary
 * with a note of how much more the handler's log has. The whole response counts towards
 * CloudFormation's limit, a success's `Data` as much as a failure's reason: a response over it
 * fails the request ("Response object is too long"), a delete included. `whatToCheck` (such as for a key Mackerel refused) follows whole:
 * `text`, which may echo any amount of Mackerel's words, is cut to make room for it, as advice
 * cut short would be no advice.
 * @internal
 */
export function _withinResponse(text: string, whatToCheck = ''): string {
  if (responseBytes(text) + responseBytes(whatToCheck) <= MAX_REASON_BYTES) return `${text}${whatToCheck}`;
  const characters = [...text];
  const note = (more: number) => `... (${more} more characters in the handler's log)`;
  // The note is within the bytes too: its count, of fewer characters than the whole text's, takes no more digits.
  const room = MAX_REASON_BYTES - responseBytes(whatToCheck) - responseBytes(note(characters.length));
  let bytes = 0;
  let kept = 0;
  for (const character of characters) {
    const size = responseBytes(character);
    if (bytes + size > room) break;
    bytes += size;
    kept++;
  }
  return `${characters.slice(0, kept).join('')}${note(characters.length - kept)}${whatToCheck}`;
}

/** The bytes `text` takes as the framework writes it: UTF-8, with JSON's escapes (a quote is 2 bytes, a control character up to 6). */
function responseBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

/** An outcome as CloudFormation reads it. */
function answer(outcome: Outcome): HandlerResult {
  return { PhysicalResourceId: outcome.physicalResourceId, Data: outcome.data };
}

async function dispatch(module: ResourceModule, ctx: RequestContext, event: CloudFormationCustomResourceEvent): Promise<HandlerResult> {
  switch (event.RequestType) {
    case 'Create': {
      return answer(await module.create(ctx, properties(module, event.ResourceProperties)));
    }
    case 'Update': {
      const props = properties(module, event.ResourceProperties);
      // ServiceToken, not a field of any schema, is left out with any other field that does not fit.
      const oldProps = convertOld(module.schema, event.OldResourceProperties);
      return answer(await module.update(ctx, event.PhysicalResourceId, props, oldProps));
    }
    case 'Delete': {
      // Delete needs no properties: the physical ID says what to delete. Why it left the object may
      // name any number of roles and monitors: cut to fit the response, and logged whole when cut.
      // Their names are any user's text, scrubbed as every other text the handler answers.
      const left = await module.delete(ctx, event.PhysicalResourceId);
      if (!left) return { PhysicalResourceId: event.PhysicalResourceId, Data: {} };
      const scrubbed = scrub(left);
      const shown = _withinResponse(scrubbed);
      if (shown !== scrubbed) ctx.log.info('why the object was left is cut in the response to CloudFormation', { leftInMackerel: left });
      return { PhysicalResourceId: event.PhysicalResourceId, Data: { LeftInMackerel: shown } };
    }
  }
}

/** The resource properties without `ServiceToken`, converted by the type's table. */
function properties(module: ResourceModule, raw: { [key: string]: unknown } | undefined): Props {
  const { ServiceToken: _serviceToken, ...rest } = raw ?? {};
  return convert(module.schema, rest);
}
