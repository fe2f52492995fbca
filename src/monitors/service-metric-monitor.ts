import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _checkMetricName, _checkRange, _wholeDuration } from './_checks';
import { _dependOnNamedScope } from './_scope';
import { _warnOnThresholdOrder } from './_threshold-order';
import { MonitorBase, ThresholdMonitorProps } from './monitor-base';
import { MonitorScope } from './scope';
import { _fail } from '../_validation';
import { _warnKeptWithDeletedService } from '../service/_kept-with-service';
import { _knownServiceName } from '../service/_known-name';
import { IMackerelService } from '../service/service';

/** Metric interruption durations: whole multiples of 10 minutes, at most one week. */
const MISSING_DURATION = { min: 10, max: 10080, step: 10 };

/**
 * Properties of a `ServiceMetricMonitor`.
 */
export interface ServiceMetricMonitorProps extends ThresholdMonitorProps {
  /**
   * The service whose metric is watched.
   *
   * Changing it replaces the monitor.
   */
  readonly service: IMackerelService;

  /**
   * The service metric to watch, without spaces or control characters (no metric name has one).
   *
   * Changing it replaces the monitor (Mackerel cannot change a monitor's target).
   */
  readonly metric: string;

  /**
   * How many of the most recent metric POINTS are averaged before the comparison: 1-10.
   *
   * A number of points, not minutes: a service metric posted every 5 minutes with
   * `duration: 3` is averaged over 15 minutes.
   */
  readonly duration: number;

  /**
   * How many checks in a row must exceed a threshold before an alert is raised: 1-10.
   *
   * @default 1
   */
  readonly maxCheckAttempts?: number;

  /**
   * Raise a WARNING alert when the metric has not been posted for this long.
   *
   * A multiple of 10 minutes, from 10 minutes to 7 days (10080 minutes).
   *
   * @default - no WARNING alert for metric interruption
   */
  readonly missingDurationWarning?: Duration;

  /**
   * Raise a CRITICAL alert when the metric has not been posted for this long.
   *
   * A multiple of 10 minutes, from 10 minutes to 7 days (10080 minutes). With
   * `missingDurationWarning`, longer than it, or WARNING alerts never fire on their own: such a
   * pair gets the synth warning `cdk-mackerel:warningAfterCritical`.
   *
   * @default - no CRITICAL alert for metric interruption
   */
  readonly missingDurationCritical?: Duration;
}

/**
 * A service metric monitor (`Custom::MackerelMonitor` of type `service`): alerts when a
 * service metric crosses a threshold, or stops being posted.
 *
 * @see https://mackerel.io/api-docs/entry/monitors#create-service-metric-monitoring
 *
 * @example
 * new ServiceMetricMonitor(this, 'Orders', {
 *   name: 'orders dropped', service: shop, metric: 'shop.orders.count',
 *   operator: MonitorOperator.LESS_THAN, warning: 10, duration: 3,
 *   missingDurationCritical: Duration.minutes(30),
 * });
 */
export class ServiceMetricMonitor extends MonitorBase {
  /** The Mackerel monitor ID: a reference to the resource (its `Ref`). */
  public readonly monitorId: string;

  constructor(scope: Construct, id: string, props: ServiceMetricMonitorProps) {
    super(scope, id, props);
    this._checkThresholds(props);
    _checkMetricName(this, props.metric, 'a service metric name');
    _checkRange(this, 'duration', props.duration, { min: 1, max: 10 }, 'points');
    _checkRange(this, 'maxCheckAttempts', props.maxCheckAttempts, { min: 1, max: 10 });
    // A service known by name (fromName) may be one this stack creates: wait for it, as a Ref would.
    _dependOnNamedScope(this, MonitorScope.fromService(props.service), 'service');
    _warnKeptWithDeletedService(this, props.service, 'service metric monitor');
    checkNotZero(this, 'missingDurationWarning', props.missingDurationWarning, 'WARNING');
    checkNotZero(this, 'missingDurationCritical', props.missingDurationCritical, 'CRITICAL');
    const missingDurationWarning = _wholeDuration(this, 'missingDurationWarning', props.missingDurationWarning, 'minutes', MISSING_DURATION);
    const missingDurationCritical = _wholeDuration(this, 'missingDurationCritical', props.missingDurationCritical, 'minutes', MISSING_DURATION);
    // A metric missing longer is worse: the WARNING must come first, after less time.
    _warnOnThresholdOrder(this, { name: 'missingDurationWarning', value: missingDurationWarning },
      { name: 'missingDurationCritical', value: missingDurationCritical }, { higherIsWorse: true, unit: ' minutes' });
    this.monitorId = this._createMonitor({
      type: 'service',
      name: props.name,
      service: props.service.name,
      metric: props.metric,
      operator: props.operator,
      warning: props.warning,
      critical: props.critical,
      duration: props.duration,
      maxCheckAttempts: props.maxCheckAttempts,
      missingDurationWarning,
      missingDurationCritical,
    }, _knownServiceName(props.service));
  }
}

/**
 * A missing duration of zero, most likely meant as "no alert". Mackerel's errors for these fields are a
 * value that is not a multiple of 10 or is over a week, so its API may take a 0, but no document says what
 * a 0 does. The Terraform provider requires 10 to 10080, and the official Go client never sends a 0 (it
 * leaves the field out). So a 0 is refused, as the range has it, and the error says to leave the property out.
 */
function checkNotZero(scope: Construct, property: string, duration: Duration | undefined, level: string): void {
  if (duration === undefined || duration.isUnresolved() || duration.toMilliseconds() !== 0) return;
  _fail(scope, property, duration.toHumanString(), 'is out of range', `a multiple of 10 minutes from ${MISSING_DURATION.min} to ${MISSING_DURATION.max}`,
    `Leave ${property} out for no ${level} alert on metric interruption; Mackerel documents no meaning for 0`);
}
