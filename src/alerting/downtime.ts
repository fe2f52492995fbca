import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _duplicateProblem, _splitScopes } from './_scopes';
import { _fail } from '../_validation';
import { _MAX_MEMO_LENGTH, _wholeDuration } from '../monitors/_checks';
import { IMonitor } from '../monitors/monitor-base';
import { MonitorScope } from '../monitors/scope';
import { _DowntimeProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';

/**
 * A day of the week, for weekly downtimes.
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
 * How a downtime repeats, for every recurrence kind.
 */
export interface DowntimeRecurrenceOptions {
  /**
   * Repeat every this many hours, days, weeks, months or years. A whole number, at least 1.
   *
   * @default 1
   */
  readonly interval?: number;

  /**
   * The last time the downtime may start; after it, it no longer repeats. Must be after the
   * downtime's `start`.
   *
   * @default - repeats for ever
   */
  readonly until?: Date;
}

/**
 * How a weekly downtime repeats.
 */
export interface WeeklyDowntimeRecurrenceOptions extends DowntimeRecurrenceOptions {
  /**
   * The days of the week it starts on, at the time of day of `start`.
   *
   * @default - the weekday of `start`
   */
  readonly weekdays?: Weekday[];
}

/**
 * How a downtime repeats: hourly, daily, weekly (on chosen weekdays), monthly or yearly.
 *
 * @example
 * DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] });
 * DowntimeRecurrence.daily({ interval: 2, until: new Date('2027-03-31T00:00:00Z') });
 */
export class DowntimeRecurrence {
  /** Every `interval` hours. */
  public static hourly(options: DowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('hourly', options);
  }

  /** Every `interval` days. */
  public static daily(options: DowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('daily', options);
  }

  /** Every `interval` weeks, on the given weekdays. */
  public static weekly(options: WeeklyDowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('weekly', options, options.weekdays);
  }

  /** Every `interval` months. */
  public static monthly(options: DowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('monthly', options);
  }

  /** Every `interval` years. */
  public static yearly(options: DowntimeRecurrenceOptions = {}): DowntimeRecurrence {
    return new DowntimeRecurrence('yearly', options);
  }

  /** The API's recurrence `type`: `hourly`, `daily`, `weekly`, `monthly` or `yearly`. */
  public readonly type: string;

  /** The interval, in units of the type. */
  public readonly interval: number;

  /** The last start, if any. */
  public readonly until?: Date;

  /** The weekdays of a weekly recurrence, if given. */
  public readonly weekdays?: Weekday[];

  private constructor(type: string, options: DowntimeRecurrenceOptions, weekdays?: Weekday[]) {
    this.type = type;
    this.interval = options.interval ?? 1;
    this.until = options.until;
    this.weekdays = weekdays;
  }
}

/**
 * Properties of a `Downtime`.
 */
export interface DowntimeProps {
  /**
   * The downtime name. Must not be empty.
   */
  readonly name: string;

  /**
   * A note shown on the downtime. At most 2048 characters.
   *
   * @default - no memo
   */
  readonly memo?: string;

  /**
   * When the (first) downtime starts; whole seconds.
   */
  readonly start: Date;

  /**
   * How long each downtime lasts: whole minutes, at least one.
   *
   * Mackerel partly ignores a downtime of 24 hours or more that spans the night from Sunday to
   * Monday (a synth warning says so).
   */
  readonly duration: Duration;

  /**
   * How the downtime repeats.
   *
   * @default - it happens once
   */
  readonly recurrence?: DowntimeRecurrence;

  /**
   * Services and roles whose monitors are muted (`MonitorScope.fromService`, `fromRole`, `of`).
   *
   * Scopes of different kinds are ANDed by Mackerel. Do not combine a service scope with a
   * role scope when the downtime should also cover monitors tied to no service (expression and
   * external HTTP monitors).
   *
   * @default - every service and role
   */
  readonly scopes?: MonitorScope[];

  /**
   * Services and roles left out of the downtime.
   *
   * @default - none
   */
  readonly excludeScopes?: MonitorScope[];

  /**
   * Monitors muted by the downtime.
   *
   * @default - every monitor
   */
  readonly monitors?: IMonitor[];

  /**
   * Monitors left out of the downtime.
   *
   * @default - none
   */
  readonly excludeMonitors?: IMonitor[];
}

const WEEKDAYS = Object.values(Weekday) as string[];
const RECURRENCE_TYPES = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];
const DAY_IN_MINUTES = 24 * 60;

/**
 * A scheduled Mackerel downtime: alerts of the scoped monitors are muted while it lasts. One
 * `Custom::MackerelDowntime`, updated in place on every change.
 *
 * @example
 * new Downtime(this, 'Maint', { name: 'weekly maintenance', start: new Date('2026-12-06T01:00:00Z'),
 *   duration: Duration.hours(2), recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] }),
 *   scopes: [MonitorScope.fromRole(web)] });
 */
export class Downtime extends Construct {
  /** The Mackerel downtime ID; a reference to the resource (its `Ref`). */
  public readonly downtimeId: string;

