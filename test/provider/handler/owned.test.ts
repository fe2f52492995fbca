import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { captureLogs } from './_capture';
import { fakeContext } from './_fake-client';
import { MackerelApiError } from '../../../src/provider/handler/client';
import { role } from '../../../src/provider/handler/resources/role';
import { service } from '../../../src/provider/handler/resources/service';
import { resetSettings, settings } from '../../../src/provider/handler/settings';

const logs = captureLogs();
const OURS = { stackId: 'stack-1', logicalResourceId: 'Shop' };

/** A POST whose answer was lost: Mackerel may have carried it out. */
function lostAnswer(): never {
  throw new MackerelApiError('POST', '/api/v0/services', undefined, 'no response within 30000 ms', { outcomeUnknown: true });
}

/** `GET /api/v0/services` answering no service before the POST, then `later`. */
function listedAfterPost(later: unknown[]) {
  let calls = 0;
  return () => ({ services: calls++ === 0 ? [] : later });
}

/**
 * Creates service shop, whose mark gets `mark` (an answer, as `fakeContext` takes one) and whose delete
 * again a 500: the error the create fails with, and the calls it made.
 */
async function createUnmarkedUndeletable(mark: number | (() => never)) {
  const { ctx, calls } = fakeContext({
    'GET /api/v0/services': { services: [] }, 'POST /api/v0/services': {}, 'PUT /api/v0/services/shop/metadata/cdk-mackerel': mark, 'DELETE /api/v0/services/shop': 500,
  }, 'Shop');
  return { error: await service.create(ctx, { name: 'shop' }).catch((e: unknown) => e), calls };
}

