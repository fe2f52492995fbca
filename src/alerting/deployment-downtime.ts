import { Duration, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { _checkDowntimeName, _downtimeMinutes, _renderDowntimeScopes } from './_downtime-scopes';
import { DowntimeScopeOptions } from './downtime';
import { _fail } from '../_validation';
import { _deployRevision, _orderWithEcsServices } from '../annotations/_deploys';
import { _warnOnLongMemo } from '../monitors/_checks';
import { _DeploymentDowntimeProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';

/** A deploy that takes longer than a day is stuck: its alerts should not stay muted. */
const MAX_DURATION = Duration.hours(24);

/**
 * Properties of a `DeploymentDowntime`.
 */
export interface DeploymentDowntimeProps extends DowntimeScopeOptions {
  /**
   * The downtime name. Must not be empty.
   *
   * @default - `deploy <stack name>`
   */
  readonly name?: string;

  /**
   * How long the downtime lasts from the start of each deploy: whole minutes, from 1 minute to
   * 24 hours. Long enough for the rollout (ECS replaces the tasks, and the new ones pass their
   * health checks) and short enough that a real outage after it is not missed.
   *
   * @default Duration.minutes(30)
   */
  readonly duration?: Duration;

  /**
   * A value that changes with each release, such as the commit or the image tag: a deploy that
   * changes it starts the downtime. A deploy that does not, leaves its start as it is, and a
   * change of the other properties (name, memo, duration, scopes) applies to it where it is.
   *
   * @default - a hash of the properties of the stack's ECS task definitions as synthesized,
   *   followed by the deploy-time values of the template parameters they use (an image tag, an
   *   SSM parameter's value; not NoEcho ones, which Mackerel would show), so that a deploy that
   *   changes one (a new image, environment or size) starts the downtime; a stack without task definitions fails synthesis and needs a
   *   revision
   */
  readonly revision?: string;
}

/**
 * Mutes alerts while a deploy rolls out: a Mackerel downtime (`Custom::MackerelDeploymentDowntime`)
 * that starts when a deploy changes `revision` and lasts `duration`. Every ECS service of the
 * stack waits for it, so it starts before their tasks are replaced; those of a nested stack are
 * not covered, as a nested stack deploys as one resource of its parent (a warning says so, unless
 * this one has a revision and the nested stack is made to depend on it). In a stack where nothing
 * waits for it (no ECS service), it starts whenever CloudFormation reaches it, and a warning says so.
 *
 * It is one downtime, moved to the start of each deploy that changes its revision (a rollback
 * to the previous revision moves it too, covering the way back), and deleted with the construct. Scope it as any
 * `Downtime`: to the roles or services the deploy replaces, or to the monitors that a rollout sets
 * off (a running task count, an error rate).
 *
 * @example
 * new DeploymentDowntime(this, 'QuietDeploys', { scopes: [MonitorScope.fromRole(web)], duration: Duration.minutes(20) });
 *
 * @see https://mackerel.io/docs/entry/howto/downtimes
 */
export class DeploymentDowntime extends Construct {
  /** The Mackerel downtime ID, a reference to the resource (its `Ref`). */
  public readonly downtimeId: string;

  constructor(scope: Construct, id: string, props: DeploymentDowntimeProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    _checkDowntimeName(this, props.name, 'Leave it out for `deploy <stack name>`');
    _warnOnLongMemo(this, props.memo, 'a downtime');
    const duration = props.duration ?? Duration.minutes(30);
    const minutes = _downtimeMinutes(this, duration);
    if (!Token.isUnresolved(minutes) && minutes > MAX_DURATION.toMinutes()) {
      _fail(this, 'duration', duration.toHumanString(), 'is longer than 24 hours, so alerts of a deploy that gets stuck would stay muted',
        'from 1 minute to 24 hours');
    }
    const properties: _DeploymentDowntimeProperties = {
      name: props.name ?? `deploy ${stack.stackName}`,
      memo: props.memo,
      duration: minutes,
      revision: _deployRevision(this, props.revision, 'start the downtime'),
      ..._renderDowntimeScopes(this, props),
    };
    const resource = _createMackerelResource(this, _RESOURCE_TYPES.DEPLOYMENT_DOWNTIME, { ...properties }, props.removalPolicy);
    this.downtimeId = resource.ref;
    _orderWithEcsServices(this, resource, {
      when: 'before',
      what: 'this downtime',
      kind: 'DeploymentDowntime',
      nestedWarning: 'cdk-mackerel:deploymentDowntimeNestedStack',
      nestedMisses: 'neither goes before nor follows in its default revision',
      revisionGiven: props.revision !== undefined,
      unorderedWarning: 'cdk-mackerel:deploymentDowntimeWithoutEcsService',
    });
  }
}
