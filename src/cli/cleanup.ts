/**
 * diff's prediction of apply's cleanup, which follows every create and update of the run: for
 * each stack, the objects removed from its template and the old objects of its replacements, each
 * shown as apply's cleanup will treat it (deleted, retained by a policy, let go of for a move, or
 * left by the handler), from what the rest of the run does before it (`_BeforeCleanup`).
 */
import type { _DiffEntry } from './diff';
import { _KNOWN_AFTER_APPLY } from './intrinsics';
import { _LiveObject } from './live';
import { _nameOf, _tiedService } from './named';
import { _PendingDelete, _StackPlan, _Unknowns, _cleanupOrder } from './plan';
import { _PolicyAttribute, _goneWith, _retainReason, _retainedMonitorScopes, _retaining } from './policy';
import { _SCOPED_LISTS } from './scoped';
import { _StateFile, _StateResource } from './state';
import { _isObject } from '../_json';
import { _METADATA_TYPES, _RESOURCE_TYPES } from '../provider/_properties';
import { ScopedLists, leftForContents, leftForScopes } from '../provider/handler/owned';
import { KEPT_AS_HISTORY } from '../provider/handler/resources/graph-annotation';
import { HELD_BY_ANOTHER, metadataPhysicalId } from '../provider/handler/resources/metadata';
import { objectsScopingRole } from '../provider/handler/resources/role';
import { objectsScopingService, roleObject } from '../provider/handler/resources/service';

/** A stack of the run with the entries of its plan (`_planDiff`). @internal */
export interface _PlannedStack {
  readonly plan: _StackPlan;
  readonly entries: readonly _DiffEntry[];
}

/** What `_planDiff` found for a stack before its cleanup. @internal */
export interface _BeforeStackCleanup {
  /** Its creates, updates, replacements, moves and kept fields. */
  readonly entries: readonly _DiffEntry[];
  /** The removed resources whose object a created one takes over (a move). */
  readonly movedFrom: ReadonlySet<string>;
  /** The resources it creates or replaces (`_Unknowns.pending`), this stack's among them. */
  readonly unknowns: _Unknowns;
  readonly live: (logicalId: string) => _LiveObject;
  /**
   * The live object of an old object of a replacement that an earlier apply left to delete (the
   * state's pending deletes), by type and physical ID: the state's resource holds the new one.
   */
  readonly oldLive: (type: string, physicalId: string) => _LiveObject;
}

/**
 * The entries of a stack's plan with its cleanup's added: the old object of a replacement that the
 * handler will leave, or that another resource takes over, says so, and each object the cleanup
 * deletes gets its entry. @internal
 */
