import { Duration, RemovalPolicy, Stack, Tokenization } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IChannel } from './interfaces';
import { NotificationGroup } from './notification-group';
import { _readNowOrOnceFinal } from '../_lazy';
import { _checkRoleFullName } from '../_names';
import { _referenceTargets } from '../_references';
import { _fail } from '../_validation';
import { _checkWarningFirst, _durationKind, _operatorKind, _PERCENT } from '../monitors/_threshold-order';
import { ConnectivityMonitor } from '../monitors/connectivity-monitor';
import { AlertStatusOnGone, MonitorOperator } from '../monitors/enums';
import { ExpressionMonitor } from '../monitors/expression-monitor';
import { ExternalHttpMonitor } from '../monitors/external-http-monitor';
import { HostMetricMonitor } from '../monitors/host-metric-monitor';
import { IMonitor } from '../monitors/monitor-base';
import { MonitorScope } from '../monitors/scope';
import { ServiceMetricMonitor } from '../monitors/service-metric-monitor';
import { _checkRemovalPolicy } from '../provider/_resource';
import { _importedAs } from '../service/_imported-by-name';
import { _knownRoleFullName } from '../service/_known-name';
import { IMackerelRole, MackerelRole } from '../service/role';

/**
 * The kinds of monitor `MackerelMonitoring` creates, to look them up afterwards.
 */
export enum RoleMonitorKind {
  /** The connectivity monitor (a host stopped posting metrics). */
  CONNECTIVITY = 'connectivity',
  /** The container CPU monitor (`container-cpu%`). */
  CONTAINER_CPU = 'containerCpu',
  /** The container memory monitor (`container-memory%`). */
  CONTAINER_MEMORY = 'containerMemory',
  /** The external HTTP monitor on the workload's URL. */
  EXTERNAL_HTTP = 'externalHttp',
  /** The service metric monitor. */
  SERVICE_METRIC = 'serviceMetric',
  /** The expression monitor. */
  EXPRESSION = 'expression',
  /** Monitors added with `addMonitor`. */
  OTHER = 'other',
}

/**
 * Settings every default alert has.
 */
export interface RoleAlertOptions {
  /**
   * Whether this monitor is created.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The monitor name.
   *
   * @default - the role's full name and what is watched, e.g. "shop:web container CPU"
   */
  readonly name?: string;

  /**
   * How often a notification is re-sent while the alert stays open (whole minutes, at least 10).
   *
   * @default - notifications are not re-sent
   */
  readonly notificationInterval?: Duration;

  /**
   * A note shown on the monitor and its alerts (a runbook link, for example).
   *
   * @default - no memo
   */
  readonly memo?: string;
}

/**
 * The connectivity alert.
 */
export interface ConnectivityAlertOptions extends RoleAlertOptions {
  /**
   * The alert status when a host stops posting metrics.
   *
   * @default AlertStatusOnGone.WARNING - the agent retires its host when a task stops normally,
   * so a gone host is a task that was killed (out of memory, for example): ECS replaces it, but
   * the orphaned host needs a look and a retirement, not a page.
   */
  readonly alertStatusOnGone?: AlertStatusOnGone;
}

/**
 * A container usage alert (CPU or memory, in percent of the container's limit).
 */
export interface ContainerUsageAlertOptions extends RoleAlertOptions {
  /**
   * The WARNING threshold, in percent (0-100).
   *
   * @default 80
   */
  readonly warning?: number;

  /**
   * The CRITICAL threshold, in percent (0-100), above `warning`.
   *
   * @default 90
   */
  readonly critical?: number;

  /**
   * How long the average must stay above a threshold (whole minutes, 1 to 10).
   *
   * @default Duration.minutes(5)
   */
  readonly duration?: Duration;
}

/**
 * The external HTTP alert on the workload's public URL.
 */
export interface UrlAlertOptions extends RoleAlertOptions {
  /** The URL Mackerel requests. */
  readonly url: string;

