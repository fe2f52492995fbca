import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, AspectPriority, Aspects, Annotations as CdkAnnotations, Aws, CfnParameter, CfnResource, Duration, Fn, Lazy, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { describe, expect, test } from 'vitest';
import { APP_IMAGE, containerDefinitions, containerNamed, environmentOf } from './_fixture';
import {
  IMackerelRoleResolver, MackerelAgentConfigLocation, MackerelAgentExtension, MackerelAgentImage, MackerelContainerAgent, MackerelInstrumentation,
  MackerelInstrumentationProps, MackerelPluginCommand, MackerelReadinessProbe,
} from '../../src/agent';
import { MackerelApiKey } from '../../src/api-key';

const AGENT = 'mackerel-container-agent';
const STABILIZATION = '@aws-cdk/core:aspectStabilization';

function setup(context: { [key: string]: unknown } = {}) {
  const app = new App({ context });
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'ap-northeast-1' } });
  const secret = new secretsmanager.Secret(stack, 'ApiKey');
  const apiKey = MackerelApiKey.fromSecretsManager(secret);
  return { app, stack, secret, apiKey };
}

function instrument(scope: App | Stage | Stack, aspect: MackerelInstrumentation) {
  Aspects.of(scope).add(aspect, { priority: MackerelInstrumentation.PRIORITY });
}

/** A new temporary directory holding a Dockerfile of `text`, to build an image from. */
function dockerfile(text: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'cdk-mackerel-'));
  writeFileSync(join(directory, 'Dockerfile'), text);
  return directory;
}

function fargate(stack: Stack, id = 'Task') {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, id, { memoryLimitMiB: 512, cpu: 256 });
  taskDefinition.addContainer('app', { image: APP_IMAGE });
  return taskDefinition;
}

function cluster(stack: Stack, capacity = false) {
  const c = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) });
  if (capacity) c.addCapacity('Capacity', { instanceType: new ec2.InstanceType('t3.small') });
  return c;
}

/** Synthesizes the app (running the Aspects) and counts agent containers per task definition. */
function agentCount(taskDefinition: ecs.TaskDefinition): number {
  return containerDefinitions(taskDefinition).filter((c) => c.Name === AGENT).length;
}

describe('MackerelInstrumentation: task definition kinds', () => {
  test('a plain Fargate task definition (RunTask only) gets the agent with the options', () => {
    const { app, stack, apiKey, secret } = setup();
    const taskDefinition = fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(taskDefinition)).toBe(1);
    const agent = containerNamed(taskDefinition, AGENT);
    expect(environmentOf(agent).MACKEREL_ROLES).toBe('shop:batch');
    expect(agent.Secrets).toEqual([{ Name: 'MACKEREL_APIKEY', ValueFrom: stack.resolve(secret.secretArn) }]);
    expect(containerNamed(taskDefinition, 'app').DependsOn).toEqual([{ ContainerName: AGENT, Condition: 'START' }]);
    Template.fromStack(stack).resourceCountIs('AWS::ECS::TaskDefinition', 1);
  });

  test('EC2, External and Managed Instances task definitions get the agent', () => {
    const { app, stack, apiKey } = setup();
    const ec2Task = new ecs.Ec2TaskDefinition(stack, 'Ec2Task');
    ec2Task.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    const external = new ecs.ExternalTaskDefinition(stack, 'ExternalTask');
    external.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    const managed = new ecs.TaskDefinition(stack, 'ManagedTask', {
      compatibility: ecs.Compatibility.MANAGED_INSTANCES, networkMode: ecs.NetworkMode.AWS_VPC, cpu: '1024', memoryMiB: '2048',
    });
    managed.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(ec2Task)).toBe(1);
    expect(agentCount(external)).toBe(1);
    expect(agentCount(managed)).toBe(1);
  });

  test('ecs-patterns ALB and NLB Fargate services get the agent once each', () => {
    const { app, stack, apiKey } = setup();
    const c = cluster(stack);
    const alb = new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Alb', { cluster: c, taskImageOptions: { image: APP_IMAGE } });
    const nlb = new ecsPatterns.NetworkLoadBalancedFargateService(stack, 'Nlb', { cluster: c, taskImageOptions: { image: APP_IMAGE } });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    expect(agentCount(alb.taskDefinition)).toBe(1);
    expect(agentCount(nlb.taskDefinition)).toBe(1);
    expect(containerNamed(alb.taskDefinition, 'web').DependsOn).toEqual([{ ContainerName: AGENT, Condition: 'START' }]);
    Template.fromStack(stack).resourceCountIs('AWS::ECS::TaskDefinition', 2);
  });

  test('an ecs-patterns ALB EC2 service gets the agent', () => {
    const { app, stack, apiKey } = setup();
    const service = new ecsPatterns.ApplicationLoadBalancedEc2Service(stack, 'Web', {
      cluster: cluster(stack, true), memoryLimitMiB: 256, taskImageOptions: { image: APP_IMAGE },
    });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    expect(agentCount(service.taskDefinition)).toBe(1);
  });

  test('a queue processing service gets the agent', () => {
    const { app, stack, apiKey } = setup();
    const service = new ecsPatterns.QueueProcessingFargateService(stack, 'Worker', {
      cluster: cluster(stack), image: APP_IMAGE, queue: new sqs.Queue(stack, 'Queue'),
    });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:worker'] }));
    expect(agentCount(service.taskDefinition)).toBe(1);
  });

  test('scheduled Fargate and EC2 tasks get the agent', () => {
    const { app, stack, apiKey } = setup();
    const c = cluster(stack, true);
    const schedule = events.Schedule.expression('rate(1 hour)');
    const onFargate = new ecsPatterns.ScheduledFargateTask(stack, 'Nightly', {
      cluster: c,
      schedule,
      subnetSelection: { subnetType: ec2.SubnetType.PUBLIC },
      scheduledFargateTaskImageOptions: { image: APP_IMAGE, memoryLimitMiB: 512 },
    });
    const onEc2 = new ecsPatterns.ScheduledEc2Task(stack, 'Hourly', {
      cluster: c, schedule, scheduledEc2TaskImageOptions: { image: APP_IMAGE, memoryLimitMiB: 256 },
    });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(onFargate.taskDefinition)).toBe(1);
    expect(agentCount(onEc2.taskDefinition)).toBe(1);
  });

  test('a service leads to its task definition defined outside the Aspect scope', () => {
    const { stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    const service = new ecs.FargateService(stack, 'Service', { cluster: cluster(stack), taskDefinition });
    Aspects.of(service).add(new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }), { priority: MackerelInstrumentation.PRIORITY });
    expect(agentCount(taskDefinition)).toBe(1);
    expect(taskDefinition.node.tryFindChild(MackerelInstrumentation.AGENT_ID)).toBeInstanceOf(MackerelContainerAgent);
  });

  test('a scheduled task leads to its task definition defined outside the Aspect scope', () => {
    // GIVEN a scheduled task that runs a task definition defined beside it, not under it
    const { stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    const nightly = new ecsPatterns.ScheduledFargateTask(stack, 'Nightly', {
      cluster: cluster(stack),
      schedule: events.Schedule.expression('rate(1 hour)'),
      subnetSelection: { subnetType: ec2.SubnetType.PUBLIC },
      scheduledFargateTaskDefinitionOptions: { taskDefinition },
    });
    // WHEN the Aspect is applied to the scheduled task only
    Aspects.of(nightly).add(new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }), { priority: MackerelInstrumentation.PRIORITY });
    // THEN
    expect(agentCount(taskDefinition)).toBe(1);
    expect(taskDefinition.node.tryFindChild(MackerelInstrumentation.AGENT_ID)).toBeInstanceOf(MackerelContainerAgent);
  });
});

test('PRIORITY is the mutating priority, so the agent is in place before read-only Aspects such as cdk-nag look', () => {
  expect(MackerelInstrumentation.PRIORITY).toBe(AspectPriority.MUTATING);
});

