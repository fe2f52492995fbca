/**
 * The emulator's objects in a file, so that an emulator started for one command continues from
 * the previous one. A file that is not such a state is refused whole: objects half-read from it
 * would let the emulator accept what a real organization never holds.
 */
import { anomalyMonitorOfRole } from './_monitor-rules';
import { DEFAULT_NOTIFICATION_GROUP_ID, emptyState, EmulatorState, OBJECT_LISTS } from './_state';
import { NAME } from './services';
import { _absent, _isObject, _newerVersion, _readJsonFile, _writeJsonFile } from '../_json';

/** Absent from states saved before they were kept, which held none then; read as empty. */
const LATER_LISTS: readonly string[] = ['graphAnnotations', 'dashboards'];

/** A service or a role as the emulator makes it: a name, a memo and its metadata. */
function isNamedHolder(o: unknown): o is { [key: string]: unknown; name: string } {
  return _isObject(o) && typeof o.name === 'string' && typeof o.memo === 'string' && _isObject(o.metadata);
}

/** The name `names` holds twice, if any. */
function repeated(names: readonly string[]): string | undefined {
  return names.find((name, at) => names.indexOf(name) !== at);
}

/** Why the services and their roles are not what the emulator holds, or undefined. */
function servicesProblem(services: unknown): string | undefined {
  if (!Array.isArray(services) || !services.every((s) => isNamedHolder(s) && Array.isArray(s.roles))) {
    return 'services must be a list of { name, memo, roles, metadata }';
  }
  const roles = (services as Array<{ roles: unknown[] }>).map((s) => s.roles);
  if (!roles.every((list) => list.every(isNamedHolder))) return 'each service\'s roles must be a list of { name, memo, metadata }';
  const holders = [...services, ...roles.flat()] as Array<{ metadataModifiedAt?: unknown }>;
  const times = holders.map((h) => h.metadataModifiedAt);
  // Absent from states saved before it was kept.
  if (!times.every((t) => t === undefined || (_isObject(t) && Object.values(t).every((v) => typeof v === 'number')))) {
    return 'metadataModifiedAt must map namespaces to epoch seconds';
  }
  const twice = repeated(services.map((s) => s.name));
  if (twice !== undefined) return `two services are named ${JSON.stringify(twice)}`;
  for (const service of services as Array<{ name: string; roles: Array<{ name: string }> }>) {
    const role = repeated(service.roles.map((r) => r.name));
    if (role !== undefined) return `two roles of service ${JSON.stringify(service.name)} are named ${JSON.stringify(role)}`;
  }
  return undefined;
}

const NAME_PART = NAME.source.slice(1, -1);
/** A service name, or a role's full name `service:role`, each name as a service or role takes it. */
const SCOPE = new RegExp(`^${NAME_PART}(:${NAME_PART})?$`);
/** A role's full name `service:role`, as a role scope of a downtime or alert group setting is kept. */
const ROLE_SCOPE = new RegExp(`^${NAME_PART}:${NAME_PART}$`);

/**
 * The lists of service and role names a role's or service's delete drops from, each with the form a
 * POST or PUT stores in it: a monitor's scope as `service` or `service:role` (a read-back
 * `Service: role` is turned into that first), and a downtime's or alert group setting's service
 * scope as a service name and role scope as `service:role` (each must name an existing one).
 */
const NAME_LISTS: ReadonlyArray<{ list: string; noun: string; fields: readonly string[]; form: RegExp; kept: string }> = [
  { list: 'monitors', noun: 'monitor', fields: ['scopes', 'excludeScopes'], form: SCOPE, kept: 'a scope as a service name or service:role (no space after the colon)' },
  { list: 'downtimes', noun: 'downtime', fields: ['serviceScopes', 'serviceExcludeScopes'], form: NAME, kept: 'a service scope as a service name' },
  { list: 'downtimes', noun: 'downtime', fields: ['roleScopes', 'roleExcludeScopes'], form: ROLE_SCOPE, kept: 'a role scope as service:role (no space after the colon)' },
  { list: 'alertGroupSettings', noun: 'alert group setting', fields: ['serviceScopes'], form: NAME, kept: 'a service scope as a service name' },
  { list: 'alertGroupSettings', noun: 'alert group setting', fields: ['roleScopes'], form: ROLE_SCOPE, kept: 'a role scope as service:role (no space after the colon)' },
];

