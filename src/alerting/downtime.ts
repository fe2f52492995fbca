import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _checkDowntimeName, _downtimeMinutes, _renderDowntimeScopes } from './_downtime-scopes';
import { _warnIfOver, _warnOnLongDowntime, _warnOnOverlap } from './_downtime-warnings';
import { DowntimeRecurrence } from './downtime-recurrence';
import { _epochSeconds } from '../_validation';
import { _warnOnLongMemo } from '../monitors/_checks';
import { IMonitor } from '../monitors/monitor-base';
import { MonitorScope } from '../monitors/scope';
import { _DowntimeProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';

/**
 * What a downtime mutes, and its memo: the options `Downtime` and `DeploymentDowntime` share.
 */
export interface DowntimeScopeOptions extends MackerelResourceOptions {
  /**
   * A note shown on the downtime.
   *
   * Mackerel rejects a memo that is too long but does not document the limit here; one over
   * 2048 characters (the limit of monitor memos) is written with the warning
   * `cdk-mackerel:memoLimitUndocumented`.
   *
   * @default - no memo
   */
  readonly memo?: string;

  /**
   * Services and roles whose monitors are muted (`MonitorScope.fromService`, `fromRole`, `of`).
   *
   * Scope kinds (services, roles, monitors) are ANDed by Mackerel. Do not combine a service
   * scope with a role scope when the downtime should also cover monitors tied to no service
   * (expression monitors, external HTTP monitors without a service): that gets a synth warning.
   * With `monitors` too, only the alerts of those monitors that lie in these scopes are muted: a
   * monitor of `monitors` known at synth to lie in another service (a service metric or external
   * monitor of another service, a host monitor whose scopes are all in another service) gets the
   * synth warning `cdk-mackerel:downtimeMonitorOutsideScopes`.
   *
   * @default - no service or role scope (with no `monitors` either, every monitor is muted, with a synth warning)
   */
  readonly scopes?: MonitorScope[];

  /**
   * Services and roles left out of the downtime. None may also be in `scopes`.
   *
   * A role of a service in `scopes` leaves that role's hosts out of the service's. A service with
   * one of its roles in `scopes` leaves out every host of that role too, so the role mutes nothing:
   * that gets the synth warning `cdk-mackerel:downtimeScopeRedundant`.
   *
   * @default - none
   */
  readonly excludeScopes?: MonitorScope[];

  /**
   * Monitors muted by the downtime.
   *
   * Mackerel ANDs them with `scopes`: with both, a monitor is muted only where its alerts lie in
   * a service or role of `scopes`. One known at synth to lie outside all of them gets the synth
   * warning `cdk-mackerel:downtimeMonitorOutsideScopes`; an imported monitor, or one whose
   * service is known only at deploy time, is not checked.
   *
   * @default - no monitor scope
   */
  readonly monitors?: IMonitor[];

  /**
   * Monitors left out of the downtime. None may also be in `monitors`.
   *
   * @default - none
   */
  readonly excludeMonitors?: IMonitor[];
}

/**
 * Properties of a `Downtime`.
 */
export interface DowntimeProps extends DowntimeScopeOptions {
  /**
   * The downtime name. Must not be empty.
   */
  readonly name: string;

  /**
   * When the (first) downtime starts, in whole seconds (Mackerel takes epoch seconds): a fixed
   * date, such as `new Date('2026-12-06T01:00:00Z')`. A start taken from the clock (`new Date()`,
   * `Date.now()` plus some time) moves at every synth, and each deploy then moves the downtime to
   * it; one with a fraction of a second, as such a start mostly has, fails synthesis.
   *
   * A one-off downtime already over when the app is synthesized (`start` plus `duration` in the
   * past) mutes nothing: it gets the synth warning `cdk-mackerel:downtimeOver`.
   */
  readonly start: Date;

  /**
   * How long each downtime lasts: whole minutes, at least one.
   *
   * Mackerel partly ignores a downtime of 24 hours or more that spans Sunday to Monday (from
   * 24 hours after its start when it starts on a Sunday, from Monday 00:00 otherwise). Exactly
   * 24 hours loses nothing by it; a longer duration that spans Sunday to Monday gets the synth
   * warning `cdk-mackerel:downtimeSundayToMonday`. A recurring downtime
   * gets it when one of its windows may span Sunday to Monday in some time zone: one whose windows
   * start on given weekdays (weekly on `weekdays`, or hourly or daily every whole number of weeks)
   * is checked on those days; any other may start on any day.
   *
   * A recurring downtime lasting as long as the time between two of its starts, or longer, joins
   * those windows into one mute (2 hours every hour, 25 hours every day, and 28 days every month
   * across the February of a common year): it gets the synth warning `cdk-mackerel:downtimeOverlap`.
   * Months and years are read from the calendar for a start on the 2nd to the 27th (UTC), a day
   * every month has in every time zone; for another day, which may be the 29th to the 31st
   * in some time zone, only a duration of the longest months (31 days every month) warns: Mackerel
   * moves a start on the 31st to the last day of shorter months, but says nothing of the 29th or 30th.
   *
   * @see https://mackerel.io/docs/entry/howto/downtimes
   */
  readonly duration: Duration;

  /**
   * How the downtime repeats.
   *
   * @default - it happens once
   */
  readonly recurrence?: DowntimeRecurrence;

}

/**
 * A scheduled Mackerel downtime: while it lasts, the scoped monitors raise and notify no
 * alert. One `Custom::MackerelDowntime`, updated in place on every change.
 *
 * @see https://mackerel.io/docs/entry/howto/downtimes
 *
 * @example
 * new Downtime(this, 'Maint', { name: 'weekly maintenance', start: new Date('2026-12-06T01:00:00Z'),
 *   duration: Duration.hours(2), recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] }),
 *   scopes: [MonitorScope.fromRole(web)] });
 */
export class Downtime extends Construct {
  /** The Mackerel downtime ID, a reference to the resource (its `Ref`). */
  public readonly downtimeId: string;

  constructor(scope: Construct, id: string, props: DowntimeProps) {
    super(scope, id);
    _checkDowntimeName(this, props.name);
    _warnOnLongMemo(this, props.memo, 'a downtime');
    const start = _epochSeconds(this, 'start', props.start, 'new Date(\'2026-12-06T01:00:00Z\')',
      'a start taken from the clock moves at every synth, and each deploy then moves the downtime to it');
    const duration = _downtimeMinutes(this, props.duration);
    const properties: _DowntimeProperties = {
      name: props.name,
      memo: props.memo,
      start,
      duration: duration as number,
      recurrence: props.recurrence?._render(this, 'recurrence', start),
      ..._renderDowntimeScopes(this, props),
    };
    _warnOnLongDowntime(this, start, duration, properties.recurrence);
    _warnIfOver(this, start, duration, properties.recurrence);
    _warnOnOverlap(this, start, duration, properties.recurrence);
    this.downtimeId = _createMackerelResource(this, _RESOURCE_TYPES.DOWNTIME, { ...properties }, props.removalPolicy).ref;
  }
}
