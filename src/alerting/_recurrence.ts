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
  /** The closest two starts: undefined where the calendar and the time zone decide it (months, years, unknown weekdays). */
  readonly shortest?: number;
  /** The farthest: no start follows the one before later than this. */
  readonly longest: number;
}

/**
 * The time between consecutive starts of a recurrence, or undefined when its interval is a token.
 * Months and years are as long as the calendar makes them (a start on the 31st falls on the last
 * day of shorter months, and is never further than a 31-day month from the one before). A weekly
 * recurrence without weekdays (Mackerel's choice then is undocumented) or with one given as a
 * token starts at most a week apart. Mackerel does not say on which day its weeks begin, which
 * matters for weekdays every 2 weeks or more, so both Sunday and Monday are assumed possible.
 * Clock changes for daylight saving time, in whatever time zone Mackerel counts days, are not.
 * @internal
 */
export function _startGaps(recurrence: _RenderedRecurrence): _StartGaps | undefined {
  const interval = recurrence.interval;
  if (Token.isUnresolved(interval)) return undefined;
  switch (recurrence.type) {
    case 'hourly': return { shortest: interval * HOUR_MINUTES, longest: interval * HOUR_MINUTES };
    case 'daily': return { shortest: interval * DAY_MINUTES, longest: interval * DAY_MINUTES };
    case 'weekly': return weeklyGaps(interval, recurrence.weekdays);
    case 'monthly': return { longest: longestMonths(interval) * DAY_MINUTES };
    // At most one leap day in any four years in a row.
    case 'yearly': return { longest: (365 * interval + Math.ceil(interval / 4)) * DAY_MINUTES };
    default: return undefined;
  }
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

/** The most days `count` months in a row can have. */
function longestMonths(count: number): number {
  const spans = LONGEST_MONTH_DAYS.map((_, first) => {
    let days = 0;
    for (let i = 0; i < count; i++) days += LONGEST_MONTH_DAYS[(first + i) % 12];
    return days;
  });
  return Math.max(...spans);
}
