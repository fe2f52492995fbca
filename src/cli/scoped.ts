/**
 * What the scopes of a monitor, downtime or alert group setting name, read as the handler reads
 * them before a role's or a service's delete. Apart from `named.ts`, which `MackerelTemplate`
 * (cdk-mackerel/testing) loads: these bring the handler's modules with them.
 */
import { _tiedService } from './named';
import { _StateFile } from './state';
import { _RESOURCE_TYPES } from '../provider/_properties';
import { ScopedLists } from '../provider/handler/owned';
import { objectsScopingRole } from '../provider/handler/resources/role';
import { objectsScopingService } from '../provider/handler/resources/service';

/** The types whose scopes name roles, with the list of `objectsScopingRole` that reads them. @internal */
export const _SCOPED_LISTS: { readonly [type: string]: keyof ScopedLists } = {
  [_RESOURCE_TYPES.MONITOR]: 'monitors',
  [_RESOURCE_TYPES.DOWNTIME]: 'downtimes',
  [_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME]: 'downtimes',
  [_RESOURCE_TYPES.ALERT_GROUP_SETTING]: 'alertGroupSettings',
};

/**
 * Whether the scopes of a monitor, downtime or alert group setting with these properties name the
 * role `fullName` (`service:role`), or the expression of an expression monitor reads it by
 * `role(...)` or `roleSlots(...)`, as the handler reads them before a role's delete
 * (`objectsScopingRole`): it leaves a role still named there, so the cleanup deletes such an object
 * first, also when it names the role by a literal name, which records no dependency.
 * @internal
 */
export function _scopesNameRole(type: string, properties: { readonly [key: string]: unknown } | undefined, fullName: string): boolean {
  const list = _SCOPED_LISTS[type];
  return list !== undefined && properties !== undefined && objectsScopingRole({ [list]: [properties] }, fullName).length > 0;
}

/**
 * Whether the scopes of a downtime or alert group setting with these properties name the service
 * `name`, or the expression of an expression monitor reads it by `service(...)`, as the handler
 * reads them before a service's delete (`objectsScopingService`): it leaves a service still named
 * there, so the cleanup deletes such an object first, also when it names the service by a literal
 * name, which records no dependency. A monitor scoped to the service is tied to it (`_tiedService`).
 * @internal
 */
export function _scopesNameService(type: string, properties: { readonly [key: string]: unknown } | undefined, name: string): boolean {
  const list = _SCOPED_LISTS[type];
  return list !== undefined && properties !== undefined && objectsScopingService({ [list]: [properties] }, name).length > 0;
}

/** A role or service of the state, or the old one of a replacement still to delete. */
type Held = { readonly type: string; readonly physicalId: string };

/**
 * Whether `resource` names the role or service `held` by name: a monitor's, downtime's or alert
 * group setting's scopes (`_scopesNameRole`, `_scopesNameService`), or the service a monitor or role
 * is tied to (`_tiedService`). Given as a literal, such a name records no dependency.
 * @internal
 */
export function _namesRoleOrService(
  resource: { readonly type: string; readonly properties?: { readonly [key: string]: unknown }; readonly physicalId: string }, held: Held,
): boolean {
  if (held.type === _RESOURCE_TYPES.ROLE) return _scopesNameRole(resource.type, resource.properties, held.physicalId);
  return held.type === _RESOURCE_TYPES.SERVICE && (_tiedService(resource.type, resource.properties, resource.physicalId) === held.physicalId
    || _scopesNameService(resource.type, resource.properties, held.physicalId));
}

/**
 * The other stacks of the state holding a role or service that a resource of this stack names by
 * a literal name (`_tiedService`, `_scopesNameRole`, `_scopesNameService`), which records no
 * dependency: the handler leaves a role or service still named, so this stack's cleanup goes
 * first, as `_cleanupOrder` orders such resources within a stack. `deleted` picks the resources,
 * by stack name and logical ID, that the cleanups delete (every one on destroy): a resource kept
 * names its role or service whatever the order, and a role or service kept is never deleted. The
 * old roles and services of replacements still to delete are deleted by their stack's cleanup, and
 * the old objects name what they named when replaced (`namedElsewhere`).
 * @internal
 */
export function _literallyNamed(
  state: _StateFile, stackName: string, deleted: (stackName: string, logicalId: string) => boolean = () => true,
): string[] {
  const own = Object.entries(state.stacks[stackName]?.resources ?? {}).filter(([id]) => deleted(stackName, id)).map(([, r]) => r);
  const names = (held: Held) => own.some((r) => _namesRoleOrService(r, held));
  // The old objects of earlier replacements still to delete name what they named when replaced.
  const ownOld = state.pendingDeletes.filter((p) => p.stackName === stackName);
  const namedByOld = (held: Held) => ownOld.some((p) => p.namedElsewhere?.includes(held.physicalId));
  const owned = (held: Held) => held.type === _RESOURCE_TYPES.ROLE || held.type === _RESOURCE_TYPES.SERVICE;
  return Object.keys(state.stacks).filter((other) => other !== stackName && [
    ...Object.entries(state.stacks[other].resources).filter(([id]) => deleted(other, id)).map(([, r]) => r),
    ...state.pendingDeletes.filter((p) => p.stackName === other),
  ].some((held) => owned(held) && (names(held) || namedByOld(held))));
}
