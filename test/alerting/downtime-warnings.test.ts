import { describe, expect, test } from 'vitest';
import { _spansSundayToMonday } from '../../src/alerting/_downtime-warnings';

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
