import { Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { MonitorScope } from './scope';
import { _dependOnNamed } from '../service/_named-dependency';

/**
 * What identifies a scope at synth: its name when known, else its token, which is the same
 * string for the same construct. Two scopes with different keys may still name the same object
 * when one is a token of unknown name; those are left to the API.
 * @internal
 */
export function _scopeKey(scope: MonitorScope): string {
  return scope._knownName ?? scope.value;
}

/** A scope as an error shows it: its name when known, else the reference it resolves to. @internal */
export function _shownScope(consumer: IConstruct, scope: MonitorScope): unknown {
  return scope._knownName ?? (Token.isUnresolved(scope.value) ? Stack.of(consumer).resolve(scope.value) : scope.value);
}

/**
 * Orders `consumer` after the service or role of its own stack that a literal scope names
 * (`_dependOnNamed`). A scope from `fromRole`/`fromService` refers to its resource, which orders
 * creation already.
 * @internal
 */
export function _dependOnNamedScope(consumer: IConstruct, scope: MonitorScope): void {
  _dependOnNamed(consumer, scope.value, scope.isRole);
}
