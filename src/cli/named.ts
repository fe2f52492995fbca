/**
 * Services and roles: their physical ID is their name (the handler's `owned.ts`, `service.ts`
 * and `role.ts`), so it follows from their properties before an apply creates, replaces or
 * moves them. diff uses this where other objects only get an ID from Mackerel.
 */
import type { _Produced } from './intrinsics';
import { _serviceOfScopes } from '../provider/_properties';

interface NamedType {
  /** The properties the physical ID is made of (the handler's `identityFields`). */
  readonly identity: readonly string[];
  /** The physical ID and the Data the handler returns for these identity values (all but `MemoIgnored`). */
  produced(values: readonly string[]): _Produced;
}

const NAMED: { readonly [type: string]: NamedType } = {
  'Custom::MackerelService': {
    identity: ['name'],
    produced: ([name]) => ({ physicalId: name, data: { Name: name } }),
  },
  'Custom::MackerelRole': {
    identity: ['service', 'name'],
    produced: ([service, name]) => {
      const fullName = `${service}:${name}`;
      return { physicalId: fullName, data: { FullName: fullName, ServiceName: service, RoleName: name } };
    },
  },
};

/** Whether a type's physical ID is its name, kept when the object is re-created. @internal */
export function _isNamedType(type: string): boolean {
  return NAMED[type] !== undefined;
}

/**
 * The physical ID and Data a service or role will have, from its identity properties as
 * `resolve` gives them (undefined when one is unknown). Undefined for other types, or when an
 * identity property is not a string. The result is marked `derived`: other Data is unknown.
 * @internal
 */
export function _namedProduced(type: string, resolve: (field: string) => unknown): _Produced | undefined {
  const spec = NAMED[type];
  if (!spec) return undefined;
  const values = spec.identity.map(resolve);
  if (!values.every((v): v is string => typeof v === 'string')) return undefined;
  return { ...spec.produced(values), derived: true };
}

/**
 * What apply's and diff's lines call an object: its `name`, or the `title` of the types that
 * have one instead (dashboards, graph annotations). @internal
 */
export function _nameOf(properties: { readonly [key: string]: unknown }): string | undefined {
  const name = properties.name ?? properties.title;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The name of the service whose delete deletes this object with it: a role's service (from its
 * properties, or its physical ID `service:role` when they are not at hand), a monitor's `service`
 * (a service metric or external HTTP monitor), or the service a monitor's scopes all lie in
 * (`_serviceOfScopes`). Undefined for other types and other monitors.
 * The handler leaves a service that still has such an object (`owned.ts`), so the cleanup deletes
 * it first, also when it names the service by a literal name, which records no dependency.
 * @internal
 */
export function _tiedService(type: string, properties: { readonly [key: string]: unknown } | undefined, physicalId?: string): string | undefined {
  const service = typeof properties?.service === 'string' ? properties.service : undefined;
  if (type === 'Custom::MackerelMonitor') return service ?? _serviceOfScopes(properties?.scopes);
  if (type !== 'Custom::MackerelRole') return undefined;
  return service ?? (physicalId?.includes(':') ? physicalId.split(':')[0] : undefined);
}