  /**
   * The status code that counts as success: an HTTP status, 100-599.
   *
   * @default - any 2xx or 3xx
   */
  readonly expectedStatusCode?: number;

  /**
   * The response time above which a WARNING is raised (the service's response-time graph).
   *
   * @default Duration.seconds(3)
   */
  readonly responseTimeWarning?: Duration;

  /**
   * The response time above which a CRITICAL alert is raised.
   *
   * @default Duration.seconds(10)
   */
  readonly responseTimeCritical?: Duration;

  /**
   * How long the response time must stay above a threshold.
   *
   * @default Duration.minutes(5)
   */
  readonly responseTimeDuration?: Duration;

  /**
   * Days before the TLS certificate expires to raise a WARNING (https URLs).
   *
   * @default - `Duration.days(14)` for an https URL; none for a plain http URL, which has no certificate, nor
   *   for a URL whose scheme is known only at deploy time (a parameter)
   */
  readonly certificationExpirationWarning?: Duration;

  /**
   * Days before the TLS certificate expires to raise a CRITICAL alert (https URLs).
   *
   * @default - `Duration.days(3)` for an https URL; none for a plain http URL, which has no certificate, nor
   *   for a URL whose scheme is known only at deploy time (a parameter)
   */
  readonly certificationExpirationCritical?: Duration;
}

/**
 * A threshold alert on a service metric or an expression, which only the user can name.
 */
export interface MetricAlertOptions {
  /** The monitor name. */
  readonly name: string;

  /** How the value is compared with the thresholds. */
  readonly operator: MonitorOperator;

  /**
   * The WARNING threshold. Give at least one of `warning` and `critical`.
   *
   * With both, WARNING must fire first as `operator` compares (below `critical` with `>`, above
   * it with `<`), or synthesis fails: a WARNING past CRITICAL never fires on its own.
   *
   * @default - no WARNING alerts
   */
  readonly warning?: number;

  /**
   * The CRITICAL threshold, past `warning` as `operator` compares.
   *
   * @default - no CRITICAL alerts
   */
  readonly critical?: number;

  /**
   * How often a notification is re-sent while the alert stays open.
   *
   * @default - notifications are not re-sent
   */
  readonly notificationInterval?: Duration;
}

/**
 * A service metric alert on the role's service.
 */
export interface ServiceMetricAlertOptions extends MetricAlertOptions {
  /** The service metric name, e.g. `shop.orders.count`. */
  readonly metric: string;

  /**
   * The number of points averaged (1 to 10).
   *
   * @default 1
   */
  readonly duration?: number;
}

/**
 * An expression alert.
 */
export interface ExpressionAlertOptions extends MetricAlertOptions {
  /** The expression, e.g. `max(role(shop:web, container.memory.*.usage))`. */
  readonly expression: string;
}

/**
 * Where the alerts go.
 */
export interface RoleAlertNotification {
  /**
   * Channels to notify: one notification group is created for them, holding the monitors.
   *
   * @default - no group of their own
   */
  readonly channels?: IChannel[];

  /**
   * A notification group of this app the monitors join (with `addMonitor`).
   *
   * The group then refers to the monitors. A group in another stack than the monitors must not be
   * in the stack of the role (or of its service), which the monitors refer to: the two stacks
   * would refer to each other, and this fails at construction. Create the group in the monitors'
   * stack (or one that depends on it), or route the alerts by service (`NotificationGroup`
   * `services`) instead.
   *
   * @default - none
   */
  readonly notificationGroup?: NotificationGroup;

  /**
   * Whether the alerts go only to these channels and group, and no longer to the organization's
   * default notification group as well. Needs `channels` or `notificationGroup`.
   *
   * @default false
   */
  readonly skipDefault?: boolean;
}

/**
 * Properties of `MackerelMonitoring.forRole`.
 */
