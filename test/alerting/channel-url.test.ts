import { App, Aws, CfnDynamicReference, CfnDynamicReferenceService, CfnParameter, Fn, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { describe, expect, test } from 'vitest';
import { alertingStack, handlerStatements, propertiesOf } from './_fixture';
import { SlackChannel, WebhookChannel } from '../../src/alerting';
import { MackerelApiKey } from '../../src/api-key';
import { MackerelProvider } from '../../src/provider/provider';

type Statement = { [key: string]: unknown };

/** `arn:<partition>:<service>:<region>:<account>:<rest>` as the template writes it. */
function arnIn(service: string, rest: string) {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${rest}`]] };
}

/** The handler's statements that the fixture alone does not have (the API key's read). */
function addedStatements(stack: Stack, provider: MackerelProvider): Statement[] {
  const fresh = alertingStack();
  const baseline = new Set(handlerStatements(fresh.stack, fresh.provider).map((s) => JSON.stringify(s)));
  return handlerStatements(stack, provider).filter((s) => !baseline.has(JSON.stringify(s)));
}

/** A webhook channel with the URL the callback makes in the fixture stack; what it grants. */
function webhookWith(url: (stack: Stack) => SecretValue) {
  const fixture = alertingStack();
  const hook = new WebhookChannel(fixture.stack, 'Hook', { name: 'incidents', url: url(fixture.stack) });
  return { ...fixture, hook, grants: () => addedStatements(fixture.stack, fixture.provider) };
}

const GET_SECRET = 'secretsmanager:GetSecretValue';
const GET_PARAMETER = 'ssm:GetParameter';

describe('a URL in Secrets Manager', () => {
  test('by name: the reference in the template, GetSecretValue on that name with its random suffix', () => {
    const { hook, grants } = webhookWith(() => SecretValue.secretsManager('ops/hook', { jsonField: 'url', versionStage: 'AWSCURRENT' }));
    expect(propertiesOf(hook).url).toBe('{{resolve:secretsmanager:ops/hook:SecretString:url:AWSCURRENT:}}');
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: arnIn('secretsmanager', 'secret:ops/hook-??????') }]);
  });

  test('a secret of the app: the reference holds its ARN, read granted on that ARN', () => {
    const { stack, hook, grants } = webhookWith((s) => new secretsmanager.Secret(s, 'HookUrl').secretValueFromJson('url'));
    const secret = stack.node.findChild('HookUrl') as secretsmanager.Secret;
    expect(propertiesOf(hook).url).toEqual({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', stack.resolve(secret.secretArn), ':SecretString:url::}}']] });
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: stack.resolve(secret.secretArn) }]);
  });

  test('an ARN ending in "-" and six letters or digits may be complete or partial: both it and its suffix wildcard are granted', () => {
    // "team-oncall" is a name ending so: its partial ARN looks complete
    const arn = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:team-oncall';
    const { grants } = webhookWith(() => SecretValue.secretsManager(arn));
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: [arn, `${arn}-??????`] }]);
  });

  test('Secret.fromSecretCompleteArn: the complete ARN is granted as it is', () => {
    const arn = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ops/hook-AbCdEf';
    const { grants } = webhookWith((s) => secretsmanager.Secret.fromSecretCompleteArn(s, 'Imported', arn).secretValueFromJson('url'));
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: arn }]);
  });

  test('Secret.fromSecretPartialArn of a name ending in "-" and six letters: the suffix wildcard only', () => {
    const arn = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:team-oncall';
    const { grants } = webhookWith((s) => secretsmanager.Secret.fromSecretPartialArn(s, 'Imported', arn).secretValueFromJson('url'));
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: `${arn}-??????` }]);
  });

  test('Secret.fromSecretNameV2 of a name ending in "-" and six letters: the suffix wildcard only', () => {
    const { grants } = webhookWith((s) => secretsmanager.Secret.fromSecretNameV2(s, 'Imported', 'ops/slack-alerts').secretValueFromJson('url'));
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: arnIn('secretsmanager', 'secret:ops/slack-alerts-??????') }]);
  });

  test('a partial ARN (no random suffix) gets the suffix wildcard', () => {
    const { grants } = webhookWith(() => SecretValue.secretsManager('arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ops/hook'));
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:ops/hook-??????' }]);
  });

  test('Secret.fromSecretNameV2: a partial ARN made of tokens gets the suffix wildcard', () => {
    const { hook, grants } = webhookWith((s) => secretsmanager.Secret.fromSecretNameV2(s, 'Imported', 'ops/hook').secretValue);
    expect(JSON.stringify(propertiesOf(hook).url)).toContain(':secret:ops/hook:SecretString:::}}');
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: arnIn('secretsmanager', 'secret:ops/hook-??????') }]);
  });

  test('a name built with a token (Fn::Join) is granted as a name', () => {
    const { stack, grants } = webhookWith((s) => SecretValue.secretsManager(Fn.join('', ['ops/', new CfnParameter(s, 'Env').valueAsString])));
    const env = stack.node.findChild('Env') as CfnParameter;
    expect(grants()).toEqual([{
      Action: GET_SECRET,
      Effect: 'Allow',
      Resource: {
        'Fn::Join': ['', [
          'arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
          ':secret:ops/', { Ref: stack.resolve(env.logicalId) }, '-??????',
        ]],
      },
    }]);
  });

  test('an ID that is a token alone is taken as a complete ARN', () => {
    const { stack, grants } = webhookWith((s) => SecretValue.secretsManager(new CfnParameter(s, 'HookSecretArn').valueAsString));
    const parameter = stack.node.findChild('HookSecretArn') as CfnParameter;
    expect(grants()).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: { Ref: stack.resolve(parameter.logicalId) } }]);
  });
});

describe('a URL in SSM', () => {
  test('a SecureString by name: the reference with its version, GetParameter on the parameter without the double slash', () => {
    const { hook, grants } = webhookWith(() => SecretValue.ssmSecure('/ops/hook', '3'));
    // CloudFormation refuses {{resolve:ssm-secure: in a custom resource ("SSM Secure reference is not supported in"): the handler's own spelling
    expect(propertiesOf(hook).url).toBe('{{cdk-mackerel:ssm-secure:/ops/hook:3}}');
    expect(grants()).toEqual([{ Action: GET_PARAMETER, Effect: 'Allow', Resource: arnIn('ssm', 'parameter/ops/hook') }]);
  });

  test('a name without a leading slash', () => {
    const { grants } = webhookWith(() => SecretValue.ssmSecure('ops-hook'));
    expect(grants()).toEqual([{ Action: GET_PARAMETER, Effect: 'Allow', Resource: arnIn('ssm', 'parameter/ops-hook') }]);
  });

  test('a plain String parameter reference ({{resolve:ssm:...}})', () => {
    const { hook, grants } = webhookWith(() => SecretValue.cfnDynamicReference(new CfnDynamicReference(CfnDynamicReferenceService.SSM, 'ops/hook')));
    expect(propertiesOf(hook).url).toBe('{{resolve:ssm:ops/hook}}');
    expect(grants()).toEqual([{ Action: GET_PARAMETER, Effect: 'Allow', Resource: arnIn('ssm', 'parameter/ops/hook') }]);
  });

  test('a parameter ARN is granted as it is', () => {
    const arn = 'arn:aws:ssm:ap-northeast-1:123456789012:parameter/ops/hook';
    const { grants } = webhookWith(() => SecretValue.ssmSecure(arn));
    expect(grants()).toEqual([{ Action: GET_PARAMETER, Effect: 'Allow', Resource: arn }]);
  });

  test('a parameter name that is a token: both forms, with and without its own leading slash', () => {
    const { stack, grants } = webhookWith((s) => SecretValue.ssmSecure(new ssm.StringParameter(s, 'HookName', { stringValue: 'x' }).parameterName));
    const ref = stack.resolve((stack.node.findChild('HookName') as ssm.StringParameter).parameterName);
    const prefix = ['arn:', { Ref: 'AWS::Partition' }, ':ssm:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }];
    expect(grants()).toEqual([{
      Action: GET_PARAMETER,
      Effect: 'Allow',
      Resource: [
        { 'Fn::Join': ['', [...prefix, ':parameter/', ref]] },
        { 'Fn::Join': ['', [...prefix, ':parameter', ref]] },
      ],
    }]);
  });
});

describe('a reference inside a longer URL', () => {
  test('is found, granted, and not warned about', () => {
    const { stack, hook, grants } = webhookWith(() => SecretValue.unsafePlainText(
      `https://hooks.slack.com/services/${SecretValue.ssmSecure('/slack/path').unsafeUnwrap()}`));
    expect(JSON.stringify(propertiesOf(hook).url)).toContain('https://hooks.slack.com/services/{{cdk-mackerel:ssm-secure:/slack/path}}');
    expect(grants()).toEqual([{ Action: GET_PARAMETER, Effect: 'Allow', Resource: arnIn('ssm', 'parameter/slack/path') }]);
    Annotations.fromStack(stack).hasNoWarning('/Stack/Hook', Match.anyValue());
  });

  test('an ssm-secure reference joined with a separator is written in the handler\'s spelling too', () => {
    const { hook } = webhookWith((s) => SecretValue.unsafePlainText(
      Fn.join('/', ['https://hooks.example.com', SecretValue.ssmSecure(new CfnParameter(s, 'HookName').valueAsString).unsafeUnwrap()])));
    const url = JSON.stringify(propertiesOf(hook).url);
    expect(url).toContain('{{cdk-mackerel:ssm-secure:');
    expect(url).not.toContain('{{resolve:ssm-secure:');
  });

  test('a reference that names nothing is rejected', () => {
    const { stack } = alertingStack();
    expect(() => new WebhookChannel(stack, 'Hook', { name: 'x', url: SecretValue.unsafePlainText('{{resolve:ssm-secure:}}') }))
      .toThrow(/Stack\/Hook: url "a dynamic reference" names no secret or parameter; expected SecretValue.secretsManager\(secretId\) or SecretValue.ssmSecure\(parameterName\)/);
  });
});

