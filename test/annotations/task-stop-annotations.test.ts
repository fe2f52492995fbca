import { App, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { MackerelApiKey, MackerelProvider, MackerelRole, MackerelService, TaskStopAnnotations, TaskStopCause } from '../../src';
import { handler } from '../../src/provider/handler/index';
import { _useSqsSdk } from '../../src/provider/handler/queue';
import { fakeSqs } from '../provider/handler/_fake-aws';
import { api as callApi, lambdaContext, useEmulator } from '../provider/handler/_harness';

const ENV = { account: '123456789012', region: 'ap-northeast-1' };
const FAR_CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/prod';

/** A stack with the service `shop` (role `web`), a cluster with the ECS services `api` and `worker`, and (unless told) a provider. */
function shopStack(options: { provider?: boolean } = {}) {
  const app = new App();
  const stack = new Stack(app, 'Shop', { env: ENV });
  if (options.provider !== false) {
    new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
  }
  const shop = new MackerelService(stack, 'Service', { name: 'shop' });
  const web = shop.addRole('web');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const ecsService = (id: string, onCluster = cluster) => {
    const taskDefinition = new ecs.FargateTaskDefinition(stack, `${id}Task`);
    taskDefinition.addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
    return new ecs.FargateService(stack, id, { cluster: onCluster, taskDefinition, minHealthyPercent: 100 });
  };
  return { app, stack, shop, web, vpc, cluster, api: ecsService('Api'), worker: ecsService('Worker'), ecsService };
}

/** An ECS service named `serviceName`, in a cluster of its own. */
function namedOwnCluster(stack: Stack, vpc: ec2.IVpc, id: string, serviceName: string) {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, `${id}Task`);
  taskDefinition.addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
  return new ecs.FargateService(stack, id, { cluster: new ecs.Cluster(stack, `${id}Cluster`, { vpc }), taskDefinition, serviceName, minHealthyPercent: 100 });
}

function rulesOf(stack: Stack): Array<{ Properties: any; DependsOn?: string[] }> {
  return Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')) as any;
}

function onlyRule(stack: Stack) {
  const rules = rulesOf(stack);
  expect(rules).toHaveLength(1);
  return rules[0];
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: any } }) => stack.getLogicalId(construct.node.defaultChild);

/**
 * Whether an EventBridge pattern matches an event, for the parts of the pattern language the
 * construct writes: lists of exact values, `{ prefix }` and `$or`. A field the pattern names
 * must be in the event.
 */
function matches(pattern: any, event: any): boolean {
  return Object.entries(pattern).every(([key, rule]: [string, any]) => {
    if (key === '$or') return (rule as any[]).some((alternative) => matches(alternative, event));
    const value = event?.[key];
    if (!Array.isArray(rule)) return value !== undefined && matches(rule, value);
    return rule.some((r) => (typeof r === 'object' && r !== null && 'prefix' in r ? typeof value === 'string' && value.startsWith(r.prefix) : r === value));
  });
}

/** A resolved pattern: the cluster ARN and service names as they would be at deploy time. */
function deployedPattern(rule: { Properties: any }, names: { [logicalId: string]: string }): any {
  return JSON.parse(JSON.stringify(rule.Properties.EventPattern), (_key, value) => {
    if (value && typeof value === 'object' && value['Fn::GetAtt']) return names[value['Fn::GetAtt'][0]];
    // the reviver works inside out, so a join's parts are resolved already
    if (value && typeof value === 'object' && value['Fn::Join']) return value['Fn::Join'][1].join('');
    return value;
  });
}

function taskEvent(detail: { [key: string]: unknown }) {
  return {
    'source': 'aws.ecs',
    'detail-type': 'ECS Task State Change',
    'detail': {
      clusterArn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/prod',
      group: 'service:api',
      lastStatus: 'STOPPED',
      taskArn: 'arn:aws:ecs:ap-northeast-1:123456789012:task/prod/0123456789abcdef0123456789abcdef',
      ...detail,
    },
  };
}

