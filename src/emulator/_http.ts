import { IncomingMessage, ServerResponse } from 'node:http';

/** A request the API rejects: Mackerel answers `{"error":{"message":"..."}}` with this status. */
export class ApiError extends Error {
  /** `headers`: response headers the status calls for, such as a 405's Allow. */
  constructor(public readonly status: number, message: string, public readonly headers: { [name: string]: string } = {}) {
    super(message);
  }
}

/** Shorthand for the most common rejection. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, message);
}

export function notFound(message: string): ApiError {
  return new ApiError(404, message);
}

/** Only the dashboard pages document it (an URL path already taken); elsewhere a clash is a 400. */
export function conflict(message: string): ApiError {
  return new ApiError(409, message);
}

/** A JSON object as the API exchanges it. */
export type Json = { [key: string]: unknown };

/** What a route handler sees of one call. */
export interface Call {
  readonly method: string;
  readonly params: { [name: string]: string };
  /** The query string's parameters; a parameter given twice counts with its first value. */
  readonly query: { [name: string]: string };
  readonly body: unknown;
  /** Size of the raw request body in bytes. */
  readonly bytes: number;
}

/** A route's answer with response headers besides the JSON body (a route otherwise returns the body alone). */
export class Reply {
  constructor(public readonly body: unknown, public readonly headers: { [name: string]: string }) {}
}

export type Handler = (call: Call) => unknown;

/** One API route. `write` routes need a Read+Write key. */
export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly write: boolean;
  readonly handle: Handler;
}

/**
 * Builds a route from a path such as `/services/:service/roles`; each `:name` matches one
 * URL-decoded path segment.
 */
export function route(method: string, path: string, handle: Handler): Route {
  const source = path.replace(/:([a-zA-Z]+)/g, (_m, name: string) => `(?<${name}>[^/]+)`);
  return { method, pattern: new RegExp(`^/api/v0${source}$`), write: method !== 'GET', handle };
}

/**
 * The route for a call, or an error: 404 for an unknown path, 405 for a known path with another
 * method, with the Allow header RFC 9110 requires of a 405 (the methods the path takes).
 */
export function findRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: { [name: string]: string } } {
  const allowed: string[] = [];
  for (const candidate of routes) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    if (candidate.method !== method) {
      if (!allowed.includes(candidate.method)) allowed.push(candidate.method);
      continue;
    }
    const params: { [name: string]: string } = {};
    for (const [name, value] of Object.entries(match.groups ?? {})) params[name] = decodePathPart(value);
    return { route: candidate, params };
  }
  if (allowed.length === 0) throw notFound(`no API at ${path}`);
  throw new ApiError(405, `method ${method} is not allowed on ${path}`, { Allow: allowed.sort().join(', ') });
}

/** A percent-encoded path segment; a malformed escape is the client's error (400), not the server's. */
function decodePathPart(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new ApiError(400, `the path segment ${JSON.stringify(value)} is not valid percent-encoding`);
  }
}

/** Reads the whole body as text, and the size in bytes. */
export function readBody(request: IncomingMessage): Promise<{ text: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const buffer = Buffer.concat(chunks);
      resolve({ text: buffer.toString('utf8'), bytes: buffer.length });
    });
    request.on('error', reject);
  });
}

/** Parses a request body; malformed JSON is a 400 as in Mackerel. An empty body is `undefined`. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('invalid JSON in the request body');
  }
}

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: { [name: string]: string } = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

export function errorBody(message: string): Json {
  return { error: { message } };
}
