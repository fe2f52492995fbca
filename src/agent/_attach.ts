import { Annotations, Duration, Fn, Lazy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { _holdsValueNotFinalYet, _readingFinalValues } from '../_lazy';
import { _MACKEREL_PARTITION, _partitionOf } from '../_partition';
import { _fail, _info, _warnLate } from '../_validation';
import { _agentVolumeName, _checkAgentOptions, _goRegExp } from './_checks';
import { _warnNoEgress } from './_egress';
import { _agentLogDriver, _agentSecret, _checkExecutionGranted, _waitForExecutionPolicy } from './_execution-policy';
import { _guardRoleParameter } from './_roles-guard';
import { _containersOf, _isLogRouter, _proxyContainerOf, _taskValidations, _warnHandAgentUnchecked } from './_task-checks';
import { _knownRoleFullNameOf } from '../service/_known-name';
import { _deliverConfig } from './config/_deliver';
import { _hasPlugins, _officialPlugins } from './config/_render';
import { MackerelAgentDependency, MackerelHostIdStore } from './enums';
import { MackerelAgentImage } from './image';
import { MackerelAgentOptions } from './options';

/** The agent container's name in Mackerel's recipe. @internal */
export const _DEFAULT_CONTAINER_NAME = 'mackerel-container-agent';
/** The agent's default `root`, where the file store keeps the host ID (`<root>/id`). @internal */
export const _HOST_ID_DIRECTORY = '/var/tmp/mackerel-container-agent';
/** Mackerel's recipe: a 128 MiB hard limit. @internal */
export const _DEFAULT_MEMORY_LIMIT_MIB = 128;
/** Covers the agent's worst-case retirement (3 tries of 30 s plus 2 pauses of 3 s) within Fargate's 120 s. @internal */
export const _DEFAULT_STOP_TIMEOUT = Duration.seconds(100);
/** Below ECS's own default, retirement may be cut short even when the API is only a little slow. */
const SHORT_STOP_SECONDS = 30;
/** The id of the stack's shared agent log group. @internal */
export const _LOG_GROUP_ID = 'MackerelContainerAgentLogs';

/** Task definition -> its agent container. Lets every entry point see an agent added by another. */
const AGENTS = new WeakMap<ecs.TaskDefinition, ecs.ContainerDefinition>();

/**
 * The Mackerel agent container already attached to a task definition, if any.
 * @internal
 */
export function _findAgent(taskDefinition: ecs.TaskDefinition): ecs.ContainerDefinition | undefined {
  return AGENTS.get(taskDefinition);
}

/**
 * Adds the Mackerel container agent to a task definition: the one implementation behind
 * `MackerelContainerAgent`, `MackerelAgentExtension` and `MackerelInstrumentation`.
 *
 * The container is created under `scope` (which also carries errors, warnings and late
 * validations); the task definition is marked so that `_findAgent` finds the agent.
 * @internal
 */
export function _attach(scope: Construct, taskDefinition: ecs.TaskDefinition, options: MackerelAgentOptions): ecs.ContainerDefinition {
  checkTaskDefinition(scope, taskDefinition);
  _checkAgentOptions(scope, options, taskDefinition);
  const containerName = options.containerName ?? _DEFAULT_CONTAINER_NAME;
  // '' turns the agent's filter off, as the agent reads an empty MACKEREL_IGNORE_CONTAINER: then nothing is written or checked.
  const ignoreContainer = options.ignoreContainer === '' ? undefined : options.ignoreContainer ?? `\\A${escapeRegExp(containerName)}\\z`;
  const image = options.image ?? (_hasPlugins(options.config) ? MackerelAgentImage.DEFAULT_PLUGINS : MackerelAgentImage.DEFAULT);
  const memoryLimitMiB = options.memoryLimitMiB ?? _DEFAULT_MEMORY_LIMIT_MIB;
  const logging = options.logging ?? defaultLogging(taskDefinition);
  const secret = _agentSecret(options.apiKey, taskDefinition);

  const container = new ecs.ContainerDefinition(scope, 'Container', {
    taskDefinition,
    containerName,
    image: image._containerImage(),
    memoryLimitMiB,
    cpu: options.cpu,
    essential: options.essential ?? false,
    stopTimeout: options.stopTimeout ?? _DEFAULT_STOP_TIMEOUT,
    readonlyRootFilesystem: options.readonlyRootFilesystem,
    logging,
    environment: agentEnvironment(options, ignoreContainer),
    secrets: { MACKEREL_APIKEY: secret },
  });
  // An essential agent added first would be the task's default container, which services use as
  // their load balancer and Cloud Map target: leave that to the next essential container.
  if (taskDefinition.defaultContainer === container) taskDefinition.defaultContainer = undefined;
  _checkExecutionGranted(scope, taskDefinition, secret, logging);
  AGENTS.set(taskDefinition, container);
  _waitForExecutionPolicy(taskDefinition);
  if (options.config) _deliverConfig(scope, taskDefinition, container, options.config, options.readonlyRootFilesystem ?? false);

  keepHostIdWritable(scope, taskDefinition, container, options);
  if ((options.appContainerDependency ?? MackerelAgentDependency.START) === MackerelAgentDependency.START) {
    makeAppContainersWait(taskDefinition, container);
  }
  // '' is no filter (the agent reads an empty variable as unset), so there is nothing to check.
  const ignorePattern = ignoreContainer === undefined ? undefined : _goRegExp(scope, ignoreContainer);
  const version = image._version();
  const imageBeforeHealthFix = version && version[0] === 0 && version[1] < 6 ? image._describe() : undefined;
  scope.node.addValidation({
    validate: () => _taskValidations(taskDefinition, container, { memoryLimitMiB, ignoreContainer, ignorePattern, imageBeforeHealthFix }),
  });
  scope.node.addValidation({
    validate: () => {
      _warnNoEgress(scope, taskDefinition, options);
      _warnHandAgentUnchecked(scope, taskDefinition, container);
      return [];
    },
  });
  annotate(scope, options, image);
  return container;
}

function checkTaskDefinition(scope: IConstruct, taskDefinition: ecs.TaskDefinition): void {
  const existing = AGENTS.get(taskDefinition);
  if (existing) {
    _fail(scope, 'taskDefinition', taskDefinition.node.path, `already has a Mackerel container agent (${existing.node.path})`,
      'one agent per task definition', 'MackerelAgentExtension and MackerelInstrumentation skip a task definition that has one');
  }
  if (taskDefinition.networkMode === ecs.NetworkMode.NONE) {
    _fail(scope, 'taskDefinition.networkMode', 'none', 'gives the agent no network, so it cannot reach Mackerel or read task metadata',
      'bridge, host or awsvpc');
  }
  if (taskDefinition.networkMode === ecs.NetworkMode.NAT) {
    // aws-cdk-lib writes no network mode for nat: ECS runs that as nat on a Windows instance, where the agent's
    // Linux image cannot start, and as bridge on a Linux one. Refused rather than taken as bridge, which the user did not write.
    _fail(scope, 'taskDefinition.networkMode', 'nat', 'is the network mode of Windows containers, which the Mackerel container agent (a Linux image) does not run on '
      + '(aws-cdk-lib writes no network mode for it, which ECS runs as nat on Windows and as bridge on Linux)',
    'bridge, host or awsvpc on Linux (NetworkMode.BRIDGE for what nat would be there)');
  }
  const family = _windowsFamily(taskDefinition);
  if (family) {
    _fail(scope, 'taskDefinition.runtimePlatform.operatingSystemFamily', family, 'is not supported by the Mackerel container agent',
      'a Linux task definition (LINUX or no runtimePlatform)');
  }
}

/**
 * The task definition's Windows operating system family, if it has one: the agent runs on Linux
 * only. Read by the construct (an error) and the Aspect (a warning).
 * @internal
 */
export function _windowsFamily(taskDefinition: ecs.TaskDefinition): string | undefined {
  const raw = (taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).runtimePlatform;
  // Resolving goes through aws-cdk-lib's timed resolver; a plain object needs none of it.
  const platform: ecs.CfnTaskDefinition.RuntimePlatformProperty | undefined = Tokenization.isResolvable(raw)
    ? Stack.of(taskDefinition).resolve(raw)
    : raw;
  const family = platform?.operatingSystemFamily;
  return typeof family === 'string' && family.startsWith('WINDOWS') ? family : undefined;
}

/** Only values the user set are written; an unset variable leaves the agent's own default. */
function agentEnvironment(options: MackerelAgentOptions, ignoreContainer: string | undefined): { [name: string]: string } {
  const environment: { [name: string]: string | undefined } = {
    MACKEREL_CONTAINER_PLATFORM: 'ecs',
    // Never written empty: the agent would send an empty role and Mackerel would refuse the host.
    MACKEREL_ROLES: options.roles && options.roles.length > 0 ? joinList(options.roles) : undefined,
    // Not written empty: the agent reads '' as unset, and so does the Aspect's post-condition.
    MACKEREL_IGNORE_CONTAINER: ignoreContainer,
    MACKEREL_HOST_STATUS_ON_START: options.hostStatusOnStart,
    MACKEREL_DISPLAY_NAME: options.displayName,
    MACKEREL_MEMO: options.memo,
    MACKEREL_HOST_ID_STORE: options.hostIdStore,
    MACKEREL_LOG_LEVEL: options.logLevel,
    MACKEREL_APIBASE: options.apiBase,
    HTTP_PROXY: options.httpProxy,
    HTTPS_PROXY: options.httpsProxy,
    NO_PROXY: noProxy(options),
  };
  const written: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value !== undefined) written[name] = value;
  }
  return written;
}

