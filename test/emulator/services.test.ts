import { beforeEach, describe, expect, test } from 'vitest';
import { expectError, ok, useEmulator } from './_emulator';

type Json = { [key: string]: any };

const env = useEmulator();

describe('services', () => {
  test('POST creates a service with no roles; GET lists it', async () => {
    expect(ok(await env.call('POST', '/api/v0/services', { name: 'shop', memo: 'the shop' }))).toEqual({ name: 'shop', memo: 'the shop', roles: [] });
    expect(ok(await env.call('GET', '/api/v0/services'))).toEqual({ services: [{ name: 'shop', memo: 'the shop', roles: [] }] });
  });

  // The ja reference: 配列の並び順はサービスの名前順です (listed in the order of service names).
  test('GET lists the services in the order of their names, not of their creation', async () => {
    for (const name of ['shop', 'api', 'batch']) ok(await env.call('POST', '/api/v0/services', { name }));
    expect(ok(await env.call('GET', '/api/v0/services')).services.map((s: { name: string }) => s.name)).toEqual(['api', 'batch', 'shop']);
  });

  test.each([
    ['a one-character name', 'a'],
    ['a name starting with -', '-shop'],
    ['a name starting with _', '_shop'],
    ['a name with a colon', 'shop:web'],
    ['a name longer than 63 characters', 'a'.repeat(64)],
  ])('rejects %s', async (_what, name) => {
    expectError(await env.call('POST', '/api/v0/services', { name }), 400, /invalid service name/);
  });

  test('rejects a missing name', async () => {
    expectError(await env.call('POST', '/api/v0/services', { memo: 'x' }), 400, /^name is required$/);
  });

  test('rejects a field services do not have', async () => {
    expectError(await env.call('POST', '/api/v0/services', { name: 'shop', roles: [] }), 400, /roles is not a field of service/);
  });

  test('accepts a 63-character name', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'a'.repeat(63) }));
  });

  test('rejects a duplicate name with 400', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    expectError(await env.call('POST', '/api/v0/services', { name: 'shop' }), 400, /service "shop" already exists/);
  });

  test('has no update endpoint', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    expectError(await env.call('PUT', '/api/v0/services/shop', { name: 'shop', memo: 'x' }), 405, /not allowed/);
  });

  test('GET metric-names lists no name (the emulator takes no service metric posts); a missing service is a 404', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    expect(ok(await env.read('GET', '/api/v0/services/shop/metric-names'))).toEqual({ names: [] });
    expectError(await env.call('GET', '/api/v0/services/nope/metric-names'), 404, /^service is not found\.$/);
  });

  test('DELETE of a missing service is a 404', async () => {
    expectError(await env.call('DELETE', '/api/v0/services/nope'), 404, /service is not found/);
  });

  describe('delete cascades', () => {
    beforeEach(async () => {
      ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
      ok(await env.call('POST', '/api/v0/services', { name: 'other' }));
      ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }));
      ok(await env.call('PUT', '/api/v0/services/shop/metadata/cfn', { a: 1 }));
    });

    test('to roles, metadata and the monitors tied to the service, and returns the service as it was', async () => {
      const tied = ok(await env.call('POST', '/api/v0/monitors', { type: 'service', name: 'orders', service: 'shop', metric: 'orders', operator: '<', warning: 1, duration: 1 }));
      const elsewhere = ok(await env.call('POST', '/api/v0/monitors', { type: 'service', name: 'other', service: 'other', metric: 'x', operator: '<', warning: 1, duration: 1 }));
      const group = ok(await env.call('POST', '/api/v0/notification-groups', { name: 'g', notificationLevel: 'all', childNotificationGroupIds: [], childChannelIds: [], monitors: [{ id: tied.id, skipDefault: false }] }));

      expect(ok(await env.call('DELETE', '/api/v0/services/shop'))).toEqual({ name: 'shop', memo: '', roles: ['web'] });

      const state = env.emulator.state();
      expect(state.services.map((s) => s.name)).toEqual(['other']);
      expect(state.monitors.map((m) => m.id)).toEqual([elsewhere.id]);
      expect(state.notificationGroups.find((g) => g.id === group.id)?.monitors).toEqual([]);
      ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
      expect(ok(await env.call('GET', '/api/v0/services/shop/metadata'))).toEqual({ metadata: [] });
      expect(ok(await env.call('GET', '/api/v0/services/shop/roles'))).toEqual({ roles: [] });
    });

    test('to the monitors whose scopes all lie in the service; others lose only its scopes', async () => {
      ok(await env.call('POST', '/api/v0/services/other/roles', { name: 'db' }));
      const host = (name: string, scopes: Json) => ({ type: 'host', name, metric: 'cpu%', operator: '>', warning: 80, duration: 1, ...scopes });
      const onlyShop = ok(await env.call('POST', '/api/v0/monitors', host('only-shop', { scopes: ['shop', 'shop:web'] })));
      const anomaly = ok(await env.call('POST', '/api/v0/monitors', { type: 'anomalyDetection', name: 'anomaly', scopes: ['shop:web'], warningSensitivity: 'normal' }));
      const both = ok(await env.call('POST', '/api/v0/monitors', host('both', { scopes: ['shop:web', 'other'], excludeScopes: ['shop', 'other:db'] })));
      const excluding = ok(await env.call('POST', '/api/v0/monitors', host('excluding', { excludeScopes: ['shop:web'] })));

      ok(await env.call('DELETE', '/api/v0/services/shop'));

      const ids = ok(await env.call('GET', '/api/v0/monitors')).monitors.map((m: Json) => m.id);
      expect(ids).not.toContain(onlyShop.id);
      expect(ids).not.toContain(anomaly.id);
      const kept = ok(await env.call('GET', `/api/v0/monitors/${both.id}`)).monitor;
      expect({ scopes: kept.scopes, excludeScopes: kept.excludeScopes }).toEqual({ scopes: ['other'], excludeScopes: ['other: db'] });
      expect(ok(await env.call('GET', `/api/v0/monitors/${excluding.id}`)).monitor.excludeScopes).toEqual([]);
    });

    test('drops the names of the service and its roles from notification groups, alert group settings and downtimes', async () => {
      for (const role of ['db', 'api']) ok(await env.call('POST', '/api/v0/services/other/roles', { name: role }));
      const group = ok(await env.call('POST', '/api/v0/notification-groups', {
        name: 'g', notificationLevel: 'all', childNotificationGroupIds: [], childChannelIds: [], services: [{ name: 'shop' }, { name: 'other' }],
      }));
      const setting = ok(await env.call('POST', '/api/v0/alert-group-settings', { name: 's', serviceScopes: ['shop', 'other'], roleScopes: ['shop:web', 'other:db'] }));
      const downtime = ok(await env.call('POST', '/api/v0/downtimes', {
        name: 'd', start: 1700000000, duration: 60, serviceScopes: ['other'], serviceExcludeScopes: ['shop'], roleScopes: ['shop:web', 'other:api'], roleExcludeScopes: ['other:db'],
      }));

      ok(await env.call('DELETE', '/api/v0/services/shop'));

      const groups = ok(await env.call('GET', '/api/v0/notification-groups')).notificationGroups;
      expect(groups.find((g: Json) => g.id === group.id).services).toEqual([{ name: 'other' }]);
      expect(ok(await env.call('GET', `/api/v0/alert-group-settings/${setting.id}`))).toMatchObject({ serviceScopes: ['other'], roleScopes: ['other:db'] });
      expect(ok(await env.call('GET', '/api/v0/downtimes')).downtimes.find((d: Json) => d.id === downtime.id)).toMatchObject({
        serviceScopes: ['other'], serviceExcludeScopes: [], roleScopes: ['other:api'], roleExcludeScopes: ['other:db'],
      });
    });

    // Mackerel ANDs a downtime's scope kinds, and an alert group setting's services and roles with its
    // monitors: one left with a kind emptied would mute or group more than it did, up to everything.
    test('to the downtimes and alert group settings whose scopes of one kind all lay in the service', async () => {
      ok(await env.call('POST', '/api/v0/services/other/roles', { name: 'db' }));
      const tied = ok(await env.call('POST', '/api/v0/monitors', { type: 'service', name: 'orders', service: 'shop', metric: 'orders', operator: '<', warning: 1, duration: 1 }));
      const kept = ok(await env.call('POST', '/api/v0/monitors', { type: 'service', name: 'other', service: 'other', metric: 'x', operator: '<', warning: 1, duration: 1 }));
      const downtime = async (name: string, scopes: Json) => ok(await env.call('POST', '/api/v0/downtimes', { name, start: 1700000000, duration: 60, ...scopes }));
      await downtime('only-shop', { serviceScopes: ['shop'] });
      await downtime('and-role', { serviceScopes: ['other'], roleScopes: ['shop:web'] });
      await downtime('only-tied', { monitorScopes: [tied.id] });
      const excluding = await downtime('excluding', { serviceScopes: ['other'], serviceExcludeScopes: ['shop'] });
      const setting = ok(await env.call('POST', '/api/v0/alert-group-settings', { name: 's', serviceScopes: ['shop'] }));
      const roleAndOther = ok(await env.call('POST', '/api/v0/alert-group-settings', { name: 'r', serviceScopes: ['other'], roleScopes: ['shop:web'], monitorScopes: [kept.id] }));

      ok(await env.call('DELETE', '/api/v0/services/shop'));

      expect(ok(await env.call('GET', '/api/v0/downtimes')).downtimes.map((d: Json) => d.name)).toEqual([excluding.name]);
      expectError(await env.call('GET', `/api/v0/alert-group-settings/${setting.id}`), 404, /alert group setting is not found/);
      // Services and roles are one kind for a setting: `other` still names it.
      expect(ok(await env.call('GET', `/api/v0/alert-group-settings/${roleAndOther.id}`))).toMatchObject({ serviceScopes: ['other'], roleScopes: [], monitorScopes: [kept.id] });
    });

    // As for a role's delete (below): an expression naming a metric that cannot be obtained raises Unknown, kept.
    test('leaves an expression monitor whose service(...) or roleSlots(...) reads the service or its role, expression unchanged', async () => {
      const expression = 'max(service(shop, orders.count)) + max(roleSlots(shop:web, loadavg5))';
      const monitor = ok(await env.call('POST', '/api/v0/monitors', { type: 'expression', name: 'orders', expression, operator: '>', warning: 5 }));

      ok(await env.call('DELETE', '/api/v0/services/shop'));

      expect(ok(await env.call('GET', `/api/v0/monitors/${monitor.id}`)).monitor).toEqual(monitor);
    });
  });
});

