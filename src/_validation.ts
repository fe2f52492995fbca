import { Annotations, App, Token } from 'aws-cdk-lib';
import { ArtifactMetadataEntryType } from 'aws-cdk-lib/cloud-assembly-schema';
import { IConstruct } from 'constructs';
import { _readingFinalValues } from './_lazy';
import { _maskedApiBase, _userinfoOf } from './_text';

/**
 * Builds the library's one error format:
 * `<property> <value> <what is wrong>; expected <what is allowed>[. <hint>]`.
 *
 * Messages returned from `node.addValidation` use this form as is (synthesis prefixes the
 * construct path); errors thrown at construction go through `fail`, which adds the path.
 * @internal
 */
export function _describeProblem(property: string, value: unknown, problem: string, expected: string, hint?: string): string {
  const shown = value === undefined ? 'undefined' : JSON.stringify(value);
  return `${property} ${shown} ${problem}; expected ${expected}${hint ? `. ${hint}` : ''}`;
}

/**
 * Throws a synth-time validation error naming the construct path, the property, the value
 * and what is allowed. aws-cdk-lib's own ValidationError is internal to it, hence this helper.
 * @internal
 */
export function _fail(scope: IConstruct, property: string, value: unknown, problem: string, expected: string, hint?: string): never {
  throw new Error(`${scope.node.path}: ${_describeProblem(property, value, problem, expected, hint)}`);
}

/** A problem as `_describeProblem` and `_fail` take it: property, value, what is wrong, what is allowed, a hint. @internal */
export type _Problem = Parameters<typeof _describeProblem>;

/**
 * Refuses at validation, with the values read once final (`_readingFinalValues`), the problem
 * `find` returns: for what holds a Lazy, which resolved while the app is built would keep its
 * value of that moment, so is compared only then.
 * @internal
 */
export function _refuseOnceFinal(scope: IConstruct, find: () => _Problem | undefined): void {
  scope.node.addValidation({
    validate: () => _readingFinalValues(() => {
      const problem = find();
      return problem ? [_describeProblem(...problem)] : [];
    }),
  });
}

/**
 * A `Date` as whole epoch seconds, the API's time unit: an invalid date, a time before 1970 or
 * one with a fraction of a second is rejected rather than rounded (a downtime's start and until, an
 * anomaly detection monitor's trainingPeriodFrom). A fraction of a second mostly means a Date
 * taken from the clock, which cutting the fraction leaves moving at every synth: the error asks
 * for a fixed date such as `example` (`new Date('...')`), saying what a date from the clock does
 * (`fromClock`). `expected` is what an invalid date is told to be.
 * @internal
 */
export function _epochSeconds(scope: IConstruct, property: string, date: Date, example: string, fromClock: string,
  expected = `a Date such as ${example}`): number {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    _fail(scope, property, String(date), 'is not a valid date', expected);
  }
  const millis = date.getTime();
  if (millis < 0) {
    _fail(scope, property, date.toISOString(), 'is before 1970', 'a time from 1970-01-01T00:00:00Z on');
  }
  if (millis % 1000 !== 0) {
    _fail(scope, property, date.toISOString(), 'has a fraction of a second', 'a time in whole seconds (Mackerel takes epoch seconds)',
      `Give a fixed date, such as ${example}: ${fromClock}`);
  }
  return millis / 1000;
}

/** A value named again by an include list or its exclude list. @internal */
export interface _Repeat {
  /** Whether the repeat is in the exclude list. */
  readonly excluded: boolean;
  /** Its index in that list. */
  readonly index: number;
  /** True for a value of the exclude list that is also in the include list; false for a list naming a value twice. */
  readonly inBoth: boolean;
}

/**
 * Where an include list and its exclude list (scopes and excludeScopes, monitors and
 * excludeMonitors, as keys compared as strings) name a value again: repeats within `included`,
 * then within `excluded`, then values of `excluded` also in `included`. Each caller decides
 * whether that is an error or a warning, in its own words.
 * @internal
 */
export function _repeats(included: string[], excluded: string[] = []): _Repeat[] {
  const twice = (values: string[], inExcluded: boolean) => values.flatMap((value, index) =>
    (values.indexOf(value) !== index ? [{ excluded: inExcluded, index, inBoth: false }] : []));
  const both = excluded.flatMap((value, index) => (included.includes(value) ? [{ excluded: true, index, inBoth: true }] : []));
  return [...twice(included, false), ...twice(excluded, true), ...both];
}

/** Where aws-cdk-lib keeps an app's acknowledgements (`Symbol.for`, so one registry per app for every loaded copy). */
const ACKNOWLEDGEMENTS = Symbol.for('@aws-cdk/core.Acknowledgements');

/**
 * Adds an info annotation, as `Annotations.of(scope).addInfoV2(id, message)` does, without capturing a
 * stack trace. The library adds one to every instrumented task definition; a trace per call cost
 * about as much as the rest of instrumenting a task (7 ms of 53 ms for 50 Fargate services,
 * measured with `npx projen bench`), and the construct path already says where it comes from.
 * The `[ack: id]` tag is what `cdk synth` prints as `Acknowledge with 'Annotation::id'` (without it,
 * a meaningless `info-annotation`), and what `Annotations.of(scope).acknowledgeInfo(id)` removes;
 * an info acknowledged before it is added is not added, as in `addInfoV2`.
 * Warnings keep `Annotations` and their traces: they are rare and point at user code.
 * @internal
 */
