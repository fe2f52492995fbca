/**
 * What the CLI knows about one stack before it acts: its Mackerel resources in dependency
 * order, and a resolver of their properties against the state. Shared by apply and diff.
 */
import { _reaches } from '../_graph';
import { _isListParameterType } from '../_template-references';
import { _GivenParameter } from './args';
import { _App, _Stack, _TemplateResource, _isMackerelType } from './assembly';
import { _importNames, _missingExport, _OutputRead, _outputReads, _stackOrder } from './cross-stack';
import { _CliError } from './errors';
import { _KNOWN_AFTER_APPLY, _Produced, _ResolveContext, _conditionHolds, _resolve, _stringifyScalars } from './intrinsics';
import { _placeholderReferences } from './invoke';
import { _namedProduced } from './named';
import { _dependencies, _directDependencies, _topologicalOrder } from './order';
import { _PolicyAttribute, _policyProblem, _retaining } from './policy';
import { _namesRoleOrService } from './scoped';
import { _StateFile } from './state';
import { _checkMetadataHolders, _checkNamedElsewhere, _checkUniqueNames, _urlPathHandOvers } from './unique-names';
import { _RESOURCE_TYPES } from '../provider/_properties';

/** Region and account given on the command line (they win over the stack's own). @internal */
export interface _Environment {
  readonly region?: string;
  readonly account?: string;
  /** Against an emulator: values only AWS knows resolve to placeholders (see `_ResolveContext.placeholders`). */
  readonly placeholders?: boolean;
  /** Values of template parameters (--parameters); a stack's own (`Stack:Name=Value`) wins over `Name=Value`. */
  readonly parameters?: readonly _GivenParameter[];
}

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '123456789012';

