import { Token } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { _RenderedRecurrence, _startGaps } from '../../src/alerting/_recurrence';

const HOUR = 60;
const DAY = 24 * HOUR;

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
    ['monthly: at most 31 days, the closest depends on the calendar', { type: 'monthly', interval: 1 }, { longest: 31 * DAY }],
    ['every 2 months: July and August, or December and January', { type: 'monthly', interval: 2 }, { longest: 62 * DAY }],
    ['every 12 months: a leap year', { type: 'monthly', interval: 12 }, { longest: 366 * DAY }],
    ['yearly: a leap year', { type: 'yearly', interval: 1 }, { longest: 366 * DAY }],
    ['every 4 years: one leap day', { type: 'yearly', interval: 4 }, { longest: (4 * 365 + 1) * DAY }],
    ['every 5 years: two leap days at most', { type: 'yearly', interval: 5 }, { longest: (5 * 365 + 2) * DAY }],
  ])('%s', (_what, recurrence, expected) => {
    expect(_startGaps(recurrence)).toEqual(expected);
  });

  test('an interval from a token: unknown', () => {
    expect(_startGaps({ type: 'hourly', interval: Token.asNumber({ Ref: 'Hours' }) })).toBeUndefined();
  });

  test('a weekday from a token counts as unknown: at most a week between starts', () => {
    expect(_startGaps({ type: 'weekly', interval: 2, weekdays: ['Monday', Token.asString({ Ref: 'Day' })] })).toEqual({ longest: 14 * DAY });
  });
});
