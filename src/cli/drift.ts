/**
 * Drift: where what Mackerel holds now differs from the properties last applied, field by field,
 * read past what the API adds or rewrites (stringified scalars, defaults, role scopes, secrets).
 */
import { _FieldChange } from './changes';
import { _sameJson } from './plan';
import { _isObject } from '../_json';
import { _METADATA_TYPES } from '../provider/_properties';
import { KEPT_WHEN_OMITTED } from '../provider/handler/resources/monitor';

/**
 * Drift of one object: the fields where the live object differs from the properties last
 * applied. Live values are stringified like CloudFormation's, role scopes read back as
 * `Service: role` are normalized, and fields the template never set count only when the live
 * value is not empty (server-added defaults such as `isMute: false` or `memo: ""` are not drift).
 * Dynamic references (`{{resolve:...}}`, `{{cdk-mackerel:ssm-secure:...}}`), alone or inside a
 * longer URL, are not compared: the template never held the value. Inside a list (an external
 * monitor's headers) the live element's field is read as the reference (see `withReferencesKept`).
 * @internal
 */
export function _driftOf(
  type: string, applied: { readonly [key: string]: unknown }, live: { readonly [key: string]: unknown }, knownFields: readonly string[] = [],
): _FieldChange[] {
  const metadata = _METADATA_TYPES.includes(type);
  if (metadata) applied = { ...applied, metadata: parsedMetadata(applied.metadata) };
  const defaults = readBackDefaults(type, applied);
  const keys = [...new Set([...Object.keys(applied), ...[...knownFields, ...neverSent(type)].filter((k) => k in live)])].sort();
  applied = Object.fromEntries(Object.entries(applied).map(([k, v]) => [k, metadata && k === 'metadata' ? v : numbersAsLive(v, live[k])]));
  return keys.flatMap((k) => {
    // A metadata value keeps its types on both sides (it is no CloudFormation property of stringified scalars).
    const value = metadata && k === 'metadata' ? live[k] : _normalize(k, live[k]);
    if (applied[k] === undefined && defaults[k] !== undefined) {
      // The default is what the template means (and what an update sends back), so an empty value
      // (headers cleared in the web UI) differs from it; a field Mackerel does not return does not.
      return value === undefined || value === null || _sameJson(defaults[k], value) ? [] : [{ field: k, old: undefined, new: value }];
    }
    if (leftOutBySend(type, k, applied[k]) && value === undefined) return [];
    return metadata && k === 'metadata' ? metadataDrift(k, applied[k], value) : driftField(k, applied[k], value);
  });
}

/**
 * The applied value with each text where Mackerel holds the same number written as that number
 * reads back: a number given by a parameter or an import (`1.50`, `1e21`, `-0`) is text in the
 * template, the handler sends it as the number, and Mackerel reads back `1.5`, `1e+21`, `0`.
 * Only where the live value is a number: text that reads as a number stays text elsewhere.
 */
function numbersAsLive(applied: unknown, live: unknown): unknown {
  if (typeof applied === 'string' && typeof live === 'number') {
    return applied.trim() !== '' && Number(applied) === live ? String(live) : applied;
  }
  if (Array.isArray(applied) && Array.isArray(live)) return applied.map((v, i) => numbersAsLive(v, live[i]));
  if (_isObject(applied) && _isObject(live)) return Object.fromEntries(Object.entries(applied).map(([k, v]) => [k, numbersAsLive(v, live[k])]));
  return applied;
}

/**
 * A metadata value is applied as its JSON text (CloudFormation would stringify its scalars), and
 * Mackerel holds the value: it is compared parsed, with its types, so that Mackerel's key order is
 * no drift and a number turned into a string is.
 */
