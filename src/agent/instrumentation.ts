import { AspectPriority, Aspects, CfnResource, IAspect, Stage } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import { IConstruct } from 'constructs';
import { _shownList } from '../_shown';
import { _info, _warnLate } from '../_validation';
import { _aspectConfig, _probeFits, _warnConfigReplaced, _warnProbeNotApplied } from './_aspect-config';
import { _findAgent, _windowsFamily } from './_attach';
import { _cfnAgentOf } from './_cfn-agent';
import { _cpuRoomProblem } from './_checks';
import { _recheckCfnHandAgent, _recheckHandAgent } from './_hand-agent-recheck';
import { _instrumentationProblems } from './_post-conditions';
import { _sameOptions, _TokenReader, _warnUnlessSameOptions } from './_same-options';
import { _stagesNotReached, _stageWarningCarrier } from './_stage-reach';
import { _agentAddedByHand, _handAgentSign } from './_task-checks';
import { MackerelAgentConfig } from './config';
import { _hasAgentSettings } from './config/_render';
import { MackerelContainerAgent } from './container-agent';
import { MackerelAgentOptions } from './options';

/**
 * Chooses the Mackerel roles of each task definition that `MackerelInstrumentation` instruments.
 *
 * Implement it as a class (in any jsii language) to give each workload its own roles.
 */
export interface IMackerelRoleResolver {
  /**
   * The `service:role` full names the hosts of this task definition join.
   *
   * An empty list means no role (a synth warning says so); it does not skip the task
   * definition: use `MackerelInstrumentation.exclude` for that. It is also asked, once, about a
   * task definition another `MackerelInstrumentation` gave the agent first, where its roles alone
   * could tell the two Aspects' options apart (for the `cdk-mackerel:agentAlreadyPresent` warning).
   */
  rolesFor(taskDefinition: ecs.TaskDefinition): string[];
}

/** Properties of a `MackerelInstrumentation`. */
export interface MackerelInstrumentationProps extends MackerelAgentOptions {
  /**
   * Gives each task definition its own roles: set it or `roles`, not both.
   *
   * @default - every task definition gets `roles`
   */
  readonly roleResolver?: IMackerelRoleResolver;
}

/**
 * What one task definition changes in the agent `MackerelInstrumentation` adds to it, the way a
 * pod annotation tunes a Kubernetes sidecar injector. Set with `MackerelInstrumentation.configure`.
 */
export interface MackerelInstrumentationOverrides {
  /**
   * The `service:role` full names of this task definition's hosts, instead of the Aspect's
   * `roles` or `roleResolver`.
   *
   * @default - the Aspect's roles
   */
  readonly roles?: string[];

  /**
   * The agent configuration (plugins, checks, readiness probe) of this task definition, instead
   * of the Aspect's `config`.
   *
   * Plugins select the `-plugins` image unless the Aspect gives an image explicitly. An empty
   * config (`{}`) gives this task definition none. It is not merged with the Aspect's config: one
   * that leaves out the Aspect's plugins, readiness probe, config file (`location`) or polling
   * interval is warned about (`cdk-mackerel:agentConfigReplaced`), naming them; `{}` is not, nor is
   * a `location` of its own, unless it leaves out the Aspect's polling interval. A setting given
   * another value (a polling interval of its own) leaves nothing out.
   *
   * @default - the Aspect's config
   */
  readonly config?: MackerelAgentConfig;

  /**
   * The display name of this task definition's hosts, instead of the Aspect's `displayName`.
   *
   * @default - the Aspect's displayName
   */
  readonly displayName?: string;

  /**
   * The memo of this task definition's hosts, instead of the Aspect's `memo`.
   *
   * @default - the Aspect's memo
   */
  readonly memo?: string;
}

/** Per task definition overrides set with `MackerelInstrumentation.configure`. */
const OVERRIDES = new WeakMap<ecs.TaskDefinition, MackerelInstrumentationOverrides>();
/** Task definitions the user excluded from every `MackerelInstrumentation`. */
const EXCLUDED = new WeakSet<ecs.TaskDefinition>();
/** Task definitions already warned about, so that a service and its task definition warn once. */
const WARNED = new WeakSet<IConstruct>();
/** Task definitions instrumented by a `MackerelInstrumentation` (which one), which carry its post-conditions. */
const INSTRUMENTED = new WeakMap<ecs.TaskDefinition, MackerelInstrumentation>();
/**
 * The options each instrumented task definition was given, which another Aspect reaching it is
 * compared with: worked out again, they would call the first Aspect's roleResolver once more.
 */
