/**
 * The apply engine: CloudFormation's create / update / replace-and-clean-up / delete semantics
 * for the Mackerel resources of an app, each operation sent to the handler as a Provider event.
 */
import { _Get } from './api';
import { _App, _heldCount, _stacksNotInApp, _unappliedDependencies } from './assembly';
import { _anomalyRoles, _pendingReplacements } from './diff';
import { _CliError } from './errors';
import { _interruptedExitCode } from './interrupt';
import { _Holds, _readingOnce, _readLive } from './live';
import { _nameOf } from './named';
import { _AppPlan, _Environment, _PendingDelete, _StackPlan, _cleanupDeletes, _cleanupOrder, _planApp, _sameJson } from './plan';
import { _goneWith, _retainReason, _retainedMonitorScopes, _retaining } from './policy';
import { _OPERATION_VERB, _operationLabel } from './printer';
import { _literallyNamed, _namesRoleOrService } from './scoped';
import { _StateFile, _StateResource, _StateStack, _StateStore, _holderOf, _holding, _unappliedFields } from './state';
import { _RESOURCE_TYPES } from '../provider/_properties';

/** A custom resource event as the Provider framework passes it to onEvent. @internal */
export interface _ResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceType: string;
  readonly LogicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly ResourceProperties: { [key: string]: unknown };
  readonly OldResourceProperties?: { [key: string]: unknown };
  readonly PhysicalResourceId?: string;
}

/** Sends one event to the handler. @internal */
export type _Invoke = (event: _ResourceEvent) => Promise<{ PhysicalResourceId: string; Data: { [key: string]: string } }>;

/** What was done to one object. @internal */
export interface _Outcome {
  /** `moved`: a create that took over the object another resource of the stack holds (a construct with a new logical ID), as diff's `> move`. */
  readonly action: 'created' | 'moved' | 'updated' | 'replaced' | 'deleted' | 'released' | 'left' | 'retained' | 'unchanged';
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
  readonly name?: string;
  /** The old physical ID of a replaced object, or the one a cleanup deleted. */
  readonly previousId?: string;
  /** For `moved`: the logical ID (in the same stack) that held the object, whose cleanup releases it. */
  readonly movedFrom?: string;
  /** For `released`: the resource that took the object over, as `stack/logicalId` (a moved construct, a reverted rename). */
  readonly handedOverTo?: string;
  /** For `left`: why the handler left the object in Mackerel instead of deleting it. */
  readonly leftBecause?: string;
  /** For `retained`: the policy that kept the object out of the cleanup, as `DeletionPolicy Retain`. */
  readonly retainedBy?: string;
  /**
   * For a `retained` downtime or alert group setting: the monitors, all of its monitor scopes, that
   * the run deleted. Mackerel deletes it with the last of them, rather than leave it muting or
   * grouping every monitor, so it does not stay.
   */
  readonly goneWith?: string[];
}

/** An operation still running, for a progress line. @internal */
export interface _Waiting {
  readonly verb: 'creating' | 'updating' | 'deleting';
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly elapsedMs: number;
}

/** Apply settings. @internal */
export interface _ApplyOptions {
  readonly app: _App;
  readonly store: _StateStore;
  readonly invoke: _Invoke;
  readonly env: _Environment;
  /** Delete everything the state holds for these stacks instead. */
  readonly destroy?: boolean;
  /** Called after each operation, with its position in the run. */
  readonly report: (outcome: _Outcome, index: number, total: number) => void;
  /**
   * Called every `waitingEveryMs` while one operation runs: an AWS integration waits minutes
   * for IAM to accept its role, and a silent terminal looks hung.
   */
  readonly waiting?: (waiting: _Waiting, index: number, total: number) => void;
  /** @default 15_000 */
  readonly waitingEveryMs?: number;
  readonly notice: (message: string) => void;
  /**
   * A reason to stop (the signal of a Ctrl-C), if one came: the run sends no further operation
   * and fails, with what was done saved.
   */
  readonly stopRequested?: () => string | undefined;
}

let requestCounter = 0;

