import * as fs from 'fs';
import * as http from 'http';
import { createRequire } from 'module';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { rejectionOf } from './_capture';
import { useVirtualClock } from './_virtual-clock';
import { AwsClient, getSecretString, useAwsClients, _loadSdk, _sendRead } from '../../../src/provider/handler/aws';
import { resetSettings, settings } from '../../../src/provider/handler/settings';

const load = createRequire(__filename);

describe('_loadSdk', () => {
  test('returns the client module when it is installed', () => {
    const sdk = _loadSdk('@aws-sdk/client-ssm', () => load('@aws-sdk/client-ssm') as typeof import('@aws-sdk/client-ssm'));

    expect(typeof sdk.GetParameterCommand).toBe('function');
  });

  test('names a missing client and how to install it, rather than "Cannot find module"', () => {
    const id = '@aws-sdk/client-not-installed-here';

    expect(() => _loadSdk(id, () => load(id))).toThrow(
      `the AWS SDK for JavaScript v3 client ${id} is not installed here (the Lambda runtime has it; `
      + `running the handler locally, as cdk-mackerel apply does for a real organization, needs it beside cdk-mackerel: npm install --save-dev ${id})`);
  });

  test('leaves alone an installed client that cannot find a module of its own', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mackerel-sdk-'));
    fs.writeFileSync(path.join(dir, 'index.js'), "require('a-dependency-that-is-gone');\n");

    expect(() => _loadSdk('@aws-sdk/client-ssm', () => load(dir))).toThrow(/Cannot find module 'a-dependency-that-is-gone'/);
  });
});

describe('_sendRead', () => {
  afterEach(() => {
    resetSettings();
    vi.restoreAllMocks();
  });

  /** A client whose sends answer as `answers` says, one per attempt, recording the signal each got. */
  function scripted(answers: Array<'hang' | 'abortable' | unknown>) {
    const signals: Array<AbortSignal | undefined> = [];
    const client: AwsClient = {
      send: (_command, options) => {
        signals.push(options?.abortSignal);
        const answer = answers[signals.length - 1];
        // Hangs whatever the signal says, as a step of the SDK that does not heed it may.
        if (answer === 'hang') return new Promise(() => {});
        // Hangs until aborted, then fails as the SDK does.
        if (answer === 'abortable') {
          return new Promise((_resolve, reject) => options?.abortSignal?.addEventListener('abort',
            () => reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))));
        }
        return Promise.resolve(answer);
      },
    };
    return { client, signals };
  }

  test.each(['hang', 'abortable'] as const)('a read that gets no answer (%s) fails by the deadline, naming the operation, having aborted each attempt', async (kind) => {
    // GIVEN a second before the time kept to answer CloudFormation, 100 ms for each attempt, waits of 10 ms between
    // them, and no attempt limit to stop sooner
    Object.assign(settings, { requestTimeoutMs: 100, safetyMarginMs: 1_000, baseDelayMs: 10, maxDelayMs: 20, minAttemptMs: 10, maxAttempts: 1_000 });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const clock = useVirtualClock();
    const { client, signals } = scripted(Array(1_000).fill(kind));
    const deadline = Date.now() + 2_000;

    // WHEN
    const { error, at } = await clock.run(_sendRead(client, {}, 'Secrets Manager GetSecretValue', deadline));

    // THEN it failed by that time, the deadline having stopped it, saying what got no answer; each attempt was given
    // at most its 100 ms, and its signal was aborted
    expect(at).toBeLessThanOrEqual(deadline - settings.safetyMarginMs);
    expect(error?.message).toMatch(/^Secrets Manager GetSecretValue failed: no answer within \d+ ms \(gave up after \d+ attempts: no time left to retry\)$/);
    expect(signals.length).toBeGreaterThan(1);
    expect(clock.timeouts).toHaveLength(signals.length);
    expect(clock.timeouts.every((ms) => ms > 0 && ms <= 100)).toBe(true);
    expect(signals.every((signal) => signal instanceof AbortSignal && signal.aborted)).toBe(true);
  }, 20_000);

  test('a read that got no answer is sent again, and its answer is taken', async () => {
    Object.assign(settings, { requestTimeoutMs: 50, baseDelayMs: 1, maxDelayMs: 2 });
    const { client, signals } = scripted(['hang', { SecretString: 'value' }]);

    await expect(_sendRead(client, {}, 'Secrets Manager GetSecretValue', Date.now() + 60_000)).resolves.toEqual({ SecretString: 'value' });
    expect(signals).toHaveLength(2);
  });

  test('each attempt gets the time the Mackerel client gives a call, never past the time kept to answer CloudFormation', async () => {
    // GIVEN 300 ms before the time kept to answer CloudFormation, where a call may take 30 s
    Object.assign(settings, { requestTimeoutMs: 30_000, safetyMarginMs: 5_000 });
    const clock = useVirtualClock();
    const { client } = scripted(['abortable']);
    const deadline = Date.now() + 5_300;

    const { error, at } = await clock.run(_sendRead(client, {}, 'SSM GetParameter', deadline));

    // THEN the one attempt was given those 300 ms
    expect(clock.timeouts).toEqual([300]);
    expect(at).toBe(deadline - settings.safetyMarginMs);
    expect(error?.message).toBe('SSM GetParameter failed: no answer within 300 ms (gave up after 1 attempt: no time left to retry)');
  }, 20_000);

  test('is not sent once the time kept to answer CloudFormation has begun', async () => {
    Object.assign(settings, { safetyMarginMs: 5_000 });
    const { client, signals } = scripted([{}]);

    const error = await rejectionOf(_sendRead(client, {}, 'CloudFormation DescribeStacks', Date.now() + 4_000));

    expect(error.message).toMatch(/^CloudFormation DescribeStacks was not sent: no time left before the invocation times out/);
    expect(signals).toHaveLength(0);
  });

  test('an error that is not transient is thrown as it is, at once', async () => {
    const refused = Object.assign(new Error('Secrets Manager can\'t find the specified secret.'), { name: 'ResourceNotFoundException' });
    const client: AwsClient = { send: async () => { throw refused; } };

    await expect(_sendRead(client, {}, 'Secrets Manager GetSecretValue', Date.now() + 60_000)).rejects.toBe(refused);
  });
});

