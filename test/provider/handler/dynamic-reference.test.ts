import { afterEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { fakeAws } from './_fake-aws';
import { useAwsClients } from '../../../src/provider/handler/aws';
import { hasDynamicReference, parseDynamicReference, resolveDynamicReferences } from '../../../src/provider/handler/dynamic-reference';
import { scrub } from '../../../src/provider/handler/log';

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf';
/** The invocation's deadline: a minute from now. */
const later = () => Date.now() + 60_000;

afterEach(() => useAwsClients());

describe('parseDynamicReference', () => {
  test('reads a secret name with every part', () => {
    expect(parseDynamicReference('secretsmanager', 'slack:SecretString:url:AWSPREVIOUS:'))
      .toEqual({ service: 'secretsmanager', secretId: 'slack', jsonKey: 'url', versionStage: 'AWSPREVIOUS', versionId: undefined });
  });

  test('keeps a secret ARN whole despite its colons', () => {
    expect(parseDynamicReference('secretsmanager', `${ARN}:SecretString:::`))
      .toEqual({ service: 'secretsmanager', secretId: ARN, jsonKey: undefined, versionStage: undefined, versionId: undefined });
    expect(parseDynamicReference('secretsmanager', ARN)).toMatchObject({ secretId: ARN });
  });

  test('reads an SSM parameter with and without a version', () => {
    expect(parseDynamicReference('ssm-secure', '/slack/url:3')).toEqual({ service: 'ssm', name: '/slack/url', version: '3' });
    expect(parseDynamicReference('ssm', 'slack-url')).toEqual({ service: 'ssm', name: 'slack-url', version: undefined });
  });

  test('rejects a value type other than SecretString', () => {
    expect(() => parseDynamicReference('secretsmanager', 'slack:SecretBinary')).toThrow(/is not understood; expected \{\{resolve:secretsmanager:<secret-id>:SecretString:/);
  });

  test('rejects an SSM version that is not a number', () => {
    expect(() => parseDynamicReference('ssm-secure', '/slack/url:latest')).toThrow(/\{\{resolve:ssm-secure:\/slack\/url:latest\}\} is not understood/);
  });
});

describe('resolveDynamicReferences', () => {
  test('resolves a JSON key of a secret at a version stage, and scrubs the value from then on', async () => {
    const aws = fakeAws({ secrets: { [ARN]: '{"url":"https://hooks.slack.com/services/T0/B0/SECRET"}' } });
    useAwsClients(aws);

    const url = await resolveDynamicReferences(`{{resolve:secretsmanager:${ARN}:SecretString:url:AWSCURRENT:}}`, later());

    expect(url).toBe('https://hooks.slack.com/services/T0/B0/SECRET');
    expect(aws.commands).toEqual([{ name: 'GetSecretValue', input: { SecretId: ARN, VersionStage: 'AWSCURRENT' } }]);
    expect(scrub(`posting to ${url}`)).toBe('posting to ****');
  });

  // {{cdk-mackerel:...}} is the library's own spelling of an ssm-secure reference, which CloudFormation leaves alone.
  test.each(['resolve', 'cdk-mackerel'])('resolves SSM references spelled {{%s:ssm-secure:...}} inside a longer string', async (spelling) => {
    const aws = fakeAws({ parameters: { '/hooks/token:2': 'T0/B0/TOKEN123' } });
    useAwsClients(aws);

    await expect(resolveDynamicReferences(`https://hooks.example.com/{{${spelling}:ssm-secure:/hooks/token:2}}?a=1`, later()))
      .resolves.toBe('https://hooks.example.com/T0/B0/TOKEN123?a=1');
    expect(aws.commands).toEqual([{ name: 'GetParameter', input: { Name: '/hooks/token:2', WithDecryption: true } }]);
  });

  test('knows the library\'s own spelling, and quotes it as written in an error', async () => {
    expect(hasDynamicReference('{{cdk-mackerel:ssm-secure:/a}}')).toBe(true);
    // an error quotes the reference as it was written
    await expect(resolveDynamicReferences('{{cdk-mackerel:ssm-secure:/a:latest}}', later())).rejects.toThrow(
      'the dynamic reference {{cdk-mackerel:ssm-secure:/a:latest}} is not understood; expected {{cdk-mackerel:ssm-secure:<parameter-name>[:<version>]}}');
  });

  test('fails naming the secret, never its value, when the JSON key is missing', async () => {
    useAwsClients(fakeAws({ secrets: { slack: '{"other":"https://hooks.slack.com/x/y/z"}' } }));

    const error = await rejectionOf(resolveDynamicReferences('{{resolve:secretsmanager:slack:SecretString:url::}}', later()));

    expect(error.message).toBe('the secret slack has no string key "url"; expected a JSON object holding the value under that key');
  });

  test('fails naming the secret, never its value, when a JSON key is asked of a secret that is not JSON', async () => {
    useAwsClients(fakeAws({ secrets: { slack: 'https://hooks.slack.com/x/y/z' } }));

    const error = await rejectionOf(resolveDynamicReferences('{{resolve:secretsmanager:slack:SecretString:url::}}', later()));

    expect(error.message).toBe('the secret slack is not JSON, so it has no key "url"; expected a JSON object');
  });

  test('tells plain strings from references', () => {
    expect(hasDynamicReference('https://hooks.slack.com/services/x')).toBe(false);
    expect(hasDynamicReference('{{resolve:ssm:/a}}')).toBe(true);
  });
});
