import { beforeEach, describe, expect, test } from 'vitest';
import { expectError, ok, useEmulator } from './_emulator';

const env = useEmulator();
type Body = { [field: string]: unknown };

const VALID: { [type: string]: Body } = {
  host: { type: 'host', name: 'cpu', metric: 'cpu%', operator: '>', warning: 80, critical: 90, duration: 3, scopes: ['shop:web'] },
  connectivity: { type: 'connectivity', name: 'alive', scopes: ['shop'] },
  service: { type: 'service', name: 'orders', service: 'shop', metric: 'orders.count', operator: '<', warning: 10, duration: 2 },
  external: { type: 'external', name: 'top', url: 'https://shop.example.com/' },
  expression: { type: 'expression', name: 'load', expression: 'avg(roleSlots("shop:web","loadavg5"))', operator: '>', warning: 5 },
  anomalyDetection: { type: 'anomalyDetection', name: 'anomaly', scopes: ['shop:web'], warningSensitivity: 'normal' },
  query: { type: 'query', name: 'cpu', query: 'container.cpu.utilization{service="shop"}', operator: '>', warning: 70 },
};

function variant(type: string, change: Body): Body {
  const out: Body = { ...VALID[type], ...change };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

beforeEach(async () => {
  ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
  ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }));
  ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'batch' }));
});

describe('create', () => {
  test.each(Object.keys(VALID))('a valid %s monitor is created with an 11-character ID', async (type) => {
    const created = ok(await env.call('POST', '/api/v0/monitors', VALID[type]));
    expect(created.id).toMatch(/^[1-9A-HJ-NP-Za-km-z]{11}$/);
    expect(ok(await env.call('GET', `/api/v0/monitors/${created.id}`))).toEqual({ monitor: created });
  });

  test('the API defaults are filled in', async () => {
    const host = ok(await env.call('POST', '/api/v0/monitors', VALID.host));
    expect(host).toMatchObject({ isMute: false, maxCheckAttempts: 1 });
    expect(ok(await env.call('POST', '/api/v0/monitors', { type: 'connectivity', scopes: ['shop'] }))).toMatchObject({ name: 'connectivity', alertStatusOnGone: 'CRITICAL' });
    expect(ok(await env.call('POST', '/api/v0/monitors', VALID.external))).toMatchObject({ method: 'GET', maxCheckAttempts: 1, headers: [{ name: 'Cache-Control', value: 'no-cache' }] });
    expect(ok(await env.call('POST', '/api/v0/monitors', VALID.expression))).toMatchObject({ evaluateBackwardMinutes: 2 });
    expect(ok(await env.call('POST', '/api/v0/monitors', VALID.anomalyDetection))).toMatchObject({ maxCheckAttempts: 3 });
    expect(ok(await env.call('POST', '/api/v0/monitors', VALID.query))).toMatchObject({ evaluateBackwardMinutes: 0 });
  });

  test('an external monitor created without headers gets the default header; [] creates it with none', async () => {
    expect(ok(await env.call('POST', '/api/v0/monitors', VALID.external)).headers).toEqual([{ name: 'Cache-Control', value: 'no-cache' }]);
    expect(ok(await env.call('POST', '/api/v0/monitors', variant('external', { headers: null }))).headers).toEqual([{ name: 'Cache-Control', value: 'no-cache' }]);
    expect(ok(await env.call('POST', '/api/v0/monitors', variant('external', { headers: [] }))).headers).toEqual([]);
  });

  test('role scopes read back as "Service: role"; service scopes stay plain', async () => {
    const created = ok(await env.call('POST', '/api/v0/monitors', variant('host', { scopes: ['shop:web', 'shop'], excludeScopes: ['shop:batch'] })));
    expect(created).toMatchObject({ scopes: ['shop: web', 'shop'], excludeScopes: ['shop: batch'] });
    expect(ok(await env.call('GET', '/api/v0/monitors')).monitors[0]).toMatchObject({ scopes: ['shop: web', 'shop'] });
  });

  test('the read-back form "Service: role" is accepted as input', async () => {
    ok(await env.call('POST', '/api/v0/monitors', variant('host', { scopes: ['shop: web'] })));
    expect(env.emulator.state().monitors[0].scopes).toEqual(['shop:web']);
  });

  test('explicit nulls count as omitted (the official client sends them)', async () => {
    ok(await env.call('POST', '/api/v0/monitors', variant('host', { critical: null })));
  });

  test('boundary values are accepted', async () => {
    ok(await env.call('POST', '/api/v0/monitors', variant('host', { duration: 10, maxCheckAttempts: 10, warning: 0, critical: 100, notificationInterval: 10, memo: 'm'.repeat(2048) })));
    ok(await env.call('POST', '/api/v0/monitors', variant('service', { duration: 1, maxCheckAttempts: 10, missingDurationWarning: 10, missingDurationCritical: 10080 })));
    ok(await env.call('POST', '/api/v0/monitors', variant('host', { duration: 1, maxCheckAttempts: 1, metric: 'swap%', warning: 100, critical: 0 })));
    ok(await env.call('POST', '/api/v0/monitors', variant('query', { evaluateBackwardMinutes: 10 })));
    ok(await env.call('POST', '/api/v0/monitors', variant('external', { service: 'shop', responseTimeCritical: 3000, responseTimeDuration: 10, dualstack: 'auto', headers: [{ name: 'X', value: 'y' }] })));
    ok(await env.call('POST', '/api/v0/monitors', variant('external', { service: 'shop', responseTimeWarning: 1, responseTimeDuration: 1, maxCheckAttempts: 10 })));
  });

  test('a memo of 2048 emoji is accepted: the limit counts characters, not UTF-16 units', async () => {
    const created = ok(await env.call('POST', '/api/v0/monitors', variant('host', { memo: '🐟'.repeat(2048) })));
    expect(created.memo).toBe('🐟'.repeat(2048));
  });

  test('monitors are listed by type, then name; host monitors before connectivity ones, as in the docs\' list example', async () => {
    for (const body of [variant('host', { name: 'b' }), VALID.expression, variant('host', { name: 'a' }), VALID.connectivity]) {
      ok(await env.call('POST', '/api/v0/monitors', body));
    }
    const names = ok(await env.call('GET', '/api/v0/monitors')).monitors.map((m: Body) => `${m.type}/${m.name}`);
    expect(names).toEqual(['host/a', 'host/b', 'connectivity/alive', 'expression/load']);
  });
});

