import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _checkScope, _NAME_RULE } from '../_names';
import { _characterCount, _codePoint, _firstCharacters, _parenthesesBalanced } from '../_text';
import { _fail, _Problem, _refuseOnceFinal } from '../_validation';
import { _dependOnNamedScope } from './_scope';
import { MonitorScope } from './scope';

/** Mackerel's limit on a monitor memo, in characters. @internal */
export const _MAX_MEMO_LENGTH = 2048;

/** The length of a literal memo longer than a monitor memo may be, else undefined; tokens pass. */
function overlongMemo(memo: string | undefined): number | undefined {
  if (memo === undefined || Token.isUnresolved(memo)) return undefined;
  const length = _characterCount(memo);
  return length > _MAX_MEMO_LENGTH ? length : undefined;
}

/** Throws when a literal memo is longer than Mackerel allows; tokens pass. @internal */
export function _checkMemo(scope: IConstruct, memo: string | undefined): void {
  const length = overlongMemo(memo);
  if (length !== undefined) {
    _fail(scope, 'memo', `${_firstCharacters(memo!, 20)}...`, `is ${length} characters long`, `at most ${_MAX_MEMO_LENGTH} characters`);
  }
}

/**
 * Warns when a literal memo of a downtime or an alert group setting is longer than a monitor
 * memo may be. Mackerel rejects a memo that is too long for these too, but documents no limit
 * (mackerel-api.md sections 5.3 and 5.4), so a longer one may be legal and is not refused. @internal
 */
export function _warnOnLongMemo(scope: IConstruct, memo: string | undefined, what: string): void {
  const length = overlongMemo(memo);
  if (length !== undefined) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:memoLimitUndocumented',
      `memo ${JSON.stringify(`${_firstCharacters(memo!, 20)}...`)} is ${length} characters long. Mackerel rejects ${what} memo that is too long `
      + `but does not document the limit; expected at most ${_MAX_MEMO_LENGTH} characters, the limit of monitor memos, to be safe`);
  }
}

/** Whitespace or a control character, which no metric name holds (Mackerel names metrics with letters, digits, `.`, `-` and `_`). */
const NOT_IN_METRIC_NAMES = /[\s\u0000-\u001f\u007f]/;

/**
 * Throws for a literal metric name that is empty, or that holds whitespace or a control character
 * (a space pasted with it, the newline of a name read from a file): no metric is named so, and a
 * monitor on it would never alert; `' cpu%'` would not even be read as a percentage. Tokens pass.
 * @internal
 */
export function _checkMetricName(scope: IConstruct, metric: string, what: string): void {
  if (Token.isUnresolved(metric)) return;
  if (metric.trim() === '') _fail(scope, 'metric', metric, 'is empty', what);
  const at = metric.search(NOT_IN_METRIC_NAMES);
  if (at >= 0) {
    _fail(scope, 'metric', metric, `holds a space or control character (${_codePoint(metric, at)} at character ${at + 1})`,
      `${what} without spaces or control characters`);
  }
}

/** A range of whole numbers, inclusive, for error messages and checks. @internal */
export interface _Range {
  readonly min: number;
  readonly max: number;
  /** the values must be multiples of this */
  readonly step?: number;
}

function describeRange(range: _Range, unit: string): string {
  const kind = range.step ? `a multiple of ${range.step}${unit ? ` ${unit}` : ''}` : `a whole number${unit ? ` of ${unit}` : ''}`;
  return `${kind} from ${range.min} to ${range.max}`;
}

/** Throws unless a literal number is whole and within range; tokens pass. @internal */
export function _checkRange(scope: IConstruct, property: string, value: number | undefined, range: _Range, unit = ''): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const fits = Number.isInteger(value) && value >= range.min && value <= range.max && (!range.step || value % range.step === 0);
  if (!fits) {
    _fail(scope, property, value, 'is out of range', describeRange(range, unit));
  }
}

/** Throws unless a literal number is finite (no NaN or Infinity); tokens pass. @internal */
export function _checkFinite(scope: IConstruct, property: string, value: number | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isFinite(value)) _fail(scope, property, String(value), 'is not a finite number', 'a number');
}

type Unit = 'minutes' | 'days' | 'milliseconds';

interface UnitReader {
  /** `Duration.unitLabel()` of a duration already in this unit */
  readonly label: string;
  readonly factory: string;
  readonly convert: (d: Duration, integral: boolean) => number;
}

