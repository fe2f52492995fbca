import { Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { _agentNameTakenBy } from './_task-checks';
import { _rendered } from '../_rendered';
import { _maskedApiBase } from '../_text';
import { _DELIVERED_CONFIG } from './config/_deliver';

/** What the agent does without a setting the library wrote, for the post-condition messages. */
const WITHOUT: { [name: string]: string } = {
  MACKEREL_AGENT_CONFIG: 'so its plugins and readiness probe would not run',
  MACKEREL_ROLES: 'so its hosts would register without roles and the role\'s monitors would not cover them',
  MACKEREL_IGNORE_CONTAINER: 'so the agent would report its own container among the app\'s',
};

interface RenderedContainer {
  readonly Name?: unknown;
  readonly Secrets?: Array<{ Name?: unknown }>;
  readonly Environment?: Array<{ Name?: unknown; Value?: unknown }>;
}

/** What an escape hatch or later code broke in an instrumented task definition. @internal */
export function _instrumentationProblems(taskDefinition: ecs.TaskDefinition, agentContainer: ecs.ContainerDefinition, kept: string[]): string[] {
  // Another container of the task under the agent's name is no escape hatch's doing: the agent's own
  // containerName error names it, and which of the two the checks below would read is unknown.
  if (_agentNameTakenBy(taskDefinition, agentContainer)) return [];
  const containerName = agentContainer.containerName;
  const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
  const stack = Stack.of(taskDefinition);
  const containers = (_rendered(cfn).Properties?.ContainerDefinitions ?? []) as RenderedContainer[];
  // A token name (a parameter, say) is rendered as what it resolves to, such as { Ref: ... }.
  const agentName = JSON.stringify(stack.resolve(containerName));
  const agents = containers.filter((c) => JSON.stringify(c.Name) === agentName);
  const where = `MackerelInstrumentation: the Mackerel agent container ${agentName}`;
  if (agents.length !== 1) {
    return [`${where} must appear exactly once in the task definition, but appears ${agents.length} times; `
      + 'something removed or duplicated it after the agent was added. Use MackerelInstrumentation.exclude to opt out instead'];
  }
  const agent = agents[0];
  const problems: string[] = [];
  if (!(agent.Secrets ?? []).some((s) => s.Name === 'MACKEREL_APIKEY')) {
    problems.push(`${where} lost its MACKEREL_APIKEY secret, so the agent cannot authenticate to Mackerel`);
  }
  const platform = (agent.Environment ?? []).find((e) => e.Name === 'MACKEREL_CONTAINER_PLATFORM');
  if (platform?.Value !== 'ecs') {
    problems.push(`${where} has MACKEREL_CONTAINER_PLATFORM ${platform ? JSON.stringify(platform.Value) : 'removed'}; expected "ecs"`);
  }
  for (const name of kept) {
    if (!(agent.Environment ?? []).some((e) => e.Name === name)) problems.push(`${where} lost its ${name} setting, ${WITHOUT[name]}`);
  }
  // Present is not enough: another value points the agent at a file the task role may not read, without the plugins and probe written.
  const delivered = _DELIVERED_CONFIG.get(agentContainer);
  if (kept.includes('MACKEREL_AGENT_CONFIG') && delivered !== undefined) {
    const expected = JSON.stringify(stack.resolve(delivered));
    const other = (agent.Environment ?? []).find((e) => e.Name === 'MACKEREL_AGENT_CONFIG' && JSON.stringify(e.Value) !== expected);
    if (other) {
      problems.push(`${where} has MACKEREL_AGENT_CONFIG ${shownLocation(other.Value)}, not the ${shownLocation(stack.resolve(delivered))} it was given, `
        + `${WITHOUT.MACKEREL_AGENT_CONFIG}, and its task role may not read the file. Give a file of your own as config.location instead`);
    }
  }
  return problems;
}

/**
 * A config location as an error may show it: a URL's user name and password (and its query and fragment) masked. A value
 * built by CloudFormation functions (a parameter's host in `https://user:pass@${host}/`) splits the URL across its parts,
 * where no part need look like userinfo: one holding "@", "?" or "#" is not shown at all.
 */
function shownLocation(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(_maskedApiBase(value));
  const text = JSON.stringify(value);
  return /[@?#]/.test(text) ? '<built by CloudFormation functions, not shown: it may hold a user name and password>' : text;
}
