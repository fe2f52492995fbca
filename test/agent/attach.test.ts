import { Annotations as CdkAnnotations, CfnParameter, Duration, Fn, NestedStack, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, test } from 'vitest';
import { APP_IMAGE, agentStack, containerDefinitions, containerNamed, environmentOf, fargateTask } from './_fixture';
import {
  MackerelAgentConfigLocation, MackerelAgentDependency, MackerelAgentImage, MackerelAgentLogLevel, MackerelAgentOptions, MackerelContainerAgent,
  MackerelHostIdStore, MackerelHostStatus,
} from '../../src/agent';
import { MackerelApiKey } from '../../src/api-key';
import { MackerelProvider } from '../../src/provider';
import { MackerelService } from '../../src/service';

const AGENT = 'mackerel-container-agent';

describe('the agent container with default options', () => {
  test('follows Mackerel\'s recipe: pinned ECR Public image, 128 MiB hard limit, no CPU, not essential, a writable root', () => {
    // GIVEN
    const { stack, taskDefinition, apiKey } = fargateTask();
    // WHEN
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    // THEN
    const rendered = containerNamed(taskDefinition, AGENT);
    expect(rendered.Image).toBe('public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2');
    expect(rendered.Memory).toBe(128);
    expect(rendered.Cpu).toBeUndefined();
    expect(rendered.MemoryReservation).toBeUndefined();
    expect(rendered.Essential).toBe(false);
    expect(rendered.StopTimeout).toBe(100);
    // readonlyRootFilesystem false: not written (ECS's default), and no volume for the host ID
    expect(rendered.ReadonlyRootFilesystem).toBeUndefined();
    expect(rendered.MountPoints).toBeUndefined();
    // the image runs as root, which plugin `user:` (sudo) needs: no user is set
    expect(rendered.User).toBeUndefined();
    expect(agent.container.containerName).toBe(AGENT);
  });

  test('sets the ecs platform and ignores its own container, anchored', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const env = environmentOf(containerNamed(taskDefinition, AGENT));
    expect(env).toEqual({
      MACKEREL_CONTAINER_PLATFORM: 'ecs',
      MACKEREL_ROLES: 'shop:web',
      MACKEREL_IGNORE_CONTAINER: '\\Amackerel-container-agent\\z',
    });
  });

  test('passes the API key only as the ECS secret MACKEREL_APIKEY', () => {
    const { stack, taskDefinition, apiKey, secret } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey });
    const rendered = containerNamed(taskDefinition, AGENT);
    expect(rendered.Secrets).toEqual([{ Name: 'MACKEREL_APIKEY', ValueFrom: stack.resolve(secret.secretArn) }]);
    const env = environmentOf(rendered);
    for (const name of ['MACKEREL_APIKEY', 'GODEBUG', 'AWS_EXECUTION_ENV', 'ECS_CONTAINER_METADATA_URI']) {
      expect(env).not.toHaveProperty(name);
    }
  });

  test('never writes MACKEREL_ROLES when there are no roles, and warns', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: [] });
    expect(environmentOf(containerNamed(taskDefinition, AGENT))).not.toHaveProperty('MACKEREL_ROLES');
    Annotations.fromStack(stack).hasWarning(`/${agent.node.path}`, Match.stringLikeRegexp('has no roles'));
  });

  test('adds an info that each task is billed as one micro host', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    Annotations.fromStack(stack).hasInfo(`/${agent.node.path}`, Match.stringLikeRegexp('one micro host'));
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('writes the billing info once and without a stack trace (one per task, so it must stay cheap)', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const infos = agent.node.metadata.filter((entry) => entry.type === 'aws:cdk:info');
    expect(infos).toHaveLength(1);
    expect(infos[0].data).toMatch(/one micro host/);
    expect(infos[0].trace).toBeUndefined();
  });

  test('the billing info has an id, which cdk synth prints to acknowledge it with, and acknowledging it removes it', () => {
    // Without an id cdk synth prints "Acknowledge with 'Annotation::info-annotation'", which silences nothing.
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    Annotations.fromStack(stack).hasInfo(`/${agent.node.path}`, Match.stringLikeRegexp('one micro host \\[ack: cdk-mackerel:agentHostBilled\\]$'));
    // acknowledged after the agent is added
    CdkAnnotations.of(stack).acknowledgeInfo('cdk-mackerel:agentHostBilled');
    Annotations.fromStack(stack).hasNoInfo('*', Match.stringLikeRegexp('micro host'));
    // and before: the info is not added at all
    const before = fargateTask();
    CdkAnnotations.of(before.stack).acknowledgeInfo('cdk-mackerel:agentHostBilled');
    new MackerelContainerAgent(before.stack, 'Agent', { taskDefinition: before.taskDefinition, apiKey: before.apiKey, roles: ['shop:web'] });
    Annotations.fromStack(before.stack).hasNoInfo('*', Match.stringLikeRegexp('micro host'));
  });

  test('logs through awslogs into one log group shared by the stack, prefixed by the family', () => {
    // GIVEN two instrumented task definitions
    const { stack, taskDefinition, apiKey } = fargateTask();
    const other = new ecs.FargateTaskDefinition(stack, 'Other', { memoryLimitMiB: 512, cpu: 256 });
    other.addContainer('app', { image: APP_IMAGE });
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    new MackerelContainerAgent(stack, 'OtherAgent', { taskDefinition: other, apiKey, roles: ['shop:web'] });
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    const group = stack.node.findChild('MackerelContainerAgentLogs') as logs.LogGroup;
    expect(containerNamed(taskDefinition, AGENT).LogConfiguration).toEqual({
      LogDriver: 'awslogs',
      Options: {
        'awslogs-group': stack.resolve(group.logGroupName),
        'awslogs-stream-prefix': stack.resolve(taskDefinition.family),
        'awslogs-region': 'ap-northeast-1',
      },
    });
  });
});

