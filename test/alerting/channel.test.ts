import { CfnParameter, Fn, SecretValue, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { alertingStack, propertiesOf } from './_fixture';
import { ChannelBase, ChannelEvent, EmailChannel, SlackChannel, SlackMentions, WebhookChannel } from '../../src/alerting';

describe('EmailChannel', () => {
  describe('renders', () => {
    test('type, name, addresses, users and the default events', () => {
      // GIVEN
      const { stack } = alertingStack();
      // WHEN
      const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'], userIds: ['2xW3abc'] });
      // THEN
      expect(propertiesOf(mail)).toEqual({
        ServiceToken: expect.anything(),
        type: 'email',
        name: 'oncall',
        emails: ['oncall@example.com'],
        userIds: ['2xW3abc'],
        events: ['alert'],
      });
      Template.fromStack(stack).resourceCountIs('Custom::MackerelChannel', 1);
    });

    test('channelId is a reference to the resource', () => {
      const { stack } = alertingStack();
      const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
      const resource = mail.node.findChild('Resource');
      expect(stack.resolve(mail.channelId)).toEqual(stack.resolve((resource as unknown as { ref: string }).ref));
      expect(Token.isUnresolved(mail.channelId)).toBe(true);
    });

    test('users alone are enough, and no emails field is written', () => {
      const { stack } = alertingStack();
      const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', userIds: ['2xW3abc'] });
      expect(propertiesOf(mail)).toMatchObject({ userIds: ['2xW3abc'] });
      expect(propertiesOf(mail)).not.toHaveProperty('emails');
    });

    test('the events given, in order, every kind the API knows', () => {
      const { stack } = alertingStack();
      const all = Object.values(ChannelEvent);
      const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['a@example.com'], events: all });
      expect(propertiesOf(mail).events).toEqual(['alert', 'alertGroup', 'hostStatus', 'hostRegister', 'hostRetire', 'monitor']);
    });

    test('an empty event list is kept, with a warning', () => {
      const { stack } = alertingStack();
      const mail = new EmailChannel(stack, 'Mail', { name: 'x', emails: ['a@example.com'], events: [] });
      expect(propertiesOf(mail).events).toEqual([]);
      Annotations.fromStack(stack).hasWarning('/Stack/Mail', Match.stringLikeRegexp('events is empty, so the channel is notified of nothing'));
    });

    test('a token address is taken without checking it', () => {
      const { stack } = alertingStack();
      const address = Token.asString({ Ref: 'OncallAddress' });
      const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: [address] });
      expect(propertiesOf(mail).emails).toEqual([{ Ref: 'OncallAddress' }]);
    });

    test('addresses and users from list parameters (a CommaDelimitedList, Fn.split) are taken without checking them', () => {
      const { stack } = alertingStack();
      const addresses = new CfnParameter(stack, 'OncallAddresses', { type: 'CommaDelimitedList' });
      const users = new CfnParameter(stack, 'OncallUsers');
      const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: addresses.valueAsList, userIds: Fn.split(',', users.valueAsString) });
      expect(propertiesOf(mail)).toMatchObject({ emails: { Ref: 'OncallAddresses' }, userIds: { 'Fn::Split': [',', { Ref: 'OncallUsers' }] } });
    });
  });

  describe('rejects', () => {
    test('a channel without recipients', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: 'oncall' }))
        .toThrow(/Stack\/Mail: emails \[\] and userIds are both empty; expected at least one email address or user ID\. A channel without recipients notifies nobody/);
    });

    test('empty lists of both', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: 'oncall', emails: [], userIds: [] }))
        .toThrow(/Stack\/Mail: emails \[\] and userIds are both empty/);
    });

    test('a malformed address, naming its index', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: 'x', emails: ['ok@example.com', 'not-an-address'] }))
        .toThrow(/Stack\/Mail: emails\[1\] "not-an-address" is not an email address; expected an address such as oncall@example.com/);
    });

    test('an address with a space', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: 'x', emails: ['on call@example.com'] }))
        .toThrow(/Stack\/Mail: emails\[0\] "on call@example.com" is not an email address/);
    });

    test('an address or a user given twice', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: 'x', emails: ['a@example.com', 'b@example.com', 'a@example.com'] }))
        .toThrow('Stack/Mail: emails[2] "a@example.com" is given twice; expected each address once');
      expect(() => new EmailChannel(stack, 'Mail2', { name: 'x', userIds: ['abc', 'abc'] }))
        .toThrow('Stack/Mail2: userIds[1] "abc" is given twice; expected each user once');
    });

    test('addresses differing only in case are warned about, naming both, and kept as given', () => {
      const { stack } = alertingStack();
      new EmailChannel(stack, 'Mail', { name: 'x', emails: ['Ops@Example.com', 'dev@example.com', 'ops@example.com'] });
      Annotations.fromStack(stack).hasWarning('/Stack/Mail', Match.stringLikeRegexp(
        '^emails\\[2\\] "ops@example.com" differs from emails\\[0\\] "Ops@Example.com" only in case\\. .*send each notification twice to one mailbox.*\\[ack: cdk-mackerel:emailsDifferOnlyInCase\\]'));
      Template.fromStack(stack).hasResourceProperties('Custom::MackerelChannel', { emails: ['Ops@Example.com', 'dev@example.com', 'ops@example.com'] });
    });

    test('addresses that differ otherwise are not warned about', () => {
      const { stack } = alertingStack();
      new EmailChannel(stack, 'Mail', { name: 'x', emails: ['ops@example.com', 'ops@example.org', 'ops2@example.com'] });
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('emailsDifferOnlyInCase'));
    });

    test('a parameter given twice, shown as the template writes it', () => {
      const { stack } = alertingStack();
      const oncall = new CfnParameter(stack, 'Oncall');
      expect(() => new EmailChannel(stack, 'Mail', { name: 'x', emails: [oncall.valueAsString, oncall.valueAsString] }))
        .toThrow('Stack/Mail: emails[1] {"Ref":"Oncall"} is given twice; expected each address once');
    });

    test('a malformed user ID', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: 'x', userIds: ['bad id'] }))
        .toThrow(/Stack\/Mail: userIds\[0\] "bad id" is not a Mackerel user ID; expected letters and digits/);
    });

    test('an empty name', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: ' ', emails: ['a@example.com'] }))
        .toThrow(/Stack\/Mail: name " " is empty; expected a non-empty channel name/);
    });

    test('an event the API does not know', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: 'x', emails: ['a@example.com'], events: ['alerts' as ChannelEvent] }))
        .toThrow(/Stack\/Mail: events\[0\] "alerts" is not a channel event; expected one of "alert", "alertGroup", "hostStatus", "hostRegister", "hostRetire", "monitor"/);
    });

    test('an event twice', () => {
      const { stack } = alertingStack();
      expect(() => new EmailChannel(stack, 'Mail', { name: 'x', emails: ['a@example.com'], events: [ChannelEvent.ALERT, ChannelEvent.ALERT] }))
        .toThrow(/Stack\/Mail: events \["alert","alert"\] lists "alert" twice; expected each event at most once/);
    });
  });
});

