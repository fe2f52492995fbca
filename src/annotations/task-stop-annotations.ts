import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { _knownOnlyOnceFinal, _readingFinal } from '../_lazy';
import { _checkEnum, _fail, _Problem, _refuseOnceFinal, _warnLate } from '../_validation';
import { _annotationRoleNames } from './_roles';
import { _TASK_STOPPED_EVENT, _TaskStoppedSettings } from '../provider/_properties';
import { _requireProvider } from '../provider/_resource';
import { MackerelProvider } from '../provider/provider';
import { _knownServiceName, _namesCreatedWith } from '../service/_known-name';
import { _dependOnServiceAndRoles } from '../service/_named-dependency';
import { IMackerelRole } from '../service/role';
import { IMackerelService } from '../service/service';

const MAX_MERGE_WINDOW = Duration.hours(24);

/**
 * How many times the queue hands a stop over before it goes to the dead-letter queue. The handler
 * hides a failed stop for 30 seconds, doubling at each failure up to 5 minutes (and 5 minutes
 * each time for a stop Mackerel refused, see provider/handler/queue.ts): eight receipts spread a
 * stop's tries over about 22 minutes, where three receipts a visibility timeout apart spread them
 * over half an hour. The rule's input names it, so that a stop that fails at its last receipt goes
 * to the dead-letter queue at once.
 */
const MAX_RECEIVES = 8;

/**
 * Why an ECS task stopped, as far as `TaskStopAnnotations` tells them apart: the task's
 * `stopCode`, and for the scheduler's stops its `stoppedReason`.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
 */
export enum TaskStopCause {
  /** An essential container exited on its own (a crash, an out-of-memory kill): stop code `EssentialContainerExited`. */
  ESSENTIAL_CONTAINER_EXITED = 'ESSENTIAL_CONTAINER_EXITED',
  /** The task never ran (an image that cannot be pulled, a secret that cannot be read): stop code `TaskFailedToStart`. */
  FAILED_TO_START = 'FAILED_TO_START',
  /**
   * The service scheduler replaced a task that failed its load balancer's or its container's
   * health checks: stop code `ServiceSchedulerInitiated` with a reason that starts `Task failed`.
   */
  HEALTH_CHECK_FAILED = 'HEALTH_CHECK_FAILED',
  /** Fargate Spot took the capacity back: stop code `SpotInterruption`. */
  SPOT_INTERRUPTION = 'SPOT_INTERRUPTION',
  /** The task's host was retired or terminated (Fargate maintenance, an EC2 instance going away): stop code `TerminationNotice`. */
  TERMINATION_NOTICE = 'TERMINATION_NOTICE',
  /** ECS stopped the task over a problem of the infrastructure under it: stop code `InfrastructureHealth`. */
  INFRASTRUCTURE_HEALTH = 'INFRASTRUCTURE_HEALTH',
  /** Someone or something called `StopTask`: stop code `UserInitiated`. */
  USER_INITIATED = 'USER_INITIATED',
}

/** A TaskStopAnnotations marking an ECS service's stops: where (Mackerel service and roles), which causes, and whether it merges. */
interface Mark {
  readonly path: string;
  /** The service and roles, read when called: final at validation. */
  readonly where: () => string;
  /** Whether `where` holds a Lazy that is not final yet, so is compared at validation only. */
  readonly pending: boolean;
  /** Whether the ECS service's name holds a Lazy that is not final yet, so is compared by name at validation only. */
  readonly namePending: boolean;
  readonly causes: TaskStopCause[];
  readonly merges: boolean;
  readonly ecsService: ecs.IBaseService;
}

/**
 * App -> the marks of each ECS service, by its name when known at synth, else by the service
 * itself. The handler tells stops apart by the task's ECS group, `service:<name>`, which names no
 * cluster: the stops of two ECS services of one name (in two clusters) share their annotations.
 */
const MARKED = new WeakMap<IConstruct, Map<string | ecs.IBaseService, Mark[]>>();

/** The name of an ECS service as given (or read from an imported ARN), a token or not. */
function givenServiceName(ecsService: ecs.IBaseService): string | undefined {
  const resource = ecsService.node.defaultChild;
  return resource instanceof ecs.CfnService ? resource.serviceName : ecsService.serviceName;
}

/** The name of an ECS service when it is known at synth. */
function literalServiceName(ecsService: ecs.IBaseService): string | undefined {
  const name = givenServiceName(ecsService);
  return name === undefined || Token.isUnresolved(name) ? undefined : name;
}