describe('ownedResource (services and roles)', () => {
  test('create POSTs the service, then marks it', async () => {
    const { ctx, calls, bodies } = fakeContext({ 'GET /api/v0/services': { services: [] }, 'POST /api/v0/services': {}, 'PUT /api/v0/services/shop/metadata/cdk-mackerel': {} }, 'Shop');

    await expect(service.create(ctx, { name: 'shop', memo: 'm' })).resolves.toEqual({ physicalResourceId: 'shop', data: { Name: 'shop', MemoIgnored: 'false' } });
    expect(calls).toEqual(['GET /api/v0/services', 'POST /api/v0/services', 'PUT /api/v0/services/shop/metadata/cdk-mackerel']);
    expect(bodies.slice(1)).toEqual([{ name: 'shop', memo: 'm' }, OURS]);
  });

  test('a service that cannot be marked is deleted again before the create fails', async () => {
    const { ctx, calls } = fakeContext({
      'GET /api/v0/services': { services: [] }, 'POST /api/v0/services': {}, 'PUT /api/v0/services/shop/metadata/cdk-mackerel': 413, 'DELETE /api/v0/services/shop': {},
    }, 'Shop');

    await expect(service.create(ctx, { name: 'shop' })).rejects.toThrow('PUT /api/v0/services/shop/metadata/cdk-mackerel: HTTP 413');
    expect(calls.at(-1)).toBe('DELETE /api/v0/services/shop');
  });

  test('a service that can be neither marked nor deleted again fails saying, first, that it is left in Mackerel, keeping the mark\'s error', async () => {
    const { error, calls } = await createUnmarkedUndeletable(403);

    expect(calls.at(-1)).toBe('DELETE /api/v0/services/shop');
    expect((error as Error).message).toBe('service "shop" was created but could not be marked, and deleting it again failed too, so it is left in Mackerel: '
      + 'delete it there before deploying again, or the next create may fail on its name. '
      + 'Marking it: PUT /api/v0/services/shop/metadata/cdk-mackerel: HTTP 403: status 403. Deleting it: DELETE /api/v0/services/shop: HTTP 500: status 500');
    // Still the mark's refusal, which the handler's advice on the key and cdk-mackerel apply read.
    expect(error).toBeInstanceOf(MackerelApiError);
    expect((error as MackerelApiError).status).toBe(403);
  });

  test('a service whose mark got no answer, and that could not be deleted again, is said to be maybe marked, not unmarked', async () => {
    const { error } = await createUnmarkedUndeletable(() => {
      throw new MackerelApiError('PUT', '/api/v0/services/shop/metadata/cdk-mackerel', undefined, 'no response within 30000 ms', { outcomeUnknown: true });
    });

    expect((error as Error).message).toBe('service "shop" was created but its mark got no answer, so it may or may not be marked, and deleting it again failed too, '
      + 'so it is left in Mackerel: delete it there before deploying again, or the next create may fail on its name. '
      + 'Marking it: PUT /api/v0/services/shop/metadata/cdk-mackerel: no response: no response within 30000 ms. Deleting it: DELETE /api/v0/services/shop: HTTP 500: status 500');
  });

  test.each([500, 504, 408])('a service whose mark was answered with a %i (it may have been written), and that could not be deleted again, is said to be maybe marked', async (status) => {
    const { error } = await createUnmarkedUndeletable(() => {
      throw new MackerelApiError('PUT', '/api/v0/services/shop/metadata/cdk-mackerel', status, 'gateway', { outcomeUnknown: true });
    });

    expect((error as Error).message).toBe(`service "shop" was created but its mark's outcome is unknown (its last answer HTTP ${status}), so it may or may not be marked, `
      + 'and deleting it again failed too, so it is left in Mackerel: delete it there before deploying again, or the next create may fail on its name. '
      + `Marking it: PUT /api/v0/services/shop/metadata/cdk-mackerel: HTTP ${status}: gateway. Deleting it: DELETE /api/v0/services/shop: HTTP 500: status 500`);
  });

  test('a role deleted already (Mackerel\'s 404) when it could not be marked is not said to be left', async () => {
    const { ctx, calls } = fakeContext({
      'GET /api/v0/services/shop/roles': { roles: [] }, 'POST /api/v0/services/shop/roles': {}, 'PUT /api/v0/services/shop/roles/web/metadata/cdk-mackerel': 413,
    }, 'Web');

    await expect(role.create(ctx, { service: 'shop', name: 'web' })).rejects.toThrow(/^PUT \/api\/v0\/services\/shop\/roles\/web\/metadata\/cdk-mackerel: HTTP 413: status 413$/);
    expect(calls.at(-1)).toBe('DELETE /api/v0/services/shop/roles/web');
  });

  describe('a create whose answer was lost', () => {
    beforeEach(() => {
      Object.assign(settings, { baseDelayMs: 5, maxDelayMs: 20 });
    });
    afterEach(() => resetSettings());

    test('takes a service with the memo sent, no roles and no mark, and marks it', async () => {
      const { ctx, calls } = fakeContext({
        'GET /api/v0/services': listedAfterPost([{ name: 'shop', memo: 'm', roles: [] }]),
        'POST /api/v0/services': lostAnswer,
        'PUT /api/v0/services/shop/metadata/cdk-mackerel': {},
      }, 'Shop');

      await expect(service.create(ctx, { name: 'shop', memo: 'm' })).resolves.toMatchObject({ physicalResourceId: 'shop' });
      expect(calls).toEqual(['GET /api/v0/services', 'POST /api/v0/services', 'GET /api/v0/services', 'GET /api/v0/services/shop/metadata/cdk-mackerel', 'PUT /api/v0/services/shop/metadata/cdk-mackerel']);
    });

    test.each([
      ['another memo', { name: 'shop', memo: 'theirs', roles: [] }, undefined, /its memo "theirs" is not the one sent \("m"\)/],
      ['roles already', { name: 'shop', memo: 'm', roles: ['web'] }, undefined, /it already has roles \(web\)/],
      ['another resource\'s mark', { name: 'shop', memo: 'm', roles: [] }, { stackId: 'stack-2', logicalResourceId: 'Other' }, /it is marked as created by resource Other of stack stack-2/],
    ])('does not take a service with %s, and fails saying why', async (_name, listed, mark, why) => {
      const { ctx, calls } = fakeContext({
        'GET /api/v0/services': listedAfterPost([listed]),
        'POST /api/v0/services': lostAnswer,
        ...(mark ? { 'GET /api/v0/services/shop/metadata/cdk-mackerel': mark } : {}),
      }, 'Shop');

      const error = await service.create(ctx, { name: 'shop', memo: 'm' }).catch((e: Error) => e);

      expect((error as Error).message).toMatch(/^POST \/api\/v0\/services: no response: no response within 30000 ms; service "shop" exists in Mackerel now, but /);
      expect((error as Error).message).toMatch(why);
      expect((error as Error).message).toMatch(/so it was not taken as the one this create made$/);
      expect(calls.filter((c) => c.startsWith('PUT') || c.startsWith('POST'))).toEqual(['POST /api/v0/services']);
    });

    test('sends the create again while the name stays free, at most three times, then fails saying the service may still appear', async () => {
      const { ctx, calls } = fakeContext({ 'GET /api/v0/services': { services: [] }, 'POST /api/v0/services': lostAnswer }, 'Shop');

      const error = await service.create(ctx, { name: 'shop' }).catch((e: Error) => e);

      expect((error as Error).message).toBe('POST /api/v0/services: no response: no response within 30000 ms; service "shop" does not exist in Mackerel now (gave up after 3 attempts). '
        + 'Mackerel may still carry out a create it received; if the object appears later, it came from this deployment: delete it before deploying again');
      expect(calls.filter((c) => c === 'POST /api/v0/services')).toHaveLength(3);
    });

    test('a refusal of the repeated create ("already exists") looks again and takes the service the first create made', async () => {
      let posts = 0;
      const { ctx, calls } = fakeContext({
        'GET /api/v0/services': (() => { let n = 0; return () => ({ services: n++ < 2 ? [] : [{ name: 'shop', memo: '', roles: [] }] }); })(),
        'POST /api/v0/services': () => (posts++ === 0 ? lostAnswer() : 400),
        'PUT /api/v0/services/shop/metadata/cdk-mackerel': {},
      }, 'Shop');

      await expect(service.create(ctx, { name: 'shop' })).resolves.toMatchObject({ physicalResourceId: 'shop' });
      expect(calls.filter((c) => c.startsWith('PUT') || c.startsWith('POST'))).toEqual(['POST /api/v0/services', 'POST /api/v0/services', 'PUT /api/v0/services/shop/metadata/cdk-mackerel']);
    });

    test('a repeated create given up on for the rate limit (a 429, no refusal) looks again, then fails saying the first create may still appear', async () => {
      let posts = 0;
      const { ctx, calls } = fakeContext({
        'GET /api/v0/services': { services: [] },
        'POST /api/v0/services': () => (posts++ === 0 ? lostAnswer() : 429),
      }, 'Shop');

      const error = await service.create(ctx, { name: 'shop' }).catch((e: Error) => e);

      expect((error as Error).message).toBe('POST /api/v0/services: HTTP 429: status 429 (an earlier attempt\'s outcome is unknown: POST /api/v0/services: no response: '
        + 'no response within 30000 ms); service "shop" does not exist in Mackerel now. '
        + 'Mackerel may still carry out a create it received; if the object appears later, it came from this deployment: delete it before deploying again');
      expect(calls).toEqual(['GET /api/v0/services', 'POST /api/v0/services', 'GET /api/v0/services', 'POST /api/v0/services', 'GET /api/v0/services']);
    });

    test('a repeated create refused by Mackerel (a 400) whose service is not there either fails on that refusal, without saying it may appear', async () => {
      let posts = 0;
      const { ctx } = fakeContext({
        'GET /api/v0/services': { services: [] },
        'POST /api/v0/services': () => (posts++ === 0 ? lostAnswer() : 400),
      }, 'Shop');

      const error = await service.create(ctx, { name: 'shop' }).catch((e: Error) => e);

      expect((error as Error).message).toBe('POST /api/v0/services: HTTP 400: status 400 (an earlier attempt\'s outcome is unknown: POST /api/v0/services: no response: no response within 30000 ms)');
    });
  });

  test('a retried create finds its own mark and writes nothing', async () => {
    const { ctx, calls } = fakeContext({ 'GET /api/v0/services': { services: [{ name: 'shop' }] }, 'GET /api/v0/services/shop/metadata/cdk-mackerel': OURS }, 'Shop');

    await expect(service.create(ctx, { name: 'shop' })).resolves.toMatchObject({ physicalResourceId: 'shop' });
    expect(calls).toEqual(['GET /api/v0/services', 'GET /api/v0/services/shop/metadata/cdk-mackerel']);
  });

  test('an object kept rather than created reports a memo it does not have as ignored', async () => {
    const moved = { stackId: 'stack-1', logicalResourceId: 'OldShop' };
    const existing = (mark: unknown) => fakeContext({
      'GET /api/v0/services': { services: [{ name: 'shop', memo: 'old' }] },
      'GET /api/v0/services/shop/metadata/cdk-mackerel': mark,
      'PUT /api/v0/services/shop/metadata/cdk-mackerel': {},
    }, 'Shop').ctx;
    // a construct moved to this logical ID, with a new memo: the service keeps "old"
    await expect(service.create(existing(moved), { name: 'shop', memo: 'new' })).resolves.toMatchObject({ data: { MemoIgnored: 'true' } });
    await expect(service.create(existing(moved), { name: 'shop', memo: 'old' })).resolves.toMatchObject({ data: { MemoIgnored: 'false' } });
    // a retried create of this very resource
    await expect(service.create(existing(OURS), { name: 'shop', memo: 'new' })).resolves.toMatchObject({ data: { MemoIgnored: 'true' } });
    await expect(service.create(existing(OURS), { name: 'shop', memo: 'old' })).resolves.toMatchObject({ data: { MemoIgnored: 'false' } });
    expect(logs.lines().some((l) => l.includes('the object keeps its memo'))).toBe(true);
  });

  test('an update of the memo reports it ignored only while Mackerel\'s memo differs from the new one', async () => {
    const live = (memo: string) => fakeContext({ 'GET /api/v0/services': { services: [{ name: 'shop', memo }] } }, 'Shop').ctx;
    await expect(service.update(live('old'), 'shop', { name: 'shop', memo: 'new' }, { name: 'shop', memo: 'old' }))
      .resolves.toMatchObject({ data: { MemoIgnored: 'true' } });
    // already edited to the new memo in the web UI
    await expect(service.update(live('new'), 'shop', { name: 'shop', memo: 'new' }, { name: 'shop', memo: 'old' }))
      .resolves.toMatchObject({ data: { MemoIgnored: 'false' } });
  });

  test('delete checks the mark: another resource\'s service stays, with a log line saying why', async () => {
    const { ctx, calls } = fakeContext({ 'GET /api/v0/services': { services: [{ name: 'shop' }] }, 'GET /api/v0/services/shop/metadata/cdk-mackerel': { ...OURS, logicalResourceId: 'Other' } }, 'Shop');

    await service.delete(ctx, 'shop');

    expect(calls).not.toContain('DELETE /api/v0/services/shop');
    expect(logs.lines().join('\n')).toMatch(/left in Mackerel: not created by this resource/);
  });

  test('delete leaves a marked service that a downtime names in its scopes, reading the downtimes and alert group settings after the monitors', async () => {
    const { ctx, calls } = fakeContext({
      'GET /api/v0/services': { services: [{ name: 'shop', roles: [] }] },
      'GET /api/v0/services/shop/metadata/cdk-mackerel': { ...OURS, logicalResourceId: 'Shop' },
      'GET /api/v0/monitors': { monitors: [] },
      'GET /api/v0/downtimes': { downtimes: [{ id: 'd1', name: 'night', serviceExcludeScopes: ['shop'] }, { id: 'd2', name: 'shopping', serviceScopes: ['shopping'] }] },
      // A role scope of the service is the role's to keep, not the service's.
      'GET /api/v0/alert-group-settings': { alertGroupSettings: [{ id: 'a1', name: 'quiet', roleScopes: ['shop:web'] }] },
    }, 'Shop');

    await expect(service.delete(ctx, 'shop')).resolves.toBe(
      'it is still named in the scopes of downtime "night" (d1), not this resource\'s, which deleting it would delete or change');
    expect(calls.slice(-3)).toEqual(['GET /api/v0/monitors', 'GET /api/v0/downtimes', 'GET /api/v0/alert-group-settings']);
  });

  test('delete removes a marked role', async () => {
    const { ctx, calls } = fakeContext({
      'GET /api/v0/services/shop/roles': { roles: [{ name: 'web' }] },
      'GET /api/v0/services/shop/roles/web/metadata/cdk-mackerel': { stackId: 'stack-1', logicalResourceId: 'Web' },
      'GET /api/v0/monitors': { monitors: [{ id: 'm1', name: 'db', scopes: ['shop: db'] }] },
      'GET /api/v0/downtimes': { downtimes: [] },
      'GET /api/v0/alert-group-settings': { alertGroupSettings: [] },
      'DELETE /api/v0/services/shop/roles/web': {},
    }, 'Web');

    await role.delete(ctx, 'shop:web');

    // The lists read first: what names the role in its scopes keeps it.
    expect(calls.slice(-4)).toEqual(['GET /api/v0/monitors', 'GET /api/v0/downtimes', 'GET /api/v0/alert-group-settings', 'DELETE /api/v0/services/shop/roles/web']);
  });

  test('delete leaves a marked role that a scope read back as `Service: role` names, without a DELETE', async () => {
    const { ctx, calls } = fakeContext({
      'GET /api/v0/services/shop/roles': { roles: [{ name: 'web' }] },
      'GET /api/v0/services/shop/roles/web/metadata/cdk-mackerel': { stackId: 'stack-1', logicalResourceId: 'Web' },
      'GET /api/v0/monitors': { monitors: [] },
      'GET /api/v0/downtimes': { downtimes: [{ id: 'd1', name: 'night', roleExcludeScopes: ['shop: web'] }] },
      'GET /api/v0/alert-group-settings': { alertGroupSettings: [{ id: 'a1', name: 'quiet', roleScopes: ['shop: web'] }] },
    }, 'Web');

    await expect(role.delete(ctx, 'shop:web')).resolves.toBe(
      'it is still named in the scopes of alert group setting "quiet" (a1), downtime "night" (d1), not this resource\'s, which deleting it would delete or change');
    expect(calls).not.toContain('DELETE /api/v0/services/shop/roles/web');
  });

  test('update to a new name creates the new object; the old one is left to the cleanup delete', async () => {
    const { ctx, calls } = fakeContext({
      'GET /api/v0/services/shop/roles': { roles: [{ name: 'web' }] }, 'POST /api/v0/services/shop/roles': {}, 'PUT /api/v0/services/shop/roles/app/metadata/cdk-mackerel': {},
    }, 'Web');

    await expect(role.update(ctx, 'shop:web', { service: 'shop', name: 'app' }, { service: 'shop', name: 'web' })).resolves.toMatchObject({ physicalResourceId: 'shop:app' });
    expect(calls).not.toContain('DELETE /api/v0/services/shop/roles/web');
  });
});
