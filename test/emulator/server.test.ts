import { spawn } from 'node:child_process';
import { describe, expect, onTestFinished, test, vi } from 'vitest';
import { expectError, ok, useEmulator } from './_emulator';
import { DEFAULT_EMULATOR_API_KEY, DEFAULT_EMULATOR_READ_KEY, startEmulator } from '../../src/emulator';

const env = useEmulator();

describe('transport', () => {
  test('the URL is a base with a trailing slash and the key is the default write key', () => {
    expect(env.emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(env.emulator.apiKey).toBe(DEFAULT_EMULATOR_API_KEY);
  });

  test('GET /org returns the org name', async () => {
    expect(ok(await env.call('GET', '/api/v0/org'))).toEqual({ name: 'emulator', displayName: 'emulator' });
  });

  test('an unknown API route is a 404 with the error body', async () => {
    expectError(await env.call('GET', '/api/v0/nothing-here'), 404, /no API at \/api\/v0\/nothing-here/);
  });

  test('a known route with another method is a 405 whose Allow header lists the methods it takes (RFC 9110)', async () => {
    const reply = await env.call('PATCH', '/api/v0/monitors');
    expectError(reply, 405, /method PATCH is not allowed/);
    expect(reply.headers.get('allow')).toBe('GET, POST');
    expect((await env.call('PUT', '/api/v0/services/shop')).headers.get('allow')).toBe('DELETE');
  });

  test('malformed JSON is a 400', async () => {
    expectError(await env.call('POST', '/api/v0/services', '{"name": '), 400, /invalid JSON/);
  });

  test('a JSON body sent with another Content-Type is read as JSON (the docs give no status for it)', async () => {
    const response = await fetch(new URL('api/v0/services', env.emulator.url), {
      method: 'POST', headers: { 'X-Api-Key': env.emulator.apiKey, 'Content-Type': 'text/plain' }, body: JSON.stringify({ name: 'shop' }),
    });
    expect(response.status).toBe(200);
    expect(env.emulator.state().services.map((s) => s.name)).toEqual(['shop']);
  });

  test('a body that is not an object is a 400', async () => {
    expectError(await env.call('POST', '/api/v0/services', ['shop']), 400, /must be a JSON object/);
  });
});

describe('authentication', () => {
  test('a call without a key is a 401', async () => {
    expectError(await env.call('GET', '/api/v0/org', undefined, null), 401, /API key is required/);
  });

  test('an unknown key is a 401', async () => {
    expectError(await env.call('GET', '/api/v0/org', undefined, 'not-a-key'), 401, /invalid API key/);
  });

  test('a key named like an object property is unknown too', async () => {
    expectError(await env.call('GET', '/api/v0/org', undefined, 'toString'), 401, /invalid API key/);
  });

  test('a read key reads', async () => {
    expect(ok(await env.read('GET', '/api/v0/services'))).toEqual({ services: [] });
  });

  test('a read key on a write endpoint is a 403 and changes nothing', async () => {
    expectError(await env.read('POST', '/api/v0/services', { name: 'shop' }), 403, /read-only/);
    expect(env.emulator.state().services).toEqual([]);
  });

  test('a malformed percent-escape in the path is a 400, not a server error', async () => {
    expectError(await env.call('GET', '/api/v0/services/%E0%A4%A/roles'), 400, /not valid percent-encoding/);
  });

  test('custom keys replace the defaults', async () => {
    const other = await startEmulator({ apiKeys: { mine: 'write' }, orgName: 'acme' });
    try {
      expect(other.apiKey).toBe('mine');
      const response = await fetch(`${other.url}api/v0/org`, { headers: { 'X-Api-Key': DEFAULT_EMULATOR_API_KEY } });
      expect(response.status).toBe(401);
      const org = await fetch(`${other.url}api/v0/org`, { headers: { 'X-Api-Key': 'mine' } });
      expect(await org.json()).toEqual({ name: 'acme', displayName: 'acme' });
    } finally {
      await other.close();
    }
  });
});

describe('recorded requests', () => {
  test('every API call is recorded in order with its status and parsed body, never the key', async () => {
    await env.call('POST', '/api/v0/services', { name: 'shop' });
    await env.call('GET', '/api/v0/services', undefined, null);
    expect(env.emulator.requests()).toEqual([
      { method: 'POST', path: '/api/v0/services', status: 200, body: { name: 'shop' } },
      { method: 'GET', path: '/api/v0/services', status: 401 },
    ]);
    expect(JSON.stringify(env.emulator.requests())).not.toContain(DEFAULT_EMULATOR_API_KEY);
  });
});

describe('faults', () => {
  test('a status fault answers the next N matching calls, then normal handling resumes', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/services', status: 503, times: 2 });
    expectError(await env.call('POST', '/api/v0/services', { name: 'shop' }), 503, /injected fault: HTTP 503/);
    expectError(await env.call('POST', '/api/v0/services', { name: 'shop' }), 503, /injected fault/);
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    expect(env.emulator.requests().map((r) => r.status)).toEqual([503, 503, 200]);
  });

  test('a fault carries its own body and headers (Retry-After)', async () => {
    env.emulator.injectFault({ path: '/api/v0/org', status: 429, body: { error: { message: 'slow down' } }, headers: { 'Retry-After': '2' } });
    const reply = await env.call('GET', '/api/v0/org');
    expectError(reply, 429, /^slow down$/);
    expect(reply.headers.get('retry-after')).toBe('2');
  });

  test('a fault only matches its method', async () => {
    env.emulator.injectFault({ method: 'DELETE', path: '/api/v0/services', status: 500 });
    ok(await env.call('GET', '/api/v0/services'));
  });

  test('a path ending in * matches every path with that prefix', async () => {
    env.emulator.injectFault({ path: '/api/v0/monitors/*', status: 500 });
    ok(await env.call('GET', '/api/v0/monitors'));
    expectError(await env.call('GET', '/api/v0/monitors/abc'), 500, /injected fault/);
  });

  test('a delay-only fault delays, then handles the call normally', async () => {
    // GIVEN the emulator's timers of 200 ms are held until the test lets them fire
    const held: Array<() => void> = [];
    const realSetTimeout = globalThis.setTimeout;
    const timers = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      if (ms !== 200) return realSetTimeout(callback, ms);
      held.push(callback);
      return realSetTimeout(() => {}, 0);
    }) as typeof setTimeout);
    onTestFinished(() => timers.mockRestore());
    env.emulator.injectFault({ path: '/api/v0/org', delayMs: 200 });

    // WHEN a call is made
    let answered = false;
    const answer = env.call('GET', '/api/v0/org').finally(() => { answered = true; });

    // THEN the emulator asked to wait 200 ms, and answers only once that wait is over, normally
    await vi.waitFor(() => expect(held).toHaveLength(1), { timeout: 5_000, interval: 10 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toBe(false);
    held[0]();
    ok(await answer);
  }, 20_000);

  test('clearFaults drops pending faults', async () => {
    env.emulator.injectFault({ path: '/api/v0/org', status: 500, times: 5 });
    env.emulator.clearFaults();
    ok(await env.call('GET', '/api/v0/org'));
  });

  test('a dropResponse fault carries the call out, then closes the connection without an answer', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/services', dropResponse: true });

    await expect(env.call('POST', '/api/v0/services', { name: 'shop' })).rejects.toThrow(/fetch failed/);

    expect(env.emulator.state().services.map((s) => s.name)).toEqual(['shop']);
    ok(await env.call('GET', '/api/v0/services'));
  });

  test('a dropResponse fault with a status closes the connection without carrying the call out', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/services', status: 500, dropResponse: true });

    await expect(env.call('POST', '/api/v0/services', { name: 'shop' })).rejects.toThrow(/fetch failed/);

    expect(env.emulator.state().services).toEqual([]);
  });

  test('a fault with neither status, delay nor dropResponse is refused', () => {
    expect(() => env.emulator.injectFault({ path: '/api/v0/org' })).toThrow(/needs a status, a delayMs or dropResponse/);
    expect(() => env.emulator.injectFault({ path: '/api/v0/org', dropResponse: false })).toThrow(/needs a status, a delayMs or dropResponse/);
  });

  test('a dropResponse that is not a boolean is refused', () => {
    expect(() => env.emulator.injectFault({ path: '/api/v0/org', dropResponse: 'yes' as unknown as boolean })).toThrow(/fault dropResponse must be a boolean/);
  });
});

