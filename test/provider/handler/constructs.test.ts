import { App, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { FakeCloudFormation } from './_fake-cloudformation';
import { api, apiSnapshot, normalizeScopes, useEmulator } from './_harness';
import { MackerelApiKey } from '../../../src/api-key';
import { ConnectivityMonitor, HostMetricMonitor, MonitorOperator, MonitorScope } from '../../../src/monitors';
import { MackerelProvider } from '../../../src/provider/provider';
import { MackerelService } from '../../../src/service';

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