/** For diff: what stands in for values only an apply can know. @internal */
export interface _Unknowns {
  /** The text standing for such a value. */
  readonly placeholder: (what: string) => string;
  /**
   * Resources the apply will create or replace, by stack name: the physical ID and Data the state
   * holds for them are about to change, so a Ref, Fn::GetAtt, Fn::ImportValue or Fn::GetStackOutput of them is unknown
   * too, except for a service or role, whose physical ID follows from its properties (`named.ts`).
   */
  readonly pending?: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Every resource reads as the run leaves it, never as the state holds it: a service or role by
   * the name its properties give, anything else as unknown (a dashboard's URL path made of a
   * service's name, before the run that renames the service knows which resources it replaces).
   */
  readonly afterRun?: boolean;
}

/** The value another stack exports under a name, for the stack being resolved. @internal */
export type _ImportValue = (exportName: string, unknowns?: _Unknowns) => unknown;

/** The value of another stack's output, for the stack being resolved. @internal */
export type _StackOutput = (read: _OutputRead, unknowns?: _Unknowns) => unknown;

/** One stack, ready to act on. @internal */
export interface _StackPlan {
  readonly stackName: string;
  readonly stackId: string;
  /** Mackerel resources of the template, dependencies first. */
  readonly order: string[];
  readonly resources: { readonly [id: string]: _TemplateResource };
  readonly dependencies: Map<string, Set<string>>;
  /** The properties as CloudFormation would send them (strings), without ServiceToken. */
  properties(logicalId: string, unknowns?: _Unknowns): { [key: string]: unknown };
  /**
   * A resource's DeletionPolicy or UpdateReplacePolicy, undefined when absent; resolved, as
   * AWS::LanguageExtensions allows an Fn::If there (retain in production only).
   */
  policy(logicalId: string, attribute: _PolicyAttribute): unknown;
  /**
   * What a Ref or Fn::GetAtt of a resource reads: the state's physical ID and Data; with `unknowns`,
   * for a resource not applied yet or pending, what its properties make it (a service or role), else undefined.
   */
  produced(logicalId: string, unknowns?: _Unknowns): _Produced | undefined;
  /**
   * The URL path of a dashboard of the template, resolved (a parameter's value, another stack's
   * export) as the run leaves it (a service's name as renamed); undefined for another resource,
   * and for one known only after apply or that does not resolve (the run reports that itself).
   */
  urlPath(logicalId: string): string | undefined;
  /** The export names the Mackerel resources read with Fn::ImportValue. */
  imports(): ReadonlySet<string>;
  /** The outputs of other stacks the Mackerel resources read with Fn::GetStackOutput. */
  outputReads(): readonly _OutputRead[];
  /** Export name to output key, for the outputs that exist (their Condition holds). */
  exports(): ReadonlyMap<string, string>;
  /** The value of an output, against the state; a resource not applied yet is unknown for diff, an error for apply. */
  output(outputKey: string, unknowns?: _Unknowns): unknown;
  /** Whether the template has the output and its Condition holds. */
  hasOutput(outputKey: string): boolean;
}

/** A deterministic stack ID, like CloudFormation's ARN, unless the state already has one. @internal */
export function _stackId(stackName: string, env: { readonly region: string; readonly account: string }): string {
  return `arn:aws:cloudformation:${env.region}:${env.account}:stack/${stackName}/cdk-mackerel-local`;
}

/**
 * Plans one stack against the state. `notice` receives each placeholder message; `importValue`
 * reads the exports of the other stacks, and `stackOutput` their outputs (Fn::GetStackOutput).
 * @internal
 */
export function _planStack(
  stack: _Stack, state: _StateFile, env: _Environment, notice: (m: string) => void, importValue?: _ImportValue, stackOutput?: _StackOutput,
): _StackPlan {
  const stackEnv = {
    region: env.region ?? stack.region ?? DEFAULT_REGION,
    account: env.account ?? stack.account ?? DEFAULT_ACCOUNT,
  };
  const stackId = state.stacks[stack.stackName]?.stackId ?? _stackId(stack.stackName, stackEnv);
  const all = stack.template.Resources ?? {};
  const given = env.parameters ?? [];
  const parameterValues = Object.fromEntries([
    ...given.filter((p) => p.stack === undefined),
    ...given.filter((p) => p.stack === stack.stackName),
  ].map((p) => [p.name, p.value]));
  const ctx = (unknowns?: _Unknowns): _ResolveContext => ({
    stackName: stack.stackName,
    stackId,
    ...stackEnv,
    resources: all,
    conditions: stack.template.Conditions,
    parameters: stack.template.Parameters,
    mappings: stack.template.Mappings,
    placeholders: env.placeholders,
    parameterValues,
    produced: (id) => produced(id, unknowns),
    notice,
    unknownPlaceholder: unknowns?.placeholder,
    importValue: importValue && ((name) => importValue(name, unknowns)),
    stackOutput: stackOutput && ((read) => stackOutput(read, unknowns)),
  });
  const produced = (id: string, unknowns?: _Unknowns): _Produced | undefined => {
    const r = state.stacks[stack.stackName]?.resources[id];
    const changing = !r || unknowns?.afterRun === true || unknowns?.pending?.get(stack.stackName)?.has(id) === true;
    if (!changing) return { physicalId: r.physicalId, data: r.data };
    return unknowns ? derive(id, unknowns) : undefined;
  };
  // Only the identity properties are resolved: a placeholder elsewhere (a memo) leaves the ID known.
  const derive = (id: string, unknowns: _Unknowns): _Produced | undefined => {
    const resource = all[id];
    let unknown = false;
    const watched: _Unknowns = {
      ...unknowns,
      placeholder: (what) => {
        unknown = true;
        return unknowns.placeholder(what);
      },
    };
    const found = _namedProduced(resource.Type, (field) => _stringifyScalars(_resolve(resource.Properties?.[field], ctx(watched))));
    return unknown ? undefined : found;
  };
  // Resolved on first use, so that a stack only read for its exports never evaluates its other conditions.
  const live = once(() => inStack(stack.stackName, () => liveResources(all, (r) => _conditionHolds(r, ctx()))));
  const dependencies = once(() => _dependencies(live()));
  const urlPaths = new Map<string, string | undefined>();
  const urlPath = (id: string): string | undefined => {
    const resource = live()[id];
    if (resource?.Type !== _RESOURCE_TYPES.DASHBOARD) return undefined;
    if (!urlPaths.has(id)) {
      let value: unknown;
      let unknown = false;
      const placeholder = (what: string) => {
        unknown = true;
        return _KNOWN_AFTER_APPLY(what);
      };
      try {
        value = _stringifyScalars(_resolve(resource.Properties?.urlPath, { ...ctx({ placeholder, afterRun: true }), resource: id }));
      } catch (e) {
        if (!(e instanceof _CliError)) throw e;
      }
      urlPaths.set(id, typeof value === 'string' && !unknown ? value : undefined);
    }
    return urlPaths.get(id);
  };
  const order = once(() => inStack(stack.stackName, () => {
    // A dashboard that takes the URL path another gives up waits for that update, as Mackerel refuses (409) a URL path held at the
    // moment of the write; not recorded as a dependency (nothing orders their deletes). One that would make a cycle (a swap, or a
    // dependency the other way) is left out, and the run refused (_checkUniqueNames); each other one still orders its pair.
    const withHandOvers = new Map([...dependencies()].map(([id, deps]) => [id, new Set(deps)]));
    for (const { taker, leaver } of _urlPathHandOvers([{ stackName: stack.stackName, resources: live(), urlPath }], state)) {
      const deps = withHandOvers.get(taker.logicalId);
      if (!deps || !withHandOvers.has(leaver.logicalId) || deps.has(leaver.logicalId)) continue;
      deps.add(leaver.logicalId);
      try {
        _topologicalOrder(withHandOvers);
      } catch {
        deps.delete(leaver.logicalId);
      }
    }
    return _topologicalOrder(withHandOvers);
  }));
  const outputs = stack.template.Outputs ?? {};
  const mackerelProperties = () => Object.values(live()).filter((r) => _isMackerelType(r.Type)).map((r) => r.Properties ?? {});
  const imports = once(() => inStack(stack.stackName, () => _importNames(mackerelProperties(), (arg) => String(_resolve(arg, ctx())))));
  const outputReads = once(() => inStack(stack.stackName, () => [..._outputReads(mackerelProperties(), (arg) => _resolve(arg, ctx())).values()]));
  // CloudFormation allows no Ref or Fn::GetAtt of a resource in an Export.Name: the stack's context resolves it.
  const exports = once(() => inStack(stack.stackName, () => new Map(Object.entries(outputs)
    .filter(([, o]) => o.Export !== undefined && _conditionHolds(o, ctx()))
    .map(([key, o]) => [String(_resolve(o.Export?.Name, ctx())), key]))));
  return {
    stackName: stack.stackName,
    stackId,
    get order() {
      return order();
    },
    get resources() {
      return live();
    },
    get dependencies() {
      return dependencies();
    },
    properties: (logicalId, unknowns) => inStack(stack.stackName, () => {
      const { ServiceToken: _token, ...rest } = live()[logicalId].Properties ?? {};
      const resolved = _stringifyScalars(_resolve(rest, { ...ctx(unknowns), resource: logicalId })) as { [key: string]: unknown };
      // Against an emulator the handler gets a placeholder for each secret (a dynamic reference): said
      // with the placeholders of values only AWS knows, so that diff says it as apply does. The
      // properties keep the reference, as the state records it.
      if (env.placeholders) _placeholderReferences(resolved, notice);
      return resolved;
    }),
    produced: (logicalId, unknowns) => inStack(stack.stackName, () => produced(logicalId, unknowns)),
    urlPath,
    policy: (logicalId, attribute) => inStack(stack.stackName, () => _resolve(live()[logicalId][attribute], { ...ctx(), resource: logicalId })),
    imports,
    outputReads,
    exports,
    output: (outputKey, unknowns) => {
      // Named with the stack: the importing stack's diff shows it, where a bare logical ID would mislead.
      const unknown = (what: string): string => {
        if (unknowns) return unknowns.placeholder(`${stack.stackName}/${what}`);
        throw new _CliError(`${stack.stackName}/${what} is not applied yet; apply stack ${stack.stackName} first`);
      };
      return _resolve(outputs[outputKey]?.Value, { ...ctx(unknowns), unknownPlaceholder: unknown });
    },
    hasOutput: (outputKey) => Object.prototype.hasOwnProperty.call(outputs, outputKey)
      && inStack(stack.stackName, () => _conditionHolds(outputs[outputKey], ctx())),
  };
}

/**
 * The Mackerel resources whose Condition holds, and the resources they reach through references
 * and DependsOn (the dependency order walks through them) whose Condition holds. The conditions
 * of other resources are never evaluated: a parameter only they use (given at deploy time,
 * without Default) does not matter to Mackerel.
 */
function liveResources(
  all: { readonly [id: string]: _TemplateResource }, holds: (r: _TemplateResource) => boolean,
): { [id: string]: _TemplateResource } {
  const kept = new Set<string>();
  const seen = new Set<string>();
  const queue = Object.keys(all).filter((id) => _isMackerelType(all[id].Type));
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const r = all[id];
    if (!holds(r)) continue;
    kept.add(id);
    queue.push(..._directDependencies(all, id));
  }
  return Object.fromEntries(Object.entries(all).filter(([id]) => kept.has(id)));
}

