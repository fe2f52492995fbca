/**
 * What the CLI knows about one stack before it acts: its Mackerel resources in dependency
 * order, and a resolver of their properties against the state. Shared by apply and diff.
 */
import { _Stack, _TemplateResource } from './assembly';
import { _ResolveContext, _conditionHolds, _resolve, _stringifyScalars } from './intrinsics';
import { _dependencies, _topologicalOrder } from './order';
import { _StateFile } from './state';

/** Region and account given on the command line (they win over the stack's own). @internal */
export interface _Environment {
  readonly region?: string;
  readonly account?: string;
}

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '123456789012';

/** For diff: what stands in for values only an apply can know. @internal */
export interface _Unknowns {
  /** The text standing for such a value. */
  readonly placeholder: (what: string) => string;
  /**
   * Resources the apply will create or replace: the physical ID and Data the state holds for
   * them are about to change, so a Ref or Fn::GetAtt to them is unknown too.
   */
  readonly pending?: ReadonlySet<string>;
}

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
}

/** A deterministic stack ID, like CloudFormation's ARN, unless the state already has one. @internal */
export function _stackId(stackName: string, env: { readonly region: string; readonly account: string }): string {
  return `arn:aws:cloudformation:${env.region}:${env.account}:stack/${stackName}/cdk-mackerel-local`;
}

/** Plans one stack against the state. `notice` receives each placeholder message. @internal */
export function _planStack(stack: _Stack, state: _StateFile, env: _Environment, notice: (m: string) => void): _StackPlan {
  const stackEnv = {
    region: env.region ?? stack.region ?? DEFAULT_REGION,
    account: env.account ?? stack.account ?? DEFAULT_ACCOUNT,
  };
  const stackId = state.stacks[stack.stackName]?.stackId ?? _stackId(stack.stackName, stackEnv);
  const all = stack.template.Resources ?? {};
  const ctx = (unknowns?: _Unknowns): _ResolveContext => ({
    stackName: stack.stackName,
    stackId,
    ...stackEnv,
    resources: all,
    conditions: stack.template.Conditions,
    parameters: stack.template.Parameters,
    produced: (id) => {
      if (unknowns?.pending?.has(id)) return undefined;
      const r = state.stacks[stack.stackName]?.resources[id];
      return r ? { physicalId: r.physicalId, data: r.data } : undefined;
    },
    notice,
    unknownPlaceholder: unknowns?.placeholder,
  });
  const live = Object.fromEntries(Object.entries(all).filter(([, r]) => _conditionHolds(r, ctx())));
  const dependencies = _dependencies(live);
  return {
    stackName: stack.stackName,
    stackId,
    order: _topologicalOrder(dependencies),
    resources: live,
    dependencies,
    properties: (logicalId, unknowns) => {
      const { ServiceToken: _token, ...rest } = live[logicalId].Properties ?? {};
      return _stringifyScalars(_resolve(rest, ctx(unknowns))) as { [key: string]: unknown };
    },
  };
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
