import { isPlainObject } from './convert';
import { Logger, scrub } from './log';
import { NO_TIME_LEFT, settings, sleep, timeForAnotherAttempt } from './settings';

/** The HTTP methods the handler uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a `MackerelApiError` says beside the call, its status and Mackerel's message. */
interface MackerelApiErrorOptions {
  readonly note?: string;
  readonly outcomeUnknown?: boolean;
  readonly cause?: unknown;
  readonly mackerelBody?: boolean;
  readonly pageTitle?: string;
}

/**
 * A call to Mackerel that failed. `status` is the HTTP status, or undefined when no response
 * came (network error, timeout). `apiMessage` is Mackerel's own `error.message`, or the raw
 * body, or the status text.
 *
 * The fields below are `declare`d, set by the constructor alone: esbuild keeps the comments of a
 * class field it writes out, and these would weigh on the handler bundle. The constructor sets
 * them before `name`, in the order in which they are declared, as fields written out would be.
 */
export class MackerelApiError extends Error {
  /**
   * True when Mackerel may have carried the call out although no success answer came: no answer
   * at all after the request was sent (a timeout, a lost connection) or a 5xx error (or a 408), to the
   * last attempt or an earlier one that the client sent again (its later answer says nothing of it). This matters
   * for a POST, which the client never repeats in that case (see `request`).
   */
  declare public readonly outcomeUnknown: boolean;
  /** Why the client gave up (such as `gave up after 3 attempts: no time left to retry`), when it says. */
  declare public readonly note?: string;
  /**
   * For an error answer, whether its body is Mackerel's own JSON error (`{"error":...}`): when it is
   * not (a proxy's or load balancer's HTML page, an empty body), something between the handler and
   * Mackerel may have answered instead of Mackerel. Undefined without an error answer.
   */
  declare public readonly mackerelBody?: boolean;
  /** The title of the HTML page that answered, when an error answer was one and it has a title. */
  declare public readonly pageTitle?: string;

  constructor(
    public readonly method: Method,
    public readonly path: string,
    public readonly status: number | undefined,
    public readonly apiMessage: string,
    options: MackerelApiErrorOptions = {},
  ) {
    super(scrub(`${method} ${path}: ${status === undefined ? 'no response' : `HTTP ${status}`}: ${apiMessage}${options.note ? ` (${options.note})` : ''}`),
      options.cause === undefined ? undefined : { cause: options.cause });
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.note = options.note;
    this.mackerelBody = options.mackerelBody;
    this.pageTitle = options.pageTitle;
    this.name = 'MackerelApiError';
  }
}

/** True when `error` is a call that Mackerel may have carried out though it did not say so. */
export function isOutcomeUnknown(error: unknown): error is MackerelApiError {
  return error instanceof MackerelApiError && error.outcomeUnknown;
}

/**
 * True when Mackerel refused the request for what it asks: a 4xx other than 408 (the request
 * timed out) and 429 (the rate limit), which the same request gets again however late it is sent.
 * Not one that something on the way gave (`refusedOnTheWay`): a proxy, load balancer or firewall
 * may let the same request through later (a rule changed, a NAT gateway's address allowed).
 */
export function isRefused(error: unknown): error is MackerelApiError {
  return error instanceof MackerelApiError && refusal(error.status) && !refusedOnTheWay(error, '');
}

/** A 4xx other than 408 and 429, which are said again later rather than refusals of what was asked. */
function refusal(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * For a refusal (`refusal`) in `error` or the causes it carries (as `keyRefusal`) that is not Mackerel's,
 * that something between `caller` (such as `the provider's Lambda`) and Mackerel refused the call,
 * naming the page's title: a 407 (a proxy asking for its own credentials; Mackerel asks for none), or a
 * 4xx without Mackerel's JSON error (a proxy's, load balancer's or WAF's page: a 403, a 405, a 413, a 431).
 * No change to the key or the template gets past it. Undefined for any other error, Mackerel's own
 * refusals included. The handler's advice and the CLI's messages say it in these words.
 *
 * A 404 without it is said apart, naming `host` (the API base's): no refusal, but a page for a path
 * that something other than Mackerel's API does not have (a wrong API base, one without its path, a
 * proxy's or load balancer's own page), which says nothing of the object (`isNotFound`).
 */
