import { Logger, scrub } from './log';
import { settings, sleep } from './settings';

/** The HTTP methods the handler uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * A call to Mackerel that failed. `status` is the HTTP status, or undefined when no response
 * came (network error, timeout). `apiMessage` is Mackerel's own `error.message`, or the raw
 * body, or the status text.
 */
export class MackerelApiError extends Error {
  constructor(
    public readonly method: Method,
    public readonly path: string,
    public readonly status: number | undefined,
    public readonly apiMessage: string,
    note?: string,
  ) {
    super(scrub(`${method} ${path}: ${status === undefined ? 'no response' : `HTTP ${status}`}: ${apiMessage}${note ? ` (${note})` : ''}`));
    this.name = 'MackerelApiError';
  }
}

/** True when `error` is Mackerel saying the object does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof MackerelApiError && error.status === 404;
}

export interface ClientOptions {
  /** The API base, such as `https://api.mackerelio.com/`. */
  readonly apiBase: string;
  readonly apiKey: string;
  /** Epoch milliseconds by which the handler must have returned (the Lambda's deadline). */
  readonly deadline: number;
  readonly log: Logger;
}

/** One small Mackerel API client: JSON in and out, retries within the deadline. */
export interface MackerelClient {
  /** Epoch milliseconds by which the handler must have returned. */
  readonly deadline: number;
  request<T = unknown>(method: Method, path: string, body?: unknown): Promise<T>;
}

/** A failed attempt: the error, and whether and when to try again. */
interface Failure {
  readonly error: MackerelApiError;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
}

/** Raw error bodies are cut to this length in messages. */
const MAX_BODY_IN_MESSAGE = 500;

export function createClient(options: ClientOptions): MackerelClient {
  const timeLeft = () => options.deadline - settings.safetyMarginMs - Date.now();

  const request = async <T>(method: Method, path: string, body?: unknown): Promise<T> => {
    for (let n = 1; ; n++) {
      const outcome = await exchange(options, timeLeft(), method, path, body);
      if ('value' in outcome) return outcome.value as T;
      const { error, retryable, retryAfterMs } = outcome;
      if (!retryable) throw error;
      const delayMs = retryAfterMs ?? backoff(n);
      if (delayMs + settings.minAttemptMs > timeLeft()) {
        const why = retryAfterMs === undefined ? 'no time left to retry' : `Retry-After ${Math.ceil(retryAfterMs / 1000)} s is beyond the time left`;
        throw new MackerelApiError(method, path, error.status, error.apiMessage, `gave up after ${n} attempt${n > 1 ? 's' : ''}: ${why}`);
      }
      options.log.warn('retrying Mackerel call', { method, path, status: error.status, error: error.apiMessage, attempt: n, delayMs });
      await sleep(delayMs);
    }
  };

  return { request, deadline: options.deadline };
}

/** One HTTP exchange: the parsed answer, or a failure saying whether to retry. */
async function exchange(
  options: ClientOptions, timeLeftMs: number, method: Method, path: string, body: unknown,
): Promise<{ value: unknown } | Failure> {
  const timeoutMs = Math.min(settings.requestTimeoutMs, timeLeftMs);
  if (timeoutMs <= 0) {
    return { error: new MackerelApiError(method, path, undefined, 'no time left before the invocation times out (the Lambda\'s remaining time; --timeout for cdk-mackerel)'), retryable: false };
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(options.apiBase.replace(/\/+$/, '') + path, {
      method,
      headers: {
        'X-Api-Key': options.apiKey,
        'Accept': 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (e) {
    return { error: new MackerelApiError(method, path, undefined, describeNetworkError(e, timeoutMs)), retryable: true };
  }
  if (response.ok) {
    return { value: text ? parseJson(method, path, response.status, text) : undefined };
  }
  const error = new MackerelApiError(method, path, response.status, errorMessage(text, response.statusText));
  const retryable = response.status === 429 || response.status >= 500;
  return { error, retryable, retryAfterMs: retryable ? parseRetryAfter(response.headers.get('retry-after')) : undefined };
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

/** Mackerel's `{"error":{"message":...}}`, else the raw body, else the status text. */
export function errorMessage(body: string, statusText: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string };
    const error = parsed?.error;
    if (typeof error === 'string' && error) return error;
    if (error && typeof error === 'object' && typeof error.message === 'string' && error.message) return error.message;
  } catch {
    // not JSON: fall through to the raw body
  }
  const raw = body.trim();
  if (raw) return raw.length > MAX_BODY_IN_MESSAGE ? `${raw.slice(0, MAX_BODY_IN_MESSAGE)}...` : raw;
  return statusText || 'no message';
}

function parseJson(method: Method, path: string, status: number, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MackerelApiError(method, path, status, `the response is not JSON: ${text.slice(0, 100)}`);
  }
}

function describeNetworkError(e: unknown, timeoutMs: number): string {
  const error = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError') return `no response within ${timeoutMs} ms`;
  const cause = error?.cause?.code ?? error?.cause?.message;
  return cause ? `${error.message ?? 'network error'} (${cause})` : (error?.message ?? String(e));
}