/**
 * Why a service or role name an object holds is not in the form the emulator keeps it, or
 * undefined. Every check of these names compares strings: the one anomaly detection monitor per
 * role, a role's or service's delete dropping its name (and a downtime or alert group setting it
 * leaves with no scope of a kind). A hand-edited `shop: web` would slip past them all, so it is
 * refused, as the file's other malformed objects are, rather than repaired unsaid.
 */
function nameFormProblem(value: { [list: string]: unknown }): string | undefined {
  for (const { list, noun, fields, form, kept } of NAME_LISTS) {
    for (const o of value[list] as Array<{ [key: string]: unknown }>) {
      for (const field of fields) {
        const names = o[field];
        if (names === undefined) continue;
        if (!Array.isArray(names)) return `the ${field} of ${noun} ${o.id} must be a list`;
        const bad = names.find((s) => typeof s !== 'string' || !form.test(s));
        if (bad !== undefined) return `the ${field} of ${noun} ${o.id} hold ${JSON.stringify(bad)}, and the emulator keeps ${kept}`;
      }
    }
  }
  // Always stored, also by the default group; a service's delete filters it by name.
  for (const group of value.notificationGroups as Array<{ [key: string]: unknown }>) {
    const services = group.services;
    if (!Array.isArray(services)) return `the services of notification group ${group.id} must be a list`;
    const bad = services.find((s) => !_isObject(s) || typeof s.name !== 'string' || !NAME.test(s.name));
    if (bad !== undefined) {
      return `the services of notification group ${group.id} hold ${JSON.stringify(bad)}, and the emulator keeps each as { name } with a service name`;
    }
  }
  return undefined;
}

/** Why `value` is not an emulator state, or undefined when it is one. */
function problem(value: unknown): string | undefined {
  if (!_isObject(value) || value.version !== 1) return 'not an emulator state (version 1)';
  const services = servicesProblem(value.services);
  if (services !== undefined) return services;
  for (const list of OBJECT_LISTS) {
    const items = value[list];
    if (items === undefined && LATER_LISTS.includes(list)) continue;
    if (!Array.isArray(items) || !items.every((o) => _isObject(o) && typeof o.id === 'string')) return `${list} must be a list of objects with an id`;
  }
  // One ID space for all objects, as uniqueId gives them.
  const sharedId = repeated(OBJECT_LISTS.flatMap((list) => ((value[list] ?? []) as Array<{ id: string }>).map((o) => o.id)));
  if (sharedId !== undefined) return `two objects have the ID ${JSON.stringify(sharedId)}`;
  if (!Array.isArray(value.externalIds) || !value.externalIds.every((id) => typeof id === 'string')) return 'externalIds must be a list of strings';
  // Absent from states saved before it was kept; each integration's current ID still counts then.
  const usedBy = value.externalIdsUsedBy;
  if (usedBy !== undefined && !(_isObject(usedBy) && Object.values(usedBy).every((ids) => Array.isArray(ids) && ids.every((id) => typeof id === 'string')))) {
    return 'externalIdsUsedBy must map integration IDs to lists of strings';
  }
  const names = nameFormProblem(value);
  if (names !== undefined) return names;
  const groups = value.notificationGroups as { [key: string]: unknown }[];
  if (!groups.some((g) => g.id === DEFAULT_NOTIFICATION_GROUP_ID && g.type === 'group-default')) return 'the default notification group is missing';
  return undefined;
}

/**
 * Two anomaly detection monitors of one role, as a state saved before the emulator refused the
 * second holds (Mackerel allows one per role): `role "<role>" is watched by ... A and B`, or
 * undefined. Refused rather than loaded, where every update of either would fail, or loaded with
 * one dropped, which would lose a monitor unsaid; the file's owner picks which one goes.
 */
