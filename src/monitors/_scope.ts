import { Annotations, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { MonitorScope } from './scope';
import { _knownOnlyOnceFinal, _readingFinalValues } from '../_lazy';
import { _repeats, _warnLate } from '../_validation';
import { _serviceOfScopes } from '../provider/_properties';
import { _warnNamedByLiteral } from '../service/_imported-by-name';
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
 * The one service every scope lies in when their names are known at synth (`_serviceOfScopes`),
 * else undefined: what a downtime compares with its own scopes.
 * @internal
 */
export function _serviceOfKnownScopes(scopes: MonitorScope[] | undefined): string | undefined {
  return _serviceOfScopes(scopes?.map((s) => s._knownName));
}

/**
 * Orders `consumer` after the service or role of its own stack that a literal scope names
 * (`_dependOnNamed`), and warns about one that another stack creates, which a literal cannot order
 * (`_warnNamedByLiteral`). A scope from `fromRole`/`fromService` refers to its resource, which
 * orders creation already.
 * @internal
 */
export function _dependOnNamedScope(consumer: IConstruct, scope: MonitorScope, property: string): void {
  _dependOnNamed(consumer, scope.value, scope.isRole);
  // A scope of an import (`fromService(MackerelService.fromName(...))`) is warned about on the import.
  if (scope._literal) {
    _warnNamedByLiteral(consumer, property, scope.value, scope.isRole, scope.isRole ? 'MonitorScope.fromRole(web)' : 'MonitorScope.fromService(shop)',
      (builtName) => `MonitorScope.fromRole(MackerelRole.fromFullName(scope, id, ${builtName}))`, true);
  }
}

/**
 * Warns about a monitor's scope given twice in `scopes` or in `excludeScopes`, or in both, found
 * as a downtime's are (`_repeats` of `_scopeKey`): a service in `scopes` with one of its roles in
 * `excludeScopes` is a different scope, and the documented way to watch a service but one role;
 * the reverse, a role in `scopes` whose service is in `excludeScopes`, warns too
 * (`_warnOnExcludedServiceRoles`).
 * A warning, not an error: Mackerel documents refusing redundant scopes for downtimes only, and
 * nothing of what a monitor does with them. A scope named by a token of unknown name matches only
 * itself, never a literal.
 * @internal
 */
export function _warnOnRepeatedScopes(consumer: IConstruct, scopes: MonitorScope[] = [], excludeScopes: MonitorScope[] = []): void {
  // A scope of a Lazy name is known only once final (`_knownName`): all are then compared, at validation.
  const names = [...scopes, ...excludeScopes].flatMap((s) => s._givenNames);
  const read = (late: boolean) => warnOnRepeatedScopesNow(consumer, scopes, excludeScopes,
    (id, message) => (late ? _warnLate(consumer, id, message) : Annotations.of(consumer).addWarningV2(id, message)));
  // An uncached Lazy (a service created with Lazy.uncachedString) is known by name only once final too. Read at validation,
  // not in an Aspect: an Aspect of the app visiting the service after the consumer may still give its name the value the
  // template writes, and a name is read in an Aspect without keeping it (`_readingWithoutKeeping`). A warning needs no Aspect.
  if (!names.some((name) => _knownOnlyOnceFinal(consumer, name))) {
    read(false);
    return;
  }
  // As a downtime warns about its scopes once final (`_renderDowntimeScopes`): a warning given again is not added twice.
  consumer.node.addValidation({ validate: () => _readingFinalValues(() => { read(true); return []; }) });
}

function warnOnRepeatedScopesNow(consumer: IConstruct, scopes: MonitorScope[], excludeScopes: MonitorScope[],
  warn: (id: string, message: string) => void): void {
  for (const repeat of _repeats(scopes.map(_scopeKey), excludeScopes.map(_scopeKey))) {
    const property = repeat.excluded ? 'excludeScopes' : 'scopes';
    const shown = JSON.stringify(_shownScope(consumer, (repeat.excluded ? excludeScopes : scopes)[repeat.index]));
    const message = repeat.inBoth
      ? `${property}[${repeat.index}] ${shown} is also in scopes: the monitor is told to watch its hosts and to leave them out. Mackerel `
        + 'does not document which wins (it refuses the same in a downtime); if the exclusion does, the monitor watches none of them. '
        + 'Keep it in one of the two lists (to watch a service but one of its roles, put the service in scopes and the role in excludeScopes)'
      : `${property}[${repeat.index}] ${shown} is given twice. Mackerel does not document what a monitor does with a repeated scope `
        + '(it refuses one in a downtime). Give each service or role once';
    warn(MONITOR.warning, message);
  }
  _warnOnExcludedServiceRoles(consumer, MONITOR, scopes, excludeScopes, warn);
}

/**
 * Warns about `scopes` given as an empty list: Mackerel reads it as no scope (an organization-wide
 * connectivity monitor reads back with `"scopes": []`), so the monitor watches every host of the
 * organization. A list computed from something that came out empty rarely means that, and
 * leaving `scopes` out says it plainly.
 * @internal
 */
export function _warnOnEmptyScopes(consumer: IConstruct, scopes: MonitorScope[] | undefined): void {
  if (scopes === undefined || scopes.length > 0) return;
  Annotations.of(consumer).addWarningV2('cdk-mackerel:monitorScopesEmpty',
    'scopes is an empty list, which Mackerel reads as no scope: the monitor watches every host of the organization not in excludeScopes. Leave scopes out '
    + 'to watch every host, or give the services and roles to watch');
}

/** What a consumer of scopes does with their hosts, in the words of its scope warnings. @internal */
export interface _ScopeUse {
  /** The warning's id. */
  readonly warning: string;
  /** The consumer, as the message names it: `monitor`. */
  readonly noun: string;
  /** What it does with a host, as a verb: `watch`. */
  readonly verb: string;
  /** The same for a subject in the singular: `watches`. */
  readonly verbs: string;
}

const MONITOR: _ScopeUse = { warning: 'cdk-mackerel:monitorScopeRedundant', noun: 'monitor', verb: 'watch', verbs: 'watches' };

/**
 * Warns about each role in `scopes` whose service is in `excludeScopes` (the reverse of Mackerel's
 * documented service-minus-role): the exclusion covers every host of the service, so the monitor
 * or downtime leaves out every host of the role too, and the role in `scopes` does nothing.
 * A warning: Mackerel documents nothing of such scopes for monitors, and for downtimes refuses
 * "redundant" scopes without saying whether this is one. Compared by known names only: a role
 * named by a token of unknown name has no service to compare. `warn` adds a warning (a late one,
 * `_warnLate`, when read once final).
 * @internal
 */
export function _warnOnExcludedServiceRoles(consumer: IConstruct, use: _ScopeUse, scopes: MonitorScope[] = [],
  excludeScopes: MonitorScope[] = [], warn = (id: string, message: string) => Annotations.of(consumer).addWarningV2(id, message)): void {
  const excludedServices = excludeScopes.map((scope) => (scope.isRole ? undefined : _scopeKey(scope)));
  scopes.forEach((role, index) => {
    const key = _scopeKey(role);
    if (!role.isRole || Token.isUnresolved(key)) return;
    const excludedIndex = excludedServices.indexOf(key.slice(0, key.indexOf(':')));
    if (excludedIndex < 0) return;
    warn(use.warning,
      `scopes[${index}] ${JSON.stringify(_shownScope(consumer, role))} is a role of service ${JSON.stringify(_shownScope(consumer, excludeScopes[excludedIndex]))}, `
      + `which is excludeScopes[${excludedIndex}]: the exclusion leaves out every host of the service, so the ${use.noun} ${use.verbs} none of the `
      + `role's hosts. Remove the role from scopes or the service from excludeScopes (to ${use.verb} a service but one of its roles, put the `
      + 'service in scopes and the role in excludeScopes)');
  });
}