describe('SlackChannel', () => {
  test('renders type, URL reference, mentions, graph image and events', () => {
    const { stack } = alertingStack();
    const slack = new SlackChannel(stack, 'Slack', {
      name: 'ops',
      url: SecretValue.secretsManager('ops/slack', { jsonField: 'url' }),
      mentions: { ok: 'recovered', warning: '<!here>', critical: '<!channel>' },
      enabledGraphImage: true,
      events: [ChannelEvent.ALERT, ChannelEvent.ALERT_GROUP],
    });
    expect(propertiesOf(slack)).toEqual({
      ServiceToken: expect.anything(),
      type: 'slack',
      name: 'ops',
      url: '{{resolve:secretsmanager:ops/slack:SecretString:url::}}',
      mentions: { ok: 'recovered', warning: '<!here>', critical: '<!channel>' },
      enabledGraphImage: true,
      events: ['alert', 'alertGroup'],
    });
  });

  test('leaves mentions and graph image out when not given', () => {
    const { stack } = alertingStack();
    const slack = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
    expect(propertiesOf(slack)).toEqual({
      ServiceToken: expect.anything(),
      type: 'slack',
      name: 'ops',
      url: '{{resolve:secretsmanager:ops/slack:SecretString:::}}',
      events: ['alert'],
    });
  });

  test('writes only the mentions given', () => {
    const { stack } = alertingStack();
    const slack = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('s'), mentions: { critical: '<!channel>' } });
    expect(propertiesOf(slack).mentions).toEqual({ critical: '<!channel>' });
  });

  test('rejects an empty mention', () => {
    const { stack } = alertingStack();
    expect(() => new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('s'), mentions: { ok: '' } }))
      .toThrow(/Stack\/Slack: mentions.ok "" is empty; expected a mention text such as <!here>, or no value/);
  });

  test('rejects a mention for something other than an alert status', () => {
    const { stack } = alertingStack();
    const mentions = { critical: '<!channel>', unknown: '<!here>' } as SlackMentions;
    expect(() => new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('s'), mentions }))
      .toThrow(/Stack\/Slack: mentions "unknown" is not an alert status Slack mentions are given for; expected "ok", "warning", "critical"/);
  });

  test('rejects a blank critical mention', () => {
    const { stack } = alertingStack();
    expect(() => new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('s'), mentions: { critical: '  ' } }))
      .toThrow(/Stack\/Slack: mentions.critical " {2}" is empty/);
  });

  test('rejects an empty name', () => {
    const { stack } = alertingStack();
    expect(() => new SlackChannel(stack, 'Slack', { name: '', url: SecretValue.secretsManager('s') }))
      .toThrow(/Stack\/Slack: name "" is empty; expected a non-empty channel name/);
  });
});

