import { beforeEach, describe, expect, test, vi } from 'vitest';
import { rejectionOf } from './_capture';
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

const T0 = Date.parse('2026-11-24T03:00:00Z');

describe('Custom::MackerelDeploymentDowntime', () => {
  const quiet = { name: 'deploy Shop', duration: 20, roleScopes: ['shop:web'], revision: 'abc' };

  test('create starts the downtime now, without the revision, which is not a field of the API', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: T0 + 400 });
    try {
      const downtime = new FakeResource(_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME, 'Quiet');
      const from = env.emulator.requests().length;
      const { PhysicalResourceId: id, Data } = await downtime.create(quiet);
      expect(Data).toEqual({ DowntimeId: id });
      const [post] = writes(env.emulator, from);
      expect(post.body).toEqual({ name: 'deploy Shop', duration: 20, roleScopes: ['shop:web'], start: T0 / 1000 });
      expect(await downtimeInMackerel(id)).toMatchObject({ id, name: 'deploy Shop', duration: 20, start: T0 / 1000, roleScopes: ['shop:web'] });
    } finally {
      vi.useRealTimers();
    }
  });

  test('a new revision (the next deploy) moves the same downtime to now; an unchanged deploy leaves it; delete removes it', async () => {
    const downtime = new FakeResource(_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME, 'Quiet');
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    let id: string;
    try {
      id = (await downtime.create(quiet)).PhysicalResourceId;
      vi.setSystemTime(T0 + 3_600_000);
      await expect(downtime.update({ ...quiet, revision: 'def' })).resolves.toMatchObject({ PhysicalResourceId: id, replaced: false });
      expect((await downtimeInMackerel(id)).start).toBe(T0 / 1000 + 3600);

      vi.setSystemTime(T0 + 7_200_000);
      const from = env.emulator.requests().length;
      await downtime.update({ ...quiet, revision: 'def' });
      expect(writes(env.emulator, from)).toEqual([]);
      expect((await downtimeInMackerel(id)).start).toBe(T0 / 1000 + 3600);
    } finally {
      vi.useRealTimers();
    }
    await downtime.delete();
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a change of memo or duration alone updates the downtime where it is, keeping its start; a rollback to the old revision starts it again', async () => {
    const downtime = new FakeResource(_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME, 'Quiet');
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    try {
      const id = (await downtime.create(quiet)).PhysicalResourceId;
      vi.setSystemTime(T0 + 3_600_000);
      const from = env.emulator.requests().length;
      await expect(downtime.update({ ...quiet, memo: 'tasks are replaced', duration: 90 })).resolves.toMatchObject({ PhysicalResourceId: id, replaced: false });
      const [put] = writes(env.emulator, from);
      expect(put).toMatchObject({ method: 'PUT', body: { name: 'deploy Shop', memo: 'tasks are replaced', duration: 90, roleScopes: ['shop:web'], start: T0 / 1000 } });
      expect(await downtimeInMackerel(id)).toMatchObject({ memo: 'tasks are replaced', duration: 90, start: T0 / 1000 });

      vi.setSystemTime(T0 + 7_200_000);
      await downtime.update({ ...quiet, revision: 'def' });
      vi.setSystemTime(T0 + 7_500_000);
      // CloudFormation's rollback sends the old properties back: the ECS services roll back too
      await downtime.update({ ...quiet, memo: 'tasks are replaced', duration: 90 });
      expect((await downtimeInMackerel(id)).start).toBe(T0 / 1000 + 7500);
    } finally {
      vi.useRealTimers();
    }
  });

  test('deleted in Mackerel, it comes back as already over on an update without a new revision, and started now with one', async () => {
    const downtime = new FakeResource(_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME, 'Quiet');
    vi.useFakeTimers({ toFake: ['Date'], now: T0 });
    try {
      let id = (await downtime.create(quiet)).PhysicalResourceId;
      await api(env.emulator, 'DELETE', `/api/v0/downtimes/${id}`);
      vi.setSystemTime(T0 + 3_600_000);
      // a memo change: no rollout follows, so nothing is muted (20 minutes, over by now)
      id = (await downtime.update({ ...quiet, memo: 'reworded' })).PhysicalResourceId;
      expect(await downtimeInMackerel(id)).toMatchObject({ memo: 'reworded', duration: 20, start: T0 / 1000 + 3600 - 20 * 60 });
      // the same through a rollback that sends unchanged properties
      await api(env.emulator, 'DELETE', `/api/v0/downtimes/${id}`);
      vi.setSystemTime(T0 + 7_200_000);
      id = (await downtime.update({ ...quiet, memo: 'reworded' })).PhysicalResourceId;
      expect((await downtimeInMackerel(id)).start).toBe(T0 / 1000 + 7200 - 20 * 60);
      // a new revision is a deploy: started now
      await api(env.emulator, 'DELETE', `/api/v0/downtimes/${id}`);
      id = (await downtime.update({ ...quiet, memo: 'reworded', revision: 'def' })).PhysicalResourceId;
      expect((await downtimeInMackerel(id)).start).toBe(T0 / 1000 + 7200);
    } finally {
      vi.useRealTimers();
    }
  });

  test('Mackerel\'s own message reaches CloudFormation: an unknown role', async () => {
    const downtime = new FakeResource(_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME, 'Quiet');
    const error = await rejectionOf(downtime.create({ ...quiet, roleScopes: ['shop:batch'] }));
    expect(error.message).toMatch(/^Custom::MackerelDeploymentDowntime Quiet: Create failed: POST \/api\/v0\/downtimes: HTTP 4\d\d: /);
  });
});
