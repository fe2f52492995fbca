import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, onTestFinished, test, vi } from 'vitest';
import { rejectionOf } from './_capture';
import { api, cfnEvent, FakeResource, lambdaContext, STACK_ID, useEmulator } from './_harness';
import { ScriptedResponse, startScriptedServer } from './_scripted-server';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { handler } from '../../../src/provider/handler/index';
import { settings, sleep } from '../../../src/provider/handler/settings';
import type * as SettingsModule from '../../../src/provider/handler/settings';
import { useStackView } from '../../../src/provider/handler/stack';

// The handler's waits between attempts, observed (vi.mock keeps them real for the other tests).
vi.mock('../../../src/provider/handler/settings', async (importOriginal) => {
  const actual = await importOriginal<typeof SettingsModule>();
  return { ...actual, sleep: vi.fn(actual.sleep) };
});
const sleeps = vi.mocked(sleep);
beforeEach(() => sleeps.mockReset());

const env = useEmulator();
const MONITOR = { type: 'expression', name: 'load', expression: 'avg(roleSlots("shop:web","loadavg5"))', operator: '>', warning: 5 };

function posts(from: number, path = '/api/v0/monitors') {
  return env.emulator.requests().slice(from).filter((r) => r.method === 'POST' && r.path === path);
}

function puts(from: number) {
  return env.emulator.requests().slice(from).filter((r) => r.method === 'PUT');
}

/**
 * Waits until the emulator has handled `count` calls of `method` in this test, counting delayed
 * calls the handler stopped waiting for, so that none of them lands in the next test.
 */
async function settled(method: string, count: number) {
  const handled = () => env.emulator.requests().filter((r) => r.method === method).length;
  await vi.waitFor(() => expect(handled()).toBeGreaterThanOrEqual(count), { timeout: 5_000, interval: 20 });
}

/**
 * A server in front of the emulator (a proxy) that answers the calls `answer` gives an answer for
 * itself, and passes the others on.
 */
async function inFront(answer: (method: string, path: string) => ScriptedResponse | undefined): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', async () => {
      const own = answer(request.method ?? '', new URL(request.url ?? '/', 'http://proxy').pathname);
      if (own) {
        response.writeHead(own.status, { ...own.headers, 'Content-Length': Buffer.byteLength(own.body ?? '') });
        response.end(own.body ?? '');
        return;
      }
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(['x-api-key', 'content-type', 'accept'].filter((h) => request.headers[h] !== undefined).map((h) => [h, String(request.headers[h])]));
      const passed = await fetch(new URL(request.url ?? '/', env.emulator.url), { method: request.method, headers, body: body.length > 0 ? body : undefined });
      const text = await passed.text();
      response.writeHead(passed.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      response.end(text);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}