const CRASH = { stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited' };
const NO_START = { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull image manifest has been retried' };
const ELB = { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:...)' };
const CONTAINER_HEALTH = { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Task failed container health checks' };
const DEPLOY = { stopCode: 'ServiceSchedulerInitiated', stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1234567890)' };
const STOP_TASK = { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' };
const SPOT = { stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' };

describe('TaskStopAnnotations', () => {
  test('one rule for the cluster: ECS task state changes of its ECS services that stopped, by default for the causes that mean trouble', () => {
    const { stack, shop, web, cluster, api, worker } = shopStack();
    new TaskStopAnnotations(stack, 'Stops', { service: shop, roles: [web], ecsServices: [api, worker] });
    const pattern = onlyRule(stack).Properties.EventPattern;
    expect(pattern).toEqual({
      'source': ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      'detail': {
        clusterArn: [{ 'Fn::GetAtt': [logicalId(stack, cluster), 'Arn'] }],
        group: [api, worker].map((s) => ({ 'Fn::Join': ['', ['service:', { 'Fn::GetAtt': [logicalId(stack, s), 'Name'] }]] })),
        lastStatus: ['STOPPED'],
        $or: [
          { stopCode: ['EssentialContainerExited', 'TaskFailedToStart'] },
          { stopCode: ['ServiceSchedulerInitiated'], stoppedReason: [{ prefix: 'Task failed' }] },
        ],
      },
    });
  });

  test('the default pattern takes crashes, failed starts and health check replacements, and leaves deploys, scale-ins and StopTask', () => {
    const { stack, shop, cluster, api } = shopStack();
    new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api] });
    const pattern = deployedPattern(onlyRule(stack), {
      [logicalId(stack, cluster)]: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/prod',
      [logicalId(stack, api)]: 'api',
    });
    const taken = (detail: { [key: string]: unknown }) => matches(pattern, taskEvent(detail));
    expect([CRASH, NO_START, ELB, CONTAINER_HEALTH].map(taken)).toEqual([true, true, true, true]);
    expect([DEPLOY, STOP_TASK, SPOT].map(taken)).toEqual([false, false, false]);
    expect(taken({ ...CRASH, group: 'service:other' })).toBe(false);
    expect(taken({ ...CRASH, lastStatus: 'DEPROVISIONING' })).toBe(false);
    expect(taken({ ...CRASH, clusterArn: 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/staging' })).toBe(false);
  });

  test('causes pick the stop codes; without HEALTH_CHECK_FAILED the pattern has no alternative, with only it no stop code list', () => {
    const codes = (causes: TaskStopCause[]) => {
      const { stack, shop, api } = shopStack();
      new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api], causes });
      const { stopCode, stoppedReason, $or } = onlyRule(stack).Properties.EventPattern.detail;
      return { stopCode, stoppedReason, $or };
    };
    const { SPOT_INTERRUPTION, TERMINATION_NOTICE, INFRASTRUCTURE_HEALTH, USER_INITIATED } = TaskStopCause;
    expect(codes([SPOT_INTERRUPTION, TERMINATION_NOTICE, INFRASTRUCTURE_HEALTH, USER_INITIATED]))
      .toEqual({ stopCode: ['SpotInterruption', 'TerminationNotice', 'InfrastructureHealth', 'UserInitiated'], stoppedReason: undefined, $or: undefined });
    expect(codes([TaskStopCause.HEALTH_CHECK_FAILED]))
      .toEqual({ stopCode: ['ServiceSchedulerInitiated'], stoppedReason: [{ prefix: 'Task failed' }], $or: undefined });
  });

  test('sends each stop with the service, role names and merge window to a FIFO queue, in one message group, that the provider handler reads', () => {
    const { stack, shop, web, api } = shopStack();
    const stops = new TaskStopAnnotations(stack, 'Stops', { service: shop, roles: [web], ecsServices: [api], mergeWindow: Duration.minutes(5) });
    const [target] = onlyRule(stack).Properties.Targets;
    const queueId = logicalId(stack, stops.queue as any);
    const deadLettersId = logicalId(stack, stops.deadLetterQueue as any);
    expect(target.Arn).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    expect(target.SqsParameters).toEqual({ MessageGroupId: 'stops' });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 2 });
    expect(target.InputTransformer.InputPathsMap).toEqual({ detail: '$.detail' });
    expect(target.InputTransformer.InputTemplate).toEqual({
      'Fn::Join': ['', ['{"cdkMackerel":"EcsTaskStopped","service":"', { Ref: logicalId(stack, shop.node.findChild('Resource')) },
        '","roles":["web"],"mergeWindowSeconds":300,"queueUrl":"', { Ref: queueId }, '","maxReceiveCount":8,"detail":<detail>}']],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: true,
      VisibilityTimeout: 900,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLettersId, 'Arn'] }, maxReceiveCount: 8 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    // only EventBridge, for this rule, may send to the queue
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [stack.getLogicalId(onlyRuleConstruct(stack)), 'Arn'] } } },
        })]),
      },
    });
    const handlerId = logicalId(stack, MackerelProvider.of(stack).handler);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: handlerId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // EventBridge does not invoke the handler itself
    expect(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'events.amazonaws.com' } })).toEqual({});
  });

  test('the handler may change the visibility of this queue\'s messages (to hand a failed stop back sooner), of no other queue', () => {
    const { stack, shop, api } = shopStack();
    const stops = new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api] });
    const role = { Ref: logicalId(stack, MackerelProvider.of(stack).handler.role as any) };
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((policy: any) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([role]))
      .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement as any[]);
    const changing = statements.filter((s) => [s.Action].flat().some((a: string) => a === 'sqs:ChangeMessageVisibility' || a === 'sqs:*' || a === '*'));
    // granted with the event source's consume actions, on the queue alone
    expect(changing.map((s) => [s.Effect, s.Resource])).toEqual([['Allow', { 'Fn::GetAtt': [logicalId(stack, stops.queue as any), 'Arn'] }]]);
  });

  test('the merge window is 10 minutes unless given, and 0 seconds is allowed (every stop marked on its own)', () => {
    const mergeWindowSeconds = (mergeWindow?: Duration) => {
      const { stack, shop, api } = shopStack();
      new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api], mergeWindow });
      const template = JSON.stringify(onlyRule(stack).Properties.Targets[0].InputTransformer.InputTemplate);
      return Number(/mergeWindowSeconds\\":(\d+)/.exec(template)?.[1]);
    };
    expect(mergeWindowSeconds()).toBe(600);
    expect(mergeWindowSeconds(Duration.seconds(0))).toBe(0);
  });

  test('ECS services on two clusters get a rule each, with only their own services', () => {
    const { stack, shop, vpc, api, ecsService } = shopStack();
    const batch = ecsService('Batch', new ecs.Cluster(stack, 'BatchCluster', { vpc }));
    const stops = new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api, batch] });
    expect(stops.rules.map((rule) => rule.node.id)).toEqual(['Rule1', 'Rule2']);
    const groups = rulesOf(stack).map((rule) => rule.Properties.EventPattern.detail.group.map((g: any) => g['Fn::Join'][1][1]['Fn::GetAtt'][0]));
    expect(groups).toEqual([[logicalId(stack, api)], [logicalId(stack, batch)]]);
    // one message group for both: stops of services of one name on the two clusters never race their merges
    expect(rulesOf(stack).map((rule) => rule.Properties.Targets.map((t: any) => t.SqsParameters.MessageGroupId))).toEqual([['stops'], ['stops']]);
  });

  test('a provider declared afterwards is found; a stack without one fails synthesis saying what to add', () => {
    const { stack, shop, api } = shopStack({ provider: false });
    new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api] });
    expect(() => Template.fromStack(stack)).toThrow(/Shop\/Stops.*TaskStopAnnotations needs a MackerelProvider in stack "Shop".*new MackerelProvider\(stack, 'Mackerel', \{ apiKey \}\)/s);

    const later = shopStack({ provider: false });
    new TaskStopAnnotations(later.stack, 'Stops', { service: later.shop, ecsServices: [later.api] });
    new MackerelProvider(later.stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(later.stack, 'ApiKey')) });
    expect(onlyRule(later.stack).Properties.Targets).toHaveLength(1);
  });

  test('starts after the Mackerel role it names, and after a service given by name that the stack creates', () => {
    const { stack, web, api } = shopStack();
    const byName = MackerelService.fromName(stack, 'ByName', 'shop');
    new TaskStopAnnotations(stack, 'Stops', { service: byName, roles: [MackerelRole.fromFullName(stack, 'Web', 'shop:web')], ecsServices: [api] });
    const dependsOn = onlyRule(stack).DependsOn ?? [];
    expect(dependsOn).toContain(logicalId(stack, stack.node.findChild('Service').node.findChild('Resource')));
    expect(dependsOn).toContain(logicalId(stack, web.node.findChild('Resource')));

    const direct = shopStack();
    new TaskStopAnnotations(direct.stack, 'Stops', { service: direct.shop, roles: [direct.web], ecsServices: [direct.api] });
    expect(onlyRule(direct.stack).DependsOn).toEqual([logicalId(direct.stack, direct.web.node.findChild('Resource'))]);
  });

  test('a second TaskStopAnnotations on one ECS service and the same graphs: warned about for causes both mark; neither when it only posts other causes nor on other roles', () => {
    const { stack, shop, web, api, worker } = shopStack();
    new TaskStopAnnotations(stack, 'Crashes', { service: shop, roles: [web], ecsServices: [api, worker] });
    // posts only (no merge), so it overwrites nothing; its causes are its own
    new TaskStopAnnotations(stack, 'Spot', { service: shop, roles: [web], ecsServices: [api], causes: [TaskStopCause.SPOT_INTERRUPTION], mergeWindow: Duration.seconds(0) });
    new TaskStopAnnotations(stack, 'Whole', { service: shop, ecsServices: [api] });
    new TaskStopAnnotations(stack, 'Oom', { service: shop, roles: [web], ecsServices: [worker], causes: [TaskStopCause.ESSENTIAL_CONTAINER_EXITED], mergeWindow: Duration.seconds(0) });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('taskStopsMarkedTwice'));
    expect(warnings.map((w) => [w.id, w.entry.data])).toEqual([['/Shop/Oom',
      'ECS service Shop/Worker is also marked by Shop/Crashes on the same Mackerel service and roles, for some of the same causes: the two read their '
      + 'stops from two queues, so a stop of a cause both mark may be marked twice. Give the ECS service one TaskStopAnnotations with every cause it '
      + 'needs, or each its own causes [ack: cdk-mackerel:taskStopsMarkedTwice]']]);
  });

  test('two TaskStopAnnotations on one ECS service, the second giving the Mackerel service by a Lazy name: warned about when it ends as the first\'s, not when it ends different', () => {
    const marked = (last: string) => {
      const { stack, shop, api } = shopStack();
      const state = { value: last === 'shop' ? 'draft' : 'shop' };
      new TaskStopAnnotations(stack, 'Crashes', { service: shop, ecsServices: [api] });
      new TaskStopAnnotations(stack, 'Again', {
        service: MackerelService.fromName(stack, 'Imported', Lazy.string({ produce: () => state.value })), ecsServices: [api], mergeWindow: Duration.seconds(0),
      });
      state.value = last;
      return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('taskStopsMarkedTwice')).map((w) => w.id);
    };
    expect(marked('shop')).toEqual(['/Shop/Again']);
    expect(marked('orders')).toEqual([]);
  });

  describe('refuses at synth', () => {
    test.each([
      ['no ECS service', { ecsServices: [] }, /^Shop\/Stops: ecsServices \[\] is empty; expected at least one ECS service/],
      ['no cause', { causes: [] }, /^Shop\/Stops: causes \[\] is empty, so no stop would be marked; expected at least one TaskStopCause/],
      ['an unknown cause', { causes: ['OOM' as TaskStopCause] }, /^Shop\/Stops: causes\[0\] "OOM" is not a known value; expected one of "ESSENTIAL_CONTAINER_EXITED", "FAILED_TO_START", "HEALTH_CHECK_FAILED", "SPOT_INTERRUPTION", "TERMINATION_NOTICE", "INFRASTRUCTURE_HEALTH", "USER_INITIATED"$/],
      ['a merge window in fractions of a second', { mergeWindow: Duration.millis(1500) }, /mergeWindow "1 second 500 millis" is not a whole number of seconds; expected from 0 seconds to 24 hours, in whole seconds/],
      ['a merge window over a day', { mergeWindow: Duration.hours(25) }, /mergeWindow "1 day 1 hour" is longer than 24 hours; expected from 0 seconds to 24 hours/],
      ['a merge window known only at deploy time', { mergeWindow: Duration.minutes(Token.asNumber({ Ref: 'Window' })) },
        /^Shop\/Stops: mergeWindow "Duration.minutes\(<token>\)" is only known at deploy time; expected a fixed duration, from 0 seconds to 24 hours$/],
    ])('%s', (_name, props, message) => {
      const { stack, shop, api } = shopStack();
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api], ...props })).toThrow(message);
    });

    test('an ECS service of another region, whose events go to that region\'s event bus', () => {
      const { stack, shop } = shopStack();
      const remote = new Stack(stack.node.root as App, 'Remote', { env: { ...ENV, region: 'us-east-1' } });
      const remoteCluster = new ecs.Cluster(remote, 'Cluster', { vpc: new ec2.Vpc(remote, 'Vpc', { natGateways: 0 }) });
      const taskDefinition = new ecs.FargateTaskDefinition(remote, 'Task');
      taskDefinition.addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
      const far = new ecs.FargateService(remote, 'Far', { cluster: remoteCluster, taskDefinition, minHealthyPercent: 100 });
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [far] }))
        .toThrow(/ecsServices\[0\].*Remote\/Far.*is in region us-east-1, and ECS sends its task events only to the event bus of its own account and region.*region ap-northeast-1/s);
    });

    test('a cause given twice, surely a slip for another cause', () => {
      const { stack, shop, api } = shopStack();
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api], causes: [TaskStopCause.FAILED_TO_START, TaskStopCause.FAILED_TO_START] }))
        .toThrow(/^Shop\/Stops: causes\[1\] "FAILED_TO_START" is given twice; expected each TaskStopCause once$/);
    });

    test('a second TaskStopAnnotations on one ECS service and the same graphs when both merge, as their merges would overwrite each other\'s stops', () => {
      const { stack, shop, web, api, worker } = shopStack();
      new TaskStopAnnotations(stack, 'Crashes', { service: shop, roles: [web], ecsServices: [api, worker] });
      expect(() => new TaskStopAnnotations(stack, 'Spot', { service: shop, roles: [web], ecsServices: [worker], causes: [TaskStopCause.SPOT_INTERRUPTION] }))
        .toThrow(new RegExp('^Shop/Spot: ecsServices\\[0\\] "Shop/Worker" is also marked by Shop/Crashes on the same Mackerel service and roles, and both merge '
          + 'stops \\(a mergeWindow above 0\\): each reads its stops from its own queue, .* overwrite each other\'s stops; expected an ECS service marked on the '
          + 'same graphs by one TaskStopAnnotations that merges\\. Give the ECS service one TaskStopAnnotations with every cause it needs, or a mergeWindow '
          + 'of Duration\\.seconds\\(0\\) to all but one$'));
    });

    test.each([
      ['by its name', (stack: Stack) => MackerelService.fromName(stack, 'ShopByName', 'shop')],
      ['imported by the name of the MackerelService', (stack: Stack, shop: MackerelService) => MackerelService.fromName(stack, 'Imported', shop.name)],
    ])('a second TaskStopAnnotations that merges on one ECS service, giving the Mackerel service %s, as the two are one service', (_name, serviceOf) => {
      const { stack, shop, api } = shopStack();
      new TaskStopAnnotations(stack, 'Crashes', { service: shop, ecsServices: [api] });
      expect(() => new TaskStopAnnotations(stack, 'Again', { service: serviceOf(stack, shop), ecsServices: [api], causes: [TaskStopCause.SPOT_INTERRUPTION] }))
        .toThrow(/^Shop\/Again: ecsServices\[0\] "Shop\/Api" is also marked by Shop\/Crashes on the same Mackerel service and roles, and both merge stops/);
    });

    test('a second TaskStopAnnotations that merges on one ECS service, where one gives the Mackerel service by a Lazy name that ends as the other\'s', () => {
      const { app, stack, shop, api } = shopStack();
      const state = { value: 'draft' };
      new TaskStopAnnotations(stack, 'Crashes', { service: MackerelService.fromName(stack, 'Imported', Lazy.string({ produce: () => state.value })), ecsServices: [api] });
      new TaskStopAnnotations(stack, 'Again', { service: shop, ecsServices: [api], causes: [TaskStopCause.SPOT_INTERRUPTION] });
      state.value = 'shop';
      expect(() => app.synth()).toThrow(/\[Shop\/Again\] ecsServices\[0\] "Shop\/Api" is also marked by Shop\/Crashes on the same Mackerel service and roles, and both merge stops/);
    });

    test('a second TaskStopAnnotations that merges on the same graphs the stops of an ECS service of the same name in another cluster, as the stops of both share annotations', () => {
      const { stack, shop, web, vpc } = shopStack();
      new TaskStopAnnotations(stack, 'Blue', { service: shop, roles: [web], ecsServices: [namedOwnCluster(stack, vpc, 'BlueWeb', 'web')] });
      const green = namedOwnCluster(stack, vpc, 'GreenWeb', 'web');
      expect(() => new TaskStopAnnotations(stack, 'Green', { service: shop, roles: [web], ecsServices: [green] }))
        .toThrow(new RegExp('^Shop/Green: ecsServices\\[0\\] "Shop/GreenWeb" is also marked by Shop/Blue \\(for ECS service Shop/BlueWeb, of the same name: '
          + 'the stops of both are marked as service:web, on the same annotations\\) on the same Mackerel service and roles, and both merge stops'));
      // another name, one that only posts, and the same name in another app are fine
      new TaskStopAnnotations(stack, 'Orders', { service: shop, roles: [web], ecsServices: [namedOwnCluster(stack, vpc, 'OrdersService', 'orders')] });
      new TaskStopAnnotations(stack, 'GreenPosts', { service: shop, roles: [web], ecsServices: [green], mergeWindow: Duration.seconds(0) });
      const other = shopStack();
      new TaskStopAnnotations(other.stack, 'Blue', { service: other.shop, roles: [other.web], ecsServices: [namedOwnCluster(other.stack, other.vpc, 'BlueWeb', 'web')] });
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('taskStopsMarkedTwice')).map((w) => w.id)).toEqual(['/Shop/GreenPosts']);
    });

    /**
     * Two TaskStopAnnotations merging on one Mackerel service and roles, each of an ECS service of its own cluster, one
     * named 'web' and the other by `lazy` (first or second), which produces 'draft' as the constructs are made and
     * `last` from then on: refused when `last` is 'web', as two literal names would be.
     */
    const refusesLazyNamedTwin = (lazy: (produce: () => string) => string) => {
      const synth = (last: string, lazyFirst: boolean) => {
        const { app, stack, shop, web, vpc } = shopStack();
        const state = { value: 'draft' };
        const name = lazy(() => state.value);
        new TaskStopAnnotations(stack, 'Blue', { service: shop, roles: [web], ecsServices: [namedOwnCluster(stack, vpc, 'BlueWeb', lazyFirst ? name : 'web')] });
        new TaskStopAnnotations(stack, 'Green', { service: shop, roles: [web], ecsServices: [namedOwnCluster(stack, vpc, 'GreenWeb', lazyFirst ? 'web' : name)] });
        state.value = last;
        return () => app.synth();
      };
      const refused = new RegExp('\\[Shop/Green\\] ecsServices\\[0\\] "Shop/GreenWeb" is also marked by Shop/Blue \\(for ECS service Shop/BlueWeb, of the same name: '
        + 'the stops of both are marked as service:web, on the same annotations\\) on the same Mackerel service and roles, and both merge stops');
      expect(synth('web', true)).toThrow(refused);
      expect(synth('web', false)).toThrow(refused);
      expect(synth('api', true)).not.toThrow();
      expect(synth('api', false)).not.toThrow();
    };

    test('a second TaskStopAnnotations that merges the stops of an ECS service whose Lazy name ends as another\'s in another cluster', () => {
      refusesLazyNamedTwin((produce) => Lazy.string({ produce }));
    });

    test('a second TaskStopAnnotations that merges the stops of an ECS service whose uncached Lazy name reads as another\'s at synthesis', () => {
      // An uncached Lazy reads anew at each resolution: 'draft' as the constructs are made, `last` at synthesis.
      refusesLazyNamedTwin((produce) => Lazy.uncachedString({ produce }));
    });

    test('a second TaskStopAnnotations that merges on the service created with a Lazy name, given by the name it ends with', () => {
      const synth = (last: string) => {
        const { app, stack, api } = shopStack();
        const state = { value: 'draft' };
        const blog = new MackerelService(stack, 'Blog', { name: Lazy.string({ produce: () => state.value }) });
        new TaskStopAnnotations(stack, 'Blue', { service: blog, ecsServices: [api] });
        new TaskStopAnnotations(stack, 'Green', { service: MackerelService.fromName(stack, 'Imported', 'blog'), ecsServices: [api] });
        state.value = last;
        return () => app.synth();
      };
      expect(synth('blog')).toThrow(/\[Shop\/Green\] ecsServices\[0\] "Shop\/Api" is also marked by Shop\/Blue on the same Mackerel service and roles, and both merge stops/);
      expect(synth('news')).not.toThrow();
    });

    test('a second TaskStopAnnotations that merges on the same roles, one a MackerelRole created with a Lazy name, given by the name it ends with', () => {
      const synth = (last: string) => {
        const { app, stack, api, shop } = shopStack();
        const state = { value: 'draft' };
        const db = new MackerelRole(stack, 'Db', { service: shop, name: Lazy.string({ produce: () => state.value }) });
        new TaskStopAnnotations(stack, 'Blue', { service: shop, roles: [db], ecsServices: [api] });
        new TaskStopAnnotations(stack, 'Green', { service: shop, roles: [MackerelRole.fromFullName(stack, 'Imported', 'shop:db')], ecsServices: [api] });
        state.value = last;
        return () => app.synth();
      };
      expect(synth('db')).toThrow(/is also marked by Shop\/Blue/);
      expect(synth('news')).not.toThrow();
    });

    test('one TaskStopAnnotations that merges the stops of two ECS services of one name (literal or Lazy) in two clusters, as its one queue orders them', () => {
      const synth = (lazy: boolean) => {
        const { app, stack, shop, web, vpc } = shopStack();
        const state = { value: 'draft' };
        const blue = namedOwnCluster(stack, vpc, 'BlueWeb', lazy ? Lazy.string({ produce: () => state.value }) : 'web');
        new TaskStopAnnotations(stack, 'Stops', { service: shop, roles: [web], ecsServices: [blue, namedOwnCluster(stack, vpc, 'GreenWeb', 'web')] });
        state.value = 'web';
        app.synth();
        return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('taskStopsMarkedTwice'));
      };
      expect(synth(false)).toEqual([]);
      expect(synth(true)).toEqual([]);
    });

    test('an ECS service given twice, which would be warned about as marked by its own construct', () => {
      const { stack, shop, api, worker } = shopStack();
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [api, worker, api] }))
        .toThrow(/^Shop\/Stops: ecsServices\[2\] "Shop\/Api" is given twice; expected each ECS service once$/);
    });

    test('a role named twice', () => {
      const { stack, shop, web, api } = shopStack();
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, roles: [web, web], ecsServices: [api] }))
        .toThrow(/^Shop\/Stops: roles\[1\] "web" names the same role as roles\[0\]; expected each role of the service once$/);
    });

    test('an ECS service of another account, whose events go to that account\'s event bus', () => {
      const { stack, shop, cluster } = shopStack();
      const other = ecs.FargateService.fromFargateServiceAttributes(stack, 'Other', { cluster, serviceArn: 'arn:aws:ecs:ap-northeast-1:999999999999:service/prod/api' });
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [other] }))
        .toThrow(/ecsServices\[0\] "Shop\/Other" is in account 999999999999, .*expected an ECS service in account 123456789012, as this stack/s);
    });

    test.each([
      ['by its attributes', (stack: Stack, vpc: ec2.IVpc) => ecs.Cluster.fromClusterAttributes(stack, 'Far', { clusterName: 'prod', clusterArn: FAR_CLUSTER, vpc })],
      ['by its ARN', (stack: Stack) => ecs.Cluster.fromClusterArn(stack, 'Far', FAR_CLUSTER)],
    ])('an ECS service named on a cluster of another region, imported %s', (_how, importCluster) => {
      const { stack, shop, vpc } = shopStack();
      const far = ecs.FargateService.fromFargateServiceAttributes(stack, 'FarApi', { cluster: importCluster(stack, vpc), serviceName: 'api' });
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [far] }))
        .toThrow(/ecsServices\[0\] "Shop\/FarApi" is on cluster arn:aws:ecs:us-east-1:123456789012:cluster\/prod of region us-east-1, .*expected an ECS service in region ap-northeast-1/s);
    });

    test('an ECS service imported by its ARN alone, which has no cluster to match', () => {
      const { stack, shop } = shopStack();
      const byArn = ecs.FargateService.fromFargateServiceArn(stack, 'ByArn', 'arn:aws:ecs:ap-northeast-1:123456789012:service/prod/api');
      // IFargateService is not an IBaseService to TypeScript; JavaScript lets it through
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, ecsServices: [byArn as unknown as ecs.IBaseService] }))
        .toThrow(/ecsServices\[0\] "Shop\/ByArn" has no cluster.*fromFargateServiceAttributes\(scope, id, \{ cluster, serviceArn \}\)/s);
    });

    test('a role of another service', () => {
      const { stack, shop, api } = shopStack();
      const other = new MackerelService(stack, 'Other', { name: 'other' }).addRole('web');
      expect(() => new TaskStopAnnotations(stack, 'Stops', { service: shop, roles: [other], ecsServices: [api] }))
        .toThrow(/roles\[0\].*is a role of service other, not of shop/s);
    });
  });
});

