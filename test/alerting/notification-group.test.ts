import { CfnParameter, Fn, Lazy, SecretValue, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { alertingStack, propertiesOf } from './_fixture';
import { ChannelBase, EmailChannel, NotificationGroup, NotificationLevel, SlackChannel } from '../../src/alerting';
import { ConnectivityMonitor, MonitorBase, MonitorScope } from '../../src/monitors';
import { MackerelService } from '../../src/service';

function members() {
  const fixture = alertingStack();
  const { stack, shop } = fixture;
  const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
  const slack = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
  const alive = new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromService(shop)] });
  return { ...fixture, mail, slack, alive };
}

describe('NotificationGroup', () => {
  describe('renders', () => {
    test('every kind of member as references, the level, and skipDefault false for monitors in the props', () => {
      // GIVEN
      const { stack, mail, slack, cpu, shop } = members();
      const child = NotificationGroup.fromNotificationGroupId(stack, 'Sre', '4bCd5e');
      // WHEN
      const group = new NotificationGroup(stack, 'Ops', {
        name: 'ops', notificationLevel: NotificationLevel.CRITICAL, channels: [slack, mail], notificationGroups: [child], monitors: [cpu], services: [shop],
      });
      // THEN
      expect(propertiesOf(group)).toEqual({
        ServiceToken: expect.anything(),
        name: 'ops',
        notificationLevel: 'critical',
        childChannelIds: [stack.resolve(slack.channelId), stack.resolve(mail.channelId)],
        childNotificationGroupIds: ['4bCd5e'],
        monitors: [{ id: stack.resolve(cpu.monitorId), skipDefault: false }],
        services: [{ name: stack.resolve(shop.name) }],
      });
      Template.fromStack(stack).resourceCountIs('Custom::MackerelNotificationGroup', 1);
    });

    test('notificationGroupId is a reference to the resource', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'Ops', { name: 'ops' });
      const resource = group.node.findChild('Resource') as unknown as { ref: string };
      expect(stack.resolve(group.notificationGroupId)).toEqual(stack.resolve(resource.ref));
    });

    test('level ALL by default; empty member lists are left out', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'Ops', { name: 'ops' });
      expect(propertiesOf(group)).toEqual({ ServiceToken: expect.anything(), name: 'ops', notificationLevel: 'all' });
    });

    test('channels made in the design.md way', () => {
      const { stack, mail, slack, cpu, shop } = members();
      const group = new NotificationGroup(stack, 'Ops', { name: 'ops', notificationLevel: NotificationLevel.ALL, channels: [slack, mail], monitors: [cpu], services: [shop] });
      expect(propertiesOf(group)).toMatchObject({ notificationLevel: 'all', childChannelIds: [stack.resolve(slack.channelId), stack.resolve(mail.channelId)] });
    });

    test('an imported monitor, channel and service by their IDs', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'Ops', {
        name: 'ops',
        monitors: [MonitorBase.fromMonitorId(stack, 'Legacy', '2cSZzK3XfmG')],
        channels: [ChannelBase.fromChannelId(stack, 'PagerDuty', '3Ja8ex')],
        services: [MackerelService.fromName(stack, 'Blog', 'blog')],
      });
      expect(propertiesOf(group)).toMatchObject({
        monitors: [{ id: '2cSZzK3XfmG', skipDefault: false }],
        childChannelIds: ['3Ja8ex'],
        services: [{ name: 'blog' }],
      });
    });
  });

  describe('creation order', () => {
    test('a service given by name waits for the service of this stack that creates it, even declared later', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c', services: [MackerelService.fromName(stack, 'BlogByName', 'blog')] });
      group.addService(MackerelService.fromName(stack, 'ElsewhereByName', 'elsewhere')); // created in no stack here: nothing to wait for
      const blog = new MackerelService(stack, 'Blog', { name: 'blog' });
      const resources = Template.fromStack(stack).toJSON().Resources;
      const idOf = (c: { node: { findChild(id: string): any } }) => stack.resolve(c.node.findChild('Resource').node.defaultChild.logicalId);
      expect(resources[idOf(group)].DependsOn).toEqual([idOf(blog)]);
    });
  });

  describe('members added after construction', () => {
    test('count, with skipDefault where asked', () => {
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

    test('come after the members given in the props', () => {
      const { stack, mail, slack } = members();
      const group = new NotificationGroup(stack, 'Ops', { name: 'ops', channels: [slack] });
      group.addChannel(mail);
      expect(propertiesOf(group).childChannelIds).toEqual([stack.resolve(slack.channelId), stack.resolve(mail.channelId)]);
    });

    test('skipDefault false is written explicitly', () => {
      const { stack, cpu } = members();
      const group = new NotificationGroup(stack, 'Ops', { name: 'ops' });
      group.addMonitor(cpu, { skipDefault: false });
      expect(propertiesOf(group).monitors).toEqual([{ id: stack.resolve(cpu.monitorId), skipDefault: false }]);
    });
  });

  describe('warns (cdk-mackerel:notificationGroupWithoutChannels)', () => {
    const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('notificationGroupWithoutChannels'))
      .map((w) => `${w.id}: ${w.entry.data}`);

    test('about a group with members but no channel and no nested group, naming its skipDefault monitors, also when they are added later', () => {
      // GIVEN a group made empty, given a service and, after construction, monitors
      const { stack, cpu, alive, shop } = members();
      const group = new NotificationGroup(stack, 'Quiet', { name: 'quiet', services: [shop] });
      // WHEN
      group.addMonitor(cpu, { skipDefault: true });
      group.addMonitor(alive);
      // THEN
      expect(warnings(stack)).toEqual(['/Stack/Quiet: The group has monitors or services but no channels and no nested notification groups, so their alerts '
        + 'notify nobody through it; Stack/Cpu skips the default notification group (skipDefault), so their alerts reach no one at all. '
        + 'Add a channel (addChannel) or a nested group (addNotificationGroup) [ack: cdk-mackerel:notificationGroupWithoutChannels]']);
    });

    test('about a group whose nested groups have no channel either', () => {
      const { stack, cpu } = members();
      const child = new NotificationGroup(stack, 'Child', { name: 'child' });
      new NotificationGroup(stack, 'Parent', { name: 'parent', monitors: [cpu], notificationGroups: [child] });
      expect(warnings(stack)).toEqual([expect.stringMatching(/^\/Stack\/Parent: The group has monitors or services but no channels, nor have the groups nested in it, /)]);
    });

    test('about a group whose nested group, imported by the ID of a group of the app, has no channel either', () => {
      const { stack, cpu } = members();
      const child = new NotificationGroup(stack, 'Child', { name: 'child' });
      new NotificationGroup(stack, 'Parent', {
        name: 'parent', monitors: [cpu], notificationGroups: [NotificationGroup.fromNotificationGroupId(stack, 'ChildById', child.notificationGroupId)],
      });
      expect(warnings(stack)).toEqual([expect.stringMatching(/^\/Stack\/Parent: The group has monitors or services but no channels, nor have the groups nested in it, /)]);
    });

    test('about the top of a chain of 480 groups (near the 500 resources of a stack), each nesting an import of the one below by its ID, the bottom one without channels', () => {
      // GIVEN groups that each follow an import to the group below (a walk of the whole app per import made this take minutes)
      const { stack, cpu } = members();
      let below = new NotificationGroup(stack, 'G0', { name: 'g0' });
      for (let i = 1; i < 480; i++) {
        below = new NotificationGroup(stack, `G${i}`, {
          name: `g${i}`, notificationGroups: [NotificationGroup.fromNotificationGroupId(stack, `G${i}Below`, below.notificationGroupId)],
        });
      }
      // WHEN
      below.addMonitor(cpu);
      // THEN
      expect(warnings(stack)).toEqual([expect.stringMatching(/^\/Stack\/G479: The group has monitors or services but no channels, nor have the groups nested in it, /)]);
    }, 30_000);

    test('not about a group with a channel or a nested group (also one added later), nor one without members', () => {
      const { stack, cpu, mail } = members();
      new NotificationGroup(stack, 'Mailed', { name: 'mailed', monitors: [cpu], channels: [mail] });
      const nesting = new NotificationGroup(stack, 'Nesting', { name: 'nesting', monitors: [cpu] });
      nesting.addNotificationGroup(NotificationGroup.fromNotificationGroupId(stack, 'Oncall', '3Ja8ex'));
      const mailing = new NotificationGroup(stack, 'Mailing', { name: 'mailing', channels: [mail] });
      new NotificationGroup(stack, 'Outer', { name: 'outer', monitors: [cpu], notificationGroups: [new NotificationGroup(stack, 'Inner', { name: 'inner', notificationGroups: [mailing] })] });
      new NotificationGroup(stack, 'Empty', { name: 'empty' });
      expect(warnings(stack)).toEqual([]);
    });
  });

  describe('rejects', () => {
    test('an empty name', () => {
      const { stack } = members();
      expect(() => new NotificationGroup(stack, 'A', { name: '' }))
        .toThrow(/Stack\/A: name "" is empty; expected a non-empty notification group name/);
    });

    test('a level the API does not know', () => {
      const { stack } = members();
      expect(() => new NotificationGroup(stack, 'B', { name: 'b', notificationLevel: 'warning' as NotificationLevel }))
        .toThrow(/Stack\/B: notificationLevel "warning" is not a notification level; expected one of "all", "critical"/);
    });

    test('a channel twice', () => {
      const { stack, mail } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c', channels: [mail] });
      expect(() => group.addChannel(mail)).toThrow(/Stack\/C: channels "Stack\/Mail" is already a member; expected each member once/);
    });

    test('a channel twice in the props', () => {
      const { stack, mail } = members();
      expect(() => new NotificationGroup(stack, 'C', { name: 'c', channels: [mail, mail] }))
        .toThrow(/Stack\/C: channels "Stack\/Mail" is already a member/);
    });

    test('two imports of one channel ID', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c', channels: [ChannelBase.fromChannelId(stack, 'P1', '3Ja8ex')] });
      expect(() => group.addChannel(ChannelBase.fromChannelId(stack, 'P2', '3Ja8ex')))
        .toThrow(/Stack\/C: channels "Stack\/P2" names "3Ja8ex", as the member "Stack\/P1" does; expected each Mackerel object once/);
    });

    test('a member and an import of its own ID, shown as the template writes the ID: a channel, a monitor, a nested group', () => {
      const { stack, mail, cpu } = members();
      const child = new NotificationGroup(stack, 'Child', { name: 'child', channels: [mail] });
      const group = new NotificationGroup(stack, 'C', { name: 'c', channels: [mail], monitors: [cpu], notificationGroups: [child] });
      expect(() => group.addChannel(ChannelBase.fromChannelId(stack, 'MailById', mail.channelId)))
        .toThrow(/^Stack\/C: channels "Stack\/MailById" names \{"Ref":"Mail[0-9A-F]{8}"\}, as the member "Stack\/Mail" does; expected each Mackerel object once$/);
      expect(() => group.addMonitor(MonitorBase.fromMonitorId(stack, 'CpuById', cpu.monitorId), { skipDefault: true }))
        .toThrow(/^Stack\/C: monitors "Stack\/CpuById" names \{"Ref":"Cpu[0-9A-F]{8}"\}, as the member "Stack\/Cpu" does/);
      expect(() => group.addNotificationGroup(NotificationGroup.fromNotificationGroupId(stack, 'ChildById', child.notificationGroupId)))
        .toThrow(/^Stack\/C: notificationGroups "Stack\/ChildById" names \{"Ref":"Child[0-9A-F]{8}"\}, as the member "Stack\/Child" does/);
    });

    test('two imports of one service name known only at deploy time (one parameter)', () => {
      const { stack } = members();
      const name = new CfnParameter(stack, 'ServiceName').valueAsString;
      const group = new NotificationGroup(stack, 'C', { name: 'c', services: [MackerelService.fromName(stack, 'One', name)] });
      expect(() => group.addService(MackerelService.fromName(stack, 'Two', name)))
        .toThrow(/^Stack\/C: services "Stack\/Two" names \{"Ref":"ServiceName"\}, as the member "Stack\/One" does/);
    });

    test('a monitor twice, whatever its skipDefault', () => {
      const { stack, cpu } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c', monitors: [cpu] });
      expect(() => group.addMonitor(cpu, { skipDefault: true })).toThrow(/Stack\/C: monitors "Stack\/Cpu" is already a member/);
    });

    test('a service twice', () => {
      const { stack, shop } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c', services: [shop] });
      expect(() => group.addService(shop)).toThrow(/Stack\/C: services "Stack\/Shop" is already a member/);
    });

    test('two imports of one service name', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c', services: [MackerelService.fromName(stack, 'Blog1', 'blog')] });
      expect(() => group.addService(MackerelService.fromName(stack, 'Blog2', 'blog')))
        .toThrow(/Stack\/C: services "Stack\/Blog2" names "blog", as the member "Stack\/Blog1" does/);
    });

    test('a service construct and fromName of its name', () => {
      const { stack, shop } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c', services: [shop] });
      expect(() => group.addService(MackerelService.fromName(stack, 'ShopByName', 'shop')))
        .toThrow(/Stack\/C: services "Stack\/ShopByName" names "shop", as the member "Stack\/Shop" does/);
    });

    test('a service construct and an import of it by its name (MackerelService.fromName(..., shop.name))', () => {
      const { stack, shop } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c', services: [shop] });
      expect(() => group.addService(MackerelService.fromName(stack, 'Imported', shop.name)))
        .toThrow(/Stack\/C: services "Stack\/Imported" names "shop", as the member "Stack\/Shop" does/);
    });

    test('a nested group twice', () => {
      const { stack } = members();
      const child = new NotificationGroup(stack, 'Child', { name: 'child' });
      const group = new NotificationGroup(stack, 'C', { name: 'c', notificationGroups: [child] });
      expect(() => group.addNotificationGroup(child)).toThrow(/Stack\/C: notificationGroups "Stack\/Child" is already a member/);
    });

    test('the group in itself', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c' });
      expect(() => group.addNotificationGroup(group)).toThrow(/Stack\/C: notificationGroups "Stack\/C" is this group itself; expected another notification group/);
    });

    test('an import of the group\'s own ID, which CloudFormation would refuse at deploy as a circular dependency', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'C', { name: 'c' });
      expect(() => group.addNotificationGroup(NotificationGroup.fromNotificationGroupId(stack, 'Self', group.notificationGroupId)))
        .toThrow(/^Stack\/C: notificationGroups "Stack\/Self" is this group itself; expected another notification group$/);
    });

    test('groups nested in each other through an import of one by its ID, at synthesis', () => {
      const { app, stack } = members();
      const a = new NotificationGroup(stack, 'A', { name: 'a' });
      const b = new NotificationGroup(stack, 'B', { name: 'b', notificationGroups: [a] });
      a.addNotificationGroup(NotificationGroup.fromNotificationGroupId(stack, 'BById', b.notificationGroupId));
      expect(() => app.synth())
        .toThrow(/notificationGroups "Stack\/A -> Stack\/B -> Stack\/A" nest this group in itself; expected groups that do not contain each other/);
    });

    test('groups nested in each other through an import by a token that ends as the ID of one (a Lazy, Fn.join), at synthesis', () => {
      const { app, stack } = members();
      const a = new NotificationGroup(stack, 'A', { name: 'a' });
      const b = new NotificationGroup(stack, 'B', { name: 'b', notificationGroups: [a] });
      a.addNotificationGroup(NotificationGroup.fromNotificationGroupId(stack, 'BLater', Lazy.string({ produce: () => b.notificationGroupId })));
      const c = new NotificationGroup(stack, 'C', { name: 'c' });
      c.addNotificationGroup(NotificationGroup.fromNotificationGroupId(stack, 'CJoined', Fn.join('', [c.notificationGroupId])));
      expect(() => app.synth()).toThrow(new RegExp([
        'notificationGroups "Stack/A -> Stack/B -> Stack/A" nest this group in itself',
        'notificationGroups "Stack/B -> Stack/A -> Stack/B" nest this group in itself',
        'notificationGroups "Stack/C -> Stack/C" nest this group in itself',
      ].map((m) => `${m}; expected groups that do not contain each other`).join('[^]*')));
    });

    test('groups nested in each other, at synthesis, naming the cycle', () => {
      const { stack } = members();
      const a = new NotificationGroup(stack, 'A', { name: 'a' });
      const b = new NotificationGroup(stack, 'B', { name: 'b', notificationGroups: [a] });
      a.addNotificationGroup(b);
      expect(() => Template.fromStack(stack))
        .toThrow(/notificationGroups "Stack\/A -> Stack\/B -> Stack\/A" nest this group in itself; expected groups that do not contain each other/);
    });

    test('a longer cycle through three groups', () => {
      const { stack } = members();
      const a = new NotificationGroup(stack, 'A', { name: 'a' });
      const b = new NotificationGroup(stack, 'B', { name: 'b', notificationGroups: [a] });
      const c = new NotificationGroup(stack, 'C', { name: 'c', notificationGroups: [b] });
      a.addNotificationGroup(c);
      expect(() => Template.fromStack(stack)).toThrow(/"Stack\/A -> Stack\/C -> Stack\/B -> Stack\/A" nest this group in itself/);
    });

    test('a malformed imported group ID', () => {
      const { stack } = members();
      expect(() => NotificationGroup.fromNotificationGroupId(stack, 'X', 'a b'))
        .toThrow(/Stack\/X: notificationGroupId "a b" is not a Mackerel notification group ID; expected letters and digits/);
    });
  });

  describe('accepts', () => {
    test('a diamond: one group nested in two others', () => {
      const { stack } = members();
      const leaf = new NotificationGroup(stack, 'Leaf', { name: 'leaf' });
      const left = new NotificationGroup(stack, 'Left', { name: 'left', notificationGroups: [leaf] });
      const right = new NotificationGroup(stack, 'Right', { name: 'right', notificationGroups: [leaf] });
      new NotificationGroup(stack, 'Top', { name: 'top', notificationGroups: [left, right] });
      Template.fromStack(stack).resourceCountIs('Custom::MackerelNotificationGroup', 4);
    });

    test('two token IDs, which cannot be compared', () => {
      const { stack } = members();
      const group = new NotificationGroup(stack, 'Ops', { name: 'ops' });
      group.addChannel(ChannelBase.fromChannelId(stack, 'P1', Token.asString({ Ref: 'First' })));
      group.addChannel(ChannelBase.fromChannelId(stack, 'P2', Token.asString({ Ref: 'Second' })));
      expect(propertiesOf(group).childChannelIds).toEqual([{ Ref: 'First' }, { Ref: 'Second' }]);
    });
  });
});