describe('a secret of another stack', () => {
  test('is refused at construction, naming it and the way out: the grant could not name it', () => {
    // GIVEN
    const app = new App();
    const env = { account: '123456789012', region: 'ap-northeast-1' };
    const shared = new Stack(app, 'Shared', { env });
    const hookSecret = new secretsmanager.Secret(shared, 'HookSecret');
    const stack = new Stack(app, 'Stack', { env });
    // WHEN / THEN
    expect(() => new WebhookChannel(stack, 'Hook', { name: 'x', url: SecretValue.secretsManager(hookSecret.secretArn) })).toThrow(
      'Stack/Hook: url "Shared/HookSecret" names a secret or parameter of stack Shared, whose read the provider of this stack cannot be granted; '
      + 'expected a secret or parameter of this stack, or one imported into it. Import it here by name');
  });
});

describe('the provider that gets the grant', () => {
  test('may be declared after the channel', () => {
    // GIVEN a stack whose provider comes last
    const stack = new Stack(new App(), 'Stack');
    new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
    // WHEN
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
    // THEN
    expect(handlerStatements(stack, provider)).toContainEqual({ Action: GET_SECRET, Effect: 'Allow', Resource: arnIn('secretsmanager', 'secret:ops/slack-??????') });
  });

  test('may describe its own stack when a URL is read at deploy time, to tell a rollback (which may send one with whitespace back) from a change', () => {
    const describeStatements = (url: (stack: Stack) => SecretValue) => {
      const stack = new Stack(new App(), 'Stack');
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
      new WebhookChannel(stack, 'Hook', { name: 'incidents', url: url(stack) });
      return handlerStatements(stack, provider).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('cloudformation:')));
    };
    const expected = [{ Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'], Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } }];

    expect(describeStatements(() => SecretValue.ssmSecure('/ops/hook'))).toEqual(expected);
    expect(describeStatements(() => SecretValue.secretsManager('ops/hook'))).toEqual(expected);
    expect(describeStatements((stack) => SecretValue.cfnParameter(new CfnParameter(stack, 'HookUrl', { noEcho: true })))).toEqual(expected);
    // A plain-text URL is checked whole at synth: the handler never asks.
    expect(describeStatements(() => SecretValue.unsafePlainText('https://example.com/hook'))).toEqual([]);
  });

  test('is the one of the channel\'s own stack', () => {
    const app = new App();
    const providerIn = (stack: Stack) => new MackerelProvider(stack, 'Mackerel', {
      apiKey: MackerelApiKey.fromSsmParameter(
        ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Key', { parameterName: '/mackerel/key' })),
    });
    const one = new Stack(app, 'One');
    const two = new Stack(app, 'Two');
    const p1 = providerIn(one);
    const p2 = providerIn(two);
    new WebhookChannel(two, 'Hook', { name: 'x', url: SecretValue.ssmSecure('/ops/hook') });
    const mentions = (stack: Stack, provider: MackerelProvider) => JSON.stringify(handlerStatements(stack, provider)).includes('parameter/ops/hook');
    expect([mentions(one, p1), mentions(two, p2)]).toEqual([false, true]);
  });

  test('a stack without one fails synthesis, naming the fix', () => {
    const stack = new Stack(new App(), 'Stack');
    new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
    expect(() => Template.fromStack(stack)).toThrow(/Custom::MackerelChannel needs a MackerelProvider in stack "Stack"; expected one per stack\. Add new MackerelProvider/);
  });
});

describe('urlEncryptionKey', () => {
  test('grants kms:Decrypt on the key next to the read of the secret', () => {
    const { stack, provider } = alertingStack();
    const key = new kms.Key(stack, 'HookKey');
    const secret = new secretsmanager.Secret(stack, 'HookUrl', { encryptionKey: key });
    new WebhookChannel(stack, 'Hook', { name: 'x', url: secret.secretValue, urlEncryptionKey: key });
    expect(addedStatements(stack, provider)).toEqual([
      { Action: GET_SECRET, Effect: 'Allow', Resource: stack.resolve(secret.secretArn) },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: stack.resolve(key.keyArn) },
    ]);
  });

  test('reaches a provider declared after the channel', () => {
    const stack = new Stack(new App(), 'Stack');
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.ssmSecure('/ops/slack'), urlEncryptionKey: key });
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
    expect(handlerStatements(stack, provider)).toContainEqual({ Action: 'kms:Decrypt', Effect: 'Allow', Resource: key.keyArn });
  });

  test('rejects a key for a plain-text URL', () => {
    const { stack } = alertingStack();
    const key = new kms.Key(stack, 'HookKey');
    expect(() => new WebhookChannel(stack, 'Hook', { name: 'x', url: SecretValue.unsafePlainText('https://example.com/hook'), urlEncryptionKey: key }))
      .toThrow(/Stack\/Hook: urlEncryptionKey "Stack\/HookKey" is given, but url is plain text; expected a url from Secrets Manager or SSM, or no key/);
  });
});

