/**
 * The diff plan: what applying the template would do (create, change field by field, replace,
 * delete, or leave in Mackerel at cleanup: cleanup.ts), what it cannot change (kept), and, as
 * entries of each stack, what changed in Mackerel outside the template (drift; drift.ts compares
 * the objects).
 */
import { _Get } from './api';
import type { _ResourceEvent } from './apply';
import { _App, _stacksNotInApp } from './assembly';
import { _FieldChange, _fieldChanges, _readableChanges } from './changes';
import { _BeforeCleanup, _BeforeStackCleanup, _NOTHING_BEFORE, _beforeCleanups, _destroyedAlone, _entryBase, _heldAfterRun, _withCleanup, _withGoneWith, _withoutLeftRoles } from './cleanup';
import { _driftOf, _normalize } from './drift';
import { _CliError } from './errors';
import { _KNOWN_AFTER_APPLY } from './intrinsics';
import { _Holds, _LiveObject, _readingOnce, _readLive } from './live';
import { _isNamedType, _nameOf } from './named';
import { _Environment, _StackPlan, _Unknowns, _cleanupDeletes, _planApp, _planStack, _sameJson } from './plan';
import { _retainReason, _retaining } from './policy';
import { _literallyNamed } from './scoped';
import { _StateFile, _StateResource, _holderOf, _unappliedFields } from './state';
import { _UniqueHolder, _createFails, _uniqueCreateFails } from './taken-names';
import { _UNIQUE_KINDS } from './unique-names';
import { _isObject } from '../_json';
import { _METADATA_TYPES, _RESOURCE_TYPES } from '../provider/_properties';
import { SCOPED_PATHS, ScopedLists } from '../provider/handler/owned';
import { monitorsOfService } from '../provider/handler/resources/service';

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
   * For a `retain` of a downtime or alert group setting removed from its stack: the monitors, all of
   * its monitor scopes, that the run deletes (`_goneWith`), with the last of which Mackerel deletes it.
   */
  readonly goneWith?: string[];
  /**
   * For a `replace`: the resource that holds the old object after the run (`stack/logicalId`: two
   * services that swap names), which apply only lets go of (`released`).
   */
  readonly takenBy?: string;
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
  beforeCleanup: _BeforeCleanup = _NOTHING_BEFORE, oldLive: (type: string, physicalId: string) => _LiveObject = () => 'unreadable',
): _DiffEntry[] {
  return _withCleanup(plan, state, planBeforeCleanup(plan, state, live, pendingByStack, oldLive), beforeCleanup);
}

/** What `_planDiff` finds for a stack before its cleanup, which does not depend on what the run does before that cleanup. */
function planBeforeCleanup(
  plan: _StackPlan, state: _StateFile, live: (logicalId: string) => _LiveObject, pendingByStack: Map<string, Set<string>>,
  oldLive: (type: string, physicalId: string) => _LiveObject,
): _BeforeStackCleanup {
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
      entries.push(replace, ...takenOverKept(plan, held, id, props, live, unknowns));
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
  return { entries, movedFrom, unknowns, live, oldLive };
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
  const physicalId = _isNamedType(type) || _METADATA_TYPES.includes(type) ? _heldAfterRun(plan, id, unknowns) : undefined;
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
  return [{ ...base, kind: 'move', from, physicalId: old.physicalId, changes: written }, ...keptOnTakeOver(base, old, props, object)];
}

/**
 * A service or role renamed to the name that another resource of its stack holds (two that swap
 * names): the handler takes that object over as it is, as on a move, keeping its memo.
 */
function takenOverKept(
  plan: _StackPlan, held: { readonly [id: string]: _StateResource }, id: string, props: { readonly [key: string]: unknown },
  live: (logicalId: string) => _LiveObject, unknowns: _Unknowns,
): _DiffEntry[] {
  const type = plan.resources[id].Type;
  const physicalId = _isNamedType(type) ? _heldAfterRun(plan, id, unknowns) : undefined;
  const other = Object.keys(held).find((o) => o !== id && held[o].type === type && held[o].physicalId === physicalId);
  if (other === undefined) return [];
  return keptOnTakeOver({ stackName: plan.stackName, logicalId: id, type, name: _nameOf(props) }, held[other], props, live(other));
}

