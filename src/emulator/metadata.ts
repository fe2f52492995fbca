import { ApiError, badRequest, Call, notFound, Reply, route, Route } from './_http';
import { MetadataHolder, Store } from './_state';
import { roleOf, serviceOf } from './services';

const NAMESPACE = /^[-a-zA-Z0-9_]+$/;
const MAX_BYTES = 100 * 1024;

/** Where metadata lives and how many namespaces it may hold. */
interface Holder {
  readonly record: MetadataHolder;
  readonly limit: number;
}

/** Sets a property as data, so that a namespace such as `__proto__` is stored as such, never as a prototype. */
function setOwn(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Only PUT refuses an invalid namespace (400): the GET and DELETE pages list no 400, only the
 * 404 for metadata that does not exist, which is all a namespace that could never be put is.
 */
function checkNamespace(namespace: string): void {
  if (!NAMESPACE.test(namespace)) throw badRequest(`invalid namespace: ${JSON.stringify(namespace)}; use letters, digits, - or _`);
  if (namespace.startsWith('mackerel')) throw badRequest(`namespace ${JSON.stringify(namespace)} is reserved: namespaces starting with mackerel are for Mackerel`);
}

/** The five metadata routes under one prefix (`/services/:service` or a role under it). */
function metadataRoutes(prefix: string, holderOf: (call: Call) => Holder): Route[] {
  const one = `${prefix}/metadata/:namespace`;
  return [
    route('GET', `${prefix}/metadata`, (call) => {
      const { record } = holderOf(call);
      return { metadata: Object.keys(record.metadata).map((namespace) => ({ namespace })) };
    }),
    route('GET', one, (call) => {
      const { record } = holderOf(call);
      const namespace = call.params.namespace;
      if (!Object.hasOwn(record.metadata, namespace)) throw notFound('metadata is not found.');
      // The reference: "The date and time of metadata's last update is configured in the response header's Last-Modified."
      // Unknown for a namespace of a state saved before the time was kept: then the header is left out.
      const times = record.metadataModifiedAt;
      const modified = times && Object.hasOwn(times, namespace) ? times[namespace] : undefined;
      return new Reply(record.metadata[namespace], modified === undefined ? {} : { 'Last-Modified': new Date(modified * 1000).toUTCString() });
    }),
    route('PUT', one, (call) => {
      const { record, limit } = holderOf(call);
      const namespace = call.params.namespace;
      checkNamespace(namespace);
      if (call.bytes > MAX_BYTES) throw new ApiError(413, 'metadata is too large: at most 100 KB');
      if (call.body === undefined) throw badRequest('metadata must be a JSON value');
      const isNew = !Object.hasOwn(record.metadata, namespace);
      if (isNew && Object.keys(record.metadata).length >= limit) {
        throw badRequest(`too many metadata namespaces: at most ${limit}`);
      }
      setOwn(record.metadata, namespace, call.body);
      record.metadataModifiedAt ??= {};
      setOwn(record.metadataModifiedAt, namespace, Math.floor(Date.now() / 1000));
      return { success: true };
    }),
    route('DELETE', one, (call) => {
      const { record } = holderOf(call);
      if (!Object.hasOwn(record.metadata, call.params.namespace)) throw notFound('metadata is not found.');
      delete record.metadata[call.params.namespace];
      delete record.metadataModifiedAt?.[call.params.namespace];
      return { success: true };
    }),
  ];
}

/** Service metadata (at most 50 namespaces) and role metadata (at most 10). */
export function metadataApi(store: Store): Route[] {
  return [
    ...metadataRoutes('/services/:service/roles/:role', ({ params }) => ({ record: roleOf(store, params.service, params.role), limit: 10 })),
    ...metadataRoutes('/services/:service', ({ params }) => ({ record: serviceOf(store, params.service), limit: 50 })),
  ];
}