export interface RoleMonitoringProps {
  /**
   * The role whose hosts are watched: the `MackerelRole` the agent's tasks join. Give exactly one
   * of `role` and `roleFullName`.
   *
   * @default - the role named by `roleFullName`
   */
  readonly role?: IMackerelRole;

  /**
   * The role whose hosts are watched, as the agent wrote it into `MACKEREL_ROLES`: pass
   * `agent.roles[0]` of a `MackerelContainerAgent`, `MackerelAgentExtension` or
   * `MackerelInstrumentation`, so the role is declared once. Give exactly one of `role` and
   * `roleFullName`.
   *
   * @default - the role given by `role`
   */
  readonly roleFullName?: string;

  /**
   * Where the alerts go.
   *
   * @default - Mackerel's default notification group only
   */
  readonly notify?: RoleAlertNotification;

  /**
   * The connectivity alert.
   *
   * @default - enabled, WARNING when a host is gone
   */
  readonly connectivity?: ConnectivityAlertOptions;

  /**
   * The container CPU alert (`container-cpu%`).
   *
   * @default - enabled, WARNING at 80 %, CRITICAL at 90 % for 5 minutes
   */
  readonly containerCpu?: ContainerUsageAlertOptions;

  /**
   * The container memory alert (`container-memory%`).
   *
   * @default - enabled, WARNING at 80 %, CRITICAL at 90 % for 5 minutes
   */
  readonly containerMemory?: ContainerUsageAlertOptions;

  /**
   * An external HTTP alert on the workload's URL (its response time is recorded on the role's
   * service).
   *
   * @default - none
   */
  readonly url?: UrlAlertOptions;

  /**
   * A service metric alert on the role's service.
   *
   * @default - none
   */
  readonly serviceMetric?: ServiceMetricAlertOptions;

  /**
   * An expression alert.
   *
   * @default - none
   */
  readonly expression?: ExpressionAlertOptions;

  /**
   * The `removalPolicy` of every monitor made here and of the notification group made for
   * `notify.channels` (`RETAIN` leaves them in Mackerel when removed from the stack).
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Sensible Mackerel alerts for an instrumented ECS workload, scoped to its role, in one call:
 * connectivity, container CPU and container memory (each overridable or switched off), and
 * optionally an external HTTP, a service metric and an expression monitor, all wired to the
 * given channels or notification group.
 *
 * Afterwards `monitors` and `monitorsOfKind(kind)` list what was made, and `addMonitor` wires
 * more monitors to the same notification.
 *
 * @example
 * const alerts = MackerelMonitoring.forRole(this, 'WebAlerts', {
 *   role: web,                                                  // the role the agent writes
 *   notify: { channels: [slack] },
 *   containerCpu: { warning: 70, critical: 85 },
 *   url: { url: 'https://shop.example.com/' },
 * });
 * alerts.monitorsOfKind(RoleMonitorKind.CONTAINER_MEMORY);
 */
export class MackerelMonitoring extends Construct {
  /**
   * Creates the default alerts for a role.
   *
   * @param scope the scope of the alerts (one stack, with its `MackerelProvider`)
   * @param id the id of the `MackerelMonitoring` construct
   * @param props the role, where the alerts go and how each is tuned
   */
  public static forRole(scope: Construct, id: string, props: RoleMonitoringProps): MackerelMonitoring {
    return new MackerelMonitoring(scope, id, props);
  }

  /** The role the alerts are scoped to. */
  public readonly role: IMackerelRole;

  /**
   * The notification group made for `notify.channels`, if any.
   *
   * @default - none: no `notify.channels` were given (a `notify.notificationGroup` is the app's own, not this)
   */
  public readonly notificationGroup?: NotificationGroup;

  private readonly created: Array<{ readonly kind: RoleMonitorKind; readonly monitor: IMonitor }> = [];
  private readonly groups: NotificationGroup[] = [];
  private readonly skipDefault: boolean;
  private readonly removalPolicy?: RemovalPolicy;

