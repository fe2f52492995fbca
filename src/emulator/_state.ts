import { randomBytes } from 'node:crypto';
import { Json, notFound } from './_http';

/** What holds metadata: a service or a role. */
export interface MetadataHolder {
  readonly metadata: { [namespace: string]: unknown };
  /**
   * When each namespace was last put, in epoch seconds, for the `Last-Modified` of a read. Absent
   * until the first put, and from states saved before it was kept (their namespaces have none).
   */
  metadataModifiedAt?: { [namespace: string]: number };
}

/** A role as the emulator holds it. */
export interface RoleRecord extends MetadataHolder {
  readonly name: string;
  readonly memo: string;
}

/** A service as the emulator holds it. */
export interface ServiceRecord extends MetadataHolder {
  readonly name: string;
  readonly memo: string;
  readonly roles: RoleRecord[];
}

/**
 * Everything the emulator holds. Objects are kept as the API returns them, except monitor
 * scopes (kept as sent, `service:role`; GET turns them into `Service: role`) and AWS
 * integrations (which keep `secretKey`, never returned by the API).
 */
export interface EmulatorState {
  readonly services: ServiceRecord[];
  readonly monitors: Json[];
  readonly channels: Json[];
  readonly notificationGroups: Json[];
  readonly alertGroupSettings: Json[];
  readonly downtimes: Json[];
  readonly awsIntegrations: Json[];
  /** As the API returns them: a service-wide annotation has no `roles` key. */
  readonly graphAnnotations: Json[];
  readonly dashboards: Json[];
  /** The external IDs issued and still reusable. */
  readonly externalIds: string[];
  /**
   * Every external ID each AWS integration has used, by integration ID: one it moved away from
   * stays reusable until that integration is deleted too.
   */
  readonly externalIdsUsedBy: { [awsIntegrationId: string]: string[] };
}

/** The lists of objects that have an `id`, each in its own ID space of the organization. */
export const OBJECT_LISTS = [
  'monitors', 'channels', 'notificationGroups', 'alertGroupSettings', 'downtimes', 'awsIntegrations', 'graphAnnotations', 'dashboards',
] as const;

/** The org's members, the only user IDs an email channel may name. */
export const EMULATOR_USER_IDS: readonly string[] = ['4tdsuyEpbB7', '4tdsuyF5Lh3'];

/** The ID of the org's default notification group (`type: group-default`). */
export const DEFAULT_NOTIFICATION_GROUP_ID = '2cSZzK3XfmA';

