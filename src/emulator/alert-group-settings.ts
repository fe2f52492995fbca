import { num, object, onlyFields, str } from './_check';
import { badRequest, Json, route, Route } from './_http';
import { scopeList } from './_scopes';
import { byId, replaceIn, Store, uniqueId } from './_state';

const FIELDS = ['id', 'name', 'memo', 'serviceScopes', 'roleScopes', 'monitorScopes', 'notificationInterval'];

/** Checks a create or update body (PUT takes the same body as POST). */
function validateSetting(store: Store, body: unknown): Json {
  const o = object(body);
  onlyFields(o, FIELDS, 'an alert group setting');
  const out: Json = {
    name: str(o, 'name', { required: true }),
    memo: str(o, 'memo') ?? '',
    serviceScopes: scopeList(store, o, 'serviceScopes', 'service'),
    roleScopes: scopeList(store, o, 'roleScopes', 'role'),
    monitorScopes: scopeList(store, o, 'monitorScopes', 'monitor'),
  };
  // No minimum is documented; a negative or fractional number of minutes is rejected.
  const interval = num(o, 'notificationInterval', { integer: true, min: 0 });
  if (interval !== undefined) out.notificationInterval = interval;
  return out;
}

function settingOf(store: Store, id: string): Json {
  return byId(store.state.alertGroupSettings, id, 'alert group setting');
}

export function alertGroupSettingRoutes(store: Store): Route[] {
  const list = () => store.state.alertGroupSettings;
  return [
    route('GET', '/alert-group-settings', () => ({ alertGroupSettings: list() })),
    route('POST', '/alert-group-settings', ({ body }) => {
      if (object(body).id !== undefined) throw badRequest('id must not be given when creating an alert group setting');
      const setting = { id: uniqueId(store.state), ...validateSetting(store, body) };
      list().push(setting);
      return setting;
    }),
    route('GET', '/alert-group-settings/:id', ({ params }) => settingOf(store, params.id)),
    route('PUT', '/alert-group-settings/:id', ({ params, body }) => {
      const old = settingOf(store, params.id);
      const next = { id: params.id, ...validateSetting(store, body) };
      replaceIn(list(), old, next);
      return next;
    }),
    route('DELETE', '/alert-group-settings/:id', ({ params }) => {
      const setting = settingOf(store, params.id);
      replaceIn(list(), setting);
      return setting;
    }),
  ];
}
