/**
 * What the scopes of a monitor, downtime or alert group setting name, read as the handler reads
 * them before a role's or a service's delete. Apart from `named.ts`, which `MackerelTemplate`
 * (cdk-mackerel/testing) loads: these bring the handler's modules with them.
 */
import { _RESOURCE_TYPES } from '../provider/_properties';
import { ScopedLists } from '../provider/handler/owned';
import { objectsScopingRole } from '../provider/handler/resources/role';
import { objectsScopingService } from '../provider/handler/resources/service';

/** The types whose scopes name roles, with the list of `objectsScopingRole` that reads them. */
const SCOPED_LISTS: { readonly [type: string]: keyof ScopedLists } = {
  [_RESOURCE_TYPES.MONITOR]: 'monitors',
  [_RESOURCE_TYPES.DOWNTIME]: 'downtimes',
  [_RESOURCE_TYPES.DEPLOYMENT_DOWNTIME]: 'downtimes',
  [_RESOURCE_TYPES.ALERT_GROUP_SETTING]: 'alertGroupSettings',
};

/**
 * Whether the scopes of a monitor, downtime or alert group setting with these properties name the
 * role `fullName` (`service:role`), as the handler reads them before a role's delete
 * (`objectsScopingRole`): it leaves a role still named there, so the cleanup deletes such an object
 * first, also when it names the role by a literal name, which records no dependency.
 * @internal
 */
export function _scopesNameRole(type: string, properties: { readonly [key: string]: unknown } | undefined, fullName: string): boolean {
  const list = SCOPED_LISTS[type];
  return list !== undefined && properties !== undefined && objectsScopingRole({ [list]: [properties] }, fullName).length > 0;
}

/**
 * Whether the scopes of a downtime or alert group setting with these properties name the service
 * `name`, as the handler reads them before a service's delete (`objectsScopingService`): it leaves a
 * service still named there, so the cleanup deletes such an object first, also when it names the
 * service by a literal name, which records no dependency.
 * @internal
 */
export function _scopesNameService(type: string, properties: { readonly [key: string]: unknown } | undefined, name: string): boolean {
  const list = SCOPED_LISTS[type];
  return list !== undefined && list !== 'monitors' && properties !== undefined && objectsScopingService({ [list]: [properties] }, name).length > 0;
}