/**
 * The task's own link-local endpoints: ECS task credentials (which the agent's S3 config fetch
 * signs with) and, on EC2, instance metadata. No proxy can reach them, and Go sends plain HTTP to
 * any host but loopback through `HTTP_PROXY`, so with that set they always bypass it.
 * @internal
 */
export const _LINK_LOCAL_ENDPOINTS: readonly string[] = ['169.254.170.2', '169.254.169.254'];

function noProxy(options: MackerelAgentOptions): string | undefined {
  const given = options.noProxy ?? [];
  const local = options.httpProxy ? _LINK_LOCAL_ENDPOINTS.filter((host) => !given.includes(host)) : [];
  if (Token.isUnresolved(given)) return [...local, joinList(given)].join(',');
  const entries = [...local, ...given];
  return entries.length > 0 ? entries.join(',') : undefined;
}

/** A list joined with `,`; a list token (a CommaDelimitedList parameter, Fn.split) is joined at deploy time. */
function joinList(list: string[]): string {
  return Token.isUnresolved(list) ? Fn.join(',', list) : list.join(',');
}

/**
 * One log group per stack for every agent, rather than one per task definition: instrumenting a
 * task then adds no CloudFormation resource. Streams are `<family>/<container>/<task ID>`, and the
 * task ID is the Mackerel host name.
 */
