/**
 * `AlertGroupSetting` through the real handler against the emulator: what the construct
 * synthesizes is what Mackerel stores, and the resource is created, updated in place,
 * re-created after a delete outside the stack and deleted (a 404 on delete is success).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { alertingStack } from './_fixture';
import { AlertGroupSetting } from '../../src/alerting';
import { MonitorScope } from '../../src/monitors';
import { FakeCloudFormation } from '../provider/handler/_fake-cloudformation';
import { api, normalizeScopes, useEmulator, writes } from '../provider/handler/_harness';

const env = useEmulator();

function version(build: (f: ReturnType<typeof alertingStack>) => void): Stack {
  const fixture = alertingStack();
  build(fixture);
  return fixture.stack;
}

async function settingInMackerel(id: string): Promise<{ status: number; body: { [key: string]: unknown } }> {
  const got = await api(env.emulator, 'GET', `/api/v0/alert-group-settings/${id}`);
  return { status: got.status, body: normalizeScopes(got.body) };
}

describe('AlertGroupSetting against the emulator', () => {
  test('created as written, updated in place (scopes added later, monitors, interval), then deleted', async () => {
    // GIVEN a setting scoped to a role
    const deployment = new FakeCloudFormation();
    let setting: AlertGroupSetting | undefined;
    await deployment.apply(version(({ stack, web }) => {
      setting = new AlertGroupSetting(stack, 'Incidents', { name: 'web incidents', scopes: [MonitorScope.fromRole(web)] });
    }));
    const resource = deployment.resourceOf(setting!);
    const id = resource.physicalId!;
    expect(resource.data).toEqual({ AlertGroupSettingId: id });
    expect((await settingInMackerel(id)).body).toEqual({
      id, name: 'web incidents', memo: '', serviceScopes: [], roleScopes: ['shop:web'], monitorScopes: [],
    });

    // WHEN a service and a monitor are added and a re-notification interval is set
    const from = env.emulator.requests().length;
    await deployment.apply(version(({ stack, shop, web, cpu }) => {
      setting = new AlertGroupSetting(stack, 'Incidents', {
        name: 'shop incidents', memo: 'one page per incident', scopes: [MonitorScope.fromRole(web)], notificationInterval: Duration.hours(1),
      });
      setting.addScope(MonitorScope.fromService(shop));
      setting.addMonitor(cpu);
    }));

    // THEN the same setting is updated in place
    expect(writes(env.emulator, from).map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /api/v0/alert-group-settings/${id}`]);
    const cpuId = (await api(env.emulator, 'GET', '/api/v0/monitors')).body.monitors[0].id;
    expect((await settingInMackerel(id)).body).toEqual({
      id, name: 'shop incidents', memo: 'one page per incident', serviceScopes: ['shop'], roleScopes: ['shop:web'], monitorScopes: [cpuId], notificationInterval: 60,
    });

    // AND removing it from the app deletes it
    await deployment.apply(version(() => undefined));
    expect((await settingInMackerel(id)).status).toBe(404);
    await deployment.destroy();
  });

  test('a setting deleted outside the stack is re-created by the next change, and its delete is a success', async () => {
    // GIVEN a deployed setting deleted by hand
    const deployment = new FakeCloudFormation();
    const build = (minutes: number) => version(({ stack, cpu }) => {
      new AlertGroupSetting(stack, 'Incidents', { name: 'cpu', monitors: [cpu], notificationInterval: Duration.minutes(minutes) });
    });
    let stack = build(10);
    await deployment.apply(stack);
    const resource = deployment.resourceOf(stack.node.findChild('Incidents'));
    const first = resource.physicalId!;
    expect((await api(env.emulator, 'DELETE', `/api/v0/alert-group-settings/${first}`)).status).toBe(200);

    // WHEN the app changes it
    stack = build(20);
    await deployment.apply(stack);

    // THEN it is created again, under a new ID
    expect(resource.physicalId).not.toBe(first);
    expect((await settingInMackerel(resource.physicalId!)).body).toMatchObject({ name: 'cpu', notificationInterval: 20 });

    // AND deleting one that is gone already succeeds
    expect((await api(env.emulator, 'DELETE', `/api/v0/alert-group-settings/${resource.physicalId}`)).status).toBe(200);
    await expect(resource.delete()).resolves.toMatchObject({ PhysicalResourceId: resource.physicalId });
    await deployment.destroy();
    expect((await api(env.emulator, 'GET', '/api/v0/alert-group-settings')).body.alertGroupSettings).toEqual([]);
  });
});