/** Applies the app; throws on the first failed operation, with state saved up to it. @internal */
export async function _apply(options: _ApplyOptions): Promise<_Outcome[]> {
  const { state } = options.store;
  const app = _planApp(options.app, state, options.env, options.notice, { destroy: options.destroy });
  // Checked whole before anything is sent: a missing export found halfway would fail after changing Mackerel.
  if (options.destroy) {
    app.checkDestroy();
  } else {
    app.checkImports({ applying: true });
    let pending: Map<string, Set<string>> | undefined;
    const pendingOnce = () => (pending ??= _pendingReplacements(app.stacks, state));
    app.checkExportsInUse(pendingOnce);
    app.checkUniqueNames(pendingOnce);
    app.checkTypeChanges();
    app.checkPolicies();
    // Every property resolved: a value refused (a placeholder for an organization) found halfway would fail after changing Mackerel.
    pendingOnce();
  }
  for (const name of _stacksNotInApp(options.app, state)) {
    options.notice(`stack ${name} is in the state file (${_heldCount(state, name)}) but not in the app${options.app.stage ? ` (stage ${options.app.stage})` : ''}; `
      + `apply leaves its objects in Mackerel: delete them with apply --destroy --stack ${name}${options.app.stage ? ` --stage ${options.app.stage}` : ''}, `
      + 'or add the stack back to the app');
  }
  if (!options.destroy) for (const m of _unappliedDependencies(options.app, state)) options.notice(m);
  const plans = app.stacks;
  let total = countOperations(plans, state, options.destroy ?? false);
  const outcomes: _Outcome[] = [];
  const done = (o: _Outcome) => {
    outcomes.push(o);
    // A replacement adds its cleanup delete to the run: the count grows when one happens.
    if (o.action === 'replaced') total += 1;
    options.report(o, outcomes.length, total);
  };
  const run = new Run(options, app, done, () => [outcomes.length + 1, total]);
  // The state as it was, for the properties of the old objects that replacements write over.
  const before: _StateFile = structuredClone(state);
  const earlier = new Set(state.pendingDeletes);
  if (!options.destroy) {
    for (const plan of plans) await run.createOrUpdate(plan);
  }
  // The cleanup, after every create and update: dependents first, so an importing stack lets go of
  // an export before its stack deletes the object, and a stack deleting an object that names a role
  // or service another stack deletes by a literal name before that stack.
  const replaced = new Map<string, Set<string>>();
  for (const p of state.pendingDeletes.filter((d) => !earlier.has(d))) {
    replaced.set(p.stackName, (replaced.get(p.stackName) ?? new Set()).add(p.logicalId));
  }
  const cleanups = options.destroy
    ? app.destroyOrder((name) => _literallyNamed(state, name))
    : app.cleanupOrder((name) => _literallyNamed(before, name, _cleanupDeletes(app.stacks, before, replaced)));
  try {
    for (const plan of cleanups) await run.cleanUp(plan, options.destroy ?? false);
  } finally {
    run.sayRetainedScoping();
  }
  return outcomes;
}

/**
 * The objects an apply left unchanged that Mackerel no longer has (deleted outside the template),
 * read once each: apply compares the template with its state, not with Mackerel, and leaves them
 * gone, as CloudFormation does; its summary names them rather than calling them just unchanged.
 * `holds` answers for the objects the API has no read for (the emulator of an --emulator run);
 * `applied` gives the properties the state holds for one (a graph annotation is gone with its service).
 * @internal
 */
export async function _goneUnchanged(
  outcomes: readonly _Outcome[], getEach: _Get, holds?: _Holds, applied?: (o: _Outcome) => { readonly [key: string]: unknown } | undefined,
): Promise<_Outcome[]> {
  // After the run, which writes nothing more: the services' list each service and graph annotation is found in is read once.
  const get = _readingOnce(getEach);
  const gone: _Outcome[] = [];
  try {
    for (const o of outcomes) {
      if (o.action === 'unchanged' && await _readLive(get, o.type, o.physicalId, holds, applied?.(o)) === undefined) gone.push(o);
    }
  } catch {
    // Only for the summary: a read that fails after a finished apply must not turn it into a failure (diff says the rest).
    return [];
  }
  return gone;
}