/** The name of an ECS service as synthesis writes it, when that is a string: read once final, for a Lazy name. */
function finalServiceName(ecsService: ecs.IBaseService): string | undefined {
  const name = givenServiceName(ecsService);
  const resolved = name === undefined ? undefined : Stack.of(ecsService).resolve(name);
  return typeof resolved === 'string' ? resolved : undefined;
}

const STOP_CODES: { readonly [cause: string]: string } = {
  [TaskStopCause.ESSENTIAL_CONTAINER_EXITED]: 'EssentialContainerExited',
  [TaskStopCause.FAILED_TO_START]: 'TaskFailedToStart',
  [TaskStopCause.SPOT_INTERRUPTION]: 'SpotInterruption',
  [TaskStopCause.TERMINATION_NOTICE]: 'TerminationNotice',
  [TaskStopCause.INFRASTRUCTURE_HEALTH]: 'InfrastructureHealth',
  [TaskStopCause.USER_INITIATED]: 'UserInitiated',
};

/**
 * Properties of `TaskStopAnnotations`.
 */
export interface TaskStopAnnotationsProps {
  /**
   * The service whose graphs show the stops.
   */
  readonly service: IMackerelService;

  /**
   * Roles of `service` whose graphs show the stops, such as the role of the tasks' agent.
   *
   * @default - the whole service
   */
  readonly roles?: IMackerelRole[];

  /**
   * The ECS services whose task stops are marked (at least one, each once). Each must be in this stack's
   * account and region, where ECS sends its events.
   */
  readonly ecsServices: ecs.IBaseService[];

  /**
   * Which stops are marked, each cause once. The scheduler's own stops (a deploy replacing
   * tasks, a scale-in) are never marked: `DeploymentAnnotation` marks deploys.
   *
   * @default - ESSENTIAL_CONTAINER_EXITED, FAILED_TO_START and HEALTH_CHECK_FAILED: the stops
   *   that mean something is wrong with the workload
   */
  readonly causes?: TaskStopCause[];

  /**
   * Stops of one ECS service within this time of the last one marked are added to its
   * annotation (its count, its time span and its list of tasks) instead of making a new one, so
   * a crash loop or a failed rollout draws one mark. `Duration.seconds(0)` marks every stop on
   * its own. Whole seconds, at most 24 hours, known at synth.
   *
   * @default Duration.minutes(10)
   */
  readonly mergeWindow?: Duration;
}

