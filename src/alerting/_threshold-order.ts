import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _fail } from '../_validation';

/** One threshold of a pair: its property name, what the user wrote and the default. @internal */
export interface _Threshold<T> {
  readonly name: string;
  readonly given?: T;
  readonly fallback?: T;
}

/** How a kind of threshold is compared and shown. @internal */
export interface _ThresholdKind<T> {
  /** the value to compare, or undefined for a token */
  readonly measure: (value: T) => number | undefined;
  readonly show: (value: T) => string | number;
  /** true when a larger value is worse (a usage), false when a smaller one is (days left) */
  readonly higherIsWorse: boolean;
  /** what decided `higherIsWorse`, shown after the values: ` with operator ">"` */
  readonly suffix?: string;
}

/** Plain numbers: `higherIsWorse` as the metric goes. */
function numberKind(higherIsWorse: boolean, suffix?: string): _ThresholdKind<number> {
  return { measure: (v) => (Token.isUnresolved(v) ? undefined : v), show: (v) => v, higherIsWorse, suffix };
}

/** Numbers such as percentages: a higher value is worse. @internal */
export const _PERCENT: _ThresholdKind<number> = numberKind(true);

/**
 * Numbers compared by a monitor's operator: with `>` a higher value is worse, with `<` a lower
 * one. Undefined for any other operator, which the monitor itself refuses.
 * @internal
 */
export function _operatorKind(operator: string): _ThresholdKind<number> | undefined {
  if (operator !== '>' && operator !== '<') return undefined;
  return numberKind(operator === '>', ` with operator ${JSON.stringify(operator)}`);
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
  if (mw === undefined || mc === undefined || (kind.higherIsWorse ? mw < mc : mw > mc)) return;
  const [before, after] = kind.higherIsWorse ? ['below', 'above'] : ['above', 'below'];
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
