/**
 * The diff engine: what applying the template would do (create, change field by field,
 * replace, delete) and what changed in Mackerel outside the template (drift), by comparing
 * the live objects with the properties last applied.
 */
import { _Get } from './api';
import { _App } from './assembly';
import { _LiveObject, _readLive } from './live';
import { _Environment, _StackPlan, _planStack, _sameJson } from './plan';
import { _StateFile, _StateResource } from './state';
import { _isObject } from '../_json';

/** One field that differs; `old`/`new` undefined means absent. @internal */
export interface _FieldChange {
  readonly field: string;
  readonly old?: unknown;
  readonly new?: unknown;
}

/** One object that differs. @internal */
export interface _DiffEntry {
  readonly kind: 'create' | 'update' | 'replace' | 'delete' | 'drift' | 'gone';
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId?: string;
  readonly name?: string;
  readonly changes: _FieldChange[];
}

/** Text standing for a value only an apply can know (a Mackerel ID not created yet). @internal */
export const _KNOWN_AFTER_APPLY = (what: string) => `(known after apply: ${what})`;

/** Field-by-field changes between two JSON values; objects are walked, lists compared whole. @internal */
export function _fieldChanges(old: unknown, now: unknown, prefix = ''): _FieldChange[] {
  if (_isObject(old) && _isObject(now)) {
    const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
    return keys.flatMap((k) => _fieldChanges(old[k], now[k], prefix ? `${prefix}.${k}` : k));
  }
  return _sameJson(old, now) ? [] : [{ field: prefix || '(value)', old, new: now }];
}

/** Fields whose change makes the handler replace the object (mackerel-api.md section 8; _properties.ts). @internal */
export function _replacingFields(type: string, props: { readonly [key: string]: unknown }): string[] {
  switch (type) {
    case 'Custom::MackerelService': return ['name'];
    case 'Custom::MackerelRole': return ['service', 'name'];
    case 'Custom::MackerelChannel': return ['type'];
    case 'Custom::MackerelMonitor': {
      const kind = props.type;
      return ['type', ...(kind === 'host' || kind === 'service' ? ['metric'] : []), ...(kind === 'service' ? ['service'] : []), ...(kind === 'query' ? ['query'] : [])];
    }
    default: return [];
  }
}

/** What applying would do to one stack, compared with the state (no API calls). @internal */
export function _planDiff(plan: _StackPlan, state: _StateFile): _DiffEntry[] {
  const held = state.stacks[plan.stackName]?.resources ?? {};
  const entries: _DiffEntry[] = [];
  for (const id of plan.order) {
    const type = plan.resources[id].Type;
    const props = plan.properties(id, _KNOWN_AFTER_APPLY);
    const base = { stackName: plan.stackName, logicalId: id, type, name: nameOf(props) };
    const before = held[id];
    if (!before || before.type !== type) {
      entries.push({ ...base, kind: 'create', changes: _fieldChanges({}, props) });
      continue;
    }
    const changes = _fieldChanges(before.properties, props);
    if (changes.length === 0) continue;
    const replacing = _replacingFields(type, before.properties);
    const replaces = changes.some((c) => replacing.includes(c.field));
    entries.push({ ...base, kind: replaces ? 'replace' : 'update', physicalId: before.physicalId, changes });
  }
  for (const [id, before] of Object.entries(held)) {
    if (!plan.resources[id]) entries.push({ ...entryBase(plan.stackName, id, before), kind: 'delete', changes: [] });
  }
  return entries;
}

/**
 * Drift of one object: the fields where the live object differs from the properties last
 * applied. Live values are stringified like CloudFormation's, role scopes read back as
 * `Service: role` are normalized, and fields the template never set count only when the live
 * value is not empty (server-added defaults such as `isMute: false` or `memo: ""` are not drift).
 * Dynamic references (`{{resolve:...}}`) are not compared: the template never held the value.
 * @internal
 */
export function _driftOf(
  type: string, applied: { readonly [key: string]: unknown }, live: { readonly [key: string]: unknown }, knownFields: readonly string[] = [],
): _FieldChange[] {
  const defaults = readBackDefaults(type, applied);
  const keys = [...new Set([...Object.keys(applied), ...knownFields.filter((k) => k in live)])].sort();
  return keys.flatMap((k) => {
    const value = normalize(k, live[k]);
    if (applied[k] === undefined && defaults[k] !== undefined && _sameJson(defaults[k], value)) return [];
    return driftField(k, applied[k], value);
  });
}

