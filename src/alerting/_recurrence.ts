import { IConstruct } from 'constructs';
import { _fail } from '../_validation';

/** The API's `recurrence` object. @internal */
export interface _RenderedRecurrence {
  readonly type: string;
  readonly interval: number;
  readonly weekdays?: string[];
  readonly until?: number;
}

/**
 * A `Date` as whole epoch seconds, the API's time unit: an invalid date, a time before 1970 or
 * one with a fraction of a second is rejected rather than rounded.
 * @internal
 */
export function _epochSeconds(scope: IConstruct, property: string, date: Date): number {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    _fail(scope, property, String(date), 'is not a valid date', 'a Date such as new Date(\'2026-12-06T01:00:00Z\')');
  }
  const millis = date.getTime();
  if (millis < 0) {
    _fail(scope, property, date.toISOString(), 'is before 1970', 'a time from 1970-01-01T00:00:00Z on');
  }
  if (millis % 1000 !== 0) {
    _fail(scope, property, date.toISOString(), 'has a fraction of a second', 'a time in whole seconds (Mackerel takes epoch seconds)');
  }
  return millis / 1000;
}
