import { object, onlyFields, str } from './_check';
import { badRequest, Json, notFound, route, Route } from './_http';
import { findService, forgetMonitor, forgetService, inService, replaceIn, RoleRecord, ServiceRecord, Store } from './_state';

/** Service and role names: 2-63 letters, digits, `-` or `_`, not starting with `-` or `_`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$/;

/** The order of both lists, by name, as the API reference says of each (the ja page of the service list). */
function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function serviceView(s: ServiceRecord) {
  return { name: s.name, memo: s.memo, roles: s.roles.map((r) => r.name) };
}

function roleView(r: RoleRecord) {
  return { name: r.name, memo: r.memo };
}

/** The service named in the path, or 404. */
export function serviceOf(store: Store, name: string): ServiceRecord {
  const service = findService(store.state, name);
  if (!service) throw notFound('service is not found.');
  return service;
}

/** The role named in the path, or 404 (also when its service is missing). */
export function roleOf(store: Store, serviceName: string, roleName: string): RoleRecord {
  const role = serviceOf(store, serviceName).roles.find((r) => r.name === roleName);
  if (!role) throw notFound('role is not found.');
  return role;
}

/** Reads `{name, memo}` for a new service or role. */
function nameAndMemo(body: unknown, what: string): { name: string; memo: string } {
  const o = object(body);
  onlyFields(o, ['name', 'memo'], what);
  const name = str(o, 'name', { required: true }) as string;
  if (!NAME.test(name)) throw badRequest(`invalid ${what} name: ${JSON.stringify(name)}; use 2-63 letters, digits, - or _, not starting with - or _`);
  return { name, memo: str(o, 'memo') ?? '' };
}

/**
 * The monitors tied to a service: those whose `service` field is it (service metric monitors,
 * external monitors posting response times), and those whose scopes all lie in it, which would
 * otherwise be left watching every host (or, for anomaly detection, no role at all).
 */
function tiedTo(monitor: Json, name: string): boolean {
  if (monitor.service === name) return true;
  const scopes = monitor.scopes;
  return Array.isArray(scopes) && scopes.length > 0 && scopes.every((scope) => inService(scope, name));
}

/**
 * Deleting a service also deletes its roles, its metadata, its graph annotations and the monitors
 * tied to it, as the docs say ("roles, service metrics, monitoring configurations, and graph
 * annotations associated with the service"). Every other reference to it or its roles is dropped
 * (forgetService).
 */
function deleteService(store: Store, name: string) {
  const service = serviceOf(store, name);
  const state = store.state;
  state.services.splice(state.services.indexOf(service), 1);
  for (const monitor of state.monitors.filter((m) => tiedTo(m, name))) {
    state.monitors.splice(state.monitors.indexOf(monitor), 1);
    forgetMonitor(state, monitor.id as string);
  }
  forgetService(state, name);
  for (const annotation of state.graphAnnotations.filter((a) => a.service === name)) replaceIn(state.graphAnnotations, annotation);
  return serviceView(service);
}

export function serviceRoutes(store: Store): Route[] {
  return [
    route('GET', '/services', () => ({ services: [...store.state.services].sort(byName).map(serviceView) })),
    route('POST', '/services', ({ body }) => {
      const { name, memo } = nameAndMemo(body, 'service');
      // The docs give no status for a duplicate name; 400 is what other tools assume (409 is only for dashboards).
      if (findService(store.state, name)) throw badRequest(`service ${JSON.stringify(name)} already exists`);
      const service: ServiceRecord = { name, memo, roles: [], metadata: {} };
      store.state.services.push(service);
      return serviceView(service);
    }),
    route('DELETE', '/services/:service', ({ params }) => deleteService(store, params.service)),
    route('GET', '/services/:service/roles', ({ params }) => ({ roles: serviceOf(store, params.service).roles.map(roleView) })),
    // The emulator has no endpoint to post service metrics to, so no service has a metric name.
    route('GET', '/services/:service/metric-names', ({ params }) => {
      serviceOf(store, params.service);
      return { names: [] };
    }),
    route('POST', '/services/:service/roles', ({ params, body }) => {
      const service = serviceOf(store, params.service);
      const { name, memo } = nameAndMemo(body, 'role');
      // As for services, the docs give no status for a duplicate name; 400 here.
      if (service.roles.some((r) => r.name === name)) throw badRequest(`role ${JSON.stringify(name)} already exists in service ${JSON.stringify(service.name)}`);
      const role: RoleRecord = { name, memo, metadata: {} };
      service.roles.push(role);
      service.roles.sort(byName);
      return roleView(role);
    }),
    route('DELETE', '/services/:service/roles/:role', ({ params }) => {
      const service = serviceOf(store, params.service);
      const role = roleOf(store, params.service, params.role);
      service.roles.splice(service.roles.indexOf(role), 1);
      return roleView(role);
    }),
  ];
}

