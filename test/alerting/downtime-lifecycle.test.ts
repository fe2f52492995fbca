/**
 * `Downtime` through the real handler against the emulator: what the construct synthesizes is
 * what Mackerel stores, and the resource is created, updated in place, re-created after a
 * delete outside the stack and deleted (a 404 on delete is success).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { alertingStack } from './_fixture';
import { Downtime, DowntimeProps, DowntimeRecurrence, Weekday } from '../../src/alerting';
import { MonitorScope } from '../../src/monitors';
import { FakeCloudFormation } from '../provider/handler/_fake-cloudformation';
import { api, normalizeScopes, useEmulator, writes } from '../provider/handler/_harness';

const env = useEmulator();
const START = new Date('2026-12-06T01:00:00Z');
const START_EPOCH = 1796518800;

/** One version of the app: the fixture's service, roles and monitor, and the downtimes `build` adds. */
function version(build: (f: ReturnType<typeof alertingStack> & { db: MonitorScope }) => void): Stack {
  const fixture = alertingStack();
  const db = MonitorScope.fromRole(fixture.shop.addRole('db'));
  build({ ...fixture, db });
  return fixture.stack;
}

async function downtimes(): Promise<Array<{ [key: string]: unknown }>> {
  return normalizeScopes((await api(env.emulator, 'GET', '/api/v0/downtimes')).body.downtimes);
}

describe('Downtime against the emulator', () => {
  test('the design example is stored as written, updated in place with every scope kind, then deleted', async () => {
    // GIVEN the design example
    const deployment = new FakeCloudFormation();
    let maint: Downtime | undefined;
    await deployment.apply(version(({ stack, web }) => {
      maint = new Downtime(stack, 'Maint', {
        name: 'weekly maintenance',
        start: START,
        duration: Duration.hours(2),
        recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] }),
        scopes: [MonitorScope.fromRole(web)],
      });
    }));
    const id = deployment.resourceOf(maint!).physicalId;
    expect(await downtimes()).toEqual([{
      id,
      name: 'weekly maintenance',
      memo: '',
      start: START_EPOCH,
      duration: 120,
      recurrence: { type: 'weekly', interval: 1, weekdays: ['Sunday'] },
      serviceScopes: [],
      serviceExcludeScopes: [],
      roleScopes: ['shop:web'],
      roleExcludeScopes: [],
      monitorScopes: [],
      monitorExcludeScopes: [],
    }]);
    expect(deployment.resourceOf(maint!).data).toEqual({ DowntimeId: id });

    // WHEN every field changes
    const from = env.emulator.requests().length;
    await deployment.apply(version(({ stack, shop, db, cpu }) => {
      maint = new Downtime(stack, 'Maint', {
        name: 'weekend maintenance',
        memo: 'patching',
        start: START,
        duration: Duration.hours(3),
        recurrence: DowntimeRecurrence.weekly({ interval: 2, weekdays: [Weekday.SATURDAY, Weekday.SUNDAY], until: new Date('2027-06-30T00:00:00Z') }),
        scopes: [MonitorScope.fromService(shop)],
        excludeScopes: [db],
        monitors: [cpu],
      });
    }));

    // THEN the same downtime is updated in place
    expect(writes(env.emulator, from).map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /api/v0/downtimes/${id}`]);
    const cpuId = (await api(env.emulator, 'GET', '/api/v0/monitors')).body.monitors[0].id;
    expect(await downtimes()).toEqual([{
      id,
      name: 'weekend maintenance',
      memo: 'patching',
      start: START_EPOCH,
      duration: 180,
      recurrence: { type: 'weekly', interval: 2, weekdays: ['Saturday', 'Sunday'], until: 1814313600 },
      serviceScopes: ['shop'],
      serviceExcludeScopes: [],
      roleScopes: [],
      roleExcludeScopes: ['shop:db'],
      monitorScopes: [cpuId],
      monitorExcludeScopes: [],
    }]);

    // AND removing it from the app deletes it
    await deployment.apply(version(() => undefined));
    expect(await downtimes()).toEqual([]);
    await deployment.destroy();
  });

  test('every recurrence kind and exclude kind the construct renders is accepted as written', async () => {
    const deployment = new FakeCloudFormation();
    const until = new Date('2027-01-01T00:00:00Z');
    const kinds: Array<[string, DowntimeRecurrence]> = [
      ['hourly', DowntimeRecurrence.hourly({ interval: 12 })],
      ['daily', DowntimeRecurrence.daily({ until })],
      ['weekly', DowntimeRecurrence.weekly({ weekdays: Object.values(Weekday) })],
      ['monthly', DowntimeRecurrence.monthly({ interval: 3 })],
      ['yearly', DowntimeRecurrence.yearly({ interval: 1, until })],
    ];
    await deployment.apply(version(({ stack, web, db, cpu }) => {
      const common: DowntimeProps = { name: '', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(web)] };
      kinds.forEach(([kind, recurrence]) => new Downtime(stack, kind, { ...common, name: kind, recurrence }));
      new Downtime(stack, 'Excludes', { ...common, name: 'excludes', scopes: undefined, excludeScopes: [db, MonitorScope.of('shop')], excludeMonitors: [cpu] });
    }));
    const stored = await downtimes();
    expect(stored.map((d) => [d.name, d.recurrence])).toEqual([
      ['hourly', { type: 'hourly', interval: 12 }],
      ['daily', { type: 'daily', interval: 1, until: until.getTime() / 1000 }],
      ['weekly', { type: 'weekly', interval: 1, weekdays: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] }],
      ['monthly', { type: 'monthly', interval: 3 }],
      ['yearly', { type: 'yearly', interval: 1, until: until.getTime() / 1000 }],
      ['excludes', undefined],
    ]);
    expect(stored[5]).toMatchObject({ roleScopes: [], serviceExcludeScopes: ['shop'], roleExcludeScopes: ['shop:db'], monitorExcludeScopes: [expect.any(String)] });
    await deployment.destroy();
    expect(await downtimes()).toEqual([]);
  });

  test('a downtime deleted outside the stack is re-created by the next change, and its delete is a success', async () => {
    // GIVEN a deployed downtime deleted by hand
    const deployment = new FakeCloudFormation();
    const build = (hours: number) => version(({ stack, web }) => {
      new Downtime(stack, 'Maint', { name: 'm', start: START, duration: Duration.hours(hours), scopes: [MonitorScope.fromRole(web)] });
    });
    let stack = build(1);
    await deployment.apply(stack);
    const resource = deployment.resourceOf(stack.node.findChild('Maint'));
    const first = resource.physicalId;
    expect((await api(env.emulator, 'DELETE', `/api/v0/downtimes/${first}`)).status).toBe(200);

    // WHEN the app changes it
    stack = build(2);
    await deployment.apply(stack);

    // THEN it is created again, under a new ID
    expect(resource.physicalId).not.toBe(first);
    expect(await downtimes()).toEqual([expect.objectContaining({ id: resource.physicalId, duration: 120 })]);

    // AND deleting one that is gone already succeeds
    expect((await api(env.emulator, 'DELETE', `/api/v0/downtimes/${resource.physicalId}`)).status).toBe(200);
    await expect(resource.delete()).resolves.toMatchObject({ PhysicalResourceId: resource.physicalId });
    expect((await api(env.emulator, 'DELETE', `/api/v0/downtimes/${resource.physicalId}`)).status).toBe(404);
    await deployment.destroy();
  });
});