const REJECTED: Array<[string, string, Body, RegExp]> = [
  // common fields
  ['an unknown type', 'host', { type: 'process' }, /type must be one of/],
  ['a missing type', 'host', { type: undefined }, /^type is required$/],
  ['a missing name', 'host', { name: undefined }, /^name is required$/],
  ['an empty name', 'query', { name: '' }, /name must not be empty/],
  ['an empty connectivity monitor name (optional, but not empty)', 'connectivity', { name: '' }, /name must not be empty/],
  ['a memo over 2048 characters', 'host', { memo: 'm'.repeat(2049) }, /memo must be at most 2048/],
  ['a memo of 2049 emoji', 'host', { memo: '🐟'.repeat(2049) }, /memo must be at most 2048 characters/],
  ['a notificationInterval under 10', 'host', { notificationInterval: 5 }, /notificationInterval must be at least 10/],
  ['a notificationInterval of 0', 'connectivity', { notificationInterval: 0 }, /notificationInterval must be at least 10/],
  ['a fractional notificationInterval', 'host', { notificationInterval: 10.5 }, /notificationInterval must be an integer/],
  ['a non-boolean isMute', 'host', { isMute: 'yes' }, /isMute must be a boolean/],
  ['a field the type does not document', 'host', { alertStatusOnGone: 'WARNING' }, /alertStatusOnGone is not a field of host monitors/],
  ['maxCheckAttempts on an expression monitor', 'expression', { maxCheckAttempts: 2 }, /maxCheckAttempts is not a field of expression monitors/],
  ['maxCheckAttempts on a query monitor', 'query', { maxCheckAttempts: 2 }, /maxCheckAttempts is not a field of query monitors/],
  ['maxCheckAttempts on a connectivity monitor', 'connectivity', { maxCheckAttempts: 2 }, /maxCheckAttempts is not a field of connectivity monitors/],
  ['an id on create', 'host', { id: 'abc' }, /id must not be given/],
  // host
  ['a host monitor without metric', 'host', { metric: undefined }, /^metric is required$/],
  ['a host monitor without operator', 'host', { operator: undefined }, /^operator is required$/],
  ['an operator other than > and <', 'host', { operator: '>=' }, /operator must be one of >, </],
  ['a host monitor without duration', 'host', { duration: undefined }, /^duration is required$/],
  ['a host duration of 0', 'host', { duration: 0 }, /duration must be at least 1/],
  ['a host duration of 11', 'host', { duration: 11 }, /duration must be at most 10/],
  ['a fractional duration', 'host', { duration: 1.5 }, /duration must be an integer/],
  ['maxCheckAttempts 0', 'host', { maxCheckAttempts: 0 }, /maxCheckAttempts must be at least 1/],
  ['maxCheckAttempts 11', 'host', { maxCheckAttempts: 11 }, /maxCheckAttempts must be at most 10/],
  ['a comparative threshold over 100', 'host', { critical: 101 }, /critical must be at most 100/],
  ['a comparative threshold under 0', 'host', { warning: -1 }, /warning must be at least 0/],
  ['a memory% threshold over 100', 'host', { metric: 'memory%', critical: 101 }, /critical must be at most 100/],
  ['a disk% threshold over 100', 'host', { metric: 'disk%', critical: 101 }, /critical must be at most 100/],
  ['a swap% threshold under 0', 'host', { metric: 'swap%', warning: -1 }, /warning must be at least 0/],
  ['a container-cpu% threshold over 100', 'host', { metric: 'container-cpu%', critical: 101 }, /critical must be at most 100/],
  ['a container-memory% threshold under 0', 'host', { metric: 'container-memory%', warning: -1 }, /warning must be at least 0/],
  ['a threshold that is not a number', 'host', { warning: '80' }, /warning must be a number/],
  ['a scope that does not exist', 'host', { scopes: ['shop:db'] }, /scopes: service or role "shop:db" is not found/],
  ['an exclude scope that does not exist', 'host', { excludeScopes: ['store'] }, /excludeScopes: service or role "store" is not found/],
  ['scopes that are not strings', 'host', { scopes: [1] }, /scopes must be an array of strings/],
  // connectivity
  ['an alertStatusOnGone other than CRITICAL and WARNING', 'connectivity', { alertStatusOnGone: 'UNKNOWN' }, /alertStatusOnGone must be one of CRITICAL, WARNING/],
  ['a connectivity scope that does not exist', 'connectivity', { scopes: ['nope'] }, /scopes: service or role "nope" is not found/],
  // service
  ['a service monitor without service', 'service', { service: undefined }, /^service is required$/],
  ['a service monitor on a missing service', 'service', { service: 'store' }, /service "store" is not found/],
  ['a service duration of 11', 'service', { duration: 11 }, /duration must be at most 10/],
  ['a service duration of 0', 'service', { duration: 0 }, /duration must be at least 1/],
  ['a service maxCheckAttempts of 0', 'service', { maxCheckAttempts: 0 }, /maxCheckAttempts must be at least 1/],
  ['a service maxCheckAttempts of 11', 'service', { maxCheckAttempts: 11 }, /maxCheckAttempts must be at most 10/],
  ['a missingDurationWarning that is not a multiple of 10', 'service', { missingDurationWarning: 15 }, /missingDurationWarning must be a multiple of 10/],
  ['a missingDurationCritical under 10', 'service', { missingDurationCritical: 0 }, /missingDurationCritical must be at least 10/],
  ['a missingDurationCritical over a week', 'service', { missingDurationCritical: 10090 }, /missingDurationCritical must be at most 10080/],
  ['scopes on a service monitor', 'service', { scopes: ['shop'] }, /scopes is not a field of service monitors/],
  // external
  ['an external monitor without url', 'external', { url: undefined }, /^url is required$/],
  ['an ftp url', 'external', { url: 'ftp://shop.example.com/' }, /must use http or https/],
  ['a url that is not a URL', 'external', { url: 'shop.example.com' }, /is not a valid URL/],
  ['a method other than GET/POST/PUT/DELETE', 'external', { method: 'HEAD' }, /method must be one of GET, POST, PUT, DELETE/],
  ['response time thresholds without service', 'external', { responseTimeWarning: 1000, responseTimeDuration: 3 }, /need service/],
  ['a response time threshold without responseTimeDuration', 'external', { service: 'shop', responseTimeWarning: 1000 }, /responseTimeDuration is required/],
  ['responseTimeDuration without a threshold', 'external', { service: 'shop', responseTimeDuration: 3 }, /responseTimeDuration needs responseTimeWarning or responseTimeCritical/],
  ['a responseTimeDuration of 11', 'external', { service: 'shop', responseTimeWarning: 1, responseTimeDuration: 11 }, /responseTimeDuration must be at most 10/],
  ['a responseTimeDuration of 0', 'external', { service: 'shop', responseTimeWarning: 1, responseTimeDuration: 0 }, /responseTimeDuration must be at least 1/],
  ['an external maxCheckAttempts of 0', 'external', { maxCheckAttempts: 0 }, /maxCheckAttempts must be at least 1/],
  ['an external maxCheckAttempts of 11', 'external', { maxCheckAttempts: 11 }, /maxCheckAttempts must be at most 10/],
  ['an external monitor on a missing service', 'external', { service: 'store' }, /service "store" is not found/],
  ['a dualstack other than ipv4/ipv6/auto', 'external', { dualstack: 'both' }, /dualstack must be one of ipv4, ipv6, auto/],
  ['headers that are not name/value objects', 'external', { headers: [{ name: 'X' }] }, /headers: value must be a string/],
  ['a header name given twice', 'external', { headers: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }, /headers: "A" is given more than once/],
  ['a non-boolean followRedirect', 'external', { followRedirect: 'true' }, /followRedirect must be a boolean/],
  // expression
  ['an expression monitor without expression', 'expression', { expression: undefined }, /^expression is required$/],
  ['an expression that does not parse', 'expression', { expression: 'avg(roleSlots("shop:web","loadavg5")' }, /expression .* is invalid/],
  ['an expression evaluateBackwardMinutes of 1', 'expression', { evaluateBackwardMinutes: 1 }, /evaluateBackwardMinutes must be at least 2/],
  ['an expression evaluateBackwardMinutes of 11', 'expression', { evaluateBackwardMinutes: 11 }, /evaluateBackwardMinutes must be at most 10/],
  ['an expression monitor without operator', 'expression', { operator: undefined }, /^operator is required$/],
  ['scopes on an expression monitor', 'expression', { scopes: ['shop'] }, /scopes is not a field of expression monitors/],
  // anomaly detection
  ['an anomaly detection monitor without scopes', 'anomalyDetection', { scopes: undefined }, /scopes is required/],
  ['an anomaly detection monitor with empty scopes', 'anomalyDetection', { scopes: [] }, /scopes is required/],
  ['an anomaly detection scope that is a service', 'anomalyDetection', { scopes: ['shop'] }, /"shop" is not a role/],
  ['excludeScopes on an anomaly detection monitor (only the en error table names it)', 'anomalyDetection', { excludeScopes: ['shop:batch'] },
    /excludeScopes is not a field of anomalyDetection monitors/],
  ['an anomaly detection monitor without a sensitivity', 'anomalyDetection', { warningSensitivity: undefined }, /warningSensitivity or criticalSensitivity is required/],
  ['an unknown sensitivity', 'anomalyDetection', { criticalSensitivity: 'high' }, /criticalSensitivity must be one of insensitive, normal, sensitive/],
  ['a trainingPeriodFrom in the future', 'anomalyDetection', { trainingPeriodFrom: Math.floor(Date.now() / 1000) + 3600 }, /trainingPeriodFrom must not be in the future/],
  ['an anomaly detection maxCheckAttempts of 11', 'anomalyDetection', { maxCheckAttempts: 11 }, /maxCheckAttempts must be at most 10/],
  // query
  ['a query monitor without query', 'query', { query: undefined }, /^query is required$/],
  ['a query that does not parse', 'query', { query: 'container.cpu{service="shop}' }, /query .* is invalid/],
  ['a query with a single-quoted string left open', 'query', { query: "sum(container.cpu{service='shop})" }, /query .* is invalid/],
  ['a query closing a bracket it never opened', 'query', { query: 'sum(container.cpu))(' }, /query .* is invalid/],
  ['a query evaluateBackwardMinutes of 11', 'query', { evaluateBackwardMinutes: 11 }, /evaluateBackwardMinutes must be at most 10/],
  ['a query evaluateBackwardMinutes under 0', 'query', { evaluateBackwardMinutes: -1 }, /evaluateBackwardMinutes must be at least 0/],
  ['a non-string legend', 'query', { legend: 1 }, /legend must be a string/],
];