describe('faults between the handler and Mackerel', () => {
  test('a 429 is retried, then the create succeeds', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 429, headers: { 'Retry-After': '0' }, times: 2 });
    const from = env.emulator.requests().length;

    const result = await new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR);

    expect(posts(from).map((r) => r.status)).toEqual([429, 429, 200]);
    expect((await api(env.emulator, 'GET', `/api/v0/monitors/${result.PhysicalResourceId}`)).status).toBe(200);
  });

  test('a 503 with Retry-After is retried, then the create succeeds', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 503, headers: { 'Retry-After': '0' }, times: 1 });
    const from = env.emulator.requests().length;

    await new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR);

    expect(posts(from).map((r) => r.status)).toEqual([503, 200]);
  });

  test('a 500 on an update is retried, then the update succeeds', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
    const { PhysicalResourceId: id } = await monitor.create(MONITOR);
    env.emulator.injectFault({ method: 'PUT', path: `/api/v0/monitors/${id}`, status: 500, times: 1 });
    const from = env.emulator.requests().length;

    await monitor.update({ ...MONITOR, warning: 6 });

    expect(puts(from).map((r) => r.status)).toEqual([500, 200]);
  });

  test('a persistent 500 on an update fails with Mackerel\'s message, within the Lambda\'s time', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
    const { PhysicalResourceId: id } = await monitor.create(MONITOR);
    env.emulator.injectFault({ method: 'PUT', path: `/api/v0/monitors/${id}`, status: 500, body: { error: { message: 'database is down' } }, times: 10_000 });
    // GIVEN waits of 99 ms between attempts (the jitter at its top), more attempts allowed than fit in the time, and a clock that only those
    // waits move (the calls to the emulator take no time on it), so that only the deadline can stop the retries
    Object.assign(settings, { baseDelayMs: 100, maxDelayMs: 100, maxAttempts: 30 });
    vi.spyOn(Math, 'random').mockReturnValue(0.999999);
    vi.useFakeTimers({ toFake: ['Date'] });
    onTestFinished(() => void vi.useRealTimers());
    sleeps.mockImplementation(async (ms) => void vi.setSystemTime(Date.now() + ms));
    const deadline = Date.now() + 2_000;

    // WHEN
    const error = await rejectionOf(handler(cfnEvent('Update', _RESOURCE_TYPES.MONITOR, 'Load', { ...MONITOR, warning: 6 }, { physicalId: id, oldProps: MONITOR }), lambdaContext(2_000)));

    // THEN it gave up for want of time, by the time kept to answer CloudFormation, having waited between its attempts
    expect(error.message).toMatch(/^Custom::MackerelMonitor Load: Update failed: PUT \/api\/v0\/monitors\/\w+: HTTP 500: database is down \(gave up after \d+ attempts: no time left to retry\)$/);
    expect(Date.now()).toBeLessThanOrEqual(deadline - settings.safetyMarginMs);
    expect(sleeps.mock.calls.length).toBeGreaterThan(1);
    expect(sleeps.mock.calls.every(([ms]) => ms === 99)).toBe(true);
  }, 20_000);

  test('a slow answer to an update times out and is retried', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
    const { PhysicalResourceId: id } = await monitor.create(MONITOR);
    settings.requestTimeoutMs = 200;
    env.emulator.injectFault({ method: 'PUT', path: `/api/v0/monitors/${id}`, delayMs: 1_000, times: 1 });

    await expect(monitor.update({ ...MONITOR, warning: 6 })).resolves.toMatchObject({ PhysicalResourceId: id });
    expect(env.logs.lines().join('\n')).toMatch(/no response within 200 ms/);
    await settled('PUT', 2);
  });

  test('answers that never come in time fail the resource with "no response"', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
    const { PhysicalResourceId: id } = await monitor.create(MONITOR);
    settings.requestTimeoutMs = 100;
    env.emulator.injectFault({ method: 'PUT', path: `/api/v0/monitors/${id}`, delayMs: 300, times: 10_000 });

    const error = await rejectionOf(handler(cfnEvent('Update', _RESOURCE_TYPES.MONITOR, 'Load', { ...MONITOR, warning: 6 }, { physicalId: id, oldProps: MONITOR }), lambdaContext(1_800)));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Load: Update failed: PUT \/api\/v0\/monitors\/\w+: no response: no response within \d+ ms/);
    await settled('PUT', env.logs.lines().filter((l) => l.includes('retrying')).length + 1);
  });

  test('a 401 (bad key) fails at once, naming neither key', async () => {
    const wrongKey = 'wrong-key-ABCDEFGHIJKLMNOP';
    process.env.MACKEREL_APIKEY = wrongKey;
    const from = env.emulator.requests().length;

    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Load: Create failed: POST \/api\/v0\/monitors: HTTP 401: .+/);
    expect(env.emulator.requests().slice(from)).toHaveLength(1);
    for (const text of [error.message, error.stack ?? '', ...env.logs.lines()]) {
      expect(text).not.toContain(wrongKey);
      expect(text).not.toContain(env.emulator.apiKey);
    }
  });

  test('a 404 on delete is success', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
    const { PhysicalResourceId: id } = await monitor.create(MONITOR);
    env.emulator.injectFault({ method: 'DELETE', path: `/api/v0/monitors/${id}`, status: 404, body: { error: { message: 'monitor is not found.' } }, times: 1 });

    await expect(monitor.delete()).resolves.toEqual({ PhysicalResourceId: id, Data: {} });
    expect(env.logs.lines().join('\n')).toMatch(/already deleted/);
  });

  test('a delete whose answer was lost is sent again, and Mackerel\'s 404 to it (the first one deleted it) is success', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
    const { PhysicalResourceId: id } = await monitor.create(MONITOR);
    env.emulator.injectFault({ method: 'DELETE', path: `/api/v0/monitors/${id}`, dropResponse: true });
    const from = env.emulator.requests().length;

    await expect(monitor.delete()).resolves.toEqual({ PhysicalResourceId: id, Data: {} });
    expect(env.emulator.requests().slice(from).filter((r) => r.method === 'DELETE')).toHaveLength(2);
    expect(env.emulator.state().monitors).toHaveLength(0);
    expect(env.logs.lines().join('\n')).toMatch(/already deleted/);
  });

  describe('a 404 that is not Mackerel\'s JSON error says nothing of the object, which may be there: the call fails, saying what answered', () => {
    const PAGE = '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><hr><center>nginx</center></body></html>';
    const ANSWERS = [
      ['an HTML page', { status: 404, body: PAGE, headers: { 'Content-Type': 'text/html' } },
        'an HTML page rather than the API\'s JSON, as a proxy or load balancer answers: 404 Not Found nginx', 'a page titled "404 Not Found"'],
      ['an empty body', { status: 404, body: '', headers: { 'Content-Type': 'text/plain' } }, 'Not Found', 'not Mackerel\'s JSON error'],
    ] as const;
    /** What the failure says after the call and what answered, the API base's host named. */
    const onTheWay = (answer: string, host: string) => `; the answer is ${answer}, so something other than Mackerel's API answered `
      + `(a proxy or load balancer between the provider's Lambda and ${host}, or ${host} itself if the API base's host or path is not Mackerel's), `
      + 'which says nothing of whether the object exists in Mackerel: check the provider\'s apiBase and the way the Lambda reaches the Internet (its VPC, NAT gateway or proxy)';

    test.each(ANSWERS)('a delete through an API base that is not Mackerel\'s fails, leaving the monitor, rather than taking it as gone (%s)', async (_what, page, said, answer) => {
      const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
      const { PhysicalResourceId: id } = await monitor.create(MONITOR);
      const wrong = await startScriptedServer([page]);
      process.env.MACKEREL_APIBASE = wrong.url;

      const error = await rejectionOf(monitor.delete()).finally(() => wrong.close());

      expect(error.message).toBe(`Custom::MackerelMonitor Load: Delete failed: DELETE /api/v0/monitors/${id}: HTTP 404: ${said}${onTheWay(answer, new URL(wrong.url).host)}`);
      expect(error.message).not.toContain('refused');
      expect(env.logs.lines().join('\n')).not.toMatch(/already deleted/);
      expect((await api(env.emulator, 'GET', `/api/v0/monitors/${id}`)).status).toBe(200);
    });

    test('a role\'s delete whose list of roles a proxy answers so fails too, leaving the role', async () => {
      expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
      const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
      await role.create({ service: 'shop', name: 'web' });
      const proxy = await inFront((method, path) => (method === 'GET' && path === '/api/v0/services/shop/roles' ? ANSWERS[0][1] : undefined));
      process.env.MACKEREL_APIBASE = proxy.url;

      const error = await rejectionOf(role.delete()).finally(() => proxy.close());

      expect(error.message).toMatch(/^Custom::MackerelRole Web: Delete failed: GET \/api\/v0\/services\/shop\/roles: HTTP 404: an HTML page /);
      expect((await api(env.emulator, 'GET', '/api/v0/services/shop/roles')).body.roles).toEqual([expect.objectContaining({ name: 'web' })]);
    });

    test('a service\'s delete whose ownership mark a proxy answers so fails, leaving the service, rather than taking it as unmarked', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });
      const proxy = await inFront((method, path) => (method === 'GET' && path === '/api/v0/services/shop/metadata/cdk-mackerel' ? ANSWERS[0][1] : undefined));
      process.env.MACKEREL_APIBASE = proxy.url;

      const error = await rejectionOf(service.delete()).finally(() => proxy.close());

      expect(error.message).toMatch(/^Custom::MackerelService Shop: Delete failed: GET \/api\/v0\/services\/shop\/metadata\/cdk-mackerel: HTTP 404: an HTML page /);
      expect(env.logs.lines().join('\n')).not.toMatch(/not created by this resource/);
      expect((await api(env.emulator, 'GET', '/api/v0/services')).body.services).toEqual([expect.objectContaining({ name: 'shop' })]);
    });

    describe('service metadata, whose stack holds no other resource for the namespace', () => {
      beforeEach(() => useStackView({
        holds: async () => { throw new Error('not asked'); },
        isRollingBack: async () => { throw new Error('not asked'); },
        heldByAnother: async () => false,
      }));
      afterEach(() => useStackView());
      const PATH = '/api/v0/services/shop/metadata/owner';

      test.each(ANSWERS)('a delete whose DELETE a proxy answers so fails, leaving the value, rather than taking it as deleted already (%s)', async (_what, page, said, answer) => {
        expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
        const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
        await metadata.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"a"}' });
        const proxy = await inFront((method, path) => (method === 'DELETE' && path === PATH ? page : undefined));
        process.env.MACKEREL_APIBASE = proxy.url;

        const error = await rejectionOf(metadata.delete()).finally(() => proxy.close());

        expect(error.message).toBe(`Custom::MackerelServiceMetadata Owner: Delete failed: DELETE ${PATH}: HTTP 404: ${said}${onTheWay(answer, new URL(proxy.url).host)}`);
        expect(env.logs.lines().join('\n')).not.toMatch(/already deleted/);
        expect((await api(env.emulator, 'GET', PATH)).body).toEqual({ team: 'a' });
      });

      test.each(ANSWERS)('an update that changes nothing, whose read of the value a proxy answers so, fails rather than writing the value back (%s)', async (_what, page, said, answer) => {
        expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
        const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
        const props = { service: 'shop', namespace: 'owner', metadata: '{"team":"a"}' };
        await metadata.create(props);
        // Changed outside the stack: a write back would show as the template's value.
        expect((await api(env.emulator, 'PUT', PATH, { team: 'b' })).status).toBe(200);
        const proxy = await inFront((method, path) => (method === 'GET' && path === PATH ? page : undefined));
        process.env.MACKEREL_APIBASE = proxy.url;
        const from = env.emulator.requests().length;

        const error = await rejectionOf(metadata.update(props)).finally(() => proxy.close());

        expect(error.message).toBe(`Custom::MackerelServiceMetadata Owner: Update failed: GET ${PATH}: HTTP 404: ${said}${onTheWay(answer, new URL(proxy.url).host)}`);
        expect(puts(from)).toEqual([]);
        expect((await api(env.emulator, 'GET', PATH)).body).toEqual({ team: 'b' });
      });
    });

    test.each(ANSWERS)('an update that reads the monitor first (nothing changed) fails, rather than re-creating it as if deleted outside (%s)', async (_what, page, said, answer) => {
      const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
      const { PhysicalResourceId: id } = await monitor.create(MONITOR);
      const proxy = await inFront((method, path) => (method === 'GET' && path === `/api/v0/monitors/${id}` ? page : undefined));
      process.env.MACKEREL_APIBASE = proxy.url;
      const from = env.emulator.requests().length;

      const error = await rejectionOf(monitor.update(MONITOR)).finally(() => proxy.close());

      expect(error.message).toBe(`Custom::MackerelMonitor Load: Update failed: GET /api/v0/monitors/${id}: HTTP 404: ${said}${onTheWay(answer, new URL(proxy.url).host)}`);
      expect(posts(from)).toEqual([]);
      expect(env.emulator.state().monitors.map((m) => m.id)).toEqual([id]);
    });

    test('an update whose PUT is answered so fails, rather than re-creating the monitor', async () => {
      const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
      const { PhysicalResourceId: id } = await monitor.create(MONITOR);
      const proxy = await inFront((method) => (method === 'PUT' ? ANSWERS[0][1] : undefined));
      process.env.MACKEREL_APIBASE = proxy.url;
      const from = env.emulator.requests().length;

      const error = await rejectionOf(monitor.update({ ...MONITOR, warning: 6 })).finally(() => proxy.close());

      expect(error.message).toMatch(new RegExp(`^Custom::MackerelMonitor Load: Update failed: PUT /api/v0/monitors/${id}: HTTP 404: an HTML page `));
      expect(posts(from)).toEqual([]);
      expect(env.emulator.state().monitors).toEqual([expect.objectContaining({ id, warning: 5 })]);
    });
  });

  test('a 500 on delete is retried, then the monitor is deleted', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load');
    const { PhysicalResourceId: id } = await monitor.create(MONITOR);
    env.emulator.injectFault({ method: 'DELETE', path: '/api/v0/monitors/*', status: 503, times: 2 });

    await monitor.delete();

    expect((await api(env.emulator, 'GET', `/api/v0/monitors/${id}`)).status).toBe(404);
  });

  test('the key never appears, even when Mackerel echoes it in an error', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: `key ${env.emulator.apiKey} is not allowed here` } }, times: 1 });

    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR));

    expect(error.message).toBe('Custom::MackerelMonitor Load: Create failed: POST /api/v0/monitors: HTTP 400: key **** is not allowed here');
    expect(error.stack).not.toContain(env.emulator.apiKey);
  });

  test('the key never appears when Mackerel echoes it both refusing a new service\'s mark and refusing to delete the service again', async () => {
    const echo = { error: { message: `key ${env.emulator.apiKey} is not allowed here` } };
    env.emulator.injectFault({ method: 'PUT', path: '/api/v0/services/shop/metadata/*', status: 400, body: echo, times: 1 });
    env.emulator.injectFault({ method: 'DELETE', path: '/api/v0/services/shop', status: 400, body: echo, times: 1 });

    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop').create({ name: 'shop' }));

    expect(error.message).toMatch(/^Custom::MackerelService Shop: Create failed: service "shop" was created but could not be marked, .* Marking it: PUT \/api\/v0\/services\/shop\/metadata\/cdk-mackerel: HTTP 400: key \*\*\*\* is not allowed here\. Deleting it: DELETE \/api\/v0\/services\/shop: HTTP 400: key \*\*\*\* is not allowed here$/);
    for (const text of [error.message, error.stack ?? '', ...env.logs.lines()]) expect(text).not.toContain(env.emulator.apiKey);
  });
});

