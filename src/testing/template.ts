import type { Template } from 'aws-cdk-lib/assertions';
import { _PLATFORM, _imageSign } from '../agent/_task-checks';
import { _namedProduced } from '../cli/named';

/**
 * The Mackerel container agent of one task definition, as a synthesized template holds it.
 */
export interface AgentInTemplate {
  /** The logical ID of the `AWS::ECS::TaskDefinition`. */
  readonly taskDefinitionLogicalId: string;

  /** The agent container's name. */
  readonly containerName: string;

  /**
   * The agent's image, or undefined when it is not a literal (an ECR repository of the app, say).
   *
   * @default - none: the image name is not a literal
   */
  readonly image?: string;

  /**
   * The `service:role` full names in `MACKEREL_ROLES`, with references to the template's own
   * `MackerelService` and `MackerelRole` resources resolved to their names, each trimmed of spaces
   * as the agent trims it. Empty when the agent has no roles; undefined when they are known only at
   * deploy time (a parameter, an import, a secret or an environment file).
   *
   * @default - none: the roles are known only at deploy time
   */
  readonly roles?: string[];

  /** Whether the agent container is essential. */
  readonly essential: boolean;

  /** The app containers that wait for the agent to start (`dependsOn` with condition START). */
  readonly waitingContainers: string[];
}

/**
 * A Mackerel monitor of a synthesized template.
 */
export interface MonitorInTemplate {
  /** The logical ID of the `Custom::MackerelMonitor`. */
  readonly logicalId: string;

  /** The monitor type: `host`, `connectivity`, `service`, `external`, `expression`, `anomalyDetection` or `query`. */
  readonly monitorType: string;

  /**
   * The monitor's name, with references resolved as `scopes` are, or undefined when it is known
   * only at deploy time.
   *
   * A `MackerelMonitoring` names its monitors after the role, a reference resolved here.
   *
   * @default - none: the name is known only at deploy time
   */
  readonly name?: string;

  /**
   * The `service` or `service:role` scopes, resolved as `AgentInTemplate.roles` are; undefined
   * when one is known only at deploy time. Empty when the monitor has none.
   *
   * @default - none: a scope is known only at deploy time
   */
  readonly scopes?: string[];

  /**
   * The excluded scopes, as `scopes`.
   *
   * @default - none: an excluded scope is known only at deploy time
   */
  readonly excludeScopes?: string[];

  /**
   * The service a service metric or external monitor belongs to, resolved, or undefined when none or unknown.
   *
   * @default - none: the monitor belongs to no service, or its service is known only at deploy time
   */
  readonly service?: string;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: { readonly [key: string]: any };
}

interface Container {
  readonly Name?: unknown;
  readonly Image?: unknown;
  readonly Essential?: unknown;
  readonly Environment?: Array<{ Name?: unknown; Value?: unknown }>;
  readonly Secrets?: Array<{ Name?: unknown }>;
  readonly DependsOn?: Array<{ ContainerName?: unknown; Condition?: unknown }>;
  readonly EnvironmentFiles?: unknown[];
}

const ROLES = 'MACKEREL_ROLES';

/**
 * Reads what cdk-mackerel wrote into a synthesized template, for an app's own tests in any jsii
 * language: which task definitions run the Mackerel agent, and with which roles. It reads the
 * template only, so it finds agents however they were added (construct, extension, Aspect or by
 * hand, known by the agent's image or by `MACKEREL_CONTAINER_PLATFORM` in the environment or a
 * secret, as the construct and the Aspect know one). An agent added by hand that only the app's
 * files show (an image built from a Dockerfile on the agent's image, the variable set in an
 * environment file) is not found: the template holds an asset's address for either, so the Aspect
 * knows that task definition as one with an agent, and `taskDefinitionsWithoutAgent` lists it.
 *
 * @example
 * const template = Template.fromStack(stack);
 * expect(MackerelTemplate.taskDefinitionsWithoutAgent(template)).toEqual([]);
 * expect(MackerelTemplate.agents(template).map((a) => a.roles)).toEqual([['shop:web']]);
 */
