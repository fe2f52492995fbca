import { Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _duplicateProblem, _splitScopes } from './_scopes';
import { _fail } from '../_validation';
import { _MAX_MEMO_LENGTH, _wholeDuration } from '../monitors/_checks';
import { IMonitor } from '../monitors/monitor-base';
import { MonitorScope } from '../monitors/scope';
import { _AlertGroupSettingProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';

/**
 * Properties of an `AlertGroupSetting`.
 */
export interface AlertGroupSettingProps {
  /**
   * The setting name, shown on the alert groups it makes. Must not be empty.
   */
  readonly name: string;

  /**
   * A note shown on the setting. At most 2048 characters.
   *
   * @default - no memo
   */
  readonly memo?: string;

  /**
   * Services and roles whose alerts are grouped (`MonitorScope.fromService`, `fromRole`, `of`).
   *
   * Scopes of different kinds (services and roles, monitors) are ANDed by Mackerel. Give at
   * least one scope or monitor.
   *
   * @default - no service or role scope
   */
  readonly scopes?: MonitorScope[];

  /**
   * Monitors whose alerts are grouped.
   *
   * @default - no monitor scope
   */
  readonly monitors?: IMonitor[];

  /**
   * How often a notification is re-sent while an alert group stays open. Whole minutes, at
   * least one.
   *
   * @default - notifications are not re-sent
   */
  readonly notificationInterval?: Duration;
}

/**
 * A Mackerel alert group setting: alerts of the given services, roles or monitors are grouped
 * into one alert group, notified once. One `Custom::MackerelAlertGroupSetting`, updated in place
 * on every change.
 *
 * @example
 * new AlertGroupSetting(this, 'WebIncidents', { name: 'web incidents', scopes: [MonitorScope.fromRole(web)],
 *   notificationInterval: Duration.minutes(30) });
 */
export class AlertGroupSetting extends Construct {
  /** The Mackerel alert group setting ID; a reference to the resource (its `Ref`). */
  public readonly alertGroupSettingId: string;

  constructor(scope: Construct, id: string, props: AlertGroupSettingProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && props.name.trim() === '') {
      _fail(this, 'name', props.name, 'is empty', 'a non-empty alert group setting name');
    }
    if (props.memo !== undefined && !Token.isUnresolved(props.memo) && props.memo.length > _MAX_MEMO_LENGTH) {
      _fail(this, 'memo', `${props.memo.slice(0, 20)}...`, `is ${props.memo.length} characters long`, `at most ${_MAX_MEMO_LENGTH} characters`);
    }
    const scopes = _splitScopes(this, 'scopes', props.scopes, props.monitors);
    if (!scopes.serviceScopes && !scopes.roleScopes && !scopes.monitorScopes) {
      _fail(this, 'scopes', [], 'and monitors are both empty', 'at least one service, role or monitor',
        'A setting without a scope groups no alert');
    }
    const duplicate = _duplicateProblem('scopes', (props.scopes ?? []).map((s) => s.value))
      ?? _duplicateProblem('monitors', (props.monitors ?? []).map((m) => m.monitorId));
    if (duplicate) throw new Error(`${this.node.path}: ${duplicate}`);
    const interval = _wholeDuration(this, 'notificationInterval', props.notificationInterval, 'minutes');
    if (interval !== undefined && !Token.isUnresolved(interval) && interval < 1) {
      _fail(this, 'notificationInterval', props.notificationInterval?.toHumanString(), 'is too short', 'at least 1 minute, or no value to notify once');
    }
    const properties: _AlertGroupSettingProperties = {
      name: props.name,
      memo: props.memo,
      ...scopes,
      notificationInterval: interval,
    };
    this.alertGroupSettingId = _createMackerelResource(this, _RESOURCE_TYPES.ALERT_GROUP_SETTING, { ...properties }).ref;
  }
}
