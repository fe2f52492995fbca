import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, onTestFinished, test, vi } from 'vitest';
import { cli, synthShop, useEmulatorPerFile, workDir } from './_fixture';
import { _CHECK_THE_WAY, _createGet } from '../../src/cli/api';
import { _readLive } from '../../src/cli/live';
import { resetSettings, settings, sleep } from '../../src/provider/handler/settings';
import type * as SettingsModule from '../../src/provider/handler/settings';

// The waits between attempts, observed (vi.mock keeps them real for the other tests).
vi.mock('../../src/provider/handler/settings', async (importOriginal) => {
  const actual = await importOriginal<typeof SettingsModule>();
  return { ...actual, sleep: vi.fn(actual.sleep) };
});
const sleeps = vi.mocked(sleep);
beforeEach(() => sleeps.mockReset());

/**
 * A clock that only the waits between attempts move, instead of passing: the calls to the emulator
 * take no time on it, so a test asserts where on it a run ended, the same on any machine. The jitter
 * is at its top, so the waits are the backoff steps as shipped (999 ms, then 1999 ms).
 */
function clockOfWaits(): void {
  vi.spyOn(Math, 'random').mockReturnValue(0.999999);
  vi.useFakeTimers({ toFake: ['Date'] });
  onTestFinished(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  sleeps.mockImplementation(async (ms) => void vi.setSystemTime(Date.now() + ms));
}

/**
 * The CLI's own reads (GET /api/v0/org before a run, diff's reads of live objects) are retried as
 * the handler retries its calls: a transient failure does not fail the command; a final one does at once.
 */
const shared = useEmulatorPerFile();
let assembly: string;
let base: string[];
beforeAll(async () => {
  const dir = workDir();
  assembly = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: false });
  base = ['--api-base', shared.emulator.url, '--state', join(dir, 's.json')];
  expect((await cli(['apply', assembly, ...base])).code).toBe(0);
});
afterEach(() => {
  shared.emulator.clearFaults();
  resetSettings();
});

/** The requests the emulator got for `method path` while `run` ran. */
async function counted<T>(method: string, path: RegExp, run: () => Promise<T>): Promise<{ result: T; count: number }> {
  const before = shared.emulator.requests().length;
  const result = await run();
  const count = shared.emulator.requests().slice(before).filter((r) => r.method === method && path.test(r.path)).length;
  return { result, count };
}

const boom = { error: { message: 'boom' } };

describe('transient failures of the CLI\'s reads are retried', () => {
  test('one 503 of GET /api/v0/org, then success: apply and diff succeed', async () => {
    Object.assign(settings, { baseDelayMs: 10 });
    for (const command of ['apply', 'diff']) {
      shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 503, body: boom });
      const { result: run, count } = await counted('GET', /^\/api\/v0\/org$/, () => cli([command, assembly, ...base]));
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
      expect(count).toBe(2);
    }
  });

  test('a 429, with or without Retry-After, then success: apply and diff succeed', async () => {
    Object.assign(settings, { baseDelayMs: 10 });
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 429, body: boom, headers: { 'Retry-After': '0' } });
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 429, body: boom });
    const { result: run, count } = await counted('GET', /^\/api\/v0\/org$/, () => cli(['apply', assembly, ...base]));
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(count).toBe(3);
    // diff's reads of live objects too
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', status: 429, body: boom });
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', status: 503, body: boom, headers: { 'Retry-After': '0' } });
    const diff = await cli(['diff', assembly, ...base]);
    expect(diff.err).toBe('');
    expect(diff.out).toBe('No differences.');
    expect(diff.code).toBe(0);
  });

  test('a connection closed without an answer, then success: diff succeeds', async () => {
    Object.assign(settings, { baseDelayMs: 10 });
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/services', dropResponse: true });
    const { result: diff, count } = await counted('GET', /^\/api\/v0\/services$/, () => cli(['diff', assembly, ...base]));
    expect(diff.err).toBe('');
    expect(diff.out).toBe('No differences.');
    expect(count).toBeGreaterThanOrEqual(2);
  });
});

