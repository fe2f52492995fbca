/**
 * Runs the real Lambda handler in this process, as the Provider framework would: one event at
 * a time, the API base and key handed to it in this process (never through process.env), its
 * JSON log lines kept off the terminal unless asked for.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { _Invoke, _ResourceEvent } from './apply';
import { _mapStrings } from '../_json';
import { handler } from '../provider/handler';
import { isRefused, refusedOnTheWay } from '../provider/handler/client';
import { PropertyError } from '../provider/handler/convert';
import { useLocalApi } from '../provider/handler/local-api';
import { TakenError } from '../provider/handler/resource';
import { settings } from '../provider/handler/settings';
import { StackView, useStackView } from '../provider/handler/stack';

/** Settings of the in-process handler. @internal */
export interface _InvokeOptions {
  readonly apiBase: string;
  readonly apiKey: string;
  /** The time each operation gets, like the Lambda's remaining time (retries stop there). */
  readonly timeoutMs: number;
  /** Where the handler's log lines go; dropped when undefined. */
  readonly log?: (line: string) => void;
  /**
   * For an emulator: dynamic references (a Slack URL or an external monitor's header value in
   * Secrets Manager) are not read from AWS but replaced by a placeholder, reported here (but for
   * a delete's, which uses no secret). Unset: the handler reads them with the AWS credentials of
   * this process, as the Lambda would with its role.
   */
  readonly placeholderSecrets?: (notice: string) => void;
  /**
   * What the handler would ask CloudFormation about a stack (`provider/handler/stack.ts`), which
   * the run answers from its state. Unset: CloudFormation's API, with this process's credentials.
   */
  readonly stackView?: StackView;
}

// The library writes ssm-secure references as {{cdk-mackerel:ssm-secure:...}} (see the handler's dynamic-reference.ts).
const DYNAMIC_REFERENCE = /\{\{(?:resolve|cdk-mackerel):(secretsmanager|ssm-secure|ssm):([^}]+)\}\}/g;

/**
 * Replaces every dynamic reference in the properties by a placeholder naming it. The placeholder
 * is a URL, which a channel's url needs and a header value takes as well. @internal
 */
export function _placeholderReferences(value: unknown, notice: (message: string) => void): unknown {
  return _mapStrings(value, (text) => text.replace(DYNAMIC_REFERENCE, (whole, service: string, body: string) => {
    const id = body.split(':SecretString')[0].replace(/^\/+/, '').replace(/[^A-Za-z0-9/_.-]+/g, '-');
    const placeholder = `https://${service}.emulator.invalid/${id}`;
    notice(`${whole} is not read from AWS for the emulator; using the placeholder ${placeholder}`);
    return placeholder;
  }));
}

/**
 * The call in flight, of any invoker: what a call sets for the handler (the API handed over, the
 * stack view, console.log and console.error) is the process's, so two calls at once (two applies
 * run in one process) would swap them, and one's key, state or log lines would go to the other.
 */
let inFlight: Promise<unknown> = Promise.resolve();

/**
 * An invoker that calls the handler with the API base and key handed over for the call only: in
 * process.env, the key would reach every child process started meanwhile and every dump of the
 * environment. Calls run one after the other, also those of different invokers, each with its
 * whole timeout from when it starts. @internal
 */
export function _handlerInvoke(options: _InvokeOptions): _Invoke {
  const invokeNow = invokeOnce(options);
  return (event: _ResourceEvent) => {
    const call = inFlight.then(() => invokeNow(event));
    inFlight = call.catch(() => undefined);
    return call;
  };
}

function invokeOnce(options: _InvokeOptions): _Invoke {
  return async (event: _ResourceEvent) => {
    const saved = { log: console.log, error: console.error };
    useLocalApi({ apiBase: options.apiBase, apiKey: options.apiKey });
    const sink = (...args: unknown[]) => options.log?.(args.map(String).join(' '));
    console.log = sink;
    console.error = sink;
    const deadline = Date.now() + options.timeoutMs;
    useStackView(options.stackView);
    try {
      // A delete uses no secret: its placeholders go unsaid, as diff says nothing of them.
      const report = options.placeholderSecrets;
      const sent = report ? _placeholderReferences(event, event.RequestType === 'Delete' ? () => undefined : report) as _ResourceEvent : event;
      const cfnEvent = { ServiceToken: 'cdk-mackerel', ResponseURL: 'http://localhost/', ...sent } as unknown as CloudFormationCustomResourceEvent;
      // The handler keeps a safety margin for reporting to CloudFormation; locally the whole
      // --timeout is for Mackerel calls, so the margin comes on top.
      return await handler(cfnEvent, { getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) + settings.safetyMarginMs });
    } finally {
      console.log = saved.log;
      console.error = saved.error;
      useStackView();
      useLocalApi();
    }
  };
}

/**
 * Why applying the same template again would fail the same way, from the cause the handler's
 * failure carries: Mackerel refused the request (a 4xx other than 408 and 429, as the handler sends
 * the same request again), `key` for a key refused or without write permission (401, 403), or the
 * handler refused a property; `taken` for a create under a name or namespace Mackerel has that the
 * stack may not take (`TakenError`), which freeing it in Mackerel mends as well as the template.
 * Undefined for a failure another run may get past (a 5xx, throttling, no answer, a timeout, anything else),
 * and for a 4xx that is not Mackerel's (`_refusedOnTheWay`), which says nothing of the key or the template.
 * @internal
 */
export function _failsAgain(error: unknown): 'input' | 'key' | 'taken' | undefined {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof TakenError) return 'taken';
  if (cause instanceof PropertyError) return 'input';
  if (!isRefused(cause)) return undefined;
  // A 4xx that is not Mackerel's (a proxy's 407 or page) says nothing of the key or the template.
  if (_refusedOnTheWay(error)) return undefined;
  return cause.status === 401 || cause.status === 403 ? 'key' : 'input';
}

/** Whether Mackerel refused the request of a failure with a 400 (its JSON error, not a page on the way). @internal */
export function _badRequest(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  return isRefused(cause) && cause.status === 400;
}

/**
 * For a failure whose cause is a 4xx that is not Mackerel's (a proxy's 407, or a proxy's, load balancer's
 * or firewall's page rather than Mackerel's JSON error), what the CLI says of it, in the handler's words (`refusedOnTheWay`, naming `host`,
 * --api-base's, for a 404); undefined otherwise.
 * @internal
 */
export function _refusedOnTheWay(error: unknown, host?: string): string | undefined {
  // As the handler's advice looks for it: the refusal may be the cause of a failure that says what it was doing.
  return refusedOnTheWay(error instanceof Error ? error.cause : undefined, 'this machine', host);
}
