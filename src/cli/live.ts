/**
 * Reads the live Mackerel object behind a physical ID, shaped like the resource's properties
 * (the contract of ../provider/_properties.ts), for drift detection.
 */
import { _Get } from './api';
import { objectInGetAnswer } from '../provider/handler/id-resource';
import { metadataAt } from '../provider/handler/resources/metadata';
import { MONITOR_GET_KEY } from '../provider/handler/resources/monitor';

/** The live object, or undefined when it is gone; `unreadable` when the API has no read. @internal */
export type _LiveObject = { readonly [key: string]: unknown } | undefined | 'unreadable';

/** `applied`: the properties the state holds for it, for an object the API reads only through another one. */
type Reader = (get: _Get, physicalId: string, applied?: { readonly [key: string]: unknown }) => Promise<_LiveObject>;

async function findIn(get: _Get, path: string, listKey: string, id: string): Promise<_LiveObject> {
  const body = (await get(path)) as { [key: string]: Array<{ id?: string }> } | undefined;
  return body?.[listKey]?.find((o) => o.id === id);
}

/**
 * An object Mackerel reads by its ID, read as the handler reads it (`objectInGetAnswer`): an answer
 * without the object is one without fields, not one gone, which only a 404 (undefined) says, since
 * the handler's update finds it there and re-creates nothing.
 */
function byId(collection: string, getKey?: string): Reader {
  return async (get, id) => {
    const answer = await get(`${collection}/${encodeURIComponent(id)}`);
    return answer === undefined ? undefined : objectInGetAnswer(answer, getKey);
  };
}

/**
 * One namespace of metadata, shaped as the resource's properties: the owner from the physical ID
 * (`owner/namespace`) and the value as Mackerel holds it, parsed (the diff parses the applied JSON
 * text to compare with it). Undefined when the namespace, or its service or role, is gone.
 */
function metadataReader(type: string, ownerField: string): Reader {
  return async (get, id) => {
    // The handler made the physical ID, and knows where it points.
    const at = metadataAt(type, id);
    if (!at) return 'unreadable';
    const value = await get(at.path);
    return value === undefined ? undefined : { [ownerField]: at.owner, namespace: at.namespace, metadata: value };
  };
}

/** A service of Mackerel's, by name, or undefined. */
async function serviceNamed(get: _Get, name: string): Promise<{ name: string; memo?: string; roles?: unknown } | undefined> {
  const body = (await get('/api/v0/services')) as { services: Array<{ name: string; memo?: string; roles?: unknown }> };
  return body.services.find((s) => s.name === name);
}

/**
 * A graph annotation is listed only by service and period, and its time is in no property (the
 * handler posts it at the moment of the deploy), so it is not read. Mackerel deletes a service's
 * annotations with it: one of a service that is not there is gone; otherwise it may be there.
 */
const graphAnnotationReader: Reader = async (get, _id, applied) => {
  const service = applied?.service;
  if (typeof service !== 'string') return 'unreadable';
  return await serviceNamed(get, service) === undefined ? undefined : 'unreadable';
};

const READERS: { readonly [type: string]: Reader } = {
  // With its roles' names (no property, so never drift), from which diff tells a delete the handler will decline.
  'Custom::MackerelService': async (get, name) => {
    const found = await serviceNamed(get, name);
    return found ? { name: found.name, memo: found.memo, roles: Array.isArray(found.roles) ? found.roles : [] } : undefined;
  },
  'Custom::MackerelRole': async (get, fullName) => {
    const [service, role] = fullName.split(':');
    const body = (await get(`/api/v0/services/${encodeURIComponent(service)}/roles`)) as { roles: Array<{ name: string; memo?: string }> } | undefined;
    const found = body?.roles.find((r) => r.name === role);
    return found ? { service, name: found.name, memo: found.memo } : undefined;
  },
  'Custom::MackerelMonitor': byId('/api/v0/monitors', MONITOR_GET_KEY),
  'Custom::MackerelChannel': (get, id) => findIn(get, '/api/v0/channels', 'channels', id),
  'Custom::MackerelNotificationGroup': (get, id) => findIn(get, '/api/v0/notification-groups', 'notificationGroups', id),
  'Custom::MackerelAlertGroupSetting': byId('/api/v0/alert-group-settings'),
  'Custom::MackerelDowntime': (get, id) => findIn(get, '/api/v0/downtimes', 'downtimes', id),
  // Its start moves with each deploy and is no property, so it is not compared (nor is the revision).
  'Custom::MackerelDeploymentDowntime': (get, id) => findIn(get, '/api/v0/downtimes', 'downtimes', id),
  'Custom::MackerelDashboard': byId('/api/v0/dashboards'),
  'Custom::MackerelAwsIntegration': byId('/api/v0/aws-integrations'),
  'Custom::MackerelServiceMetadata': metadataReader('Custom::MackerelServiceMetadata', 'service'),
  'Custom::MackerelRoleMetadata': metadataReader('Custom::MackerelRoleMetadata', 'role'),
  // The external ID has no read endpoint.
  'Custom::MackerelAwsIntegrationExternalId': async () => 'unreadable',
  'Custom::MackerelGraphAnnotation': graphAnnotationReader,
};

/**
 * Whether an object the API has no read for (an issued external ID, a graph annotation) is
 * there: the CLI's own emulator (--emulator) knows; undefined where that is not known.
 * @internal
 */
export type _Holds = (type: string, physicalId: string) => boolean | undefined;

/**
 * `get` that reads each path once: for one pass of reads of a run that writes nothing meanwhile
 * (diff; apply's summary after its run), where each service and each graph annotation reads the
 * services' list, which would otherwise be read again for every one of them. @internal
 */
export function _readingOnce(get: _Get): _Get {
  const read = new Map<string, Promise<unknown>>();
  return (path) => {
    if (!read.has(path)) read.set(path, get(path));
    return read.get(path)!;
  };
}

/**
 * Reads one live object. One the API has no read for stays `unreadable` (no fields to compare)
 * unless `holds` knows it is not there, or (a graph annotation) its `applied` properties name a
 * service Mackerel does not have: gone, as one read would be. @internal
 */
export async function _readLive(
  get: _Get, type: string, physicalId: string, holds?: _Holds, applied?: { readonly [key: string]: unknown },
): Promise<_LiveObject> {
  const reader = READERS[type];
  const live = reader ? await reader(get, physicalId, applied) : 'unreadable';
  return live === 'unreadable' && holds?.(type, physicalId) === false ? undefined : live;
}
