import { App, CfnParameter, Lazy, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { mackerelStack, propertiesOf } from './_fixture';
import { ExternalHttpMonitor } from '../../src';
import { MackerelApiKey } from '../../src/api-key';
import { MackerelProvider } from '../../src/provider/provider';
import { handlerStatements } from '../alerting/_fixture';

const TOP = { name: 'api', url: 'https://api.example.com/health' };
const GET_SECRET = 'secretsmanager:GetSecretValue';

/** `arn:<partition>:<service>:<region>:<account>:<rest>` as the template writes it. */
function arnIn(service: string, rest: string) {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${rest}`]] };
}

/** The handler's statements that the fixture alone does not have (the API key's read). */
function addedStatements(stack: Stack, provider: MackerelProvider) {
  const fresh = mackerelStack();
  const baseline = new Set(handlerStatements(fresh.stack, fresh.provider).map((s) => JSON.stringify(s)));
  return handlerStatements(stack, provider).filter((s) => !baseline.has(JSON.stringify(s)));
}

describe('ExternalHttpHeader.secretValue', () => {
  test('a header from Secrets Manager: the template holds the reference, the Lambda reads exactly that secret', () => {
    const { stack, provider } = mackerelStack();

    const monitor = new ExternalHttpMonitor(stack, 'Api', {
      ...TOP,
      headers: [
        { name: 'Accept', value: 'application/json' },
        { name: 'Authorization', secretValue: SecretValue.secretsManager('shop/probe', { jsonField: 'header' }) },
      ],
    });

    expect(propertiesOf(monitor).headers).toEqual([
      { name: 'Accept', value: 'application/json' },
      { name: 'Authorization', value: '{{resolve:secretsmanager:shop/probe:SecretString:header::}}' },
    ]);
    expect(addedStatements(stack, provider)).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: arnIn('secretsmanager', 'secret:shop/probe-??????') }]);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('headerValueInTemplate'));
  });

  test('a secret of the app: read granted on its ARN', () => {
    const { stack, provider } = mackerelStack();
    const secret = new secretsmanager.Secret(stack, 'Probe');

    const monitor = new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'Authorization', secretValue: secret.secretValue }] });

    expect(propertiesOf(monitor).headers).toEqual([
      { name: 'Authorization', value: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', stack.resolve(secret.secretArn), ':SecretString:::}}']] } },
    ]);
    expect(addedStatements(stack, provider)).toEqual([{ Action: GET_SECRET, Effect: 'Allow', Resource: stack.resolve(secret.secretArn) }]);
  });

  test('a SecureString parameter: written in the handler\'s spelling, GetParameter on that parameter', () => {
    const { stack, provider } = mackerelStack();

    const monitor = new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'X-Token', secretValue: SecretValue.ssmSecure('/shop/probe-token') }] });

    expect(propertiesOf(monitor).headers).toEqual([{ name: 'X-Token', value: '{{cdk-mackerel:ssm-secure:/shop/probe-token}}' }]);
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('{{resolve:ssm-secure:');
    expect(addedStatements(stack, provider)).toEqual([{ Action: 'ssm:GetParameter', Effect: 'Allow', Resource: arnIn('ssm', 'parameter/shop/probe-token') }]);
  });

  test('encryptionKey grants kms:Decrypt on the key next to the read', () => {
    const { stack, provider } = mackerelStack();
    const key = new kms.Key(stack, 'ProbeKey');

    new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'X-Token', secretValue: SecretValue.ssmSecure('/shop/probe-token'), encryptionKey: key }] });

    expect(addedStatements(stack, provider)).toContainEqual({ Action: 'kms:Decrypt', Effect: 'Allow', Resource: stack.resolve(key.keyArn) });
  });

  test('SecretValue.unsafePlainText is written as it is, with a warning', () => {
    const { stack, provider } = mackerelStack();

    const monitor = new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'X-Probe', secretValue: SecretValue.unsafePlainText('not-so-secret') }] });

    expect(propertiesOf(monitor).headers).toEqual([{ name: 'X-Probe', value: 'not-so-secret' }]);
    expect(addedStatements(stack, provider)).toEqual([]);
    Annotations.fromStack(stack).hasWarning('/Stack/Api',
      Match.stringLikeRegexp('headers\\[0\\]\\.secretValue is given as plain text, so it is written into the template.*\\[ack: cdk-mackerel:headerValueInTemplate\\]'));
  });

  test('a NoEcho parameter (SecretValue.cfnParameter) is written as its Ref, with no warning and no grant', () => {
    const { stack, provider } = mackerelStack();
    const token = new CfnParameter(stack, 'ProbeToken', { noEcho: true });

    const monitor = new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'Authorization', secretValue: SecretValue.cfnParameter(token) }] });

    expect(propertiesOf(monitor).headers).toEqual([{ name: 'Authorization', value: { Ref: stack.resolve(token.logicalId) } }]);
    expect(addedStatements(stack, provider)).toEqual([]);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('headerValueInTemplate'));
  });

  test('a parameter without NoEcho is still warned about: its value shows in the console', () => {
    const { stack } = mackerelStack();
    const token = new CfnParameter(stack, 'ProbeToken');

    new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'Authorization', secretValue: SecretValue.unsafePlainText(token.valueAsString) }] });

    Annotations.fromStack(stack).hasWarning('/Stack/Api', Match.stringLikeRegexp('headerValueInTemplate'));
  });

  test('the provider may describe its own stack when a header value is read at deploy time, to tell a rollback (which may send one with a line break back) from a change', () => {
    // A stack with no service or role, which would grant it anyway.
    const describeStatements = (header: (stack: Stack) => { name: string; value?: string; secretValue?: SecretValue }) => {
      const stack = new Stack(new App(), 'Stack');
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
      new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'Accept', value: 'application/json' }, header(stack)] });
      return handlerStatements(stack, provider).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('cloudformation:')));
    };
    const expected = [{ Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'], Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } }];

    expect(describeStatements(() => ({ name: 'Authorization', secretValue: SecretValue.ssmSecure('/probe/token') }))).toEqual(expected);
    expect(describeStatements(() => ({ name: 'Authorization', secretValue: SecretValue.secretsManager('shop/probe') }))).toEqual(expected);
    expect(describeStatements((stack) => ({ name: 'Authorization', secretValue: SecretValue.cfnParameter(new CfnParameter(stack, 'Token', { noEcho: true })) })))
      .toEqual(expected);
    expect(describeStatements((stack) => ({ name: 'X-Probe', value: new CfnParameter(stack, 'Probe').valueAsString }))).toEqual(expected);
    expect(describeStatements((stack) => {
      const probe = new CfnParameter(stack, 'Probe');
      return { name: 'X-Probe', value: Lazy.string({ produce: () => probe.valueAsString }) };
    })).toEqual(expected);
    // A literal value is checked whole at synth: the handler never asks.
    expect(describeStatements(() => ({ name: 'X-Probe', value: 'synthetic' }))).toEqual([]);
    expect(describeStatements(() => ({ name: 'X-Probe', value: Lazy.string({ produce: () => 'synthetic' }) }))).toEqual([]);
  });

  describe('errors', () => {
    test('neither value nor secretValue', () => {
      const { stack } = mackerelStack();

      expect(() => new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'Accept', value: 'a' }, { name: 'Authorization' }] }))
        .toThrow(/^Stack\/Api: headers\[1\] "Authorization" has neither value nor secretValue; expected exactly one of value \(plain text\) and secretValue/);
    });

    test('both value and secretValue, without showing either', () => {
      const { stack } = mackerelStack();

      const make = () => new ExternalHttpMonitor(stack, 'Api', {
        ...TOP, headers: [{ name: 'Authorization', value: 'Bearer plain', secretValue: SecretValue.unsafePlainText('Bearer hidden') }],
      });

      expect(make).toThrow(/^Stack\/Api: headers\[0\] "Authorization" has both value and secretValue; expected exactly one of value/);
      expect(make).not.toThrow(/Bearer/);
    });

    test('encryptionKey with a plain value', () => {
      const { stack } = mackerelStack();
      const key = new kms.Key(stack, 'ProbeKey');

      expect(() => new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'Accept', value: 'a', encryptionKey: key }] }))
        .toThrow(/^Stack\/Api: headers\[0\].encryptionKey "Stack\/ProbeKey" is given, but the header has a plain value; expected a secretValue from Secrets Manager or SSM/);
    });

    test('encryptionKey with a secretValue in plain text', () => {
      const { stack } = mackerelStack();
      const key = new kms.Key(stack, 'ProbeKey');

      expect(() => new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'X', secretValue: SecretValue.unsafePlainText('abcdef'), encryptionKey: key }] }))
        .toThrow(/^Stack\/Api: headers\[0\].encryptionKey "Stack\/ProbeKey" is given, but headers\[0\].secretValue is plain text; expected a headers\[0\].secretValue from Secrets Manager or SSM, or no key/);
    });

    test('a secret unwrapped into value, which the Lambda would not be granted to read', () => {
      const { stack } = mackerelStack();
      const secret = new secretsmanager.Secret(stack, 'Probe');

      expect(() => new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'Authorization', value: secret.secretValue.unsafeUnwrap() }] }))
        .toThrow(/^Stack\/Api: headers\[0\].value "a dynamic reference" holds a secret or secure parameter, .*; expected the SecretValue itself as secretValue/);
    });

    test('a secret of another stack names the monitor in the remedy', () => {
      const { app, stack } = mackerelStack();
      const other = new Stack(app, 'Secrets');
      const secret = new secretsmanager.Secret(other, 'Probe');

      expect(() => new ExternalHttpMonitor(stack, 'Api', { ...TOP, headers: [{ name: 'Authorization', secretValue: secret.secretValue }] }))
        .toThrow(/^Stack\/Api: headers\[0\].secretValue "Secrets\/Probe" names a secret or parameter of stack Secrets.*or create the monitor in that stack/);
    });
  });
});
