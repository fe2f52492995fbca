/**
 * A local Mackerel API emulator, strict to the documented rules (mackerel-api.md), for tests and
 * local runs. Not part of the public API. Where the docs are silent it chooses, deliberately:
 * - unknown fields in a body are a 400 (the real API probably ignores them; rejecting them
 *   catches fields sent to the wrong kind, such as maxCheckAttempts on an expression monitor);
 * - duplicate service, role and AWS integration names are a 400 (no status is documented);
 * - a read-only key on a write endpoint is a 403, except on the AWS integration endpoints, whose
 *   pages document a 401;
 * - a service monitor's `service` is part of its target, like `metric` (`cannot change target.`);
 *   a query monitor's `query` changes in place; a monitor PUT refuses an `id` other than the path's,
 *   a channel PUT ignores it;
 * - a second anomaly detection monitor of a role (the guide allows one per role; the API reference
 *   names no error for it) is a 400, on create and on an update that adds the role;
 * - a service monitor's `missingDurationWarning` or `missingDurationCritical` of 0 is a 400, as
 *   below 10: the docs' errors are a value not a multiple of 10 or over a week, but say nothing of
 *   what 0 does; Terraform requires 10 to 10080, and the official Go client never sends 0;
 * - an email channel may name an address or user ID twice;
 * - a JSON body is read whatever its Content-Type;
 * - deleting a service deletes the monitors whose `service` is it or whose scopes all lie in it,
 *   and drops the names of it and its roles from every other scope list and notification group;
 *   deleting a role alone, the same for it: the monitors whose scopes are all the role go, and
 *   every other scope list drops it; either delete also takes the downtimes and alert group
 *   settings it leaves with a scope kind emptied (Mackerel ANDs the kinds: left, they would mute
 *   or group more than they did, a downtime of one role every monitor of the organization); an
 *   emptied exclude list keeps its downtime; an expression monitor reading a deleted service or
 *   role by `service(...)`, `role(...)` or `roleSlots(...)` is kept, expression unchanged (the expression monitoring guide has one whose metric
 *   cannot be obtained raise an Unknown alert);
 * - deleting a monitor, channel or group drops the references other objects hold to it; a monitor
 *   delete also takes the downtimes and alert group settings whose monitor scopes were only it, as
 *   a role delete does, and keeps a downtime that only excluded it;
 * - a channel is not added to the default group unless `addToDefaultNotificationGroup` is true;
 * - AWS services accept `Route 53` (docs) and `Route53` (Terraform), `retireAutomatically: true`
 *   only on EC2, RDS, ElastiCache, ALB, NLB, Lambda and ECSCluster, and any existing or new
 *   `service:role` as the role; the region and role ARN get a shape check;
 * - graph annotations take `from` and `to` as whole epoch seconds, in the body and in the query;
 *   `roles: []` makes a whole-service annotation (listed without `roles`); a PUT body may carry
 *   the annotation's own `id`; deleting a role leaves the annotations that name it;
 * - a dashboard needs `title`, `urlPath` and `widgets`, which may be `null` for none (the official
 *   Go client's empty list); `memo` may be left out (read back as `''`); a widget's `title` and a
 *   markdown text may be empty, and the text may be left out (the Go client omits an empty one),
 *   read back as `''`; a PUT body may carry the
 *   dashboard's own `id`, and its `createdAt` and `updatedAt`, which are ignored (a POST body
 *   none of them); a widget field sent as `null` is one left out (the official Go client sends
 *   `graph`, `metric` and `range` on every widget); a `urlPath` is another dashboard's only when
 *   it is the same string;
 * - a widget layout is refused only for a value that is not a whole number from 0: overflow past
 *   the 24 units of width, overlap and sizes outside a type's range are taken, as the docs say
 *   they only make the widget "not display in the position expected";
 * - graphs and value metrics may also be of the type `query` (labeled metrics, as the official Go
 *   client and the Terraform provider send them): a non-empty `query`, and a `legend` that may be
 *   left out or empty;
 * - a graph range is in whole seconds, a relative one at least a second long, an absolute one
 *   with `start` before `end`;
 * - a value widget's `formatRules` (documented only in the Japanese API docs, sent by the official
 *   Go client) hold at most one rule of `threshold`, `operator` `>` or `<`, and a `name` of at most
 *   32 characters that may be left out or empty; a graph's `valueRange`, which only a community
 *   client sends and no Mackerel document describes, is refused as an unknown field;
 * - a widget's expression is not checked, not even that its parentheses pair up as an expression
 *   monitor's must: the dashboards reference documents no check of it (the constructs still
 *   refuse such a literal at synth, the stricter choice for a user);
 * - the hosts, services and roles a widget names need not exist, and a deleted one is not read
 *   back as the docs describe (`roleFullname: null`, graph or metric type `unknown`).
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { FaultQueue, FaultSpec } from './_faults';
import { route, Route } from './_http';
import { EmulatorServer } from './_server';
import { EmulatorState, Store } from './_state';
import { alertGroupSettingRoutes } from './alert-group-settings';
import { awsIntegrationRoutes } from './aws-integrations';
import { channelRoutes } from './channels';
import { dashboardRoutes } from './dashboards';
import { downtimeRoutes } from './downtimes';
import { graphAnnotationRoutes } from './graph-annotations';
import { metadataApi } from './metadata';
import { monitorRoutes } from './monitors';
import { notificationGroupRoutes } from './notification-groups';
import { serviceRoutes } from './services';

export type { EmulatorState, ServiceRecord, RoleRecord } from './_state';
export { EMULATOR_USER_IDS, DEFAULT_NOTIFICATION_GROUP_ID } from './_state';

/** The emulator's default API key, with Read and Write permission. A fake, safe to print. */
export const DEFAULT_EMULATOR_API_KEY = 'emulator-write-key';
/** The emulator's default read-only API key. */
export const DEFAULT_EMULATOR_READ_KEY = 'emulator-read-key';

