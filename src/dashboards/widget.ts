import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { _characterCount } from '../_text';
import { _fail } from '../_validation';
import { _checkExpression, _checkOneOf } from '../monitors/_checks';
import { _dependOnNamed } from '../service/_named-dependency';
import { IMackerelRole } from '../service/role';
import { IMackerelService } from '../service/service';

/**
 * Settings every widget has.
 */
export interface DashboardWidgetOptions {
  /**
   * The widget's title.
   */
  readonly title: string;

  /**
   * Width in grid units (the dashboard is 24 wide).
   *
   * A whole number known at synth, within Mackerel's limits for the widget's type: 6 to 24 for
   * graphs, 4 to 24 for values, markdown and alert statuses.
   *
   * @default - 8 for graphs and markdown, 4 for values, 6 for alert statuses
   */
  readonly width?: number;

  /**
   * Height in grid units.
   *
   * A whole number known at synth, within Mackerel's limits for the widget's type: 6 to 32 for
   * graphs, 4 to 32 for values, 2 to 80 for markdown, 3 to 32 for alert statuses.
   *
   * @default - 6 for graphs, 4 for values, markdown and alert statuses
   */
  readonly height?: number;
}

/**
 * Settings of the graph widgets.
 */
export interface GraphWidgetOptions extends DashboardWidgetOptions {
  /**
   * A fixed period to show.
   *
   * @default - the period chosen at the top of the dashboard
   */
  readonly timeRange?: DashboardGraphRange;

  /**
   * A horizontal line drawn at a value, such as a monitor's threshold.
   *
   * @default - none
   */
  readonly referenceLine?: DashboardReferenceLine;
}

/** A role graph widget: a graph of every host of a role. */
export interface RoleGraphWidgetOptions extends GraphWidgetOptions {
  /** The role whose hosts are drawn. */
  readonly role: IMackerelRole;
  /** The graph's name, such as `loadavg5` or `container.cpu`. */
  readonly graph: string;
  /**
   * Whether the hosts are stacked rather than drawn as lines.
   *
   * @default false
   */
  readonly stacked?: boolean;
}

/** A service graph widget: a graph of service metrics. */
export interface ServiceGraphWidgetOptions extends GraphWidgetOptions {
  /** The service whose metrics are drawn. */
  readonly service: IMackerelService;
  /** The graph's name (the service metric name up to its last part). */
  readonly graph: string;
}

/** An expression graph widget: a graph of a Mackerel metric expression. */
export interface ExpressionGraphWidgetOptions extends GraphWidgetOptions {
  /**
   * The expression, such as `avg(roleSlots('shop:web','loadavg5'))`.
   *
   * Must not be empty; one known at synth whose parentheses do not pair up, or with a quote left
   * open, fails synthesis, as for an `ExpressionMonitor`.
   */
  readonly expression: string;
}

/** A host graph widget: a graph of one host, such as an EC2 instance (a task's host lives only as long as the task). */
export interface HostGraphWidgetOptions extends GraphWidgetOptions {
  /** The Mackerel host ID. */
  readonly hostId: string;
  /** The graph's name, such as `loadavg`. */
  readonly graph: string;
}

/** A query graph widget: a graph of a PromQL-style query over labeled metrics (OpenTelemetry). */
export interface QueryGraphWidgetOptions extends GraphWidgetOptions {
  /**
   * The PromQL-style query, such as `sum(rate(http.server.request.count[5m]))`.
   *
   * Must not be empty; one known at synth whose parentheses do not pair up, or with a quote left
   * open, fails synthesis, as for a `QueryMonitor`.
   */
  readonly query: string;

  /**
   * The legend of each series, with `{{label}}` templates such as `{{service.name}}`.
   *
   * @default - Mackerel's default legend (an empty legend is sent, as the official Go client and
   * the Terraform provider send one that is not set)
   */
  readonly legend?: string;
}

/** Settings of the value widgets. */
export interface ValueWidgetOptions extends DashboardWidgetOptions {
  /**
   * Decimal places shown, 0 to 16.
   *
   * @default - Mackerel's default
   */
  readonly fractionSize?: number;

  /**
   * A unit shown after the value.
   *
   * @default - none
   */
  readonly suffix?: string;

