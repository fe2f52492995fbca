import { Stage, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { IConstruct } from 'constructs';
import { _warnLate } from '../_validation';
import { MackerelAgentOptions } from './options';

/** Per stage: task definition -> the services running it. Built once, when the first agent's validation runs. */
const SERVICES = new WeakMap<IConstruct, Map<ecs.TaskDefinition, ecs.BaseService[]>>();

/**
 * Warns when a service runs the agent's tasks in subnets with no way to the internet: isolated
 * subnets, or public subnets without a public IP (assignPublicIp off, which is the default, and
 * the only choice for EC2 tasks in the awsvpc mode). The agent then cannot reach the Mackerel API,
 * exits before it registers a host, and, not being essential, leaves the tasks running unmonitored.
 * A proxy (`httpsProxy`) or another API base (`apiBase`) may be reachable there, so neither warns.
 * Subnets the VPC does not list (imported one by one) are not judged. Run at synth, when every
 * service exists.
 * @internal
 */
export function _warnNoEgress(scope: IConstruct, taskDefinition: ecs.TaskDefinition, options: MackerelAgentOptions): void {
  if (options.httpsProxy !== undefined || options.apiBase !== undefined) return;
  for (const service of servicesOf(taskDefinition)) {
    const problem = noEgress(service);
    if (!problem) continue;
    _warnLate(scope, 'cdk-mackerel:agentNoEgress',
      `The tasks of ${service.node.path} run in ${problem}, so the agent cannot reach the Mackerel API (api.mackerelio.com): it exits `
      + 'without registering a host and the tasks run unmonitored. Use private subnets with a NAT gateway, turn on assignPublicIp (Fargate), '
      + 'or set httpsProxy');
  }
}

function servicesOf(taskDefinition: ecs.TaskDefinition): ecs.BaseService[] {
  const stage = Stage.of(taskDefinition) ?? taskDefinition.node.root;
  let byTask = SERVICES.get(stage);
  if (!byTask) {
    byTask = new Map();
    for (const construct of stage.node.findAll()) {
      if (!(construct instanceof ecs.BaseService)) continue;
      byTask.set(construct.taskDefinition, [...byTask.get(construct.taskDefinition) ?? [], construct]);
    }
    SERVICES.set(stage, byTask);
  }
  return byTask.get(taskDefinition) ?? [];
}

/** Which of the service's subnets give its tasks no way out, described; undefined when all do or it is unknown. */
function noEgress(service: ecs.BaseService): string | undefined {
  // Protected in aws-cdk-lib, as TaskDefinition.containers is (see _containersOf).
  const network = (service as unknown as { networkConfiguration?: ecs.CfnService.NetworkConfigurationProperty }).networkConfiguration;
  const awsvpc = network?.awsvpcConfiguration as ecs.CfnService.AwsVpcConfigurationProperty | undefined;
  const subnets = awsvpc?.subnets;
  if (!awsvpc || !subnets || Token.isUnresolved(awsvpc) || Token.isUnresolved(subnets)) return undefined;
  const vpc = vpcOf(service);
  if (!vpc) return undefined;
  const ids = (list: ec2.ISubnet[]) => new Set(list.map((subnet) => subnet.subnetId));
  const isolated = subnets.filter((id) => ids(vpc.isolatedSubnets).has(id));
  const publicIp = awsvpc.assignPublicIp === 'ENABLED';
  const publicNoIp = publicIp ? [] : subnets.filter((id) => ids(vpc.publicSubnets).has(id));
  const problems = [
    ...(isolated.length > 0 ? [`isolated subnets, which have no route to the internet (${isolated.length} of its ${subnets.length} subnets)`] : []),
    ...(publicNoIp.length > 0 ? [`public subnets without a public IP, as assignPublicIp is off (${publicNoIp.length} of its ${subnets.length} subnets)`] : []),
  ];
  return problems.length > 0 ? problems.join(' and ') : undefined;
}

/** The VPC the service's subnets were selected from; an imported cluster may have none. */
function vpcOf(service: ecs.BaseService): ec2.IVpc | undefined {
  try {
    return service.cluster.vpc;
  } catch {
    return undefined;
  }
}
