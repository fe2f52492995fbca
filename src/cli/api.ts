/**
 * The read-only Mackerel API access of diff and of the pre-flight check of apply: GET only,
 * retried as the handler retries, errors as one line that never contains the key.
 */
import { _CliError } from './errors';
import { createClient, EMPTY_GET_ANSWER, isNotFound, MackerelApiError, neverSent, refusedOnTheWay } from '../provider/handler/client';
import { _logLineKeep, _maskSpans, _secretMasks, createLogger, Logger } from '../provider/handler/log';
import { settings } from '../provider/handler/settings';

/**
 * GETs a Mackerel API path; undefined for Mackerel's 404 (only: a success without a body is an error, and so is
 * a 404 without Mackerel's JSON error, which something else answered: `isNotFound`). @internal
 */
export type _Get = (path: string) => Promise<unknown | undefined>;

/** Settings of the client. @internal */
export interface _ApiOptions {
  readonly apiBase: string;
  readonly apiKey: string;
  /**
   * The time each GET gets, retries included, as each operation of apply gets --timeout.
   * @default 300000
   */
  readonly timeoutMs?: number;
  /**
   * Where each retry of a GET is said, one line each: the handler's log line for a retry of its
   * calls (what was sent, the status or error, the attempt and the wait), as `--verbose` prints
   * apply's operations' own. Unset: retries are not said; the command's error says how many
   * attempts a failed read took.
   * @default - not logged
   */
  readonly log?: (line: string) => void;
}

/**
 * Blanks each of `secrets` in a text, in every form it may take, as the handler does
 * (`_secretMasks`): as it is, URL-encoded, JSON-escaped as any JSON writer does, and once more in
 * a --verbose log line; one under six characters only where it stands quoted whole, as blanking
 * a very short one everywhere would garble every message (an "x" key turned a URL into
 * http://none****istent.invalid/). The forms are built and sorted once, here, not again for each
 * line printed (a diff prints one per object, and the secrets may hold every channel URL).
 * @internal
 */
export function _scrubber(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Map(secrets.flatMap((secret) => _secretMasks(secret)))].sort(([a], [b]) => b.length - a.length);
  // A --verbose line is the handler's log line, JSON, blanked as the handler blanks its own: a form
  // met across its quotes or escapes would leave it no JSON, and a short value blank a field's name.
  return (text) => _maskSpans(text, forms, jsonObject(text) ? _logLineKeep(text) : undefined);
}

function jsonObject(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const QUIET: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined, with: () => QUIET };

/**
 * A GET client. Each GET goes through the handler's client, which sends it again after a 5xx, a
 * 429 or a lost connection, with backoff, within `timeoutMs` from when the GET starts; a 401,
 * 403, 404 or other 4xx is final. @internal
 */