describe('quoted strings are not syntax', () => {
  test.each([
    ['expression', { expression: "alias(avg(roleSlots('shop:web','loadavg5')), 'load (5 min')" }],
    ['expression', { expression: 'alias(avg(roleSlots("shop:web","loadavg5")), "say \\"hi\\" :)")' }],
    ['query', { query: 'sum(http.requests{route=~"/say/\\"hi\\"("})' }],
  ] as Array<[string, Body]>)('%s monitor: brackets and escaped quotes inside strings are accepted', async (type, change) => {
    const created = ok(await env.call('POST', '/api/v0/monitors', variant(type, change)));
    expect(created).toMatchObject(change);
  });
});

describe.each(REJECTED)('POST rejects %s', (_what, type, change, message) => {
  test('with 400, storing nothing', async () => {
    expectError(await env.call('POST', '/api/v0/monitors', variant(type, change)), 400, message);
    expect(env.emulator.state().monitors).toEqual([]);
  });
});

describe('one anomaly detection monitor per role (Mackerel\'s guide to anomaly detection for roles)', () => {
  test('a second monitor of a role is refused, with a 400, also in the read-back form of the role', async () => {
    const first = ok(await env.call('POST', '/api/v0/monitors', VALID.anomalyDetection));
    for (const scopes of [['shop:web'], ['shop:batch', 'shop: web']]) {
      expectError(await env.call('POST', '/api/v0/monitors', variant('anomalyDetection', { scopes })), 400,
        new RegExp(`^scopes: role "shop:web" is already watched by anomaly detection monitor ${first.id}; Mackerel allows one anomaly detection monitor per role$`));
    }
    expect(env.emulator.state().monitors).toHaveLength(1);
    // Another role, and other types of monitor on the same role, are taken.
    ok(await env.call('POST', '/api/v0/monitors', variant('anomalyDetection', { scopes: ['shop:batch'] })));
    ok(await env.call('POST', '/api/v0/monitors', VALID.host));
  });

  test('an update may keep its own roles, but not add one another monitor watches', async () => {
    const web = ok(await env.call('POST', '/api/v0/monitors', VALID.anomalyDetection));
    const batch = ok(await env.call('POST', '/api/v0/monitors', variant('anomalyDetection', { scopes: ['shop:batch'] })));
    ok(await env.call('PUT', `/api/v0/monitors/${web.id}`, variant('anomalyDetection', { warningSensitivity: 'sensitive' })));
    expectError(await env.call('PUT', `/api/v0/monitors/${batch.id}`, variant('anomalyDetection', { scopes: ['shop:batch', 'shop:web'] })), 400,
      /role "shop:web" is already watched by anomaly detection monitor/);
    // Once the first is gone, the second may take its role.
    ok(await env.call('DELETE', `/api/v0/monitors/${web.id}`));
    ok(await env.call('PUT', `/api/v0/monitors/${batch.id}`, variant('anomalyDetection', { scopes: ['shop:batch', 'shop:web'] })));
  });
});