function twoAnomalyMonitorsOfARole(monitors: ReadonlyArray<{ [key: string]: unknown }>): string | undefined {
  for (const [i, m] of monitors.entries()) {
    const watched = anomalyMonitorOfRole(monitors.slice(0, i), m, m.id);
    if (watched) return `role ${JSON.stringify(watched.role)} is watched by the anomaly detection monitors ${watched.other.id} and ${m.id}`;
  }
  return undefined;
}

/**
 * A file that is JSON but none of an emulator state: a path given by mistake (the cloud assembly's
 * manifest.json, the apply state), which must not be advised away as a damaged state would be.
 */
export class NotEmulatorStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotEmulatorStateError';
  }
}

/** Fields only an emulator state has, one of which any state saved by any version holds. */
const STATE_FIELDS: readonly string[] = ['services', 'externalIds', ...OBJECT_LISTS];

/**
 * What a JSON value that holds none of an emulator state's fields reads as, or undefined when it
 * holds one (a state, damaged or not): said rather than advising to remove the file.
 */
function otherFile(value: unknown): string | undefined {
  if (_isObject(value) && STATE_FIELDS.some((field) => field in value)) return undefined;
  if (!_isObject(value)) return Array.isArray(value) ? 'a JSON list' : `JSON ${value === null ? 'null' : `of type ${typeof value}`}`;
  if (_isObject(value.artifacts) || (typeof value.version === 'string' && 'artifacts' in value)) return 'a cloud assembly manifest (manifest.json of cdk.out)';
  if (_isObject(value.stacks) && 'pendingDeletes' in value) return 'a cdk-mackerel state file (the one --state names)';
  if (_isObject(value.Resources)) return 'a CloudFormation template';
  return 'a JSON object of another shape';
}

/** Reads a saved state; undefined when the file does not exist yet. */
export function readEmulatorState(file: string): EmulatorState | undefined {
  if (_absent(file, `emulator state ${file}`)) return undefined;
  const parsed = _readJsonFile(file, `emulator state ${file}`, '; fix or remove it');
  const other = otherFile(parsed);
  if (other !== undefined) {
    throw new NotEmulatorStateError(`${file} is not an emulator state: it reads as ${other}, and an emulator state is a JSON object with version 1 `
      + 'and the emulator\'s objects (services, monitors, channels, ...); give the file an emulator saved, or a path where none exists yet to start an empty emulator');
  }
  // Its objects are whole, for the version that wrote it: removing the file, as for a damaged one, would lose them.
  const newer = _newerVersion(parsed, `emulator state ${file}`, 'use that version with it, or remove it only if losing the objects it holds is fine');
  if (newer) throw new Error(newer);
  const why = problem(parsed);
  if (why) throw new Error(`emulator state ${file} is refused: ${why}; remove it to start an empty emulator`);
  const twice = twoAnomalyMonitorsOfARole((parsed as { monitors: Array<{ [key: string]: unknown }> }).monitors);
  if (twice) {
    throw new Error(`emulator state ${file} is refused: ${twice}, and Mackerel allows one per role (a state saved before the emulator refused the second): `
      + 'delete one of them from monitors, or remove the file to start an empty emulator');
  }
  const { version, ...state } = parsed as { version: 1 } & EmulatorState;
  return { ...emptyState(), ...state };
}

/** Writes the state atomically (temp file + rename), like the apply state. */
export function writeEmulatorState(file: string, state: EmulatorState): void {
  _writeJsonFile(file, { version: 1, ...state });
}

/**
 * True when the state holds no object but the organization's default notification group.
 * Issued external IDs that no integration used yet do not count: Mackerel has no call to delete
 * one, and a later integration may still name it.
 */
export function isEmptyState(state: EmulatorState): boolean {
  return JSON.stringify({ ...state, externalIds: [] }) === JSON.stringify(emptyState());
}
