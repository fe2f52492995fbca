import { createHash } from 'crypto';
import { Aspects, CfnCondition, CfnParameter, CfnResource, CustomResource, Fn, IAspect, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct, IConstruct } from 'constructs';
import { _DependencyGraph, _dependencyGraph, _pathBetween } from '../_dependency-graph';
import { _rendered } from '../_rendered';
import { _isListParameterType, _references } from '../_template-references';
import { _describeProblem, _fail, _warnLate } from '../_validation';

/**
 * What marks a deploy for a construct that acts on each one (`DeploymentAnnotation`,
 * `DeploymentDowntime`): the `revision` given, checked not to be empty, or by default a hash of
 * the stack's ECS task definitions and the values of the parameters they use; a stack without
 * any then fails synthesis, as nothing would ever change. `acts` says what a deploy does, for the messages (`mark a deploy`).
 * @internal
 */
export function _deployRevision(scope: Construct, revision: string | undefined, acts: string): string {
  const stack = Stack.of(scope);
  if (revision !== undefined) {
    if (!Token.isUnresolved(revision) && revision.trim() === '') {
      _fail(scope, 'revision', revision, 'is empty', 'a value that changes with each release, such as a commit', 'Leave it out to follow the task definitions');
    }
    return revision;
  }
  scope.node.addValidation({
    validate: () => (ownElements(stack).definitions.length > 0 ? [] : [_describeProblem('revision', undefined,
      `is missing, and stack ${stack.node.path} has no ECS task definition whose changes would ${acts}`,
      'a value that changes with each release, such as a commit or an image tag')]),
  });
  return Lazy.string({ produce: () => taskDefinitionsRevision(stack) ?? 'none' });
}

/** How a resource is ordered against the ECS services of its stack, and what the messages call it. @internal */
export interface _EcsServiceOrder {
  /** `after`: the resource waits for every ECS service (it marks a finished rollout); `before`: every ECS service waits for it. */
  readonly when: 'before' | 'after';
  /** The construct, in messages: `this annotation`. */
  readonly what: string;
  /** Its class, in messages: `DeploymentAnnotation`. */
  readonly kind: string;
  /** The id of the warning about ECS resources of nested stacks, which are not ordered. */
  readonly nestedWarning: string;
  /** What the construct does not do for a nested stack's ECS resources: `neither waits for nor follows in its default revision`. */
  readonly nestedMisses: string;
  /**
   * Whether the construct was given a revision: with one, a nested stack ordered against the
   * resource (as the warning advises) is covered, and not warned about.
   */
  readonly revisionGiven: boolean;
  /**
   * The id of the warning given when nothing in the stack waits for the resource: no ECS service
   * (of the stack or, ordered against it, of a nested stack) and no other resource.
   * @default - no such warning
   */
  readonly unorderedWarning?: string;
}

/**
 * Orders `resource` against every ECS service of its stack, through an Aspect (services may be
 * added after the construct), and fails synthesis where that would make a cycle: a service that
 * already waits for the resource (`after`), or a resource that already waits for a service
 * (`before`), which CloudFormation would refuse only at deploy time.
 * @internal
 */
export function _orderWithEcsServices(scope: Construct, resource: CustomResource, order: _EcsServiceOrder): void {
  const stack = Stack.of(scope);
  const ordering = new EcsServiceOrdering(resource, stack, order);
  Aspects.of(stack).add(ordering);
  scope.node.addValidation({
    validate: () => {
      // One graph for the three checks, built only if one of them needs it.
      let graph: _DependencyGraph | undefined;
      const graphOnce = () => (graph ??= _dependencyGraph(stack));
      ordering.warnNested(graphOnce);
      ordering.warnUnordered(graphOnce);
      return ordering.cycles(graphOnce);
    },
  });
}

class EcsServiceOrdering implements IAspect {
  private readonly services: ecs.CfnService[] = [];
  /** The stacks below this one with ECS resources, in the order found. */
  private readonly nested: Stack[] = [];
  private readonly nestedWarned = new Set<Stack>();