describe('failures that last or are final', () => {
  test('a persistent 500 fails apply within its --timeout, saying why and how often, without the key', async () => {
    // The key echoed in Mackerel's message is blanked out.
    const key = shared.emulator.apiKey;
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 500, body: { error: { message: `boom for ${key}` } }, times: 1000 });
    clockOfWaits();
    const started = Date.now();
    const { result: run, count } = await counted('GET', /^\/api\/v0\/org$/, () => cli(['apply', assembly, ...base, '--timeout', '2'], { MACKEREL_APIKEY: key }));
    // Within the 2 s by the clock of its waits
    expect(Date.now()).toBeLessThanOrEqual(started + 2_000);
    expect(sleeps).toHaveBeenCalled();
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/org failed: HTTP 500: boom for \*+ \(gave up after \d+ attempts: no time left to retry\)$/);
    expect(run.err + run.out).not.toContain(key);
    expect(count).toBeGreaterThan(1);
  });

  test('a persistent 500 of a live object fails diff after the attempt limit', async () => {
    Object.assign(settings, { baseDelayMs: 10, maxDelayMs: 20 });
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', status: 500, body: boom, times: 1000 });
    const { result: run, count } = await counted('GET', /^\/api\/v0\/monitors\//, () => cli(['diff', assembly, ...base]));
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/monitors\/\w+ failed: HTTP 500: boom \(gave up after 8 attempts: attempt limit reached\)$/);
    expect(count).toBe(settings.maxAttempts);
  });

  test('a read not answered within --timeout fails saying so, not that the API cannot be reached', async () => {
    // GIVEN a live monitor whose read gets an answer only after the time diff gives it
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', delayMs: 4000, times: 1000 });
    // WHEN diff reads it
    const run = await cli(['diff', assembly, ...base, '--timeout', '2']);
    // THEN the error names the read and the missing answer; the API was reached, so no emulator or --api-base advice
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/monitors\/\w+ failed: no response within 2000 ms \(gave up after 1 attempt: no time left to retry\)$/);
  });

  test('a 401 fails at once with its message, also after a 503 was retried', async () => {
    Object.assign(settings, { baseDelayMs: 10 });
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 401, body: { error: { message: 'Authentication failed' } }, times: 1000 });
    let { result: run, count } = await counted('GET', /^\/api\/v0\/org$/, () => cli(['diff', assembly, ...base]));
    expect(run.err).toMatch(/^cdk-mackerel: the Mackerel API at \S+ rejected the API key \(HTTP 401: Authentication failed\); check MACKEREL_APIKEY$/);
    expect(count).toBe(1);
    shared.emulator.clearFaults();
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 503, body: boom });
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 401, body: { error: { message: 'Authentication failed' } }, times: 1000 });
    ({ result: run, count } = await counted('GET', /^\/api\/v0\/org$/, () => cli(['apply', assembly, ...base])));
    expect(run.err).toMatch(/^cdk-mackerel: the Mackerel API at \S+ rejected the API key \(HTTP 401: Authentication failed\); check MACKEREL_APIKEY$/);
    expect(count).toBe(2);
  });

  test('a 403 and another 4xx are final, with their messages', async () => {
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 403, body: { error: { message: 'Forbidden' } }, times: 1000 });
    let { result: run, count } = await counted('GET', /^\/api\/v0\/org$/, () => cli(['diff', assembly, ...base]));
    expect(run.err).toMatch(/^cdk-mackerel: the Mackerel API at \S+ rejected the API key \(HTTP 403: Forbidden\); check MACKEREL_APIKEY$/);
    expect(count).toBe(1);
    shared.emulator.clearFaults();
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', status: 400, body: { error: { message: 'bad' } }, times: 1000 });
    ({ result: run, count } = await counted('GET', /^\/api\/v0\/monitors\//, () => cli(['diff', assembly, ...base])));
    expect(run.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/monitors\/\w+ failed: HTTP 400: bad$/);
    expect(count).toBe(1);
  });
});