function onlyRuleConstruct(stack: Stack) {
  return (stack.node.findChild('Stops') as TaskStopAnnotations).rules[0].node.defaultChild as any;
}

describe('TaskStopAnnotations with the handler', () => {
  const env = useEmulator();

  const QUEUE_URL = 'https://sqs.ap-northeast-1.amazonaws.com/123456789012/Shop-Stops073CCBFB-AbCdEf.fifo';
  /** The same queue as the SQS event source names it in each record. */
  const QUEUE_ARN = 'arn:aws:sqs:ap-northeast-1:123456789012:Shop-Stops073CCBFB-AbCdEf.fifo';

  /** What EventBridge sends for a stop: the Refs resolved (the service's name, the queue's URL), <detail> replaced by the event's detail. */
  function sentBy(stack: Stack, stops: TaskStopAnnotations, shop: MackerelService): string {
    const template = onlyRule(stack).Properties.Targets[0].InputTransformer.InputTemplate['Fn::Join'][1] as any[];
    const refs: { [id: string]: string } = { [logicalId(stack, shop.node.findChild('Resource') as any)]: 'shop', [logicalId(stack, stops.queue as any)]: QUEUE_URL };
    const detail = {
      ...taskEvent(CRASH).detail,
      stoppedAt: '2026-11-24T03:00:00.500Z',
      containers: [{ name: 'web', exitCode: 139, reason: 'segfault' }],
    };
    return template.map((part) => (typeof part === 'string' ? part : refs[part.Ref])).join('').replace('<detail>', JSON.stringify(detail));
  }

  test('the input the rule writes, filled in by EventBridge and queued, is marked by the handler on the service and role', async () => {
    const { stack, shop, web, api } = shopStack();
    const stops = new TaskStopAnnotations(stack, 'Stops', { service: shop, roles: [web], ecsServices: [api] });
    expect((await callApi(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
    expect((await callApi(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);

    // ... as the body of a message the queue hands to the handler
    const result = await handler({ Records: [{ messageId: 'm1', body: sentBy(stack, stops, shop), eventSource: 'aws:sqs' }] }, lambdaContext());

    expect(result).toEqual({ batchItemFailures: [] });

    expect(env.emulator.state().graphAnnotations).toEqual([expect.objectContaining({
      title: 'ECS task stopped in service:api: web exited 139 (segfault)',
      from: Date.parse('2026-11-24T03:00:00Z') / 1000,
      service: 'shop',
      roles: ['web'],
    })]);
  });

  test('a queued stop that fails is handed back to its own queue, by the URL the rule wrote, to be tried again in 30 seconds', async () => {
    const { stack, shop, web, api } = shopStack();
    const stops = new TaskStopAnnotations(stack, 'Stops', { service: shop, roles: [web], ecsServices: [api] });
    expect((await callApi(env.emulator, 'POST', '/api/v0/services', { name: 'shop' })).status).toBe(200);
    expect((await callApi(env.emulator, 'POST', '/api/v0/services/shop/roles', { name: 'web' })).status).toBe(200);
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/graph-annotations', status: 500, body: { error: { message: 'internal error' } } });
    const sqs = fakeSqs();
    try {
      const record = {
        messageId: 'm1',
        receiptHandle: 'receipt-1',
        body: sentBy(stack, stops, shop),
        attributes: { ApproximateReceiveCount: '1' },
        eventSource: 'aws:sqs',
        eventSourceARN: QUEUE_ARN,
      };
      expect(await handler({ Records: [record] }, lambdaContext())).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    } finally {
      _useSqsSdk();
    }
    expect(sqs.changes).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-1', VisibilityTimeout: 30 }]);
  });
});
