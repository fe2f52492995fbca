/**
 * A notification group with channels, a nested group, monitors and a service, as the constructs
 * synthesize it, deployed through the real handler against the emulator: create, update in place
 * (including following a channel that was replaced), re-create after a delete outside the stack,
 * destroy, and a 404 on delete.
 */
import { App, Duration, SecretValue, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { logicalIdOf } from './_fixture';
import { EmailChannel, NotificationGroup, NotificationLevel, SlackChannel, WebhookChannel } from '../../src/alerting';
import { MackerelApiKey } from '../../src/api-key';
import { ConnectivityMonitor, HostMetricMonitor, MonitorOperator, MonitorScope } from '../../src/monitors';
import { _RESOURCE_TYPES } from '../../src/provider/_properties';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';
import { FakeCloudFormation } from '../provider/handler/_fake-cloudformation';
import { api, apiSnapshot, FakeResource, useEmulator } from '../provider/handler/_harness';

const env = useEmulator();

interface Version {
  readonly level?: NotificationLevel;
  /** The pager channel: a webhook, or (another kind, so replaced) an email channel. */
  readonly pagerIsEmail?: boolean;
  /** Whether the CPU monitor skips the default group. */
  readonly cpuSkipsDefault?: boolean;
  readonly withService?: boolean;
}

/** The app at one version; the constructs whose IDs the test compares. */
function app(v: Version = {}) {
  const stack = new Stack(new App(), 'Alerts');
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
  const shop = new MackerelService(stack, 'Shop', { name: 'shop' });
  const web = shop.addRole('web');
  const cpu = new HostMetricMonitor(stack, 'Cpu', {
    name: 'web cpu', metric: 'container-cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes: [MonitorScope.fromRole(web)],
  });
  const alive = new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromRole(web)] });
  const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
  const slack = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.unsafePlainText('https://hooks.slack.com/services/T0/B0/x') });
  const pager = v.pagerIsEmail
    ? new EmailChannel(stack, 'Pager', { name: 'pager', emails: ['pager@example.com'] })
    : new WebhookChannel(stack, 'Pager', { name: 'pager', url: SecretValue.unsafePlainText('https://pager.example.com/hook') });
  const sre = new NotificationGroup(stack, 'Sre', { name: 'sre', channels: [pager] });
  const ops = new NotificationGroup(stack, 'Ops', {
    name: 'ops', notificationLevel: v.level, channels: [slack], notificationGroups: [sre], services: v.withService === false ? [] : [shop],
  });
  ops.addChannel(mail);
  ops.addMonitor(cpu, { skipDefault: v.cpuSkipsDefault ?? true });
  ops.addMonitor(alive);
  return { stack, cpu, alive, mail, slack, pager, sre, ops };
}

async function groups(): Promise<Array<{ id: string; name: string; type: string; [field: string]: unknown }>> {
  return (await api(env.emulator, 'GET', '/api/v0/notification-groups')).body.notificationGroups;
}

async function group(id: string) {
  return (await groups()).find((g) => g.id === id);
}

describe('NotificationGroup against the emulator', () => {
  test('created with every member by its Mackerel ID, then updated in place', async () => {
    // GIVEN
    const deployed = new FakeCloudFormation();
    const v1 = app();

    // WHEN
    await deployed.apply(v1.stack);

    // THEN the group holds the IDs Mackerel gave its members
    const id = (c: Parameters<typeof logicalIdOf>[0]) => deployed.physicalId(logicalIdOf(c));
    const opsId = id(v1.ops);
    expect(await group(opsId)).toMatchObject({
      name: 'ops',
      type: 'group',
      notificationLevel: 'all',
      childChannelIds: [id(v1.slack), id(v1.mail)],
      childNotificationGroupIds: [id(v1.sre)],
      monitors: [{ id: id(v1.cpu), skipDefault: true }, { id: id(v1.alive), skipDefault: false }],
      services: [{ name: 'shop' }],
    });
    expect(await group(id(v1.sre))).toMatchObject({ childChannelIds: [id(v1.pager)] });

    // WHEN the level, skipDefault and the services change
    const v2 = app({ level: NotificationLevel.CRITICAL, cpuSkipsDefault: false, withService: false });
    const applied = await deployed.apply(v2.stack);

    // THEN only the group is updated, on the same ID
    expect(applied).toEqual({ created: [], updated: expect.arrayContaining([logicalIdOf(v2.ops)]), replaced: [], deleted: [] });
    expect(id(v2.ops)).toBe(opsId);
    expect(await group(opsId)).toMatchObject({
      notificationLevel: 'critical',
      monitors: [{ id: id(v2.cpu), skipDefault: false }, { id: id(v2.alive), skipDefault: false }],
      services: [],
    });
  });

  test('a nested group follows its channel when the channel is replaced by another kind', async () => {
    const deployed = new FakeCloudFormation();
    const v1 = app();
    await deployed.apply(v1.stack);
    const oldPager = deployed.physicalId(logicalIdOf(v1.pager));
    const sreId = deployed.physicalId(logicalIdOf(v1.sre));

    const v2 = app({ pagerIsEmail: true });
    const applied = await deployed.apply(v2.stack);

    const newPager = deployed.physicalId(logicalIdOf(v2.pager));
    expect(applied.replaced).toEqual([logicalIdOf(v2.pager)]);
    expect(newPager).not.toBe(oldPager);
    expect(await group(sreId)).toMatchObject({ childChannelIds: [newPager] });
    const channels = (await api(env.emulator, 'GET', '/api/v0/channels')).body.channels as Array<{ id: string; type: string }>;
    expect(channels.find((c) => c.id === oldPager)).toBeUndefined();
    expect(channels.find((c) => c.id === newPager)).toMatchObject({ type: 'email' });
  });

  test('a group deleted outside the stack is re-created by the next update', async () => {
    const deployed = new FakeCloudFormation();
    const v1 = app();
    await deployed.apply(v1.stack);
    const opsId = deployed.physicalId(logicalIdOf(v1.ops));
    await api(env.emulator, 'DELETE', `/api/v0/notification-groups/${opsId}`);

    const v2 = app({ level: NotificationLevel.CRITICAL });
    await deployed.apply(v2.stack);

    const recreated = deployed.physicalId(logicalIdOf(v2.ops));
    expect(recreated).not.toBe(opsId);
    expect(await group(recreated)).toMatchObject({ name: 'ops', notificationLevel: 'critical', services: [{ name: 'shop' }] });
    expect((await groups()).filter((g) => g.name === 'ops')).toHaveLength(1);
  });

  test('destroy leaves nothing behind, and deleting a group again (404) succeeds', async () => {
    const baseline = await apiSnapshot(env.emulator);
    const deployed = new FakeCloudFormation();
    const v1 = app();
    await deployed.apply(v1.stack);
    const opsId = deployed.physicalId(logicalIdOf(v1.ops));

    await deployed.destroy();
    const retry = new FakeResource(_RESOURCE_TYPES.NOTIFICATION_GROUP, logicalIdOf(v1.ops));
    retry.physicalId = opsId;
    const from = env.emulator.requests().length;
    await expect(retry.delete()).resolves.toMatchObject({ PhysicalResourceId: opsId });

    expect(env.emulator.requests().slice(from)).toEqual([expect.objectContaining({ method: 'DELETE', status: 404 })]);
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });
});