function parsedMetadata(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A value the handler does not send, so Mackerel holds none: a monitor's notificationInterval of
 * 0 (none), and a deployment downtime's revision, which only tells CloudFormation of a new deploy.
 */
function leftOutBySend(type: string, field: string, applied: unknown): boolean {
  return (type === 'Custom::MackerelMonitor' && field === 'notificationInterval' && applied === '0')
    || (type === 'Custom::MackerelDeploymentDowntime' && field === 'revision');
}

/**
 * Fields of the live object that the resource has no property for, but that are drift when set
 * in Mackerel: a deployment downtime made recurring there would mute its scopes again and again
 * (its start, which each deploy moves, is not compared).
 */
function neverSent(type: string): readonly string[] {
  return type === 'Custom::MackerelDeploymentDowntime' ? ['recurrence'] : [];
}

/**
 * Values the API fills in for a field left out (stringified), by monitor type. The handler sends
 * the same defaults on update for the fields a PUT would otherwise keep (`KEPT_WHEN_OMITTED`).
 */
const MONITOR_DEFAULTS: { readonly [monitorType: string]: { readonly [field: string]: unknown } } = {
  host: { maxCheckAttempts: '1' },
  service: { maxCheckAttempts: '1' },
  external: { maxCheckAttempts: '1', method: 'GET', ...KEPT_WHEN_OMITTED.external },
  connectivity: { ...KEPT_WHEN_OMITTED.connectivity },
  expression: { evaluateBackwardMinutes: '2' },
  query: { evaluateBackwardMinutes: '0' },
  anomalyDetection: { maxCheckAttempts: '3' },
};

/** What the API fills in when the template left a field out: not drift when it is still that value. */
function readBackDefaults(type: string, applied: { readonly [key: string]: unknown }): { readonly [field: string]: unknown } {
  if (type !== 'Custom::MackerelMonitor') return {};
  return MONITOR_DEFAULTS[String(applied.type)] ?? {};
}

function driftField(path: string, applied: unknown, live: unknown): _FieldChange[] {
  if (isReference(applied)) return [];
  if (applied === undefined && isEmpty(path, live)) return [];
  if (Array.isArray(applied) && Array.isArray(live) && applied.some(holdsReference)) {
    return driftField(path, applied.map(withoutReferences), withReferencesKept(applied, live).map(withoutReferences));
  }
  if (_isObject(applied) && _isObject(live)) {
    const keys = [...new Set([...Object.keys(applied), ...Object.keys(live)])].sort();
    return keys.flatMap((k) => driftField(`${path}.${k}`, applied[k], live[k]));
  }
  // Both sides: an empty field the template set (skipDefault "false") equals one the server added.
  return _sameJson(dropEmpty(applied), dropEmpty(live)) ? [] : [{ field: path, old: applied, new: live }];
}

/**
 * Drift of a metadata value, the user's own JSON: no field of it is Mackerel's to fill in, so none
 * reads as unset. `{"a": null}` against `{}`, `""`, `[]`, or `false` for a key named as a boolean
 * Mackerel fills in, is a change someone made. Objects are compared key by key, to name the key.
 */
function metadataDrift(path: string, applied: unknown, live: unknown): _FieldChange[] {
  if (isReference(applied)) return [];
  if (_isObject(applied) && _isObject(live)) {
    const keys = [...new Set([...Object.keys(applied), ...Object.keys(live)])].sort();
    return keys.flatMap((k) => metadataDrift(`${path}.${k}`, applied[k], live[k]));
  }
  return _sameJson(applied, live) ? [] : [{ field: path, old: applied, new: live }];
}

const REFERENCE = /\{\{(resolve|cdk-mackerel):/;

function isReference(v: unknown): boolean {
  return typeof v === 'string' && REFERENCE.test(v);
}

function holdsReference(v: unknown): boolean {
  return _isObject(v) && Object.values(v).some(isReference);
}

/**
 * The live list with each field that the template gives as a dynamic reference read as that
 * reference: Mackerel holds the resolved value (a secret header's token), which is neither drift
 * nor to be printed. A live element is read against the applied one of the same name
 * (case-insensitive, as header names are). One of no applied name may be a secret header renamed
 * in Mackerel: while an applied reference has no live element of its name, such elements are
 * read with that reference too, so a rename (or a reorder beside it) is drift shown without the
 * secret, and a plain header of the same name keeps its own value to compare.
 */
function withReferencesKept(applied: unknown[], live: unknown[]): unknown[] {
  const nameOf = (v: unknown) => (_isObject(v) && typeof v.name === 'string' ? v.name.toLowerCase() : undefined);
  const appliedNames = new Set(applied.map(nameOf));
  const liveNames = new Set(live.map(nameOf));
  const byName = new Map(applied.filter(holdsReference).map((a) => [nameOf(a), a]));
  const renamed = applied.filter((a) => holdsReference(a) && !liveNames.has(nameOf(a)));
  let unnamed = 0;
  return live.map((element) => {
    const name = nameOf(element);
    const given = name !== undefined && appliedNames.has(name) ? byName.get(name) : renamed[Math.min(unnamed++, renamed.length - 1)];
    if (!_isObject(element) || !holdsReference(given)) return element;
    const references = given as { [key: string]: unknown };
    return Object.fromEntries(Object.entries(element).map(([k, v]) => [k, isReference(references[k]) ? references[k] : v]));
  });
}

/** A list element with its dynamic references left out, so that the rest is compared as usual. */
function withoutReferences(v: unknown): unknown {
  return _isObject(v) ? Object.fromEntries(Object.entries(v).filter(([, x]) => !isReference(x))) : v;
}

/**
 * The boolean fields whose unset value is `false`, which Mackerel may read back for a field never
 * set: `isMute`, `followRedirect` and `retireAutomatically` default to false (mackerel-api.md
 * sections 2.2, 2.3, 4.2), the emulator fills in `enabledGraphImage` and `skipDefault`, and
 * `skipCertificateVerification` and a role graph's `isStacked` are off when unset. There "false"
 * is as unset as an absent field; anywhere else it is text someone wrote (a memo, a header value).
 */
const FALSE_WHEN_UNSET: ReadonlySet<string> = new Set([
  'isMute', 'followRedirect', 'skipCertificateVerification', 'enabledGraphImage', 'skipDefault', 'retireAutomatically', 'isStacked',
]);

/** An AWS service of an integration's `services` map, by its path. */
const AWS_SERVICE = /^services\.[^.]+$/;

/**
 * Whether a field's value reads as unset; `field` is its path, whose last name decides about "false".
 * An AWS service Mackerel reads back disabled, with no role and no metrics (`{ enable: false, role:
 * null, excludedMetrics: [] }`, what Terraform sends for each service it does not configure and
 * reads as one not configured), is one left out, which the docs treat as disabled. Only there: an
 * object of empty fields, or an `enable` of "false", elsewhere (a metadata value) is what someone wrote.
 */
function isEmpty(field: string, v: unknown): boolean {
  if (AWS_SERVICE.test(field) && _isObject(v)) {
    return Object.entries(v).every(([k, x]) => (k === 'enable' ? x === 'false' : isEmpty(`${field}.${k}`, x)));
  }
  if (v === 'false') return FALSE_WHEN_UNSET.has(field.replace(/^.*\./, ''));
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (_isObject(v) && Object.keys(v).length === 0);
}

/** Inside lists of objects, empty server-added fields are dropped before comparing. */
function dropEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropEmpty);
  if (_isObject(v)) return Object.fromEntries(Object.entries(v).filter(([k, x]) => !isEmpty(k, x)).map(([k, x]) => [k, dropEmpty(x)]));
  return v;
}

const SCOPE_FIELD = /scopes$/i;

/**
 * A live value read as the applied properties are: scalars stringified, and role scopes, which
 * the API reads back as `Service: role`, as `Service:role`.
 * @internal
 */
export function _normalize(field: string, value: unknown): unknown {
  const stringified = stringify(value);
  if (SCOPE_FIELD.test(field) && Array.isArray(stringified)) {
    // The API reads role scopes back as "Service: role".
    return stringified.map((s) => (typeof s === 'string' ? s.replace(/^([^:\s]+):\s+/, '$1:') : s));
  }
  return stringified;
}

function stringify(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringify);
  if (_isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stringify(v)]));
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}