const GIVEN = new WeakMap<ecs.TaskDefinition, MackerelAgentOptions>();
/**
 * The other Aspects already compared with the first per task definition, so that a service and its
 * task definition warn once, and a roleResolver is asked once.
 */
const OVERLAPS_CHECKED = new WeakMap<ecs.TaskDefinition, Set<MackerelInstrumentation>>();
/**
 * Task definitions a `MackerelInstrumentation` visited, whatever it did with them: one of a Stage that
 * no Aspect visited is not monitored, even where the Stage holds one (added after it was synthesized).
 */
const VISITED = new WeakSet<ecs.TaskDefinition>();
/** Stages already warned about as not reached, so that two Aspects visiting their parent warn once. */
const STAGES_WARNED = new WeakSet<Stage>();
/** How many task definitions a warning about a Stage names before it counts the rest. */
const STAGE_NAMES_SHOWN = 5;

/**
 * An Aspect that adds the Mackerel container agent to every ECS task definition under the scope
 * it is applied to: Fargate, EC2, Managed Instances and External ones, those of ecs-patterns
 * services and scheduled tasks, and plain ones used only by RunTask. Services and scheduled tasks
 * lead to their task definition even when it is defined outside the scope.
 *
 * Each task definition gets the agent exactly once: a task definition that already has one (from
 * `MackerelContainerAgent`, `MackerelAgentExtension` or an earlier `MackerelInstrumentation`) is
 * left as it is, so applying the Aspect twice changes nothing. One that runs the agent in a
 * container added by hand (its image, one built from the app's own Dockerfile on the agent's image
 * included, or its `MACKEREL_CONTAINER_PLATFORM` variable for a private mirror known only at deploy
 * time, set in its environment, its secrets or an environment file of the app's own) is left as
 * it is too, with a `cdk-mackerel:agentAlreadyPresent` warning. One whose
 * image is known only at deploy time and whose environment files are in S3 may run the agent
 * unseen: it gets the agent, with a `cdk-mackerel:handAgentUnchecked` warning naming that
 * container (not for an image built from the app's own Dockerfile, or of an ECR repository named
 * in the app, that does not mention Mackerel). Where two `MackerelInstrumentation`s
 * with different options reach one task definition, the first to visit it wins (at one priority,
 * the one applied to the enclosing scope: the app's before the stack's); the other adds nothing
 * and warns `cdk-mackerel:agentAlreadyPresent` (options are compared as each would give that task
 * definition: a readiness probe of another one's container, or what `configure` replaces there,
 * differs in nothing). Use `configure` to give one workload other options. The agent is a
 * `MackerelContainerAgent` with the id `MackerelContainerAgent` under the task definition.
 *
 * Opting out: call `MackerelInstrumentation.exclude(taskDefinition)`; the task definition is then
 * skipped (with an info annotation). Tuning one workload: call
 * `MackerelInstrumentation.configure(taskDefinition, { roles, config, ... })` to give it its own
 * roles or agent configuration (plugins, readiness probe) while the Aspect covers the rest. A readiness
 * probe of an app container (`MackerelReadinessProbe.httpToContainer`) in the Aspect's own `config`
 * is given only to the task definition holding that container; every other one gets no probe and a
 * `cdk-mackerel:readinessProbeNotApplied` warning (a probe nobody answers would keep its tasks from
 * ever registering). Task definitions the agent cannot run in (Windows, the `nat` network mode
 * of Windows containers included, or the `none` network mode), imported ones (which the app cannot change) and `CfnTaskDefinition`s written
 * directly or read by cloudformation-include (not `ecs.TaskDefinition`s; plain `CfnResource`s of type
 * `AWS::ECS::TaskDefinition` alike) are skipped with a
 * `cdk-mackerel:instrumentationSkipped` warning (a `CfnTaskDefinition` whose containers already
 * run the agent, by its image or variable, with `cdk-mackerel:agentAlreadyPresent`; one whose containers
 * are known only at deploy time, such as one behind an `Fn::If`, with a warning saying so rather than
 * that its tasks are not monitored). An agent `cpu` or `memoryLimitMiB` a task has no
 * room for beside its other containers is a synth error, reported for each such task together.
 *
 * Aspects do not cross `Stage` boundaries: applied to the app, it does not reach the stacks of a
 * stage (as in CDK Pipelines apps); add it to each stage as well, before the stage is synthesized
 * (CDK Pipelines' `addStage` synthesizes it at once: an Aspect added after that never runs). A
 * Stage under its scope whose task definitions got no agent otherwise (not excluded, none added
 * by hand) is warned about (`cdk-mackerel:instrumentationStageNotReached`) on a stack of the
 * Aspect's own assembly, such as the pipeline's stack: a warning on the app itself would be
 * written nowhere. Where that assembly holds no stack (an app whose every stack is in a Stage), the
 * Aspect instruments nothing and has nowhere to warn, so synth fails instead, naming the Stage.
 *
 * Instrumented task definitions get post-conditions checked at synth (`node.addValidation`):
 * if later code or an escape hatch removes the agent container, its `MACKEREL_APIKEY` secret, its
 * `MACKEREL_CONTAINER_PLATFORM=ecs` setting, or a setting it wrote for its roles (`MACKEREL_ROLES`),
 * its own container's filter (`MACKEREL_IGNORE_CONTAINER`) or (with `config`) its config
 * (`MACKEREL_AGENT_CONFIG`, which must also keep the value it was given), synth fails saying what broke. A task definition given no agent
 * because a container ran one by hand is checked again at synth: where an Aspect of a later
 * priority or an escape hatch leaves no container running the agent, synth fails naming it.
 *
 * Add it with `MackerelInstrumentation.PRIORITY` (mutating): it adds no Aspect of its own and works
 * with and without the `@aws-cdk/core:aspectStabilization` feature flag (without it, a tag of
 * `Tags.of(app)` does not reach the agents' log group, which the Aspect creates).
 *
 * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
 *
 * @example
 * Aspects.of(app).add(new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }),
 *   { priority: MackerelInstrumentation.PRIORITY });
 */
