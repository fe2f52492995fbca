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

/**
 * Checks again at synth, as `_recheckHandAgent` does, a task definition written as its CloudFormation resource, given no agent
 * because one of its containers ran one by hand (`byHand`, as `_cfnAgentOf` found it) when the Aspect (`who`) looked.
 * Registered once per resource.
 * @internal
 */
export function _recheckCfnHandAgent(resource: CfnResource, byHand: { readonly name?: string; readonly sign: string }, who: string): void {
  if (RECHECKED_CFN.has(resource)) return;
  RECHECKED_CFN.add(resource);
  const container = byHand.name === undefined ? 'a container' : `its container ${JSON.stringify(byHand.name)}`;
  resource.node.addValidation({
    validate: () => _cfnAgentOf(resource).agent !== undefined ? [] : [`${who} added no Mackerel container agent to this task definition, as `
      + `${container} ran the agent (${byHand.sign}) when it was applied; as synthesized, no container runs the agent (an escape hatch or `
      + 'code run later changed that container\'s image, command or environment), so its tasks would not be monitored by Mackerel. Make '
      + `that change before the Aspect is applied, or keep the container running the agent (where it still runs it from an image named by a token, set ${_PLATFORM} in its environment so that it is found)`],
  });
}

/** The task definitions written as resources whose agent by hand is checked again at synth. */
const RECHECKED_CFN = new WeakSet<CfnResource>();
