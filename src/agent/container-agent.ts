import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { MackerelApiKey } from '../api-key';
import { _attach } from './_attach';
import { MackerelAgentOptions } from './options';

/**
 * Properties of a `MackerelContainerAgent`.
 */
export interface MackerelContainerAgentProps extends MackerelAgentOptions {
  /**
   * The task definition the agent is added to: Fargate, EC2 (bridge, host or awsvpc network
   * mode), ECS Managed Instances, External (ECS Anywhere), or that of an ecs-patterns service.
   * Linux only.
   */
  readonly taskDefinition: ecs.TaskDefinition;
}

/**
 * The Mackerel container agent as a sidecar of an ECS task definition.
 *
 * Adds one container (`mackerel-container-agent`) that registers each running task as a
 * Mackerel host and retires it when the task stops. It creates no CloudFormation resource of its
 * own except, once per stack, the agents' shared log group (unless `logging` is given) and the
 * agents' shared execution policy: one IAM policy, attached to each agent's execution role, that
 * allows reading the API key and writing that log group; the task definition waits for it
 * (`DependsOn`), so no task starts before its role may read the key. Where a role cannot share it (an
 * imported role, a key in another account or encrypted with a customer managed key), the
 * permissions go to the role itself, as ECS grants them.
 *
 * A task definition takes one agent: a second `MackerelContainerAgent` is an error, and so is a
 * container running the agent added by hand (found at synth by its image, one built from the app's own
 * Dockerfile on the agent's image included, or on another base copying the agent from the agent's image
 * and running it by its ENTRYPOINT or CMD, or by the
 * `MACKEREL_CONTAINER_PLATFORM` variable the agent needs, for a mirror known only at deploy time,
 * in its environment, its secrets or an environment file of the app's own),
 * while `MackerelAgentExtension` and `MackerelInstrumentation` skip a task definition that already has either.
 * A container whose image is known only at deploy time and whose environment files are in S3 may
 * run the agent unseen: it is warned about (`cdk-mackerel:handAgentUnchecked`), unless the image is
 * built from the app's own Dockerfile that does not mention Mackerel (nor have a base image that cannot
 * be told at synth), or is of an ECR repository whose name, written in the app, does not. The Dockerfile
 * is read as Docker reads it, a base image from a build argument (`FROM ${BASE}`) with the ARG's default
 * or the asset's `buildArgs`, and `TARGETARCH` (and the platform's other arguments) from the asset's
 * `platform` where it names one. An image built from the app's own Dockerfile whose stage built has a base
 * image Docker knows only when it builds (`TARGETARCH` in its name with no `platform` on the asset, a build
 * context replacing it) is
 * warned about even with no environment file: it may be built on the agent's image and set the variable itself.
 *
 * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
 *
 * @example
 * const agent = new MackerelContainerAgent(this, 'Agent', {
 *   taskDefinition,
 *   apiKey: MackerelApiKey.fromSecretsManager(secret),
 *   roles: ['shop:web'],
 * });
 */
export class MackerelContainerAgent extends Construct {
  /** The agent's container definition. */
  public readonly container: ecs.ContainerDefinition;

  /**
   * The `service:role` full names written into `MACKEREL_ROLES` (empty when none), so that
   * monitors can be scoped to the same roles: `MackerelRole.fromFullName(this, 'Role', agent.roles[0])`.
   */
  public readonly roles: string[];

  /**
   * The key and API base the agent registers its hosts with, which decide their organization
   * (for `MackerelProvider._reaches`).
   * @internal
   */
  public readonly _reportsTo: { readonly apiKey: MackerelApiKey; readonly apiBase?: string };

  constructor(scope: Construct, id: string, props: MackerelContainerAgentProps) {
    super(scope, id);
    this.roles = [...props.roles ?? []];
    this._reportsTo = { apiKey: props.apiKey, apiBase: props.apiBase };
    this.container = _attach(this, props.taskDefinition, props);
  }
}