/** Runs a resolution of a stack, its errors prefixed with the stack's name (unless they already start with it). */
function inStack<T>(stackName: string, resolve: () => T): T {
  try {
    return resolve();
  } catch (e) {
    if (!(e instanceof _CliError) || e.message.startsWith(`${stackName}: `)) throw e;
    throw new _CliError(`${stackName}: ${e.message}`);
  }
}

function once<T>(compute: () => T): () => T {
  let value: { readonly v: T } | undefined;
  return () => (value ??= { v: compute() }).v;
}

/** Deep equality of two JSON values. @internal */
export function _sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** Reverse dependency order of resources kept in the state (dependents first). @internal */
export function _reverseStateOrder(resources: { readonly [id: string]: { readonly dependsOn?: string[] } }, ids: string[]): string[] {
  const deps = new Map(ids.map((id) => [id, new Set((resources[id].dependsOn ?? []).filter((d) => ids.includes(d)))]));
  return _topologicalOrder(deps).reverse();
}

/** An old object of a replaced resource, still to delete: an entry of the state's `pendingDeletes`. @internal */
export type _PendingDelete = _StateFile['pendingDeletes'][number];

/**
 * What the cleanup order reads of a resource the state holds: what it depended on, and, for the
 * deletes of roles and services, what names one (`_namesRoleOrService`). @internal
 */