/** Values the API fills in for a field left out (stringified), by monitor type. */
const MONITOR_DEFAULTS: { readonly [monitorType: string]: { readonly [field: string]: string } } = {
  host: { maxCheckAttempts: '1' },
  service: { maxCheckAttempts: '1' },
  external: { maxCheckAttempts: '1', method: 'GET' },
  connectivity: { alertStatusOnGone: 'CRITICAL' },
  expression: { evaluateBackwardMinutes: '2' },
  query: { evaluateBackwardMinutes: '0' },
  anomalyDetection: { maxCheckAttempts: '3' },
};

/** What the API fills in when the template left a field out: not drift when it is still that value. */
function readBackDefaults(type: string, applied: { readonly [key: string]: unknown }): { readonly [field: string]: unknown } {
  if (type !== 'Custom::MackerelMonitor') return {};
  return MONITOR_DEFAULTS[String(applied.type)] ?? {};
}

function driftField(path: string, applied: unknown, live: unknown): _FieldChange[] {
  if (typeof applied === 'string' && applied.startsWith('{{resolve:')) return [];
  if (applied === undefined && isEmpty(live)) return [];
  if (_isObject(applied) && _isObject(live)) {
    const keys = [...new Set([...Object.keys(applied), ...Object.keys(live)])].sort();
    return keys.flatMap((k) => driftField(`${path}.${k}`, applied[k], live[k]));
  }
  // Both sides: an empty field the template set (skipDefault "false") equals one the server added.
  return _sameJson(dropEmpty(applied), dropEmpty(live)) ? [] : [{ field: path, old: applied, new: live }];
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 'false' || (Array.isArray(v) && v.length === 0) || (_isObject(v) && Object.keys(v).length === 0);
}

/** Inside lists of objects, empty server-added fields are dropped before comparing. */
function dropEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropEmpty);
  if (_isObject(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => !isEmpty(x)).map(([k, x]) => [k, dropEmpty(x)]));
  return v;
}

const SCOPE_FIELD = /scopes$/i;

function normalize(field: string, value: unknown): unknown {
  const stringified = stringify(value);
  if (SCOPE_FIELD.test(field) && Array.isArray(stringified)) {
    // The API reads role scopes back as "Service: role".
    return stringified.map((s) => (typeof s === 'string' ? s.replace(/^([^:\s]+):\s+/, '$1:') : s));
  }
  return stringified;
}

function stringify(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringify);
  if (_isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringify(v)]));
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

/** Drift of every object the state holds for a stack, read from the live API. @internal */
export async function _stackDrift(
  stackName: string, state: _StateFile, get: _Get, knownFields: (type: string) => readonly string[],
): Promise<_DiffEntry[]> {
  const entries: _DiffEntry[] = [];
  for (const [id, held] of Object.entries(state.stacks[stackName]?.resources ?? {})) {
    const live: _LiveObject = await _readLive(get, held.type, held.physicalId);
    if (live === 'unreadable') continue;
    const base = entryBase(stackName, id, held);
    if (live === undefined) {entries.push({ ...base, kind: 'gone', changes: [] });} else {
      const changes = _driftOf(held.type, held.properties, live, knownFields(held.type));
      if (changes.length > 0) entries.push({ ...base, kind: 'drift', changes });
    }
  }
  return entries;
}

function entryBase(stackName: string, logicalId: string, held: _StateResource) {
  return { stackName, logicalId, type: held.type, physicalId: held.physicalId, name: nameOf(held.properties) };
}

/** Plan and drift of every stack of the app. @internal */
export async function _diff(
  app: _App, state: _StateFile, get: _Get, env: _Environment, notice: (m: string) => void, knownFields: (type: string) => readonly string[],
): Promise<_DiffEntry[]> {
  const entries: _DiffEntry[] = [];
  for (const stack of app.stacks) {
    const plan = _planStack(stack, state, env, notice);
    entries.push(...(await _stackDrift(stack.stackName, state, get, knownFields)), ..._planDiff(plan, state));
  }
  return entries;
}

function nameOf(props: { readonly [key: string]: unknown }): string | undefined {
  return typeof props.name === 'string' ? props.name : undefined;
}
