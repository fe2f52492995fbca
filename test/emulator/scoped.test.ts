import { beforeEach, describe, expect, test } from 'vitest';
import { expectError, ok, useEmulator } from './_emulator';

const env = useEmulator();
type Body = { [field: string]: unknown };

let monitorId: string;
beforeEach(async () => {
  ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
  ok(await env.call('POST', '/api/v0/services/shop/roles', { name: 'web' }));
  monitorId = ok(await env.call('POST', '/api/v0/monitors', { type: 'connectivity', scopes: ['shop'] })).id;
});

/** Replaces the placeholder MONITOR by the monitor made in beforeEach; `null` removes a field. */
function body(base: Body, change: Body): Body {
  const out: Body = JSON.parse(JSON.stringify({ ...base, ...change }).replace(/"MONITOR"/g, JSON.stringify(monitorId)));
  for (const [k, v] of Object.entries(out)) if (v === null) delete out[k];
  return out;
}

describe('alert group settings', () => {
  const SETTING = { name: 'web', memo: 'grouped', serviceScopes: ['shop'], roleScopes: ['shop:web'], monitorScopes: ['MONITOR'], notificationInterval: 60 };

  test('POST creates, GET by id and list return it', async () => {
    const created = ok(await env.call('POST', '/api/v0/alert-group-settings', body(SETTING, {})));
    expect(created).toEqual({ id: expect.stringMatching(/^\w{11}$/), ...body(SETTING, {}) });
    expect(ok(await env.call('GET', `/api/v0/alert-group-settings/${created.id}`))).toEqual(created);
    expect(ok(await env.call('GET', '/api/v0/alert-group-settings'))).toEqual({ alertGroupSettings: [created] });
  });

  const REJECTED: Array<[string, Body, RegExp]> = [
    ['a missing name', { name: null }, /^name is required$/],
    ['an unknown service scope', { serviceScopes: ['store'] }, /serviceScopes: service "store" is not found/],
    ['an unknown role scope', { roleScopes: ['shop:db'] }, /roleScopes: role "shop:db" is not found/],
    ['a service given as a role scope', { roleScopes: ['shop'] }, /roleScopes: role "shop" is not found/],
    ['an unknown monitor scope', { monitorScopes: ['nope'] }, /monitorScopes: monitor "nope" is not found/],
    ['a scope given twice', { serviceScopes: ['shop', 'shop'] }, /serviceScopes: "shop" is given twice/],
    ['a negative notificationInterval', { notificationInterval: -1 }, /notificationInterval must be at least 0/],
    ['an unknown field', { scopes: ['shop'] }, /scopes is not a field of an alert group setting/],
  ];
  test.each(REJECTED)('POST rejects %s', async (_what, change, message) => {
    expectError(await env.call('POST', '/api/v0/alert-group-settings', body(SETTING, change)), 400, message);
    expect(env.emulator.state().alertGroupSettings).toEqual([]);
  });

  test('PUT replaces the whole setting; omitted scopes are emptied', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/alert-group-settings', body(SETTING, {})));
    expect(ok(await env.call('PUT', `/api/v0/alert-group-settings/${id}`, { name: 'web2', roleScopes: ['shop:web'] }))).toEqual({
      id, name: 'web2', memo: '', serviceScopes: [], roleScopes: ['shop:web'], monitorScopes: [],
    });
  });

  test('PUT validates scopes', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/alert-group-settings', body(SETTING, {})));
    expectError(await env.call('PUT', `/api/v0/alert-group-settings/${id}`, { name: 'x', serviceScopes: ['store'] }), 400, /"store" is not found/);
  });

  test('DELETE returns the setting; GET, PUT and DELETE of a missing one are 404s', async () => {
    const created = ok(await env.call('POST', '/api/v0/alert-group-settings', body(SETTING, {})));
    expect(ok(await env.call('DELETE', `/api/v0/alert-group-settings/${created.id}`))).toEqual(created);
    for (const method of ['GET', 'PUT', 'DELETE']) {
      expectError(await env.call(method, `/api/v0/alert-group-settings/${created.id}`, method === 'PUT' ? { name: 'x' } : undefined), 404, /alert group setting is not found/);
    }
  });
});

