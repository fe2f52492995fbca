import { afterEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { awsError, fakeAws } from './_fake-aws';
import { readApiKey } from '../../../src/provider/handler/api-key';
import { useAwsClients } from '../../../src/provider/handler/aws';
import { useLocalApi } from '../../../src/provider/handler/local-api';
import { scrub } from '../../../src/provider/handler/log';
import { resetSettings, settings } from '../../../src/provider/handler/settings';

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

    expect((await rejectionOf(readApiKey(later(), env))).message).toMatch(/^reading SSM parameter \/mackerel\/api-key failed: ParameterNotFound \(/);
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

  describe('a read AWS refuses names AWS\'s error code and what to check', () => {
    const PARAMETER = '/mackerel/api-key';
    const DENIED = '(the role reading it (the provider\'s Lambda role; under cdk-mackerel apply, your own credentials) may not read it, '
      + 'or not decrypt it with its KMS key: check the role\'s policy, the resource\'s policy and the key\'s policy)';
    const refused = (error: Error) => ({ send: async () => { throw error; } });

    test.each([
      ['the secret does not exist', 'secret', awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."),
        `reading secret ${ARN} failed: ResourceNotFoundException: Secrets Manager can't find the specified secret. `
        + '(no such secret or parameter in the account and region it is read in: check its name or ARN)'],
      ['the parameter does not exist (SSM says nothing more: the SDK\'s message is UnknownError)', 'parameter', awsError('ParameterNotFound', 'UnknownError'),
        `reading SSM parameter ${PARAMETER} failed: ParameterNotFound `
        + '(no such secret or parameter in the account and region it is read in: check its name or ARN)'],
      ['the role may not read it', 'secret', awsError('AccessDeniedException', 'User: arn:aws:sts::123456789012:assumed-role/Shop-MackerelRole/fn '
        + 'is not authorized to perform: secretsmanager:GetSecretValue on resource: mackerel because no identity-based policy allows the secretsmanager:GetSecretValue action'),
      `reading secret ${ARN} failed: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/Shop-MackerelRole/fn is not authorized to perform: `
        + 'secretsmanager:GetSecretValue on resource: mackerel because no identity-based policy allows the secretsmanager:GetSecretValue action '
        + DENIED],
      ['the role may not decrypt it', 'parameter', awsError('KMSAccessDeniedException', ''),
        `reading SSM parameter ${PARAMETER} failed: KMSAccessDeniedException `
        + DENIED],
      ['an error code without advice', 'secret', awsError('InvalidRequestException', 'You can\'t perform this operation on the secret because it was marked for deletion.'),
        `reading secret ${ARN} failed: InvalidRequestException: You can't perform this operation on the secret because it was marked for deletion.`],
    ])('%s', async (_what, where, error, expected) => {
      // GIVEN a store that holds the value, which AWS refuses to give
      useAwsClients({ secretsManager: refused(error), ssm: refused(error) });
      const env = where === 'secret' ? { MACKEREL_APIKEY_SECRET_ARN: ARN } : { MACKEREL_APIKEY_PARAMETER_NAME: PARAMETER };

      // WHEN
      const failure = await rejectionOf(readApiKey(later(), env));

      // THEN
      expect(failure.message).toBe(expected);
    });

    test('a read given up after failures taken for transient names the code without the advice of a refusal, which would mislead', async () => {
      Object.assign(settings, { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 });
      try {
        // a denial answered while the SDK corrected its clock, taken for a signature the skew made stale, each time
        const skewed = Object.assign(awsError('AccessDeniedException', 'Signature expired'), { $metadata: { httpStatusCode: 400, clockSkewCorrected: true } });
        useAwsClients({ secretsManager: refused(skewed) });

        const failure = await rejectionOf(readApiKey(later(), { MACKEREL_APIKEY_SECRET_ARN: ARN }));

        expect(failure.message).toBe(`reading secret ${ARN} failed: Secrets Manager GetSecretValue failed: AccessDeniedException: Signature expired `
          + '(gave up after 2 attempts: attempt limit reached)');
      } finally {
        resetSettings();
      }
    });

    test('a read that keeps being throttled names the code too', async () => {
      Object.assign(settings, { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 });
      try {
        useAwsClients({ ssm: refused(awsError('ThrottlingException', 'Rate exceeded')) });

        const failure = await rejectionOf(readApiKey(later(), { MACKEREL_APIKEY_PARAMETER_NAME: PARAMETER }));

        expect(failure.message).toBe(`reading SSM parameter ${PARAMETER} failed: SSM GetParameter failed: ThrottlingException: Rate exceeded `
          + '(gave up after 2 attempts: attempt limit reached)');
      } finally {
        resetSettings();
      }
    });
  });
});
