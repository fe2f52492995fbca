import { CfnResource, Stack } from 'aws-cdk-lib';
import { _rendered } from './_rendered';
import { _references } from './_template-references';

/**
 * A stack's resources by logical ID, as CloudFormation orders them: for the synth-time checks of
 * cycles that CDK leaves to CloudFormation (a DependsOn, or a Ref in a policy document).
 * @internal
 */
export interface _DependencyGraph {
  /** The logical IDs of the stack's resources. */
  logicalIds(): string[];
  /** The construct path of a resource of the stack, or undefined for any other name (a parameter, a pseudo parameter). */
  pathOf(logicalId: string): string | undefined;
  /** The CloudFormation type of a resource of the stack (`Custom::MackerelService`), or undefined for any other name. */
  typeOf(logicalId: string): string | undefined;
  /** The logical IDs a resource waits for: its DependsOn and what it refers to, rendered only for the resources a search reaches. */
  targetsOf(logicalId: string): Set<string>;
  /** The logical IDs a resource's properties refer to (without its DependsOn). */
  referencesOf(logicalId: string): Set<string>;
}

/**
 * The dependency graph of `stack`'s own resources (not of its nested stacks'), read at validation.
 * @internal
 */
export function _dependencyGraph(stack: Stack): _DependencyGraph {
  const resources = new Map<string, CfnResource>();
  for (const resource of stack.node.findAll()) {
    if (resource instanceof CfnResource && Stack.of(resource) === stack) resources.set(stack.resolve(resource.logicalId) as string, resource);
  }
  const targets = new Map<string, Set<string>>();
  const rendered = (logicalId: string) => {
    const resource = resources.get(logicalId);
    return resource ? _rendered(resource) : {};
  };
  return {
    logicalIds: () => [...resources.keys()],
    pathOf: (logicalId) => resources.get(logicalId)?.node.path,
    typeOf: (logicalId) => resources.get(logicalId)?.cfnResourceType,
    targetsOf: (logicalId) => {
      const known = targets.get(logicalId);
      if (known) return known;
      const { DependsOn: dependsOn, Properties: properties } = rendered(logicalId);
      const found = new Set<string>(Array.isArray(dependsOn) ? dependsOn : []);
      _references(properties, found);
      targets.set(logicalId, found);
      return found;
    },
    referencesOf: (logicalId) => _references(rendered(logicalId).Properties),
  };
}

/**
 * The logical IDs from `from` to `to` along the graph's edges, both included, or undefined when `to` cannot be reached.
 * @internal
 */
export function _pathBetween(graph: _DependencyGraph, from: string, to: string): string[] | undefined {
  const cameFrom = new Map<string, string | undefined>([[from, undefined]]);
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (id === to) {
      const path: string[] = [];
      for (let at: string | undefined = id; at !== undefined; at = cameFrom.get(at)) path.unshift(at);
      return path;
    }
    for (const next of graph.targetsOf(id)) {
      if (graph.pathOf(next) !== undefined && !cameFrom.has(next)) {
        cameFrom.set(next, id);
        queue.push(next);
      }
    }
  }
  return undefined;
}
