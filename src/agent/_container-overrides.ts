import { CfnResource, Lazy, Token } from 'aws-cdk-lib';
import type * as ecs from 'aws-cdk-lib/aws-ecs';

/**
 * What escape hatches (`addPropertyOverride`) write over the container at `index` of a task definition's resource, as
 * aws-cdk-lib merges them into the template: `replaced` where they write over the properties, the list of containers or
 * that container whole (with a list, a token, an intrinsic function, or a deletion), so that what the resource was given
 * for it is not what is deployed; else the fields written over, in CloudFormation's spelling (`Command`, or `Command`
 * holding `{ "0": ... }` for `Command.0`), each merged as `_overridden` merges it; undefined where none is written over it.
 * @internal
 */
export function _containerOverride(resource: CfnResource, index: number): 'replaced' | { readonly [field: string]: unknown } | undefined {
  const containers = _containersOverride(resource);
  if (containers === undefined || containers === 'replaced') return containers;
  if (!(String(index) in containers)) return undefined;
  const container = containers[String(index)];
  return merging(container) ? container : 'replaced';
}

/**
 * What escape hatches write over an ecs.TaskDefinition's container in its task definition's resource, by its place in the
 * list (`_containerOverride`): the template holds that, not the container's props.
 * @internal
 */
export function _ecsContainerOverride(container: ecs.ContainerDefinition): ReturnType<typeof _containerOverride> {
  const resource = container.taskDefinition.node.defaultChild;
  const index = (container.taskDefinition as unknown as { containers: ecs.ContainerDefinition[] }).containers.indexOf(container);
  return resource instanceof CfnResource && index >= 0 ? _containerOverride(resource, index) : undefined;
}

/**
 * What escape hatches write over the list of containers of a task definition's resource: `replaced` where they write over
 * the properties or the list whole; else the containers written over, by their index; undefined where none is.
 * @internal
 */
export function _containersOverride(resource: CfnResource): 'replaced' | { readonly [index: string]: unknown } | undefined {
  // `rawOverrides` is private in aws-cdk-lib: the overridden paths as a tree (`ContainerDefinitions.1.Command` as
  // `{ Properties: { ContainerDefinitions: { "1": { Command: [...] } } } }`), merged into the rendered properties at synth.
  const raw = (resource as unknown as { rawOverrides?: { [key: string]: unknown } }).rawOverrides;
  if (raw === undefined || !('Properties' in raw)) return undefined;
  const properties = raw.Properties;
  if (!merging(properties)) return 'replaced';
  if (!('ContainerDefinitions' in properties)) return undefined;
  const containers = properties.ContainerDefinitions;
  return merging(containers) ? containers : 'replaced';
}

/**
 * A value known only once deployed: a field an escape hatch writes over with a token or an intrinsic function, or merges
 * into a value that is one.
 * @internal
 */
export const _UNKNOWABLE: unknown = Lazy.any({ produce: () => undefined });

/**
 * A field of a container as deployed: as given (`given`, in CloudFormation's spelling) where the override (`over`, from
 * `_containerOverride`) does not write over it; else as aws-cdk-lib's deepMerge merges it: a list, a string, a deletion,
 * a token or an intrinsic function replaces it, an object is merged into it key by key (`Command.0` into its list).
 * `_UNKNOWABLE` where what is merged is known only once deployed, or leaves a list with a hole (rendered as null).
 * @internal
 */
export function _overridden(given: unknown, over: { readonly [field: string]: unknown }, field: string): unknown {
  return field in over ? merged(given, over[field]) : given;
}

function merged(given: unknown, over: unknown): unknown {
  if (Token.isUnresolved(over) || intrinsic(over)) return _UNKNOWABLE;
  if (!merging(over)) return over;
  if (Token.isUnresolved(given)) return _UNKNOWABLE;
  // deepMerge makes an object of a value that is none, and replaces an intrinsic function with the keys merged.
  const target: { [key: string]: unknown } | unknown[] = Array.isArray(given) ? [...given]
    : typeof given === 'object' && given !== null && !intrinsic(given) ? { ...given } : {};
  for (const [key, value] of Object.entries(over)) {
    const next = value === undefined ? undefined : merged((target as { [key: string]: unknown })[key], value);
    if (next === _UNKNOWABLE) return _UNKNOWABLE;
    if (value === undefined) delete (target as { [key: string]: unknown })[key];
    else (target as { [key: string]: unknown })[key] = next;
  }
  if (Array.isArray(target) && Object.keys(target).filter((key) => /^\d+$/.test(key)).length !== target.length) return _UNKNOWABLE;
  return target;
}

/** An object an override is merged into key by key: neither a list, a token, nor an intrinsic function. */
function merging(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Token.isUnresolved(value) && !intrinsic(value);
}

/** An intrinsic function in its JSON form (`{ "Fn::If": [...] }`, `{ "Ref": "..." }`), which deepMerge does not merge into. */
function intrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}
