import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { api, apiSnapshot, FakeResource, STACK_ID, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { useStackView } from '../../../src/provider/handler/stack';

const env = useEmulator();

async function inMackerel(path: string) {
  const got = await api(env.emulator, 'GET', path);
  return got.status === 200 ? got.body : got.status;
}

/** The stack's other resources holding a physical ID, as `heldByAnother` is asked about them. */
let holders: Array<{ logicalId: string; type: string; physicalId: string }> = [];
const asked: unknown[][] = [];

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
afterEach(() => useStackView());
beforeEach(async () => {
  holders = [];
  asked.length = 0;
  useStackView({
    holds: async () => { throw new Error('not asked'); },
    isRollingBack: async () => { throw new Error('not asked'); },
    heldByAnother: async (...args) => {
      expect(args[4]).toBeGreaterThan(Date.now());
      asked.push(args.slice(0, 4));
      const [stackId, logicalId, type, physicalId] = args;
      return stackId === STACK_ID && holders.some((h) => h.logicalId !== logicalId && h.type === type && h.physicalId === physicalId);
    },
  });
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'cart' })).status).toBe(200);
  expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);
  baseline = await apiSnapshot(env.emulator);
});

describe('Custom::MackerelServiceMetadata', () => {
  test('create sends the parsed JSON value with its types, update writes it in place, delete removes it', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    const value = { team: 'payments', oncall: 3, paging: true, tags: ['a', 1, null] };

    const created = await metadata.create({ service: 'shop', namespace: 'owner', metadata: JSON.stringify(value) });
    expect(created).toEqual({ PhysicalResourceId: 'shop/owner', Data: { Namespace: 'owner' } });
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toEqual(value);

    await expect(metadata.update({ service: 'shop', namespace: 'owner', metadata: '"just a string"' }))
      .resolves.toMatchObject({ PhysicalResourceId: 'shop/owner', replaced: false });
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toBe('just a string');

    await metadata.delete();
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toBe(404);
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a new namespace or service replaces it: the new one is written and the cleanup deletes the old one', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await metadata.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"a"}' });

    await expect(metadata.update({ service: 'shop', namespace: 'team', metadata: '{"team":"a"}' }))
      .resolves.toMatchObject({ PhysicalResourceId: 'shop/team', replaced: true });
    expect(await inMackerel('/api/v0/services/shop/metadata')).toEqual({ metadata: [{ namespace: 'team' }] });

    await expect(metadata.update({ service: 'cart', namespace: 'team', metadata: '{"team":"a"}' }))
      .resolves.toMatchObject({ PhysicalResourceId: 'cart/team', replaced: true });
    expect(await inMackerel('/api/v0/services/shop/metadata')).toEqual({ metadata: [] });
    expect(await inMackerel('/api/v0/services/cart/metadata/team')).toEqual({ team: 'a' });
  });

  test('an unchanged update writes back a value deleted outside the stack', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await metadata.create({ service: 'shop', namespace: 'owner', metadata: '1' });
    await api(env.emulator, 'DELETE', '/api/v0/services/shop/metadata/owner');

    await metadata.update({ service: 'shop', namespace: 'owner', metadata: '1' });
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toBe(1);
  });

  test('an unchanged update (only the ServiceToken) writes nothing, and leaves a value changed outside the stack, as other types leave their objects', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await metadata.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"a"}' });
    await api(env.emulator, 'PUT', '/api/v0/services/shop/metadata/owner', { team: 'b' });
    const from = env.emulator.requests().length;

    await expect(metadata.update({ service: 'shop', namespace: 'owner', metadata: '{"team":"a"}' }))
      .resolves.toEqual({ PhysicalResourceId: 'shop/owner', Data: { Namespace: 'owner' }, replaced: false });
    expect(writes(env.emulator, from)).toEqual([]);
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toEqual({ team: 'b' });
  });

  test('delete of a namespace, or of a service, already gone succeeds', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await metadata.create({ service: 'shop', namespace: 'owner', metadata: '{}' });
    await api(env.emulator, 'DELETE', '/api/v0/services/shop/metadata/owner');
    await expect(metadata.delete()).resolves.toMatchObject({ PhysicalResourceId: 'shop/owner' });

    const onCart = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Cart');
    await onCart.create({ service: 'cart', namespace: 'owner', metadata: '{}' });
    await api(env.emulator, 'DELETE', '/api/v0/services/cart');
    await expect(onCart.delete()).resolves.toMatchObject({ PhysicalResourceId: 'cart/owner' });
  });

  test('a construct moved to a new logical ID: the old resource\'s delete leaves the namespace the new one holds', async () => {
    const before = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await before.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"a"}' });
    // the new resource's create finds the value the old one holds, and writes over it
    holders = [{ logicalId: 'Owner', type: _RESOURCE_TYPES.SERVICE_METADATA, physicalId: 'shop/owner' }];
    const moved = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Moved');
    await moved.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"b"}' });
    holders = [{ logicalId: 'Moved', type: _RESOURCE_TYPES.SERVICE_METADATA, physicalId: 'shop/owner' }];

    const left = await before.delete();

    // the CLI prints why the namespace stays
    expect(left.Data).toEqual({ LeftInMackerel: 'another resource holds this namespace (a moved construct)' });
    expect(asked).toEqual([
      [STACK_ID, 'Moved', _RESOURCE_TYPES.SERVICE_METADATA, 'shop/owner'],
      [STACK_ID, 'Owner', _RESOURCE_TYPES.SERVICE_METADATA, 'shop/owner'],
    ]);
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toEqual({ team: 'b' });
    // the role metadata of the same path is another type: it does not hold the service's namespace
    holders = [{ logicalId: 'Moved', type: _RESOURCE_TYPES.ROLE_METADATA, physicalId: 'shop/owner' }];
    expect((await moved.delete()).Data).toEqual({});
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toBe(404);
  });

  test('a delete whose stack cannot be read (ListStackResources throttled past its retries) fails saying so, and leaves the value', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await metadata.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"a"}' });
    useStackView({
      holds: async () => { throw new Error('not asked'); },
      isRollingBack: async () => { throw new Error('not asked'); },
      heldByAnother: async () => { throw new Error('CloudFormation ListStackResources failed: Rate exceeded (gave up after 8 attempts: attempt limit reached)'); },
    });

    await expect(metadata.delete()).rejects.toThrow('Custom::MackerelServiceMetadata Owner: Delete failed: could not read whether another resource of the stack holds '
      + 'service "shop" metadata "owner", so it was left as it is: CloudFormation ListStackResources failed: Rate exceeded (gave up after 8 attempts: attempt limit reached)');
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toEqual({ team: 'a' });
  });

  test('a create refuses a namespace holding another value the stack did not write; the same value (a retried create) is taken', async () => {
    expect((await api(env.emulator, 'PUT', '/api/v0/services/shop/metadata/owner', { team: 'kept by hand' })).status).toBe(200);
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');

    await expect(metadata.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"payments"}' })).rejects.toThrow(
      /service "shop" metadata "owner" already exists in Mackerel with another value, which this stack did not write; expected a namespace that is free/);
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toEqual({ team: 'kept by hand' });

    const retried = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Retried');
    await retried.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"kept by hand"}' });
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toEqual({ team: 'kept by hand' });
  });

  test('an update to a new namespace or service refuses one holding another value the stack did not write, as a create does', async () => {
    expect((await api(env.emulator, 'PUT', '/api/v0/services/shop/metadata/team', { team: 'kept by hand' })).status).toBe(200);
    expect((await api(env.emulator, 'PUT', '/api/v0/services/cart/metadata/owner', { team: 'kept by hand' })).status).toBe(200);
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await metadata.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"payments"}' });

    await expect(metadata.update({ service: 'shop', namespace: 'team', metadata: '{"team":"payments"}' })).rejects.toThrow(
      /Update failed: service "shop" metadata "team" already exists in Mackerel with another value, which this stack did not write/);
    await expect(metadata.update({ service: 'cart', namespace: 'owner', metadata: '{"team":"payments"}' })).rejects.toThrow(
      /Update failed: service "cart" metadata "owner" already exists in Mackerel with another value/);
    expect(await inMackerel('/api/v0/services/shop/metadata/team')).toEqual({ team: 'kept by hand' });
    expect(await inMackerel('/api/v0/services/cart/metadata/owner')).toEqual({ team: 'kept by hand' });
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toEqual({ team: 'payments' });

    // a namespace holding the same value, or that another resource of the stack holds, is taken as on create
    await expect(metadata.update({ service: 'shop', namespace: 'team', metadata: '{"team":"kept by hand"}' }))
      .resolves.toMatchObject({ PhysicalResourceId: 'shop/team', replaced: true });
    holders = [{ logicalId: 'Other', type: _RESOURCE_TYPES.SERVICE_METADATA, physicalId: 'cart/owner' }];
    await expect(metadata.update({ service: 'cart', namespace: 'owner', metadata: '{"team":"b"}' }))
      .resolves.toMatchObject({ PhysicalResourceId: 'cart/owner' });
    expect(await inMackerel('/api/v0/services/cart/metadata/owner')).toEqual({ team: 'b' });
  });

  test('the rollback of a rename writes the old namespace back, which the stack wrote and the cleanup has not deleted yet', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await metadata.create({ service: 'shop', namespace: 'owner', metadata: '{"team":"a"}' });
    // the update to the new namespace succeeded (without a cleanup yet); another resource failed
    expect((await api(env.emulator, 'PUT', '/api/v0/services/shop/metadata/team', { team: 'b' })).status).toBe(200);
    metadata.physicalId = 'shop/team';
    await expect(metadata.rollback({ service: 'shop', namespace: 'team', metadata: '{"team":"b"}' }))
      .resolves.toMatchObject({ PhysicalResourceId: 'shop/owner', replaced: true });
    expect(await inMackerel('/api/v0/services/shop/metadata/team')).toBe(404);
    expect(await inMackerel('/api/v0/services/shop/metadata/owner')).toEqual({ team: 'a' });
  });

  test('Mackerel\'s own error is reported: a service that does not exist, a value over 100 KB', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    await expect(metadata.create({ service: 'nowhere', namespace: 'owner', metadata: '{}' }))
      .rejects.toThrow(/Custom::MackerelServiceMetadata Owner: Create failed: PUT \/api\/v0\/services\/nowhere\/metadata\/owner: HTTP 404: /);
    await expect(metadata.create({ service: 'shop', namespace: 'owner', metadata: JSON.stringify('x'.repeat(110 * 1024)) }))
      .rejects.toThrow(/HTTP 413: metadata is too large/);
  });

  test('the ownership namespace is refused before any call', async () => {
    const metadata = new FakeResource(_RESOURCE_TYPES.SERVICE_METADATA, 'Owner');
    const from = env.emulator.requests().length;
    await expect(metadata.create({ service: 'shop', namespace: 'cdk-mackerel', metadata: '{}' }))
      .rejects.toThrow(/namespace "cdk-mackerel" is the ownership mark of cdk-mackerel/);
    expect(env.emulator.requests().slice(from)).toEqual([]);
  });
});

