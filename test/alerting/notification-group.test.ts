import { SecretValue } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { alertingStack, propertiesOf } from './_fixture';
import { EmailChannel, NotificationGroup, NotificationLevel, SlackChannel } from '../../src/alerting';
import { ConnectivityMonitor, MonitorBase, MonitorScope } from '../../src/monitors';

function members() {
  const fixture = alertingStack();
  const { stack, shop } = fixture;
  const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
  const slack = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
  const alive = new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromService(shop)] });
  return { ...fixture, mail, slack, alive };
}

describe('NotificationGroup', () => {
  test('renders every kind of member as references, the level and skipDefault false by default', () => {
    const { stack, mail, slack, cpu, shop } = members();
    const child = NotificationGroup.fromNotificationGroupId(stack, 'Sre', '4bCd5e');
    const group = new NotificationGroup(stack, 'Ops', {
      name: 'ops', notificationLevel: NotificationLevel.CRITICAL, channels: [slack, mail], notificationGroups: [child], monitors: [cpu], services: [shop],
    });
    expect(propertiesOf(group)).toEqual({
      ServiceToken: expect.anything(),
      name: 'ops',
      notificationLevel: 'critical',
      childChannelIds: [stack.resolve(slack.channelId), stack.resolve(mail.channelId)],
      childNotificationGroupIds: ['4bCd5e'],
      monitors: [{ id: stack.resolve(cpu.monitorId), skipDefault: false }],
      services: [{ name: stack.resolve(shop.name) }],
    });
    expect(stack.resolve(group.notificationGroupId)).toEqual({ Ref: expect.stringMatching(/^Ops/) });
  });

  test('level ALL by default; empty member lists are left out', () => {
    const { stack } = members();
    const group = new NotificationGroup(stack, 'Ops', { name: 'ops' });
    expect(propertiesOf(group)).toEqual({ ServiceToken: expect.anything(), name: 'ops', notificationLevel: 'all' });
  });

  test('members added after construction count, with skipDefault where asked', () => {
    const { stack, mail, alive, cpu, shop } = members();
    const group = new NotificationGroup(stack, 'Ops', { name: 'ops' });
    const nested = new NotificationGroup(stack, 'Nested', { name: 'nested', channels: [mail] });
    group.addMonitor(cpu, { skipDefault: true });
    group.addMonitor(alive);
    group.addChannel(mail);
    group.addService(shop);
    group.addNotificationGroup(nested);
    expect(propertiesOf(group)).toMatchObject({
      monitors: [{ id: stack.resolve(cpu.monitorId), skipDefault: true }, { id: stack.resolve(alive.monitorId), skipDefault: false }],
      childChannelIds: [stack.resolve(mail.channelId)],
      childNotificationGroupIds: [stack.resolve(nested.notificationGroupId)],
      services: [{ name: stack.resolve(shop.name) }],
    });
  });

  test('an imported monitor joins by its ID', () => {
    const { stack } = members();
    const group = new NotificationGroup(stack, 'Ops', { name: 'ops', monitors: [MonitorBase.fromMonitorId(stack, 'Legacy', '2cSZzK3XfmG')] });
    expect(propertiesOf(group).monitors).toEqual([{ id: '2cSZzK3XfmG', skipDefault: false }]);
  });

  test('rejects an empty name, a bad level, a member twice and the group in itself', () => {
    const { stack, mail, cpu } = members();
    expect(() => new NotificationGroup(stack, 'A', { name: '' })).toThrow(/Stack\/A: name "" is empty; expected a non-empty notification group name/);
    expect(() => new NotificationGroup(stack, 'B', { name: 'b', notificationLevel: 'warning' as NotificationLevel }))
      .toThrow(/Stack\/B: notificationLevel "warning" is not a notification level; expected one of "all", "critical"/);
    const group = new NotificationGroup(stack, 'C', { name: 'c', channels: [mail], monitors: [cpu] });
    expect(() => group.addChannel(mail)).toThrow(/Stack\/C: channels "Stack\/Mail" is already a member; expected each member once/);
    expect(() => group.addMonitor(cpu, { skipDefault: true })).toThrow(/Stack\/C: monitors "Stack\/Cpu" is already a member/);
    expect(() => group.addNotificationGroup(group)).toThrow(/Stack\/C: notificationGroups "Stack\/C" is this group itself/);
  });

  test('groups nested in each other fail synthesis, naming the cycle', () => {
    const { stack } = members();
    const a = new NotificationGroup(stack, 'A', { name: 'a' });
    const b = new NotificationGroup(stack, 'B', { name: 'b', notificationGroups: [a] });
    a.addNotificationGroup(b);
    expect(() => Template.fromStack(stack)).toThrow(/notificationGroups "Stack\/A -> Stack\/B -> Stack\/A" nest this group in itself/);
  });

  test('rejects a malformed imported group ID', () => {
    const { stack } = members();
    expect(() => NotificationGroup.fromNotificationGroupId(stack, 'X', 'a b')).toThrow(/Stack\/X: notificationGroupId "a b" is not a Mackerel notification group ID/);
  });
});
