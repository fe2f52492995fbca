import { Stack, Stage, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _readingFinalValues } from '../_lazy';
import { _describeProblem, _epochSeconds, _fail, _warnLate } from '../_validation';
import { _checkOneOf, _checkRange, _renderScopes } from './_checks';
import { _scopeKey, _serviceOfKnownScopes, _shownScope, _warnOnRepeatedScopes } from './_scope';
import { _warnOnThresholdOrder } from './_threshold-order';
import { AnomalySensitivity } from './enums';
import { MonitorBase, MonitorBaseProps } from './monitor-base';
import { MonitorScope } from './scope';
import { MackerelContainerAgent } from '../agent/container-agent';
import { MackerelProvider } from '../provider/provider';
import { _warnScopedKeptWithDeletedService } from '../service/_kept-with-service';
import { _knownRoleFullNameOf } from '../service/_known-name';
import { _addLookupValidation, _firstInOrganization, _keyedConstructAdded, _KeyedKind } from '../service/_unique';

/** How large a deviation each sensitivity alerts on, as a rank: a sensitive monitor alerts on the smallest. */
const DEVIATION: { [sensitivity in AnomalySensitivity]: number } = {
  [AnomalySensitivity.SENSITIVE]: 1,
  [AnomalySensitivity.NORMAL]: 2,
  [AnomalySensitivity.INSENSITIVE]: 3,
};

/**
 * Properties of an `AnomalyDetectionMonitor`.
 */
export interface AnomalyDetectionMonitorProps extends MonitorBaseProps {
  /** The monitor name, shown in alerts. Must not be empty. */
  readonly name: string;

  /**
   * The roles whose hosts are watched: at least one, roles only (`service:role`).
   *
   * Each once: a role given twice gets the synth warning `cdk-mackerel:monitorScopeRedundant`.
   * There is no `excludeScopes`: Mackerel's field tables and its clients have none for this type
   * (only one line of the English error table names it), so list the roles to watch instead.
   *
   * Mackerel allows one anomaly detection monitor per role: a role that another
   * `AnomalyDetectionMonitor` of the app watches, in the same organization, fails synthesis (a
   * role named by a token known only at deploy time is compared within its stack only). The
   * rule is in Mackerel's guide, not in its API reference's errors, so what a deploy meets is not
   * known where two monitors watch a role for a while: a construct moved to a new id or stack is
   * created before CloudFormation deletes the old one, and a role moved from one monitor to
   * another may reach the second before it leaves the first. Should Mackerel refuse it, the
   * deploy rolls back: remove the role (or the monitor) in one deploy and add it back in the next.
   *
   * Mackerel watches only hosts running mackerel-agent, and learns from that agent's system
   * metrics: the ECS tasks that the Mackerel container agent registers as hosts post `container.*`
   * metrics instead. A role that a `MackerelContainerAgent`, `MackerelAgentExtension` or
   * `MackerelInstrumentation` of the monitor's Stage gives its tasks, in the same organization, gets
   * the synth warning `cdk-mackerel:anomalyDetectionContainerAgent` (roles known only at deploy
   * time are not compared; another Stage, synthesized on its own, is not looked into). Watch such tasks with a `HostMetricMonitor` on `container-cpu%` and `container-memory%`.
   *
   * @see https://mackerel.io/docs/entry/howto/anomaly-detection-for-roles
   */
  readonly scopes: MonitorScope[];

  /**
   * How readily a WARNING alert is raised.
   *
   * Give at least one of `warningSensitivity` and `criticalSensitivity`. With both, WARNING must be
   * the more sensitive, or a deviation that raises it already raises CRITICAL and WARNING alerts
   * never fire on their own: such a pair gets the synth warning `cdk-mackerel:warningAfterCritical`.
   *
   * @default - no WARNING alerts
   */
  readonly warningSensitivity?: AnomalySensitivity;

  /**
   * How readily a CRITICAL alert is raised.
   *
   * Give at least one of `warningSensitivity` and `criticalSensitivity`.
   *
   * @default - no CRITICAL alerts
   */
  readonly criticalSensitivity?: AnomalySensitivity;

  /**
   * How many checks in a row must be anomalous before an alert is raised: 1-10.
   *
   * @default - Mackerel's default for anomaly detection, 3
   */
  readonly maxCheckAttempts?: number;

