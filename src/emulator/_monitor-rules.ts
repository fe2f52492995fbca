import { array, bool, given, num, object, onlyFields, str, strings } from './_check';
import { badRequest, Json } from './_http';
import { EmulatorState, findService, scopeExists } from './_state';
import { _parenthesesBalanced } from '../_text';

/**
 * The seven monitor types, in the order the list endpoint sorts them. The docs say the list is
 * "ordered as monitor type -> name" without naming the type order; their list example (en and ja)
 * puts host before connectivity, then service, external and expression, the order the create
 * section documents the types in, which the two later types follow here.
 */
export const MONITOR_TYPES = ['host', 'connectivity', 'service', 'external', 'expression', 'anomalyDetection', 'query'];

const COMMON = ['id', 'type', 'name', 'memo', 'notificationInterval', 'isMute'];
const THRESHOLDS = ['operator', 'warning', 'critical'];

/** The documented fields of each type (mackerel-api.md section 2.3). */
const FIELDS: { [type: string]: string[] } = {
  host: ['metric', ...THRESHOLDS, 'duration', 'maxCheckAttempts', 'scopes', 'excludeScopes'],
  connectivity: ['alertStatusOnGone', 'scopes', 'excludeScopes'],
  service: ['service', 'metric', ...THRESHOLDS, 'duration', 'maxCheckAttempts', 'missingDurationWarning', 'missingDurationCritical'],
  external: ['url', 'method', 'service', 'responseTimeWarning', 'responseTimeCritical', 'responseTimeDuration', 'containsString',
    'maxCheckAttempts', 'certificationExpirationWarning', 'certificationExpirationCritical', 'skipCertificateVerification',
    'expectedStatusCode', 'headers', 'requestBody', 'followRedirect', 'dualstack'],
  expression: ['expression', ...THRESHOLDS, 'evaluateBackwardMinutes'],
  // No excludeScopes: the field tables (en and ja), the ja error table, mackerel-client-go and the Terraform provider have
  // none; only the en error table names it, in a line worded as the connectivity monitor's. The stricter reading is kept,
  // as AnomalyDetectionMonitor offers none.
  anomalyDetection: ['scopes', 'warningSensitivity', 'criticalSensitivity', 'maxCheckAttempts', 'trainingPeriodFrom'],
  query: ['query', 'legend', ...THRESHOLDS, 'evaluateBackwardMinutes'],
};

/** Host metrics monitored as percentages: thresholds must be within 0-100. */
const COMPARATIVE = ['cpu%', 'memory%', 'disk%', 'swap%', 'container-cpu%', 'container-memory%'];
const SENSITIVITIES = ['insensitive', 'normal', 'sensitive'];

/**
 * The headers an external monitor created without `headers` gets ("If this field is omitted,
 * the default header will be configured"; the default is `Cache-Control: no-cache`,
 * mackerel-api.md section 2.3). A PUT without `headers` keeps the old ones instead (monitors.ts).
 */
export const DEFAULT_EXTERNAL_HEADERS: readonly Json[] = [{ name: 'Cache-Control', value: 'no-cache' }];

/** `Service: role` (the read-back form) is accepted and stored as `service:role`. */
function normalizeScope(scope: string): string {
  return scope.replace(/^([^:]+): ([^:]+)$/, '$1:$2');
}

/** `scopes`/`excludeScopes`: each an existing service name or `service:role`. */
function scopes(state: EmulatorState, o: Json, out: Json, field: string, rolesOnly = false): void {
  const list = strings(o, field);
  if (list === undefined) return;
  out[field] = list.map((raw) => {
    const scope = normalizeScope(raw);
    if (rolesOnly && !scope.includes(':')) throw badRequest(`${field}: ${JSON.stringify(raw)} is not a role; anomaly detection monitors roles only`);
    if (!scopeExists(state, scope)) throw badRequest(`${field}: service or role ${JSON.stringify(raw)} is not found`);
    return scope;
  });
}

function thresholds(o: Json, out: Json, comparative = false): void {
  out.operator = str(o, 'operator', { required: true, values: ['>', '<'] });
  for (const field of ['warning', 'critical']) {
    const value = comparative ? num(o, field, { min: 0, max: 100 }) : num(o, field);
    if (value !== undefined) out[field] = value;
  }
}