  /**
   * A format rule: the value is shown emphasized while it is above or below a threshold.
   *
   * @default - none (an empty list of rules is sent, which removes a rule added in the app)
   */
  readonly formatRule?: DashboardFormatRule;
}

/** A value widget of a service metric's latest value. */
export interface ServiceMetricValueWidgetOptions extends ValueWidgetOptions {
  /** The service. */
  readonly service: IMackerelService;
  /** The service metric's name. */
  readonly metric: string;
}

/** A value widget of an expression's latest value (the expression must give one series). */
export interface ExpressionValueWidgetOptions extends ValueWidgetOptions {
  /**
   * The expression.
   *
   * Must not be empty; one known at synth whose parentheses do not pair up, or with a quote left
   * open, fails synthesis, as for an `ExpressionMonitor`.
   */
  readonly expression: string;
}

/** A value widget of one host's metric. */
export interface HostMetricValueWidgetOptions extends ValueWidgetOptions {
  /** The Mackerel host ID. */
  readonly hostId: string;
  /** The metric's name, such as `loadavg5`. */
  readonly metric: string;
}

/** A value widget of a query's latest value (the query must give one series). */
export interface QueryValueWidgetOptions extends ValueWidgetOptions {
  /**
   * The PromQL-style query over labeled metrics.
   *
   * Must not be empty; one known at synth whose parentheses do not pair up, or with a quote left
   * open, fails synthesis, as for a `QueryMonitor`.
   */
  readonly query: string;

  /**
   * The legend of the series, with `{{label}}` templates.
   *
   * @default - Mackerel's default legend (an empty legend is sent, as the official Go client and
   * the Terraform provider send one that is not set)
   */
  readonly legend?: string;
}

/** A markdown widget. */
export interface MarkdownWidgetOptions extends DashboardWidgetOptions {
  /** The text, in Markdown. */
  readonly markdown: string;
}

/** An alert status widget: the open alerts of a role. */
export interface AlertStatusWidgetOptions extends DashboardWidgetOptions {
  /** The role. */
  readonly role: IMackerelRole;
}

/** A horizontal reference line on a graph widget. */
export interface DashboardReferenceLine {
  /** The line's label: 1 to 32 characters, not only whitespace (spaces, tabs, ideographic spaces). */
  readonly label: string;
  /** The value it is drawn at, 0 or more. */
  readonly value: number;
}

/** When a value widget's format rule emphasizes the value. */
export enum DashboardFormatOperator {
  /** While the value is greater than the threshold (`>`). */
  GREATER_THAN = '>',
  /** While the value is less than the threshold (`<`). */
  LESS_THAN = '<',
}

/** A value widget's format rule: the value is emphasized while it is above or below a threshold. */
export interface DashboardFormatRule {
  /** The value the latest value is compared with. */
  readonly threshold: number;
  /** Whether the value is emphasized above or below the threshold. */
  readonly operator: DashboardFormatOperator;
  /**
   * The rule's name, at most 32 characters.
   *
   * @default - none
   */
  readonly name?: string;
}

/**
 * The fixed period a graph widget shows.
 */
export class DashboardGraphRange {
  /**
   * The last `period`, ending now or `endsAgo` before now.
   *
   * @param period how long a period, in whole seconds
   * @param endsAgo how long before now the period ends. Default: it ends now
   */
  public static relative(period: Duration, endsAgo?: Duration): DashboardGraphRange {
    return new DashboardGraphRange({ type: 'relative', period, endsAgo: endsAgo ?? Duration.seconds(0) });
  }

  /**
   * A fixed period between two times.
   *
   * @param start when it starts, in whole seconds (the API takes epoch seconds)
   * @param end when it ends, after `start`, in whole seconds
   */
  public static absolute(start: Date, end: Date): DashboardGraphRange {
    return new DashboardGraphRange({ type: 'absolute', start, end });
  }

  private constructor(private readonly spec: { type: string; period?: Duration; endsAgo?: Duration; start?: Date; end?: Date }) {}

