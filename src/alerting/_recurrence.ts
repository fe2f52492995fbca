import { Token } from 'aws-cdk-lib';

/** The API's `recurrence` object. @internal */
export interface _RenderedRecurrence {
  readonly type: string;
  readonly interval: number;
  readonly weekdays?: string[];
  readonly until?: number;
}

const HOUR_MINUTES = 60;
const DAY_MINUTES = 24 * HOUR_MINUTES;
/** Days of each month in a leap year, January first: the longest each month can be. */
const LONGEST_MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** The weekdays in the API's spelling, Sunday first. */
const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** How far apart two consecutive starts of a recurrence are, in minutes, as far as synth can tell. @internal */
export interface _StartGaps {
  /** The closest two starts: undefined where the calendar and the time zone decide it (unknown days of the month, unknown weekdays). */
  readonly shortest?: number;
  /** The farthest: no start follows the one before later than this. */
  readonly longest: number;
  /** Where the calendar decides `shortest` (months, years): the first two starts that close together, in epoch seconds. */
  readonly closest?: _StartPair;
}

/** Two starts of a recurrence, in epoch seconds. @internal */
export interface _StartPair {
  readonly first: number;
  readonly next: number;
}

/**
 * The time between consecutive starts of a recurrence that starts at `start` (epoch seconds), or
 * undefined when its interval is a token. Months and years are counted on the calendar when the
 * day of the month of `start` is sure to exist in every month (`calendarGaps`); otherwise they are
 * as long as the calendar allows (a start on the 31st falls on the last day of shorter months, as
 * Mackerel's downtime guide says, and is never further than a 31-day month from the one before). A weekly
 * recurrence without weekdays (Mackerel's choice then is undocumented) or with one given as a
 * token starts at most a week apart. Mackerel does not say on which day its weeks begin, which
 * matters for weekdays every 2 weeks or more, so both Sunday and Monday are assumed possible.
 * Clock changes for daylight saving time, in whatever time zone Mackerel counts days, are not.
 * @internal
 */
export function _startGaps(recurrence: _RenderedRecurrence, start: number): _StartGaps | undefined {
  const interval = recurrence.interval;
  if (Token.isUnresolved(interval)) return undefined;
  switch (recurrence.type) {
    case 'hourly': return { shortest: interval * HOUR_MINUTES, longest: interval * HOUR_MINUTES };
    case 'daily': return { shortest: interval * DAY_MINUTES, longest: interval * DAY_MINUTES };
    case 'weekly': return weeklyGaps(interval, recurrence.weekdays);
    case 'monthly': return calendarGaps(start, interval, recurrence.until) ?? { longest: longestMonths(interval) * DAY_MINUTES };
    // At most one leap day in any four years in a row.
    case 'yearly': return calendarGaps(start, 12 * interval, recurrence.until) ?? { longest: (365 * interval + Math.ceil(interval / 4)) * DAY_MINUTES };
    default: return undefined;
  }
}

/** Months of a leap cycle: after them, the months and leap days of a month-based recurrence repeat (but across a century year). */
const CYCLE_MONTHS = 48;

/**
 * The gaps between starts every `months` months, read from the calendar, when `start` falls on
 * the 2nd to the 27th in UTC: in every time zone (UTC-12 to UTC+14) that is the 1st to the 28th
 * of the same month, a day every month has, so each start falls on that day and at the same
 * instant as in UTC, whichever zone Mackerel counts in. Only starts by `until` count, and no
 * further than the gaps take to repeat (a leap cycle, `CYCLE_MONTHS`).
 * Undefined for another day, which may be the 29th to the 31st in some time zone (Mackerel
 * moves a start on the 31st to the last day of shorter months, but says nothing of the 29th or
 * 30th), or when fewer than two starts come by `until`.
 */
function calendarGaps(start: number, months: number, until: number | undefined): _StartGaps | undefined {
  const first = new Date(start * 1000);
  const day = first.getUTCDate();
  if (day < 2 || day > 27) return undefined;
  const startAt = (step: number) => Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + step * months, day,
    first.getUTCHours(), first.getUTCMinutes(), first.getUTCSeconds()) / 1000;
  const steps = CYCLE_MONTHS / greatestCommonDivisor(months, CYCLE_MONTHS);
  const starts: number[] = [];
  for (let step = 0; step <= steps && (until === undefined || startAt(step) <= until); step++) starts.push(startAt(step));
  const pairs = starts.slice(1).map((next, i) => ({ first: starts[i], next }));
  if (pairs.length === 0) return undefined;
  const minutes = (pair: _StartPair) => (pair.next - pair.first) / 60;
  const closest = pairs.reduce((best, pair) => (minutes(pair) < minutes(best) ? pair : best));
  return { shortest: minutes(closest), longest: Math.max(...pairs.map(minutes)), closest };
}

function weeklyGaps(interval: number, weekdays: string[] | undefined): _StartGaps {
  const days = (weekdays ?? []).map((day) => WEEKDAY_NAMES.indexOf(day));
  if (days.length === 0 || days.includes(-1)) return { longest: 7 * interval * DAY_MINUTES };
  // Gaps in days for weeks beginning on `first` (0 Sunday, 1 Monday): between the days of a
  // week, and from the last day of one repeated week to the first of the next.
  const gapsFrom = (first: number) => {
    const inWeek = days.map((day) => (day - first + 7) % 7).sort((a, b) => a - b);
    return [...inWeek.slice(1).map((day, i) => day - inWeek[i]), 7 * interval - inWeek[inWeek.length - 1] + inWeek[0]];
  };
  const byWeekStart = [gapsFrom(0), gapsFrom(1)];
  return {
    shortest: Math.max(...byWeekStart.map((gaps) => Math.min(...gaps))) * DAY_MINUTES,
    longest: Math.max(...byWeekStart.flat()) * DAY_MINUTES,
  };
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/** The most days `count` months in a row can have. */
function longestMonths(count: number): number {
  const spans = LONGEST_MONTH_DAYS.map((_, first) => {
    let days = 0;
    for (let i = 0; i < count; i++) days += LONGEST_MONTH_DAYS[(first + i) % 12];
    return days;
  });
  return Math.max(...spans);
}