export function refusedOnTheWay(error: unknown, caller: string, host = 'the API base'): string | undefined {
  const e = causeOf(error, (c) => refusal(c.status) && (c.status === 407 || c.mackerelBody === false));
  if (!e) return undefined;
  const answer = e.status === 407 ? 'a proxy\'s HTTP 407' : e.pageTitle ? `a page titled ${JSON.stringify(e.pageTitle)}` : 'not Mackerel\'s JSON error';
  if (e.status === 404) {
    return `the answer is ${answer}, so something other than Mackerel's API answered (a proxy or load balancer between ${caller} and ${host}, `
      + `or ${host} itself if the API base's host or path is not Mackerel's), which says nothing of whether the object exists in Mackerel`;
  }
  return `the answer is ${answer}, so something between ${caller} and Mackerel (a proxy, a load balancer, a firewall) refused the call, not Mackerel`;
}

/**
 * The first 401 or 403 in `error` and the causes it carries (a failure that says what it was doing
 * may have a refusal as its cause, such as a read before a write), which the handler's advice and
 * the CLI's messages speak of (`refusedOnTheWay`).
 */
export function keyRefusal(error: unknown): MackerelApiError | undefined {
  return causeOf(error, (e) => e.status === 401 || e.status === 403);
}

/**
 * The first call in `error` and its causes (as `keyRefusal`) whose API host name, `host`, DNS said
 * does not exist (`nameNotFound`). Not another name: through a proxy (Node's fetch heeds HTTPS_PROXY
 * under NODE_USE_ENV_PROXY), the name not found is the proxy's, which no apiBase mends.
 */
export function unresolvedHost(error: unknown, host: string): MackerelApiError | undefined {
  return causeOf(error, (e) => nameNotFound(e.cause) && (e.cause as { cause: { hostname?: unknown } }).cause.hostname === host);
}

/**
 * A call that failed in the course of failing with an error (the delete that was to take back a new
 * service or role that could not be marked), by that error (`alsoFailed`): its refusal is told as
 * one of the error's causes (`causeOf`) is, the error itself kept for its status.
 */
const ALSO_FAILED = new WeakMap<Error, Error>();

/** Records that `other` failed too, in the course of failing with `error`, for the advice to read it (`causeOf`). */
export function alsoFailed(error: Error, other: Error): void {
  ALSO_FAILED.set(error, other);
}

/** `error` and its causes, the first five at most. */
export function causeChain(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = error, n = 0; e instanceof Error && n < 5; e = e.cause, n++) chain.push(e);
  return chain;
}

/** The first in `error` and its causes that `is`, then in what failed with them (`alsoFailed`). */
function causeOf(error: unknown, is: (e: MackerelApiError) => boolean, depth = 0): MackerelApiError | undefined {
  const chain = causeChain(error);
  const found = chain.find((e): e is MackerelApiError => e instanceof MackerelApiError && is(e));
  if (found || depth >= 2) return found;
  for (const e of chain) {
    const also = ALSO_FAILED.get(e);
    const inAlso = also && causeOf(also, is, depth + 1);
    if (inAlso) return inAlso;
  }
  return undefined;
}

/**
 * True when `error` is Mackerel saying the object does not exist: a 404 with Mackerel's JSON error.
 * Another 404 (a proxy's or load balancer's page, an empty body: a wrong API base, one without its
 * path) came from something that does not know the object, which may well exist: taken as gone, a
 * delete would leave it in Mackerel saying it succeeded, and an update would make a second one.
 */
