import { App, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { FakeCloudFormation } from './_fake-cloudformation';
import { api, apiSnapshot, normalizeScopes, useEmulator } from './_harness';
import { MackerelApiKey } from '../../../src/api-key';
import { AnomalyDetectionMonitor, AnomalySensitivity, ConnectivityMonitor, HostMetricMonitor, MonitorOperator, MonitorScope } from '../../../src/monitors';
import { MackerelProvider } from '../../../src/provider/provider';
import { MackerelService } from '../../../src/service';
import { logicalIdOf } from '../../monitors/_fixture';

const env = useEmulator();

describe('what the constructs synthesize, the handler serves', () => {
  test('a service, a role and monitors scoped to them deploy and leave nothing behind', async () => {
    const stack = new Stack(new App(), 'Shop');
    new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
    const shop = new MackerelService(stack, 'Shop', { name: 'shop', memo: 'the shop' });
    const web = shop.addRole('web');
    const cpu = new HostMetricMonitor(stack, 'Cpu', {
      name: 'web cpu',
      metric: 'container-cpu%',
      operator: MonitorOperator.GREATER_THAN,
      warning: 80,
      critical: 90,
      duration: Duration.minutes(3),
      scopes: [MonitorScope.fromRole(web)],
      notificationInterval: Duration.minutes(60),
    });
    new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromService(shop)] });
    const baseline = await apiSnapshot(env.emulator);

    const deployed = new FakeCloudFormation();
    await deployed.apply(stack);
    const cpuId = deployed.resourceOf(cpu).physicalId;
    const snapshot = await apiSnapshot(env.emulator);
    expect(snapshot.services).toEqual([expect.objectContaining({ name: 'shop', roles: ['web'] })]);
    expect(snapshot.monitors).toHaveLength(2);
    const stored = normalizeScopes((await api(env.emulator, 'GET', `/api/v0/monitors/${cpuId}`)).body.monitor);
    expect(stored).toMatchObject({ type: 'host', metric: 'container-cpu%', warning: 80, critical: 90, duration: 3, scopes: ['shop:web'], notificationInterval: 60 });
    await deployed.destroy();

    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });
});

describe('an AnomalyDetectionMonitor moved to a new construct id', () => {
  test('fails in one deploy, as the new monitor is created before the old one is deleted and Mackerel allows one per role; '
    + 'removed in one deploy and added back in the next, it moves', async () => {
    // GIVEN a monitor of shop:web, deployed
    const version = (id?: string) => {
      const stack = new Stack(new App(), 'Shop');
      new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
      const web = new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('web');
      const monitor = id === undefined ? undefined
        : new AnomalyDetectionMonitor(stack, id, { name: 'web anomaly', scopes: [MonitorScope.fromRole(web)], warningSensitivity: AnomalySensitivity.NORMAL });
      return { stack, monitor };
    };
    const deployed = new FakeCloudFormation();
    const first = version('Anomaly');
    await deployed.apply(first.stack);
    const oldId = deployed.resourceOf(first.monitor!).physicalId;

    // WHEN the construct moves in one deploy: CloudFormation creates the new resource before it cleans up the old one
    // THEN the create is refused (Mackerel's guide: one anomaly detection monitor per role), and the old monitor stays
    await expect(deployed.apply(version('Moved').stack)).rejects.toThrow(/role "shop:web" is already watched by anomaly detection monitor/);
    expect((await apiSnapshot(env.emulator)).monitors).toEqual([expect.objectContaining({ id: oldId, type: 'anomalyDetection' })]);

    // WHEN it is removed in one deploy and added back under its new id in the next, as its JSDoc advises
    expect((await deployed.apply(version().stack)).deleted).toEqual([logicalIdOf(first.monitor!)]);
    const moved = version('Moved');
    expect((await deployed.apply(moved.stack)).created).toEqual([logicalIdOf(moved.monitor!)]);

    // THEN the new monitor watches the role alone
    const newId = deployed.resourceOf(moved.monitor!).physicalId;
    expect(newId).not.toBe(oldId);
    expect((await apiSnapshot(env.emulator)).monitors).toEqual([expect.objectContaining({ id: newId, type: 'anomalyDetection' })]);
    await deployed.destroy();
  });
});
