import { Duration, Reference, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _checkExpression, _wholeDuration } from './_checks';
import { _readOnceFinal, _resolveEachToken } from '../_lazy';
import { _subVariableReference } from '../_references';
import { _subText } from '../_template-references';
import { MonitorBase, ThresholdMonitorProps } from './monitor-base';
import { _readsByExpression } from '../provider/_properties';
import { _warnNamedByLiteral } from '../service/_imported-by-name';
import { _dependOnNamed, _dependOnNamedNow } from '../service/_named-dependency';

/**
 * Properties of an `ExpressionMonitor`.
 */
export interface ExpressionMonitorProps extends ThresholdMonitorProps {
  /**
   * The graph expression to watch; it must produce exactly one series.
   *
   * Mackerel refuses an expression it cannot parse; one known at synth (a literal, a Lazy, Fn.join
   * of literals) whose parentheses do not pair up, or with a quote left open, fails synthesis.
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
    // An expression given as a token (a Lazy, Fn.join, Fn.sub) is searched as the template writes it, once final.
    if (!Token.isUnresolved(props.expression)) {
      this.readNames(props.expression, _dependOnNamed);
    } else {
      const expression = props.expression;
      _readOnceFinal(this, () => {
        const written = writtenExpression(this, expression);
        if (written !== undefined) this.readNames(written, _dependOnNamedNow);
      });
    }
  }

  /** Orders this monitor after, or warns about, each service and role that `expression` reads by name. */
  private readNames(expression: string, dependOn: (consumer: Construct, name: string, isRole: boolean) => void): void {
    for (const kind of ['service', 'role'] as const) {
      const seen = new Set<string>();
      for (const { name, by } of _readsByExpression(expression, kind)) {
        if (seen.has(name) || name.includes(OPAQUE)) continue;
        seen.add(name);
        const isRole = kind === 'role';
        dependOn(this, name, isRole);
        const reference = isRole ? '${web.fullName}' : '${shop.name}';
        _warnNamedByLiteral(this, `expression ${by}(...)`, name, isRole, `an expression built of it, \`${by}(${reference}, …)\``,
          (builtName) => `\`${by}(${builtName.slice(1, -1)}, …)\``, true);
      }
    }
  }
}

/** Stands for a part of an expression known only at deploy time that is no reference (a parameter, `Fn.select`): it names nothing known. */
const OPAQUE = '\u0001';

/**
 * The expression given as a token (a Lazy, `Fn.join`, `Fn.sub`) as the template writes it, with
 * each reference in it (`shop.name`) left as its token, as a string built of it reads: its
 * `Fn::Join`s joined and its `Fn::Sub` variables put in (one naming a resource of the stack by its
 * logical ID as the reference CloudFormation reads it as, `${Shop}` as `shop.name`), each other intrinsic `OPAQUE`.
 * Undefined when it cannot be resolved here.
 */
function writtenExpression(scope: Construct, expression: string): string | undefined {
  const references: string[] = [];
  let resolved: unknown;
  try {
    resolved = _resolveEachToken(scope, expression, (token, resolve) => {
      if (!Reference.isReference(token)) return resolve();
      references.push(Token.asString(token));
      return `\u0000${references.length - 1}\u0000`;
    });
  } catch {
    return undefined;
  }
  return flatten(resolved, _subVariableReference(scope)).replace(/\u0000(\d+)\u0000/g, (_, i: string) => references[Number(i)]);
}

/** A resolved value as the string CloudFormation makes of it, each part it cannot tell at synth `OPAQUE`. */
function flatten(value: unknown, subVariable: (variable: string) => Reference | undefined): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return OPAQUE;
  const entries = Object.entries(value);
  if (entries.length !== 1) return OPAQUE;
  const [[fn, args]] = entries;
  if (fn === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
    return args[1].map((arg) => flatten(arg, subVariable)).join(args[0]);
  }
  if (fn === 'Fn::Sub') {
    // A variable of no given value is a parameter, resource or pseudo parameter.
    return _subText(args, (given) => flatten(given, subVariable), (name) => {
      const reference = subVariable(name);
      return reference ? Token.asString(reference) : OPAQUE;
    }) ?? OPAQUE;
  }
  return OPAQUE;
}