export function isNotFound(error: unknown): boolean {
  return error instanceof MackerelApiError && error.status === 404 && error.mackerelBody === true;
}

export interface ClientOptions {
  /** The API base, such as `https://api.mackerelio.com/`. */
  readonly apiBase: string;
  readonly apiKey: string;
  /**
   * Reads the key again from where it lives. On a 401 the key is read once more and, if it
   * changed, the call is sent again with the new one: the key was rotated (and the old one
   * revoked in Mackerel) while this invocation ran.
   * @default - a 401 is final
   */
  readonly rereadApiKey?: () => Promise<string>;
  /**
   * Whole epoch milliseconds by which the handler must have returned (the Lambda's deadline, as
   * index.ts rounds it): each request's time limit is made from it with AbortSignal.timeout, which
   * takes whole milliseconds only.
   */
  readonly deadline: number;
  readonly log: Logger;
  /**
   * Whether a request whose connection could not be opened (refused, no such host) is sent again.
   * The CLI says at once that the API cannot be reached: there it is a wrong --api-base or an
   * emulator not started far more often than a blip, and retrying would only delay saying so.
   * @default true
   */
  readonly retryUnconnected?: boolean;
}

/** One small Mackerel API client: JSON in and out, retries within the deadline. */
export interface MackerelClient {
  /** Epoch milliseconds by which the handler must have returned. */
  readonly deadline: number;
  /**
   * One call, retried within the deadline while it is safe to repeat. A POST creates something
   * and is not idempotent: it is repeated only when Mackerel certainly did not carry it out (see
   * `retryOf`). When Mackerel may have, the error has `outcomeUnknown` and the caller decides.
   */
  request<T = unknown>(method: Method, path: string, body?: unknown, options?: RequestOptions): Promise<T>;
}

export interface RequestOptions {
  /**
   * The call may be repeated even when Mackerel may have carried it out already: a POST whose
   * repetition does no harm (such as one that only issues an ID).
   * @default - true for GET, PUT and DELETE; false for POST
   */
  readonly repeatable?: boolean;
}

/**
 * What a failed attempt says about sending the call again:
 * - `safe`: Mackerel did not carry it out; send it again, whatever the method.
 * - `if-repeatable`: Mackerel may have carried it out; send it again only if doing it twice is
 *   harmless (GET, PUT, DELETE, or a POST marked `repeatable`).
 * - `never`: a final answer (a 4xx other than 408 and 429), or no time left.
 */
export type Retry = 'safe' | 'if-repeatable' | 'never';

/** A failed attempt: the error, and whether and when to try again. */
interface Failure {
  readonly error: MackerelApiError;
  readonly retry: Retry;
  readonly retryAfterMs?: number;
  /** Not sent: too little time was left. */
  readonly noTime?: boolean;
}

/** Raw error bodies are cut to this length in messages. */
const MAX_BODY_IN_MESSAGE = 500;

/**
 * Mackerel's own `error.message` is cut to this length (characters): it may echo any amount of user
 * text, and it goes into log lines and the failure reason (which `_failure` cuts further, by bytes).
 */
const MAX_MESSAGE_IN_ERROR = 2000;

/**
 * The message of a GET answered with a success and an empty body (the CLI words it with its
 * --api-base). Not retried: the same API answers the same way.
 */
export const EMPTY_GET_ANSWER = 'the response is empty, not JSON, where Mackerel answers every GET with JSON; is the API base a Mackerel API?';

