import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _knownOnlyOnceFinal, _readingFinalValues } from '../_lazy';
import { _checkScope } from '../_names';
import { _describeProblem, _fail } from '../_validation';
import { _warnOnLongMemo, _wholeDuration } from '../monitors/_checks';
import { _dependOnNamedScope, _scopeKey, _shownScope } from '../monitors/_scope';
import { IMonitor } from '../monitors/monitor-base';
import { MonitorScope } from '../monitors/scope';
import { _AlertGroupSettingProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { MackerelResourceOptions } from '../provider/resource-options';

/**
 * Properties of an `AlertGroupSetting`.
 */
export interface AlertGroupSettingProps extends MackerelResourceOptions {
  /**
   * The setting name, shown on the alert groups it makes. Must not be empty.
   */
  readonly name: string;

  /**
   * A note shown on the setting.
   *
   * Mackerel rejects a memo that is too long but does not document the limit here; one over
   * 2048 characters (the limit of monitor memos) is written with the warning
   * `cdk-mackerel:memoLimitUndocumented`.
   *
   * @default - no memo
   */
  readonly memo?: string;

  /**
   * Services and roles whose alerts are grouped (`MonitorScope.fromService`, `fromRole`, `of`).
   *
   * Scopes of different kinds (services and roles, monitors) are ANDed by Mackerel. Give at
   * least one scope or monitor, here or with `addScope` / `addMonitor`.
   *
   * @default - no service or role scope
   */
  readonly scopes?: MonitorScope[];

  /**
   * Monitors whose alerts are grouped. More can be added with `addMonitor`.
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
 * Scopes and monitors may be given in the props or added later (`addScope`, `addMonitor`);
 * they are written at synthesis, so later additions count. A setting needs at least one of
 * them: the API does not say what a setting without any scope groups, so synthesis rejects it.
 *
 * @see https://mackerel.io/docs/entry/howto/alert-groups
 *
 * @example
 * new AlertGroupSetting(this, 'WebIncidents', { name: 'web incidents', scopes: [MonitorScope.fromRole(web)],
 *   notificationInterval: Duration.minutes(30) });
 */
export class AlertGroupSetting extends Construct {
  /** The Mackerel alert group setting ID: a reference to the resource (its `Ref`). */
  public readonly alertGroupSettingId: string;

  private readonly scopes: MonitorScope[] = [];
  private readonly monitors: IMonitor[] = [];
  private checksScopesOnceFinal = false;

  constructor(scope: Construct, id: string, props: AlertGroupSettingProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.name) && props.name.trim() === '') {
      _fail(this, 'name', props.name, 'is empty', 'a non-empty alert group setting name');
    }
    _warnOnLongMemo(this, props.memo, 'an alert group setting');
    (props.scopes ?? []).forEach((s) => this.addScope(s));
    (props.monitors ?? []).forEach((m) => this.addMonitor(m));
    const interval = _wholeDuration(this, 'notificationInterval', props.notificationInterval, 'minutes');
    if (interval !== undefined && !Token.isUnresolved(interval) && interval < 1) {
      _fail(this, 'notificationInterval', props.notificationInterval?.toHumanString(), 'is too short', 'at least 1 minute, or no value to notify once');
    }
    const properties: _AlertGroupSettingProperties = {
      name: props.name,
      memo: props.memo,
      serviceScopes: Lazy.list({ produce: () => this.scopes.filter((s) => !s.isRole).map((s) => s.value) }, { omitEmpty: true }),
      roleScopes: Lazy.list({ produce: () => this.scopes.filter((s) => s.isRole).map((s) => s.value) }, { omitEmpty: true }),
      monitorScopes: Lazy.list({ produce: () => this.monitors.map((m) => m.monitorId) }, { omitEmpty: true }),
      notificationInterval: interval,
    };
    this.alertGroupSettingId = _createMackerelResource(this, _RESOURCE_TYPES.ALERT_GROUP_SETTING, { ...properties }, props.removalPolicy).ref;
    this.node.addValidation({
      validate: () => (this.scopes.length + this.monitors.length > 0 ? []
        : [_describeProblem('scopes', [], 'and monitors are both empty', 'at least one service, role or monitor',
          'Give scopes or monitors in the props, or call addScope() or addMonitor()')]),
    });
  }

  /**
   * Groups the alerts of a service or a role (`MonitorScope.fromService`, `fromRole`, `of`).
   * Each scope once.
   */
  public addScope(scope: MonitorScope): void {
    const property = `scopes[${this.scopes.length}]`;
    _checkScope(this, property, scope.value);
    if (this.scopes.some((s) => _scopeKey(s) === _scopeKey(scope))) {
      _fail(this, property, _shownScope(this, scope), 'is already a scope', 'each scope once');
    }
    // A scope of a Lazy name compares by its token until the app is built: two that end as one name are found then.
    // An uncached Lazy too (`_knownOnlyOnceFinal`): a service created with one is known by name only once final.
    if (!this.checksScopesOnceFinal && scope._givenNames.some((name) => _knownOnlyOnceFinal(this, name))) {
      this.checksScopesOnceFinal = true;
      this.node.addValidation({ validate: () => _readingFinalValues(() => this.repeatedScope()) });
    }
    _dependOnNamedScope(this, scope, property);
    this.scopes.push(scope);
  }

  /** The first scope that repeats an earlier one, by the names they end with. */
  private repeatedScope(): string[] {
    const keys = this.scopes.map(_scopeKey);
    const index = keys.findIndex((key, i) => keys.indexOf(key) < i);
    return index < 0 ? [] : [_describeProblem(`scopes[${index}]`, _shownScope(this, this.scopes[index]), 'is already a scope', 'each scope once')];
  }

  /** Groups the alerts of a monitor. Each monitor once. */
  public addMonitor(monitor: IMonitor): void {
    if (this.monitors.some((m) => m.monitorId === monitor.monitorId)) {
      _fail(this, `monitors[${this.monitors.length}]`, monitor.node.path, 'is already a monitor of this setting', 'each monitor once');
    }
    this.monitors.push(monitor);
  }
}
