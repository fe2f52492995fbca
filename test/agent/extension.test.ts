import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations as CdkAnnotations, CfnParameter, CfnResource, Duration, Fn, Lazy, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import { describe, expect, test } from 'vitest';
import { APP_IMAGE, agentStack, containerDefinitions, containerNamed, environmentOf, fargateTask } from './_fixture';
import { MackerelAgentExtension, MackerelAgentImage, MackerelContainerAgent, MackerelReadinessProbe } from '../../src/agent';
import { _findAgent } from '../../src/agent/_attach';
import { MackerelApiKey } from '../../src/api-key';

const AGENT = 'mackerel-container-agent';

describe('MackerelAgentExtension', () => {
  test('adds the agent through addExtension, findable by _findAgent', () => {
    const { taskDefinition, apiKey } = fargateTask();
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    const agent = taskDefinition.node.findChild(MackerelAgentExtension.AGENT_ID) as MackerelContainerAgent;
    expect(_findAgent(taskDefinition)).toBe(agent.container);
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_ROLES).toBe('shop:web');
  });

  test('a readiness probe of a container in another task definition is rejected, naming the task definitions', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const other = new ecs.FargateTaskDefinition(stack, 'Other', { cpu: 256, memoryLimitMiB: 512 });
    const web = other.addContainer('web', { image: APP_IMAGE, portMappings: [{ containerPort: 8080 }] });
    const extension = new MackerelAgentExtension({
      apiKey, roles: ['shop:web'], config: { readinessProbe: MackerelReadinessProbe.httpToContainer(web, '/healthz') },
    });
    expect(() => taskDefinition.addExtension(extension)).toThrow(
      `Stack/Task/${MackerelAgentExtension.AGENT_ID}: config.readinessProbe "Stack/Other/web" targets a container of task definition Stack/Other, not of Stack/Task`);
    // the task definition holding the container takes it
    expect(() => other.addExtension(extension)).not.toThrow();
  });

  test('exposes its roles, as the agent writes them', () => {
    const { apiKey } = fargateTask();
    expect(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }).roles).toEqual(['shop:web']);
    expect(new MackerelAgentExtension({ apiKey }).roles).toEqual([]);
  });

  test('applied twice, adds one agent and no warning', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const extension = new MackerelAgentExtension({ apiKey, roles: ['shop:web'] });
    taskDefinition.addExtension(extension);
    taskDefinition.addExtension(extension);
    expect(containerDefinitions(taskDefinition).filter((c) => c.Name === AGENT)).toHaveLength(1);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('a second extension with the same options adds nothing, silently; one with other options warns, saying which roles are kept', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    // a helper that makes its own extension each time it is called, say
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());

    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:batch'] }));
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_ROLES).toBe('shop:web');
    expect(Annotations.fromStack(stack).findWarning(`/${taskDefinition.node.path}`, Match.anyValue()).map((w) => w.entry.data)).toEqual([
      'The task definition already has a Mackerel container agent (Stack/Task/MackerelContainerAgent/Container) from another MackerelAgentExtension, '
      + 'whose options differ (roles ["shop:web"], here ["shop:batch"]); this MackerelAgentExtension adds nothing and its options are not applied. '
      + 'Add one MackerelAgentExtension to each task definition [ack: cdk-mackerel:agentAlreadyPresent]',
    ]);
  });

  test('the warning shows roles given as tokens as a user reads them', () => {
    // GIVEN an agent whose role is a Lazy value, and an extension whose roles are a resource's Ref and attribute,
    // a parameter, an import and a name built around a reference
    const { stack, taskDefinition, apiKey } = fargateTask();
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: [Lazy.string({ produce: () => 'shop:lazy' })] }));
    const role = new CfnResource(stack, 'Role', { type: 'Custom::Role' });
    const param = new CfnParameter(stack, 'RoleName', { type: 'String' });
    const roles = [role.ref, Token.asString(role.getAtt('FullName')), param.valueAsString, Fn.importValue('BatchRole'), `${role.ref}:batch`];

    // WHEN
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles }));

    // THEN
    const [message] = Annotations.fromStack(stack).findWarning(`/${taskDefinition.node.path}`, Match.stringLikeRegexp('whose options differ')).map((w) => w.entry.data);
    expect(message).toContain('(roles [(a value resolved later, such as a Lazy)], here [{"Ref":"Role"}, {"Fn::GetAtt":["Role","FullName"]}, {"Ref":"RoleName"}, '
      + '(known at deploy time), {"Ref":"Role"} + ":batch"]);');
    expect(message).not.toMatch(/Token\[/);
  });

  test('a second extension whose same options were built afresh (by a helper) is silent too', () => {
    const { stack, taskDefinition, secret } = fargateTask();
    const options = () => ({
      apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'], stopTimeout: Duration.seconds(100), image: MackerelAgentImage.of('v0.13.2'),
    });
    taskDefinition.addExtension(new MackerelAgentExtension(options()));
    taskDefinition.addExtension(new MackerelAgentExtension(options()));
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    // another field of the secret is another key
    taskDefinition.addExtension(new MackerelAgentExtension({ ...options(), apiKey: MackerelApiKey.fromSecretsManager(secret, 'apiKey') }));
    Annotations.fromStack(stack).hasWarning(`/${taskDefinition.node.path}`, Match.stringLikeRegexp('whose options differ'));
  });

  test('a second extension given a Lazy of its own is compared by what the Lazy finally writes, which the comparison does not fix early', () => {
    // Lazy.string keeps the first value it produces: read when the second extension is added, it would write that value for good
    const { stack, taskDefinition, apiKey } = fargateTask();
    let memo = 'draft';
    const extension = () => new MackerelAgentExtension({ apiKey, roles: ['shop:web'], memo: Lazy.string({ produce: () => memo }) });
    taskDefinition.addExtension(extension());
    taskDefinition.addExtension(extension());
    memo = 'final';
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: AGENT, Environment: Match.arrayWith([{ Name: 'MACKEREL_MEMO', Value: 'final' }]) })]),
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());

    // Lazies that end up writing other values are told apart by those values
    const other = fargateTask();
    let second = 'same';
    other.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: other.apiKey, memo: Lazy.string({ produce: () => 'same' }) }));
    other.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: other.apiKey, memo: Lazy.string({ produce: () => second }) }));
    second = 'other';
    Annotations.fromStack(other.stack).hasWarning(`/${other.taskDefinition.node.path}`, Match.stringLikeRegexp('whose options differ'));
  });

  test('on a task running the agent in a container added by hand, adds nothing and warns', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:latest'), essential: false });
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    expect(containerDefinitions(taskDefinition).map((c) => c.Name)).toEqual(['app', 'mackerel']);
    Annotations.fromStack(stack).hasWarning(`/${taskDefinition.node.path}`,
      Match.stringLikeRegexp('already runs the Mackerel container agent in Stack/Task/mackerel .*added by hand; this MackerelAgentExtension adds nothing'));
  });

  test('an escape hatch written after the extension that leaves the agent by hand no longer running it is an error; written before, the agent is added', () => {
    // GIVEN a container running the agent by hand, found by its image or by MACKEREL_CONTAINER_PLATFORM, which an escape hatch
    // written after the extension ran changes into an app container
    const handAgent = (sign: 'image' | 'environment') => {
      const fixture = fargateTask();
      fixture.taskDefinition.addContainer('mackerel', sign === 'image'
        ? { image: ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:latest'), essential: false }
        : {
          image: ecs.ContainerImage.fromRegistry('registry.example.com/agent-mirror:v1'),
          essential: false,
          environment: { MACKEREL_CONTAINER_PLATFORM: 'ecs' },
        });
      return { ...fixture, cfn: fixture.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition };
    };
    const image = handAgent('image');
    image.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: image.apiKey, roles: ['shop:web'] }));
    image.cfn.addPropertyOverride('ContainerDefinitions.1.Image', 'public.ecr.aws/nginx/nginx:1.27');
    const environment = handAgent('environment');
    environment.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: environment.apiKey, roles: ['shop:web'] }));
    environment.cfn.addPropertyOverride('ContainerDefinitions.1.Environment', []);
    // THEN synth stops, naming the container that ran the agent when the extension looked
    expect(() => image.app.synth()).toThrow(/Make that change before the agent is added, or keep the container running the agent \(where it still runs it from an image named by a token, set MACKEREL_CONTAINER_PLATFORM in its environment so that it is found\)/);
    for (const { app } of [image, environment]) {
      expect(() => app.synth()).toThrow(/MackerelAgentExtension added no Mackerel container agent to this task definition, as Stack\/Task\/mackerel ran the agent \((image mackerel\/mackerel-container-agent:latest|MACKEREL_CONTAINER_PLATFORM in its environment)\) when it was applied; as synthesized, no container runs the agent/);
    }
    // ... and the same escape hatches written before the extension: it adds the agent, and synth passes
    const before = handAgent('image');
    before.cfn.addPropertyOverride('ContainerDefinitions.1.Image', 'public.ecr.aws/nginx/nginx:1.27');
    before.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: before.apiKey, roles: ['shop:web'] }));
    expect(containerDefinitions(before.taskDefinition).map((c) => c.Name)).toEqual(['app', 'mackerel', AGENT]);
    // ... and an escape hatch after the extension that leaves the agent by hand running it (another tag) passes
    const kept = handAgent('image');
    kept.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: kept.apiKey, roles: ['shop:web'] }));
    kept.cfn.addPropertyOverride('ContainerDefinitions.1.Image', 'mackerel/mackerel-container-agent:v0.13.2');
    expect(containerDefinitions(kept.taskDefinition).map((c) => c.Name)).toEqual(['app', 'mackerel']);
  });

  test('escape hatches written after the extension that write the list of containers whole are read as deployed', () => {
    // GIVEN a container running the agent by hand, and escape hatches written after the extension writing the whole list of
    // containers: one still running the agent, one running none
    const written = (image: string) => {
      const fixture = fargateTask();
      fixture.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:latest'), essential: false });
      fixture.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: fixture.apiKey, roles: ['shop:web'] }));
      (fixture.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride('ContainerDefinitions', [
        { Name: 'app', Image: 'public.ecr.aws/nginx/nginx:1.27', Essential: true },
        { Name: 'mackerel', Image: image, Essential: false },
      ]);
      return fixture;
    };
    // THEN the list running the agent synthesizes with it and no agent added; the other stops synth
    const kept = written('mackerel/mackerel-container-agent:v0.13.2');
    expect(containerDefinitions(kept.taskDefinition).map((c) => [c.Name, c.Image])).toEqual([
      ['app', 'public.ecr.aws/nginx/nginx:1.27'], ['mackerel', 'mackerel/mackerel-container-agent:v0.13.2'],
    ]);
    expect(() => written('public.ecr.aws/nginx/nginx:1.27').app.synth()).toThrow(/MackerelAgentExtension added no Mackerel container agent to this task definition/);
  });

  test('an escape hatch written after the extension added the agent that makes an app container run one too is an error; before, none is added', () => {
    // GIVEN the agent added by the extension, then an app container's image written over with the agent's
    const after = fargateTask();
    after.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: after.apiKey, roles: ['shop:web'] }));
    (after.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride('ContainerDefinitions.0.Image', 'mackerel/mackerel-container-agent:latest');
    // THEN synth stops: each task would register two Mackerel hosts
    expect(() => after.app.synth()).toThrow(/already runs the Mackerel container agent in Stack\/Task\/app .*so each task would register two Mackerel hosts/);
    // ... and written before the extension, the extension adds none and warns
    const before = fargateTask();
    (before.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride('ContainerDefinitions.0.Image', 'mackerel/mackerel-container-agent:latest');
    before.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey: before.apiKey, roles: ['shop:web'] }));
    expect(containerDefinitions(before.taskDefinition).map((c) => c.Name)).toEqual(['app']);
    Annotations.fromStack(before.stack).hasWarning(`/${before.taskDefinition.node.path}`, Match.stringLikeRegexp('already runs the Mackerel container agent in Stack/Task/app'));
  });

  test('on a task running the agent in a container added by hand, built from the app\'s Dockerfile on the agent\'s image, adds nothing and warns', () => {
    // GIVEN an image built on the agent's image, setting MACKEREL_CONTAINER_PLATFORM itself, with no environment file
    const { stack, taskDefinition, apiKey } = fargateTask();
    const directory = mkdtempSync(join(tmpdir(), 'cdk-mackerel-'));
    writeFileSync(join(directory, 'Dockerfile'), 'FROM public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2-plugins\nENV MACKEREL_CONTAINER_PLATFORM=ecs\n');
    taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(directory), essential: false });
    // WHEN
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    // THEN
    expect(containerDefinitions(taskDefinition).map((c) => c.Name)).toEqual(['app', 'mackerel']);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('agentAlreadyPresent')).map((w) => [w.id, w.entry.data])).toEqual([[
      '/Stack/Task',
      `The task definition already runs the Mackerel container agent in Stack/Task/mackerel (image built from ${join(directory, 'Dockerfile')} on `
      + 'public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2-plugins), added by hand; this MackerelAgentExtension adds nothing: a second agent '
      + 'would register a second Mackerel host for each task [ack: cdk-mackerel:agentAlreadyPresent]',
    ]]);
  });

  test('on a task that already has an agent, adds nothing and warns', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:batch'] }));
    expect(containerDefinitions(taskDefinition).filter((c) => c.Name === AGENT)).toHaveLength(1);
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_ROLES).toBe('shop:web');
    Annotations.fromStack(stack).hasWarning(`/${taskDefinition.node.path}`, Match.stringLikeRegexp('already has a Mackerel container agent'));
  });

  test('the warning for a task that already has an agent can be acknowledged on the task definition beforehand', () => {
    // GIVEN
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    CdkAnnotations.of(taskDefinition).acknowledgeWarning('cdk-mackerel:agentAlreadyPresent', 'a shared extension applied to every task');
    // WHEN
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:batch'] }));
    // THEN
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('instruments an ecs-patterns Fargate service behind an ALB', () => {
    // GIVEN
    const { stack, apiKey, secret } = agentStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const service = new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Web', {
      vpc, memoryLimitMiB: 512, cpu: 256, taskImageOptions: { image: APP_IMAGE },
    });
    // WHEN
    service.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    // THEN
    const web = containerNamed(service.taskDefinition, 'web');
    expect(web.DependsOn).toEqual([{ ContainerName: AGENT, Condition: 'START' }]);
    const agent = containerNamed(service.taskDefinition, AGENT);
    expect(agent.Secrets).toEqual([{ Name: 'MACKEREL_APIKEY', ValueFrom: stack.resolve(secret.secretArn) }]);
    expect(environmentOf(agent).MACKEREL_CONTAINER_PLATFORM).toBe('ecs');
  });

  test('instruments an ecs-patterns EC2 service', () => {
    const { stack, apiKey } = agentStack();
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) });
    cluster.addCapacity('Capacity', { instanceType: new ec2.InstanceType('t3.small') });
    const service = new ecsPatterns.ApplicationLoadBalancedEc2Service(stack, 'Web', {
      cluster, memoryLimitMiB: 256, taskImageOptions: { image: APP_IMAGE },
    });
    service.taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    expect(environmentOf(containerNamed(service.taskDefinition, AGENT)).MACKEREL_CONTAINER_PLATFORM).toBe('ecs');
    Template.fromStack(stack).resourceCountIs('AWS::ECS::TaskDefinition', 1);
  });
});
