import { Lazy, Stack, Token } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { _deployRevision, _orderWithEcsServices } from './_deploys';
import { _annotationRoleNames } from './_roles';
import { _characterCount, _firstCharacters } from '../_text';
import { _fail } from '../_validation';
import { _GRAPH_ANNOTATION_LIMITS, _GraphAnnotationProperties, _RESOURCE_TYPES } from '../provider/_properties';
import { _createMackerelResource } from '../provider/_resource';
import { _dependOnServiceAndRoles } from '../service/_named-dependency';
import { IMackerelRole } from '../service/role';
import { IMackerelService } from '../service/service';

const { title: MAX_TITLE, description: MAX_DESCRIPTION } = _GRAPH_ANNOTATION_LIMITS;

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
   * The annotation's title: not empty, at most 250 characters.
   *
   * @default - `deploy <stack name>`
   */
  readonly title?: string;

  /**
   * The annotation's details, at most 1024 characters.
   *
   * @default - `<stack name>, revision <revision>`; when the revision holds values known only at
   *   deploy time (the template parameters of the default revision), cut to 1024 characters with
   *   an ellipsis at deploy if they make it longer
   */
  readonly description?: string;

  /**
   * A value that changes with each release, such as the commit or the image tag: a deploy that
   * changes it (or any other property) posts an annotation, and a deploy that does not, posts
   * none.
   *
   * @default - a hash of the properties of the stack's ECS task definitions as synthesized,
   *   so that a deploy that changes one (a new image, environment or size) is marked, and one
   *   that changes only their metadata or order is not, followed by the deploy-time values of the
   *   template parameters they use (an image tag, an SSM parameter's value; not NoEcho ones, which
   *   the description would show); a stack without task
   *   definitions fails synthesis and needs a revision
   */
  readonly revision?: string;
}

/**
 * Marks deploys on Mackerel's graphs: a graph annotation (`Custom::MackerelGraphAnnotation`)
 * posted at the moment a deploy changes `revision`, once the stack's ECS services are deployed
 * (the annotation waits for every `ecs` service of its stack). Those of a nested stack are not
 * covered, as it deploys as one resource of its parent: the annotation warns about them, unless it
 * has a revision and is made to depend on the nested stack.
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
    const revision = _deployRevision(this, props.revision, 'mark a deploy');
    const roleNames = _annotationRoleNames(this, props.roles ?? [], props.service);
    const description = props.description ?? `${stack.stackName}, revision ${revision}`;
    if (props.description === undefined) checkDefaultDescription(this, description, props.revision);
    const properties: _GraphAnnotationProperties = {
      title: props.title ?? `deploy ${stack.stackName}`,
      description,
      service: props.service.name,
      roles: roleNames.length > 0 ? roleNames : undefined,
      revision,
      // A default description with values joined at deploy (the parameters of the default revision,
      // a revision token) cannot be checked here: the handler cuts it to the limit rather than fail the deploy.
      // Lazy: the default revision is known only once the stack's task definitions are.
      cutDescription: props.description === undefined
        ? Lazy.any({ produce: () => (typeof stack.resolve(description) === 'string' ? undefined : true) }) as unknown as boolean : undefined,
    };
    const resource = _createMackerelResource(this, _RESOURCE_TYPES.GRAPH_ANNOTATION, { ...properties });
    // Mackerel refuses an annotation on a service or role that does not exist yet. Role names are
    // sent, not the roles' references, and a service or role known by its literal name may be one
    // a MackerelService or MackerelRole of this stack creates: wait for each.
    _dependOnServiceAndRoles(this, props.service, props.roles ?? []);
    _orderWithEcsServices(this, resource, {
      when: 'after',
      what: 'this annotation',
      kind: 'DeploymentAnnotation',
      nestedWarning: 'cdk-mackerel:deploymentAnnotationNestedStack',
      nestedMisses: 'neither waits for nor follows in its default revision',
      revisionGiven: props.revision !== undefined,
    });
  }
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