describe('state and reset', () => {
  test('state() is a deep copy', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    const state = env.emulator.state();
    state.services.splice(0);
    expect(env.emulator.state().services).toHaveLength(1);
  });

  test('reset empties everything but keeps the default notification group', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    env.emulator.injectFault({ path: '/api/v0/org', status: 500 });
    env.emulator.reset();
    expect(env.emulator.requests()).toEqual([]);
    ok(await env.call('GET', '/api/v0/org'));
    const state = env.emulator.state();
    expect(state.services).toEqual([]);
    expect(state.notificationGroups).toEqual([expect.objectContaining({ type: 'group-default' })]);
  });
});

describe('control routes', () => {
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(new URL(path.slice(1), env.emulator.url), {
      method, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() as any };
  };

  test('GET /_emulator/state and /_emulator/requests need no key', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    expect((await control('GET', '/_emulator/state')).body.services).toEqual([{ name: 'shop', memo: '', roles: [], metadata: {} }]);
    expect((await control('GET', '/_emulator/requests')).body).toEqual([{ method: 'POST', path: '/api/v0/services', status: 200, body: { name: 'shop' } }]);
  });

  test('POST and DELETE /_emulator/faults inject and clear faults', async () => {
    expect((await control('POST', '/_emulator/faults', { path: '/api/v0/org', status: 502, times: 2 })).status).toBe(200);
    expectError(await env.call('GET', '/api/v0/org'), 502, /injected/);
    expect((await control('DELETE', '/_emulator/faults')).status).toBe(200);
    ok(await env.call('GET', '/api/v0/org'));
  });

  test('an invalid fault is a 400', async () => {
    expect(await control('POST', '/_emulator/faults', { status: 500 })).toEqual({ status: 400, body: { error: { message: 'fault path must be a non-empty string' } } });
  });

  test('POST /_emulator/reset empties the state', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    expect((await control('POST', '/_emulator/reset')).status).toBe(200);
    expect(env.emulator.state().services).toEqual([]);
  });

  test('an unknown control route is a 404', async () => {
    expect((await control('GET', '/_emulator/nope')).status).toBe(404);
  });
});

describe('main', () => {
  test('runs until SIGTERM, printing the URL and the key', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/emulator/main.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (\S+)/.exec(output);
        if (match && output.includes('API key')) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    expect(output).toContain(`API key (read+write): ${DEFAULT_EMULATOR_API_KEY}`);
    const org = await fetch(`${url}api/v0/org`, { headers: { 'X-Api-Key': DEFAULT_EMULATOR_READ_KEY } });
    expect(org.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
