import { _codePoint } from '../../../_text';
import { ObjectSchema, Props } from '../convert';
import { dynamicReferenceSources, hasDynamicReference, resolveDynamicReferences } from '../dynamic-reference';
import { idResource } from '../id-resource';
import { addSecret, addUrlUserinfoSecret } from '../log';
import { RequestContext } from '../resource';
import { refuseUnlessRollingBack } from '../stack';

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
 * PUT is a full replacement except for two fields that keep their old value when omitted. When
 * the stack omits them, a create leaves them to Mackerel's defaults, and an update sends those
 * same defaults, so that a field removed from the stack goes back to the default (as it would
 * be on a new monitor), and a monitor that never set it keeps the default: one behaviour for
 * create and update.
 * - `alertStatusOnGone`: CRITICAL.
 * - `headers`: "If this field is omitted, the default header will be configured"; that is
 *   `Cache-Control: no-cache` (mackerel-api.md section 2.3). An empty list, given explicitly,
 *   is sent as it is and means no headers at all.
 */
export const KEPT_WHEN_OMITTED: { readonly [type: string]: Props } = {
  connectivity: { alertStatusOnGone: 'CRITICAL' },
  external: { headers: [{ name: 'Cache-Control', value: 'no-cache' }] },
};

/**
 * The request body. A `notificationInterval` of 0 means no re-send, like leaving it out (the
 * official client sends it with omitempty), but Mackerel refuses a 0 that is sent: when set, it
 * must be at least 10 (mackerel-api.md 2.2). The constructs leave out a literal 0; one given
 * through a token, such as a CfnParameter, only shows up here. A header value given as a dynamic
 * reference (`ExternalHttpHeader.secretValue`) is resolved here, as a channel URL is.
 */
async function monitorBody(props: Props, oldProps: Props | undefined, _live: unknown, deadline: number, ctx: RequestContext): Promise<Props> {
  const { notificationInterval, ...rest } = props;
  const body = notificationInterval === 0 ? rest : props;
  maskHeaderValues(body.headers);
  // Mackerel's way to Basic authentication (`https://user:password@host/`), masked as the construct and diff mask it:
  // Mackerel may quote the URL back in an error, and a URL given as a token was never checked at synth.
  if (typeof body.url === 'string') addUrlUserinfoSecret(body.url);
  const headers = await resolveHeaders(ctx, body.headers, deadline);
  const resolved = headers === undefined ? body : { ...body, headers };
  return oldProps ? { ...KEPT_WHEN_OMITTED[String(props.type)], ...resolved } : resolved;
}

/**
 * Registers every header value given as text for masking in logs, where it stands whole between
 * quotes (a resolved dynamic reference is masked everywhere already). A `secretValue` given as a
 * NoEcho parameter arrives resolved by CloudFormation, with nothing to tell it from a plain
 * `value`: a plain value is masked too, but only where it is quoted, which hides nothing else.
 */
function maskHeaderValues(headers: unknown): void {
  if (!Array.isArray(headers)) return;
  for (const header of headers) {
    const value = (header as { value?: unknown } | null)?.value;
    if (typeof value === 'string' && !hasDynamicReference(value)) addSecret(value, true);
  }
}

/**
 * The headers with every value that holds a dynamic reference resolved (undefined when there are
 * none), each value checked. A secret saved with a trailing newline (`echo token > file`) would
 * send a header Mackerel cannot send, or one with the newline in it. Not cut silently: the secret
 * is what is wrong. The rule is ExternalHttpMonitor's for a value given as text: RFC 9110 allows
 * no control character but a tab in a field value. A value CloudFormation resolved (a NoEcho
 * parameter, a token) was never seen at synth, so every value is checked, not only those read here.
 * A rollback sends such a value as the stack had it, with a warning (`refuseUnlessRollingBack`).
 */
async function resolveHeaders(ctx: RequestContext, headers: unknown, deadline: number): Promise<unknown[] | undefined> {
  if (!Array.isArray(headers)) return undefined;
  const secret = (h: unknown): h is { value: string } => typeof (h as { value?: unknown })?.value === 'string'
    && hasDynamicReference((h as { value: string }).value);
  const out: unknown[] = [];
  for (const header of headers) {
    if (!secret(header)) {
      const value = (header as { value?: unknown } | null)?.value;
      if (typeof value === 'string') await refuseControlCharacters(ctx, header, value, '', deadline);
      out.push(header);
      continue;
    }
    const value = await resolveDynamicReferences(header.value, deadline);
    await refuseControlCharacters(ctx, header, value, ` read from ${dynamicReferenceSources(header.value).join(' and ')}`, deadline);
    out.push({ ...header, value });
  }
  return headers.some(secret) ? out : undefined;
}

/**
 * Fails for a header value with a control character other than a tab, naming where it was read `from` but not the value;
 * in a rollback, warns and lets it be sent.
 */
async function refuseControlCharacters(ctx: RequestContext, header: unknown, value: string, from: string, deadline: number): Promise<void> {
  const forbidden = value.search(/[\u0000-\u0008\u000a-\u001f\u007f]/);
  if (forbidden < 0) return;
  const code = _codePoint(value, forbidden);
  const what = /[\r\n]/.test(value[forbidden]) ? 'a line break' : 'a control character';
  const name = JSON.stringify((header as { name?: unknown }).name);
  await refuseUnlessRollingBack(ctx, deadline,
    `header ${name}: the value${from} holds ${what} (${code} at character ${forbidden + 1}), which an HTTP header value cannot; `
    + `store the ${from ? 'secret' : 'value'} without it (the value is not shown)`,
    `header ${name}: the value${from} holds ${what} (${code} at character ${forbidden + 1}; the value is not shown), which an HTTP header `
    + `value cannot; sent all the same, as the stack is rolling back to it: store the ${from ? 'secret' : 'value'} without it`);
}

/** The key that wraps a monitor in the answer of GET /api/v0/monitors/{id}, which diff reads too. */
export const MONITOR_GET_KEY = 'monitor';

export const monitor = idResource({
  path: '/api/v0/monitors',
  noun: 'monitor',
  dataKey: 'MonitorId',
  schema: MONITOR_SCHEMA,
  getKey: MONITOR_GET_KEY,
  replacedOn: (props, old) => {
    if (props.type !== old.type) return ['type'];
    return (REPLACED_ON[String(props.type)] ?? []).filter((field) => props[field] !== old[field]);
  },
  body: monitorBody,
});
