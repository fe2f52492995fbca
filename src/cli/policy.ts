/**
 * CloudFormation's DeletionPolicy and UpdateReplacePolicy on the Mackerel resources: what the
 * cleanup leaves in Mackerel instead of deleting (`RemovalPolicy.RETAIN` on a construct's
 * CustomResource writes both).
 */

import { _RESOURCE_TYPES } from '../provider/_properties';

/** A resource attribute that decides whether CloudFormation deletes an object. @internal */
export type _PolicyAttribute = 'DeletionPolicy' | 'UpdateReplacePolicy';

/** The values that keep the object in Mackerel. @internal */
export type _RetainPolicy = 'Retain' | 'RetainExceptOnCreate';

/** The values the CLI acts on; Snapshot has no meaning for a Mackerel object. @internal */
export const _SUPPORTED_POLICIES: readonly string[] = ['Delete', 'Retain', 'RetainExceptOnCreate'];

/**
 * The policy when it keeps the object, else undefined (Delete, or absent: CloudFormation's default).
 * RetainExceptOnCreate deletes only the object of a create that failed, and the CLI never records
 * one, so for every object it knows it retains.
 * @internal
 */
export function _retaining(value: unknown): _RetainPolicy | undefined {
  return value === 'Retain' || value === 'RetainExceptOnCreate' ? value : undefined;
}

/** Why a cleanup left an object, as apply and diff print it: `DeletionPolicy Retain`. @internal */
export function _retainReason(attribute: _PolicyAttribute, policy: _RetainPolicy): string {
  return `${attribute} ${policy}`;
}

/**
 * The types whose monitor scopes, once all deleted, take them out of Mackerel with the last monitor:
 * a deployment downtime is a Mackerel downtime too.
 */
const SCOPING_MONITORS: readonly string[] = [_RESOURCE_TYPES.DOWNTIME, _RESOURCE_TYPES.DEPLOYMENT_DOWNTIME, _RESOURCE_TYPES.ALERT_GROUP_SETTING];

/**
 * The monitor scopes (monitor IDs) of a downtime or alert group setting with these properties, if
 * it has any: Mackerel deletes such an object with the last of them (the emulator does so too),
 * rather than leave it muting or grouping every monitor, so one a policy retains stays only while
 * one of them does. Undefined for other types, and for one without monitor scopes. Its service and
 * role scopes need no such word: Mackerel (and the emulator) deletes it with the last of those too,
 * but the handler never deletes a service or role that a downtime or alert group setting still
 * names (`objectsScopingService`, `objectsScopingRole`), and a retained one still names them.
 * @internal
 */
export function _retainedMonitorScopes(type: string, properties: { readonly [key: string]: unknown } | undefined): string[] | undefined {
  const scopes = properties?.monitorScopes;
  return SCOPING_MONITORS.includes(type) && Array.isArray(scopes) && scopes.length > 0 ? scopes.map(String) : undefined;
}

/**
 * The monitor scopes of a retained downtime or alert group setting (`_retainedMonitorScopes`) when
 * the run deletes every one of them (`deleted`, by monitor ID), which takes it out of Mackerel with
 * the last; else undefined: it stays. apply says so once its cleanups are done, diff from the
 * deletes it plans.
 * @internal
 */
export function _goneWith(monitorScopes: readonly string[] | undefined, deleted: (monitorId: string) => boolean): string[] | undefined {
  return monitorScopes !== undefined && monitorScopes.every(deleted) ? [...monitorScopes] : undefined;
}

/**
 * The refusal of a value the CLI cannot act on, or undefined. `where` names the resource, as
 * `stack/logicalId (type)`. Refused rather than read as Delete, since the author asked for
 * something other than a plain delete, and deleting would lose the object for good.
 * @internal
 */
export function _policyProblem(where: string, attribute: _PolicyAttribute, value: unknown): string | undefined {
  if (value === undefined || (typeof value === 'string' && _SUPPORTED_POLICIES.includes(value))) return undefined;
  const why = value === 'Snapshot' ? ' (a Mackerel object has no snapshot to take)' : '';
  return `${where} has ${attribute} ${JSON.stringify(value)}, which cdk-mackerel does not support${why}; `
    + `expected ${_SUPPORTED_POLICIES.slice(0, -1).join(', ')} or ${_SUPPORTED_POLICIES.at(-1)} `
    + '(RemovalPolicy.DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE)';
}