function countOperations(plans: _StackPlan[], state: _StateFile, destroy: boolean): number {
  let n = 0;
  for (const plan of plans) {
    const held = Object.keys(state.stacks[plan.stackName]?.resources ?? {});
    n += destroy ? held.length : plan.order.length + held.filter((id) => !plan.resources[id]).length;
    n += state.pendingDeletes.filter((p) => p.stackName === plan.stackName).length;
  }
  return n;
}

class Run {
  /** The monitors the run's cleanups deleted, by ID. */
  private readonly deletedMonitors = new Set<string>();
  /** The retained downtimes and alert group settings with monitor scopes, said once the cleanups that may delete those monitors are done. */
  private retainedScoping: Array<{ outcome: _Outcome; monitorScopes: string[] }> = [];

  constructor(
    private readonly options: _ApplyOptions,
    private readonly app: _AppPlan,
    private readonly done: (o: _Outcome) => void,
    private readonly position: () => [index: number, total: number],
  ) {}

  private get state(): _StateFile {
    return this.options.store.state;
  }

  private stackState(plan: _StackPlan) {
    this.state.stacks[plan.stackName] ??= { stackId: plan.stackId, resources: {} };
    return this.state.stacks[plan.stackName];
  }

  private event(plan: { stackId: string }, type: string, logicalId: string, rest: Partial<_ResourceEvent>): _ResourceEvent {
    requestCounter += 1;
    return {
      ResourceType: type,
      LogicalResourceId: logicalId,
      StackId: plan.stackId,
      RequestId: `cdk-mackerel-${process.pid}-${requestCounter}`,
      ResourceProperties: {},
      RequestType: 'Create',
      ...rest,
    };
  }

  /** Sends one event, reporting it as still running every `waitingEveryMs` until it ends. */
  private async invoke(stackName: string, event: _ResourceEvent): Promise<Awaited<ReturnType<_Invoke>>> {
    const { waiting, waitingEveryMs = 15_000 } = this.options;
    const started = Date.now();
    const verb = _OPERATION_VERB[event.RequestType];
    const stop = this.options.stopRequested?.();
    if (stop) throw new _CliError(`stopped by ${stop} before ${_operationLabel(event, stackName)}`, _interruptedExitCode(stop));
    const timer = waiting && setInterval(() => waiting({
      verb, stackName, logicalId: event.LogicalResourceId, type: event.ResourceType, elapsedMs: Date.now() - started,
    }, ...this.position()), waitingEveryMs);
    try {
      return await this.options.invoke(event);
    } finally {
      clearInterval(timer);
    }
  }