  constructor(scope: Construct, id: string, props: DowntimeProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && props.name.trim() === '') {
      _fail(this, 'name', props.name, 'is empty', 'a non-empty downtime name');
    }
    if (props.memo !== undefined && !Token.isUnresolved(props.memo) && props.memo.length > _MAX_MEMO_LENGTH) {
      _fail(this, 'memo', `${props.memo.slice(0, 20)}...`, `is ${props.memo.length} characters long`, `at most ${_MAX_MEMO_LENGTH} characters`);
    }
    const start = this.epochSeconds('start', props.start);
    const duration = _wholeDuration(this, 'duration', props.duration, 'minutes');
    if (duration !== undefined && !Token.isUnresolved(duration) && duration < 1) {
      _fail(this, 'duration', props.duration.toHumanString(), 'is too short', 'at least 1 minute');
    }
    const properties: _DowntimeProperties = {
      name: props.name,
      memo: props.memo,
      start,
      duration: duration as number,
      recurrence: props.recurrence && this.renderRecurrence(props.recurrence, start),
      ...this.renderScopes(props),
    };
    this.warnOnLongDowntime(duration);
    this.downtimeId = _createMackerelResource(this, _RESOURCE_TYPES.DOWNTIME, { ...properties }).ref;
  }

  private epochSeconds(property: string, date: Date): number {
    const ms = date instanceof Date ? date.getTime() : NaN;
    if (!Number.isFinite(ms)) {
      _fail(this, property, String(date), 'is not a valid date', 'a Date such as new Date(\'2026-12-06T01:00:00Z\')');
    }
    if (ms % 1000 !== 0) {
      _fail(this, property, date.toISOString(), 'has fractions of a second', 'a time in whole seconds');
    }
    return ms / 1000;
  }

  private renderRecurrence(recurrence: DowntimeRecurrence, start: number): _DowntimeProperties['recurrence'] {
    if (!RECURRENCE_TYPES.includes(recurrence.type)) {
      _fail(this, 'recurrence.type', recurrence.type, 'is not a recurrence type', RECURRENCE_TYPES.join(', '));
    }
    const interval = recurrence.interval;
    if (!Token.isUnresolved(interval) && (!Number.isInteger(interval) || interval < 1)) {
      _fail(this, 'recurrence.interval', interval, 'is not a whole number of at least 1', `a whole number of ${recurrence.type.replace(/ly$/, '').replace(/^dai$/, 'day')}s, at least 1`);
    }
    const weekdays = recurrence.weekdays;
    if (weekdays !== undefined) {
      if (weekdays.length === 0) {
        _fail(this, 'recurrence.weekdays', [], 'is empty', 'at least one weekday, or no value for the weekday of start');
      }
      weekdays.forEach((day, i) => {
        if (!WEEKDAYS.includes(day)) _fail(this, `recurrence.weekdays[${i}]`, day, 'is not a weekday', WEEKDAYS.join(', '));
      });
      const twice = weekdays.find((d, i) => weekdays.indexOf(d) !== i);
      if (twice !== undefined) _fail(this, 'recurrence.weekdays', weekdays, `lists ${twice} twice`, 'each weekday once');
    }
    const until = recurrence.until === undefined ? undefined : this.epochSeconds('recurrence.until', recurrence.until);
    if (until !== undefined && until <= start) {
      _fail(this, 'recurrence.until', recurrence.until?.toISOString(), `is not after start (${new Date(start * 1000).toISOString()})`, 'a time after start');
    }
    return { type: recurrence.type, interval, weekdays, until };
  }

  private renderScopes(props: DowntimeProps): Partial<_DowntimeProperties> {
    const scopes = _splitScopes(this, 'scopes', props.scopes, props.monitors);
    const excludes = _splitScopes(this, 'excludeScopes', props.excludeScopes, props.excludeMonitors);
    for (const [property, values] of [
      ['scopes', (props.scopes ?? []).map((s) => s.value)],
      ['excludeScopes', (props.excludeScopes ?? []).map((s) => s.value)],
      ['monitors', (props.monitors ?? []).map((m) => m.monitorId)],
      ['excludeMonitors', (props.excludeMonitors ?? []).map((m) => m.monitorId)],
    ] as Array<[string, string[]]>) {
      const duplicate = _duplicateProblem(property, values);
      if (duplicate) throw new Error(`${this.node.path}: ${duplicate}`);
    }
    const both = (a?: string[], b?: string[]) => (a ?? []).find((v) => (b ?? []).includes(v));
    const inBoth = both([...scopes.serviceScopes ?? [], ...scopes.roleScopes ?? []], [...excludes.serviceScopes ?? [], ...excludes.roleScopes ?? []]);
    if (inBoth !== undefined) {
      _fail(this, 'excludeScopes', Token.isUnresolved(inBoth) ? 'a reference' : inBoth, 'is also in scopes', 'a scope in at most one of scopes and excludeScopes');
    }
    const monitorInBoth = both(scopes.monitorScopes, excludes.monitorScopes);
    if (monitorInBoth !== undefined) {
      _fail(this, 'excludeMonitors', Token.isUnresolved(monitorInBoth) ? 'a reference' : monitorInBoth, 'is also in monitors', 'a monitor in at most one of monitors and excludeMonitors');
    }
    if (scopes.serviceScopes && scopes.roleScopes) {
      Annotations.of(this).addWarningV2('cdk-mackerel:downtimeServiceAndRole',
        'scopes has both services and roles: Mackerel ANDs scope kinds, so monitors tied to no service (expression and external HTTP monitors) '
        + 'are not muted by this downtime. Use one kind, or a separate downtime for those monitors');
    }
    return {
      serviceScopes: scopes.serviceScopes,
      roleScopes: scopes.roleScopes,
      monitorScopes: scopes.monitorScopes,
      serviceExcludeScopes: excludes.serviceScopes,
      roleExcludeScopes: excludes.roleScopes,
      monitorExcludeScopes: excludes.monitorScopes,
    };
  }

  private warnOnLongDowntime(duration: number | undefined): void {
    if (duration === undefined || Token.isUnresolved(duration) || duration < DAY_IN_MINUTES) return;
    Annotations.of(this).addWarningV2('cdk-mackerel:downtimeLong',
      `duration is ${duration} minutes (24 hours or more): Mackerel partly ignores a downtime of 24 hours or more where it spans the night `
      + 'from Sunday to Monday. Split it into shorter downtimes that do not span that night');
  }
}