export function _withCleanup(plan: _StackPlan, state: _StateFile, found: _BeforeStackCleanup, beforeCleanup: _BeforeCleanup): _DiffEntry[] {
  const held = state.stacks[plan.stackName]?.resources ?? {};
  const { movedFrom, unknowns, live, oldLive } = found;
  // The resources of the template that hold an object after the run: every create and update comes before the cleanup.
  const holders = (type: string, physicalId: string) => Object.keys(plan.resources)
    .filter((id) => plan.resources[id].Type === type && _heldAfterRun(plan, id, unknowns) === physicalId);
  // The old object of a replacement that another resource of the stack holds after the run (two services that swap names),
  // which apply reports released whatever the policy: it stays in Mackerel either way.
  const entries = found.entries.map((e) => {
    const takenBy = e.kind === 'replace' && e.physicalId !== undefined ? holders(e.type, e.physicalId).find((other) => other !== e.logicalId) : undefined;
    if (takenBy === undefined) return e;
    const { retainedBy: _kept, ...taken } = e;
    return { ...taken, takenBy: `${plan.stackName}/${takenBy}` };
  });
  const leftovers = state.pendingDeletes.filter((p) => p.stackName === plan.stackName);
  const heldLater = laterHolders(plan, held, leftovers);
  // Each old object no resource of the state holds at its turn (a metadata construct moved to another stack too).
  entries.push(...leftovers.filter((left) => holders(left.type, left.physicalId).length === 0 && !heldLater(left, left.type, left.physicalId)
    && !beforeCleanup.heldElsewhere.has(deletedKey(left.type, left.physicalId))).map((left) => leftoverEntry(plan.stackName, left)));
  const removed = Object.keys(held).filter((id) => !plan.resources[id] && !movedFrom.has(id));
  // The old objects of replacements are deleted in the same cleanup, each before what it referred to.
  const goneFirst = { ...beforeCleanup, deleted: new Set([...beforeCleanup.deleted, ...cleanupDeletes(entries)]) };
  // The old object of a renamed service, deleted by that cleanup, is left as a removed one is, and so is
  // one an earlier apply that stopped left to delete.
  const leaveOld = (services: boolean, run: _BeforeCleanup) => entries.forEach((e, i) => {
    if ((e.type === SERVICE) !== services) return;
    if (e.kind === 'replace' && e.retainedBy === undefined && e.takenBy === undefined) {
      const leftBecause = ownedLeft(held[e.logicalId], live(e.logicalId), held, removed, run);
      if (leftBecause) entries[i] = { ...e, leftBecause };
    } else if (e.kind === 'delete' && e.leftover && e.physicalId !== undefined) {
      const leftBecause = ownedLeft({ type: e.type, physicalId: e.physicalId }, oldLive(e.type, e.physicalId), held, removed, run);
      if (leftBecause) entries[i] = { ...e, kind: 'leave', leftBecause };
    }
  });
  leaveOld(false, goneFirst);
  // A role the handler leaves for what still names it in scopes (a downtime a policy retains) is not gone before its
  // service's delete, which it keeps: an old one, or a removed one. The other removed roles and monitors are deleted
  // before their service, as they refer to it. Only a role the service's live object lists counts there, so a removed
  // role stands in for its live object (`{}`).
  const rolesLeft = _withoutLeftRoles(goneFirst, entries) ?? goneFirst;
  const removedFirst = removed.map((id) => held[id]).filter((r) => DELETED_FIRST.includes(r.type) && !_retaining(r.deletionPolicy)
    && (r.type !== ROLE || scopesLeft(r, {}, held, removed, goneFirst) === undefined)).map((r) => deletedKey(r.type, r.physicalId));
  const servicesLast = { ...goneFirst, deleted: new Set([...rolesLeft.deleted, ...removedFirst]) };
  leaveOld(true, servicesLast);
  for (const id of removed) {
    const before = held[id];
    // A move whose apply stopped before the old resource let go: both hold the object, and the old one's delete only lets go of it;
    // so does a resource renamed to the name of a removed one, which takes its object over.
    const takenBy = holders(before.type, before.physicalId).find((other) => held[other] !== undefined);
    if (takenBy !== undefined) {
      entries.push({ ..._entryBase(plan.stackName, takenBy, before), kind: 'move', from: id, changes: [] });
      continue;
    }
    const kind = deleteKind('DeletionPolicy', before.deletionPolicy);
    const leftBecause = kind.kind !== 'delete' ? undefined
      : before.type === GRAPH_ANNOTATION ? KEPT_AS_HISTORY
        : _METADATA_TYPES.includes(before.type) ? metadataLeft(before, goneFirst, heldLater(id, before.type, before.physicalId))
          : ownedLeft(before, live(id), held, removed, servicesLast);
    entries.push({ ..._entryBase(plan.stackName, id, before), ...(leftBecause ? { kind: 'leave', leftBecause } : kind), changes: [] });
  }
  return entries;
}

/**
 * Whether a removed resource of the stack holds an object at the turn of one delete of its cleanup,
 * in apply's order (`_cleanupOrder`): one whose delete comes later keeps the object from that delete
 * (a move that stopped before the old resource let go, then removed).
 */
function laterHolders(
  plan: _StackPlan, held: { readonly [id: string]: _StateResource }, leftovers: readonly _PendingDelete[],
): (step: string | _PendingDelete, type: string, physicalId: string) => boolean {
  const order = _cleanupOrder(held, Object.keys(held).filter((id) => !plan.resources[id]), leftovers)
    .map((step) => ('old' in step ? step.old : step.removed));
  return (step, type, physicalId) => order.slice(order.indexOf(step) + 1)
    .some((later) => typeof later === 'string' && held[later].type === type && held[later].physicalId === physicalId);
}