export interface _CleanupResource {
  readonly dependsOn?: string[];
  readonly type?: string;
  readonly physicalId?: string;
  readonly properties?: { readonly [key: string]: unknown };
}

/** One delete of a stack's cleanup: a resource the template no longer has, or an old object of a replacement. @internal */
export type _CleanupStep = { readonly removed: string } | { readonly old: _PendingDelete };

/**
 * CloudFormation's cleanup of one stack: the resources removed from the template (`removed`, held
 * in the state) and the old objects of replaced resources (`pending`, this stack's), in one order,
 * each deleted before what it depended on, as CloudFormation orders the cleanup by the old
 * template. A role removed along with its service's rename goes before the service's old object,
 * which the handler would otherwise leave in Mackerel (deleting it would delete the role); a
 * service removed along with the replacement of a monitor tied to it goes after the monitor's old
 * object. So does a role or monitor that names a deleted service by a literal name rather than
 * its `Ref` (`_tiedService`), which records no dependency on it, and a monitor, downtime or alert
 * group setting whose scopes name a deleted role by a literal name (`_scopesNameRole`), or a downtime or
 * alert group setting whose scopes name a deleted service (`_scopesNameService`), which the handler
 * would otherwise leave in Mackerel for good (`_namesRoleOrService` reads them all). An old object depended on what its resource depended on before the replacement (the
 * `dependsOn` recorded with it; in a state written before it was recorded, what the resource
 * depends on now, and the old objects one after another, latest first).
 * @internal
 */
export function _cleanupOrder(
  resources: { readonly [id: string]: _CleanupResource }, removed: readonly string[], pending: readonly _PendingDelete[],
): _CleanupStep[] {
  const key = (i: number) => `old ${String(i).padStart(6, '0')}`;
  const deps = new Map<string, Set<string>>();
  const on = (logicalIds: readonly string[]): string[] => logicalIds.flatMap((d) => [
    ...removed.includes(d) ? [d] : [],
    ...pending.flatMap((p, i) => p.logicalId === d ? [key(i)] : []),
  ]);
  // The roles and services the cleanup deletes: the handler leaves one still named (the service a role or monitor is tied
  // to, a role or service in scopes), and one naming it by a literal name records no dependency on it.
  const named = [
    ...removed.filter((id) => NAMED.has(resources[id].type!)).map((id) => ({ held: resources[id] as Named, step: id })),
    ...pending.flatMap((p, i) => NAMED.has(p.type) ? [{ held: p as Named, step: key(i) }] : []),
  ];
  const naming = (step: string, resource: _CleanupResource): string[] => resource.type === undefined ? []
    : named.filter((n) => n.step !== step && _namesRoleOrService(resource as Named, n.held)).map((n) => n.step);
  for (const id of removed) {
    const r = resources[id];
    deps.set(id, new Set([...on(r.dependsOn ?? []), ...naming(id, r)]));
  }
  pending.forEach((p, i) => {
    const recorded = p.dependsOn !== undefined;
    const before = (recorded ? p.dependsOn : resources[p.logicalId]?.dependsOn) ?? [];
    // Without a record, a later replacement is deleted first: it was made after (it may depend on) the earlier ones.
    const earlier = recorded ? [] : pending.slice(0, i).flatMap((q, j) => q.dependsOn === undefined ? [key(j)] : []);
    deps.set(key(i), new Set([...on(before).filter((k) => k !== key(i)), ...earlier, ...naming(key(i), { type: p.type, physicalId: p.physicalId })]));
  });
  let order: string[];
  try {
    order = _topologicalOrder(deps).reverse();
  } catch {
    // A cycle can only come from a state edited by hand or written by runs of other versions: the
    // order of earlier versions then, the old objects latest first and the removed resources after.
    order = [...pending.map((_, i) => key(i)).reverse(), ..._reverseStateOrder(resources, [...removed])];
  }
  // A logical ID has letters and digits only: no key of a removed resource starts with "old ".
  return order.map((k) => k.startsWith('old ') ? { old: pending[Number(k.slice(4))] } : { removed: k });
}