/**
 * Marks ECS task stops on Mackerel's graphs: whenever a task of one of `ecsServices` stops for
 * one of `causes`, a graph annotation on `service` (and `roles`) says which task stopped, why,
 * and each container's exit code and reason, such as `OutOfMemoryError`. Stops close together
 * are merged into one annotation (see `mergeWindow`).
 *
 * One EventBridge rule per ECS cluster sends ECS's "ECS Task State Change" events to a FIFO
 * queue, in one message group, which the stack's `MackerelProvider` handler reads: the stops
 * are marked one after another, so a burst of them (a failed rollout) merges
 * into one annotation instead of racing, and an event delivered twice within five minutes is
 * dropped by the queue. Two of them cannot both merge the stops of one ECS service (or of two ECS
 * services of one name, in two clusters, whose stops share annotations) on the same graphs: their
 * merges would overwrite each other's.
 *
 * A stop the handler fails to mark (Mackerel answered 5xx or 429, or did not answer in time) is
 * tried again after 30 seconds, then 1, 2 and 4 minutes, then every 5 minutes: the handler
 * shortens the queue's 15-minute visibility timeout (which must cover the handler's whole run) for
 * it with SQS ChangeMessageVisibility, as the queue's one message group holds back the stops
 * queued after it until it is marked. A stop Mackerel refused (a 4xx other than 408 and 429),
 * which the same request gets again, is tried every 5 minutes. The stops after it in its batch
 * are marked meanwhile, and it joins its annotation in time order if a retry succeeds. At its
 * eighth failure (about 22 minutes after the first; 35 minutes for a refused stop; 15 minutes more
 * a failure when the handler could not shorten the wait, as when its run timed out) it goes to a
 * dead-letter queue at once (kept 14 days, and deleted with the construct), which frees the stops
 * behind it.
 *
 * No CloudFormation resource is created in Mackerel, so nothing is deleted with
 * the construct: the annotations stay as the history (Mackerel deletes them with their service).
 *
 * @example
 * new TaskStopAnnotations(this, 'Crashes', { service: shop, roles: [web], ecsServices: [api.service] });
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
export class TaskStopAnnotations extends Construct {
  /** The EventBridge rules, one per ECS cluster of `ecsServices`. */
  public readonly rules: events.Rule[];

  /** The FIFO queue between the rules and the provider handler. */
  public readonly queue: sqs.IQueue;

  /**
   * Where stops the handler failed to mark eight times are kept, for 14 days: the failed stops
   * alone, as the stops after one in its batch are marked meanwhile (it holds up only the stops
   * queued after its batch, until it is marked or moved here).
   */
  public readonly deadLetterQueue: sqs.IQueue;

  constructor(scope: Construct, id: string, props: TaskStopAnnotationsProps) {
    super(scope, id);
    if (props.ecsServices.length === 0) {
      _fail(this, 'ecsServices', [], 'is empty', 'at least one ECS service whose task stops to mark');
    }
    const causes = props.causes ?? [TaskStopCause.ESSENTIAL_CONTAINER_EXITED, TaskStopCause.FAILED_TO_START, TaskStopCause.HEALTH_CHECK_FAILED];
    checkCauses(this, causes);
    const mergeWindow = props.mergeWindow ?? Duration.minutes(10);
    checkMergeWindow(this, mergeWindow);
    props.ecsServices.forEach((service, i) => {
      // The rule matches a stop by its cluster's ARN: a service imported by ARN alone has no cluster.
      if (!service.cluster) {
        _fail(this, `ecsServices[${i}]`, service.node.path, 'has no cluster (an ECS service imported by its ARN alone)', 'an ECS service with its cluster',
          'Import it with FargateService.fromFargateServiceAttributes(scope, id, { cluster, serviceArn }) or Ec2Service.fromEc2ServiceAttributes');
      }
      checkSameEnvironment(this, `ecsServices[${i}]`, service);
      // A second mention would only be warned about as marked twice, by this very construct.
      if (props.ecsServices.indexOf(service) < i) _fail(this, `ecsServices[${i}]`, service.node.path, 'is given twice', 'each ECS service once');
    });
    const roleNames = _annotationRoleNames(this, props.roles ?? [], props.service);
    // By the service's name when known: the construct (its Ref) and fromName of its name are one service.
    // A role name given as a Lazy (a MackerelRole created with one) by the name it ends with, read once final, as a literal of it is.
    const roleKey = (name: string) => {
      const final = Token.isUnresolved(name) && _readingFinal() ? Stack.of(this).resolve(name) : name;
      return typeof final === 'string' ? final : name;
    };
    const where = () => `${_knownServiceName(props.service) ?? props.service.name}|${roleNames.map(roleKey).sort().join(',')}`;
    // A MackerelService created with a Lazy name has its Ref as name, which holds no Lazy: its name is known only once final all the same.
    const serviceNames = [props.service.name, ..._namesCreatedWith(props.service)];
    const pending = [...serviceNames, ...roleNames].some((name) => _knownOnlyOnceFinal(this, name));
    this.checkMarkedTwice(props.ecsServices, where, pending, causes, mergeWindow.toSeconds() > 0);

    const byCluster = new Map<ecs.ICluster, ecs.IBaseService[]>();
    for (const service of props.ecsServices) byCluster.set(service.cluster, [...(byCluster.get(service.cluster) ?? []), service]);
    this.rules = [...byCluster].map(([cluster, services], i) => new events.Rule(this, byCluster.size === 1 ? 'Rule' : `Rule${i + 1}`, {
      description: `cdk-mackerel: marks ECS task stops (${causes.join(', ')}) on Mackerel's graphs`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [cluster.clusterArn],
          group: services.map((service) => `service:${service.serviceName}`),
          lastStatus: ['STOPPED'],
          ...causePattern(causes),
        },
      },
    }));

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', { fifo: true, enforceSSL: true, retentionPeriod: Duration.days(14) });
    this.queue = new sqs.Queue(this, 'Stops', {
      fifo: true,
      // Repeated deliveries of one event have the same body: the queue drops them for five minutes.
      contentBasedDeduplication: true,
      enforceSSL: true,
      // Longer than the handler may run (at most 14 minutes, MackerelProvider's timeout). A stop
      // that fails comes back sooner: the handler shortens its visibility (provider/handler/queue.ts).
      visibilityTimeout: Duration.minutes(15),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVES },
    });
    const settings: _TaskStoppedSettings = {
      cdkMackerel: _TASK_STOPPED_EVENT,
      service: props.service.name,
      ...(roleNames.length > 0 ? { roles: roleNames } : {}),
      mergeWindowSeconds: mergeWindow.toSeconds(),
      // The handler changes a failed message's visibility by its queue's URL. The event source's
      // grant (consume messages) already allows sqs:ChangeMessageVisibility on this queue.
      queueUrl: this.queue.queueUrl,
      // And its last receipt, at which the handler sends a failed stop to the dead-letter queue at once.
      maxReceiveCount: MAX_RECEIVES,
    };
    const input = events.RuleTargetInput.fromObject({ ...settings, detail: events.EventField.fromPath('$.detail') });
    this.rules.forEach((rule) => rule.addTarget(new targets.SqsQueue(this.queue, {
      message: input,
      // One group for every rule: the queue hands the stops to the handler one batch at a time, in
      // order, so that an ECS service of one name on two clusters, marked on the same graphs,
      // cannot race its own merges either. Stops are few; one group does not hold them up.
      messageGroupId: 'stops',
      maxEventAge: Duration.hours(1),
      retryAttempts: 2,
    })));
    MackerelProvider._withProvider(this, (provider) => {
      provider.handler.addEventSource(new sources.SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true }));
    });
    _requireProvider(this, 'TaskStopAnnotations', ', whose handler marks the stops');
    // Mackerel refuses an annotation on a service or role that does not exist: the rules start
    // sending stops once those this stack creates are there. The rules only: the queue is read by
    // the provider handler, on which every Mackerel service and role waits.
    for (const rule of this.rules) _dependOnServiceAndRoles(rule, props.service, props.roles ?? []);
  }

  /**
   * Each construct has its own queue, so two that mark one ECS service's stops on the same graphs
   * run at once. Two that both merge (read an annotation, then write it back with the stop) would
   * overwrite each other's stops, as Mackerel has no conditional update: refused. A construct that
   * does not merge only posts, which loses nothing; but a stop of a cause both mark may then be
   * marked by each, as neither sees the other's mark in time: warned about.
   */
  private checkMarkedTwice(ecsServices: ecs.IBaseService[], where: () => string, pending: boolean, causes: TaskStopCause[], merges: boolean): void {
    const marked = MARKED.get(this.node.root) ?? new Map<string | ecs.IBaseService, Mark[]>();
    MARKED.set(this.node.root, marked);
    ecsServices.forEach((ecsService, i) => {
      const name = literalServiceName(ecsService);
      const marks = marked.get(name ?? ecsService) ?? [];
      const problem = this.markedTwice(i, ecsService, name, marks.filter((mark) => !pending && !mark.pending), where(), causes, merges);
      if (problem) _fail(this, ...problem);
      // A service of a Lazy name is compared by its token until the app is built: by the name it ends with at validation.
      const later = marks.filter((mark) => pending || mark.pending);
      if (later.length > 0) _refuseOnceFinal(this, () => this.markedTwice(i, ecsService, name, later, where(), causes, merges));
      // An ECS service of a Lazy name is kept apart from the others until the app is built: compared by the name it ends with at validation.
      const given = givenServiceName(ecsService);
      const namePending = name === undefined && given !== undefined && _knownOnlyOnceFinal(this, given);
      const byName = [...marked.values()].flat().filter((mark) => mark.ecsService !== ecsService && (namePending || mark.namePending));
      if (byName.length > 0) {
        _refuseOnceFinal(this, () => {
          const final = finalServiceName(ecsService);
          const same = byName.filter((mark) => final !== undefined && finalServiceName(mark.ecsService) === final);
          return same.length > 0 ? this.markedTwice(i, ecsService, final, same, where(), causes, merges) : undefined;
        });
      }
      marked.set(name ?? ecsService, [...marks, { path: this.node.path, where, pending, namePending, causes, merges, ecsService }]);
    });
  }

  /**
   * Compares this construct's mark of `ecsServices[i]` with the earlier `marks` of the same ECS
   * service name: warns about an overlap of causes, and returns the problem of two that merge.
   */
  private markedTwice(i: number, ecsService: ecs.IBaseService, name: string | undefined, marks: Mark[], where: string, causes: TaskStopCause[],
    merges: boolean): _Problem | undefined {
    // This construct's own mark of another ECS service of the same name is not a second marker: its one queue and
    // message group hand the stops of both to the handler in order, so their merges never run at once.
    const others = marks.filter((mark) => mark.path !== this.node.path && mark.where() === where);
    // Another ECS service of the same name: its stops go to the same annotations (service:<name>).
    const via = (mark: Mark) => (mark.ecsService === ecsService ? ''
      : ` (for ECS service ${mark.ecsService.node.path}, of the same name: the stops of both are marked as service:${name}, on the same annotations)`);
    const overlapping = others.find((mark) => mark.causes.some((cause) => causes.includes(cause)));
    const merging = merges ? others.find((mark) => mark.merges) : undefined;
    if (merging) {
      return [`ecsServices[${i}]`, ecsService.node.path, `is also marked by ${merging.path}${via(merging)} on the same Mackerel service and roles, and both merge stops `
        + '(a mergeWindow above 0): each reads its stops from its own queue, so their merges into the same annotation would run at once and '
        + 'overwrite each other\'s stops', 'an ECS service marked on the same graphs by one TaskStopAnnotations that merges',
      'Give the ECS service one TaskStopAnnotations with every cause it needs, or a mergeWindow of Duration.seconds(0) to all but one'];
    }
    if (overlapping) {
      // Late: at validation when a Lazy name made the marks comparable only then.
      _warnLate(this, 'cdk-mackerel:taskStopsMarkedTwice',
        `ECS service ${ecsService.node.path} is also marked by ${overlapping.path}${via(overlapping)} on the same Mackerel service and roles, for some of the same causes: `
        + 'the two read their stops from two queues, so a stop of a cause both mark may be marked twice. '
        + 'Give the ECS service one TaskStopAnnotations with every cause it needs, or each its own causes');
    }
    return undefined;
  }
}

