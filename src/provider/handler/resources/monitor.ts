import { ObjectSchema, Props } from '../convert';
import { idResource } from '../id-resource';

/** `_MonitorProperties`: every field of the seven monitor types. */
export const MONITOR_SCHEMA: ObjectSchema = {
  type: 'string',
  name: 'string',
  memo: 'string',
  notificationInterval: 'number',
  isMute: 'boolean',
  metric: 'string',
  operator: 'string',
  warning: 'number',
  critical: 'number',
  duration: 'number',
  maxCheckAttempts: 'number',
  scopes: 'string[]',
  excludeScopes: 'string[]',
  alertStatusOnGone: 'string',
  service: 'string',
  missingDurationWarning: 'number',
  missingDurationCritical: 'number',
  url: 'string',
  method: 'string',
  responseTimeWarning: 'number',
  responseTimeCritical: 'number',
  responseTimeDuration: 'number',
  containsString: 'string',
  certificationExpirationWarning: 'number',
  certificationExpirationCritical: 'number',
  skipCertificateVerification: 'boolean',
  expectedStatusCode: 'number',
  headers: { listOf: { name: 'string', value: 'string' } },
  requestBody: 'string',
  followRedirect: 'boolean',
  dualstack: 'string',
  expression: 'string',
  evaluateBackwardMinutes: 'number',
  warningSensitivity: 'string',
  criticalSensitivity: 'string',
  trainingPeriodFrom: 'number',
  query: 'string',
  legend: 'string',
};

/**
 * The fields each monitor type cannot change in place (mackerel-api.md 2.4: `cannot change
 * target.`; a query change is a new monitor). A change of `type` always replaces.
 */
const REPLACED_ON: { readonly [type: string]: readonly string[] } = {
  host: ['metric'],
  service: ['service', 'metric'],
  query: ['query'],
};

/**
 * PUT is a full replacement except for two fields that keep their old value when omitted; send
 * their defaults so that removing them from the stack really removes them.
 */
const KEPT_WHEN_OMITTED: { readonly [type: string]: Props } = {
  connectivity: { alertStatusOnGone: 'CRITICAL' },
  external: { headers: [] },
};

export const monitor = idResource({
  path: '/api/v0/monitors',
  dataKey: 'MonitorId',
  schema: MONITOR_SCHEMA,
  replacedOn: (props, old) => {
    if (props.type !== old.type) return ['type'];
    return (REPLACED_ON[String(props.type)] ?? []).filter((field) => props[field] !== old[field]);
  },
  body: (props, old) => (old ? { ...KEPT_WHEN_OMITTED[String(props.type)], ...props } : props),
});