describe('options', () => {
  test('ignoreContainer "" turns the filter off: no MACKEREL_IGNORE_CONTAINER (the agent reads empty as unset), and no every-container error', () => {
    // GIVEN
    const { stack, taskDefinition, apiKey } = fargateTask();
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ignoreContainer: '' });
    // THEN
    expect(() => Template.fromStack(stack)).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({
        Name: AGENT,
        Environment: Match.not(Match.arrayWith([Match.objectLike({ Name: 'MACKEREL_IGNORE_CONTAINER' })])),
      })]),
    });
  });

  test('each typed option fills its environment variable', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition,
      apiKey,
      roles: ['shop:web', 'shop:batch'],
      hostStatusOnStart: MackerelHostStatus.STANDBY,
      displayName: 'web task',
      memo: 'managed by cdk',
      ignoreContainer: '\\A(mackerel-container-agent|log-router)\\z',
      hostIdStore: MackerelHostIdStore.MEMORY,
      logLevel: MackerelAgentLogLevel.WARNING,
      apiBase: 'https://api.mackerelio.com/',
      httpProxy: 'http://proxy.internal:3128',
      httpsProxy: 'http://proxy.internal:3128',
      noProxy: ['169.254.170.2', '.internal'],
    });
    expect(environmentOf(containerNamed(taskDefinition, AGENT))).toEqual({
      MACKEREL_CONTAINER_PLATFORM: 'ecs',
      MACKEREL_ROLES: 'shop:web,shop:batch',
      MACKEREL_HOST_STATUS_ON_START: 'standby',
      MACKEREL_DISPLAY_NAME: 'web task',
      MACKEREL_MEMO: 'managed by cdk',
      MACKEREL_IGNORE_CONTAINER: '\\A(mackerel-container-agent|log-router)\\z',
      MACKEREL_HOST_ID_STORE: 'memory',
      MACKEREL_LOG_LEVEL: 'WARNING',
      MACKEREL_APIBASE: 'https://api.mackerelio.com/',
      HTTP_PROXY: 'http://proxy.internal:3128',
      HTTPS_PROXY: 'http://proxy.internal:3128',
      NO_PROXY: '169.254.169.254,169.254.170.2,.internal',
    });
  });

  test('with an HTTP proxy, the task credentials and instance metadata endpoints bypass it', () => {
    const env = (options: Partial<MackerelAgentOptions>) => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], ...options });
      return environmentOf(containerNamed(taskDefinition, AGENT));
    };
    expect(env({ httpProxy: 'http://proxy.internal:3128' }).NO_PROXY).toBe('169.254.170.2,169.254.169.254');
    expect(env({ httpProxy: 'http://proxy.internal:3128', noProxy: ['.internal'] }).NO_PROXY).toBe('169.254.170.2,169.254.169.254,.internal');
    // HTTPS_PROXY alone leaves the plain-HTTP endpoints direct already, and nothing is written
    expect(env({ httpsProxy: 'http://proxy.internal:3128' }).NO_PROXY).toBeUndefined();
    expect(env({ httpsProxy: 'http://proxy.internal:3128', noProxy: ['.internal'] }).NO_PROXY).toBe('.internal');
  });

  test('roles and noProxy may be list tokens (a CommaDelimitedList parameter): joined at deploy time, checked then', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const roles = new CfnParameter(stack, 'Roles', { type: 'CommaDelimitedList' }).valueAsList;
    const noProxy = Fn.split(',', new CfnParameter(stack, 'NoProxy').valueAsString);
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles, httpProxy: 'http://proxy.internal:3128', noProxy });
    expect(environmentOf(containerNamed(taskDefinition, AGENT))).toMatchObject({
      MACKEREL_ROLES: { 'Fn::Join': [',', { Ref: 'Roles' }] },
      NO_PROXY: { 'Fn::Join': ['', ['169.254.170.2,169.254.169.254,', { 'Fn::Join': [',', { 'Fn::Split': [',', { Ref: 'NoProxy' }] }] }]] },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('no roles'));
  });

  test('roles known only at deploy time are warned about: an empty value would make the agent exit', () => {
    const warned = (roles: (stack: Stack, apiKey: MackerelApiKey) => string[]) => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: roles(stack, apiKey) });
      return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('agentRolesUnchecked')).map((w) => w.entry.data);
    };
    // a list token, as a CommaDelimitedList parameter whose default is empty gives, is guarded by a rule
    expect(warned((stack) => new CfnParameter(stack, 'Roles', { type: 'CommaDelimitedList', default: '' }).valueAsList)).toEqual([
      'The agent\'s roles come from parameter Roles, known only at deploy time, so they are not checked at synth. A CloudFormation rule '
      + 'refuses to deploy the stack when it is empty or has an empty entry, as Mackerel would refuse the empty role and the agent exit; '
      + 'a value that is not a service:role full name still makes the agent exit at start, leaving the tasks unmonitored [ack: cdk-mackerel:agentRolesUnchecked]',
    ]);
    // a list no rule can check (an import split at deploy time)
    expect(warned(() => Fn.split(',', Fn.importValue('Roles')))).toEqual([
      'The agent\'s roles are only known at deploy time (a parameter, an import or Fn.split), so they are not checked at synth. '
      + 'If they deploy empty (an empty CommaDelimitedList parameter, say), MACKEREL_ROLES is written as "", Mackerel refuses the empty role and '
      + 'the agent exits at start, leaving the tasks unmonitored; so does a value that is not a service:role full name. '
      + 'Make sure the value always holds at least one service:role [ack: cdk-mackerel:agentRolesUnchecked]',
    ]);
    // one role from a parameter
    expect(warned((stack) => ['shop:web', new CfnParameter(stack, 'Role').valueAsString])).toHaveLength(1);
    // literal roles are checked at synth instead
    expect(warned(() => ['shop:web'])).toEqual([]);
    // a role this app creates is a Ref, but its name is known (and checked where it is made)
    const shop = (stack: Stack, apiKey: MackerelApiKey, name = 'shop') => {
      new MackerelProvider(stack, 'Mackerel', { apiKey });
      return new MackerelService(stack, 'Shop', { name });
    };
    expect(warned((stack, key) => [shop(stack, key).addRole('web').fullName])).toEqual([]);
    // ... and so is a full name built of the service's Ref: known at synth, and a valid one
    expect(warned((stack, key) => [`${shop(stack, key).name}:db`])).toEqual([]);
    // ... unlike one whose service is named by a parameter, or a value built around the Ref that is no full name, or another Ref
    expect(warned((stack, key) => [shop(stack, key, new CfnParameter(stack, 'Service').valueAsString).addRole('web').fullName])).toHaveLength(1);
    expect(warned((stack, key) => [`${shop(stack, key).addRole('web').fullName}:x`])).toHaveLength(1);
    expect(warned((stack, key) => [shop(stack, key).name])).toHaveLength(1);
  });

  test('roles from a parameter get a CloudFormation rule refusing a deploy that would write an empty role into MACKEREL_ROLES', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const roles = new CfnParameter(stack, 'Roles', { type: 'CommaDelimitedList', default: '' }).valueAsList;
    const role = new CfnParameter(stack, 'Role').valueAsString;
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles });
    // a second agent of the same parameter adds no second rule
    const other = new ecs.FargateTaskDefinition(stack, 'Other', { memoryLimitMiB: 512, cpu: 256 });
    other.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'OtherAgent', { taskDefinition: other, apiKey, roles });
    const third = new ecs.FargateTaskDefinition(stack, 'Third', { memoryLimitMiB: 512, cpu: 256 });
    third.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'ThirdAgent', { taskDefinition: third, apiKey, roles: ['shop:web', role] });
    const { CheckBootstrapVersion: _bootstrap, ...rules } = Template.fromStack(stack).toJSON().Rules;
    expect(rules).toEqual({
      MackerelAgentRolesRoles: {
        Assertions: [{
          Assert: { 'Fn::Not': [{ 'Fn::Contains': [{ Ref: 'Roles' }, ''] }] },
          AssertDescription: 'Parameter Roles gives the Mackerel container agent its roles (MACKEREL_ROLES), so it must hold service:role full names '
            + 'separated by commas, with no empty entry: the agent exits on an empty role and its tasks run unmonitored',
        }],
      },
      MackerelAgentRolesRole: {
        Assertions: [{
          Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Role' }, ''] }] },
          AssertDescription: 'Parameter Role gives the Mackerel container agent its roles (MACKEREL_ROLES), so it must hold a service:role full name: '
            + 'the agent exits on an empty role and its tasks run unmonitored',
        }],
      },
    });
  });

  test('roles from a parameter of a nested stack add no rule to the agent\'s stack, which a rule could only read through an output', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    // the nested stack's parameter, of the same name as a parameter of the parent it is passed
    const nested = new NestedStack(stack, 'Nested');
    const nestedRoles = new CfnParameter(nested, 'Roles', { type: 'CommaDelimitedList' });
    new CfnParameter(stack, 'Roles', { type: 'CommaDelimitedList' });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: nestedRoles.valueAsList });
    const rules = Template.fromStack(stack).toJSON().Rules;
    expect(Object.keys(rules)).toEqual(['CheckBootstrapVersion']);
  });

  test('roles no rule can check add no rule: an import, a role built around a parameter, a parameter of another type', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const number = new CfnParameter(stack, 'Number', { type: 'Number' }).valueAsString;
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: [Fn.importValue('Role'), `shop:${new CfnParameter(stack, 'Role').valueAsString}`, number],
    });
    expect(Object.keys(Template.fromStack(stack).toJSON().Rules)).toEqual(['CheckBootstrapVersion']);
  });

  test('an apiBase over plain HTTP is warned about, as it carries the API key in cleartext; loopback is not', () => {
    const warned = (apiBase: string) => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], apiBase });
      return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('cleartext')).map((w) => w.entry.data);
    };
    expect(warned('http://mackerel.example.com/')).toEqual([
      'apiBase "http://mackerel.example.com/" sends the Mackerel API key, which can write, in cleartext over HTTP to mackerel.example.com. '
      + 'Use an https URL [ack: cdk-mackerel:apiBaseCleartext]',
    ]);
    // a user and password in the URL are not shown
    expect(warned('http://proxyuser:s3cret@mackerel.example.com/')).toEqual([
      'apiBase "http://****@mackerel.example.com/" sends the Mackerel API key, which can write, in cleartext over HTTP to mackerel.example.com. '
      + 'Use an https URL [ack: cdk-mackerel:apiBaseCleartext]',
    ]);
    expect(warned('https://api.mackerelio.com/')).toEqual([]);
    expect(warned('http://localhost:8080/')).toEqual([]);
    expect(warned('http://127.0.0.1:8080/')).toEqual([]);
  });

  test('sizing, essential, stop timeout and name are overridable; the default ignore follows the name', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition,
      apiKey,
      roles: ['shop:web'],
      containerName: 'mackerel',
      memoryLimitMiB: 256,
      cpu: 64,
      essential: true,
      stopTimeout: Duration.seconds(120),
    });
    const rendered = containerNamed(taskDefinition, 'mackerel');
    expect(rendered).toMatchObject({ Memory: 256, Cpu: 64, Essential: true, StopTimeout: 120 });
    expect(environmentOf(rendered).MACKEREL_IGNORE_CONTAINER).toBe('\\Amackerel\\z');
  });

  test('an essential agent added before the app does not become the default container (the load balancer target)', () => {
    // GIVEN a task definition that has no container yet
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    // WHEN an essential agent is added first
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], essential: true });
    expect(taskDefinition.defaultContainer).toBeUndefined();
    const app = taskDefinition.addContainer('app', { image: APP_IMAGE, portMappings: [{ containerPort: 80 }] });
    // THEN the app is
    expect(taskDefinition.defaultContainer).toBe(app);
  });

  test('a stop timeout shorter than 30 s is warned about', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], stopTimeout: Duration.seconds(10) });
    expect(containerNamed(taskDefinition, AGENT).StopTimeout).toBe(10);
    Annotations.fromStack(stack).hasWarning(`/${agent.node.path}`, Match.stringLikeRegexp('stopTimeout of 10 seconds may end it before it retires its host'));
  });

  test('a log driver given in logging replaces the default log group', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition,
      apiKey,
      roles: ['shop:web'],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'agent', logGroup: new logs.LogGroup(stack, 'Mine') }),
    });
    expect(stack.node.tryFindChild('MackerelContainerAgentLogs')).toBeUndefined();
    expect(containerNamed(taskDefinition, AGENT).LogConfiguration.Options['awslogs-stream-prefix']).toBe('agent');
  });

  test('any image can be used', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.fromRegistry('ghcr.io/mackerelio/mackerel-container-agent:v0.13.2-plugins'),
    });
    expect(containerNamed(taskDefinition, AGENT).Image).toBe('ghcr.io/mackerelio/mackerel-container-agent:v0.13.2-plugins');
  });

  test('a floating image tag is warned about', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.fromRegistry('mackerel/mackerel-container-agent:latest'),
    });
    Annotations.fromStack(stack).hasWarning(`/${agent.node.path}`, Match.stringLikeRegexp('moving tag "latest".*Pin a version'));
  });
});