/** The part of the pattern that picks the causes: stop codes, and the scheduler's health check replacements. */
function causePattern(causes: TaskStopCause[]): { [key: string]: unknown } {
  // Each cause is given once (checkCauses), and each has its own stop code.
  const codes = causes.filter((c) => c !== TaskStopCause.HEALTH_CHECK_FAILED).map((c) => STOP_CODES[c]);
  const health = { stopCode: ['ServiceSchedulerInitiated'], stoppedReason: [{ prefix: 'Task failed' }] };
  if (!causes.includes(TaskStopCause.HEALTH_CHECK_FAILED)) return { stopCode: codes };
  if (codes.length === 0) return health;
  return { $or: [{ stopCode: codes }, health] };
}

function checkCauses(scope: IConstruct, causes: TaskStopCause[]): void {
  if (causes.length === 0) {
    _fail(scope, 'causes', [], 'is empty, so no stop would be marked', 'at least one TaskStopCause', 'Leave it out for the stops that mean something is wrong');
  }
  causes.forEach((cause, i) => {
    _checkEnum(scope, `causes[${i}]`, cause, TaskStopCause);
    // Surely a slip for another cause, as a role named twice is; never dropped silently.
    if (causes.indexOf(cause) < i) _fail(scope, `causes[${i}]`, cause, 'is given twice', 'each TaskStopCause once');
  });
}