describe('roles', () => {
  beforeEach(async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
  });

  test('POST creates a role; GET lists it; the service lists its name', async () => {
    expect(ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web', memo: 'front' }))).toEqual({ name: 'web', memo: 'front' });
    expect(ok(await env.call('GET', '/api/v0/services/shop/roles'))).toEqual({ roles: [{ name: 'web', memo: 'front' }] });
    expect(ok(await env.call('GET', '/api/v0/services')).services[0].roles).toEqual(['web']);
  });

  test('roles are listed in the order of their names, in both lists', async () => {
    for (const name of ['web', 'api', 'batch']) ok(await env.call('POST', '/api/v0/services/shop/roles', { name }));
    expect(ok(await env.call('GET', '/api/v0/services/shop/roles')).roles.map((r: { name: string }) => r.name)).toEqual(['api', 'batch', 'web']);
    expect(ok(await env.call('GET', '/api/v0/services')).services[0].roles).toEqual(['api', 'batch', 'web']);
  });

  test('rejects an invalid role name', async () => {
    expectError(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web!' }), 400, /invalid role name: "web!"/);
  });

  test('rejects a duplicate role with 400', async () => {
    ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }));
    expectError(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }), 400, /role "web" already exists/);
  });

  test('the same role name in another service is fine', async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'store' }));
    ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }));
    ok(await env.call('POST', '/api/v0/services/store/roles', { name: 'web' }));
  });

  test.each([
    ['GET', '/api/v0/services/nope/roles', undefined],
    ['POST', '/api/v0/services/nope/roles', { name: 'web' }],
    ['DELETE', '/api/v0/services/nope/roles/web', undefined],
  ])('%s %s is a 404 when the service is missing', async (method, path, body) => {
    expectError(await env.call(method, path, body), 404, /service is not found/);
  });

  test('DELETE returns the role and removes it; a second DELETE is a 404', async () => {
    ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }));
    expect(ok(await env.call('DELETE', '/api/v0/services/shop/roles/web'))).toEqual({ name: 'web', memo: '' });
    expectError(await env.call('DELETE', '/api/v0/services/shop/roles/web'), 404, /role is not found/);
  });

  // Undocumented (the reference gives only the role back); as for a service, the monitors that
  // watch nothing else go with it, and no scope list keeps naming a role that is gone.
  describe('delete cascades, as for a service', () => {
    beforeEach(async () => {
      ok(await env.call('POST', '/api/v0/services', { name: 'other' }));
      for (const [service, role] of [['shop', 'web'], ['shop', 'api'], ['other', 'db']]) ok(await env.call('POST', `/api/v0/services/${service}/roles`, { name: role }));
    });
    const host = (name: string, scopes: Json) => ({ type: 'host', name, metric: 'cpu%', operator: '>', warning: 80, duration: 1, ...scopes });

    test('to the monitors whose scopes are all the role; others lose only its scopes', async () => {
      const onlyWeb = ok(await env.call('POST', '/api/v0/monitors', host('only-web', { scopes: ['shop:web'] })));
      const anomaly = ok(await env.call('POST', '/api/v0/monitors', { type: 'anomalyDetection', name: 'anomaly', scopes: ['shop:web'], warningSensitivity: 'normal' }));
      const both = ok(await env.call('POST', '/api/v0/monitors', host('both', { scopes: ['shop:web', 'shop:api'], excludeScopes: ['shop:web', 'other:db'] })));
      const service = ok(await env.call('POST', '/api/v0/monitors', host('service', { scopes: ['shop'], excludeScopes: ['shop:web'] })));

      expect(ok(await env.call('DELETE', '/api/v0/services/shop/roles/web'))).toEqual({ name: 'web', memo: '' });

      const ids = ok(await env.call('GET', '/api/v0/monitors')).monitors.map((m: Json) => m.id);
      expect(ids).not.toContain(onlyWeb.id);
      expect(ids).not.toContain(anomaly.id);
      const kept = ok(await env.call('GET', `/api/v0/monitors/${both.id}`)).monitor;
      expect({ scopes: kept.scopes, excludeScopes: kept.excludeScopes }).toEqual({ scopes: ['shop: api'], excludeScopes: ['other: db'] });
      const whole = ok(await env.call('GET', `/api/v0/monitors/${service.id}`)).monitor;
      expect({ scopes: whole.scopes, excludeScopes: whole.excludeScopes }).toEqual({ scopes: ['shop'], excludeScopes: [] });
      // What GET shows can be sent back: no scope names the deleted role.
      ok(await env.call('PUT', `/api/v0/monitors/${both.id}`, host('both', { scopes: ['shop:api'], excludeScopes: ['other:db'] })));
    });

    test('drops the role from alert group settings and downtimes, and a deleted monitor from what names it', async () => {
      const onlyWeb = ok(await env.call('POST', '/api/v0/monitors', host('only-web', { scopes: ['shop:web'] })));
      const onlyApi = ok(await env.call('POST', '/api/v0/monitors', host('only-api', { scopes: ['shop:api'] })));
      const setting = ok(await env.call('POST', '/api/v0/alert-group-settings', { name: 's', serviceScopes: ['shop'], roleScopes: ['shop:web', 'other:db'], monitorScopes: [onlyWeb.id, onlyApi.id] }));
      const downtime = ok(await env.call('POST', '/api/v0/downtimes', {
        name: 'd', start: 1700000000, duration: 60, roleScopes: ['shop:web', 'shop:api'], roleExcludeScopes: ['other:db'],
      }));
      const excluding = ok(await env.call('POST', '/api/v0/downtimes', { name: 'e', start: 1700000000, duration: 60, serviceScopes: ['shop'], roleExcludeScopes: ['shop:web'] }));

      ok(await env.call('DELETE', '/api/v0/services/shop/roles/web'));

      expect(ok(await env.call('GET', `/api/v0/alert-group-settings/${setting.id}`))).toMatchObject({ serviceScopes: ['shop'], roleScopes: ['other:db'], monitorScopes: [onlyApi.id] });
      const downtimes = ok(await env.call('GET', '/api/v0/downtimes')).downtimes;
      expect(downtimes.find((d: Json) => d.id === downtime.id)).toMatchObject({ roleScopes: ['shop:api'], roleExcludeScopes: ['other:db'] });
      expect(downtimes.find((d: Json) => d.id === excluding.id)).toMatchObject({ serviceScopes: ['shop'], roleExcludeScopes: [] });
    });

    // As for a service: a downtime or setting left with a scope kind emptied would mute or group more than it did.
    test('to the downtimes and alert group settings whose scopes of one kind were all the role or its monitors', async () => {
      const onlyWeb = ok(await env.call('POST', '/api/v0/monitors', host('only-web', { scopes: ['shop:web'] })));
      const downtime = async (name: string, scopes: Json) => ok(await env.call('POST', '/api/v0/downtimes', { name, start: 1700000000, duration: 60, ...scopes }));
      await downtime('only-web', { roleScopes: ['shop:web'] });
      await downtime('shop-and-web', { serviceScopes: ['shop'], roleScopes: ['shop:web'] });
      await downtime('its-monitor', { serviceScopes: ['shop'], monitorScopes: [onlyWeb.id] });
      const narrowed = await downtime('narrowed', { roleScopes: ['shop:web', 'shop:api'] });
      ok(await env.call('POST', '/api/v0/alert-group-settings', { name: 's', roleScopes: ['shop:web'] }));
      ok(await env.call('POST', '/api/v0/alert-group-settings', { name: 'm', serviceScopes: ['shop'], monitorScopes: [onlyWeb.id] }));
      const kept = ok(await env.call('POST', '/api/v0/alert-group-settings', { name: 'k', serviceScopes: ['shop'], roleScopes: ['shop:web'] }));

      ok(await env.call('DELETE', '/api/v0/services/shop/roles/web'));

      expect(ok(await env.call('GET', '/api/v0/downtimes')).downtimes.map((d: Json) => d.name)).toEqual([narrowed.name]);
      // Services and roles are one kind for a setting: `shop` still names it.
      expect(ok(await env.call('GET', '/api/v0/alert-group-settings')).alertGroupSettings.map((a: Json) => a.id)).toEqual([kept.id]);
    });

    // No doc says a role delete touches an expression, and the expression monitoring guide says what
    // one naming a metric that cannot be obtained does: it raises an Unknown alert. So the monitor
    // stays, expression unchanged, as a real organization keeps it (the create takes an expression
    // without looking up the roles it names, so the same body can be sent again).
    test('leaves an expression monitor whose role(...) names the role, expression unchanged', async () => {
      const expression = 'max(role(shop:web, loadavg5))';
      const monitor = ok(await env.call('POST', '/api/v0/monitors', { type: 'expression', name: 'load', expression, operator: '>', warning: 5 }));

      ok(await env.call('DELETE', '/api/v0/services/shop/roles/web'));

      expect(ok(await env.call('GET', `/api/v0/monitors/${monitor.id}`)).monitor).toEqual(monitor);
      ok(await env.call('PUT', `/api/v0/monitors/${monitor.id}`, { type: 'expression', name: 'load', expression, operator: '>', warning: 5 }));
    });

    test('leaves what names another role of the same name in another service, and a role whose name starts with it', async () => {
      ok(await env.call('POST', '/api/v0/services/other/roles', { name: 'web' }));
      ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web2' }));
      const elsewhere = ok(await env.call('POST', '/api/v0/monitors', host('elsewhere', { scopes: ['other:web', 'shop:web2'] })));

      ok(await env.call('DELETE', '/api/v0/services/shop/roles/web'));

      expect(ok(await env.call('GET', `/api/v0/monitors/${elsewhere.id}`)).monitor.scopes).toEqual(['other: web', 'shop: web2']);
    });
  });
});

