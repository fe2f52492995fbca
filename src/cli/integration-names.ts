/**
 * AWS integration names are unique in the Mackerel organization (mackerel-api.md sections 4.2 and
 * 9.15), and an integration is never taken over the way a service or role is (`named.ts`): a new
 * logical ID creates a new integration. The create comes before the old resource's delete, in
 * apply as in CloudFormation, so a create under a name the state still holds fails on every run,
 * and each failed run leaves one more external ID that no integration uses.
 */
import { _CliError } from './errors';
import type { _StackPlan } from './plan';
import { _StateFile } from './state';
import { _RESOURCE_TYPES } from '../provider/_properties';

const AWS_INTEGRATION = _RESOURCE_TYPES.AWS_INTEGRATION;

interface Holder {
  readonly stackName: string;
  readonly logicalId: string;
}

/**
 * Fails when an AWS integration the run creates has the literal name of one the state holds
 * under another logical ID or in another stack.
 * @internal
 */
export function _checkIntegrationNames(plans: readonly _StackPlan[], state: _StateFile): void {
  for (const plan of plans) {
    for (const [logicalId, resource] of Object.entries(plan.resources)) {
      const name = resource.Properties?.name;
      if (resource.Type !== AWS_INTEGRATION || typeof name !== 'string') continue;
      // Held under this logical ID, it is updated in place (a new name is a PUT), not created.
      if (state.stacks[plan.stackName]?.resources[logicalId]?.type === AWS_INTEGRATION) continue;
      const holder = holderNamed(state, name);
      if (holder) throw new _CliError(clashMessage(plan.stackName, logicalId, name, holder, deletedBy(plans, holder)));
    }
  }
}

function holderNamed(state: _StateFile, name: string): Holder | undefined {
  for (const [stackName, stack] of Object.entries(state.stacks)) {
    const found = Object.entries(stack.resources).find(([, r]) => r.type === AWS_INTEGRATION && r.properties.name === name);
    if (found) return { stackName, logicalId: found[0] };
  }
  return undefined;
}

/** Whether the run deletes the holder: its stack is applied by the run and its template no longer has it. */
function deletedBy(plans: readonly _StackPlan[], holder: Holder): boolean {
  const plan = plans.find((p) => p.stackName === holder.stackName);
  return plan !== undefined && plan.resources[holder.logicalId]?.Type !== AWS_INTEGRATION;
}

function clashMessage(stackName: string, logicalId: string, name: string, holder: Holder, deleted: boolean): string {
  const held = `${AWS_INTEGRATION} ${holder.stackName}/${holder.logicalId}`;
  const creating = `${stackName}/${logicalId} would create an AWS integration named ${JSON.stringify(name)}`;
  const unique = 'AWS integration names are unique in the Mackerel organization';
  if (deleted) {
    return `${creating}, the name of ${held}, which this run deletes only after the create (as CloudFormation does); `
      + `${unique}, so the create would fail on every run, each time leaving an unused external ID. Keep the integration's `
      + `construct id (and stack) so that it stays ${holder.logicalId}, or give it a new name for one apply and the old name back in the next`;
  }
  return `${creating}, the name of ${held}, which stays after this run; ${unique}, so the create would fail, leaving an unused `
    + `external ID. Give one of them another name, or remove ${held} first`;
}