export class MackerelInstrumentation implements IAspect {
  /** The priority to add this Aspect with: `AspectPriority.MUTATING`. */
  public static readonly PRIORITY: number = AspectPriority.MUTATING;

  /** The id of the `MackerelContainerAgent` created under each instrumented task definition. */
  public static readonly AGENT_ID = 'MackerelContainerAgent';

  /** Leaves a task definition out of every `MackerelInstrumentation`. Call it before synth. */
  public static exclude(taskDefinition: ecs.TaskDefinition): void {
    if (OVERRIDES.has(taskDefinition)) {
      throw new Error(`${taskDefinition.node.path}: MackerelInstrumentation.exclude is called for a task definition tuned with MackerelInstrumentation.configure; expected one of them`);
    }
    EXCLUDED.add(taskDefinition);
  }

  /**
   * Gives one task definition its own roles, agent configuration, display name or memo, over the
   * options of whichever `MackerelInstrumentation` instruments it. Call it before synth; a second
   * call replaces the first.
   *
   * It changes nothing for a task definition that already has an agent from
   * `MackerelContainerAgent` or `MackerelAgentExtension` (a `cdk-mackerel:agentAlreadyPresent`
   * warning says so): give those their options directly.
   *
   * @param taskDefinition the task definition to tune
   * @param overrides what to use instead of the Aspect's options
   */
  public static configure(taskDefinition: ecs.TaskDefinition, overrides: MackerelInstrumentationOverrides): void {
    if (EXCLUDED.has(taskDefinition)) {
      throw new Error(`${taskDefinition.node.path}: MackerelInstrumentation.configure is called for a task definition excluded with MackerelInstrumentation.exclude; expected one of them`);
    }
    OVERRIDES.set(taskDefinition, overrides);
  }

  /** Whether `exclude` was called for a task definition. */
  public static isExcluded(taskDefinition: ecs.TaskDefinition): boolean {
    return EXCLUDED.has(taskDefinition);
  }

  /**
   * The fixed `service:role` full names every instrumented task definition gets (empty with a
   * `roleResolver`, whose roles are known per task definition).
   */
  public readonly roles: string[];

