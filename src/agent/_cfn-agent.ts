import { CfnResource, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { _containerOverride, _containersOverride, _overridden } from './_container-overrides';
import { _assetBuiltOnAgent, _commandKnowable, _pathIn } from './_image-source';
import { _PLATFORM, _imageSign } from './_task-checks';

/**
 * How a container definition's fields are spelt: camelCase in a `CfnTaskDefinition`'s props (the
 * L1 renders them), as CloudFormation writes them in a raw `CfnResource`'s properties (passed as they are).
 */
interface Spelling {
  readonly name: string;
  readonly value: string;
  readonly image: string;
  readonly environment: string;
  readonly secrets: string;
  readonly environmentFiles: string;
  readonly entryPoint: string;
  readonly command: string;
  readonly workingDirectory: string;
}

const L1_SPELLING: Spelling = {
  name: 'name', value: 'value', image: 'image', environment: 'environment', secrets: 'secrets', environmentFiles: 'environmentFiles', entryPoint: 'entryPoint', command: 'command', workingDirectory: 'workingDirectory',
};
const CFN_SPELLING: Spelling = {
  name: 'Name', value: 'Value', image: 'Image', environment: 'Environment', secrets: 'Secrets', environmentFiles: 'EnvironmentFiles', entryPoint: 'EntryPoint', command: 'Command', workingDirectory: 'WorkingDirectory',
};

/**
 * What the containers of a task definition written as its CloudFormation resource (a
 * `CfnTaskDefinition`, as cloudformation-include reads one, or a plain `CfnResource` of type
 * `AWS::ECS::TaskDefinition`) show of the agent at synth: the container that runs it, known as
 * `_handAgentSign` knows one; else where one could still run it,
 * known only at deploy time (`unread`): its container definitions, one of them (an `Fn::If`
 * element, as a template with a condition on its agent has), or an image and environment variables
 * that are tokens, which may name the agent's image or hold `MACKEREL_CONTAINER_PLATFORM`. A literal
 * image that is not the agent's with an environment of tokens is taken for no agent: the variable
 * alone marks a mirror whose name is a token, and a literal mirror keeps the repository's name.
 * Neither when every container can be read and none runs the agent. What escape hatches write over
 * the containers (`addPropertyOverride`) is read first: the template holds it, not the props.
 * @internal
 */
export function _cfnAgentOf(taskDefinition: CfnResource): CfnAgent {
  const overriding = overridingAgentOf(taskDefinition) ?? {};
  if (overriding.agent) return overriding;
  // Where an escape hatch writes over the properties or the list whole, the containers given are not those deployed.
  if (_containersOverride(taskDefinition) === 'replaced') return overriding;
  const given = givenAgentOf(taskDefinition);
  return given.agent ? given : { unread: overriding.unread ?? given.unread };
}

/** What `_cfnAgentOf` finds. @internal */
export interface CfnAgent {
  readonly agent?: { readonly name?: string; readonly sign: string };
  readonly unread?: string;
}

function givenAgentOf(taskDefinition: CfnResource): CfnAgent {
  const l1 = taskDefinition instanceof ecs.CfnTaskDefinition;
  // A raw resource keeps its properties as given (`_cfnProperties` is protected in aws-cdk-lib).
  const properties: unknown = l1 ? undefined : (taskDefinition as unknown as { _cfnProperties?: unknown })._cfnProperties;
  if (knownAtDeploy(properties)) return { unread: 'Properties is a token' };
  const containers: unknown = l1
    ? taskDefinition.containerDefinitions
    : (properties as { ContainerDefinitions?: unknown } | undefined)?.ContainerDefinitions;
  if (containers === undefined) return {};
  if (!Array.isArray(containers)) return { unread: 'ContainerDefinitions is a token' };
  const spelling = l1 ? L1_SPELLING : CFN_SPELLING;
  // Each read as deployed: with what escape hatches write over its fields (one written over whole is read as written).
  const deployed = [...containers.entries()].flatMap(([index, container]): Array<[number, unknown]> => {
    const over = isObject(container) && !knownAtDeploy(container) ? _containerOverride(taskDefinition, index) : undefined;
    if (over === undefined) return [[index, container]];
    return over === 'replaced' ? [] : [[index, overriddenContainer(container as { [key: string]: unknown }, spelling, over)]];
  });
  return agentAmong(taskDefinition, deployed, spelling, 'ContainerDefinitions');
}

/**
 * A container given in `spelling` with what escape hatches write over its fields (`over`, in CloudFormation's spelling),
 * still in `spelling`, as aws-cdk-lib merges them into the template; where they make its command unknowable at synth, its
 * image is no longer read for a Dockerfile running the agent (`COMMAND_UNKNOWABLE`).
 */
function overriddenContainer(container: { [key: string]: unknown }, spelling: Spelling,
  over: { readonly [field: string]: unknown }): { [key: string]: unknown } {
  // Variables and secrets as CloudFormation spells them, into which the override merges, then back.
  const respelt = (list: unknown, from: Spelling, to: Spelling, value: 'value' | 'valueFrom') => Array.isArray(list)
    ? list.map((entry) => isObject(entry) && !knownAtDeploy(entry)
      ? { [to.name]: entry[from.name], [value === 'value' ? to.value : `${to.value}From`]: entry[value === 'value' ? from.value : `${from.value}From`] }
      : entry)
    : list;
  const field = (name: keyof Spelling) => _overridden(container[spelling[name]], over, CFN_SPELLING[name]);
  const list = (name: 'environment' | 'secrets', value: 'value' | 'valueFrom') =>
    respelt(_overridden(respelt(container[spelling[name]], spelling, CFN_SPELLING, value), over, CFN_SPELLING[name]), CFN_SPELLING, spelling, value);
  const merged: { [key: string]: unknown } = {
    ...container,
    [spelling.name]: field('name'),
    [spelling.image]: field('image'),
    [spelling.environment]: list('environment', 'value'),
    [spelling.secrets]: list('secrets', 'valueFrom'),
    [spelling.environmentFiles]: field('environmentFiles'),
    [spelling.entryPoint]: field('entryPoint'),
    [spelling.command]: field('command'),
    [spelling.workingDirectory]: field('workingDirectory'),
  };
  const knowable = _commandKnowable({
    entryPoint: merged[spelling.entryPoint],
    command: merged[spelling.command],
    path: _pathIn(respelt(merged[spelling.environment], spelling, CFN_SPELLING, 'value')),
  }, over);
  return knowable ? merged : { ...merged, [COMMAND_UNKNOWABLE]: true };
}

/** Marks a container whose command escape hatches make unknowable at synth. */
const COMMAND_UNKNOWABLE = Symbol('command unknowable');

/**
 * What escape hatches write over the containers shows of the agent (whole containers, or some of
 * their fields, in CloudFormation's spelling, as `addPropertyOverride('ContainerDefinitions.1', agent)`
 * adds the agent by hand to a template read by cloudformation-include); undefined when none writes
 * over them. The props alone would show no agent there.
 */
function overridingAgentOf(resource: CfnResource): CfnAgent | undefined {
  // `rawOverrides` is private in aws-cdk-lib: the overridden paths as a tree (`ContainerDefinitions.1` as `{ "1": ... }`).
  const properties = (resource as unknown as { rawOverrides?: { Properties?: unknown } }).rawOverrides?.Properties;
  if (properties === undefined) return undefined;
  if (knownAtDeploy(properties) || !isObject(properties)) return { unread: 'an override of Properties is a token' };
  if (!('ContainerDefinitions' in properties)) return undefined;
  const containers = properties.ContainerDefinitions;
  const list = 'an override of ContainerDefinitions';
  if (knownAtDeploy(containers)) return { unread: `${list} is a token` };
  if (Array.isArray(containers)) return agentAmong(resource, [...containers.entries()], CFN_SPELLING, list);
  // A deletion (undefined) adds no container.
  return isObject(containers) ? agentAmong(resource, Object.entries(containers), CFN_SPELLING, list) : {};
}

/**
 * What containers, by their index, show of the agent: the first that runs it, else the first
 * place it could hide, as `_cfnAgentOf` says; `list` names them in the latter.
 */
function agentAmong(resource: CfnResource, containers: Array<[number | string, unknown]>, spelling: Spelling, list: string): CfnAgent {
  let unread: string | undefined;
  for (const [index, container] of containers) {
    if (knownAtDeploy(container)) {
      unread ??= `${list}[${index}] is a token or an intrinsic function (such as Fn::If)`;
      continue;
    }
    // No container CloudFormation would take (null, say, as a computed list may hold): it runs nothing.
    if (!isObject(container)) continue;
    const name = container[spelling.name];
    const read = readCfnContainer(resource, container, spelling, `${list}[${index}]`);
    if (read.sign) return { agent: { name: typeof name === 'string' && !Token.isUnresolved(name) ? name : undefined, sign: read.sign } };
    unread ??= read.unread;
  }
  return { unread };
}

/** A value written as a token, or as an intrinsic function in its JSON form (`{ "Fn::If": [...] }`, `{ "Ref": "..." }`). */
function knownAtDeploy(value: unknown): boolean {
  if (Token.isUnresolved(value)) return true;
  if (!isObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/**
 * What one literal container definition shows of the agent: its sign, or where it could hide when
 * its image is not a literal: a token in its environment or secrets where `MACKEREL_CONTAINER_PLATFORM`
 * could be, or environment files, read only at deploy time.
 */
function readCfnContainer(resource: CfnResource, container: { [key: string]: unknown }, spelling: Spelling, where: string): {
  readonly sign?: string;
  readonly unread?: string;
} {
  const image = container[spelling.image];
  const environment = variablesOf(container[spelling.environment], spelling);
  const secrets = variablesOf(container[spelling.secrets], spelling);
  const sign = _imageSign(typeof image === 'string' ? image : undefined)
    // A DockerImageAsset of the app, by its image URI (a token): its Dockerfile tells whether it is built on the agent's image.
    ?? (typeof image === 'string' && Token.isUnresolved(image) && !(COMMAND_UNKNOWABLE in container)
      ? _assetBuiltOnAgent(resource, image, {
        entryPoint: container[spelling.entryPoint],
        command: container[spelling.command],
        path: pathOf(container[spelling.environment], spelling),
        workingDirectory: container[spelling.workingDirectory],
      })
      : undefined)
    ?? (environment.names.includes(_PLATFORM) ? `${_PLATFORM} in its environment` : undefined)
    ?? (secrets.names.includes(_PLATFORM) ? `${_PLATFORM} in its secrets` : undefined);
  if (sign || image === undefined || (typeof image === 'string' && !Token.isUnresolved(image))) return { sign };
  if (environment.unread || secrets.unread) return { unread: `the Image and Environment of ${where} are tokens or intrinsic functions` };
  const files = container[spelling.environmentFiles];
  if (files !== undefined && (!Array.isArray(files) || files.length > 0)) {
    return { unread: `the Image of ${where} is a token or an intrinsic function and its EnvironmentFiles are read at deploy time` };
  }
  return {};
}

/** The literal variable names of an L1 list of `{ name, value }` (or `{ name, valueFrom }`), and whether a token may hide more. */
function variablesOf(list: unknown, spelling: Spelling): { readonly names: string[]; readonly unread: boolean } {
  if (list === undefined) return { names: [], unread: false };
  if (!Array.isArray(list) || knownAtDeploy(list)) return { names: [], unread: true };
  // An entry that is no object (null, say) sets no variable.
  const entries = (list as unknown[]).filter((v) => knownAtDeploy(v) || isObject(v));
  const names = entries.map((v) => (knownAtDeploy(v) ? undefined : (v as { [key: string]: unknown })[spelling.name]))
    .filter((name): name is string => typeof name === 'string' && !Token.isUnresolved(name));
  return { names, unread: names.length < entries.length };
}

/** The PATH a container's environment sets (its last PATH entry, as ECS hands the variables to Docker), which replaces the image's. */
function pathOf(list: unknown, spelling: Spelling): unknown {
  if (!Array.isArray(list) || knownAtDeploy(list)) return undefined;
  let path: unknown;
  for (const entry of list as unknown[]) if (isObject(entry) && !knownAtDeploy(entry) && entry[spelling.name] === 'PATH') path = entry[spelling.value];
  return path;
}

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
