import { beforeEach, describe, expect, test } from 'vitest';
import { api, apiSnapshot, FakeResource, normalizeScopes, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';

const env = useEmulator();

async function settingInMackerel(id: string) {
  const got = await api(env.emulator, 'GET', `/api/v0/alert-group-settings/${id}`);
  return got.status === 200 ? normalizeScopes(got.body.alertGroupSetting ?? got.body) : got.status;
}

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
beforeEach(async () => {
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
  expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);
  baseline = await apiSnapshot(env.emulator);
});

describe('Custom::MackerelAlertGroupSetting', () => {
  test('create, update in place, no-op, delete', async () => {
    const setting = new FakeResource(_RESOURCE_TYPES.ALERT_GROUP_SETTING, 'Web');
    const props = { name: 'web', memo: 'web alerts', serviceScopes: ['shop'], roleScopes: ['shop:web'], notificationInterval: 30 };

    const { PhysicalResourceId: id, Data } = await setting.create(props);
    expect(Data).toEqual({ AlertGroupSettingId: id });
    expect(await settingInMackerel(id)).toMatchObject(props);

    await expect(setting.update({ ...props, notificationInterval: 60 })).resolves.toMatchObject({ PhysicalResourceId: id, replaced: false });
    expect(await settingInMackerel(id)).toMatchObject({ notificationInterval: 60 });

    const from = env.emulator.requests().length;
    await setting.update({ ...props, notificationInterval: 60 });
    expect(writes(env.emulator, from)).toEqual([]);

    await setting.delete();
    expect(await settingInMackerel(id)).toBe(404);
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a setting deleted outside the stack is re-created by the next update, and the cleanup\'s delete of the old ID succeeds', async () => {
    const setting = new FakeResource(_RESOURCE_TYPES.ALERT_GROUP_SETTING, 'Web');
    const { PhysicalResourceId: id } = await setting.create({ name: 'web', serviceScopes: ['shop'] });
    await api(env.emulator, 'DELETE', `/api/v0/alert-group-settings/${id}`);

    const result = await setting.update({ name: 'web', serviceScopes: ['shop'], notificationInterval: 60 });

    expect(result).toMatchObject({ replaced: true });
    expect(result.PhysicalResourceId).not.toBe(id);
    expect(await settingInMackerel(result.PhysicalResourceId)).toMatchObject({ name: 'web', notificationInterval: 60 });
  });

  test('a setting deleted outside the stack is re-created by a no-op update', async () => {
    const setting = new FakeResource(_RESOURCE_TYPES.ALERT_GROUP_SETTING, 'Web');
    const { PhysicalResourceId: id } = await setting.create({ name: 'web', serviceScopes: ['shop'] });
    await api(env.emulator, 'DELETE', `/api/v0/alert-group-settings/${id}`);

    const result = await setting.update({ name: 'web', serviceScopes: ['shop'] });

    expect(result.PhysicalResourceId).not.toBe(id);
    expect(await settingInMackerel(result.PhysicalResourceId)).toMatchObject({ name: 'web' });
  });
});