  constructor(private readonly props: MackerelInstrumentationProps) {
    this.roles = [...props.roles ?? []];
    if (props.roleResolver && props.roles !== undefined) {
      // No construct yet to name: the Aspect is made before it visits anything.
      throw new Error(`MackerelInstrumentation: roles ${_shownList(undefined, props.roles)} is set together with roleResolver, which would ignore it; `
        + 'expected one of them (return the fixed roles from the resolver where they apply)');
    }
  }

  /** Instruments the task definition of a task definition, a service or a scheduled task. */
  public visit(node: IConstruct): void {
    this.warnStagesNotReached(node);
    if (isImportedTaskDefinition(node)) {
      warnOnce(node, () => _warnLate(node, 'cdk-mackerel:instrumentationSkipped',
        'MackerelInstrumentation skipped this imported task definition: the app cannot add a container to it, so its tasks are not '
        + 'monitored by Mackerel unless the app that defines it adds the agent'));
      return;
    }
    if (isLevel1TaskDefinition(node)) {
      // One written before the library may run the agent already: its tasks are monitored.
      const { agent: byHand, unread } = _cfnAgentOf(node);
      const kind = node instanceof ecs.CfnTaskDefinition ? 'CfnTaskDefinition' : `CfnResource of type ${node.cfnResourceType}`;
      if (byHand) {
        warnOnce(node, () => _warnLate(node, 'cdk-mackerel:agentAlreadyPresent',
          `The ${kind} already runs the Mackerel container agent in ${byHand.name === undefined ? 'a container' : `its container ${JSON.stringify(byHand.name)}`} `
          + `(${byHand.sign}), added by hand, so MackerelInstrumentation adds none (it adds the agent only to an ecs.TaskDefinition)`));
        _recheckCfnHandAgent(node, byHand, 'MackerelInstrumentation');
        return;
      }
      // A container behind a condition may be the agent when the condition holds: say so rather than "not monitored".
      const outcome = unread === undefined
        ? 'so its tasks are not monitored by Mackerel'
        : `and whether it already runs the Mackerel container agent cannot be told at synth (${unread}), so its tasks are monitored by `
          + 'Mackerel only if such a container runs the agent as deployed';
      warnOnce(node, () => _warnLate(node, 'cdk-mackerel:instrumentationSkipped',
        `MackerelInstrumentation skipped this ${kind}: the agent is added only to an ecs.TaskDefinition (Fargate, EC2, External), not to `
        + `the CloudFormation resource written directly or read by cloudformation-include, ${outcome}. Define it as an `
        + 'ecs.TaskDefinition, or leave it out of the Aspect\'s scope'));
      return;
    }
    const taskDefinition = taskDefinitionOf(node);
    if (!taskDefinition) return;
    VISITED.add(taskDefinition);
    const existing = _findAgent(taskDefinition);
    if (existing) {
      const first = INSTRUMENTED.get(taskDefinition);
      const given = GIVEN.get(taskDefinition);
      if (first && given && first !== this) this.warnOverlap(taskDefinition, first, given);
      if (!first && OVERRIDES.has(taskDefinition)) warnOnce(taskDefinition, () => warnOverridesNotApplied(taskDefinition, existing));
      return;
    }
    if (EXCLUDED.has(taskDefinition)) {
      warnOnce(taskDefinition, () => _info(taskDefinition, 'cdk-mackerel:instrumentationExcluded', 'Excluded from MackerelInstrumentation: no Mackerel container agent added'));
      return;
    }
    const byHand = _agentAddedByHand(taskDefinition);
    if (byHand) {
      warnOnce(taskDefinition, () => _warnLate(taskDefinition, 'cdk-mackerel:agentAlreadyPresent',
        `The task definition already runs the Mackerel container agent in ${byHand.node.path} (${_handAgentSign(byHand)}), added by hand, so `
        + 'MackerelInstrumentation adds none: a second agent would register a second Mackerel host for each task. Remove that container to '
        + 'let the Aspect add the agent, or leave the task definition out with MackerelInstrumentation.exclude'));
      _recheckHandAgent(taskDefinition, byHand, 'MackerelInstrumentation');
      return;
    }
    const unsupported = unsupportedReason(taskDefinition);
    if (unsupported) {
      warnOnce(taskDefinition, () => _warnLate(taskDefinition, 'cdk-mackerel:instrumentationSkipped',
        `MackerelInstrumentation skipped this task definition: ${unsupported}; its tasks are not monitored by Mackerel`));
      return;
    }
    const { cpu } = this.props;
    // aws-cdk-lib refuses a container whose cpu does not fit, so the agent cannot be added and checked
    // later as its memory is: the task reports it as a validation error instead, as the memory check does,
    // so that synth lists every task without room (and the tasks' other problems) rather than stop at the first.
    const cpuProblem = _cpuRoomProblem(taskDefinition, cpu);
    if (cpuProblem) {
      warnOnce(taskDefinition, () => taskDefinition.node.addValidation({
        validate: () => [`MackerelInstrumentation could not add the Mackerel agent: ${cpuProblem}`],
      }));
      return;
    }
    const overrides = OVERRIDES.get(taskDefinition);
    if (overrides?.config) _warnConfigReplaced(taskDefinition, overrides.config, this.props.config);
    else if (this.props.config && !_probeFits(taskDefinition, this.props.config)) _warnProbeNotApplied(taskDefinition, this.props.config);
    const options = this.optionsFor(taskDefinition);
    const agent = new MackerelContainerAgent(taskDefinition, MackerelInstrumentation.AGENT_ID, { ...options, taskDefinition });
    const { roles, config } = options;
    const kept = [...(options.ignoreContainer === '' ? [] : ['MACKEREL_IGNORE_CONTAINER']), ...(roles && roles.length > 0 ? ['MACKEREL_ROLES'] : []), ...(_hasAgentSettings(config) ? ['MACKEREL_AGENT_CONFIG'] : [])];
    addPostConditions(taskDefinition, agent.container, kept, this);
    GIVEN.set(taskDefinition, options);
  }