/** The entry of an old object of a replacement that an earlier apply left to delete: a delete, or a retain when its policy keeps it. */
function leftoverEntry(stackName: string, left: _PendingDelete): _DiffEntry {
  const { logicalId, type, physicalId } = left;
  const kind = deleteKind('UpdateReplacePolicy', left.updateReplacePolicy);
  const leftBecause = kind.kind === 'delete' && type === GRAPH_ANNOTATION ? KEPT_AS_HISTORY : undefined;
  return { stackName, logicalId, type, physicalId, leftover: true, changes: [], ...(leftBecause ? { kind: 'leave', leftBecause } : kind) };
}

// A graph annotation is never deleted by the handler (KEPT_AS_HISTORY); a service's delete takes its roles and monitors.
const { GRAPH_ANNOTATION, ROLE, MONITOR, SERVICE } = _RESOURCE_TYPES;

/**
 * What the run does before a stack's cleanup that decides whether the handler leaves a removed
 * service (`serviceLeft`). @internal
 */
export interface _BeforeCleanup {
  /**
   * The roles and monitors (`deletedKey`) gone by then: deleted by the cleanups of the stacks
   * before it (`_AppPlan.cleanupOrder`), or updated off their service (every update comes before every
   * cleanup).
   */
  readonly deleted: ReadonlySet<string>;
  /**
   * By service name, the roles and monitors the run creates, replaces or updates that are tied to
   * that service after it (`_tiedService`): ones naming a removed service by a literal name keep
   * its delete from the handler, as it would delete them.
   */
  readonly tied: ReadonlyMap<string, readonly _Tied[]>;
  /**
   * The metadata namespaces (`deletedKey`) a resource of another stack holds by then: one the run
   * creates or keeps there (a construct moved to that stack), or that a stack not in the run, or
   * one whose cleanup comes later, still holds in the state.
   */
  readonly heldElsewhere: ReadonlySet<string>;
  /**
   * The monitors, downtimes and alert group settings (`deletedKey`) the run updates, with their
   * properties after it: every update comes before every cleanup, so their scopes then are these.
   */
  readonly rescoped: ReadonlyMap<string, { readonly [key: string]: unknown }>;
  /**
   * The monitors, downtimes and alert group settings the run creates, or the new objects of those
   * it replaces, each with its type and its properties, and as `id` what the handler's label shows
   * for the ID Mackerel gives it: every create comes before every cleanup, so their scopes count too.
   */
  readonly created: ReadonlyArray<{ readonly type: string; readonly properties: { readonly [key: string]: unknown }; readonly id: string }>;
  /**
   * The monitors, downtimes and alert group settings Mackerel has, as its lists give them (read live
   * by diff when a stack deletes a role or service): the handler leaves a role or service that one
   * of them still names in its scopes (`scopesLeft`). Undefined when not read.
   */
  readonly scoped?: ScopedLists;
}

/** A role or monitor tied to a service: its type, its `deletedKey` (once it has a Mackerel ID) and its label, in the handler's words. @internal */
export interface _Tied {
  readonly type: string;
  readonly key?: string;
  readonly label: string;
}

/** A stack whose cleanup nothing of the run comes before. @internal */
export const _NOTHING_BEFORE: _BeforeCleanup = { deleted: new Set(), tied: new Map(), heldElsewhere: new Set(), rescoped: new Map(), created: [] };

/**
 * Why the handler will leave a removed metadata resource's namespace: under the CLI, it leaves one
 * that a resource of any stack of the state holds (a construct moved to another stack, which wrote
 * the value before this cleanup), as apply's `left` line says; `heldLater` says a removed resource
 * of its own stack holds it until a later delete. One moved within the stack is a `move`.
 */
function metadataLeft(before: _StateResource, run: _BeforeCleanup, heldLater: boolean): string | undefined {
  return heldLater || run.heldElsewhere.has(deletedKey(before.type, before.physicalId)) ? HELD_BY_ANOTHER : undefined;
}

/**
 * The physical ID a resource of the template has after the run, when it is known: the state's, for
 * one the run leaves as it is, and for a service, role or metadata resource that it creates or
 * replaces, the one its properties make (a name, or a place). @internal
 */