describe('--timeout and --verbose, of diff as of apply', () => {
  test('diff --timeout bounds its reads: a persistent 500 fails it within the time given, not after the attempt limit', async () => {
    // Backoff as shipped (up to 8 attempts, minutes in all): only --timeout ends the run early
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', status: 500, body: boom, times: 1000 });
    clockOfWaits();
    const started = Date.now();
    const { result: run, count } = await counted('GET', /^\/api\/v0\/monitors\//, () => cli(['diff', assembly, ...base, '--timeout', '2']));
    // Within the 2 s by the clock of its waits
    expect(Date.now()).toBeLessThanOrEqual(started + 2_000);
    expect(sleeps).toHaveBeenCalled();
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/monitors\/\w+ failed: HTTP 500: boom \(gave up after \d+ attempts?: no time left to retry\)$/);
    expect(count).toBeLessThan(settings.maxAttempts);
  });

  test('with --verbose, each retry of a read prints one line saying what, why and the wait, never the key', async () => {
    Object.assign(settings, { baseDelayMs: 10 });
    const key = shared.emulator.apiKey;
    type Retried = { message: string; method: string; path: string; status?: number; error: string; delayMs: number };
    const retried = (line: string) => JSON.parse(line) as Retried;
    for (const command of ['diff', 'apply']) {
      shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 503, body: { error: { message: `boom for ${key}` } } });
      shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', status: 429, body: boom });
      const run = await cli([command, assembly, ...base, '--verbose'], { MACKEREL_APIKEY: key });
      expect(run.code).toBe(0);
      const lines = run.err.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines.map(retried)).toEqual([
        expect.objectContaining({ message: 'retrying Mackerel call', method: 'GET', path: '/api/v0/org', status: 503, error: 'boom for ****', delayMs: expect.any(Number) }),
        // diff's read of a live monitor, apply's closing read of the objects it left unchanged
        expect.objectContaining({ message: 'retrying Mackerel call', method: 'GET', path: expect.stringMatching(/^\/api\/v0\/monitors\/\w+$/), status: 429, error: 'boom' }),
      ]);
      expect(run.err + run.out).not.toContain(key);
      shared.emulator.clearFaults();
    }
    // without --verbose, the same retries go unsaid
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 503, body: boom });
    expect((await cli(['diff', assembly, ...base])).err).toBe('');
  });
});

/** A server in front of the emulator that answers the GETs `empty` picks with 200 and no body, and passes every other call on. */
async function emptyBodies(empty: (path: string) => boolean): Promise<{ url: string; close: () => Promise<void> }> {
  return inFront((method, path) => (method === 'GET' && empty(path) ? { status: 200, body: '' } : undefined));
}

/** What the server in front of the emulator answers itself, with no Content-Type of Mackerel's. */
interface OwnAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

/** A server in front of the emulator (a proxy) that answers the calls `answer` gives an answer for itself, and passes on the others. */
async function inFront(answer: (method: string, path: string) => OwnAnswer | undefined): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', async () => {
      const path = new URL(request.url ?? '/', 'http://proxy').pathname;
      const own = answer(request.method ?? '', path);
      if (own) {
        response.writeHead(own.status, { 'Content-Length': Buffer.byteLength(own.body), ...(own.contentType ? { 'Content-Type': own.contentType } : {}) });
        response.end(own.body);
        return;
      }
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(['x-api-key', 'content-type', 'accept'].filter((h) => request.headers[h] !== undefined).map((h) => [h, String(request.headers[h])]));
      const passed = await fetch(new URL(request.url ?? '/', shared.emulator.url), { method: request.method, headers, body: body.length > 0 ? body : undefined });
      const text = await passed.text();
      response.writeHead(passed.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      response.end(text);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return { url, close: () => new Promise((done) => server.close(() => done())) };
}

