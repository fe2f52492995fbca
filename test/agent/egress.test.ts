import { Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import { describe, expect, test } from 'vitest';
import { APP_IMAGE, fargateTask } from './_fixture';
import { MackerelAgentOptions, MackerelContainerAgent, MackerelInstrumentation } from '../../src/agent';

const NO_EGRESS = 'cdk-mackerel:agentNoEgress';

/** A VPC with public, private (behind one NAT gateway) and isolated subnets. */
function vpcOf(stack: Stack) {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
}

/** The agent-no-egress warnings of the stack, as their text. */
function noEgressWarnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(NO_EGRESS)).map((w) => String(w.entry.data));
}

/** A Fargate service of an instrumented task definition, in the given subnets. */
function fargateService(subnetType: ec2.SubnetType, assignPublicIp: boolean, options: Partial<MackerelAgentOptions> = {}) {
  const { stack, taskDefinition, apiKey } = fargateTask();
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: vpcOf(stack) });
  new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ...options });
  const service = new ecs.FargateService(stack, 'Service', { cluster, taskDefinition, assignPublicIp, vpcSubnets: { subnetType }, minHealthyPercent: 100 });
  return { stack, service };
}

describe('egress to the Mackerel API, checked at synth', () => {
  test('a service in isolated subnets is warned about: the agent cannot reach Mackerel', () => {
    const { stack } = fargateService(ec2.SubnetType.PRIVATE_ISOLATED, false);
    expect(noEgressWarnings(stack)).toEqual([
      'The tasks of Stack/Service run in isolated subnets, which have no route to the internet (2 of its 2 subnets), so the agent cannot reach '
      + 'the Mackerel API (api.mackerelio.com): it exits without registering a host and the tasks run unmonitored. Use private subnets with a '
      + 'NAT gateway, turn on assignPublicIp (Fargate), or set httpsProxy [ack: cdk-mackerel:agentNoEgress]',
    ]);
    Annotations.fromStack(stack).hasWarning('/Stack/Agent', Match.stringLikeRegexp(NO_EGRESS));
  });

  test('a service in public subnets without a public IP is warned about', () => {
    const { stack } = fargateService(ec2.SubnetType.PUBLIC, false);
    expect(noEgressWarnings(stack)).toEqual([expect.stringMatching(
      /^The tasks of Stack\/Service run in public subnets without a public IP, as assignPublicIp is off \(2 of its 2 subnets\), so the agent cannot reach/)]);
  });

  test('a public IP in public subnets, or private subnets behind a NAT gateway, reach Mackerel: no warning', () => {
    expect(noEgressWarnings(fargateService(ec2.SubnetType.PUBLIC, true).stack)).toEqual([]);
    expect(noEgressWarnings(fargateService(ec2.SubnetType.PRIVATE_WITH_EGRESS, false).stack)).toEqual([]);
  });

  test('with an HTTPS proxy or another API base, which may be reachable there, no warning', () => {
    expect(noEgressWarnings(fargateService(ec2.SubnetType.PRIVATE_ISOLATED, false, { httpsProxy: 'http://proxy.internal:3128' }).stack)).toEqual([]);
    expect(noEgressWarnings(fargateService(ec2.SubnetType.PRIVATE_ISOLATED, false, { apiBase: 'https://mackerel.internal/' }).stack)).toEqual([]);
  });

  test('an EC2 service in the awsvpc mode in public subnets is warned about: its tasks never get a public IP', () => {
    const { stack, apiKey } = fargateTask();
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: vpcOf(stack) });
    cluster.addCapacity('Capacity', { instanceType: new ec2.InstanceType('t3.small') });
    const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Ec2Task', { networkMode: ecs.NetworkMode.AWS_VPC });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    new MackerelContainerAgent(stack, 'Ec2Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    new ecs.Ec2Service(stack, 'Ec2Service', { cluster, taskDefinition, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC }, minHealthyPercent: 100 });
    Annotations.fromStack(stack).hasWarning('/Stack/Ec2Agent', Match.stringLikeRegexp('Stack/Ec2Service run in public subnets without a public IP'));
  });

  test('an ecs-patterns service instrumented by the Aspect is checked too', () => {
    const { stack, apiKey } = fargateTask();
    const service = new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Web', {
      cluster: new ecs.Cluster(stack, 'Cluster', { vpc: vpcOf(stack) }),
      taskImageOptions: { image: APP_IMAGE },
      taskSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      minHealthyPercent: 100,
    });
    Aspects.of(stack).add(new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }), { priority: MackerelInstrumentation.PRIORITY });
    Annotations.fromStack(stack).hasWarning(`/${service.taskDefinition.node.path}/${MackerelInstrumentation.AGENT_ID}`,
      Match.stringLikeRegexp('Stack/Web/Service run in isolated subnets'));
  });

  test('a task definition no service runs (RunTask only) is not judged', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    vpcOf(stack);
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(noEgressWarnings(stack)).toEqual([]);
  });
});
