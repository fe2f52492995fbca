import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { api, apiSnapshot, asCloudFormationSends, cfnEvent, lambdaContext, normalizeScopes, useEmulator } from './_harness';
import { MackerelApiKey } from '../../../src/api-key';
import { ConnectivityMonitor, HostMetricMonitor, MonitorOperator, MonitorScope } from '../../../src/monitors';
import { handler } from '../../../src/provider/handler/index';
import { MackerelProvider } from '../../../src/provider/provider';
import { MackerelService } from '../../../src/service';

const env = useEmulator();

type Resource = { Type: string; Properties?: { [key: string]: unknown }; DependsOn?: string | string[] };

/** The logical IDs a value refers to with Ref or Fn::GetAtt. */
function references(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(references);
  if (!value || typeof value !== 'object') return [];
  const o = value as { [key: string]: unknown };
  if (typeof o.Ref === 'string') return [o.Ref];
  if (Array.isArray(o['Fn::GetAtt'])) return [String(o['Fn::GetAtt'][0])];
  return Object.values(o).flatMap(references);
}

/**
 * A small CloudFormation: deploys the stack's Mackerel resources in dependency order through
 * the handler, resolving Ref (the physical ID) and Fn::GetAtt (Data), then deletes them in
 * reverse order. The ServiceToken is the provider's and is left out.
 */
async function deployAndDestroy(stack: Stack, check: (physicalIds: Map<string, string>) => Promise<void>) {
  const resources = Template.fromStack(stack).toJSON().Resources as { [id: string]: Resource };
  const mackerel = Object.entries(resources).filter(([, r]) => r.Type.startsWith('Custom::Mackerel'));
  const physical = new Map<string, string>();
  const data = new Map<string, { [key: string]: string }>();
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (!value || typeof value !== 'object') return value;
    const o = value as { [key: string]: unknown };
    if (typeof o.Ref === 'string') return physical.get(o.Ref);
    if (Array.isArray(o['Fn::GetAtt'])) return data.get(String(o['Fn::GetAtt'][0]))?.[String(o['Fn::GetAtt'][1])];
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v)]));
  };
  const order: Array<[string, Resource]> = [];
  const pending = (id: string) => mackerel.some(([m]) => m === id) && !order.some(([done]) => done === id);
  while (order.length < mackerel.length) {
    const ready = mackerel.filter(([id, r]) => pending(id) && references(r.Properties).concat(r.DependsOn ?? []).every((dep) => !pending(dep)));
    expect(ready.length, 'a dependency cycle').toBeGreaterThan(0);
    order.push(...ready);
  }
  for (const [id, r] of order) {
    const { ServiceToken: _token, ...props } = resolve(r.Properties) as { [key: string]: unknown };
    const result = await handler(cfnEvent('Create', r.Type, id, asCloudFormationSends(props) as { [key: string]: unknown }), lambdaContext());
    physical.set(id, result.PhysicalResourceId);
    data.set(id, result.Data);
  }
  await check(physical);
  for (const [id, r] of [...order].reverse()) {
    await handler(cfnEvent('Delete', r.Type, id, {}, { physicalId: physical.get(id) }), lambdaContext());
  }
}

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

    await deployAndDestroy(stack, async (physical) => {
      const cpuId = physical.get(stack.getLogicalId(cpu.node.findChild('Resource').node.defaultChild as CfnResource));
      const snapshot = await apiSnapshot(env.emulator);
      expect(snapshot.services).toEqual([expect.objectContaining({ name: 'shop', roles: ['web'] })]);
      expect(snapshot.monitors).toHaveLength(2);
      const stored = normalizeScopes((await api(env.emulator, 'GET', `/api/v0/monitors/${cpuId}`)).body.monitor);
      expect(stored).toMatchObject({ type: 'host', metric: 'container-cpu%', warning: 80, critical: 90, duration: 3, scopes: ['shop:web'], notificationInterval: 60 });
    });

    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });
});
