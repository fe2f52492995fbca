/**
 * A service or role the run creates (or renames) under a name Mackerel already has: the handler
 * keeps the object only under a cdk-mackerel mark of its stack (`createKeeps`: a retried create, a
 * moved construct, a retained one added back); under another stack's mark, or none (made outside
 * cdk-mackerel), the create fails, on every run. diff reads each such name as the handler will,
 * and says so in the handler's words, where it would otherwise show a create that apply fails on.
 */
import { _Get } from './api';
import { _readLive } from './live';
import { _OWNERSHIP_NAMESPACE, _RESOURCE_TYPES } from '../provider/_properties';
import { alreadyExists, createKeeps } from '../provider/handler/owned';
import { ROLE_EXISTS_HINT } from '../provider/handler/resources/role';
import { SERVICE_EXISTS_HINT, roleObject, serviceObject } from '../provider/handler/resources/service';

/** The object a name gives, as the handler knows it, and what to do instead of creating it. */
function ownedObject(type: string, physicalId: string): { readonly label: string; readonly path: string; readonly hint: string } | undefined {
  if (type === _RESOURCE_TYPES.SERVICE) return { ...serviceObject(physicalId), hint: SERVICE_EXISTS_HINT };
  const [service, role, ...rest] = physicalId.split(':');
  if (type !== _RESOURCE_TYPES.ROLE || role === undefined || rest.length > 0) return undefined;
  return { ...roleObject(service, role), hint: ROLE_EXISTS_HINT };
}

/**
 * Why the create of a service or role named `physicalId` by a resource of stack `stackId` will fail,
 * or undefined when the name is free in Mackerel or the handler will keep the object there.
 * @internal
 */
export async function _createFails(get: _Get, stackId: string, type: string, physicalId: string): Promise<string | undefined> {
  const object = ownedObject(type, physicalId);
  if (object === undefined || await _readLive(get, type, physicalId) === undefined) return undefined;
  const mark = await get(`${object.path}/metadata/${_OWNERSHIP_NAMESPACE}`);
  return createKeeps(mark, stackId) ? undefined : alreadyExists(object.label, mark, object.hint);
}
