import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { fakeAws } from './_fake-aws';
import { api, apiSnapshot, FakeResource, normalizeScopes, StackTable, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { useAwsClients } from '../../../src/provider/handler/aws';
import { StackView, useStackView } from '../../../src/provider/handler/stack';

const env = useEmulator();
type Props = { [field: string]: unknown };

/**
 * Each monitor kind: a body to create, a change the API applies in place, and a change it
 * cannot (a new monitor replaces the old one).
 */
const KINDS: Array<{ kind: string; create: Props; inPlace: Props; replacement: Props; replacedBecause: string }> = [
  {
    kind: 'host',
    create: { type: 'host', name: 'web cpu', metric: 'cpu%', operator: '>', warning: 80, critical: 90, duration: 3, maxCheckAttempts: 2, scopes: ['shop:web'], notificationInterval: 60, isMute: false },
    inPlace: { warning: 85, memo: 'raised', isMute: true },
    replacement: { metric: 'memory%' },
    replacedBecause: 'metric',
  },
  {
    kind: 'connectivity',
    create: { type: 'connectivity', name: 'alive', scopes: ['shop:web'], alertStatusOnGone: 'WARNING' },
    inPlace: { excludeScopes: ['shop:batch'], memo: 'excluding batch' },
    replacement: { type: 'host', metric: 'loadavg5', operator: '>', warning: 4, duration: 1, scopes: ['shop:web'], alertStatusOnGone: undefined },
    replacedBecause: 'type',
  },
  {
    kind: 'service',
    create: { type: 'service', name: 'orders', service: 'shop', metric: 'orders.count', operator: '<', warning: 10, critical: 1, duration: 2, missingDurationWarning: 30 },
    inPlace: { critical: 2, missingDurationCritical: 60 },
    replacement: { metric: 'orders.total' },
    replacedBecause: 'metric',
  },
  {
    kind: 'external',
    create: {
      type: 'external',
      name: 'top page',
      url: 'https://shop.example.com/',
      method: 'GET',
      service: 'shop',
      responseTimeWarning: 1500,
      responseTimeDuration: 3,
      headers: [{ name: 'Cache-Control', value: 'no-cache' }],
      followRedirect: true,
      skipCertificateVerification: false,
      expectedStatusCode: 200,
      certificationExpirationWarning: 30,
      certificationExpirationCritical: 7,
    },
    inPlace: { url: 'https://shop.example.com/health', containsString: 'ok', responseTimeCritical: 3000 },
    replacement: { type: 'expression', expression: 'avg(roleSlots("shop:web","loadavg5"))', operator: '>', warning: 5, url: undefined, method: undefined, service: undefined, responseTimeWarning: undefined, responseTimeDuration: undefined, headers: undefined, followRedirect: undefined, skipCertificateVerification: undefined, expectedStatusCode: undefined, certificationExpirationWarning: undefined, certificationExpirationCritical: undefined },
    replacedBecause: 'type',
  },
  {
    kind: 'expression',
    create: { type: 'expression', name: 'load', expression: 'avg(roleSlots("shop:web","loadavg5"))', operator: '>', warning: 5, critical: 10, evaluateBackwardMinutes: 2 },
    inPlace: { warning: 6, evaluateBackwardMinutes: 5 },
    replacement: { type: 'connectivity', scopes: ['shop:web'], expression: undefined, operator: undefined, warning: undefined, critical: undefined, evaluateBackwardMinutes: undefined },
    replacedBecause: 'type',
  },
  {
    kind: 'anomalyDetection',
    create: { type: 'anomalyDetection', name: 'anomaly', scopes: ['shop:web'], warningSensitivity: 'normal', maxCheckAttempts: 3, trainingPeriodFrom: 1735689600 },
    inPlace: { criticalSensitivity: 'insensitive', maxCheckAttempts: 5 },
    replacement: { type: 'connectivity', warningSensitivity: undefined, maxCheckAttempts: undefined, trainingPeriodFrom: undefined },
    replacedBecause: 'type',
  },
  {
    kind: 'query',
    create: { type: 'query', name: 'cpu {{container}}', query: 'container.cpu.utilization{service="shop"}', legend: '{{container}}', operator: '>', warning: 70, evaluateBackwardMinutes: 0 },
    inPlace: { warning: 75, legend: 'cpu of {{container}}' },
    replacement: { query: 'container.memory.utilization{service="shop"}' },
    replacedBecause: 'query',
  },
];

function merge(base: Props, change: Props): Props {
  const out: Props = { ...base, ...change };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

/** The monitor as the emulator holds it, or the status when it has none. */
async function monitorInMackerel(id: string) {
  const got = await api(env.emulator, 'GET', `/api/v0/monitors/${id}`);
  return got.status === 200 ? normalizeScopes(got.body.monitor) : got.status;
}

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
beforeEach(async () => {
  // Made outside the stack: the service and roles the monitors scope to.
  expect((await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
  for (const role of ['web', 'batch']) expect((await api(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: role })).status).toBe(200);
  baseline = await apiSnapshot(env.emulator);
});

describe.each(KINDS)('Custom::MackerelMonitor of type $kind', ({ create, inPlace, replacement, replacedBecause }) => {
  test('create sends the typed body once and returns the monitor ID', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const from = env.emulator.requests().length;

    const result = await monitor.create(create);

    expect(writes(env.emulator, from)).toHaveLength(1);
    const [post] = writes(env.emulator, from);
    expect(post).toMatchObject({ method: 'POST', path: '/api/v0/monitors' });
    expect(typeof post.body === 'string' ? JSON.parse(post.body) : post.body).toEqual(create);
    expect(result.Data).toEqual({ MonitorId: result.PhysicalResourceId });
    expect(await monitorInMackerel(result.PhysicalResourceId)).toMatchObject({ ...create, id: result.PhysicalResourceId });
  });

  test('an update the API can apply is a PUT of the whole body on the same ID', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const { PhysicalResourceId: id } = await monitor.create(create);
    const from = env.emulator.requests().length;
    const updated = merge(create, inPlace);

    const result = await monitor.update(updated);

    expect(result.replaced).toBe(false);
    expect(result.PhysicalResourceId).toBe(id);
    expect(writes(env.emulator, from).map((w) => `${w.method} ${w.path}`)).toEqual([`PUT /api/v0/monitors/${id}`]);
    expect(await monitorInMackerel(id)).toMatchObject(updated);
  });

  test(`a change of ${replacedBecause} replaces the monitor, and the cleanup deletes the old one`, async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const { PhysicalResourceId: oldId } = await monitor.create(create);
    const from = env.emulator.requests().length;

    const result = await monitor.update(merge(create, replacement));

    expect(result.replaced).toBe(true);
    expect(writes(env.emulator, from).map((w) => `${w.method} ${w.path}`)).toEqual(['POST /api/v0/monitors', `DELETE /api/v0/monitors/${oldId}`]);
    expect(await monitorInMackerel(oldId)).toBe(404);
    expect(await monitorInMackerel(result.PhysicalResourceId)).toMatchObject(merge(create, replacement));
  });

  test('delete removes the monitor and leaves nothing the stack made', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    await monitor.create(create);
    await monitor.update(merge(create, inPlace));

    await monitor.delete();

    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a monitor deleted outside the stack is re-created by the next update, under a new ID', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const { PhysicalResourceId: oldId } = await monitor.create(create);
    expect((await api(env.emulator, 'DELETE', `/api/v0/monitors/${oldId}`)).status).toBe(200);

    const result = await monitor.update(merge(create, inPlace));

    expect(result.PhysicalResourceId).not.toBe(oldId);
    expect(await monitorInMackerel(result.PhysicalResourceId)).toMatchObject(merge(create, inPlace));
    await monitor.delete();
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a no-op update makes no write call', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const { PhysicalResourceId: id } = await monitor.create(create);
    const from = env.emulator.requests().length;

    const result = await monitor.update({ ...create });

    expect(result.PhysicalResourceId).toBe(id);
    expect(writes(env.emulator, from)).toEqual([]);
  });
});

