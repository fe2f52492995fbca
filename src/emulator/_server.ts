import { IncomingMessage, ServerResponse } from 'node:http';
import { Fault, FaultQueue } from './_faults';
import { ApiError, Call, errorBody, findRoute, parseJson, readBody, Reply, Route, sendJson } from './_http';
import { emptyState, EmulatorState, Store } from './_state';

/** One API call as recorded (never the key). */
export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body?: unknown;
}

export interface ServerConfig {
  readonly apiKeys: { [key: string]: 'read' | 'write' };
  readonly routes: (store: Store) => Route[];
  /** What it holds when it starts. @default - empty */
  readonly state?: EmulatorState;
}

/** Without a prototype, so that a parameter named `__proto__` or `toString` is only a parameter. */
function queryOf(search: URLSearchParams): Call['query'] {
  const query: { [name: string]: string } = Object.create(null);
  for (const [name, value] of search) if (!Object.hasOwn(query, name)) query[name] = value;
  return query;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The emulator's request handling: faults, authentication, routing, recording, control routes. */
export class EmulatorServer {
  public readonly store: Store;
  public readonly faults = new FaultQueue();
  public recorded: Recorded[] = [];
  private readonly routes: Route[];

  constructor(private readonly config: ServerConfig) {
    this.store = { state: config.state ? structuredClone(config.state) : emptyState() };
    this.routes = config.routes(this.store);
  }

  reset(): void {
    this.store.state = emptyState();
    this.faults.clear();
    this.recorded = [];
  }

  snapshot(): EmulatorState {
    return structuredClone(this.store.state);
  }

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const { text, bytes } = await readBody(request);
    if (path.startsWith('/_emulator/')) return this.control(method, path, text, response);
    if (!path.startsWith('/api/')) return sendJson(response, 404, errorBody(`no API at ${path}`));

    // The Content-Type is not checked: the docs say POST and PUT bodies "should be in JSON
    // (application/json)" but give no status for another type, and no report of the real API's
    // answer is known, so a JSON body is read whatever type it is sent as.
    let body: unknown = text === '' ? undefined : text;
    let status = 200;
    let result: unknown;
    let headers: { [name: string]: string } = {};
    const fault = this.faults.take(method, path);
    if (fault?.delayMs) await wait(fault.delayMs);
    try {
      if (fault?.status !== undefined) {
        status = fault.status;
        result = fault.body ?? errorBody(`injected fault: HTTP ${fault.status}`);
        headers = fault.headers ?? {};
        body = parseJson(text);
      } else {
        headers = fault?.headers ?? {};
        body = parseJson(text);
        result = this.call(method, path, queryOf(url.searchParams), request.headers['x-api-key'], body, bytes);
        if (result instanceof Reply) {
          headers = { ...headers, ...result.headers };
          result = result.body;
        }
      }
    } catch (error) {
      status = error instanceof ApiError ? error.status : 500;
      result = errorBody(error instanceof Error ? error.message : String(error));
      if (error instanceof ApiError) headers = { ...headers, ...error.headers };
    }
    this.recorded.push(structuredClone({ method, path, status, ...(body === undefined ? {} : { body }) }));
    if (fault?.dropResponse) {
      response.socket?.destroy();
      return;
    }
    sendJson(response, status, result, headers);
  }

  /** Authentication, then routing, then permission, then the route itself. */
  private call(method: string, path: string, query: Call['query'], key: string | string[] | undefined, body: unknown, bytes: number): unknown {
    const permission = typeof key === 'string' && Object.hasOwn(this.config.apiKeys, key) ? this.config.apiKeys[key] : undefined;
    if (permission === undefined) throw new ApiError(401, key === undefined ? 'API key is required' : 'invalid API key');
    const { route, params } = findRoute(this.routes, method, path);
    if (route.write && permission !== 'write') {
      // The AWS integration pages document a 401 for a key without write permission; the others a 403.
      throw new ApiError(path.startsWith('/api/v0/aws-integrations') ? 401 : 403, 'permission denied: this API key is read-only');
    }
    return route.handle({ method, params, query, body, bytes });
  }

  private control(method: string, path: string, text: string, response: ServerResponse): void {
    try {
      const key = `${method} ${path}`;
      if (key === 'GET /_emulator/state') return sendJson(response, 200, this.snapshot());
      if (key === 'GET /_emulator/requests') return sendJson(response, 200, this.recorded);
      if (key === 'POST /_emulator/faults') {
        this.faults.add(parseJson(text) as Fault);
        return sendJson(response, 200, { success: true });
      }
      if (key === 'DELETE /_emulator/faults') {
        this.faults.clear();
        return sendJson(response, 200, { success: true });
      }
      if (key === 'POST /_emulator/reset') {
        this.reset();
        return sendJson(response, 200, { success: true });
      }
      sendJson(response, 404, errorBody(`no control route ${key}`));
    } catch (error) {
      sendJson(response, error instanceof ApiError ? error.status : 500, errorBody(error instanceof Error ? error.message : String(error)));
    }
  }
}