function defaultLogging(taskDefinition: ecs.TaskDefinition): ecs.LogDriver {
  const stack = Stack.of(taskDefinition);
  const logGroup = (stack.node.tryFindChild(_LOG_GROUP_ID) as logs.ILogGroup | undefined)
    ?? new logs.LogGroup(stack, _LOG_GROUP_ID, { retention: logs.RetentionDays.ONE_MONTH });
  return _agentLogDriver(logGroup, taskDefinition.family);
}

/**
 * With a read-only root and the file store, the ID goes to a task-scoped volume. A volume rather
 * than switching to the memory store: it works with every agent version (the memory store needs
 * v0.12.0, and an older agent would ignore the setting, fail to write and orphan its host), and
 * an agent container restarted within the task finds and reuses its host.
 */
function keepHostIdWritable(scope: IConstruct, taskDefinition: ecs.TaskDefinition, container: ecs.ContainerDefinition,
  options: MackerelAgentOptions): void {
  if (!options.readonlyRootFilesystem || options.hostIdStore === MackerelHostIdStore.MEMORY) return;
  const sourceVolume = _agentVolumeName(scope, container.containerName, '-host-id');
  taskDefinition.addVolume({ name: sourceVolume });
  container.addMountPoints({ sourceVolume, containerPath: _HOST_ID_DIRECTORY, readOnly: false });
}

