import { Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _warnOnLongDowntime, _warnOnScopes } from './_downtime-warnings';
import { _epochSeconds } from './_recurrence';
import { _splitScopes } from './_scopes';
import { DowntimeRecurrence } from './downtime-recurrence';
import { _fail } from '../_validation';
import { _warnOnLongMemo, _wholeDuration } from '../monitors/_checks';
import { _scopeKey, _shownScope } from '../monitors/_scope';
import { IMonitor } from '../monitors/monitor-base';
import { MonitorScope } from '../monitors/scope';
import { _DowntimeProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';

/**
 * Properties of a `Downtime`.
 */
export interface DowntimeProps extends MackerelResourceOptions {
  /**
   * The downtime name. Must not be empty.
   */
  readonly name: string;

  /**
   * When the (first) downtime starts, in whole seconds (Mackerel takes epoch seconds).
   */
  readonly start: Date;

  /**
   * How long each downtime lasts: whole minutes, at least one.
   *
   * Mackerel partly ignores a downtime of 24 hours or more that spans Sunday to Monday (from
   * 24 hours after its start when it starts on a Sunday, from Monday 00:00 otherwise); such a
   * duration gets a synth warning.
   *
   * @see https://mackerel.io/docs/entry/howto/downtimes
   */
  readonly duration: Duration;

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
   * How the downtime repeats.
   *
   * @default - it happens once
   */
  readonly recurrence?: DowntimeRecurrence;

  /**
   * Services and roles whose monitors are muted (`MonitorScope.fromService`, `fromRole`, `of`).
   *
   * Scope kinds (services, roles, monitors) are ANDed by Mackerel. Do not combine a service
   * scope with a role scope when the downtime should also cover monitors tied to no service
   * (expression monitors, external HTTP monitors without a service): that gets a synth warning.
   *
   * @default - no service or role scope (with no `monitors` either, every monitor is muted, with a synth warning)
   */
  readonly scopes?: MonitorScope[];

  /**
   * Services and roles left out of the downtime. None may also be in `scopes`.
   *
   * @default - none
   */
  readonly excludeScopes?: MonitorScope[];

  /**
   * Monitors muted by the downtime.
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
  /** The Mackerel downtime ID; a reference to the resource (its `Ref`). */
  public readonly downtimeId: string;

  constructor(scope: Construct, id: string, props: DowntimeProps) {
    super(scope, id);
    this.checkTexts(props);
    const start = _epochSeconds(this, 'start', props.start);
    const duration = _wholeDuration(this, 'duration', props.duration, 'minutes');
    if (duration !== undefined && !Token.isUnresolved(duration) && duration < 1) {
      _fail(this, 'duration', props.duration.toHumanString(), 'is too short', 'at least 1 minute');
    }
    const properties: _DowntimeProperties = {
      name: props.name,
      memo: props.memo,
      start,
      duration: duration as number,
      recurrence: props.recurrence?._render(this, 'recurrence', start),
      ...this.renderScopes(props),
    };
    _warnOnLongDowntime(this, start, duration, props.recurrence !== undefined);
    this.downtimeId = _createMackerelResource(this, _RESOURCE_TYPES.DOWNTIME, { ...properties }, props.removalPolicy).ref;
  }

  private checkTexts(props: DowntimeProps): void {
    if (!Token.isUnresolved(props.name) && props.name.trim() === '') {
      _fail(this, 'name', props.name, 'is empty', 'a non-empty downtime name');
    }
    _warnOnLongMemo(this, props.memo, 'a downtime');
  }

  private renderScopes(props: DowntimeProps): Partial<_DowntimeProperties> {
    const included = _splitScopes(this, 'scopes', props.scopes, props.monitors);
    const excluded = _splitScopes(this, 'excludeScopes', props.excludeScopes, props.excludeMonitors);
    const scopeList = props.scopes ?? [];
    const excludeList = props.excludeScopes ?? [];
    const scopes = scopeList.map(_scopeKey);
    const excludeScopes = excludeList.map(_scopeKey);
    const monitors = (props.monitors ?? []).map((m) => m.monitorId);
    this.checkOnce('scopes', 'service or role', scopes, (i) => _shownScope(this, scopeList[i]));
    this.checkOnce('excludeScopes', 'service or role', excludeScopes, (i) => _shownScope(this, excludeList[i]));
    this.checkOnce('monitors', 'monitor', monitors, (i) => props.monitors?.[i].node.path);
    this.checkOnce('excludeMonitors', 'monitor', (props.excludeMonitors ?? []).map((m) => m.monitorId), (i) => props.excludeMonitors?.[i].node.path);
    excludeScopes.forEach((key, i) => {
      if (scopes.includes(key)) {
        _fail(this, `excludeScopes[${i}]`, _shownScope(this, excludeList[i]), 'is also in scopes', 'each service or role in at most one of scopes and excludeScopes');
      }
    });
    (props.excludeMonitors ?? []).forEach((monitor, i) => {
      if (monitors.includes(monitor.monitorId)) {
        _fail(this, `excludeMonitors[${i}]`, monitor.node.path, 'is also in monitors', 'each monitor in at most one of monitors and excludeMonitors');
      }
    });
    _warnOnScopes(this, included);
    return {
      serviceScopes: included.serviceScopes,
      serviceExcludeScopes: excluded.serviceScopes,
      roleScopes: included.roleScopes,
      roleExcludeScopes: excluded.roleScopes,
      monitorScopes: included.monitorScopes,
      monitorExcludeScopes: excluded.monitorScopes,
    };
  }

  /** Rejects a value given twice in one list (a token of unknown name compares by its string form). */
  private checkOnce(property: string, what: string, values: string[], shown: (index: number) => unknown): void {
    values.forEach((value, i) => {
      if (values.indexOf(value) !== i) _fail(this, `${property}[${i}]`, shown(i), 'is given twice', `each ${what} once`);
    });
  }
}