/** The `kept` entry of an object taken over (`object`, the live one; gone, it is created anew with the template's fields), if it differs. */
function keptOnTakeOver(
  base: Omit<_DiffEntry, 'kind' | 'changes'>, old: _StateResource, props: { readonly [key: string]: unknown }, object: _LiveObject,
): _DiffEntry[] {
  const stuck = object === undefined ? [] : keptChanges(old, props, _unupdatableFields(old.type), object);
  return stuck.length > 0 ? [{ ...base, kind: 'kept', physicalId: old.physicalId, changes: stuck }] : [];
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
async function readStack(stackName: string, state: _StateFile, get: _Get, holds?: _Holds): Promise<Map<string, _LiveObject>> {
  const live = new Map<string, _LiveObject>();
  for (const [id, held] of Object.entries(state.stacks[stackName]?.resources ?? {})) {
    live.set(id, await _readLive(get, held.type, held.physicalId, holds, held.properties));
  }
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
    const base = _entryBase(stackName, id, held);
    if (object === undefined) {entries.push({ ...base, kind: 'gone', changes: [] });} else {
      const changes = _driftOf(held.type, held.properties, object, knownFields(held.type)).filter((c) => !_unappliedFields(held).includes(c.field));
      if (changes.length > 0) entries.push({ ...base, kind: 'drift', changes });
    }
  }
  return entries;
}

/**
 * Plan and drift of every stack of the app. `holds` answers for the objects the API has no read
 * for (the emulator of an --emulator run): one it lacks is gone. @internal
 */