  /**
   * The options this Aspect gives one task definition: its own, with the roles its resolver
   * chooses, a readiness probe of another task definition's container left out, and whatever
   * `configure` gives that task definition instead.
   */
  private optionsFor(taskDefinition: ecs.TaskDefinition, roles = this.rolesFor(taskDefinition)): MackerelAgentOptions {
    const { roleResolver, ...options } = this.props;
    const overrides = OVERRIDES.get(taskDefinition) ?? {};
    return {
      ...options,
      roles,
      config: overrides.config ?? _aspectConfig(taskDefinition, options.config),
      displayName: overrides.displayName ?? options.displayName,
      memo: overrides.memo ?? options.memo,
    };
  }

  /** The roles this Aspect gives one task definition: those `configure` gives it, else its resolver's or its own. */
  private rolesFor(taskDefinition: ecs.TaskDefinition): string[] | undefined {
    const { roleResolver, roles } = this.props;
    return OVERRIDES.get(taskDefinition)?.roles ?? (roleResolver ? roleResolver.rolesFor(taskDefinition) : roles);
  }

  /**
   * Another `MackerelInstrumentation` instrumented the task definition first (an Aspect of an
   * enclosing scope runs first): with other options, this one's would be dropped unseen.
   */
  private warnOverlap(taskDefinition: ecs.TaskDefinition, first: MackerelInstrumentation, given: MackerelAgentOptions): void {
    const checked = OVERLAPS_CHECKED.get(taskDefinition) ?? new Set<MackerelInstrumentation>();
    if (checked.has(this)) return;
    checked.add(this);
    OVERLAPS_CHECKED.set(taskDefinition, checked);
    // Compared as given to this task definition: options it would not get (a probe of another task
    // definition's container, settings that configure replaces) drop nothing here. The roles are
    // compared last: a roleResolver is the user's code, written for the task definitions this Aspect
    // instruments, so it is asked about this one only when nothing else tells the options apart.
    const withGivenRoles = this.optionsFor(taskDefinition, given.roles);
    let own: MackerelAgentOptions | undefined;
    const same = (read: _TokenReader) => _sameOptions(given, withGivenRoles, read)
      && _sameOptions(given, own ??= this.optionsFor(taskDefinition), read);
    _warnUnlessSameOptions(taskDefinition, same, () => _warnLate(taskDefinition, 'cdk-mackerel:agentAlreadyPresent',
      `The ${first.describe(taskDefinition)} added the agent of this task definition, so the ${this.describe(taskDefinition)}, `
      + 'whose options differ, adds nothing: at one priority, the Aspect of the enclosing scope reaches a task definition first. '
      + 'Apply one MackerelInstrumentation to each task definition, or tune this one with MackerelInstrumentation.configure'));
  }

