import { object } from './_check';
import { badRequest, Json, route, Route } from './_http';
import { anomalyMonitorOfRole, MONITOR_TYPES, validateMonitor } from './_monitor-rules';
import { byId, deletingWidened, forgetMonitor, Store, uniqueId } from './_state';

/** The API reads role scopes back as `Service: role` (colon and a space). */
export function monitorView(monitor: Json): Json {
  const view: Json = { ...monitor };
  for (const field of ['scopes', 'excludeScopes']) {
    if (Array.isArray(monitor[field])) view[field] = (monitor[field] as string[]).map((s) => s.replace(':', ': '));
  }
  return view;
}

/**
 * "Multiple monitors with anomaly detection can not be specified for the same role" (Mackerel's
 * guide, docs/entry/howto/anomaly-detection-for-roles). The API reference gives no status or
 * message for it: a 400, the status of every other refused monitor body, with a message of the
 * emulator's own. `self` is the monitor a PUT replaces, which may keep its roles.
 */
function checkOneAnomalyDetectionPerRole(store: Store, monitor: Json, self?: string): void {
  const watched = anomalyMonitorOfRole(store.state.monitors, monitor, self);
  if (watched) {
    throw badRequest(`scopes: role ${JSON.stringify(watched.role)} is already watched by anomaly detection monitor ${watched.other.id}; `
      + 'Mackerel allows one anomaly detection monitor per role');
  }
}

function monitorOf(store: Store, id: string): Json {
  return byId(store.state.monitors, id, 'monitor');
}

/**
 * PUT is a full replacement (section 2.4): the body is checked as on create, omitted scopes
 * and `isMute` are reset, but an omitted `alertStatusOnGone` or `headers` keeps the old value.
 * The type never changes, nor the target of host and service monitors.
 */
function replaceMonitor(store: Store, id: string, body: unknown): Json {
  const old = monitorOf(store, id);
  const o = object(body);
  if (typeof o.type === 'string' && o.type !== old.type) throw badRequest('cannot change type.');
  // Not documented either way (the docs list no error for it); kept as a deliberate strictness.
  if (o.id !== undefined && o.id !== id) throw badRequest('id in the body does not match the monitor ID in the path');
  const next = validateMonitor(store.state, o);
  if ((old.type === 'host' || old.type === 'service') && (next.metric !== old.metric || next.service !== old.service)) {
    // Documented for `metric`; a service monitor's `service` is treated as part of its target too.
    throw badRequest('cannot change target.');
  }
  // A query monitor's `query` is changed in place: Terraform replaces the monitor when it changes,
  // but no error for it is documented or reported, so the emulator has no grounds to refuse it.
  // null is "not given" here as everywhere in the emulator; only [] clears the headers, and
  // omitted ones stay as they were (validateMonitor filled in the create-time default).
  if (o.alertStatusOnGone == null && old.alertStatusOnGone !== undefined) next.alertStatusOnGone = old.alertStatusOnGone;
  if (o.headers == null && old.type === 'external') {
    if (old.headers === undefined) delete next.headers;
    else next.headers = old.headers;
  }
  checkOneAnomalyDetectionPerRole(store, next, id);
  const stored = { id, ...next };
  const monitors = store.state.monitors;
  monitors[monitors.indexOf(old)] = stored;
  return stored;
}

/** The list is ordered by type, then name, as the docs say. */
function sorted(monitors: Json[]): Json[] {
  return [...monitors].sort((a, b) => {
    const byType = MONITOR_TYPES.indexOf(a.type as string) - MONITOR_TYPES.indexOf(b.type as string);
    return byType !== 0 ? byType : String(a.name).localeCompare(String(b.name));
  });
}

export function monitorRoutes(store: Store): Route[] {
  return [
    route('GET', '/monitors', () => ({ monitors: sorted(store.state.monitors).map(monitorView) })),
    route('POST', '/monitors', ({ body }) => {
      const o = object(body);
      if (o.id !== undefined) throw badRequest('id must not be given when creating a monitor');
      const fields = validateMonitor(store.state, o);
      checkOneAnomalyDetectionPerRole(store, fields);
      const monitor = { id: uniqueId(store.state), ...fields };
      store.state.monitors.push(monitor);
      return monitorView(monitor);
    }),
    route('GET', '/monitors/:id', ({ params }) => ({ monitor: monitorView(monitorOf(store, params.id)) })),
    route('PUT', '/monitors/:id', ({ params, body }) => monitorView(replaceMonitor(store, params.id, body))),
    // As on a role or service delete: a downtime or alert group setting whose monitor scopes were
    // only this monitor goes with it, rather than be left muting or grouping every monitor.
    route('DELETE', '/monitors/:id', ({ params }) => {
      const monitor = monitorOf(store, params.id);
      store.state.monitors.splice(store.state.monitors.indexOf(monitor), 1);
      deletingWidened(store.state, () => forgetMonitor(store.state, params.id));
      return monitorView(monitor);
    }),
  ];
}