  /**
   * Learn only from data after this time (for example after a change that made old data
   * irrelevant). Must not be in the future, and in whole seconds: Mackerel takes epoch seconds,
   * so a fraction of a second is refused rather than dropped, as for a downtime's `start`.
   *
   * Give a fixed date (`new Date('2026-01-01T00:00:00Z')`, the day of the change), never one
   * computed from the clock (`new Date(Date.now() - ...)`): that changes at every synth, so every
   * deploy updates the monitor, and each new date makes Mackerel train the model again, at once,
   * on the data from that date on. Change the date when the workload changes, as a deliberate
   * retraining.
   *
   * @default - all available data
   * @see https://mackerel.io/docs/entry/howto/anomaly-detection-for-roles
   */
  readonly trainingPeriodFrom?: Date;
}

/**
 * An anomaly detection monitor for roles (`Custom::MackerelMonitor` of type
 * `anomalyDetection`): Mackerel learns the usual behaviour of the hosts of its roles and alerts
 * on deviations.
 *
 * @see https://mackerel.io/api-docs/entry/monitors#create-anomaly-detection-for-roles
 *
 * @example
 * new AnomalyDetectionMonitor(this, 'Anomaly', {
 *   name: 'web anomaly', scopes: [MonitorScope.fromRole(web)],
 *   warningSensitivity: AnomalySensitivity.NORMAL,
 * });
 */
export class AnomalyDetectionMonitor extends MonitorBase {
  /** The anomaly detection monitors of the app by the roles they watch (`_roleKeys`). */
  private static readonly BY_ROLE: _KeyedKind = { keysOf: (other) => (other instanceof AnomalyDetectionMonitor ? other._roleKeys : []) };

  /** The Mackerel monitor ID: a reference to the resource (its `Ref`). */
  public readonly monitorId: string;

  /**
   * The roles watched, as `_scopeKey` gives them, for the one-monitor-per-role check.
   * @internal
   */
  public readonly _roleKeys: string[];

  constructor(scope: Construct, id: string, props: AnomalyDetectionMonitorProps) {
    super(scope, id, props);
    this._checkName(props.name);
    if (props.scopes.length === 0) {
      _fail(this, 'scopes', props.scopes, 'is empty', 'at least one role (service:role)');
    }
    this.checkSensitivities(props);
    _checkRange(this, 'maxCheckAttempts', props.maxCheckAttempts, { min: 1, max: 10 });
    this.monitorId = this._createMonitor({
      type: 'anomalyDetection',
      name: props.name,
      scopes: _renderScopes(this, 'scopes', props.scopes, true),
      warningSensitivity: props.warningSensitivity,
      criticalSensitivity: props.criticalSensitivity,
      maxCheckAttempts: props.maxCheckAttempts,
      trainingPeriodFrom: this.renderTrainingPeriodFrom(props.trainingPeriodFrom),
    }, _serviceOfKnownScopes(props.scopes), true);
    _warnOnRepeatedScopes(this, props.scopes);
    _warnScopedKeptWithDeletedService(this, props.scopes, 'anomaly detection monitor');
    this._roleKeys = props.scopes.map(_scopeKey);
    _keyedConstructAdded();
    _addLookupValidation(this, () => this.rolesWatchedElsewhere(props.scopes));
    // Late: an Aspect adds its agents after this constructor, before validation.
    this.node.addValidation({ validate: () => _readingFinalValues(() => this.warnOnContainerAgentRoles()) });
  }

