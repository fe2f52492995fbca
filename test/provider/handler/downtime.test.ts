import { beforeEach, describe, expect, test } from 'vitest';
import { api, apiSnapshot, FakeResource, normalizeScopes, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';

const env = useEmulator();

async function downtimeInMackerel(id: string) {
  return normalizeScopes((await api(env.emulator, 'GET', '/api/v0/downtimes')).body.downtimes.find((d: { id: string }) => d.id === id));
}

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
beforeEach(async () => {
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
  expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);
  baseline = await apiSnapshot(env.emulator);
});

describe('Custom::MackerelDowntime', () => {
  const weekly = {
    name: 'weekly maintenance',
    start: 1796518800,
    duration: 120,
    recurrence: { type: 'weekly', interval: 1, weekdays: ['Sunday'], until: 1830000000 },
    roleScopes: ['shop:web'],
  };

  test('create sends numbers as numbers, then update in place, no-op and delete', async () => {
    const downtime = new FakeResource(_RESOURCE_TYPES.DOWNTIME, 'Maint');

    const { PhysicalResourceId: id, Data } = await downtime.create(weekly);
    expect(Data).toEqual({ DowntimeId: id });
    expect(await downtimeInMackerel(id)).toMatchObject(weekly);

    const longer = { ...weekly, duration: 180, recurrence: { ...weekly.recurrence, weekdays: ['Saturday', 'Sunday'] } };
    await expect(downtime.update(longer)).resolves.toMatchObject({ PhysicalResourceId: id, replaced: false });
    expect(await downtimeInMackerel(id)).toMatchObject(longer);

    const from = env.emulator.requests().length;
    await downtime.update({ ...longer });
    expect(writes(env.emulator, from)).toEqual([]);

    await downtime.delete();
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a downtime deleted outside the stack is re-created by the next update', async () => {
    const downtime = new FakeResource(_RESOURCE_TYPES.DOWNTIME, 'Maint');
    const { PhysicalResourceId: id } = await downtime.create(weekly);
    await api(env.emulator, 'DELETE', `/api/v0/downtimes/${id}`);

    const result = await downtime.update({ ...weekly, memo: 'back' });

    expect(result.PhysicalResourceId).not.toBe(id);
    expect(await downtimeInMackerel(result.PhysicalResourceId)).toMatchObject({ memo: 'back' });
  });
});
