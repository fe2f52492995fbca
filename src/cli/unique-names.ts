/**
 * AWS integration names and dashboard URL paths are unique in the Mackerel organization
 * (mackerel-api.md sections 4.2 and 9.15; the dashboards API answers 409), and neither object is
 * taken over the way a service or role is (`named.ts`): a new logical ID creates a new object.
 * The create comes before the old resource's delete, in apply as in CloudFormation, so a create
 * under a name the state still holds fails on every run (and for an integration, each failed run
 * leaves one more external ID that no integration uses).
 */
import { _reaches } from '../_graph';
import type { _Stack } from './assembly';
import { _CliError } from './errors';
import { _KNOWN_AFTER_APPLY } from './intrinsics';
import { _isNamedType, _namedProduced } from './named';
import { _topologicalOrder } from './order';
import type { _StackPlan } from './plan';
import { _retaining } from './policy';
import { _StateFile, _holding } from './state';
import { _METADATA_TYPES, _RESOURCE_TYPES } from '../provider/_properties';
import { metadataAt, metadataPhysicalId } from '../provider/handler/resources/metadata';

/** A type whose objects are unique in the organization by one literal field. @internal */
export interface _UniqueKind {
  readonly type: string;
  readonly field: string;
  /** `an AWS integration named`, `a dashboard with the URL path` */
  readonly creating: string;
  /** `the name`, `the URL path` */
  readonly the: string;
  /** `AWS integration names`, `dashboard URL paths` */
  readonly plural: string;
  /** What a failed create leaves behind, as a clause: `, each time leaving an unused external ID`, or ''. */
  readonly leaves: (everyRun: boolean) => string;
  /** What to give the construct instead: `a new name`, `a new URL path`. */
  readonly another: string;
  /** `AWS integration`, `dashboard` */
  readonly noun: string;
}

/** Dashboards and AWS integrations, by the field Mackerel keeps unique. @internal */
export const _UNIQUE_KINDS: readonly _UniqueKind[] = [
  {
    type: _RESOURCE_TYPES.AWS_INTEGRATION,
    field: 'name',
    creating: 'an AWS integration named',
    the: 'the name',
    plural: 'AWS integration names',
    leaves: (everyRun) => (everyRun ? ', each time leaving an unused external ID' : ', leaving an unused external ID'),
    another: 'name',
    noun: 'AWS integration',
  },
  {
    type: _RESOURCE_TYPES.DASHBOARD,
    field: 'urlPath',
    creating: 'a dashboard with the URL path',
    the: 'the URL path',
    plural: 'dashboard URL paths',
    leaves: () => '',
    another: 'URL path',
    noun: 'dashboard',
  },
];

const DASHBOARDS = _UNIQUE_KINDS.find((k) => k.type === _RESOURCE_TYPES.DASHBOARD)!;

interface Holder {
  readonly stackName: string;
  readonly logicalId: string;
}

/**
 * Fails when an AWS integration or a dashboard the run creates has the literal name, or the URL path (resolved where known before apply),
 * of one the state holds under another logical ID or in another stack. `plans` are in the order apply runs them; `dependsOn`
 * tells whether a stack's template depends on another's, directly or not; `appliedAfter`, whether apply orders a stack after
 * another, also by an import only the state recorded.
 * @internal
 */
