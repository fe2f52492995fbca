import { beforeEach, describe, expect, test } from 'vitest';
import { api, apiSnapshot, FakeResource, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';

const env = useEmulator();

async function groupInMackerel(id: string) {
  return (await api(env.emulator, 'GET', '/api/v0/notification-groups')).body.notificationGroups.find((g: { id: string }) => g.id === id);
}

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
let channelId: string;
let monitorId: string;
beforeEach(async () => {
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
  channelId = (await api(env.emulator, 'POST', '/api/v0/channels', { type: 'email', name: 'mail', emails: ['a@example.com'], events: ['alert'] })).body.id;
  monitorId = (await api(env.emulator, 'POST', '/api/v0/monitors', { type: 'connectivity', name: 'alive', scopes: ['shop'] })).body.id;
  baseline = await apiSnapshot(env.emulator);
});

describe('Custom::MackerelNotificationGroup', () => {
  test('create, update in place, no-op, delete', async () => {
    const group = new FakeResource(_RESOURCE_TYPES.NOTIFICATION_GROUP, 'Ops');
    const props = { name: 'ops', notificationLevel: 'all', childChannelIds: [channelId], monitors: [{ id: monitorId, skipDefault: true }], services: [{ name: 'shop' }] };

    const { PhysicalResourceId: id, Data } = await group.create(props);
    expect(Data).toEqual({ NotificationGroupId: id });
    expect(await groupInMackerel(id)).toMatchObject(props);

    const updated = { ...props, notificationLevel: 'critical', monitors: [{ id: monitorId, skipDefault: false }] };
    await expect(group.update(updated)).resolves.toMatchObject({ PhysicalResourceId: id, replaced: false });
    expect(await groupInMackerel(id)).toMatchObject(updated);

    const from = env.emulator.requests().length;
    await group.update({ ...updated });
    expect(writes(env.emulator, from)).toEqual([]);

    await group.delete();
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('dropping every child sends empty lists, which clears them', async () => {
    const group = new FakeResource(_RESOURCE_TYPES.NOTIFICATION_GROUP, 'Ops');
    const { PhysicalResourceId: id } = await group.create({ name: 'ops', notificationLevel: 'all', childChannelIds: [channelId] });

    await group.update({ name: 'ops', notificationLevel: 'all' });

    expect(await groupInMackerel(id)).toMatchObject({ childChannelIds: [], childNotificationGroupIds: [] });
  });

  test('an update without members sends every member list, empty, in the PUT body', async () => {
    // GIVEN a group with a member of every kind
    const group = new FakeResource(_RESOURCE_TYPES.NOTIFICATION_GROUP, 'Ops');
    const child = (await api(env.emulator, 'POST', '/api/v0/notification-groups', { name: 'child', notificationLevel: 'all', childNotificationGroupIds: [], childChannelIds: [] })).body.id;
    await group.create({
      name: 'ops', notificationLevel: 'all', childNotificationGroupIds: [child], childChannelIds: [channelId], monitors: [{ id: monitorId, skipDefault: false }], services: [{ name: 'shop' }],
    });
    const from = env.emulator.requests().length;

    // WHEN an update omits them all
    await group.update({ name: 'ops', notificationLevel: 'critical' });

    // THEN the PUT says so explicitly, rather than relying on the API to read an omission as empty
    const [put] = writes(env.emulator, from);
    expect(put.method).toBe('PUT');
    expect(put.body).toEqual({ name: 'ops', notificationLevel: 'critical', childNotificationGroupIds: [], childChannelIds: [], monitors: [], services: [] });
  });

  test('a group deleted outside the stack is re-created by the next update', async () => {
    const group = new FakeResource(_RESOURCE_TYPES.NOTIFICATION_GROUP, 'Ops');
    const { PhysicalResourceId: id } = await group.create({ name: 'ops', notificationLevel: 'all' });
    await api(env.emulator, 'DELETE', `/api/v0/notification-groups/${id}`);

    const result = await group.update({ name: 'ops', notificationLevel: 'critical' });

    expect(result.PhysicalResourceId).not.toBe(id);
    expect(await groupInMackerel(result.PhysicalResourceId)).toMatchObject({ name: 'ops', notificationLevel: 'critical' });
  });
});