export function createClient(options: ClientOptions): MackerelClient {
  const timeLeft = () => options.deadline - settings.safetyMarginMs - Date.now();
  let apiKey = options.apiKey;
  let reread = false;
  /** True when the key was read again and differs: the 401 came from a key rotated meanwhile. */
  const keyRotated = async (): Promise<boolean> => {
    if (reread || !options.rereadApiKey) return false;
    reread = true;
    let fresh: string;
    try {
      fresh = await options.rereadApiKey();
    } catch (e) {
      options.log.warn('could not read the API key again after a 401', { error: (e as Error).message });
      return false;
    }
    if (fresh === apiKey) return false;
    apiKey = fresh;
    options.log.info('the API key changed in its secret or parameter since this invocation read it; sending the call again with the new key');
    return true;
  };

  const request = async <T>(method: Method, path: string, body?: unknown, requestOptions: RequestOptions = {}): Promise<T> => {
    const repeatable = requestOptions.repeatable ?? method !== 'POST';
    let previous: MackerelApiError | undefined;
    // Whether an earlier attempt may have been carried out: a later answer (a 429, a 503 with Retry-After) does not undo it.
    let unknownBefore = false;
    for (let n = 1; ; n++) {
      const outcome = await exchange(options, apiKey, timeLeft(), method, path, body, repeatable);
      if ('value' in outcome) return outcome.value as T;
      const { error, retry, retryAfterMs } = outcome;
      // A 401 was not carried out, so even a POST may be sent again.
      if (error.status === 401 && await keyRotated()) continue;
      // The time ran out while waiting to retry: the last answer is what went wrong.
      if (outcome.noTime && previous) throw gaveUp(previous, n - 1, 'no time left to retry', unknownBefore);
      if (retry === 'never') throw error;
      previous = error;
      unknownBefore ||= error.outcomeUnknown;
      if (retry === 'if-repeatable' && !repeatable) {
        throw new MackerelApiError(method, path, error.status, error.apiMessage, {
          ...bodyOf(error),
          outcomeUnknown: true,
          note: 'outcome unknown: Mackerel may have carried it out; not repeated, since a repeated POST could create a second object',
        });
      }
      if (n >= settings.maxAttempts) throw gaveUp(error, n, 'attempt limit reached', unknownBefore);
      const delayMs = retryDelay(n, error.status, retryAfterMs);
      if (!timeForAnotherAttempt(options.deadline, delayMs)) {
        throw gaveUp(error, n, retryAfterMs === undefined || retryAfterMs < delayMs ? 'no time left to retry' : `Retry-After ${Math.ceil(retryAfterMs / 1000)} s is beyond the time left`, unknownBefore);
      }
      options.log.warn('retrying Mackerel call', { method, path, status: error.status, error: error.apiMessage, attempt: n, delayMs });
      await sleep(delayMs);
    }
  };

  return { request, deadline: options.deadline };
}

/** The last answer of a call given up after `attempts`, saying why; its outcome unknown if any attempt's was (`unknown`). */
function gaveUp(last: MackerelApiError, attempts: number, why: string, unknown: boolean): MackerelApiError {
  return new MackerelApiError(last.method, last.path, last.status, last.apiMessage, {
    ...bodyOf(last), note: `gave up after ${attempts} attempt${attempts > 1 ? 's' : ''}: ${why}`, outcomeUnknown: unknown, cause: last.cause,
  });
}

/** What an error says of the body that answered, to carry into an error made from it. */
function bodyOf(error: MackerelApiError): { readonly mackerelBody?: boolean; readonly pageTitle?: string } {
  return { mackerelBody: error.mackerelBody, pageTitle: error.pageTitle };
}