export function _checkUniqueNames(
  plans: readonly _StackPlan[], state: _StateFile, dependsOn: (stackName: string, other: string) => boolean = () => false,
  appliedAfter: (stackName: string, other: string) => boolean = dependsOn,
): void {
  checkUrlPathsOfRun(plans);
  for (const kind of _UNIQUE_KINDS) {
    for (const plan of plans) {
      for (const [logicalId, resource] of Object.entries(plan.resources)) {
        // A dashboard's URL path resolved (a parameter's value), as the run's URL path hand-overs are.
        const value = kind.type === _RESOURCE_TYPES.DASHBOARD ? plan.urlPath(logicalId) : resource.Properties?.[kind.field];
        if (resource.Type !== kind.type || typeof value !== 'string') continue;
        // Held under this logical ID, it is updated in place (a new name is a PUT), not created.
        if (state.stacks[plan.stackName]?.resources[logicalId]?.type === kind.type) continue;
        const holder = holderOf(state, kind, value);
        // A dashboard that moves away in the run gives its URL path up before the create (checkUrlPathOrder).
        if (holder && kind.type === _RESOURCE_TYPES.DASHBOARD && movesAway(plans, holder, value)) continue;
        if (holder) throw new _CliError(clashMessage(kind, plan.stackName, logicalId, value, holder, deletedBy(plans, kind, holder)));
      }
    }
  }
  checkUrlPathSwaps(plans, state, dependsOn);
  checkUrlPathUpdates(plans, state);
  checkUrlPathOrder(plans, state, dependsOn, appliedAfter);
}

/**
 * Fails when two dashboards of the run's templates have one URL path: synthesis refuses two literal
 * ones, but not a URL path given by a parameter or an import, which it sees as a token; the second
 * write would fail on Mackerel's 409 after the first.
 */
function checkUrlPathsOfRun(plans: readonly _StackPlan[]): void {
  const seen = new Map<string, string>();
  for (const plan of plans) {
    for (const logicalId of Object.keys(plan.resources)) {
      const urlPath = plan.urlPath(logicalId);
      if (urlPath === undefined) continue;
      const at = `${plan.stackName}/${logicalId}`;
      const other = seen.get(urlPath);
      if (other !== undefined) {
        throw new _CliError(`${other} and ${at} would both have the URL path ${JSON.stringify(urlPath)} after this run; dashboard URL paths are unique in `
          + 'the Mackerel organization, so the second write would fail (synthesis could not tell: a URL path given by a parameter or an import is a token '
          + 'there). Give one of them another URL path');
      }
      seen.set(urlPath, at);
    }
  }
}

/** A dashboard the run updates to another known URL path. */
interface UrlPathMove {
  readonly stackName: string;
  readonly logicalId: string;
  readonly at: string;
  readonly from: string;
  readonly to: string;
}

/** A dashboard of a template given a URL path (known before apply) other than the one the state holds for it (none for a create). */
interface UrlPathClaim {
  readonly stackName: string;
  readonly logicalId: string;
  readonly from?: string;
  readonly to: string;
}

/** A dashboard that takes the URL path another dashboard of the state gives up in the same run (`leaver` moves away from it). @internal */
export interface _UrlPathHandOver {
  readonly taker: UrlPathClaim;
  readonly leaver: UrlPathClaim & { readonly from: string };
}

/** What the URL path checks read of a stack's plan: its resources, and each dashboard's URL path resolved (`_StackPlan.urlPath`). */
type UrlPaths = Pick<_StackPlan, 'stackName' | 'resources' | 'urlPath'>;

/** The dashboards of a stack's template whose URL path (as far as known before apply) the state does not hold for them. */
function urlPathClaims({ stackName, resources, urlPath }: UrlPaths, state: _StateFile): UrlPathClaim[] {
  return Object.keys(resources).flatMap((logicalId) => {
    const to = urlPath(logicalId);
    const held = state.stacks[stackName]?.resources[logicalId];
    const from = held?.type === _RESOURCE_TYPES.DASHBOARD && typeof held.properties.urlPath === 'string' ? held.properties.urlPath : undefined;
    return to === undefined || to === from ? [] : [{ stackName, logicalId, ...(from !== undefined ? { from } : {}), to }];
  });
}

/**
 * The dashboards of the run that take a URL path another dashboard of the state gives up in the
 * same run by moving to another known one (its delete comes after every create and update, so a
 * dashboard removed gives up nothing in time). `plans` are the stacks of the run.
 * @internal
 */