  constructor(private readonly resource: CustomResource, private readonly stack: Stack, private readonly order: _EcsServiceOrder) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof ecs.CfnService) && !(node instanceof ecs.CfnTaskDefinition)) return;
    const stack = Stack.of(node);
    // Below this stack, another stack is a nested one: it deploys as one resource of this stack.
    if (stack !== this.stack) {
      if (!this.nested.includes(stack)) this.nested.push(stack);
      return;
    }
    if (node instanceof ecs.CfnService && !this.services.includes(node)) {
      if (this.order.when === 'after') this.resource.node.addDependency(node);
      else node.node.addDependency(this.resource);
      this.services.push(node);
    }
  }

  /**
   * Warns about each nested stack with ECS resources, unless the advice of the warning was
   * followed: the construct has a revision, and the nested stack's resource in this stack is
   * ordered against it (a DependsOn, directly or through other resources). Called at validation,
   * once construct dependencies are DependsOn of the template.
   */
  public warnNested(graphOnce: () => _DependencyGraph): void {
    for (const nested of this.nested) {
      if (this.nestedWarned.has(nested)) continue;
      this.nestedWarned.add(nested);
      const stackResource = this.order.revisionGiven ? resourceInStack(nested, this.stack) : undefined;
      if (stackResource) {
        const graph = graphOnce();
        const resource = this.resourceId();
        const nestedId = this.stack.resolve(stackResource.logicalId) as string;
        if (this.order.when === 'after' ? _pathBetween(graph, resource, nestedId) : _pathBetween(graph, nestedId, resource)) continue;
      }
      this.warnNestedStack(nested);
    }
  }

  /**
   * For a resource every ECS service waits for (`before`): warns when nothing of the stack waits
   * for it, as it then starts whenever CloudFormation reaches it, before or after what a deploy
   * changes. A nested stack with ECS resources has its own warning, or is ordered against it.
   */
  public warnUnordered(graphOnce: () => _DependencyGraph): void {
    const id = this.order.unorderedWarning;
    if (!id || this.order.when !== 'before' || this.services.length > 0 || this.nested.length > 0) return;
    const graph = graphOnce();
    const resource = this.resourceId();
    if (graph.logicalIds().some((other) => other !== resource && graph.targetsOf(other).has(resource))) return;
    const { what, kind } = this.order;
    _warnLate(this.resource.node.scope!, id,
      `Stack ${this.stack.node.path} has no ECS service, and nothing else waits for ${what}: it starts whenever CloudFormation reaches it `
      + `in a deploy, which may be after the resources the deploy changes, and covers no rollout. Put the ${kind} in the stack of the ECS services `
      + 'it is for, or make the resources a deploy changes depend on it');
  }

  /** The logical ID of the resource ordered against the ECS services. */
  private resourceId(): string {
    return this.stack.resolve((this.resource.node.defaultChild as CfnResource).logicalId) as string;
  }

  private warnNestedStack(nested: Stack): void {
    const { what, kind, nestedMisses, when } = this.order;
    _warnLate(this.resource.node.scope!, this.order.nestedWarning,
      `Nested stack ${nested.node.path} has ECS services or task definitions, which ${what} ${nestedMisses}: `
      + `it covers the ECS resources of stack ${this.stack.node.path} only. Give the nested stack a ${kind} of its own `
      + `(with its own MackerelProvider), or give this one a revision and make ${when === 'after' ? 'it depend on the nested stack' : 'the nested stack depend on it'}`);
  }

  /**
   * A problem for each ECS service in a cycle with the resource: one that waits for the resource
   * when the resource waits for every service, or one the resource waits for when every service
   * waits for it (a DependsOn or a reference, directly or through other resources).
   */
  public cycles(graphOnce: () => _DependencyGraph): string[] {
    if (this.services.length === 0) return [];
    const graph = graphOnce();
    const resource = this.resourceId();
    const { what, when } = this.order;
    return this.services.flatMap((service) => {
      const serviceId = this.stack.resolve(service.logicalId) as string;
      const path = when === 'after' ? _pathBetween(graph, serviceId, resource) : _pathBetween(graph, resource, serviceId);
      if (!path) return [];
      const shown = path.map((id) => graph.pathOf(id) ?? id).join(' -> ');
      return when === 'after'
        ? [_describeProblem('ECS service', service.node.path,
          `waits for ${what} (${shown}), which waits for every ECS service of its stack, so each would wait for the other and CloudFormation `
          + 'would refuse the circular dependency', `ECS services that do not depend on the ${what.replace(/^this /, '')}`,
          `Make the service depend on the Mackerel roles or service it needs, not on a construct that holds the ${what.replace(/^this /, '')}`)]
        : [_describeProblem('ECS service', service.node.path,
          `is waited for by ${what} (${shown}), for which every ECS service of its stack waits, so each would wait for the other and CloudFormation `
          + 'would refuse the circular dependency', `a ${what.replace(/^this /, '')} that depends on no ECS service of its stack`,
          graph.referencesOf(resource).has(path[1])
            // The first step is a property of the resource (a monitor or role of a downtime's scopes), not where it is.
            ? `Scope the ${what.replace(/^this /, '')} to monitors, services and roles that neither refer to nor wait for an ECS service of its stack: `
              + `${graph.pathOf(path[1]) ?? path[1]} leads to one (a metric naming the ECS service by its serviceName rather than by a literal name, say)`
            : `Put the ${what.replace(/^this /, '')} where it depends on no ECS service (not under a construct that waits for one)`)];
    });
  }
}