describe('a create whose answer is lost (Mackerel may have carried it out)', () => {
  const markOf = async (path: string) => (await api(env.emulator, 'GET', `${path}/metadata/cdk-mackerel`)).body;

  describe('objects not unique by name (monitors)', () => {
    test('the create is not sent again: it fails, naming the monitor that may exist, and makes no duplicate', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', dropResponse: true });

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR));

      expect(error.message).toMatch(/^Custom::MackerelMonitor Load: Create failed: POST \/api\/v0\/monitors: no response: .+ \(outcome unknown: Mackerel may have carried it out; not repeated, since a repeated POST could create a second object\); monitor "load" may have been created in Mackerel anyway, outside the stack: look for it there and delete it if it is there\./);
      expect(posts(0)).toHaveLength(1);
      expect(env.emulator.state().monitors).toHaveLength(1);
    });

    test('a create answered with a 500 is not sent again, and the failure keeps Mackerel\'s message', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'database is down' } } });

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR));

      expect(error.message).toMatch(/^Custom::MackerelMonitor Load: Create failed: POST \/api\/v0\/monitors: HTTP 500: database is down \(outcome unknown: .+\); monitor "load" may have been created/);
      expect(posts(0)).toHaveLength(1);
    });

    test('a create that times out is not sent again, so the late create leaves one monitor', async () => {
      settings.requestTimeoutMs = 200;
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', delayMs: 500 });

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR));
      await settled('POST', 1);

      expect(error.message).toMatch(/POST \/api\/v0\/monitors: no response: no response within 200 ms \(outcome unknown: .+\); monitor "load" may have been created/);
      expect(env.emulator.state().monitors).toHaveLength(1);
    });
  });

  describe('objects unique by name (services, roles, AWS integrations)', () => {
    test('a service the lost create made is taken as this resource\'s and marked', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/services', dropResponse: true });

      const result = await new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop').create({ name: 'shop', memo: 'the shop' });

      expect(result).toEqual({ PhysicalResourceId: 'shop', Data: { Name: 'shop', MemoIgnored: 'false' } });
      expect(posts(0, '/api/v0/services')).toHaveLength(1);
      expect(await markOf('/api/v0/services/shop')).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });
      expect(env.logs.lines().join('\n')).toMatch(/the create whose answer was lost made the object/);
    });

    test('when the lost create did not happen, the service create is sent again', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/services', status: 500, dropResponse: true });

      await expect(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop').create({ name: 'shop' })).resolves.toMatchObject({ PhysicalResourceId: 'shop' });

      expect(posts(0, '/api/v0/services').map((r) => r.status)).toEqual([500, 200]);
      expect(await markOf('/api/v0/services/shop')).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });
    });

    test('a service create answered with a 408 again after a 408 is still looked up by name and sent again, as after a 5xx, then succeeds', async () => {
      // GIVEN a load balancer in front of Mackerel answers two creates with a 408, which may or may not have reached Mackerel
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/services', status: 408, body: { error: { message: 'Request Timeout' } }, times: 2 });

      await expect(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop').create({ name: 'shop' })).resolves.toMatchObject({ PhysicalResourceId: 'shop' });

      // THEN the second 408 is no refusal ("already exists"): the create is sent a third time
      expect(posts(0, '/api/v0/services').map((r) => r.status)).toEqual([408, 408, 200]);
      expect(await markOf('/api/v0/services/shop')).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });
    });

    test('a create that lands after the handler stopped waiting leaves one marked service, and the next deploy succeeds', async () => {
      settings.requestTimeoutMs = 200;
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/services', delayMs: 1_000 });
      const shop = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');

      await expect(shop.create({ name: 'shop' })).resolves.toMatchObject({ PhysicalResourceId: 'shop' });
      await settled('POST', 2);

      expect(env.emulator.state().services.map((x) => x.name)).toEqual(['shop']);
      expect(await markOf('/api/v0/services/shop')).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });
      await expect(shop.create({ name: 'shop' })).resolves.toMatchObject({ PhysicalResourceId: 'shop' });
    });

    test('a service whose mark got no answer before the Lambda\'s time ran out, with no time left to delete it again, is said to be left in Mackerel, maybe marked', async () => {
      // GIVEN the mark's PUT is answered (refused, so not carried out) only after the invocation's time, less its margin, is up
      env.emulator.injectFault({ method: 'PUT', path: '/api/v0/services/shop/metadata/*', status: 500, delayMs: 2_500 });

      // WHEN
      const event = cfnEvent('Create', _RESOURCE_TYPES.SERVICE, 'Shop', { name: 'shop' });
      const error = await rejectionOf(handler(event, lambdaContext(settings.safetyMarginMs + 1_500)));
      await settled('PUT', 1);

      // THEN the reason says first what CloudFormation will not clean up (its delete after a failed create does nothing)
      expect(error.message).toMatch(new RegExp('^Custom::MackerelService Shop: Create failed: service "shop" was created but its mark got no answer, '
        + 'so it may or may not be marked, and deleting it again failed too, so it is left in Mackerel: delete it there before deploying again, or the next create may fail on its name. '
        + 'Marking it: PUT /api/v0/services/shop/metadata/cdk-mackerel: no response: no response within \\d+ ms \\(gave up after 1 attempt: no time left to retry\\)\\. '
        + 'Deleting it: DELETE /api/v0/services/shop: no response: no time left before the invocation times out'));
      expect(env.emulator.state().services.map((x) => x.name)).toEqual(['shop']);
    }, 20_000);

    test('a role the lost create made is taken as this resource\'s and marked', async () => {
      await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' });
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/services/shop/roles', dropResponse: true });

      await expect(new FakeResource(_RESOURCE_TYPES.ROLE, 'Web').create({ service: 'shop', name: 'web' })).resolves.toMatchObject({ PhysicalResourceId: 'shop:web' });

      expect(posts(0, '/api/v0/services/shop/roles')).toHaveLength(1);
      expect(await markOf('/api/v0/services/shop/roles/web')).toEqual({ stackId: STACK_ID, logicalResourceId: 'Web' });
    });

    test('an AWS integration the lost create made becomes the physical ID', async () => {
      const externalId = (await api(env.emulator, 'POST', '/api/v0/aws-integrations-external-id')).body.externalId;
      const props = { name: 'prod', roleArn: 'arn:aws:iam::123456789012:role/mackerel', externalId, region: 'ap-northeast-1', services: { EC2: { enable: true } } };
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/aws-integrations', dropResponse: true });

      const result = await new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION, 'Aws').create(props);

      const integrations = env.emulator.state().awsIntegrations;
      expect(integrations.map((i) => i.id)).toEqual([result.PhysicalResourceId]);
      expect(result.Data).toEqual({ AwsIntegrationId: result.PhysicalResourceId });
      expect(posts(0, '/api/v0/aws-integrations')).toHaveLength(1);
    });

    test('an external ID whose answer was lost is simply issued again (an unused ID is harmless)', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/aws-integrations-external-id', dropResponse: true });

      const result = await new FakeResource(_RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'ExternalId').create({});

      expect(posts(0, '/api/v0/aws-integrations-external-id')).toHaveLength(2);
      expect(env.emulator.state().externalIds).toContain(result.PhysicalResourceId);
    });
  });
});
