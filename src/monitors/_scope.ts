import { Annotations, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { MonitorScope } from './scope';
import { _repeats } from '../_validation';
import { _dependOnNamed } from '../service/_named-dependency';

/**
 * What identifies a scope at synth: its name when known, else its token, which is the same
 * string for the same construct. Two scopes with different keys may still name the same object
 * when one is a token of unknown name; those are left to the API.
 * @internal
 */
export function _scopeKey(scope: MonitorScope): string {
  return scope._knownName ?? scope.value;
}

/** A scope as an error shows it: its name when known, else the reference it resolves to. @internal */
export function _shownScope(consumer: IConstruct, scope: MonitorScope): unknown {
  return scope._knownName ?? (Token.isUnresolved(scope.value) ? Stack.of(consumer).resolve(scope.value) : scope.value);
}

/**
 * Orders `consumer` after the service or role of its own stack that a literal scope names
 * (`_dependOnNamed`). A scope from `fromRole`/`fromService` refers to its resource, which orders
 * creation already.
 * @internal
 */
export function _dependOnNamedScope(consumer: IConstruct, scope: MonitorScope): void {
  _dependOnNamed(consumer, scope.value, scope.isRole);
}

/**
 * Warns about a monitor's scope given twice in `scopes` or in `excludeScopes`, or in both, found
 * as a downtime's are (`_repeats` of `_scopeKey`): a service in `scopes` with one of its roles in
 * `excludeScopes` is a different scope, and the documented way to watch a service but one role.
 * A warning, not an error: Mackerel documents refusing redundant scopes for downtimes only, and
 * nothing of what a monitor does with them. A scope named by a token of unknown name matches only
 * itself, never a literal.
 * @internal
 */
export function _warnOnRepeatedScopes(consumer: IConstruct, scopes: MonitorScope[] = [], excludeScopes: MonitorScope[] = []): void {
  for (const repeat of _repeats(scopes.map(_scopeKey), excludeScopes.map(_scopeKey))) {
    const property = repeat.excluded ? 'excludeScopes' : 'scopes';
    const shown = JSON.stringify(_shownScope(consumer, (repeat.excluded ? excludeScopes : scopes)[repeat.index]));
    const message = repeat.inBoth
      ? `${property}[${repeat.index}] ${shown} is also in scopes: the monitor is told to watch its hosts and to leave them out. Mackerel `
        + 'does not document which wins (it refuses the same in a downtime); if the exclusion does, the monitor watches none of them. '
        + 'Keep it in one of the two lists (to watch a service but one of its roles, put the service in scopes and the role in excludeScopes)'
      : `${property}[${repeat.index}] ${shown} is given twice. Mackerel does not document what a monitor does with a repeated scope `
        + '(it refuses one in a downtime). Give each service or role once';
    Annotations.of(consumer).addWarningV2('cdk-mackerel:monitorScopeRedundant', message);
  }
}
