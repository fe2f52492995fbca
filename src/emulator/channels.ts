import { bool, given, object, onlyFields, str, strings } from './_check';
import { badRequest, Json, route, Route } from './_http';
import { byId, DEFAULT_NOTIFICATION_GROUP_ID, EMULATOR_USER_IDS, forgetChannel, replaceIn, Store, uniqueId } from './_state';

/**
 * Listed by the API, but not creatable or updatable through it: the union of the en list (which
 * has `typetalk`) and the ja list (which has `email-broadcast`); both have `line`.
 */
const OTHER_TYPES = ['email-broadcast', 'line', 'chatwork', 'typetalk', 'twilio', 'pagerduty', 'opsgenie', 'jira-service-management', 'microsoft-teams',
  'amazon-event-bridge'];
const EVENTS = ['alert', 'alertGroup', 'hostStatus', 'hostRegister', 'hostRetire', 'monitor'];
const MENTIONS = ['ok', 'warning', 'critical'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const FIELDS: { [type: string]: string[] } = {
  email: ['emails', 'userIds'],
  slack: ['url', 'mentions', 'enabledGraphImage'],
  webhook: ['url', 'enabledGraphImage'],
};

function httpUrl(o: Json): string {
  const url = str(o, 'url', { required: true }) as string;
  let scheme = '';
  try {
    scheme = new URL(url).protocol;
  } catch {
    // reported below
  }
  // The URL is not echoed: a Slack or webhook URL is itself the credential, and the error reaches logs.
  if (scheme !== 'http:' && scheme !== 'https:') throw badRequest('url is not an http or https URL');
  return url;
}

function mentions(o: Json): Json {
  if (!given(o, 'mentions')) return {};
  const m = object(o.mentions, 'mentions');
  onlyFields(m, MENTIONS, 'mentions');
  for (const key of Object.keys(m)) {
    if (m[key] === null) throw badRequest(`mentions.${key} must be a non-empty string`);
    str(m, key, { nonEmpty: true });
  }
  return { ...m };
}

function email(o: Json, out: Json): void {
  const emails = strings(o, 'emails') ?? [];
  const bad = emails.find((e) => !EMAIL.test(e));
  if (bad !== undefined) throw badRequest(`emails: ${JSON.stringify(bad)} is not an email address`);
  const userIds = strings(o, 'userIds') ?? [];
  // An address or user ID given twice is taken: the docs list only invalid addresses and users
  // outside the organization as errors (en and ja). EmailChannel refuses repeats at synth.
  const stranger = userIds.find((id) => !EMULATOR_USER_IDS.includes(id));
  if (stranger !== undefined) throw badRequest(`userIds: ${JSON.stringify(stranger)} is not a member of the organization`);
  Object.assign(out, { emails, userIds });
}

/**
 * The body without an empty `mentions` on an email or webhook channel. mackerel-client-go's Channel
 * holds Mentions as a struct, not a pointer, which encoding/json's omitempty never leaves out: every
 * email or webhook channel it sends (Terraform's among them) carries `"mentions":{}`, so the API takes
 * one. The docs give mentions to Slack only, so a non-empty one is still refused; and the empty one is
 * not stored, as no email or webhook channel in the docs' answers has the field.
 */
function withoutEmptyMentions(o: Json, type: string, what: string): Json {
  if (type === 'slack' || o.mentions === undefined) return o;
  const m = o.mentions;
  if (m === null || typeof m !== 'object' || Array.isArray(m) || Object.keys(m).length > 0) throw badRequest(`mentions is not a field of ${what}`);
  const rest = { ...o };
  delete rest.mentions;
  return rest;
}

/** Checks a create or update body (without `addToDefaultNotificationGroup`) and returns the channel as stored. */
function validateChannel(body: Json): Json {
  const type = str(body, 'type', { required: true }) as string;
  if (OTHER_TYPES.includes(type)) throw badRequest(`type ${type} cannot be created or updated through the API; use email, slack or webhook`);
  if (!Object.keys(FIELDS).includes(type)) throw badRequest('type must be one of email, slack, webhook');
  const what = type === 'email' ? 'an email channel' : `a ${type} channel`;
  const o = withoutEmptyMentions(body, type, what);
  onlyFields(o, ['id', 'type', 'name', 'events', 'suspendedAt', ...FIELDS[type]], what);
  const out: Json = { type, name: str(o, 'name', { required: true }) };
  if (type === 'email') {
    email(o, out);
  } else {
    out.url = httpUrl(o);
    out.enabledGraphImage = bool(o, 'enabledGraphImage') ?? false;
    if (type === 'slack') out.mentions = mentions(o);
  }
  const events = strings(o, 'events') ?? [];
  const unknown = events.find((e) => !EVENTS.includes(e));
  if (unknown !== undefined) throw badRequest(`events: ${JSON.stringify(unknown)} is not one of ${EVENTS.join(', ')}`);
  out.events = events;
  return out;
}

function channelOf(store: Store, id: string): Json {
  return byId(store.state.channels, id, 'channel');
}

function create(store: Store, body: unknown): Json {
  const o = object(body);
  const rest: Json = { ...o };
  delete rest.addToDefaultNotificationGroup;
  if (rest.id !== undefined) throw badRequest('id must not be given when creating a channel');
  // The docs leave the default open; omitted means "not added" here (Terraform always sends false).
  const add = bool(o, 'addToDefaultNotificationGroup') ?? false;
  const channel: Json = { id: uniqueId(store.state), ...validateChannel(rest), suspendedAt: null };
  store.state.channels.push(channel);
  if (add) {
    const group = store.state.notificationGroups.find((g) => g.id === DEFAULT_NOTIFICATION_GROUP_ID) as Json;
    (group.childChannelIds as string[]).push(channel.id as string);
  }
  return channel;
}

function update(store: Store, id: string, body: unknown): Json {
  const old = channelOf(store, id);
  const o = object(body);
  if (o.addToDefaultNotificationGroup !== undefined) throw badRequest('addToDefaultNotificationGroup cannot be given when updating a channel');
  if (o.type !== undefined && o.type !== old.type) throw badRequest('cannot change type.');
  // An `id` in the body is taken and ignored, even one that is not this channel's: the update's
  // documented errors (ja) are malformed JSON, a type change and an unknown channel only, and
  // mackerel-client-go sends its Channel struct, `id` included when set, as the body.
  // (The monitor PUT refuses a differing `id`; that choice is older and kept as it is.)
  const next: Json = { id, ...validateChannel(o), suspendedAt: old.suspendedAt };
  replaceIn(store.state.channels, old, next);
  return next;
}

export function channelRoutes(store: Store): Route[] {
  return [
    route('GET', '/channels', () => ({ channels: store.state.channels })),
    route('POST', '/channels', ({ body }) => create(store, body)),
    route('PUT', '/channels/:id', ({ params, body }) => update(store, params.id, body)),
    route('DELETE', '/channels/:id', ({ params }) => {
      const channel = channelOf(store, params.id);
      replaceIn(store.state.channels, channel);
      forgetChannel(store.state, params.id);
      return channel;
    }),
  ];
}
