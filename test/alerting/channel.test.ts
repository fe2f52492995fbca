import { App, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { alertingStack, handlerStatements, propertiesOf } from './_fixture';
import { ChannelBase, ChannelEvent, EmailChannel, SlackChannel, WebhookChannel } from '../../src/alerting';
import { MackerelApiKey } from '../../src/api-key';
import { MackerelProvider } from '../../src/provider/provider';

const SECRET_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

describe('EmailChannel', () => {
  test('renders type, name, addresses, users and the default events', () => {
    const { stack } = alertingStack();
    const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'], userIds: ['2xW3abc'] });
    expect(propertiesOf(mail)).toEqual({
      ServiceToken: expect.anything(),
      type: 'email',
      name: 'oncall',
      emails: ['oncall@example.com'],
      userIds: ['2xW3abc'],
      events: ['alert'],
    });
    expect(stack.resolve(mail.channelId)).toEqual({ Ref: expect.stringMatching(/^Mail/) });
  });

  test('takes the events given', () => {
    const { stack } = alertingStack();
    const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['a@example.com'], events: [ChannelEvent.ALERT_GROUP, ChannelEvent.HOST_RETIRE] });
    expect(propertiesOf(mail).events).toEqual(['alertGroup', 'hostRetire']);
  });

  test('rejects a channel without recipients', () => {
    const { stack } = alertingStack();
    expect(() => new EmailChannel(stack, 'Mail', { name: 'oncall' }))
      .toThrow(/Stack\/Mail: emails \[\] and userIds are both empty; expected at least one email address or user ID/);
  });

  test('rejects a bad address, a bad user ID, an empty name, a bad or repeated event', () => {
    const { stack } = alertingStack();
    expect(() => new EmailChannel(stack, 'A', { name: 'x', emails: ['ok@example.com', 'not-an-address'] }))
      .toThrow(/Stack\/A: emails\[1\] "not-an-address" is not an email address/);
    expect(() => new EmailChannel(stack, 'B', { name: 'x', userIds: ['bad id'] }))
      .toThrow(/Stack\/B: userIds\[0\] "bad id" is not a Mackerel user ID/);
    expect(() => new EmailChannel(stack, 'C', { name: ' ', emails: ['a@example.com'] }))
      .toThrow(/Stack\/C: name " " is empty; expected a non-empty channel name/);
    expect(() => new EmailChannel(stack, 'D', { name: 'x', emails: ['a@example.com'], events: ['alerts' as ChannelEvent] }))
      .toThrow(/Stack\/D: events\[0\] "alerts" is not a channel event; expected one of "alert", "alertGroup"/);
    expect(() => new EmailChannel(stack, 'E', { name: 'x', emails: ['a@example.com'], events: [ChannelEvent.ALERT, ChannelEvent.ALERT] }))
      .toThrow(/Stack\/E: events \["alert","alert"\] lists "alert" twice/);
  });
});

describe('SlackChannel and WebhookChannel: the URL stays out of the template', () => {
  test('a Secrets Manager name: the reference in the template, read granted on that secret only', () => {
    const { stack, provider } = alertingStack();
    const slack = new SlackChannel(stack, 'Slack', {
      name: 'ops',
      url: SecretValue.secretsManager('ops/slack', { jsonField: 'url' }),
      mentions: { critical: '<!channel>', warning: '<!here>' },
      enabledGraphImage: true,
    });
    expect(propertiesOf(slack)).toEqual({
      ServiceToken: expect.anything(),
      type: 'slack',
      name: 'ops',
      url: '{{resolve:secretsmanager:ops/slack:SecretString:url::}}',
      mentions: { critical: '<!channel>', warning: '<!here>' },
      enabledGraphImage: true,
      events: ['alert'],
    });
    expect(handlerStatements(stack, provider)).toContainEqual({
      Action: SECRET_ACTIONS,
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:ops/slack-??????']] },
    });
  });

  test('a secret of the app: the reference holds its ARN and read is granted on that ARN', () => {
    const { stack, provider } = alertingStack();
    const secret = new secretsmanager.Secret(stack, 'HookUrl');
    const hook = new WebhookChannel(stack, 'Hook', { name: 'incidents', url: secret.secretValue });
    expect(propertiesOf(hook).url).toEqual({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', stack.resolve(secret.secretArn), ':SecretString:::}}']] });
    expect(handlerStatements(stack, provider)).toContainEqual({ Action: SECRET_ACTIONS, Effect: 'Allow', Resource: stack.resolve(secret.secretArn) });
  });

  test('a literal secret ARN is granted as it is', () => {
    const { stack, provider } = alertingStack();
    const arn = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ops/hook-AbCdEf';
    new WebhookChannel(stack, 'Hook', { name: 'incidents', url: SecretValue.secretsManager(arn) });
    expect(handlerStatements(stack, provider)).toContainEqual({ Action: SECRET_ACTIONS, Effect: 'Allow', Resource: arn });
  });

  test('an SSM SecureString: the reference with its version, GetParameter granted on that parameter', () => {
    const { stack, provider } = alertingStack();
    const hook = new WebhookChannel(stack, 'Hook', { name: 'incidents', url: SecretValue.ssmSecure('/ops/hook', '3') });
    expect(propertiesOf(hook).url).toBe('{{resolve:ssm-secure:/ops/hook:3}}');
    expect(handlerStatements(stack, provider)).toContainEqual({
      Action: 'ssm:GetParameter',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':parameter/ops/hook']] },
    });
  });

  test('the grant reaches a provider declared after the channel', () => {
    const stack = new Stack(new App(), 'Stack');
    new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
    expect(JSON.stringify(handlerStatements(stack, provider))).toContain(':secret:ops/slack-??????');
  });

  test('a plain-text URL is written, with a warning; a plain non-http URL is rejected', () => {
    const { stack, provider } = alertingStack();
    const hook = new WebhookChannel(stack, 'Hook', { name: 'public', url: SecretValue.unsafePlainText('https://hooks.example.com/mackerel') });
    expect(propertiesOf(hook).url).toBe('https://hooks.example.com/mackerel');
    Annotations.fromStack(stack).hasWarning('/Stack/Hook', Match.stringLikeRegexp('url is given as plain text, so it is written into the template'));
    expect(JSON.stringify(handlerStatements(stack, provider))).not.toContain('hooks.example.com');
    expect(() => new SlackChannel(stack, 'Bad', { name: 'x', url: SecretValue.unsafePlainText('ftp://example.com/') }))
      .toThrow(/Stack\/Bad: url "ftp:\/\/example.com\/" is not an http\(s\) URL/);
  });

  test('no plain-text warning for a secret', () => {
    const { stack } = alertingStack();
    new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Slack', Match.anyValue());
  });

  test('rejects an empty mention', () => {
    const { stack } = alertingStack();
    expect(() => new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('s'), mentions: { ok: '' } }))
      .toThrow(/Stack\/Slack: mentions.ok "" is empty; expected a mention text/);
  });

  test('each class fixes its type, so turning one kind into another replaces the channel', () => {
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
  test('references a channel without creating anything, and checks the ID', () => {
    const { stack } = alertingStack();
    const imported = ChannelBase.fromChannelId(stack, 'PagerDuty', '3Ja8ex');
    expect(imported.channelId).toBe('3Ja8ex');
    Template.fromStack(stack).resourceCountIs('Custom::MackerelChannel', 0);
    expect(imported.node.children).toEqual([]);
    expect(() => ChannelBase.fromChannelId(stack, 'Bad', 'no such id'))
      .toThrow(/Stack\/Bad: channelId "no such id" is not a Mackerel channel ID/);
  });
});
