/**
 * The diff plan: what applying the template would do (create, change field by field, replace,
 * delete, or leave in Mackerel at cleanup), what it cannot change (kept), and, as entries of each
 * stack, what changed in Mackerel outside the template (drift; drift.ts compares the objects).
 */
import { _Get } from './api';
import { _App, _stacksNotInApp } from './assembly';
import { _FieldChange, _fieldChanges, _readableChanges } from './changes';
import { _driftOf, _normalize } from './drift';
import { _CliError } from './errors';
import { _KNOWN_AFTER_APPLY } from './intrinsics';
import { _LiveObject, _readLive } from './live';
import { _isNamedType, _nameOf, _tiedService } from './named';
import { _Environment, _StackPlan, _Unknowns, _planApp, _planStack, _sameJson } from './plan';
import { _PolicyAttribute, _retainReason, _retaining } from './policy';
import { _StateFile, _StateResource, _holding, _unappliedFields } from './state';
import { _isObject } from '../_json';
import { _METADATA_TYPES, _RESOURCE_TYPES } from '../provider/_properties';
import { leftForContents } from '../provider/handler/owned';
import { KEPT_AS_HISTORY } from '../provider/handler/resources/graph-annotation';
import { HELD_BY_ANOTHER, metadataPhysicalId } from '../provider/handler/resources/metadata';
import { monitorsOfService, roleObject } from '../provider/handler/resources/service';

/** One object that differs. @internal */
export interface _DiffEntry {
  /**
   * `kept`: the template differs from Mackerel in fields the handler cannot update (Mackerel -> template).
   * `move`: a service or role whose construct has a new logical ID takes over the object of the old one.
   * `retain`: a delete that a DeletionPolicy or UpdateReplacePolicy keeps from the handler (`retainedBy`).
   * `leave`: a delete the handler will decline (`leftBecause`), as apply's `left`.
   */
  readonly kind: 'create' | 'update' | 'replace' | 'delete' | 'drift' | 'gone' | 'kept' | 'move' | 'retain' | 'leave';
  readonly stackName: string;
  readonly logicalId: string;
  /**
   * For the objects of a stack the state holds and the app (or its stage) does not: the command
   * that deletes them, as apply leaves them.
   */
  readonly notInApp?: string;
  /** For a `move`: the logical ID the object leaves. */
  readonly from?: string;
  /**
   * For a `delete` or `retain`: the old object of a replacement that an earlier apply stopped before deleting
   * (the state's pending deletes), not a resource removed from the template.
   * @default false
   */
  readonly leftover?: boolean;
  /**
   * For a `retain`, the policy that keeps the object in Mackerel, as `DeletionPolicy Retain`; for a
   * `replace`, the one that keeps the old object, if any.
   */
  readonly retainedBy?: string;
  /**
   * For a `leave`: why the handler will leave the object in Mackerel, in the words of apply's `left` line; for a
   * `replace`, why it will leave the old object.
   */
  readonly leftBecause?: string;
  readonly type: string;
  readonly physicalId?: string;
  readonly name?: string;
  readonly changes: _FieldChange[];
}

/** Fields whose change makes the handler replace the object (mackerel-api.md section 8; _properties.ts). @internal */
export function _replacingFields(type: string, props: { readonly [key: string]: unknown }): string[] {
  switch (type) {
    case 'Custom::MackerelService': return ['name'];
    case 'Custom::MackerelRole': return ['service', 'name'];
    case 'Custom::MackerelChannel': return ['type'];
    case 'Custom::MackerelServiceMetadata': return ['service', 'namespace'];
    case 'Custom::MackerelRoleMetadata': return ['role', 'namespace'];
    // Every change posts a new annotation (a new ID); the earlier one stays as history.
    case 'Custom::MackerelGraphAnnotation': return Object.keys(props);
    case 'Custom::MackerelMonitor': {
      const kind = props.type;
      return ['type', ...(kind === 'host' || kind === 'service' ? ['metric'] : []), ...(kind === 'service' ? ['service'] : []), ...(kind === 'query' ? ['query'] : [])];
    }
    default: return [];
  }
}