function checkMergeWindow(scope: IConstruct, window: Duration): void {
  if (window.isUnresolved()) {
    _fail(scope, 'mergeWindow', `Duration.${window.unitLabel()}(<token>)`, 'is only known at deploy time', 'a fixed duration, from 0 seconds to 24 hours');
  }
  const seconds = window.toSeconds({ integral: false });
  if (!Number.isInteger(seconds)) {
    _fail(scope, 'mergeWindow', window.toHumanString(), 'is not a whole number of seconds', 'from 0 seconds to 24 hours, in whole seconds');
  }
  if (seconds > MAX_MERGE_WINDOW.toSeconds()) {
    _fail(scope, 'mergeWindow', window.toHumanString(), 'is longer than 24 hours', 'from 0 seconds to 24 hours, in whole seconds');
  }
}

/**
 * ECS sends a task's events to the default event bus of the service's own account and region only.
 * A service imported by name is given its stack's environment, whatever its cluster's ARN says:
 * that ARN, when known at synth, is checked too.
 */
function checkSameEnvironment(scope: IConstruct, property: string, service: ecs.IBaseService): void {
  const stack = Stack.of(scope);
  const clusterArn = service.cluster.clusterArn;
  const cluster = Token.isUnresolved(clusterArn) ? null : /^arn:[^:]*:ecs:([^:]*):([^:]*):/.exec(clusterArn);
  const places = [
    ['region', service.env.region, stack.region, ''],
    ['account', service.env.account, stack.account, ''],
    ['region', cluster?.[1], stack.region, `on cluster ${clusterArn} of `],
    ['account', cluster?.[2], stack.account, `on cluster ${clusterArn} of `],
  ] as const;
  for (const [what, theirs, ours, where] of places) {
    if (theirs !== undefined && !Token.isUnresolved(theirs) && !Token.isUnresolved(ours) && theirs !== ours) {
      _fail(scope, property, service.node.path, `is ${where || 'in '}${what} ${theirs}, and ECS sends its task events only to the event bus of its own account and region`,
        `an ECS service in ${what} ${ours}, as this stack`, 'Put a TaskStopAnnotations (and a MackerelProvider) in a stack of the service\'s account and region');
    }
  }
}