export interface EmulatorOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** API keys and their permission. @default - DEFAULT_EMULATOR_API_KEY (write) and DEFAULT_EMULATOR_READ_KEY (read) */
  readonly apiKeys?: { [key: string]: 'read' | 'write' };
  /** The organization name returned by `GET /api/v0/org`. @default 'emulator' */
  readonly orgName?: string;
  /** Objects to start with, e.g. read back with `readEmulatorState`. @default - none */
  readonly state?: EmulatorState;
}

export type { FaultSpec } from './_faults';
export { isEmptyState, NotEmulatorStateError, readEmulatorState, writeEmulatorState } from './_persist';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body?: unknown;
}

export interface MackerelEmulator {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:4321/`. */
  readonly url: string;
  /** A Read+Write key. */
  readonly apiKey: string;
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Every API call in order (never the key). */
  requests(): RecordedRequest[];
  /** A deep copy of everything the emulator holds. */
  state(): EmulatorState;
  /** Empties state, faults and requests (the default notification group stays). */
  reset(): void;
  close(): Promise<void>;
}

function orgRoutes(orgName: string): Route[] {
  return [route('GET', '/org', () => ({ name: orgName, displayName: orgName }))];
}

/** Every API route, built over one store. */
function allRoutes(orgName: string): (store: Store) => Route[] {
  return (store) => [
    ...orgRoutes(orgName),
    ...serviceRoutes(store),
    ...metadataApi(store),
    ...monitorRoutes(store),
    ...channelRoutes(store),
    ...notificationGroupRoutes(store),
    ...alertGroupSettingRoutes(store),
    ...downtimeRoutes(store),
    ...awsIntegrationRoutes(store),
    ...graphAnnotationRoutes(store),
    ...dashboardRoutes(store),
  ];
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}

/** Starts a local Mackerel API emulator; state is in memory (save it with `writeEmulatorState`). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<MackerelEmulator> {
  const apiKeys = options.apiKeys ?? { [DEFAULT_EMULATOR_API_KEY]: 'write', [DEFAULT_EMULATOR_READ_KEY]: 'read' };
  const emulator = new EmulatorServer({ apiKeys, routes: allRoutes(options.orgName ?? 'emulator'), state: options.state });
  const server = createServer((request, response) => {
    emulator.handle(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  const host = options.host ?? '127.0.0.1';
  const address = await listen(server, options.port ?? 0, host);
  const writeKey = Object.keys(apiKeys).find((key) => apiKeys[key] === 'write') ?? Object.keys(apiKeys)[0] ?? '';
  const faults: FaultQueue = emulator.faults;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`,
    apiKey: writeKey,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    requests: () => structuredClone(emulator.recorded),
    state: () => emulator.snapshot(),
    reset: () => emulator.reset(),
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
