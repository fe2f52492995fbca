import { Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { _ecsContainerOverride, _overridden } from './_container-overrides';
import { _AGENT_IMAGE, _builtBaseUnknown, _builtByOtherFrontend, _builtMountsAgent, _builtOnAgent, _imageMayBeAgent, _readText } from './_image-source';
import { _describeProblem, _warnLate } from '../_validation';

/** What the late checks need to know of the agent. @internal */
export interface TaskCheckInput {
  /** The agent's hard memory limit, in MiB. */
  readonly memoryLimitMiB: number;
  /** The ignore-container expression, as the agent receives it; undefined when the filter is off. */
  readonly ignoreContainer?: string;
  /** The same expression compiled for JavaScript; undefined when it is a token. */
  readonly ignorePattern?: RegExp;
  /** The agent's image, described, when its tag names a release before v0.6.0; else undefined. */
  readonly imageBeforeHealthFix?: string;
}

/**
 * Checks that depend on every container of the task, run at synth (containers may be added after
 * the agent). Returns every problem, not only the first.
 * @internal
 */
export function _taskValidations(taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition, input: TaskCheckInput): string[] {
  const others = _containersOf(taskDefinition).filter((c) => c !== agent);
  return [
    checkEssential(taskDefinition, others, _proxyContainerOf(taskDefinition, agent)),
    checkNameUnique(agent, others),
    checkOneAgent(taskDefinition, agent),
    checkIgnoreContainer(agent, others, input),
    checkMemory(taskDefinition, others, input.memoryLimitMiB),
    checkHealthChecks(others, input.imageBeforeHealthFix),
  ].filter((problem): problem is string => problem !== undefined);
}

/** At least one essential container that is the app's: neither the agent nor a log router or proxy serving the others. */
function checkEssential(taskDefinition: ecs.TaskDefinition, others: ecs.ContainerDefinition[], proxy?: ecs.ContainerDefinition): string | undefined {
  if (others.some((c) => c.essential && !_isLogRouter(c) && c !== proxy)) return undefined;
  const router = others.find(_isLogRouter);
  const besides = ['the Mackerel agent', ...(router ? [`the FireLens log router ${router.node.path}`] : []),
    ...(proxy ? [`the App Mesh proxy ${proxy.node.path}`] : [])];
  const named = besides.length === 1 ? besides[0] : `${besides.slice(0, -1).join(', ')} and ${besides[besides.length - 1]}`;
  return _describeProblem('taskDefinition', taskDefinition.node.path, `has no essential container besides ${named}`,
    'at least one essential app container', 'Add the app container (essential by default) to the task definition');
}

/**
 * A FireLens log router, added by hand or by aws-cdk-lib for a container logging through FireLens:
 * no app container, though essential by default, as it only carries the others' logs. ECS starts
 * it first and stops it last by itself.
 * @internal
 */
export function _isLogRouter(container: ecs.ContainerDefinition): boolean {
  return container instanceof ecs.FirelensLogRouter;
}

/**
 * The App Mesh proxy (Envoy) named in the task's `proxyConfiguration`, if the task has one: no app
 * container, though essential, as it only carries the others' traffic. ECS sends the task's egress,
 * the agent's included (it does not run as the proxy's ignored user), through it, so it must outlive
 * the agent: the agent retires its host through it on stop.
 * @internal
 */
export function _proxyContainerOf(taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition): ecs.ContainerDefinition | undefined {
  const raw = (taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).proxyConfiguration;
  if (!raw) return undefined;
  const config: ecs.CfnTaskDefinition.ProxyConfigurationProperty | undefined = Tokenization.isResolvable(raw)
    ? Stack.of(taskDefinition).resolve(raw)
    : raw;
  const name = config?.containerName;
  return _containersOf(taskDefinition).find((container) => container !== agent && container.containerName === name);
}

function checkNameUnique(agent: ecs.ContainerDefinition, others: ecs.ContainerDefinition[]): string | undefined {
  const clash = nameTakenBy(agent, others);
  if (!clash) return undefined;
  return _describeProblem('containerName', shownName(agent), `is also the name of ${clash.node.path}`,
    'a container name unique in the task', 'Set containerName, or remove the agent container added by hand');
}

function nameTakenBy(agent: ecs.ContainerDefinition, others: ecs.ContainerDefinition[]): ecs.ContainerDefinition | undefined {
  return others.find((c) => sameName(c, agent));
}

/**
 * Whether two containers surely have one name. A name known only at deploy time (a parameter) is
 * compared as it resolves: one parameter names both alike whatever it holds, a lazy name resolves
 * to its text, and names from two parameters may or may not differ, so they are not taken for one.
 * Only run at synth, where resolving is allowed.
 */
function sameName(a: ecs.ContainerDefinition, b: ecs.ContainerDefinition): boolean {
  if (!Token.isUnresolved(a.containerName) && !Token.isUnresolved(b.containerName)) return a.containerName === b.containerName;
  return JSON.stringify(shownName(a)) === JSON.stringify(shownName(b));
}

/** A container's name as the template writes it: `{ "Ref": ... }` for a parameter, rather than token text. */
function shownName(container: ecs.ContainerDefinition): unknown {
  const name = container.containerName;
  return Token.isUnresolved(name) ? Stack.of(container).resolve(name) : name;
}

/**
 * Another container of the task under the agent's name (surely the same at deploy: see sameName), which checkNameUnique
 * reports. Checks that would see a second agent, or the agent's filter matching it, in that
 * container leave it to that error: theirs would name a consequence of the clash, not its cause.
 * @internal
 */
export function _agentNameTakenBy(taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition): ecs.ContainerDefinition | undefined {
  return nameTakenBy(agent, _containersOf(taskDefinition).filter((c) => c !== agent));
}

/** Two agents in a task register two Mackerel hosts for it, each billed and each alerting. */
function checkOneAgent(taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition): string | undefined {
  const byHand = _agentAddedByHand(taskDefinition, agent);
  // The same name is reported by checkNameUnique.
  if (!byHand || sameName(byHand, agent)) return undefined;
  return _describeProblem('taskDefinition', taskDefinition.node.path,
    `already runs the Mackerel container agent in ${byHand.node.path} (${_handAgentSign(byHand)}), so each task would register two Mackerel hosts`,
    'one agent per task', 'Remove the agent container added by hand');
}

function checkIgnoreContainer(agent: ecs.ContainerDefinition, others: ecs.ContainerDefinition[], input: TaskCheckInput): string | undefined {
  const names = [agent, ...others].map((c) => c.containerName);
  const pattern = input.ignorePattern;
  // Under a taken name, the default filter matches the other container too; checkNameUnique reports the cause.
  if (!pattern || names.some((name) => Token.isUnresolved(name)) || nameTakenBy(agent, others)) return undefined;
  if (!names.every((name) => pattern.test(name))) return undefined;
  return _describeProblem('ignoreContainer', input.ignoreContainer, `matches every container of the task (${names.join(', ')}), so the agent would find none and exit`,
    'an expression that leaves at least one container', 'Anchor it, such as "\\Amackerel-container-agent\\z"');
}

/**
 * Agents before v0.6.0 cannot read the health status task metadata gives for a container with a
 * health check, and exit: every task of the definition would run unmonitored (agent PR #136).
 */
function checkHealthChecks(others: ecs.ContainerDefinition[], image: string | undefined): string | undefined {
  // Rendering costs, so only for the rare old image.
  const checked = image === undefined ? undefined : others.find((c) => c.renderContainerDefinition().healthCheck !== undefined);
  if (!checked) return undefined;
  return _describeProblem('image', image, `crashes on this task: agents before v0.6.0 exit when a container has a health check, as ${checked.node.path} has`,
    'an image of v0.6.0 or later, such as MackerelAgentImage.DEFAULT');
}

/**
 * A task-level memory size caps the memory its containers reserve: each container's soft limit
 * where it has one, else its hard limit (ECS subtracts the reservation, not the limit, when both
 * are set). The FireLens log router aws-cdk-lib adds by itself (50 MiB reserved, when a container
 * logs through FireLens and the task has no router) is among the containers by now: 2.261 adds it
 * while rendering the task, which synth first does to resolve references, before any validation.
 */
function checkMemory(taskDefinition: ecs.TaskDefinition, others: ecs.ContainerDefinition[], agentMiB: number): string | undefined {
  const stack = Stack.of(taskDefinition);
  const taskMiB = toMiB(stack.resolve((taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).memory));
  if (taskMiB === undefined || Token.isUnresolved(agentMiB)) return undefined;
  let reserved = 0;
  for (const container of others) {
    // Rendering a container costs as much as the rest of the checks: skip those that set no memory.
    if (!container.memoryLimitSpecified) continue;
    const rendered = container.renderContainerDefinition();
    const reservation = rendered.memoryReservation ?? rendered.memory;
    const limit = toMiB(stack.resolve(reservation));
    if (limit === undefined && reservation !== undefined) return undefined;
    reserved += limit ?? 0;
  }
  const room = taskMiB - reserved;
  if (agentMiB <= room) return undefined;
  return _describeProblem('memoryLimitMiB', agentMiB,
    `does not fit in the task: its ${taskMiB} MiB minus ${reserved} MiB reserved by the other containers leaves ${Math.max(room, 0)} MiB`,
    `at most ${Math.max(room, 0)} MiB`, 'Raise the task memory or lower the other containers\' memory limits');
}

function toMiB(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A container of the task running the Mackerel container agent that the library did not add
 * (`agent`, when there is one, is left out): an agent written by hand, as before the library.
 * @internal
 */
export function _agentAddedByHand(taskDefinition: ecs.TaskDefinition, agent?: ecs.ContainerDefinition): ecs.ContainerDefinition | undefined {
  return _containersOf(taskDefinition).find((c) => c !== agent && _handAgentSign(c) !== undefined);
}

/** The variable the agent cannot start without, and nothing else reads. @internal */
export const _PLATFORM = 'MACKEREL_CONTAINER_PLATFORM';
const PLATFORM_LINE = new RegExp(`^\\s*${_PLATFORM}\\s*=`, 'm');

/** What aws-cdk-lib keeps private in a container: its variables, its secrets, and the environment files as given. */
interface ContainerInternals {
  readonly environment?: { [name: string]: string };
  readonly secrets?: Array<{ readonly name?: string }>;
  readonly props?: { readonly environmentFiles?: ecs.EnvironmentFile[] };
}

/**
 * What shows that a container runs the agent, for the messages: its image (by its name, or built
 * from the app's own Dockerfile on the agent's image: `_builtOnAgent`), or else the variable
 * the agent cannot start without and nothing else reads, wherever ECS sets it from: the
 * environment, a secret, or an environment file of the app's own (an asset, read here). The
 * variable finds an agent whose image is a private mirror known only at deploy time (an ECR
 * repository's URI is a token), as the partition warning advises.
 * @internal
 */
export function _handAgentSign(container: ecs.ContainerDefinition): string | undefined {
  // What escape hatches write over the container in its task definition's resource (`addPropertyOverride(
  // 'ContainerDefinitions.1.Image', ...)`) is what is deployed: a field they write over is read as they leave it, and none
  // where they write over the container whole.
  const over = _ecsContainerOverride(container);
  if (over === 'replaced') return undefined;
  const imageName = over === undefined ? container.imageName : _overridden(container.imageName, over, 'Image');
  const image = _imageSign(typeof imageName === 'string' ? imageName : undefined) ?? _builtOnAgent(container);
  if (image) return image;
  // Private in aws-cdk-lib: the props' variables and addEnvironment's both land in `environment`, the props' secrets and addSecret's in `secrets`.
  const internals = container as unknown as ContainerInternals;
  const rendered = over !== undefined && ('Environment' in over || 'Secrets' in over) ? container.renderContainerDefinition() : undefined;
  const setting = (list: unknown, field: string) => {
    // The list as aws-cdk-lib renders it, in CloudFormation's spelling, with what the escape hatches merge into it.
    const given = Array.isArray(list) ? list.map((entry) => ({ Name: (entry as { name?: unknown }).name })) : list;
    const merged = _overridden(given, over!, field);
    return Array.isArray(merged) && merged.some((entry) => typeof entry === 'object' && entry !== null && entry.Name === _PLATFORM);
  };
  if (rendered !== undefined && 'Environment' in over!
    ? setting(rendered.environment, 'Environment') : internals.environment && _PLATFORM in internals.environment) return `${_PLATFORM} in its environment`;
  if (rendered !== undefined && 'Secrets' in over!
    ? setting(rendered.secrets, 'Secrets') : (internals.secrets ?? []).some((secret) => secret.name === _PLATFORM)) return `${_PLATFORM} in its secrets`;
  const file = over !== undefined && 'EnvironmentFiles' in over ? undefined : environmentFilesOf(container).setting;
  return file === undefined ? undefined : `${_PLATFORM} in its environment file ${file}`;
}

/**
 * Why a container may run the agent though nothing shows it at synth, for the warning; undefined
 * where it surely runs the agent (found by _handAgentSign) or surely does not. Its image, whose name
 * holds a token, may be the agent's (`_imageMayBeAgent` says why), and an environment file read only
 * at deploy time (from S3) may set the variable (`files`); or, with no such file, its image is built
 * from the app's Dockerfile whose base cannot be told at synth (`_builtBaseUnknown`), which may be the
 * agent's image and set the variable itself.
 */
function unseenAgent(container: ecs.ContainerDefinition): { readonly image: string; readonly files: boolean } | undefined {
  if (!Token.isUnresolved(container.imageName) || _handAgentSign(container) !== undefined) return undefined;
  const image = environmentFilesOf(container).unread ? _imageMayBeAgent(container) : _builtBaseUnknown(container);
  return image === undefined ? undefined : { image, files: environmentFilesOf(container).unread };
}

/**
 * What a container's environment files show of the variable: the first of the app's own files
 * (assets, whose source is at hand) that sets it, and whether any file is read only at deploy
 * time (from S3, or one whose source cannot be read).
 */
function environmentFilesOf(container: ecs.ContainerDefinition): EnvironmentFiles {
  // Read once per container: the sign and the warning each ask, for every container, from each entry point,
  // and a container's environment files are fixed when it is made (aws-cdk-lib has no method adding one).
  let read = environmentFilesRead.get(container);
  if (!read) environmentFilesRead.set(container, read = readEnvironmentFiles(container));
  return read;
}

interface EnvironmentFiles {
  readonly setting?: string;
  readonly unread: boolean;
}

const environmentFilesRead = new WeakMap<ecs.ContainerDefinition, EnvironmentFiles>();

function readEnvironmentFiles(container: ecs.ContainerDefinition): EnvironmentFiles {
  const configs = container.environmentFiles ?? [];
  if (configs.length === 0) return { unread: false };
  const given = (container as unknown as ContainerInternals).props?.environmentFiles;
  if (!given || given.length !== configs.length) return { unread: true };
  let unread = false;
  for (const file of given) {
    const source = file instanceof ecs.AssetEnvironmentFile ? file.path : undefined;
    const text = source === undefined ? undefined : _readText(source);
    if (text === undefined) unread = true;
    // ECS reads a file as VARIABLE=VALUE lines; a line starting with # is a comment.
    else if (PLATFORM_LINE.test(text)) return { setting: source, unread };
  }
  return { unread };
}

/**
 * Warns, for each other container of the task that may run the agent unseen (`unseenAgent`), that
 * the task may then run two agents: two Mackerel hosts per task, both billed. Run at synth, when
 * every container exists.
 * @internal
 */
export function _warnHandAgentUnchecked(scope: IConstruct, taskDefinition: ecs.TaskDefinition, agent: ecs.ContainerDefinition): void {
  for (const container of _containersOf(taskDefinition)) {
    const unseen = container === agent ? undefined : unseenAgent(container);
    if (unseen === undefined) continue;
    // A RUN mount's base image is known: what is not is whether the RUN copies the agent's binary out of the mount.
    const mounts = !unseen.files && _builtMountsAgent(container);
    const found = unseen.files
      ? `and its environment files, read from S3 at deploy time, may set ${_PLATFORM}`
      : mounts ? 'so it may copy the agent\'s binary into the image and run it'
        : `so it may be built on the agent's image and set ${_PLATFORM} itself`;
    // A FROM line is no help where another frontend reads the file: it may not read FROM lines at all.
    const advice = unseen.files
      ? `Set ${_PLATFORM} in its environment, not a file, so that the agent added by hand is found`
      : mounts
        ? `Copy the agent into the image with COPY --from= rather than through a RUN mount, or set ${_PLATFORM} in its environment, `
          + 'so that an agent added by hand is found'
        : _builtByOtherFrontend(container)
          ? `Set ${_PLATFORM} in its environment, or build it with Docker's own Dockerfile frontend, so that an agent added by hand is found`
          : `Write its base image in the Dockerfile's FROM line, or set ${_PLATFORM} in its environment, so that an agent added by hand is found`;
    _warnLate(scope, 'cdk-mackerel:handAgentUnchecked',
      `The container ${container.node.path} may run the Mackerel container agent, which cannot be told at synth: ${unseen.image}, `
      + `${found}. If it runs the agent, each task registers two Mackerel hosts, both billed. ${advice}, or acknowledge this warning `
      + 'if it does not run the agent');
  }
}

/** An image of the agent by its name, where the name is known at synth, for the messages. @internal */
export function _imageSign(image: string | undefined): string | undefined {
  return typeof image === 'string' && !Token.isUnresolved(image) && _AGENT_IMAGE.test(image) ? `image ${image}` : undefined;
}

/**
 * A task definition's containers, however they were added (`containers` is protected in
 * aws-cdk-lib, and containers need not be children of their task definition).
 * @internal
 */
export function _containersOf(taskDefinition: ecs.TaskDefinition): ecs.ContainerDefinition[] {
  return (taskDefinition as unknown as { containers: ecs.ContainerDefinition[] }).containers;
}
