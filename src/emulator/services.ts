import { object, onlyFields, str } from './_check';
import { badRequest, Json, notFound, route, Route } from './_http';
import { deletingWidened, findService, forgetMonitor, forgetRole, forgetService, inService, replaceIn, RoleRecord, ServiceRecord, Store } from './_state';

/** Service and role names: 2-63 letters, digits, `-` or `_`, not starting with `-` or `_`. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,62}$/;

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
 * Whether a monitor is tied to what `inside` picks (a service and its roles, or one role): its
 * `service` field names it (service metric monitors, external monitors posting response times;
 * only for a service), or its scopes all lie in it, which would otherwise be left watching every
 * host (or, for anomaly detection, no role at all).
 */
function tiedTo(monitor: Json, inside: (scope: unknown) => boolean): boolean {
  if (inside(monitor.service)) return true;
  const scopes = monitor.scopes;
  return Array.isArray(scopes) && scopes.length > 0 && scopes.every(inside);
}

/** Deletes the monitors tied to what `inside` picks, and drops the references others hold to them. */
function deleteTiedMonitors(store: Store, inside: (scope: unknown) => boolean): void {
  const state = store.state;
  for (const monitor of state.monitors.filter((m) => tiedTo(m, inside))) {
    state.monitors.splice(state.monitors.indexOf(monitor), 1);
    forgetMonitor(state, monitor.id as string);
  }
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
  deletingWidened(state, () => {
    deleteTiedMonitors(store, (scope) => inService(scope, name));
    forgetService(state, name);
  });
  for (const annotation of state.graphAnnotations.filter((a) => a.service === name)) replaceIn(state.graphAnnotations, annotation);
  return serviceView(service);
}

/**
 * The docs say only that the role is returned. Chosen here as for a service, whose monitors go
 * with it: the monitors whose scopes are all this role go too (left, a host monitor would watch
 * every host and an anomaly detection monitor no role), and every other scope list drops it
 * (forgetRole), so that nothing read back names a role that is gone and cannot be sent again.
 * An expression monitor naming the role in `role(...)` is left as it is: no doc has a delete touch
 * an expression, and the expression monitoring guide says one whose metric cannot be obtained
 * raises an Unknown alert, so a real organization keeps it.
 */
function deleteRole(store: Store, serviceName: string, roleName: string) {
  const service = serviceOf(store, serviceName);
  const role = roleOf(store, serviceName, roleName);
  service.roles.splice(service.roles.indexOf(role), 1);
  const fullname = `${service.name}:${role.name}`;
  deletingWidened(store.state, () => {
    deleteTiedMonitors(store, (scope) => scope === fullname);
    forgetRole(store.state, fullname);
  });
  return roleView(role);
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
    route('DELETE', '/services/:service/roles/:role', ({ params }) => deleteRole(store, params.service, params.role)),
  ];
}

