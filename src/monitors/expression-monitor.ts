import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _checkExpression, _wholeDuration } from './_checks';
import { MonitorBase, ThresholdMonitorProps } from './monitor-base';
import { _readsByExpression } from '../provider/_properties';
import { _warnNamedByLiteral } from '../service/_imported-by-name';
import { _dependOnNamed } from '../service/_named-dependency';

/**
 * Properties of an `ExpressionMonitor`.
 */
export interface ExpressionMonitorProps extends ThresholdMonitorProps {
  /**
   * The graph expression to watch; it must produce exactly one series.
   *
   * Mackerel refuses an expression it cannot parse; a literal one whose parentheses do not pair
   * up, or with a quote left open, fails synthesis.
   *
   * @see https://mackerel.io/docs/entry/advanced/advanced-graph
   */
  readonly expression: string;

  /**
   * How far back the expression is evaluated, so that metrics posted late are included:
   * 2-10 whole minutes.
   *
   * @default - Mackerel's default, 2 minutes
   */
  readonly evaluateBackwardMinutes?: Duration;
}

/**
 * An expression monitor (`Custom::MackerelMonitor` of type `expression`): alerts when the
 * value of a graph expression crosses a threshold.
 *
 * @see https://mackerel.io/api-docs/entry/monitors#create-expression-monitoring
 *
 * @example
 * new ExpressionMonitor(this, 'Tasks', {
 *   name: 'running tasks', operator: MonitorOperator.LESS_THAN, critical: 2,
 *   expression: "count(role(shop:web, 'container-cpu%'))",
 * });
 */
export class ExpressionMonitor extends MonitorBase {
  /** The Mackerel monitor ID: a reference to the resource (its `Ref`). */
  public readonly monitorId: string;

  constructor(scope: Construct, id: string, props: ExpressionMonitorProps) {
    super(scope, id, props);
    this._checkThresholds(props);
    _checkExpression(this, 'expression', props.expression, 'a graph expression');
    this.monitorId = this._createMonitor({
      type: 'expression',
      name: props.name,
      expression: props.expression,
      operator: props.operator,
      warning: props.warning,
      critical: props.critical,
      evaluateBackwardMinutes: _wholeDuration(this, 'evaluateBackwardMinutes', props.evaluateBackwardMinutes, 'minutes', { min: 2, max: 10 }),
    });
    // The handler leaves a service or role that an expression monitor still reads by service(...), role(...) or
    // roleSlots(...) (an Unknown alert once it is gone): read by a literal name, which records no dependency,
    // CloudFormation could delete this stack's service or role while this monitor still reads it. Another
    // stack's is warned about, as a literal scope is: only a reference or a stack dependency orders the two.
    for (const kind of ['service', 'role'] as const) {
      const seen = new Set<string>();
      for (const { name, by } of _readsByExpression(props.expression, kind)) {
        if (seen.has(name)) continue;
        seen.add(name);
        const isRole = kind === 'role';
        _dependOnNamed(this, name, isRole);
        const reference = isRole ? '${web.fullName}' : '${shop.name}';
        _warnNamedByLiteral(this, `expression ${by}(...)`, name, isRole, `an expression built of it, \`${by}(${reference}, …)\``,
          (builtName) => `\`${by}(${builtName.slice(1, -1)}, …)\``, true);
      }
    }
  }
}
