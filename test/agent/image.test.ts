import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { APP_IMAGE, agentStack, containerNamed, fargateTask } from './_fixture';
import { MackerelAgentImage, MackerelContainerAgent } from '../../src/agent';
import { MackerelApiKey } from '../../src/api-key';

describe('MackerelAgentImage', () => {
  test('the default is the pinned v0.13.2 on ECR Public', () => {
    expect(MackerelAgentImage.DEFAULT.imageName).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2');
    expect(MackerelAgentImage.DEFAULT_PLUGINS.imageName).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2-plugins');
  });

  test('a release and its plugins variant by version', () => {
    expect(MackerelAgentImage.of('v0.12.0').imageName).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.12.0');
    expect(MackerelAgentImage.ofPlugins('v0.12.0').imageName).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.12.0-plugins');
    expect(MackerelAgentImage.ofPlugins('v0.12.0')._version()).toEqual([0, 12, 0]);
  });

  test('rejects a version that is not a release tag', () => {
    expect(() => MackerelAgentImage.of('0.13.2')).toThrow(/version "0.13.2" is not a release tag; expected vX.Y.Z/);
  });

  test('rejects latest given as a version', () => {
    expect(() => MackerelAgentImage.ofPlugins('latest')).toThrow(/version "latest" is not a release tag/);
  });

  test.each([
    ['mackerel/mackerel-container-agent:latest', 'moving tag "latest"'],
    ['mackerel/mackerel-container-agent:plugins', 'moving tag "plugins"'],
    ['localhost:5000/mackerel-container-agent', 'has no tag'],
  ])('%s is not pinned: %s', (name, why) => {
    expect(MackerelAgentImage.fromRegistry(name)._floatingTag()).toContain(why);
  });

  test.each([
    'localhost:5000/mackerel-container-agent:v0.13.2',
    'mackerel/mackerel-container-agent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'my-agent:2026-11-01',
  ])('%s is pinned', (name) => {
    expect(MackerelAgentImage.fromRegistry(name)._floatingTag()).toBeUndefined();
  });

  test('an untagged image is warned about on the agent', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.fromRegistry('mackerel/mackerel-container-agent'),
    });
    Annotations.fromStack(stack).hasWarning(`/${agent.node.path}`, Match.stringLikeRegexp('has no tag'));
  });

  test('a mirror in private ECR: the image from the repository at the pinned tag, and the pull granted to the execution role', () => {
    const { stack, apiKey } = agentStack();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror/mackerel-container-agent');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.fromEcrRepository(repository) });

    expect(containerNamed(taskDefinition, 'mackerel-container-agent').Image).toEqual(stack.resolve(repository.repositoryUriForTag('v0.13.2')));
    const pull = Template.fromStack(stack).findResources('AWS::IAM::Policy', {
      Properties: { Roles: [stack.resolve(taskDefinition.executionRole!.roleName)] },
    });
    // actions sorted: their order depends on @aws-cdk/aws-iam:minimizePolicies
    const statements = Object.values(pull).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .map((st: any) => ({ ...st, Action: [st.Action].flat().sort() }));
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: stack.resolve(repository.repositoryArn) }),
      expect.objectContaining({ Action: ['ecr:GetAuthorizationToken'], Resource: '*' }),
    ]));
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('ecrImageRequiresPolicy|not pinned|moving tag'));
  });

  test('a mirror in private ECR is read like any image: its tag gives the version, latest is warned about by repository name', () => {
    const { stack } = agentStack();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror');
    expect(MackerelAgentImage.fromEcrRepository(repository, 'v0.10.1-plugins')._version()).toEqual([0, 10, 1]);
    expect(MackerelAgentImage.fromEcrRepository(repository, 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')._floatingTag()).toBeUndefined();
    const latest = MackerelAgentImage.fromEcrRepository(repository, 'latest');
    expect(latest._floatingTag()).toContain('moving tag "latest"');
    expect(latest._describe()).toBe('the ECR repository mirror at latest');
  });
});

