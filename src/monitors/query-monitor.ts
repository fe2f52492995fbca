import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _checkExpression, _wholeDuration } from './_checks';
import { MonitorBase, ThresholdMonitorProps } from './monitor-base';

/**
 * Properties of a `QueryMonitor`.
 */
export interface QueryMonitorProps extends ThresholdMonitorProps {
  /**
   * The PromQL-style query over labeled metrics.
   *
   * Changing it replaces the monitor. The monitor `name` may use `{{label}}` templates.
   * Mackerel refuses a query it cannot parse; one known at synth (a literal, a Lazy, Fn.join of
   * literals) whose parentheses do not pair up, or with a quote left open, fails synthesis.
   *
   * @see https://mackerel.io/docs/entry/query-monitoring
   */
  readonly query: string;

  /**
   * The legend of each series in alerts, with `{{label}}` templates.
   *
   * @default - Mackerel's default legend
   */
  readonly legend?: string;

  /**
   * How far back the query is evaluated, so that metrics posted late are included:
   * 0-10 whole minutes.
   *
   * @default - Mackerel's default, 0 minutes
   */
  readonly evaluateBackwardMinutes?: Duration;
}

/**
 * A query monitor (`Custom::MackerelMonitor` of type `query`): alerts when a series of a
 * query over labeled metrics (OpenTelemetry) crosses a threshold.
 *
 * @see https://mackerel.io/api-docs/entry/monitors#create-query-monitoring
 *
 * @example
 * new QueryMonitor(this, 'Latency', {
 *   name: 'p99 latency {{service.name}}', operator: MonitorOperator.GREATER_THAN, warning: 0.5,
 *   query: 'histogram_quantile(0.99, http.server.request.duration)',
 * });
 */
export class QueryMonitor extends MonitorBase {
  /** The Mackerel monitor ID: a reference to the resource (its `Ref`). */
  public readonly monitorId: string;

  constructor(scope: Construct, id: string, props: QueryMonitorProps) {
    super(scope, id, props);
    this._checkThresholds(props);
    _checkExpression(this, 'query', props.query, 'a query');
    this.monitorId = this._createMonitor({
      type: 'query',
      name: props.name,
      query: props.query,
      legend: props.legend,
      operator: props.operator,
      warning: props.warning,
      critical: props.critical,
      evaluateBackwardMinutes: _wholeDuration(this, 'evaluateBackwardMinutes', props.evaluateBackwardMinutes, 'minutes', { min: 0, max: 10 }),
    });
  }
}
