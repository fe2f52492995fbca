import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnParameter, Fn, Lazy, LegacyStackSynthesizer, NestedStack, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, test } from 'vitest';
import { APP_IMAGE, agentStack, fargateTask } from './_fixture';
import { MackerelAgentImage, MackerelContainerAgent } from '../../src/agent';
import { _builtBaseUnknown, _builtOnAgent } from '../../src/agent/_image-source';

describe('checks over the whole task, at synth', () => {
  test('a task with no essential container besides the agent', () => {
    // GIVEN a task whose only other container is not essential
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('helper', { image: APP_IMAGE, essential: false });
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN
    expect(() => Template.fromStack(stack))
      .toThrow(/\[Stack\/Agent\] taskDefinition "Stack\/Task" has no essential container besides the Mackerel agent; expected at least one essential app container/);
  });

  test('an app container added after the agent satisfies the essential check', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  describe('a FireLens log router is no app container: it only carries the others\' logs', () => {
    const firelens = () => ecs.LogDrivers.firelens({ options: { Name: 'cloudwatch' } });

    test('a task whose only essential container besides the agent is a log router added by hand', () => {
      const { stack, apiKey } = agentStack();
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addFirelensLogRouter('router', { image: APP_IMAGE, firelensConfig: { type: ecs.FirelensLogRouterType.FLUENTBIT } });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" has no essential container besides the Mackerel agent '
        + 'and the FireLens log router Stack/Task/router; expected at least one essential app container');
    });

    test('a task whose only essential container besides the agent is the log router aws-cdk-lib adds', () => {
      // GIVEN a non-essential app logging through FireLens, for which aws-cdk-lib adds an (essential) router
      const { stack, apiKey } = agentStack();
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('worker', { image: APP_IMAGE, essential: false, logging: firelens() });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" has no essential container besides the Mackerel agent '
        + 'and the FireLens log router Stack/Task/log-router; expected at least one essential app container');
    });

    test('a task with a log router and an essential app container is accepted', () => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      taskDefinition.addFirelensLogRouter('router', { image: APP_IMAGE, firelensConfig: { type: ecs.FirelensLogRouterType.FLUENTBIT }, memoryReservationMiB: 50 });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], logging: firelens() });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  describe('an App Mesh proxy is no app container: it only carries the others\' traffic', () => {
    const meshTask = (stack: ReturnType<typeof agentStack>['stack']) => {
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', {
        memoryLimitMiB: 1024,
        cpu: 256,
        proxyConfiguration: new ecs.AppMeshProxyConfiguration({
          containerName: 'envoy',
          properties: { ignoredUID: 1337, appPorts: [8080], proxyIngressPort: 15000, proxyEgressPort: 15001, egressIgnoredIPs: ['169.254.170.2'] },
        }),
      });
      taskDefinition.addContainer('envoy', { image: APP_IMAGE, user: '1337', memoryReservationMiB: 64 });
      return taskDefinition;
    };

    test('a task whose only essential container besides the agent is the proxy of its proxyConfiguration', () => {
      const { stack, apiKey } = agentStack();
      const taskDefinition = meshTask(stack);
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" has no essential container besides the Mackerel agent '
        + 'and the App Mesh proxy Stack/Task/envoy; expected at least one essential app container');
    });

    test('with a log router too, both are named', () => {
      const { stack, apiKey } = agentStack();
      const taskDefinition = meshTask(stack);
      taskDefinition.addFirelensLogRouter('router', { image: APP_IMAGE, firelensConfig: { type: ecs.FirelensLogRouterType.FLUENTBIT }, memoryReservationMiB: 50 });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" has no essential container besides the Mackerel agent, '
        + 'the FireLens log router Stack/Task/router and the App Mesh proxy Stack/Task/envoy; expected at least one essential app container');
    });

    test('a task with the proxy and an essential app container is accepted', () => {
      const { stack, apiKey } = agentStack();
      const taskDefinition = meshTask(stack);
      taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  test('an ignore-container expression that matches every container of the task', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ignoreContainer: '\\A(mackerel-container-agent|app)\\z' });
    expect(() => Template.fromStack(stack))
      .toThrow(/ignoreContainer "\\\\A\(mackerel-container-agent\|app\)\\\\z" matches every container of the task \(mackerel-container-agent, app\), so the agent would find none and exit; expected an expression that leaves at least one container/);
  });

  test('an ignore-container expression that leaves a container added later is accepted', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ignoreContainer: '\\A(mackerel-container-agent|app)\\z' });
    taskDefinition.addContainer('worker', { image: APP_IMAGE, memoryLimitMiB: 64 });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  describe('an agent image older than v0.6.0, which exits on tasks with container health checks', () => {
    const healthCheck = { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] };

    test('is refused when an app container added after the agent has a health check', () => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.of('v0.5.1') });
      taskDefinition.addContainer('worker', { image: APP_IMAGE, memoryLimitMiB: 64, healthCheck });
      expect(() => Template.fromStack(stack)).toThrow(new RegExp('\\[Stack/Agent\\] image "public.ecr.aws/mackerel/mackerel-container-agent:v0.5.1" crashes on this task: '
        + 'agents before v0.6.0 exit when a container has a health check, as Stack/Task/worker has; '
        + 'expected an image of v0.6.0 or later, such as MackerelAgentImage.DEFAULT'));
    });

    test.each([
      ['v0.5.1 without health checks', MackerelAgentImage.of('v0.5.1'), false],
      ['v0.6.0 with a health check', MackerelAgentImage.of('v0.6.0'), true],
      ['v0.6.0-plugins with a health check', MackerelAgentImage.ofPlugins('v0.6.0'), true],
      ['v1.0.0 with a health check', MackerelAgentImage.of('v1.0.0'), true],
      ['an image pinned by digest (no release to compare)', MackerelAgentImage.fromRegistry('registry.example.com/agent@sha256:' + 'a'.repeat(64)), true],
    ])('lets through %s', (_name, image, withHealthCheck) => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      if (withHealthCheck) taskDefinition.addContainer('worker', { image: APP_IMAGE, memoryLimitMiB: 64, healthCheck });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });

    test('is refused as a plugins image too', () => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      taskDefinition.addContainer('worker', { image: APP_IMAGE, memoryLimitMiB: 64, healthCheck });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.ofPlugins('v0.5.3') });
      expect(() => Template.fromStack(stack)).toThrow(/image ".*:v0.5.3-plugins" crashes on this task/);
    });
  });

  test('a Fargate task whose memory leaves no room for the agent', () => {
    // GIVEN 512 MiB, of which the app takes 448 (hard) and a helper 16 (soft)
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 448 });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    taskDefinition.addContainer('helper', { image: APP_IMAGE, essential: false, memoryReservationMiB: 16 });
    // THEN
    expect(() => Template.fromStack(stack))
      .toThrow(/memoryLimitMiB 128 does not fit in the task: its 512 MiB minus 464 MiB reserved by the other containers leaves 48 MiB; expected at most 48 MiB/);
  });

  test('the FireLens log router aws-cdk-lib adds while rendering the task counts against the memory left for the agent', () => {
    // GIVEN 512 MiB, of which the app takes 384 and logs through FireLens with no router added:
    // 384 + 128 would fit, but aws-cdk-lib adds a log router reserving 50 MiB
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 384, logging: ecs.LogDrivers.firelens({ options: { Name: 'cloudwatch' } }) });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN
    expect(() => Template.fromStack(stack))
      .toThrow(/memoryLimitMiB 128 does not fit in the task: its 512 MiB minus 434 MiB reserved by the other containers leaves 78 MiB; expected at most 78 MiB/);
    // and that router is what the template gets
    const roomy = agentStack();
    const roomyTask = new ecs.FargateTaskDefinition(roomy.stack, 'Task', { memoryLimitMiB: 1024, cpu: 256 });
    roomyTask.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 384, logging: ecs.LogDrivers.firelens({ options: { Name: 'cloudwatch' } }) });
    new MackerelContainerAgent(roomy.stack, 'Agent', { taskDefinition: roomyTask, apiKey: roomy.apiKey, roles: ['shop:web'] });
    Template.fromStack(roomy.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'log-router', MemoryReservation: 50, FirelensConfiguration: { Type: 'fluentbit' } })]),
    });
  });

  test('an EC2 task with a task-level memory size is held to it too', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.TaskDefinition(stack, 'Task', { compatibility: ecs.Compatibility.EC2, memoryMiB: '512' });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 500 });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(() => Template.fromStack(stack)).toThrow(/memoryLimitMiB 128 does not fit in the task: its 512 MiB minus 500 MiB .* leaves 12 MiB/);
  });

  test('an EC2 task without a task-level memory size has no budget to check', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 4096 });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('a task with exactly enough memory is accepted', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 384 });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('a container with both limits reserves its soft limit, as ECS counts it', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    // may burst to the whole task, but reserves 384 MiB: 384 + 128 fits
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 512, memoryReservationMiB: 384 });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(() => Template.fromStack(stack)).not.toThrow();

    const tight = agentStack();
    const tightTask = new ecs.FargateTaskDefinition(tight.stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    tightTask.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 512, memoryReservationMiB: 448 });
    new MackerelContainerAgent(tight.stack, 'Agent', { taskDefinition: tightTask, apiKey: tight.apiKey, roles: ['shop:web'] });
    expect(() => Template.fromStack(tight.stack)).toThrow(/its 512 MiB minus 448 MiB reserved by the other containers leaves 64 MiB/);
  });

  test('an agent container name already used in the task', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], containerName: 'app' });
    // THEN that error alone: the default ignoreContainer (\\Aapp\\z) matches both only because they share the name
    const message = 'Validation failed with the following errors:\n'
      + '  [Stack/Agent] containerName "app" is also the name of Stack/Task/app; expected a container name unique in the task. '
      + 'Set containerName, or remove the agent container added by hand';
    expect(() => Template.fromStack(stack)).toThrow(expect.objectContaining({ message }));
  });

  describe('container names known only at deploy time', () => {
    function taskWithApp(appName: (stack: Stack) => string) {
      const fixture = agentStack();
      const taskDefinition = new ecs.FargateTaskDefinition(fixture.stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: APP_IMAGE, containerName: appName(fixture.stack) });
      return { ...fixture, taskDefinition };
    }

    test('the agent and an app container named by the same parameter clash, named as the name resolves', () => {
      // GIVEN both names from one parameter: whatever it holds, they are the same
      const { stack, taskDefinition, apiKey } = taskWithApp((s) => new CfnParameter(s, 'Name').valueAsString);
      // WHEN
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], containerName: Fn.ref('Name') });
      // THEN
      expect(() => Template.fromStack(stack)).toThrow(expect.objectContaining({
        message: 'Validation failed with the following errors:\n'
          + '  [Stack/Agent] containerName {"Ref":"Name"} is also the name of Stack/Task/app; expected a container name unique in the task. '
          + 'Set containerName, or remove the agent container added by hand',
      }));
    });

    test('a lazy app container name that resolves to the agent\'s clashes with it', () => {
      const { stack, taskDefinition, apiKey } = taskWithApp(() => Lazy.string({ produce: () => 'mackerel-container-agent' }));
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] containerName "mackerel-container-agent" is also the name of Stack/Task/app; '
        + 'expected a container name unique in the task');
    });

    test('names from two parameters may differ, so they are not refused at synth', () => {
      const { stack, taskDefinition, apiKey } = taskWithApp((s) => new CfnParameter(s, 'AppName').valueAsString);
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], containerName: new CfnParameter(stack, 'AgentName').valueAsString });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  test('an agent container added by hand under another name: each task would register two hosts', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // as Mackerel's older docs wrote it, added after the construct
    taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromRegistry('mackerel/mackerel-container-agent:latest'), essential: false });
    expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" already runs the Mackerel container agent in '
      + 'Stack/Task/mackerel (image mackerel/mackerel-container-agent:latest), so each task would register two Mackerel hosts; expected one agent per task. '
      + 'Remove the agent container added by hand');
  });

  test('an agent container added by hand from a mirror whose name is known only at deploy time is found by MACKEREL_CONTAINER_PLATFORM', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const mirror = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/mackerel-container-agent');
    taskDefinition.addContainer('mackerel', {
      image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'),
      essential: false,
      memoryLimitMiB: 128,
      environment: { MACKEREL_CONTAINER_PLATFORM: 'ecs' },
    });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" already runs the Mackerel container agent in '
      + 'Stack/Task/mackerel (MACKEREL_CONTAINER_PLATFORM in its environment), so each task would register two Mackerel hosts; expected one agent per task. '
      + 'Remove the agent container added by hand');
  });

  test('an agent container added by hand from a mirror, given MACKEREL_CONTAINER_PLATFORM by a local environment file, is found', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const envFile = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-')), 'agent.env');
    writeFileSync(envFile, 'MACKEREL_CONTAINER_PLATFORM=ecs\n');
    const mirror = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/mackerel-container-agent');
    taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'), environmentFiles: [ecs.EnvironmentFile.fromAsset(envFile)] });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (MACKEREL_CONTAINER_PLATFORM in its environment file ${envFile}), so each task would register two Mackerel hosts`);
  });

  test('a container from a mirror whose environment files are in S3, added after the agent, is warned about: it may run the agent', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const mirror = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/mackerel-container-agent');
    taskDefinition.addContainer('mackerel', {
      image: ecs.ContainerImage.fromEcrRepository(mirror, 'v0.13.2'),
      environmentFiles: [ecs.EnvironmentFile.fromBucket(s3.Bucket.fromBucketName(stack, 'Config', 'config-bucket'), 'agent.env')],
    });
    expect(() => Template.fromStack(stack)).not.toThrow();
    Annotations.fromStack(stack).hasWarning('/Stack/Agent', Match.stringLikeRegexp(
      '^The container Stack/Task/mackerel may run the Mackerel container agent, which cannot be told at synth.*\\[ack: cdk-mackerel:handAgentUnchecked\\]$'));
  });

  test('an app image whose name holds a token is not taken for an agent where its source shows it is none: its Dockerfile, or its ECR repository\'s name', () => {
    // GIVEN containers with environment files in S3: images built from the app's Dockerfiles, and images of ECR repositories
    const { stack, taskDefinition, apiKey, add } = taskWithEnvironmentFilesInS3();
    add('web', ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'FROM --platform=$BUILDPLATFORM node:${NODE_VERSION} AS build\nFROM nginx:1.27\n')));
    // The agent copied out of a stage built on its image: no image built on the agent's, but it may run the agent
    const plugins = dockerfileIn('agent.Dockerfile',
      'FROM mackerel/mackerel-container-agent:v0.13.2-plugins AS agent\nFROM alpine:3.20\nCOPY --from=agent /usr/local/bin/ /usr/local/bin/\n');
    add('plugins', ecs.ContainerImage.fromAsset(plugins, { file: 'agent.Dockerfile' }));
    // An ARG with no default nor build argument is empty: Docker refuses that FROM, so it builds no image
    add('base', ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'ARG BASE\nFROM ${BASE}\n')));
    add('node', ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'ARG BASE=node:22\nFROM ${BASE}\n')));
    const arch = dockerfileIn('Dockerfile', 'FROM app-${TARGETARCH}:1\n');
    add('arch', ecs.ContainerImage.fromAsset(arch));
    add('api', ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Api', 'shop/api'), 'v1'));
    add('mirror', ecs.ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Mirror', 'ecr-public/mackerel/mackerel-container-agent'), 'v0.13.2'));
    add('unnamed', ecs.ContainerImage.fromEcrRepository(new ecr.Repository(stack, 'Unnamed'), 'v1'));
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN only those that may be the agent are warned about, each saying why
    expect(handAgentUnchecked(stack)).toEqual([
      ['plugins', `its image is built from ${join(plugins, 'agent.Dockerfile')}, which may build on the agent's image (it mentions Mackerel, or takes a base image from a build argument)`],
      ['arch', `its image is built from ${join(arch, 'Dockerfile')}, which may build on the agent's image (it mentions Mackerel, or takes a base image from a build argument)`],
      ['mirror', 'its image is known only at deploy time'],
      ['unnamed', 'its image is known only at deploy time'],
    ]);
  });

  test('an image of a DockerImageAsset of the app, or of an ECR repository named in the app (by a tag parameter too), is read as fromAsset and fromEcrRepository are', () => {
    // GIVEN containers with environment files in S3 whose image URIs are tokens: DockerImageAssets (one in another stack),
    // TagParameterContainerImages, and repositories created in the app with and without a name
    const { stack, taskDefinition, apiKey, add } = taskWithEnvironmentFilesInS3();
    const images = new Stack(stack.node.root, 'Images');
    add('web', ecs.ContainerImage.fromDockerImageAsset(new ecrAssets.DockerImageAsset(stack, 'Web', { directory: dockerfileIn('Dockerfile', 'FROM nginx:1.27\n') })));
    add('worker', ecs.ContainerImage.fromDockerImageAsset(new ecrAssets.DockerImageAsset(images, 'Worker', { directory: dockerfileIn('Dockerfile', 'FROM node:22\n') })));
    const plugins = dockerfileIn('agent.Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2-plugins AS agent\nFROM alpine:3.20\nCOPY --from=agent / /\n');
    add('plugins', ecs.ContainerImage.fromDockerImageAsset(new ecrAssets.DockerImageAsset(stack, 'Plugins', { directory: plugins, file: 'agent.Dockerfile' })));
    add('api', new ecs.TagParameterContainerImage(ecr.Repository.fromRepositoryName(stack, 'Api', 'shop/api')));
    add('mirror', new ecs.TagParameterContainerImage(ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/mackerel-container-agent')));
    const batch = new ecr.Repository(stack, 'Batch', { repositoryName: 'shop/batch' });
    add('batch', ecs.ContainerImage.fromEcrRepository(batch, 'v1'));
    add('batchByTag', new ecs.TagParameterContainerImage(batch));
    add('agentCopy', ecs.ContainerImage.fromEcrRepository(new ecr.Repository(stack, 'AgentCopy', { repositoryName: 'shop/mackerel-agent' }), 'v0.13.2'));
    add('unnamed', new ecs.TagParameterContainerImage(new ecr.Repository(stack, 'Unnamed')));
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN only those that may be the agent are warned about, each saying why
    expect(handAgentUnchecked(stack)).toEqual([
      ['plugins', `its image is built from ${join(plugins, 'agent.Dockerfile')}, which may build on the agent's image (it mentions Mackerel, or takes a base image from a build argument)`],
      ['mirror', 'its image is known only at deploy time'],
      ['agentCopy', 'its image is known only at deploy time'],
      ['unnamed', 'its image is known only at deploy time'],
    ]);
  });

  test('an agent added by hand whose image is built from the app\'s Dockerfile on the agent\'s image is found: fromAsset and fromDockerImageAsset', () => {
    // GIVEN images built on the agent's image (Docker Hub, ECR Public) that set MACKEREL_CONTAINER_PLATFORM themselves, with no environment file
    const byAsset = fargateTask();
    const hub = dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2-plugins\nENV MACKEREL_CONTAINER_PLATFORM=ecs\nCOPY plugins /usr/local/bin/\n');
    byAsset.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(hub), essential: false });
    const byImageAsset = fargateTask();
    const ecrPublic = dockerfileIn('agent.Dockerfile', 'FROM --platform=linux/arm64 public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2\n'
      + 'ENV MACKEREL_CONTAINER_PLATFORM=ecs\n');
    const asset = new ecrAssets.DockerImageAsset(byImageAsset.stack, 'AgentImage', { directory: ecrPublic, file: 'agent.Dockerfile' });
    byImageAsset.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromDockerImageAsset(asset), essential: false });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [byAsset, byImageAsset]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN each is a second agent, named by its Dockerfile's base image
    expect(() => Template.fromStack(byAsset.stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(hub, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2-plugins), `
      + 'so each task would register two Mackerel hosts; expected one agent per task. Remove the agent container added by hand');
    expect(() => Template.fromStack(byImageAsset.stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(ecrPublic, 'agent.Dockerfile')} on public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2), `
      + 'so each task would register two Mackerel hosts');
  });

  test('a multi-stage Dockerfile is read by the stage it builds: the last, or the target, followed through the stages it builds on', () => {
    // GIVEN one Dockerfile whose first stage is the agent's image and whose last is not, and one whose last builds on that first stage
    const text = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS Agent\nENV MACKEREL_CONTAINER_PLATFORM=ecs\n'
      + 'FROM golang:1.23 AS build\nRUN go build -o /plugin .\n';
    const app = dockerfileIn('Dockerfile', `${text}FROM alpine:3.20\nCOPY --from=build /plugin /usr/local/bin/\n`);
    const onStage = dockerfileIn('Dockerfile', `${text}FROM agent\nCOPY --from=build /plugin /usr/local/bin/\n`);
    const last = fargateTask();
    last.taskDefinition.addContainer('plugin', { image: ecs.ContainerImage.fromAsset(app), essential: false });
    const target = fargateTask();
    target.taskDefinition.addContainer('plugin', { image: ecs.ContainerImage.fromAsset(app, { target: 'agent' }), essential: false });
    const stage = fargateTask();
    stage.taskDefinition.addContainer('plugin', { image: ecs.ContainerImage.fromAsset(onStage), essential: false });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [last, target, stage]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN the image of the last stage, alpine, is no agent (nor warned about); the agent's stage, built as the target or built on, is
    Template.fromStack(last.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'plugin' }), Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
    expect(Annotations.fromStack(last.stack).findWarning('*', Match.stringLikeRegexp('handAgentUnchecked'))).toEqual([]);
    expect(() => Template.fromStack(target.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/plugin (image built from ${join(app, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
    expect(() => Template.fromStack(stage.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/plugin (image built from ${join(onStage, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
  });

  test('a Dockerfile is read by its instructions, as Docker reads it: a heredoc\'s lines and a continued line are no FROM, a BOM is no text', () => {
    // GIVEN app images whose lines starting with FROM are in a heredoc or continue a RUN (a blank after the backslash), and an agent's file with a BOM
    const script = dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2 AS base\nFROM python:3.12\n'
      + 'RUN <<EOF python3\nfrom base import config\nEOF\nCOPY <<-"END" /build/Dockerfile\n\tFROM mackerel/mackerel-container-agent:v0.13.2\n\tEND\n'
      + 'CMD ["python3", "app.py"]\n');
    const continued = dockerfileIn('Dockerfile', 'FROM node:22\nRUN echo \\ \r\nFROM mackerel/mackerel-container-agent:v0.13.2\n');
    const apps = fargateTask();
    apps.taskDefinition.addContainer('script', { image: ecs.ContainerImage.fromAsset(script), essential: false });
    apps.taskDefinition.addContainer('continued', { image: ecs.ContainerImage.fromAsset(continued), essential: false });
    const bom = fargateTask();
    const agent = dockerfileIn('Dockerfile', '\uFEFFFROM mackerel/mackerel-container-agent:v0.13.2\nENV MACKEREL_CONTAINER_PLATFORM=ecs\n');
    bom.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(agent), essential: false });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [apps, bom]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN the app images are no agent: the agent is added; the agent's image with a BOM is found
    Template.fromStack(apps.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
    expect(() => Template.fromStack(bom.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(agent, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
  });

  test('a base image from a build argument is read as Docker reads it: the global ARGs, their defaults, the asset\'s buildArgs, ${VAR:-x} and ${VAR:+x}', () => {
    // GIVEN images built on the agent's image through a build argument: its default, fromAsset's buildArgs, a DockerImageAsset's buildArgs
    const byDefault = fargateTask();
    const onDefault = dockerfileIn('Dockerfile', 'ARG BASE=mackerel/mackerel-container-agent:v0.13.2\nFROM ${BASE}\nENV MACKEREL_CONTAINER_PLATFORM=ecs\n');
    byDefault.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(onDefault), essential: false });
    const byAssetArg = fargateTask();
    const onAssetArg = dockerfileIn('Dockerfile', 'ARG BASE=node:22\nFROM $BASE\n');
    byAssetArg.taskDefinition.addContainer('mackerel', {
      image: ecs.ContainerImage.fromAsset(onAssetArg, { buildArgs: { BASE: 'mackerel/mackerel-container-agent:v0.13.2' } }), essential: false,
    });
    const byImageAssetArg = fargateTask();
    const onImageAssetArg = dockerfileIn('Dockerfile', 'ARG REGISTRY=docker.io\nARG NAME\nFROM "${REGISTRY}/${NAME:-mackerel/mackerel-container-agent}:v0.13.2"\n');
    const asset = new ecrAssets.DockerImageAsset(byImageAssetArg.stack, 'AgentImage', { directory: onImageAssetArg, buildArgs: { REGISTRY: 'public.ecr.aws' } });
    byImageAssetArg.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromDockerImageAsset(asset), essential: false });
    // ... and app images whose base, once read so, is no agent's: none is warned about
    const apps = fargateTask({ memoryLimitMiB: 2048, cpu: 1024 });
    const app = (id: string, text: string, buildArgs?: { [name: string]: string }) => apps.taskDefinition.addContainer(id, {
      image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text), { buildArgs }), memoryLimitMiB: 128, essential: false,
    });
    app('node', 'ARG BASE=node:22\nFROM ${BASE}\n');
    app('version', 'ARG NODE_VERSION=22\nFROM node:${NODE_VERSION}\n');
    app('overridden', 'ARG BASE=mackerel/mackerel-container-agent:v0.13.2\nFROM ${BASE}\n', { BASE: 'node:22' });
    app('defaulted', 'ARG GO\nFROM ${GO:-golang:1.23} AS build\nFROM nginx:1.27\nCOPY --from=build /app /app\n');
    app('alternative', 'ARG UNSET\nFROM ${UNSET:+mackerel/mackerel-container-agent:v0.13.2}${UNSET:-node:22}\n');
    // An ARG after the first FROM is no global one: a FROM does not read it
    app('stageArg', 'FROM node:22 AS first\nARG BASE=mackerel/mackerel-container-agent:v0.13.2\nFROM ${BASE:-nginx:1.27}\n');
    // An ARG with no default nor build argument is empty: Docker refuses that FROM, so it builds no image
    app('empty', 'ARG BASE\nFROM ${BASE}\n');
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [byDefault, byAssetArg, byImageAssetArg, apps]) {
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    }
    // THEN the agent's images are found, named by the base image read and the FROM line as written
    expect(() => Template.fromStack(byDefault.stack)).toThrow('already runs the Mackerel container agent in Stack/Task/mackerel (image built from '
      + `${join(onDefault, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2 (FROM \${BASE})), so each task would register two Mackerel hosts`);
    expect(() => Template.fromStack(byAssetArg.stack)).toThrow('already runs the Mackerel container agent in Stack/Task/mackerel (image built from '
      + `${join(onAssetArg, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2 (FROM $BASE))`);
    expect(() => Template.fromStack(byImageAssetArg.stack)).toThrow('already runs the Mackerel container agent in Stack/Task/mackerel (image built from '
      + `${join(onImageAssetArg, 'Dockerfile')} on public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2 (FROM "\${REGISTRY}/\${NAME:-mackerel/mackerel-container-agent}:v0.13.2"))`);
    Template.fromStack(apps.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
    expect(Annotations.fromStack(apps.stack).findWarning('*', Match.stringLikeRegexp('handAgentUnchecked'))).toEqual([]);
  });

  test('an image built from a Dockerfile whose base image cannot be told at synth is warned about, with no environment file', () => {
    // GIVEN no environment files: a base image from an argument of the build's platform, from a substitution not followed, replaced by a build context
    const { stack, taskDefinition, apiKey } = fargateTask({ memoryLimitMiB: 1024 });
    const add = (id: string, image: ecs.ContainerImage) => taskDefinition.addContainer(id, { image, memoryLimitMiB: 128, essential: false });
    const platform = dockerfileIn('Dockerfile', 'ARG BASE=agent-${TARGETARCH}\nFROM ${BASE}\n');
    add('platform', ecs.ContainerImage.fromAsset(platform));
    // (BuildKit's patterns match code points, which cdk-mackerel does not follow outside the BMP)
    const substitution = dockerfileIn('Dockerfile', 'ARG IMAGE=node:22-\u{1F41F}\nFROM ${IMAGE%-*}\n');
    add('substitution', ecs.ContainerImage.fromAsset(substitution));
    const context = dockerfileIn('Dockerfile', 'FROM node:22\n');
    add('context', ecs.ContainerImage.fromAsset(context, { buildContexts: { 'node:22': 'docker-image://mackerel/mackerel-container-agent:v0.13.2' } }));
    // ... and one whose platform argument is only in the tag: its repository, the app's, tells it is no agent
    add('tag', ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'FROM node:22-${TARGETARCH}\n')));
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN each of the first three is warned about, saying why
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('handAgentUnchecked')).map((w) => String(w.entry.data));
    expect(warnings.map((w) => /^The container Stack\/Task\/(\w+) may run the Mackerel container agent, which cannot be told at synth: (.*?), so it may/.exec(w)?.slice(1)))
      .toEqual([
        ['platform', `its image is built from ${join(platform, 'Dockerfile')}, whose base image (FROM \${BASE}) comes from TARGETARCH, `
          + 'which Docker sets to a platform of the build, known only when Docker builds it'],
        ['substitution', `its image is built from ${join(substitution, 'Dockerfile')}, whose base image (FROM \${IMAGE%-*}) comes from the substitution `
          + '${IMAGE%-*}, which cdk-mackerel does not follow, known only when Docker builds it'],
        ['context', `its image is built from ${join(context, 'Dockerfile')}, whose base image (FROM node:22) is replaced by the build context `
          + 'node:22=docker-image://mackerel/mackerel-container-agent:v0.13.2 (buildContexts of ContainerImage.fromAsset of Stack/Task/context)'],
      ]);
    expect(warnings[0]).toContain('If it runs the agent, each task registers two Mackerel hosts, both billed. Write its base image in the '
      + 'Dockerfile\'s FROM line, or set MACKEREL_CONTAINER_PLATFORM in its environment');
  });

  test('a Dockerfile that cannot be read at synth (a FIFO, a directory) is warned about, with no environment file; a FIFO is not waited on', () => {
    // GIVEN images whose Dockerfile is a FIFO (reading it would wait for a writer for ever) or a directory; aws-cdk-lib takes both
    const { stack, taskDefinition, apiKey } = fargateTask({ memoryLimitMiB: 1024 });
    const fifo = mkdtempSync(join(tmpdir(), 'cdk-mackerel-'));
    execFileSync('mkfifo', [join(fifo, 'Dockerfile')]);
    taskDefinition.addContainer('fifo', { image: ecs.ContainerImage.fromAsset(fifo), memoryLimitMiB: 128, essential: false });
    const directory = mkdtempSync(join(tmpdir(), 'cdk-mackerel-'));
    mkdirSync(join(directory, 'Dockerfile'));
    taskDefinition.addContainer('directory', { image: ecs.ContainerImage.fromAsset(directory), memoryLimitMiB: 128, essential: false });
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN synth ends, the agent is added, and each is warned about: it may be built on the agent's image
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
    expect(Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('handAgentUnchecked')).map((w) => w.entry.data))
      .toEqual(['fifo', 'directory'].map((id) => `The container Stack/Task/${id} may run the Mackerel container agent, which cannot be told at synth: `
        + `its image is built from ${join(id === 'fifo' ? fifo : directory, 'Dockerfile')}, which cannot be read at synth, so it may be built on the agent's image `
        + 'and set MACKEREL_CONTAINER_PLATFORM itself. If it runs the agent, each task registers two Mackerel hosts, both billed. Write its base image in the '
        + 'Dockerfile\'s FROM line, or set MACKEREL_CONTAINER_PLATFORM in its environment, so that an agent added by hand is found, or acknowledge this warning '
        + 'if it does not run the agent [ack: cdk-mackerel:handAgentUnchecked]'));
  }, 20_000);

  test('pattern substitutions in a FROM line are evaluated as BuildKit evaluates them: shortest and longest, prefix and suffix, first and every match', () => {
    // The agent's image each Dockerfile's FROM line resolves to, or why it cannot be told
    const read = (text: string) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', text);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory) });
      const strip = (message: string | undefined) => message?.replace(`${join(directory, 'Dockerfile')}`, 'Dockerfile');
      return [strip(_builtOnAgent(container)), strip(_builtBaseUnknown(container))];
    };
    const agentArg = 'ARG IMAGE=mackerel/mackerel-container-agent:v0.13.2-plugins\n';
    const paths = 'ARG R=registry.example/mirror/mackerel-container-agent:v1\n';
    const parts = 'ARG P=mackerel-container-agent-x-y\n';
    const underscores = 'ARG U=mackerel/mackerel_container_agent:v1\n';
    expect([
      // % and %%: the shortest and the longest suffix, a glob's * and ? as BuildKit reads them
      read(`${agentArg}FROM \${IMAGE%-plugins}\n`),
      read(`${parts}FROM \${P%-*-*}:v1\n`),
      read(`${parts}FROM \${P%%-*-*}:v1\n`),
      read(`${parts}FROM \${P%-?}:v1\n`),
      // # and ##: the shortest and the longest prefix
      read(`${paths}FROM \${R#*/}\n`),
      read(`${paths}FROM \${R##*/}\n`),
      // / and //: the first match and every match; the text may hold a /
      read(`${underscores}FROM \${U/_/-}\n`),
      read(`${underscores}FROM \${U//_/-}\n`),
      read('ARG R=docker.io/library/node:22\nFROM ${R/library\\/node:22/mackerel/mackerel-container-agent:v1}\n'),
      // an escaped * is a literal star; a pattern BuildKit refuses (an escape before any other character) builds nothing
      read('ARG R=mackerel/mackerel-container-agent:v1*x\nFROM ${R%\\**}\n'),
      read(`${agentArg}FROM \${IMAGE%\\q}\n`),
      // a value known only when Docker builds stays so through a pattern
      read('ARG R=mackerel-container-agent-${TARGETARCH}\nFROM ${R%-amd64}\n'),
    ]).toEqual([
      ['image built from Dockerfile on mackerel/mackerel-container-agent:v0.13.2 (FROM ${IMAGE%-plugins})', undefined],
      ['image built from Dockerfile on mackerel-container-agent:v1 (FROM ${P%-*-*}:v1)', undefined],
      [undefined, undefined],
      // mackerel-container-agent-x:v1
      [undefined, undefined],
      ['image built from Dockerfile on mirror/mackerel-container-agent:v1 (FROM ${R#*/})', undefined],
      ['image built from Dockerfile on mackerel-container-agent:v1 (FROM ${R##*/})', undefined],
      [undefined, undefined],
      ['image built from Dockerfile on mackerel/mackerel-container-agent:v1 (FROM ${U//_/-})', undefined],
      ['image built from Dockerfile on docker.io/mackerel/mackerel-container-agent:v1 (FROM ${R/library\\/node:22/mackerel/mackerel-container-agent:v1})', undefined],
      ['image built from Dockerfile on mackerel/mackerel-container-agent:v1 (FROM ${R%\\**})', undefined],
      [undefined, undefined],
      [undefined, 'its image is built from Dockerfile, whose base image (FROM ${R%-amd64}) comes from TARGETARCH, which Docker sets to a platform of the build, '
        + 'known only when Docker builds it'],
    ]);
  });

  test('a suffix pattern ending in a lone backslash is read as BuildKit reads it: reversed, the backslash escapes the character before it', () => {
    // GIVEN FROM lines trimming a suffix by a pattern from an argument ending in a backslash (single quotes keep it):
    // BuildKit reverses the pattern, so `}\` is an escaped `}` (the agent's image is left), and `1\` an escape it refuses
    const read = (pattern: string) => {
      const { taskDefinition } = fargateTask();
      const text = `ARG V=mackerel/mackerel-container-agent:v1}\nARG P='${pattern}'\nFROM \${V%$P}\n`;
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
      return [_builtOnAgent(container)?.replace(/^.* on /, ''), _builtBaseUnknown(container)];
    };
    // THEN
    expect([read('}\\'), read('1\\')]).toEqual([['mackerel/mackerel-container-agent:v1 (FROM ${V%$P})', undefined], [undefined, undefined]]);
  });

  test('an agent added by hand whose FROM line takes its image by a pattern substitution is found; an app image so built is not warned about', () => {
    // GIVEN an agent's image whose FROM line trims a tag's suffix, and an app image (with environment files in S3) whose FROM line trims a tag
    const agent = fargateTask();
    const agentFile = dockerfileIn('Dockerfile', 'ARG IMAGE=mackerel/mackerel-container-agent:v0.13.2-plugins\nFROM ${IMAGE%-plugins}\n');
    agent.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(agentFile), essential: false });
    const apps = taskWithEnvironmentFilesInS3();
    apps.add('web', ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'ARG IMAGE=node:22-alpine\nFROM ${IMAGE%%-*}\n')));
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [agent, apps]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN the agent is found, named by the image its FROM line resolves to; the app gets the agent, with no handAgentUnchecked warning
    expect(() => Template.fromStack(agent.stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" already runs the Mackerel container agent in Stack/Task/mackerel '
      + `(image built from ${join(agentFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2 (FROM \${IMAGE%-plugins})), so each task would register two Mackerel hosts`);
    Template.fromStack(apps.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
    expect(handAgentUnchecked(apps.stack)).toEqual([]);
  });

  test('a pattern substitution too costly to match at synth, or a value grown too long, is warned about, not followed', () => {
    const unknown = (text: string) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', text);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory) });
      return _builtBaseUnknown(container)?.replace(`its image is built from ${join(directory, 'Dockerfile')}, `, '');
    };
    // GIVEN a value of 200,000 characters and a pattern of 3,000 ? (each place compared anew, 600 million comparisons),
    // a replacement that squares a value's length, and a value doubled on each of 12 lines
    const pattern = `*${'a?'.repeat(1500)}b`;
    const costly = unknown(`ARG R=${'a'.repeat(200000)}\nFROM \${R#${pattern}}\n`);
    const squared = unknown(`ARG A=${'a'.repeat(2000)}\nARG B=\${A//?/$A}\nFROM \${B}\n`);
    const doubled = unknown(`ARG A0=${'a'.repeat(1000)}\n${Array.from({ length: 12 }, (_, i) => `ARG A${i + 1}=$A${i}$A${i}\n`).join('')}FROM $A12\n`);
    // THEN the base of each cannot be told, saying why
    expect([costly, squared, doubled]).toEqual([
      `whose base image (FROM \${R#${pattern}}) comes from the substitution \${R#${pattern}}, which cdk-mackerel does not follow, known only when Docker builds it`,
      'whose base image (FROM ${B}) comes from the substitution ${A//?/$A}, which cdk-mackerel does not follow, known only when Docker builds it',
      'whose base image (FROM $A12) comes from a value longer than 1048576 characters, which cdk-mackerel does not follow, known only when Docker builds it',
    ]);
  }, 20_000);

  test('the arguments of the platform built for are read from the platform the asset names, as BuildKit normalizes it; those of the build\'s own platform are not', () => {
    // The agent's image a Dockerfile's FROM line resolves to for a platform, or why it cannot be told
    const text = 'FROM mackerel/mackerel-container-agent${TARGETVARIANT}:v0.13.2-${TARGETPLATFORM//\\//-}-${TARGETOS}-${TARGETARCH}\n';
    const read = (platform?: ecrAssets.Platform, dockerfile = text) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', dockerfile);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory, { platform }) });
      const strip = (message: string | undefined) => message?.replace(`${join(directory, 'Dockerfile')}`, 'Dockerfile')
        .replace(` (FROM ${dockerfile.trim().replace(/^FROM /, '')})`, '');
      return [strip(_builtOnAgent(container)), strip(_builtBaseUnknown(container))];
    };
    const unknown = 'its image is built from Dockerfile, whose base image comes from TARGETVARIANT, which Docker sets to a platform of the build and '
      + 'TARGETPLATFORM, which Docker sets to a platform of the build and TARGETOS, which Docker sets to a platform of the build and TARGETARCH, '
      + 'which Docker sets to a platform of the build, known only when Docker builds it';
    expect([
      read(ecrAssets.Platform.LINUX_ARM64),
      read(ecrAssets.Platform.LINUX_AMD64),
      // containerd's names and normalization: aarch64 is arm64, and arm64's v8 is no variant; arm is arm/v7
      read(ecrAssets.Platform.custom('Linux/AArch64/v8')),
      read(ecrAssets.Platform.custom('linux/arm')),
      // no platform, one part alone (the host's fills in the rest), a variant of amd64 containerd's versions normalize differently
      read(),
      read(ecrAssets.Platform.custom('linux')),
      read(ecrAssets.Platform.custom('linux/amd64/v2')),
      // the build's own platform is known only when Docker builds
      read(ecrAssets.Platform.LINUX_ARM64, 'FROM mackerel-container-agent-${BUILDARCH}\n'),
    ]).toEqual([
      ['image built from Dockerfile on mackerel/mackerel-container-agent:v0.13.2-linux-arm64-linux-arm64', undefined],
      ['image built from Dockerfile on mackerel/mackerel-container-agent:v0.13.2-linux-amd64-linux-amd64', undefined],
      ['image built from Dockerfile on mackerel/mackerel-container-agent:v0.13.2-linux-arm64-linux-arm64', undefined],
      // mackerel/mackerel-container-agentv7:v0.13.2-linux-arm-v7-linux-arm: another repository
      [undefined, undefined],
      [undefined, unknown],
      [undefined, unknown],
      [undefined, unknown],
      [undefined, 'its image is built from Dockerfile, whose base image comes from BUILDARCH, which Docker sets to a platform of the build, known only when Docker builds it'],
    ]);
  });

  test('a build argument named like a platform argument replaces the value Docker sets, declared by an ARG or not, as BuildKit does', () => {
    // GIVEN images built for linux/amd64 (or no platform) whose build arguments set TARGETARCH or BUILDARCH, which no ARG declares
    const read = (buildArgs: { [name: string]: string }, from: string, platform?: ecrAssets.Platform) => {
      const { taskDefinition } = fargateTask();
      const text = `ARG ARM64=mackerel/mackerel-container-agent:v0.13.2\nFROM ${from}\n`;
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text), { buildArgs, platform }) });
      return [_builtOnAgent(container)?.replace(/^.* on /, ''), _builtBaseUnknown(container)];
    };
    // THEN the build argument's value is read: the agent's image
    expect([
      read({ TARGETARCH: 'arm64' }, '${TARGETARCH/arm64/$ARM64}', ecrAssets.Platform.LINUX_AMD64),
      read({ BUILDARCH: 'arm64' }, '${BUILDARCH/arm64/$ARM64}'),
    ]).toEqual([
      ['mackerel/mackerel-container-agent:v0.13.2 (FROM ${TARGETARCH/arm64/$ARM64})', undefined],
      ['mackerel/mackerel-container-agent:v0.13.2 (FROM ${BUILDARCH/arm64/$ARM64})', undefined],
    ]);
  });

  test('the platform of a DockerImageAsset in a nested stack is read where the parent\'s synthesizer records it, the legacy one included', () => {
    // GIVEN agents' images built for arm64 by DockerImageAssets in nested stacks (whose synthesizer hands assets to the parent's),
    // under the default and the legacy synthesizer, whose FROM line names the agent by TARGETARCH
    const agentFile = dockerfileIn('Dockerfile', 'ARG ARM64=mackerel/mackerel-container-agent:v0.13.2\nFROM ${TARGETARCH/arm64/$ARM64}\n');
    const read = (parent: Stack) => {
      const nested = new NestedStack(parent, 'Nested');
      const asset = new ecrAssets.DockerImageAsset(nested, 'AgentImage', { directory: agentFile, platform: ecrAssets.Platform.LINUX_ARM64 });
      const taskDefinition = new ecs.FargateTaskDefinition(nested, 'Task');
      const container = taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromDockerImageAsset(asset) });
      return [_builtOnAgent(container), _builtBaseUnknown(container)];
    };
    const { app } = fargateTask();
    // THEN each is found, built on the agent's image for arm64
    const found = `image built from ${join(agentFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2 (FROM \${TARGETARCH/arm64/$ARM64})`;
    expect([read(new Stack(app, 'Default')), read(new Stack(app, 'Legacy', { synthesizer: new LegacyStackSynthesizer() }))])
      .toEqual([[found, undefined], [found, undefined]]);
  });

  test('a DockerImageAsset\'s platform is read where its stack\'s synthesizer records it, the legacy one included; an app image so built is not warned about', () => {
    // GIVEN agents' images built for arm64 by DockerImageAssets, with the default and the legacy synthesizer, whose FROM line names the agent by TARGETARCH
    const agentFile = dockerfileIn('Dockerfile', 'ARG ARM64=mackerel/mackerel-container-agent:v0.13.2\nFROM ${TARGETARCH/arm64/$ARM64}\n');
    const byDefault = fargateTask();
    const legacy = fargateTask();
    const legacyStack = new Stack(legacy.app, 'Legacy', { synthesizer: new LegacyStackSynthesizer() });
    const legacyAsset = new ecrAssets.DockerImageAsset(legacyStack, 'AgentImage', { directory: agentFile, platform: ecrAssets.Platform.LINUX_ARM64 });
    for (const [{ stack, taskDefinition, apiKey }, asset] of [
      [byDefault, new ecrAssets.DockerImageAsset(byDefault.stack, 'AgentImage', { directory: agentFile, platform: ecrAssets.Platform.LINUX_ARM64 })],
      [legacy, legacyAsset],
    ] as const) {
      taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromDockerImageAsset(asset), essential: false });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    }
    // ... and app images built for a named platform, whose base image names its architecture, with environment files in S3
    const apps = taskWithEnvironmentFilesInS3();
    const appFile = dockerfileIn('Dockerfile', 'ARG BASE=app-${TARGETARCH}\nFROM ${BASE}\n');
    apps.add('web', ecs.ContainerImage.fromAsset(appFile, { platform: ecrAssets.Platform.LINUX_AMD64 }));
    apps.add('worker', ecs.ContainerImage.fromDockerImageAsset(new ecrAssets.DockerImageAsset(apps.stack, 'Worker', {
      directory: appFile, platform: ecrAssets.Platform.LINUX_ARM64,
    })));
    apps.add('host', ecs.ContainerImage.fromAsset(appFile));
    new MackerelContainerAgent(apps.stack, 'Agent', { taskDefinition: apps.taskDefinition, apiKey: apps.apiKey, roles: ['shop:web'] });
    // THEN both agents are found, built on the agent's image for arm64; of the apps, only the one built for the host's platform is warned about
    for (const { stack } of [byDefault, legacy]) {
      expect(() => Template.fromStack(stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" already runs the Mackerel container agent in Stack/Task/mackerel '
        + `(image built from ${join(agentFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2 (FROM \${TARGETARCH/arm64/$ARM64})), so each task would register two Mackerel hosts`);
    }
    expect(handAgentUnchecked(apps.stack)).toEqual([
      ['host', `its image is built from ${join(appFile, 'Dockerfile')}, which may build on the agent's image (it mentions Mackerel, or takes a base image from a build argument)`],
    ]);
  });

  test('an agent added by hand on another base, copying the agent from its image and running it, is found: from a stage built on it, or the image itself', () => {
    // GIVEN images on alpine that copy the agent's binary from a stage built on the agent's image, or from the image, and run it
    const byStage = fargateTask();
    const stageFile = dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\nFROM alpine:3.20\n'
      + 'COPY --link --from=Agent /usr/local/bin/mackerel-container-agent /usr/local/bin/\nENTRYPOINT ["/usr/local/bin/mackerel-container-agent"]\n');
    byStage.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(stageFile), essential: false });
    const byImage = fargateTask();
    const imageFile = dockerfileIn('Dockerfile', 'FROM alpine:3.20 AS base\nCOPY --from=public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/\n'
      + 'CMD exec mackerel-container-agent\nFROM base\n');
    byImage.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(imageFile), essential: false });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [byStage, byImage]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN each is a second agent, named by what it copies and what runs it
    expect(() => Template.fromStack(byStage.stack)).toThrow('[Stack/Agent] taskDefinition "Stack/Task" already runs the Mackerel container agent in Stack/Task/mackerel '
      + `(image built from ${join(stageFile, 'Dockerfile')} on alpine:3.20, copying the agent from the stage Agent built on mackerel/mackerel-container-agent:v0.13.2 `
      + '(COPY --link --from=Agent /usr/local/bin/mackerel-container-agent /usr/local/bin/) and running it (ENTRYPOINT ["/usr/local/bin/mackerel-container-agent"])), '
      + 'so each task would register two Mackerel hosts; expected one agent per task. Remove the agent container added by hand');
    expect(() => Template.fromStack(byImage.stack)).toThrow('already runs the Mackerel container agent in Stack/Task/mackerel '
      + `(image built from ${join(imageFile, 'Dockerfile')} on alpine:3.20, copying the agent from public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2 `
      + '(COPY --from=public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/) and running it (CMD exec mackerel-container-agent)), '
      + 'so each task would register two Mackerel hosts');
  });

  test('an image that only copies from the agent\'s image, or only names the agent\'s binary, or whose command the task replaces, is no agent', () => {
    // GIVEN app images (no environment files) with one of the two signs alone, or both where the command run is another
    const { stack, taskDefinition, apiKey } = fargateTask({ memoryLimitMiB: 2048, cpu: 1024 });
    const add = (id: string, text: string, options: Partial<ecs.ContainerDefinitionOptions> = {}) => taskDefinition.addContainer(id, {
      image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)), memoryLimitMiB: 128, essential: false, ...options,
    });
    const copy = 'FROM alpine:3.20\nCOPY --from=mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/\n';
    add('copyOnly', `${copy}ENTRYPOINT ["/app/server"]\n`);
    add('nameOnly', 'FROM alpine:3.20\nCOPY agent/mackerel-container-agent /usr/local/bin/\nENTRYPOINT ["mackerel-container-agent"]\n');
    add('replaced', `${copy}ENTRYPOINT ["mackerel-container-agent"]\n`, { entryPoint: ['/app/server'] });
    add('option', `${copy}CMD ["/app/server", "--plugins=/opt/mackerel-container-agent"]\n`);
    // an ENTRYPOINT drops the CMD of the stage built on; a COPY in a stage not built is none; a --from with a variable is not followed
    add('reset', `${copy.replace('alpine:3.20', 'alpine:3.20 AS base')}CMD ["mackerel-container-agent"]\nFROM base\nENTRYPOINT ["/app/server"]\n`);
    add('other', `${copy}CMD ["mackerel-container-agent"]\nFROM alpine:3.20\nCMD ["mackerel-container-agent"]\n`);
    add('variable', 'ARG AGENT=mackerel/mackerel-container-agent:v0.13.2\nFROM alpine:3.20\nCOPY --from=$AGENT / /\nCMD ["mackerel-container-agent"]\n');
    // (BuildKit refuses a variable there, "variable expansion is not supported for --from", also one a build argument sets: no image is built)
    taskDefinition.addContainer('stageArg', {
      image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'ARG STAGE\nFROM mackerel/mackerel-container-agent:v0.13.2 AS agent\n'
        + 'FROM alpine:3.20\nCOPY --from=${STAGE} / /\nCMD ["mackerel-container-agent"]\n'), { buildArgs: { STAGE: 'agent' } }),
      memoryLimitMiB: 128,
      essential: false,
    });
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN the agent is added, and none is warned about
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('handAgentUnchecked'))).toEqual([]);
  });

  test('an ENTRYPOINT in the shell form runs neither the CMD nor the task\'s command; one in the exec form runs them', () => {
    const runs = (command: string, options: Partial<ecs.ContainerDefinitionOptions> = {}) => {
      const { taskDefinition } = fargateTask();
      const text = `FROM alpine:3.20\nCOPY --from=mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/\n${command}\n`;
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)), ...options });
      return _builtOnAgent(container) !== undefined;
    };
    // GIVEN an app whose ENTRYPOINT is in the shell form (Docker runs /bin/sh -c with it, the CMD only its $0), with a CMD
    // or a task's command naming the agent; and the same ENTRYPOINT in the exec form, and one in the shell form running the agent
    expect([
      runs('ENTRYPOINT exec /app/server\nCMD ["mackerel-container-agent"]'),
      runs('ENTRYPOINT exec /app/server', { command: ['mackerel-container-agent'] }),
      runs('ENTRYPOINT ["/docker-entrypoint.sh"]\nCMD ["mackerel-container-agent"]'),
      runs('ENTRYPOINT ["/docker-entrypoint.sh"]', { command: ['mackerel-container-agent'] }),
      runs('ENTRYPOINT exec mackerel-container-agent'),
    ]).toEqual([false, false, true, true, true]);
  });

  test('an ENTRYPOINT in the exec form takes the CMD or the task\'s command as its arguments: one that only lists or hashes them runs no agent named there', () => {
    const read = (command: string, options: Partial<ecs.ContainerDefinitionOptions> = {}) => {
      const { taskDefinition } = fargateTask();
      const text = `FROM alpine:3.20\nCOPY --from=mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/\n${command}\n`;
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)), ...options });
      return _builtOnAgent(container)?.replace(/^.* and running it /, '');
    };
    // GIVEN entry points that only list or hash what follows them (Docker runs `ls -l /usr/local/bin/mackerel-container-agent`),
    // from the image or the task, with the binary named by the CMD or the task's command
    expect([
      read('ENTRYPOINT ["ls", "-l"]\nCMD ["/usr/local/bin/mackerel-container-agent"]'),
      read('ENTRYPOINT ["sha256sum"]', { command: ['mackerel-container-agent'] }),
      read('CMD ["/app/server"]', { entryPoint: ['ls'], command: ['/usr/local/bin/mackerel-container-agent'] }),
      read('ENTRYPOINT ["ls"]\nCMD mackerel-container-agent'),
    ]).toEqual([undefined, undefined, undefined, undefined]);
    // ... and entry points that run what follows them: the part naming the binary is said
    expect([
      read('ENTRYPOINT ["tini", "--"]\nCMD ["mackerel-container-agent"]'),
      read('ENTRYPOINT ["sh", "-c"]\nCMD ["exec mackerel-container-agent"]'),
      read('CMD ["/app/server"]', { entryPoint: ['/docker-entrypoint.sh'], command: ['mackerel-container-agent'] }),
      read('ENTRYPOINT ["/usr/local/bin/mackerel-container-agent"]\nCMD ["--log-level", "debug"]'),
      // the binary given --help: its main ignores its arguments and runs the agent
      read('ENTRYPOINT ["/usr/local/bin/mackerel-container-agent"]\nCMD ["--help"]'),
    ]).toEqual(['(CMD ["mackerel-container-agent"])', '(CMD ["exec mackerel-container-agent"])', '(its command)',
      '(ENTRYPOINT ["/usr/local/bin/mackerel-container-agent"])', '(ENTRYPOINT ["/usr/local/bin/mackerel-container-agent"])']);
  });

  test('a command that only prints or tests the agent binary\'s name does not run it; a script or a wrapper that runs it does', () => {
    const runs = (command: string) => {
      const { taskDefinition } = fargateTask();
      const text = `FROM alpine:3.20\nCOPY --from=mackerel/mackerel-container-agent:v0.13.2 /usr/local/bin/ /usr/local/bin/\n${command}\n`;
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
      return _builtOnAgent(container) !== undefined;
    };
    // GIVEN commands that print, look up or test the binary and run another program, in the exec and the shell form
    const printing = [
      'CMD ["sh", "-c", "echo mackerel-container-agent"]',
      'CMD ["echo", "/usr/local/bin/mackerel-container-agent"]',
      'CMD printf \'%s\\n\' mackerel-container-agent; exec /app/server',
      'CMD if [ -x /usr/local/bin/mackerel-container-agent ]; then echo ok; fi; exec /app/server',
      'CMD command -v mackerel-container-agent && exec /app/server',
      'ENTRYPOINT ["sh", "-c", "test -x /usr/local/bin/mackerel-container-agent || exit 1; exec /app/server"]',
      // standard utilities that list, read, hash, copy or change the file named, never running it
      'CMD ["ls", "/usr/local/bin/mackerel-container-agent"]',
      'CMD ["stat", "/usr/local/bin/mackerel-container-agent"]',
      'CMD ["file", "/usr/local/bin/mackerel-container-agent"]',
      'CMD ["sha256sum", "/usr/local/bin/mackerel-container-agent"]',
      'CMD ["which", "mackerel-container-agent"]',
      'CMD chmod +x /usr/local/bin/mackerel-container-agent && cp /usr/local/bin/mackerel-container-agent /tmp/ && exec /app/server',
      'ENTRYPOINT ["/bin/sh", "-c", "ls -l /usr/local/bin/mackerel-container-agent; /usr/bin/sha256sum /usr/local/bin/mackerel-container-agent; exec /app/server"]',
    ];
    // ... and commands that run it: by a script after other commands, a wrapper, an assignment before it
    const running = [
      'CMD ["sh", "-c", "echo starting; exec mackerel-container-agent"]',
      'ENTRYPOINT ["/sbin/tini", "--", "/usr/local/bin/mackerel-container-agent"]',
      'CMD MACKEREL_CONTAINER_PLATFORM=ecs exec mackerel-container-agent',
      'CMD test -x /usr/local/bin/mackerel-container-agent && mackerel-container-agent',
      // ... and by a shell after other commands, or by any other program, which may run it (an entrypoint script passing "$@")
      'CMD ["sh", "-c", "chmod +x /usr/local/bin/mackerel-container-agent && exec mackerel-container-agent"]',
      'CMD ["sh", "-c", "foo && mackerel-container-agent"]',
      'ENTRYPOINT ["/docker-entrypoint.sh", "mackerel-container-agent"]',
      'ENTRYPOINT ["gosu", "nobody", "/usr/local/bin/mackerel-container-agent"]',
    ];
    // THEN only the latter are the agent
    expect([printing.map(runs), running.map(runs)]).toEqual([printing.map(() => false), running.map(() => true)]);
  });

  test('a COPY --from in quotes, or with a backslash, names what BuildKit reads: quotes and the backslash go', () => {
    const read = (copy: string) => {
      const { taskDefinition } = fargateTask();
      const text = `FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\nFROM alpine:3.20\n${copy} /usr/local/bin/ /usr/local/bin/\nCMD ["mackerel-container-agent"]\n`;
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
      return _builtOnAgent(container)?.replace(/^.*, copying the agent from /, '').replace(/ \(COPY.*$/, '');
    };
    // GIVEN copies from the agent's stage or image with the --from value quoted, or a character of it escaped
    expect([
      read('COPY --from="agent"'),
      read("COPY --from='mackerel/mackerel-container-agent:v0.13.2'"),
      read('COPY --from=ag\\ent'),
    ]).toEqual([
      // THEN each is followed
      'the stage agent built on mackerel/mackerel-container-agent:v0.13.2',
      'mackerel/mackerel-container-agent:v0.13.2',
      'the stage agent built on mackerel/mackerel-container-agent:v0.13.2',
    ]);
  });

  test('a COPY --from names the last earlier stage of that name; one naming a stage written after it builds no image, as BuildKit refuses it', () => {
    const read = (text: string, target?: string) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', text);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory, { target }) });
      return _builtOnAgent(container)?.replace(`${join(directory, 'Dockerfile')} `, '');
    };
    const app = 'FROM alpine:3.20 AS app\nCOPY --from=agent /usr/local/bin/ /usr/local/bin/\nCMD ["mackerel-container-agent"]\n';
    // GIVEN the stage built (the target, or a stage the last builds on) copying from a stage on the agent's image written after it
    // (BuildKit: "cannot copy from stage "agent", it needs to be defined before current stage "app""), one copying from a stage
    // whose name a later stage on alpine takes again, and one copying from the agent's stage written before it
    const later = read(`${app}FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\n`, 'app');
    const base = read(`${app}FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\nFROM app\n`);
    const renamed = read(`FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\n${app}FROM alpine:3.20 AS agent\n`, 'app');
    const before = read(`FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\n${app}`);
    // THEN only the last copies the agent and runs it: the others build no image
    expect([later, base, renamed, before]).toEqual([
      undefined,
      undefined,
      undefined,
      'image built from on alpine:3.20, copying the agent from the stage agent built on mackerel/mackerel-container-agent:v0.13.2 '
        + '(COPY --from=agent /usr/local/bin/ /usr/local/bin/) and running it (CMD ["mackerel-container-agent"])',
    ]);
  });

  test('the agent copied through other stages is followed to where it lands, also renamed, and found run there; a cycle holds nothing', () => {
    const read = (text: string) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', text);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory) });
      return _builtOnAgent(container)?.replace(`${join(directory, 'Dockerfile')} `, '');
    };
    const agent = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS a\n';
    // GIVEN the agent's binary copied to /x by a stage on busybox, and from there to /usr/bin/agent by the stage built, which runs it
    const renamed = read(`${agent}FROM busybox AS mid\nCOPY --from=a /usr/local/bin/mackerel-container-agent /x\n`
      + 'FROM debian:12\nCOPY --from=mid /x /usr/bin/agent\nENTRYPOINT ["/usr/bin/agent"]\n');
    // ... the same run by its name from the PATH, through a directory and a glob, and through a stage built on the one copying it
    const onPath = read(`${agent}FROM busybox AS mid\nCOPY --from=a /usr/local/bin/mackerel-container-agent /x\n`
      + 'FROM debian:12\nCOPY --from=mid /x /usr/local/bin/agent\nCMD ["sh", "-c", "exec agent"]\n');
    const globbed = read(`${agent}FROM busybox AS mid\nCOPY --from=a /usr/local/bin/mackerel-* /opt/bin/\nFROM mid AS next\n`
      + 'FROM debian:12\nCOPY --from=next /opt /srv\nCMD ["/srv/bin/mackerel-container-agent"]\n');
    // ... and where the command runs another path, and where two stages copy from each other (BuildKit refuses it)
    const other = read(`${agent}FROM busybox AS mid\nCOPY --from=a /usr/local/bin/mackerel-container-agent /x\n`
      + 'FROM debian:12\nCOPY --from=mid /x /usr/bin/agent\nENTRYPOINT ["/usr/bin/other"]\n');
    const cycle = read('FROM busybox AS p\nCOPY --from=q /x /x\nFROM busybox AS q\nCOPY --from=p /x /x\nFROM debian:12\nCOPY --from=q /x /x\nCMD ["/x"]\n');
    // THEN the first three are the agent, said through which stages; the others are not
    expect([renamed, onPath, globbed, other, cycle]).toEqual([
      'image built from on debian:12, copying the agent from the stage mid, which copies it from the stage a built on mackerel/mackerel-container-agent:v0.13.2 '
        + '(COPY --from=mid /x /usr/bin/agent) and running it (ENTRYPOINT ["/usr/bin/agent"])',
      'image built from on debian:12, copying the agent from the stage mid, which copies it from the stage a built on mackerel/mackerel-container-agent:v0.13.2 '
        + '(COPY --from=mid /x /usr/local/bin/agent) and running it (CMD ["sh", "-c", "exec agent"])',
      'image built from on debian:12, copying the agent from the stage next, which copies it from the stage a built on mackerel/mackerel-container-agent:v0.13.2 '
        + '(COPY --from=next /opt /srv) and running it (CMD ["/srv/bin/mackerel-container-agent"])',
      undefined,
      undefined,
    ]);
  });

  test('a custom PATH set by ENV in the stage built, or a stage it is built on, is searched for the binary run by its bare name, as Docker sets it', () => {
    const read = (text: string, buildArgs?: { [name: string]: string }) => {
      const { taskDefinition } = fargateTask();
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text), { buildArgs }) });
      return _builtOnAgent(container) !== undefined;
    };
    const agent = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS a\n';
    const copy = 'COPY --from=a /usr/local/bin/mackerel-container-agent /opt/agent/bin/agent\n';
    // GIVEN the binary copied as /opt/agent/bin/agent and run as `agent`, with /opt/agent/bin put on the PATH by ENV in either form,
    // from an earlier ENV, from a stage ARG's default, in the base stage, or set after the copy
    expect([
      read(`${agent}FROM debian:12\n${copy}ENV PATH=/opt/agent/bin:$PATH\nCMD ["agent"]\n`),
      read(`${agent}FROM debian:12\n${copy}ENV PATH /opt/agent/bin:\${PATH}\nCMD ["sh", "-c", "exec agent"]\n`),
      read(`${agent}FROM debian:12\nENV AGENT_HOME=/opt/agent\n${copy}ENV PATH="$AGENT_HOME/bin:$PATH"\nCMD ["agent"]\n`),
      read(`${agent}FROM debian:12\nARG AGENT_HOME=/opt/agent\n${copy}ENV PATH=$AGENT_HOME/bin:$PATH\nCMD ["agent"]\n`),
      read(`${agent}FROM debian:12 AS base\nENV PATH=/opt/agent/bin:$PATH\nFROM base\n${copy}CMD ["agent"]\n`),
    ]).toEqual([true, true, true, true, true]);
    // ... and where the PATH does not hold it: not set, set to another directory, a stage ARG's default replaced by a
    // build argument, or a value known only when Docker builds (a variable of the base image): no agent run
    expect([
      read(`${agent}FROM debian:12\n${copy}CMD ["agent"]\n`),
      read(`${agent}FROM debian:12\n${copy}ENV PATH=/opt/other/bin:$PATH\nCMD ["agent"]\n`),
      read(`${agent}FROM debian:12\nARG AGENT_HOME=/opt/agent\n${copy}ENV PATH=$AGENT_HOME/bin:$PATH\nCMD ["agent"]\n`, { AGENT_HOME: '/srv' }),
      read(`${agent}FROM debian:12\n${copy}ENV PATH=$HOME/bin:$PATH\nCMD ["agent"]\n`),
    ]).toEqual([false, false, false, false]);
  });

  test('shell text is read as a POSIX shell splits it: a redirection glued to the binary still runs it, as a --version run does; a comment, a for list or a quoted ; do not', () => {
    const runs = (cmd: string) => {
      const { taskDefinition } = fargateTask();
      const text = `FROM mackerel/mackerel-container-agent:v0.13.2 AS a\nFROM alpine:3.20\nCOPY --from=a /usr/local/bin/ /usr/local/bin/\n${cmd}\n`;
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
      return _builtOnAgent(container) !== undefined;
    };
    // GIVEN scripts running the binary with a redirection written with no space
    expect([
      runs('CMD mackerel-container-agent>/dev/null'),
      runs('CMD mackerel-container-agent 2>&1>/tmp/log'),
      runs('CMD ["sh", "-c", "echo start; mackerel-container-agent>>/tmp/log 2>&1"]'),
      runs('CMD ["sh", "-c", "mackerel-container-agent --version && exec mackerel-container-agent"]'),
      // the binary given --version or -version: its main ignores its arguments, so the agent runs (and never returns)
      runs('CMD echo $(mackerel-container-agent --version); exec app'),
      runs('CMD ["sh", "-c", "mackerel-container-agent -version && exec app"]'),
    ]).toEqual([true, true, true, true, true, true]);
    // ... and scripts only mentioning it: in a comment, a for list, a quoted ;, an argument of echo
    expect([
      runs('CMD ["sh", "-c", "exec app # not mackerel-container-agent"]'),
      runs('CMD ["sh", "-c", "for x in mackerel-container-agent; do echo $x; done"]'),
      runs('CMD echo "a; mackerel-container-agent"'),
    ]).toEqual([false, false, false]);
    // ... and command substitutions nested deeper than the call stack holds: read without overflowing it or reading on without end
    expect(runs(`CMD echo ${'$('.repeat(50_000)}mackerel-container-agent`)).toBe(false);
    expect(runs(`CMD app ${'$('.repeat(50_000)}mackerel-container-agent`)).toBe(false);
  }, 20_000);

  test('a file copied to a directory the stage surely has, named without a trailing /, lands inside it as Docker copies it', () => {
    const read = (text: string) => {
      const { taskDefinition } = fargateTask();
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
      return _builtOnAgent(container) !== undefined;
    };
    const agent = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS a\nFROM busybox AS mid\nCOPY --from=a /usr/local/bin/mackerel-container-agent /stage/agent\n';
    // GIVEN the binary, renamed by another stage, copied to a standard directory or one made by WORKDIR, and run from there
    expect([
      read(`${agent}FROM debian:12\nCOPY --from=mid /stage/agent /usr/local/bin\nCMD ["agent"]\n`),
      read(`${agent}FROM debian:12\nWORKDIR /opt/x\nCOPY --from=mid /stage/agent /opt/x\nCMD ["/opt/x/agent"]\n`),
    ]).toEqual([true, true]);
    // ... and copied to a path no directory is known at (Docker writes the file there), or to scratch, which has no /usr/local/bin
    expect([
      read(`${agent}FROM debian:12\nCOPY --from=mid /stage/agent /opt/y\nCMD ["/opt/y/agent"]\n`),
      read(`${agent}FROM scratch\nCOPY --from=mid /stage/agent /usr/local/bin\nCMD ["/usr/local/bin/agent"]\n`),
    ]).toEqual([false, false]);
  });

  test('an ONBUILD COPY of the agent runs in the stages built on its stage, as BuildKit runs the triggers (0.17 and later), not in its own', () => {
    const read = (text: string) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', text);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory) });
      return _builtOnAgent(container)?.replace(`${join(directory, 'Dockerfile')} `, '');
    };
    const base = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\nFROM alpine:3.20 AS base\n'
      + 'ONBUILD COPY --from=agent /usr/local/bin/mackerel-container-agent /usr/local/bin/agent\n';
    // GIVEN a stage whose trigger copies the agent's binary (renamed), run by the stage built on it, or by one a stage further
    const child = read(`${base}FROM base\nCMD ["agent"]\n`);
    const grandchild = read(`${base}FROM base AS mid\nFROM mid\nCMD ["agent"]\n`);
    // ... and the stage of the trigger itself built and running the binary (a trigger runs only in a stage built on its own)
    const own = read(`${base}CMD ["mackerel-container-agent"]\n`);
    // THEN the first two run the agent; the last does not
    const found = 'image built from on alpine:3.20, copying the agent from the stage agent built on mackerel/mackerel-container-agent:v0.13.2 '
      + '(ONBUILD COPY --from=agent /usr/local/bin/mackerel-container-agent /usr/local/bin/agent) and running it (CMD ["agent"])';
    expect([child, grandchild, own]).toEqual([found, found, undefined]);
  });

  test('a COPY glob\'s bracket expression is read as Go\'s filepath.Match reads it: only ^ negates, and a class Go refuses matches nothing', () => {
    const read = (source: string) => {
      const { taskDefinition } = fargateTask();
      const text = `FROM mackerel/mackerel-container-agent:v0.13.2 AS a\nFROM debian:12\nCOPY --from=a ${source} /usr/bin/srv\nCMD ["/usr/bin/srv"]\n`;
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
      return _builtOnAgent(container) !== undefined;
    };
    // GIVEN the agent's binary renamed by a glob source with a bracket expression: `[!x]` is the class of `!` and `x` in Go
    // (no negation), and Go refuses a class opening with `]` or `-`, or ending with `-` (ErrBadPattern: BuildKit copies nothing)
    const bin = '/usr/local/bin/';
    expect([
      read(`${bin}[!x]ackerel-container-agent`),
      read(`${bin}[]m]ackerel-container-agent`),
      read(`${bin}[-m]ackerel-container-agent`),
      read(`${bin}[m-]ackerel-container-agent`),
      read(`${bin}[a-z-]ackerel-container-agent`),
    ]).toEqual([false, false, false, false, false]);
    // ... and classes Go matches `m` with: `[!m]` holds it, `[^x]` negates, a range, an escaped character
    expect([
      read(`${bin}[!m]ackerel-container-agent`),
      read(`${bin}[^x]ackerel-container-agent`),
      read(`${bin}[a-z]ackerel-container-agent`),
      read(`${bin}[\\m]ackerel-container-agent`),
    ]).toEqual([true, true, true, true]);
  });

  test('the agent copied to a very deep or a very long path is followed without hanging: a name longer than a file system takes is no place', () => {
    const read = (text: string) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', text);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory) });
      return _builtOnAgent(container)?.replace(`${join(directory, 'Dockerfile')} `, '');
    };
    const agent = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS a\nFROM busybox AS mid\n';
    // A long word written over continued lines, as Docker refuses a line of 64 KiB or more
    const wrapped = (word: string) => word.match(/.{1,50000}/g)!.join('\\\n');
    // GIVEN the agent's files copied 100,000 directories deep, then a directory holding none of them copied and run
    const deep = read(`${agent}COPY --from=a / /${wrapped('d/'.repeat(100_000))}\nFROM debian:12\nCOPY --from=mid /other /x\nCMD ["/x"]\n`);
    // ... the agent's binary copied to a name of 200,000 characters (Linux takes 255 bytes), then globbed for by a long pattern and run
    const long = read(`${agent}COPY --from=a /usr/local/bin/mackerel-container-agent /${wrapped('a'.repeat(200_000))}\n`
      + `FROM debian:12\nCOPY --from=mid /*${wrapped('a'.repeat(100_000))} /x\nCMD ["/x"]\n`);
    // ... and the same renamed to a name of 255 bytes (85 three-byte characters), which Linux takes
    const longest = read(`${agent}COPY --from=a /usr/local/bin/mackerel-container-agent /${'あ'.repeat(85)}\n`
      + 'FROM debian:12\nCOPY --from=mid /*あ /x\nCMD ["/x"]\n');
    // THEN the first two run no agent (Docker cannot make the second: "file name too long"); the last does
    expect([deep, long, longest]).toEqual([undefined, undefined, 'image built from on debian:12, copying the agent from the stage mid, which copies it '
      + 'from the stage a built on mackerel/mackerel-container-agent:v0.13.2 (COPY --from=mid /*あ /x) and running it (CMD ["/x"])']);
    // The test's time limit catches the reading quadratic in the depth or in the name's length (minutes here before).
  }, 20_000);

  test('the agent copied through a long chain of stages is followed without overflowing the stack', () => {
    // GIVEN 5,000 stages, each copying /x from the one before, the first from the agent's stage
    const { taskDefinition } = fargateTask();
    const text = 'FROM mackerel/mackerel-container-agent:v0.13.2 AS s0\n'
      + Array.from({ length: 5000 }, (_, i) => `FROM busybox AS s${i + 1}\nCOPY --from=s${i} ${i === 0 ? '/usr/local/bin/mackerel-container-agent' : '/x'} /x\n`).join('')
      + 'FROM debian:12\nCOPY --from=s5000 /x /usr/bin/agent\nCMD ["/usr/bin/agent"]\n';
    const directory = dockerfileIn('Dockerfile', text);
    const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory) });
    // THEN it is found, the message naming the first and the last stage only
    expect(_builtOnAgent(container)?.replace(`${join(directory, 'Dockerfile')} `, '')).toBe('image built from on debian:12, copying the agent from the stage s5000, which copies it through 4999 other stages from '
      + 'the stage s0 built on mackerel/mackerel-container-agent:v0.13.2 (COPY --from=s5000 /x /usr/bin/agent) and running it (CMD ["/usr/bin/agent"])');
  }, 20_000);

  test('copying and running the agent is read in linear time over a long chain of stages', () => {
    // GIVEN 5,000 stages, each built on the one before and copying from an earlier stage that is no agent's
    const { taskDefinition } = fargateTask();
    const text = 'FROM alpine:3.20 AS s0\n' + Array.from({ length: 5000 }, (_, i) => `FROM s${i} AS s${i + 1}\nCOPY --from=s${Math.floor(i / 2)} /a /a\n`).join('')
      + 'COPY --from=mackerel/mackerel-container-agent:v0.13.2 / /\nCMD ["mackerel-container-agent"]\n';
    const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
    // THEN it is found
    expect(_builtOnAgent(container)).toMatch(/on alpine:3\.20, copying the agent from mackerel\/mackerel-container-agent:v0\.13\.2 .* and running it \(CMD \["mackerel-container-agent"\]\)$/);
  }, 20_000);

  test('the escape parser directive is read as Docker reads it: a backtick continues a line, a backslash does not; only at the top', () => {
    // GIVEN an app image whose FROM line continues a RUN by a backtick, an agent's image whose WORKDIR ends with a backslash,
    // and an image whose directive comes after a comment, so is none
    const app = fargateTask();
    app.taskDefinition.addContainer('script', {
      image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', '# escape=`\nFROM node:22\nRUN echo `\nFROM mackerel/mackerel-container-agent:v0.13.2\n')),
      essential: false,
    });
    const windows = fargateTask();
    const agent = dockerfileIn('Dockerfile', '#ESCAPE = ` \r\n# syntax=docker/dockerfile:1\nFROM node:22\nWORKDIR C:\\\nFROM mackerel/mackerel-container-agent:v0.13.2\n');
    windows.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(agent), essential: false });
    const late = fargateTask();
    const comment = dockerfileIn('Dockerfile', '# a comment\n# escape=`\nFROM node:22\nRUN echo `\nFROM mackerel/mackerel-container-agent:v0.13.2\n');
    late.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(comment), essential: false });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [app, windows, late]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN the app image is no agent: the agent is added; the others are agents
    Template.fromStack(app.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
    expect(() => Template.fromStack(windows.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(agent, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
    expect(() => Template.fromStack(late.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(comment, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
  });

  test('a FROM line of other than one word, or three with AS and a valid stage name, is refused as BuildKit refuses it: no image is built, no agent', () => {
    const read = (text: string) => {
      const { taskDefinition } = fargateTask();
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
      return [_builtOnAgent(container), _builtBaseUnknown(container)];
    };
    // GIVEN FROM lines BuildKit refuses ("FROM requires either one or three arguments", "invalid name for build stage"),
    // on the agent's image or copying the agent and running it
    const copy = 'COPY --from=mackerel/mackerel-container-agent:v0.13.2 / /\nCMD ["mackerel-container-agent"]\n';
    const refused = [
      'FROM mackerel/mackerel-container-agent:v0.13.2 agent\n',
      'FROM mackerel/mackerel-container-agent:v0.13.2 AS agent # the agent\n',
      'FROM mackerel/mackerel-container-agent:v0.13.2 AS\n',
      'FROM mackerel/mackerel-container-agent:v0.13.2 AS 1agent\n',
      `FROM alpine:3.20 AS app extra\n${copy}`,
      `FROM mackerel/mackerel-container-agent:v0.13.2\nFROM\n${copy}`,
    ];
    // THEN none is an agent, nor unknown (Docker builds no image from it)
    expect(refused.map(read)).toEqual(refused.map(() => [undefined, undefined]));
    // ... while the forms BuildKit takes still are
    expect(read('FROM --platform=linux/amd64 mackerel/mackerel-container-agent:v0.13.2 as Agent.v1\nFROM agent.v1\n')[0]).toMatch(/ on mackerel\/mackerel-container-agent:v0\.13\.2$/);
  });

  test('a syntax directive or BUILDKIT_SYNTAX naming a frontend other than Docker\'s own is warned about: the file may not be a Dockerfile as Docker reads one', () => {
    const read = (text: string, buildArgs?: { [name: string]: string }) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', text);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory, { buildArgs }) });
      return [_builtOnAgent(container)?.replace(`${join(directory, 'Dockerfile')} `, ''), _builtBaseUnknown(container)?.replace(`${join(directory, 'Dockerfile')}`, 'F')];
    };
    // GIVEN images on the agent's image or on alpine, under Docker's own frontend (any tag, labs, upstream, a digest, docker.io, the
    // directive after a shebang, BUILDKIT_SYNTAX naming it), and under other frontends (by a # or // directive, or BUILDKIT_SYNTAX)
    const agent = 'FROM mackerel/mackerel-container-agent:v0.13.2\n';
    const own = [
      `# syntax=docker/dockerfile:1\n${agent}`,
      `#syntax = docker/dockerfile:1.7-labs\n${agent}`,
      `# syntax=docker.io/docker/dockerfile-upstream:master@sha256:${'a'.repeat(64)}\n${agent}`,
      `#!/usr/bin/env docker-build\n# syntax=docker/dockerfile\n${agent}`,
    ];
    expect([...own.map((text) => read(text)), read(`# syntax=example.com/frontend:1\n${agent}`, { BUILDKIT_SYNTAX: 'docker/dockerfile:1.9' })])
      .toEqual([...own, ''].map(() => ['image built from on mackerel/mackerel-container-agent:v0.13.2', undefined]));
    const why = (frontend: string, by: string) => [undefined, `its image is built from F, whose ${by} names the frontend ${frontend}, not Docker's own `
      + 'Dockerfile frontend (docker/dockerfile), which may read it otherwise than Docker reads a Dockerfile'];
    expect([
      read(`# syntax=example.com/frontend:1 --flag\n${agent}`),
      read('# syntax=devthefuture/dockerfile-x\nFROM alpine:3.20\n'),
      read('//syntax=example.com/frontend:1\nFROM alpine:3.20\n'),
      read('FROM alpine:3.20\n', { BUILDKIT_SYNTAX: 'example.com/frontend:2 opt' }),
      // a directive after an instruction, or after a blank line, is a comment: Docker's own frontend reads the file
      read('FROM alpine:3.20\n# syntax=example.com/frontend:1\n'),
    ]).toEqual([
      why('example.com/frontend:1', 'syntax directive'),
      why('devthefuture/dockerfile-x', 'syntax directive'),
      why('example.com/frontend:1', 'syntax directive'),
      why('example.com/frontend:2', 'build argument BUILDKIT_SYNTAX (buildArgs of ContainerImage.fromAsset of Stack/Task/built)'),
      [undefined, undefined],
    ]);
    // ... and next to the construct, such an app container is warned about
    const { stack, taskDefinition, apiKey } = fargateTask({ memoryLimitMiB: 1024 });
    const directory = dockerfileIn('Dockerfile', '# syntax=example.com/frontend:1\nFROM alpine:3.20\n');
    taskDefinition.addContainer('custom', { image: ecs.ContainerImage.fromAsset(directory), memoryLimitMiB: 128, essential: false });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('handAgentUnchecked')).map((w) => w.entry.data)).toEqual([
      'The container Stack/Task/custom may run the Mackerel container agent, which cannot be told at synth: its image is built from '
      + `${join(directory, 'Dockerfile')}, whose syntax directive names the frontend example.com/frontend:1, not Docker's own Dockerfile frontend `
      + '(docker/dockerfile), which may read it otherwise than Docker reads a Dockerfile, so it may be built on the agent\'s image and set '
      + 'MACKEREL_CONTAINER_PLATFORM itself. If it runs the agent, each task registers two Mackerel hosts, both billed. Set '
      + 'MACKEREL_CONTAINER_PLATFORM in its environment, or build it with Docker\'s own Dockerfile frontend, so that an agent added by hand is found, '
      + 'or acknowledge this warning if it does not run the agent [ack: cdk-mackerel:handAgentUnchecked]',
    ]);
  });

  test('FROM is read as Docker reads it: lower case, --platform before the image, a stage named scratch; a target that is a token is refused', () => {
    // GIVEN an agent's image written in lower case with a platform, one built on a stage named scratch, and an app built on scratch itself
    const lower = fargateTask();
    const lowerFile = dockerfileIn('Dockerfile', 'from --platform=linux/arm64 mackerel/mackerel-container-agent:v0.13.2 as agent\nfrom agent\n');
    lower.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(lowerFile), essential: false });
    const named = fargateTask();
    const namedFile = dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2 AS scratch\nFROM scratch\n');
    named.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(namedFile), essential: false });
    const scratch = fargateTask();
    scratch.taskDefinition.addContainer('static', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'FROM scratch\nCOPY app /app\n')), essential: false });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [lower, named, scratch]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN the agent's are found (Docker builds on a stage named scratch, not on no image); the app built on scratch is none, nor warned about
    expect(() => Template.fromStack(lower.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(lowerFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
    expect(() => Template.fromStack(named.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(namedFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
    Template.fromStack(scratch.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
    expect(Annotations.fromStack(scratch.stack).findWarning('*', Match.stringLikeRegexp('handAgentUnchecked'))).toEqual([]);
    // and aws-cdk-lib refuses a target (or a build argument) that is a token when the container is added, before any check reads it
    const token = fargateTask();
    expect(() => token.taskDefinition.addContainer('plugin', {
      image: ecs.ContainerImage.fromAsset(namedFile, { target: Lazy.string({ produce: () => 'scratch' }) }),
    })).toThrow("Cannot use Token as value of 'target'");
  });

  test('continued lines are joined as Docker joins them: nothing between the parts, and a line continued at the end of the file is read', () => {
    // GIVEN an agent's image whose FROM line is broken inside the image's name, one whose last FROM is continued at the end of the file,
    // and an app image whose name only starts like the agent's before its line is continued
    const broken = fargateTask();
    const brokenFile = dockerfileIn('Dockerfile', 'FROM node:22\nFROM mackerel/\\\nmackerel-container-agent:v0.13.2\n');
    broken.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(brokenFile), essential: false });
    const last = fargateTask();
    const lastFile = dockerfileIn('Dockerfile', 'FROM node:22\nFROM mackerel/mackerel-container-agent:v0.13.2 \\');
    last.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(lastFile), essential: false });
    const fork = fargateTask();
    fork.taskDefinition.addContainer('fork', {
      image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent\\\n-fork:1\n')), essential: false,
    });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [broken, last, fork]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN the agent's images are found; the fork is no agent: the agent is added
    expect(() => Template.fromStack(broken.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(brokenFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
    expect(() => Template.fromStack(last.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(lastFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
    Template.fromStack(fork.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
  });

  test('the stage built is found as Docker finds it: the last stage of the target\'s name; a FROM names a stage only in lower case', () => {
    // GIVEN an app whose target names two stages, the agent's first; an image whose FROM names the agent's stage in upper case
    // (Docker takes it for an image, which it refuses: no image is built); and an agent's image whose stage is named in upper case
    const app = fargateTask();
    app.taskDefinition.addContainer('web', {
      image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2 AS app\nFROM node:22 AS app\n'),
        { target: 'App' }),
      essential: false,
    });
    const upper = fargateTask();
    upper.taskDefinition.addContainer('upper', {
      image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2 AS agent\nFROM Agent\n')), essential: false,
    });
    const named = fargateTask();
    const namedFile = dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2 AS Agent\nFROM agent\n');
    named.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(namedFile), essential: false });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [app, upper, named]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN the first two are no agent: the agent is added; the last is
    for (const { stack } of [app, upper]) {
      Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
      });
    }
    expect(() => Template.fromStack(named.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(namedFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
  });

  test('parser directives, heredocs and $ are read as Docker reads them: an unknown directive ends the directives, a heredoc is named by any word', () => {
    // GIVEN an agent's image whose escape directive follows a directive Docker does not know (so is a comment), and one whose
    // tag ends with $$ (a shell's special parameter, empty); and an app image writing a Dockerfile in a heredoc whose name has hyphens
    const late = fargateTask();
    const lateFile = dockerfileIn('Dockerfile', '# foo=bar\n# escape=`\nFROM node:22\nRUN echo `\nFROM mackerel/mackerel-container-agent:v0.13.2\n');
    late.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(lateFile), essential: false });
    const dollars = fargateTask();
    const dollarsFile = dockerfileIn('Dockerfile', 'FROM mackerel/mackerel-container-agent:v0.13.2$$\n');
    dollars.taskDefinition.addContainer('mackerel', { image: ecs.ContainerImage.fromAsset(dollarsFile), essential: false });
    const heredoc = fargateTask();
    heredoc.taskDefinition.addContainer('builder', {
      image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile',
        'FROM node:22\nCOPY <<END-OF-DOCKERFILE /build/Dockerfile\nFROM mackerel/mackerel-container-agent:v0.13.2\nEND-OF-DOCKERFILE\n')),
      essential: false,
    });
    // WHEN
    for (const { stack, taskDefinition, apiKey } of [late, dollars, heredoc]) new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN
    expect(() => Template.fromStack(late.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(lateFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2)`);
    expect(() => Template.fromStack(dollars.stack)).toThrow('already runs the Mackerel container agent in '
      + `Stack/Task/mackerel (image built from ${join(dollarsFile, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2 (FROM mackerel/mackerel-container-agent:v0.13.2$$))`);
    Template.fromStack(heredoc.stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({ Name: 'mackerel-container-agent' })]),
    });
  });

  test('a line of blanks other than spaces and tabs is skipped as Docker skips it, also inside a continued instruction, not read as an empty instruction', () => {
    // GIVEN images whose stage holds a line of a no-break space, or of a form feed (Go's unicode.IsSpace, which Docker trims),
    // one copying the agent and running it, one whose FROM line is continued over such a line
    const read = (text: string) => {
      const { taskDefinition } = fargateTask();
      const directory = dockerfileIn('Dockerfile', text);
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(directory) });
      return [_builtOnAgent(container)?.replace(`${join(directory, 'Dockerfile')} `, ''), _builtBaseUnknown(container)];
    };
    const copy = 'FROM alpine:3.20\nCOPY --from=mackerel/mackerel-container-agent:v0.13.2 / /\n';
    // THEN each is read as Docker reads it: no exception at synth
    expect([
      read(`${copy}\u00a0\nCMD ["mackerel-container-agent"]\n`),
      read(`${copy}\f\u3000\nCMD ["mackerel-container-agent"]\n`),
      read('FROM mackerel/\\\n\u00a0\nmackerel-container-agent:v0.13.2\n'),
    ]).toEqual([
      ['image built from on alpine:3.20, copying the agent from mackerel/mackerel-container-agent:v0.13.2 (COPY --from=mackerel/mackerel-container-agent:v0.13.2 / /) '
        + 'and running it (CMD ["mackerel-container-agent"])', undefined],
      ['image built from on alpine:3.20, copying the agent from mackerel/mackerel-container-agent:v0.13.2 (COPY --from=mackerel/mackerel-container-agent:v0.13.2 / /) '
        + 'and running it (CMD ["mackerel-container-agent"])', undefined],
      ['image built from on mackerel/mackerel-container-agent:v0.13.2', undefined],
    ]);
  });

  test('a pathological Dockerfile is read without hanging, and a deeply nested substitution is warned about rather than overflowing the stack', () => {
    const timed = (text: string) => {
      const { taskDefinition } = fargateTask();
      const container = taskDefinition.addContainer('built', { image: ecs.ContainerImage.fromAsset(dockerfileIn('Dockerfile', text)) });
      return { result: [_builtOnAgent(container) !== undefined, _builtBaseUnknown(container)?.replace(/^.*, whose base image \(FROM .*\) comes from /s, '')] };
    };
    // GIVEN a chain of 10,000 stages, 50,000 heredocs, 30,000 heredocs with no end, a directive line of 60,000 blanks, a substitution nested 20,000 deep
    const chain = timed('FROM mackerel/mackerel-container-agent:v0.13.2 AS s0\n' + Array.from({ length: 10000 }, (_, i) => `FROM s${i} AS s${i + 1}\n`).join(''));
    const heredocs = timed('FROM node:22\n' + 'RUN <<EOF\necho hi\nEOF\n'.repeat(50000));
    const unterminated = timed('FROM node:22\n' + 'RUN <<EOF\necho hi\n'.repeat(30000));
    const directive = timed(`#syntax=docker/dockerfile:1${' '.repeat(60000)}y\nFROM node:22\n`);
    const nested = timed(`ARG A\nFROM ${'${A:-'.repeat(20000)}node:22${'}'.repeat(20000)}\n`);
    // THEN each is read at once, and as Docker reads it
    expect([chain, heredocs, unterminated, directive].map(({ result }) => result))
      .toEqual([[true, undefined], [false, undefined], [false, undefined], [false, undefined]]);
    expect(nested.result).toEqual([false, 'a substitution nested more than 100 deep, which cdk-mackerel does not follow, known only when Docker builds it']);
    // Speed is the bench's to measure: the test's own time limit only catches the quadratic reading (98 s here before) and the stack overflow.
  }, 20_000);

  test('an image that only starts like the agent\'s is not taken for an agent', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    taskDefinition.addContainer('init', { image: ecs.ContainerImage.fromRegistry('example/mackerel-container-agent-config:1'), essential: false });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('all problems are reported together', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('helper', { image: APP_IMAGE, essential: false, memoryLimitMiB: 500 });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ignoreContainer: '.' });
    expect(() => Template.fromStack(stack)).toThrow(/no essential container[\s\S]*matches every container[\s\S]*does not fit in the task/);
  });
});

/** A directory holding one Dockerfile of the app, for an image built from it. */
function dockerfileIn(name: string, text: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'cdk-mackerel-'));
  writeFileSync(join(directory, name), text);
  return directory;
}

/** A task whose containers, added by `add`, have their environment files in S3: only their images can show they run no agent. */
function taskWithEnvironmentFilesInS3() {
  const fixture = fargateTask({ memoryLimitMiB: 4096, cpu: 2048 });
  const bucket = s3.Bucket.fromBucketName(fixture.stack, 'Config', 'config-bucket');
  const add = (id: string, image: ecs.ContainerImage) => fixture.taskDefinition.addContainer(id, {
    image, memoryLimitMiB: 128, essential: false, environmentFiles: [ecs.EnvironmentFile.fromBucket(bucket, `${id}.env`)],
  });
  return { ...fixture, add };
}

/** The containers of Stack/Task the agent warns may run another agent unseen, each with why. */
function handAgentUnchecked(stack: Stack): Array<string[] | undefined> {
  return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('handAgentUnchecked'))
    .map((w) => /^The container Stack\/Task\/(\w+) may run the Mackerel container agent, which cannot be told at synth: (.*), and its environment files/.exec(String(w.entry.data))?.slice(1));
}