export function _urlPathHandOvers(plans: readonly UrlPaths[], state: _StateFile): _UrlPathHandOver[] {
  const claims = plans.flatMap((plan) => urlPathClaims(plan, state));
  return claims.flatMap((taker) => {
    const holder = holderOf(state, DASHBOARDS, taker.to, taker);
    const leaver = holder && claims.find((c) => c.stackName === holder.stackName && c.logicalId === holder.logicalId);
    return leaver?.from === taker.to ? [{ taker, leaver: leaver as _UrlPathHandOver['leaver'] }] : [];
  });
}

/** Whether the run moves the dashboard the state holds as `holder` away from `urlPath` (to another known URL path). */
function movesAway(plans: readonly _StackPlan[], holder: Holder, urlPath: string): boolean {
  const to = plans.find((p) => p.stackName === holder.stackName)?.urlPath(holder.logicalId);
  return to !== undefined && to !== urlPath;
}

/**
 * Fails when dashboards the run updates take each other's URL paths (two that swap them, or more
 * round a ring): Mackerel refuses (409) a URL path another dashboard holds at the moment of the
 * write, so whichever is updated first fails, whatever the order (the urlPath JSDoc's case).
 */
function checkUrlPathSwaps(plans: readonly _StackPlan[], state: _StateFile, dependsOn: (stackName: string, other: string) => boolean): void {
  const moves: UrlPathMove[] = [];
  for (const plan of plans) {
    for (const claim of urlPathClaims(plan, state)) {
      if (claim.from !== undefined) {
        moves.push({ stackName: plan.stackName, logicalId: claim.logicalId, at: `${plan.stackName}/${claim.logicalId}`, from: claim.from, to: claim.to });
      }
    }
  }
  const leaving = new Map(moves.map((m) => [m.from, m]));
  for (const start of moves) {
    const ring = [start];
    for (let next = leaving.get(start.to); next !== undefined && !ring.includes(next); next = leaving.get(next.to)) ring.push(next);
    if (leaving.get(ring[ring.length - 1].to) === start) throw new _CliError(swapMessage(ring, plans, dependsOn));
  }
}

/**
 * The refusal of a ring of moves, with the applies that make them: the first dashboard to a free
 * URL path; then each, last first, to the URL path the one after it has left, and the first to its
 * own. After the first apply these take each other's URL paths in a chain, not a ring, which one
 * apply orders (`checkUrlPathOrder`) where nothing stands against it: a new apply starts only where
 * the dashboard giving the path up is of a stack the taking one's does not depend on, or where the
 * dependencies of a stack, with its hand-overs of that apply, would write the taking one first.
 * Where that takes more than two applies, each dashboard goes to a free URL path of its own instead,
 * then each to its URL path: two applies, the fewest a ring takes.
 */