describe('get and delete', () => {
  test('GET of an unknown ID is a 404 "monitor is not found."', async () => {
    expectError(await env.call('GET', '/api/v0/monitors/2cSZzK3XfmG'), 404, /^monitor is not found\.$/);
  });

  test('DELETE returns the monitor as it was; then it is gone', async () => {
    const created = ok(await env.call('POST', '/api/v0/monitors', VALID.host));
    expect(ok(await env.call('DELETE', `/api/v0/monitors/${created.id}`))).toEqual(created);
    expectError(await env.call('DELETE', `/api/v0/monitors/${created.id}`), 404, /monitor is not found/);
  });

  // As on a role or service delete: a downtime or alert group setting left with its monitor scopes
  // emptied would mute or group every monitor (of its other scopes), far more than it did.
  test('deletes the downtimes and alert group settings whose monitor scopes were only this monitor; others lose only its ID', async () => {
    const gone = ok(await env.call('POST', '/api/v0/monitors', VALID.host));
    const kept = ok(await env.call('POST', '/api/v0/monitors', VALID.connectivity));
    const downtime = async (name: string, scopes: Body) => ok(await env.call('POST', '/api/v0/downtimes', { name, start: 1700000000, duration: 60, ...scopes }));
    const setting = async (name: string, scopes: Body) => ok(await env.call('POST', '/api/v0/alert-group-settings', { name, ...scopes }));
    await downtime('only-gone', { monitorScopes: [gone.id] });
    await downtime('gone-and-role', { roleScopes: ['shop:web'], monitorScopes: [gone.id] });
    const narrowed = await downtime('narrowed', { monitorScopes: [gone.id, kept.id] });
    const excluding = await downtime('excluding', { serviceScopes: ['shop'], monitorExcludeScopes: [gone.id] });
    await setting('only-gone', { monitorScopes: [gone.id] });
    await setting('gone-and-service', { serviceScopes: ['shop'], monitorScopes: [gone.id] });
    const both = await setting('both', { monitorScopes: [gone.id, kept.id] });

    ok(await env.call('DELETE', `/api/v0/monitors/${gone.id}`));

    const downtimes = ok(await env.call('GET', '/api/v0/downtimes')).downtimes;
    expect(downtimes.map((d: Body) => d.id)).toEqual([narrowed.id, excluding.id]);
    expect(downtimes[0].monitorScopes).toEqual([kept.id]);
    // An exclude is no scope kind: the monitor it spared is gone, so the downtime spares no less
    // of what is left, and it stays, with its exclude list emptied rather than naming a lost ID.
    expect(downtimes[1]).toMatchObject({ serviceScopes: ['shop'], monitorExcludeScopes: [] });
    const settings = ok(await env.call('GET', '/api/v0/alert-group-settings')).alertGroupSettings;
    expect(settings.map((s: Body) => s.id)).toEqual([both.id]);
    expect(settings[0].monitorScopes).toEqual([kept.id]);
  });
});