describe('app containers waiting for the agent', () => {
  test('by default, every essential container waits for the agent to start, including ones added later', () => {
    // GIVEN
    const { stack, taskDefinition, apiKey } = fargateTask();
    // WHEN the agent is added before a second app container and a non-essential helper
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    taskDefinition.addContainer('worker', { image: APP_IMAGE, memoryLimitMiB: 64 });
    taskDefinition.addContainer('helper', { image: APP_IMAGE, essential: false, memoryLimitMiB: 32 });
    // THEN
    const wait = [{ ContainerName: AGENT, Condition: 'START' }];
    expect(containerNamed(taskDefinition, 'app').DependsOn).toEqual(wait);
    expect(containerNamed(taskDefinition, 'worker').DependsOn).toEqual(wait);
    expect(containerNamed(taskDefinition, 'helper').DependsOn).toBeUndefined();
    expect(containerNamed(taskDefinition, AGENT).DependsOn).toBeUndefined();
  });

  test('adds each dependency once: not again when resolved again, nor where the app container already waits for the agent', () => {
    const { stack, taskDefinition, appContainer, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const worker = taskDefinition.addContainer('worker', { image: APP_IMAGE, memoryLimitMiB: 64 });
    worker.addContainerDependencies({ container: agent.container, condition: ecs.ContainerDependencyCondition.START });
    // each resolution renders the containers again (Template.fromStack would reuse one synthesis)
    const cfn = taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
    const renderedApp = () => stack.resolve(cfn.containerDefinitions).find((c: { name: string }) => c.name === 'app');
    renderedApp();
    renderedApp();
    expect(appContainer.containerDependencies).toHaveLength(1);
    expect(renderedApp().dependsOn).toEqual([{ containerName: AGENT, condition: 'START' }]);
    expect(worker.containerDependencies).toHaveLength(1);
  });

  test('leaves out log routers and containers the agent waits for', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const router = taskDefinition.addFirelensLogRouter('router', {
      image: APP_IMAGE, firelensConfig: { type: ecs.FirelensLogRouterType.FLUENTBIT }, memoryReservationMiB: 50,
    });
    const init = taskDefinition.addContainer('init', { image: APP_IMAGE, memoryLimitMiB: 32 });
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    agent.container.addContainerDependencies({ container: init, condition: ecs.ContainerDependencyCondition.START });
    expect(containerNamed(taskDefinition, router.containerName).DependsOn).toBeUndefined();
    expect(containerNamed(taskDefinition, 'init').DependsOn).toBeUndefined();
    expect(containerNamed(taskDefinition, 'app').DependsOn).toEqual([{ ContainerName: AGENT, Condition: 'START' }]);
  });

  test('an App Mesh proxy does not wait for the agent; the agent waits for it, so ECS stops the proxy after the agent', () => {
    // GIVEN a task whose egress goes through Envoy, added before and after the agent
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', {
      memoryLimitMiB: 512,
      cpu: 256,
      proxyConfiguration: new ecs.AppMeshProxyConfiguration({
        containerName: 'envoy',
        properties: { ignoredUID: 1337, proxyIngressPort: 15000, proxyEgressPort: 15001, appPorts: [8080], egressIgnoredIPs: ['169.254.170.2'] },
      }),
    });
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const envoy = taskDefinition.addContainer('envoy', { image: APP_IMAGE, user: '1337' });
    taskDefinition.addContainer('app', { image: APP_IMAGE }).addContainerDependencies({ container: envoy, condition: ecs.ContainerDependencyCondition.START });
    // THEN
    expect(containerNamed(taskDefinition, 'envoy').DependsOn).toBeUndefined();
    expect(containerNamed(taskDefinition, AGENT).DependsOn).toEqual([{ ContainerName: 'envoy', Condition: 'START' }]);
    expect(containerNamed(taskDefinition, 'app').DependsOn).toEqual([{ ContainerName: 'envoy', Condition: 'START' }, { ContainerName: AGENT, Condition: 'START' }]);
  });

  test('with NONE, no container waits for the agent', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], appContainerDependency: MackerelAgentDependency.NONE,
    });
    for (const container of containerDefinitions(taskDefinition)) {
      expect(container.DependsOn).toBeUndefined();
    }
  });
});