export class MackerelTemplate {
  /**
   * Every Mackerel agent of the template, one per task definition that runs one, in the
   * template's order.
   *
   * @param template the synthesized stack, from `Template.fromStack`
   */
  public static agents(template: Template): AgentInTemplate[] {
    const resources = resourcesOf(template);
    const agents: AgentInTemplate[] = [];
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::ECS::TaskDefinition') continue;
      const containers: Container[] = Array.isArray(resource.Properties?.ContainerDefinitions) ? resource.Properties!.ContainerDefinitions : [];
      const agent = containers.find(isAgent);
      if (!agent) continue;
      const name = String(agent.Name);
      const roles = rolesOf(resources, agent);
      agents.push({
        taskDefinitionLogicalId: logicalId,
        containerName: name,
        image: typeof agent.Image === 'string' ? agent.Image : undefined,
        roles,
        essential: agent.Essential !== false,
        waitingContainers: containers
          .filter((c) => c !== agent && listOf(c.DependsOn).some((d) => d?.ContainerName === name && d.Condition === 'START'))
          .map((c) => String(c.Name)),
      });
    }
    return agents;
  }

  /**
   * The logical IDs of the task definitions that run no Mackerel agent: empty when
   * `MackerelInstrumentation` reached every one.
   *
   * @param template the synthesized stack, from `Template.fromStack`
   */
  public static taskDefinitionsWithoutAgent(template: Template): string[] {
    const withAgent = new Set(MackerelTemplate.agents(template).map((a) => a.taskDefinitionLogicalId));
    return Object.entries(resourcesOf(template))
      .filter(([id, resource]) => resource.Type === 'AWS::ECS::TaskDefinition' && !withAgent.has(id))
      .map(([id]) => id);
  }

  /**
   * Every Mackerel monitor of the template, in the template's order, with its scopes resolved:
   * to check, say, that each role the agents join has a connectivity monitor.
   *
   * @param template the synthesized stack, from `Template.fromStack`
   */
  public static monitors(template: Template): MonitorInTemplate[] {
    const resources = resourcesOf(template);
    return Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'Custom::MackerelMonitor')
      .map(([logicalId, resource]) => {
        const props = resource.Properties ?? {};
        return {
          logicalId,
          monitorType: String(props.type),
          name: props.name === undefined ? undefined : resolveText(resources, props.name),
          scopes: resolveList(resources, props.scopes),
          excludeScopes: resolveList(resources, props.excludeScopes),
          service: props.service === undefined ? undefined : resolveText(resources, props.service),
        };
      });
  }

  private constructor() {}
}

function resourcesOf(template: Template): { [logicalId: string]: Resource } {
  return (template.toJSON().Resources ?? {}) as { [logicalId: string]: Resource };
}

function isAgent(container: Container): boolean {
  return environmentOf(container, _PLATFORM) !== undefined || listOf(container.Secrets).some((secret) => secret?.Name === _PLATFORM)
    || (typeof container.Image === 'string' && _imageSign(container.Image) !== undefined);
}

/** An escape hatch may give a list as an intrinsic (`Fn::If`), which names nothing readable here. */
function listOf<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

function environmentOf(container: Container, name: string): unknown {
  return listOf(container.Environment).find((e) => e?.Name === name)?.Value;
}

/**
 * The roles the agent reads from `MACKEREL_ROLES`, as it reads them: split on `,`, each piece
 * trimmed of spaces, an empty piece kept (the agent sends it, and Mackerel refuses it). Undefined
 * when ECS sets the variable only at deploy time: from a secret, or, with no such variable in the
 * environment (which would win), from an environment file.
 */
function rolesOf(resources: { [logicalId: string]: Resource }, agent: Container): string[] | undefined {
  const roles = environmentOf(agent, ROLES);
  if (roles === undefined) {
    const unread = listOf(agent.Secrets).some((secret) => secret?.Name === ROLES) || listOf(agent.EnvironmentFiles).length > 0;
    return unread ? undefined : [];
  }
  return resolveText(resources, roles)?.split(',').map((role) => role.trim());
}

/**
 * A template value as text, following `Ref`s to the template's own Mackerel services and roles
 * (whose physical IDs are their names) and `Fn::Join`; undefined for anything known only at
 * deploy time.
 */
function resolveText(resources: { [logicalId: string]: Resource }, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return undefined;
  const intrinsic = value as { 'Ref'?: unknown; 'Fn::Join'?: unknown };
  if (typeof intrinsic.Ref === 'string') {
    const target = resources[intrinsic.Ref];
    // The physical ID of a service or role is its name, made as the CLI makes it before an apply.
    return target && _namedProduced(target.Type, (field) => resolveText(resources, target.Properties?.[field]))?.physicalId;
  }
  const join = intrinsic['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map((part: unknown) => resolveText(resources, part));
    return parts.every((p): p is string => p !== undefined) ? parts.join(join[0]) : undefined;
  }
  return undefined;
}

/** A list property resolved item by item; undefined when any item (or the list) is known only at deploy time. */
function resolveList(resources: { [logicalId: string]: Resource }, value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return undefined;
  const items = value.map((item) => resolveText(resources, item));
  return items.every((item): item is string => item !== undefined) ? items : undefined;
}