  /**
   * Warns about each role of `scopes` that a `MackerelContainerAgent` of the monitor's Stage (also
   * made by `MackerelAgentExtension` and `MackerelInstrumentation`) registers its hosts in, in the
   * same organization. Mackerel's guide to anomaly detection for roles takes only hosts running
   * mackerel-agent (Linux, and Windows as an experiment) and learns from that agent's system
   * metrics (loadavg, cpu, memory, disk, interface, filesystem); the container agent posts
   * `container.*` and interface metrics, and a role holding hosts outside those it takes may fail
   * training. A warning: the role may also hold hosts running mackerel-agent. Roles known only at
   * deploy time, on either side, are not compared.
   */
  private warnOnContainerAgentRoles(): string[] {
    const provider = MackerelProvider._tryFind(this);
    // The monitor's own Stage only: another Stage is synthesized on its own, with its Aspects, before
    // or after this one by its place in the tree, so its Aspect-made agents may not exist yet.
    const stage = Stage.of(this);
    const agents = (stage ?? this.node.root).node.findAll().filter((c): c is MackerelContainerAgent => c instanceof MackerelContainerAgent
      && Stage.of(c) === stage && (!provider || provider._reaches(c._reportsTo.apiKey, c._reportsTo.apiBase)));
    this._roleKeys.forEach((key, i) => {
      // Known as the agents' roles are: a role imported by a MackerelRole's fullName is that role.
      const known = _knownRoleFullNameOf(key);
      if (known === undefined) return;
      const agent = agents.find((a) => a.roles.some((role) => _knownRoleFullNameOf(role) === known));
      if (!agent) return;
      _warnLate(this, 'cdk-mackerel:anomalyDetectionContainerAgent',
        `scopes[${i}] ${JSON.stringify(known)} is a role the Mackerel container agent ${agent.node.path} registers its ECS tasks in, as hosts. `
        + 'Anomaly detection for roles takes only hosts running mackerel-agent and learns from its system metrics (loadavg, cpu, memory, '
        + 'disk, interface, filesystem); the container agent posts container.* metrics instead, so these hosts are not watched, and Mackerel '
        + 'says training may fail for a role holding hosts it does not take. Watch the tasks with HostMetricMonitor on container-cpu% and '
        + 'container-memory%, or scope this monitor to roles of hosts running mackerel-agent');
    });
    return [];
  }

  /**
   * Mackerel allows one anomaly detection monitor per role (its guide to anomaly detection for
   * roles): each role of `scopes` that an earlier monitor of the app, in the same organization,
   * also watches. A role named by a token of unknown name matches only itself, and only in the
   * same stack: one token may stand for other roles in other stacks (`shop:web-${Aws.REGION}`
   * names each stack's own role).
   */
  private rolesWatchedElsewhere(scopes: MonitorScope[]): string[] {
    const stack = Stack.of(this);
    return this._roleKeys.flatMap((key, i) => {
      const first = _firstInOrganization(this, AnomalyDetectionMonitor.BY_ROLE, key,
        (other) => !Token.isUnresolved(key) || Stack.of(other) === stack);
      if (first === undefined || first === this) return [];
      return [_describeProblem(`scopes[${i}]`, _shownScope(this, scopes[i]), `is also a scope of the anomaly detection monitor ${first.node.path}`,
        'one anomaly detection monitor per role', 'Mackerel allows no more; give the role once, in one of the two monitors')];
    });
  }

  private checkSensitivities(props: AnomalyDetectionMonitorProps): void {
    const allowed = Object.values(AnomalySensitivity);
    _checkOneOf(this, 'warningSensitivity', props.warningSensitivity, allowed);
    _checkOneOf(this, 'criticalSensitivity', props.criticalSensitivity, allowed);
    if (props.warningSensitivity === undefined && props.criticalSensitivity === undefined) {
      _fail(this, 'warningSensitivity', undefined, 'and criticalSensitivity are both missing', 'at least one of warningSensitivity and criticalSensitivity');
    }
    // Ranked by the deviation each needs: a larger one is worse, and WARNING must need less.
    const deviation = (sensitivity?: AnomalySensitivity) => (sensitivity === undefined ? undefined : DEVIATION[sensitivity]);
    const shown = (sensitivity?: AnomalySensitivity) => JSON.stringify(sensitivity);
    _warnOnThresholdOrder(this,
      { name: 'warningSensitivity', value: deviation(props.warningSensitivity), shown: shown(props.warningSensitivity) },
      { name: 'criticalSensitivity', value: deviation(props.criticalSensitivity), shown: shown(props.criticalSensitivity) },
      { higherIsWorse: true, words: 'more sensitive than' });
  }

  /** Whole epoch seconds, as a downtime's start is (`_epochSeconds`), and not in the future. */
  private renderTrainingPeriodFrom(from: Date | undefined): number | undefined {
    if (from === undefined) return undefined;
    // A past example: the downtime's, a start to come, would be refused here as in the future.
    const seconds = _epochSeconds(this, 'trainingPeriodFrom', from, 'new Date(\'2026-01-01T00:00:00Z\')',
      'one taken from the clock changes at every synth, and each change makes the deploy update the monitor and Mackerel train again from the new date',
      'a past Date such as new Date(\'2026-01-01T00:00:00Z\')');
    if (seconds * 1000 > Date.now()) {
      _fail(this, 'trainingPeriodFrom', from.toISOString(), 'is in the future', 'a date in the past');
    }
    return seconds;
  }
}
