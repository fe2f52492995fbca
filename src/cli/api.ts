/**
 * A small read-only Mackerel API client for diff and for the pre-flight check of apply:
 * GET only, one timeout, errors as one line that never contains the key.
 */
import { _CliError } from './errors';
import { _MASKED } from '../_text';

/** GETs a Mackerel API path; undefined for 404. @internal */
export type _Get = (path: string) => Promise<unknown | undefined>;

/** Settings of the client. @internal */
export interface _ApiOptions {
  readonly apiBase: string;
  readonly apiKey: string;
  /** @default 15000 */
  readonly timeoutMs?: number;
}

/** Keys shorter than this are not scrubbed. */
const MIN_KEY_LENGTH = 6;

/** Removes the key from a text, in the forms it may take. @internal */
export function _scrubKey(text: string, apiKey: string): string {
  // As in the handler: a real key is 44 characters, and blanking a very short one everywhere
  // would garble every message (an "x" key turned a URL into http://none****istent.invalid/).
  if (apiKey.length < MIN_KEY_LENGTH) return text;
  let out = text;
  for (const form of [apiKey, encodeURIComponent(apiKey), JSON.stringify(apiKey).slice(1, -1)]) out = out.split(form).join(_MASKED);
  return out;
}

/** A GET client. @internal */
export function _createGet(options: _ApiOptions): _Get {
  const base = options.apiBase.endsWith('/') ? options.apiBase : `${options.apiBase}/`;
  return async (path) => {
    const url = new URL(path.replace(/^\//, ''), base);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { 'X-Api-Key': options.apiKey, 'Accept': 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs ?? 15000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new _CliError(_scrubKey(`cannot reach the Mackerel API at ${base} (${why}); start one with \`cdk-mackerel emulator\`, pass --emulator, or check --api-base`, options.apiKey));
    }
    const text = await response.text();
    if (response.status === 404) return undefined;
    if (response.status === 401 || response.status === 403) {
      throw new _CliError(`the Mackerel API at ${base} rejected the API key (HTTP ${response.status}${errorMessage(text, options.apiKey)}); check MACKEREL_APIKEY`);
    }
    if (!response.ok) throw new _CliError(_scrubKey(`GET ${url.pathname} failed: HTTP ${response.status}${errorMessage(text, options.apiKey)}`, options.apiKey));
    try {
      return JSON.parse(text);
    } catch {
      throw new _CliError(`GET ${url.pathname} returned something that is not JSON; is ${base} a Mackerel API?`);
    }
  };
}

function errorMessage(text: string, apiKey: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } | string };
    const message = typeof body.error === 'string' ? body.error : body.error?.message;
    return message ? `: ${_scrubKey(message, apiKey)}` : '';
  } catch {
    return '';
  }
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
