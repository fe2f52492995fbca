import { describe, expect, test } from 'vitest';
import { captureLogs } from './_capture';
import { fakeContext } from './_fake-client';
import { role } from '../../../src/provider/handler/resources/role';
import { service } from '../../../src/provider/handler/resources/service';

const logs = captureLogs();
const OURS = { stackId: 'stack-1', logicalResourceId: 'Shop' };

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

  test('a retried create finds its own mark and writes nothing', async () => {
    const { ctx, calls } = fakeContext({ 'GET /api/v0/services': { services: [{ name: 'shop' }] }, 'GET /api/v0/services/shop/metadata/cdk-mackerel': OURS }, 'Shop');

    await expect(service.create(ctx, { name: 'shop' })).resolves.toMatchObject({ physicalResourceId: 'shop' });
    expect(calls).toEqual(['GET /api/v0/services', 'GET /api/v0/services/shop/metadata/cdk-mackerel']);
  });

  test('delete checks the mark: another resource\'s service stays, with a log line saying why', async () => {
    const { ctx, calls } = fakeContext({ 'GET /api/v0/services': { services: [{ name: 'shop' }] }, 'GET /api/v0/services/shop/metadata/cdk-mackerel': { ...OURS, logicalResourceId: 'Other' } }, 'Shop');

    await service.delete(ctx, 'shop');

    expect(calls).not.toContain('DELETE /api/v0/services/shop');
    expect(logs.lines().join('\n')).toMatch(/left in Mackerel: not created by this resource/);
  });

  test('delete removes a marked role', async () => {
    const { ctx, calls } = fakeContext({
      'GET /api/v0/services/shop/roles': { roles: [{ name: 'web' }] },
      'GET /api/v0/services/shop/roles/web/metadata/cdk-mackerel': { stackId: 'stack-1', logicalResourceId: 'Web' },
      'DELETE /api/v0/services/shop/roles/web': {},
    }, 'Web');

    await role.delete(ctx, 'shop:web');

    expect(calls.at(-1)).toBe('DELETE /api/v0/services/shop/roles/web');
  });

  test('update to a new name creates the new object; the old one is left to the cleanup delete', async () => {
    const { ctx, calls } = fakeContext({
      'GET /api/v0/services/shop/roles': { roles: [{ name: 'web' }] }, 'POST /api/v0/services/shop/roles': {}, 'PUT /api/v0/services/shop/roles/app/metadata/cdk-mackerel': {},
    }, 'Web');

    await expect(role.update(ctx, 'shop:web', { service: 'shop', name: 'app' }, { service: 'shop', name: 'web' })).resolves.toMatchObject({ physicalResourceId: 'shop:app' });
    expect(calls).not.toContain('DELETE /api/v0/services/shop/roles/web');
  });
});
