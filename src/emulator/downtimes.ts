import { given, num, object, onlyFields, str, strings } from './_check';
import { badRequest, Json, route, Route } from './_http';
import { scopeList, ScopeKind } from './_scopes';
import { byId, replaceIn, Store, uniqueId } from './_state';

const SCOPES: Array<[string, string, ScopeKind]> = [
  ['serviceScopes', 'serviceExcludeScopes', 'service'],
  ['roleScopes', 'roleExcludeScopes', 'role'],
  ['monitorScopes', 'monitorExcludeScopes', 'monitor'],
];
const FIELDS = ['id', 'name', 'memo', 'start', 'duration', 'recurrence', ...SCOPES.flatMap(([scope, exclude]) => [scope, exclude])];
const RECURRENCE_TYPES = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function recurrence(o: Json, start: number): Json | undefined {
  if (!given(o, 'recurrence')) return undefined;
  const r = object(o.recurrence, 'recurrence');
  onlyFields(r, ['type', 'interval', 'weekdays', 'until'], 'a downtime recurrence');
  const out: Json = {
    type: str(r, 'type', { required: true, values: RECURRENCE_TYPES }),
    interval: num(r, 'interval', { required: true, integer: true, min: 1 }),
  };
  const weekdays = strings(r, 'weekdays');
  if (weekdays !== undefined) {
    if (out.type !== 'weekly') throw badRequest('recurrence.weekdays is only for the weekly type');
    const bad = weekdays.find((d) => !WEEKDAYS.includes(d));
    if (bad !== undefined) throw badRequest(`recurrence.weekdays: ${JSON.stringify(bad)} is not one of ${WEEKDAYS.join(', ')}`);
    out.weekdays = weekdays;
  }
  const until = num(r, 'until', { integer: true });
  if (until !== undefined && until <= start) throw badRequest('recurrence.until must be after start');
  if (until !== undefined) out.until = until;
  return out;
}

/** Checks a create or update body (PUT takes the same body as POST). */
function validateDowntime(store: Store, body: unknown): Json {
  const o = object(body);
  onlyFields(o, FIELDS, 'a downtime');
  const start = num(o, 'start', { required: true, integer: true, min: 0 }) as number;
  const out: Json = {
    name: str(o, 'name', { required: true }),
    memo: str(o, 'memo') ?? '',
    start,
    duration: num(o, 'duration', { required: true, integer: true, min: 1 }),
  };
  const repeat = recurrence(o, start);
  if (repeat) out.recurrence = repeat;
  for (const [scopeField, excludeField, kind] of SCOPES) {
    const scopes = scopeList(store, o, scopeField, kind);
    const excludes = scopeList(store, o, excludeField, kind);
    const both = scopes.find((s) => excludes.includes(s));
    if (both !== undefined) throw badRequest(`${JSON.stringify(both)} is in both ${scopeField} and ${excludeField}`);
    Object.assign(out, { [scopeField]: scopes, [excludeField]: excludes });
  }
  return out;
}

function downtimeOf(store: Store, id: string): Json {
  return byId(store.state.downtimes, id, 'downtime');
}

export function downtimeRoutes(store: Store): Route[] {
  const list = () => store.state.downtimes;
  return [
    route('GET', '/downtimes', () => ({ downtimes: list() })),
    route('POST', '/downtimes', ({ body }) => {
      if (object(body).id !== undefined) throw badRequest('id must not be given when creating a downtime');
      const downtime = { id: uniqueId(store.state), ...validateDowntime(store, body) };
      list().push(downtime);
      return downtime;
    }),
    route('PUT', '/downtimes/:id', ({ params, body }) => {
      const old = downtimeOf(store, params.id);
      const next = { id: params.id, ...validateDowntime(store, body) };
      replaceIn(list(), old, next);
      return next;
    }),
    route('DELETE', '/downtimes/:id', ({ params }) => {
      const downtime = downtimeOf(store, params.id);
      replaceIn(list(), downtime);
      return downtime;
    }),
  ];
}