  private constructor(scope: Construct, id: string, props: RoleMonitoringProps) {
    super(scope, id);
    this.role = roleOf(this, props);
    this.skipDefault = props.notify?.skipDefault ?? false;
    this.removalPolicy = props.removalPolicy;
    _checkRemovalPolicy(this, props.removalPolicy);
    checkSkipDefault(this, props.notify);
    if (props.notify?.channels && props.notify.channels.length > 0) {
      this.notificationGroup = new NotificationGroup(this, 'Notification', {
        name: `${this.role.fullName} alerts`,
        channels: props.notify.channels,
        removalPolicy: this.removalPolicy,
      });
      this.groups.push(this.notificationGroup);
    }
    if (props.notify?.notificationGroup) {
      checkGroupStack(this, this.role, props.notify.notificationGroup);
      this.groups.push(props.notify.notificationGroup);
    }

    this.createConnectivity(props.connectivity ?? {});
    this.createUsage(RoleMonitorKind.CONTAINER_CPU, 'ContainerCpu', 'container-cpu%', 'container CPU', props.containerCpu ?? {});
    this.createUsage(RoleMonitorKind.CONTAINER_MEMORY, 'ContainerMemory', 'container-memory%', 'container memory', props.containerMemory ?? {});
    if (props.url) this.createUrl(props.url);
    if (props.serviceMetric) this.createServiceMetric(props.serviceMetric);
    if (props.expression) this.createExpression(props.expression);
    if (this.created.length === 0) {
      _fail(this, 'connectivity', 'enabled: false', 'switches off the last monitor', 'at least one enabled monitor',
        'Every default monitor is switched off and no other monitor is given');
    }
  }

  /** Every monitor made or added, in the order they were. */
  public get monitors(): IMonitor[] {
    return this.created.map((c) => c.monitor);
  }

  /** The monitors of one kind (empty when that kind is switched off or not asked for). */
  public monitorsOfKind(kind: RoleMonitorKind): IMonitor[] {
    return this.created.filter((c) => c.kind === kind).map((c) => c.monitor);
  }

  /** Wires another monitor to the same channels and group, and lists it under `RoleMonitorKind.OTHER`. */
  public addMonitor(monitor: IMonitor): void {
    this.register(RoleMonitorKind.OTHER, monitor);
  }

  private register(kind: RoleMonitorKind, monitor: IMonitor): void {
    if (this.created.some((c) => c.monitor === monitor)) {
      _fail(this, 'monitor', monitor.node.path, 'is already part of this monitoring', 'each monitor once');
    }
    this.created.push({ kind, monitor });
    for (const group of this.groups) group.addMonitor(monitor, { skipDefault: this.skipDefault });
  }

  /** The role's full name and what is watched; a role of the app is resolved at deploy time. */
  private defaultName(what: string, given?: string): string {
    return given ?? `${this.role.fullName} ${what}`;
  }

  private createConnectivity(options: ConnectivityAlertOptions): void {
    if (options.enabled === false) return;
    this.register(RoleMonitorKind.CONNECTIVITY, new ConnectivityMonitor(this, 'Connectivity', {
      name: this.defaultName('connectivity', options.name),
      scopes: [MonitorScope.fromRole(this.role)],
      alertStatusOnGone: options.alertStatusOnGone ?? AlertStatusOnGone.WARNING,
      notificationInterval: options.notificationInterval,
      removalPolicy: this.removalPolicy,
      memo: options.memo,
    }));
  }

