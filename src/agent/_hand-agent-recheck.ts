import { CfnResource } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { _findAgent } from './_attach';
import { _cfnAgentOf } from './_cfn-agent';
import { _agentAddedByHand, _handAgentSign, _PLATFORM } from './_task-checks';

/**
 * Checks again at synth a task definition given no agent because a container ran one by hand (`byHand`) when the extension or
 * the Aspect (`who`) looked: an escape hatch written later, or an Aspect of a later priority, may change that container's image,
 * command or environment, and the task would run no agent at all. An error where, as synthesized, neither the library's agent
 * nor one by hand runs: a task left unmonitored in silence is worse than a synth that stops. Registered once per task definition.
 * @internal
 */
export function _recheckHandAgent(taskDefinition: ecs.TaskDefinition, byHand: ecs.ContainerDefinition, who: string): void {
  if (RECHECKED.has(taskDefinition)) return;
  RECHECKED.add(taskDefinition);
  const sign = _handAgentSign(byHand);
  taskDefinition.node.addValidation({
    validate: () => {
      if (_findAgent(taskDefinition) !== undefined || _agentAddedByHand(taskDefinition) !== undefined) return [];
      // Escape hatches writing the list of containers whole (which the containers' own signs then no longer show) may write one
      // running the agent: the resource, as it is deployed, is read as one written directly is.
      const resource = taskDefinition.node.defaultChild;
      if (resource instanceof CfnResource && _cfnAgentOf(resource).agent !== undefined) return [];
      return [`${who} added no Mackerel container agent to this task definition, as ${byHand.node.path} ran the agent (${sign}) when `
        + 'it was applied; as synthesized, no container runs the agent (an escape hatch or code run later changed that container\'s image, '
        + 'command or environment), so its tasks would not be monitored by Mackerel. Make that change before the agent is added, or keep '
        + `the container running the agent (where it still runs it from an image named by a token, set ${_PLATFORM} in its environment `
        + 'so that it is found)'];
    },
  });
}

/** The task definitions whose agent by hand is checked again at synth. */
const RECHECKED = new WeakSet<ecs.TaskDefinition>();