/** Fields an in-place update leaves as Mackerel has them (owned.ts: a memo has no update API). @internal */
export function _unupdatableFields(type: string): string[] {
  return _isNamedType(type) ? ['memo'] : [];
}

/**
 * What applying would do to one stack, compared with the state. `live` gives the objects read
 * from Mackerel: a field the handler cannot update is shown against Mackerel's own value.
 * `beforeCleanup` is what the rest of the run does before this stack's cleanup, for the removed
 * services the handler will leave.
 * @internal
 */
export function _planDiff(
  plan: _StackPlan, state: _StateFile, live: (logicalId: string) => _LiveObject = () => 'unreadable', pendingByStack: Map<string, Set<string>> = new Map(),
  beforeCleanup: _BeforeCleanup = NOTHING_BEFORE,
): _DiffEntry[] {
  const held = state.stacks[plan.stackName]?.resources ?? {};
  const entries: _DiffEntry[] = [];
  // Dependencies come first, so a resource sees whether what it refers to gets a new ID: a
  // replaced monitor makes what refers to it unknown; a renamed service gives its role another
  // `service` (a name is known before the apply), which replaces the role in turn. Stacks share
  // `pendingByStack`, so that an import of a replaced object is unknown too.
  const pending = new Set<string>();
  pendingByStack.set(plan.stackName, pending);
  const unknowns = { placeholder: _KNOWN_AFTER_APPLY, pending: pendingByStack };
  const movedFrom = new Set<string>();
  for (const id of plan.order) {
    const type = plan.resources[id].Type;
    const props = plan.properties(id, unknowns);
    const base = { stackName: plan.stackName, logicalId: id, type, name: _nameOf(props) };
    const before = held[id];
    if (!before || before.type !== type) {
      pending.add(id);
      const from = movedObject(plan, held, movedFrom, id, live, unknowns);
      if (from !== undefined) movedFrom.add(from);
      entries.push(...(from === undefined ? [{ ...base, kind: 'create' as const, changes: _fieldChanges({}, props) }] : moveEntries(base, from, held[from], props, live(from))));
      continue;
    }
    const changes = _readableChanges(type, before.properties, props);
    const replacing = _replacingFields(type, before.properties);
    // The new template's policy decides, as CloudFormation reads it from the template it deploys.
    const retain = _retaining(plan.policy(id, 'UpdateReplacePolicy'));
    const retainedBy = retain && _retainReason('UpdateReplacePolicy', retain);
    const replace = { ...base, kind: 'replace' as const, physicalId: before.physicalId, changes, ...(retainedBy ? { retainedBy } : {}) };
    if (changes.some((c) => replacing.includes(c.field))) {
      pending.add(id);
      entries.push(replace);
      continue;
    }
    const object = live(id);
    if (object === undefined && changes.length > 0 && !_isNamedType(type)) {
      // An update of an object deleted outside re-creates it; one known by an ID gets a new ID, as a replacement does.
      pending.add(id);
      entries.push(replace);
      continue;
    }
    // An object deleted outside is created anew, with every field.
    const kept = object === undefined ? [] : _unupdatableFields(type);
    const updates = changes.filter((c) => !kept.includes(c.field));
    if (updates.length > 0) entries.push({ ...base, kind: 'update', physicalId: before.physicalId, changes: updates });
    const stuck = object === undefined ? [] : keptChanges(before, props, unsentFields(before, props), object);
    if (stuck.length > 0) entries.push({ ...base, kind: 'kept', physicalId: before.physicalId, changes: stuck });
  }
  // apply's cleanup: it deletes each old object no resource holds once the run is done, unless the
  // policy recorded with it retains it
  for (const left of state.pendingDeletes.filter((p) => p.stackName === plan.stackName)) {
    const heldAgain = Object.keys(plan.resources)
      .some((id) => plan.resources[id].Type === left.type && plan.produced(id, unknowns)?.physicalId === left.physicalId);
    if (heldAgain) continue;
    const { logicalId, type, physicalId } = left;
    const kind = deleteKind('UpdateReplacePolicy', left.updateReplacePolicy);
    const leftBecause = kind.kind === 'delete' && type === GRAPH_ANNOTATION ? KEPT_AS_HISTORY : undefined;
    entries.push({ stackName: plan.stackName, logicalId, type, physicalId, leftover: true, changes: [], ...(leftBecause ? { kind: 'leave', leftBecause } : kind) });
  }
  const removed = Object.keys(held).filter((id) => !plan.resources[id] && !movedFrom.has(id));
  // The old objects of replacements are deleted in the same cleanup, each before what it referred to.
  const goneFirst = { ...beforeCleanup, deleted: new Set([...beforeCleanup.deleted, ...cleanupDeletes(entries)]) };
  // The old object of a renamed service, deleted by that cleanup, is left as a removed one is.
  entries.forEach((e, i) => {
    if (e.kind !== 'replace' || e.retainedBy !== undefined) return;
    const leftBecause = serviceLeft(held[e.logicalId], live(e.logicalId), held, removed, goneFirst);
    if (leftBecause) entries[i] = { ...e, leftBecause };
  });
  for (const id of removed) {
    const before = held[id];
    // A move whose apply stopped before the old resource let go: both hold the object, and the old one's delete only lets go of it.
    const takenBy = _holding(held, before.type, before.physicalId).find((other) => plan.resources[other] && !pending.has(other));
    if (takenBy !== undefined) {
      entries.push({ ...entryBase(plan.stackName, takenBy, held[takenBy]), kind: 'move', from: id, changes: [] });
      continue;
    }
    const kind = deleteKind('DeletionPolicy', before.deletionPolicy);
    const leftBecause = kind.kind !== 'delete' ? undefined
      : before.type === GRAPH_ANNOTATION ? KEPT_AS_HISTORY
        : _METADATA_TYPES.includes(before.type) ? metadataLeft(before, goneFirst) : serviceLeft(before, live(id), held, removed, goneFirst);
    entries.push({ ...entryBase(plan.stackName, id, before), ...(leftBecause ? { kind: 'leave', leftBecause } : kind), changes: [] });
  }
  return entries;
}