describe('WebhookChannel', () => {
  test('renders type, URL reference, graph image and events', () => {
    const { stack } = alertingStack();
    const hook = new WebhookChannel(stack, 'Hook', {
      name: 'incidents', url: SecretValue.ssmSecure('/ops/hook'), enabledGraphImage: false, events: [ChannelEvent.MONITOR],
    });
    expect(propertiesOf(hook)).toEqual({
      ServiceToken: expect.anything(),
      type: 'webhook',
      name: 'incidents',
      url: '{{cdk-mackerel:ssm-secure:/ops/hook}}',
      enabledGraphImage: false,
      events: ['monitor'],
    });
  });

  test('rejects an empty event', () => {
    const { stack } = alertingStack();
    expect(() => new WebhookChannel(stack, 'Hook', { name: 'x', url: SecretValue.ssmSecure('/h'), events: ['' as ChannelEvent] }))
      .toThrow(/Stack\/Hook: events\[0\] "" is not a channel event/);
  });
});

describe('the channel type', () => {
  test('is fixed by the class, so turning one kind into another replaces the channel', () => {
    const { stack } = alertingStack();
    const types = [
      new EmailChannel(stack, 'Mail', { name: 'a', emails: ['a@example.com'] }),
      new SlackChannel(stack, 'Slack', { name: 'b', url: SecretValue.secretsManager('s') }),
      new WebhookChannel(stack, 'Hook', { name: 'c', url: SecretValue.secretsManager('w') }),
    ].map((c) => propertiesOf(c).type);
    expect(types).toEqual(['email', 'slack', 'webhook']);
  });
});

describe('ChannelBase.fromChannelId', () => {
  test('references a channel without creating anything', () => {
    const { stack } = alertingStack();
    const imported = ChannelBase.fromChannelId(stack, 'PagerDuty', '3Ja8ex');
    expect(imported.channelId).toBe('3Ja8ex');
    Template.fromStack(stack).resourceCountIs('Custom::MackerelChannel', 0);
    expect(imported.node.children).toEqual([]);
  });

  test('is reachable from each channel class', () => {
    const { stack } = alertingStack();
    expect(SlackChannel.fromChannelId(stack, 'A', 'abc123').channelId).toBe('abc123');
    expect(EmailChannel.fromChannelId(stack, 'B', 'def456').channelId).toBe('def456');
  });

  test('takes a token ID as it is', () => {
    const { stack } = alertingStack();
    const id = Token.asString({ Ref: 'ChannelIdParameter' });
    expect(stack.resolve(ChannelBase.fromChannelId(stack, 'X', id).channelId)).toEqual({ Ref: 'ChannelIdParameter' });
  });

  test('rejects a malformed ID', () => {
    const { stack } = alertingStack();
    expect(() => ChannelBase.fromChannelId(stack, 'Bad', 'no such id'))
      .toThrow(/Stack\/Bad: channelId "no such id" is not a Mackerel channel ID; expected letters and digits/);
  });
});