  /**
   * A Stage under the scope is never visited (Aspects do not cross Stage boundaries): its task
   * definitions that nothing gave an agent would run unmonitored without a word.
   */
  private warnStagesNotReached(node: IConstruct): void {
    const notReached = _stagesNotReached(node, leftAloneInStage);
    if (notReached.length === 0) return;
    // The carrier depends on the visited construct alone: found once, and only where there is something to warn about.
    const carrier = _stageWarningCarrier(node);
    for (const { stage, taskDefinitions } of notReached) {
      if (STAGES_WARNED.has(stage)) continue;
      STAGES_WARNED.add(stage);
      const paths = taskDefinitions.map((td) => td.node.path);
      const named = paths.length > STAGE_NAMES_SHOWN
        ? `${paths.slice(0, STAGE_NAMES_SHOWN).join(', ')} and ${paths.length - STAGE_NAMES_SHOWN} more` : paths.join(', ');
      const advice = taskDefinitions.some(hasOwnInstrumentation)
        ? 'A MackerelInstrumentation of that Stage never ran: it was added after the Stage was synthesized (CDK Pipelines\' addStage '
          + 'synthesizes it at once), and a Stage is synthesized once. Add it to the Stage before, such as in the Stage\'s constructor'
        : 'Add the Aspect to that Stage as well (Aspects.of(stage).add(..., { priority: MackerelInstrumentation.PRIORITY }))';
      const message = `The ${this.describe(node)} does not reach Stage ${stage.node.path}, whose task definitions ${named} get no Mackerel `
        + 'container agent, so their tasks are not monitored: Aspects do not cross Stage boundaries (a Stage is synthesized on its own, as CDK '
        + 'Pipelines do). ';
      if (carrier) {
        _warnLate(carrier, 'cdk-mackerel:instrumentationStageNotReached', message + advice);
        continue;
      }
      // An assembly of Stages alone (an app whose every stack is in a Stage) writes a warning nowhere: on the
      // visited construct it reaches no output, and the Stage's own assembly is written before this Aspect runs.
      // The Aspect then instruments nothing at all, so synth fails rather than pass in silence.
      const assembly = Stage.isStage(node) ? node : Stage.of(node) ?? node.node.root;
      const where = assembly.node.path === '' ? 'The app' : `Stage ${assembly.node.path}`;
      node.node.addValidation({
        validate: () => [`${message}${where} holds no stack of its own to show a warning on, so this is an error. ${advice}, `
          + 'or leave those task definitions out with MackerelInstrumentation.exclude'],
      });
    }
  }

  /** The Aspect by where it is applied and its roles, for the overlap warning. */
  private describe(node: IConstruct): string {
    let where = 'an enclosing scope';
    for (let scope: IConstruct | undefined = node; scope; scope = scope.node.scope) {
      if (Aspects.of(scope).all.includes(this)) {
        where = scope.node.path === '' ? 'the app' : scope.node.path;
        break;
      }
    }
    const roles = this.props.roleResolver ? 'a roleResolver' : `roles ${_shownList(node, this.roles)}`;
    return `MackerelInstrumentation applied to ${where} (${roles})`;
  }
}

/**
 * `configure` was called for a task definition whose agent no Aspect added: its overrides (roles,
 * say) would be dropped unseen, and the hosts register with the construct's or extension's.
 */
function warnOverridesNotApplied(taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition): void {
  const owner = agent.node.scope;
  const roles = owner instanceof MackerelContainerAgent ? ` (roles ${_shownList(taskDefinition, owner.roles)})` : '';
  _warnLate(taskDefinition, 'cdk-mackerel:agentAlreadyPresent',
    `MackerelInstrumentation.configure is not applied to this task definition: its agent ${agent.node.path} comes from MackerelContainerAgent or `
    + `MackerelAgentExtension, which keep their own options${roles}. Give the roles, config, display name or memo to that agent instead`);
}

/**
 * A task definition of a Stage the Aspect does not reach that is monitored, or left alone on
 * purpose: it has an agent (from the Stage's own Aspect, the construct or the extension), runs one
 * added by hand, is excluded or one the Aspect would skip, or a MackerelInstrumentation of its own
 * Stage visited it (and found it had no room for the agent, say). That Stage was synthesized, its
 * Aspects run, before the Aspect visiting its parent runs: one of its Aspects that has not visited
 * the task definition by now never will.
 */