function swapMessage(ring: readonly UrlPathMove[], plans: readonly _StackPlan[], dependsOn: (stackName: string, other: string) => boolean): string {
  const shown = ring.map((m) => `${m.at} (${JSON.stringify(m.from)} -> ${JSON.stringify(m.to)})`);
  const who = `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
  // The dashboard sent to the free URL path that leaves the fewest applies (across stacks, one whose stack depends on the others').
  const [first, applies] = ring.map((_, i) => [...ring.slice(i), ...ring.slice(0, i)])
    .map((r) => [r[0], appliesAfterFree(r, plans, dependsOn)] as const)
    .reduce((best, next) => (next[1].length < best[1].length ? next : best));
  const refused = `${who} ${ring.length === 2 ? 'swap their dashboard URL paths' : 'take each other\'s dashboard URL paths round'}; Mackerel refuses (409) a `
    + 'URL path another dashboard holds at the moment of the write, so whichever is updated first would fail. Swap them through a free URL path';
  // Past two applies, each dashboard to a free URL path of its own makes it in two: the second takes only URL paths the first left, no hand-over to order.
  if (applies.length > 1) {
    return `${refused} each, in 2 applies: ${and(ring.map((m) => m.at))} each to a free URL path of its own; then `
      + `${and(ring.map((m) => `${m.at} to ${JSON.stringify(m.to)}`))} (the second takes only URL paths the first left, so that no dependency has to order them)`;
  }
  const steps = [`${first.at} to a free URL path`, ...applies.map((moves) => and(moves.map((m) => `${m.at} to ${JSON.stringify(m.to)}`)))];
  return `${refused}, in ${steps.length} applies: ${steps.join('; then ')} (an apply writes a dashboard that gives a URL path up before the one that takes it)`;
}

/** The applies that make the moves of `ring` once its first dashboard is at a free URL path, each apply's moves in the order written. */
function appliesAfterFree(
  ring: readonly UrlPathMove[], plans: readonly _StackPlan[], dependsOn: (stackName: string, other: string) => boolean,
): UrlPathMove[][] {
  const chain = [...ring.slice(1)].reverse().concat(ring[0]);
  const applies: UrlPathMove[][] = [[chain[0]]];
  for (const taker of chain.slice(1)) {
    const current = applies[applies.length - 1];
    if (ordered([...current, taker], plans, dependsOn)) current.push(taker);
    else applies.push([taker]);
  }
  return applies;
}

/** `a`, `a and b`, `a, b and c` */
function and(items: readonly string[]): string {
  return items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * Whether one apply can make `moves`, each taking the URL path the one before it leaves, in that
 * order, as `checkUrlPathOrder` lets it: across stacks, the taking stack depends on the other; in a
 * stack, its dependencies with these hand-overs make no cycle.
 */
function ordered(moves: readonly UrlPathMove[], plans: readonly _StackPlan[], dependsOn: (stackName: string, other: string) => boolean): boolean {
  const graphs = new Map<string, Map<string, Set<string>>>();
  for (let i = 1; i < moves.length; i++) {
    const [leaver, taker] = [moves[i - 1], moves[i]];
    if (taker.stackName !== leaver.stackName) {
      if (!dependsOn(taker.stackName, leaver.stackName)) return false;
      continue;
    }
    let graph = graphs.get(taker.stackName);
    if (!graph) {
      const plan = plans.find((p) => p.stackName === taker.stackName);
      graph = new Map([...plan?.dependencies ?? []].map(([id, deps]) => [id, new Set(deps)]));
      graphs.set(taker.stackName, graph);
    }
    graph.get(taker.logicalId)?.add(leaver.logicalId);
  }
  try {
    graphs.forEach((graph) => _topologicalOrder(graph));
    return true;
  } catch {
    return false;
  }
}

/**
 * Fails when a dashboard the run updates moves to a URL path another dashboard holds after the
 * update: one the run deletes (its delete comes after every update, as in CloudFormation), or one
 * that keeps it. Mackerel would refuse (409) the update, after other changes of the run.
 */
function checkUrlPathUpdates(plans: readonly _StackPlan[], state: _StateFile): void {
  for (const plan of plans) {
    for (const claim of urlPathClaims(plan, state)) {
      if (claim.from === undefined) continue; // a create is checked with the AWS integrations' names
      const holder = holderOf(state, DASHBOARDS, claim.to, claim);
      if (!holder || movesAway(plans, holder, claim.to)) continue;
      const held = `${_RESOURCE_TYPES.DASHBOARD} ${holder.stackName}/${holder.logicalId}`;
      const moving = `${plan.stackName}/${claim.logicalId} would move a dashboard to the URL path ${JSON.stringify(claim.to)}, the URL path of ${held}`;
      const unique = 'dashboard URL paths are unique in the Mackerel organization';
      throw new _CliError(deletedBy(plans, DASHBOARDS, holder)
        ? `${moving}, which this run deletes only after the update (as CloudFormation does); ${unique}, so the update would fail on every run. `
          + `Remove ${holder.stackName}/${holder.logicalId} in one apply, with ${plan.stackName}/${claim.logicalId} at ${JSON.stringify(claim.from)}, and move it in the next`
        : `${moving}, which stays after this run; ${unique}, so the update would fail. Give one of them another URL path, or remove ${held} first`);
    }
  }
}

/**
 * Fails when a dashboard that takes the URL path another gives up in the run (`_urlPathHandOvers`)
 * would be written first: in another stack that does not depend on that one's (applied before it,
 * or after it only by the manifest's order, which CloudFormation does not keep), or, in one stack,
 * where a dependency orders it first (each stack's order puts the one giving the path up first otherwise).
 * `plans` are in the order apply runs them.
 */
function checkUrlPathOrder(
  plans: readonly _StackPlan[], state: _StateFile, dependsOn: (stackName: string, other: string) => boolean,
  appliedAfter: (stackName: string, other: string) => boolean,
): void {
  const stackIndex = (name: string) => plans.findIndex((p) => p.stackName === name);
  for (const { taker, leaver } of _urlPathHandOvers(plans, state)) {
    const [takerAt, leaverAt] = [`${taker.stackName}/${taker.logicalId}`, `${leaver.stackName}/${leaver.logicalId}`];
    const takes = `${takerAt} (${taker.from === undefined ? 'new' : JSON.stringify(taker.from)} -> ${JSON.stringify(taker.to)}) takes the URL path `
      + `${_RESOURCE_TYPES.DASHBOARD} ${leaverAt} leaves (${JSON.stringify(leaver.from)} -> ${JSON.stringify(leaver.to)})`;
    const refused = 'Mackerel refuses (409) a URL path another dashboard holds at the moment of the write';
    if (taker.stackName !== leaver.stackName) {
      if (dependsOn(taker.stackName, leaver.stackName)) continue;
      // Applied first only by the manifest's order: CloudFormation deploys stacks that do not depend on each other in any order, or at
      // once (a pipeline's wave), so the same templates would fail there; the apply that happens to work would not tell.
      if (stackIndex(leaver.stackName) < stackIndex(taker.stackName)) {
        throw new _CliError(`${takes}, and no dependency orders stack ${taker.stackName} after stack ${leaver.stackName}: apply writes them in that `
          + 'order only as the cloud assembly lists them, but CloudFormation deploys stacks that do not depend on each other in any order, or at '
          + `once, and ${refused}. Make stack ${taker.stackName} depend on stack ${leaver.stackName} (stack.addDependency), which orders them in `
          + `apply as in CloudFormation, or apply --stack ${leaver.stackName} first`);
      }
      // A dependency of the taking stack on the other would make a cycle where that one already depends on it.
      if (dependsOn(leaver.stackName, taker.stackName)) {
        throw new _CliError(`${takes}, but stack ${taker.stackName} is applied before stack ${leaver.stackName}, which depends on it, and ${refused}. `
          + `Apply --stack ${leaver.stackName} first, then the rest`);
      }
      // An import the state recorded, which the template no longer has, orders apply: a dependency of the taking stack on the other would make a cycle with it.
      if (appliedAfter(leaver.stackName, taker.stackName)) {
        throw new _CliError(`${takes}, but stack ${taker.stackName} is applied before stack ${leaver.stackName}, which its state records importing from it `
          + `(an import its template no longer has, held until it is applied), and ${refused}. Apply --stack ${leaver.stackName} first, then the rest`);
      }
      throw new _CliError(`${takes}, but stack ${taker.stackName} is applied before stack ${leaver.stackName}, and ${refused}. Make stack `
        + `${taker.stackName} depend on stack ${leaver.stackName} (stack.addDependency), which orders them in apply as in CloudFormation, or apply `
        + `--stack ${leaver.stackName} first`);
    }
    const plan = plans[stackIndex(taker.stackName)];
    if (plan.order.indexOf(leaver.logicalId) < plan.order.indexOf(taker.logicalId)) continue;
    // Without a dependency of its own, the cycle goes through other hand-overs, which order dashboards without depending.
    const why = _reaches(leaver.logicalId, taker.logicalId, (id) => plan.dependencies.get(id) ?? []) ? `${leaverAt} depends on ${takerAt}, so it is written after it`
      : `the dependencies of stack ${plan.stackName}, with its other URL path hand-overs, write ${leaverAt} after ${takerAt}`;
    throw new _CliError(`${takes}, but ${why}, and ${refused}. Move ${leaverAt} in one apply and ${takerAt} in the next`);
  }
}

/** The stacks of the run's stage, for advice: a stack only in the state file cannot be applied, only destroyed. */
interface AppStacks {
  readonly names: readonly string[];
  /** `--stage NAME` for the advice, or ''. */
  readonly stage: string;
}

/**
 * Fails when a service or role the run creates (a new resource, or one renamed, which replaces
 * it) has the name of one the state holds in another stack, or of the old object of another
 * stack's replacement still to delete (its cleanup comes after the create). Within a stack the new resource takes the object over (a moved construct); the handler
 * refuses an object another stack marked, so such a create would fail on every run, before the
 * cleanup that would delete the other stack's resource.
 * @internal
 */
export function _checkNamedElsewhere(
  plans: readonly _StackPlan[], state: _StateFile, pending: () => ReadonlyMap<string, ReadonlySet<string>>, app: AppStacks,
): void {
  for (const plan of plans) {
    for (const [logicalId, resource] of Object.entries(plan.resources)) {
      if (!_isNamedType(resource.Type)) continue;
      // Held under this logical ID, it is updated in place, unless its name changes: that replacement creates one too.
      const own = state.stacks[plan.stackName]?.resources[logicalId];
      const heldHere = own?.type === resource.Type ? own.physicalId : undefined;
      const elsewhere = Object.entries(state.stacks).filter(([stackName, stack]) => stackName !== plan.stackName
        && Object.values(stack.resources).some((r) => r.type === resource.Type));
      // The old object of another stack's replacement, still to delete: that stack's cleanup comes after every create.
      // (One its UpdateReplacePolicy retains stays that stack's: the handler's refusal says so.)
      const oldElsewhere = state.pendingDeletes
        .filter((p) => p.stackName !== plan.stackName && p.type === resource.Type && !_retaining(p.updateReplacePolicy));
      if (elsewhere.length === 0 && oldElsewhere.length === 0) continue;
      let props: { [key: string]: unknown };
      try {
        // A reference to a service not applied yet, or renamed by the run, resolves to its new name; other unknowns to text no name has.
        props = plan.properties(logicalId, { placeholder: _KNOWN_AFTER_APPLY, pending: pending() });
      } catch {
        continue; // a value that does not resolve is reported as such by the run, not as this refusal
      }
      const physicalId = _namedProduced(resource.Type, (field) => props[field])?.physicalId;
      if (physicalId === undefined || physicalId === heldHere) continue;
      const isRole = resource.Type === _RESOURCE_TYPES.ROLE;
      const noun = isRole ? 'role' : 'service';
      const old = oldElsewhere.find((p) => p.physicalId === physicalId);
      if (old) {
        throw new _CliError(`${plan.stackName}/${logicalId} would create the ${noun} ${JSON.stringify(physicalId)}, the old object of a replacement of `
          + `${resource.Type} ${old.stackName}/${old.logicalId}, which this run deletes only after the create (an earlier apply stopped before it); `
          + 'the handler refuses one another stack made, so the create would fail on every run. '
          + (app.names.includes(old.stackName) ? `Run apply --stack ${old.stackName} first, which deletes it`
            : `Run apply --destroy --stack ${old.stackName}${app.stage} first, which deletes it (stack ${old.stackName} is in the state file but not in the app)`));
      }
      for (const [stackName, stack] of elsewhere) {
        const held = Object.entries(stack.resources).find(([, r]) => r.type === resource.Type && r.physicalId === physicalId);
        if (!held) continue;
        // Retained, its removal would leave it in Mackerel, still the other stack's: the handler would refuse the create after it too.
        const retain = _retaining(held[1].deletionPolicy);
        const why = `${plan.stackName}/${logicalId} would create the ${noun} ${JSON.stringify(physicalId)}, which ${resource.Type} ${stackName}/${held[0]} `
          + `holds; a ${noun} is taken over only by a resource of its own stack (a construct with a new id), and the handler refuses one another stack `
          + 'made, so the create would fail on every run';
        if (!app.names.includes(stackName)) {
          // A stack renamed or removed from the app: it cannot be applied, only destroyed (a retained object stays its own).
          throw new _CliError(`${why}. Stack ${stackName} is in the state file but not in the app: `
            + (retain ? `its DeletionPolicy ${retain} would keep the ${noun} in Mackerel, still ${stackName}'s, even through apply --destroy; add stack `
              + `${stackName} back to the app, give it removalPolicy DESTROY and apply, then remove it from ${stackName} in one apply, and add it to `
              + `${plan.stackName} in the next`
              : `delete its objects with apply --destroy --stack ${stackName}${app.stage}, then apply`));
        }
        const removal = retain
          ? `give it removalPolicy DESTROY and apply, then remove it from ${stackName} in one apply, which deletes it (as it is, its DeletionPolicy `
            + `${retain} would keep it in Mackerel, still ${stackName}'s), and add it to ${plan.stackName} in the next`
          : `remove it from ${stackName} in one apply, which deletes it, and add it to ${plan.stackName} in the next`;
        throw new _CliError(`${why}. Keep the construct in stack ${stackName} (another stack can refer to it with `
          + `${isRole ? 'MackerelRole.fromFullName()' : 'MackerelService.fromName()'}), or ${removal}`);
      }
    }
  }
}