  /** The API's range object, checked. @internal */
  public _render(scope: IConstruct, property: string): { [key: string]: unknown } {
    const s = this.spec;
    if (s.type === 'relative') {
      const period = wholeSeconds(scope, `${property}.period`, s.period!);
      if (!Token.isUnresolved(period) && period < 1) _fail(scope, `${property}.period`, s.period!.toHumanString(), 'is not positive', 'at least 1 second');
      // The API's offset is added to now: a period in the past has a negative one. A token cannot be
      // negated at synth (its number only stands for the token) nor in the template (CloudFormation
      // has no function for it).
      if (s.endsAgo!.isUnresolved()) {
        _fail(scope, `${property}.endsAgo`, s.endsAgo!.toHumanString(), 'is a token', 'a duration known at synth, as the API counts it back from now');
      }
      const endsAgo = wholeSeconds(scope, `${property}.endsAgo`, s.endsAgo!);
      return { type: 'relative', period, offset: endsAgo === 0 ? 0 : -endsAgo };
    }
    const start = epochSeconds(scope, `${property}.start`, s.start!);
    const end = epochSeconds(scope, `${property}.end`, s.end!);
    if (end <= start) {
      _fail(scope, property, `${s.start!.toISOString()} to ${s.end!.toISOString()}`, 'does not end after it starts', 'an end after the start');
    }
    return { type: 'absolute', start, end };
  }
}

/** Sizes Mackerel allows per widget type: [min width, min height, max width, max height]. */
const SIZES: { readonly [type: string]: readonly [number, number, number, number] } = {
  graph: [6, 6, 24, 32],
  value: [4, 4, 24, 32],
  markdown: [4, 2, 24, 80],
  alertStatus: [4, 3, 24, 32],
};
/** How errors call each widget type. */
const NAMES: { readonly [type: string]: string } = {
  graph: 'a graph widget',
  value: 'a value widget',
  markdown: 'a markdown widget',
  alertStatus: 'an alert status widget',
};
const DEFAULT_SIZES: { readonly [type: string]: readonly [number, number] } = {
  graph: [8, 6],
  value: [4, 4],
  markdown: [8, 4],
  alertStatus: [6, 4],
};

/**
 * One widget of a `Dashboard`: a graph, a value, a markdown text or an alert status. Place
 * widgets with `Dashboard.addWidgets`, which lays them out in rows.
 */
export class DashboardWidget {
  /** A graph of every host of a role. */
  public static roleGraph(options: RoleGraphWidgetOptions): DashboardWidget {
    return DashboardWidget.graph(options, (scope, at) => {
      waitFor(scope, options.role.fullName, true);
      return { type: 'role', roleFullname: options.role.fullName, name: nonEmpty(scope, `${at}.graph`, options.graph), isStacked: options.stacked };
    });
  }

  /** A graph of a service's metrics. */
  public static serviceGraph(options: ServiceGraphWidgetOptions): DashboardWidget {
    return DashboardWidget.graph(options, (scope, at) => {
      waitFor(scope, options.service.name, false);
      return { type: 'service', serviceName: options.service.name, name: nonEmpty(scope, `${at}.graph`, options.graph) };
    });
  }

  /** A graph of a metric expression. */
  public static expressionGraph(options: ExpressionGraphWidgetOptions): DashboardWidget {
    return DashboardWidget.graph(options, (scope, at) => expression(scope, at, options.expression));
  }

  /** A graph of one host. */
  public static hostGraph(options: HostGraphWidgetOptions): DashboardWidget {
    return DashboardWidget.graph(options, (scope, at) => ({ type: 'host', hostId: nonEmpty(scope, `${at}.hostId`, options.hostId), name: nonEmpty(scope, `${at}.graph`, options.graph) }));
  }

  /** A graph of a query over labeled metrics. */
  public static queryGraph(options: QueryGraphWidgetOptions): DashboardWidget {
    return DashboardWidget.graph(options, (scope, at) => query(scope, at, options.query, options.legend));
  }

  /** The latest value of a service metric. */
  public static serviceMetricValue(options: ServiceMetricValueWidgetOptions): DashboardWidget {
    return DashboardWidget.value(options, (scope, at) => {
      waitFor(scope, options.service.name, false);
      return { type: 'service', serviceName: options.service.name, name: nonEmpty(scope, `${at}.metric`, options.metric) };
    });
  }

  /** The latest value of an expression that gives one series. */
  public static expressionValue(options: ExpressionValueWidgetOptions): DashboardWidget {
    return DashboardWidget.value(options, (scope, at) => expression(scope, at, options.expression));
  }