  async createOrUpdate(plan: _StackPlan): Promise<void> {
    for (const id of plan.order) {
      const type = plan.resources[id].Type;
      const properties = plan.properties(id);
      const held = this.stackState(plan).resources[id];
      const dependsOn = [...(plan.dependencies.get(id) ?? [])].sort();
      const deletionPolicy = _retaining(plan.policy(id, 'DeletionPolicy'));
      const base = { stackName: plan.stackName, logicalId: id, type, name: _nameOf(properties) };
      if (held && held.type === type && _sameJson(held.properties, properties)) {
        // A Ref can replace a literal that resolves to the same value: the object is unchanged,
        // but the destroy order must follow the new reference. A new DeletionPolicy changes no
        // object either (CloudFormation sends nothing), but decides the delete of a later run.
        if (!_sameJson(held.dependsOn ?? [], dependsOn) || _retaining(held.deletionPolicy) !== deletionPolicy) {
          const { deletionPolicy: _old, ...rest } = held;
          this.stackState(plan).resources[id] = { ...rest, dependsOn, ...(deletionPolicy ? { deletionPolicy } : {}) };
          this.options.store.save();
        }
        this.done({ ...base, action: 'unchanged', physicalId: held.physicalId });
        continue;
      }
      const result = held && held.type === type
        ? await this.invoke(plan.stackName, this.event(plan, type, id, {
          RequestType: 'Update', PhysicalResourceId: held.physicalId, ResourceProperties: properties, OldResourceProperties: held.properties,
        }))
        : await this.invoke(plan.stackName, this.event(plan, type, id, { RequestType: 'Create', ResourceProperties: properties }));
      // A type change is refused before the run (checkTypeChanges); were it not, the old object is never dropped, whatever its ID.
      const replacedId = held && (held.type !== type || held.physicalId !== result.PhysicalResourceId) ? held.physicalId : undefined;
      if (replacedId) {
        // What the old object depended on, for the order of the cleanup; the policy of the template
        // that replaced it, as a cleanup resumed by a later run must not read another template's.
        const updateReplacePolicy = _retaining(plan.policy(id, 'UpdateReplacePolicy'));
        const oldDependsOn = [...new Set([...held!.dependsOn ?? [], ...this.namedHere(plan, held!)])].sort();
        // An old channel's URL, which the state's resource no longer holds, stays a secret to scrub for a later run's cleanup.
        const url = held!.type === _RESOURCE_TYPES.CHANNEL && typeof held!.properties.url === 'string' ? held!.properties.url : undefined;
        // An old anomaly detection monitor's roles, which it watches until the cleanup: a create meeting one of them is told so (_anomalyRoleHeld).
        const roles = _anomalyRoles(held!);
        const old = { stackName: plan.stackName, logicalId: id, type: held!.type, physicalId: replacedId, dependsOn: oldDependsOn };
        const namedElsewhere = this.namedElsewhere(plan, held!);
        const kept = {
          ...(url !== undefined ? { url } : {}), ...(roles !== undefined ? { roles } : {}), ...(namedElsewhere.length > 0 ? { namedElsewhere } : {}),
        };
        this.state.pendingDeletes.push({ ...old, ...(updateReplacePolicy ? { updateReplacePolicy } : {}), ...kept });
      }
      // The handler took over the object of a construct that moved (its old resource still holds it
      // until the cleanup releases it): no object was created, as diff's `> move` says.
      const movedFrom = held ? undefined : _holding(this.stackState(plan).resources, type, result.PhysicalResourceId).find((other) => other !== id);
      const unapplied = this.noteUnapplied(plan, id, type, held, result.Data);
      const applied = { type, physicalId: result.PhysicalResourceId, properties, data: result.Data, dependsOn };
      this.stackState(plan).resources[id] = { ...applied, ...(unapplied ? { unapplied } : {}), ...(deletionPolicy ? { deletionPolicy } : {}) };
      this.options.store.save();
      // A memo the handler ignored was its only change: nothing was written to Mackerel.
      const action = !held ? (movedFrom ? 'moved' : 'created') : replacedId ? 'replaced' : unapplied ? 'unchanged' : 'updated';
      this.done({ ...base, action, physicalId: result.PhysicalResourceId, previousId: replacedId, ...(movedFrom ? { movedFrom } : {}) });
    }
    // Objects removed from the template still hold their imports until deleted.
    this.recordImports(plan, { ...this.state.stacks[plan.stackName]?.imports, ...this.app.templateImports(plan.stackName) });
  }

  /**
   * The resources of the stack holding a role or service an old object names by name
   * (`_namesRoleOrService`: a service it is tied to, or a role or service its scopes name), as the
   * state has them, or the old objects of theirs still to delete: a name given as a literal records
   * no dependency, the handler leaves a role or service still named, and the old object, whose
   * properties the state then no longer has, must still be deleted before it.
   */
  private namedHere(plan: _StackPlan, held: _StateResource): string[] {
    const named = (other: { readonly type: string; readonly physicalId: string }) =>
      (other.type === _RESOURCE_TYPES.SERVICE || other.type === _RESOURCE_TYPES.ROLE) && _namesRoleOrService(held, other);
    const resources = this.stackState(plan).resources;
    return [
      ...Object.keys(resources).filter((id) => named(resources[id])),
      ...this.state.pendingDeletes.filter((p) => p.stackName === plan.stackName && named(p)).map((p) => p.logicalId),
    ];
  }