describe('a 401 or 403 that is not Mackerel\'s JSON error (a proxy\'s page) is said to come from something on the way, not the key', () => {
  const SQUID = '<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><hr><center>squid</center></body></html>';
  const ON_THE_WAY = 'so something between this machine and Mackerel (a proxy, a load balancer, a firewall) refused the call, not Mackerel: '
    + 'check --api-base and the way this machine reaches the Internet (its network\'s proxy or firewall)';

  test.each([
    ['a proxy\'s HTML page, named by its title', 403, SQUID, 'text/html',
      'an HTML page rather than the API\'s JSON, as a proxy or load balancer answers: 403 Forbidden squid', 'a page titled "403 Forbidden"'],
    ['a gateway\'s JSON of another shape', 401, '{"message":"Unauthorized"}', 'application/json', '{"message":"Unauthorized"}', 'not Mackerel\'s JSON error'],
  ])('by diff\'s and apply\'s reads: %s', async (_what, status, body, contentType, said, answer) => {
    const proxy = await inFront((_method, path) => (path === '/api/v0/org' ? { status, body, contentType } : undefined));
    try {
      for (const command of ['diff', 'apply']) {
        const run = await cli([command, assembly, '--api-base', proxy.url, '--state', join(workDir(), 's.json')]);
        expect(run.err).toMatch(new RegExp(`^cdk-mackerel: GET /api/v0/org failed: HTTP ${status}: ${escaped(said)}; the answer is ${escaped(answer)}, ${escaped(ON_THE_WAY)}`));
        expect(run.err).not.toMatch(/rejected the API key|MACKEREL_APIKEY/);
        expect(run.code).toBe(2);
      }
    } finally {
      await proxy.close();
    }
  });

  test('by apply\'s operations, whose writes the proxy refuses: neither the key nor the template is the fix', async () => {
    const proxy = await inFront((method) => (method === 'GET' ? undefined : { status: 403, body: SQUID, contentType: 'text/html' }));
    const state = join(workDir(), 's.json');
    try {
      const run = await cli(['apply', assembly, '--api-base', proxy.url, '--state', state]);
      expect(run.err).toMatch(/^cdk-mackerel: Custom::Mackerel\w+ \S+: Create failed: POST \/api\/v0\/\S+: HTTP 403: an HTML page rather than the API's JSON/);
      // (the emulator has the shop's service and roles already: taken over, with reads only, they are what succeeded)
      expect(run.err.endsWith(`; what succeeded is saved in ${state}; the answer is a page titled "403 Forbidden", ${ON_THE_WAY}, then apply again`)).toBe(true);
      expect(run.err).not.toMatch(/MACKEREL_APIKEY|fix the template|another run fails the same way/);
      expect(run.code).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  test('Mackerel\'s own JSON error, though it says nothing, is still the key', async () => {
    const proxy = await inFront((_method, path) => (path === '/api/v0/org' ? { status: 403, body: '{"error":{"message":""}}', contentType: 'application/json' } : undefined));
    try {
      const run = await cli(['diff', assembly, '--api-base', proxy.url, '--state', join(workDir(), 's.json')]);
      expect(run.err).toMatch(/^cdk-mackerel: the Mackerel API at \S+ rejected the API key \(HTTP 403: \{"error":\{"message":""\}\}\); check MACKEREL_APIKEY$/);
    } finally {
      await proxy.close();
    }
  });
});

/** `text` as a regular expression matching it literally. */
function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('a success with an empty body, which Mackerel never sends', () => {
  test('is an error of diff, not an object gone, and of apply\'s pre-flight read, not a 404', async () => {
    const dir = workDir();
    const monitors = await emptyBodies((path) => path.startsWith('/api/v0/monitors/'));
    try {
      // GIVEN the applied state, as applied through this base
      const state = JSON.parse(readFileSync(base[3], 'utf8'));
      writeFileSync(join(dir, 's.json'), JSON.stringify({ ...state, apiBase: monitors.url }));
      const through = ['--api-base', monitors.url, '--state', join(dir, 's.json')];
      // WHEN a live monitor is read as 200 with no body
      const diff = await cli(['diff', assembly, ...through]);
      // THEN diff fails saying so, rather than showing the monitor deleted outside the template
      expect(diff.out).toBe('');
      expect(diff.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/monitors\/\w+ returned an empty body, not JSON; is http:\/\/127\.0\.0\.1:\d+\/ a Mackerel API\?$/);
      expect(diff.code).toBe(2);
      // and apply, which changes nothing here, does not call the monitor deleted outside in its summary either
      const apply = await cli(['apply', assembly, ...through]);
      expect(apply.code).toBe(0);
      expect(apply.out).not.toContain('outside the template');
    } finally {
      await monitors.close();
    }
    const org = await emptyBodies((path) => path === '/api/v0/org');
    try {
      for (const command of ['apply', 'diff']) {
        const run = await cli([command, assembly, '--api-base', org.url, '--state', join(dir, 'fresh.json')]);
        expect(run.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/org returned an empty body, not JSON; is http:\/\/127\.0\.0\.1:\d+\/ a Mackerel API\?/);
        expect(run.code).toBe(2);
      }
    } finally {
      await org.close();
    }
  });
});

describe('a 404 that is not Mackerel\'s JSON error (a proxy\'s or load balancer\'s page, a wrong --api-base)', () => {
  const PAGE = '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><hr><center>nginx</center></body></html>';

  test.each([
    ['an HTML page', PAGE, 'text/html', 'an HTML page rather than the API\'s JSON, as a proxy or load balancer answers: 404 Not Found nginx',
      'a page titled "404 Not Found"'],
    ['an empty body', '', undefined, 'Not Found', 'not Mackerel\'s JSON error'],
  ])('says nothing of the object: diff fails saying what answered, rather than showing the monitor deleted outside (%s)', async (_what, body, contentType, said, answer) => {
    const dir = workDir();
    const proxy = await inFront((method, path) => (method === 'GET' && path.startsWith('/api/v0/monitors/') ? { status: 404, body, contentType } : undefined));
    try {
      // GIVEN the applied state, as applied through this base
      const state = JSON.parse(readFileSync(base[3], 'utf8'));
      writeFileSync(join(dir, 's.json'), JSON.stringify({ ...state, apiBase: proxy.url }));
      const host = new URL(proxy.url).host;
      // WHEN a live monitor is read as a 404 that is not Mackerel's
      const diff = await cli(['diff', assembly, '--api-base', proxy.url, '--state', join(dir, 's.json')]);
      // THEN diff fails naming what answered and what to check, and shows no monitor gone
      expect(diff.out).toBe('');
      expect(diff.err).toMatch(new RegExp(`^cdk-mackerel: GET /api/v0/monitors/\\w+ failed: HTTP 404: ${escaped(said)}; the answer is ${escaped(answer)}, `
        + `so something other than Mackerel's API answered \\(a proxy or load balancer between this machine and ${escaped(host)}, or ${escaped(host)} itself `
        + `if the API base's host or path is not Mackerel's\\), which says nothing of whether the object exists in Mackerel: ${escaped(_CHECK_THE_WAY)}$`));
      expect(diff.err).not.toContain('refused');
      expect(diff.code).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  test('a destroy whose DELETE is answered so fails naming --api-base\'s host, and leaves the object and its state', async () => {
    const dir = workDir();
    const proxy = await inFront((method) => (method === 'DELETE' ? { status: 404, body: PAGE, contentType: 'text/html' } : undefined));
    try {
      const state = JSON.parse(readFileSync(base[3], 'utf8'));
      const file = join(dir, 's.json');
      writeFileSync(file, JSON.stringify({ ...state, apiBase: proxy.url }));
      const host = new URL(proxy.url).host;
      const before = shared.emulator.state();

      const run = await cli(['apply', assembly, '--destroy', '--api-base', proxy.url, '--state', file]);

      expect(run.err).toMatch(/^cdk-mackerel: Custom::Mackerel\w+ \S+: Delete failed: DELETE \/api\/v0\/\S+: HTTP 404: an HTML page /);
      expect(run.err.endsWith('; nothing was changed; the answer is a page titled "404 Not Found", so something other than Mackerel\'s API answered '
        + `(a proxy or load balancer between this machine and ${host}, or ${host} itself if the API base's host or path is not Mackerel's), `
        + `which says nothing of whether the object exists in Mackerel: ${_CHECK_THE_WAY}, then apply again`)).toBe(true);
      expect(run.code).toBe(2);
      expect(shared.emulator.state()).toEqual(before);
      expect(JSON.parse(readFileSync(file, 'utf8')).stacks).toEqual(state.stacks);
    } finally {
      await proxy.close();
    }
  });

  test('Mackerel\'s own 404 still says the monitor is gone', async () => {
    const dir = workDir();
    const proxy = await inFront((method, path) => (method === 'GET' && path.startsWith('/api/v0/monitors/')
      ? { status: 404, body: '{"error":{"message":"monitor is not found."}}', contentType: 'application/json' } : undefined));
    try {
      const state = JSON.parse(readFileSync(base[3], 'utf8'));
      writeFileSync(join(dir, 's.json'), JSON.stringify({ ...state, apiBase: proxy.url }));
      const diff = await cli(['diff', assembly, '--api-base', proxy.url, '--state', join(dir, 's.json')]);
      expect(diff.err).toBe('');
      expect(diff.out).toMatch(/^\? gone +Monitor /m);
    } finally {
      await proxy.close();
    }
  });
});

test('_createGet says each retry to its log without the key, also called outside the command (whose lines are scrubbed again)', async () => {
  Object.assign(settings, { baseDelayMs: 10 });
  // A key no handler of this process has seen (it would have learnt it as a secret): the emulator answers the fault before it checks the key
  const key = 'a-key-no-handler-has-seen-0123456789';
  shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 503, body: { error: { message: `boom for ${key}` } } });
  const lines: string[] = [];
  const get = _createGet({ apiBase: shared.emulator.url, apiKey: key, timeoutMs: 5000, log: (line) => lines.push(line) });
  await expect(get('/api/v0/org')).rejects.toThrow(/rejected the API key \(HTTP 401/);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain('"error":"boom for ****"');
  expect(lines[0]).not.toContain(key);
});

describe('a GET by ID answered without the object\'s key (JSON, but no `monitor`)', () => {
  test('is read as the handler reads it: the object exists, so diff does not show it gone nor apply re-create it', async () => {
    // GIVEN every monitor read by its ID answers 200 with a body of JSON without the `monitor` key
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/monitors/*', status: 200, body: {}, times: 100 });
    // WHEN diff reads the live monitors
    const diff = await cli(['diff', assembly, ...base]);
    // THEN none is `? gone` (the handler's update finds it there, and re-creates nothing)
    expect(diff.err).toBe('');
    expect(diff.out).not.toContain('? gone');
    expect(diff.out).not.toContain('+ create');
    // but there with none of its fields: drift, which apply leaves as it is
    expect(diff.out).toMatch(/^~ drift +Monitor +Shop\/Cpu\w+ \w+ "web cpu" changed in Mackerel outside the template/m);
    expect(diff.out).toContain('type: "host" -> (absent)');
    expect(diff.code).toBe(3);
  });

  test('_readLive gives the handler\'s reading: an object without fields, and undefined only for a 404', async () => {
    const answers: { [path: string]: unknown } = { '/api/v0/monitors/m1': {}, '/api/v0/monitors/m2': { monitor: { id: 'm2', type: 'host' } } };
    const get = async (path: string) => answers[path];
    expect(await _readLive(get, 'Custom::MackerelMonitor', 'm1')).toEqual({});
    expect(await _readLive(get, 'Custom::MackerelMonitor', 'm2')).toEqual({ id: 'm2', type: 'host' });
    expect(await _readLive(get, 'Custom::MackerelMonitor', 'gone')).toBeUndefined();
  });
});