describe('an image of Mackerel\'s internet registries outside the aws partition', () => {
  const partitionWarnings = (region: string | undefined, image: (stack: Stack) => MackerelAgentImage | undefined) => {
    const app = new App();
    const stack = new Stack(app, 'Stack', region ? { env: { account: '123456789012', region } } : {});
    const apiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey'));
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image: image(stack) });
    return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('agentImagePartition')).map((w) => w.entry.data as string);
  };

  test.each([['cn-north-1', 'aws-cn'], ['us-gov-west-1', 'aws-us-gov'], ['us-iso-east-1', 'aws-iso']])('is warned about in %s (%s)', (region, partition) => {
    expect(partitionWarnings(region, () => undefined)).toEqual([
      `The agent image public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2 is pulled from ECR Public, on the internet, but the stack is in ${region} `
      + `of the ${partition} partition, which reaches it only across the internet if at all (not from the isolated partitions, unreliably from China): `
      + 'a task that cannot pull the agent does not start, app included. Copy the image (same tag) into a private ECR repository in the region and pass '
      + 'MackerelAgentImage.fromEcrRepository(repository, tag) [ack: cdk-mackerel:agentImagePartition]',
    ]);
  });

  test('names the registry of Docker Hub and GHCR images too, by tag or digest', () => {
    expect(partitionWarnings('cn-north-1', () => MackerelAgentImage.fromRegistry('mackerel/mackerel-container-agent:v0.13.2-plugins'))[0])
      .toContain('is pulled from Docker Hub');
    expect(partitionWarnings('cn-north-1', () => MackerelAgentImage.fromRegistry(`ghcr.io/mackerelio/mackerel-container-agent@sha256:${'a'.repeat(64)}`))[0])
      .toContain('is pulled from GHCR');
  });

  test('is not warned about in the aws partition, an unknown region, or for a mirror or an image of your own', () => {
    expect(partitionWarnings('ap-northeast-1', () => undefined)).toEqual([]);
    expect(partitionWarnings(undefined, () => undefined)).toEqual([]);
    expect(partitionWarnings('cn-north-1', (stack) => MackerelAgentImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Mirror', 'mirror')))).toEqual([]);
    expect(partitionWarnings('cn-north-1', () => MackerelAgentImage.fromRegistry('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/mackerel-container-agent:v0.13.2')))
      .toEqual([]);
  });
});

describe('an image of an agent release older than the library relies on', () => {
  const oldWarnings = (image: MackerelAgentImage) => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image });
    return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('agentImageOld')).map((w) => w.entry.data as string);
  };

  test('v0.5.3 from ECR Public: exits on tasks with health checks', () => {
    expect(oldWarnings(MackerelAgentImage.of('v0.5.3'))).toEqual([
      'The agent image public.ecr.aws/mackerel/mackerel-container-agent:v0.5.3 is older than the library relies on: agents before v0.6.0 exit on a task '
      + 'any of whose containers has a health check (agent PR #136), so one added later, by an escape hatch or another app, leaves the tasks unmonitored. '
      + 'Use MackerelAgentImage.DEFAULT (v0.13.2) or another recent release [ack: cdk-mackerel:agentImageOld]',
    ]);
  });

  test('v0.0.5 from ECR Public: each thing it lacks is listed', () => {
    const [warning] = oldWarnings(MackerelAgentImage.ofPlugins('v0.0.5'));
    expect(warning).toContain('MACKEREL_CONTAINER_PLATFORM=ecs, which the library writes, covers Fargate and awsvpc tasks only from v0.1.0; '
      + 'images before v0.5.1 are amd64 only, so ARM64 tasks cannot run it; '
      + 'Mackerel publishes on ECR Public from v0.5.1, so the tag is likely missing there and the pull fails; agents before v0.6.0 exit');
  });

  test('a GHCR tag before v0.11.3, when Mackerel began publishing there', () => {
    expect(oldWarnings(MackerelAgentImage.fromRegistry('ghcr.io/mackerelio/mackerel-container-agent:v0.11.2'))).toEqual([
      'The agent image ghcr.io/mackerelio/mackerel-container-agent:v0.11.2 is older than the library relies on: Mackerel publishes on GHCR from v0.11.3, '
      + 'so the tag is likely missing there and the pull fails. Use MackerelAgentImage.DEFAULT (v0.13.2) or another recent release [ack: cdk-mackerel:agentImageOld]',
    ]);
  });

  test.each([
    ['v0.6.0 on ECR Public', MackerelAgentImage.of('v0.6.0')],
    ['v0.11.2 on Docker Hub', MackerelAgentImage.fromRegistry('mackerel/mackerel-container-agent:v0.11.2')],
    ['v0.11.3 on GHCR', MackerelAgentImage.fromRegistry('ghcr.io/mackerelio/mackerel-container-agent:v0.11.3-plugins')],
    ['v1.0.0', MackerelAgentImage.of('v1.0.0')],
    ['a tag that names no release', MackerelAgentImage.fromRegistry('my-agent:2019-01-01')],
    ['the default', MackerelAgentImage.DEFAULT],
  ])('%s is not warned about', (_name, image) => {
    expect(oldWarnings(image)).toEqual([]);
  });
});
