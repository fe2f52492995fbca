import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { MonitorOperator } from './enums';
import { _fail } from '../_validation';

/**
 * Which way a WARNING/CRITICAL pair runs: the WARNING threshold must be crossed first. A monitor
 * with a misordered pair only warns (`_warnOnThresholdOrder`: Mackerel accepts it); an alert of
 * `MackerelRoleAlerts`, whose pair the library fills with defaults, is refused (`_checkWarningFirst`).
 * @internal
 */
export interface _ThresholdDirection {
  /** true when a larger value is worse (operator `>`, a usage, a response time), false when a smaller one is (operator `<`, days left) */
  readonly higherIsWorse: boolean;
  /** what decided `higherIsWorse`, shown after the values: ` with operator ">"` */
  readonly suffix?: string;
}

/**
 * The direction a monitor's operator gives: with `>` a higher value is worse, with `<` a lower one.
 * Undefined for any other operator, which the monitor itself refuses.
 * @internal
 */
export function _operatorDirection(operator: string): _ThresholdDirection | undefined {
  if (operator !== MonitorOperator.GREATER_THAN && operator !== MonitorOperator.LESS_THAN) return undefined;
  return { higherIsWorse: operator === MonitorOperator.GREATER_THAN, suffix: ` with operator ${JSON.stringify(operator)}` };
}

/** Whether a value crosses the WARNING threshold strictly before the CRITICAL one. */
function warningFirst(direction: _ThresholdDirection, warning: number, critical: number): boolean {
  return direction.higherIsWorse ? warning < critical : warning > critical;
}

/** How WARNING must compare with CRITICAL (`before`), and CRITICAL with WARNING (`after`), in words. */
function orderWords(direction: _ThresholdDirection): { readonly before: string; readonly after: string } {
  return direction.higherIsWorse ? { before: 'below', after: 'above' } : { before: 'above', after: 'below' };
}

/** One threshold of a WARNING/CRITICAL pair, for `_warnOnThresholdOrder`. @internal */
export interface _ThresholdValue {
  readonly name: string;
  readonly value?: number;
  /** the value as the message shows it, where the number is only its rank (a sensitivity) */
  readonly shown?: string;
}

/** How a WARNING/CRITICAL pair is compared and worded, for `_warnOnThresholdOrder`. @internal */
export interface _ThresholdOrder extends _ThresholdDirection {
  /** follows each number in the message, such as ` ms` */
  readonly unit?: string;
  /** how WARNING must compare with CRITICAL, in words, where `below` or `above` would not read (`more sensitive than`) */
  readonly words?: string;
}

/**
 * Warns when a value crosses the WARNING threshold only after the CRITICAL one (or at the same
 * point): Mackerel accepts such a pair, but then raises CRITICAL alone and WARNING never fires on
 * its own, which is a typo far more often than a choice. Tokens pass.
 * @internal
 */
export function _warnOnThresholdOrder(scope: IConstruct, warning: _ThresholdValue, critical: _ThresholdValue, order: _ThresholdOrder): void {
  const w = warning.value;
  const c = critical.value;
  if (w === undefined || c === undefined || Token.isUnresolved(w) || Token.isUnresolved(c)) return;
  if (warningFirst(order, w, c)) return;
  const words = order.words ?? orderWords(order).before;
  const shown = (t: _ThresholdValue) => t.shown ?? `${t.value}${order.unit ?? ''}`;
  Annotations.of(scope).addWarningV2('cdk-mackerel:warningAfterCritical',
    `${warning.name} ${shown(warning)} is not ${words} ${critical.name} ${shown(critical)}${order.suffix ?? ''}: a value past the WARNING threshold `
    + `is already past the CRITICAL one, so WARNING alerts never fire on their own; expected ${warning.name} ${words} ${critical.name}`);
}

/** One threshold of a pair: its property name, what the user wrote and the default. @internal */
export interface _Threshold<T> {
  readonly name: string;
  readonly given?: T;
  readonly fallback?: T;
}

/** How a kind of threshold is compared and shown, for `_checkWarningFirst`. @internal */
export interface _ThresholdKind<T> extends _ThresholdDirection {
  /** the value to compare, or undefined for a token */
  readonly measure: (value: T) => number | undefined;
  readonly show: (value: T) => string | number;
}

/** Plain numbers, running as `direction` says. */
function numberKind(direction: _ThresholdDirection): _ThresholdKind<number> {
  return { measure: (v) => (Token.isUnresolved(v) ? undefined : v), show: (v) => v, ...direction };
}

/** Numbers such as percentages: a higher value is worse. @internal */
export const _PERCENT: _ThresholdKind<number> = numberKind({ higherIsWorse: true });

/**
 * Numbers compared by a monitor's operator (`_operatorDirection`). Undefined for any other
 * operator, which the monitor itself refuses.
 * @internal
 */
export function _operatorKind(operator: string): _ThresholdKind<number> | undefined {
  const direction = _operatorDirection(operator);
  return direction && numberKind(direction);
}

/** Durations; `higherIsWorse` false for time left, such as days before a certificate expires. @internal */
export function _durationKind(higherIsWorse: boolean): _ThresholdKind<Duration> {
  return {
    measure: (v) => (v.isUnresolved() ? undefined : v.toMilliseconds({ integral: false })),
    show: (v) => v.toHumanString(),
    higherIsWorse,
  };
}

/**
 * Throws unless the WARNING threshold fires before the CRITICAL one, comparing what the user
 * wrote with the other value or its default. A defaulted value is never blamed: the value the
 * user wrote is, with the default named, since the fix is to set the other one too.
 * @internal
 */
export function _checkWarningFirst<T>(scope: IConstruct, prefix: string, kind: _ThresholdKind<T>,
  warning: _Threshold<T>, critical: _Threshold<T>): void {
  const w = warning.given ?? warning.fallback;
  const c = critical.given ?? critical.fallback;
  if (w === undefined || c === undefined || (warning.given === undefined && critical.given === undefined)) return;
  const mw = kind.measure(w);
  const mc = kind.measure(c);
  if (mw === undefined || mc === undefined || warningFirst(kind, mw, mc)) return;
  const { before, after } = orderWords(kind);
  const suffix = kind.suffix ?? '';
  if (warning.given === undefined) {
    _fail(scope, `${prefix}.${critical.name}`, kind.show(c), `is not ${after} the default ${warning.name} (${kind.show(w)})${suffix}`,
      `a CRITICAL threshold ${after} the WARNING one`, `Set ${prefix}.${warning.name} ${before} it too`);
  }
  const defaulted = critical.given === undefined;
  _fail(scope, `${prefix}.${warning.name}`, kind.show(w), `is not ${before} ${defaulted ? 'the default ' : ''}${critical.name} (${kind.show(c)})${suffix}`,
    `a WARNING threshold ${before} the CRITICAL one`,
    defaulted ? `Set ${prefix}.${critical.name} ${after} it too` : `A WARNING at or ${after} CRITICAL never fires on its own`);
}
