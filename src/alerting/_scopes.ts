import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _describeProblem } from '../_validation';
import { _renderScopes } from '../monitors/_checks';
import { IMonitor } from '../monitors/monitor-base';
import { MonitorScope } from '../monitors/scope';

/** Scopes of an alert group setting or a downtime, split the way the API takes them. @internal */
export interface _SplitScopes {
  readonly serviceScopes?: string[];
  readonly roleScopes?: string[];
  readonly monitorScopes?: string[];
}

/**
 * Splits service and role scopes (checked like monitor scopes) and renders monitors as their
 * IDs; an empty kind is left out.
 * @internal
 */
export function _splitScopes(scope: IConstruct, property: string, scopes: MonitorScope[] | undefined,
  monitors: IMonitor[] | undefined): _SplitScopes {
  _renderScopes(scope, property, scopes);
  const list = scopes ?? [];
  const nonEmpty = (values: string[]) => (values.length > 0 ? values : undefined);
  return {
    serviceScopes: nonEmpty(list.filter((s) => !s.isRole).map((s) => s.value)),
    roleScopes: nonEmpty(list.filter((s) => s.isRole).map((s) => s.value)),
    monitorScopes: nonEmpty((monitors ?? []).map((m) => m.monitorId)),
  };
}

/** A value given twice in one list (tokens compare by their string form: the same reference). @internal */
export function _duplicateIn(values: readonly string[]): string | undefined {
  return values.find((v, i) => values.indexOf(v) !== i);
}

/** A duplicate in a list, as a synth-time error message part, or undefined. @internal */
export function _duplicateProblem(property: string, values: readonly string[]): string | undefined {
  const twice = _duplicateIn(values);
  if (twice === undefined) return undefined;
  const shown = Token.isUnresolved(twice) ? 'a reference' : twice;
  return _describeProblem(property, shown, 'is given twice', 'each scope once');
}
