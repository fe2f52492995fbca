import { IConstruct } from 'constructs';
import { _warnLate } from '../_validation';
import { _knownRoleFullName, _knownServiceName } from './_known-name';
import { _creatorInStack } from './_named-dependency';
import { _addLookupValidation } from './_unique';
import type { IMackerelRole } from './role';
import { MackerelRole } from './role';
import type { IMackerelService } from './service';
import { MackerelService } from './service';
import { _serviceOfScopes } from '../provider/_properties';
import { _retainsObject } from '../provider/_resource';

/**
 * Warns, at synth, when `scope` keeps its Mackerel object (`removalPolicy: RETAIN`) but the
 * service it belongs to is deleted. Mackerel would delete a service's roles, service monitors and
 * external monitors with it, so the handler leaves a service that still has one (`owned.ts`): the
 * object stays, and so does the service, which nothing deletes afterwards. Read at synth, as an
 * escape hatch may set either policy after construction.
 * @internal
 */
export function _warnKeptWithDeletedService(scope: IConstruct, service: IMackerelService | undefined, what: string): void {
  if (service === undefined) return;
  _addLookupValidation(scope, () => {
    // A service given by name (or by a MackerelService's name) may be one a MackerelService of this stack creates, deleted all the same.
    const creator = service instanceof MackerelService ? service : _creatorInStack(scope, _knownServiceName(service) ?? service.name, false);
    warnIfKept(scope, creator, what);
    return [];
  });
}

/**
 * `_warnKeptWithDeletedService` for a monitor whose scopes all lie in one service known at synth
 * (the service, or roles of it), which the handler leaves too, as Mackerel would delete the
 * monitor with it (`_serviceOfScopes`).
 * @internal
 */
export function _warnScopedKeptWithDeletedService(scope: IConstruct, scopes: ReadonlyArray<{ readonly _knownName?: string }> | undefined,
  what: string): void {
  if (scopes === undefined) return;
  _addLookupValidation(scope, () => {
    const service = _serviceOfScopes(scopes.map((s) => s._knownName));
    if (service !== undefined) warnIfKept(scope, _creatorInStack(scope, service, false), what);
    return [];
  });
}

function warnIfKept(scope: IConstruct, creator: IConstruct | undefined, what: string): void {
  if (creator && _retainsObject(scope) && !_retainsObject(creator)) {
    _warnLate(scope, 'cdk-mackerel:retainedDeletedWithService',
      `This ${what} is retained (removalPolicy), but its service ${creator.node.path} is not. Mackerel would delete the ${what} with the service, `
      + 'so when the service\'s resource is deleted the handler leaves the service in Mackerel too, and nothing deletes it afterwards. '
      + 'Give the service the same removalPolicy');
  }
}

/**
 * Warns, at synth, when metadata keeps its namespace (`removalPolicy: RETAIN`) but the service or
 * role it belongs to is deleted: Mackerel deletes a service's or role's metadata with it, and the
 * handler leaves a service only for its roles and monitors, so the namespace goes all the same.
 * @internal
 */
export function _warnMetadataKeptWithDeletedOwner(scope: IConstruct, owner: IMackerelService | IMackerelRole, kind: 'service' | 'role'): void {
  _addLookupValidation(scope, () => {
    // An owner given by name (or by a MackerelService's name or MackerelRole's fullName) may be one a MackerelService or MackerelRole of this stack creates.
    const creator = owner instanceof MackerelService || owner instanceof MackerelRole ? owner
      : kind === 'role'
        ? _creatorInStack(scope, _knownRoleFullName(owner as IMackerelRole) ?? (owner as IMackerelRole).fullName, true)
        : _creatorInStack(scope, _knownServiceName(owner as IMackerelService) ?? owner.name, false);
    if (creator && _retainsObject(scope) && !_retainsObject(creator)) {
      _warnLate(scope, 'cdk-mackerel:retainedMetadataDeletedWithOwner',
        `This metadata is retained (removalPolicy), but its ${kind} ${creator.node.path} is not. Mackerel deletes a ${kind}'s metadata with it, `
          + `so the metadata is deleted with the ${kind} all the same. Give the ${kind} the same removalPolicy`);
    }
    return [];
  });
}