/** How each unit is read from a Duration, and the unit a token amount must already be in. */
const UNITS: { [unit in Unit]: UnitReader } = {
  minutes: { label: 'minutes', factory: 'Duration.minutes', convert: (d, integral) => d.toMinutes({ integral }) },
  days: { label: 'days', factory: 'Duration.days', convert: (d, integral) => d.toDays({ integral }) },
  milliseconds: { label: 'millis', factory: 'Duration.millis', convert: (d, integral) => d.toMilliseconds({ integral }) },
};

/**
 * Converts a Duration to a whole number of minutes, days or milliseconds, with a clear error for
 * fractions (Duration's own conversion throws one without the construct or property), then checks
 * the range. A token amount passes unconverted when it is already in that unit
 * (Duration.minutes(token) keeps its token); in any other unit it cannot be converted at synth. @internal
 */
export function _wholeDuration(scope: IConstruct, property: string, duration: Duration | undefined, unit: Unit, range?: _Range): number | undefined {
  if (duration === undefined) return undefined;
  const { label, factory, convert } = UNITS[unit];
  if (duration.isUnresolved()) {
    if (duration.unitLabel() !== label) {
      _fail(scope, property, `Duration.${duration.unitLabel()}(<token>)`, `is in ${duration.unitLabel()} from a token, which cannot be converted to ${unit} at synth`,
        `${factory}(<token>), or a literal duration`);
    }
    return convert(duration, true);
  }
  const amount = convert(duration, false);
  if (!Number.isInteger(amount)) {
    _fail(scope, property, duration.toHumanString(), `is not a whole number of ${unit}`, range ? describeRange(range, unit) : `whole ${unit}`);
  }
  if (range && (amount < range.min || amount > range.max || (range.step && amount % range.step !== 0))) {
    _fail(scope, property, duration.toHumanString(), 'is out of range', describeRange(range, unit));
  }
  return amount;
}

/**
 * Throws when a literal expression or query is empty or cannot parse for its parentheses or
 * quotes (Mackerel rejects it with a 400 at deploy). A token that is known at synth all the same
 * (a Lazy, Fn.join of literals) deploys as that string, and is refused at validation, once final;
 * others pass. @internal
 */
export function _checkExpression(scope: IConstruct, property: string, text: string, what: string): void {
  if (!Token.isUnresolved(text)) {
    const problem = expressionProblem(property, text, what);
    if (problem) _fail(scope, ...problem);
    return;
  }
  // A dashboard renders its widgets when they are added and again at synth: one check each.
  const checked = TOKENS_CHECKED.get(scope) ?? TOKENS_CHECKED.set(scope, new Set()).get(scope)!;
  const key = `${property}\u0000${text}`;
  if (checked.has(key)) return;
  checked.add(key);
  _refuseOnceFinal(scope, () => {
    let known: unknown;
    try {
      known = Stack.of(scope).resolve(text);
    } catch {
      return undefined;
    }
    return typeof known === 'string' ? expressionProblem(property, known, what) : undefined;
  });
}

/** The expressions and queries given as tokens that `_checkExpression` has set to be checked, by property, of each construct. */
const TOKENS_CHECKED = new WeakMap<IConstruct, Set<string>>();

function expressionProblem(property: string, text: string, what: string): _Problem | undefined {
  if (text.trim() === '') return [property, text, 'is empty', what];
  if (!_parenthesesBalanced(text)) return [property, text, 'has a parenthesis without its pair or a quote left open', `${what} Mackerel can parse`];
  return undefined;
}

/** Throws unless a literal enum value is one of the allowed values; tokens pass. @internal */
export function _checkOneOf(scope: IConstruct, property: string, value: string | undefined, allowed: string[]): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!allowed.includes(value)) {
    _fail(scope, property, value, 'is not allowed', `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
}

/**
 * Renders scopes, checking each literal one and ordering the consumer after what a literal names
 * in its stack; `rolesOnly` rejects service scopes. @internal
 */
export function _renderScopes(scope: IConstruct, property: string, scopes: MonitorScope[] | undefined, rolesOnly = false): string[] | undefined {
  if (scopes === undefined) return undefined;
  return scopes.map((s, i) => {
    const name = `${property}[${i}]`;
    _checkScope(scope, name, s.value);
    _dependOnNamedScope(scope, s, name);
    // The scope knows whether it is a role, even when its value is a token (a service or role
    // created in this app), so a whole service is caught in every form.
    if (rolesOnly && !s.isRole) {
      const shown = Token.isUnresolved(s.value) ? Stack.of(scope).resolve(s.value) : s.value;
      _fail(scope, name, shown, 'is a service, but this monitor takes roles only', `a role full name, service:role, each part ${_NAME_RULE}`,
        'Use MonitorScope.fromRole() for each role of the service to watch');
    }
    return s.value;
  });
}