describe('Custom::MackerelRoleMetadata', () => {
  test('create, update in place, replace on a new role, delete', async () => {
    expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'db' })).status).toBe(200);
    const metadata = new FakeResource(_RESOURCE_TYPES.ROLE_METADATA, 'Runbook');

    await expect(metadata.create({ role: 'shop:web', namespace: 'runbook', metadata: '{"url":"https://wiki/web"}' }))
      .resolves.toEqual({ PhysicalResourceId: 'shop:web/runbook', Data: { Namespace: 'runbook' } });
    expect(await inMackerel('/api/v0/services/shop/roles/web/metadata/runbook')).toEqual({ url: 'https://wiki/web' });

    await metadata.update({ role: 'shop:web', namespace: 'runbook', metadata: '{"url":"https://wiki/web2"}' });
    expect(await inMackerel('/api/v0/services/shop/roles/web/metadata/runbook')).toEqual({ url: 'https://wiki/web2' });

    await expect(metadata.update({ role: 'shop:db', namespace: 'runbook', metadata: '{}' })).resolves.toMatchObject({ PhysicalResourceId: 'shop:db/runbook', replaced: true });
    expect(await inMackerel('/api/v0/services/shop/roles/web/metadata/runbook')).toBe(404);
    expect(await inMackerel('/api/v0/services/shop/roles/db/metadata/runbook')).toEqual({});

    await metadata.delete();
    expect(await inMackerel('/api/v0/services/shop/roles/db/metadata/runbook')).toBe(404);
  });

  test('Mackerel\'s refusal of an eleventh namespace is reported', async () => {
    for (let i = 0; i < 10; i++) await api(env.emulator, 'PUT', `/api/v0/services/shop/roles/web/metadata/n${i}`, {});
    await expect(new FakeResource(_RESOURCE_TYPES.ROLE_METADATA, 'More').create({ role: 'shop:web', namespace: 'more', metadata: '{}' }))
      .rejects.toThrow(/HTTP 400: too many metadata namespaces: at most 10/);
  });

  test('a delete whose physical ID names no role metadata (a failed create) calls nothing', async () => {
    const from = env.emulator.requests().length;
    const metadata = new FakeResource(_RESOURCE_TYPES.ROLE_METADATA, 'Runbook');
    metadata.physicalId = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
    await expect(metadata.delete()).resolves.toBeDefined();
    expect(env.emulator.requests().slice(from)).toEqual([]);
  });
});