describe('metadata', () => {
  const service = '/api/v0/services/shop/metadata';
  const role = '/api/v0/services/shop/roles/web/metadata';
  beforeEach(async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }));
  });

  test.each([['service', service], ['role', role]])('%s metadata: PUT, GET one, list, DELETE', async (_what, base) => {
    expect(ok(await env.call('PUT', `${base}/cloudformation`, { stackId: 's' }))).toEqual({ success: true });
    expect(ok(await env.call('GET', `${base}/cloudformation`))).toEqual({ stackId: 's' });
    expect(ok(await env.call('GET', base))).toEqual({ metadata: [{ namespace: 'cloudformation' }] });
    ok(await env.call('DELETE', `${base}/cloudformation`));
    expectError(await env.call('GET', `${base}/cloudformation`), 404, /metadata is not found/);
  });

  test.each([['service', service], ['role', role]])('GET of %s metadata carries its last update in Last-Modified, as the reference says', async (_what, base) => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    ok(await env.call('PUT', `${base}/ns`, { v: 1 }));
    const after = Date.now();
    const modified = Date.parse((await env.call('GET', `${base}/ns`)).headers.get('last-modified') ?? '');
    expect(modified).toBeGreaterThanOrEqual(before);
    expect(modified).toBeLessThanOrEqual(after);
    // Only the value read carries it; a list, a PUT or a DELETE has no such header in the reference.
    expect((await env.call('GET', base)).headers.get('last-modified')).toBeNull();
  });

  test('any JSON value is accepted, not only objects', async () => {
    ok(await env.call('PUT', `${service}/list`, [1, 'two']));
    expect(ok(await env.call('GET', `${service}/list`))).toEqual([1, 'two']);
  });

  test('role metadata is kept apart from service metadata', async () => {
    ok(await env.call('PUT', `${role}/ns`, 1));
    expect(ok(await env.call('GET', service))).toEqual({ metadata: [] });
    expect(env.emulator.state().services[0].roles[0].metadata).toEqual({ ns: 1 });
  });

  test('rejects a namespace with other characters', async () => {
    expectError(await env.call('PUT', `${service}/bad.ns`, 1), 400, /invalid namespace: "bad.ns"/);
  });

  test('rejects a namespace starting with mackerel', async () => {
    expectError(await env.call('PUT', `${service}/mackerel-x`, 1), 400, /reserved/);
  });

  // The GET and DELETE pages document no 400, only the 404 for metadata that does not exist.
  test.each([
    ['GET', 'service', 'bad.ns', service],
    ['DELETE', 'service', 'bad.ns', service],
    ['GET', 'service', 'mackerel-x', service],
    ['DELETE', 'service', 'mackerel-x', service],
    ['GET', 'role', 'bad.ns', role],
    ['DELETE', 'role', 'mackerel-x', role],
  ])('%s of the invalid %s namespace %s is a 404, as for any namespace that holds nothing', async (method, _what, namespace, base) => {
    expectError(await env.call(method, `${base}/${namespace}`), 404, /^metadata is not found\.$/);
  });

  test('takes a value of exactly 100 KB (102400 bytes of JSON); one byte more is a 413', async () => {
    const exactly = JSON.stringify('x'.repeat(100 * 1024 - 2));
    expect(Buffer.byteLength(exactly)).toBe(102400);
    ok(await env.call('PUT', `${service}/edge`, exactly));
    expectError(await env.call('PUT', `${service}/over`, JSON.stringify('x'.repeat(100 * 1024 - 1))), 413, /too large/);
  });

  test('rejects a value over 100 KB with 413', async () => {
    expectError(await env.call('PUT', `${service}/big`, { v: 'x'.repeat(100 * 1024) }), 413, /too large/);
  });

  test('rejects an 11th namespace on a role', async () => {
    for (let i = 0; i < 10; i++) ok(await env.call('PUT', `${role}/ns${i}`, i));
    ok(await env.call('PUT', `${role}/ns0`, { overwrite: true }));
    expectError(await env.call('PUT', `${role}/ns10`, 10), 400, /at most 10/);
  });

  test('rejects a 51st namespace on a service', async () => {
    for (let i = 0; i < 50; i++) ok(await env.call('PUT', `${service}/ns${i}`, i));
    expectError(await env.call('PUT', `${service}/ns50`, 50), 400, /at most 50/);
  });

  test('a missing role is a 404', async () => {
    expectError(await env.call('PUT', '/api/v0/services/shop/roles/db/metadata/ns', 1), 404, /role is not found/);
  });

  test('a namespace named like an object property is not found until it is put', async () => {
    expectError(await env.call('GET', `${service}/constructor`), 404, /metadata is not found/);
    ok(await env.call('PUT', `${service}/constructor`, 1));
    ok(await env.call('PUT', `${service}/__proto__`, { polluted: true }));
    expect(ok(await env.call('GET', service))).toEqual({ metadata: [{ namespace: 'constructor' }, { namespace: '__proto__' }] });
    expect(ok(await env.call('GET', `${service}/__proto__`))).toEqual({ polluted: true });
  });

  test('a PUT without a body is a 400: the value must be JSON', async () => {
    expectError(await env.call('PUT', `${service}/empty`), 400, /must be a JSON value/);
  });

  test('null is a value like any other: stored, listed and read back', async () => {
    ok(await env.call('PUT', `${service}/nothing`, null));
    expect(ok(await env.call('GET', service))).toEqual({ metadata: [{ namespace: 'nothing' }] });
    const got = await env.call('GET', `${service}/nothing`);
    expect(got.status).toBe(200);
    expect(got.body).toBeNull();
  });

  test.each([
    ['GET', '/api/v0/services/nope/metadata', /service is not found/],
    ['GET', '/api/v0/services/nope/metadata/ns', /service is not found/],
    ['PUT', '/api/v0/services/nope/metadata/ns', /service is not found/],
    ['DELETE', '/api/v0/services/nope/metadata/ns', /service is not found/],
    ['GET', '/api/v0/services/shop/roles/db/metadata', /role is not found/],
    ['GET', '/api/v0/services/shop/roles/db/metadata/ns', /role is not found/],
    ['DELETE', '/api/v0/services/shop/roles/db/metadata/ns', /role is not found/],
  ])('%s %s of a missing service or role is a 404', async (method, path, message) => {
    expectError(await env.call(method, path, method === 'PUT' ? 1 : undefined), 404, message);
  });

  test('DELETE of a missing namespace is a 404', async () => {
    expectError(await env.call('DELETE', `${service}/nope`), 404, /metadata is not found/);
  });
});