  /** The latest value of one host's metric. */
  public static hostMetricValue(options: HostMetricValueWidgetOptions): DashboardWidget {
    return DashboardWidget.value(options, (scope, at) => ({ type: 'host', hostId: nonEmpty(scope, `${at}.hostId`, options.hostId), name: nonEmpty(scope, `${at}.metric`, options.metric) }));
  }

  /** The latest value of a query over labeled metrics that gives one series. */
  public static queryValue(options: QueryValueWidgetOptions): DashboardWidget {
    return DashboardWidget.value(options, (scope, at) => query(scope, at, options.query, options.legend));
  }

  /** A Markdown text. */
  public static markdown(options: MarkdownWidgetOptions): DashboardWidget {
    return new DashboardWidget('markdown', options, () => ({ markdown: options.markdown }));
  }

  /** The open alerts of a role. */
  public static alertStatus(options: AlertStatusWidgetOptions): DashboardWidget {
    return new DashboardWidget('alertStatus', options, (scope) => {
      waitFor(scope, options.role.fullName, true);
      return { roleFullname: options.role.fullName };
    });
  }

  private static graph(options: GraphWidgetOptions, graphOf: (scope: IConstruct, property: string) => { [key: string]: unknown }): DashboardWidget {
    return new DashboardWidget('graph', options, (scope, property) => ({
      graph: graphOf(scope, property),
      range: options.timeRange?._render(scope, `${property}.timeRange`),
      // Always sent: an update that leaves the field out would keep a line removed from the app (the API clears it with []).
      referenceLines: options.referenceLine ? [referenceLine(scope, `${property}.referenceLine`, options.referenceLine)] : [],
    }));
  }

  private static value(options: ValueWidgetOptions, metricOf: (scope: IConstruct, property: string) => { [key: string]: unknown }): DashboardWidget {
    return new DashboardWidget('value', options, (scope, property) => {
      const fractionSize = options.fractionSize;
      const outOfRange = fractionSize !== undefined && (!Number.isInteger(fractionSize) || fractionSize < 0 || fractionSize > 16);
      if (outOfRange && !Token.isUnresolved(fractionSize)) {
        _fail(scope, `${property}.fractionSize`, shown(fractionSize), 'is out of range', 'a whole number from 0 to 16');
      }
      return {
        metric: metricOf(scope, property),
        fractionSize,
        suffix: options.suffix,
        // Always sent, as graphs' referenceLines are: an update that leaves the field out would keep a rule added in the app.
        formatRules: options.formatRule ? [formatRule(scope, `${property}.formatRule`, options.formatRule)] : [],
      };
    });
  }

  /** The widget's width in grid units. */
  public readonly width: number;

  /** The widget's height in grid units. */
  public readonly height: number;

  private constructor(
    private readonly type: string,
    private readonly options: DashboardWidgetOptions,
    private readonly fields: (scope: IConstruct, property: string) => { [key: string]: unknown },
  ) {
    const [width, height] = DEFAULT_SIZES[type];
    this.width = options.width ?? width;
    this.height = options.height ?? height;
  }

  /**
   * The API's widget object at a position, checked; `property` names it in errors.
   * @internal
   */
  public _render(scope: IConstruct, property: string, x: number, y: number): { [key: string]: unknown } {
    const [minWidth, minHeight, maxWidth, maxHeight] = SIZES[this.type];
    checkSize(scope, `${property}.width`, this.width, minWidth, maxWidth, this.type);
    checkSize(scope, `${property}.height`, this.height, minHeight, maxHeight, this.type);
    return {
      type: this.type,
      title: this.options.title,
      ...this.fields(scope, property),
      layout: { x, y, width: this.width, height: this.height },
    };
  }
}

function referenceLine(scope: IConstruct, property: string, line: DashboardReferenceLine): { label: string; value: number } {
  if (!Token.isUnresolved(line.label) && (line.label.trim() === '' || _characterCount(line.label) > 32)) {
    _fail(scope, `${property}.label`, line.label, 'is empty or too long', '1 to 32 characters, not only whitespace (spaces, tabs, ideographic spaces)');
  }
  if (!Token.isUnresolved(line.value) && !(Number.isFinite(line.value) && line.value >= 0)) {
    _fail(scope, `${property}.value`, shown(line.value), 'is not allowed', 'a number of 0 or more');
  }
  return { label: line.label, value: line.value };
}