function leftAloneInStage(taskDefinition: ecs.TaskDefinition): boolean {
  if (_findAgent(taskDefinition) || EXCLUDED.has(taskDefinition) || VISITED.has(taskDefinition)) return true;
  return _agentAddedByHand(taskDefinition) !== undefined || unsupportedReason(taskDefinition) !== undefined;
}

/** Whether a MackerelInstrumentation is applied to the task definition or a scope of it within its Stage. */
function hasOwnInstrumentation(taskDefinition: ecs.TaskDefinition): boolean {
  for (let scope: IConstruct | undefined = taskDefinition; scope; scope = scope.node.scope) {
    if (Aspects.of(scope).all.some((aspect) => aspect instanceof MackerelInstrumentation)) return true;
    if (Stage.isStage(scope)) break;
  }
  return false;
}

function taskDefinitionOf(node: IConstruct): ecs.TaskDefinition | undefined {
  if (node instanceof ecs.TaskDefinition) return node;
  if (node instanceof ecs.BaseService) return node.taskDefinition;
  if (node instanceof ecsPatterns.ScheduledFargateTask || node instanceof ecsPatterns.ScheduledEc2Task) return node.taskDefinition;
  return undefined;
}

/**
 * A task definition imported by ARN (`TaskDefinition.fromTaskDefinitionArn`, as an EventBridge
 * `EcsTask` target uses): an `ecs.ITaskDefinition` construct that is not an `ecs.TaskDefinition`
 * (aws-cdk-lib does not export its class).
 */
function isImportedTaskDefinition(node: IConstruct): boolean {
  if (node instanceof ecs.TaskDefinition) return false;
  const candidate = node as Partial<ecs.ITaskDefinition>;
  return typeof candidate.taskDefinitionArn === 'string' && typeof candidate.isFargateCompatible === 'boolean'
    && candidate.compatibility !== undefined;
}

/**
 * A task definition written as its CloudFormation resource (or read by cloudformation-include),
 * not the resource of an `ecs.TaskDefinition`: its containers are plain data the agent cannot join
 * the way `ecs.ContainerDefinition`s are checked, waited for and granted. Either a
 * `CfnTaskDefinition` or a plain `CfnResource` of its type (`new CfnResource(this, id, { type })`).
 */
function isLevel1TaskDefinition(node: IConstruct): node is CfnResource {
  if (!CfnResource.isCfnResource(node) || node.cfnResourceType !== ecs.CfnTaskDefinition.CFN_RESOURCE_TYPE_NAME) return false;
  const parent = node.node.scope;
  return !(parent instanceof ecs.TaskDefinition && parent.node.defaultChild === node);
}

function warnOnce(taskDefinition: IConstruct, annotate: () => void): void {
  if (WARNED.has(taskDefinition)) return;
  WARNED.add(taskDefinition);
  annotate();
}

/** Mirrors the errors of `MackerelContainerAgent`, as warnings: an Aspect reaches code the user did not aim at it. */
function unsupportedReason(taskDefinition: ecs.TaskDefinition): string | undefined {
  if (taskDefinition.networkMode === ecs.NetworkMode.NONE) {
    return 'its network mode is none, so the agent could not reach Mackerel';
  }
  if (taskDefinition.networkMode === ecs.NetworkMode.NAT) {
    return 'its network mode nat is that of Windows containers, which the Mackerel container agent does not support';
  }
  const family = _windowsFamily(taskDefinition);
  if (family) {
    return `its operating system family ${family} is not supported by the Mackerel container agent`;
  }
  return undefined;
}

/**
 * Checks the task definition as it will be written, escape-hatch overrides included, so that a
 * later change cannot leave tasks that start without (or with a broken) agent unnoticed.
 */
function addPostConditions(taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition, kept: string[],
  aspect: MackerelInstrumentation): void {
  if (INSTRUMENTED.has(taskDefinition)) return;
  INSTRUMENTED.set(taskDefinition, aspect);
  taskDefinition.node.addValidation({ validate: () => _instrumentationProblems(taskDefinition, agent, kept) });
}