  private createUsage(kind: RoleMonitorKind, id: string, metric: string, what: string, options: ContainerUsageAlertOptions): void {
    if (options.enabled === false) return;
    const property = kind === RoleMonitorKind.CONTAINER_CPU ? 'containerCpu' : 'containerMemory';
    const usage = { warning: 80, critical: 90 };
    _checkWarningFirst(this, property, _PERCENT,
      { name: 'warning', given: options.warning, fallback: usage.warning }, { name: 'critical', given: options.critical, fallback: usage.critical });
    this.register(kind, new HostMetricMonitor(this, id, {
      name: this.defaultName(what, options.name),
      metric,
      operator: MonitorOperator.GREATER_THAN,
      warning: options.warning ?? usage.warning,
      critical: options.critical ?? usage.critical,
      duration: options.duration ?? Duration.minutes(5),
      scopes: [MonitorScope.fromRole(this.role)],
      notificationInterval: options.notificationInterval,
      removalPolicy: this.removalPolicy,
      memo: options.memo,
    }));
  }

  private createUrl(options: UrlAlertOptions): void {
    if (options.enabled === false) return;
    const https = isHttps(options.url);
    const responseTime = { warning: Duration.seconds(3), critical: Duration.seconds(10) };
    const certificate = https ? { warning: Duration.days(14), critical: Duration.days(3) } : undefined;
    _checkWarningFirst(this, 'url', _durationKind(true),
      { name: 'responseTimeWarning', given: options.responseTimeWarning, fallback: responseTime.warning },
      { name: 'responseTimeCritical', given: options.responseTimeCritical, fallback: responseTime.critical });
    _checkWarningFirst(this, 'url', _durationKind(false),
      { name: 'certificationExpirationWarning', given: options.certificationExpirationWarning, fallback: certificate?.warning },
      { name: 'certificationExpirationCritical', given: options.certificationExpirationCritical, fallback: certificate?.critical });
    this.register(RoleMonitorKind.EXTERNAL_HTTP, new ExternalHttpMonitor(this, 'Url', {
      name: this.defaultName('URL', options.name),
      url: options.url,
      service: this.role.service,
      expectedStatusCode: options.expectedStatusCode,
      responseTimeWarning: options.responseTimeWarning ?? responseTime.warning,
      responseTimeCritical: options.responseTimeCritical ?? responseTime.critical,
      responseTimeDuration: options.responseTimeDuration ?? Duration.minutes(5),
      certificationExpirationWarning: options.certificationExpirationWarning ?? certificate?.warning,
      certificationExpirationCritical: options.certificationExpirationCritical ?? certificate?.critical,
      notificationInterval: options.notificationInterval,
      removalPolicy: this.removalPolicy,
      memo: options.memo,
    }));
  }

  private createServiceMetric(options: ServiceMetricAlertOptions): void {
    checkMetricOrder(this, 'serviceMetric', options);
    this.register(RoleMonitorKind.SERVICE_METRIC, new ServiceMetricMonitor(this, 'ServiceMetric', {
      name: options.name,
      service: this.role.service,
      metric: options.metric,
      operator: options.operator,
      warning: options.warning,
      critical: options.critical,
      duration: options.duration ?? 1,
      notificationInterval: options.notificationInterval,
      removalPolicy: this.removalPolicy,
    }));
  }

