import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _warnOnMonitorsOutsideScopes, _warnOnScopes } from './_downtime-warnings';
import { _splitScopes } from './_scopes';
import type { DowntimeScopeOptions } from './downtime';
import { _knownOnlyOnceFinal, _readingFinalValues } from '../_lazy';
import { _fail, _Problem, _refuseOnceFinal, _repeats, _warnLate } from '../_validation';
import { _wholeDuration } from '../monitors/_checks';
import { _ScopeUse, _scopeKey, _shownScope, _warnOnExcludedServiceRoles } from '../monitors/_scope';
import { _DowntimeScopeProperties } from '../provider/_properties';

const DOWNTIME: _ScopeUse = { warning: 'cdk-mackerel:downtimeScopeRedundant', noun: 'downtime', verb: 'mute', verbs: 'mutes' };

/**
 * The scope fields of a downtime, checked: each value once, none both included and excluded,
 * and the risky combinations warned about (a role in scopes whose service is excluded, as for
 * monitors, `_warnOnScopes`, and monitors outside every scope, `_warnOnMonitorsOutsideScopes`).
 * @internal
 */
export function _renderDowntimeScopes(scope: IConstruct, props: DowntimeScopeOptions): _DowntimeScopeProperties {
  const included = _splitScopes(scope, 'scopes', props.scopes, props.monitors);
  const excluded = _splitScopes(scope, 'excludeScopes', props.excludeScopes, props.excludeMonitors);
  const scopeList = props.scopes ?? [];
  const excludeList = props.excludeScopes ?? [];
  const monitorList = props.monitors ?? [];
  const excludeMonitorList = props.excludeMonitors ?? [];
  // Mackerel refuses a downtime whose scopes are redundant (400), so each repeat is an error here.
  const scopeRepeat = () => repeatProblem(['scopes', 'excludeScopes'], 'service or role', [scopeList.map(_scopeKey), excludeList.map(_scopeKey)],
    (inExcluded, i) => _shownScope(scope, (inExcluded ? excludeList : scopeList)[i]));
  failOn(scope, scopeRepeat());
  // A scope of a Lazy name compares by its token until the app is built: two that end as one name are found then.
  // An uncached Lazy too (`_knownOnlyOnceFinal`): a service created with one is known by name only once final.
  const names = [...scopeList, ...excludeList].flatMap((s) => s._givenNames);
  if (names.some((name) => _knownOnlyOnceFinal(scope, name))) _refuseOnceFinal(scope, scopeRepeat);
  failOn(scope, repeatProblem(['monitors', 'excludeMonitors'], 'monitor', [monitorList.map((m) => m.monitorId), excludeMonitorList.map((m) => m.monitorId)],
    (inExcluded, i) => (inExcluded ? excludeMonitorList : monitorList)[i].node.path));
  // A scope named by a token (a Lazy, or a service or role created with one) is known only once final:
  // all are then compared at validation, after every Aspect, with the names synthesis writes.
  if ([...scopeList, ...excludeList].some((s) => Token.isUnresolved(_scopeKey(s)))) {
    scope.node.addValidation({
      validate: () => _readingFinalValues(() => {
        _warnOnExcludedServiceRoles(scope, DOWNTIME, scopeList, excludeList, (id, message) => _warnLate(scope, id, message));
        return [];
      }),
    });
  } else {
    _warnOnExcludedServiceRoles(scope, DOWNTIME, scopeList, excludeList);
  }
  _warnOnScopes(scope, included);
  _warnOnMonitorsOutsideScopes(scope, props.scopes, props.monitors);
  return {
    serviceScopes: included.serviceScopes,
    serviceExcludeScopes: excluded.serviceScopes,
    roleScopes: included.roleScopes,
    roleExcludeScopes: excluded.roleScopes,
    monitorScopes: included.monitorScopes,
    monitorExcludeScopes: excluded.monitorScopes,
  };
}

/**
 * The first value given twice in one of a pair of lists, or in both (`_repeats`), as a problem
 * to refuse; a token of unknown name compares by its string form, so it matches only itself.
 */
function repeatProblem([property, excludeProperty]: [string, string], what: string, [included, excluded]: [string[], string[]],
  shown: (excluded: boolean, index: number) => unknown): _Problem | undefined {
  const [repeat] = _repeats(included, excluded);
  if (repeat === undefined) return undefined;
  const at = `${repeat.excluded ? excludeProperty : property}[${repeat.index}]`;
  const value = shown(repeat.excluded, repeat.index);
  if (repeat.inBoth) return [at, value, `is also in ${property}`, `each ${what} in at most one of ${property} and ${excludeProperty}`];
  return [at, value, 'is given twice', `each ${what} once`];
}

function failOn(scope: IConstruct, problem: _Problem | undefined): void {
  if (problem) _fail(scope, ...problem);
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