// A graph annotation is never deleted by the handler (KEPT_AS_HISTORY); a service's delete takes its roles and monitors.
const { GRAPH_ANNOTATION, ROLE, MONITOR } = _RESOURCE_TYPES;

/**
 * What the run does before a stack's cleanup that decides whether the handler leaves a removed
 * service (`serviceLeft`). @internal
 */
export interface _BeforeCleanup {
  /**
   * The roles and monitors (`deletedKey`) gone by then: deleted by the cleanups of the stacks
   * before it (dependents first), or updated off their service (every update comes before every
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
}

/** A role or monitor tied to a service: its type, its `deletedKey` (once it has a Mackerel ID) and its label, in the handler's words. @internal */
export interface _Tied {
  readonly type: string;
  readonly key?: string;
  readonly label: string;
}

const NOTHING_BEFORE: _BeforeCleanup = { deleted: new Set(), tied: new Map(), heldElsewhere: new Set() };

/**
 * Why the handler will leave a removed metadata resource's namespace: under the CLI, it leaves one
 * that a resource of any stack of the state holds (a construct moved to another stack, which wrote
 * the value before this cleanup), as apply's `left` line says. One moved within the stack is a `move`.
 */
function metadataLeft(before: _StateResource, run: _BeforeCleanup): string | undefined {
  return run.heldElsewhere.has(deletedKey(before.type, before.physicalId)) ? HELD_BY_ANOTHER : undefined;
}

/**
 * Why the handler will leave a removed service in Mackerel rather than delete it, read from the
 * roles its live object lists and the monitors tied to it (`monitors`, read for a removed service),
 * and the roles and monitors the run ties to it (`run.tied`): one the run does not delete
 * before it (made outside, another stack's, a removed one of this stack that a policy retains, or
 * one of the template naming the service by a literal name) would be deleted with it.
 * `run.deleted` (`deletedKey`) holds what the cleanups of the stacks before this one delete
 * (dependents first), which is gone by then, as are the roles and monitors of this stack removed
 * from its template, and the monitors the run updates to another service.
 */
function serviceLeft(
  before: _StateResource, object: _LiveObject, held: { readonly [id: string]: _StateResource }, removed: readonly string[],
  run: _BeforeCleanup,
): string | undefined {
  if (before.type !== 'Custom::MackerelService' || !_isObject(object) || !Array.isArray(object.roles)) return undefined;
  const deleted = new Set([...run.deleted, ...removed.map((id) => held[id])
    .filter((r) => DELETED_FIRST.includes(r.type) && !_retaining(r.deletionPolicy)).map((r) => deletedKey(r.type, r.physicalId))]);
  const tied = run.tied.get(before.physicalId) ?? [];
  const roles = object.roles.filter((role): role is string => typeof role === 'string')
    .map((role) => ({ type: ROLE, key: deletedKey(ROLE, `${before.physicalId}:${role}`), label: roleObject(before.physicalId, role).label }));
  const monitors = (Array.isArray(object.monitors) ? object.monitors as Array<{ id: string; label: string }> : [])
    .map((m) => ({ type: MONITOR, key: deletedKey(MONITOR, m.id), label: m.label }));
  // Once each: a monitor tied live that the run updates stays tied.
  const once = (list: readonly _Tied[]) => [...new Map(list.map((t) => [t.key ?? t.label, t.label])).values()];
  const rolesLeft = once([...roles.filter((t) => !deleted.has(t.key)), ...tied.filter((t) => t.type === ROLE)]);
  const monitorsLeft = once([...monitors.filter((t) => !deleted.has(t.key)), ...tied.filter((t) => t.type === MONITOR)]);
  return rolesLeft.length + monitorsLeft.length > 0 ? leftForContents(rolesLeft, monitorsLeft) : undefined;
}

/** What a service's delete would delete with it: a removed one is deleted before it, as it refers to it. */
const DELETED_FIRST: string[] = [ROLE, MONITOR];

/** The roles and monitors a cleanup deletes by these entries: removed, or the old object of a replacement (`deletedKey`). */
function cleanupDeletes(entries: readonly _DiffEntry[]): string[] {
  return entries.filter((e) => DELETED_FIRST.includes(e.type) && e.physicalId !== undefined
    && (e.kind === 'delete' || (e.kind === 'replace' && e.retainedBy === undefined))).map((e) => deletedKey(e.type, e.physicalId!));
}

/**
 * The monitors these entries update in place to another service (an external HTTP monitor's
 * `service`), as `deletedKey`: every update of the run comes before every cleanup, so a removed
 * service they were tied to no longer has them when its delete comes.
 */
function untiedMonitors(entries: readonly _DiffEntry[]): string[] {
  return entries.filter((e) => e.type === MONITOR && e.kind === 'update' && e.physicalId !== undefined && e.changes.some((c) => c.field === 'service'))
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

/**
 * The removed resource of the stack whose object a created service or role takes over: the same
 * type and physical ID (the name), and an object still in Mackerel (a deleted one is created anew).
 */
function movedObject(
  plan: _StackPlan, held: { readonly [id: string]: _StateResource }, taken: ReadonlySet<string>, id: string,
  live: (logicalId: string) => _LiveObject, unknowns: _Unknowns,
): string | undefined {
  const type = plan.resources[id].Type;
  // A metadata resource takes over the namespace another resource of its stack wrote, as a service or role does.
  const physicalId = _isNamedType(type) ? plan.produced(id, unknowns)?.physicalId
    : _METADATA_TYPES.includes(type) ? metadataPhysicalId(type, plan.properties(id, unknowns)) : undefined;
  if (physicalId === undefined) return undefined;
  return Object.keys(held).find((old) => !plan.resources[old] && !taken.has(old)
    && held[old].type === type && held[old].physicalId === physicalId && live(old) !== undefined);
}

/**
 * A move: the handler takes the object over as it is (owned.ts), and the old resource's delete
 * leaves it. A memo that differs is kept, as on any create of an object that exists.
 */
function moveEntries(
  base: Omit<_DiffEntry, 'kind' | 'changes'>, from: string, old: _StateResource, props: { readonly [key: string]: unknown }, object: _LiveObject,
): _DiffEntry[] {
  // A metadata value is written on the take-over (a service or role only keeps its memo, below).
  const written = _METADATA_TYPES.includes(old.type) ? _fieldChanges(old.properties, props) : [];
  const entries: _DiffEntry[] = [{ ...base, kind: 'move', from, physicalId: old.physicalId, changes: written }];
  const stuck = object === undefined ? [] : keptChanges(old, props, _unupdatableFields(old.type), object);
  if (stuck.length > 0) entries.push({ ...base, kind: 'kept', physicalId: old.physicalId, changes: stuck });
  return entries;
}

/** Fields the handler leaves as Mackerel has them that the template changes, or that an earlier apply left unapplied. */
function unsentFields(before: _StateResource, props: { readonly [key: string]: unknown }): string[] {
  return _unupdatableFields(before.type)
    .filter((f) => !_sameJson(before.properties[f], props[f]) || _unappliedFields(before).includes(f));
}

/**
 * Fields an update cannot change whose value in Mackerel differs from the template's, read live
 * where possible. Without a live object the state's value stands in, unless an earlier apply
 * left the field unapplied: then what Mackerel holds is unknown and nothing is claimed.
 */
function keptChanges(
  before: _StateResource, props: { readonly [key: string]: unknown }, fields: string[], live: Exclude<_LiveObject, undefined>,
): _FieldChange[] {
  return fields.flatMap((f) => {
    if (live === 'unreadable' && _unappliedFields(before).includes(f)) return [];
    const inMackerel = live === 'unreadable' ? before.properties[f] : _normalize(f, live[f]);
    // Compared like drift, so that an absent memo equals the "" Mackerel reads back.
    if (_driftOf(before.type, { [f]: props[f] }, { [f]: inMackerel }).length === 0) return [];
    return [{ field: f, old: inMackerel, new: props[f] }];
  });
}


/** The live object of every object the state holds for a stack, by logical ID. */
async function readStack(stackName: string, state: _StateFile, get: _Get): Promise<Map<string, _LiveObject>> {
  const live = new Map<string, _LiveObject>();
  for (const [id, held] of Object.entries(state.stacks[stackName]?.resources ?? {})) live.set(id, await _readLive(get, held.type, held.physicalId));
  return live;
}

/**
 * Drift of every object the state holds for a stack, given their live objects. A field an apply
 * left unapplied is not drift: the state never knew Mackerel's value (the `kept` entry of the plan
 * compares it with the template).
 * @internal
 */
export function _stackDrift(
  stackName: string, state: _StateFile, live: ReadonlyMap<string, _LiveObject>, knownFields: (type: string) => readonly string[],
): _DiffEntry[] {
  const entries: _DiffEntry[] = [];
  for (const [id, held] of Object.entries(state.stacks[stackName]?.resources ?? {})) {
    const object = live.get(id);
    if (object === 'unreadable') continue;
    const base = entryBase(stackName, id, held);
    if (object === undefined) {entries.push({ ...base, kind: 'gone', changes: [] });} else {
      const changes = _driftOf(held.type, held.properties, object, knownFields(held.type)).filter((c) => !_unappliedFields(held).includes(c.field));
      if (changes.length > 0) entries.push({ ...base, kind: 'drift', changes });
    }
  }
  return entries;
}

function entryBase(stackName: string, logicalId: string, held: _StateResource) {
  return { stackName, logicalId, type: held.type, physicalId: held.physicalId, name: _nameOf(held.properties) };
}

/** Plan and drift of every stack of the app. @internal */
export async function _diff(
  app: _App, state: _StateFile, get: _Get, env: _Environment, notice: (m: string) => void, knownFields: (type: string) => readonly string[],
): Promise<_DiffEntry[]> {
  const entries: _DiffEntry[] = [];
  const plans = _planApp(app, state, env, notice);
  plans.checkImports({ applying: false });
  // What apply refuses, diff reports rather than showing changes that apply would never make.
  applyWouldRefuse(() => plans.checkImports({ applying: true }));
  const applied = plans.stacks.filter((p) => !app.stacks.some((s) => s.stackName === p.stackName && s.notInApp !== undefined));
  let replacing: Map<string, Set<string>> | undefined;
  applyWouldRefuse(() => plans.checkUniqueNames(() => (replacing ??= _pendingReplacements(applied, state))));
  applyWouldRefuse(() => plans.checkTypeChanges());
  applyWouldRefuse(() => plans.checkPolicies());
  const pending = new Map<string, Set<string>>();
  const beforeCleanup = beforeCleanups(applied, plans.dependentsFirst, state);
  let monitors: Promise<unknown> | undefined;
  for (const plan of applied) {
    const live = await readStack(plan.stackName, state, get);
    // The monitors (by their `service`) of a removed or renamed service (whose old object the cleanup deletes), which keep
    // the handler from deleting it; read once, only then.
    for (const [id, held] of Object.entries(state.stacks[plan.stackName]?.resources ?? {})) {
      const object = live.get(id);
      if (held.type !== 'Custom::MackerelService' || !_isObject(object) || (plan.resources[id] && !isRenamed(plan, id, held))) continue;
      monitors ??= get('/api/v0/monitors').then((body) => (_isObject(body) ? body.monitors : undefined));
      live.set(id, { ...object, monitors: monitorsOfService(await monitors, held.physicalId) });
    }
    entries.push(..._stackDrift(plan.stackName, state, live, knownFields),
      ..._planDiff(plan, state, (id) => live.get(id) ?? 'unreadable', pending, beforeCleanup.get(plan.stackName)));
  }
  applyWouldRefuse(() => plans.checkExportsInUse(() => pending));
  // A stack removed from the app or renamed: what `apply --destroy --stack` would delete.
  const stage = app.stage ? ` --stage ${app.stage}` : '';
  for (const stack of [...app.stacks.filter((s) => s.notInApp !== undefined).map((s) => s.stackName), ..._stacksNotInApp(app, state)]) {
    const removed = _planStack({ stackName: stack, template: { Resources: {} } }, state, env, notice);
    // Destroyed alone, its namespaces that another stack holds in the state are left to it.
    const heldElsewhere = new Set(Object.keys(state.stacks).filter((name) => name !== stack).flatMap((name) => stateHolds(state, name)));
    entries.push(..._planDiff(removed, state, undefined, undefined, { ...NOTHING_BEFORE, heldElsewhere })
      .map((e) => ({ ...e, notInApp: `apply --destroy --stack ${stack}${stage}` })));
  }
  return entries;
}

/** Whether the template gives a service the state holds another name (or one known only after apply): a replacement. */
function isRenamed(plan: _StackPlan, id: string, held: _StateResource): boolean {
  return plan.resources[id].Type === held.type && plan.properties(id, { placeholder: _KNOWN_AFTER_APPLY }).name !== held.physicalId;
}

/** The resources the run creates or replaces, by stack name: what diff reports as create or replace. @internal */
export function _pendingReplacements(plans: readonly _StackPlan[], state: _StateFile): Map<string, Set<string>> {
  const pending = new Map<string, Set<string>>();
  for (const plan of plans) _planDiff(plan, state, undefined, pending);
  return pending;
}

/**
 * For each stack, what the run does before its cleanup (`_BeforeCleanup`): the roles and monitors
 * (`deletedKey`) the cleanups of the stacks before it delete (apply cleans up dependents first, so
 * a service removed with a role or monitor of a stack that imports it finds that gone, and its
 * delete is not left), from the deletes the plan shows, which leave out a retained or moved object;
 * and, for every stack, the monitors any stack of the run updates to another service
 * (`untiedMonitors`) and the roles and monitors any stack ties to a service (`tiedByRun`): every
 * create and update comes before every cleanup.
 */
function beforeCleanups(applied: readonly _StackPlan[], dependentsFirst: readonly _StackPlan[], state: _StateFile): Map<string, _BeforeCleanup> {
  const deletes = new Map<string, string[]>();
  const pending = new Map<string, Set<string>>();
  const planned = applied.map((plan) => ({ plan, entries: _planDiff(plan, state, undefined, pending) }));
  const tied = new Map<string, _Tied[]>();
  // The run's updates all come before its first cleanup: a monitor another stack moves to another service is untied from every removed one.
  const untied: string[] = [];
  for (const { plan, entries } of planned) {
    deletes.set(plan.stackName, cleanupDeletes(entries));
    untied.push(...untiedMonitors(entries));
    for (const [service, t] of tiedByRun(plan, entries, pending)) tied.set(service, [...tied.get(service) ?? [], t]);
  }
  const before = new Map<string, _BeforeCleanup>();
  const seen = new Set<string>(untied);
  const held = metadataHolders(applied, dependentsFirst, state, pending);
  for (const plan of dependentsFirst) {
    before.set(plan.stackName, { deleted: new Set(seen), tied, heldElsewhere: held.get(plan.stackName) ?? new Set() });
    for (const key of deletes.get(plan.stackName) ?? []) seen.add(key);
  }
  return before;
}

/**
 * For each stack of the run, the metadata namespaces (`deletedKey`) other stacks hold when its
 * cleanup runs (`_BeforeCleanup.heldElsewhere`): every create and update comes first, so those the
 * templates of the other stacks write; and, in the state, those of each stack not in the run, and
 * those a stack whose cleanup comes later (dependents first) still holds, removed ones included.
 */
function metadataHolders(
  applied: readonly _StackPlan[], dependentsFirst: readonly _StackPlan[], state: _StateFile, pending: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, Set<string>> {
  const unknowns = { placeholder: _KNOWN_AFTER_APPLY, pending };
  const run = dependentsFirst.filter((plan) => applied.includes(plan));
  const written = new Map(run.map((plan) => [plan.stackName, Object.keys(plan.resources).flatMap((id) => {
    const type = plan.resources[id].Type;
    const physicalId = _METADATA_TYPES.includes(type) ? metadataPhysicalId(type, plan.properties(id, unknowns)) : undefined;
    return physicalId === undefined ? [] : [deletedKey(type, physicalId)];
  })]));
  const outside = Object.keys(state.stacks).filter((name) => !run.some((plan) => plan.stackName === name)).flatMap((name) => stateHolds(state, name));
  return new Map(run.map((plan, i) => [plan.stackName, new Set([...outside, ...run.flatMap((other, j) => (other === plan ? []
    : [...written.get(other.stackName)!, ...(j > i ? stateHolds(state, other.stackName) : [])]))])]));
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

function applyWouldRefuse(check: () => void): void {
  try {
    check();
  } catch (e) {
    if (!(e instanceof _CliError)) throw e;
    throw new _CliError(`apply would refuse this run: ${e.message}`);
  }
}
