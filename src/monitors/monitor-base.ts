import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { _fail } from '../_validation';
import { _checkFinite, _checkMemo, _checkOneOf, _wholeDuration } from './_checks';
import { _operatorDirection, _warnOnThresholdOrder } from './_threshold-order';
import { MonitorOperator } from './enums';
import { _MonitorProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';

/**
 * A Mackerel monitor, created by this stack or referenced by its ID.
 */
export interface IMonitor extends IConstruct {
  /**
   * The Mackerel monitor ID.
   *
   * For a monitor created by this stack this is a reference to the resource, so notification
   * groups, downtimes and alert group settings that use it are created after it and follow it
   * when the monitor is replaced.
   */
  readonly monitorId: string;
}

/**
 * Settings every kind of monitor has.
 */
export interface MonitorBaseProps extends MackerelResourceOptions {
  /**
   * A note shown on the monitor and in its alerts.
   *
   * At most 2048 characters.
   *
   * @default - no memo
   */
  readonly memo?: string;

  /**
   * How often a notification is re-sent while an alert stays open.
   *
   * Whole minutes, at least 10; `Duration.minutes(0)` is the same as leaving it out.
   *
   * @default - notifications are not re-sent
   */
  readonly notificationInterval?: Duration;

  /**
   * Whether the monitor is muted: it still raises alerts but sends no notifications.
   *
   * @default false
   */
  readonly isMute?: boolean;
}

/**
 * Settings of the monitors that compare a value with thresholds (host metric, service metric,
 * expression and query monitors).
 */
export interface ThresholdMonitorProps extends MonitorBaseProps {
  /**
   * The monitor name, shown in alerts. Must not be empty.
   */
  readonly name: string;

  /**
   * How the observed value (on the left) is compared with the thresholds.
   */
  readonly operator: MonitorOperator;

  /**
   * The threshold for a WARNING alert.
   *
   * Give at least one of `warning` and `critical`. With both, a value must cross `warning`
   * first (below `critical` for `>`, above it for `<`), or WARNING alerts never fire on their
   * own: such a pair gets the synth warning `cdk-mackerel:warningAfterCritical`.
   *
   * @default - no WARNING alerts
   */
  readonly warning?: number;

  /**
   * The threshold for a CRITICAL alert.
   *
   * Give at least one of `warning` and `critical`.
   *
   * @default - no CRITICAL alerts
   */
  readonly critical?: number;
}

/**
 * The base of the seven monitor constructs: one `Custom::MackerelMonitor` each, served by the
 * stack's `MackerelProvider`.
 *
 * Every change updates the monitor in place except a change of kind, of a host or service
 * metric monitor's `metric`, of a service metric monitor's `service` or of a query monitor's
 * `query`, which replaces it (a new monitor ID; the old monitor is deleted).
 */
export abstract class MonitorBase extends Construct implements IMonitor {
  /**
   * References a monitor that already exists in Mackerel, for notification groups, downtimes
   * and alert group settings. Creates no resource.
   *
   * @param scope the scope of the reference
   * @param id the id of the reference
   * @param monitorId the Mackerel monitor ID
   */
  public static fromMonitorId(scope: Construct, id: string, monitorId: string): IMonitor {
    return new ImportedMonitor(scope, id, monitorId);
  }

  /** The Mackerel monitor ID: a reference to the resource (its `Ref`). */
  public abstract readonly monitorId: string;

  /**
   * The service the monitor's alerts lie in when it is known at synth: a service metric or
   * external monitor's service, or the one service every scope of a host-scoped monitor lies in
   * (`_serviceOfScopes`); `byScopes` says which. Read by downtimes, which Mackerel ANDs with their
   * scopes (`_warnOnMonitorsOutsideScopes`).
   * @internal
   */
  public _knownService?: { readonly name: string; readonly byScopes: boolean };

  private readonly common: Pick<_MonitorProperties, 'memo' | 'notificationInterval' | 'isMute'>;
  private readonly removalPolicy?: RemovalPolicy;

  protected constructor(scope: Construct, id: string, props: MonitorBaseProps) {
    super(scope, id);
    _checkMemo(this, props.memo);
    const interval = _wholeDuration(this, 'notificationInterval', props.notificationInterval, 'minutes');
    if (interval !== undefined && !Token.isUnresolved(interval) && interval !== 0 && interval < 10) {
      _fail(this, 'notificationInterval', props.notificationInterval?.toHumanString(), 'is too short',
        'at least 10 minutes, or 0 (or no value) to send each notification once');
    }
    this.common = { memo: props.memo, notificationInterval: interval === 0 ? undefined : interval, isMute: props.isMute };
    this.removalPolicy = props.removalPolicy;
  }

  /**
   * Checks a monitor name: Mackerel rejects an empty one.
   * @internal
   */
  protected _checkName(name: string | undefined): void {
    if (name !== undefined && !Token.isUnresolved(name) && name.trim() === '') {
      _fail(this, 'name', name, 'is empty', 'a non-empty monitor name');
    }
  }

  /**
   * Checks the shared threshold settings: the operator and at least one finite threshold.
   * @internal
   */
  protected _checkThresholds(props: ThresholdMonitorProps): void {
    this._checkName(props.name);
    _checkOneOf(this, 'operator', props.operator, Object.values(MonitorOperator));
    _checkFinite(this, 'warning', props.warning);
    _checkFinite(this, 'critical', props.critical);
    if (props.warning === undefined && props.critical === undefined) {
      _fail(this, 'warning', undefined, 'and critical are both missing', 'at least one of warning and critical',
        'A monitor without thresholds never alerts');
    }
    const direction = _operatorDirection(props.operator);
    if (direction) _warnOnThresholdOrder(this, { name: 'warning', value: props.warning }, { name: 'critical', value: props.critical }, direction);
  }

  /**
   * Creates the monitor resource from the kind's own fields plus the shared ones.
   * @param service the service the monitor's alerts lie in (`_knownService`), when known at synth
   * @param byScopes whether that service is the one of the monitor's scopes
   * @returns the monitor ID (the resource's `Ref`)
   * @internal
   */
  protected _createMonitor(fields: _MonitorProperties, service?: string, byScopes = false): string {
    if (service !== undefined) this._knownService = { name: service, byScopes };
    const properties: _MonitorProperties = { ...fields, ...this.common };
    return _createMackerelResource(this, _RESOURCE_TYPES.MONITOR, { ...properties }, this.removalPolicy).ref;
  }
}

class ImportedMonitor extends Construct implements IMonitor {
  public readonly monitorId: string;

  constructor(scope: Construct, id: string, monitorId: string) {
    super(scope, id);
    if (!Token.isUnresolved(monitorId) && !/^[A-Za-z0-9]+$/.test(monitorId)) {
      _fail(this, 'monitorId', monitorId, 'is not a Mackerel monitor ID', 'letters and digits, as in the monitor URL');
    }
    this.monitorId = monitorId;
  }
}