describe('an AWS read that meets a network error, a 429 or a clock the SDK corrected is sent again', () => {
  afterEach(() => {
    resetSettings();
    vi.unstubAllEnvs();
    useAwsClients();
  });

  /** An error as the SDK passes on one of Node's, with the metadata its retry step adds. */
  const networkError = (code: string, name: string, message: string) =>
    Object.assign(new Error(message), { name, code, $metadata: { attempts: 1, totalRetryDelay: 0 } });

  test.each([
    ['a connection reset (the SDK names it TimeoutError)', networkError('ECONNRESET', 'TimeoutError', 'socket hang up')],
    ['a connection refused', networkError('ECONNREFUSED', 'Error', 'connect ECONNREFUSED 10.0.0.1:443')],
    ['a name not resolved for now', networkError('EAI_AGAIN', 'Error', 'getaddrinfo EAI_AGAIN secretsmanager.ap-northeast-1.amazonaws.com')],
    ['a socket timeout of the SDK\'s HTTP handler', Object.assign(new Error('@smithy/node-http-handler - the request socket timed out after 30000 ms of inactivity '
      + '(service default socket timeout).'), { name: 'TimeoutError' })],
    ['a 429 of another name', Object.assign(new Error('Rate exceeded'), { name: 'SlowDown', $metadata: { httpStatusCode: 429 } })],
    ['a signature refused for a clock the SDK has corrected since', Object.assign(new Error('Signature expired: 20261124T120000Z is now earlier than 20261124T131500Z'), {
      name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400, clockSkewCorrected: true },
    })],
  ])('%s is sent again, as the SDK\'s own retries did before its clients made one attempt', async (_what, error) => {
    Object.assign(settings, { baseDelayMs: 1, maxDelayMs: 2 });
    let calls = 0;
    const client: AwsClient = {
      send: async () => {
        if (++calls === 1) throw error;
        return { SecretString: 'value' };
      },
    };

    await expect(_sendRead(client, {}, 'Secrets Manager GetSecretValue', Date.now() + 60_000)).resolves.toEqual({ SecretString: 'value' });
    expect(calls).toBe(2);
  });

  test('the handler\'s own Secrets Manager client gets the secret when the first connection is reset', async () => {
    // GIVEN an endpoint that drops the first connection and answers the second, reached by the client the handler makes
    let requests = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      if (++requests === 1) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Name: 'mackerel', SecretString: 'the-value' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      vi.stubEnv('AWS_REGION', 'ap-northeast-1');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAEXAMPLE');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
      vi.stubEnv('AWS_SESSION_TOKEN', '');
      Object.assign(settings, { baseDelayMs: 1, maxDelayMs: 2 });
      useAwsClients();

      // WHEN / THEN
      await expect(getSecretString('mackerel', Date.now() + 60_000)).resolves.toBe('the-value');
      expect(requests).toBe(2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
