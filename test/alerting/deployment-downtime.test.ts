import { App, CfnCondition, CfnParameter, CfnWaitConditionHandle, Duration, Fn, NestedStack, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { describe, expect, test } from 'vitest';
import {
  DeploymentDowntime, HostMetricMonitor, MackerelApiKey, MackerelProvider, MackerelService, MonitorOperator, MonitorScope,
} from '../../src';

const TYPE = 'Custom::MackerelDeploymentDowntime';

/** A stack with a provider, the service `shop` with role `web`, and (unless `image` is null) a Fargate service running it. */
function shopStack(image: string | null = 'public.ecr.aws/nginx/nginx:1.27') {
  const app = new App();
  const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'ap-northeast-1' } });
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
  const shop = new MackerelService(stack, 'Service', { name: 'shop' });
  const web = shop.addRole('web');
  let service: ecs.FargateService | undefined;
  let cluster: ecs.Cluster | undefined;
  if (image !== null) {
    cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('web', { image: ecs.ContainerImage.fromRegistry(image) });
    service = new ecs.FargateService(stack, 'Web', { cluster, taskDefinition, minHealthyPercent: 100 });
  }
  return { app, stack, shop, web, service, cluster };
}

function downtimeOf(stack: Stack): { Properties: { [key: string]: any }; DependsOn?: string[] } {
  const all = Object.values(Template.fromStack(stack).findResources(TYPE));
  expect(all).toHaveLength(1);
  return all[0] as any;
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: any } }) => stack.getLogicalId(construct.node.defaultChild);

