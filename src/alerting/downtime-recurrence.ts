import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _RenderedRecurrence } from './_recurrence';
import { _epochSeconds, _fail } from '../_validation';

/**
 * A day of the week, as a weekly downtime recurrence names it.
 */
export enum Weekday {
  /** Sunday. */
  SUNDAY = 'Sunday',
  /** Monday. */
  MONDAY = 'Monday',
  /** Tuesday. */
  TUESDAY = 'Tuesday',
  /** Wednesday. */
  WEDNESDAY = 'Wednesday',
  /** Thursday. */
  THURSDAY = 'Thursday',
  /** Friday. */
  FRIDAY = 'Friday',
  /** Saturday. */
  SATURDAY = 'Saturday',
}

/**
 * How often a downtime repeats, and until when.
 */
export interface DowntimeRecurrenceOptions {
  /**
   * Repeat every this many hours, days, weeks, months or years. A whole number, at least 1.
   *
   * @default 1
   */
  readonly interval?: number;

  /**
   * When the repetition ends. Must be after the downtime's `start`, in whole seconds (Mackerel
   * takes epoch seconds): a fixed date, such as `new Date('2027-03-31T00:00:00Z')`. One taken
   * from the clock moves at every synth, and each deploy then moves the end of the recurrence to
   * it; one with a fraction of a second, as such a date mostly has, fails synthesis.
   *
   * When `until` plus the downtime's duration is already past when the app is synthesized, no
   * window is left to mute: the synth warning `cdk-mackerel:downtimeOver` says so.
   *
   * @default - the downtime repeats indefinitely
   */
  readonly until?: Date;
}

/**
 * How often a weekly downtime repeats, on which days, and until when.
 */
export interface WeeklyDowntimeRecurrenceOptions extends DowntimeRecurrenceOptions {
  /**
   * The days of the week the downtime starts on (at the time of day of `start`). Each day once.
   *
   * @default - no days are sent, and Mackerel applies its own (undocumented) choice
   */
  readonly weekdays?: Weekday[];
}

/** The unit of `interval`, by recurrence type, for messages. */
const UNITS: { [type: string]: string } = { hourly: 'hours', daily: 'days', weekly: 'weeks', monthly: 'months', yearly: 'years' };

/**
 * How a downtime repeats (the API's `recurrence`): every N hours, days, weeks (on chosen
 * weekdays), months or years, optionally until a given time.
 *
 * Weekdays can be given to weekly recurrences only, because only `weekly()` takes them.
 *
 * @example
 * DowntimeRecurrence.weekly({ weekdays: [Weekday.SATURDAY, Weekday.SUNDAY] });
 * DowntimeRecurrence.daily({ interval: 2, until: new Date('2027-03-31T00:00:00Z') });
 */
export class DowntimeRecurrence {
  /**
   * Repeats every `interval` hours.
   *
   * @param options the interval, in hours (1 by default), and when the repetition ends
   */
  public static hourly(options: DowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('hourly', options);
  }

  /**
   * Repeats every `interval` days.
   *
   * @param options the interval, in days (1 by default), and when the repetition ends
   */
  public static daily(options: DowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('daily', options);
  }

  /**
   * Repeats every `interval` weeks, on the given weekdays.
   *
   * @param options the interval, in weeks (1 by default), the weekdays and when the repetition ends
   */
  public static weekly(options: WeeklyDowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('weekly', options, options.weekdays);
  }

  /**
   * Repeats every `interval` months. A `start` on the 31st repeats on the last day of shorter
   * months.
   *
   * @param options the interval, in months (1 by default), and when the repetition ends
   */
  public static monthly(options: DowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('monthly', options);
  }

  /**
   * Repeats every `interval` years.
   *
   * @param options the interval, in years (1 by default), and when the repetition ends
   */
  public static yearly(options: DowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('yearly', options);
  }

  /** The API's recurrence type: `hourly`, `daily`, `weekly`, `monthly` or `yearly`. */
  public readonly type: string;

  /** Every how many hours, days, weeks, months or years the downtime repeats. */
  public readonly interval: number;

  /**
   * When the repetition ends, if it does.
   *
   * @default - none: the downtime repeats indefinitely
   */
  public readonly until?: Date;

  /**
   * The weekdays of a weekly recurrence, if given.
   *
   * @default - none: not a weekly recurrence, or one given no days, for which Mackerel applies its own choice
   */
  public readonly weekdays?: Weekday[];

  private constructor(type: string, options: DowntimeRecurrenceOptions, weekdays?: Weekday[]) {
    this.type = type;
    this.interval = options.interval ?? 1;
    this.until = options.until;
    this.weekdays = weekdays ? [...weekdays] : undefined;
  }

  /**
   * Checks the recurrence for a downtime starting at `start` (epoch seconds) and renders it in
   * the API's shape. Errors name `<property>.interval`, `.until` or `.weekdays[i]`.
   * @internal
   */
  public _render(scope: IConstruct, property: string, start: number): _RenderedRecurrence {
    if (!Token.isUnresolved(this.interval) && !(Number.isInteger(this.interval) && this.interval >= 1)) {
      _fail(scope, `${property}.interval`, this.interval, 'is not a whole number of at least 1', `a whole number of ${UNITS[this.type]}, at least 1`);
    }
    return {
      type: this.type,
      interval: this.interval,
      weekdays: this.renderWeekdays(scope, `${property}.weekdays`),
      until: this.renderUntil(scope, `${property}.until`, start),
    };
  }

  private renderWeekdays(scope: IConstruct, property: string): string[] | undefined {
    const weekdays = this.weekdays;
    if (weekdays === undefined) return undefined;
    // A list parameter's value is one encoded element, the whole list known only at deploy time.
    if (Token.isUnresolved(weekdays)) return [...weekdays];
    if (weekdays.length === 0) {
      _fail(scope, property, [], 'is empty', 'at least one Weekday, or no weekdays option');
    }
    const allowed = Object.values(Weekday) as string[];
    weekdays.forEach((day, i) => {
      if (Token.isUnresolved(day)) return;
      if (!allowed.includes(day)) {
        _fail(scope, `${property}[${i}]`, day, 'is not a weekday', `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
      }
      if (weekdays.indexOf(day) !== i) {
        _fail(scope, `${property}[${i}]`, day, 'is given twice', 'each weekday once');
      }
    });
    return [...weekdays];
  }

  private renderUntil(scope: IConstruct, property: string, start: number): number | undefined {
    if (this.until === undefined) return undefined;
    const until = _epochSeconds(scope, property, this.until, 'new Date(\'2027-03-31T00:00:00Z\')',
      'an until taken from the clock moves at every synth, and each deploy then moves the end of the recurrence to it');
    if (until <= start) {
      _fail(scope, property, this.until.toISOString(), 'is not after the downtime start', `a time after ${new Date(start * 1000).toISOString()}`);
    }
    return until;
  }
}
