import * as ecs from 'aws-cdk-lib/aws-ecs';
import { _findAgent } from './_attach';
import { _recheckHandAgent } from './_hand-agent-recheck';
import { _sameOptions, _warnUnlessSameOptions } from './_same-options';
import { _agentAddedByHand, _handAgentSign } from './_task-checks';
import { MackerelContainerAgent } from './container-agent';
import { MackerelAgentOptions } from './options';
import { _shownList } from '../_shown';
import { _warnLate } from '../_validation';

/** Properties of a `MackerelAgentExtension`. */
export interface MackerelAgentExtensionProps extends MackerelAgentOptions {}

/**
 * Adds the Mackerel container agent to a task definition through
 * `taskDefinition.addExtension(...)`; works with task definitions made by ecs-patterns.
 *
 * It creates a `MackerelContainerAgent` named `MackerelContainerAgent` under the task
 * definition. It is idempotent: a task definition that already has an agent is left as it is.
 * That is silent when the agent came from this extension or from another `MackerelAgentExtension`
 * with the same options; otherwise (an agent of `MackerelContainerAgent`, an extension with other
 * options, which are not applied, or a container running the agent added by hand, known by its image
 * (one built from the app's own Dockerfile on the agent's image included) or
 * its `MACKEREL_CONTAINER_PLATFORM` variable) it warns
 * `cdk-mackerel:agentAlreadyPresent`; that container is checked again at synth, and where an escape
 * hatch or later code leaves no container running the agent, synth fails naming it. A container whose image is known only at deploy time and
 * whose environment files are in S3 may run the agent unseen: the agent is added, with a
 * `cdk-mackerel:handAgentUnchecked` warning naming that container (not for an image built from the
 * app's own Dockerfile, or of an ECR repository named in the app, that does not mention Mackerel).
 *
 * @see https://mackerel.io/docs/entry/howto/install-agent/container/ecs
 *
 * @example
 * service.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
 */
export class MackerelAgentExtension implements ecs.ITaskDefinitionExtension {
  /** The id of the `MackerelContainerAgent` this extension creates under a task definition. */
  public static readonly AGENT_ID = 'MackerelContainerAgent';

  /** The `service:role` full names the agents of this extension write into `MACKEREL_ROLES`. */
  public readonly roles: string[];

  constructor(private readonly props: MackerelAgentExtensionProps) {
    this.roles = [...props.roles ?? []];
  }

  /** Adds the agent to the task definition, unless it already has one. */
  public extend(taskDefinition: ecs.TaskDefinition): void {
    const existing = _findAgent(taskDefinition);
    if (existing) {
      const first = EXTENDED.get(taskDefinition);
      if (first === this) return;
      if (first) {
        const { props } = first;
        _warnUnlessSameOptions(taskDefinition, (read) => _sameOptions(props, this.props, read), () => _warnLate(taskDefinition, 'cdk-mackerel:agentAlreadyPresent',
          `The task definition already has a Mackerel container agent (${existing.node.path}) from another MackerelAgentExtension, whose options differ `
          + `(roles ${_shownList(taskDefinition, first.roles)}, here ${_shownList(taskDefinition, this.roles)}); this MackerelAgentExtension adds nothing and its options are not applied. `
          + 'Add one MackerelAgentExtension to each task definition'));
        return;
      }
      _warnLate(taskDefinition, 'cdk-mackerel:agentAlreadyPresent',
        `The task definition already has a Mackerel container agent (${existing.node.path}); this MackerelAgentExtension adds nothing`);
      return;
    }
    const byHand = _agentAddedByHand(taskDefinition);
    if (byHand) {
      _warnLate(taskDefinition, 'cdk-mackerel:agentAlreadyPresent',
        `The task definition already runs the Mackerel container agent in ${byHand.node.path} (${_handAgentSign(byHand)}), added by hand; `
        + 'this MackerelAgentExtension adds nothing: a second agent would register a second Mackerel host for each task');
      _recheckHandAgent(taskDefinition, byHand, 'MackerelAgentExtension');
      return;
    }
    new MackerelContainerAgent(taskDefinition, MackerelAgentExtension.AGENT_ID, { ...this.props, taskDefinition });
    EXTENDED.set(taskDefinition, this);
  }
}

/** Which extension added the agent of a task definition: applying the same one again is silent. */
const EXTENDED = new WeakMap<ecs.TaskDefinition, MackerelAgentExtension>();