export async function _diff(
  app: _App, state: _StateFile, getEach: _Get, env: _Environment, notice: (m: string) => void, knownFields: (type: string) => readonly string[],
  holds?: _Holds,
): Promise<_DiffEntry[]> {
  // diff writes nothing: a list many objects are found in (the services') is read once.
  const get = _readingOnce(getEach);
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
  // The whole run planned first, for what it does before each stack's cleanup.
  const runPending = new Map<string, Set<string>>();
  const planned = applied.map((plan) => ({ plan, entries: _planDiff(plan, state, undefined, runPending) }));
  // In apply's cleanup order, read as apply reads it before the run.
  const cleanups = plans.cleanupOrder((name) => _literallyNamed(state, name, _cleanupDeletes(applied, state, runPending)));
  const beforeCleanup = _beforeCleanups(planned, runPending, cleanups, state);
  let monitors: Promise<unknown> | undefined;
  const withMonitors = async (object: _LiveObject, name: string): Promise<_LiveObject> => {
    if (!_isObject(object)) return object;
    monitors ??= get('/api/v0/monitors').then((body) => (_isObject(body) ? body.monitors : undefined));
    return { ...object, monitors: monitorsOfService(await monitors, name) };
  };
  // A stack's objects read live: their drift, and for its plan, each object (one gone from Mackerel
  // reads as undefined, created anew; one never read as unreadable) and the old objects it cleans up.
  const readAll = async (plan: _StackPlan): Promise<Pick<_BeforeStackCleanup, 'live' | 'oldLive'> & { drift: _DiffEntry[] }> => {
    const objects = await readStack(plan.stackName, state, get, holds);
    const old = await readForCleanup(plan, state, get, objects, withMonitors);
    return {
      drift: _stackDrift(plan.stackName, state, objects, knownFields),
      live: (id) => (objects.has(id) ? objects.get(id) : 'unreadable'),
      oldLive: (type, id) => (old.has(`${type} ${id}`) ? old.get(`${type} ${id}`) : 'unreadable'),
    };
  };
  // The resources the run writes (an update or re-create), as `<stack>/<logicalId>`: each may free a URL path or name.
  const changed = (...kinds: string[]) => new Set(planned.flatMap((p) => p.entries).filter((e) => kinds.includes(e.kind)).map((e) => `${e.stackName}/${e.logicalId}`));
  const written = changed('update', 'replace');
  const updated = changed('update');
  // The lists of dashboards and AWS integrations, read once for the URL paths and names the run creates.
  const lists = new Map<string, Promise<unknown>>();
  const list: _Get = (path) => lists.get(path) ?? lists.set(path, get(path)).get(path)!;
  // The lists of the objects whose scopes may keep a role or service from its delete, read once, only for a stack that deletes one.
  let scoped: Promise<ScopedLists> | undefined;
  const readList = async ([kind, path]: readonly [keyof ScopedLists, string]) =>
    [kind, ((await get(path)) as { [key: string]: unknown } | undefined)?.[kind]];
  const readScoped = () => (scoped ??= Promise.all(SCOPED_LISTS.map(readList)).then((read) => Object.fromEntries(read) as ScopedLists));
  const withScoped = async (before: _BeforeCleanup, deletesOwned: boolean): Promise<_BeforeCleanup> =>
    (deletesOwned ? { ...before, scoped: await readScoped() } : before);
  const run: _DiffEntry[] = [];
  const cleaned: Array<{ plan: _StackPlan; before: _BeforeCleanup; found: _BeforeStackCleanup; entries: _DiffEntry[] }> = [];
  for (const plan of applied) {
    const { drift, live, oldLive } = await readAll(plan);
    // The old roles and services an earlier apply left to delete are deleted by this cleanup too. The old object of a
    // replacement that another resource takes over stays in Mackerel, as a retained one does.
    const deletesOwned = planned.some((p) => p.plan === plan && p.entries.some((e) => OWNED.includes(e.type)
      && (e.kind === 'delete' || (e.kind === 'replace' && e.retainedBy === undefined && e.takenBy === undefined))))
      || state.pendingDeletes.some((p) => p.stackName === plan.stackName && OWNED.includes(p.type) && !_retaining(p.updateReplacePolicy));
    const before = await withScoped(beforeCleanup.get(plan.stackName) ?? _NOTHING_BEFORE, deletesOwned);
    const found = planBeforeCleanup(plan, state, live, pending, oldLive);
    const stackEntries = _withCleanup(plan, state, found, before);
    entries.push(...drift, ...stackEntries);
    run.push(...stackEntries);
    cleaned.push({ plan, before, found, entries: stackEntries });
    await sayFailingCreates(plan, stackEntries, { pending, state, get, list, written, updated }, notice);
  }
  // A role that the cleanup of a stack before another leaves, as scopes still name it, keeps its service there, which
  // the first pass counted as gone: known only once every stack is planned, as stacks are planned in deploy order.
  for (const { plan, before, found, entries: first } of cleaned) {
    const without = _withoutLeftRoles(before, run);
    if (without === undefined) continue;
    const again = _withCleanup(plan, state, found, without);
    first.forEach((e, i) => {
      entries[entries.indexOf(e)] = again[i];
      run[run.indexOf(e)] = again[i];
    });
  }
  // A retained downtime's monitors may be another stack's, cleaned up after it: read over the whole run.
  const withGone = _withGoneWith(run, state);
  run.forEach((e, i) => {
    if (withGone[i] !== e) entries[entries.indexOf(e)] = withGone[i];
  });
  applyWouldRefuse(() => plans.checkExportsInUse(() => pending));
  // A stack removed from the app or renamed: what `apply --destroy --stack` would delete, read live as
  // any other stack's removed objects are (a service with roles or monitors not its own is left).
  const stage = app.stage ? ` --stage ${app.stage}` : '';
  for (const stack of [...app.stacks.filter((s) => s.notInApp !== undefined).map((s) => s.stackName), ..._stacksNotInApp(app, state)]) {
    const removed = _planStack({ stackName: stack, template: { Resources: {} } }, state, env, notice);
    const { drift, live, oldLive } = await readAll(removed);
    // A retained service or role is not deleted: whatever scopes name it, the lists are not read for it.
    const deletesOwned = Object.values(state.stacks[stack]?.resources ?? {}).some((r) => OWNED.includes(r.type) && !_retaining(r.deletionPolicy))
      || state.pendingDeletes.some((p) => p.stackName === stack && OWNED.includes(p.type) && !_retaining(p.updateReplacePolicy));
    // Each is a run of its own.
    const before = await withScoped(_destroyedAlone(state, stack), deletesOwned);
    const destroyed = _withGoneWith(_planDiff(removed, state, live, undefined, before, oldLive), state);
    entries.push(...[...drift, ...destroyed].map((e) => ({ ...e, notInApp: `apply --destroy --stack ${stack}${stage}` })));
  }
  return entries;
}

const SERVICE: string = _RESOURCE_TYPES.SERVICE;
const MONITOR: string = _RESOURCE_TYPES.MONITOR;
/** The types whose delete the handler declines while something names the object in its scopes. */
const OWNED: string[] = [SERVICE, _RESOURCE_TYPES.ROLE];
/** The lists of `ScopedLists`, with the paths the handler reads them from (`readScoped`). */
const SCOPED_LISTS = Object.entries(SCOPED_PATHS) as ReadonlyArray<[keyof ScopedLists, string]>;

// A value known only after apply: no name of Mackerel's, and not read.
const UNKNOWN = '(known after apply)';

