import { beforeEach, describe, expect, test } from 'vitest';
import { expectError, ok, useEmulator } from './_emulator';
import { DEFAULT_NOTIFICATION_GROUP_ID, EMULATOR_USER_IDS } from '../../src/emulator';

const env = useEmulator();
type Body = { [field: string]: unknown };

const EMAIL = { type: 'email', name: 'oncall', emails: ['oncall@example.com'], userIds: [], events: ['alert'] };
const SLACK = { type: 'slack', name: 'ops', url: 'https://hooks.slack.com/services/T/B/x', mentions: { critical: '@here' }, enabledGraphImage: true, events: ['alert', 'alertGroup'] };
const WEBHOOK = { type: 'webhook', name: 'hook', url: 'http://hooks.example.com/', events: [] };

function variant(base: Body, change: Body): Body {
  const out: Body = { ...base, ...change };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

const defaultGroup = () => env.emulator.state().notificationGroups.find((g) => g.id === DEFAULT_NOTIFICATION_GROUP_ID)!;

describe('channels', () => {
  test.each([['email', EMAIL], ['slack', SLACK], ['webhook', WEBHOOK]])('a %s channel is created and listed with suspendedAt null', async (_type, body) => {
    const created = ok(await env.call('POST', '/api/v0/channels', body));
    expect(created).toMatchObject({ ...body, suspendedAt: null });
    expect(created.id).toMatch(/^\w{11}$/);
    expect(ok(await env.call('GET', '/api/v0/channels'))).toEqual({ channels: [created] });
  });

  test('an org member may be named in userIds', async () => {
    ok(await env.call('POST', '/api/v0/channels', variant(EMAIL, { userIds: [EMULATOR_USER_IDS[0]] })));
  });

  test('an address or user ID given twice is taken (the docs list no error for it)', async () => {
    const body = variant(EMAIL, { emails: ['a@example.com', 'a@example.com'], userIds: [EMULATOR_USER_IDS[0], EMULATOR_USER_IDS[0]] });
    expect(ok(await env.call('POST', '/api/v0/channels', body))).toMatchObject({ emails: body.emails, userIds: body.userIds });
  });

  test('addToDefaultNotificationGroup: true adds the channel to the default group', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/channels', variant(EMAIL, { addToDefaultNotificationGroup: true })));
    expect(defaultGroup().childChannelIds).toEqual([id]);
  });

  // mackerel-client-go always sends its Mentions struct, empty for these types, which the docs neither
  // document for them nor show in their answers
  test.each([['an email', EMAIL], ['a webhook', WEBHOOK]])('%s channel takes an empty mentions, as mackerel-client-go sends it, and does not echo it', async (_type, body) => {
    const created = ok(await env.call('POST', '/api/v0/channels', variant(body, { mentions: {} })));
    expect(created).toEqual({ id: created.id, ...body, ...(body === WEBHOOK ? { enabledGraphImage: false } : {}), suspendedAt: null });
    const updated = ok(await env.call('PUT', `/api/v0/channels/${created.id}`, variant(body, { name: 'renamed', mentions: {} })));
    expect(updated).not.toHaveProperty('mentions');
    expect(ok(await env.call('GET', '/api/v0/channels'))).toEqual({ channels: [updated] });
  });

  test('an omitted addToDefaultNotificationGroup adds nothing', async () => {
    ok(await env.call('POST', '/api/v0/channels', EMAIL));
    expect(defaultGroup().childChannelIds).toEqual([]);
  });

  const REJECTED: Array<[string, Body, RegExp]> = [
    ['a type the API cannot create', variant(WEBHOOK, { type: 'pagerduty' }), /type pagerduty cannot be created or updated through the API/],
    ['a LINE channel, listed by the docs but not creatable', variant(WEBHOOK, { type: 'line' }), /type line cannot be created or updated through the API/],
    ['a Typetalk channel, listed by the en docs but not creatable', variant(WEBHOOK, { type: 'typetalk' }), /type typetalk cannot be created or updated through the API/],
    ['an unknown type', variant(WEBHOOK, { type: 'fax' }), /type must be one of email, slack, webhook/],
    ['a type named like an object property', variant(WEBHOOK, { type: 'toString' }), /type must be one of email, slack, webhook/],
    ['a missing name', variant(EMAIL, { name: undefined }), /^name is required$/],
    ['an unknown event', variant(EMAIL, { events: ['alert', 'deploy'] }), /events: "deploy" is not one of/],
    ['an invalid email address', variant(EMAIL, { emails: ['oncall'] }), /emails: "oncall" is not an email address/],
    ['a user who is not an org member', variant(EMAIL, { userIds: ['nobody'] }), /userIds: "nobody" is not a member/],
    ['a slack channel without url', variant(SLACK, { url: undefined }), /^url is required$/],
    ['a slack url that is not http(s)', variant(SLACK, { url: 'ftp://hooks.slack.com/T0/secret' }), /^url is not an http or https URL$/],
    ['a webhook url that is not a URL', variant(WEBHOOK, { url: 'hooks' }), /^url is not an http or https URL$/],
    ['a mention key other than ok/warning/critical', variant(SLACK, { mentions: { unknown: '@here' } }), /unknown is not a field of mentions/],
    ['an empty mention', variant(SLACK, { mentions: { ok: '' } }), /ok must not be empty/],
    ['a null mention', variant(SLACK, { mentions: { ok: null } }), /mentions.ok must be a non-empty string/],
    ['mentions on a webhook channel', variant(WEBHOOK, { mentions: { ok: 'x' } }), /mentions is not a field of a webhook channel/],
    ['mentions on an email channel', variant(EMAIL, { mentions: { critical: '@here' } }), /^mentions is not a field of an email channel$/],
    ['a null mentions on a webhook channel', variant(WEBHOOK, { mentions: null }), /^mentions is not a field of a webhook channel$/],
    ['a non-boolean addToDefaultNotificationGroup', variant(EMAIL, { addToDefaultNotificationGroup: 'yes' }), /addToDefaultNotificationGroup must be a boolean/],
  ];
  test.each(REJECTED)('POST rejects %s', async (_what, body, message) => {
    expectError(await env.call('POST', '/api/v0/channels', body), 400, message);
    expect(env.emulator.state().channels).toEqual([]);
  });

  describe('PUT', () => {
    test('replaces the fields and keeps the ID', async () => {
      const { id } = ok(await env.call('POST', '/api/v0/channels', SLACK));
      const updated = ok(await env.call('PUT', `/api/v0/channels/${id}`, variant(SLACK, { name: 'ops2', mentions: undefined })));
      expect(updated).toEqual({ id, type: 'slack', name: 'ops2', url: SLACK.url, mentions: {}, enabledGraphImage: true, events: SLACK.events, suspendedAt: null });
    });

    test('takes and ignores an id in the body, even another channel\'s (the docs list no error for it)', async () => {
      const { id } = ok(await env.call('POST', '/api/v0/channels', SLACK));
      expect(ok(await env.call('PUT', `/api/v0/channels/${id}`, variant(SLACK, { id: 'xxxxxxxxxxx', name: 'ops2' })))).toMatchObject({ id, name: 'ops2' });
    });

    test('rejects a type change', async () => {
      const { id } = ok(await env.call('POST', '/api/v0/channels', SLACK));
      expectError(await env.call('PUT', `/api/v0/channels/${id}`, WEBHOOK), 400, /^cannot change type\.$/);
    });

    test('rejects addToDefaultNotificationGroup', async () => {
      const { id } = ok(await env.call('POST', '/api/v0/channels', EMAIL));
      expectError(await env.call('PUT', `/api/v0/channels/${id}`, variant(EMAIL, { addToDefaultNotificationGroup: false })), 400, /cannot be given when updating/);
    });

    test('of an unknown ID is a 404', async () => {
      expectError(await env.call('PUT', '/api/v0/channels/nope', EMAIL), 404, /channel is not found/);
    });
  });

  test('DELETE returns the channel and drops it from notification groups', async () => {
    const created = ok(await env.call('POST', '/api/v0/channels', variant(EMAIL, { addToDefaultNotificationGroup: true })));
    expect(ok(await env.call('DELETE', `/api/v0/channels/${created.id}`))).toEqual(created);
    expect(defaultGroup().childChannelIds).toEqual([]);
    expectError(await env.call('DELETE', `/api/v0/channels/${created.id}`), 404, /channel is not found/);
  });
});