/**
 * Whether the cleanup of a plain apply of these stacks deletes the object of a resource of the
 * state, by stack name and logical ID, for `_literallyNamed`: one removed from its stack's template
 * and not retained by its DeletionPolicy, or one the run replaces (`replaced`, by stack name:
 * diff's prediction, or what apply replaced), whose old object its cleanup deletes unless the
 * template's UpdateReplacePolicy retains it.
 * @internal
 */
export function _cleanupDeletes(
  plans: readonly _StackPlan[], state: _StateFile, replaced: ReadonlyMap<string, ReadonlySet<string>>,
): (stackName: string, logicalId: string) => boolean {
  return (stackName, logicalId) => {
    const plan = plans.find((p) => p.stackName === stackName);
    const held = state.stacks[stackName]?.resources[logicalId];
    if (!plan || !held) return false;
    // An old object its UpdateReplacePolicy retains stays, and names what it named whatever the order.
    if (plan.resources[logicalId]) return (replaced.get(stackName)?.has(logicalId) ?? false) && !_retaining(plan.policy(logicalId, 'UpdateReplacePolicy'));
    return !_retaining(held.deletionPolicy);
  };
}

/** The types a resource may name by name, which the handler leaves while something does. */
const NAMED = new Set<string>([_RESOURCE_TYPES.SERVICE, _RESOURCE_TYPES.ROLE]);

/** A resource of the cleanup with its type and physical ID known. */
type Named = { readonly type: string; readonly physicalId: string; readonly properties?: { readonly [key: string]: unknown } };

/** The stacks to act on, planned, and the order between them. @internal */
export interface _AppPlan {
  /** Each stack after the stacks it depends on (the manifest's dependencies, Fn::ImportValue and Fn::GetStackOutput). */
  readonly stacks: _StackPlan[];
  /**
   * The stacks in the order a plain apply cleans them up (deletes the objects removed from the
   * templates and the old objects of replacements): each stack before the stacks it depends on,
   * and also before a stack whose cleanup deletes a role or service that an object its own cleanup
   * deletes names by a literal name (`literal` gives those stacks), but for a name that would close
   * a cycle, as `destroyOrder`.
   */
  cleanupOrder(literal: (stackName: string) => Iterable<string>): _StackPlan[];
  /**
   * The stacks in the order `apply --destroy` deletes them: the reverse of `stacks`, with a stack
   * also before those it names an object of by a literal name (`literal`: the stacks holding one,
   * which records no dependency), but for a name that would close a cycle, which is left out.
   */
  destroyOrder(literal: (stackName: string) => Iterable<string>): _StackPlan[];
  /**
   * Fails, before anything changes, on an Fn::ImportValue no stack exports or an Fn::GetStackOutput of
   * a stack or output the app does not have; when `applying`, also on one whose stack is left out
   * by --stack and not applied yet.
   */
  checkImports(options: { readonly applying: boolean }): void;
  /** Fails when a stack left out by --stack imports an export of a stack to destroy, as CloudFormation refuses that delete. */
  checkDestroy(): void;
  /**
   * Fails when a stack left out by --stack, and applied, imports an export of a stack of the run
   * that the run removes or gives another value, as CloudFormation refuses to change an export in use.
   * `pending` gives, by stack name, the resources the run creates or replaces (new physical IDs).
   */
  checkExportsInUse(pending: () => ReadonlyMap<string, ReadonlySet<string>>): void;
  /**
   * Fails when an AWS integration or dashboard the run creates has the name or URL path of one the state holds, a service
   * or role the name of one another stack holds, or two metadata resources write one namespace (`unique-names.ts`). `pending`
   * gives, by stack name, the resources the run creates or replaces: a role on a service the run renames is checked under
   * the service's new name.
   */
  checkUniqueNames(pending: () => ReadonlyMap<string, ReadonlySet<string>>): void;
  /** Fails when a logical ID the state holds has another resource type in the template, as CloudFormation refuses that update. */
  checkTypeChanges(): void;
  /** Fails when a Mackerel resource has a DeletionPolicy or UpdateReplacePolicy the CLI cannot act on (Snapshot). */
  checkPolicies(): void;
  /** Export name to exporting stack, for what the Mackerel resources of a stack's template import. */
  templateImports(stackName: string): { [exportName: string]: string };
}

/**
 * Stack names dependents first, from `base`, with a stack also before the stacks `literal` gives for
 * it (those holding a role or service it names by a literal name, which records no dependency), but
 * for a name that would close a cycle: each step takes the first stack of `base` whose turn has come,
 * so only a literal name moves one.
 */