/** What `sayFailingCreates` reads: the run's pending replacements, the state, the API, and its lists read once. */
interface CreateReads {
  readonly pending: ReadonlyMap<string, ReadonlySet<string>>;
  readonly state: _StateFile;
  readonly get: _Get;
  readonly list: _Get;
  /** The resources the run updates or replaces, as `<stack>/<logicalId>`. */
  readonly written: ReadonlySet<string>;
  /** The resources the run updates in place, as `<stack>/<logicalId>`: no old object stays behind. */
  readonly updated: ReadonlySet<string>;
}

/**
 * A notice for each service or role a stack's entries create, or rename (a replacement creates the
 * new name), under a name Mackerel has whose create the handler will refuse (`_createFails`), and
 * for each dashboard or AWS integration they create with a URL path or name Mackerel has outside
 * the state (`_uniqueCreateFails`): diff would otherwise show a create that apply fails on, on
 * every run.
 */
async function sayFailingCreates(plan: _StackPlan, entries: readonly _DiffEntry[], reads: CreateReads, notice: (m: string) => void): Promise<void> {
  const { pending, state, get, list, written } = reads;
  const unknowns = { placeholder: () => UNKNOWN, pending };
  for (const e of entries) {
    if ((e.kind !== 'create' && e.kind !== 'replace') || e.stackName !== plan.stackName) continue;
    let why: string | undefined;
    if (_isNamedType(e.type)) {
      const physicalId = _heldAfterRun(plan, e.logicalId, unknowns);
      if (physicalId === undefined || physicalId.includes(UNKNOWN)) continue;
      why = await _createFails(get, plan.stackId, e.type, physicalId);
    } else if ((e.kind === 'create' || e.kind === 'replace') && _UNIQUE_KINDS.some((k) => k.type === e.type)) {
      // A replace of one is the re-create of one deleted outside (neither has a field the API cannot update).
      // A URL path or name known only after apply names nothing Mackerel has yet: left out.
      const props = Object.fromEntries(Object.entries(plan.properties(e.logicalId, unknowns)).filter(([, v]) => !(typeof v === 'string' && v.includes(UNKNOWN))));
      why = await _uniqueCreateFails(list, e.type, props, (type, id) => holderInState(state, written, type, id));
    }
    if (why) notice(`${plan.stackName}/${e.logicalId}: apply's create will fail: ${why}`);
  }
  for (const e of entries) {
    if ((e.kind !== 'create' && e.kind !== 'replace' && e.kind !== 'update') || e.stackName !== plan.stackName || e.type !== MONITOR) continue;
    const why = await anomalyRoleWatched(plan, e, reads);
    if (why) notice(`${plan.stackName}/${e.logicalId}: apply's ${e.kind === 'update' ? 'update' : 'create'} will fail: ${why}`);
  }
}

/**
 * Mackerel allows one anomaly detection monitor per role (its guide to anomaly detection for roles), and
 * a delete comes after every create and update, as in CloudFormation: an AnomalyDetectionMonitor moved to
 * a new construct id, or a role moved to it from a monitor the run deletes or replaces (whose old object
 * goes in the cleanup), meets the old monitor still watching the role. Only a watcher the run updates in
 * place may let go of the role first. One no resource of the state holds was made outside cdk-mackerel:
 * no apply deletes it, so removing the role for one apply, the advice for the others, does not help.
 */
async function anomalyRoleWatched(plan: _StackPlan, e: _DiffEntry, reads: CreateReads): Promise<string | undefined> {
  let props: { [key: string]: unknown };
  try {
    props = plan.properties(e.logicalId, { placeholder: () => UNKNOWN, pending: reads.pending });
  } catch {
    return undefined; // a value that does not resolve is reported as such by the run
  }
  if (props.type !== 'anomalyDetection' || !Array.isArray(props.scopes)) return undefined;
  const roles = props.scopes.filter((s): s is string => typeof s === 'string' && !s.includes(UNKNOWN));
  for (const { role, id } of anomalyWatchers(await reads.list('/api/v0/monitors'), roles, e.physicalId)) {
    const holder = monitorHolder(reads.state, id);
    if (holder === undefined) return `${outsideWatcher(role, id)}. D${_ANOMALY_OUTSIDE_ADVICE.slice(1)}`;
    if (!holder.old && reads.updated.has(holder.label)) continue;
    return `role ${JSON.stringify(role)} is watched by the anomaly detection monitor ${id} (${holder.label} of the state file), `
      + 'which this run does not change before it (a delete comes after every create and update), and Mackerel allows one anomaly detection '
      + `monitor per role. R${_ANOMALY_ROLE_ADVICE.slice(1)}`;
  }
  return undefined;
}