describe('a plain-text URL', () => {
  test('is written into the template, with a warning, and grants nothing', () => {
    const { stack, hook, grants } = webhookWith(() => SecretValue.unsafePlainText('https://hooks.example.com/mackerel'));
    expect(propertiesOf(hook).url).toBe('https://hooks.example.com/mackerel');
    Annotations.fromStack(stack).hasWarning('/Stack/Hook',
      Match.stringLikeRegexp('url is given as plain text, so it is written into the template .*SecretValue.secretsManager.*\\[ack: cdk-mackerel:channelUrlInTemplate\\]'));
    expect(grants()).toEqual([]);
  });

  test('http is accepted too', () => {
    const { hook } = webhookWith(() => SecretValue.unsafePlainText('http://hooks.internal.example.com/'));
    expect(propertiesOf(hook).url).toBe('http://hooks.internal.example.com/');
  });

  test('a token (a stack parameter) is not checked, but warned about', () => {
    const { stack, hook } = webhookWith((s) => SecretValue.unsafePlainText(new CfnParameter(s, 'HookUrl').valueAsString));
    expect(propertiesOf(hook).url).toEqual({ Ref: stack.resolve((stack.node.findChild('HookUrl') as CfnParameter).logicalId) });
    Annotations.fromStack(stack).hasWarning('/Stack/Hook', Match.stringLikeRegexp('written into the template'));
  });

  test('a NoEcho parameter (SecretValue.cfnParameter) is written as its Ref, with no warning and no grant', () => {
    const { stack, hook, grants } = webhookWith((s) => SecretValue.cfnParameter(new CfnParameter(s, 'HookUrl', { noEcho: true })));
    expect(propertiesOf(hook).url).toEqual({ Ref: stack.resolve((stack.node.findChild('HookUrl') as CfnParameter).logicalId) });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('channelUrlInTemplate'));
    expect(grants()).toEqual([]);
  });

  test('a NoEcho parameter inside a longer URL is not warned about either', () => {
    const { stack } = webhookWith((s) => SecretValue.unsafePlainText(
      `https://hooks.example.com/services/${new CfnParameter(s, 'HookToken', { noEcho: true }).valueAsString}`));
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('channelUrlInTemplate'));
  });

  test('a NoEcho parameter of another stack is warned about, also when this stack has one of the same logical ID: it is exported in plain', () => {
    const { app, stack } = alertingStack();
    new CfnParameter(stack, 'HookUrl', { noEcho: true });
    const other = new CfnParameter(new Stack(app, 'Other'), 'HookUrl', { noEcho: true });

    new WebhookChannel(stack, 'Hook', { name: 'incidents', url: SecretValue.cfnParameter(other) });

    Annotations.fromStack(stack).hasWarning('/Stack/Hook', Match.stringLikeRegexp('channelUrlInTemplate'));
  });

  test('a parameter without NoEcho beside a NoEcho one is still warned about: its value shows in the console', () => {
    const { stack } = webhookWith((s) => SecretValue.unsafePlainText(
      `https://${new CfnParameter(s, 'HookHost').valueAsString}/services/${new CfnParameter(s, 'HookToken', { noEcho: true }).valueAsString}`));
    Annotations.fromStack(stack).hasWarning('/Stack/Hook', Match.stringLikeRegexp('channelUrlInTemplate'));
  });

  test('a NoEcho parameter beside the stack\'s pseudo parameters is not warned about', () => {
    const { stack } = webhookWith((s) => SecretValue.unsafePlainText(
      `https://hooks.${Aws.REGION}.example.com/${new CfnParameter(s, 'HookToken', { noEcho: true }).valueAsString}`));
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('channelUrlInTemplate'));
  });

  test('rejects another scheme', () => {
    const { stack } = alertingStack();
    expect(() => new SlackChannel(stack, 'Bad', { name: 'x', url: SecretValue.unsafePlainText('ftp://example.com/') }))
      .toThrow(/Stack\/Bad: url "ftp:\/\/example.com\/" is not an http\(s\) URL; expected an https:\/\/ URL, or a SecretValue from Secrets Manager or SSM/);
  });

  test('rejects what is not a URL', () => {
    const { stack } = alertingStack();
    expect(() => new WebhookChannel(stack, 'Bad', { name: 'x', url: SecretValue.unsafePlainText('hooks.example.com/mackerel') }))
      .toThrow(/^Stack\/Bad: url "\*\*\*\*" is not a URL \(not shown, as it may hold a secret\); expected an https:\/\/ URL, or a SecretValue from Secrets Manager or SSM$/);
  });

  // A Slack or webhook URL carries its token in the path (or the query, or as a user and password):
  // an error shows the scheme and host, which say what is wrong, and masks the rest.
  test.each([
    ['a path and query', 'ftp://hooks.example.com/services/T0/B0/TOKEN-abc123?key=TOKEN-def456#TOKEN', 'ftp://hooks.example.com/****'],
    ['a user and password', 'ftp://bot:TOKEN-pw@hooks.example.com/', 'ftp://****@hooks.example.com/'],
  ])('an error about a URL with %s never shows its secret part', (_what, url, shown) => {
    const { stack } = alertingStack();
    const error = (() => {
      try {
        new SlackChannel(stack, 'Bad', { name: 'x', url: SecretValue.unsafePlainText(url) });
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    })();
    expect(error).toBe(`Stack/Bad: url ${JSON.stringify(shown)} is not an http(s) URL; expected an https:// URL, or a SecretValue from Secrets Manager or SSM`);
    expect(error).not.toContain('TOKEN');
  });

  // What reads as a scheme may be the first part of a token (a user and password, `id:secret`).
  test.each([
    ['no host', 'slack:TOKEN-T0/B0'],
    ['what reads as a scheme', 'hooks.slack.com:443/services/TOKEN-T0'],
    ['a token with a colon', 'TOKEN-id:TOKEN-secret'],
  ])('an error about a URL with %s shows none of it', (_what, url) => {
    const { stack } = alertingStack();
    expect(() => new SlackChannel(stack, 'Bad', { name: 'x', url: SecretValue.unsafePlainText(url) })).toThrow(
      /^Stack\/Bad: url "\*\*\*\*" is not an http\(s\) URL \(not shown, as it may hold a secret\); expected an https:\/\/ URL, or a SecretValue from Secrets Manager or SSM$/);
  });

  // The URL parser drops whitespace at either end (and tabs and newlines anywhere); Mackerel keeps the URL as written.
  test.each([
    ['a trailing newline', 'https://hooks.slack.com/services/T0/B0/TOKEN-abc\n', '"https://hooks.slack.com/****\\n"', 'has whitespace at its start or end'],
    ['a leading space', ' https://hooks.slack.com/services/T0/B0/TOKEN-abc', '" https://hooks.slack.com/****"', 'has whitespace at its start or end'],
    ['a tab inside', 'https://hooks.slack.com/services/T0/\tB0/TOKEN-abc', '"https://hooks.slack.com/****"', 'holds whitespace (not shown where, as it may be in a secret part)'],
    ['only whitespace', ' \n', '" \\n"', 'is only whitespace'],
  ])('rejects a URL with %s, showing none of its secret part', (_what, url, shown, problem) => {
    const { stack } = alertingStack();
    let error = 'no error';
    try {
      new SlackChannel(stack, 'Bad', { name: 'x', url: SecretValue.unsafePlainText(url) });
    } catch (e) {
      error = (e as Error).message;
    }
    expect(error).toBe(`Stack/Bad: url ${shown} ${problem}`
      + (problem.startsWith('has') ? ', which Mackerel would keep in the URL it posts to' : '')
      + '; expected an https:// URL without whitespace, or a SecretValue from Secrets Manager or SSM');
    expect(error).not.toContain('TOKEN');
  });

  test('a webhook URL with whitespace is refused as a Slack one is; one of a parameter is left alone', () => {
    const { stack } = alertingStack();
    expect(() => new WebhookChannel(stack, 'Bad', { name: 'x', url: SecretValue.unsafePlainText('https://example.com/hook ') }))
      .toThrow('Stack/Bad: url "https://example.com/**** " has whitespace at its start or end');
    const host = new CfnParameter(stack, 'Host').valueAsString;
    expect(() => new WebhookChannel(stack, 'Good', { name: 'x', url: SecretValue.unsafePlainText(`https://${host}/hook`) })).not.toThrow();
  });

  test('a URL holding a token is refused for whitespace in its literal parts, which the token cannot take away', () => {
    const { stack } = alertingStack();
    const path = new CfnParameter(stack, 'Path').valueAsString;
    const expected = '; expected an https:// URL without whitespace, or a SecretValue from Secrets Manager or SSM';
    expect(() => new WebhookChannel(stack, 'Trailing', { name: 'x', url: SecretValue.unsafePlainText(`https://example.com/${path}\n`) }))
      .toThrow(`Stack/Trailing: url "****\\n" has whitespace at its start or end, which Mackerel would keep in the URL it posts to${expected}`);
    expect(() => new SlackChannel(stack, 'Leading', { name: 'x', url: SecretValue.unsafePlainText(` https://hooks.slack.com/${path}`) }))
      .toThrow(`Stack/Leading: url " ****" has whitespace at its start or end, which Mackerel would keep in the URL it posts to${expected}`);
    expect(() => new WebhookChannel(stack, 'Inside', { name: 'x', url: SecretValue.unsafePlainText(`https://example.com/${path}/a b`) }))
      .toThrow(`Stack/Inside: url "****" holds whitespace (not shown where, as it may be in a secret part)${expected}`);
    expect(() => new WebhookChannel(stack, 'Good', { name: 'x', url: SecretValue.unsafePlainText(`https://example.com/${path}/hook`) })).not.toThrow();
  });

  test('an error about what is no URL shows none of it: it may be the token alone', () => {
    const { stack } = alertingStack();
    expect(() => new WebhookChannel(stack, 'Bad', { name: 'x', url: SecretValue.unsafePlainText('xoxb-TOKEN-0123456789') }))
      .toThrow(/^Stack\/Bad: url "\*\*\*\*" is not a URL/);
  });
});

test('no warning for a URL kept in a secret', () => {
  const { stack } = alertingStack();
  new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
  Annotations.fromStack(stack).hasNoWarning('/Stack/Slack', Match.anyValue());
});