function setNum(o: Json, out: Json, field: string, min: number, max: number, fallback?: number): void {
  const value = num(o, field, { integer: true, min, max }) ?? fallback;
  if (value !== undefined) out[field] = value;
}

function existingService(state: EmulatorState, o: Json, required: boolean): string | undefined {
  const name = str(o, 'service', { required });
  if (name !== undefined && !findService(state, name)) throw badRequest(`service ${JSON.stringify(name)} is not found`);
  return name;
}

function host(state: EmulatorState, o: Json, out: Json): void {
  out.metric = str(o, 'metric', { required: true });
  thresholds(o, out, COMPARATIVE.includes(out.metric as string));
  setNum(o, out, 'duration', 1, 10);
  if (out.duration === undefined) throw badRequest('duration is required');
  setNum(o, out, 'maxCheckAttempts', 1, 10, 1);
  scopes(state, o, out, 'scopes');
  scopes(state, o, out, 'excludeScopes');
}

function connectivity(state: EmulatorState, o: Json, out: Json): void {
  out.alertStatusOnGone = str(o, 'alertStatusOnGone', { values: ['CRITICAL', 'WARNING'] }) ?? 'CRITICAL';
  scopes(state, o, out, 'scopes');
  scopes(state, o, out, 'excludeScopes');
}

function service(state: EmulatorState, o: Json, out: Json): void {
  out.service = existingService(state, o, true);
  out.metric = str(o, 'metric', { required: true });
  thresholds(o, out);
  setNum(o, out, 'duration', 1, 10);
  if (out.duration === undefined) throw badRequest('duration is required');
  setNum(o, out, 'maxCheckAttempts', 1, 10, 1);
  for (const field of ['missingDurationWarning', 'missingDurationCritical']) {
    setNum(o, out, field, 10, 10080);
    if (out[field] !== undefined && (out[field] as number) % 10 !== 0) throw badRequest(`${field} must be a multiple of 10`);
  }
}

function httpUrl(o: Json): string {
  const url = str(o, 'url', { required: true }) as string;
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw badRequest(`url ${JSON.stringify(url)} is not a valid URL`);
  }
  if (scheme !== 'http:' && scheme !== 'https:') throw badRequest(`url ${JSON.stringify(url)} must use http or https`);
  return url;
}

function headers(o: Json): unknown[] | undefined {
  const list = array(o, 'headers');
  for (const header of list ?? []) {
    const h = object(header, 'each of headers');
    onlyFields(h, ['name', 'value'], 'a header');
    str(h, 'name', { required: true });
    if (typeof h.value !== 'string') throw badRequest('headers: value must be a string');
  }
  const names = (list ?? []).map((h) => (h as Json).name as string);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw badRequest(`headers: ${JSON.stringify(repeated)} is given more than once`);
  return list;
}

function external(state: EmulatorState, o: Json, out: Json): void {
  out.url = httpUrl(o);
  out.method = str(o, 'method', { values: ['GET', 'POST', 'PUT', 'DELETE'] }) ?? 'GET';
  const serviceName = existingService(state, o, false);
  if (serviceName !== undefined) out.service = serviceName;
  for (const field of ['responseTimeWarning', 'responseTimeCritical']) if (given(o, field)) out[field] = num(o, field, { min: 0 });
  setNum(o, out, 'responseTimeDuration', 1, 10);
  const responseTime = ['responseTimeWarning', 'responseTimeCritical', 'responseTimeDuration'].filter((f) => out[f] !== undefined);
  if (responseTime.length > 0 && serviceName === undefined) throw badRequest(`${responseTime.join(', ')} need service: response times are posted as its service metric`);
  if (responseTime.length > 0 && out.responseTimeDuration === undefined) throw badRequest('responseTimeDuration is required for response time monitoring');
  if (out.responseTimeDuration !== undefined && responseTime.length === 1) throw badRequest('responseTimeDuration needs responseTimeWarning or responseTimeCritical');
  setNum(o, out, 'maxCheckAttempts', 1, 10, 1);
  for (const field of ['certificationExpirationWarning', 'certificationExpirationCritical', 'expectedStatusCode']) {
    if (given(o, field)) out[field] = num(o, field, { integer: true, min: 0 });
  }
  for (const field of ['containsString', 'requestBody']) if (given(o, field)) out[field] = str(o, field);
  for (const field of ['skipCertificateVerification', 'followRedirect']) if (given(o, field)) out[field] = bool(o, field);
  const dualstack = str(o, 'dualstack', { values: ['ipv4', 'ipv6', 'auto'] });
  if (dualstack !== undefined) out.dualstack = dualstack;
  out.headers = headers(o) ?? DEFAULT_EXTERNAL_HEADERS.map((header) => ({ ...header }));
}