/**
 * App containers may be added after the agent (or by ecs-patterns, or by a later Aspect), so the
 * dependencies are added when the task's containers are rendered, just before they are written.
 */
function makeAppContainersWait(taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition): void {
  const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  const rendered = cfn.containerDefinitions;
  cfn.containerDefinitions = Lazy.any({
    produce: () => {
      addAppDependencies(taskDefinition, agent);
      return rendered;
    },
  });
}

function addAppDependencies(taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition): void {
  const proxy = _proxyContainerOf(taskDefinition, agent);
  if (proxy) waitForProxy(agent, proxy);
  const upstream = dependenciesOf(agent);
  for (const container of _containersOf(taskDefinition)) {
    // A log router is no app container and starts first by itself; anything the agent waits for would deadlock.
    // The proxy is waited for by the agent, so it is in upstream too, unless that would be a cycle.
    if (container === agent || container === proxy || !container.essential || _isLogRouter(container)) continue;
    if (upstream.has(container)) continue;
    if (container.containerDependencies.some((d) => d.container === agent)) continue;
    container.addContainerDependencies({ container: agent, condition: ecs.ContainerDependencyCondition.START });
  }
}

/**
 * The agent waits for the proxy to start, so that ECS stops the proxy after the agent (reverse
 * dependency order). Not where the proxy already waits for the agent, which would be a cycle.
 */
function waitForProxy(agent: ecs.ContainerDefinition, proxy: ecs.ContainerDefinition): void {
  if (agent.containerDependencies.some((d) => d.container === proxy) || dependenciesOf(proxy).has(agent)) return;
  agent.addContainerDependencies({ container: proxy, condition: ecs.ContainerDependencyCondition.START });
}

/** Every container the agent waits for, directly or not. */
function dependenciesOf(agent: ecs.ContainerDefinition): Set<ecs.ContainerDefinition> {
  const found = new Set<ecs.ContainerDefinition>();
  const pending = [agent];
  let next: ecs.ContainerDefinition | undefined;
  while ((next = pending.pop()) !== undefined) {
    for (const dependency of next.containerDependencies) {
      if (!found.has(dependency.container)) {
        found.add(dependency.container);
        pending.push(dependency.container);
      }
    }
  }
  return found;
}

