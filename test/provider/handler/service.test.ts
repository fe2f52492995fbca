import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { api, apiSnapshot, cfnEvent, FakeResource, lambdaContext, StackTable, STACK_ID, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { handler } from '../../../src/provider/handler/index';
import { addSecret } from '../../../src/provider/handler/log';
import { useStackView } from '../../../src/provider/handler/stack';

const env = useEmulator();
const MARK_PATH = (name: string) => `/api/v0/services/${name}/metadata/cdk-mackerel`;
/** A stack of another name, in the same account and region. */
const ANOTHER_STACK = STACK_ID.replace('stack/shop/', 'stack/cart/');
/** The stack of this name before it was deleted: CloudFormation gives each stack an ID of its own. */
const EARLIER_STACK = STACK_ID.replace(/[^/]+$/, '99999999-8888-7777-6666-555555555555');

async function serviceNames() {
  return (await apiSnapshot(env.emulator)).services.map((s) => s.name).sort();
}

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
beforeEach(async () => {
  baseline = await apiSnapshot(env.emulator);
});

describe('Custom::MackerelService', () => {
  describe('create', () => {
    test('creates the service, marks it as this resource\'s, and returns the name', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');

      const result = await service.create({ name: 'shop', memo: 'the shop' });

      expect(result).toEqual({ PhysicalResourceId: 'shop', Data: { Name: 'shop', MemoIgnored: 'false' } });
      expect((await apiSnapshot(env.emulator)).services).toContainEqual(expect.objectContaining({ name: 'shop', memo: 'the shop' }));
      expect((await api(env.emulator, 'GET', MARK_PATH('shop'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });
    });

    test('fails clearly on a service that already exists, and leaves it alone', async () => {
      await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' });
      const from = env.emulator.requests().length;

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop').create({ name: 'shop' }));

      expect(error.message).toBe('Custom::MackerelService Shop: Create failed: service "shop" already exists in Mackerel (with no cdk-mackerel mark: made outside cdk-mackerel, or left by a create stopped before it could mark it); '
        + 'expected a name that is free. Refer to an existing service with MackerelService.fromName() instead of creating it. '
        + 'If a stopped create left it, delete it in Mackerel and deploy again.');
      expect(writes(env.emulator, from)).toEqual([]);
    });

    test('a construct moved to a new logical ID takes its service over; the old resource\'s cleanup leaves it', async () => {
      const before = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await before.create({ name: 'shop' });
      const moved = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Moved');

      await expect(moved.create({ name: 'shop' })).resolves.toMatchObject({ PhysicalResourceId: 'shop' });
      expect((await api(env.emulator, 'GET', '/api/v0/services/shop/metadata/cdk-mackerel')).body)
        .toEqual({ stackId: STACK_ID, logicalResourceId: 'Moved', handedOverFrom: 'Shop' });

      await before.delete();
      expect((await api(env.emulator, 'GET', '/api/v0/services')).body.services.map((x: { name: string }) => x.name)).toEqual(['shop']);
      expect((await api(env.emulator, 'GET', '/api/v0/services/shop/metadata/cdk-mackerel')).body)
        .toEqual({ stackId: STACK_ID, logicalResourceId: 'Moved' });

      await moved.delete();
      expect((await api(env.emulator, 'GET', '/api/v0/services')).body.services).toEqual([]);
    });

    describe('the delete of a resource that took the service over, before the old one let go of it', () => {
      afterEach(() => useStackView());

      /** A service created by resource Shop, then taken over by resource Moved; the stack as `view` says. */
      async function takenOver(view: { hasShop: boolean; rollingBack?: boolean } | Error) {
        useStackView(view instanceof Error
          ? { holds: async () => { throw view; }, isRollingBack: async () => { throw view; }, heldByAnother: async () => { throw view; } }
          : {
            holds: async (stackId, id, physicalId) => stackId === STACK_ID && id === 'Shop' && physicalId === 'shop' && view.hasShop,
            isRollingBack: async () => view.rollingBack ?? false,
            heldByAnother: async () => { throw new Error('not asked'); },
          });
        const before = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await before.create({ name: 'shop' });
        const moved = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Moved');
        await moved.create({ name: 'shop' });
        return { before, moved };
      }

      test('hands it back while the old resource is still in the stack: a move being rolled back', async () => {
        const { before, moved } = await takenOver({ hasShop: true });

        // the delete says the service stays, for the CLI to print rather than "deleted"
        await expect(moved.delete()).resolves.toMatchObject({
          Data: { LeftInMackerel: 'it was handed back to resource Shop, which it was taken from (a move being rolled back)' },
        });
        expect((await api(env.emulator, 'GET', MARK_PATH('shop'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });

        await before.delete();
        expect(await serviceNames()).toEqual([]);
      });

      test('deletes it when the old resource left the stack keeping it (DeletionPolicy Retain), as a retained service added back under a new id', async () => {
        const { moved } = await takenOver({ hasShop: false });

        await expect(moved.delete()).resolves.toEqual({ PhysicalResourceId: 'shop', Data: {} });
        expect(await serviceNames()).toEqual([]);
      });

      test('hands it back to the old resource that kept it while the stack rolls back the update that took it over', async () => {
        const { moved } = await takenOver({ hasShop: false, rollingBack: true });

        await expect(moved.delete()).resolves.toMatchObject({
          Data: {
            LeftInMackerel: 'it was handed back to resource Shop, which it was taken from '
              + '(it left the stack or holds another object now, keeping this one, and the deploy that took it over is being rolled back)',
          },
        });
        expect(await serviceNames()).toEqual(['shop']);
        expect((await api(env.emulator, 'GET', MARK_PATH('shop'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });
      });

      test('hands it back, saying why, when the stack cannot be read', async () => {
        const { moved } = await takenOver(new Error('AccessDenied: not authorized to perform cloudformation:DescribeStackResource'));

        await expect(moved.delete()).resolves.toMatchObject({
          Data: {
            LeftInMackerel: 'it was handed back to resource Shop, which it was taken from (whether that resource is still in the stack could not be read: '
              + 'AccessDenied: not authorized to perform cloudformation:DescribeStackResource)',
          },
        });
        expect(await serviceNames()).toEqual(['shop']);
      });
    });

    describe('a service an earlier stack of this name kept when it was deleted', () => {
      afterEach(() => useStackView());

      /** The service created by resource `id` of the earlier stack, which was then deleted without deleting it. */
      async function keptByEarlierStack(rollingBack: boolean, id = 'Shop') {
        useStackView({
          holds: async () => { throw new Error('not asked'); },
          isRollingBack: async (stackId) => stackId === STACK_ID && rollingBack,
          heldByAnother: async () => { throw new Error('not asked'); },
        });
        await new FakeResource(_RESOURCE_TYPES.SERVICE, id, EARLIER_STACK).create({ name: 'shop' });
        const again = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await expect(again.create({ name: 'shop' })).resolves.toMatchObject({ PhysicalResourceId: 'shop' });
        return again;
      }

      test('is taken over by the stack deployed again, under any logical ID, and deleted with it', async () => {
        const again = await keptByEarlierStack(false, 'Svc');
        expect((await api(env.emulator, 'GET', MARK_PATH('shop'))).body)
          .toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop', handedOverFrom: 'Svc', handedOverFromStack: EARLIER_STACK });

        await expect(again.delete()).resolves.toEqual({ PhysicalResourceId: 'shop', Data: {} });
        expect(await serviceNames()).toEqual([]);
      });

      test('goes back to the earlier stack\'s mark when the deploy that took it over rolls back', async () => {
        const again = await keptByEarlierStack(true);

        await expect(again.delete()).resolves.toMatchObject({
          Data: {
            LeftInMackerel: `it was handed back to resource Shop of the deleted stack ${EARLIER_STACK}, which it was taken from `
              + '(that stack was deleted keeping the object, and the deploy that took it over is being rolled back)',
          },
        });
        expect(await serviceNames()).toEqual(['shop']);
        expect((await api(env.emulator, 'GET', MARK_PATH('shop'))).body).toEqual({ stackId: EARLIER_STACK, logicalResourceId: 'Shop' });
      });

      test('is refused to, and by, a stack of the same name that cdk-mackerel apply applied, which CloudFormation does not know of', async () => {
        const applied = STACK_ID.replace(/[^/]+$/, 'cdk-mackerel-local');
        await new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop', applied).create({ name: 'shop' });
        await new FakeResource(_RESOURCE_TYPES.SERVICE, 'Cart').create({ name: 'cart' });

        await expect(rejectionOf(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop').create({ name: 'shop' }))).resolves.toMatchObject({
          message: expect.stringContaining(`already exists in Mackerel (created by resource Shop of stack ${applied})`),
        });
        await expect(rejectionOf(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Cart', applied).create({ name: 'cart' }))).resolves.toMatchObject({
          message: expect.stringContaining(`already exists in Mackerel (created by resource Cart of stack ${STACK_ID})`),
        });
      });

      test('is refused to a stack of the same name in another region or account, which is another stack', async () => {
        await new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop', EARLIER_STACK.replace('ap-northeast-1', 'us-east-1')).create({ name: 'shop' });
        await new FakeResource(_RESOURCE_TYPES.SERVICE, 'Cart', EARLIER_STACK.replace('123456789012', '210987654321')).create({ name: 'cart' });

        await expect(rejectionOf(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop').create({ name: 'shop' }))).resolves.toMatchObject({
          message: expect.stringContaining('already exists in Mackerel (created by resource Shop of stack arn:aws:cloudformation:us-east-1:'),
        });
        await expect(rejectionOf(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Cart').create({ name: 'cart' }))).resolves.toMatchObject({
          message: expect.stringContaining('already exists in Mackerel (created by resource Cart of stack arn:aws:cloudformation:ap-northeast-1:210987654321:'),
        });
      });
    });

    test('a retried create of a service this very resource created succeeds without writing', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });
      const from = env.emulator.requests().length;

      await expect(service.create({ name: 'shop' })).resolves.toMatchObject({ PhysicalResourceId: 'shop' });
      expect(writes(env.emulator, from)).toEqual([]);
    });
  });

  describe('update', () => {
    test('a memo change writes nothing and reports MemoIgnored', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop', memo: 'old' });
      const from = env.emulator.requests().length;

      const result = await service.update({ name: 'shop', memo: 'new' });

      expect(result).toMatchObject({ PhysicalResourceId: 'shop', Data: { Name: 'shop', MemoIgnored: 'true' }, replaced: false });
      expect(writes(env.emulator, from)).toEqual([]);
    });

    test('a no-op update makes no write call', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });
      const from = env.emulator.requests().length;

      await expect(service.update({ name: 'shop' })).resolves.toMatchObject({ PhysicalResourceId: 'shop', replaced: false });
      expect(writes(env.emulator, from)).toEqual([]);
    });

    test('a new name replaces the service, and the cleanup deletes the old one', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });

      const result = await service.update({ name: 'store' });

      expect(result).toMatchObject({ PhysicalResourceId: 'store', Data: { Name: 'store' }, replaced: true });
      expect(await serviceNames()).toEqual(['store']);
      expect((await api(env.emulator, 'GET', MARK_PATH('store'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });
    });

    test('a new name that a service not the stack\'s already has fails, and leaves both services alone', async () => {
      // GIVEN this stack's service, and a service made outside under the name it is changed to
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });
      await api(env.emulator, 'POST', '/api/v0/services', { name: 'store' });
      const from = env.emulator.requests().length;

      // WHEN
      const error = await rejectionOf(service.update({ name: 'store' }));

      // THEN the rename is refused rather than taking the other service as this resource's
      expect(error.message).toMatch(/^Custom::MackerelService Shop: Update failed: service "store" already exists in Mackerel \(with no cdk-mackerel mark: made outside cdk-mackerel, or left by a create stopped before it could mark it\)/);
      expect(writes(env.emulator, from)).toEqual([]);
      expect(await serviceNames()).toEqual(['shop', 'store']);
    });

    describe('two services of the stack that swap names, with an UpdateReplacePolicy that retains (CloudFormation sends no cleanup Delete)', () => {
      afterEach(() => useStackView());

      /** Services A (shop) and B (cart), then the update that swaps their names, answered as CloudFormation does. */
      async function swapped() {
        const stack = new StackTable();
        useStackView(stack.view);
        const a = new FakeResource(_RESOURCE_TYPES.SERVICE, 'A');
        const b = new FakeResource(_RESOURCE_TYPES.SERVICE, 'B');
        await a.create({ name: 'shop' });
        await b.create({ name: 'cart' });
        stack.track({ A: a, B: b });
        // each takes over the other's old service, whose resource lets go of it with no Delete
        await expect(a.update({ name: 'cart' }, { retained: true })).resolves.toMatchObject({ PhysicalResourceId: 'cart', replaced: true });
        stack.track({ A: a });
        await expect(b.update({ name: 'shop' }, { retained: true })).resolves.toMatchObject({ PhysicalResourceId: 'shop', replaced: true });
        stack.track({ B: b });
        return { stack, a, b };
      }

      test('a stack delete deletes both: the resource each was taken from holds another service now, so it is no move to roll back', async () => {
        const { stack, a, b } = await swapped();

        stack.status = 'DELETE_IN_PROGRESS';
        await expect(b.delete()).resolves.toEqual({ PhysicalResourceId: 'shop', Data: {} });
        await expect(a.delete()).resolves.toEqual({ PhysicalResourceId: 'cart', Data: {} });

        expect(await serviceNames()).toEqual([]);
      });

      test('a later rename deletes the old service rather than handing it back to the resource it was once taken from', async () => {
        const { stack, a, b } = await swapped();

        // the policy is gone: the replaced service gets its cleanup Delete
        stack.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
        await expect(a.update({ name: 'blog' })).resolves.toMatchObject({ PhysicalResourceId: 'blog', replaced: true });

        expect(await serviceNames()).toEqual(['blog', 'shop']);
        expect((await api(env.emulator, 'GET', MARK_PATH('shop'))).body).toMatchObject({ stackId: STACK_ID, logicalResourceId: 'B' });
        stack.status = 'DELETE_IN_PROGRESS';
        await a.delete();
        await b.delete();
        expect(await serviceNames()).toEqual([]);
      });

      test('a rollback of the swap, whose cleanup deletes what the failed update made, still hands each service back', async () => {
        const { stack } = await swapped();

        // CloudFormation takes the resources back to their old physical IDs, then deletes the new ones
        stack.status = 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS';
        stack.resources.set('A', 'shop');
        stack.resources.set('B', 'cart');
        const cleanup = (id: string, physicalId: string, name: string) => handler(cfnEvent('Delete', _RESOURCE_TYPES.SERVICE, id, { name }, { physicalId }), lambdaContext());
        await expect(cleanup('A', 'cart', 'cart')).resolves.toMatchObject({ Data: { LeftInMackerel: expect.stringContaining('a move being rolled back') } });
        await expect(cleanup('B', 'shop', 'shop')).resolves.toMatchObject({ Data: { LeftInMackerel: expect.stringContaining('a move being rolled back') } });

        expect(await serviceNames()).toEqual(['cart', 'shop']);
        expect((await api(env.emulator, 'GET', MARK_PATH('shop'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'A' });
        expect((await api(env.emulator, 'GET', MARK_PATH('cart'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'B' });
      });
    });

    test('a service deleted outside the stack is re-created and marked', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });
      await api(env.emulator, 'DELETE', '/api/v0/services/shop');

      await expect(service.update({ name: 'shop', memo: 'back' })).resolves.toMatchObject({ PhysicalResourceId: 'shop' });
      expect(await serviceNames()).toEqual(['shop']);
      expect((await api(env.emulator, 'GET', MARK_PATH('shop'))).body).toEqual({ stackId: STACK_ID, logicalResourceId: 'Shop' });
    });
  });

  describe('delete', () => {
    test('deletes a service it created and leaves nothing behind', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });

      await service.delete();

      expect(await apiSnapshot(env.emulator)).toEqual(baseline);
    });

    test('never deletes a service without its mark, and logs why', async () => {
      await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' });
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      service.physicalId = 'shop';

      await expect(service.delete()).resolves.toEqual({ PhysicalResourceId: 'shop', Data: { LeftInMackerel: 'it was not created by this resource' } });

      expect(await serviceNames()).toEqual(['shop']);
      expect(env.logs.lines().join('\n')).toMatch(/left in Mackerel: not created by this resource/);
    });

    test('fails on a service marked by another stack, naming it', async () => {
      await new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop', ANOTHER_STACK).create({ name: 'shop' });

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop').create({ name: 'shop' }));

      expect(error.message).toContain(`(created by resource Shop of stack ${ANOTHER_STACK})`);
    });

    test('never deletes a service marked by another stack', async () => {
      await new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop', ANOTHER_STACK).create({ name: 'shop' });
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      service.physicalId = 'shop';

      await service.delete();

      expect(await serviceNames()).toEqual(['shop']);
    });

    describe('a service that still has roles that are not its own', () => {
      const OTHER_STACK = STACK_ID.replace('stack/shop/', 'stack/batch/');

      test('is left in Mackerel when another stack created a role in it, with a log line naming the role and its owner', async () => {
        // GIVEN another stack's role in this stack's service (MackerelService.fromName('shop') there)
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        await new FakeResource(_RESOURCE_TYPES.ROLE, 'Batch', OTHER_STACK).create({ service: 'shop', name: 'batch' });
        const from = env.emulator.requests().length;

        // WHEN
        await expect(service.delete()).resolves.toEqual({
          PhysicalResourceId: 'shop',
          Data: { LeftInMackerel: 'it still has role "shop:batch", not this resource\'s, which deleting it would delete' },
        });

        // THEN nothing is deleted, and the log says why
        expect(writes(env.emulator, from)).toEqual([]);
        expect((await api(env.emulator, 'GET', '/api/v0/services/shop/roles')).body.roles.map((r: { name: string }) => r.name)).toEqual(['batch']);
        const line = env.logs.lines().map((l) => JSON.parse(l)).find((l) => l.message.startsWith('left in Mackerel: it still has roles'));
        expect(line).toMatchObject({
          level: 'warn',
          object: 'service "shop"',
          rolesOfOthers: { 'role "shop:batch"': `created by resource Batch of stack ${OTHER_STACK}` },
        });
        expect(line).not.toHaveProperty('unmarkedRoles');
      });

      test('is left in Mackerel when it has a role made outside cdk-mackerel (unmarked), naming that role', async () => {
        // GIVEN a role added by hand, or by a host registered with a role that did not exist
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' });
        const from = env.emulator.requests().length;

        // WHEN
        await service.delete();

        // THEN
        expect(writes(env.emulator, from)).toEqual([]);
        expect(await serviceNames()).toEqual(['shop']);
        const line = env.logs.lines().map((l) => JSON.parse(l)).find((l) => l.message.startsWith('left in Mackerel: it still has roles'));
        expect(line).toMatchObject({ object: 'service "shop"', unmarkedRoles: ['role "shop:web"'] });
      });

      test('is deleted once its own roles are gone, as CloudFormation deletes them first', async () => {
        // GIVEN a role of this stack on the service, deleted before it (it depends on the service)
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const web = new FakeResource(_RESOURCE_TYPES.ROLE, 'ShopWeb');
        await web.create({ service: 'shop', name: 'web' });

        // WHEN
        await web.delete();
        await service.delete();

        // THEN
        expect(await apiSnapshot(env.emulator)).toEqual(baseline);
      });
    });

    describe('a service that monitors not its own are tied to (Mackerel deletes them with it)', () => {
      const OTHER_STACK = STACK_ID.replace('stack/shop/', 'stack/batch/');
      const ORDERS = { type: 'service', name: 'orders', service: 'shop', metric: 'orders.count', operator: '<', warning: 10, duration: 2 };
      const monitorStatus = async (id: string) => (await api(env.emulator, 'GET', `/api/v0/monitors/${id}`)).status;

      test('is left in Mackerel, with the monitors, when another stack\'s service monitor or a hand-made external monitor posts to it', async () => {
        // GIVEN this stack's service, a service monitor of another stack (MackerelService.fromName('shop') there)
        // and an external monitor made in the web UI that posts its response times to the service
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const { PhysicalResourceId: orders } = await new FakeResource(_RESOURCE_TYPES.MONITOR, 'Orders', OTHER_STACK).create(ORDERS);
        const external = (await api(env.emulator, 'POST', '/api/v0/monitors', {
          type: 'external', name: 'top page', url: 'https://shop.example.com/', service: 'shop', responseTimeWarning: 1500, responseTimeDuration: 3,
        })).body.id;
        const from = env.emulator.requests().length;

        // WHEN
        await expect(service.delete()).resolves.toEqual({
          PhysicalResourceId: 'shop',
          Data: { LeftInMackerel: `it still has monitor "orders" (${orders}), monitor "top page" (${external}), not this resource's, which deleting it would delete` },
        });

        // THEN nothing is deleted, and the log names the monitors
        expect(writes(env.emulator, from)).toEqual([]);
        expect(await serviceNames()).toEqual(['shop']);
        expect([await monitorStatus(orders), await monitorStatus(external)]).toEqual([200, 200]);
        const line = env.logs.lines().map((l) => JSON.parse(l)).find((l) => l.message.startsWith('left in Mackerel: it still has'));
        expect(line).toMatchObject({ level: 'warn', object: 'service "shop"', monitors: [`monitor "orders" (${orders})`, `monitor "top page" (${external})`] });
      });

      test('is left in Mackerel when a monitor not its own is scoped to it alone, which deleting it would delete too', async () => {
        // GIVEN this stack's service, and host monitors made in the web UI: one scoped to the service alone, one
        // scoped to it and another service (which deleting the service only narrows)
        await api(env.emulator, 'POST', '/api/v0/services', { name: 'other' });
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const host = (name: string, scopes: string[]) => ({ type: 'host', name, metric: 'cpu%', operator: '>', warning: 80, duration: 1, scopes });
        const scoped = (await api(env.emulator, 'POST', '/api/v0/monitors', host('cpu', ['shop']))).body.id;
        await api(env.emulator, 'POST', '/api/v0/monitors', host('cpu everywhere', ['shop', 'other']));

        // WHEN
        const result = await service.delete();

        // THEN the service and the monitor stay, named
        expect(result.Data).toEqual({ LeftInMackerel: `it still has monitor "cpu" (${scoped}), not this resource's, which deleting it would delete` });
        expect(await serviceNames()).toEqual(['other', 'shop']);
        expect(await monitorStatus(scoped)).toBe(200);
      });

      test('names the monitors that keep it scrubbed, as every text the handler answers: a monitor named with a secret it learnt shows ****', async () => {
        // GIVEN a secret the handler learnt in this container (as a channel's URL), and a hand-made monitor scoped to the service named with it
        addSecret('https://hooks.example.com/T0LEFT/B0LEFT/left-secret-0815');
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const host = { type: 'host', name: 'cpu https://hooks.example.com/T0LEFT/B0LEFT/left-secret-0815', metric: 'cpu%', operator: '>', warning: 80, duration: 1, scopes: ['shop'] };
        const scoped = (await api(env.emulator, 'POST', '/api/v0/monitors', host)).body.id;

        // WHEN
        const result = await service.delete();

        // THEN
        expect(result.Data).toEqual({ LeftInMackerel: `it still has monitor "cpu ****" (${scoped}), not this resource's, which deleting it would delete` });
      });

      test('names the monitors within CloudFormation\'s 4096-byte response however many there are, and logs them all', async () => {
        // GIVEN a service that 60 hand-made service monitors with long names are tied to
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const names = Array.from({ length: 60 }, (_, i) => `orders placed per minute on the shop front, checkout step ${i}`);
        for (const name of names) expect((await api(env.emulator, 'POST', '/api/v0/monitors', { ...ORDERS, name })).status).toBe(200);

        // WHEN
        const result = await service.delete();

        // THEN what the provider framework sends on success (cfn-response.ts) fits, with the start of the list
        const left = result.Data.LeftInMackerel;
        expect(left).toMatch(/^it still has monitor "orders placed per minute on the shop front, checkout step \d+" \(\w+\), .*\.\.\. \(\d+ more characters in the handler's log\)$/);
        const response = JSON.stringify({
          Status: 'SUCCESS',
          Reason: 'SUCCESS',
          StackId: STACK_ID,
          RequestId: '9b8f1c52-7a6e-4d3c-9a1b-0c2d3e4f5a6b',
          PhysicalResourceId: result.PhysicalResourceId,
          LogicalResourceId: 'Shop',
          Data: result.Data,
        });
        expect(Buffer.byteLength(response, 'utf8')).toBeLessThanOrEqual(4096);
        expect(await serviceNames()).toEqual(['shop']);
        const line = env.logs.lines().map((l) => JSON.parse(l)).find((l) => l.message.startsWith('why the object was left is cut'));
        expect(names.every((name) => line.leftInMackerel.includes(`monitor "${name}"`))).toBe(true);
      });

      test('is deleted once its own monitors are gone, as CloudFormation deletes them first', async () => {
        // GIVEN a service monitor of this stack on the service, deleted before it (it refers to the service)
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const orders = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Orders');
        await orders.create(ORDERS);

        // WHEN
        await orders.delete();
        await service.delete();

        // THEN
        expect(await apiSnapshot(env.emulator)).toEqual(baseline);
      });
    });

    describe('a service that downtimes or alert group settings not its own name in their scopes (Mackerel drops it from them)', () => {
      const OTHER_STACK = STACK_ID.replace('stack/shop/', 'stack/batch/');
      const night = { name: 'night', start: 2_000_000_000, duration: 60 };

      test('is left in Mackerel when a hand-made downtime or alert group setting, or another stack\'s, names it among others, alone or as excluded', async () => {
        // GIVEN this stack's service; a downtime made in the web UI scoped to it alone (deleting it would delete the
        // downtime), one excluding it, and another stack's alert group setting naming it with another service
        await api(env.emulator, 'POST', '/api/v0/services', { name: 'other' });
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const alone = (await api(env.emulator, 'POST', '/api/v0/downtimes', { ...night, serviceScopes: ['shop'] })).body.id;
        const excluding = (await api(env.emulator, 'POST', '/api/v0/downtimes', { ...night, name: 'not shop', serviceExcludeScopes: ['shop'] })).body.id;
        const { PhysicalResourceId: quiet } = await new FakeResource(_RESOURCE_TYPES.ALERT_GROUP_SETTING, 'Quiet', OTHER_STACK)
          .create({ name: 'quiet', serviceScopes: ['shop', 'other'] });
        const before = await apiSnapshot(env.emulator);

        // WHEN
        const result = await service.delete();

        // THEN all of them are named, in the answer and a warning, and nothing changed
        expect(result).toEqual({
          PhysicalResourceId: 'shop',
          Data: {
            LeftInMackerel: `it is still named in the scopes of alert group setting "quiet" (${quiet}), downtime "night" (${alone}), `
              + `downtime "not shop" (${excluding}), not this resource's, which deleting it would delete or change`,
          },
        });
        expect(await apiSnapshot(env.emulator)).toEqual(before);
        const line = env.logs.lines().map((l) => JSON.parse(l)).find((l) => l.message.startsWith('left in Mackerel: monitors, downtimes or alert group settings'));
        expect(line).toMatchObject({ level: 'warn', object: 'service "shop"' });
        expect(line.scopedBy).toHaveLength(3);
      });

      test('is deleted once its own downtime naming it is gone, as CloudFormation deletes it first', async () => {
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const downtime = new FakeResource(_RESOURCE_TYPES.DOWNTIME, 'Night');
        await downtime.create({ ...night, serviceScopes: ['shop'] });

        await downtime.delete();
        await service.delete();

        expect(await apiSnapshot(env.emulator)).toEqual(baseline);
      });

      test('a list Mackerel refuses to read fails the delete with Mackerel\'s words, and deletes nothing', async () => {
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        env.emulator.injectFault({ method: 'GET', path: '/api/v0/alert-group-settings', status: 403, body: { error: { message: 'Permission denied for alert group settings' } }, times: 1 });

        const error = await rejectionOf(service.delete());

        expect(error.message).toMatch(/^Custom::MackerelService Shop: Delete failed: GET \/api\/v0\/alert-group-settings: HTTP 403: .*Permission denied for alert group settings/);
        expect(await serviceNames()).toEqual(['shop']);
      });
    });

    describe('a service an expression monitor not its own reads by service(...) (deleting it would leave that monitor alerting Unknown)', () => {
      const expression = (name: string, text: string) => ({ type: 'expression', name, expression: text, operator: '<', warning: 10 });

      test('is left in Mackerel while an expression monitor made outside reads it by service(...), and not for look-alikes', async () => {
        // GIVEN this stack's service, and expression monitors made outside: one reading its metric (quoted, spaced), others
        // reading a service whose name only starts alike, or calling a function whose name only ends alike
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        const reads = (await api(env.emulator, 'POST', '/api/v0/monitors', expression('orders', "sum(service( 'shop' , orders.count))"))).body.id;
        await api(env.emulator, 'POST', '/api/v0/monitors', expression('shopx orders', 'sum(service(shopx, orders.count))'));
        await api(env.emulator, 'POST', '/api/v0/monitors', expression('my orders', 'sum(myservice(shop, orders.count))'));
        const from = env.emulator.requests().length;

        // WHEN
        const result = await service.delete();

        // THEN the service stays, with only the monitor reading it named, in the answer and a warning
        expect(result).toEqual({
          PhysicalResourceId: 'shop',
          Data: {
            LeftInMackerel: `it is still named in service(...) of the expression of monitor "orders" (${reads}), not this resource's, `
              + 'which deleting it would leave alerting Unknown',
          },
        });
        expect(writes(env.emulator, from)).toEqual([]);
        expect(await serviceNames()).toEqual(['shop']);
        const line = env.logs.lines().map((l) => JSON.parse(l)).find((l) => l.message.startsWith('left in Mackerel: monitors, downtimes or alert group settings'));
        expect(line).toMatchObject({ level: 'warn', object: 'service "shop"', scopedBy: [`service(...) of the expression of monitor "orders" (${reads})`] });
      });

      test('is deleted when only look-alikes read a service of a name like it', async () => {
        // GIVEN this stack's service, and expression monitors made outside that only look like reading it
        const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
        await service.create({ name: 'shop' });
        await api(env.emulator, 'POST', '/api/v0/monitors', expression('shopx orders', 'sum(service(shopx, orders.count))'));
        await api(env.emulator, 'POST', '/api/v0/monitors', expression('my orders', 'sum(myservice(shop, orders.count))'));

        // WHEN
        const result = await service.delete();

        // THEN
        expect(result).toEqual({ PhysicalResourceId: 'shop', Data: {} });
        expect(await serviceNames()).toEqual([]);
      });
    });

    test('succeeds when the service is already gone', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });
      await api(env.emulator, 'DELETE', '/api/v0/services/shop');

      await expect(service.delete()).resolves.toEqual({ PhysicalResourceId: 'shop', Data: {} });
    });

    test('succeeds when the service goes between the look-up and the DELETE (a 404 from DELETE)', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      await service.create({ name: 'shop' });
      env.emulator.injectFault({ method: 'DELETE', path: '/api/v0/services/shop', status: 404, body: { error: { message: 'service is not found.' } } });

      await expect(service.delete()).resolves.toEqual({ PhysicalResourceId: 'shop', Data: {} });
    });

    test('calls nothing for a physical ID that is not a service name', async () => {
      const service = new FakeResource(_RESOURCE_TYPES.SERVICE, 'Shop');
      service.physicalId = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
      const from = env.emulator.requests().length;

      await service.delete();

      expect(env.emulator.requests().slice(from)).toEqual([]);
    });
  });
});