export function _heldAfterRun(plan: _StackPlan, logicalId: string, unknowns: _Unknowns): string | undefined {
  const type = plan.resources[logicalId].Type;
  return plan.produced(logicalId, unknowns)?.physicalId
    ?? (_METADATA_TYPES.includes(type) ? metadataPhysicalId(type, plan.properties(logicalId, unknowns)) : undefined);
}

/**
 * Why the handler will leave a removed service in Mackerel rather than delete it, read from the
 * roles its live object lists and the monitors tied to it (`monitors`, read for a removed service),
 * and the roles and monitors the run ties to it (`run.tied`): one the run does not delete
 * before it (made outside, another stack's, a removed one of this stack that a policy retains, or
 * one of the template naming the service by a literal name) would be deleted with it.
 * `run.deleted` (`deletedKey`) holds what the cleanups of the stacks before this one delete
 * (`_AppPlan.cleanupOrder`), which is gone by then, as are the roles and monitors of this stack removed
 * from its template (but a role the handler leaves for scopes: `_withCleanup` adds them), and the
 * monitors the run updates to another service.
 */
function serviceLeft(before: Pick<_StateResource, 'type' | 'physicalId'>, object: _LiveObject, run: _BeforeCleanup): string | undefined {
  if (before.type !== 'Custom::MackerelService' || !_isObject(object) || !Array.isArray(object.roles)) return undefined;
  const tied = run.tied.get(before.physicalId) ?? [];
  const roles = object.roles.filter((role): role is string => typeof role === 'string')
    .map((role) => ({ type: ROLE, key: deletedKey(ROLE, `${before.physicalId}:${role}`), label: roleObject(before.physicalId, role).label }));
  const monitors = (Array.isArray(object.monitors) ? object.monitors as Array<{ id: string; label: string }> : [])
    .map((m) => ({ type: MONITOR, key: deletedKey(MONITOR, m.id), label: m.label }));
  // Once each: a monitor tied live that the run updates stays tied.
  const once = (list: readonly _Tied[]) => [...new Map(list.map((t) => [t.key ?? t.label, t.label])).values()];
  const rolesLeft = once([...roles.filter((t) => !run.deleted.has(t.key)), ...tied.filter((t) => t.type === ROLE)]);
  const monitorsLeft = once([...monitors.filter((t) => !run.deleted.has(t.key)), ...tied.filter((t) => t.type === MONITOR)]);
  return rolesLeft.length + monitorsLeft.length > 0 ? leftForContents(rolesLeft, monitorsLeft) : undefined;
}

/** What a service's delete would delete with it: a removed one is deleted before it, as it refers to it. */
const DELETED_FIRST: string[] = [ROLE, MONITOR];

/**
 * The types whose objects' scopes name roles and services, which the cleanup deletes before a role
 * or service they name (`_cleanupOrder`), and by list of `ScopedLists` the types it holds.
 */
const SCOPING_TYPES: string[] = Object.keys(_SCOPED_LISTS);
const SCOPING: ReadonlyArray<{ readonly list: keyof ScopedLists; readonly types: readonly string[] }> = [...new Set(Object.values(_SCOPED_LISTS))]
  .map((list) => ({ list, types: SCOPING_TYPES.filter((type) => _SCOPED_LISTS[type] === list) }));

/**
 * `before` of a stack's cleanup without the roles the cleanups of the run leave (`run`, a role's
 * `leftBecause`), or undefined when it counts none of them as deleted: a role the cleanup of a stack
 * before it leaves, for what still names it in scopes, is still there when its service's delete comes,
 * as is an old role its own cleanup leaves (`_withCleanup`).
 * @internal
 */
export function _withoutLeftRoles(before: _BeforeCleanup, run: readonly _DiffEntry[]): _BeforeCleanup | undefined {
  const left = new Set(run.filter((e) => e.type === ROLE && e.leftBecause !== undefined && e.physicalId !== undefined)
    .map((e) => deletedKey(e.type, e.physicalId!)));
  if (![...before.deleted].some((key) => left.has(key))) return undefined;
  return { ...before, deleted: new Set([...before.deleted].filter((key) => !left.has(key))) };
}