export function _info(scope: IConstruct, id: string, message: string): void {
  const data = `${message} [ack: ${id}]`;
  if (scope.node.metadata.some((entry) => entry.type === ArtifactMetadataEntryType.INFO && entry.data === data)) return;
  if (acknowledged(scope, id)) return;
  scope.node.addMetadata(ArtifactMetadataEntryType.INFO, data, { stackTrace: false });
}

/**
 * Whether `id` was acknowledged on `scope` or an ancestor, read from aws-cdk-lib's registry: a map from
 * construct path to a Set of ids (up to aws-cdk-lib 2.26x) or to a Map keyed by id (later versions).
 */
function acknowledged(scope: IConstruct, id: string): boolean {
  const app = App.of(scope) as unknown as { [ACKNOWLEDGEMENTS]?: { acks?: unknown } } | undefined;
  const acks = app?.[ACKNOWLEDGEMENTS]?.acks;
  if (!(acks instanceof Map)) return false;
  const parts = scope.node.path.split('/');
  for (let n = parts.length; n > 0; n--) {
    const here = acks.get(parts.slice(0, n).join('/'));
    if ((here instanceof Set || here instanceof Map) && here.has(id)) return true;
  }
  return false;
}

/**
 * `Annotations.of(scope).addWarningV2` for a warning raised late (by an Aspect, or when an
 * extension is added), after the user may already have acknowledged it. Before the fix of
 * aws/aws-cdk#38820, aws-cdk-lib honours an earlier acknowledgement only when it was made on an
 * ancestor of `scope`, not on `scope` itself, so acknowledging a skipped task definition would not
 * silence its warning. Such a warning is acknowledged again, which removes it, as acknowledging
 * after the warning does. Where the registry is not found, the warning stays.
 * @internal
 */
export function _warnLate(scope: IConstruct, id: string, message: string): void {
  Annotations.of(scope).addWarningV2(id, message);
  const app = App.of(scope) as unknown as { [ACKNOWLEDGEMENTS]?: { acks?: unknown } } | undefined;
  const acks = app?.[ACKNOWLEDGEMENTS]?.acks;
  const here = acks instanceof Map ? acks.get(scope.node.path) : undefined;
  if (here instanceof Set && here.has(id)) Annotations.of(scope).acknowledgeWarning(id);
}

/**
 * Throws unless a literal value is one of an enum's values (a TypeScript enum or an enum-like
 * record); tokens pass. Other jsii languages can pass any string where an enum is typed.
 * @internal
 */
export function _checkEnum(scope: IConstruct, property: string, value: string | undefined, values: Record<string, string>): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const allowed = Object.values(values);
  if (!allowed.includes(value)) {
    _fail(scope, property, value, 'is not a known value', `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
  }
}

/** The URL when `value` is an absolute http or https URL, else undefined. @internal */
export function _httpUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

/**
 * A URL as the place it names: the scheme and host are case-insensitive (RFC 3986 sections 3.1 and
 * 3.2.2) and a default port is no port, so the WHATWG form of those (lower case, no default port)
 * names one place however they were written. The rest is kept as written, not as the WHATWG form
 * (which removes dot segments, `%2e` ones too): Go's HTTP client asks for the path as written, and
 * whether `old/../agent.yml` is `agent.yml` is the server's to say. A missing path is asked for as `/`.
 * A token is kept as it is.
 * @internal
 */
export function _urlPlace(url: string | undefined): string | undefined {
  if (url === undefined || Token.isUnresolved(url)) return url;
  const parsed = _httpUrl(url);
  const rest = /^https?:\/\/[^/?#\\]*(.*)$/is.exec(url)?.[1];
  if (!parsed || rest === undefined) return url;
  const userinfo = parsed.username === '' && parsed.password === '' ? '' : `${parsed.username}:${parsed.password}@`;
  return `${parsed.protocol}//${userinfo}${parsed.host}${rest.startsWith('/') ? '' : '/'}${rest}`;
}

/**
 * Which of the user name and password of a URL built around a token (its host from a parameter
 * or another stack, say) are literal text in the template: those holding no token. The userinfo is
 * where `_userinfoOf` finds it; its first `:` ends the user name.
 * @internal
 */
export function _literalUserinfo(value: string): { readonly user: boolean; readonly password: boolean } {
  const span = _userinfoOf(value);
  if (!span) return { user: false, password: false };
  const userinfo = value.slice(span.start, span.end);
  const colon = userinfo.indexOf(':');
  const [user, password] = colon < 0 ? [userinfo, ''] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  const literal = (part: string) => part !== '' && !Token.isUnresolved(part);
  return { user: literal(user), password: literal(password) };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Warns when an API base would carry the Mackerel API key in cleartext: the key can write (create
 * and retire hosts, change monitors), and anyone on the path could read it. A loopback address,
 * as a local emulator or test endpoint has, never leaves the machine.
 * @internal
 */
export function _warnCleartextApiBase(scope: IConstruct, property: string, url: URL): void {
  if (url.protocol !== 'http:' || LOOPBACK.test(url.hostname)) return;
  Annotations.of(scope).addWarningV2('cdk-mackerel:apiBaseCleartext',
    `${property} ${JSON.stringify(_maskedApiBase(url.href))} sends the Mackerel API key, which can write, in cleartext over HTTP to ${url.hostname}. Use an https URL`);
}