/** The object of `kind` the state holds with `value`, other than `except` (a dashboard moving to it is not its own holder). */
function holderOf(state: _StateFile, kind: _UniqueKind, value: string, except?: Holder): Holder | undefined {
  for (const [stackName, stack] of Object.entries(state.stacks)) {
    const found = Object.entries(stack.resources).find(([logicalId, r]) => r.type === kind.type && r.properties[kind.field] === value
      && !(stackName === except?.stackName && logicalId === except.logicalId));
    if (found) return { stackName, logicalId: found[0] };
  }
  return undefined;
}

/** Whether the run deletes the holder: its stack is applied by the run and its template no longer has it. */
function deletedBy(plans: readonly _StackPlan[], kind: _UniqueKind, holder: Holder): boolean {
  const plan = plans.find((p) => p.stackName === holder.stackName);
  return plan !== undefined && plan.resources[holder.logicalId]?.Type !== kind.type;
}

function clashMessage(kind: _UniqueKind, stackName: string, logicalId: string, value: string, holder: Holder, deleted: boolean): string {
  const held = `${kind.type} ${holder.stackName}/${holder.logicalId}`;
  const creating = `${stackName}/${logicalId} would create ${kind.creating} ${JSON.stringify(value)}`;
  const unique = `${kind.plural} are unique in the Mackerel organization`;
  if (deleted) {
    return `${creating}, ${kind.the} of ${held}, which this run deletes only after the create (as CloudFormation does); `
      + `${unique}, so the create would fail on every run${kind.leaves(true)}. Keep the ${kind.type === _RESOURCE_TYPES.DASHBOARD ? 'dashboard' : 'integration'}'s `
      + `construct id (and stack) so that it stays ${holder.logicalId}, or give it a new ${kind.another} for one apply and the old ${kind.another} back in the next`;
  }
  return `${creating}, ${kind.the} of ${held}, which stays after this run; ${unique}, so the create would fail${kind.leaves(false)}. `
    + `Give one of them another ${kind.another}, or remove ${held} first`;
}

