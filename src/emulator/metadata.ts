import { ApiError, badRequest, Call, notFound, route, Route } from './_http';
import { Store } from './_state';
import { roleOf, serviceOf } from './services';

const NAMESPACE = /^[-a-zA-Z0-9_]+$/;
const MAX_BYTES = 100 * 1024;

/** Where metadata lives and how many namespaces it may hold. */
interface Holder {
  readonly metadata: { [namespace: string]: unknown };
  readonly limit: number;
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
    route('GET', `${prefix}/metadata`, (call) => ({ metadata: Object.keys(holderOf(call).metadata).map((namespace) => ({ namespace })) })),
    route('GET', one, (call) => {
      const { metadata } = holderOf(call);
      if (!Object.hasOwn(metadata, call.params.namespace)) throw notFound('metadata is not found.');
      return metadata[call.params.namespace];
    }),
    route('PUT', one, (call) => {
      const holder = holderOf(call);
      checkNamespace(call.params.namespace);
      if (call.bytes > MAX_BYTES) throw new ApiError(413, 'metadata is too large: at most 100 KB');
      if (call.body === undefined) throw badRequest('metadata must be a JSON value');
      const isNew = !Object.hasOwn(holder.metadata, call.params.namespace);
      if (isNew && Object.keys(holder.metadata).length >= holder.limit) {
        throw badRequest(`too many metadata namespaces: at most ${holder.limit}`);
      }
      // defineProperty, so that a namespace such as `__proto__` is stored as data, never as a prototype.
      Object.defineProperty(holder.metadata, call.params.namespace, { value: call.body, enumerable: true, writable: true, configurable: true });
      return { success: true };
    }),
    route('DELETE', one, (call) => {
      const { metadata } = holderOf(call);
      if (!Object.hasOwn(metadata, call.params.namespace)) throw notFound('metadata is not found.');
      delete metadata[call.params.namespace];
      return { success: true };
    }),
  ];
}

/** Service metadata (at most 50 namespaces) and role metadata (at most 10). */
export function metadataApi(store: Store): Route[] {
  return [
    ...metadataRoutes('/services/:service/roles/:role', ({ params }) => ({ metadata: roleOf(store, params.service, params.role).metadata, limit: 10 })),
    ...metadataRoutes('/services/:service', ({ params }) => ({ metadata: serviceOf(store, params.service).metadata, limit: 50 })),
  ];
}
