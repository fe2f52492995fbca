import { array, bool, given, object, onlyFields, str, strings } from './_check';
import { badRequest, Json, route, Route } from './_http';
import { byId, findService, forgetNotificationGroup, replaceIn, Store, uniqueId } from './_state';

const FIELDS = ['id', 'type', 'name', 'notificationLevel', 'childNotificationGroupIds', 'childChannelIds', 'monitors', 'services'];

/** Required, as the API reference lists it (only monitors and services are optional). */
function ids(o: Json, field: string, known: Json[], what: string): string[] {
  const list = strings(o, field, true)!;
  const missing = list.find((id) => !known.some((k) => k.id === id));
  if (missing !== undefined) throw badRequest(`${field}: ${what} ${JSON.stringify(missing)} is not found`);
  return list;
}

function monitors(store: Store, o: Json): Json[] {
  return (array(o, 'monitors') ?? []).map((item) => {
    const m = object(item, 'each of monitors');
    onlyFields(m, ['id', 'skipDefault'], 'a monitor of a notification group');
    const id = str(m, 'id', { required: true }) as string;
    if (!store.state.monitors.some((known) => known.id === id)) throw badRequest(`monitors: monitor ${JSON.stringify(id)} is not found`);
    return { id, skipDefault: bool(m, 'skipDefault') ?? false };
  });
}

function services(store: Store, o: Json): Json[] {
  return (array(o, 'services') ?? []).map((item) => {
    const s = object(item, 'each of services');
    onlyFields(s, ['name'], 'a service of a notification group');
    const name = str(s, 'name', { required: true }) as string;
    if (!findService(store.state, name)) throw badRequest(`services: service ${JSON.stringify(name)} is not found`);
    return { name };
  });
}

/** Checks a create or update body and returns the group's fields. */
function validateGroup(store: Store, body: unknown, selfId?: string): Json {
  const o = object(body);
  onlyFields(o, FIELDS, 'a notification group');
  if (given(o, 'type') && o.type !== 'group') throw badRequest('type cannot be given except as group');
  const children = ids(o, 'childNotificationGroupIds', store.state.notificationGroups, 'notification group');
  if (selfId !== undefined && children.includes(selfId)) throw badRequest('childNotificationGroupIds: a notification group cannot be its own child');
  return {
    name: str(o, 'name', { required: true }),
    notificationLevel: str(o, 'notificationLevel', { required: true, values: ['all', 'critical'] }),
    childNotificationGroupIds: children,
    childChannelIds: ids(o, 'childChannelIds', store.state.channels, 'channel'),
    monitors: monitors(store, o),
    services: services(store, o),
  };
}

function groupOf(store: Store, id: string): Json {
  return byId(store.state.notificationGroups, id, 'notification group');
}

/** The default group can be updated, but not renamed (400). */
function update(store: Store, id: string, body: unknown): Json {
  const old = groupOf(store, id);
  const o = object(body);
  const isDefault = old.type === 'group-default';
  const next = validateGroup(store, isDefault && o.type === 'group-default' ? { ...o, type: undefined } : o, id);
  if (isDefault && next.name !== old.name) throw badRequest('the default notification group cannot be renamed');
  const stored = { id, type: old.type, ...next };
  replaceIn(store.state.notificationGroups, old, stored);
  return stored;
}

export function notificationGroupRoutes(store: Store): Route[] {
  return [
    route('GET', '/notification-groups', () => ({ notificationGroups: store.state.notificationGroups })),
    route('POST', '/notification-groups', ({ body }) => {
      if (given(object(body), 'id')) throw badRequest('id must not be given when creating a notification group');
      const group = { id: uniqueId(store.state), type: 'group', ...validateGroup(store, body) };
      store.state.notificationGroups.push(group);
      return group;
    }),
    route('PUT', '/notification-groups/:id', ({ params, body }) => update(store, params.id, body)),
    route('DELETE', '/notification-groups/:id', ({ params }) => {
      const group = groupOf(store, params.id);
      if (group.type === 'group-default') throw badRequest('the default notification group cannot be deleted');
      replaceIn(store.state.notificationGroups, group);
      forgetNotificationGroup(store.state, params.id);
      return group;
    }),
  ];
}
