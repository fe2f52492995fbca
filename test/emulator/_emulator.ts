import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { DEFAULT_EMULATOR_READ_KEY, MackerelEmulator, startEmulator } from '../../src/emulator';

export interface Reply {
  readonly status: number;
  readonly body: any;
  readonly headers: Headers;
}

/** One emulator per test file, emptied before each test. */
export function useEmulator() {
  const holder: { emulator?: MackerelEmulator } = {};
  beforeAll(async () => {
    holder.emulator = await startEmulator({ port: 0 });
  });
  afterAll(async () => holder.emulator?.close());
  beforeEach(() => holder.emulator!.reset());

  /** Calls the API with the write key (or the given key; `null` sends none). */
  async function call(method: string, path: string, body?: unknown, key: string | null = holder.emulator!.apiKey): Promise<Reply> {
    const headers: { [name: string]: string } = {};
    if (key !== null) headers['X-Api-Key'] = key;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(new URL(path.replace(/^\//, ''), holder.emulator!.url), {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  return {
    get emulator(): MackerelEmulator {
      return holder.emulator!;
    },
    call,
    read: (method: string, path: string, body?: unknown) => call(method, path, body, DEFAULT_EMULATOR_READ_KEY),
  };
}

/** The reply is a Mackerel error: this status, `{"error":{"message"}}` matching `message`. */
export function expectError(reply: Reply, status: number, message: RegExp): void {
  expect({ status: reply.status, body: reply.body }).toEqual({ status, body: { error: { message: expect.stringMatching(message) } } });
}

/** The reply succeeded; returns its body. */
export function ok(reply: Reply): any {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}