/**
 * The anomaly detection monitors of a monitor list (GET /api/v0/monitors) other than `self` that
 * watch one of `roles` (`service:role`), each with the first such role.
 */
function anomalyWatchers(body: unknown, roles: readonly string[], self: string | undefined): Array<{ readonly role: string; readonly id: string }> {
  const live = _isObject(body) && Array.isArray(body.monitors) ? body.monitors as unknown[] : [];
  // The API reads a role scope back as `Service: role`.
  const asSent = (scope: unknown) => (typeof scope === 'string' ? scope.replace(/^([^:]+): /, '$1:') : scope);
  const found: Array<{ role: string; id: string }> = [];
  for (const other of live) {
    if (!_isObject(other) || other.type !== 'anomalyDetection' || other.id === self || !Array.isArray(other.scopes)) continue;
    const role = roles.find((r) => (other.scopes as unknown[]).some((s) => asSent(s) === r));
    if (role !== undefined) found.push({ role, id: String(other.id) });
  }
  return found;
}

/** That an anomaly detection monitor no resource of the state holds watches the role, for diff's notice and apply's failure alike. */
function outsideWatcher(role: string, id: string): string {
  return `role ${JSON.stringify(role)} is watched by the anomaly detection monitor ${id}, which no resource of the state file holds `
    + '(made outside cdk-mackerel, so no apply deletes it), and Mackerel allows one anomaly detection monitor per role';
}

/** What to do when an anomaly detection monitor's role is watched by one made outside cdk-mackerel: no apply order helps. @internal */
export const _ANOMALY_OUTSIDE_ADVICE = 'delete that monitor or take the role from it in Mackerel, or leave the role out of this one';

/** What to do when an anomaly detection monitor's role is watched by another one the run deletes or changes only later. @internal */
export const _ANOMALY_ROLE_ADVICE = 'remove the role (or the monitor) in one apply and add it back in the next';

/** The roles (scopes) of an anomaly detection monitor as the state holds it; undefined for anything else. @internal */
export function _anomalyRoles(resource: { readonly type: string; readonly properties: { readonly [key: string]: unknown } }): string[] | undefined {
  const { type, scopes } = resource.properties;
  if (resource.type !== MONITOR || type !== 'anomalyDetection' || !Array.isArray(scopes)) return undefined;
  return scopes.filter((s): s is string => typeof s === 'string');
}

/**
 * Why a create or update of an anomaly detection monitor that Mackerel refused (a 400) is the one
 * diff warns of (`anomalyRoleWatched`), as the state shows it when the operation failed: another
 * anomaly detection monitor of the state, not yet deleted or changed by the run, watches one of its
 * roles, or the old object of a replaced one, which the cleanup deletes, does (its `roles`).
 * Mackerel's words for the refusal are not documented, so they are not read.
 * @internal
 */
export function _anomalyRoleHeld(state: _StateFile, event: _ResourceEvent): string | undefined {
  const props = event.ResourceProperties;
  if (event.RequestType === 'Delete' || event.ResourceType !== MONITOR || props.type !== 'anomalyDetection' || !Array.isArray(props.scopes)) return undefined;
  const scopes: unknown[] = props.scopes;
  const watching = (roles: readonly string[] | undefined) => scopes.find((s): s is string => typeof s === 'string' && roles?.includes(s) === true);
  const said = (role: string, id: string, holder: string) => `role ${JSON.stringify(role)} is still watched by the anomaly detection monitor ${id} (${holder} of the state file; `
    + 'a delete comes after every create and update), and Mackerel allows one anomaly detection monitor per role';
  for (const [stackName, stack] of Object.entries(state.stacks)) {
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      if (stack.stackId === event.StackId && logicalId === event.LogicalResourceId) continue;
      const role = watching(_anomalyRoles(r));
      if (role !== undefined) return said(role, r.physicalId, `${stackName}/${logicalId}`);
    }
  }
  for (const old of state.pendingDeletes) {
    const role = old.type === MONITOR ? watching(old.roles) : undefined;
    if (role !== undefined) return said(role, old.physicalId, `the old object of ${old.stackName}/${old.logicalId}`);
  }
  return undefined;
}

