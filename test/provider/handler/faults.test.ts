import { describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { api, cfnEvent, FakeResource, lambdaContext, useEmulator } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { resetApiKeyCache } from '../../../src/provider/handler/api-key';
import { handler } from '../../../src/provider/handler/index';
import { settings } from '../../../src/provider/handler/settings';

const env = useEmulator();
const MONITOR = { type: 'expression', name: 'load', expression: 'avg(roleSlots("shop:web","loadavg5"))', operator: '>', warning: 5 };

function posts(from: number, path = '/api/v0/monitors') {
  return env.emulator.requests().slice(from).filter((r) => r.method === 'POST' && r.path === path);
}

describe('faults between the handler and Mackerel', () => {
  test('a 429 is retried, then the create succeeds', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 429, headers: { 'Retry-After': '0' }, times: 2 });
    const from = env.emulator.requests().length;

    const result = await new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR);

    expect(posts(from).map((r) => r.status)).toEqual([429, 429, 200]);
    expect((await api(env.emulator, 'GET', `/api/v0/monitors/${result.PhysicalResourceId}`)).status).toBe(200);
  });

  test('a 500 is retried, then the create succeeds', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, times: 1 });
    const from = env.emulator.requests().length;

    await new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR);

    expect(posts(from).map((r) => r.status)).toEqual([500, 200]);
  });

  test('a persistent 500 fails with Mackerel\'s message, within the Lambda\'s time', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'database is down' } }, times: 10_000 });
    const started = Date.now();

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Load', MONITOR), lambdaContext(2_000)));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Load: Create failed: POST \/api\/v0\/monitors: HTTP 500: database is down \(gave up after \d+ attempts: no time left to retry\)$/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('a slow answer times out and is retried', async () => {
    settings.requestTimeoutMs = 200;
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', delayMs: 1_000, times: 1 });

    const result = await new FakeResource(_RESOURCE_TYPES.MONITOR, 'Load').create(MONITOR);

    expect(result.PhysicalResourceId).toMatch(/.+/);
    expect(env.logs.lines().join('\n')).toMatch(/no response within 200 ms/);
  });

  test('answers that never come in time fail the resource with "no response"', async () => {
    settings.requestTimeoutMs = 100;
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', delayMs: 1_000, times: 10_000 });

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Load', MONITOR), lambdaContext(1_800)));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Load: Create failed: POST \/api\/v0\/monitors: no response: no response within \d+ ms/);
  });

  test('a 401 (bad key) fails at once, naming neither key', async () => {
    const wrongKey = 'wrong-key-ABCDEFGHIJKLMNOP';
    process.env.MACKEREL_APIKEY = wrongKey;
    resetApiKeyCache();
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
});