/**
 * Fails when a metadata namespace of the run's templates is written by two resources after the
 * run: another resource of the run's templates that names the same service or role and namespace
 * (resolved: the name may be a token at synth, as a parameter or another stack's service gives it),
 * or one the state holds in a stack the run leaves out whose template still has it. Under the CLI
 * the handler takes over a namespace a resource of any stack holds (a construct moved to another
 * stack, whose old resource the run deletes), so two such resources would overwrite each other's
 * value. Synthesis refuses two constructs writing one namespace only where it can tell: a name it
 * knows, or one construct, under providers of one API key; one run of the CLI is one organization.
 * `templates` are the stacks of the app, to tell a stack left out that still has the resource
 * from one that no longer does (a move applied stack by stack).
 * @internal
 */
export function _checkMetadataHolders(
  plans: readonly _StackPlan[], state: _StateFile, pending: () => ReadonlyMap<string, ReadonlySet<string>>, templates: readonly _Stack[],
): void {
  const written: MetadataHolder[] = [];
  for (const plan of plans) {
    for (const [logicalId, resource] of Object.entries(plan.resources)) {
      if (!_METADATA_TYPES.includes(resource.Type)) continue;
      let props: { [key: string]: unknown };
      try {
        props = plan.properties(logicalId, { placeholder: _KNOWN_AFTER_APPLY, pending: pending() });
      } catch {
        continue; // a value that does not resolve is reported as such by the run, not as this refusal
      }
      const physicalId = metadataPhysicalId(resource.Type, props);
      const at = physicalId === undefined ? undefined : metadataAt(resource.Type, physicalId);
      // A name only an apply can know reads as the placeholder naming the object it will be, so two
      // resources of one such service or role meet here as two of one literal name do.
      if (physicalId === undefined || at === undefined) continue;
      const here = { stackName: plan.stackName, logicalId, type: resource.Type, physicalId, ...at };
      const other = written.find((w) => w.type === here.type && w.physicalId === physicalId)
        ?? keptByStackLeftOut(plans, state, templates, here.type, physicalId);
      if (other) throw new _CliError(metadataClash(here, other));
      written.push(here);
    }
  }
}