/** One HTTP exchange: the parsed answer, or a failure saying whether to retry. */
async function exchange(
  options: ClientOptions, apiKey: string, timeLeftMs: number, method: Method, path: string, body: unknown, repeatable: boolean,
): Promise<{ value: unknown } | Failure> {
  const timeoutMs = Math.min(settings.requestTimeoutMs, timeLeftMs);
  // A call that must not be repeated is not started without time for its answer: cut short, it
  // would leave its outcome unknown (an orphaned object) rather than fail cleanly.
  if (timeoutMs <= 0 || (!repeatable && timeoutMs < settings.minAttemptMs)) {
    return { error: new MackerelApiError(method, path, undefined, NO_TIME_LEFT), retry: 'never', noTime: true };
  }
  const url = options.apiBase.replace(/\/+$/, '') + path;
  let request: Request;
  try {
    // Made here, not by fetch: a URL fetch refuses (one with a user name and password, or that does not
    // parse) is refused before anything is sent; inside fetch it would be a network error, a POST's
    // outcome unknown.
    request = new Request(url, {
      method,
      headers: {
        'X-Api-Key': apiKey,
        'Accept': 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    // Nothing was sent, and the same request would fail the same way (such as a key with a
    // character HTTP headers cannot carry): a final answer, not an unknown outcome.
    return { error: new MackerelApiError(method, path, undefined, `the request could not be made: ${(e as Error).message}`), retry: 'never' };
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(request, { signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (e) {
    const proxyStatus = tunnelRefused(e);
    if (proxyStatus !== undefined) {
      // Nothing reached Mackerel: the proxy's own answer, as one through a plain-HTTP proxy is. A refusal (a 407,
      // a 403) is final; a 408 or 429 says to come again later, as a 5xx says the proxy could not get through,
      // and sending again is safe even for a POST.
      const error = new MackerelApiError(method, path, proxyStatus, 'the proxy\'s answer to CONNECT; nothing reached Mackerel', { cause: e, mackerelBody: false });
      return { error, retry: proxyStatus >= 500 || proxyStatus === 408 || proxyStatus === 429 ? 'safe' : 'never' };
    }
    const refused = refusedArgument(e);
    if (refused !== undefined) {
      // Nothing was sent, and the same request is refused the same way: a final answer, as the Request above gives one.
      return { error: new MackerelApiError(method, path, undefined, `the request could not be made: ${refused}`), retry: 'never' };
    }
    const sent = !neverSent(e);
    // The network error is kept as the cause, for its code (ECONNREFUSED), which the CLI names.
    const error = new MackerelApiError(method, path, undefined, describeNetworkError(e, timeoutMs), { outcomeUnknown: sent, cause: e });
    return { error, retry: sent ? 'if-repeatable' : options.retryUnconnected === false || nameNotFound(e) ? 'never' : 'safe' };
  }
  if (response.ok) {
    // Mackerel answers every GET with JSON: an empty body is no answer to read (a list read from it
    // would say an object is gone, an object read from it that it exists without fields), so it fails
    // as a body that is not JSON does. A POST, PUT or DELETE answered without a body is taken as done.
    if (!text && method === 'GET') throw new MackerelApiError(method, path, response.status, EMPTY_GET_ANSWER);
    return { value: text ? parseJson(method, path, response.status, text) : undefined };
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const retry = retryOf(response.status, retryAfterMs);
  const { message, mackerelBody, pageTitle } = readErrorBody(text, response.statusText);
  const error = new MackerelApiError(method, path, response.status, message, { outcomeUnknown: retry === 'if-repeatable', mackerelBody, pageTitle });
  return { error, retry, retryAfterMs: retry === 'never' ? undefined : retryAfterMs };
}

/**
 * Which error answers may be sent again. Only two say that Mackerel turned the request away
 * without doing anything, so that even a POST may be sent again:
 * - 429: the rate limit refused the request before it was handled (RFC 6585 section 4; Mackerel
 *   documents it as "requests per minute exceeded").
 * - 503 with a valid Retry-After: Mackerel is in maintenance or overloaded and says when to come
 *   back (RFC 9110 sections 15.6.4 and 10.2.3); that answer is given instead of handling the
 *   request.
 * Any other 5xx leaves the outcome unknown: a 500 may come after part of the work was done, a
 * 502 or 504 from a proxy that had already forwarded the request, and a bare 503 from code that
 * failed midway. A 408 says the request was not received whole in time (RFC 9110 section 15.5.9),
 * which the same request may get past later; but a load balancer or proxy in front of Mackerel may say
 * it of a request it had already forwarded, so it is sent again only as a 5xx is: never a POST.
 * Other statuses (4xx) are final.
 */
export function retryOf(status: number, retryAfterMs: number | undefined): Retry {
  if (status === 429 || (status === 503 && retryAfterMs !== undefined)) return 'safe';
  return status >= 500 || status === 408 ? 'if-repeatable' : 'never';
}

/**
 * Network errors raised while connecting (no such host, connection refused or unreachable, or
 * the connection not made in time): the request never left, so nothing reached Mackerel. Any
 * other network error, and our own timeout (which cannot tell connecting from waiting for the
 * answer), may come after Mackerel got the request.
 */
const CONNECT_ERROR_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Whether a network error of fetch is one of those (the CLI says the API cannot be reached only
 * then), or fetch's refusal of a port the Fetch standard blocks (`bad port`, no code: as
 * http://[::1]:9/), which it gives before connecting.
 */
export function neverSent(e: unknown): boolean {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  return (typeof cause?.code === 'string' && CONNECT_ERROR_CODES.has(cause.code)) || cause?.message === 'bad port';
}

/**
 * Undici's refusal of a request it was handed, before sending anything (UND_ERR_INVALID_ARG): a
 * header value with a control character other than those Request itself refuses (NUL, CR, LF), as
 * a key pasted with one. Its words name the header, never the value.
 */
function refusedArgument(e: unknown): string | undefined {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  return cause?.code === 'UND_ERR_INVALID_ARG' ? String(cause.message) : undefined;
}

/**
 * The status a proxy answered fetch's CONNECT with, when it did not open the tunnel to an https API
 * (a 407 for its own credentials, a 403 of its rules, a 502 when it could not connect): nothing was
 * sent to Mackerel. Undici says it only in its error's message, of a code (UND_ERR_ABORTED) it shares
 * with any request aborted: both are asked for, the message whole as undici writes it.
 */
function tunnelRefused(e: unknown): number | undefined {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const said = cause?.code === 'UND_ERR_ABORTED' && /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/.exec(String(cause.message));
  return said ? Number(said[1]) : undefined;
}

/**
 * Whether a network error of fetch is DNS saying the host name does not exist (Node's ENOTFOUND, for
 * getaddrinfo's EAI_NONAME and EAI_NODATA), which the same name gets again soon: a misspelt API base,
 * or a resolver of the Lambda's network that does not answer for public names. EAI_AGAIN is DNS
 * failing for now (no answer, a server failure), which a later attempt may get past.
 */
function nameNotFound(e: unknown): boolean {
  return (e as { cause?: { code?: unknown } } | undefined)?.cause?.code === 'ENOTFOUND';
}

/**
 * The wait before attempt `n + 1`: the backoff step, made longer (never shorter) by a Retry-After.
 * When Mackerel asked us to slow down (a 429, or any Retry-After), the wait is at least the first
 * backoff step too, so that `Retry-After: 0`, a date already past (clock skew) or a jitter of
 * zero never sends the call again at once.
 */
export function retryDelay(n: number, status: number | undefined, retryAfterMs: number | undefined): number {
  const step = backoff(n);
  if (status !== 429 && retryAfterMs === undefined) return step;
  return Math.max(retryAfterMs ?? 0, step, settings.baseDelayMs);
}

/** Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^(n-1))]. */
export function backoff(attempt: number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(Math.random() * ceiling);
}

/** `Retry-After` as milliseconds from now: delta seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Mackerel's `{"error":{"message":...}}`, else the raw body, else the status text, else that
 * there was neither (HTTP lets a server leave its reason phrase empty). Secrets are
 * blanked before the text is cut: a secret crossing the cut would otherwise be left half-visible,
 * since `scrub` only recognises whole ones.
 */
export function errorMessage(body: string, statusText: string): string {
  return readErrorBody(body, statusText).message;
}

/** An error answer's body as `errorMessage` says it, whether it is Mackerel's JSON error, and the title of an HTML page. */
interface ErrorBody {
  readonly message: string;
  readonly mackerelBody: boolean;
  readonly pageTitle?: string;
}

function readErrorBody(body: string, statusText: string): ErrorBody {
  let raw = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; status?: unknown };
    // Spring Boot's and Rails's error JSON (a wrong API base) has an `error` too, with the status again
    // in `status`, which Mackerel's never has: taken as Mackerel's, its 404 would say an object is gone.
    const error = typeof parsed?.status === 'number' ? undefined : parsed?.error;
    if (typeof error === 'string' && error) return { message: cut(scrub(error), MAX_MESSAGE_IN_ERROR), mackerelBody: true };
    if (error && typeof error === 'object' && typeof error.message === 'string' && error.message) {
      return { message: cut(scrub(error.message), MAX_MESSAGE_IN_ERROR), mackerelBody: true };
    }
    // Written again as JSON.stringify writes it, whose escapes `scrub` knows: the body's own may
    // differ (`\u0026` for &, `\/` for /) and would hide a secret from it.
    raw = JSON.stringify(parsed);
    // Still Mackerel's shape when it says nothing (an empty or missing message), as the official client
    // reads it: told it came from something in between, the user would look for a proxy that is not there.
    if (typeof error === 'string' || isPlainObject(error)) {
      return { message: cut(scrub(raw), MAX_BODY_IN_MESSAGE), mackerelBody: true };
    }
  } catch {
    // not JSON: fall through to the raw body
  }
  const html = htmlPage(raw);
  if (html !== undefined) {
    const page = 'an HTML page rather than the API\'s JSON, as a proxy or load balancer answers';
    const pageTitle = html.title ? cut(scrub(html.title), MAX_TITLE_IN_ERROR) : undefined;
    return { message: html.text ? `${page}: ${cut(scrub(html.text), MAX_BODY_IN_MESSAGE)}` : `${page}, without text`, mackerelBody: false, pageTitle };
  }
  if (raw) return { message: cut(scrub(raw), MAX_BODY_IN_MESSAGE), mackerelBody: false };
  return { message: statusText || 'an empty body and no status text', mackerelBody: false };
}

/** An HTML page's title is cut to this length (characters) where advice names it. */
const MAX_TITLE_IN_ERROR = 100;

/** The five entities of XML, the space HTML pages use most, and the soft hyphen (dropped as `INVISIBLE`). */
const ENTITIES: { readonly [name: string]: string } = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', shy: '\u00ad' };

/**
 * The elements a browser shows apart from the text around them (a block, a line break, a cell):
 * their tags stand for a space. Any other tag (`<b>`, `<span>`, `<a>`, `<wbr>`) stands for nothing,
 * as on the screen: `sec<b>ret</b>` reads `secret`, and must read so for `scrub` to find a secret in it.
 * One text, split: esbuild writes an array literal of several lines into the bundle one element a line.
 */
const SPACED_ELEMENTS: ReadonlySet<string> = new Set((
  'address article aside blockquote body br caption center dd details dialog div dl dt '
  + 'fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hr html li '
  + 'main nav ol p pre section summary table tbody td tfoot th thead title tr ul'
).split(' '));

/** Characters a page uses to let a long word break, which no one sees: left in, they would hide a secret from `scrub`. */
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;

/**
 * The text a person reads in an HTML page (its title, then its body, on one line) and its title
 * alone (which names what answered a refused key), or undefined when `body` is no HTML page. A
 * proxy's or load balancer's error page said as its markup would
 * fill the reason with tags and line breaks, and a long head (styles, scripts) would push its
 * words past the cut altogether.
 *
 * Read in one pass, each search starting where the last one ended: the page may be of any size and
 * anyone's (a misconfigured API base), and a pattern such as `<[^>]*>` over one with many `<` and no
 * `>` takes time in the square of its length (seconds for 50 KB, the Lambda's whole time for more).
 */
function htmlPage(body: string): { readonly text: string; readonly title?: string } | undefined {
  if (!/^</.test(body) || !/<(?:!doctype\s+html|html|head|body|title)[\s>]/i.test(body)) return undefined;
  let title: string | undefined;
  let rest = '';
  let at = 0;
  while (at < body.length) {
    const open = body.indexOf('<', at);
    if (open < 0) {
      rest += body.slice(at);
      break;
    }
    rest += body.slice(at, open);
    if (body.startsWith('<!--', open)) {
      // An unclosed comment runs to the end of the page, as in a browser.
      const close = body.indexOf('-->', open + 4);
      rest += ' ';
      at = close < 0 ? body.length : close + 3;
      continue;
    }
    const name = /^<\/?([a-z][a-z0-9]*)|^<[!?/]/i.exec(body.slice(open, open + 64));
    if (!name) {
      // A `<` that opens no tag (`1 < 2`) is text.
      rest += '<';
      at = open + 1;
      continue;
    }
    const close = body.indexOf('>', open);
    // An unclosed tag at the end of the page shows nothing.
    if (close < 0) break;
    at = close + 1;
    const element = name[1]?.toLowerCase();
    rest += element !== undefined && SPACED_ELEMENTS.has(element) ? ' ' : '';
    if (body[open + 1] === '/' || (element !== 'script' && element !== 'style' && element !== 'title')) continue;
    // Their content is no markup: it runs to their end tag (or the end of the page).
    const end = new RegExp(`</${element}\\s*>`, 'gi');
    end.lastIndex = at;
    const ended = end.exec(body);
    const content = body.slice(at, ended ? ended.index : body.length);
    at = ended ? ended.index + ended[0].length : body.length;
    if (element === 'title') {
      if (title === undefined) title = content;
      else rest += ` ${content} `;
    } else {
      rest += ' ';
    }
  }
  const text = (html: string) => html
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, entityName: string) => {
      const code = entityName[0] !== '#' ? undefined : entityName[1] === 'x' || entityName[1] === 'X' ? parseInt(entityName.slice(2), 16) : Number(entityName.slice(1));
      if (code === undefined) return ENTITIES[entityName.toLowerCase()] ?? entity;
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    })
    .replace(INVISIBLE, '')
    .replace(/\s+/g, ' ')
    .trim();
  const heading = title === undefined ? '' : text(title);
  const words = text(rest);
  // A page's heading most often repeats its title.
  return {
    text: !heading || words.startsWith(heading) ? words || heading : words ? `${heading}: ${words}` : heading,
    title: heading || undefined,
  };
}

/** The first `max` characters (code points, never half of a surrogate pair), with "..." when cut. */
function cut(text: string, max: number): string {
  const characters = [...text];
  return characters.length > max ? `${characters.slice(0, max).join('')}...` : text;
}

function parseJson(method: Method, path: string, status: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const html = htmlPage(text.trim())?.text;
    throw new MackerelApiError(method, path, status, html === undefined ? `the response is not JSON: ${cut(scrub(text), 100)}`
      : `the response is an HTML page, not JSON${html ? `: ${cut(scrub(html), 100)}` : ''}`);
  }
}

function describeNetworkError(e: unknown, timeoutMs: number): string {
  const error = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError') return `no response within ${timeoutMs} ms`;
  // Node's message names the host or address (getaddrinfo ENOTFOUND api.mackerelio.com, connect ECONNREFUSED
  // 10.0.0.1:443), which says what to check (the API base, the Lambda's DNS or route out); the code alone does not.
  const code = error?.cause?.code;
  const said = error?.cause?.message;
  const cause = said ? (code && !said.includes(code) ? `${said} (${code})` : said) : code;
  return cause ? `${error.message ?? 'network error'}: ${cause}` : (error?.message ?? String(e));
}
