import { describe, expect, test } from 'vitest';
import { _recurrenceMaySpanSundayToMonday, _spansSundayToMonday } from '../../src/alerting/_downtime-warnings';

const at = (iso: string) => new Date(iso).getTime() / 1000;
const HOURS = 60;

describe('_spansSundayToMonday: does a downtime contain Monday 00:00 in any time zone (UTC-12 to UTC+14)', () => {
  test.each([
    // [what, start, minutes, expected]
    ['Sunday 01:00 UTC for 24 hours holds Monday 00:00 UTC', '2026-12-06T01:00:00Z', 24 * HOURS, true],
    ['Tuesday 00:00 UTC for 48 hours is Monday 12:00 to Thursday 14:00 local everywhere', '2026-12-08T00:00:00Z', 48 * HOURS, false],
    ['Monday 12:00 UTC is Monday 00:00 in UTC-12 already: starting there does not span it', '2026-12-07T12:00:00Z', 24 * HOURS, false],
    ['Monday 11:59 UTC is just before Monday 00:00 in UTC-12', '2026-12-07T11:59:00Z', 24 * HOURS, true],
    ['Friday 00:00 UTC for 2 days ends Sunday 00:00 UTC, before Monday 00:00 in UTC+14 (Sunday 10:00 UTC)', '2026-12-04T00:00:00Z', 48 * HOURS, false],
    ['Friday 00:00 UTC for 2 days 10 hours 1 minute reaches past Monday 00:00 in UTC+14', '2026-12-04T00:00:00Z', 58 * HOURS + 1, true],
    ['a week or more always spans it', '2026-12-08T00:00:00Z', 7 * 24 * HOURS, true],
    ['the first week of the epoch (a Thursday) works too', '1970-01-01T00:00:00Z', 24 * HOURS, false],
    ['and its first Sunday', '1970-01-04T12:00:00Z', 24 * HOURS, true],
  ])('%s', (_what, start, minutes, expected) => {
    expect(_spansSundayToMonday(at(start as string), minutes as number)).toBe(expected);
  });
});

describe('_recurrenceMaySpanSundayToMonday: may a window of a recurring downtime contain Monday 00:00 in some time zone', () => {
  const weekly = (...weekdays: string[]) => ({ type: 'weekly', interval: 1, weekdays });
  test.each([
    // [what, start, minutes, recurrence, expected]
    ['weekly on Wednesday, 25 hours: Wednesday to Thursday everywhere', '2026-12-06T01:00:00Z', 25 * HOURS, weekly('Wednesday'), false],
    ['weekly on Friday, 48 hours: from Friday 23:45 local at the latest, it ends by Sunday 23:45', '2026-12-04T00:00:00Z', 48 * HOURS, weekly('Friday'), false],
    ['weekly on Friday, 48 hours 16 minutes: reaches Monday 00:01 in the zone where it starts at 23:45', '2026-12-04T00:00:00Z', 48 * HOURS + 16, weekly('Friday'), true],
    ['weekly on Thursday at 00:00 UTC, 72 hours: Thursday 23:45 local at the latest plus 3 days ends Sunday 23:45', '2026-12-03T00:00:00Z', 72 * HOURS, weekly('Thursday'), false],
    ['weekly on Thursday at 00:00 UTC, 72 hours 16 minutes: reaches Monday 00:01 in the zone where it starts at 23:45', '2026-12-03T00:00:00Z', 72 * HOURS + 16, weekly('Thursday'), true],
    ['weekly on Monday, 24 hours: starts on a Monday, ends on Tuesday', '2026-12-06T01:00:00Z', 24 * HOURS, weekly('Monday'), false],
    ['weekly on Monday, 7 days: reaches the next Monday', '2026-12-06T01:00:00Z', 7 * 24 * HOURS, weekly('Monday'), true],
    ['weekly on Sunday, 24 hours', '2026-12-06T01:00:00Z', 24 * HOURS, weekly('Sunday'), true],
    ['weekly without weekdays: the weekday is not documented', '2026-12-09T00:00:00Z', 24 * HOURS, { type: 'weekly', interval: 1 }, true],
    ['daily every 14 days from Tuesday, 48 hours: always Tuesday to Thursday', '2026-12-08T00:00:00Z', 48 * HOURS, { type: 'daily', interval: 14 }, false],
    ['daily every 3 days: moves through the weekdays', '2026-12-08T00:00:00Z', 48 * HOURS, { type: 'daily', interval: 3 }, true],
    ['hourly every 168 hours from Tuesday, 48 hours', '2026-12-08T00:00:00Z', 48 * HOURS, { type: 'hourly', interval: 168 }, false],
    ['monthly: the date moves through the weekdays', '2026-12-08T00:00:00Z', 24 * HOURS, { type: 'monthly', interval: 1 }, true],
  ])('%s', (_what, start, minutes, recurrence, expected) => {
    expect(_recurrenceMaySpanSundayToMonday(at(start as string), minutes as number, recurrence as any)).toBe(expected);
  });
});
