import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _warnOnScopes } from './_downtime-warnings';
import { _splitScopes } from './_scopes';
import type { DowntimeScopeOptions } from './downtime';
import { _fail } from '../_validation';
import { _wholeDuration } from '../monitors/_checks';
import { _scopeKey, _shownScope } from '../monitors/_scope';
import { _DowntimeScopeProperties } from '../provider/_properties';
/**
 * The scope fields of a downtime, checked: each value once, none both included and excluded,
 * and the risky combinations warned about.
 * @internal
 */
export function _renderDowntimeScopes(scope: IConstruct, props: DowntimeScopeOptions): _DowntimeScopeProperties {
  const included = _splitScopes(scope, 'scopes', props.scopes, props.monitors);
  const excluded = _splitScopes(scope, 'excludeScopes', props.excludeScopes, props.excludeMonitors);
  const scopeList = props.scopes ?? [];
  const excludeList = props.excludeScopes ?? [];
  const scopes = scopeList.map(_scopeKey);
  const excludeScopes = excludeList.map(_scopeKey);
  const monitors = (props.monitors ?? []).map((m) => m.monitorId);
  checkOnce(scope, 'scopes', 'service or role', scopes, (i) => _shownScope(scope, scopeList[i]));
  checkOnce(scope, 'excludeScopes', 'service or role', excludeScopes, (i) => _shownScope(scope, excludeList[i]));
  checkOnce(scope, 'monitors', 'monitor', monitors, (i) => props.monitors?.[i].node.path);
  checkOnce(scope, 'excludeMonitors', 'monitor', (props.excludeMonitors ?? []).map((m) => m.monitorId), (i) => props.excludeMonitors?.[i].node.path);
  excludeScopes.forEach((key, i) => {
    if (scopes.includes(key)) {
      _fail(scope, `excludeScopes[${i}]`, _shownScope(scope, excludeList[i]), 'is also in scopes', 'each service or role in at most one of scopes and excludeScopes');
    }
  });
  (props.excludeMonitors ?? []).forEach((monitor, i) => {
    if (monitors.includes(monitor.monitorId)) {
      _fail(scope, `excludeMonitors[${i}]`, monitor.node.path, 'is also in monitors', 'each monitor in at most one of monitors and excludeMonitors');
    }
  });
  _warnOnScopes(scope, included);
  return {
    serviceScopes: included.serviceScopes,
    serviceExcludeScopes: excluded.serviceScopes,
    roleScopes: included.roleScopes,
    roleExcludeScopes: excluded.roleScopes,
    monitorScopes: included.monitorScopes,
    monitorExcludeScopes: excluded.monitorScopes,
  };
}

/** Rejects a value given twice in one list (a token of unknown name compares by its string form). */
function checkOnce(scope: IConstruct, property: string, what: string, values: string[], shown: (index: number) => unknown): void {
  values.forEach((value, i) => {
    if (values.indexOf(value) !== i) _fail(scope, `${property}[${i}]`, shown(i), 'is given twice', `each ${what} once`);
  });
}


/** A downtime's duration in whole minutes, at least one. @internal */
export function _downtimeMinutes(scope: IConstruct, duration: Duration): number {
  const minutes = _wholeDuration(scope, 'duration', duration, 'minutes');
  if (minutes !== undefined && !Token.isUnresolved(minutes) && minutes < 1) {
    _fail(scope, 'duration', duration.toHumanString(), 'is too short', 'at least 1 minute');
  }
  return minutes as number;
}

/** Refuses an empty downtime name; `hint` says what leaving it out would do, where it may be. @internal */
export function _checkDowntimeName(scope: IConstruct, name: string | undefined, hint?: string): void {
  if (name !== undefined && !Token.isUnresolved(name) && name.trim() === '') {
    _fail(scope, 'name', name, 'is empty', 'a non-empty downtime name', hint);
  }
}