function literalOrder(
  base: readonly string[], dependsOn: (name: string) => Iterable<string>, literal: (stackName: string) => Iterable<string>,
): string[] {
  const kept = new Map<string, string[]>(base.map((n) => [n, []]));
  const order = () => _stackOrder(base, (n) => [...dependsOn(n), ...kept.get(n) ?? []], { dependentsFirst: true });
  // Each name is kept unless it closes a cycle with the dependencies and the names kept before it: dropping
  // them all for one cycle would let a stack outside it go after the stack whose role or service it names.
  for (const name of base) {
    for (const other of new Set(literal(name))) {
      kept.get(name)!.push(other);
      try {
        order();
      } catch (e) {
        if (!(e instanceof _CliError)) throw e;
        kept.get(name)!.pop();
      }
    }
  }
  return order();
}

interface Exporter {
  readonly plan: _StackPlan;
  readonly outputKey: string;
}

/**
 * Plans the stacks to act on. A stack is planned when it is first needed: those of the run, those
 * that export a name or whose output is read (an Fn::ImportValue or Fn::GetStackOutput reads the
 * other stack's output against the state, --stack or not), and applied stacks left out that may
 * import from the run. A stack never read
 * is never resolved, so its parameters and conditions cannot fail a run that leaves it out.
 * @internal
 */