describe('read-only root file system', () => {
  test('keeps the host ID file on a task volume at the agent\'s root', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], readonlyRootFilesystem: true });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{ Name: 'mackerel-container-agent-host-id' }],
    });
    const rendered = containerNamed(taskDefinition, AGENT);
    expect(rendered.ReadonlyRootFilesystem).toBe(true);
    expect(rendered.MountPoints).toEqual([
      { SourceVolume: 'mackerel-container-agent-host-id', ContainerPath: '/var/tmp/mackerel-container-agent', ReadOnly: false },
    ]);
  });

  test('with the file store chosen explicitly, also uses the volume', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], readonlyRootFilesystem: true, hostIdStore: MackerelHostIdStore.FILE,
    });
    expect(containerNamed(taskDefinition, AGENT).MountPoints).toEqual([
      { SourceVolume: 'mackerel-container-agent-host-id', ContainerPath: '/var/tmp/mackerel-container-agent', ReadOnly: false },
    ]);
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_HOST_ID_STORE).toBe('file');
  });

  test('a container name too long for the volumes named after it is refused: ECS takes volume names of at most 255 characters', () => {
    const long = 'a'.repeat(250);
    const { stack, taskDefinition, apiKey } = fargateTask();
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], readonlyRootFilesystem: true, containerName: long }))
      .toThrow(`Stack/Agent: containerName "${long}" is too long to name the agent's volume "${long}-host-id" (258 characters) with readonlyRootFilesystem; `
        + 'expected at most 247 characters, as a volume name is at most 255');
    // the plugin work volume has a longer suffix
    const plugins = fargateTask();
    const withConfig: MackerelAgentOptions = {
      apiKey: plugins.apiKey,
      roles: ['shop:web'],
      readonlyRootFilesystem: true,
      containerName: 'b'.repeat(245),
      hostIdStore: MackerelHostIdStore.MEMORY,
      config: { location: MackerelAgentConfigLocation.fromUrl('https://example.com/agent.yml') },
    };
    expect(() => new MackerelContainerAgent(plugins.stack, 'Agent', { ...withConfig, taskDefinition: plugins.taskDefinition })).toThrow(/containerName "b+" is too long to name the agent's volume "b+-plugin-work" \(257 characters\).*expected at most 243 characters/);
    // without a volume, the name is only ECS's container name limit
    const memory = fargateTask();
    expect(() => new MackerelContainerAgent(memory.stack, 'Agent', {
      ...withConfig, apiKey: memory.apiKey, config: undefined, containerName: long, taskDefinition: memory.taskDefinition,
    })).not.toThrow();
  });

  test('with the memory store, needs no volume', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', {
      taskDefinition, apiKey, roles: ['shop:web'], readonlyRootFilesystem: true, hostIdStore: MackerelHostIdStore.MEMORY,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', { Volumes: Match.absent() });
    expect(environmentOf(containerNamed(taskDefinition, AGENT)).MACKEREL_HOST_ID_STORE).toBe('memory');
  });
});

