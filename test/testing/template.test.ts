import { App, Aspects, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import {
  ConnectivityMonitor, ExternalHttpMonitor, HostMetricMonitor, MackerelAgentDependency, MackerelAgentExtension, MackerelAgentImage, MackerelApiKey,
  MackerelContainerAgent, MackerelInstrumentation, MackerelMonitoring, MackerelProvider, MackerelService, MackerelTemplate, MonitorOperator,
  MonitorScope,
} from '../../src';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27');

function appStack() {
  const app = new App();
  const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'ap-northeast-1' } });
  const apiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey'));
  return { app, stack, apiKey };
}

function task(stack: Stack, id: string): ecs.FargateTaskDefinition {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, id);
  taskDefinition.addContainer('app', { image: IMAGE });
  return taskDefinition;
}

const logicalIdOf = (taskDefinition: ecs.TaskDefinition) =>
  Stack.of(taskDefinition).getLogicalId(taskDefinition.node.defaultChild as ecs.CfnTaskDefinition);

describe('MackerelTemplate', () => {
  test('finds each agent with its literal roles, image, essential flag and the containers that wait for it', () => {
    const { stack, apiKey } = appStack();
    const web = task(stack, 'Web');
    web.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web', 'shop:api'] }));
    const batch = task(stack, 'Batch');
    batch.addExtension(new MackerelAgentExtension({ apiKey, appContainerDependency: MackerelAgentDependency.NONE, essential: true }));

    expect(MackerelTemplate.agents(Template.fromStack(stack))).toEqual([
      {
        taskDefinitionLogicalId: logicalIdOf(web),
        containerName: 'mackerel-container-agent',
        image: 'public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2',
        roles: ['shop:web', 'shop:api'],
        essential: false,
        waitingContainers: ['app'],
      },
      {
        taskDefinitionLogicalId: logicalIdOf(batch),
        containerName: 'mackerel-container-agent',
        image: 'public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2',
        roles: [],
        essential: true,
        waitingContainers: [],
      },
    ]);
  });

  test('resolves roles given as the template\'s own MackerelRole and MackerelService references', () => {
    const { stack, apiKey } = appStack();
    new MackerelProvider(stack, 'Mackerel', { apiKey });
    const shop = new MackerelService(stack, 'Service', { name: 'shop' });
    const web = shop.addRole('web');
    const batch = shop.addRole('batch');
    task(stack, 'Web').addExtension(new MackerelAgentExtension({ apiKey, roles: [web.fullName, batch.fullName] }));
    expect(MackerelTemplate.agents(Template.fromStack(stack)).map((a) => a.roles)).toEqual([['shop:web', 'shop:batch']]);
  });

  test('leaves roles undefined when they are known only at deploy time', () => {
    const { stack, apiKey } = appStack();
    const roles = new CfnParameter(stack, 'Roles', { type: 'CommaDelimitedList' });
    task(stack, 'Web').addExtension(new MackerelAgentExtension({ apiKey, roles: roles.valueAsList }));
    expect(MackerelTemplate.agents(Template.fromStack(stack))[0].roles).toBeUndefined();
  });

  test('reads the roles of an agent added by hand as the agent reads MACKEREL_ROLES: each trimmed, an empty one kept', () => {
    const { stack } = appStack();
    const agentOf = (id: string, roles: string) => task(stack, id).addContainer('agent', {
      image: ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:v0.13.2'),
      environment: { MACKEREL_CONTAINER_PLATFORM: 'ecsv3', MACKEREL_ROLES: roles },
    });
    agentOf('Spaced', 'shop:web, shop:api');
    agentOf('Trailing', 'shop:web,');
    expect(MackerelTemplate.agents(Template.fromStack(stack)).map((a) => a.roles)).toEqual([['shop:web', 'shop:api'], ['shop:web', '']]);
  });

  test('leaves the roles of an agent added by hand undefined when ECS sets MACKEREL_ROLES from a secret or an environment file', () => {
    const { stack } = appStack();
    const image = ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:v0.13.2');
    task(stack, 'BySecret').addContainer('agent', {
      image,
      environment: { MACKEREL_CONTAINER_PLATFORM: 'ecsv3' },
      secrets: { MACKEREL_ROLES: ecs.Secret.fromSecretsManager(new secretsmanager.Secret(stack, 'Roles')) },
    });
    const bucket = new s3.Bucket(stack, 'Config');
    task(stack, 'ByFile').addContainer('agent', {
      image,
      environment: { MACKEREL_CONTAINER_PLATFORM: 'ecsv3' },
      environmentFiles: [ecs.EnvironmentFile.fromBucket(bucket, 'agent.env')],
    });
    // The environment wins over a file, so a variable there is read.
    task(stack, 'Both').addContainer('agent', {
      image,
      environment: { MACKEREL_CONTAINER_PLATFORM: 'ecsv3', MACKEREL_ROLES: 'shop:web' },
      environmentFiles: [ecs.EnvironmentFile.fromBucket(bucket, 'agent.env')],
    });
    expect(MackerelTemplate.agents(Template.fromStack(stack)).map((a) => a.roles)).toEqual([undefined, undefined, ['shop:web']]);
  });

  test('lists the task definitions the agent did not reach', () => {
    const { stack, apiKey } = appStack();
    const excluded = task(stack, 'Legacy');
    task(stack, 'Web');
    task(stack, 'Worker');
    MackerelInstrumentation.exclude(excluded);
    Aspects.of(stack).add(new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    const template = Template.fromStack(stack);
    expect(MackerelTemplate.taskDefinitionsWithoutAgent(template)).toEqual([logicalIdOf(excluded)]);
    expect(MackerelTemplate.agents(template)).toHaveLength(2);
  });

  test('finds an agent added by hand as the Aspect does: by its image, or by MACKEREL_CONTAINER_PLATFORM in a secret', () => {
    // GIVEN agents added by hand that the Aspect leaves alone as already monitored
    const { stack, apiKey } = appStack();
    const byImage = task(stack, 'ByImage');
    byImage.addContainer('agent', { image: ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:v0.13.2'), essential: false });
    const bySecret = task(stack, 'BySecret');
    const mirror = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/agent');
    bySecret.addContainer('agent', {
      image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'),
      essential: false,
      secrets: { MACKEREL_CONTAINER_PLATFORM: ecs.Secret.fromSecretsManager(new secretsmanager.Secret(stack, 'Platform')) },
    });
    Aspects.of(stack).add(new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // WHEN
    const template = Template.fromStack(stack);
    // THEN neither is taken for a task definition the agent did not reach
    expect(MackerelTemplate.taskDefinitionsWithoutAgent(template)).toEqual([]);
    expect(MackerelTemplate.agents(template).map((a) => [a.taskDefinitionLogicalId, a.containerName])).toEqual([
      [logicalIdOf(byImage), 'agent'], [logicalIdOf(bySecret), 'agent'],
    ]);
  });

  test('a template without task definitions has no agents and nothing unreached', () => {
    const { stack } = appStack();
    const template = Template.fromStack(stack);
    expect(MackerelTemplate.agents(template)).toEqual([]);
    expect(MackerelTemplate.taskDefinitionsWithoutAgent(template)).toEqual([]);
  });

  test('lists the monitors with their scopes, excluded scopes and service resolved to names', () => {
    const { stack, apiKey } = appStack();
    new MackerelProvider(stack, 'Mackerel', { apiKey });
    const shop = new MackerelService(stack, 'Service', { name: 'shop' });
    const web = shop.addRole('web');
    const batch = shop.addRole('batch');
    new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromService(shop)], excludeScopes: [MonitorScope.fromRole(batch)] });
    new HostMetricMonitor(stack, 'Cpu', {
      name: 'web cpu', metric: 'container-cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes: [MonitorScope.fromRole(web), MonitorScope.of('legacy:web')],
    });
    new ExternalHttpMonitor(stack, 'Top', { name: 'top', url: 'https://shop.example.com/', service: shop });
    const template = Template.fromStack(stack);
    const id = (c: string) => Object.keys(template.findResources('Custom::MackerelMonitor')).find((k) => k.startsWith(c))!;

    expect(MackerelTemplate.monitors(template)).toEqual([
      { logicalId: id('Alive'), monitorType: 'connectivity', name: 'connectivity', scopes: ['shop'], excludeScopes: ['shop:batch'], service: undefined },
      { logicalId: id('Cpu'), monitorType: 'host', name: 'web cpu', scopes: ['shop:web', 'legacy:web'], excludeScopes: [], service: undefined },
      { logicalId: id('Top'), monitorType: 'external', name: 'top', scopes: [], excludeScopes: [], service: 'shop' },
    ]);
  });

  test('resolves monitor names built from a role, as MackerelMonitoring names its monitors', () => {
    const { stack, apiKey } = appStack();
    new MackerelProvider(stack, 'Mackerel', { apiKey });
    const web = new MackerelService(stack, 'Service', { name: 'shop' }).addRole('web');
    MackerelMonitoring.forRole(stack, 'Alerts', { role: web, containerMemory: { enabled: false } });
    const param = new CfnParameter(stack, 'Name');
    new ConnectivityMonitor(stack, 'Named', { name: param.valueAsString, scopes: [MonitorScope.fromRole(web)] });
    expect(MackerelTemplate.monitors(Template.fromStack(stack)).map((m) => m.name)).toEqual(['shop:web connectivity', 'shop:web container CPU', undefined]);
  });

  test('finds an agent added with MackerelContainerAgent to EC2 and External task definitions', () => {
    const { stack, apiKey } = appStack();
    const ec2Task = new ecs.Ec2TaskDefinition(stack, 'Ec2', { networkMode: ecs.NetworkMode.BRIDGE });
    ec2Task.addContainer('app', { image: IMAGE, memoryLimitMiB: 256 });
    new MackerelContainerAgent(stack, 'Ec2Agent', { taskDefinition: ec2Task, apiKey, roles: ['shop:ec2'] });
    const external = new ecs.ExternalTaskDefinition(stack, 'External');
    external.addContainer('app', { image: IMAGE, memoryLimitMiB: 256 });
    new MackerelContainerAgent(stack, 'ExternalAgent', { taskDefinition: external, apiKey, roles: ['shop:onprem'] });
    expect(MackerelTemplate.agents(Template.fromStack(stack)).map((a) => [a.taskDefinitionLogicalId, a.roles, a.waitingContainers]))
      .toEqual([[logicalIdOf(ec2Task), ['shop:ec2'], ['app']], [logicalIdOf(external), ['shop:onprem'], ['app']]]);
  });

  test('leaves roles and scopes of another stack\'s service undefined: the template holds only an import', () => {
    const { app, stack, apiKey } = appStack();
    const base = new Stack(app, 'Base', { env: stack.env });
    new MackerelProvider(base, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(base, 'ApiKey')) });
    new MackerelProvider(stack, 'Mackerel', { apiKey });
    const web = new MackerelService(base, 'Service', { name: 'shop' }).addRole('web');
    task(stack, 'Web').addExtension(new MackerelAgentExtension({ apiKey, roles: [web.fullName, 'shop:api'] }));
    new ConnectivityMonitor(stack, 'Alive', { name: 'alive', scopes: [MonitorScope.fromRole(web)] });
    const template = Template.fromStack(stack);
    expect(JSON.stringify(template.toJSON())).toContain('Fn::ImportValue');
    expect(MackerelTemplate.agents(template)[0].roles).toBeUndefined();
    expect(MackerelTemplate.monitors(template)[0]).toMatchObject({ name: 'alive', scopes: undefined });
  });

  test('reads past an app container whose environment and dependencies an escape hatch made intrinsics', () => {
    const { stack, apiKey } = appStack();
    const web = task(stack, 'Web');
    web.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    const cfn = web.node.defaultChild as ecs.CfnTaskDefinition;
    cfn.addPropertyOverride('ContainerDefinitions.0.Environment', { 'Fn::If': ['Prod', [{ Name: 'MODE', Value: 'prod' }], { Ref: 'AWS::NoValue' }] });
    cfn.addPropertyOverride('ContainerDefinitions.0.DependsOn', { 'Fn::If': ['Prod', [], { Ref: 'AWS::NoValue' }] });
    expect(MackerelTemplate.agents(Template.fromStack(stack)).map((a) => [a.roles, a.waitingContainers])).toEqual([[['shop:web'], []]]);
  });

  test('leaves the image undefined when it is not a literal, as from an ECR repository of the app', () => {
    const { stack, apiKey } = appStack();
    const repository = new ecr.Repository(stack, 'Mirror');
    task(stack, 'Web').addExtension(new MackerelAgentExtension({ apiKey, image: MackerelAgentImage.fromEcrRepository(repository) }));
    expect(MackerelTemplate.agents(Template.fromStack(stack))[0]).toMatchObject({ containerName: 'mackerel-container-agent', image: undefined });
  });
});