export function _createGet(options: _ApiOptions): _Get {
  const base = options.apiBase.endsWith('/') ? options.apiBase : `${options.apiBase}/`;
  const timeoutMs = options.timeoutMs ?? 300_000;
  // The handler's own lines, scrubbed as its log is (any secret it learnt in this process) and of the key,
  // which the handler learns only when it runs: a diff never runs it.
  const write = options.log;
  const scrubKey = _scrubber([options.apiKey]);
  const log = write ? createLogger({}, (_level, line) => write(scrubKey(line))) : QUIET;
  return async (path) => {
    const url = new URL(path.replace(/^\//, ''), base);
    // The client keeps the handler's margin for reporting to CloudFormation: here the whole
    // timeout is for the GET, so the margin comes on top (as for the CLI's operations, invoke.ts).
    const deadline = Math.floor(Date.now() + timeoutMs + settings.safetyMarginMs);
    const client = createClient({ apiBase: base, apiKey: options.apiKey, deadline, log, retryUnconnected: false });
    let value: unknown;
    try {
      value = await client.request('GET', `/${path.replace(/^\//, '')}`);
    } catch (e) {
      if (!(e instanceof MackerelApiError)) throw e;
      // Only Mackerel's own 404: another (a proxy's page, a wrong --api-base) would say an object is gone that may be there.
      if (isNotFound(e)) return undefined;
      throw new _CliError(scrubKey(describe(e, base, url.pathname)));
    }
    // A success with an empty body is the client's error (EMPTY_GET_ANSWER), not undefined, which
    // here means Mackerel's 404: an object gone (diff's `? gone`, a re-create).
    return value;
  };
}

/** What to check when something between this machine and Mackerel refused a call (`refusedOnTheWay`). @internal */
export const _CHECK_THE_WAY = 'check --api-base and the way this machine reaches the Internet (its network\'s proxy or firewall)';

/** The command's one line for a GET that failed, as before the client retried (with its note of attempts). */
function describe(error: MackerelApiError, base: string, path: string): string {
  const { status, apiMessage, note } = error;
  const detail = `: ${apiMessage}${note ? ` (${note})` : ''}`;
  if (status === undefined) {
    // Only a connection never opened says the API is not there: a request sent and then cut off or
    // not answered in time (--timeout) reached it, and starting an emulator is no advice for that.
    if (!(error.cause instanceof Error) || !neverSent(error.cause)) return `GET ${path} failed${detail}`;
    const cause = (error.cause as { cause?: NetworkCause }).cause;
    const host = failedHost(cause);
    // Not --api-base's host: fetch went through a proxy (HTTPS_PROXY under NODE_USE_ENV_PROXY), whose name the user must see.
    const other = typeof cause?.hostname === 'string' && cause.hostname !== new URL(base).hostname ? ', not --api-base\'s host: a proxy\'s?' : '';
    const why = cause?.code ? `${cause.code}${host ? ` ${host}${other}` : ''}` : cause?.message ?? apiMessage;
    return `cannot reach the Mackerel API at ${base} (${why}${note ? `; ${note}` : ''}); start one with \`cdk-mackerel emulator\`, pass --emulator, or check --api-base`;
  }
  if (status >= 200 && status < 300) {
    const what = apiMessage === EMPTY_GET_ANSWER ? 'an empty body, not JSON' : 'something that is not JSON';
    return `GET ${path} returned ${what}; is ${base} a Mackerel API?`;
  }
  // A proxy's or firewall's page is no verdict on the key: sent to MACKEREL_APIKEY, the user would change a key that works.
  const onTheWay = refusedOnTheWay(error, 'this machine', new URL(base).host);
  if (onTheWay) return `GET ${path} failed: HTTP ${status}${detail}; ${onTheWay}: ${_CHECK_THE_WAY}`;
  if (status === 401 || status === 403) return `the Mackerel API at ${base} rejected the API key (HTTP ${status}${detail}); check MACKEREL_APIKEY`;
  return `GET ${path} failed: HTTP ${status}${detail}`;
}

/** What Node's network errors say of where a connection failed (its DNS name, or the address and port it tried). */
interface NetworkCause {
  readonly code?: string;
  readonly message?: string;
  readonly hostname?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
}

/**
 * The host a connection could not be opened to, as the network error names it: the name DNS did not
 * resolve (ENOTFOUND, EAI_AGAIN), the address and port that refused or was unreachable, or the address
 * undici's connect timeout says it tried. Only a host and port: neither a URL's user name and password
 * nor the key can be in them.
 */
function failedHost(cause: NetworkCause | undefined): string | undefined {
  if (typeof cause?.hostname === 'string' && cause.hostname) return cause.hostname;
  if (typeof cause?.address === 'string' && cause.address) {
    const address = cause.address.includes(':') ? `[${cause.address}]` : cause.address;
    return typeof cause.port === 'number' ? `${address}:${cause.port}` : address;
  }
  // `attempted address: host:port, timeout: ...`, or `attempted addresses: a, b, ...` after trying each of the name's addresses.
  return /attempted address(?:es)?: ([^\s,)]+)/.exec(cause?.message ?? '')?.[1];
}

/**
 * Checks that the API answers and takes the key: GET /api/v0/org. Returns the organization's name,
 * which the state records: an answer without one (not a Mackerel API) is refused, as a name
 * recorded as "" would refuse the state with every real key, and one not a string would damage it.
 * @internal
 */
export async function _preflight(get: _Get): Promise<string> {
  const org = await get('/api/v0/org');
  if (org === undefined) throw new _CliError('GET /api/v0/org answered 404; is --api-base a Mackerel API?');
  const name = (org as { name?: unknown } | null)?.name;
  if (typeof name !== 'string' || name === '') throw new _CliError('GET /api/v0/org answered no organization name; is --api-base a Mackerel API?');
  return name;
}
