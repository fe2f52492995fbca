import { createHash } from 'crypto';
import { Aspects, CfnResource, CustomResource, IAspect, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct, IConstruct } from 'constructs';
import { _references } from '../_template-references';
import { _characterCount, _firstCharacters } from '../_text';
import { _describeProblem, _fail, _warnLate } from '../_validation';
import { _annotationRoleNames } from './_roles';
import { _GraphAnnotationProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { _dependOnNamed } from '../service/_named-dependency';
import { IMackerelRole, MackerelRole } from '../service/role';
import { IMackerelService } from '../service/service';

/** Mackerel's limits on a graph annotation (the API answers 400 beyond them). */
const MAX_TITLE = 250;
const MAX_DESCRIPTION = 1024;

/**
 * Properties of a `DeploymentAnnotation`.
 */
export interface DeploymentAnnotationProps {
  /**
   * The service whose graphs show the annotation.
   */
  readonly service: IMackerelService;

  /**
   * Roles of `service` whose graphs show the annotation.
   *
   * @default - the whole service
   */
  readonly roles?: IMackerelRole[];

  /**
   * The annotation's title, at most 250 characters.
   *
   * @default - `deploy <stack name>`
   */
  readonly title?: string;

  /**
   * The annotation's details, at most 1024 characters.
   *
   * @default - `<stack name>, revision <revision>`
   */
  readonly description?: string;

  /**
   * A value that changes with each release, such as the commit or the image tag: a deploy that
   * changes it (or any other property) posts an annotation, and a deploy that does not, posts
   * none.
   *
   * @default - a hash of the properties of the stack's ECS task definitions as synthesized,
   *   so that a deploy that changes one (a new image, environment or size) is marked, and one
   *   that changes only their metadata or order is not; a stack without task definitions fails
   *   synthesis and needs a revision
   */
  readonly revision?: string;
}

/**
 * Marks deploys on Mackerel's graphs: a graph annotation (`Custom::MackerelGraphAnnotation`)
 * posted at the moment a deploy changes `revision`, once the stack's ECS services are deployed
 * (the annotation waits for every `ecs` service of its stack). Those of a nested stack are not
 * covered, as it deploys as one resource of its parent: the annotation warns about them.
 *
 * Each deploy that is marked posts a new annotation; earlier ones stay as the deploy history,
 * also when the construct or the stack is removed (Mackerel deletes them with their service).
 * A rollback that restores the previous revision marks the graphs again, with that revision in
 * the default description.
 *
 * @example
 * new DeploymentAnnotation(this, 'Deploys', { service: shop, roles: [web] });
 *
 * @see https://mackerel.io/api-docs/entry/graph-annotations
 */
export class DeploymentAnnotation extends Construct {
  constructor(scope: Construct, id: string, props: DeploymentAnnotationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    checkLength(this, 'title', props.title, MAX_TITLE);
    checkLength(this, 'description', props.description, MAX_DESCRIPTION);
    if (props.revision !== undefined && !Token.isUnresolved(props.revision) && props.revision.trim() === '') {
      _fail(this, 'revision', props.revision, 'is empty', 'a value that changes with each release, such as a commit', 'Leave it out to follow the task definitions');
    }
    const roleNames = _annotationRoleNames(this, props.roles ?? [], props.service);
    const revision = props.revision ?? Lazy.string({ produce: () => taskDefinitionsRevision(stack) ?? 'none' });
    if (props.revision === undefined) {
      this.node.addValidation({
        validate: () => (taskDefinitionsOf(stack).length > 0 ? [] : [_describeProblem('revision', undefined,
          `is missing, and stack ${stack.node.path} has no ECS task definition whose changes would mark a deploy`,
          'a value that changes with each release, such as a commit or an image tag')]),
      });
    }
    const description = props.description ?? `${stack.stackName}, revision ${revision}`;
    if (props.description === undefined) checkDefaultDescription(this, description, props.revision);
    const properties: _GraphAnnotationProperties = {
      title: props.title ?? `deploy ${stack.stackName}`,
      description,
      service: props.service.name,
      roles: roleNames.length > 0 ? roleNames : undefined,
      revision,
    };
    const resource = _createMackerelResource(this, _RESOURCE_TYPES.GRAPH_ANNOTATION, { ...properties });
    // Mackerel refuses an annotation on a service or role that does not exist yet. Role names are
    // sent, not the roles' references, and a service or role known by its literal name may be one
    // a MackerelService or MackerelRole of this stack creates: wait for each.
    _dependOnNamed(this, props.service.name, false);
    for (const role of props.roles ?? []) {
      if (role instanceof MackerelRole) resource.node.addDependency(role);
      else _dependOnNamed(this, role.fullName, true);
    }
    const afterServices = new AfterServices(resource, stack);
    Aspects.of(stack).add(afterServices);
    this.node.addValidation({ validate: () => afterServices.servicesWaitingForTheAnnotation() });
  }
}

/** Makes the annotation wait for every ECS service of its stack: it marks a finished rollout. */
class AfterServices implements IAspect {
  private readonly services: ecs.CfnService[] = [];
  private readonly nestedWarned = new Set<Stack>();

  constructor(private readonly annotation: CustomResource, private readonly stack: Stack) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof ecs.CfnService) && !(node instanceof ecs.CfnTaskDefinition)) return;
    const stack = Stack.of(node);
    // Below this stack, another stack is a nested one: it deploys as one resource of this stack.
    if (stack !== this.stack) {
      this.warnNested(stack);
      return;
    }
    if (node instanceof ecs.CfnService && !this.services.includes(node)) {
      this.annotation.node.addDependency(node);
      this.services.push(node);
    }
  }

  private warnNested(nested: Stack): void {
    if (this.nestedWarned.has(nested)) return;
    this.nestedWarned.add(nested);
    _warnLate(this.annotation.node.scope!, 'cdk-mackerel:deploymentAnnotationNestedStack',
      `Nested stack ${nested.node.path} has ECS services or task definitions, which this annotation neither waits for nor follows in its default `
      + `revision: it covers the ECS resources of stack ${this.stack.node.path} only. Give the nested stack a DeploymentAnnotation of its own `
      + '(with its own MackerelProvider), or give this one a revision and make it depend on the nested stack');
  }

  /**
   * A problem for each service that itself waits for the annotation (a DependsOn or a reference,
   * directly or through other resources), such as a service made to depend on a construct that
   * holds the annotation: the two would wait for each other, which CloudFormation refuses only at
   * deploy time, as a circular dependency between resources.
   */
  public servicesWaitingForTheAnnotation(): string[] {
    if (this.services.length === 0) return [];
    const graph = dependencyGraph(this.stack);
    const annotation = this.stack.resolve((this.annotation.node.defaultChild as CfnResource).logicalId) as string;
    return this.services.flatMap((service) => {
      const path = pathBetween(graph, this.stack.resolve(service.logicalId) as string, annotation);
      if (!path) return [];
      const shown = path.map((id) => graph.pathOf(id) ?? id).join(' -> ');
      return [_describeProblem('ECS service', service.node.path,
        `waits for this annotation (${shown}), which waits for every ECS service of its stack, so each would wait for the other and CloudFormation `
        + 'would refuse the circular dependency', 'ECS services that do not depend on the annotation',
        'Make the service depend on the Mackerel roles or service it needs, not on a construct that holds the annotation')];
    });
  }
}