/** The resource of `stack` that deploys `nested` (through the nested stacks between them), or undefined for a stack not nested in it. */
function resourceInStack(nested: Stack, stack: Stack): CfnResource | undefined {
  let at: Stack | undefined = nested;
  while (at?.nestedStackParent !== undefined && at.nestedStackParent !== stack) at = at.nestedStackParent;
  return at?.nestedStackParent === stack ? at.nestedStackResource : undefined;
}

/**
 * A short hash of the stack's task definitions as they are written into the template: it changes
 * when a deploy changes one of them (a new image asset hash, an environment value, a size). Only
 * what ECS registers counts (each one's properties, by logical ID, sorted), so that neither
 * metadata (a cdk-nag suppression, the construct path), a new `DependsOn` nor the order the app
 * happens to create them in marks a deploy that leaves every task definition as it was.
 *
 * The template holds only the name of a template parameter (an image tag given at deploy, an
 * SSM parameter's value), whose new value changes the task definition at deploy time: the value
 * of each parameter the task definitions refer to (directly, or through the conditions an
 * `Fn::If` of theirs chooses by) follows the hash, joined by CloudFormation.
 * NoEcho parameters are left out, so that their values never reach Mackerel.
 */
function taskDefinitionsRevision(stack: Stack): string | undefined {
  const { definitions, parameters, conditions } = ownElements(stack);
  if (definitions.length === 0) return undefined;
  const registered = definitions
    .map((definition) => [stack.resolve(definition.logicalId) as string, stack.resolve(definition._toCloudFormation())] as const)
    .map(([logicalId, template]) => [logicalId, template?.Resources?.[logicalId]?.Properties ?? {}] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256').update(JSON.stringify(registered)).digest('hex').slice(0, 12);
  const properties = registered.map(([, props]) => props);
  const names = _references(properties);
  conditionReferences(stack, conditions, properties, names);
  const referred = [...names].filter((name) => parameters.has(name)).sort();
  if (referred.length === 0) return hash;
  const values = referred.map((name) => {
    const parameter = parameters.get(name)!;
    return _isListParameterType(parameter.type) ? Fn.join(',', parameter.valueAsList) : parameter.valueAsString;
  });
  return Fn.join(' ', [hash, ...values]);
}

/**
 * Adds to `out` what the conditions a value chooses by (`Fn::If`) refer to, through the conditions
 * they name in turn: a parameter tested by a condition (`Env` = `prod`) changes the task
 * definition at deploy time as one it uses directly does.
 */
function conditionReferences(stack: Stack, conditions: ReadonlyMap<string, CfnCondition>, value: unknown, out: Set<string>): void {
  const seen = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        const name = k === 'Fn::If' && Array.isArray(inner) ? inner[0] : k === 'Condition' ? inner : undefined;
        if (typeof name === 'string' && !seen.has(name)) {
          seen.add(name);
          const expression = conditions.get(name)?.expression;
          if (expression) {
            const rendered = stack.resolve(expression);
            _references(rendered, out);
            visit(rendered);
          }
        }
        visit(inner);
      }
    }
  };
  visit(value);
}

/**
 * What the default revision reads of the stack itself (not its nested stacks), from one walk of
 * its constructs: the task definitions, the parameters by logical ID (not NoEcho ones: a value
 * would be shown in Mackerel, in the revision and an annotation's description, so their changes
 * go unseen instead) and the conditions by logical ID.
 */
function ownElements(stack: Stack): {
  definitions: ecs.CfnTaskDefinition[]; parameters: Map<string, CfnParameter>; conditions: Map<string, CfnCondition>;
} {
  const definitions: ecs.CfnTaskDefinition[] = [];
  const parameters = new Map<string, CfnParameter>();
  const conditions = new Map<string, CfnCondition>();
  for (const c of stack.node.findAll()) {
    if (c instanceof ecs.CfnTaskDefinition) {
      if (Stack.of(c) === stack) definitions.push(c);
    } else if (c instanceof CfnParameter) {
      if (Stack.of(c) === stack && !c.noEcho) parameters.set(stack.resolve(c.logicalId) as string, c);
    } else if (c instanceof CfnCondition && Stack.of(c) === stack) {
      conditions.set(stack.resolve(c.logicalId) as string, c);
    }
  }
  return { definitions, parameters, conditions };
}