/** A resource the state holds for this namespace in a stack the run leaves out, whose template still has it. */
function keptByStackLeftOut(
  plans: readonly _StackPlan[], state: _StateFile, templates: readonly _Stack[], type: string, physicalId: string,
): Holder | undefined {
  for (const [stackName, stack] of Object.entries(state.stacks)) {
    if (plans.some((p) => p.stackName === stackName)) continue;
    const template = templates.find((s) => s.stackName === stackName && s.notInApp === undefined)?.template.Resources ?? {};
    const logicalId = _holding(stack.resources, type, physicalId).find((id) => template[id]?.Type === type);
    if (logicalId !== undefined) return { stackName, logicalId };
  }
  return undefined;
}

/** A metadata resource of the run's templates, with the namespace it writes and the service or role (`owner`) it is of. */
interface MetadataHolder extends Holder {
  readonly type: string;
  readonly physicalId: string;
  readonly owner: string;
  readonly namespace: string;
}

function metadataClash(here: MetadataHolder, other: Holder): string {
  const noun = here.type === _RESOURCE_TYPES.ROLE_METADATA ? 'role' : 'service';
  const move = here.stackName === other.stackName ? ' remove one of them' : `, to move it to stack ${here.stackName}, remove it from stack ${other.stackName} in the same apply`;
  return `${here.stackName}/${here.logicalId} would write namespace ${JSON.stringify(here.namespace)} of ${noun} ${JSON.stringify(here.owner)}, which `
    + `${here.type} ${other.stackName}/${other.logicalId} writes too and keeps after this run, so each would overwrite the other's value (synthesis `
    + `could not tell: the ${noun}'s name was a token there, or the stacks' providers have different API keys); expected each namespace of a ${noun} `
    + `written by one construct: give one of them another namespace, or${move}`;
}