describe('Custom::MackerelMonitor', () => {
  const host = KINDS[0].create;

  test('a no-op update of a monitor deleted outside the stack re-creates it', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const { PhysicalResourceId: oldId } = await monitor.create(host);
    await api(env.emulator, 'DELETE', `/api/v0/monitors/${oldId}`);

    const result = await monitor.update({ ...host });

    expect(result.PhysicalResourceId).not.toBe(oldId);
    expect(await monitorInMackerel(result.PhysicalResourceId)).toMatchObject(host);
  });

  test('a change of the service of a service monitor replaces it', async () => {
    await api(env.emulator, 'POST', '/api/v0/services', { name: 'shop2' });
    const create = KINDS[2].create;
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const { PhysicalResourceId: oldId } = await monitor.create(create);

    const result = await monitor.update({ ...create, service: 'shop2' });

    expect(result.replaced).toBe(true);
    expect(await monitorInMackerel(oldId)).toBe(404);
  });

  describe('external monitor headers', () => {
    const EXTERNAL = { type: 'external', name: 'top page', url: 'https://shop.example.com/' };
    const DEFAULT_HEADERS = [{ name: 'Cache-Control', value: 'no-cache' }];
    const bodyOf = (request: { body?: unknown }) => (typeof request.body === 'string' ? JSON.parse(request.body) : request.body);

    test('without headers, the monitor has Mackerel\'s default header after create and after an unrelated update', async () => {
      // GIVEN a monitor created without headers: Mackerel fills in its default
      const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
      const from = env.emulator.requests().length;
      const { PhysicalResourceId: id } = await monitor.create(EXTERNAL);
      expect(bodyOf(writes(env.emulator, from)[0])).not.toHaveProperty('headers');
      expect((await monitorInMackerel(id)).headers).toEqual(DEFAULT_HEADERS);

      // WHEN an update changes something else
      const afterCreate = env.emulator.requests().length;
      await monitor.update({ ...EXTERNAL, url: 'https://shop.example.com/health' });

      // THEN the PUT sends the default header, and the monitor still has it
      const [put] = writes(env.emulator, afterCreate);
      expect(put.method).toBe('PUT');
      expect(bodyOf(put).headers).toEqual(DEFAULT_HEADERS);
      expect((await monitorInMackerel(id)).headers).toEqual(DEFAULT_HEADERS);
    });

    test('removing headers from the stack puts Mackerel\'s default header back (PUT keeps omitted headers)', async () => {
      const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
      const { PhysicalResourceId: id } = await monitor.create({ ...EXTERNAL, headers: [{ name: 'X-Probe', value: 'mackerel' }] });

      await monitor.update(EXTERNAL);

      expect((await monitorInMackerel(id)).headers).toEqual(DEFAULT_HEADERS);
    });

    test('an empty list means no headers at all, on create and on update', async () => {
      const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
      const { PhysicalResourceId: id } = await monitor.create({ ...EXTERNAL, headers: [] });
      expect((await monitorInMackerel(id)).headers).toEqual([]);

      await monitor.update({ ...EXTERNAL, url: 'https://shop.example.com/health', headers: [] });

      expect((await monitorInMackerel(id)).headers).toEqual([]);
    });

    test('a header value CloudFormation resolved (a NoEcho parameter) is masked where Mackerel quotes it back', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: 'header value "tok-NOECHO-42" is invalid' } }, times: 1 });

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor')
        .create({ ...EXTERNAL, headers: [{ name: 'Authorization', value: 'tok-NOECHO-42' }] }));

      expect(error.message).toMatch(/HTTP 400: "?header value "\*\*\*\*" is invalid/);
      expect(env.logs.lines().length).toBeGreaterThan(0);
      for (const text of [error.message, ...env.logs.lines()]) expect(text).not.toContain('NOECHO');
    });

    test('a header value CloudFormation resolved (a NoEcho parameter) with a line break fails without sending or showing it', async () => {
      // A NoEcho parameter typed from a file keeps its trailing newline, as a secret does; ExternalHttpMonitor refuses a literal one.
      const from = env.emulator.requests().length;

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor')
        .create({ ...EXTERNAL, headers: [{ name: 'Accept', value: 'application/json' }, { name: 'Authorization', value: 'tok-NOECHO-42\n' }] }));

      expect(error.message).toMatch(/header "Authorization": the value holds a line break \(U\+000A at character 14\), which an HTTP header value cannot; .*\(the value is not shown\)/);
      expect(writes(env.emulator, from)).toEqual([]);
      for (const text of [error.message, ...env.logs.lines()]) expect(text).not.toContain('NOECHO');

      const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
      const { PhysicalResourceId: id } = await monitor.create({ ...EXTERNAL, headers: [{ name: 'Authorization', value: 'tok-NOECHO-42' }] });
      const onUpdate = await rejectionOf(monitor.update({ ...EXTERNAL, headers: [{ name: 'Authorization', value: 'tok-NOECHO-43\r\n' }] }));
      expect(onUpdate.message).toMatch(/header "Authorization": the value holds a line break \(U\+000D at character 14\)/);
      expect((await monitorInMackerel(id)).headers).toEqual([{ name: 'Authorization', value: 'tok-NOECHO-42' }]);
    });

    describe('a header value with a line break that the stack had before', () => {
      const stack = new StackTable();
      beforeEach(() => {
        stack.status = 'UPDATE_IN_PROGRESS';
        useStackView(stack.view);
      });
      afterEach(() => useStackView());

      test('is sent back by the rollback of an update that fixed it, with a warning that names the header but not the value', async () => {
        // GIVEN a monitor whose NoEcho header was deployed with its trailing newline, before the handler refused one
        const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
        const { PhysicalResourceId: id } = await monitor.create({ ...EXTERNAL, headers: [{ name: 'Authorization', value: 'tok-NOECHO-42' }] });
        const old = { ...EXTERNAL, headers: [{ name: 'Authorization', value: 'tok-NOECHO-41\n' }] };

        // WHEN an update fixes it and another resource of the update fails
        stack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
        const result = await monitor.update(old);

        // THEN the rollback goes back to what the stack had, and does not fail
        expect(result.PhysicalResourceId).toBe(id);
        expect((await monitorInMackerel(id)).headers).toEqual([{ name: 'Authorization', value: 'tok-NOECHO-41\n' }]);
        expect(env.logs.lines().join('\n')).toMatch(/header \\?"Authorization\\?": the value holds a line break .*sent all the same, as the stack is rolling back/);
        for (const text of env.logs.lines()) expect(text).not.toContain('NOECHO');

        // and outside a rollback, the same update is refused
        stack.status = 'UPDATE_IN_PROGRESS';
        const error = await rejectionOf(monitor.update({ ...EXTERNAL, headers: [{ name: 'Authorization', value: 'tok-NOECHO-40\n' }] }));
        expect(error.message).toMatch(/header "Authorization": the value holds a line break/);
      });

      test('read from a secret that got it since, is sent back by the rollback too', async () => {
        const parameters: { [name: string]: string } = { '/probe/old': 'Bearer XXXXOLDXXXX', '/probe/new': 'Bearer XXXXNEWXXXX' };
        useAwsClients(fakeAws({ parameters }));
        const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
        const old = { ...EXTERNAL, headers: [{ name: 'Authorization', value: '{{cdk-mackerel:ssm-secure:/probe/old}}' }] };
        const { PhysicalResourceId: id } = await monitor.create(old);
        parameters['/probe/old'] = 'Bearer XXXXOLDXXXX\n';
        await monitor.update({ ...EXTERNAL, headers: [{ name: 'Authorization', value: '{{cdk-mackerel:ssm-secure:/probe/new}}' }] });

        stack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
        await monitor.update(old);

        expect((await monitorInMackerel(id)).headers).toEqual([{ name: 'Authorization', value: 'Bearer XXXXOLDXXXX\n' }]);
        expect(env.logs.lines().join('\n')).toMatch(/read from ssm-secure \/probe\/old holds a line break/);
        for (const text of env.logs.lines()) expect(text).not.toContain('XXXXOLDXXXX');
      });

      test('is refused when the stack cannot be read, and the stack is not asked about a value without one', async () => {
        let asked = 0;
        const failing: StackView = { ...stack.view, isRollingBack: async () => { asked++; throw new Error('Throttling: Rate exceeded'); } };
        useStackView(failing);
        const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
        await monitor.create({ ...EXTERNAL, headers: [{ name: 'Authorization', value: 'tok-NOECHO-42' }] });
        expect(asked).toBe(0);

        const error = await rejectionOf(monitor.update({ ...EXTERNAL, headers: [{ name: 'Authorization', value: 'tok-NOECHO-41\n' }] }));

        expect(error.message).toMatch(/header "Authorization": the value holds a line break/);
        expect(asked).toBe(1);
      });
    });

    test('the user name and password of the url are masked where Mackerel quotes the url back, a short password too', async () => {
      const url = 'https://probe:pw42@shop.example.com/health';
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: `url ${url} is not reachable` } }, times: 1 });

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor').create({ ...EXTERNAL, url }));

      expect(error.message).toContain('HTTP 400');
      expect(env.logs.lines().length).toBeGreaterThan(0);
      for (const text of [error.message, ...env.logs.lines()]) expect(text).not.toMatch(/pw42|probe:/);
    });

    describe('a header value kept in Secrets Manager or SSM', () => {
      const TOKEN = 'Bearer probe-XXXXSECRETXXXX';
      const SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:shop/probe-AbCdEf';
      afterEach(() => useAwsClients());

      test('is resolved by the handler, on create and on update, and never logged', async () => {
        const aws = fakeAws({ secrets: { [SECRET_ARN]: JSON.stringify({ header: TOKEN }) }, parameters: { '/shop/probe-id': 'probe-0042' } });
        useAwsClients(aws);
        const headers = [
          { name: 'Accept', value: 'application/json' },
          { name: 'Authorization', value: `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:header::}}` },
          { name: 'X-Probe', value: '{{cdk-mackerel:ssm-secure:/shop/probe-id}}' },
        ];
        const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
        const from = env.emulator.requests().length;

        const { PhysicalResourceId: id } = await monitor.create({ ...EXTERNAL, headers });
        await monitor.update({ ...EXTERNAL, url: 'https://shop.example.com/health', headers });

        const resolved = [{ name: 'Accept', value: 'application/json' }, { name: 'Authorization', value: TOKEN }, { name: 'X-Probe', value: 'probe-0042' }];
        expect(writes(env.emulator, from).map((w) => bodyOf(w).headers)).toEqual([resolved, resolved]);
        expect((await monitorInMackerel(id)).headers).toEqual(resolved);
        expect(aws.commands.map((c) => c.name).sort()).toEqual(['GetParameter', 'GetParameter', 'GetSecretValue', 'GetSecretValue']);
        expect(env.logs.lines().length).toBeGreaterThan(0);
        for (const line of env.logs.lines()) expect(line).not.toMatch(/XXXXSECRETXXXX|probe-0042/);
      });

      test('with a line break (a secret saved with a trailing newline) fails without sending or showing it', async () => {
        useAwsClients(fakeAws({ secrets: { [SECRET_ARN]: JSON.stringify({ header: `${TOKEN}\n` }) } }));
        const headers = [{ name: 'Authorization', value: `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:header::}}` }];
        const from = env.emulator.requests().length;

        const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor').create({ ...EXTERNAL, headers }));

        expect(error.message).toMatch(new RegExp(`header "Authorization": the value read from secretsmanager ${SECRET_ARN} holds a line break `
          + `\\(U\\+000A at character ${TOKEN.length + 1}\\), which an HTTP header value cannot; store the secret without it \\(the value is not shown\\)`));
        expect(writes(env.emulator, from)).toEqual([]);
        for (const text of [error.message, ...env.logs.lines()]) expect(text).not.toContain('XXXXSECRETXXXX');

        useAwsClients(fakeAws({ parameters: { '/shop/probe-id': 'probe-0042\r\n' } }));
        const fromParameter = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor')
          .create({ ...EXTERNAL, headers: [{ name: 'X-Probe', value: '{{cdk-mackerel:ssm-secure:/shop/probe-id}}' }] }));
        expect(fromParameter.message).toMatch(/header "X-Probe": the value read from ssm-secure \/shop\/probe-id holds a line break/);
        expect(fromParameter.message).not.toContain('probe-0042');

        // Any control character but a tab, as ExternalHttpMonitor refuses in a value given as text.
        useAwsClients(fakeAws({ parameters: { '/shop/probe-id': 'probe\u00000042' } }));
        const withNul = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor')
          .create({ ...EXTERNAL, headers: [{ name: 'X-Probe', value: '{{cdk-mackerel:ssm-secure:/shop/probe-id}}' }] }));
        expect(withNul.message).toMatch(/header "X-Probe": the value read from ssm-secure \/shop\/probe-id holds a control character \(U\+0000 at character 6\)/);
        expect(writes(env.emulator, from)).toEqual([]);
      });

      test('with a tab, which HTTP allows in a header value, is sent', async () => {
        useAwsClients(fakeAws({ parameters: { '/shop/probe-id': 'probe\t0042' } }));
        await new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor')
          .create({ ...EXTERNAL, headers: [{ name: 'X-Probe', value: '{{cdk-mackerel:ssm-secure:/shop/probe-id}}' }] });
        const monitors = Object.values(env.emulator.state().monitors) as Array<{ headers?: Array<{ value: string }> }>;
        expect(monitors.map((m) => m.headers?.[0]?.value)).toContain('probe\t0042');
      });

      test('echoed back in Mackerel\'s error, it is masked in the failure and the log', async () => {
        useAwsClients(fakeAws({ secrets: { [SECRET_ARN]: JSON.stringify({ header: TOKEN }) } }));
        env.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 400, body: { error: { message: `bad header ${TOKEN}` } }, times: 1 });
        const headers = [{ name: 'Authorization', value: `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:header::}}` }];

        const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor').create({ ...EXTERNAL, headers }));

        expect(error.message).toMatch(/HTTP 400: "?bad header \*\*\*\*/);
        for (const text of [error.message, ...env.logs.lines()]) expect(text).not.toContain('XXXXSECRETXXXX');
      });
    });
  });

  test('a notificationInterval of 0 (a CfnParameter arrives as "0") is left out on create and update: no re-send', async () => {
    // GIVEN a monitor whose interval a token resolved to 0
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const from = env.emulator.requests().length;

    // WHEN it is created, then updated with another change
    const { PhysicalResourceId: id } = await monitor.create({ ...host, notificationInterval: 0 });
    await monitor.update({ ...host, notificationInterval: 0, warning: 85 });

    // THEN neither body carries the field, and Mackerel holds no interval
    const sent = writes(env.emulator, from);
    expect(sent.map((w) => `${w.method} ${w.path}`)).toEqual(['POST /api/v0/monitors', `PUT /api/v0/monitors/${id}`]);
    for (const write of sent) expect(typeof write.body === 'string' ? JSON.parse(write.body) : write.body).not.toHaveProperty('notificationInterval');
    const stored = await monitorInMackerel(id);
    expect(stored).toMatchObject({ warning: 85 });
    expect(stored).not.toHaveProperty('notificationInterval');
  });

  test('removing alertStatusOnGone from a connectivity monitor sets it back to CRITICAL', async () => {
    const create = KINDS[1].create;
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const { PhysicalResourceId: id } = await monitor.create(create);

    await monitor.update(merge(create, { alertStatusOnGone: undefined }));

    expect((await monitorInMackerel(id)).alertStatusOnGone).toBe('CRITICAL');
  });

  test('delete of a monitor already deleted outside the stack succeeds', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    const { PhysicalResourceId: id } = await monitor.create(host);
    await api(env.emulator, 'DELETE', `/api/v0/monitors/${id}`);

    await expect(monitor.delete()).resolves.toEqual({ PhysicalResourceId: id, Data: {} });
  });

  test('delete of the provider framework\'s failed-create marker calls nothing', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Monitor');
    monitor.physicalId = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
    const from = env.emulator.requests().length;

    await monitor.delete();

    expect(env.emulator.requests().slice(from)).toEqual([]);
  });

  test('Mackerel\'s validation error reaches CloudFormation with the resource, the call and the status', async () => {
    const monitor = new FakeResource(_RESOURCE_TYPES.MONITOR, 'Cpu');

    const error = await rejectionOf(monitor.create({ ...host, scopes: ['nothere'] }));

    expect(error.message).toMatch(/^Custom::MackerelMonitor Cpu: Create failed: POST \/api\/v0\/monitors: HTTP 400: .+/);
    expect(error.message).not.toContain(env.emulator.apiKey);
  });
});