function formatRule(scope: IConstruct, property: string, rule: DashboardFormatRule): { [key: string]: unknown } {
  if (rule.name !== undefined && !Token.isUnresolved(rule.name) && _characterCount(rule.name) > 32) {
    _fail(scope, `${property}.name`, rule.name, 'is too long', 'at most 32 characters');
  }
  if (!Token.isUnresolved(rule.threshold) && !Number.isFinite(rule.threshold)) {
    _fail(scope, `${property}.threshold`, shown(rule.threshold), 'is not a number', 'a finite number');
  }
  const operators = Object.values(DashboardFormatOperator);
  // Required, but plain JavaScript can leave it out, and _checkOneOf lets an unset (optional) value pass.
  if (rule.operator === undefined) _fail(scope, `${property}.operator`, undefined, 'is not allowed', `one of ${operators.map((o) => JSON.stringify(o)).join(', ')}`);
  _checkOneOf(scope, `${property}.operator`, rule.operator, operators);
  return { name: rule.name, threshold: rule.threshold, operator: rule.operator };
}

function checkSize(scope: IConstruct, property: string, size: number, min: number, max: number, type: string): void {
  if (Token.isUnresolved(size)) _fail(scope, property, '<token>', 'is a token', 'a number known at synth, for the layout');
  if (!Number.isInteger(size) || size < min || size > max) {
    _fail(scope, property, shown(size), `is not a size Mackerel allows for ${NAMES[type]}`, `a whole number from ${min} to ${max}`);
  }
}

/** A number as errors show it: JSON, which the messages use, would print NaN and Infinity as null. */
function shown(n: number): number | string {
  return Number.isFinite(n) ? n : String(n);
}

/** The API's expression graph or metric, checked as an expression monitor's expression is. */
function expression(scope: IConstruct, property: string, text: string): { [key: string]: unknown } {
  _checkExpression(scope, `${property}.expression`, text, 'a graph expression');
  return { type: 'expression', expression: text };
}

/**
 * The API's query graph or metric, checked as a query monitor's query is. The legend is always
 * sent, `""` when not set, as the official Go client and the Terraform provider send it: a legend
 * removed from the app is then cleared by the update rather than left to what Mackerel keeps.
 */
function query(scope: IConstruct, property: string, text: string, legend: string | undefined): { [key: string]: unknown } {
  _checkExpression(scope, `${property}.query`, text, 'a query');
  return { type: 'query', query: text, legend: legend ?? '' };
}

function nonEmpty(scope: IConstruct, property: string, text: string): string {
  if (!Token.isUnresolved(text) && text.trim() === '') _fail(scope, property, text, 'is empty', 'a non-empty value');
  return text;
}

/** The API takes whole epoch seconds: milliseconds would be cut off, so they are refused, as fractions of a relative range are. */
function epochSeconds(scope: IConstruct, property: string, date: Date): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) _fail(scope, property, String(date), 'is not a valid date', 'a valid Date');
  if (ms % 1000 !== 0) _fail(scope, property, date.toISOString(), 'is not a whole second', 'a time in whole seconds');
  return ms / 1000;
}

function wholeSeconds(scope: IConstruct, property: string, duration: Duration): number {
  if (duration.isUnresolved()) {
    // aws-cdk-lib cannot convert a token to another unit, and its own error names neither the construct nor the property.
    try {
      return duration.toSeconds();
    } catch {
      _fail(scope, property, duration.toHumanString(), 'is a token in a unit other than seconds', 'Duration.seconds() for a value known only at deploy time');
    }
  }
  const seconds = duration.toSeconds({ integral: false });
  if (!Number.isInteger(seconds)) {
    _fail(scope, property, duration.toHumanString(), 'is not a whole number of seconds', 'whole seconds');
  }
  return seconds;
}

/** The names each dashboard already waits for. */
const WAITING = new WeakMap<IConstruct, Set<string>>();

/**
 * Makes the dashboard wait for the creator of a role or service given by name, once: the first
 * render is in `addWidgets`, before aspects run; the one at synth must not add an Aspect again.
 */
function waitFor(scope: IConstruct, name: string, isRole: boolean): void {
  const names = WAITING.get(scope) ?? new Set<string>();
  WAITING.set(scope, names);
  const key = `${isRole ? 'role' : 'service'} ${name}`;
  if (names.has(key)) return;
  names.add(key);
  _dependOnNamed(scope, name, isRole);
}