/** A stack's resources by logical ID. */
interface DependencyGraph {
  /** The construct path of a resource of the stack, or undefined for any other name (a parameter, a pseudo parameter). */
  pathOf(logicalId: string): string | undefined;
  /** The logical IDs a resource waits for: its DependsOn and what it refers to, rendered only for the resources a service reaches. */
  targetsOf(logicalId: string): Set<string>;
}

function dependencyGraph(stack: Stack): DependencyGraph {
  const resources = new Map<string, CfnResource>();
  for (const resource of stack.node.findAll()) {
    if (resource instanceof CfnResource && Stack.of(resource) === stack) resources.set(stack.resolve(resource.logicalId) as string, resource);
  }
  const targets = new Map<string, Set<string>>();
  return {
    pathOf: (logicalId) => resources.get(logicalId)?.node.path,
    targetsOf: (logicalId) => {
      const known = targets.get(logicalId);
      if (known) return known;
      const resource = resources.get(logicalId);
      const rendered = resource ? stack.resolve(resource._toCloudFormation())?.Resources?.[logicalId] ?? {} : {};
      const found = new Set<string>(Array.isArray(rendered.DependsOn) ? rendered.DependsOn : []);
      _references(rendered.Properties, found);
      targets.set(logicalId, found);
      return found;
    },
  };
}

/** The logical IDs from `from` to `to` along the graph's edges, both included, or undefined when `to` cannot be reached. */
function pathBetween(graph: DependencyGraph, from: string, to: string): string[] | undefined {
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

function checkLength(scope: IConstruct, property: string, value: string | undefined, max: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (property === 'title' && value.trim() === '') _fail(scope, property, value, 'is empty', 'a non-empty title');
  const count = _characterCount(value);
  if (count > max) _fail(scope, property, `${_firstCharacters(value, 40)}...`, `has ${count} characters`, `at most ${max}`);
}

/** A revision of the user's goes into the default description, which Mackerel limits as any other. */
function checkDefaultDescription(scope: IConstruct, description: string, revision: string | undefined): void {
  if (revision === undefined || Token.isUnresolved(description)) return;
  const count = _characterCount(description);
  if (count <= MAX_DESCRIPTION) return;
  _fail(scope, 'revision', `${_firstCharacters(revision, 40)}...`, `makes the default description "<stack name>, revision <revision>" ${count} characters long`,
    `a default description of at most ${MAX_DESCRIPTION} characters`, 'Give a shorter revision (a commit, a tag), or a description of your own');
}

/**
 * A short hash of the stack's task definitions as they are written into the template: it changes
 * when a deploy changes one of them (a new image asset hash, an environment value, a size). Only
 * what ECS registers counts (each one's properties, by logical ID, sorted), so that neither
 * metadata (a cdk-nag suppression, the construct path), a new `DependsOn` nor the order the app
 * happens to create them in marks a deploy that leaves every task definition as it was.
 */
function taskDefinitionsRevision(stack: Stack): string | undefined {
  const definitions = taskDefinitionsOf(stack);
  if (definitions.length === 0) return undefined;
  const registered = definitions
    .map((definition) => [stack.resolve(definition.logicalId) as string, stack.resolve(definition._toCloudFormation())] as const)
    .map(([logicalId, template]) => [logicalId, template?.Resources?.[logicalId]?.Properties ?? {}] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(registered)).digest('hex').slice(0, 12);
}

function taskDefinitionsOf(stack: Stack): ecs.CfnTaskDefinition[] {
  return stack.node.findAll().filter((c): c is ecs.CfnTaskDefinition => c instanceof ecs.CfnTaskDefinition && Stack.of(c) === stack);
}