/** The API rejects an expression or query it cannot parse (see `_parenthesesBalanced`). */
function balanced(text: string, field: string): void {
  if (!_parenthesesBalanced(text)) throw badRequest(`${field} ${JSON.stringify(text)} is invalid`);
}

function expression(_state: EmulatorState, o: Json, out: Json): void {
  out.expression = str(o, 'expression', { required: true });
  balanced(out.expression as string, 'expression');
  thresholds(o, out);
  setNum(o, out, 'evaluateBackwardMinutes', 2, 10, 2);
}

function query(_state: EmulatorState, o: Json, out: Json): void {
  out.query = str(o, 'query', { required: true });
  balanced(out.query as string, 'query');
  const legend = str(o, 'legend');
  if (legend !== undefined) out.legend = legend;
  thresholds(o, out);
  setNum(o, out, 'evaluateBackwardMinutes', 0, 10, 0);
}

function anomalyDetection(state: EmulatorState, o: Json, out: Json): void {
  scopes(state, o, out, 'scopes', true);
  if (!Array.isArray(out.scopes) || out.scopes.length === 0) throw badRequest('scopes is required: anomaly detection monitors need at least one role');
  for (const field of ['warningSensitivity', 'criticalSensitivity']) {
    const value = str(o, field, { values: SENSITIVITIES });
    if (value !== undefined) out[field] = value;
  }
  if (out.warningSensitivity === undefined && out.criticalSensitivity === undefined) {
    throw badRequest('warningSensitivity or criticalSensitivity is required');
  }
  setNum(o, out, 'maxCheckAttempts', 1, 10, 3);
  const from = num(o, 'trainingPeriodFrom', { integer: true, min: 0 });
  if (from !== undefined && from > Date.now() / 1000) throw badRequest('trainingPeriodFrom must not be in the future');
  if (from !== undefined) out.trainingPeriodFrom = from;
}

const BY_TYPE: { [type: string]: (state: EmulatorState, o: Json, out: Json) => void } = {
  host, connectivity, service, external, expression, anomalyDetection, query,
};

/**
 * Checks a create or full-replace body and returns the monitor as stored (without `id`), with
 * the API's defaults filled in. Throws a 400 for anything the docs reject.
 */
export function validateMonitor(state: EmulatorState, body: unknown): Json {
  const o = object(body);
  const type = str(o, 'type', { required: true, values: MONITOR_TYPES }) as string;
  onlyFields(o, [...COMMON, ...FIELDS[type]], `${type} monitors`);
  const out: Json = { type };
  // Optional for connectivity monitors, but the docs list "400 when the name is empty" for every type.
  out.name = type === 'connectivity' ? (str(o, 'name', { nonEmpty: true }) ?? 'connectivity') : str(o, 'name', { required: true });
  const memo = str(o, 'memo', { maxLength: 2048 });
  if (memo !== undefined) out.memo = memo;
  const interval = num(o, 'notificationInterval', { integer: true, min: 10 });
  if (interval !== undefined) out.notificationInterval = interval;
  out.isMute = bool(o, 'isMute') ?? false;
  BY_TYPE[type](state, o, out);
  return out;
}

/**
 * A role of `monitor`, an anomaly detection monitor, that an anomaly detection monitor of `others`
 * other than `self` watches already, with that monitor; undefined when there is none or `monitor`
 * is of another type. Mackerel allows one anomaly detection monitor per role: a new or replaced
 * monitor (monitors.ts) and each monitor of a saved state (_persist.ts) are checked by this.
 */
export function anomalyMonitorOfRole(others: ReadonlyArray<Json>, monitor: Json, self?: unknown): { role: string; other: Json } | undefined {
  if (monitor.type !== 'anomalyDetection' || !Array.isArray(monitor.scopes)) return undefined;
  for (const role of monitor.scopes as string[]) {
    const other = others.find((m) => m.type === 'anomalyDetection' && m.id !== self && Array.isArray(m.scopes) && m.scopes.includes(role));
    if (other) return { role, other };
  }
  return undefined;
}