/** Why the handler will leave a removed role or service: what it would delete with it (a service's), or what still names it in scopes. */
function ownedLeft(
  before: Pick<_StateResource, 'type' | 'physicalId'>, object: _LiveObject, held: { readonly [id: string]: _StateResource }, removed: readonly string[],
  run: _BeforeCleanup,
): string | undefined {
  return serviceLeft(before, object, run) ?? scopesLeft(before, object, held, removed, run);
}

/**
 * Why the handler will leave a removed role or service that monitors, downtimes or alert group
 * settings still name in their scopes when its delete comes (`objectsScopingRole`,
 * `objectsScopingService`), read from Mackerel's lists (`run.scoped`): one the run updates names
 * what its new properties name (`run.rescoped`); those of the stack removed with it are deleted
 * before it (`_cleanupOrder`), as are those the cleanups of the stacks before it delete
 * (`run.deleted`). Any other (made outside cdk-mackerel, another stack's, or one of this stack
 * that the run keeps or a policy retains) keeps it in Mackerel, as does one the run creates
 * (`run.created`), a replacement's new object among them.
 */
function scopesLeft(
  before: Pick<_StateResource, 'type' | 'physicalId'>, object: _LiveObject, held: { readonly [id: string]: _StateResource }, removed: readonly string[],
  run: _BeforeCleanup,
): string | undefined {
  const scoped = run.scoped;
  if ((before.type !== ROLE && before.type !== SERVICE) || !_isObject(object) || scoped === undefined) return undefined;
  const gone = new Set([...run.deleted, ...removed.map((id) => held[id])
    .filter((r) => SCOPING_TYPES.includes(r.type) && !_retaining(r.deletionPolicy)).map((r) => deletedKey(r.type, r.physicalId))]);
  const lists: { [list: string]: unknown } = {};
  for (const { list, types } of SCOPING) {
    lists[list] = (Array.isArray(scoped[list]) ? scoped[list] as Array<{ readonly [key: string]: unknown }> : []).flatMap((o) => {
      const keys = types.map((type) => deletedKey(type, String(o.id)));
      // First, as `run.deleted` also holds the monitors the run updates to another service, which may still name a role.
      const after = keys.map((key) => run.rescoped.get(key)).find((props) => props !== undefined);
      if (after !== undefined) return [{ ...after, id: o.id }];
      return keys.some((key) => gone.has(key)) ? [] : [o];
    }).concat(run.created.filter((c) => types.includes(c.type)).map((c) => ({ ...c.properties, id: c.id })));
  }
  const naming = before.type === ROLE ? objectsScopingRole(lists, before.physicalId) : objectsScopingService(lists, before.physicalId);
  return naming.length > 0 ? leftForScopes(naming.map((o) => o.label)) : undefined;
}

/**
 * The entries of one run (every stack it cleans up) with each `retain` of a downtime or alert group
 * setting removed from its stack given the monitors it goes with (`goneWith`): those of its
 * monitor scopes, when the run deletes them all (`_goneWith`), as apply says once its cleanups
 * are done. An old object of a replacement retained is no such line in apply either.
 * @internal
 */
export function _withGoneWith(entries: readonly _DiffEntry[], state: _StateFile): _DiffEntry[] {
  const deleted = new Set(cleanupDeletes(entries));
  return entries.map((e) => {
    if (e.kind !== 'retain' || e.leftover) return e;
    const scopes = _retainedMonitorScopes(e.type, state.stacks[e.stackName]?.resources[e.logicalId]?.properties);
    const goneWith = _goneWith(scopes, (id) => deleted.has(deletedKey(MONITOR, id)));
    return goneWith === undefined ? e : { ...e, goneWith };
  });
}

/**
 * The roles, monitors, downtimes and alert group settings a cleanup deletes by these entries:
 * removed, or the old object of a replacement (`deletedKey`).
 */
function cleanupDeletes(entries: readonly _DiffEntry[]): string[] {
  return entries.filter((e) => (DELETED_FIRST.includes(e.type) || SCOPING_TYPES.includes(e.type)) && e.physicalId !== undefined
    && (e.kind === 'delete' || (e.kind === 'replace' && e.retainedBy === undefined && e.takenBy === undefined))).map((e) => deletedKey(e.type, e.physicalId!));
}