  /**
   * The roles (full names) and services of the other stacks of the state, or their old objects still
   * to delete, that an old object names by a literal name (`_literallyNamed`): a run resuming the
   * cleanup no longer has the old object's properties, and must still delete it before them.
   */
  private namedElsewhere(plan: _StackPlan, held: _StateResource): string[] {
    const others = [
      ...Object.entries(this.state.stacks).filter(([name]) => name !== plan.stackName).flatMap(([, s]) => Object.values(s.resources)),
      ...this.state.pendingDeletes.filter((p) => p.stackName !== plan.stackName),
    ];
    return [...new Set(others.filter((o) => _namesRoleOrService(held, o)).map((o) => o.physicalId))].sort();
  }

  /** Records what a stack imports, for the order of later deletes and the refusals of later runs. */
  private recordImports(plan: _StackPlan, imports: { [exportName: string]: string }): void {
    const stack = this.state.stacks[plan.stackName];
    if (!stack || _sameJson(stack.imports ?? {}, imports)) return;
    if (Object.keys(imports).length > 0) stack.imports = imports;
    else delete stack.imports;
    this.options.store.save();
  }

  /**
   * The fields still not applied after an update, with a notice for a memo the handler ignored:
   * it joins those left by earlier updates; any other outcome wrote the object whole.
   */
  private noteUnapplied(
    plan: _StackPlan, id: string, type: string, held: _StateResource | undefined, data: { readonly [key: string]: string },
  ): string[] | undefined {
    // A create says so too, when it took over an object that keeps its memo (a moved construct).
    if (data.MemoIgnored !== 'true') return undefined;
    const kind = type.replace(/^Custom::Mackerel/, '').toLowerCase();
    this.options.notice(`${plan.stackName}/${id}: the memo of the template was not applied, as Mackerel has no API to update the memo of a ${kind}; `
      + `the ${kind} keeps the memo it has (diff shows whether it differs; edit it in the Mackerel web UI)`);
    return [...new Set([...(held ? _unappliedFields(held) : []), 'memo'])].sort();
  }

  /**
   * CloudFormation's cleanup phase of one stack, after every create and update: the objects the
   * template no longer has (every object on destroy) and the old objects of replaced resources,
   * in one order, each before what it depended on (`_cleanupOrder`).
   */
  async cleanUp(plan: _StackPlan, destroy: boolean): Promise<void> {
    const stack = this.state.stacks[plan.stackName];
    const gone = stack ? Object.keys(stack.resources).filter((id) => destroy || !plan.resources[id]) : [];
    const pending = this.state.pendingDeletes.filter((p) => p.stackName === plan.stackName);
    for (const step of _cleanupOrder(stack?.resources ?? {}, gone, pending)) {
      if ('old' in step) await this.deleteOld(plan, step.old);
      else await this.deleteRemoved(plan, stack!, step.removed, gone);
    }
    if (!stack) return;
    if (Object.keys(stack.resources).length === 0) {
      delete this.state.stacks[plan.stackName];
      this.options.store.save();
    } else if (!destroy) {
      this.recordImports(plan, this.app.templateImports(plan.stackName));
    }
  }

  /**
   * The old object of a replaced resource. One that its resource holds again (a rename reverted
   * after a failed apply), or that its UpdateReplacePolicy retains, is only let go of: as
   * CloudFormation, the handler gets no delete. One another resource took over (two services that
   * swap names) is let go of too, but through the handler, as CloudFormation deletes it: the delete
   * leaves an object whose mark names another resource, and clears the mark's `handedOverFrom`.
   * So also when its UpdateReplacePolicy retains, where CloudFormation sends none: the record left
   * behind is harmless since the handler compares the physical ID of the resource it names, but a
   * tidy mark is one less thing to read later, and the handler never deletes an object another
   * resource's mark names, so the policy's promise, that the object stays, holds.
   */
  private async deleteOld(plan: _StackPlan, pending: _PendingDelete): Promise<void> {
    const holder = _holderOf(this.state, pending.type, pending.physicalId);
    const retain = _retaining(pending.updateReplacePolicy);
    const retainedBy = retain && _retainReason('UpdateReplacePolicy', retain);
    const stackId = this.state.stacks[pending.stackName]?.stackId ?? plan.stackId;
    const heldAgain = holder === `${pending.stackName}/${pending.logicalId}`;
    const result = heldAgain || (retainedBy && holder === undefined) ? undefined
      : await this.invoke(pending.stackName, this.event({ stackId }, pending.type, pending.logicalId, { RequestType: 'Delete', PhysicalResourceId: pending.physicalId }));
    this.state.pendingDeletes.splice(this.state.pendingDeletes.indexOf(pending), 1);
    this.options.store.save();
    const { stackName, logicalId, type, physicalId } = pending;
    const outcome: _Outcome = { stackName, logicalId, type, physicalId, previousId: physicalId, ...deleteOutcome(holder, retainedBy, result) };
    if (outcome.action === 'deleted' && type === _RESOURCE_TYPES.MONITOR) this.deletedMonitors.add(physicalId);
    this.done(outcome);
  }