export function emptyState(): EmulatorState {
  return {
    services: [],
    monitors: [],
    channels: [],
    notificationGroups: [{
      id: DEFAULT_NOTIFICATION_GROUP_ID,
      name: 'Default',
      type: 'group-default',
      notificationLevel: 'all',
      childNotificationGroupIds: [],
      childChannelIds: [],
      monitors: [],
      services: [],
    }],
    alertGroupSettings: [],
    downtimes: [],
    awsIntegrations: [],
    graphAnnotations: [],
    dashboards: [],
    externalIds: [],
    externalIdsUsedBy: {},
  };
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** A random ID shaped like Mackerel's (11 base58 characters, e.g. `2cSZzK3XfmG`). */
export function newId(length = 11): string {
  return Array.from(randomBytes(length), (byte) => BASE58[byte % BASE58.length]).join('');
}

/** Every object ID the state holds. */
function idsIn(state: EmulatorState): Set<string> {
  return new Set(OBJECT_LISTS.flatMap((list) => state[list].map((o) => o.id as string)));
}

/**
 * A new object ID. Random IDs are already unique in practice; checking against the held ones
 * makes it certain, also for objects loaded from a previous run's saved state.
 */
export function uniqueId(state: EmulatorState): string {
  const taken = idsIn(state);
  let id = newId();
  while (taken.has(id)) id = newId();
  return id;
}

/** Finds a service by name. */
export function findService(state: EmulatorState, name: string): ServiceRecord | undefined {
  return state.services.find((s) => s.name === name);
}

/** True when `scope` names an existing service, or an existing role as `service:role`. */
export function scopeExists(state: EmulatorState, scope: string): boolean {
  const [serviceName, roleName, ...rest] = scope.split(':');
  if (rest.length > 0) return false;
  const service = findService(state, serviceName);
  if (!service) return false;
  return roleName === undefined || service.roles.some((r) => r.name === roleName);
}

/** The live state, replaced as a whole on reset. */
export interface Store {
  state: EmulatorState;
}

function without(list: unknown, value: unknown): unknown {
  return Array.isArray(list) ? list.filter((v) => v !== value) : list;
}

/**
 * Undocumented and chosen here: deleting a monitor, channel or notification group also drops
 * the references other objects hold to it, as Mackerel's UI does (no dangling IDs).
 */
export function forgetMonitor(state: EmulatorState, id: string): void {
  for (const group of state.notificationGroups) {
    group.monitors = (group.monitors as Json[]).filter((m) => m.id !== id);
  }
  for (const setting of state.alertGroupSettings) setting.monitorScopes = without(setting.monitorScopes, id);
  for (const downtime of state.downtimes) {
    downtime.monitorScopes = without(downtime.monitorScopes, id);
    downtime.monitorExcludeScopes = without(downtime.monitorExcludeScopes, id);
  }
}

export function forgetChannel(state: EmulatorState, id: string): void {
  for (const group of state.notificationGroups) group.childChannelIds = without(group.childChannelIds, id);
}

export function forgetNotificationGroup(state: EmulatorState, id: string): void {
  for (const group of state.notificationGroups) group.childNotificationGroupIds = without(group.childNotificationGroupIds, id);
}

/** True when `scope` is the service itself or one of its roles (`service:role`). */
export function inService(scope: unknown, service: string): boolean {
  return scope === service || (typeof scope === 'string' && scope.startsWith(`${service}:`));
}

function withoutScopes(list: unknown, gone: (scope: unknown) => boolean): unknown {
  return Array.isArray(list) ? list.filter((scope) => !gone(scope)) : list;
}

/** Drops the scopes `gone` picks from alert group settings, downtimes and monitors. */
function forgetScopes(state: EmulatorState, gone: (scope: unknown) => boolean): void {
  for (const setting of state.alertGroupSettings) {
    setting.serviceScopes = withoutScopes(setting.serviceScopes, gone);
    setting.roleScopes = withoutScopes(setting.roleScopes, gone);
  }
  for (const downtime of state.downtimes) {
    for (const field of ['serviceScopes', 'serviceExcludeScopes', 'roleScopes', 'roleExcludeScopes']) {
      downtime[field] = withoutScopes(downtime[field], gone);
    }
  }
  for (const monitor of state.monitors) {
    for (const field of ['scopes', 'excludeScopes']) {
      if (monitor[field] !== undefined) monitor[field] = withoutScopes(monitor[field], gone);
    }
  }
}

/**
 * Undocumented and chosen here, as for monitors: deleting a service drops the names of it and
 * its roles from notification groups, alert group settings, downtimes and monitor scopes, so
 * that no GET lists a service or role that no longer exists.
 */
export function forgetService(state: EmulatorState, service: string): void {
  for (const group of state.notificationGroups) group.services = (group.services as Json[]).filter((s) => s.name !== service);
  forgetScopes(state, (scope) => inService(scope, service));
}

/**
 * Undocumented and chosen here, as for a service: deleting a role drops its full name
 * (`service:role`) from alert group settings, downtimes and monitor scopes. Notification groups
 * name services only.
 */
export function forgetRole(state: EmulatorState, fullname: string): void {
  forgetScopes(state, (scope) => scope === fullname);
}

/**
 * The scope kinds Mackerel ANDs (the alerting constructs' docs): a list of one kind names any of
 * its entries, so dropping a name narrows it, but emptying it drops the condition. Downtimes AND
 * services, roles and monitors; alert group settings, services and roles together and monitors.
 */
const SCOPE_KINDS: ReadonlyArray<readonly ['downtimes' | 'alertGroupSettings', ReadonlyArray<readonly string[]>]> = [
  ['downtimes', [['serviceScopes'], ['roleScopes'], ['monitorScopes']]],
  ['alertGroupSettings', [['serviceScopes', 'roleScopes'], ['monitorScopes']]],
];

/**
 * Runs `cascade` (what a delete drops from other objects), then deletes the downtimes and alert
 * group settings one of whose scope kinds it emptied: left, a downtime of one role would mute
 * every monitor of the organization (or of the other kinds' scopes), and a setting group every
 * alert, the widening for which a monitor whose scopes are all gone is deleted too. Exclude
 * scopes are no kind: what a dropped exclude named is gone, so the downtime still spares every
 * monitor it spared, and an emptied exclude list leaves it as narrow as it was.
 */
export function deletingWidened(state: EmulatorState, cascade: () => void): void {
  const named = (o: Json, kind: readonly string[]) => kind.some((field) => Array.isArray(o[field]) && (o[field] as unknown[]).length > 0);
  const before = new Map(SCOPE_KINDS.map(([list, kinds]) => [list, new Map(state[list].map((o) => [o, kinds.filter((k) => named(o, k))]))]));
  cascade();
  for (const [list] of SCOPE_KINDS) {
    for (const o of state[list].filter((x) => before.get(list)!.get(x)?.some((kind) => !named(x, kind)))) replaceIn(state[list], o);
  }
}

/** Replaces `old` by `next` in `list` (same position), or removes it when `next` is undefined. */
export function replaceIn(list: Json[], old: Json, next?: Json): void {
  const at = list.indexOf(old);
  if (next) list[at] = next;
  else list.splice(at, 1);
}

/** The object of `list` with this ID, or the API's 404 (`<noun> is not found.`). */
export function byId(list: Json[], id: string, noun: string): Json {
  const found = list.find((o) => o.id === id);
  if (!found) throw notFound(`${noun} is not found.`);
  return found;
}