/**
 * The monitors these entries update in place to another service (an external HTTP monitor's
 * `service`, or `scopes` that lay in one service: `_tiedService`), as `deletedKey`: every update of
 * the run comes before every cleanup, so a removed service they were tied to no longer has them
 * when its delete comes. One still tied after the update is tied again by `tiedByRun`.
 */
function untiedMonitors(entries: readonly _DiffEntry[]): string[] {
  return entries.filter((e) => e.type === MONITOR && e.kind === 'update' && e.physicalId !== undefined
    && e.changes.some((c) => c.field === 'service' || c.field === 'scopes'))
    .map((e) => deletedKey(e.type, e.physicalId!));
}

/** A key of an object a cleanup deletes, for `serviceLeft`. */
function deletedKey(type: string, physicalId: string): string {
  return `${type} ${physicalId}`;
}


/** A delete of the cleanup, or a `retain` when the policy apply acts on keeps the object. */
function deleteKind(attribute: _PolicyAttribute, recorded: unknown): Pick<_DiffEntry, 'kind' | 'retainedBy'> {
  const retain = _retaining(recorded);
  return retain ? { kind: 'retain', retainedBy: _retainReason(attribute, retain) } : { kind: 'delete' };
}

/** The fields of an entry for an object the state holds. @internal */
export function _entryBase(stackName: string, logicalId: string, held: _StateResource) {
  return { stackName, logicalId, type: held.type, physicalId: held.physicalId, name: _nameOf(held.properties) };
}

/**
 * For each stack, what the run does before its cleanup (`_BeforeCleanup`): the roles and monitors
 * (`deletedKey`) the cleanups of the stacks before it delete (in `cleanupOrder`, `_AppPlan.cleanupOrder`:
 * dependents first, so a service removed with a role or monitor of a stack that imports it finds
 * that gone, and its delete is not left), from the deletes the plan shows, which leave out a retained or moved object;
 * and, for every stack, the monitors any stack of the run updates to another service
 * (`untiedMonitors`) and the roles and monitors any stack ties to a service (`tiedByRun`): every
 * create and update comes before every cleanup. `planned` are the stacks of the run (not those
 * of the state alone) in its order, each with its plan (`_planDiff` with no live objects), and
 * `pending` the resources those plans create or replace, by stack name.
 * @internal
 */
export function _beforeCleanups(
  planned: readonly _PlannedStack[], pending: ReadonlyMap<string, ReadonlySet<string>>, cleanupOrder: readonly _StackPlan[], state: _StateFile,
): Map<string, _BeforeCleanup> {
  const deletes = new Map<string, string[]>();
  const applied = planned.map(({ plan }) => plan);
  const tied = new Map<string, _Tied[]>();
  // The run's updates all come before its first cleanup: a monitor another stack moves to another service is untied from every removed one.
  const untied: string[] = [];
  const rescoped = new Map<string, { readonly [key: string]: unknown }>();
  const created: Array<_BeforeCleanup['created'][number]> = [];
  const unknowns = { placeholder: _KNOWN_AFTER_APPLY, pending };
  for (const { plan, entries } of planned) {
    deletes.set(plan.stackName, cleanupDeletes(entries));
    untied.push(...untiedMonitors(entries));
    for (const e of entries.filter((u) => u.kind === 'update' && SCOPING_TYPES.includes(u.type) && u.physicalId !== undefined)) {
      rescoped.set(deletedKey(e.type, e.physicalId!), plan.properties(e.logicalId, unknowns));
    }
    for (const e of entries.filter((c) => (c.kind === 'create' || c.kind === 'replace') && SCOPING_TYPES.includes(c.type))) {
      // Labelled as `tiedByRun` labels a monitor the run creates: "(known after apply: <stack>/<logical ID>)".
      const id = _KNOWN_AFTER_APPLY(`${plan.stackName}/${e.logicalId}`).slice(1, -1);
      created.push({ type: e.type, properties: plan.properties(e.logicalId, unknowns), id });
    }
    for (const [service, t] of tiedByRun(plan, entries, pending)) tied.set(service, [...tied.get(service) ?? [], t]);
  }
  const before = new Map<string, _BeforeCleanup>();
  const seen = new Set<string>(untied);
  const held = metadataHolders(applied, cleanupOrder, state, pending);
  for (const plan of cleanupOrder) {
    before.set(plan.stackName, { deleted: new Set(seen), tied, heldElsewhere: held.get(plan.stackName) ?? new Set(), rescoped, created });
    for (const key of deletes.get(plan.stackName) ?? []) seen.add(key);
  }
  return before;
}