describe('PUT replaces the whole monitor', () => {
  async function create(body: Body): Promise<Body> {
    return ok(await env.call('POST', '/api/v0/monitors', body));
  }

  test('fields sent are stored; omitted scopes and excludeScopes are deleted; omitted isMute unmutes', async () => {
    const { id } = await create(variant('host', { excludeScopes: ['shop:batch'], isMute: true, memo: 'old' }));
    const updated = ok(await env.call('PUT', `/api/v0/monitors/${id}`, variant('host', { scopes: undefined, warning: 85 })));
    expect(updated).toMatchObject({ id, warning: 85, isMute: false });
    expect(updated).not.toHaveProperty('scopes');
    expect(updated).not.toHaveProperty('excludeScopes');
    expect(updated).not.toHaveProperty('memo');
    expect(ok(await env.call('GET', `/api/v0/monitors/${id}`)).monitor).toEqual(updated);
  });

  test('other omitted fields are dropped or back at their create-time defaults', async () => {
    const cases: Array<[string, Body, Body]> = [
      ['host', { maxCheckAttempts: 5, notificationInterval: 30 }, { maxCheckAttempts: 1 }],
      ['service', { maxCheckAttempts: 5, missingDurationWarning: 60 }, { maxCheckAttempts: 1 }],
      ['external', { method: 'POST', service: 'shop', responseTimeWarning: 500, responseTimeDuration: 3, requestBody: 'x', followRedirect: true }, { method: 'GET' }],
      ['expression', { evaluateBackwardMinutes: 5 }, { evaluateBackwardMinutes: 2 }],
      ['anomalyDetection', { maxCheckAttempts: 5, trainingPeriodFrom: 1700000000 }, { maxCheckAttempts: 3 }],
      ['query', { evaluateBackwardMinutes: 5, legend: 'l' }, { evaluateBackwardMinutes: 0 }],
    ];
    for (const [type, extra, defaults] of cases) {
      const { id } = await create(variant(type, extra));
      const updated = ok(await env.call('PUT', `/api/v0/monitors/${id}`, VALID[type]));
      expect(updated, type).toMatchObject(defaults);
      for (const field of Object.keys(extra).filter((f) => !(f in defaults))) expect(updated, `${type} ${field}`).not.toHaveProperty(field);
    }
  });

  test('a missing required field is a 400 and changes nothing', async () => {
    const created = await create(VALID.host);
    expectError(await env.call('PUT', `/api/v0/monitors/${created.id}`, variant('host', { duration: undefined })), 400, /^duration is required$/);
    expect(ok(await env.call('GET', `/api/v0/monitors/${created.id}`)).monitor).toEqual(created);
  });

  test('alertStatusOnGone is kept when omitted', async () => {
    const { id } = await create(variant('connectivity', { alertStatusOnGone: 'WARNING' }));
    expect(ok(await env.call('PUT', `/api/v0/monitors/${id}`, VALID.connectivity))).toMatchObject({ alertStatusOnGone: 'WARNING' });
  });

  test('alertStatusOnGone: null is "not given" too, and keeps the value', async () => {
    const { id } = await create(variant('connectivity', { alertStatusOnGone: 'WARNING' }));
    expect(ok(await env.call('PUT', `/api/v0/monitors/${id}`, variant('connectivity', { alertStatusOnGone: null })))).toMatchObject({ alertStatusOnGone: 'WARNING' });
  });

  test('headers are kept when omitted and cleared by []', async () => {
    const headers = [{ name: 'X-Test', value: '1' }];
    const { id } = await create(variant('external', { headers }));
    expect(ok(await env.call('PUT', `/api/v0/monitors/${id}`, VALID.external))).toMatchObject({ headers });
    expect(ok(await env.call('PUT', `/api/v0/monitors/${id}`, variant('external', { headers: null })))).toMatchObject({ headers });
    expect(ok(await env.call('PUT', `/api/v0/monitors/${id}`, variant('external', { headers: [] })))).toMatchObject({ headers: [] });
  });

  test('a type change is a 400', async () => {
    const { id } = await create(VALID.connectivity);
    expectError(await env.call('PUT', `/api/v0/monitors/${id}`, VALID.host), 400, /^cannot change type\.$/);
  });

  test('a missing type is a 400', async () => {
    const { id } = await create(VALID.connectivity);
    expectError(await env.call('PUT', `/api/v0/monitors/${id}`, variant('connectivity', { type: undefined })), 400, /^type is required$/);
  });

  test.each(['host', 'service'])('a metric change of a %s monitor is a 400 "cannot change target."', async (type) => {
    const { id } = await create(VALID[type]);
    expectError(await env.call('PUT', `/api/v0/monitors/${id}`, variant(type, { metric: 'other' })), 400, /^cannot change target\.$/);
  });

  test('a service change of a service monitor is a 400 "cannot change target."', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'store' }));
    const { id } = await create(VALID.service);
    expectError(await env.call('PUT', `/api/v0/monitors/${id}`, variant('service', { service: 'store' })), 400, /^cannot change target\.$/);
  });

  test('a query change is applied in place', async () => {
    const { id } = await create(VALID.query);
    expect(ok(await env.call('PUT', `/api/v0/monitors/${id}`, variant('query', { query: 'other{}' })))).toMatchObject({ id, query: 'other{}' });
  });

  test('an id in the body must match the path', async () => {
    const { id } = await create(VALID.host);
    expectError(await env.call('PUT', `/api/v0/monitors/${id}`, variant('host', { id: 'xxxxxxxxxxx' })), 400, /does not match/);
    ok(await env.call('PUT', `/api/v0/monitors/${id}`, variant('host', { id })));
  });

  test('PUT of an unknown ID is a 404', async () => {
    expectError(await env.call('PUT', '/api/v0/monitors/2cSZzK3XfmG', VALID.host), 404, /monitor is not found/);
  });

  test('the body is validated as on create', async () => {
    const { id } = await create(VALID.host);
    expectError(await env.call('PUT', `/api/v0/monitors/${id}`, variant('host', { scopes: ['shop:db'] })), 400, /"shop:db" is not found/);
  });
});