describe('MackerelInstrumentation: exactly once', () => {
  test('visiting a service and its task definition adds one agent', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    new ecs.FargateService(stack, 'Service', { cluster: cluster(stack), taskDefinition });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    expect(agentCount(taskDefinition)).toBe(1);
  });

  test('applied twice (two instances, app and stack), adds one agent with the first roles', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:first'] }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:second'] }));
    const roles = environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_ROLES;
    expect(agentCount(taskDefinition)).toBe(1);
    // Aspects on the app run before those on the stack at the same priority.
    expect(roles).toBe('shop:first');
  });

  test('a second Aspect with other options that adds nothing says so, naming both, once per task definition', () => {
    // GIVEN an app-wide default and a stack's own Aspect, both reaching a service and its task definition
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    new ecs.FargateService(stack, 'Service', { cluster: cluster(stack), taskDefinition });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:all'] }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // WHEN
    app.synth();
    // THEN
    expect(Annotations.fromStack(stack).findWarning('/Stack/Task', Match.stringLikeRegexp('agentAlreadyPresent')).map((w) => w.entry.data)).toEqual([
      'The MackerelInstrumentation applied to the app (roles ["shop:all"]) added the agent of this task definition, so the MackerelInstrumentation '
      + 'applied to Stack (roles ["shop:web"]), whose options differ, adds nothing: at one priority, the Aspect of the enclosing scope reaches a task '
      + 'definition first. Apply one MackerelInstrumentation to each task definition, or tune this one with MackerelInstrumentation.configure '
      + '[ack: cdk-mackerel:agentAlreadyPresent]',
    ]);
  });

  test('the overlap warning shows roles given as tokens as a user reads them, not as token text', () => {
    // GIVEN an app-wide Aspect whose role is a parameter, and a stack's whose roles are an import and a name built around a reference
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    new ecs.FargateService(stack, 'Service', { cluster: cluster(stack), taskDefinition });
    const role = new CfnParameter(stack, 'Role', { type: 'String' });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: [role.valueAsString] }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: [Fn.importValue('WebRole'), `shop:${role.valueAsString}`] }));
    // WHEN
    app.synth();
    // THEN
    expect(Annotations.fromStack(stack).findWarning('/Stack/Task', Match.stringLikeRegexp('agentAlreadyPresent')).map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/^The MackerelInstrumentation applied to the app \(roles \[\{"Ref":"Role"\}\]\) added the agent of this task definition, so the MackerelInstrumentation /),
    ]);
    expect(Annotations.fromStack(stack).findWarning('/Stack/Task', Match.stringLikeRegexp('agentAlreadyPresent'))[0].entry.data)
      .toContain('applied to Stack (roles [(known at deploy time), "shop:" + {"Ref":"Role"}]), whose options differ');
  });

  test('a second Aspect with the same options adds nothing silently', () => {
    const { app, stack, apiKey } = setup();
    fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentAlreadyPresent'));
  });

  test('a second Aspect with the same roles in another order adds nothing silently: a host\'s roles have no order', () => {
    const { app, stack, apiKey } = setup();
    fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web', 'shop:batch'] }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:batch', 'shop:web'] }));
    app.synth();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentAlreadyPresent'));
  });

  test('a second Aspect with a role given twice still differs from one with it once, and warns', () => {
    const { app, stack, apiKey } = setup();
    fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web', 'shop:batch'] }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:batch', 'shop:web', 'shop:web'] }));
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('/Stack/Task', Match.stringLikeRegexp('agentAlreadyPresent'))).toHaveLength(1);
  });

  test('a second Aspect whose same options were built afresh (by a helper) adds nothing silently', () => {
    const { app, stack, secret } = setup();
    fargate(stack);
    const options = () => ({ apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'], stopTimeout: Duration.seconds(100) });
    instrument(app, new MackerelInstrumentation(options()));
    instrument(stack, new MackerelInstrumentation(options()));
    app.synth();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentAlreadyPresent'));
  });

  test('a second Aspect whose config holds nothing the agent reads ({}, empty plugin lists, a polling interval alone) is the same as one without', () => {
    for (const config of [{}, { metricPlugins: {}, checkPlugins: {} }, { pollingInterval: Duration.minutes(5) }]) {
      const { app, stack, apiKey } = setup();
      fargate(stack);
      instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
      instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], config }));
      app.synth();
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentAlreadyPresent'));
    }
  });

  test('a second Aspect whose config says the same with an empty list beside it (no check plugins, no env, no headers) adds nothing silently', () => {
    // GIVEN the same plugin and probe, one config spelling out empty lists where the other leaves them out
    const { app, stack, apiKey } = setup();
    fargate(stack);
    const jvm = MackerelPluginCommand.shell('mackerel-plugin-jvm');
    const plain = { metricPlugins: { jvm: { command: jvm } }, readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 8080 }) };
    const spelled = {
      metricPlugins: { jvm: { command: jvm, env: {} } },
      checkPlugins: {},
      readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 8080, headers: {} }),
    };
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], config: plain }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], config: spelled }));
    // WHEN
    app.synth();
    // THEN
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentAlreadyPresent'));
  });

  test('a second Aspect whose same config was built afresh (plugins, env, a probe) adds nothing silently; one with another command warns', () => {
    // GIVEN a helper that builds the config for each Aspect
    const config = (line: string) => ({
      metricPlugins: { jvm: { command: MackerelPluginCommand.shell(line), env: { LANG: 'C' }, timeout: Duration.seconds(20) } },
      checkPlugins: { log: { command: MackerelPluginCommand.exec('check-log', '--file', '/var/log/app.log'), memo: 'app log' } },
      readinessProbe: MackerelReadinessProbe.http({ path: '/health', port: 8080, headers: { Host: 'shop.example.com' } }),
      pollingInterval: Duration.minutes(5),
    });
    const same = setup();
    fargate(same.stack);
    instrument(same.app, new MackerelInstrumentation({ apiKey: same.apiKey, roles: ['shop:web'], config: config('mackerel-plugin-jvm') }));
    instrument(same.stack, new MackerelInstrumentation({ apiKey: same.apiKey, roles: ['shop:web'], config: config('mackerel-plugin-jvm') }));
    const other = setup();
    fargate(other.stack);
    instrument(other.app, new MackerelInstrumentation({ apiKey: other.apiKey, roles: ['shop:web'], config: config('mackerel-plugin-jvm') }));
    instrument(other.stack, new MackerelInstrumentation({ apiKey: other.apiKey, roles: ['shop:web'], config: config('mackerel-plugin-jvm -javaname=app') }));
    // WHEN
    same.app.synth();
    other.app.synth();
    // THEN
    Annotations.fromStack(same.stack).hasNoWarning('*', Match.stringLikeRegexp('agentAlreadyPresent'));
    Annotations.fromStack(other.stack).hasWarning('/Stack/Task', Match.stringLikeRegexp('whose options differ'));
  });

  test('a second Aspect is compared by what it would give each task definition: a probe of another one\'s container, or options configure replaces, differ in nothing', () => {
    // GIVEN an app-wide Aspect probing the api's container and a stack's Aspect without a probe, and a workload whose roles configure sets
    const { app, stack, apiKey } = setup();
    const api = new ecs.FargateTaskDefinition(stack, 'Api', { memoryLimitMiB: 512, cpu: 256 });
    const apiContainer = api.addContainer('api', { image: APP_IMAGE, portMappings: [{ containerPort: 8080 }] });
    fargate(stack, 'Web');
    MackerelInstrumentation.configure(fargate(stack, 'Batch'), { roles: ['shop:batch'] });
    instrument(app, new MackerelInstrumentation({
      apiKey, roles: ['shop:web'], config: { readinessProbe: MackerelReadinessProbe.httpToContainer(apiContainer, '/healthz') },
    }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roleResolver: { rolesFor: () => ['shop:web'] } }));
    // WHEN
    app.synth();
    // THEN only the api, which the first Aspect gives its probe, is told the second one adds nothing
    const overlaps = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('whose options differ'));
    expect(overlaps.map((w) => w.id)).toEqual(['/Stack/Api']);
  });

  test('a roleResolver is called for a task definition another Aspect instrumented only where nothing else tells the options apart, and once', () => {
    // GIVEN a service and its task definition, instrumented by the app's Aspect, and two more Aspects of the stack, one with another memo
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack, 'Web');
    new ecs.FargateService(stack, 'Service', { cluster: cluster(stack), taskDefinition });
    const calls: string[] = [];
    const resolver = (name: string): IMackerelRoleResolver => ({ rolesFor: (td) => { calls.push(`${name} ${td.node.id}`); return ['shop:web']; } });
    instrument(app, new MackerelInstrumentation({ apiKey, roleResolver: resolver('first') }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roleResolver: resolver('same') }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roleResolver: resolver('other'), memo: 'nightly' }));
    // WHEN
    app.synth();
    // THEN the first is asked when it adds the agent, the same one once to compare its roles, the other not at all: its memo differs anyway
    expect(calls).toEqual(['first Web', 'same Web']);
    expect(Annotations.fromStack(stack).findWarning('/Stack/Web', Match.stringLikeRegexp('whose options differ'))).toHaveLength(1);
  });

  test('a second Aspect whose roles differ from the first\'s, on a task definition configure gives roles, adds nothing silently', () => {
    const { app, stack, apiKey } = setup();
    const batch = fargate(stack, 'Batch');
    MackerelInstrumentation.configure(batch, { roles: ['shop:batch'], config: {} });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:all'], config: { metricPlugins: { jvm: { command: MackerelPluginCommand.shell('mackerel-plugin-jvm') } } } }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    expect(environmentOf(containerNamed(batch, AGENT)).MACKEREL_ROLES).toBe('shop:batch');
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentAlreadyPresent'));
  });

  test('a second Aspect giving no roles, as an empty list or none, is the same as the first giving none; one giving a role is not', () => {
    // GIVEN an app-wide Aspect whose resolver gives the batch no role ([]) and the web one, and a stack's Aspect without roles
    const { app, stack, apiKey } = setup();
    const batch = fargate(stack, 'Batch');
    fargate(stack, 'Web');
    instrument(app, new MackerelInstrumentation({ apiKey, roleResolver: { rolesFor: (td) => td === batch ? [] : ['shop:web'] } }));
    instrument(stack, new MackerelInstrumentation({ apiKey }));
    // WHEN
    app.synth();
    // THEN neither gives the batch MACKEREL_ROLES, so only the web one, which the first gives a role, is told the second adds nothing
    expect(environmentOf(containerNamed(batch, AGENT))).not.toHaveProperty('MACKEREL_ROLES');
    const overlaps = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('whose options differ'));
    expect(overlaps.map((w) => w.id)).toEqual(['/Stack/Web']);
  });

  test('a second Aspect whose config file (location) is the same place, made afresh, adds nothing silently; another place warns', () => {
    // GIVEN config files named twice: a URL, a path, a key of a bucket of the app, a key of a bucket imported twice by name
    const places: Array<[string, (stack: Stack) => MackerelAgentConfigLocation, (stack: Stack) => MackerelAgentConfigLocation]> = [
      ['url', () => MackerelAgentConfigLocation.fromUrl('https://x.example.com/y.yml'), () => MackerelAgentConfigLocation.fromUrl('https://x.example.com/y.yml')],
      ['file', () => MackerelAgentConfigLocation.fromFile('/etc/mackerel/agent.yml'), () => MackerelAgentConfigLocation.fromFile('/etc/mackerel/agent.yml')],
      ['bucket', (stack) => MackerelAgentConfigLocation.fromBucket(new s3.Bucket(stack, 'Configs'), 'agent.yml'),
        (stack) => MackerelAgentConfigLocation.fromBucket(stack.node.findChild('Configs') as s3.Bucket, 'agent.yml')],
      ['imported', (stack) => MackerelAgentConfigLocation.fromBucket(s3.Bucket.fromBucketName(stack, 'A', 'configs'), 'agent.yml'),
        (stack) => MackerelAgentConfigLocation.fromBucket(s3.Bucket.fromBucketName(stack, 'B', 'configs'), 'agent.yml')],
    ];
    const differing: Array<[string, (stack: Stack) => MackerelAgentConfigLocation]> = [
      ['url', () => MackerelAgentConfigLocation.fromUrl('https://x.example.com/z.yml')],
      ['file', () => MackerelAgentConfigLocation.fromUrl('https://x.example.com/etc/mackerel/agent.yml')],
      ['bucket', (stack) => MackerelAgentConfigLocation.fromBucket(stack.node.findChild('Configs') as s3.Bucket, 'other.yml')],
      ['imported', (stack) => MackerelAgentConfigLocation.fromBucket(s3.Bucket.fromBucketName(stack, 'C', 'other-configs'), 'agent.yml')],
    ];
    for (const [kind, first, again] of places) {
      const other = differing.find(([k]) => k === kind)![1];
      for (const [second, warns] of [[again, false], [other, true]] as const) {
        const { app, stack, apiKey } = setup();
        fargate(stack);
        instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], config: { location: first(stack) } }));
        instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], config: { location: second(stack) } }));
        // WHEN
        app.synth();
        // THEN
        const overlaps = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('whose options differ'));
        expect([kind, overlaps.length]).toEqual([kind, warns ? 1 : 0]);
      }
    }
  });

  /** How many agentAlreadyPresent warnings (options differ) a second Aspect with `second` gives where the first has `first`. */
  function overlapWarnings(first: Partial<MackerelInstrumentationProps>, second: Partial<MackerelInstrumentationProps>): number {
    const { app, stack, apiKey } = setup();
    fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], ...first }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], ...second }));
    app.synth();
    return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('whose options differ')).length;
  }

  test('a second Aspect whose noProxy holds the same entries in another order, case or repeated adds nothing silently: the agent reads NO_PROXY as a set', () => {
    const proxy = { httpProxy: 'http://proxy.internal:3128' };
    expect(overlapWarnings({ ...proxy, noProxy: ['.internal', '10.0.0.0/8'] }, { ...proxy, noProxy: ['10.0.0.0/8', '.Internal', '.internal'] })).toBe(0);
    expect(overlapWarnings({ ...proxy, noProxy: ['.internal', '10.0.0.0/8'] }, { ...proxy, noProxy: ['.internal'] })).toBe(1);
  });

  test('a second Aspect with the same httpProxy whose noProxy writes out the default (the task\'s own endpoints) adds nothing silently: NO_PROXY is the same', () => {
    const proxy = { httpProxy: 'http://proxy.internal:3128' };
    expect(overlapWarnings(proxy, { ...proxy, noProxy: ['169.254.170.2', '169.254.169.254'] })).toBe(0);
    expect(overlapWarnings({ ...proxy, noProxy: ['.internal'] }, { ...proxy, noProxy: ['169.254.169.254', '.internal', '169.254.170.2'] })).toBe(0);
    // Without httpProxy the endpoints are not added, so writing them out is a NO_PROXY of its own
    const httpsOnly = { httpsProxy: 'http://proxy.internal:3128' };
    expect(overlapWarnings(httpsOnly, { ...httpsOnly, noProxy: ['169.254.170.2', '169.254.169.254'] })).toBe(1);
    expect(overlapWarnings(proxy, { ...proxy, noProxy: ['169.254.170.2'] })).toBe(0);
    expect(overlapWarnings(proxy, { ...proxy, noProxy: ['169.254.170.2', '.internal'] })).toBe(1);
  });

  test('a second Aspect whose proxy URL differs only in the case of its scheme or host, a default port, its path or the encoding of its credentials adds nothing silently; another port, host or credentials warn', () => {
    for (const property of ['httpProxy', 'httpsProxy'] as const) {
      const at = (url: string) => ({ [property]: url });
      expect([property, overlapWarnings(at('http://proxy.internal:80'), at('HTTP://Proxy.INTERNAL'))]).toEqual([property, 0]);
      expect([property, overlapWarnings(at('https://proxy.internal:3128'), at('HTTPS://Proxy.Internal:3128/'))]).toEqual([property, 0]);
      expect([property, overlapWarnings(at('http://proxy.internal:3128'), at('http://proxy.internal:3129'))]).toEqual([property, 1]);
      expect([property, overlapWarnings(at('http://proxy.internal:3128'), at('https://proxy.internal:3128'))]).toEqual([property, 1]);
      expect([property, overlapWarnings(at('http://proxy.internal:3128'), at('http://proxy2.internal:3128'))]).toEqual([property, 1]);
      // Go's client never sends a proxy URL's path or query, and sends its user name and password decoded
      expect([property, overlapWarnings(at('http://proxy.internal:3128'), at('http://proxy.internal:3128/squid?x=1'))]).toEqual([property, 0]);
      expect([property, overlapWarnings(at('http://us%65r:p%40ss@proxy.internal:3128'), at('http://user:p%40ss@proxy.internal:3128/'))]).toEqual([property, 0]);
      expect([property, overlapWarnings(at('http://user:pass@proxy.internal:3128'), at('http://user:other@proxy.internal:3128'))]).toEqual([property, 1]);
      expect([property, overlapWarnings(at('http://user:pass@proxy.internal:3128'), at('http://proxy.internal:3128'))]).toEqual([property, 1]);
    }
  });

  test('a second Aspect whose options are tokens written the same, built afresh (Fn.join, Fn.sub, Lazy), adds nothing silently; written otherwise it warns', () => {
    // Each Aspect is given a new token of the same making: its string differs, what the template gets does not
    const made: Array<[string, (stack: Stack) => string]> = [
      ['join', (stack) => Fn.join('', ['http://', (stack.node.tryFindChild('Host') as CfnParameter | undefined ?? new CfnParameter(stack, 'Host')).valueAsString, ':3128'])],
      ['sub', () => Fn.sub('http://proxy.${AWS::Region}.internal:3128')],
      ['lazy', () => Lazy.string({ produce: () => 'http://proxy.internal:3128' })],
      ['uncached', () => Lazy.uncachedString({ produce: () => 'http://proxy.internal:3128' })],
    ];
    for (const [kind, make] of made) {
      for (const property of ['httpProxy', 'memo'] as const) {
        const { app, stack, apiKey } = setup();
        fargate(stack);
        instrument(app, new MackerelInstrumentation({ apiKey, roles: [Fn.join(':', ['shop', make(stack)])], noProxy: [make(stack)], [property]: make(stack) }));
        instrument(stack, new MackerelInstrumentation({ apiKey, roles: [Fn.join(':', ['shop', make(stack)])], noProxy: [make(stack)], [property]: make(stack) }));
        app.synth();
        const overlaps = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('whose options differ'));
        expect([kind, property, overlaps.length]).toEqual([kind, property, 0]);
      }
    }
    // The same value written otherwise (Fn.sub, Fn.join) is not known to be the same: the second Aspect's options are dropped all the same
    const { app, stack, apiKey } = setup();
    fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], memo: Fn.sub('${AWS::Region}-web') }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], memo: Fn.join('-', [Aws.REGION, 'web']) }));
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('whose options differ'))).toHaveLength(1);
  });

  test('a second Aspect given a Lazy of its own is compared by what the Lazy finally writes, which the comparison does not fix at its visit', () => {
    // A later Aspect sets what the Lazies produce: read at the second visit, a Lazy.string would keep the value of then for good
    for (const [final, warnings] of [['http://proxy.internal:3128', 0], ['http://other.internal:3128', 1]] as const) {
      const { app, stack, apiKey } = setup();
      fargate(stack);
      const urls = { first: 'http://draft.internal:3128', second: 'http://draft.internal:3128' };
      instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], httpProxy: Lazy.string({ produce: () => urls.first }) }));
      instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], httpProxy: Lazy.string({ produce: () => urls.second }) }));
      Aspects.of(app).add({
        visit: (node) => {
          if (node instanceof ecs.TaskDefinition) Object.assign(urls, { first: 'http://proxy.internal:3128', second: final });
        },
      }, { priority: MackerelInstrumentation.PRIORITY + 100 });
      Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: AGENT, Environment: Match.arrayWith([{ Name: 'HTTP_PROXY', Value: 'http://proxy.internal:3128' }]) })]),
      });
      expect([final, Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('whose options differ')).length]).toEqual([final, warnings]);
    }
  });

  test('a second Aspect whose config URL differs only in the case of its scheme or host, or a default port, adds nothing silently; in its path it warns', () => {
    const at = (url: string) => ({ config: { location: MackerelAgentConfigLocation.fromUrl(url) } });
    expect(overlapWarnings(at('https://configs.example.com/agent.yml'), at('HTTPS://Configs.Example.COM:443/agent.yml'))).toBe(0);
    expect(overlapWarnings(at('https://configs.example.com/agent.yml'), at('https://configs.example.com/Agent.yml'))).toBe(1);
  });

  test('a second Aspect whose config URL path differs only as written (dot segments, escapes) warns: the agent asks for the path as written', () => {
    // Go's HTTP client sends the path of the URL as written, and a server such as S3 reads "old/../agent.yml" as a key of its own
    const at = (url: string) => ({ config: { location: MackerelAgentConfigLocation.fromUrl(url) } });
    expect(overlapWarnings(at('https://configs.example.com/agent.yml'), at('https://configs.example.com/old/../agent.yml'))).toBe(1);
    expect(overlapWarnings(at('https://configs.example.com/agent.yml'), at('https://configs.example.com/old/%2e%2e/agent.yml'))).toBe(1);
    // A missing path is asked for as "/" all the same
    expect(overlapWarnings(at('https://configs.example.com/'), at('HTTPS://CONFIGS.example.com'))).toBe(0);
  });

  test('a task definition running the agent in a container added by hand gets no second agent, and a warning', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/mackerel/mackerel-container-agent:v0.11.0') });
    new ecs.FargateService(stack, 'Service', { cluster: cluster(stack), taskDefinition });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    expect(containerDefinitions(taskDefinition).map((c) => c.Name)).toEqual(['app', 'mackerel']);
    expect(Annotations.fromStack(stack).findWarning('/Stack/Task', Match.stringLikeRegexp('agentAlreadyPresent')).map((w) => w.entry.data)).toEqual([
      expect.stringContaining('The task definition already runs the Mackerel container agent in Stack/Task/mackerel '
        + '(image public.ecr.aws/mackerel/mackerel-container-agent:v0.11.0), added by hand, so MackerelInstrumentation adds none'),
    ]);
  });

  test('an agent added by hand from a private mirror (an image known only at deploy time) is found by its MACKEREL_CONTAINER_PLATFORM', () => {
    // GIVEN the agent copied into the account's ECR, as the partition warning advises, under the recipe's container name
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    const mirror = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/mackerel-container-agent');
    taskDefinition.addContainer('mackerel-container-agent', {
      image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'),
      essential: false,
      memoryLimitMiB: 128,
      environment: { MACKEREL_CONTAINER_PLATFORM: 'ecs' },
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // THEN no second agent (a second Mackerel host for each task), and a warning that says why
    expect(containerDefinitions(taskDefinition).map((c) => c.Name)).toEqual(['app', AGENT]);
    expect(Annotations.fromStack(stack).findWarning('/Stack/Task', Match.stringLikeRegexp('agentAlreadyPresent')).map((w) => w.entry.data)).toEqual([
      expect.stringContaining('The task definition already runs the Mackerel container agent in Stack/Task/mackerel-container-agent '
        + '(MACKEREL_CONTAINER_PLATFORM in its environment), added by hand, so MackerelInstrumentation adds none'),
    ]);
  });

  test('an agent added by hand whose MACKEREL_CONTAINER_PLATFORM comes from an environment file of the app (an asset) or a secret is found', () => {
    // GIVEN private mirrors (images known only at deploy time) given the variable by a local env file and by a secret
    const { app, stack, apiKey } = setup();
    const mirror = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/mackerel-container-agent');
    const envFile = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-')), 'agent.env');
    writeFileSync(envFile, '# the agent\nMACKEREL_ROLES=shop:web\n\nMACKEREL_CONTAINER_PLATFORM=ecs\n');
    const byFile = fargate(stack, 'ByFile');
    byFile.addContainer('mackerel', { image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'), environmentFiles: [ecs.EnvironmentFile.fromAsset(envFile)] });
    const bySecret = fargate(stack, 'BySecret');
    bySecret.addContainer('mackerel', {
      image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'),
      secrets: { MACKEREL_CONTAINER_PLATFORM: ecs.Secret.fromSecretsManager(new secretsmanager.Secret(stack, 'Platform')) },
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // THEN neither gets a second agent
    const found = handAgentFound(Annotations.fromStack(stack));
    found(byFile, `MACKEREL_CONTAINER_PLATFORM in its environment file ${envFile}`);
    found(bySecret, 'MACKEREL_CONTAINER_PLATFORM in its secrets');
  });

  test('an agent added by hand whose image is built from the app\'s Dockerfile on the agent\'s image (fromAsset, fromDockerImageAsset) is found', () => {
    // GIVEN images built on the agent's image that set MACKEREL_CONTAINER_PLATFORM themselves, with no environment file
    const { app, stack, apiKey } = setup();
    const hub = dockerfile('FROM mackerel/mackerel-container-agent:v0.13.2\nENV MACKEREL_CONTAINER_PLATFORM=ecs\n');
    const byAsset = fargate(stack, 'ByAsset');
    byAsset.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(hub), essential: false });
    const ecrPublic = dockerfile('FROM public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2-plugins\nENV MACKEREL_CONTAINER_PLATFORM=ecs\n');
    const byImageAsset = fargate(stack, 'ByImageAsset');
    const asset = new ecrAssets.DockerImageAsset(stack, 'AgentImage', { directory: ecrPublic });
    byImageAsset.addContainer('mackerel', { image: ecs.ContainerImage.fromDockerImageAsset(asset), essential: false });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // THEN neither gets a second agent, and each is named with its Dockerfile's base image
    const found = handAgentFound(Annotations.fromStack(stack));
    found(byAsset, `image built from ${join(hub, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2`);
    found(byImageAsset, `image built from ${join(ecrPublic, 'Dockerfile')} on public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2-plugins`);
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    }, 0);
  });

  test('a container whose image is known only at deploy time, with environment files in S3, may run the agent: the agent is added, with a warning', () => {
    // GIVEN a private mirror whose environment comes from S3, next to containers whose env files cannot hide the agent
    const { app, stack, apiKey } = setup();
    const mirror = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/mackerel-container-agent');
    const bucket = s3.Bucket.fromBucketName(stack, 'Config', 'config-bucket');
    const unknown = fargate(stack, 'Unknown');
    unknown.addContainer('sidecar', { image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'), environmentFiles: [ecs.EnvironmentFile.fromBucket(bucket, 'sidecar.env')] });
    const envFile = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-')), 'app.env');
    writeFileSync(envFile, 'MODE=web\n');
    const known = fargate(stack, 'Known');
    known.addContainer('literal', { image: APP_IMAGE, environmentFiles: [ecs.EnvironmentFile.fromBucket(bucket, 'literal.env')] });
    known.addContainer('local', { image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'), environmentFiles: [ecs.EnvironmentFile.fromAsset(envFile)] });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // THEN each gets the agent; only the one whose files cannot be read is warned about, naming its container
    expect(agentCount(unknown)).toBe(1);
    expect(agentCount(known)).toBe(1);
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('handAgentUnchecked')).map((w) => [w.id, w.entry.data])).toEqual([[
      '/Stack/Unknown/MackerelContainerAgent',
      'The container Stack/Unknown/sidecar may run the Mackerel container agent, which cannot be told at synth: its image is known only at deploy '
      + 'time, and its environment files, read from S3 at deploy time, may set MACKEREL_CONTAINER_PLATFORM. If it runs the agent, each task '
      + 'registers two Mackerel hosts, both billed. Set MACKEREL_CONTAINER_PLATFORM in its environment, not a file, so that the agent added by hand '
      + 'is found, or acknowledge this warning if it does not run the agent [ack: cdk-mackerel:handAgentUnchecked]',
    ]]);
  });

  test('an app built from its own Dockerfile, with environment files in S3, gets the agent without a handAgentUnchecked warning', () => {
    // GIVEN an ordinary service: an image built from the app's directory, its settings in an S3 environment file
    const { app, stack, apiKey } = setup();
    const directory = dockerfile('FROM public.ecr.aws/docker/library/node:22\nCOPY . /app\n');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Web', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('web', {
      image: ecs.ContainerImage.fromAsset(directory), environmentFiles: [ecs.EnvironmentFile.fromBucket(s3.Bucket.fromBucketName(stack, 'Config', 'config-bucket'), 'web.env')],
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // THEN
    expect(agentCount(taskDefinition)).toBe(1);
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('handAgentUnchecked'));
  });

  test('the same instance added twice adds one agent', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    const aspect = new MackerelInstrumentation({ apiKey, roles: ['shop:web'] });
    instrument(app, aspect);
    instrument(stack, aspect);
    expect(agentCount(taskDefinition)).toBe(1);
  });

  test('a task definition with a MackerelContainerAgent keeps it and gets no second agent', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:manual'] });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(taskDefinition)).toBe(1);
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_ROLES).toBe('shop:manual');
    expect(taskDefinition.node.tryFindChild(MackerelInstrumentation.AGENT_ID)).toBeUndefined();
  });

  test('a task definition with a MackerelAgentExtension keeps it and gets no second agent', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    taskDefinition.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:extended'] }));
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(taskDefinition)).toBe(1);
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_ROLES).toBe('shop:extended');
  });

  for (const stabilization of [true, false]) {
    test(`with ${STABILIZATION}=${stabilization}, every task definition gets exactly one agent`, () => {
      const { app, stack, apiKey } = setup({ [STABILIZATION]: stabilization });
      const first = fargate(stack, 'First');
      const service = new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Web', {
        cluster: cluster(stack), taskImageOptions: { image: APP_IMAGE },
      });
      instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
      instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
      expect(agentCount(first)).toBe(1);
      expect(agentCount(service.taskDefinition)).toBe(1);
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Aspect'));
    });
  }
});

