import { describe, expect, test } from 'vitest';
import { monitor } from '../../../../src/provider/handler/resources/monitor';
import { captureLogs } from '../_capture';
import { fakeContext } from '../_fake-client';

captureLogs();

/** What an update does, as the list of calls, for old → new properties. */
async function callsFor(oldProps: { [k: string]: unknown }, props: { [k: string]: unknown }) {
  const fake = fakeContext({ 'POST /api/v0/monitors': { id: 'new' }, 'PUT /api/v0/monitors/old': {} });
  await monitor.update(fake.ctx, 'old', props, oldProps);
  return fake;
}

describe('monitor replacement rules', () => {
  test('the rollback of a failed replacement keeps the monitor: Mackerel already has the value the old properties say', async () => {
    // GIVEN: an expression monitor whose change to a query monitor failed; CloudFormation sends the expression back
    const fake = fakeContext({
      'GET /api/v0/monitors/old': { monitor: { id: 'old', type: 'expression', name: 'e', expression: 'a' } },
      'PUT /api/v0/monitors/old': {},
    });
    // WHEN
    const outcome = await monitor.update(fake.ctx, 'old', { type: 'expression', name: 'e', expression: 'a' }, { type: 'query', name: 'e', query: 'a{}' });
    // THEN
    expect(outcome.physicalResourceId).toBe('old');
    expect(fake.calls).toEqual(['GET /api/v0/monitors/old', 'PUT /api/v0/monitors/old']);
  });

  test.each([
    ['host', 'metric', { metric: 'cpu%' }, { metric: 'memory%' }],
    ['service', 'metric', { service: 'shop', metric: 'a' }, { service: 'shop', metric: 'b' }],
    ['service', 'service', { service: 'shop', metric: 'a' }, { service: 'store', metric: 'a' }],
    ['query', 'query', { query: 'a{}' }, { query: 'b{}' }],
    ['connectivity', 'type', {}, {}],
  ])('a %s monitor is replaced when %s changes', async (type, _field, before, after) => {
    const newType = _field === 'type' ? 'host' : type;
    const { calls } = await callsFor({ type, ...before }, { type: newType, ...after });

    // the old monitor is read first: only one that still has the old value is replaced
    expect(calls).toEqual(['GET /api/v0/monitors/old', 'POST /api/v0/monitors']);
  });

  test.each([
    ['host', { metric: 'cpu%', warning: 80 }, { metric: 'cpu%', warning: 85 }],
    ['external', { url: 'https://a/' }, { url: 'https://b/' }],
    ['expression', { expression: 'a' }, { expression: 'b' }],
    ['anomalyDetection', { scopes: ['s:r'] }, { scopes: ['s:q'] }],
    ['query', { query: 'a{}', warning: 1 }, { query: 'a{}', warning: 2 }],
  ])('a %s monitor is updated in place otherwise', async (type, before, after) => {
    const { calls } = await callsFor({ type, ...before }, { type, ...after });

    expect(calls).toEqual(['PUT /api/v0/monitors/old']);
  });
});

describe('monitor update body', () => {
  test('an external monitor without headers sends Mackerel\'s default header, as a create without headers gets', async () => {
    const { bodies } = await callsFor({ type: 'external', url: 'https://a/', headers: [{ name: 'X', value: '1' }] }, { type: 'external', url: 'https://a/' });

    expect(bodies[0]).toEqual({ type: 'external', url: 'https://a/', headers: [{ name: 'Cache-Control', value: 'no-cache' }] });
  });

  test('an external monitor with an empty headers list sends it as it is (no headers at all)', async () => {
    const { bodies } = await callsFor({ type: 'external', url: 'https://a/' }, { type: 'external', url: 'https://b/', headers: [] });

    expect(bodies[0]).toEqual({ type: 'external', url: 'https://b/', headers: [] });
  });

  test('a connectivity monitor without alertStatusOnGone sends CRITICAL, the API default', async () => {
    const { bodies } = await callsFor({ type: 'connectivity', alertStatusOnGone: 'WARNING' }, { type: 'connectivity', name: 'alive' });

    expect(bodies[0]).toEqual({ type: 'connectivity', name: 'alive', alertStatusOnGone: 'CRITICAL' });
  });

  test('a notificationInterval of 0 is left out of create and update bodies; another value is sent', async () => {
    const { bodies } = await callsFor({ type: 'host', notificationInterval: 30 }, { type: 'host', notificationInterval: 0 });
    expect(bodies[0]).toEqual({ type: 'host' });

    const fake = fakeContext({ 'POST /api/v0/monitors': { id: 'new' } });
    await monitor.create(fake.ctx, { type: 'host', notificationInterval: 0 });
    await monitor.create(fake.ctx, { type: 'host', notificationInterval: 10 });
    expect(fake.bodies).toEqual([{ type: 'host' }, { type: 'host', notificationInterval: 10 }]);
  });

  test('given values win over those defaults, and create sends the properties as they are', async () => {
    const { bodies } = await callsFor({ type: 'external', url: 'https://a/' }, { type: 'external', url: 'https://b/', headers: [{ name: 'X', value: '2' }] });
    expect(bodies[0]).toEqual({ type: 'external', url: 'https://b/', headers: [{ name: 'X', value: '2' }] });

    const fake = fakeContext({ 'POST /api/v0/monitors': { id: 'new' } });
    await monitor.create(fake.ctx, { type: 'external', url: 'https://a/' });
    expect(fake.bodies[0]).toEqual({ type: 'external', url: 'https://a/' });
  });
});