  /**
   * A resource the template no longer has (or any, on destroy). One whose DeletionPolicy, as last
   * applied, retains the object gets no delete, as CloudFormation sends the handler none.
   */
  private async deleteRemoved(plan: _StackPlan, stack: _StateStack, id: string, gone: readonly string[]): Promise<void> {
    const held = stack.resources[id];
    // A service or role whose construct moved: the new resource took the object over, and this
    // delete only lets go of it (the handler leaves it in Mackerel).
    const takenBy = _holding(stack.resources, held.type, held.physicalId).find((other) => !gone.includes(other));
    const handedOverTo = takenBy && `${plan.stackName}/${takenBy}`;
    const retain = _retaining(held.deletionPolicy);
    const retainedBy = retain && _retainReason('DeletionPolicy', retain);
    const result = retainedBy ? undefined : await this.invoke(plan.stackName, this.event(stack, held.type, id, {
      RequestType: 'Delete', PhysicalResourceId: held.physicalId, ResourceProperties: { ...held.properties },
    }));
    delete stack.resources[id];
    this.options.store.save();
    const object = { stackName: plan.stackName, logicalId: id, type: held.type, physicalId: held.physicalId, name: _nameOf(held.properties) };
    const outcome: _Outcome = { ...object, ...deleteOutcome(handedOverTo, retainedBy, result) };
    if (outcome.action === 'deleted' && held.type === _RESOURCE_TYPES.MONITOR) this.deletedMonitors.add(held.physicalId);
    const monitorScopes = _retainedMonitorScopes(held.type, held.properties);
    if (outcome.action === 'retained' && monitorScopes !== undefined) {
      this.retainedScoping.push({ outcome, monitorScopes });
      return;
    }
    this.done(outcome);
  }

  /**
   * Says the retained lines held back for a downtime or alert group setting with monitor scopes: it
   * comes before its monitors in the cleanup, and they may be another stack's, whose cleanup comes
   * after (it imports them). Whether it stays is known once every cleanup is done (or stopped).
   */
  public sayRetainedScoping(): void {
    for (const { outcome, monitorScopes } of this.retainedScoping) {
      const goneWith = _goneWith(monitorScopes, (id) => this.deletedMonitors.has(id));
      this.done({ ...outcome, ...(goneWith ? { goneWith } : {}) });
    }
    this.retainedScoping = [];
  }
}

/**
 * What a cleanup delete came to: `released` when another resource holds the object (the handler
 * leaves it, or gets no delete), `retained` when a policy kept the delete from the handler, `left`
 * when the handler declined to delete it (its `LeftInMackerel` says why), else `deleted`.
 */
function deleteOutcome(
  handedOverTo: string | undefined, retainedBy: string | undefined, result: Awaited<ReturnType<_Invoke>> | undefined,
): Pick<_Outcome, 'action' | 'handedOverTo' | 'leftBecause' | 'retainedBy'> {
  if (handedOverTo) return { action: 'released', handedOverTo };
  if (retainedBy) return { action: 'retained', retainedBy };
  const reason = result?.Data?.LeftInMackerel;
  return typeof reason === 'string' && reason !== '' ? { action: 'left', leftBecause: reason } : { action: 'deleted' };
}