export function _planApp(
  app: _App, state: _StateFile, env: _Environment, notice: (m: string) => void, options: { readonly destroy?: boolean } = {},
): _AppPlan {
  const all = app.allStacks ?? app.stacks;
  // A destroy needs no template values, as CloudFormation's delete takes no parameters: it orders
  // the stacks by the manifest and the imports the state recorded, and reads the templates only
  // where they resolve (a state written before imports were recorded), never failing on them.
  const forOrder = <T>(read: () => T, otherwise: T): T => {
    if (!options.destroy) return read();
    try {
      return read();
    } catch (e) {
      if (e instanceof _CliError) return otherwise;
      throw e;
    }
  };
  const plans = new Map<string, _StackPlan>();
  const planOf = (name: string): _StackPlan | undefined => {
    const stack = all.find((s) => s.stackName === name);
    if (!stack || plans.has(name)) return plans.get(name);
    const importValue = (exportName: string, unknowns?: _Unknowns) => readExport(name, exportName, exporterOf(name, exportName), unknowns);
    const stackOutput = (read: _OutputRead, unknowns?: _Unknowns) =>
      readOutput(outputReadBy(name, read), producerOf(name, read), read.outputName, unknowns);
    const plan = _planStack(stack, state, env, notice, importValue, stackOutput);
    plans.set(name, plan);
    return plan;
  };
  const allNames = all.map((s) => s.stackName);
  const exporters = once(() => exportIndex(all.filter(hasExports).flatMap((s) => planOf(s.stackName) ?? [])));
  const exporterOf = (importer: string, exportName: string): Exporter => {
    const found = exporters().get(exportName);
    if (!found) throw _missingExport(importer, exportName, allNames);
    return found;
  };
  // A weak reference names the stack itself; CloudFormation reads the output of that stack in the given region.
  const producerOf = (importer: string, read: _OutputRead): _StackPlan => {
    const stack = all.find((s) => s.stackName === read.stackName);
    const where = outputReadBy(importer, read);
    if (!stack) throw new _CliError(`${where}: no stack of the app is named ${read.stackName} (stacks: ${allNames.join(', ')}); expected a stack of the same cloud assembly (run cdk synth for the whole app)`);
    if (read.stackName === importer) throw new _CliError(`${where}: a stack cannot read its own output; expected another stack (use Ref or Fn::GetAtt within a stack)`);
    // Without Region, CloudFormation reads the stack of that name in the reading stack's region.
    const region = read.region ?? all.find((s) => s.stackName === importer)?.region;
    if (region && stack.region && region !== stack.region) {
      throw new _CliError(`${where}: stack ${read.stackName} of the app is in ${stack.region}, not ${region}; expected the stack the reference names`);
    }
    const plan = planOf(read.stackName)!;
    if (!plan.hasOutput(read.outputName)) throw new _CliError(`${where}: stack ${read.stackName} has no output ${read.outputName} (or its Condition does not hold)`);
    return plan;
  };
  const templateImports = (name: string): { [exportName: string]: string } => {
    const found: { [exportName: string]: string } = {};
    for (const exportName of planOf(name)?.imports() ?? []) {
      const exporter = exporters().get(exportName);
      if (exporter) found[exportName] = exporter.plan.stackName;
    }
    return found;
  };
  // What a stack imports: its template's, and what the state recorded when it was last applied
  // (an import removed from the template still holds the export until the stack is applied).
  const importsOf = (name: string): Map<string, string> => new Map([
    ...Object.entries(state.stacks[name]?.imports ?? {}),
    ...Object.entries(forOrder(() => templateImports(name), {})),
  ]);
  const names = app.stacks.map((s) => s.stackName);
  const acting = names.flatMap((n) => planOf(n) ?? []);
  const dependsOn = (name: string): string[] => [
    ...app.stacks.find((s) => s.stackName === name)?.dependencies ?? [],
    ...importsOf(name).values(),
    ...forOrder(() => planOf(name)?.outputReads() ?? [], []).map((read) => read.stackName),
  ];
  const inOrder = (order: string[]) => order.flatMap((n) => planOf(n) ?? []);
  // Applied stacks left out by --stack, with what they import from stacks of the run.
  const leftOutImporters = (): { importer: string; exportName: string; exporter: string }[] => Object.keys(state.stacks)
    .filter((importer) => !names.includes(importer))
    .flatMap((importer) => [...importsOf(importer)]
      .filter(([, exporter]) => names.includes(exporter))
      .map(([exportName, exporter]) => ({ importer, exportName, exporter })));
  const stacks = inOrder(_stackOrder(names, dependsOn));
  return {
    stacks,
    cleanupOrder: (literal) => inOrder(literalOrder(names, dependsOn, literal)),
    destroyOrder: (literal) => inOrder(literalOrder([...stacks].reverse().map((p) => p.stackName), dependsOn, literal)),
    checkImports: ({ applying }) => {
      for (const plan of acting) {
        for (const exportName of plan.imports()) {
          const exporter = exporterOf(plan.stackName, exportName);
          // A stack applied in this run exports its value before it is read; one left out must already have.
          if (applying && !names.includes(exporter.plan.stackName)) readExport(plan.stackName, exportName, exporter);
        }
        for (const read of plan.outputReads()) {
          const producer = producerOf(plan.stackName, read);
          if (applying && !names.includes(producer.stackName)) readOutput(outputReadBy(plan.stackName, read), producer, read.outputName);
        }
      }
    },
    checkDestroy: () => {
      const [inUse] = leftOutImporters();
      if (inUse) {
        throw new _CliError(`cannot destroy stack ${inUse.exporter}: stack ${inUse.importer} imports its exports and is applied; `
          + `destroy ${inUse.importer} first, or leave out --stack (CloudFormation refuses to delete an export in use)`);
      }
    },
    checkExportsInUse: (pending) => {
      for (const { importer, exportName, exporter } of leftOutImporters()) {
        const change = exportChange(exporters().get(exportName), exporter, pending);
        if (change) {
          throw new _CliError(`stack ${exporter} ${change} export ${JSON.stringify(exportName)}, which stack ${importer} imports and is applied (left out by --stack); `
            + `apply without --stack, or remove the import from ${importer} and apply it first (CloudFormation refuses to change an export in use)`);
        }
      }
    },
    checkUniqueNames: (pending) => {
      // In the order apply runs the stacks: a dashboard may take the URL path one of a stack applied before it gives up,
      // where the templates make the one stack depend on the other: an import only the state recorded (the template no
      // longer has it) orders apply, but not CloudFormation, which deploys by the templates.
      const ordering = (name: string): string[] => [
        ...app.stacks.find((s) => s.stackName === name)?.dependencies ?? [],
        ...Object.values(templateImports(name)),
        ...(planOf(name)?.outputReads() ?? []).map((read) => read.stackName),
      ];
      const through = (edges: (name: string) => string[]) => (from: string, to: string) => _reaches(from, to, edges);
      // Apply's own order as well, for advice that adds no dependency making a cycle with an import only the state recorded.
      _checkUniqueNames(stacks, state, through(ordering), through(dependsOn));
      _checkNamedElsewhere(acting, state, pending, { names: allNames, stage: app.stage ? ` --stage ${app.stage}` : '' });
      _checkMetadataHolders(acting, state, pending, all);
    },
    checkTypeChanges: () => {
      for (const plan of acting) {
        for (const [id, resource] of Object.entries(plan.resources)) {
          const held = state.stacks[plan.stackName]?.resources[id];
          if (!held || held.type === resource.Type) continue;
          const name = typeof held.properties.name === 'string' ? ` "${held.properties.name}"` : '';
          throw new _CliError(`${plan.stackName}/${id} was applied as ${held.type} (${held.physicalId}${name}) and is ${resource.Type} in the template; `
            + 'expected the type it was applied with, as CloudFormation refuses to change the type of a logical ID: give the new construct '
            + 'another id (apply then creates it and deletes the old object), or remove it, apply, and add it back');
        }
      }
    },
    checkPolicies: () => {
      for (const plan of acting) {
        for (const [id, resource] of Object.entries(plan.resources).filter(([, r]) => _isMackerelType(r.Type))) {
          for (const attribute of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
            const problem = _policyProblem(`${plan.stackName}/${id} (${resource.Type})`, attribute, plan.policy(id, attribute));
            if (problem) throw new _CliError(problem);
          }
        }
      }
    },
    templateImports,
  };
}

