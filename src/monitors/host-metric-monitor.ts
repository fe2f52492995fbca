import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _fail } from '../_validation';
import { _checkMetricName, _checkRange, _renderScopes, _wholeDuration } from './_checks';
import { _serviceOfKnownScopes, _warnOnEmptyScopes, _warnOnRepeatedScopes } from './_scope';
import { MonitorOperator } from './enums';
import { MonitorBase, ThresholdMonitorProps } from './monitor-base';
import { MonitorScope } from './scope';
import { _warnScopedKeptWithDeletedService } from '../service/_kept-with-service';

/** Host metrics Mackerel monitors as percentages ("comparative" monitoring): thresholds 0-100. */
const COMPARATIVE_METRICS = ['cpu%', 'memory%', 'disk%', 'swap%', 'container-cpu%', 'container-memory%'];

/** The ECS integration's running-task count of one ECS service (`ecs.running_task.<service>.count`). */
const RUNNING_TASK_COUNT = /^ecs\.running_task\..+\.count$/;

/**
 * Properties of a `HostMetricMonitor`.
 */
export interface HostMetricMonitorProps extends ThresholdMonitorProps {
  /**
   * The host metric to watch, such as `loadavg5` or `custom.foo.bar`, without spaces or control
   * characters (no metric name has one).
   *
   * `cpu%`, `memory%`, `disk%`, `swap%`, `container-cpu%` and `container-memory%` are
   * percentages: their thresholds must be within 0-100. Changing the metric replaces the
   * monitor (Mackerel cannot change a monitor's target).
   */
  readonly metric: string;

  /**
   * Over how long the metric is averaged before it is compared: 1-10 whole minutes.
   */
  readonly duration: Duration;

  /**
   * How many checks in a row must exceed a threshold before an alert is raised: 1-10.
   *
   * @default 1
   */
  readonly maxCheckAttempts?: number;

  /**
   * The services and roles whose hosts are monitored.
   *
   * Each once: a scope given twice, or also in `excludeScopes`, gets the synth warning
   * `cdk-mackerel:monitorScopeRedundant` (Mackerel documents nothing of what a monitor does with
   * such scopes, and refuses them in a downtime).
   *
   * An empty list is read as no scope, every host of the organization: it gets the synth warning
   * `cdk-mackerel:monitorScopesEmpty` (leave `scopes` out for that).
   *
   * @default - every host of the organization
   */
  readonly scopes?: MonitorScope[];

  /**
   * Services and roles whose hosts are left out.
   *
   * A role of a service in `scopes` leaves that role's hosts out of the service's. Each once,
   * none also in `scopes`, and no service with one of its roles in `scopes` (the monitor would
   * watch none of that role's hosts), or the synth warning `cdk-mackerel:monitorScopeRedundant`
   * says so.
   *
   * @default - none
   */
  readonly excludeScopes?: MonitorScope[];
}

/**
 * A host metric monitor (`Custom::MackerelMonitor` of type `host`): alerts when a metric of
 * each host in its scopes crosses a threshold.
 *
 * @see https://mackerel.io/api-docs/entry/monitors#create-host-metric-monitoring
 *
 * @example
 * new HostMetricMonitor(this, 'Cpu', {
 *   name: 'web cpu', metric: 'container-cpu%', operator: MonitorOperator.GREATER_THAN,
 *   warning: 80, critical: 90, duration: Duration.minutes(3),
 *   scopes: [MonitorScope.fromRole(web)],
 * });
 */
export class HostMetricMonitor extends MonitorBase {
  /** The Mackerel monitor ID: a reference to the resource (its `Ref`). */
  public readonly monitorId: string;

  constructor(scope: Construct, id: string, props: HostMetricMonitorProps) {
    super(scope, id, props);
    this._checkThresholds(props);
    this.checkMetric(props);
    _checkRange(this, 'maxCheckAttempts', props.maxCheckAttempts, { min: 1, max: 10 });
    this.monitorId = this._createMonitor({
      type: 'host',
      name: props.name,
      metric: props.metric,
      operator: props.operator,
      warning: props.warning,
      critical: props.critical,
      duration: _wholeDuration(this, 'duration', props.duration, 'minutes', { min: 1, max: 10 }),
      maxCheckAttempts: props.maxCheckAttempts,
      scopes: _renderScopes(this, 'scopes', props.scopes),
      excludeScopes: _renderScopes(this, 'excludeScopes', props.excludeScopes),
    }, _serviceOfKnownScopes(props.scopes), true);
    _warnOnEmptyScopes(this, props.scopes);
    _warnOnRepeatedScopes(this, props.scopes, props.excludeScopes);
    _warnScopedKeptWithDeletedService(this, props.scopes, 'host monitor');
  }

  private checkMetric(props: HostMetricMonitorProps): void {
    if (Token.isUnresolved(props.metric)) return;
    _checkMetricName(this, props.metric, 'a host metric name');
    if (COMPARATIVE_METRICS.includes(props.metric)) {
      _checkPercent(this, 'warning', props.warning, props.metric);
      _checkPercent(this, 'critical', props.critical, props.metric);
    }
    // Mackerel's ECS integration posts no running-task count while no task runs, so the value
    // never reaches 0: a "fewer than 1" alert stays silent exactly when everything is down. A
    // higher threshold still catches a service short of tasks, so only this one is warned about.
    const thresholds = [props.warning, props.critical].filter((t): t is number => t !== undefined);
    const onlyAtZero = thresholds.length > 0 && thresholds.every((t) => !Token.isUnresolved(t) && t <= 1);
    if (RUNNING_TASK_COUNT.test(props.metric) && props.operator === MonitorOperator.LESS_THAN && onlyAtZero) {
      Annotations.of(this).addWarningV2('cdk-mackerel:runningTaskCountAtZero',
        `metric ${JSON.stringify(props.metric)} with operator "<" cannot alert on 0 running tasks: Mackerel posts no value while no task runs. `
        + 'Also watch the workload another way, such as a connectivity monitor on its role or an external HTTP monitor on its URL');
    }
  }
}

function _checkPercent(scope: Construct, property: string, value: number | undefined, metric: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (value < 0 || value > 100) {
    _fail(scope, property, value, `is not a percentage, but ${JSON.stringify(metric)} is measured in percent`, 'a number from 0 to 100');
  }
}
