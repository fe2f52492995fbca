import { Token } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { _RenderedRecurrence, _startGaps } from '../../src/alerting/_recurrence';

const HOUR = 60;
const DAY = 24 * HOUR;
/** 2026-12-06T01:00:00Z, a Sunday: the 6th of a month in every time zone (the 5th to the 7th), which every month has. */
const START = Date.UTC(2026, 11, 6, 1) / 1000;
/** 2026-12-31T01:00:00Z: the 30th, 31st or 1st in some time zone, so where it falls in a shorter month is not known. */
const LAST_DAY = Date.UTC(2026, 11, 31, 1) / 1000;
const at = (iso: string) => Date.parse(iso) / 1000;

describe('_startGaps: the time between two starts of a recurrence, as far as synth can tell', () => {
  test.each<[string, _RenderedRecurrence, ReturnType<typeof _startGaps>]>([
    ['hourly every 1 hour', { type: 'hourly', interval: 1 }, { shortest: HOUR, longest: HOUR }],
    ['hourly every 6 hours', { type: 'hourly', interval: 6 }, { shortest: 6 * HOUR, longest: 6 * HOUR }],
    ['daily every 2 days', { type: 'daily', interval: 2 }, { shortest: 2 * DAY, longest: 2 * DAY }],
    ['weekly without weekdays: at most a week, the closest undocumented', { type: 'weekly', interval: 1 }, { longest: 7 * DAY }],
    ['weekly on one day every 3 weeks', { type: 'weekly', interval: 3, weekdays: ['Wednesday'] }, { shortest: 21 * DAY, longest: 21 * DAY }],
    ['weekly on Saturday and Sunday', { type: 'weekly', interval: 1, weekdays: ['Saturday', 'Sunday'] }, { shortest: DAY, longest: 6 * DAY }],
    ['weekly on Monday, Wednesday and Friday', { type: 'weekly', interval: 1, weekdays: ['Friday', 'Monday', 'Wednesday'] }, { shortest: 2 * DAY, longest: 3 * DAY }],
    // Sunday-first weeks: Sunday, then Saturday 6 days later, then Sunday 8 days later; Monday-first: Saturday, Sunday a day later, 13 days to the next Saturday.
    ['Saturday and Sunday every 2 weeks: sure only of what holds whichever day weeks begin on', { type: 'weekly', interval: 2, weekdays: ['Saturday', 'Sunday'] },
      { shortest: 6 * DAY, longest: 13 * DAY }],
    ['monthly from the 31st (the 30th in some time zone): at most 31 days, the closest depends on the time zone', { type: 'monthly', interval: 1 },
      { longest: 31 * DAY }],
    ['every 2 months from the 31st: July and August, or December and January', { type: 'monthly', interval: 2 }, { longest: 62 * DAY }],
    ['every 12 months from the 31st: a leap year', { type: 'monthly', interval: 12 }, { longest: 366 * DAY }],
    ['yearly from the 31st: a leap year', { type: 'yearly', interval: 1 }, { longest: 366 * DAY }],
    ['every 4 years from the 31st: one leap day', { type: 'yearly', interval: 4 }, { longest: (4 * 365 + 1) * DAY }],
    ['every 5 years from the 31st: two leap days at most', { type: 'yearly', interval: 5 }, { longest: (5 * 365 + 2) * DAY }],
  ])('%s', (_what, recurrence, expected) => {
    expect(_startGaps(recurrence, LAST_DAY)).toEqual(expected);
  });

  describe('months and years from a day every month has: read from the calendar', () => {
    test.each<[string, _RenderedRecurrence, ReturnType<typeof _startGaps>]>([
      ['monthly: February of a common year, 28 days, the closest', { type: 'monthly', interval: 1 },
        { shortest: 28 * DAY, longest: 31 * DAY, closest: { first: at('2027-02-06T01:00:00Z'), next: at('2027-03-06T01:00:00Z') } }],
      ['every 2 months from December: February and March, 59 days; December and January, 62', { type: 'monthly', interval: 2 },
        { shortest: 59 * DAY, longest: 62 * DAY, closest: { first: at('2027-02-06T01:00:00Z'), next: at('2027-04-06T01:00:00Z') } }],
      ['yearly: a common year, 365 days, then a leap year', { type: 'yearly', interval: 1 },
        { shortest: 365 * DAY, longest: 366 * DAY, closest: { first: START, next: at('2027-12-06T01:00:00Z') } }],
      ['every 4 years: one leap day in each', { type: 'yearly', interval: 4 },
        { shortest: (4 * 365 + 1) * DAY, longest: (4 * 365 + 1) * DAY, closest: { first: START, next: at('2030-12-06T01:00:00Z') } }],
    ])('%s', (_what, recurrence, expected) => {
      expect(_startGaps(recurrence, START)).toEqual(expected);
    });

    test('only starts by until count: monthly until the end of January never reaches February', () => {
      expect(_startGaps({ type: 'monthly', interval: 1, until: at('2027-02-05T00:00:00Z') }, START))
        .toEqual({ shortest: 31 * DAY, longest: 31 * DAY, closest: { first: START, next: at('2027-01-06T01:00:00Z') } });
    });

    test('until before the second start: no two starts to compare, so only what the calendar allows', () => {
      expect(_startGaps({ type: 'monthly', interval: 1, until: at('2027-01-01T00:00:00Z') }, START)).toEqual({ longest: 31 * DAY });
    });

    test.each([
      ['the 1st (the last day of the month before west of UTC)', '2027-03-01T10:00:00Z'],
      ['the 28th (the 29th east of UTC)', '2027-01-28T23:00:00Z'],
    ])('a start on %s: not read from the calendar', (_what, iso) => {
      expect(_startGaps({ type: 'monthly', interval: 1 }, at(iso))).toEqual({ longest: 31 * DAY });
    });

    test('the 2nd and the 27th are read from the calendar', () => {
      expect(_startGaps({ type: 'monthly', interval: 1 }, at('2027-03-02T00:00:00Z'))?.shortest).toBe(28 * DAY);
      expect(_startGaps({ type: 'monthly', interval: 1 }, at('2027-01-27T23:59:59Z'))?.shortest).toBe(28 * DAY);
    });
  });

  test('an interval from a token: unknown', () => {
    expect(_startGaps({ type: 'hourly', interval: Token.asNumber({ Ref: 'Hours' }) }, START)).toBeUndefined();
    expect(_startGaps({ type: 'monthly', interval: Token.asNumber({ Ref: 'Months' }) }, START)).toBeUndefined();
  });

  test('a weekday from a token counts as unknown: at most a week between starts', () => {
    expect(_startGaps({ type: 'weekly', interval: 2, weekdays: ['Monday', Token.asString({ Ref: 'Day' })] }, START)).toEqual({ longest: 14 * DAY });
  });
});
