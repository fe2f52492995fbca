/**
 * A service or role the run creates (or renames) under a name Mackerel already has: the handler
 * keeps the object only under a cdk-mackerel mark of its stack (`createKeeps`: a retried create, a
 * moved construct, a retained one added back); under another stack's mark, or none (made outside
 * cdk-mackerel), the create fails, on every run. diff reads each such name as the handler will,
 * and says so in the handler's words, where it would otherwise show a create that apply fails on.
 *
 * A dashboard or AWS integration the run creates with the URL path or name of one Mackerel has is
 * refused too: they carry no mark, and the handler takes one over only when its own create's answer
 * was lost in that very invocation (`createNamed`), so any other one of that URL path or name fails
 * the create, also a re-create of one deleted outside (a `! replace`). diff says so for one no resource
 * of the state holds (made outside cdk-mackerel), and for one the state holds under another value,
 * renamed in Mackerel outside the template, that the run does not write; one the state holds with the
 * value is refused before anything is sent (`_checkUniqueNames`), and one the run writes is freed or
 * not by that update, which diff cannot order against the create.
 */
import { _Get } from './api';
import { _readLive } from './live';
import { _UNIQUE_KINDS } from './unique-names';
import { _isObject } from '../_json';
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

/** Where Mackerel lists the objects of each type of `_UNIQUE_KINDS`, and the key of that list. */
const LISTS: { readonly [type: string]: { readonly path: string; readonly key: string } } = {
  [_RESOURCE_TYPES.DASHBOARD]: { path: '/api/v0/dashboards', key: 'dashboards' },
  [_RESOURCE_TYPES.AWS_INTEGRATION]: { path: '/api/v0/aws-integrations', key: 'aws_integrations' },
};

/**
 * Who in the state file holds a dashboard or AWS integration of Mackerel's: no resource (`undefined`:
 * made outside cdk-mackerel), a resource the run does not write (`kept`, named `<stack>/<logicalId>`,
 * with the value the state applied: renamed in Mackerel outside the template, it keeps that URL path
 * or name through the creates, as its delete, if any, comes after them), or one the run writes or an
 * old object it deletes (`changing`: whether that frees the value before the create, diff cannot tell).
 * @internal
 */
export type _UniqueHolder = { readonly kind: 'kept'; readonly label: string; readonly applied: unknown } | { readonly kind: 'changing' } | undefined;

/**
 * Why the create of a dashboard or AWS integration with these properties will fail: Mackerel has
 * another one of its URL path or name, which no resource of the state holds, or one the run leaves
 * as it is holds (`holderOf`). Undefined for other types, a value known only after apply (not a
 * string), or one that is free or may be freed first.
 * @internal
 */
export async function _uniqueCreateFails(
  get: _Get, type: string, props: { readonly [key: string]: unknown }, holderOf: (type: string, physicalId: string) => _UniqueHolder,
): Promise<string | undefined> {
  const kind = _UNIQUE_KINDS.find((k) => k.type === type);
  const list = LISTS[type];
  const value = kind && props[kind.field];
  if (!kind || !list || typeof value !== 'string') return undefined;
  const body = await get(list.path);
  const objects = _isObject(body) && Array.isArray(body[list.key]) ? body[list.key] as unknown[] : [];
  const found = objects.find((o) => _isObject(o) && o[kind.field] === value && holderOf(type, String(o.id))?.kind !== 'changing');
  if (!_isObject(found)) return undefined;
  const holder = holderOf(type, String(found.id));
  const refused = `${kind.plural} are unique in the Mackerel organization and the handler takes no existing ${kind.noun} over, so Mackerel refuses the create`;
  if (holder?.kind === 'kept') {
    return `${kind.creating} ${JSON.stringify(value)} exists in Mackerel (ID ${JSON.stringify(found.id)}): ${holder.label} of the state file, applied with `
      + `${kind.the} ${JSON.stringify(holder.applied)}, renamed in Mackerel outside the template; this run does not change it before the create `
      + `(a delete comes after every create), and ${refused}. Give ${holder.label} its ${kind.another} back in Mackerel, or give the ${kind.noun} `
      + `another ${kind.another}`;
  }
  return `${kind.creating} ${JSON.stringify(value)} exists in Mackerel (ID ${JSON.stringify(found.id)}), which no resource of the state file holds: `
    + `made outside cdk-mackerel, or left by a create whose result was not saved; ${refused}, on every run. Give the ${kind.noun} another ${kind.another}, `
    + 'or delete that one in Mackerel';
}