/**
 * Why a create or update of an anomaly detection monitor that Mackerel refused (a 400) is the one
 * diff warns of when the watcher was made outside cdk-mackerel (`anomalyRoleWatched`): read live,
 * an anomaly detection monitor no resource of the state holds watches one of its roles. Asked only
 * when `_anomalyRoleHeld` finds no watcher in the state. Mackerel's words for the refusal are not
 * documented, so they are not read.
 * @internal
 */
export async function _anomalyRoleWatchedOutside(get: _Get, state: _StateFile, event: _ResourceEvent): Promise<string | undefined> {
  const props = event.ResourceProperties;
  if (event.RequestType === 'Delete' || event.ResourceType !== MONITOR || props.type !== 'anomalyDetection' || !Array.isArray(props.scopes)) return undefined;
  const roles = (props.scopes as unknown[]).filter((s): s is string => typeof s === 'string');
  const self = event.RequestType === 'Update' ? event.PhysicalResourceId : undefined;
  const outside = anomalyWatchers(await get('/api/v0/monitors'), roles, self).find((w) => monitorHolder(state, w.id) === undefined);
  return outside && outsideWatcher(outside.role, outside.id);
}

/**
 * The resource of the state, as `<stack>/<logicalId>`, that holds this monitor, or whose old object
 * (of a replacement) it is, which the cleanup deletes whatever the run does to that resource.
 */
function monitorHolder(state: _StateFile, physicalId: string): { readonly label: string; readonly old: boolean } | undefined {
  const holder = _holderOf(state, MONITOR, physicalId);
  if (holder !== undefined) return { label: holder, old: false };
  const old = state.pendingDeletes.find((p) => p.type === MONITOR && p.physicalId === physicalId);
  return old && { label: `${old.stackName}/${old.logicalId}`, old: true };
}

/**
 * Which resource of the state holds the object of this type and ID (`_UniqueHolder`): one the run
 * does not write keeps it through the creates; an old object the cleanup deletes goes only after them,
 * but may be a resource's again by then, so it counts as changing, as does one the run writes.
 */
function holderInState(state: _StateFile, written: ReadonlySet<string>, type: string, physicalId: string): _UniqueHolder {
  for (const [stackName, stack] of Object.entries(state.stacks)) {
    for (const [logicalId, r] of Object.entries(stack.resources)) {
      if (r.type !== type || r.physicalId !== physicalId) continue;
      const label = `${stackName}/${logicalId}`;
      const kind = _UNIQUE_KINDS.find((k) => k.type === type);
      return written.has(label) || !kind ? { kind: 'changing' } : { kind: 'kept', label, applied: r.properties[kind.field] };
    }
  }
  return state.pendingDeletes.some((p) => p.type === type && p.physicalId === physicalId) ? { kind: 'changing' } : undefined;
}

/**
 * What the cleanup of a stack needs to read beyond its live objects: each service it deletes with
 * the monitors tied to it (`withMonitors`: by their `service`, or by scopes all in it), which keep
 * the handler from deleting it (read once, only then). A removed or renamed service gets them in
 * `live`; the old service or role of a replacement that an earlier apply left to delete is read by
 * its old name (a role's full name), and returned by type and name (`<type> <name>`): the scopes
 * that name it, read with the lists, keep the handler from deleting it.
 */
async function readForCleanup(
  plan: _StackPlan, state: _StateFile, get: _Get, live: Map<string, _LiveObject>,
  withMonitors: (object: _LiveObject, name: string) => Promise<_LiveObject>,
): Promise<Map<string, _LiveObject>> {
  for (const [id, held] of Object.entries(state.stacks[plan.stackName]?.resources ?? {})) {
    if (held.type === SERVICE && (!plan.resources[id] || isRenamed(plan, id, held))) live.set(id, await withMonitors(live.get(id), held.physicalId));
  }
  const old = new Map<string, _LiveObject>();
  for (const left of state.pendingDeletes) {
    if (left.stackName !== plan.stackName || !OWNED.includes(left.type) || _retaining(left.updateReplacePolicy)) continue;
    const object = await _readLive(get, left.type, left.physicalId);
    old.set(`${left.type} ${left.physicalId}`, left.type === SERVICE ? await withMonitors(object, left.physicalId) : object);
  }
  return old;
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


function applyWouldRefuse(check: () => void): void {
  try {
    check();
  } catch (e) {
    if (!(e instanceof _CliError)) throw e;
    throw new _CliError(`apply would refuse this run: ${e.message}`);
  }
}