describe('DeploymentDowntime', () => {
  test('a downtime of the scopes, named after the stack, 30 minutes, with a revision of the task definitions and no start', () => {
    const { stack, web } = shopStack();
    const quiet = new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
    const { Properties } = downtimeOf(stack);
    expect(Properties).toEqual({
      ServiceToken: expect.anything(),
      name: 'deploy Shop',
      duration: 30,
      revision: expect.stringMatching(/^[0-9a-f]{12}$/),
      roleScopes: [{ Ref: logicalId(stack, web.node.findChild('Resource')) }],
    });
    expect(stack.resolve(quiet.downtimeId)).toEqual({ Ref: logicalId(stack, quiet.node.findChild('Resource')) });
  });

  test('every ECS service of the stack waits for it, so it starts before the rollout; one declared later too', () => {
    const { stack, web, service, cluster } = shopStack();
    const quiet = new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
    const later = new ecs.FargateTaskDefinition(stack, 'LaterTask');
    later.addContainer('worker', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36') });
    const worker = new ecs.FargateService(stack, 'Worker', { cluster: cluster!, taskDefinition: later, minHealthyPercent: 100 });
    const resources = Template.fromStack(stack).toJSON().Resources;
    const downtime = logicalId(stack, quiet.node.findChild('Resource'));
    for (const ecsService of [service!, worker]) expect(resources[logicalId(stack, ecsService)].DependsOn).toContain(downtime);
    expect(downtimeOf(stack).DependsOn ?? []).not.toContain(logicalId(stack, service!));
  });

  test('the default revision follows the task definitions, so a new image starts the downtime and nothing else does', () => {
    const revision = (image: string, extra?: (stack: Stack) => void) => {
      const { stack, web } = shopStack(image);
      new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
      extra?.(stack);
      return downtimeOf(stack).Properties.revision;
    };
    const base = revision('public.ecr.aws/nginx/nginx:1.27');
    expect(revision('public.ecr.aws/nginx/nginx:1.28')).not.toBe(base);
    expect(revision('public.ecr.aws/nginx/nginx:1.27', (stack) => new HostMetricMonitor(stack, 'Cpu', {
      name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(5),
    }))).toBe(base);
  });

  test('the default revision follows the values of template parameters the task definitions use, which change them only at deploy', () => {
    const { stack, web } = shopStack(null);
    const tag = new CfnParameter(stack, 'ImageTag');
    const command = new CfnParameter(stack, 'Command', { type: 'CommaDelimitedList' });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('web', {
      image: ecs.ContainerImage.fromRegistry(`public.ecr.aws/nginx/nginx:${tag.valueAsString}`),
      command: command.valueAsList,
      environment: { FLAG: ssm.StringParameter.valueForStringParameter(stack, '/shop/flag') },
    });
    new CfnParameter(stack, 'Unused');
    // a NoEcho value would be shown in Mackerel: left out
    const token = new CfnParameter(stack, 'Token', { noEcho: true });
    taskDefinition.addContainer('sidecar', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1'),
      environment: { TOKEN: token.valueAsString },
    });
    new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
    const ssmParameter = Object.entries(Template.fromStack(stack).toJSON().Parameters).find(([, p]: [string, any]) => p.Default === '/shop/flag')![0];
    // by parameter name, after the hash of the task definitions as synthesized
    expect(downtimeOf(stack).Properties.revision).toEqual({
      'Fn::Join': [' ', [
        expect.stringMatching(/^[0-9a-f]{12}$/),
        { 'Fn::Join': [',', { Ref: 'Command' }] },
        { Ref: 'ImageTag' },
        { Ref: ssmParameter },
      ]],
    });
  });

  test('the default revision follows the parameters a condition tests when the task definitions choose a value by it (Fn::If)', () => {
    const { stack, web } = shopStack(null);
    const env = new CfnParameter(stack, 'Env');
    new CfnParameter(stack, 'Unused');
    const isProd = new CfnCondition(stack, 'IsProd', { expression: Fn.conditionEquals(env.valueAsString, 'prod') });
    // a condition of a condition
    const isTest = new CfnCondition(stack, 'IsTest', { expression: Fn.conditionNot(isProd) });
    new CfnCondition(stack, 'IsUnused', { expression: Fn.conditionEquals(new CfnParameter(stack, 'Other').valueAsString, 'x') });
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27'),
      environment: { MODE: Token.asString(Fn.conditionIf(isTest.logicalId, 'debug', 'quiet')) },
    });
    new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
    expect(downtimeOf(stack).Properties.revision).toEqual({ 'Fn::Join': [' ', [expect.stringMatching(/^[0-9a-f]{12}$/), { Ref: 'Env' }]] });
  });

  test('name, duration, memo, revision, monitors and excluded scopes are written as given; removalPolicy applies', () => {
    const { stack, shop, web } = shopStack();
    const cpu = new HostMetricMonitor(stack, 'Cpu', { name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(5) });
    new DeploymentDowntime(stack, 'Quiet', {
      name: 'web rollout',
      duration: Duration.minutes(20),
      memo: 'tasks are replaced',
      revision: 'v42',
      scopes: [MonitorScope.fromService(shop)],
      excludeScopes: [MonitorScope.fromRole(web)],
      monitors: [cpu],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const resource = downtimeOf(stack) as any;
    expect(resource.Properties).toMatchObject({
      name: 'web rollout',
      duration: 20,
      memo: 'tasks are replaced',
      revision: 'v42',
      serviceScopes: [{ Ref: logicalId(stack, shop.node.findChild('Resource')) }],
      roleExcludeScopes: [{ Ref: logicalId(stack, web.node.findChild('Resource')) }],
      monitorScopes: [{ Ref: logicalId(stack, cpu.node.findChild('Resource')) }],
    });
    expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  test('a role in scopes whose service is in excludeScopes warns as for a Downtime: it mutes none of the role\'s hosts', () => {
    const { stack, shop, web } = shopStack();
    new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)], excludeScopes: [MonitorScope.fromService(shop)] });
    Annotations.fromStack(stack).hasWarning('/Shop/Quiet', Match.stringLikeRegexp(
      '^scopes\\[0\\] "shop:web" is a role of service "shop", which is excludeScopes\\[0\\]: .* so the downtime mutes none of the role\'s hosts'));
  });

  test('without scopes or monitors it mutes the whole organization at each deploy, with the downtime warning', () => {
    const { stack } = shopStack();
    new DeploymentDowntime(stack, 'Quiet');
    Annotations.fromStack(stack).hasWarning('/Shop/Quiet', Match.stringLikeRegexp('cdk-mackerel:downtimeWithoutScope'));
  });

  test('ECS resources of a nested stack are neither waited for nor followed, with a warning', () => {
    const { stack, web } = shopStack();
    const nested = new NestedStack(stack, 'Batch');
    new ecs.FargateTaskDefinition(nested, 'Task').addContainer('job', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36') });
    new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
    Annotations.fromStack(stack).hasWarning('/Shop/Quiet', Match.stringLikeRegexp(
      '^Nested stack Shop/Batch has ECS services or task definitions, which this downtime neither goes before nor follows in its default revision: '
      + 'it covers the ECS resources of stack Shop only\\. Give the nested stack a DeploymentDowntime of its own \\(with its own MackerelProvider\\), '
      + 'or give this one a revision and make the nested stack depend on it'));
  });

  test('no nested-stack warning once its advice is followed: a revision, and the nested stack waits for the downtime (through another resource too)', () => {
    const warned = (revision: string | undefined, order: (nested: NestedStack, quiet: DeploymentDowntime, stack: Stack) => void) => {
      const { stack, web } = shopStack();
      const nested = new NestedStack(stack, 'Batch');
      new ecs.FargateTaskDefinition(nested, 'Task').addContainer('job', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36') });
      const quiet = new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)], revision });
      order(nested, quiet, stack);
      return Annotations.fromStack(stack).findWarning('/Shop/Quiet', Match.stringLikeRegexp('deploymentDowntimeNestedStack')).length;
    };
    expect(warned('v42', (nested, quiet) => nested.node.addDependency(quiet))).toBe(0);
    expect(warned('v42', (nested, quiet, stack) => {
      const between = new CfnWaitConditionHandle(stack, 'Between');
      between.node.addDependency(quiet);
      nested.node.addDependency(between);
    })).toBe(0);
    // half the advice is not enough: the default revision does not follow the nested task definitions, and nothing orders them
    expect(warned(undefined, (nested, quiet) => nested.node.addDependency(quiet))).toBe(1);
    expect(warned('v42', () => {})).toBe(1);
    // the wrong way round: the downtime waits for the nested stack, so it starts after its tasks are replaced
    expect(warned('v42', (nested, quiet) => quiet.node.addDependency(nested))).toBe(1);
  });

  test('warns in a stack where nothing waits for it (no ECS service), as it may start after what the deploy changes; not once something does', () => {
    const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('/Shop/Quiet', Match.stringLikeRegexp('deploymentDowntimeWithoutEcsService'));
    // task definitions run by RunTask or a schedule: the default revision follows them, but nothing is ordered after the downtime
    const { stack, web } = shopStack(null);
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('job', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.36') });
    new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
    expect(warnings(stack).map((w) => w.entry.data)).toEqual([
      'Stack Shop has no ECS service, and nothing else waits for this downtime: it starts whenever CloudFormation reaches it in a deploy, '
      + 'which may be after the resources the deploy changes, and covers no rollout. Put the DeploymentDowntime in the stack of the ECS services '
      + 'it is for, or make the resources a deploy changes depend on it [ack: cdk-mackerel:deploymentDowntimeWithoutEcsService]',
    ]);

    const withService = shopStack();
    new DeploymentDowntime(withService.stack, 'Quiet', { scopes: [MonitorScope.fromRole(withService.web)] });
    expect(warnings(withService.stack)).toEqual([]);

    const ordered = shopStack(null);
    const quiet = new DeploymentDowntime(ordered.stack, 'Quiet', { scopes: [MonitorScope.fromRole(ordered.web)], revision: 'v42' });
    new CfnWaitConditionHandle(ordered.stack, 'Changed').node.addDependency(quiet);
    expect(warnings(ordered.stack)).toEqual([]);
  });

  describe('refuses at synth', () => {
    test.each([
      ['an empty name', { name: ' ' }, /^Shop\/Quiet: name " " is empty; expected a non-empty downtime name/],
      ['an empty revision', { revision: '' }, /^Shop\/Quiet: revision "" is empty; expected a value that changes with each release/],
      ['a duration in seconds', { duration: Duration.seconds(90) }, /^Shop\/Quiet: duration "1 minute 30 seconds" is not a whole number of minutes; expected whole minutes$/],
      ['a duration over a day', { duration: Duration.hours(25) }, /^Shop\/Quiet: duration "1 day 1 hour" is longer than 24 hours, so alerts of a deploy that gets stuck would stay muted; expected from 1 minute to 24 hours$/],
    ])('%s', (_name, props, message) => {
      const { stack, web } = shopStack();
      expect(() => new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)], ...props })).toThrow(message);
    });

    test('a stack without task definitions and no revision', () => {
      const { stack, web } = shopStack(null);
      new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
      expect(() => Template.fromStack(stack)).toThrow(/\[Shop\/Quiet\] revision undefined is missing, and stack Shop has no ECS task definition whose changes would start the downtime/s);
    });

    test('an ECS service the downtime itself waits for, which would be a cycle', () => {
      const { stack, web, service } = shopStack();
      const quiet = new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
      quiet.node.addDependency(service!);
      expect(() => Template.fromStack(stack)).toThrow(
        /Shop\/Quiet.*ECS service "Shop\/Web\/Service" is waited for by this downtime \(Shop\/Quiet\/Resource\/Default -> Shop\/Web\/Service\), for which every ECS service of its stack waits/s);
    });

    test('a monitor in its scope that refers to an ECS service (its name in the metric), which would be a cycle: the message points at the scope', () => {
      const { stack, service } = shopStack();
      const running = new HostMetricMonitor(stack, 'Running', {
        name: 'running tasks', metric: `ecs.running_task.${service!.serviceName}.count`, operator: MonitorOperator.LESS_THAN, warning: 2, duration: Duration.minutes(5),
      });
      new DeploymentDowntime(stack, 'Quiet', { monitors: [running] });
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(
        'ECS service "Shop/Web/Service" is waited for by this downtime \\(Shop/Quiet/Resource/Default -> Shop/Running/Resource/Default -> Shop/Web/Service\\).*'
        + 'Scope the downtime to monitors, services and roles that neither refer to nor wait for an ECS service of its stack: '
        + 'Shop/Running/Resource/Default leads to one \\(a metric naming the ECS service by its serviceName rather than by a literal name, say\\)$', 'm'));
    });

    test('a downtime under a construct that waits for an ECS service, which would be a cycle: the message says where to put it', () => {
      const { stack, web, service } = shopStack();
      const holder = new Construct(stack, 'Holder');
      holder.node.addDependency(service!);
      new DeploymentDowntime(holder, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
      expect(() => Template.fromStack(stack)).toThrow(
        /Put the downtime where it depends on no ECS service \(not under a construct that waits for one\)$/m);
    });
  });
});