describe('notification groups', () => {
  let channelId: string;
  let monitorId: string;
  beforeEach(async () => {
    ok(await env.call('POST', '/api/v0/services', { name: 'shop' }));
    channelId = ok(await env.call('POST', '/api/v0/channels', EMAIL)).id;
    monitorId = ok(await env.call('POST', '/api/v0/monitors', { type: 'connectivity', scopes: ['shop'] })).id;
  });

  /** What every create and update body carries besides the name (monitors and services are optional). */
  const LISTS = { notificationLevel: 'all', childNotificationGroupIds: [], childChannelIds: [] };
  const group = () => ({
    name: 'ops',
    notificationLevel: 'critical',
    childNotificationGroupIds: [],
    childChannelIds: [channelId],
    monitors: [{ id: monitorId, skipDefault: true }],
    services: [{ name: 'shop' }],
  });

  test('the default group is always listed', async () => {
    expect(ok(await env.call('GET', '/api/v0/notification-groups')).notificationGroups).toEqual([
      expect.objectContaining({ id: DEFAULT_NOTIFICATION_GROUP_ID, type: 'group-default' }),
    ]);
  });

  test('POST creates a group of type "group"', async () => {
    const created = ok(await env.call('POST', '/api/v0/notification-groups', group()));
    expect(created).toEqual({ id: expect.stringMatching(/^\w{11}$/), type: 'group', ...group() });
    expect(ok(await env.call('GET', '/api/v0/notification-groups')).notificationGroups).toContainEqual(created);
  });

  test('monitors and services are optional: no monitors, no services', async () => {
    const bare = { name: 'bare', notificationLevel: 'all', childNotificationGroupIds: [], childChannelIds: [] };
    expect(ok(await env.call('POST', '/api/v0/notification-groups', bare))).toMatchObject({ ...bare, monitors: [], services: [] });
  });

  const REJECTED: Array<[string, Body, RegExp]> = [
    ['a missing name', { name: null }, /^name is required$/],
    ['a missing notificationLevel', { notificationLevel: null }, /^notificationLevel is required$/],
    ['missing childNotificationGroupIds', { childNotificationGroupIds: null }, /^childNotificationGroupIds is required$/],
    ['missing childChannelIds', { childChannelIds: null }, /^childChannelIds is required$/],
    ['a notificationLevel other than all/critical', { notificationLevel: 'warning' }, /notificationLevel must be one of all, critical/],
    ['an unknown channel', { childChannelIds: ['nope'] }, /childChannelIds: channel "nope" is not found/],
    ['an unknown child group', { childNotificationGroupIds: ['nope'] }, /childNotificationGroupIds: notification group "nope" is not found/],
    ['an unknown monitor', { monitors: [{ id: 'nope', skipDefault: false }] }, /monitors: monitor "nope" is not found/],
    ['an unknown service', { services: [{ name: 'store' }] }, /services: service "store" is not found/],
    ['a non-boolean skipDefault', { monitors: [{ id: 'MONITOR', skipDefault: 'yes' }] }, /skipDefault must be a boolean/],
  ];
  test.each(REJECTED)('POST rejects %s', async (_what, change, message) => {
    const body = variant(group(), JSON.parse(JSON.stringify(change).replace('MONITOR', monitorId)));
    expectError(await env.call('POST', '/api/v0/notification-groups', body), 400, message);
    expect(env.emulator.state().notificationGroups).toHaveLength(1);
  });

  test('PUT replaces the group', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/notification-groups', group()));
    const updated = ok(await env.call('PUT', `/api/v0/notification-groups/${id}`, { ...LISTS, name: 'ops2', notificationLevel: 'all', childChannelIds: [channelId] }));
    expect(updated).toEqual({ id, type: 'group', name: 'ops2', notificationLevel: 'all', childNotificationGroupIds: [], childChannelIds: [channelId], monitors: [], services: [] });
  });

  test('PUT rejects a group as its own child', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/notification-groups', group()));
    expectError(await env.call('PUT', `/api/v0/notification-groups/${id}`, { ...LISTS, name: 'ops', childNotificationGroupIds: [id] }), 400, /its own child/);
  });

  test('the default group can be updated but not renamed', async () => {
    const path = `/api/v0/notification-groups/${DEFAULT_NOTIFICATION_GROUP_ID}`;
    expect(ok(await env.call('PUT', path, { ...LISTS, name: 'Default', childChannelIds: [channelId] }))).toMatchObject({ type: 'group-default', childChannelIds: [channelId] });
    expectError(await env.call('PUT', path, { ...LISTS, name: 'Renamed' }), 400, /cannot be renamed/);
  });

  test('the default group cannot be deleted', async () => {
    expectError(await env.call('DELETE', `/api/v0/notification-groups/${DEFAULT_NOTIFICATION_GROUP_ID}`), 400, /cannot be deleted/);
  });

  test('DELETE returns the group and drops it from parents', async () => {
    const child = ok(await env.call('POST', '/api/v0/notification-groups', group()));
    const parent = ok(await env.call('POST', '/api/v0/notification-groups', { ...LISTS, name: 'parent', childNotificationGroupIds: [child.id] }));
    expect(ok(await env.call('DELETE', `/api/v0/notification-groups/${child.id}`))).toEqual(child);
    expect(env.emulator.state().notificationGroups.find((g) => g.id === parent.id)?.childNotificationGroupIds).toEqual([]);
    expectError(await env.call('DELETE', `/api/v0/notification-groups/${child.id}`), 404, /notification group is not found/);
  });

  test('deleting a monitor drops it from groups', async () => {
    const { id } = ok(await env.call('POST', '/api/v0/notification-groups', group()));
    ok(await env.call('DELETE', `/api/v0/monitors/${monitorId}`));
    expect(env.emulator.state().notificationGroups.find((g) => g.id === id)?.monitors).toEqual([]);
  });
});
