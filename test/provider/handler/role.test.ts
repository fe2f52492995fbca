import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { api, apiSnapshot, FakeResource, StackTable, STACK_ID, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { useStackView } from '../../../src/provider/handler/stack';

const env = useEmulator();
const MARK_PATH = (service: string, role: string) => `/api/v0/services/${service}/roles/${role}/metadata/cdk-mackerel`;

async function roleNames(service = 'shop'): Promise<string[]> {
  const got = await api(env.emulator, 'GET', `/api/v0/services/${service}/roles`);
  return got.status === 200 ? got.body.roles.map((r: { name: string }) => r.name).sort() : [];
}

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
beforeEach(async () => {
  // Services made outside the stack; the roles are the stack's.
  for (const name of ['shop', 'store']) expect((await api(env.emulator, 'POST', '/api/v0/services', { name })).status).toBe(200);
  baseline = await apiSnapshot(env.emulator);
});

describe('Custom::MackerelRole', () => {
  test('create makes the role, marks it, and returns service:role', async () => {
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');

    const result = await role.create({ service: 'shop', name: 'web', memo: 'web tier' });

    expect(result).toEqual({ PhysicalResourceId: 'shop:web', Data: { FullName: 'shop:web', ServiceName: 'shop', RoleName: 'web', MemoIgnored: 'false' } });
    expect(await roleNames()).toEqual(['web']);
    expect((await api(env.emulator, 'GET', MARK_PATH('shop', 'web'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'Web' });
  });

  test('create fails clearly on a role that already exists', async () => {
    await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' });

    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.ROLE, 'Web').create({ service: 'shop', name: 'web' }));

    expect(error.message).toMatch(/^Custom::MackerelRole Web: Create failed: role "shop:web" already exists in Mackerel \(with no cdk-mackerel mark: made outside cdk-mackerel, or left by a create stopped before it could mark it\); expected a name that is free/);
  });

  test('create in a service that does not exist fails with Mackerel\'s 404', async () => {
    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.ROLE, 'Web').create({ service: 'nothere', name: 'web' }));

    expect(error.message).toMatch(/^Custom::MackerelRole Web: Create failed: POST \/api\/v0\/services\/nothere\/roles: HTTP 404: .+/);
  });

  test('a no-op update and a memo change make no write call', async () => {
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    await role.create({ service: 'shop', name: 'web' });
    const from = env.emulator.requests().length;

    await expect(role.update({ service: 'shop', name: 'web' })).resolves.toMatchObject({ replaced: false, Data: { MemoIgnored: 'false' } });
    await expect(role.update({ service: 'shop', name: 'web', memo: 'm' })).resolves.toMatchObject({ replaced: false, Data: { MemoIgnored: 'true' } });
    expect(writes(env.emulator, from)).toEqual([]);
  });

  test.each([
    ['name', { service: 'shop', name: 'app' }, 'shop:app'],
    ['service', { service: 'store', name: 'web' }, 'store:web'],
  ])('a new %s replaces the role, and the cleanup deletes the old one', async (_field, props, fullName) => {
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    await role.create({ service: 'shop', name: 'web' });

    const result = await role.update(props);

    expect(result).toMatchObject({ PhysicalResourceId: fullName, replaced: true });
    expect(await roleNames('shop')).toEqual(props.service === 'shop' ? ['app'] : []);
    expect(await roleNames('store')).toEqual(props.service === 'store' ? ['web'] : []);
  });

  test.each([
    ['name', { service: 'shop', name: 'app' }, 'shop', 'app'],
    ['service', { service: 'store', name: 'web' }, 'store', 'web'],
  ])('a new %s naming a role not the stack\'s fails, and leaves both roles alone', async (_field, props, service, name) => {
    // GIVEN this stack's role, and a role made outside under the full name it is changed to
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    await role.create({ service: 'shop', name: 'web' });
    await api(env.emulator, 'POST', `/api/v0/services/${service}/roles`, { name });
    const from = env.emulator.requests().length;

    // WHEN
    const error = await rejectionOf(role.update(props));

    // THEN
    expect(error.message).toMatch(new RegExp(`^Custom::MackerelRole Web: Update failed: role "${service}:${name}" already exists in Mackerel \\(with no cdk-mackerel mark: made outside cdk-mackerel, or left by a create stopped before it could mark it\\)`));
    expect(writes(env.emulator, from)).toEqual([]);
    expect(await roleNames(service)).toContain(name);
    expect(await roleNames('shop')).toContain('web');
  });

  test('a role deleted outside the stack is re-created by the next update', async () => {
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    await role.create({ service: 'shop', name: 'web' });
    await api(env.emulator, 'DELETE', '/api/v0/services/shop/roles/web');

    await role.update({ service: 'shop', name: 'web', memo: 'back' });

    expect(await roleNames()).toEqual(['web']);
    expect((await api(env.emulator, 'GET', MARK_PATH('shop', 'web'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'Web' });
  });

  test('delete removes the role it created and leaves nothing behind', async () => {
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    await role.create({ service: 'shop', name: 'web' });

    await role.delete();

    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('delete never removes a role without this resource\'s mark', async () => {
    await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' });
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    role.physicalId = 'shop:web';

    await role.delete();

    expect(await roleNames()).toEqual(['web']);
    expect(env.logs.lines().join('\n')).toMatch(/left in Mackerel: not created by this resource.*role \\"shop:web\\"/);
  });

  test('a moved construct takes its role over, the old resource\'s cleanup leaves it, and the new one deletes it', async () => {
    const before = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    await before.create({ service: 'shop', name: 'web' });
    const moved = new FakeResource(_RESOURCE_TYPES.ROLE, 'ShopWeb');

    await moved.create({ service: 'shop', name: 'web' });
    await before.delete();

    expect(await roleNames()).toEqual(['web']);
    expect((await api(env.emulator, 'GET', MARK_PATH('shop', 'web'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'ShopWeb' });
    await moved.delete();
    expect(await roleNames()).toEqual([]);
  });

  describe('two roles of the stack that swap names, with an UpdateReplacePolicy that retains (CloudFormation sends no cleanup Delete)', () => {
    afterEach(() => useStackView());

    test('a stack delete deletes both, and a later rename before it the old role: neither is taken for a move to roll back', async () => {
      // GIVEN roles A (shop:web) and B (shop:api) that swap names, answered as CloudFormation does
      const stack = new StackTable();
      useStackView(stack.view);
      const a = new FakeResource(_RESOURCE_TYPES.ROLE, 'A');
      const b = new FakeResource(_RESOURCE_TYPES.ROLE, 'B');
      await a.create({ service: 'shop', name: 'web' });
      await b.create({ service: 'shop', name: 'api' });
      await a.update({ service: 'shop', name: 'api' }, { retained: true });
      await b.update({ service: 'shop', name: 'web' }, { retained: true });
      stack.track({ A: a, B: b });

      // WHEN B is renamed without the policy (its old role gets the cleanup Delete), then the stack is deleted
      stack.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
      await expect(b.update({ service: 'shop', name: 'batch' })).resolves.toMatchObject({ PhysicalResourceId: 'shop:batch', replaced: true });
      const renamed = await roleNames();
      stack.track({ B: b });
      stack.status = 'DELETE_IN_PROGRESS';
      await expect(a.delete()).resolves.toEqual({ PhysicalResourceId: 'shop:api', Data: {} });
      await expect(b.delete()).resolves.toEqual({ PhysicalResourceId: 'shop:batch', Data: {} });

      // THEN
      expect(renamed).toEqual(['api', 'batch']);
      expect(await roleNames()).toEqual([]);
    });
  });

  describe('a role that monitors, downtimes or alert group settings not its own name in their scopes', () => {
    const OTHER_STACK = STACK_ID.replace('stack/shop/', 'stack/batch/');
    const host = (name: string, scope: { scopes?: string[]; excludeScopes?: string[] }) => ({ type: 'host', name, metric: 'cpu%', operator: '>', warning: 80, duration: 1, ...scope });
    const status = async (path: string) => (await api(env.emulator, 'GET', path)).status;

    test('is left in Mackerel with a monitor made outside scoped to it alone, which deleting it would delete', async () => {
      // GIVEN this stack's role, and host monitors made in the web UI: one scoped to that role alone, one to another role
      await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'db' });
      const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
      await role.create({ service: 'shop', name: 'web' });
      const cpu = (await api(env.emulator, 'POST', '/api/v0/monitors', host('cpu', { scopes: ['shop:web'] }))).body.id;
      await api(env.emulator, 'POST', '/api/v0/monitors', host('db cpu', { scopes: ['shop:db'] }));
      const from = env.emulator.requests().length;

      // WHEN
      const result = await role.delete();

      // THEN the role and the monitor stay, named in the answer and a warning
      expect(result).toEqual({
        PhysicalResourceId: 'shop:web',
        Data: { LeftInMackerel: `it is still named in the scopes of monitor "cpu" (${cpu}), not this resource's, which deleting it would delete or change` },
      });
      expect(writes(env.emulator, from)).toEqual([]);
      expect(await roleNames()).toEqual(['db', 'web']);
      expect(await status(`/api/v0/monitors/${cpu}`)).toBe(200);
      const line = env.logs.lines().map((l) => JSON.parse(l)).find((l) => l.message.startsWith('left in Mackerel: monitors, downtimes or alert group settings'));
      expect(line).toMatchObject({ level: 'warn', object: 'role "shop:web"', scopedBy: [`monitor "cpu" (${cpu})`] });
    });

    test('is left in Mackerel while an expression monitor made outside reads it by role(...): deleting it would leave that monitor alerting Unknown', async () => {
      // GIVEN this stack's role, and expression monitors made outside: one reading it (quoted, spaced), others reading
      // roles whose names only start alike or another service's role of the same name
      const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
      await role.create({ service: 'shop', name: 'web' });
      const expression = (name: string, text: string) => ({ type: 'expression', name, expression: text, operator: '>', warning: 80 });
      const reads = (await api(env.emulator, 'POST', '/api/v0/monitors', expression('web cpu', "max(role( 'shop:web' , 'cpu%'))"))).body.id;
      await api(env.emulator, 'POST', '/api/v0/monitors', expression('webx cpu', 'max(role(shop:webx, cpu%))'));
      await api(env.emulator, 'POST', '/api/v0/monitors', expression('store web cpu', 'max(role(store:web, cpu%))'));
      const from = env.emulator.requests().length;

      // WHEN
      const result = await role.delete();

      // THEN the role stays, with the monitor named as reading it
      expect(result).toEqual({
        PhysicalResourceId: 'shop:web',
        Data: {
          LeftInMackerel: `it is still named in role(...) of the expression of monitor "web cpu" (${reads}), not this resource's, `
            + 'which deleting it would leave alerting Unknown',
        },
      });
      expect(writes(env.emulator, from)).toEqual([]);
      expect(await roleNames()).toEqual(['web']);
    });

    test('is left in Mackerel while an outside expression monitor reads it by roleSlots(...), which reads the role too', async () => {
      // GIVEN this stack's role, and an expression monitor made outside reading its metrics by roleSlots (the functions
      // of expression monitoring are those of Mackerel's expanded graph permalinks, roleSlots(roleFullname, metricName) among them)
      const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
      await role.create({ service: 'shop', name: 'web' });
      const slots = (await api(env.emulator, 'POST', '/api/v0/monitors',
        { type: 'expression', name: 'web slots', expression: 'max(roleSlots(shop:web, loadavg5))', operator: '>', warning: 80 })).body.id;
      const from = env.emulator.requests().length;

      // WHEN
      const result = await role.delete();

      // THEN the role stays, with the monitor named as reading it
      expect(result).toEqual({
        PhysicalResourceId: 'shop:web',
        Data: {
          LeftInMackerel: `it is still named in roleSlots(...) of the expression of monitor "web slots" (${slots}), not this resource's, `
            + 'which deleting it would leave alerting Unknown',
        },
      });
      expect(writes(env.emulator, from)).toEqual([]);
      expect(await roleNames()).toEqual(['web']);
    });

    test('is left in Mackerel when another stack\'s monitor, or scope lists it only shares or excludes, name it: deleting it would change them', async () => {
      // GIVEN this stack's role; another stack's monitor scoped to it and another role (MackerelRole.fromFullName there);
      // a monitor, a downtime and an alert group setting made outside, naming it among others or as excluded
      await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'db' });
      const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
      await role.create({ service: 'shop', name: 'web' });
      const { PhysicalResourceId: theirs } = await new FakeResource(_RESOURCE_TYPES.MONITOR, 'Cpu', OTHER_STACK).create(host('theirs', { scopes: ['shop:web', 'shop:db'] }));
      const excluding = (await api(env.emulator, 'POST', '/api/v0/monitors', host('not web', { scopes: ['shop'], excludeScopes: ['shop:web'] }))).body.id;
      const night = (await api(env.emulator, 'POST', '/api/v0/downtimes', { name: 'night', start: 2_000_000_000, duration: 60, roleScopes: ['shop:web', 'shop:db'] })).body.id;
      const quiet = (await api(env.emulator, 'POST', '/api/v0/alert-group-settings', { name: 'quiet', roleScopes: ['shop:web'] })).body.id;
      const before = await apiSnapshot(env.emulator);

      // WHEN
      const result = await role.delete();

      // THEN all of them are named, and nothing changed
      expect(result.Data).toEqual({
        LeftInMackerel: `it is still named in the scopes of alert group setting "quiet" (${quiet}), downtime "night" (${night}), `
          + `monitor "not web" (${excluding}), monitor "theirs" (${theirs}), not this resource's, which deleting it would delete or change`,
      });
      expect(await apiSnapshot(env.emulator)).toEqual(before);
    });

    test('a list Mackerel refuses to read fails the delete with Mackerel\'s words, and deletes nothing', async () => {
      const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
      await role.create({ service: 'shop', name: 'web' });
      env.emulator.injectFault({ method: 'GET', path: '/api/v0/downtimes', status: 403, body: { error: { message: 'Permission denied for downtimes' } }, times: 10 });

      const error = await rejectionOf(role.delete());

      expect(error.message).toMatch(/^Custom::MackerelRole Web: Delete failed: GET \/api\/v0\/downtimes: HTTP 403: .*Permission denied for downtimes/);
      expect(await roleNames()).toEqual(['web']);
    });
  });

  test('delete succeeds when the role\'s service is already gone', async () => {
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    await role.create({ service: 'shop', name: 'web' });
    await api(env.emulator, 'DELETE', '/api/v0/services/shop');

    await expect(role.delete()).resolves.toEqual({ PhysicalResourceId: 'shop:web', Data: {} });
  });

  test.each(['shop', 'shop:web:x', 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED'])('delete calls nothing for the physical ID %s', async (id) => {
    const role = new FakeResource(_RESOURCE_TYPES.ROLE, 'Web');
    role.physicalId = id;
    const from = env.emulator.requests().length;

    await role.delete();

    expect(env.emulator.requests().slice(from)).toEqual([]);
  });
});