  private createExpression(options: ExpressionAlertOptions): void {
    checkMetricOrder(this, 'expression', options);
    this.register(RoleMonitorKind.EXPRESSION, new ExpressionMonitor(this, 'Expression', {
      name: options.name,
      expression: options.expression,
      operator: options.operator,
      warning: options.warning,
      critical: options.critical,
      notificationInterval: options.notificationInterval,
      removalPolicy: this.removalPolicy,
    }));
  }
}

/**
 * Refuses a service metric or expression alert whose WARNING threshold fires only after its
 * CRITICAL one, by its operator, as the usage and URL alerts are refused (the monitors alone only
 * warn). Neither has a default threshold, so only a pair the user wrote is compared.
 */
function checkMetricOrder(scope: Construct, property: string, options: MetricAlertOptions): void {
  const kind = _operatorKind(options.operator);
  if (kind === undefined) return;
  _checkWarningFirst(scope, property, kind, { name: 'warning', given: options.warning }, { name: 'critical', given: options.critical });
}

/**
 * Whether the URL is https, read from its literal start: a URL built around a token (an ALB or
 * domain name) still writes its scheme, and schemes are case-insensitive.
 */
function isHttps(url: string): boolean {
  const fragments = Tokenization.reverseString(url);
  const first = fragments.length > 0 ? fragments.firstValue : undefined;
  return typeof first === 'string' && /^https:\/\//i.test(first);
}

/**
 * Refuses `skipDefault` with nothing to notify instead: skipDefault is set per monitor in a
 * notification group, so without a group it would be dropped and the alerts would still reach
 * the default group, the opposite of what was asked.
 */
function checkSkipDefault(scope: Construct, notify: RoleAlertNotification | undefined): void {
  if (notify?.skipDefault !== true || (notify.channels ?? []).length > 0 || notify.notificationGroup) return;
  _fail(scope, 'notify.skipDefault', true, 'is set without channels or a notificationGroup', 'skipDefault only together with notify.channels or notify.notificationGroup',
    'With neither, no group holds the monitors and their alerts still go to the default notification group');
}

/**
 * Refuses a group in another stack than the monitors when that stack holds the role or its
 * service: the group refers to the monitors (group stack -> monitors' stack) and the monitors to
 * the role (monitors' stack -> group stack), which CDK reports only as a generic cyclic reference.
 */
function checkGroupStack(scope: Construct, role: IMackerelRole, group: NotificationGroup): void {
  // A Lazy name is not looked into while the app is built (`_referenceTargets`): it is read once
  // final, in an Aspect, which runs before cross-stack references are made (and CDK reports the cycle).
  _readNowOrOnceFinal(scope, [role.fullName, role.service.name], () => checkGroupStackNow(scope, role, group));
}

function checkGroupStackNow(scope: Construct, role: IMackerelRole, group: NotificationGroup): void {
  const monitors = Stack.of(scope);
  const groupStack = Stack.of(group);
  if (groupStack === monitors) return;
  const held = [..._referenceTargets(scope, role.fullName), ..._referenceTargets(scope, role.service.name)].some((t) => Stack.of(t) === groupStack);
  if (!held) return;
  const shownRole = _knownRoleFullName(role) ?? role.node.path;
  _fail(scope, 'notify.notificationGroup', group.node.path,
    `is in stack ${JSON.stringify(groupStack.node.path)}, which also holds the role ${JSON.stringify(shownRole)} (or its service) that the monitors of stack `
    + `${JSON.stringify(monitors.node.path)} refer to; the group would refer to the monitors, and the two stacks to each other`,
    `a notification group in stack ${JSON.stringify(monitors.node.path)} (or in a stack that depends on it)`,
    `Create the group in stack ${JSON.stringify(monitors.node.path)}, or leave notify.notificationGroup out and route the alerts `
    + `by service (NotificationGroup services) in stack ${JSON.stringify(groupStack.node.path)}`);
}

/** The role of `forRole`, from the construct or from the full name the agent wrote. */
function roleOf(scope: Construct, props: RoleMonitoringProps): IMackerelRole {
  if ((props.role === undefined) === (props.roleFullName === undefined)) {
    // A role made in the app has a token for its full name: show the name it was made with, else its path.
    const shown = props.role && (_knownRoleFullName(props.role) ?? props.role.node.path);
    _fail(scope, 'role', shown, props.role ? `is given together with roleFullName ${JSON.stringify(props.roleFullName)}` : 'is missing, and so is roleFullName',
      'exactly one of role and roleFullName (such as agent.roles[0])');
  }
  if (props.role) return props.role;
  _checkRoleFullName(scope, 'roleFullName', props.roleFullName!);
  const role = MackerelRole.fromFullName(scope, 'Role', props.roleFullName!);
  _importedAs(role, 'roleFullName', 'role: web, or roleFullName: web.fullName');
  return role;
}