class ByFamily implements IMackerelRoleResolver {
  public rolesFor(taskDefinition: ecs.TaskDefinition): string[] {
    return taskDefinition.node.id === 'Web' ? ['shop:web'] : ['shop:batch'];
  }
}

describe('MackerelInstrumentation: an agent by hand changed by a later Aspect', () => {
  /** A task definition whose second container runs the agent by hand, and an Aspect of `priority` writing an app image over it. */
  function handAgentRewritten(priority: number) {
    const { app, stack, apiKey } = setup();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { cpu: 256, memoryLimitMiB: 512 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:latest'), essential: false });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    Aspects.of(app).add({
      visit: (node) => {
        if (node === taskDefinition) (node.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride('ContainerDefinitions.1.Image', 'public.ecr.aws/nginx/nginx:1.27');
      },
    }, { priority });
    return { app, taskDefinition };
  }

  test('an Aspect after the instrumentation that leaves the agent by hand no longer running it is an error; before it, the agent is added', () => {
    // GIVEN the escape hatch written by an Aspect of a later priority than MackerelInstrumentation.PRIORITY
    const after = handAgentRewritten(AspectPriority.READONLY);
    // THEN synth stops, naming the container that ran the agent when the Aspect looked
    expect(() => after.app.synth()).toThrow(/MackerelInstrumentation added no Mackerel container agent to this task definition, as Stack\/Task\/mackerel ran the agent \(image mackerel\/mackerel-container-agent:latest\) when it was applied; as synthesized, no container runs the agent/);
    // ... and written by an Aspect of an earlier priority, the instrumentation adds the agent, and synth passes
    const before = handAgentRewritten(MackerelInstrumentation.PRIORITY - 1);
    expect(containerDefinitions(before.taskDefinition).map((c) => c.Name)).toEqual(['app', 'mackerel', 'mackerel-container-agent']);
  });

  test('an Aspect after the instrumentation that leaves a CfnTaskDefinition\'s agent by hand no longer running it is an error', () => {
    // GIVEN a CfnTaskDefinition whose second container runs the agent by hand, written over with an app image by an Aspect
    // of a later priority than MackerelInstrumentation.PRIORITY, or of an earlier one
    const rewritten = (priority: number) => {
      const { app, stack, apiKey } = setup();
      const cfn = new ecs.CfnTaskDefinition(stack, 'Raw', {
        containerDefinitions: [
          { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', essential: true, memory: 256 },
          { name: 'mackerel', image: 'mackerel/mackerel-container-agent:latest', essential: false, memory: 128 },
        ],
      });
      instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
      Aspects.of(app).add({
        visit: (node) => {
          if (node === cfn) cfn.addPropertyOverride('ContainerDefinitions.1.Image', 'public.ecr.aws/nginx/nginx:1.27');
        },
      }, { priority });
      return app;
    };
    // THEN synth stops after the later one, naming the container that ran the agent when the Aspect looked
    expect(() => rewritten(AspectPriority.READONLY).synth()).toThrow(/MackerelInstrumentation added no Mackerel container agent to this task definition, as its container "mackerel" ran the agent \(image mackerel\/mackerel-container-agent:latest\) when it was applied; as synthesized, no container runs the agent/);
    // ... and passes after the earlier one, the instrumentation having found no agent (and warned that the tasks are not monitored)
    expect(() => rewritten(MackerelInstrumentation.PRIORITY - 1).synth()).not.toThrow();
  });
});

describe('MackerelInstrumentation: roles and opt-out', () => {
  test('roles together with a role resolver are rejected', () => {
    const { apiKey } = setup();
    expect(() => new MackerelInstrumentation({ apiKey, roles: ['shop:web'], roleResolver: new ByFamily() }))
      .toThrow(/MackerelInstrumentation: roles \["shop:web"\] is set together with roleResolver/);
  });

  test('the roles rejected together with a role resolver are shown as a user reads them, not as token text', () => {
    const { stack, apiKey } = setup();
    const role = new CfnParameter(stack, 'Role');
    const imported = Fn.importValue('RoleName');
    const message = () => {
      try {
        new MackerelInstrumentation({ apiKey, roles: ['shop:web', role.valueAsString, `shop:${imported}`], roleResolver: new ByFamily() });
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(message()).toContain('roles ["shop:web", {"Ref":"Role"}, "shop:" + (known at deploy time)] is set together with roleResolver');
    expect(message()).not.toContain('Token[');
    const list = Fn.split(',', Fn.importValue('Roles'));
    expect(() => new MackerelInstrumentation({ apiKey, roles: list, roleResolver: new ByFamily() }))
      .toThrow('MackerelInstrumentation: roles (known at deploy time) is set together with roleResolver');
  });

  test('exposes its fixed roles; none with a resolver', () => {
    const { apiKey } = setup();
    expect(new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }).roles).toEqual(['shop:batch']);
    expect(new MackerelInstrumentation({ apiKey, roleResolver: new ByFamily() }).roles).toEqual([]);
  });

  test('the role resolver gives each task definition its roles', () => {
    const { app, stack, apiKey } = setup();
    const web = fargate(stack, 'Web');
    const batch = fargate(stack, 'Batch');
    instrument(app, new MackerelInstrumentation({ apiKey, roleResolver: new ByFamily() }));
    expect(environmentOf(containerNamed(web, AGENT)).MACKEREL_ROLES).toBe('shop:web');
    expect(environmentOf(containerNamed(batch, AGENT)).MACKEREL_ROLES).toBe('shop:batch');
  });

  test('an invalid role from the resolver is a synth error naming it', () => {
    const { app, stack, apiKey } = setup();
    fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roleResolver: { rolesFor: () => ['shop:web!'] } }));
    expect(() => app.synth()).toThrow(/roles\[0\] "shop:web!"/);
  });

  test('an excluded task definition gets no agent, with an info annotation', () => {
    const { app, stack, apiKey } = setup();
    const excluded = fargate(stack, 'Excluded');
    const kept = fargate(stack, 'Kept');
    MackerelInstrumentation.exclude(excluded);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(excluded)).toBe(0);
    expect(agentCount(kept)).toBe(1);
    expect(MackerelInstrumentation.isExcluded(excluded)).toBe(true);
    Annotations.fromStack(stack).hasInfo(`/${excluded.node.path}`, Match.stringLikeRegexp('Excluded from MackerelInstrumentation.*\\[ack: cdk-mackerel:instrumentationExcluded\\]$'));
  });

  test('a Windows task definition is skipped with a warning, not an error', () => {
    const { app, stack, apiKey } = setup();
    const windows = new ecs.FargateTaskDefinition(stack, 'Windows', {
      cpu: 1024,
      memoryLimitMiB: 2048,
      runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
    });
    windows.addContainer('app', { image: APP_IMAGE });
    const service = new ecs.FargateService(stack, 'Service', { cluster: cluster(stack), taskDefinition: windows });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    expect(agentCount(windows)).toBe(0);
    const warnings = Annotations.fromStack(stack).findWarning(`/${windows.node.path}`, Match.stringLikeRegexp('WINDOWS_SERVER_2022_CORE is not supported'));
    // Visited through the service and itself, warned once.
    expect(warnings).toHaveLength(1);
    expect(service.taskDefinition).toBe(windows);
  });

  test('an agent cpu some tasks have no room for is a validation error of each, listed with the tasks\' memory problems, as the memory check is', () => {
    const { app, stack, apiKey } = setup();
    // GIVEN two tasks whose app takes 200 of 256 cpu units, one whose app leaves 64 MiB, and one with room
    const cpuBound = ['CpuA', 'CpuB'].map((id) => new ecs.FargateTaskDefinition(stack, id, { memoryLimitMiB: 512, cpu: 256 }));
    cpuBound.forEach((taskDefinition) => taskDefinition.addContainer('app', { image: APP_IMAGE, cpu: 200 }));
    const memoryBound = new ecs.FargateTaskDefinition(stack, 'Memory', { memoryLimitMiB: 512, cpu: 1024 });
    memoryBound.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 448 });
    const roomy = new ecs.FargateTaskDefinition(stack, 'Roomy', { memoryLimitMiB: 1024, cpu: 1024 });
    roomy.addContainer('app', { image: APP_IMAGE });
    new ecs.FargateService(stack, 'Service', { cluster: cluster(stack), taskDefinition: cpuBound[0] });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], cpu: 64 }));
    // THEN every problem is listed, each once, not only the first task's
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    for (const id of ['CpuA', 'CpuB']) {
      expect(message).toContain(`[Stack/${id}] MackerelInstrumentation could not add the Mackerel agent: cpu 64 does not fit in the task Stack/${id}: `
        + 'its 256 units minus 200 reserved by the other containers leaves 56; expected at most 56');
      expect(message.split(`[Stack/${id}]`)).toHaveLength(2);
    }
    expect(message).toMatch(/\[Stack\/Memory\/MackerelContainerAgent\] memoryLimitMiB 128 does not fit in the task/);
    expect(message).not.toContain('Roomy');
  });

  test('the skip warning, acknowledged on the task definition before synth, is not raised', () => {
    // GIVEN: aws-cdk-lib before aws/aws-cdk#38820 ignores such an acknowledgement for a warning raised after it
    const { app, stack, apiKey } = setup();
    const isolated = new ecs.Ec2TaskDefinition(stack, 'Isolated', { networkMode: ecs.NetworkMode.NONE });
    isolated.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    const other = new ecs.Ec2TaskDefinition(stack, 'OtherIsolated', { networkMode: ecs.NetworkMode.NONE });
    other.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    // WHEN
    CdkAnnotations.of(isolated).acknowledgeWarning('cdk-mackerel:instrumentationSkipped', 'a batch job that reports nothing');
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN
    const annotations = Annotations.fromStack(stack);
    annotations.hasNoWarning(`/${isolated.node.path}`, Match.anyValue());
    annotations.hasWarning(`/${other.node.path}`, Match.stringLikeRegexp('network mode is none.*\\[ack: cdk-mackerel:instrumentationSkipped\\]'));
  });

  test('an imported task definition (an EventBridge EcsTask target, say) cannot be changed: skipped with a warning', () => {
    const { app, stack, apiKey } = setup();
    const imported = ecs.FargateTaskDefinition.fromFargateTaskDefinitionArn(stack, 'Imported',
      'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/batch:3');
    const own = fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findWarning(`/${imported.node.path}`, Match.anyValue()).map((w) => w.entry.data)).toEqual([
      'MackerelInstrumentation skipped this imported task definition: the app cannot add a container to it, so its tasks are not monitored '
      + 'by Mackerel unless the app that defines it adds the agent [ack: cdk-mackerel:instrumentationSkipped]',
    ]);
    expect(agentCount(own)).toBe(1);
    annotations.hasNoWarning(`/${own.node.path}`, Match.anyValue());
  });

  test('an L1 task definition (a CfnTaskDefinition, as cloudformation-include reads one) is skipped with a warning', () => {
    // GIVEN a task definition written as its CloudFormation resource, beside one of aws-cdk-lib's
    const { app, stack, apiKey } = setup();
    const raw = new ecs.CfnTaskDefinition(stack, 'Raw', {
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', essential: true, memory: 256 }],
    });
    const own = fargate(stack);
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN the L1 one is left as it is, said once; the ecs.TaskDefinition's own CfnTaskDefinition is not taken for one
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findWarning(`/${raw.node.path}`, Match.anyValue()).map((w) => w.entry.data)).toEqual([
      'MackerelInstrumentation skipped this CfnTaskDefinition: the agent is added only to an ecs.TaskDefinition (Fargate, EC2, External), not to '
      + 'the CloudFormation resource written directly or read by cloudformation-include, so its tasks are not monitored by Mackerel. Define it as an '
      + 'ecs.TaskDefinition, or leave it out of the Aspect\'s scope [ack: cdk-mackerel:instrumentationSkipped]',
    ]);
    expect(Template.fromStack(stack).toJSON().Resources.Raw.Properties.ContainerDefinitions.map((c: { Name: string }) => c.Name)).toEqual(['app']);
    expect(agentCount(own)).toBe(1);
    annotations.hasNoWarning(`/${own.node.path}/Resource`, Match.anyValue());
    annotations.hasNoWarning(`/${own.node.path}`, Match.anyValue());
  });

  test('an L1 task definition that already runs the agent, added by hand (a template read by cloudformation-include), is not said to be unmonitored', () => {
    // GIVEN two CfnTaskDefinitions written before the library: one names the agent's image, one a private mirror known at deploy time
    const { app, stack, apiKey } = setup();
    const byImage = new ecs.CfnTaskDefinition(stack, 'ByImage', {
      containerDefinitions: [
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', essential: true, memory: 256 },
        { name: 'agent', image: 'public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2', essential: false, memory: 128 },
      ],
    });
    const byVariable = new ecs.CfnTaskDefinition(stack, 'ByVariable', {
      containerDefinitions: [
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', essential: true, memory: 256 },
        { name: 'agent', image: new CfnParameter(stack, 'AgentImage').valueAsString, memory: 128, environment: [{ name: 'MACKEREL_CONTAINER_PLATFORM', value: 'ecs' }] },
      ],
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN each is left as it is, with the warning an ecs.TaskDefinition with such an agent gets, not "its tasks are not monitored"
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findWarning(`/${byImage.node.path}`, Match.anyValue()).map((w) => w.entry.data)).toEqual([
      'The CfnTaskDefinition already runs the Mackerel container agent in its container "agent" (image public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2), '
      + 'added by hand, so MackerelInstrumentation adds none (it adds the agent only to an ecs.TaskDefinition) [ack: cdk-mackerel:agentAlreadyPresent]',
    ]);
    expect(annotations.findWarning(`/${byVariable.node.path}`, Match.anyValue()).map((w) => w.entry.data)).toEqual([
      'The CfnTaskDefinition already runs the Mackerel container agent in its container "agent" (MACKEREL_CONTAINER_PLATFORM in its environment), '
      + 'added by hand, so MackerelInstrumentation adds none (it adds the agent only to an ecs.TaskDefinition) [ack: cdk-mackerel:agentAlreadyPresent]',
    ]);
  });

  test('an L1 task definition whose container runs a DockerImageAsset built on the agent\'s image is read from its Dockerfile', () => {
    // GIVEN a CfnTaskDefinition and a raw CfnResource whose containers run DockerImageAssets of the app by their image URI:
    // one built on the agent's image, one an app's
    const { app, stack, apiKey } = setup();
    const agent = new ecrAssets.DockerImageAsset(stack, 'AgentImage', {
      directory: dockerfile('ARG BASE=mackerel/mackerel-container-agent:v0.13.2\nFROM ${BASE}\nENV MACKEREL_CONTAINER_PLATFORM=ecs\n'),
    });
    const web = new ecrAssets.DockerImageAsset(stack, 'WebImage', { directory: dockerfile('FROM nginx:1.27\n') });
    const l1 = new ecs.CfnTaskDefinition(stack, 'L1', {
      containerDefinitions: [
        { name: 'app', image: web.imageUri, essential: true, memory: 256 },
        { name: 'agent', image: agent.imageUri, essential: false, memory: 128 },
      ],
    });
    const raw = new CfnResource(stack, 'Raw', {
      type: 'AWS::ECS::TaskDefinition',
      properties: { ContainerDefinitions: [{ Name: 'app', Image: web.imageUri }, { Name: 'agent', Image: agent.imageUri }] },
    });
    const plain = new ecs.CfnTaskDefinition(stack, 'Plain', { containerDefinitions: [{ name: 'app', image: web.imageUri, essential: true, memory: 256 }] });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN the first two already run the agent; the last, an app's image only, is said to be unmonitored
    const annotations = Annotations.fromStack(stack);
    for (const [resource, kind] of [[l1, 'CfnTaskDefinition'], [raw, 'CfnResource of type AWS::ECS::TaskDefinition']] as const) {
      expect(annotations.findWarning(`/${resource.node.path}`, Match.anyValue()).map((w) => w.entry.data)).toEqual([
        expect.stringMatching(new RegExp(`^The ${kind} already runs the Mackerel container agent in its container "agent" \\(image built from .*Dockerfile `
          + 'on mackerel/mackerel-container-agent:v0.13.2 \\(FROM \\$\\{BASE\\}\\)\\), added by hand.*\\[ack: cdk-mackerel:agentAlreadyPresent\\]$')),
      ]);
    }
    annotations.hasWarning(`/${plain.node.path}`, Match.stringLikeRegexp('\\[ack: cdk-mackerel:instrumentationSkipped\\]'));
  });

  test('an L1 task definition whose container runs a DockerImageAsset copying the agent and running it is read from its Dockerfile and its EntryPoint', () => {
    // GIVEN a CfnTaskDefinition whose containers run a DockerImageAsset on alpine copying the agent and running it, once as it is and once with its EntryPoint replaced
    const { app, stack, apiKey } = setup();
    const directory = dockerfile('FROM alpine:3.20\nCOPY --from=mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/\n'
      + 'ENTRYPOINT ["mackerel-container-agent"]\n');
    const image = new ecrAssets.DockerImageAsset(stack, 'AgentImage', { directory });
    const l1 = new ecs.CfnTaskDefinition(stack, 'L1', {
      containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', essential: true, memory: 256 }, { name: 'agent', image: image.imageUri, essential: false, memory: 128 }],
    });
    const replaced = new CfnResource(stack, 'Replaced', {
      type: 'AWS::ECS::TaskDefinition',
      properties: { ContainerDefinitions: [{ Name: 'app', Image: image.imageUri, EntryPoint: ['/app/server'] }] },
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN the first already runs the agent; the other, whose entry point is the app's, is said to be unmonitored
    const annotations = Annotations.fromStack(stack);
    const warnings = annotations.findWarning(`/${l1.node.path}`, Match.anyValue()).map((w) => String(w.entry.data));
    expect(warnings).toHaveLength(1);
    const found = 'The CfnTaskDefinition already runs the Mackerel container agent in its container "agent" (image built from '
      + `${join(directory, 'Dockerfile')} on alpine:3.20, copying the agent from mackerel/mackerel-container-agent:v0.13.2 `
      + '(COPY --from=mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/) and running it (ENTRYPOINT ["mackerel-container-agent"])), added by hand';
    expect(warnings[0].slice(0, found.length)).toBe(found);
    expect(warnings[0]).toMatch(/\[ack: cdk-mackerel:agentAlreadyPresent\]$/);
    annotations.hasWarning(`/${replaced.node.path}`, Match.stringLikeRegexp('\\[ack: cdk-mackerel:instrumentationSkipped\\]'));
  });

  test('an L1 task definition\'s container Environment setting PATH replaces the image\'s when the copied binary is run by its name', () => {
    // GIVEN a DockerImageAsset copying the binary as /opt/agent/bin/agent and running `agent`, a directory only the task's PATH
    // holds, in a CfnTaskDefinition and a raw CfnResource giving that PATH, and one giving none
    const { app, stack, apiKey } = setup();
    const directory = dockerfile('FROM mackerel/mackerel-container-agent:v0.13.2 AS a\nFROM debian:12\n'
      + 'COPY --from=a /usr/local/bin/mackerel-container-agent /opt/agent/bin/agent\nCMD ["agent"]\n');
    const image = new ecrAssets.DockerImageAsset(stack, 'AgentImage', { directory });
    const path = '/opt/agent/bin:/usr/bin:/bin';
    const l1 = new ecs.CfnTaskDefinition(stack, 'L1', {
      containerDefinitions: [{ name: 'agent', image: image.imageUri, memory: 128, environment: [{ name: 'TZ', value: 'UTC' }, { name: 'PATH', value: path }] }],
    });
    const raw = new CfnResource(stack, 'Raw', {
      type: 'AWS::ECS::TaskDefinition',
      properties: { ContainerDefinitions: [{ Name: 'agent', Image: image.imageUri, Environment: [{ Name: 'PATH', Value: path }] }] },
    });
    const none = new ecs.CfnTaskDefinition(stack, 'None', { containerDefinitions: [{ name: 'agent', image: image.imageUri, memory: 128 }] });
    // ... and an image putting the directory on its PATH, taken off by the task's
    const onPath = dockerfile('FROM mackerel/mackerel-container-agent:v0.13.2 AS a\nFROM debian:12\n'
      + 'COPY --from=a /usr/local/bin/mackerel-container-agent /opt/agent/bin/agent\nENV PATH=/opt/agent/bin:$PATH\nCMD ["agent"]\n');
    const onPathImage = new ecrAssets.DockerImageAsset(stack, 'OnPathImage', { directory: onPath });
    const off = new ecs.CfnTaskDefinition(stack, 'Off', {
      containerDefinitions: [{ name: 'agent', image: onPathImage.imageUri, memory: 128, environment: [{ name: 'PATH', value: '/usr/bin:/bin' }] }],
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN the first two already run the agent; the others, whose PATH has no /opt/agent/bin, run no `agent` and are said to be unmonitored
    const annotations = Annotations.fromStack(stack);
    for (const resource of [l1, raw]) {
      annotations.hasWarning(`/${resource.node.path}`, Match.stringLikeRegexp('running it \\(CMD \\["agent"\\]\\)\\), added by hand.*\\[ack: cdk-mackerel:agentAlreadyPresent\\]$'));
    }
    for (const resource of [none, off]) {
      annotations.hasWarning(`/${resource.node.path}`, Match.stringLikeRegexp('\\[ack: cdk-mackerel:instrumentationSkipped\\]'));
      annotations.hasNoWarning(`/${resource.node.path}`, Match.stringLikeRegexp('agentAlreadyPresent'));
    }
  });

  test('an L1 task definition whose agent is behind a condition, or known only at deploy time, is said to be undetermined, not unmonitored', () => {
    // GIVEN a template read by cloudformation-include with the agent behind Fn::If, a CfnTaskDefinition whose container
    // has an image and environment known only at deploy time, and one with Fn::If written as JSON
    const { app, stack, apiKey } = setup();
    const templateFile = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-')), 'template.json');
    writeFileSync(templateFile, JSON.stringify({
      Parameters: { Monitored: { Type: 'String' } },
      Conditions: { WithAgent: { 'Fn::Equals': [{ Ref: 'Monitored' }, 'yes'] } },
      Resources: {
        Task: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            ContainerDefinitions: [
              { Name: 'app', Image: 'public.ecr.aws/nginx/nginx:1.27', Essential: true, Memory: 256 },
              { 'Fn::If': ['WithAgent', { Name: 'agent', Image: 'public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2', Memory: 128 }, { Ref: 'AWS::NoValue' }] },
            ],
          },
        },
      },
    }));
    const included = new CfnInclude(stack, 'Included', { templateFile }).getResource('Task');
    const parameter = new CfnParameter(stack, 'Environment', { type: 'CommaDelimitedList' });
    const byToken = new ecs.CfnTaskDefinition(stack, 'ByToken', {
      containerDefinitions: [
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', essential: true, memory: 256 },
        { name: 'sidecar', image: new CfnParameter(stack, 'Image').valueAsString, memory: 128, environment: parameter.valueAsList as never },
      ],
    });
    const byJson = new ecs.CfnTaskDefinition(stack, 'ByJson', {
      containerDefinitions: [{ 'Fn::If': ['WithAgent', { Name: 'agent', Image: 'mackerel/mackerel-container-agent:v0.13.2' }, { Ref: 'AWS::NoValue' }] } as never],
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN each says why the agent cannot be told at synth, and neither says its tasks are not monitored
    const annotations = Annotations.fromStack(stack);
    const skipped = (path: string, unread: string) => expect(annotations.findWarning(path, Match.anyValue()).map((w) => w.entry.data)).toEqual([
      'MackerelInstrumentation skipped this CfnTaskDefinition: the agent is added only to an ecs.TaskDefinition (Fargate, EC2, External), not to '
      + 'the CloudFormation resource written directly or read by cloudformation-include, and whether it already runs the Mackerel container agent '
      + `cannot be told at synth (${unread}), so its tasks are monitored by Mackerel only if such a container runs the agent as deployed. `
      + 'Define it as an ecs.TaskDefinition, or leave it out of the Aspect\'s scope [ack: cdk-mackerel:instrumentationSkipped]',
    ]);
    skipped(`/${included.node.path}`, 'ContainerDefinitions[1] is a token or an intrinsic function (such as Fn::If)');
    skipped(`/${byToken.node.path}`, 'the Image and Environment of ContainerDefinitions[1] are tokens or intrinsic functions');
    skipped(`/${byJson.node.path}`, 'ContainerDefinitions[0] is a token or an intrinsic function (such as Fn::If)');
  });

  test('an L1 task definition with an image known only at deploy time and environment files is said to be undetermined; a secret shows the agent', () => {
    const { app, stack, apiKey } = setup();
    const raw = new ecs.CfnTaskDefinition(stack, 'Raw', {
      containerDefinitions: [
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', memory: 256, environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::config/app.env' }] },
        { name: 'sidecar', image: new CfnParameter(stack, 'Image').valueAsString, memory: 128, environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::config/sidecar.env' }] },
      ],
    });
    const bySecret = new ecs.CfnTaskDefinition(stack, 'BySecret', {
      containerDefinitions: [
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', memory: 256 },
        { name: 'agent', image: new CfnParameter(stack, 'Mirror').valueAsString, secrets: [{ name: 'MACKEREL_CONTAINER_PLATFORM', valueFrom: 'arn:aws:ssm:::parameter/p' }] },
      ],
    });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    Annotations.fromStack(stack).hasWarning(`/${raw.node.path}`, Match.stringLikeRegexp(
      'cannot be told at synth \\(the Image of ContainerDefinitions\\[1\\] is a token or an intrinsic function and its EnvironmentFiles are read at deploy time\\)'));
    // and one given the variable by a secret runs the agent
    Annotations.fromStack(stack).hasWarning(`/${bySecret.node.path}`, Match.stringLikeRegexp(
      '^The CfnTaskDefinition already runs the Mackerel container agent in its container "agent" \\(MACKEREL_CONTAINER_PLATFORM in its secrets\\)'));
  });

  test('an L1 task definition whose tokens cannot hide the agent is still said to be unmonitored', () => {
    // GIVEN a literal non-agent image with an environment of tokens, and an image token with literal variables only
    const { app, stack, apiKey } = setup();
    const raw = new ecs.CfnTaskDefinition(stack, 'Raw', {
      containerDefinitions: [
        { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', memory: 256, environment: new CfnParameter(stack, 'Env', { type: 'CommaDelimitedList' }).valueAsList as never },
        { name: 'job', image: new CfnParameter(stack, 'Image').valueAsString, memory: 128, environment: [{ name: 'MODE', value: 'batch' }] },
      ],
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN
    Annotations.fromStack(stack).hasWarning(`/${raw.node.path}`, Match.stringLikeRegexp('cloudformation-include, so its tasks are not monitored by Mackerel\\.'));
  });

  test('a raw CfnResource of type AWS::ECS::TaskDefinition is read as a CfnTaskDefinition is, in CloudFormation\'s spelling', () => {
    // GIVEN task definitions written as plain CfnResources: one without the agent, one running it by hand (a private
    // mirror known at deploy time, with the variable), one with a container behind Fn::If, one with properties from a token
    const { app, stack, apiKey } = setup();
    const raw = (id: string, properties: unknown) => new CfnResource(stack, id, { type: 'AWS::ECS::TaskDefinition', properties: properties as never });
    const plain = raw('Plain', { ContainerDefinitions: [{ Name: 'app', Image: 'public.ecr.aws/nginx/nginx:1.27', Essential: true, Memory: 256 }] });
    const byHand = raw('ByHand', {
      ContainerDefinitions: [
        { Name: 'app', Image: 'public.ecr.aws/nginx/nginx:1.27', Essential: true, Memory: 256 },
        { Name: 'agent', Image: new CfnParameter(stack, 'AgentImage').valueAsString, Environment: [{ Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' }] },
      ],
    });
    const conditional = raw('Conditional', {
      ContainerDefinitions: [{ 'Fn::If': ['WithAgent', { Name: 'agent', Image: 'mackerel/mackerel-container-agent:v0.13.2' }, { Ref: 'AWS::NoValue' }] }],
    });
    const lazy = raw('Lazy', Lazy.any({ produce: () => ({ ContainerDefinitions: [] }) }));
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN each gets the warning a CfnTaskDefinition of the same containers gets, and is left as it is
    const annotations = Annotations.fromStack(stack);
    const warnings = (resource: CfnResource) => annotations.findWarning(`/${resource.node.path}`, Match.anyValue()).map((w) => w.entry.data);
    const skipped = (outcome: string) => 'MackerelInstrumentation skipped this CfnResource of type AWS::ECS::TaskDefinition: the agent is added only to an '
      + 'ecs.TaskDefinition (Fargate, EC2, External), not to the CloudFormation resource written directly or read by cloudformation-include, '
      + `${outcome}. Define it as an ecs.TaskDefinition, or leave it out of the Aspect's scope [ack: cdk-mackerel:instrumentationSkipped]`;
    const undetermined = (unread: string) => skipped(`and whether it already runs the Mackerel container agent cannot be told at synth (${unread}), `
      + 'so its tasks are monitored by Mackerel only if such a container runs the agent as deployed');
    expect(warnings(plain)).toEqual([skipped('so its tasks are not monitored by Mackerel')]);
    expect(warnings(byHand)).toEqual([
      'The CfnResource of type AWS::ECS::TaskDefinition already runs the Mackerel container agent in its container "agent" (MACKEREL_CONTAINER_PLATFORM '
      + 'in its environment), added by hand, so MackerelInstrumentation adds none (it adds the agent only to an ecs.TaskDefinition) '
      + '[ack: cdk-mackerel:agentAlreadyPresent]',
    ]);
    expect(warnings(conditional)).toEqual([undetermined('ContainerDefinitions[0] is a token or an intrinsic function (such as Fn::If)')]);
    expect(warnings(lazy)).toEqual([undetermined('Properties is a token')]);
    expect(Template.fromStack(stack).toJSON().Resources.ByHand.Properties.ContainerDefinitions.map((c: { Name: string }) => c.Name)).toEqual(['app', 'agent']);
  });

  test('an L1 or raw task definition given the agent by an escape hatch (addPropertyOverride) is said to run it, not to be unmonitored', () => {
    // GIVEN task definitions whose agent container is added, or whose container is made the agent, by a property override
    const { app, stack, apiKey } = setup();
    const app1 = { name: 'app', image: 'public.ecr.aws/nginx/nginx:1.27', memory: 256 };
    const l1 = new ecs.CfnTaskDefinition(stack, 'L1', { containerDefinitions: [app1] });
    l1.addPropertyOverride('ContainerDefinitions.1', { Name: 'agent', Image: 'public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2' });
    const raw = new CfnResource(stack, 'Raw', { type: 'AWS::ECS::TaskDefinition', properties: { ContainerDefinitions: [{ Name: 'app', Image: 'nginx' }] } });
    raw.addPropertyOverride('ContainerDefinitions.0.Environment', [{ Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' }]);
    const sized = new ecs.CfnTaskDefinition(stack, 'Sized', { containerDefinitions: [app1] });
    sized.addPropertyOverride('ContainerDefinitions.0.Memory', 512);
    const computed = new ecs.CfnTaskDefinition(stack, 'Computed', { containerDefinitions: [app1] });
    computed.addPropertyOverride('ContainerDefinitions', Fn.split(',', new CfnParameter(stack, 'Containers').valueAsString));
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN the overrides are read as the template holds them
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(`/${l1.node.path}`, Match.stringLikeRegexp(
      '^The CfnTaskDefinition already runs the Mackerel container agent in its container "agent" \\(image public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2\\)'));
    annotations.hasWarning(`/${raw.node.path}`, Match.stringLikeRegexp(
      '^The CfnResource of type AWS::ECS::TaskDefinition already runs the Mackerel container agent in a container \\(MACKEREL_CONTAINER_PLATFORM in its environment\\)'));
    annotations.hasWarning(`/${sized.node.path}`, Match.stringLikeRegexp('cloudformation-include, so its tasks are not monitored by Mackerel\\.'));
    annotations.hasWarning(`/${computed.node.path}`, Match.stringLikeRegexp('cannot be told at synth \\(an override of ContainerDefinitions is a token\\)'));
  });

  test('a container whose Dockerfile runs the agent but whose command an escape hatch replaces is no agent: the agent is added', () => {
    // GIVEN a task whose second container, built on alpine with the agent's binary copied in, runs it, and an override of
    // that container's command in the task's resource, and the same task without the override
    const { app, stack, apiKey } = setup();
    const copying = dockerfile('FROM alpine:3.20\nCOPY --from=mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/\n'
      + 'CMD ["mackerel-container-agent"]\n');
    const [overridden, kept] = ['Overridden', 'Kept'].map((id) => {
      const taskDefinition = fargate(stack, id);
      taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(copying), memoryLimitMiB: 128 });
      return taskDefinition;
    });
    (overridden.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride('ContainerDefinitions.1.Command', ['/app/server']);
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN the agent is added to the task whose container runs /app/server as deployed, and not to the other, said to run it
    expect([agentCount(overridden), agentCount(kept)]).toEqual([1, 0]);
    expect(containerNamed(overridden, 'built').Command).toEqual(['/app/server']);
    const present = (path: string) => Annotations.fromStack(stack).findWarning(path, Match.stringLikeRegexp('agentAlreadyPresent')).length;
    expect([present('/Stack/Overridden'), present('/Stack/Kept')]).toEqual([0, 1]);
  });

  test('a container of the agent\'s image or variable whose image or variables an escape hatch replaces is read as deployed', () => {
    // GIVEN tasks whose second container is of the agent's image, or sets the agent's variable (in its environment or as a
    // secret), each with an override of that container's image or variables in the task's resource
    const { app, stack, apiKey, secret } = setup();
    const agentImage = ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:v0.13.2');
    const platform = { MACKEREL_CONTAINER_PLATFORM: 'ecs' };
    const task = (id: string, options: Partial<ecs.ContainerDefinitionOptions>, path: string, value: unknown) => {
      const taskDefinition = fargate(stack, id);
      taskDefinition.addContainer('byHand', { image: APP_IMAGE, memoryLimitMiB: 128, ...options });
      (taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride(path, value);
      return taskDefinition;
    };
    const changed = [
      task('ImageReplaced', { image: agentImage }, 'ContainerDefinitions.1.Image', 'public.ecr.aws/nginx/nginx:1.27'),
      task('VariablesReplaced', { environment: platform }, 'ContainerDefinitions.1.Environment', [{ Name: 'TZ', Value: 'UTC' }]),
      task('VariableRenamed', { environment: platform }, 'ContainerDefinitions.1.Environment.0.Name', 'TZ'),
      task('SecretsReplaced', { secrets: { MACKEREL_CONTAINER_PLATFORM: ecs.Secret.fromSecretsManager(secret) } }, 'ContainerDefinitions.1.Secrets', []),
    ];
    // ... and overrides leaving it the agent: another tag of its image, a variable added beside the agent's, another container
    const kept = [
      task('ImageRetagged', { image: APP_IMAGE }, 'ContainerDefinitions.1.Image', 'mackerel/mackerel-container-agent:v0.13.3'),
      task('VariableAdded', { environment: platform }, 'ContainerDefinitions.1.Environment.1', { Name: 'TZ', Value: 'UTC' }),
      task('OtherContainer', { image: agentImage }, 'ContainerDefinitions.0.Image', 'public.ecr.aws/nginx/nginx:1.26'),
    ];
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN the agent is added to each task whose container no longer runs it as deployed, and to none of the others
    expect(changed.map(agentCount)).toEqual([1, 1, 1, 1]);
    expect(kept.map(agentCount)).toEqual([0, 0, 0]);
    expect(containerNamed(changed[0], 'byHand').Image).toBe('public.ecr.aws/nginx/nginx:1.27');
    expect(containerNamed(changed[2], 'byHand').Environment).toEqual([{ Name: 'TZ', Value: 'ecs' }]);
    expect(containerNamed(kept[0], 'byHand').Image).toBe('mackerel/mackerel-container-agent:v0.13.3');
  });

  test('a task definition resource whose lists hold null (computed lists) is read past it, not a TypeError', () => {
    // GIVEN a raw resource with a null container beside an agent found by its variable, and an L1 with a null variable
    const { app, stack, apiKey } = setup();
    const raw = new CfnResource(stack, 'Raw', {
      type: 'AWS::ECS::TaskDefinition',
      properties: {
        ContainerDefinitions: [null, { Name: 'agent', Image: new CfnParameter(stack, 'Mirror').valueAsString, Environment: [null, { Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' }] }],
      },
    });
    const l1 = new ecs.CfnTaskDefinition(stack, 'L1', {
      containerDefinitions: [{ name: 'job', image: new CfnParameter(stack, 'Job').valueAsString, memory: 128, environment: [null as never, { name: 'MODE', value: 'batch' }] }],
    });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN the agent added by hand is found, and a null sets no variable
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(`/${raw.node.path}`, Match.stringLikeRegexp('already runs the Mackerel container agent in its container "agent" \\(MACKEREL_CONTAINER_PLATFORM in its environment\\)'));
    annotations.hasWarning(`/${l1.node.path}`, Match.stringLikeRegexp('cloudformation-include, so its tasks are not monitored by Mackerel\\.'));
  });

  test('a none-network task definition is skipped with a warning', () => {
    const { app, stack, apiKey } = setup();
    const isolated = new ecs.Ec2TaskDefinition(stack, 'Isolated', { networkMode: ecs.NetworkMode.NONE });
    isolated.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(isolated)).toBe(0);
    Annotations.fromStack(stack).hasWarning(`/${isolated.node.path}`, Match.stringLikeRegexp('network mode is none'));
  });

  test('a nat-network task definition (Windows containers on EC2, without a runtimePlatform) is skipped with a warning', () => {
    const { app, stack, apiKey } = setup();
    const windows = new ecs.Ec2TaskDefinition(stack, 'Windows', { networkMode: ecs.NetworkMode.NAT });
    windows.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(windows)).toBe(0);
    expect(Annotations.fromStack(stack).findWarning(`/${windows.node.path}`, Match.anyValue()).map((w) => w.entry.data)).toEqual([
      'MackerelInstrumentation skipped this task definition: its network mode nat is that of Windows containers, which the Mackerel container agent '
      + 'does not support; its tasks are not monitored by Mackerel [ack: cdk-mackerel:instrumentationSkipped]',
    ]);
  });
});

describe('MackerelInstrumentation: with an agent config', () => {
  for (const stabilization of [true, false]) {
    test(`with ${STABILIZATION}=${stabilization}, each task gets the config asset, its variable and the grant`, () => {
      const { app, stack, apiKey } = setup({ [STABILIZATION]: stabilization });
      const first = fargate(stack, 'First');
      const second = fargate(stack, 'Second');
      instrument(app, new MackerelInstrumentation({
        apiKey,
        roles: ['shop:batch'],
        config: { checkPlugins: { up: { command: MackerelPluginCommand.shell('true') } } },
      }));
      for (const taskDefinition of [first, second]) {
        const agent = containerNamed(taskDefinition, AGENT);
        expect(environmentOf(agent).MACKEREL_AGENT_CONFIG).toMatch(/^s3:\/\//);
        expect(agent.Image).toBe(MackerelAgentImage.DEFAULT_PLUGINS.imageName);
      }
      const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
        Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject' })]) } },
      });
      expect(Object.keys(policies)).toHaveLength(2);
    });
  }
});

describe('MackerelInstrumentation: a readiness probe of an app container', () => {
  test('goes only to the task definition holding the container; the others get no probe and a warning', () => {
    // GIVEN an Aspect-wide probe of the api container
    const { app, stack, apiKey } = setup();
    const api = new ecs.FargateTaskDefinition(stack, 'Api', { cpu: 256, memoryLimitMiB: 512 });
    const apiContainer = api.addContainer('api', { image: APP_IMAGE, portMappings: [{ containerPort: 8080 }] });
    const batch = fargate(stack, 'Batch');
    fargate(stack, 'Worker');
    // WHEN
    instrument(app, new MackerelInstrumentation({
      apiKey,
      roles: ['shop:web'],
      config: {
        readinessProbe: MackerelReadinessProbe.httpToContainer(apiContainer, '/healthz'),
        metricPlugins: { load: { command: MackerelPluginCommand.exec('mackerel-plugin-loadavg') } },
      },
    }));
    app.synth();
    // THEN each task keeps the rest of the config; only the api agent's config has the probe
    const configFile = (taskDefinition: ecs.TaskDefinition) => {
      const agent = taskDefinition.node.findChild(MackerelInstrumentation.AGENT_ID).node.findChild('Config') as s3assets.Asset;
      return readFileSync(join(app.outdir, agent.assetPath), 'utf8');
    };
    expect(configFile(api)).toContain('readinessProbe:');
    expect(configFile(batch)).not.toContain('readinessProbe');
    expect(configFile(batch)).toContain('mackerel-plugin-loadavg');
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('readinessProbeNotApplied'));
    expect(warnings.map((w) => w.id)).toEqual(['/Stack/Batch', '/Stack/Worker']);
    expect(warnings[0].entry.data).toBe('MackerelInstrumentation left out its config.readinessProbe here: it targets container Stack/Api/api of task definition '
      + 'Stack/Api, which these tasks do not run, so they would wait on it forever and never register. The hosts register at once instead. '
      + 'Give this task definition its own probe with MackerelInstrumentation.configure [ack: cdk-mackerel:readinessProbeNotApplied]');
  });

  test('reads the container\'s port when the Aspect visits, after the app\'s code: a port mapping added after configure is seen', () => {
    // GIVEN a workload tuned before its container has a port
    const { app, stack, apiKey } = setup();
    const api = new ecs.FargateTaskDefinition(stack, 'Api', { cpu: 256, memoryLimitMiB: 512 });
    const apiContainer = api.addContainer('api', { image: APP_IMAGE });
    MackerelInstrumentation.configure(api, { config: { readinessProbe: MackerelReadinessProbe.httpToContainer(apiContainer, '/healthz') } });
    apiContainer.addPortMappings({ containerPort: 8080 });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    // THEN
    const asset = api.node.findChild(MackerelInstrumentation.AGENT_ID).node.findChild('Config') as s3assets.Asset;
    expect(readFileSync(join(app.outdir, asset.assetPath), 'utf8')).toContain('port: 8080');
  });

  test('a probe-only config is left out entirely elsewhere: no config variable, and the post-condition does not ask for one', () => {
    const { app, stack, apiKey } = setup();
    const api = new ecs.FargateTaskDefinition(stack, 'Api', { cpu: 256, memoryLimitMiB: 512 });
    const apiContainer = api.addContainer('api', { image: APP_IMAGE, portMappings: [{ containerPort: 8080 }] });
    const batch = fargate(stack, 'Batch');
    instrument(app, new MackerelInstrumentation({
      apiKey, roles: ['shop:web'], config: { readinessProbe: MackerelReadinessProbe.httpToContainer(apiContainer, '/healthz') },
    }));
    expect(() => app.synth()).not.toThrow();
    expect(environmentOf(containerNamed(batch, AGENT))).not.toHaveProperty('MACKEREL_AGENT_CONFIG');
    expect(environmentOf(containerNamed(api, AGENT))).toHaveProperty('MACKEREL_AGENT_CONFIG');
  });
});

describe('MackerelInstrumentation.configure: one workload tuned, the rest as the Aspect says', () => {
  const probeConfig = {
    metricPlugins: { nginx: { command: MackerelPluginCommand.shell('mackerel-plugin-nginx') } },
    readinessProbe: MackerelReadinessProbe.http({ path: '/healthz', port: 8080 }),
  };

  test('the configured task definition gets its roles, config, display name and memo; others the Aspect\'s', () => {
    const { app, stack, apiKey } = setup();
    const api = fargate(stack, 'Api');
    const batch = fargate(stack, 'Batch');
    MackerelInstrumentation.configure(api, { roles: ['shop:api'], config: probeConfig, displayName: 'api', memo: 'tuned' });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'], memo: 'batch' }));
    const apiEnv = environmentOf(containerNamed(api, AGENT));
    expect(apiEnv).toMatchObject({ MACKEREL_ROLES: 'shop:api', MACKEREL_DISPLAY_NAME: 'api', MACKEREL_MEMO: 'tuned' });
    expect(apiEnv.MACKEREL_AGENT_CONFIG).toMatch(/^s3:\/\//);
    expect(containerNamed(api, AGENT).Image).toBe(MackerelAgentImage.DEFAULT_PLUGINS.imageName);
    const batchEnv = environmentOf(containerNamed(batch, AGENT));
    expect(batchEnv).toMatchObject({ MACKEREL_ROLES: 'shop:batch', MACKEREL_MEMO: 'batch' });
    expect(batchEnv.MACKEREL_AGENT_CONFIG).toBeUndefined();
    expect(batchEnv.MACKEREL_DISPLAY_NAME).toBeUndefined();
    expect(containerNamed(batch, AGENT).Image).toBe(MackerelAgentImage.DEFAULT.imageName);
  });

  test('overrides roles from a resolver too', () => {
    const { app, stack, apiKey } = setup();
    const web = fargate(stack, 'Web');
    const batch = fargate(stack, 'Batch');
    MackerelInstrumentation.configure(batch, { roles: ['shop:nightly'] });
    instrument(app, new MackerelInstrumentation({ apiKey, roleResolver: new ByFamily() }));
    expect(environmentOf(containerNamed(web, AGENT)).MACKEREL_ROLES).toBe('shop:web');
    expect(environmentOf(containerNamed(batch, AGENT)).MACKEREL_ROLES).toBe('shop:nightly');
  });

  test('a config given by configure that lacks plugins or the probe of the Aspect\'s config warns, naming what is left out', () => {
    // GIVEN an Aspect with plugins and a probe, and two workloads given a config of their own
    const { app, stack, apiKey } = setup();
    const polled = fargate(stack, 'Polled');
    const nginx = fargate(stack, 'Nginx');
    MackerelInstrumentation.configure(polled, { config: { pollingInterval: Duration.minutes(5) } });
    const jvm = { command: MackerelPluginCommand.shell('mackerel-plugin-jvm') };
    MackerelInstrumentation.configure(nginx, { config: { metricPlugins: { jvm, nginx: { command: MackerelPluginCommand.shell('mackerel-plugin-nginx') } } } });
    // WHEN
    instrument(app, new MackerelInstrumentation({
      apiKey,
      roles: ['shop:web'],
      config: {
        metricPlugins: { jvm, redis: { command: MackerelPluginCommand.shell('mackerel-plugin-redis') } },
        checkPlugins: { log: { command: MackerelPluginCommand.shell('check-log --file /var/log/app.log') } },
        readinessProbe: MackerelReadinessProbe.http({ path: '/healthz', port: 8080 }),
      },
    }));
    app.synth();
    // THEN
    const replaced = (path: string) => Annotations.fromStack(stack).findWarning(path, Match.stringLikeRegexp('agentConfigReplaced')).map((w) => w.entry.data);
    expect(replaced('/Stack/Polled')).toEqual([
      'MackerelInstrumentation.configure gives this task definition a config of its own, which is used instead of the Aspect\'s config, not merged '
      + 'with it, so the Aspect\'s metric plugins "jvm", "redis", check plugin "log" and readiness probe do not run here. Repeat them in the config '
      + 'given to configure to keep them, or acknowledge this warning if the task definition is meant to go without them '
      + '[ack: cdk-mackerel:agentConfigReplaced]',
    ]);
    expect(replaced('/Stack/Nginx')).toEqual([expect.stringContaining('so the Aspect\'s metric plugin "redis", check plugin "log" and readiness probe do not run here.')]);
  });

  test('a config given by configure instead of the Aspect\'s config file (location) warns that the file is not read there', () => {
    // GIVEN an Aspect reading one config file for every workload, and a workload given plugins of its own
    const { app, stack, apiKey } = setup();
    const nginx = fargate(stack, 'Nginx');
    MackerelInstrumentation.configure(nginx, { config: { metricPlugins: { nginx: { command: MackerelPluginCommand.shell('mackerel-plugin-nginx') } } } });
    // WHEN
    instrument(app, new MackerelInstrumentation({
      apiKey, roles: ['shop:web'], config: { location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml') },
    }));
    app.synth();
    // THEN
    const replaced = Annotations.fromStack(stack).findWarning('/Stack/Nginx', Match.stringLikeRegexp('agentConfigReplaced')).map((w) => w.entry.data);
    expect(replaced).toEqual([expect.stringContaining('not merged with it, so the Aspect\'s config file (config.location) is not read here.')]);
  });

  test('a config given by configure that leaves out the Aspect\'s polling interval warns, naming it; one giving its own interval does not', () => {
    // GIVEN Aspects setting a polling interval, and workloads given a config of their own with and without one
    const { app, stack, apiKey } = setup();
    const jvm = { command: MackerelPluginCommand.shell('mackerel-plugin-jvm') };
    const plugins = fargate(stack, 'Plugins');
    MackerelInstrumentation.configure(plugins, { config: { metricPlugins: { jvm } } });
    const ownFile = fargate(stack, 'OwnFile');
    MackerelInstrumentation.configure(ownFile, { config: { location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml') } });
    const ownInterval = fargate(stack, 'OwnInterval');
    MackerelInstrumentation.configure(ownInterval, { config: { metricPlugins: { jvm }, pollingInterval: Duration.minutes(30) } });
    const intervalOnly = fargate(stack, 'IntervalOnly');
    MackerelInstrumentation.configure(intervalOnly, { config: { pollingInterval: Duration.minutes(30) } });
    // WHEN
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:web'], config: { metricPlugins: { jvm }, pollingInterval: Duration.minutes(5) } }));
    app.synth();
    // THEN
    const replaced = (path: string) => Annotations.fromStack(stack).findWarning(path, Match.stringLikeRegexp('agentConfigReplaced')).map((w) => w.entry.data);
    expect(replaced('/Stack/Plugins')).toEqual([
      'MackerelInstrumentation.configure gives this task definition a config of its own, which is used instead of the Aspect\'s config, not merged '
      + 'with it, so the Aspect\'s polling interval (config.pollingInterval) is not used here, so the config is read once, at start. Repeat it in the '
      + 'config given to configure to keep it, or acknowledge this warning if the task definition is meant to go without it '
      + '[ack: cdk-mackerel:agentConfigReplaced]',
    ]);
    // A file of the user's stands for the plugins, but not for the interval, an environment variable beside it.
    expect(replaced('/Stack/OwnFile')).toEqual([expect.stringContaining('so the Aspect\'s polling interval (config.pollingInterval) is not used here')]);
    // Another interval is no setting left out; the plugins left out by IntervalOnly are named, its interval is not.
    expect(replaced('/Stack/OwnInterval')).toEqual([]);
    expect(replaced('/Stack/IntervalOnly')).toEqual([expect.stringContaining('so the Aspect\'s metric plugin "jvm" do not run here. Repeat them')]);
  });

  test('a config given by configure is not told it loses a polling interval the Aspect would not have given it: one beside a probe of another task definition\'s container', () => {
    // GIVEN Aspects whose probe targets the api's container, with an interval and with plugins beside it, and a workload given plugins of its own
    const jvm = { command: MackerelPluginCommand.shell('mackerel-plugin-jvm') };
    const replaced = (aspectPlugins: boolean) => {
      const { app, stack, apiKey } = setup();
      const api = new ecs.FargateTaskDefinition(stack, 'Api', { memoryLimitMiB: 512, cpu: 256 });
      const apiContainer = api.addContainer('api', { image: APP_IMAGE, portMappings: [{ containerPort: 8080 }] });
      MackerelInstrumentation.configure(fargate(stack, 'Batch'), { config: { metricPlugins: { nginx: jvm } } });
      instrument(app, new MackerelInstrumentation({
        apiKey,
        roles: ['shop:web'],
        config: {
          ...(aspectPlugins ? { metricPlugins: { jvm } } : {}),
          readinessProbe: MackerelReadinessProbe.httpToContainer(apiContainer, '/healthz'),
          pollingInterval: Duration.minutes(5),
        },
      }));
      app.synth();
      return Annotations.fromStack(stack).findWarning('/Stack/Batch', Match.stringLikeRegexp('agentConfigReplaced')).map((w) => w.entry.data);
    };
    // THEN without plugins the Aspect would give the batch no config at all (an interval alone is not written); with them, it would give both
    expect(replaced(false)).toEqual([]);
    expect(replaced(true)).toEqual([expect.stringContaining('so the Aspect\'s metric plugin "jvm" do not run here, and its polling interval (config.pollingInterval) is not used here')]);
  });

  test('a config given by configure that leaves out both the Aspect\'s config file and its polling interval names both', () => {
    const { app, stack, apiKey } = setup();
    const nginx = fargate(stack, 'Nginx');
    MackerelInstrumentation.configure(nginx, { config: { metricPlugins: { nginx: { command: MackerelPluginCommand.shell('mackerel-plugin-nginx') } } } });
    instrument(app, new MackerelInstrumentation({
      apiKey,
      roles: ['shop:web'],
      config: { location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml'), pollingInterval: Duration.minutes(5) },
    }));
    app.synth();
    const replaced = Annotations.fromStack(stack).findWarning('/Stack/Nginx', Match.stringLikeRegexp('agentConfigReplaced')).map((w) => w.entry.data);
    expect(replaced).toEqual([expect.stringContaining('so the Aspect\'s config file (config.location) is not read here, and its polling interval '
      + '(config.pollingInterval) is not used here, so the config is read once, at start. Repeat them in the config given to configure to keep them,')]);
  });

  test('a config given by configure that keeps what the Aspect\'s has, is empty ({}), or is a file of the user\'s, does not warn that it replaces it', () => {
    // GIVEN an Aspect whose probe targets the api's container, which no other task definition would get anyway
    const { app, stack, apiKey } = setup();
    const api = new ecs.FargateTaskDefinition(stack, 'Api', { memoryLimitMiB: 512, cpu: 256 });
    const apiContainer = api.addContainer('api', { image: APP_IMAGE, portMappings: [{ containerPort: 8080 }] });
    const jvm = { command: MackerelPluginCommand.shell('mackerel-plugin-jvm') };
    const tcp = MackerelReadinessProbe.tcp({ port: 8080 });
    MackerelInstrumentation.configure(api, { config: { metricPlugins: { jvm, nginx: jvm }, readinessProbe: tcp } });
    MackerelInstrumentation.configure(fargate(stack, 'Without'), { config: {} });
    MackerelInstrumentation.configure(fargate(stack, 'Own'), { config: { location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml') } });
    MackerelInstrumentation.configure(fargate(stack, 'Batch'), { config: { metricPlugins: { jvm } } });
    // WHEN
    instrument(app, new MackerelInstrumentation({
      apiKey, roles: ['shop:web'], config: { metricPlugins: { jvm }, readinessProbe: MackerelReadinessProbe.httpToContainer(apiContainer, '/healthz') },
    }));
    app.synth();
    // THEN
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('agentConfigReplaced'))).toEqual([]);
  });

  test('the config given by configure is covered by the post-conditions', () => {
    const { app, stack, apiKey } = setup();
    const api = fargate(stack, 'Api');
    MackerelInstrumentation.configure(api, { config: probeConfig });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:api'] }));
    const cfn = api.node.defaultChild as ecs.CfnTaskDefinition;
    cfn.addPropertyDeletionOverride('ContainerDefinitions.1.Environment');
    expect(() => app.synth()).toThrow(/lost its MACKEREL_AGENT_CONFIG setting/);
  });

  test('a bad role given by configure is a synth error naming it', () => {
    const { app, stack, apiKey } = setup();
    const api = fargate(stack, 'Api');
    MackerelInstrumentation.configure(api, { roles: ['shop'] });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:api'] }));
    expect(() => app.synth()).toThrow(/roles\[0\] "shop"/);
  });

  test('configure and exclude on the same task definition are rejected, whichever comes first', () => {
    const { stack } = setup();
    const first = fargate(stack, 'First');
    MackerelInstrumentation.exclude(first);
    expect(() => MackerelInstrumentation.configure(first, { roles: ['shop:api'] }))
      .toThrow(/Stack\/First: MackerelInstrumentation.configure is called for a task definition excluded/);
    const second = fargate(stack, 'Second');
    MackerelInstrumentation.configure(second, { roles: ['shop:api'] });
    expect(() => MackerelInstrumentation.exclude(second))
      .toThrow(/Stack\/Second: MackerelInstrumentation.exclude is called for a task definition tuned/);
  });

  test('changes nothing on a task definition whose agent came from the extension', () => {
    const { app, stack, apiKey } = setup();
    const web = fargate(stack, 'Web');
    web.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    MackerelInstrumentation.configure(web, { roles: ['shop:other'] });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    expect(agentCount(web)).toBe(1);
    expect(environmentOf(containerNamed(web, AGENT)).MACKEREL_ROLES).toBe('shop:web');
  });

  test('where its overrides are not applied, shows the agent\'s roles given as a Lazy value without resolving it', () => {
    const { app, stack, apiKey } = setup();
    const web = fargate(stack, 'Web');
    new MackerelContainerAgent(stack, 'WebAgent', { taskDefinition: web, apiKey, roles: [Lazy.string({ produce: () => 'shop:web' })] });
    MackerelInstrumentation.configure(web, { roles: ['shop:other'] });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:all'] }));
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('/Stack/Web', Match.stringLikeRegexp('configure is not applied')).map((w) => w.entry.data)).toEqual([
      expect.stringContaining('which keep their own options (roles [(a value resolved later, such as a Lazy)]). Give the roles'),
    ]);
    expect(environmentOf(containerNamed(web, AGENT)).MACKEREL_ROLES).toBe('shop:web');
  });

  test('says so, once, where its overrides are not applied because the agent came from the construct or the extension', () => {
    // GIVEN a platform team tuning a workload whose own team added the agent
    const { app, stack, apiKey } = setup();
    const web = fargate(stack, 'Web');
    web.addExtension(new MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
    MackerelInstrumentation.configure(web, { roles: ['shop:other'] });
    const batch = fargate(stack, 'Batch');
    new MackerelContainerAgent(stack, 'BatchAgent', { taskDefinition: batch, apiKey, roles: ['shop:batch'] });
    MackerelInstrumentation.configure(batch, { memo: 'nightly' });
    // WHEN two Aspects reach them
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    instrument(stack, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findWarning('/Stack/Web', Match.anyValue()).map((w) => w.entry.data)).toEqual([
      'MackerelInstrumentation.configure is not applied to this task definition: its agent Stack/Web/MackerelContainerAgent/Container comes from '
      + 'MackerelContainerAgent or MackerelAgentExtension, which keep their own options (roles ["shop:web"]). Give the roles, config, display name '
      + 'or memo to that agent instead [ack: cdk-mackerel:agentAlreadyPresent]',
    ]);
    expect(annotations.findWarning('/Stack/Batch', Match.anyValue()).map((w) => w.entry.data)).toEqual([
      expect.stringContaining('its agent Stack/BatchAgent/Container comes from MackerelContainerAgent or MackerelAgentExtension'),
    ]);
  });
});

describe('MackerelInstrumentation: post-conditions', () => {
  /** An instrumented task whose agent is the second container (index 1). */
  function instrumented() {
    const fixture = setup();
    const taskDefinition = fargate(fixture.stack);
    instrument(fixture.app, new MackerelInstrumentation({ apiKey: fixture.apiKey, roles: ['shop:batch'] }));
    const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
    return { ...fixture, taskDefinition, cfn };
  }

  test('an untouched instrumented task synthesizes', () => {
    const { app } = instrumented();
    expect(() => app.synth()).not.toThrow();
  });

  test('removing the key secret fails synth, saying so', () => {
    const { app, cfn } = instrumented();
    cfn.addPropertyDeletionOverride('ContainerDefinitions.1.Secrets');
    expect(() => app.synth()).toThrow(/"mackerel-container-agent" lost its MACKEREL_APIKEY secret/);
  });

  test('overriding MACKEREL_CONTAINER_PLATFORM fails synth, saying so', () => {
    const { app, cfn } = instrumented();
    cfn.addPropertyOverride('ContainerDefinitions.1.Environment', [{ Name: 'MACKEREL_ROLES', Value: 'shop:batch' }]);
    expect(() => app.synth()).toThrow(/has MACKEREL_CONTAINER_PLATFORM removed; expected "ecs"/);
  });

  test('removing MACKEREL_ROLES or MACKEREL_IGNORE_CONTAINER fails synth, naming each', () => {
    const { app, cfn } = instrumented();
    cfn.addPropertyOverride('ContainerDefinitions.1.Environment', [{ Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' }]);
    expect(() => app.synth()).toThrow(/lost its MACKEREL_IGNORE_CONTAINER setting, so the agent would report its own container/);
    expect(() => app.synth()).toThrow(/lost its MACKEREL_ROLES setting, so its hosts would register without roles/);
  });

  test('with ignoreContainer "" (no filter), no MACKEREL_IGNORE_CONTAINER is expected', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'], ignoreContainer: '' }));
    expect(() => app.synth()).not.toThrow();
    expect(environmentOf(containerNamed(taskDefinition, AGENT))).not.toHaveProperty('MACKEREL_IGNORE_CONTAINER');
  });

  test('without roles, no MACKEREL_ROLES is expected', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: [] }));
    app.synth();
    expect(environmentOf(containerNamed(taskDefinition, 'mackerel-container-agent'))).not.toHaveProperty('MACKEREL_ROLES');
  });

  test('a wrong MACKEREL_CONTAINER_PLATFORM value fails synth, saying so', () => {
    const { app, cfn } = instrumented();
    cfn.addPropertyOverride('ContainerDefinitions.1.Environment', [{ Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'kubernetes' }]);
    expect(() => app.synth()).toThrow(/has MACKEREL_CONTAINER_PLATFORM "kubernetes"; expected "ecs"/);
  });

  test('with a config, pointing MACKEREL_AGENT_CONFIG elsewhere after the Aspect fails synth, saying so', () => {
    const { app, stack, apiKey } = setup();
    fargate(stack);
    instrument(app, new MackerelInstrumentation({
      apiKey, roles: ['shop:batch'], config: { location: MackerelAgentConfigLocation.fromUrl('https://config.example.com/agent.yml') },
    }));
    // later code, after the Aspect added the agent: a second addEnvironment replaces the value
    Aspects.of(app).add({
      visit: (node) => {
        if (node instanceof ecs.ContainerDefinition && node.containerName === 'mackerel-container-agent') {
          node.addEnvironment('MACKEREL_AGENT_CONFIG', 'https://user:s3cret@elsewhere.example.com/agent.yml');
        }
      },
    }, { priority: MackerelInstrumentation.PRIORITY + 1 });
    expect(() => app.synth()).toThrow('MackerelInstrumentation: the Mackerel agent container "mackerel-container-agent" has MACKEREL_AGENT_CONFIG '
      + '"https://****@elsewhere.example.com/agent.yml", not the "https://config.example.com/agent.yml" it was given, so its plugins and readiness '
      + 'probe would not run, and its task role may not read the file. Give a file of your own as config.location instead');
  });

  test('with a config, an escape hatch giving MACKEREL_AGENT_CONFIG another value fails synth, saying so', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    instrument(app, new MackerelInstrumentation({
      apiKey, roles: ['shop:batch'], config: { readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) },
    }));
    (taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride('ContainerDefinitions.1.Environment', [
      { Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' }, { Name: 'MACKEREL_ROLES', Value: 'shop:batch' },
      { Name: 'MACKEREL_IGNORE_CONTAINER', Value: '\\Amackerel-container-agent\\z' },
      { Name: 'MACKEREL_AGENT_CONFIG', Value: 's3://other-bucket/agent.yml' },
    ]);
    expect(() => app.synth()).toThrow(/has MACKEREL_AGENT_CONFIG "s3:\/\/other-bucket\/agent.yml", not the "s3:\/\/cdk-hnb659fds-assets-\d+-ap-northeast-1\/[0-9a-f]{64}\.yml" it was given/);
  });

  test('with a config URL built around a parameter, another MACKEREL_AGENT_CONFIG fails synth without showing either password', () => {
    const { app, stack, apiKey } = setup();
    fargate(stack);
    const host = new CfnParameter(stack, 'ConfigHost').valueAsString;
    instrument(app, new MackerelInstrumentation({
      apiKey, roles: ['shop:batch'], config: { location: MackerelAgentConfigLocation.fromUrl(`https://user:s3cret@${host}/agent.yml`) },
    }));
    Aspects.of(app).add({
      visit: (node) => {
        if (node instanceof ecs.ContainerDefinition && node.containerName === 'mackerel-container-agent') {
          node.addEnvironment('MACKEREL_AGENT_CONFIG', `https://user:t0psecret@${host}/other.yml`);
        }
      },
    }, { priority: MackerelInstrumentation.PRIORITY + 1 });
    // resolved, each URL is a Fn::Join whose parts hold the password where no part is a whole URL to mask
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('has MACKEREL_AGENT_CONFIG <built by CloudFormation functions, not shown: it may hold a user name and password>, '
      + 'not the <built by CloudFormation functions, not shown: it may hold a user name and password> it was given');
    expect(message).not.toMatch(/s3cret|t0psecret/);
  });

  test('with a config, removing MACKEREL_AGENT_CONFIG fails synth, saying so', () => {
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    instrument(app, new MackerelInstrumentation({
      apiKey, roles: ['shop:batch'], config: { readinessProbe: MackerelReadinessProbe.tcp({ port: 80 }) },
    }));
    (taskDefinition.node.defaultChild as ecs.CfnTaskDefinition)
      .addPropertyOverride('ContainerDefinitions.1.Environment', [{ Name: 'MACKEREL_CONTAINER_PLATFORM', Value: 'ecs' }]);
    expect(() => app.synth()).toThrow(/"mackerel-container-agent" lost its MACKEREL_AGENT_CONFIG setting/);
  });

  test('an agent container name from a deploy-time value (a token) is found, and named as it resolves', () => {
    // GIVEN
    const { app, stack, apiKey } = setup();
    const taskDefinition = fargate(stack);
    const name = new CfnParameter(stack, 'AgentName', { type: 'String', default: 'mackerel' });
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'], containerName: name.valueAsString }));
    // THEN
    expect(() => app.synth()).not.toThrow();
    expect(containerDefinitions(taskDefinition).filter((c) => JSON.stringify(c.Name) === '{"Ref":"AgentName"}')).toHaveLength(1);
    (taskDefinition.node.defaultChild as ecs.CfnTaskDefinition).addPropertyDeletionOverride('ContainerDefinitions.1.Secrets');
    expect(() => app.synth({ force: true })).toThrow('MackerelInstrumentation: the Mackerel agent container {"Ref":"AgentName"} lost its MACKEREL_APIKEY secret');
  });

  test('an app container already named like the agent gets the containerName error alone, not a post-condition', () => {
    // GIVEN an app container (no agent) under the agent's default name
    const { app, stack, apiKey } = setup();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer(AGENT, { image: APP_IMAGE });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'] }));
    // THEN nothing removed or duplicated the agent after it was added: the name was taken before
    const message = 'Validation failed with the following errors:\n'
      + '  [Stack/Task/MackerelContainerAgent] containerName "mackerel-container-agent" is also the name of Stack/Task/mackerel-container-agent; '
      + 'expected a container name unique in the task. Set containerName, or remove the agent container added by hand';
    expect(() => app.synth()).toThrow(expect.objectContaining({ message }));
  });

  test('an app container named by the parameter that names the agent gets the containerName error alone, naming both', () => {
    // GIVEN the Aspect's agent and an app container named by one parameter
    const { app, stack, apiKey } = setup();
    const name = new CfnParameter(stack, 'Name', { type: 'String', default: 'sidecar' });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE, containerName: name.valueAsString });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:batch'], containerName: name.valueAsString }));
    // THEN the clash is named, not its consequence ("appears 2 times")
    const message = 'Validation failed with the following errors:\n'
      + '  [Stack/Task/MackerelContainerAgent] containerName {"Ref":"Name"} is also the name of Stack/Task/app; '
      + 'expected a container name unique in the task. Set containerName, or remove the agent container added by hand';
    expect(() => app.synth()).toThrow(expect.objectContaining({ message }));
  });

  test('removing the agent container fails synth, saying so', () => {
    const { app, cfn } = instrumented();
    cfn.addPropertyOverride('ContainerDefinitions', [{ Name: 'app', Image: 'public.ecr.aws/nginx/nginx:1.27', Essential: true }]);
    expect(() => app.synth()).toThrow(/"mackerel-container-agent" must appear exactly once in the task definition, but appears 0 times/);
  });
});

/**
 * Expects a task definition to keep its app and its agent added by hand (container `mackerel`, found by `sign`),
 * with no second agent, and the Aspect to say so (agentAlreadyPresent).
 */
function handAgentFound(annotations: Annotations) {
  return (taskDefinition: ecs.TaskDefinition, sign: string) => {
    expect(containerDefinitions(taskDefinition).map((c) => c.Name)).toEqual(['app', 'mackerel']);
    expect(annotations.findWarning(`/${taskDefinition.node.path}`, Match.stringLikeRegexp('agentAlreadyPresent')).map((w) => w.entry.data)).toEqual([
      expect.stringContaining(`The task definition already runs the Mackerel container agent in ${taskDefinition.node.path}/mackerel (${sign}), added by hand`),
    ]);
  };
}

describe('MackerelInstrumentation: Stages it does not reach', () => {
  /** An app laid out as CDK Pipelines apps are: a pipeline stack, and a Stage of the workload's stacks. */
  function pipelineApp(stageUnderPipeline = false) {
    const { app, stack: pipeline, apiKey } = setup();
    const stage = new Stage(stageUnderPipeline ? pipeline : app, 'Prod');
    const web = new Stack(stage, 'Web', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    const batch = new Stack(stage, 'Batch', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    // The Stage's stacks cannot refer to a secret of the pipeline's stack.
    const stageApiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(web, 'ApiKey'));
    return { app, pipeline, stage, web, batch, apiKey, stageApiKey, webTask: fargate(web), batchTask: fargate(batch) };
  }

  const NOT_REACHED = Match.stringLikeRegexp('instrumentationStageNotReached');
  const warningsOf = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', NOT_REACHED);

  test('an Aspect of the app warns, on the pipeline stack, that it does not reach a Stage whose task definitions get no agent', () => {
    // GIVEN
    const { app, pipeline, apiKey, webTask, batchTask } = pipelineApp();
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    // THEN the tasks of the Stage run without the agent, and the one stack of the app's own assembly says so
    expect(agentCount(webTask)).toBe(0);
    expect(agentCount(batchTask)).toBe(0);
    expect(warningsOf(pipeline).map((w) => [w.id, w.entry.data])).toEqual([['/Stack',
      'The MackerelInstrumentation applied to the app (roles ["shop:web"]) does not reach Stage Prod, whose task definitions Prod/Web/Task, '
      + 'Prod/Batch/Task get no Mackerel container agent, so their tasks are not monitored: Aspects do not cross Stage boundaries (a Stage is '
      + 'synthesized on its own, as CDK Pipelines do). Add the Aspect to that Stage as well (Aspects.of(stage).add(..., { priority: '
      + 'MackerelInstrumentation.PRIORITY })) [ack: cdk-mackerel:instrumentationStageNotReached]']]);
  });

  test('a Stage added to a CDK Pipelines pipeline, synthesized before the Aspect is even added, is warned about', () => {
    // GIVEN the layout of the CDK Pipelines guide: the Stage is made in the pipeline's stack, and addStage synthesizes it at once
    const { app, stack: pipelineStack, apiKey } = setup();
    const pipeline = new pipelines.CodePipeline(pipelineStack, 'Pipeline', {
      synth: new pipelines.ShellStep('Synth', { input: pipelines.CodePipelineSource.gitHub('shop/app', 'main'), commands: ['npx cdk synth'] }),
    });
    const stage = new Stage(pipelineStack, 'Prod', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    const taskDefinition = fargate(new Stack(stage, 'Web'));
    pipeline.addStage(stage);
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    // THEN
    expect(agentCount(taskDefinition)).toBe(0);
    expect(warningsOf(pipelineStack).map((w) => w.entry.data)).toEqual([expect.stringContaining('does not reach Stage Stack/Prod, whose task definitions Stack/Prod/Web/Task get')]);
  });

  test('a Stage made inside the pipeline stack (as the CDK Pipelines guide does) is warned about on that stack', () => {
    const { app, pipeline, apiKey } = pipelineApp(true);
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    expect(warningsOf(pipeline).map((w) => w.entry.data)).toEqual([expect.stringContaining('does not reach Stage Stack/Prod, whose task definitions Stack/Prod/Web/Task, ')]);
  });

  test('no warning where the Stage has its own Aspect, with one that covers only some stacks naming only the others', () => {
    // GIVEN a Stage instrumented as a whole, and one whose Aspect covers the web stack only
    const whole = pipelineApp();
    instrument(whole.app, new MackerelInstrumentation({ apiKey: whole.apiKey, roles: ['shop:web'] }));
    instrument(whole.stage, new MackerelInstrumentation({ apiKey: whole.stageApiKey, roles: ['shop:web'] }));
    const part = pipelineApp();
    instrument(part.app, new MackerelInstrumentation({ apiKey: part.apiKey, roles: ['shop:web'] }));
    instrument(part.web, new MackerelInstrumentation({ apiKey: part.stageApiKey, roles: ['shop:web'] }));
    // WHEN
    whole.app.synth();
    part.app.synth();
    // THEN
    expect(agentCount(whole.webTask) + agentCount(whole.batchTask)).toBe(2);
    expect(warningsOf(whole.pipeline)).toEqual([]);
    expect(warningsOf(part.pipeline).map((w) => w.entry.data)).toEqual([expect.stringContaining('whose task definitions Prod/Batch/Task get no Mackerel')]);
  });

  test('no warning for task definitions of the Stage given the agent by hand, by MackerelContainerAgent or an extension, excluded, or that the Aspect would skip', () => {
    // GIVEN
    const { app, pipeline, apiKey, stageApiKey, web, webTask, batchTask } = pipelineApp();
    new MackerelContainerAgent(web, 'Agent', { taskDefinition: webTask, apiKey: stageApiKey, roles: ['shop:web'] });
    batchTask.addExtension(new MackerelAgentExtension({ apiKey: stageApiKey, roles: ['shop:batch'] }));
    MackerelInstrumentation.exclude(fargate(web, 'Excluded'));
    fargate(web, 'ByHand').addContainer('mackerel', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/mackerel/mackerel-container-agent:v0.11.0') });
    new ecs.Ec2TaskDefinition(web, 'None', { networkMode: ecs.NetworkMode.NONE }).addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    // THEN
    expect(warningsOf(pipeline)).toEqual([]);
  });

  test('a Stage without task definitions is not warned about', () => {
    const { app, stack: pipeline, apiKey } = setup();
    new Stack(new Stage(app, 'Prod'), 'Queues').node.addMetadata('no', 'task definitions');
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    app.synth();
    expect(warningsOf(pipeline)).toEqual([]);
  });

  /** The warnings the synthesized assembly holds for a stack (its metadata file in cdk.out), not the construct tree. */
  const writtenWarnings = (app: App, stack: Stack) => {
    let assembly = app.synth();
    const stage = Stage.of(stack);
    if (stage && stage !== app) assembly = assembly.getNestedAssembly(stage.artifactId);
    return assembly.getStackArtifact(stack.artifactId).messages
      .filter((m) => String(m.entry.data).includes('instrumentationStageNotReached')).map((m) => String(m.entry.data));
  };

  test('a Stage whose own Aspect is added after CDK Pipelines\' addStage synthesized it is warned about: that Aspect never runs', () => {
    // GIVEN the Aspect added to the Stage after addStage, which synthesizes the Stage at once, so the Stage's Aspect never visits it
    const { app, stack: pipelineStack, apiKey } = setup();
    const pipeline = new pipelines.CodePipeline(pipelineStack, 'Pipeline', {
      synth: new pipelines.ShellStep('Synth', { input: pipelines.CodePipelineSource.gitHub('shop/app', 'main'), commands: ['npx cdk synth'] }),
    });
    const stage = new Stage(app, 'Prod', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    const web = new Stack(stage, 'Web');
    const taskDefinition = fargate(web);
    const stageApiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(web, 'ApiKey'));
    pipeline.addWave('Wave').addStage(stage);
    instrument(stage, new MackerelInstrumentation({ apiKey: stageApiKey, roles: ['shop:web'] }));
    // WHEN
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // THEN the task definition runs without the agent, and the pipeline's stack as written says so, and why
    expect(writtenWarnings(app, pipelineStack)).toEqual([expect.stringMatching(
      /does not reach Stage Prod, whose task definitions Prod\/Web\/Task get no Mackerel container agent.*A MackerelInstrumentation of that Stage never ran: .*added after the Stage was synthesized/)]);
    expect(agentCount(taskDefinition)).toBe(0);
  });

  test('a Stage nested in another is named itself, where an Aspect must go to reach it, and warned about once', () => {
    // GIVEN task definitions of a Stage inside a Stage, which an Aspect of the outer Stage does not reach either
    const bare = pipelineAppWithNested();
    const outerInstrumented = pipelineAppWithNested();
    instrument(outerInstrumented.outer, new MackerelInstrumentation({ apiKey: outerInstrumented.outerApiKey, roles: ['shop:web'] }));
    // WHEN
    for (const { app, apiKey } of [bare, outerInstrumented]) instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // THEN each names the inner Stage: the app's Aspect where the outer Stage has none, else the outer Stage's, on its own stack
    expect(writtenWarnings(bare.app, bare.pipeline)).toEqual([expect.stringContaining('does not reach Stage Outer/Inner, whose task definitions Outer/Inner/Web/Task get')]);
    expect(writtenWarnings(bare.app, bare.outerStack)).toEqual([]);
    expect(writtenWarnings(outerInstrumented.app, outerInstrumented.pipeline)).toEqual([]);
    expect(writtenWarnings(outerInstrumented.app, outerInstrumented.outerStack)).toEqual([expect.stringContaining(
      'The MackerelInstrumentation applied to Outer (roles ["shop:web"]) does not reach Stage Outer/Inner, whose task definitions Outer/Inner/Web/Task get')]);
  });

  test('an app of Stages alone, whose assembly holds no stack to carry the warning, fails synth naming the Stage the Aspect does not reach', () => {
    // GIVEN every stack in a Stage, and the Aspect on the app only, so it instruments nothing
    const app = new App();
    const stage = new Stage(app, 'Prod', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    const web = new Stack(stage, 'Web');
    fargate(web);
    const apiKey = MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(web, 'ApiKey', 'mackerel'));
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // WHEN / THEN a warning on the app would be written nowhere (the Stage's own assembly is written before the app's Aspects run)
    expect(() => app.synth()).toThrow(new RegExp('The MackerelInstrumentation applied to the app \\(roles \\["shop:web"\\]\\) does not reach Stage Prod, '
      + 'whose task definitions Prod/Web/Task get no Mackerel container agent, .* The app holds no stack of its own to show a warning on'));
  });

  test('Stages grouped under a plain construct of an app that has a stack are warned about on that stack, not failed as if it had none', () => {
    // GIVEN the pipeline's stack, and the Stages under a construct of the app (not a stack), which the Aspect visits on its own
    const { app, stack: pipeline, apiKey } = setup();
    const stage = new Stage(new Construct(app, 'Deployments'), 'Prod');
    const taskDefinition = fargate(new Stack(stage, 'Web', { env: { account: '123456789012', region: 'ap-northeast-1' } }));
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    // WHEN / THEN the app's assembly holds the pipeline's stack, which carries the warning as it does for a Stage right under the app
    expect(() => app.synth()).not.toThrow();
    expect(agentCount(taskDefinition)).toBe(0);
    expect(warningsOf(pipeline).map((w) => [w.id, w.entry.data])).toEqual([['/Stack', expect.stringContaining(
      'The MackerelInstrumentation applied to the app (roles ["shop:web"]) does not reach Stage Deployments/Prod, whose task definitions '
      + 'Deployments/Prod/Web/Task get no Mackerel container agent')]]);
  });

  test('Stages grouped under a plain construct of an app of Stages alone fail synth, saying the app holds no stack', () => {
    const app = new App();
    const web = new Stack(new Stage(new Construct(app, 'Deployments'), 'Prod'), 'Web', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    fargate(web);
    const apiKey = MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(web, 'ApiKey', 'mackerel'));
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    expect(() => app.synth()).toThrow(new RegExp('\\[Deployments\\] The MackerelInstrumentation applied to the app .* does not reach Stage Deployments/Prod, '
      + '.* The app holds no stack of its own to show a warning on'));
  });

  test('an app of Stages alone gives no error where each Stage has its own Aspect or its task definitions are excluded', () => {
    const app = new App();
    const covered = new Stage(app, 'Prod', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    const web = new Stack(covered, 'Web');
    const taskDefinition = fargate(web);
    const apiKey = MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(web, 'ApiKey', 'mackerel'));
    instrument(covered, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    MackerelInstrumentation.exclude(fargate(new Stack(new Stage(app, 'Dev'), 'Web')));
    instrument(app, new MackerelInstrumentation({ apiKey, roles: ['shop:web'] }));
    expect(() => app.synth()).not.toThrow();
    expect(agentCount(taskDefinition)).toBe(1);
  });

  /** A pipeline stack, and a Stage with a stack of its own holding a Stage of the workload. */
  function pipelineAppWithNested() {
    const { app, stack: pipeline, apiKey } = setup();
    const outer = new Stage(app, 'Outer', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    const outerStack = new Stack(outer, 'Shared');
    const outerApiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(outerStack, 'ApiKey'));
    fargate(new Stack(new Stage(outer, 'Inner'), 'Web'));
    return { app, pipeline, apiKey, outer, outerStack, outerApiKey };
  }
});
