import { IConstruct } from 'constructs';
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
