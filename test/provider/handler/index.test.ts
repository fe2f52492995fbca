import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceUpdateEvent } from 'aws-lambda';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { rejectionOf } from './_capture';
import { fakeAws } from './_fake-aws';
import { api, cfnEvent, lambdaContext, STACK_ID, useEmulator, writes } from './_harness';
import { startScriptedServer } from './_scripted-server';
import { useVirtualClock } from './_virtual-clock';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { useAwsClients } from '../../../src/provider/handler/aws';
import { _failure, handler } from '../../../src/provider/handler/index';
import { useLocalApi } from '../../../src/provider/handler/local-api';
import { settings } from '../../../src/provider/handler/settings';

const env = useEmulator();

/** What a failure says after Mackerel's words when Mackerel refused the API key. */
const KEY_REFUSED = 'Mackerel refused the API key: check that the key the provider reads (MackerelProvider\'s apiKey, its secret or parameter) is valid '
  + 'and has Write permission, and that the organization\'s API IP restriction, if it has one, allows the addresses the provider\'s Lambda calls from';

describe('handler', () => {
  test('routes by resource type and returns the onEvent shape', async () => {
    const result = await handler(cfnEvent('Create', _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'ExternalId', {}), lambdaContext());

    expect(Object.keys(result).sort()).toEqual(['Data', 'PhysicalResourceId']);
    expect(result.Data).toEqual({ ExternalId: result.PhysicalResourceId });
  });

  test('fails a type it does not serve, listing the ones it does', async () => {
    const error = await rejectionOf(handler(cfnEvent('Create', 'Custom::MackerelHost', 'Host', {}), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelHost Host: Create failed: the resource type is not one this handler serves; expected one of Custom::MackerelService, Custom::MackerelRole, /);
  });

  test('fails a request type CloudFormation does not send, naming it and the ones it does, before calling Mackerel', async () => {
    const event = { ...cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), RequestType: 'Replace' };
    const from = env.emulator.requests().length;

    const error = await rejectionOf(handler(event as unknown as CloudFormationCustomResourceEvent, lambdaContext()));

    expect(error.message).toBe('Custom::MackerelMonitor Cpu: Replace failed: the request type "Replace" is not one CloudFormation sends; expected Create, Update or Delete');
    expect(env.emulator.requests().slice(from)).toEqual([]);
  });

  test('an update whose old properties hold a field this release dropped or retyped still goes through, as a change', async () => {
    const props = { type: 'host', name: 'cpu', metric: 'cpu%', operator: '>', warning: '80', duration: '3' };
    const created = await handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', props), lambdaContext());
    // as an earlier release wrote them: a field since dropped, and warning typed otherwise
    const oldProps = { ...props, retiredField: 'x', warning: { value: '70' } };

    const updated = await handler(cfnEvent('Update', _RESOURCE_TYPES.MONITOR, 'Cpu', { ...props, warning: '85' },
      { physicalId: created.PhysicalResourceId, oldProps }), lambdaContext());

    expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(env.emulator.state().monitors).toEqual([expect.objectContaining({ id: created.PhysicalResourceId, warning: 85 })]);
  });

  test('new properties still fail on a field the release does not know', async () => {
    const error = await rejectionOf(handler(cfnEvent('Update', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'host', retiredField: 'x' },
      { physicalId: 'abc', oldProps: { type: 'host' } }), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Update failed: property retiredField "x" is not a known field; expected one of /);
  });

  test('fails a property that does not fit its type before calling Mackerel', async () => {
    const from = env.emulator.requests().length;

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'host', warning: 'eighty' }), lambdaContext()));

    expect(error.message).toBe('Custom::MackerelMonitor Cpu: Create failed: property warning "eighty" is not a number; expected a number such as "80" or "1.5"');
    expect(env.emulator.requests().slice(from)).toEqual([]);
  });

  test('a failure carries Mackerel\'s own message, with the API key blanked where Mackerel echoes it, in the reason and the log', async () => {
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 403, body: { error: { message: `the API key ${env.emulator.apiKey} cannot write` } } });

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    expect(error.message).toBe(`Custom::MackerelMonitor Cpu: Create failed: POST /api/v0/monitors: HTTP 403: the API key **** cannot write; ${KEY_REFUSED}`);
    expect(env.logs.lines().join('\n')).toContain('the API key **** cannot write');
  });

  describe('a key Mackerel refuses (401, 403) is said to be the key, with what to check', () => {
    test.each([
      [401, 'POST', '/api/v0/aws-integrations-external-id', _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, {}],
      [403, 'POST', '/api/v0/monitors', _RESOURCE_TYPES.MONITOR, { type: 'connectivity', name: 'alive' }],
    ])('HTTP %i', async (status, method, path, type, props) => {
      env.emulator.injectFault({ method, path, status, body: { error: { message: 'permission denied' } }, times: 5 });

      const error = await rejectionOf(handler(cfnEvent('Create', type, 'Thing', props), lambdaContext()));

      expect(error.message).toBe(`${type} Thing: Create failed: ${method} ${path}: HTTP ${status}: permission denied; ${KEY_REFUSED}`);
    });

    test.each([
      [403, `HTTP 403: permission denied; ${KEY_REFUSED}`],
      [500, 'HTTP 500: permission denied (gave up after 8 attempts: attempt limit reached)'],
    ])('also when a new service could not be marked (a 500) and deleting it again got a %i, the advice only for a refusal', async (status, deleting) => {
      env.emulator.injectFault({ method: 'PUT', path: '/api/v0/services/shop/metadata/*', status: 500, body: { error: { message: 'internal error' } }, times: 20 });
      env.emulator.injectFault({ method: 'DELETE', path: '/api/v0/services/shop', status, body: { error: { message: 'permission denied' } }, times: 20 });

      const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.SERVICE, 'Shop', { name: 'shop' }), lambdaContext()));

      expect(error.message).toBe('Custom::MackerelService Shop: Create failed: service "shop" was created but its mark\'s outcome is unknown (its last answer HTTP 500), '
        + 'so it may or may not be marked, and deleting it again failed too, '
        + 'so it is left in Mackerel: delete it there before deploying again, or the next create may fail on its name. Marking it: PUT /api/v0/services/shop/metadata/cdk-mackerel: '
        + `HTTP 500: internal error (gave up after 8 attempts: attempt limit reached). Deleting it: DELETE /api/v0/services/shop: ${deleting}`);
    }, 20_000);

    test('whole after a long message of Mackerel\'s, which is cut instead to make room for it', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 403, body: { error: { message: `permission denied: ${'x'.repeat(1900)}` } } });

      const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

      expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: POST \/api\/v0\/monitors: HTTP 403: permission denied: x+\.\.\. \(\d+ more characters in the handler's log\); /);
      expect(error.message.endsWith(`; ${KEY_REFUSED}`)).toBe(true);
      expect(Buffer.byteLength(error.message, 'utf8')).toBeLessThan(1600);
      // the log line has it all
      expect(env.logs.lines().join('\n')).toContain(`${'x'.repeat(1900)}; ${KEY_REFUSED}`);
    });

    describe('not when the refusal is no JSON error of Mackerel\'s (any 4xx), but something between the Lambda and Mackerel answered', () => {
      test.each([
        ['a proxy\'s HTML page, named by its title', 403,
          '<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><hr><center>squid</center></body></html>',
          'an HTML page rather than the API\'s JSON, as a proxy or load balancer answers: 403 Forbidden squid', 'a page titled "403 Forbidden"'],
        ['a gateway\'s JSON of another shape', 401, '{"message":"Unauthorized"}', '{"message":"Unauthorized"}', 'not Mackerel\'s JSON error'],
        ['a load balancer\'s plain text for a method it does not take (405)', 405, 'Method Not Allowed', 'Method Not Allowed', 'not Mackerel\'s JSON error'],
        ['a WAF\'s HTML page for headers too large (431)', 431, '<html><head><title>431 Request Header Fields Too Large</title></head><body></body></html>',
          'an HTML page rather than the API\'s JSON, as a proxy or load balancer answers: 431 Request Header Fields Too Large',
          'a page titled "431 Request Header Fields Too Large"'],
        ['an empty answer (413)', 413, '', 'Payload Too Large', 'not Mackerel\'s JSON error'],
      ])('%s', async (_what, status, body, said, answer) => {
        const between = await startScriptedServer([{ status, body, headers: { 'Content-Type': 'text/html' } }]);
        process.env.MACKEREL_APIBASE = between.url;

        const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()))
          .finally(() => between.close());

        expect(error.message).toBe(`Custom::MackerelMonitor Cpu: Create failed: POST /api/v0/monitors: HTTP ${status}: ${said}; the answer is ${answer}, `
          + 'so something between the provider\'s Lambda and Mackerel (a proxy, a load balancer, a firewall) refused the call, not Mackerel: '
          + 'check the provider\'s apiBase and the way the Lambda reaches the Internet (its VPC, NAT gateway or proxy)');
        expect(error.message).not.toContain('Mackerel refused the API key');
      });
    });

    test('a proxy\'s 407 to the tunnel to an https API (which fetch throws as a network error) is said so, as no outcome unknown, and not sent again', async () => {
      process.env.MACKEREL_APIBASE = 'https://api.mackerelio.com/';
      const cause = Object.assign(new Error('Proxy response (407) !== 200 when HTTP Tunneling'), { name: 'AbortError', code: 'UND_ERR_ABORTED' });
      const fetch = vi.fn(async () => { throw new TypeError('fetch failed', { cause }); });
      vi.stubGlobal('fetch', fetch);

      const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()))
        .finally(() => vi.unstubAllGlobals());

      expect(error.message).toBe('Custom::MackerelMonitor Cpu: Create failed: POST /api/v0/monitors: HTTP 407: the proxy\'s answer to CONNECT; nothing reached Mackerel; '
        + 'the answer is a proxy\'s HTTP 407, so something between the provider\'s Lambda and Mackerel (a proxy, a load balancer, a firewall) refused the call, '
        + 'not Mackerel: check the provider\'s apiBase and the way the Lambda reaches the Internet (its VPC, NAT gateway or proxy)');
      expect(error.message).not.toMatch(/outcome unknown|may have been created/);
      expect(fetch).toHaveBeenCalledTimes(1);
    });

    test('not through cdk-mackerel apply, which says what to do in its own words (its MACKEREL_APIKEY)', async () => {
      useLocalApi({ apiBase: env.emulator.url, apiKey: env.emulator.apiKey });
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 403, body: { error: { message: 'permission denied' } } });

      const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()))
        .finally(() => useLocalApi());

      expect(error.message).toBe('Custom::MackerelMonitor Cpu: Create failed: POST /api/v0/monitors: HTTP 403: permission denied');
    });
  });

  describe('an API base whose host name does not resolve', () => {
    afterEach(() => vi.unstubAllGlobals());
    const unresolved = (code: string, hostname = 'api.mackerelio.com') => Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, hostname });

    test('is not sent again (DNS said the name does not exist), and the failure says what to check', async () => {
      process.env.MACKEREL_APIBASE = 'https://api.mackerelio.com/';
      const fetch = vi.fn(async () => { throw new TypeError('fetch failed', { cause: unresolved('ENOTFOUND') }); });
      vi.stubGlobal('fetch', fetch);

      const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext(8_000)));

      expect(error.message).toBe('Custom::MackerelMonitor Cpu: Create failed: POST /api/v0/monitors: no response: fetch failed: getaddrinfo ENOTFOUND api.mackerelio.com; '
        + 'the API base\'s host name does not resolve: check the provider\'s apiBase, and that the Lambda\'s network resolves public names '
        + '(its VPC\'s DNS resolution, a Route 53 Resolver rule or DNS Firewall)');
      expect(fetch).toHaveBeenCalledTimes(1);
    }, 20_000);

    test('a proxy\'s host name that does not resolve (fetch under NODE_USE_ENV_PROXY) is not said to be the API base\'s', async () => {
      process.env.MACKEREL_APIBASE = 'https://api.mackerelio.com/';
      vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('fetch failed', { cause: unresolved('ENOTFOUND', 'proxy.corp.internal') }); }));

      const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext(8_000)));

      expect(error.message).toBe('Custom::MackerelMonitor Cpu: Create failed: POST /api/v0/monitors: no response: fetch failed: getaddrinfo ENOTFOUND proxy.corp.internal');
    }, 20_000);

    test('is sent again when DNS only failed for now (EAI_AGAIN), with no such advice', async () => {
      const fetch = vi.fn(async () => { throw new TypeError('fetch failed', { cause: unresolved('EAI_AGAIN') }); });
      vi.stubGlobal('fetch', fetch);

      const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext(8_000)));

      expect(error.message).toMatch(/getaddrinfo EAI_AGAIN api\.mackerelio\.com \(gave up after 8 attempts: attempt limit reached\)$/);
      expect(fetch).toHaveBeenCalledTimes(8);
    }, 20_000);
  });

  test('a long failure is cut, and carries no stack, so CloudFormation\'s 4096-byte response still holds Mackerel\'s words', async () => {
    const long = `bad query: ${'x'.repeat(3500)}`;
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: long } } });

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: .*HTTP 400: bad query: x+\.\.\. \(\d+ more characters in the handler's log\)$/);
    expect(error.message.length).toBeLessThan(1600);
    expect(error.stack).toBe('');
  });

  test('a long failure in Japanese is cut by bytes, so the framework\'s response stays within 4096 bytes', async () => {
    // GIVEN Mackerel echoes user text in its message: 3 bytes a character in UTF-8
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: `式が正しくありません: ${'監視'.repeat(1500)}` } } });

    // WHEN
    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    // THEN what the provider framework sends (cfn-response.ts, with its "Logs:" line) fits
    const response = JSON.stringify({
      Status: 'FAILED',
      Reason: `${error.message}\n\nLogs: /aws/lambda/Shop-MackerelHandler0123456789-AbCdEfGhIjKl\n\n`,
      StackId: STACK_ID,
      RequestId: '9b8f1c52-7a6e-4d3c-9a1b-0c2d3e4f5a6b',
      PhysicalResourceId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED',
      LogicalResourceId: 'Cpu',
      NoEcho: false,
      Data: {},
    });
    expect(Buffer.byteLength(response, 'utf8')).toBeLessThanOrEqual(4096);
    expect(error.message).toMatch(/HTTP 400: 式が正しくありません: (監視)+監?\.\.\. \(\d+ more characters in the handler's log\)$/);
  });

  describe('_failure', () => {
    test('keeps a message within 1500 bytes whole', () => {
      const message = `bad: ${'監'.repeat(495)}`;

      expect(_failure(message).message).toBe(message);
    });

    test('cuts on a character boundary, never inside a character outside the Basic Multilingual Plane', () => {
      // GIVEN 4-byte characters (two UTF-16 units each) after an odd number of units
      const message = `a${'😀'.repeat(1000)}`;

      // WHEN
      const shown = _failure(message).message;

      // THEN 363 whole characters (1 + 363 * 4 = 1453 bytes) and the note of the rest (46 bytes; room was left for 47, "1001 more")
      expect(shown).toBe(`a${'😀'.repeat(363)}... (637 more characters in the handler's log)`);
    });

    test.each([
      ['ASCII', 'x'.repeat(5000), ''],
      ['4-byte characters', `a${'😀'.repeat(1000)}`, ''],
      ['control characters', '\u0001'.repeat(1000), ''],
      ['what to check after the cut', 'x'.repeat(5000), '; check the API key in Secrets Manager (MackerelApiKey) and its permissions'],
    ])('keeps the whole reason within 1500 bytes, the note of what was cut and what to check included (%s)', (_what, message, whatToCheck) => {
      // WHEN
      const shown = _failure(message, undefined, whatToCheck).message;

      // THEN: the note once stood outside the count, 1500 bytes of text and some 50 more
      expect(shown).toMatch(/\.\.\. \(\d+ more characters in the handler's log\)/);
      expect(shown.endsWith(whatToCheck)).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(shown), 'utf8') - 2).toBeLessThanOrEqual(1500);
      expect(Buffer.byteLength(JSON.stringify(shown), 'utf8') - 2).toBeGreaterThan(1490);
    });

    test('counts bytes as the JSON response writes them, escapes included', () => {
      // GIVEN control characters: 1 character each, 6 bytes each in JSON ("\u0001")
      const shown = _failure('\u0001'.repeat(1000)).message;

      // 242 of them (1452 bytes) and the note (46 bytes)
      expect(shown).toBe(`${'\u0001'.repeat(242)}... (758 more characters in the handler's log)`);
    });
  });

  test('a remaining time with a fraction of a millisecond (cdk-mackerel apply --timeout 10.0005) still sends the requests', async () => {
    // AbortSignal.timeout takes whole milliseconds only: unrounded, the time left (under the 30-second
    // request timeout) made every request fail before it was sent, reported as one whose outcome is unknown
    const result = await handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Alive', { type: 'connectivity', name: 'alive' }), lambdaContext(10_000.5));

    expect(env.emulator.state().monitors).toEqual([expect.objectContaining({ id: result.PhysicalResourceId, name: 'alive' })]);
  });

  test('deletes by physical ID even when the properties no longer convert', async () => {
    const event = cfnEvent('Delete', _RESOURCE_TYPES.MONITOR, 'Cpu', { unknownField: 'x' }, { physicalId: 'abcDEF123' });

    await expect(handler(event, lambdaContext())).resolves.toEqual({ PhysicalResourceId: 'abcDEF123', Data: {} });
  });

  test('logs one JSON line per step, naming the request', async () => {
    await handler(cfnEvent('Create', _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'ExternalId', {}), lambdaContext());

    const lines = env.logs.lines().map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ level: 'info', message: 'request', requestType: 'Create', resourceType: _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, logicalResourceId: 'ExternalId' });
    expect(lines.at(-1)).toMatchObject({ message: 'done' });
  });

  test('a warm handler uses a key rotated in Secrets Manager on its next invocation, and logs neither key', async () => {
    const ARN = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf';
    const revoked = 'revoked-key-0123456789';
    const store = { secrets: { [ARN]: revoked } };
    useAwsClients(fakeAws(store));
    delete process.env.MACKEREL_APIKEY;
    process.env.MACKEREL_APIKEY_SECRET_ARN = ARN;
    try {
      // GIVEN a container that has read the old key, which Mackerel has since revoked
      const refused = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'First', {}), lambdaContext()));
      expect(refused.message).toMatch(/HTTP 401/);

      // WHEN the new key is put in the secret
      store.secrets[ARN] = env.emulator.apiKey;
      const result = await handler(cfnEvent('Create', _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'Second', {}), lambdaContext());

      // THEN the same container uses it at once
      expect(result.PhysicalResourceId).toEqual(expect.any(String));
      for (const line of env.logs.lines()) expect(line).not.toContain(revoked);
    } finally {
      delete process.env.MACKEREL_APIKEY_SECRET_ARN;
      useAwsClients();
    }
  });

  test('a key rotated between the invocation\'s read and its first call is read again on the 401, and the call goes through', async () => {
    const ARN = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf';
    const revoked = 'revoked-key-9876543210';
    const store = { secrets: { [ARN]: revoked } };
    const aws = fakeAws(store);
    // The secret changes right after the invocation read it (the rotation's last step revokes the old key).
    const send = aws.secretsManager.send;
    aws.secretsManager.send = async (command) => {
      const answer = await send(command);
      store.secrets[ARN] = env.emulator.apiKey;
      return answer;
    };
    useAwsClients(aws);
    delete process.env.MACKEREL_APIKEY;
    process.env.MACKEREL_APIKEY_SECRET_ARN = ARN;
    try {
      const result = await handler(cfnEvent('Create', _RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID, 'Rotated', {}), lambdaContext());

      expect(result.PhysicalResourceId).toEqual(expect.any(String));
      expect(aws.commands.map((c) => c.name)).toEqual(['GetSecretValue', 'GetSecretValue']);
      for (const line of env.logs.lines()) {
        expect(line).not.toContain(revoked);
        expect(line).not.toContain(env.emulator.apiKey);
      }
    } finally {
      delete process.env.MACKEREL_APIKEY_SECRET_ARN;
      useAwsClients();
    }
  });

  describe('an update that changes only the ServiceToken (the provider\'s function replaced) writes nothing to Mackerel', () => {
    /** Each type's properties, given the IDs of a few objects made beforehand. */
    const PROPS: { [type: string]: (made: { externalId: string }) => { [field: string]: unknown } } = {
      [_RESOURCE_TYPES.SERVICE]: () => ({ name: 'cart', memo: 'cart' }),
      [_RESOURCE_TYPES.ROLE]: () => ({ service: 'shop', name: 'batch' }),
      [_RESOURCE_TYPES.MONITOR]: () => ({ type: 'connectivity', name: 'alive', scopes: ['shop:web'] }),
      [_RESOURCE_TYPES.CHANNEL]: () => ({ type: 'email', name: 'oncall', emails: ['oncall@example.com'], events: ['alert'] }),
      [_RESOURCE_TYPES.NOTIFICATION_GROUP]: () => ({ name: 'ops', notificationLevel: 'all', services: [{ name: 'shop' }] }),
      [_RESOURCE_TYPES.ALERT_GROUP_SETTING]: () => ({ name: 'web', serviceScopes: ['shop'] }),
      [_RESOURCE_TYPES.DOWNTIME]: () => ({ name: 'weekly maintenance', start: 1796518800, duration: 120, roleScopes: ['shop:web'] }),
      [_RESOURCE_TYPES.AWS_INTEGRATION_EXTERNAL_ID]: () => ({}),
      [_RESOURCE_TYPES.AWS_INTEGRATION]: ({ externalId }) => ({
        name: 'prod', roleArn: 'arn:aws:iam::123456789012:role/mackerel', externalId, region: 'ap-northeast-1', services: {},
      }),
      [_RESOURCE_TYPES.GRAPH_ANNOTATION]: () => ({ title: 'deploy Shop', service: 'shop', roles: ['web'], revision: 'abc' }),
      [_RESOURCE_TYPES.DASHBOARD]: () => ({ title: 'shop', urlPath: 'shop/web', widgets: [] }),
      [_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME]: () => ({ name: 'deploy Shop', duration: 20, roleScopes: ['shop:web'], revision: 'abc' }),
      [_RESOURCE_TYPES.SERVICE_METADATA]: () => ({ service: 'shop', namespace: 'owner', metadata: '{"team":"payments"}' }),
      [_RESOURCE_TYPES.ROLE_METADATA]: () => ({ role: 'shop:web', namespace: 'owner', metadata: '{"team":"payments"}' }),
    };

    test('every type is served here', () => {
      expect(Object.keys(PROPS).sort()).toEqual(Object.values(_RESOURCE_TYPES).sort());
    });

    test.each(Object.keys(PROPS))('%s', async (type) => {
      // GIVEN the resource, created through the old token
      expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
      expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);
      const externalId = (await api(env.emulator, 'POST', '/api/v0/aws-integrations-external-id')).body.externalId;
      const props = PROPS[type]({ externalId });
      const created = await handler(cfnEvent('Create', type, 'Thing', props), lambdaContext());
      const before = env.emulator.state();
      const from = env.emulator.requests().length;

      // WHEN CloudFormation sends an Update whose only change is the ServiceToken
      const event = cfnEvent('Update', type, 'Thing', props, { physicalId: created.PhysicalResourceId, oldProps: props }) as CloudFormationCustomResourceUpdateEvent;
      const moved = { ...event, ResourceProperties: { ...event.ResourceProperties, ServiceToken: 'arn:aws:lambda:ap-northeast-1:123456789012:function:new-framework-onEvent' } };
      const updated = await handler(moved, lambdaContext());

      // THEN the resource keeps its object: the same physical ID and data, nothing created, Mackerel as it was
      expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
      expect(updated.Data).toEqual(created.Data);
      expect(writes(env.emulator, from)).toEqual([]);
      expect(env.emulator.state()).toEqual(before);
    });
  });

  describe('a request delivered again to the container that answered it (the framework\'s Invoke sent again, Lambda\'s retry of the framework)', () => {
    const CREATES: Array<[string, { [field: string]: unknown }, string]> = [
      [_RESOURCE_TYPES.MONITOR, { type: 'connectivity', name: 'alive', scopes: ['shop:web'] }, 'monitors'],
      [_RESOURCE_TYPES.CHANNEL, { type: 'email', name: 'oncall', emails: ['oncall@example.com'], events: ['alert'] }, 'channels'],
      [_RESOURCE_TYPES.NOTIFICATION_GROUP, { name: 'ops', notificationLevel: 'all', services: [{ name: 'shop' }] }, 'notificationGroups'],
      [_RESOURCE_TYPES.ALERT_GROUP_SETTING, { name: 'web', serviceScopes: ['shop'] }, 'alertGroupSettings'],
      [_RESOURCE_TYPES.DOWNTIME, { name: 'weekly maintenance', start: 1796518800, duration: 120, roleScopes: ['shop:web'] }, 'downtimes'],
      [_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME, { name: 'deploy Shop', duration: 20, roleScopes: ['shop:web'], revision: 'abc' }, 'downtimes'],
      [_RESOURCE_TYPES.GRAPH_ANNOTATION, { title: 'deploy Shop', service: 'shop', roles: ['web'], revision: 'abc' }, 'graphAnnotations'],
      [_RESOURCE_TYPES.DASHBOARD, { title: 'shop', urlPath: 'shop/web', widgets: [] }, 'dashboards'],
    ];

    test.each(CREATES)('a create of %s makes one object, and both deliveries get its ID', async (type, props, collection) => {
      // GIVEN a create the handler carried out, whose answer the framework did not get
      expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
      expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);
      const ids = () => (env.emulator.state() as unknown as { [key: string]: Array<{ id: string }> })[collection].map((o) => o.id);
      const before = ids();
      const event = cfnEvent('Create', type, 'Thing', props);
      const first = await handler(event, lambdaContext());
      const from = env.emulator.requests().length;

      // WHEN the same request comes again
      const again = await handler(structuredClone(event), lambdaContext());

      // THEN the same answer, with nothing sent to Mackerel: one object
      expect(again).toEqual(first);
      expect(env.emulator.requests().slice(from)).toEqual([]);
      expect(ids()).toEqual([...before, first.PhysicalResourceId]);
      expect(env.logs.lines().some((line) => line.includes('this request was answered already by this container'))).toBe(true);
    });

    test('a caller that hands the handler its API (cdk-mackerel apply, which sends each request once) gets no answer from memory', async () => {
      // Its RequestIds are its own (tests of the CLI give each resource a fixed one); a repeat there is a new request.
      useLocalApi({ apiBase: env.emulator.url, apiKey: env.emulator.apiKey });
      try {
        const event = cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' });
        const first = await handler(event, lambdaContext());
        const again = await handler(structuredClone(event), lambdaContext());
        expect(again.PhysicalResourceId).not.toBe(first.PhysicalResourceId);
      } finally {
        useLocalApi();
      }
    });

    test('a caller that hands the handler its API gets no answer the Lambda\'s way of running kept in this process', async () => {
      // GIVEN an answer kept by a run without a handed-over API (another API base and key than the caller's)
      const event = cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' });
      const kept = await handler(event, lambdaContext());

      // WHEN a caller hands over its API and sends a request that says the same
      useLocalApi({ apiBase: env.emulator.url, apiKey: env.emulator.apiKey });
      let again;
      try {
        again = await handler(structuredClone(event), lambdaContext());
      } finally {
        useLocalApi();
      }

      // THEN it is carried out against that API, not answered with the object made through the other
      expect(again.PhysicalResourceId).not.toBe(kept.PhysicalResourceId);
      expect(env.emulator.state().monitors.map((m) => m.id)).toEqual([kept.PhysicalResourceId, again.PhysicalResourceId]);
    });

    test('another request of the same resource is carried out: a create after the first failed, or an update', async () => {
      const props = { type: 'connectivity', name: 'alive' };
      const event = cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', props);
      // A failed request is not kept: its repeat is carried out
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: 'refused once' } } });
      await expect(handler(event, lambdaContext())).rejects.toThrow(/refused once/);
      const created = await handler(structuredClone(event), lambdaContext());
      expect(env.emulator.state().monitors.map((m) => m.id)).toEqual([created.PhysicalResourceId]);

      // A request of another RequestId is another request, though it says the same
      const second = await handler({ ...event, RequestId: 'another-request' }, lambdaContext());
      expect(second.PhysicalResourceId).not.toBe(created.PhysicalResourceId);

      // A repeat that differs in what it asks is not taken for one
      const update = cfnEvent('Update', _RESOURCE_TYPES.MONITOR, 'Cpu', { ...props, name: 'up' }, { physicalId: created.PhysicalResourceId, oldProps: props });
      await handler(update, lambdaContext());
      await handler({ ...update, ResourceProperties: { ...update.ResourceProperties, name: 'still up' } }, lambdaContext());
      expect(env.emulator.state().monitors.find((m) => m.id === created.PhysicalResourceId)).toMatchObject({ name: 'still up' });
    });
  });

  describe('an AWS read that gets no answer fails the resource before the Lambda times out, naming what was read', () => {
    const ARN = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf';
    /** Clients whose every read hangs, whatever the signal says. */
    const hanging = { send: () => new Promise<never>(() => {}) };
    afterEach(() => {
      delete process.env.MACKEREL_APIKEY_SECRET_ARN;
      delete process.env.MACKEREL_APIKEY_PARAMETER_NAME;
      useAwsClients();
    });

    test.each([
      ['the API key\'s secret', { MACKEREL_APIKEY_SECRET_ARN: ARN }, `reading secret ${ARN} failed: Secrets Manager GetSecretValue failed`],
      ['the API key\'s parameter', { MACKEREL_APIKEY_PARAMETER_NAME: '/mackerel/api-key' }, 'reading SSM parameter /mackerel/api-key failed: SSM GetParameter failed'],
    ])('%s', async (_what, location, reason) => {
      // GIVEN 2 s left, of which the handler keeps 1 s to answer (the harness's margin), 200 ms per attempt, and no
      // jitter: the waits between attempts are the first backoff step
      Object.assign(settings, { requestTimeoutMs: 200 });
      vi.spyOn(Math, 'random').mockReturnValue(0);
      useAwsClients({ secretsManager: hanging, ssm: hanging });
      delete process.env.MACKEREL_APIKEY;
      Object.assign(process.env, location);
      const clock = useVirtualClock();
      const deadline = Date.now() + 2_000;

      // WHEN
      const { error, at } = await clock.run(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext(2_000)));

      // THEN CloudFormation gets the reason by the time kept to answer it, each attempt given at most its 200 ms, and
      // nothing was sent to Mackerel
      expect(at).toBeLessThanOrEqual(deadline - settings.safetyMarginMs);
      expect(clock.timeouts).not.toHaveLength(0);
      expect(clock.timeouts.every((ms) => ms > 0 && ms <= 200)).toBe(true);
      expect(error?.message.startsWith(`Custom::MackerelMonitor Cpu: Create failed: ${reason}: no answer within `)).toBe(true);
      expect(error?.message).toMatch(/\(gave up after \d+ attempts?: (no time left to retry|attempt limit reached)\)$/);
      expect(env.emulator.requests()).toEqual([]);
    }, 20_000);

    test('a channel URL kept in SSM', async () => {
      Object.assign(settings, { requestTimeoutMs: 200 });
      vi.spyOn(Math, 'random').mockReturnValue(0);
      useAwsClients({ secretsManager: hanging, ssm: hanging });
      const clock = useVirtualClock();
      const deadline = Date.now() + 2_000;

      const { error, at } = await clock.run(handler(cfnEvent('Create', _RESOURCE_TYPES.CHANNEL, 'Slack',
        { type: 'slack', name: 'ops', url: '{{cdk-mackerel:ssm-secure:/hooks/slack}}' }), lambdaContext(2_000)));

      expect(at).toBeLessThanOrEqual(deadline - settings.safetyMarginMs);
      expect(clock.timeouts).not.toHaveLength(0);
      expect(clock.timeouts.every((ms) => ms > 0 && ms <= 200)).toBe(true);
      expect(error?.message.startsWith('Custom::MackerelChannel Slack: Create failed: reading SSM parameter /hooks/slack failed: SSM GetParameter failed: no answer within ')).toBe(true);
      expect(env.emulator.state().channels).toEqual([]);
    }, 20_000);
  });

  test('a user name and password in the API base (from a parameter synth cannot read) are masked where fetch echoes the URL', async () => {
    process.env.MACKEREL_APIBASE = env.emulator.url.replace('://', '://mackerel:proxy-pass-4711@');

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: POST \/api\/v0\/monitors: no response: .*\*\*\*\*@127\.0\.0\.1/);
    const output = `${error.message}\n${env.logs.lines().join('\n')}`;
    expect(output).not.toContain('proxy-pass-4711');
    expect(output).not.toContain('mackerel:proxy');
  });

  test('a user name and password behind one slash after the scheme, which fetch reads as two, are masked where fetch echoes the URL', async () => {
    process.env.MACKEREL_APIBASE = env.emulator.url.replace('://', ':/mackerel:proxy-pass-4711@');

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: POST \/api\/v0\/monitors: no response: .*\*\*\*\*@127\.0\.0\.1/);
    const output = `${error.message}\n${env.logs.lines().join('\n')}`;
    expect(output).not.toContain('proxy-pass-4711');
    expect(output).not.toContain('mackerel:proxy');
  });

  test('a user name and password too short to blank inside other text are masked where fetch echoes the URL', async () => {
    // GIVEN a userinfo shorter than the shortest secret blanked wherever it stands (log.ts)
    process.env.MACKEREL_APIBASE = env.emulator.url.replace('://', '://:4711@');

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    // THEN the text up to it, scheme and all, is blanked instead
    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: POST \/api\/v0\/monitors: no response: .*\*\*\*\*@127\.0\.0\.1/);
    expect(`${error.message}\n${env.logs.lines().join('\n')}`).not.toContain(':4711@');
  });

  test.each([
    ['beside a user name and password', (url: string) => url.replace('://', '://mackerel:proxy-pass-4711@')],
    ['in a URL fetch cannot parse', (url: string) => url.replace(/:\d+/, ':99999')],
  ])('a query of the API base (from a parameter synth cannot read), where a token may ride, is masked where fetch echoes the URL (%s)', async (_what, base) => {
    process.env.MACKEREL_APIBASE = base(`${env.emulator.url}/?token=query-secret-0815/`);

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: POST \/api\/v0\/monitors: no response: .*\?\*\*\*\*\/api\/v0\/monitors/);
    expect(`${error.message}\n${env.logs.lines().join('\n')}`).not.toContain('query-secret-0815');
  });

  test.each([
    ['beside a user name and password', (url: string) => url.replace('://', '://mackerel:proxy-pass-4711@')],
    ['in a URL fetch cannot parse', (url: string) => url.replace(/:\d+/, ':99999')],
  ])('a query of the API base too short to blank inside other text is masked where fetch echoes the URL, with the text up to it (%s)', async (_what, base) => {
    // GIVEN a query shorter than the shortest secret blanked wherever it stands (log.ts)
    process.env.MACKEREL_APIBASE = base(`${env.emulator.url}/?a=1/`);

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()));

    // (with the request path's start, which the query is blanked with where a page quotes the path and query)
    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: POST \/api\/v0\/monitors: no response: .*\*\*\*\*\/monitors/);
    expect(`${error.message}\n${env.logs.lines().join('\n')}`).not.toContain('a=1');
  });

  test('a query of the API base too short to blank inside other text is masked where a proxy\'s page quotes the path and query it was sent', async () => {
    // GIVEN an API base with a short query, and a proxy (Apache's 404 page of old) quoting the request's path and query, not the host
    const page = '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>'
      + '<p>The requested URL /?a=1/api/v0/monitors was not found on this server.</p></body></html>';
    const between = await startScriptedServer([{ status: 404, body: page, headers: { 'Content-Type': 'text/html' } }]);
    process.env.MACKEREL_APIBASE = `${between.url.replace(/\/$/, '')}/?a=1/`;

    // WHEN
    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()))
      .finally(() => between.close());

    // THEN the page was asked for that path and query, and the failure and the log say it without the query
    expect(between.requests.map((r) => r.url)).toContain('/?a=1/api/v0/monitors');
    expect(error.message).toContain('The requested URL /****/monitors was not found');
    expect(`${error.message}\n${env.logs.lines().join('\n')}`).not.toContain('a=1');
  });

  test('a query of the API base too short to blank inside other text is masked where a page quotes the query it was sent without its ?', async () => {
    // GIVEN an API base with a short query, and a firewall's page quoting the request's query string alone (as nginx's $args, a WAF's "query")
    const page = '<html><head><title>403 Forbidden</title></head><body><h1>Request rejected</h1>'
      + '<p>query string: a=1/api/v0/monitors</p></body></html>';
    const between = await startScriptedServer([{ status: 403, body: page, headers: { 'Content-Type': 'text/html' } }]);
    process.env.MACKEREL_APIBASE = `${between.url.replace(/\/$/, '')}/?a=1/`;

    // WHEN
    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'connectivity', name: 'alive' }), lambdaContext()))
      .finally(() => between.close());

    // THEN the failure and the log say it without the query
    expect(between.requests.map((r) => r.url)).toContain('/?a=1/api/v0/monitors');
    expect(error.message).toContain('query string: ****/monitors');
    expect(`${error.message}\n${env.logs.lines().join('\n')}`).not.toContain('a=1');
  });

  test('fails clearly when the environment has no API key location', async () => {
    delete process.env.MACKEREL_APIKEY;

    const error = await rejectionOf(handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Cpu', { type: 'host' }), lambdaContext()));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: the handler does not know where the Mackerel API key is/);
  });
});