describe('task definitions of every kind', () => {
  const kinds: Array<[string, (stack: Stack) => ecs.TaskDefinition]> = [
    ['EC2 bridge', (s) => new ecs.Ec2TaskDefinition(s, 'Task', { networkMode: ecs.NetworkMode.BRIDGE })],
    ['EC2 host', (s) => new ecs.Ec2TaskDefinition(s, 'Task', { networkMode: ecs.NetworkMode.HOST })],
    ['EC2 awsvpc', (s) => new ecs.Ec2TaskDefinition(s, 'Task', { networkMode: ecs.NetworkMode.AWS_VPC })],
    ['External', (s) => new ecs.ExternalTaskDefinition(s, 'Task')],
    ['Managed Instances', (s) => new ecs.TaskDefinition(s, 'Task', {
      compatibility: ecs.Compatibility.MANAGED_INSTANCES, networkMode: ecs.NetworkMode.AWS_VPC, cpu: '1024', memoryMiB: '2048',
    })],
    ['Fargate ARM64', (s) => new ecs.FargateTaskDefinition(s, 'Task', {
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    })],
  ];
  test.each(kinds)('%s gets the agent with the ecs platform', (_kind, make) => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = make(stack);
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const rendered = containerNamed(taskDefinition, AGENT);
    expect(environmentOf(rendered).MACKEREL_CONTAINER_PLATFORM).toBe('ecs');
    expect(rendered.Secrets[0].Name).toBe('MACKEREL_APIKEY');
    expect(containerNamed(taskDefinition, 'app').DependsOn).toEqual([{ ContainerName: AGENT, Condition: 'START' }]);
  });

  test('Managed Instances with an agent before v0.13.0 is rejected: it would exit with "unknown execution env"', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.TaskDefinition(stack, 'Task', {
      compatibility: ecs.Compatibility.EC2_AND_MANAGED_INSTANCES, networkMode: ecs.NetworkMode.AWS_VPC, cpu: '1024', memoryMiB: '2048',
    });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.of('v0.12.1') }))
      .toThrow(/^Stack\/Agent: image "public\.ecr\.aws\/mackerel\/mackerel-container-agent:v0\.12\.1" cannot run on ECS Managed Instances.*expected an image of v0\.13\.0 or later/);
  });

  test('Managed Instances among three launch types with an agent before v0.13.0 is rejected too', () => {
    // aws-cdk-lib's isManagedInstancesCompatible is false for this compatibility.
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.TaskDefinition(stack, 'Task', {
      compatibility: ecs.Compatibility.FARGATE_AND_EC2_AND_MANAGED_INSTANCES, networkMode: ecs.NetworkMode.AWS_VPC, cpu: '1024', memoryMiB: '2048',
    });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.of('v0.12.1') }))
      .toThrow(/^Stack\/Agent: image "public\.ecr\.aws\/mackerel\/mackerel-container-agent:v0\.12\.1" cannot run on ECS Managed Instances/);
  });

  test('an older agent stays allowed where Managed Instances is not a launch type', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Task');
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], image: MackerelAgentImage.of('v0.12.1') })).not.toThrow();
  });
});
