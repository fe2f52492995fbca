import { afterEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { fakeAws } from './_fake-aws';
import { readApiKey } from '../../../src/provider/handler/api-key';
import { useAwsClients } from '../../../src/provider/handler/aws';
import { useLocalApi } from '../../../src/provider/handler/local-api';
import { scrub } from '../../../src/provider/handler/log';

const ARN = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf';
/** The invocation's deadline: a minute from now. */
const later = () => Date.now() + 60_000;

afterEach(() => {
  useAwsClients();
  useLocalApi();
});

describe('readApiKey', () => {
  test('MACKEREL_APIKEY wins and needs no AWS call', async () => {
    const aws = fakeAws({});
    useAwsClients(aws);

    await expect(readApiKey(later(), { MACKEREL_APIKEY: 'local-key-123456', MACKEREL_APIKEY_SECRET_ARN: ARN })).resolves.toBe('local-key-123456');
    expect(aws.commands).toEqual([]);
  });

  test('reads the whole SecretString of the secret', async () => {
    const aws = fakeAws({ secrets: { [ARN]: 'secret-key-abcdef\n' } });
    useAwsClients(aws);

    await expect(readApiKey(later(), { MACKEREL_APIKEY_SECRET_ARN: ARN })).resolves.toBe('secret-key-abcdef');

    expect(aws.commands).toEqual([{ name: 'GetSecretValue', input: { SecretId: ARN } }]);
    expect(scrub('key=secret-key-abcdef')).toBe('key=****');
  });

  test('reads the key again on every call, so a key rotated in the secret is used at once', async () => {
    const store = { secrets: { [ARN]: 'old-key-1111111111' } };
    const aws = fakeAws(store);
    useAwsClients(aws);
    const env = { MACKEREL_APIKEY_SECRET_ARN: ARN };

    await expect(readApiKey(later(), env)).resolves.toBe('old-key-1111111111');
    store.secrets[ARN] = 'new-key-2222222222';
    await expect(readApiKey(later(), env)).resolves.toBe('new-key-2222222222');

    expect(aws.commands.map((c) => c.name)).toEqual(['GetSecretValue', 'GetSecretValue']);
    expect(scrub('old-key-1111111111 new-key-2222222222')).toBe('**** ****');
  });

  test('reads a rotated SSM parameter again too', async () => {
    const store = { parameters: { '/mackerel/api-key': 'old-ssm-key-333333' } };
    useAwsClients(fakeAws(store));
    const env = { MACKEREL_APIKEY_PARAMETER_NAME: '/mackerel/api-key' };

    await expect(readApiKey(later(), env)).resolves.toBe('old-ssm-key-333333');
    store.parameters['/mackerel/api-key'] = 'new-ssm-key-444444';
    await expect(readApiKey(later(), env)).resolves.toBe('new-ssm-key-444444');
  });

  test('reads one JSON field of the secret', async () => {
    useAwsClients(fakeAws({ secrets: { [ARN]: '{"apiKey":"json-field-key-42","other":"x"}' } }));

    await expect(readApiKey(later(), { MACKEREL_APIKEY_SECRET_ARN: ARN, MACKEREL_APIKEY_SECRET_FIELD: 'apiKey' })).resolves.toBe('json-field-key-42');
  });

  test('fails without echoing the secret when the field is missing or the secret is not JSON', async () => {
    useAwsClients(fakeAws({ secrets: { [ARN]: 'plain-secret-value-99' } }));

    const error = await rejectionOf(readApiKey(later(), { MACKEREL_APIKEY_SECRET_ARN: ARN, MACKEREL_APIKEY_SECRET_FIELD: 'apiKey' }));

    expect(error.message).toBe(`the secret ${ARN} is not JSON, so it has no field "apiKey"; expected a JSON object holding the key in that field`);
    expect(error.message).not.toContain('plain-secret-value-99');
  });

  test('reads an SSM parameter with decryption', async () => {
    const aws = fakeAws({ parameters: { '/mackerel/api-key': 'ssm-key-7890abc' } });
    useAwsClients(aws);

    await expect(readApiKey(later(), { MACKEREL_APIKEY_PARAMETER_NAME: '/mackerel/api-key' })).resolves.toBe('ssm-key-7890abc');
    expect(aws.commands).toEqual([{ name: 'GetParameter', input: { Name: '/mackerel/api-key', WithDecryption: true } }]);
  });

  test('does not cache a failed read', async () => {
    const store: { parameters: { [name: string]: string } } = { parameters: {} };
    useAwsClients(fakeAws(store));
    const env = { MACKEREL_APIKEY_PARAMETER_NAME: '/mackerel/api-key' };

    expect((await rejectionOf(readApiKey(later(), env))).message).toBe('reading SSM parameter /mackerel/api-key failed: ParameterNotFound');
    store.parameters['/mackerel/api-key'] = 'later-key-555555';
    await expect(readApiKey(later(), env)).resolves.toBe('later-key-555555');
  });

  test('a key handed over in this process (cdk-mackerel apply) wins over the environment, needs no AWS call, and is masked', async () => {
    const aws = fakeAws({});
    useAwsClients(aws);
    useLocalApi({ apiBase: 'http://127.0.0.1:1/', apiKey: 'handed-key-424242' });

    await expect(readApiKey(later(), { MACKEREL_APIKEY: 'env-key-123456', MACKEREL_APIKEY_SECRET_ARN: ARN })).resolves.toBe('handed-key-424242');
    expect(aws.commands).toEqual([]);
    expect(scrub('key=handed-key-424242')).toBe('key=****');
    // Handed over, even empty, it is the key: never one the process's own environment holds.
    useLocalApi({ apiBase: 'http://127.0.0.1:1/', apiKey: '' });
    await expect(readApiKey(later(), { MACKEREL_APIKEY: 'env-key-123456' })).resolves.toBe('');
    // Taken back, the environment says again.
    useLocalApi();
    await expect(readApiKey(later(), { MACKEREL_APIKEY: 'env-key-123456' })).resolves.toBe('env-key-123456');
  });

  test('fails clearly when the environment names no location', async () => {
    expect((await rejectionOf(readApiKey(later(), {}))).message).toMatch(/does not know where the Mackerel API key is; expected MACKEREL_APIKEY_SECRET_ARN or MACKEREL_APIKEY_PARAMETER_NAME/);
  });
});