/**
 * Fails when a --parameters value names a stack the app does not have or a parameter no stack
 * it applies to has; `stacks` are the stacks of the run's stage, --stack or not.
 * @internal
 */
export function _checkGivenParameters(given: readonly _GivenParameter[], stacks: readonly _Stack[], path: string): void {
  for (const p of given) {
    const names = (s: _Stack) => Object.keys(s.template.Parameters ?? {});
    if (p.stack !== undefined) {
      const stack = stacks.find((s) => s.stackName === p.stack);
      if (!stack) throw new _CliError(`--parameters ${p.given}: ${path} has no stack ${p.stack}; expected one of ${stacks.map((s) => s.stackName).join(', ')}`);
      if (!names(stack).includes(p.name)) {
        throw new _CliError(`--parameters ${p.given}: stack ${p.stack} has no parameter ${p.name}; expected one of ${names(stack).join(', ') || '(it has none)'}`);
      }
    } else if (!stacks.some((s) => names(s).includes(p.name))) {
      const all = [...new Set(stacks.flatMap(names))];
      throw new _CliError(`--parameters ${p.given}: no stack of ${path} has a parameter ${p.name}; expected one of ${all.join(', ') || '(they have none)'}`);
    }
  }
}

/**
 * The values of the NoEcho parameters of `stacks` (given with --parameters, else their Default),
 * and of each item of a list: what the CLI's output blanks, as CloudFormation masks them.
 * @internal
 */
export function _noEchoValues(given: readonly _GivenParameter[], stacks: readonly _Stack[]): string[] {
  return stacks.flatMap((stack) => Object.entries(stack.template.Parameters ?? {}).flatMap(([name, param]) => {
    if (String(param.NoEcho) !== 'true') return [];
    const value = given.find((p) => p.stack === stack.stackName && p.name === name)?.value
      ?? given.find((p) => p.stack === undefined && p.name === name)?.value
      ?? (param.Default === undefined ? undefined : String(param.Default));
    if (value === undefined) return [];
    return _isListParameterType(param.Type) ? [value, ...value.split(',').map((item) => item.trim())] : [value];
  }));
}

function hasExports(stack: _Stack): boolean {
  return Object.values(stack.template.Outputs ?? {}).some((o) => o.Export !== undefined);
}

/**
 * How the run changes an export another stack imports: removed, or given another value (an
 * object it names is created or replaced, or the output now reads something else); undefined
 * when it stays as applied.
 */
function exportChange(found: Exporter | undefined, exporter: string, pending: () => ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  if (!found || found.plan.stackName !== exporter) return 'would remove';
  const applied = found.plan.output(found.outputKey, { placeholder: _KNOWN_AFTER_APPLY });
  const next = found.plan.output(found.outputKey, { placeholder: _KNOWN_AFTER_APPLY, pending: pending() });
  return _sameJson(applied, next) ? undefined : 'would change the value of';
}

/** The value of an export, an error naming the import and the output otherwise. */
function readExport(importer: string, exportName: string, { plan, outputKey }: Exporter, unknowns?: _Unknowns): unknown {
  return readOutput(`${importer}: Fn::ImportValue ${JSON.stringify(exportName)} (output ${outputKey} of stack ${plan.stackName})`, plan, outputKey, unknowns);
}

/** How an error names a weak reference: the reading stack and the output read. */
function outputReadBy(importer: string, read: _OutputRead): string {
  return `${importer}: Fn::GetStackOutput ${read.stackName}.${read.outputName}`;
}

/** The value of another stack's output, an error prefixed with `where` (the reference reading it) otherwise. */
function readOutput(where: string, plan: _StackPlan, outputKey: string, unknowns?: _Unknowns): unknown {
  try {
    return plan.output(outputKey, unknowns);
  } catch (e) {
    throw new _CliError(`${where}: ${(e as Error).message}`);
  }
}

/** Export name to the stack and output defining it; CloudFormation requires the names unique. */
function exportIndex(plans: readonly _StackPlan[]): Map<string, Exporter> {
  const index = new Map<string, Exporter>();
  for (const plan of plans) {
    for (const [exportName, outputKey] of plan.exports()) {
      const other = index.get(exportName);
      if (other) throw new _CliError(`export ${JSON.stringify(exportName)} is defined by both stack ${other.plan.stackName} and stack ${plan.stackName}; expected export names unique in the app`);
      index.set(exportName, { plan, outputKey });
    }
  }
  return index;
}