describe('downtimes', () => {
  const START = 1767225600;
  const DOWNTIME = {
    name: 'maintenance',
    memo: 'weekly',
    start: START,
    duration: 120,
    recurrence: { type: 'weekly', interval: 1, weekdays: ['Sunday'], until: START + 86400 * 70 },
    serviceScopes: ['shop'],
    serviceExcludeScopes: [],
    roleScopes: [],
    roleExcludeScopes: ['shop:web'],
    monitorScopes: [],
    monitorExcludeScopes: ['MONITOR'],
  };

  test('POST creates and GET lists it', async () => {
    const created = ok(await env.call('POST', '/api/v0/downtimes', body(DOWNTIME, {})));
    expect(created).toEqual({ id: expect.stringMatching(/^\w{11}$/), ...body(DOWNTIME, {}) });
    expect(ok(await env.call('GET', '/api/v0/downtimes'))).toEqual({ downtimes: [created] });
  });

  test('a downtime without recurrence or scopes is fine', async () => {
    expect(ok(await env.call('POST', '/api/v0/downtimes', { name: 'once', start: START, duration: 1 }))).not.toHaveProperty('recurrence');
  });

  const REJECTED: Array<[string, Body, RegExp]> = [
    ['a missing name', { name: null }, /^name is required$/],
    ['a missing start', { start: null }, /^start is required$/],
    ['a missing duration', { duration: null }, /^duration is required$/],
    ['a duration of 0', { duration: 0 }, /duration must be at least 1/],
    ['an unknown recurrence type', { recurrence: { type: 'biweekly', interval: 1 } }, /type must be one of hourly, daily, weekly, monthly, yearly/],
    ['a recurrence without interval', { recurrence: { type: 'daily' } }, /^interval is required$/],
    ['a recurrence interval of 0', { recurrence: { type: 'daily', interval: 0 } }, /interval must be at least 1/],
    ['weekdays on a daily recurrence', { recurrence: { type: 'daily', interval: 1, weekdays: ['Monday'] } }, /weekdays is only for the weekly type/],
    ['an unknown weekday', { recurrence: { type: 'weekly', interval: 1, weekdays: ['Sun'] } }, /weekdays: "Sun" is not one of/],
    ['an until before start', { recurrence: { type: 'daily', interval: 1, until: START } }, /until must be after start/],
    ['an unknown service scope', { serviceScopes: ['store'] }, /serviceScopes: service "store" is not found/],
    ['an unknown role exclude scope', { roleExcludeScopes: ['shop:db'] }, /roleExcludeScopes: role "shop:db" is not found/],
    ['an unknown monitor scope', { monitorScopes: ['nope'] }, /monitorScopes: monitor "nope" is not found/],
    ['a service in both scope and exclude scope', { serviceExcludeScopes: ['shop'] }, /"shop" is in both serviceScopes and serviceExcludeScopes/],
    ['a role in both scope and exclude scope', { roleScopes: ['shop:web'] }, /"shop:web" is in both roleScopes and roleExcludeScopes/],
    ['a monitor in both scope and exclude scope', { monitorScopes: ['MONITOR'] }, /is in both monitorScopes and monitorExcludeScopes/],
    ['a redundant scope', { serviceScopes: ['shop', 'shop'] }, /"shop" is given twice/],
  ];
  test.each(REJECTED)('POST rejects %s', async (_what, change, message) => {
    expectError(await env.call('POST', '/api/v0/downtimes', body(DOWNTIME, change)), 400, message);
    expect(env.emulator.state().downtimes).toEqual([]);
  });

  test('PUT replaces the whole downtime', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/downtimes', body(DOWNTIME, {})));
    expect(ok(await env.call('PUT', `/api/v0/downtimes/${id}`, { name: 'm2', start: START, duration: 30 }))).toEqual({
      id,
      name: 'm2',
      memo: '',
      start: START,
      duration: 30,
      serviceScopes: [],
      serviceExcludeScopes: [],
      roleScopes: [],
      roleExcludeScopes: [],
      monitorScopes: [],
      monitorExcludeScopes: [],
    });
  });

  test('deleting a monitor drops it from downtime scopes', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/downtimes', body(DOWNTIME, {})));
    ok(await env.call('DELETE', `/api/v0/monitors/${monitorId}`));
    expect(env.emulator.state().downtimes.find((d) => d.id === id)?.monitorExcludeScopes).toEqual([]);
  });

  test('DELETE returns the downtime; PUT and DELETE of a missing one are 404s', async () => {
    const created = ok(await env.call('POST', '/api/v0/downtimes', body(DOWNTIME, {})));
    expect(ok(await env.call('DELETE', `/api/v0/downtimes/${created.id}`))).toEqual(created);
    expectError(await env.call('DELETE', `/api/v0/downtimes/${created.id}`), 404, /downtime is not found/);
    expectError(await env.call('PUT', `/api/v0/downtimes/${created.id}`, body(DOWNTIME, {})), 404, /downtime is not found/);
  });
});