/**
 * For each stack of the run, the metadata namespaces (`deletedKey`) other stacks hold when its
 * cleanup runs (`_BeforeCleanup.heldElsewhere`): every create and update comes first, so those the
 * templates of the other stacks write; and, in the state, those of each stack not in the run, and
 * those a stack whose cleanup comes later (`cleanupOrder`) still holds, removed ones included.
 */
function metadataHolders(
  applied: readonly _StackPlan[], cleanupOrder: readonly _StackPlan[], state: _StateFile, pending: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, Set<string>> {
  const unknowns = { placeholder: _KNOWN_AFTER_APPLY, pending };
  const run = cleanupOrder.filter((plan) => applied.includes(plan));
  const written = new Map(run.map((plan) => [plan.stackName, Object.keys(plan.resources).flatMap((id) => {
    const type = plan.resources[id].Type;
    const physicalId = _METADATA_TYPES.includes(type) ? metadataPhysicalId(type, plan.properties(id, unknowns)) : undefined;
    return physicalId === undefined ? [] : [deletedKey(type, physicalId)];
  })]));
  const outside = Object.keys(state.stacks).filter((name) => !run.some((plan) => plan.stackName === name)).flatMap((name) => stateHolds(state, name));
  return new Map(run.map((plan, i) => [plan.stackName, new Set([...outside, ...run.flatMap((other, j) => (other === plan ? []
    : [...written.get(other.stackName)!, ...(j > i ? stateHolds(state, other.stackName) : [])]))])]));
}

/**
 * What comes before the cleanup of a stack destroyed alone (`apply --destroy --stack`, for a stack
 * the app no longer has): its namespaces that another stack holds in the state are left to it.
 * @internal
 */
export function _destroyedAlone(state: _StateFile, stackName: string): _BeforeCleanup {
  const heldElsewhere = new Set(Object.keys(state.stacks).filter((name) => name !== stackName).flatMap((name) => stateHolds(state, name)));
  return { ..._NOTHING_BEFORE, heldElsewhere };
}

/** The metadata namespaces (`deletedKey`) a stack's resources hold in the state. */
function stateHolds(state: _StateFile, stackName: string): string[] {
  return Object.values(state.stacks[stackName]?.resources ?? {})
    .filter((r) => _METADATA_TYPES.includes(r.type)).map((r) => deletedKey(r.type, r.physicalId));
}

/**
 * The roles and monitors these entries of one stack create, replace or update, each with the
 * service it is tied to after the run (`_tiedService`) and its label in the handler's words (a
 * monitor the run creates has no ID yet). `pending` is the run's, as `_planDiff` filled it.
 */
function tiedByRun(plan: _StackPlan, entries: readonly _DiffEntry[], pending: ReadonlyMap<string, ReadonlySet<string>>): Array<[string, _Tied]> {
  const unknowns = { placeholder: _KNOWN_AFTER_APPLY, pending };
  return entries.filter((e) => DELETED_FIRST.includes(e.type) && (e.kind === 'create' || e.kind === 'replace' || e.kind === 'update')).flatMap((e): Array<[string, _Tied]> => {
    const props = plan.properties(e.logicalId, unknowns);
    const service = _tiedService(e.type, props);
    if (service === undefined) return [];
    if (e.type === ROLE) return [[service, { type: ROLE, key: deletedKey(ROLE, `${service}:${String(props.name)}`), label: roleObject(service, String(props.name)).label }]];
    // An update keeps the monitor's ID; a create or replacement gets one from Mackerel.
    const id = e.kind === 'update' ? e.physicalId : undefined;
    const label = `monitor ${JSON.stringify(props.name ?? '')} ${id !== undefined ? `(${id})` : _KNOWN_AFTER_APPLY(`${plan.stackName}/${e.logicalId}`)}`;
    return [[service, { type: MONITOR, key: id === undefined ? undefined : deletedKey(MONITOR, id), label }]];
  });
}