function annotate(scope: IConstruct, options: MackerelAgentOptions, image: MackerelAgentImage): void {
  _info(scope, 'cdk-mackerel:agentHostBilled', 'Each running task of this task definition registers one Mackerel host, billed as one micro host');
  const floating = image._floatingTag();
  if (floating) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:agentImageNotPinned',
      `The agent image ${image._describe()} ${floating}: the agent version changes on its own when tasks start. Pin a version, such as MackerelAgentImage.DEFAULT`);
  }
  warnImageOutsidePartition(scope, image);
  const missing = image._missingFeatures();
  if (missing.length > 0) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:agentImageOld',
      `The agent image ${image._describe()} is older than the library relies on: ${missing.join('; ')}. `
      + `Use MackerelAgentImage.DEFAULT (${MackerelAgentImage.DEFAULT.imageName.split(':').pop()}) or another recent release`);
  }
  const official = image._isOfficialAgentOnly() ? _officialPlugins(options.config) : [];
  if (official.length > 0) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:pluginsNotInImage',
      `config runs official plugins (${official.join(', ')}), but the agent image ${image._describe()} is the variant without them: `
      + 'the commands fail and their metrics and checks never report. Use the -plugins variant, such as MackerelAgentImage.DEFAULT_PLUGINS');
  }
  const stopTimeout = options.stopTimeout;
  if (stopTimeout && !stopTimeout.isUnresolved() && stopTimeout.toSeconds({ integral: false }) < SHORT_STOP_SECONDS) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:agentStopTimeoutShort',
      `The agent's stopTimeout of ${stopTimeout.toHumanString()} may end it before it retires its host (up to about 96 s when the API is slow), `
      + `leaving an orphaned host that raises connectivity alerts. Consider ${_DEFAULT_STOP_TIMEOUT.toSeconds()} seconds`);
  }
  const roles = options.roles;
  const parts: Array<string | string[]> = !roles ? [] : Token.isUnresolved(roles) ? [roles] : roles;
  // A role of this app (`web.fullName`) is a token too, but its name is known and was checked where it was made.
  const isUnknown = (part: string | string[]) => Array.isArray(part) || _knownRoleFullNameOf(part) === undefined;
  // A Lazy is read once final, at validation: resolving it now would keep the value of this moment in the template.
  const later = parts.filter((part) => _holdsValueNotFinalYet(scope, part));
  const unknown = parts.filter((part) => !later.includes(part) && isUnknown(part));
  const guarded = unknown.map((part) => _guardRoleParameter(scope, part));
  if (unknown.length > 0 && guarded.every((id) => id !== undefined)) {
    const names = [...new Set(guarded)].join(', ');
    Annotations.of(scope).addWarningV2('cdk-mackerel:agentRolesUnchecked',
      `The agent's roles come from parameter ${names}, known only at deploy time, so they are not checked at synth. A CloudFormation rule `
      + 'refuses to deploy the stack when it is empty or has an empty entry, as Mackerel would refuse the empty role and the agent exit; '
      + 'a value that is not a service:role full name still makes the agent exit at start, leaving the tasks unmonitored');
  } else if (unknown.length > 0) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:agentRolesUnchecked', ROLES_UNKNOWN);
  }
  if (later.length > 0 && unknown.length === 0) {
    scope.node.addValidation({
      validate: () => {
        if (_readingFinalValues(() => later.some(isUnknown))) _warnLate(scope, 'cdk-mackerel:agentRolesUnchecked', ROLES_UNKNOWN);
        return [];
      },
    });
  }
  if (!roles || roles.length === 0) {
    Annotations.of(scope).addWarningV2('cdk-mackerel:agentWithoutRoles',
      'The agent has no roles: its hosts join no Mackerel service, and role-scoped monitors do not cover them. Set roles: [\'service:role\']');
  }
}

/**
 * Mackerel publishes the agent only on registries of the internet (ECR Public, Docker Hub, GHCR).
 * Outside the aws partition, tasks reach them, if at all, only across the internet: from China
 * across the border, from an isolated partition not at all. A task that cannot pull the agent
 * does not start, app included.
 */
function warnImageOutsidePartition(scope: IConstruct, image: MackerelAgentImage): void {
  const region = Stack.of(scope).region;
  const partition = _partitionOf(region);
  const registry = image._officialRegistry();
  if (partition === undefined || partition === _MACKEREL_PARTITION || registry === undefined) return;
  Annotations.of(scope).addWarningV2('cdk-mackerel:agentImagePartition',
    `The agent image ${image._describe()} is pulled from ${registry}, on the internet, but the stack is in ${region} of the ${partition} partition, `
    + 'which reaches it only across the internet if at all (not from the isolated partitions, unreliably from China): a task that cannot pull '
    + 'the agent does not start, app included. Copy the image (same tag) into a private ECR repository in the region and pass '
    + 'MackerelAgentImage.fromEcrRepository(repository, tag)');
}

function escapeRegExp(value: string): string {
  return Token.isUnresolved(value) ? value : value.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

const ROLES_UNKNOWN = 'The agent\'s roles are only known at deploy time (a parameter, an import or Fn.split), so they are not checked at synth. '
  + 'If they deploy empty (an empty CommaDelimitedList parameter, say), MACKEREL_ROLES is written as "", Mackerel refuses the empty role and '
  + 'the agent exits at start, leaving the tasks unmonitored; so does a value that is not a service:role full name. '
  + 'Make sure the value always holds at least one service:role';
