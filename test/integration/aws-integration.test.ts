import { Annotations as CoreAnnotations, App, Aspects, Aws, CfnParameter, CfnResource, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { describe, expect, test } from 'vitest';
import { integrationStack, logicalIds, resourceOf, stackWithProvider, WRITE_VERB } from './_fixture';
import { MackerelApiKey } from '../../src/api-key';
import { AwsIntegrationService, MackerelAwsIntegration } from '../../src/integration';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';

const INTEGRATION = 'Custom::MackerelAwsIntegration';

/** The design example: ECS cluster and ALB. */
function designExample() {
  const { app, stack } = integrationStack();
  const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
  aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
  aws.addService(AwsIntegrationService.ALB, { role: 'shop:lb', retireAutomatically: true });
  return { app, stack, aws };
}

function policyActions(stack: Stack, aws: MackerelAwsIntegration): string[] {
  return resourceOf(stack, logicalIds(aws).policy).Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action);
}

describe('MackerelAwsIntegration', () => {
  describe('the external ID', () => {
    test('is one Custom::MackerelAwsIntegrationExternalId without properties, and .externalId refers to it', () => {
      const { stack, aws } = designExample();
      const template = Template.fromStack(stack);
      template.resourceCountIs('Custom::MackerelAwsIntegrationExternalId', 1);
      const ids = logicalIds(aws);
      expect(Object.keys(resourceOf(stack, ids.externalId).Properties)).toEqual(['ServiceToken']);
      expect(stack.resolve(aws.externalId)).toEqual({ Ref: ids.externalId });
    });
  });

  describe('the role', () => {
    test('only Mackerel\'s account can assume it, with the external ID as a condition', () => {
      const { stack, aws } = designExample();
      const ids = logicalIds(aws);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [{
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::217452466226:root' },
            Condition: { StringEquals: { 'sts:ExternalId': { Ref: ids.externalId } } },
          }],
        },
        ManagedPolicyArns: Match.absent(),
        Policies: Match.absent(),
      });
      expect(stack.resolve(aws.role.roleArn)).toEqual({ 'Fn::GetAtt': [ids.role, 'Arn'] });
    });

    test('has one inline policy, on that role, with CloudWatch read and the enabled services\' read actions only', () => {
      const { stack, aws } = designExample();
      const ids = logicalIds(aws);
      const onRole = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: ids.role }]) } });
      expect(Object.keys(onRole)).toEqual([ids.policy]);
      expect(resourceOf(stack, ids.policy).Properties).toMatchObject({
        Roles: [{ Ref: ids.role }],
        PolicyDocument: {
          Statement: [{
            Effect: 'Allow',
            Resource: '*',
            Action: ['cloudwatch:Get*', 'cloudwatch:List*',
              'ecs:DescribeClusters', 'ecs:List*', 'elasticloadbalancing:Describe*'],
          }],
        },
      });
    });

    test('API Gateway\'s apigateway:GET is limited to the integration\'s region, as Mackerel\'s docs grant it', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', region: 'us-west-2' });
      aws.addService(AwsIntegrationService.API_GATEWAY);
      expect(resourceOf(stack, logicalIds(aws).policy).Properties.PolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Resource: '*', Action: ['cloudwatch:Get*', 'cloudwatch:List*'] },
        { Effect: 'Allow', Action: 'apigateway:GET', Resource: stack.resolve(`arn:${stack.partition}:apigateway:us-west-2::/*`) },
      ]);
    });

    test('limits an API Gateway read of a service of AwsIntegrationService.of to the region, whatever its case', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', region: 'us-west-2' });
      aws.addService(AwsIntegrationService.of('ApiGatewayV3', { actions: ['APIGateway:GET'] }));
      expect(resourceOf(stack, logicalIds(aws).policy).Properties.PolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Resource: '*', Action: ['cloudwatch:Get*', 'cloudwatch:List*'] },
        { Effect: 'Allow', Action: 'APIGateway:GET', Resource: stack.resolve(`arn:${stack.partition}:apigateway:us-west-2::/*`) },
      ]);
    });

    test('Step Functions gets the actions Mackerel lists for it, with no tag:GetResources over every service\'s resources', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.STATES);
      expect(policyActions(stack, aws)).toEqual(['cloudwatch:Get*', 'cloudwatch:List*', 'states:DescribeStateMachine', 'states:List*']);
    });

    test('renders the policy late: a service added after construction is granted, each action once', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.RDS);
      aws.addService(AwsIntegrationService.DOCDB);
      expect(policyActions(stack, aws)).toEqual(['cloudwatch:Get*', 'cloudwatch:List*',
        'rds:Describe*', 'rds:ListTagsForResource']);
    });

    test('with @aws-cdk/aws-iam:minimizePolicies, a statement added to the policy merges with the services\' one', () => {
      // GIVEN: cdk init sets the flag in cdk.json
      const app = new App({ context: { '@aws-cdk/aws-iam:minimizePolicies': true } });
      const stack = stackWithProvider(app, 'Stack');
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.RDS);
      // WHEN
      aws.policy.addStatements(new iam.PolicyStatement({ actions: ['tag:GetResources'], resources: ['*'] }));
      aws.addService(AwsIntegrationService.SQS);
      // THEN
      expect(resourceOf(stack, logicalIds(aws).policy).Properties.PolicyDocument.Statement).toEqual([{
        Effect: 'Allow',
        Resource: '*',
        Action: ['cloudwatch:Get*', 'cloudwatch:List*', 'rds:Describe*', 'rds:ListTagsForResource',
          'sqs:GetQueueAttributes', 'sqs:List*', 'tag:GetResources'],
      }]);
    });

    test.each([
      ['precreated roles', { usePrecreatedRoles: { 'Stack/Aws/Role': 'mackerel-integration' } }],
      ['the report only (preventSynthesis: false)', { preventSynthesis: false }],
    ])('is refused under iam.Role.customizeRoles, with %s: a precreated role cannot trust the external ID issued during the deploy', (_what, options) => {
      // GIVEN
      const app = new App();
      const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'ap-northeast-1' } });
      iam.Role.customizeRoles(stack, options);
      const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Key', { parameterName: '/mackerel/key' });
      new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSsmParameter(parameter) });
      // WHEN / THEN
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' })).toThrow(
        'Stack/Aws: scope "Stack" is under iam.Role.customizeRoles, so the integration\'s role Stack/Aws/Role would be precreated, '
        + 'and a role created before the deploy cannot trust the external ID Mackerel issues during it; '
        + 'expected a stack that creates its roles. Put the integration in a stack without iam.Role.customizeRoles');
    });

    test('with every service enabled, no action is a write or full-access one', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'everything' });
      for (const service of AwsIntegrationService._all()) aws.addService(service);
      const actions = policyActions(stack, aws);
      expect(actions.length).toBeGreaterThan(40);
      for (const action of actions) expect(action).not.toMatch(WRITE_VERB);
      expect(actions).not.toContain('ec2:CreateInternetGateway');
    });
  });

  describe('the integration', () => {
    test('depends on the role and its policy, so Mackerel never sees the role without its policy', () => {
      const { stack, aws } = designExample();
      const ids = logicalIds(aws);
      expect(resourceOf(stack, ids.integration).DependsOn).toEqual(expect.arrayContaining([ids.role, ids.policy]));
    });

    test('renders name, role ARN, external ID, the stack\'s region and the whole services map', () => {
      const { stack, aws } = designExample();
      const ids = logicalIds(aws);
      const props = resourceOf(stack, ids.integration).Properties;
      expect(props).toEqual({
        ServiceToken: expect.anything(),
        name: 'prod',
        roleArn: { 'Fn::GetAtt': [ids.role, 'Arn'] },
        externalId: { Ref: ids.externalId },
        region: 'ap-northeast-1',
        services: {
          ECSCluster: { enable: true, role: 'shop:ecs' },
          ALB: { enable: true, role: 'shop:lb', retireAutomatically: true },
        },
      });
      expect(stack.resolve(aws.awsIntegrationId)).toEqual({ Ref: ids.integration });
    });

    test('renders memo, an explicit region, metric lists and retireAutomatically false', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', memo: 'managed by CDK', region: 'us-east-1' });
      aws.addService(AwsIntegrationService.EC2, { excludedMetrics: ['ec2.cpu.used'], retireAutomatically: false });
      aws.addService(AwsIntegrationService.SQS, { excludedMetrics: [] });
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        memo: 'managed by CDK',
        region: 'us-east-1',
        services: {
          EC2: { enable: true, excludedMetrics: ['ec2.cpu.used'], retireAutomatically: false },
          SQS: { enable: true, excludedMetrics: [] },
        },
      });
    });

    test('keeps the metric lists as given to addService: a name pushed onto the caller\'s array later is neither sent nor left unchecked', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      const excluded = ['sqs.oldest_message.age'];
      const included = ['ecs.running_task.#.count'];
      aws.addService(AwsIntegrationService.SQS, { includedMetrics: ['sqs.message_count.sent'] });
      aws.addService(AwsIntegrationService.ECS_CLUSTER, { includedMetrics: included });
      const other = integrationStack();
      const otherAws = new MackerelAwsIntegration(other.stack, 'Aws', { name: 'other' });
      otherAws.addService(AwsIntegrationService.SQS, { excludedMetrics: excluded });
      // WHEN
      excluded.push('sqs.oldest_message.agee');
      included.push('ecs.running_task.web.count');
      // THEN
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: { ECSCluster: { enable: true, includedMetrics: ['ecs.running_task.#.count'] } },
      });
      Template.fromStack(other.stack).hasResourceProperties(INTEGRATION, {
        services: { SQS: { enable: true, excludedMetrics: ['sqs.oldest_message.age'] } },
      });
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric'));
      Annotations.fromStack(other.stack).hasNoWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric'));
    });

    test('leaves out retireAutomatically false on a service without the key: Mackerel documents it for the retiring services only', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN
      aws.addService(AwsIntegrationService.SQS, { retireAutomatically: false });
      aws.addService(AwsIntegrationService.RDS, { retireAutomatically: false });
      // THEN
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: {
          SQS: { enable: true, retireAutomatically: Match.absent() },
          RDS: { enable: true, retireAutomatically: false },
        },
      });
    });

    test('renders includedMetrics when that kind is used', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.ECS_CLUSTER, { includedMetrics: ['ecs.running_task.#.count'] });
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: { ECSCluster: { enable: true, includedMetrics: ['ecs.running_task.#.count'], excludedMetrics: Match.absent() } },
      });
    });

    test('renders includedMetrics on every service when each gives it', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN
      aws.addService(AwsIntegrationService.EC2, { includedMetrics: ['ec2.cpu.used'] });
      aws.addService(AwsIntegrationService.RDS, { includedMetrics: [] });
      // THEN
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: {
          EC2: { enable: true, includedMetrics: ['ec2.cpu.used'], excludedMetrics: Match.absent() },
          RDS: { enable: true, includedMetrics: [], excludedMetrics: Match.absent() },
        },
      });
    });

    test('warns on an empty includedMetrics: the resources still become hosts, with nothing to monitor', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.EC2, { includedMetrics: ['ec2.cpu.used'] });
      aws.addService(AwsIntegrationService.RDS, { includedMetrics: [] });
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('includedMetrics'));
      expect(warnings.map((w) => `${w.id} ${w.entry.data}`)).toEqual([
        '/Stack/Aws services.RDS.includedMetrics is empty: Mackerel still registers a host for each RDS resource it finds '
        + '(each one counted as a host), with no metric to monitor. List the metrics to retrieve, or leave the service out '
        + '[ack: cdk-mackerel:awsIntegrationNoMetrics]',
      ]);
    });

    test('warns on an ECSCluster metric name Mackerel does not document, such as one naming an ECS service where the docs have #', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN
      aws.addService(AwsIntegrationService.ECS_CLUSTER, { excludedMetrics: ['ecs.running_task.#.count', 'ecs.running_task.web.count', 'ecs.cpu.used'] });
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric'));
      expect(warnings.map((w) => `${w.id} ${w.entry.data}`)).toEqual([
        expect.stringMatching(new RegExp('^/Stack/Aws services\\.ECSCluster\\.excludedMetrics\\[1\\] "ecs\\.running_task\\.web\\.count" is not a metric '
          + 'name Mackerel documents for ECSCluster \\(ecs\\.cpu_utilization\\.minimum, .*, ecs\\.service_memory_utilization\\.#\\.maximum\\): '
          + 'it excludes nothing\\. A metric per ECS service is named with # in place of the ECS service name \\(ecs\\.running_task\\.#\\.count\\)')),
        expect.stringMatching(/^\/Stack\/Aws services\.ECSCluster\.excludedMetrics\[2\] "ecs\.cpu\.used" is not a metric name .*: it excludes nothing\. Use a documented name/),
      ]);
    });

    test('tells a name that leaves out the # part (ecs.running_task.count) to use #, as one filling it in is told', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.ECS_CLUSTER, { excludedMetrics: ['ecs.running_task.count', 'ecs.service_cpu_utilization.minimum', 'ecs.cpu_utilization.min'] });
      aws.addService(AwsIntegrationService.API_GATEWAY, { excludedMetrics: ['apigateway.latency.maximum'] });
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric')).map((w) => w.entry.data);
      const ecsHint = 'A metric per ECS service is named with # in place of the ECS service name';
      expect(warnings).toEqual([
        expect.stringMatching(new RegExp(`^services\\.ECSCluster\\.excludedMetrics\\[0\\] "ecs\\.running_task\\.count" .*: it excludes nothing\\. ${ecsHint}`)),
        expect.stringMatching(new RegExp(`^services\\.ECSCluster\\.excludedMetrics\\[1\\] "ecs\\.service_cpu_utilization\\.minimum" .*: it excludes nothing\\. ${ecsHint}`)),
        expect.stringMatching(/^services\.ECSCluster\.excludedMetrics\[2\] "ecs\.cpu_utilization\.min" .*: it excludes nothing\. Use a documented name/),
        expect.stringMatching(/^services\.APIGateway\.excludedMetrics\[0\] "apigateway\.latency\.maximum" .*: it excludes nothing\. Its latency metrics are named with # in place of Latency/),
      ]);
    });

    test('takes every documented ECSCluster metric name without a warning, and does not check services whose names it does not know', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      const documented = [...['cpu_utilization', 'memory_utilization', 'cpu_reservation', 'memory_reservation'].map((m) => `ecs.${m}`),
        ...['service_cpu_utilization', 'service_memory_utilization'].map((m) => `ecs.${m}.#`)]
        .flatMap((m) => ['minimum', 'average', 'maximum'].map((stat) => `${m}.${stat}`));
      aws.addService(AwsIntegrationService.ECS_CLUSTER, { includedMetrics: [...documented, 'ecs.running_task.#.count'] });
      aws.addService(AwsIntegrationService.DYNAMODB, { includedMetrics: ['dynamodb.any.name'] });
      expect(documented).toHaveLength(18);
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric'));
    });

    test('does not check the metric names of a service of AwsIntegrationService.of named like a property every object has', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN
      aws.addService(AwsIntegrationService.of('constructor', { actions: ['ecs:DescribeClusters'] }), { excludedMetrics: ['constructor.cpu.used'] });
      // THEN
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric'));
      Annotations.fromStack(stack).hasWarning('/Stack/Aws', Match.stringLikeRegexp('awsIntegrationServiceUnknown'));
    });

    /**
     * Every metric name of each service's page, as the page writes it (mackerelio/documents,
     * content/docs/entry/integrations/aws/<page>.md and content/ja/...), written out here rather
     * than taken from the library's table, so that a name missing from that table fails.
     */
    const DOCUMENTED_BY_PAGE: ReadonlyArray<[AwsIntegrationService, string[], string]> = [
      [AwsIntegrationService.SQS, ['sqs.oldest_message.age', 'sqs.message_state.delayed', 'sqs.message_state.not_visible', 'sqs.message_state.visible',
        'sqs.receive_count.empty', 'sqs.receive_count.received', 'sqs.message_count.deleted', 'sqs.message_count.sent',
        'sqs.message_size.average', 'sqs.message_size.max', 'sqs.message_size.min'], 'sqs.message_state.visable'],
      [AwsIntegrationService.API_GATEWAY, ['apigateway.requests.count', 'apigateway.errors.4xx_error', 'apigateway.errors.5xx_error',
        'apigateway.cache.cache_hit_count', 'apigateway.cache.cache_miss_count',
        'apigateway.latency.#.minimum', 'apigateway.latency.#.average', 'apigateway.latency.#.maximum',
        'apigateway.websocket_connect.count', 'apigateway.websocket_message.count',
        'apigateway.websocket_errors.integration', 'apigateway.websocket_errors.client', 'apigateway.websocket_errors.execution',
        'apigateway.websocket_latency.minimum', 'apigateway.websocket_latency.average', 'apigateway.websocket_latency.maximum',
        'apigateway.data_processed', 'apigateway.http_errors.4xx_error', 'apigateway.http_errors.5xx_error'], 'apigateway.errors.4xx'],
      // The English page's 34, and the Japanese page's kinesis.records.put_records in place of its four put_records_*.
      [AwsIntegrationService.KINESIS, ['kinesis.bytes.get_records', 'kinesis.bytes.incoming', 'kinesis.bytes.put_record', 'kinesis.bytes.put_records',
        'kinesis.records.get_records', 'kinesis.records.incoming', 'kinesis.records.put_records_successful', 'kinesis.records.put_records_total',
        'kinesis.records.put_records_failed', 'kinesis.records.put_records_throttled', 'kinesis.records.put_records',
        'kinesis.delay.minimum', 'kinesis.delay.average', 'kinesis.delay.maximum',
        'kinesis.success_rate.get_records', 'kinesis.success_rate.put_record', 'kinesis.success_rate.put_records',
        'kinesis.success_count.get_records', 'kinesis.success_count.put_record', 'kinesis.success_count.put_records',
        'kinesis.provisioned_throughput_exceeded.#.minimum', 'kinesis.provisioned_throughput_exceeded.#.average',
        'kinesis.provisioned_throughput_exceeded.#.maximum',
        'kinesis.latency.#.minimum', 'kinesis.latency.#.average', 'kinesis.latency.#.maximum'], 'kinesis.records.put_record'],
      [AwsIntegrationService.ELASTICACHE, ['elasticache.cpu.used', 'elasticache.cpu_credit.balance', 'elasticache.cpu_credit.used',
        'elasticache.swap.usage', 'elasticache.memory.freeable', 'elasticache.network.in', 'elasticache.network.out',
        'elasticache.network_packets.in', 'elasticache.network_packets.out',
        // As the page writes them, without elasticache.
        'network_allowance_exceeded.in', 'network_allowance_exceeded.out', 'network_allowance_exceeded.conntrack',
        'network_allowance_exceeded.link_local', 'network_allowance_exceeded.pps',
        'elasticache.memcached.commands.get', 'elasticache.memcached.commands.set', 'elasticache.memcached.commands.flush',
        'elasticache.memcached.commands.touch', 'elasticache.memcached.commands.config_get', 'elasticache.memcached.commands.config_set',
        'elasticache.memcached.cache.get_hits', 'elasticache.memcached.cache.get_misses', 'elasticache.memcached.cache.delete_hits',
        'elasticache.memcached.cache.delete_misses', 'elasticache.memcached.cache.incr_hits', 'elasticache.memcached.cache.incr_misses',
        'elasticache.memcached.cache.decr_hits', 'elasticache.memcached.cache.decr_misses', 'elasticache.memcached.cache.cas_badval',
        'elasticache.memcached.cache.cas_hits', 'elasticache.memcached.cache.cas_misses', 'elasticache.memcached.cache.touch_hits',
        'elasticache.memcached.cache.touch_misses', 'elasticache.memcached.evictions.evictions',
        'elasticache.memcached.unfetched.evicted', 'elasticache.memcached.unfetched.expired',
        'elasticache.memcached.traffics.bytes_read_into_memcached', 'elasticache.memcached.traffics.bytes_written_out_from_memcached',
        'elasticache.memcached.connections.current', 'elasticache.memcached.connections.new',
        'elasticache.memcached.items.current', 'elasticache.memcached.items.new', 'elasticache.memcached.items.reclaimed',
        'elasticache.memcached.items.current_config', 'elasticache.memcached.items.slabs_moved',
        'elasticache.memcached.memory.unused', 'elasticache.memcached.memory.used_for_hash', 'elasticache.memcached.memory.used_for_cache_items',
        'elasticache.redis.commands.get_type', 'elasticache.redis.commands.set_type', 'elasticache.redis.commands.key_based',
        'elasticache.redis.commands.string_based', 'elasticache.redis.commands.hash_based', 'elasticache.redis.commands.list_based',
        'elasticache.redis.commands.set_based', 'elasticache.redis.commands.cluster_based', 'elasticache.redis.commands.sorted_set_based',
        'elasticache.redis.commands.eval_based', 'elasticache.redis.commands.geo_spatial_based', 'elasticache.redis.commands.hyper_log_log_based',
        'elasticache.redis.commands.pub_sub_based', 'elasticache.redis.commands.stream_based',
        'elasticache.redis.cache.cache_hits', 'elasticache.redis.cache.cache_misses', 'elasticache.redis.evictions.evictions',
        'elasticache.redis.failures.authentication', 'elasticache.redis.failures.command_authorization', 'elasticache.redis.failures.key_authorization',
        'elasticache.redis.memory.used_for_cache', 'elasticache.redis.cpu.engine',
        'elasticache.redis.disk_io_bytes.read', 'elasticache.redis.disk_io_bytes.write', 'elasticache.redis.disk_io_items.read',
        'elasticache.redis.disk_io_items.write', 'elasticache.redis.is_primary.primary', 'elasticache.redis.primary_link_health_status.sync',
        'elasticache.redis.keys_tracked.count', 'elasticache.redis.connections.current', 'elasticache.redis.connections.new',
        'elasticache.redis.items.current', 'elasticache.redis.items.current_volatile', 'elasticache.redis.items.reclaimed',
        'elasticache.redis.active_defrag.hits', 'elasticache.redis.cache_hit_rate.hit', 'elasticache.redis.memory_percentage.database',
        'elasticache.redis.average_ttl.db0', 'elasticache.redis.fragmentation_ratio.memory', 'elasticache.redis.replication_bytes.replication',
        'elasticache.redis.replication_lag.lag', 'elasticache.redis.save_in_progress.bgsave',
        'elasticache.redis.commands_latency.get_type', 'elasticache.redis.commands_latency.set_type', 'elasticache.redis.commands_latency.key_based',
        'elasticache.redis.commands_latency.string_based', 'elasticache.redis.commands_latency.hash_based',
        'elasticache.redis.commands_latency.list_based', 'elasticache.redis.commands_latency.set_based',
        'elasticache.redis.commands_latency.cluster_based', 'elasticache.redis.commands_latency.sorted_set_based',
        'elasticache.redis.commands_latency.eval_based', 'elasticache.redis.commands_latency.geo_spatial_based',
        'elasticache.redis.commands_latency.hyper_log_log_based', 'elasticache.redis.commands_latency.pub_sub_based',
        'elasticache.redis.commands_latency.stream_based'], 'elasticache.redis.cache.cache_hit'],
      // Both versions of the page: 18 per load balancer, then 21 with IPv6 and Consumed LCUs, and Peak LCUs' 2.
      [AwsIntegrationService.ALB, ['alb.request.count', 'alb.request_ipv6.count', 'alb.bytes.processed', 'alb.bytes_ipv6.processed',
        'alb.httpcode_count.target_2xx', 'alb.httpcode_count.target_3xx', 'alb.httpcode_count.target_4xx', 'alb.httpcode_count.target_5xx',
        'alb.httpcode_count.alb_4xx', 'alb.httpcode_count.alb_5xx', 'alb.concurrent_connection_count.active',
        'alb.connection_count.new', 'alb.connection_count.rejected',
        'alb.response.time', 'alb.response.time_p90', 'alb.response.time_p95', 'alb.response.time_p99',
        'alb.tls_negotiation_error_count.client', 'alb.tls_negotiation_error_count.target', 'alb.connection_error_count.target',
        'alb.consumed_lcus.all', 'alb.peak_lcus.maximum', 'alb.peak_lcus.sum',
        'alb.request_per_group.TARGET_GROUP_NAME.count', 'alb.request_average_per_target.TARGET_GROUP_NAME.average',
        'alb.httpcode_count_per_group.TARGET_GROUP_NAME.target_2xx', 'alb.httpcode_count_per_group.TARGET_GROUP_NAME.target_3xx',
        'alb.httpcode_count_per_group.TARGET_GROUP_NAME.target_4xx', 'alb.httpcode_count_per_group.TARGET_GROUP_NAME.target_5xx',
        'alb.response_per_group.TARGET_GROUP_NAME.time', 'alb.response_per_group.TARGET_GROUP_NAME.time_p90',
        'alb.response_per_group.TARGET_GROUP_NAME.time_p95', 'alb.response_per_group.TARGET_GROUP_NAME.time_p99',
        'alb.tls_negotiation_error_count_per_group.TARGET_GROUP_NAME.count',
        'alb.host_count.TARGET_GROUP_NAME.healthy', 'alb.host_count.TARGET_GROUP_NAME.unhealthy'], 'alb.httpcode_count.elb_5xx'],
      [AwsIntegrationService.NLB, ['nlb.bytes.processed', 'nlb.bytes.tcp', 'nlb.bytes.tls', 'nlb.bytes.udp', 'nlb.flowcount.active', 'nlb.flowcount.new',
        'nlb.tcp_reset.client_count', 'nlb.tcp_reset.target_count', 'nlb.tcp_reset.elb_count',
        'nlb.established_active_flow.tcp', 'nlb.established_active_flow.tls', 'nlb.established_active_flow.udp',
        'nlb.consumed_lcus.all', 'nlb.consumed_lcus.tcp', 'nlb.consumed_lcus.tls', 'nlb.consumed_lcus.udp',
        'nlb.new_flow.tcp', 'nlb.new_flow.tls', 'nlb.new_flow.udp', 'nlb.tls_negotiation_error.target', 'nlb.tls_negotiation_error.client',
        'nlb.host_count.TARGET_GROUP_NAME.healthy', 'nlb.host_count.TARGET_GROUP_NAME.unhealthy'], 'nlb.flow_count.active'],
      [AwsIntegrationService.LAMBDA, ['lambda.count.invocations', 'lambda.count.errors', 'lambda.count.dead_letter_errors', 'lambda.count.throttles',
        'lambda.duration.average', 'lambda.duration.max', 'lambda.duration.min',
        'lambda.iterator_age.average', 'lambda.iterator_age.max', 'lambda.iterator_age.min',
        'lambda.count_per_alias.ALIAS.invocations', 'lambda.count_per_alias.ALIAS.errors',
        'lambda.count_per_alias.ALIAS.dead_letter_errors', 'lambda.count_per_alias.ALIAS.throttles',
        'lambda.duration_per_alias.ALIAS.average', 'lambda.duration_per_alias.ALIAS.max', 'lambda.duration_per_alias.ALIAS.min',
        'lambda.iterator_age_per_alias.ALIAS.average', 'lambda.iterator_age_per_alias.ALIAS.max', 'lambda.iterator_age_per_alias.ALIAS.min',
        'lambda.count_per_version.VERSION.invocations', 'lambda.count_per_version.VERSION.errors',
        'lambda.count_per_version.VERSION.dead_letter_errors', 'lambda.count_per_version.VERSION.throttles',
        'lambda.duration_per_version.VERSION.average', 'lambda.duration_per_version.VERSION.max', 'lambda.duration_per_version.VERSION.min',
        'lambda.iterator_age_per_version.VERSION.average', 'lambda.iterator_age_per_version.VERSION.max',
        'lambda.iterator_age_per_version.VERSION.min'], 'lambda.duration.maximum'],
      // The latest page's 14 and 6 per function, which name every metric of the earlier ones; OriginLatency's three statistics
      // under the one name the pages give them.
      [AwsIntegrationService.CLOUDFRONT, ['cloudfront.requests.request', 'cloudfront.transfer.download', 'cloudfront.transfer.upload',
        'cloudfront.error_rate.total_error_rate', 'cloudfront.error_rate.4xx_error_rate', 'cloudfront.error_rate.5xx_error_rate',
        'cloudfront.error_rate.401_error_rate', 'cloudfront.error_rate.403_error_rate', 'cloudfront.error_rate.404_error_rate',
        'cloudfront.error_rate.502_error_rate', 'cloudfront.error_rate.503_error_rate', 'cloudfront.error_rate.504_error_rate',
        'cloudfront.cache_hit_rate', 'cloudfront.origin_latency', 'cloudfront.function_invocations.FUNCTION_NAME',
        'cloudfront.function_validation_errors.FUNCTION_NAME', 'cloudfront.function_execution_errors.FUNCTION_NAME',
        'cloudfront.function_compute_utilization.FUNCTION_NAME.minimum', 'cloudfront.function_compute_utilization.FUNCTION_NAME.average',
        'cloudfront.function_compute_utilization.FUNCTION_NAME.maximum'], 'cloudfront.requests.requests'],
      // The union of the English and Japanese pages' versions: the later ones add the log volume, EBS balance, checkpoint,
      // connection attempt, surplus credit, replication channel and Aurora Serverless v2 metrics to the earlier ones' names.
      [AwsIntegrationService.RDS, ['rds.cpu.used', 'rds.cpu_credit.used', 'rds.cpu_credit.balance', 'rds.database_connections.used',
        'rds.disk_usage.bin_log', 'rds.memory.free', 'rds.memory.swap', 'rds.network_throughput.read', 'rds.network_throughput.transmit',
        'rds.diskiops.read', 'rds.diskiops.write', 'rds.burst_balance.balance', 'rds.maximum_used_transaction_ids.count', 'rds.checkpoint_lag.lag',
        'rds.connection_attempts.count', 'rds.cpu_surplus_credits.balance', 'rds.cpu_surplus_credits.charged', 'rds.ebs_balance.byte', 'rds.ebs_balance.io',
        'rds.log_volume_disk_queue.depth', 'rds.log_volume_disk.free', 'rds.log_volume_iops.read', 'rds.log_volume_iops.write',
        'rds.log_volume_latency.read', 'rds.log_volume_latency.write', 'rds.log_volume_throughput.read', 'rds.log_volume_throughput.write',
        'rds.disk_queue.depth', 'rds.disk.free', 'rds.replica_lag.lag', 'rds.latency.read', 'rds.latency.write', 'rds.throughput.read', 'rds.throughput.write',
        'rds.postgres_disk_usage.replication_slot', 'rds.postgres_disk_usage.transaction_logs', 'rds.oldest_replication_slot_lag.slot_lag',
        'rds.transaction_logs_generation.transaction_log', 'rds.failed_sql_server_agent_jobs.failed', 'rds.replication_channel_lag.CHANNEL_NAME',
        'rds.aurora.storage.free', 'rds.aurora.binlog_replica_lag.lag', 'rds.aurora.replica_lag.lag', 'rds.aurora.replica_lag.max_lag',
        'rds.aurora.replica_lag.min_lag', 'rds.aurora.engine_uptime.uptime', 'rds.aurora.transactions.active', 'rds.aurora.transactions.blocked',
        'rds.aurora.hit_ratio.buffer', 'rds.aurora.hit_ratio.result_set', 'rds.aurora.dml_latency.insert', 'rds.aurora.dml_latency.update',
        'rds.aurora.dml_latency.delete', 'rds.aurora.dml_latency.dml', 'rds.aurora.dml_throughput.insert', 'rds.aurora.dml_throughput.update',
        'rds.aurora.dml_throughput.delete', 'rds.aurora.dml_throughput.dml', 'rds.aurora.commit_latency.commit', 'rds.aurora.commit_throughput.commit',
        'rds.aurora.select_latency.select', 'rds.aurora.select_throughput.select', 'rds.aurora.ddl_latency.ddl', 'rds.aurora.ddl_throughput.ddl',
        'rds.aurora.queries.queries', 'rds.aurora.login_failures.failures', 'rds.aurora.deadlocks.deadlocks', 'rds.aurora.backtrack_window_difference.minutes',
        'rds.aurora.backtrack_window_alert.alert', 'rds.aurora.aurora_volume_bytes_left_total.total', 'rds.aurora.aborted_clients.aborted',
        'rds.aurora.row_lock_time.row_lock', 'rds.aurora.volume_used.bytes', 'rds.aurora.serverless_database_capacity.capacity',
        'rds.aurora.acu_utilization.utilization', 'rds.aurora.temp_storage_iops.iops', 'rds.aurora.temp_storage_throughput.throughput'], 'rds.cpu.usage'],
    ];

    test.each(DOCUMENTED_BY_PAGE.map(([service, names, misspelt]) => [service.id, service, names, misspelt] as const))(
      '%s: takes every name its page documents without a warning, and warns on a misspelt one', (id, service, names, misspelt) => {
        const documented = integrationStack();
        new MackerelAwsIntegration(documented.stack, 'Aws', { name: 'prod' }).addService(service, { includedMetrics: names });
        Annotations.fromStack(documented.stack).hasNoWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric'));

        const { stack } = integrationStack();
        new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' }).addService(service, { excludedMetrics: [names[0], misspelt] });
        const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric'));
        expect(warnings.map((w) => w.entry.data)).toEqual([expect.stringContaining(
          `services.${id}.excludedMetrics[1] ${JSON.stringify(misspelt)} is not a metric name Mackerel documents for ${id}`)]);
      });

    test('counts the documented names the pages give: 11 of SQS, 19 of API Gateway, 26 of Kinesis, 104 of ElastiCache, 36 of ALB, 23 of NLB, 30 of Lambda, 20 of CloudFront, 77 of RDS', () => {
      // Guards the table above against a name left out in copying it: the pages' own counts
      // (SQS 11; API Gateway 11 + 8 + 10 metrics, 19 names once # and the shared ones are counted once;
      // Kinesis 34 in English, 31 in Japanese, 26 names once each # is counted once, the 25 of the English page and 1 of the Japanese;
      // ElastiCache 14 of the node, 34 of Memcached, 56 of Redis, as its 48 and 70 say; ALB 21 + 2 of Peak LCUs
      // + 13 per target group; NLB 21 + 2 per target group; Lambda 10 + 10 per alias + 10 per version; RDS 26 common to every
      // engine, 7 of RDS alone (33), 1 + 4 of PostgreSQL (38), 1 of SQL Server (34), 1 per replication channel of MySQL,
      // 27 of Aurora, 5 of Aurora MySQL, 1 of Aurora's cluster and the 4 of Aurora Serverless v2 (63 of Aurora MySQL), whose
      // capacity Aurora Serverless v1 has too; CloudFront 14, its origin latency counted once as the page does, + 6 per function).
      expect(DOCUMENTED_BY_PAGE.map(([service, names]) => [service.id, new Set(names).size])).toEqual([['SQS', 11], ['APIGateway', 19], ['Kinesis', 26],
        ['ElastiCache', 104], ['ALB', 36], ['NLB', 23], ['Lambda', 30], ['CloudFront', 20], ['RDS', 77]]);
    });

    test('takes a part the pages write in capitals (a target group, an alias, a version) as # or as a name, and warns on the parts around it', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN
      const alb = ['alb.host_count.#.unhealthy', 'alb.host_count.web-tg.unhealthy',
        'alb.host_count.unhealthy', 'alb.host_count.web.tg.unhealthy', 'alb.host_count.web-tg.unhealty'];
      const lambda = ['lambda.count_per_alias.#.errors', 'lambda.count_per_alias.live.errors',
        'lambda.count_per_version.42.errors', 'lambda.count_per_alias.unqualified.throttles', 'lambda.count_per_function.live.errors'];
      aws.addService(AwsIntegrationService.ALB, { excludedMetrics: alb });
      aws.addService(AwsIntegrationService.NLB, { excludedMetrics: ['nlb.host_count.#.healthy', 'nlb.host_count.api-tg.healthy'] });
      aws.addService(AwsIntegrationService.LAMBDA, { excludedMetrics: lambda });
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric')).map((w) => w.entry.data);
      const star = 'A \\* part stands for a target group\'s name \\(TARGET_GROUP_NAME in the docs\\), or #\\.';
      expect(warnings).toEqual([
        expect.stringMatching(new RegExp(`^services\\.ALB\\.excludedMetrics\\[2\\] "alb\\.host_count\\.unhealthy" is not a metric name Mackerel documents for ALB \\(alb\\.request\\.count, .*alb\\.host_count\\.\\*\\.unhealthy\\): it excludes nothing\\. ${star} Use a documented name \\(https://mackerel\\.io/docs/entry/integrations/aws/alb\\)`)),
        expect.stringMatching(/^services\.ALB\.excludedMetrics\[3\] "alb\.host_count\.web\.tg\.unhealthy" is not a metric name/),
        expect.stringMatching(/^services\.ALB\.excludedMetrics\[4\] "alb\.host_count\.web-tg\.unhealty" is not a metric name/),
        expect.stringMatching(/^services\.Lambda\.excludedMetrics\[4\] "lambda\.count_per_function\.live\.errors" is not a metric name .*: it excludes nothing\. A \* part stands for an alias or a version/),
      ]);
    });

    test('takes an RDS replication channel as #, as a name or as a name with dots, and warns on a channel metric without one', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN
      aws.addService(AwsIntegrationService.RDS, {
        excludedMetrics: ['rds.replication_channel_lag.#', 'rds.replication_channel_lag.source-1', 'rds.replication_channel_lag.eu.primary',
          'rds.replication_channel_lag', 'rds.replication_lag.source-1'],
      });
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric')).map((w) => w.entry.data);
      expect(warnings).toEqual([
        expect.stringMatching(/^services\.RDS\.excludedMetrics\[3\] "rds\.replication_channel_lag" is not a metric name Mackerel documents for RDS: it excludes nothing\. Use a documented name \(https:\/\/mackerel\.io\/docs\/entry\/integrations\/aws\/rds\)/),
        expect.stringMatching(/^services\.RDS\.excludedMetrics\[4\] "rds\.replication_lag\.source-1" is not a metric name Mackerel documents for RDS: it excludes nothing\./),
      ]);
    });

    test('takes a CloudFront origin latency name with or without a statistic, and a function as # or a name, and warns on others', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN
      aws.addService(AwsIntegrationService.CLOUDFRONT, {
        excludedMetrics: ['cloudfront.origin_latency.maximum', 'cloudfront.origin_latency.max', 'cloudfront.function_invocations.#',
          'cloudfront.function_compute_utilization.rewrite-uri.average', 'cloudfront.cache_hit_rate.average', 'cloudfront.origin_latancy.maximum',
          'cloudfront.function_invocations', 'cloudfront.error_rate.4xx'],
      });
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric')).map((w) => w.entry.data);
      expect(warnings).toEqual([
        expect.stringMatching(/^services\.CloudFront\.excludedMetrics\[4\] "cloudfront\.cache_hit_rate\.average" is not a metric name Mackerel documents for CloudFront \(cloudfront\.requests\.request, .*\): it excludes nothing\. A \* part stands for a CloudFront Functions function's name \(FUNCTION_NAME in the docs\), or #; after cloudfront\.origin_latency, for a statistic.* Use a documented name \(https:\/\/mackerel\.io\/docs\/entry\/integrations\/aws\/cloudfront\)/),
        expect.stringMatching(/^services\.CloudFront\.excludedMetrics\[5\] "cloudfront\.origin_latancy\.maximum" is not a metric name/),
        expect.stringMatching(/^services\.CloudFront\.excludedMetrics\[6\] "cloudfront\.function_invocations" is not a metric name/),
        expect.stringMatching(/^services\.CloudFront\.excludedMetrics\[7\] "cloudfront\.error_rate\.4xx" is not a metric name/),
      ]);
    });

    test('warns on a CloudFront name with more parts after a function or a statistic, which a function name or a statistic cannot hold', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN: a CloudFront Functions function's name holds only letters, digits, hyphens and underscores, so no dot
      aws.addService(AwsIntegrationService.CLOUDFRONT, {
        excludedMetrics: ['cloudfront.function_invocations.rewrite-uri', 'cloudfront.function_invocations.#.count',
          'cloudfront.function_execution_errors.rewrite-uri.sum', 'cloudfront.origin_latency.average.value'],
      });
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric')).map((w) => w.entry.data);
      expect(warnings).toEqual([
        expect.stringMatching(/^services\.CloudFront\.excludedMetrics\[1\] "cloudfront\.function_invocations\.#\.count" is not a metric name/),
        expect.stringMatching(/^services\.CloudFront\.excludedMetrics\[2\] "cloudfront\.function_execution_errors\.rewrite-uri\.sum" is not a metric name/),
        expect.stringMatching(/^services\.CloudFront\.excludedMetrics\[3\] "cloudfront\.origin_latency\.average\.value" is not a metric name/),
      ]);
    });

    test('tells an API Gateway latency name written with Latency where its page has # to use #, and lists a large service\'s names of the same graph only', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.API_GATEWAY, { excludedMetrics: ['apigateway.latency.IntegrationLatency.maximum'] });
      aws.addService(AwsIntegrationService.ELASTICACHE, { excludedMetrics: ['elasticache.redis.cache.hits', 'elasticache.redis.cahce.cache_hits'] });
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric')).map((w) => w.entry.data);
      expect(warnings).toEqual([
        expect.stringMatching(/^services\.APIGateway\.excludedMetrics\[0\] "apigateway\.latency\.IntegrationLatency\.maximum" .*: it excludes nothing\. Its latency metrics are named with # in place of Latency or IntegrationLatency \(apigateway\.latency\.#\.minimum\)/),
        expect.stringMatching(/^services\.ElastiCache\.excludedMetrics\[0\] "elasticache\.redis\.cache\.hits" is not a metric name Mackerel documents for ElastiCache \(elasticache\.redis\.cache\.cache_hits, elasticache\.redis\.cache\.cache_misses\): it excludes nothing\. Use a documented name \(https:\/\/mackerel\.io\/docs\/entry\/integrations\/aws\/elasticache\)/),
        expect.stringMatching(/^services\.ElastiCache\.excludedMetrics\[1\] "elasticache\.redis\.cahce\.cache_hits" is not a metric name Mackerel documents for ElastiCache: it excludes nothing\. Use a documented name/),
      ]);
    });

    test('tells a Kinesis name written with Read, Write or an API where its page has # to use #, and lists every Kinesis name', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.KINESIS, {
        excludedMetrics: ['kinesis.provisioned_throughput_exceeded.Read.maximum', 'kinesis.latency.PutRecords.minimum', 'kinesis.latency.average', 'kinesis.delay.max'],
      });
      const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric')).map((w) => w.entry.data);
      const hint = 'Its provisioned throughput exceeded and latency metrics are named with # in place of Read or Write, and of GetRecords, PutRecord or PutRecords '
        + '\\(kinesis\\.latency\\.#\\.minimum\\): one name covers each of them\\.';
      expect(warnings).toEqual([
        expect.stringMatching(new RegExp('^services\\.Kinesis\\.excludedMetrics\\[0\\] "kinesis\\.provisioned_throughput_exceeded\\.Read\\.maximum" is not a metric name '
          + 'Mackerel documents for Kinesis \\(kinesis\\.bytes\\.get_records, .*, kinesis\\.latency\\.#\\.maximum\\): it excludes nothing\\. '
          + `${hint} Use a documented name \\(https://mackerel\\.io/docs/entry/integrations/aws/kinesis\\)`)),
        expect.stringMatching(new RegExp(`^services\\.Kinesis\\.excludedMetrics\\[1\\] "kinesis\\.latency\\.PutRecords\\.minimum" .*: it excludes nothing\\. ${hint}`)),
        expect.stringMatching(new RegExp(`^services\\.Kinesis\\.excludedMetrics\\[2\\] "kinesis\\.latency\\.average" .*: it excludes nothing\\. ${hint}`)),
        expect.stringMatching(/^services\.Kinesis\.excludedMetrics\[3\] "kinesis\.delay\.max" .*: it excludes nothing\. Use a documented name/),
      ]);
    });

    test('does not check a metric name given as a token, nor a metric list given as one', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      const name = new CfnParameter(stack, 'Metric').valueAsString;
      aws.addService(AwsIntegrationService.SQS, { includedMetrics: [name, 'sqs.oldest_message.age', 'sqs.oldest_message.agee'] });
      aws.addService(AwsIntegrationService.API_GATEWAY, { includedMetrics: new CfnParameter(stack, 'Metrics', { type: 'CommaDelimitedList' }).valueAsList });
      // The one name the check could read, and did.
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationUnknownMetric')).map((w) => w.entry.data)).toEqual([
        expect.stringMatching(/^services\.SQS\.includedMetrics\[2\] "sqs\.oldest_message\.agee" is not a metric name/),
      ]);
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: { SQS: { enable: true, includedMetrics: [{ Ref: 'Metric' }, 'sqs.oldest_message.age', 'sqs.oldest_message.agee'] }, APIGateway: { includedMetrics: { Ref: 'Metrics' } } },
      });
    });

    test('renders excludedMetrics next to a service without a metric list: both get new metrics automatically', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      // WHEN
      aws.addService(AwsIntegrationService.EC2);
      aws.addService(AwsIntegrationService.RDS, { excludedMetrics: ['rds.cpu.used'] });
      // THEN
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: {
          EC2: { enable: true, excludedMetrics: Match.absent(), includedMetrics: Match.absent() },
          RDS: { enable: true, excludedMetrics: ['rds.cpu.used'], includedMetrics: Match.absent() },
        },
      });
    });

    test('uses the deploy-time region of an environment-agnostic stack', () => {
      const { stack } = integrationStack({});
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.EC2);
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, { region: { Ref: 'AWS::Region' } });
      expect(stack.resolve(aws.region)).toEqual(stack.resolve(Aws.REGION));
    });

    test('quotes tag keys and values by Mackerel\'s rules', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', {
        name: 'prod',
        includedTags: [{ key: 'service', value: 'foo' }, { key: 'service', value: 'bar' }, { key: 'service:role', value: 'foo,bar' }],
        excludedTags: [{ key: 'note', value: 'say "hi"' }, { key: 'env', value: ' dev' }],
      });
      aws.addService(AwsIntegrationService.EC2);
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        includedTags: 'service:foo,service:bar,"service:role":"foo,bar"',
        excludedTags: 'note:\'say "hi"\',env:" dev"',
      });
    });

    test('quotes a tag key or value given as a token, whose value is known only at deploy time', () => {
      // GIVEN: a role tag's value always holds a colon
      const { stack } = integrationStack();
      const roles = new CfnParameter(stack, 'Roles', { default: 'shop:web' });
      const key = new CfnParameter(stack, 'TagKey', { default: 'team:name' });
      // WHEN
      const aws = new MackerelAwsIntegration(stack, 'Aws', {
        name: 'prod',
        includedTags: [{ key: 'mackerel-integration', value: roles.valueAsString }, { key: 'env', value: 'prod' }],
        excludedTags: [{ key: key.valueAsString, value: 'old' }],
      });
      aws.addService(AwsIntegrationService.EC2);
      // THEN
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        includedTags: { 'Fn::Join': ['', ['mackerel-integration:"', { Ref: 'Roles' }, '",env:prod']] },
        excludedTags: { 'Fn::Join': ['', ['"', { Ref: 'TagKey' }, '":old']] },
      });
    });

    test('a MackerelRole\'s full name makes the integration refer to the role resource', () => {
      const { stack } = integrationStack();
      const ecsRole = new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('ecs');
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: ecsRole.fullName });
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: { ECSCluster: { enable: true, role: stack.resolve(ecsRole.fullName) } },
      });
    });
  });

  describe('ECS and load balancer helpers', () => {
    function network(stack: Stack) {
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
      return { vpc, cluster: new ecs.Cluster(stack, 'Cluster', { vpc }) };
    }

    test('addEcsCluster and addLoadBalancer enable ECSCluster, ALB and NLB with their roles', () => {
      const { stack } = integrationStack();
      const { vpc, cluster } = network(stack);
      const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
      const nlb = new elbv2.NetworkLoadBalancer(stack, 'Nlb', { vpc });
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addEcsCluster(cluster, { role: 'shop:ecs' });
      aws.addLoadBalancer(alb, { role: 'shop:lb', retireAutomatically: true });
      aws.addLoadBalancer(nlb, { role: 'shop:nlb' });
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: {
          ECSCluster: { enable: true, role: 'shop:ecs' },
          ALB: { enable: true, role: 'shop:lb', retireAutomatically: true },
          NLB: { enable: true, role: 'shop:nlb' },
        },
      });
    });

    test('filterTag tags the cluster and the load balancer and adds the tag, once, to includedTags', () => {
      const { stack } = integrationStack();
      const { vpc, cluster } = network(stack);
      const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
      const shop = { key: 'mackerel-service', value: 'shop' };
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', includedTags: [{ key: 'team', value: 'web' }] });
      aws.addEcsCluster(cluster, { role: 'shop:ecs', filterTag: shop });
      aws.addLoadBalancer(alb, { role: 'shop:lb', filterTag: shop });
      const template = Template.fromStack(stack);
      template.hasResourceProperties(INTEGRATION, {
        includedTags: 'team:web,mackerel-service:shop',
        services: { ECSCluster: { enable: true, role: 'shop:ecs' }, ALB: { enable: true, role: 'shop:lb' } },
      });
      template.hasResourceProperties('AWS::ECS::Cluster', { Tags: [{ Key: 'mackerel-service', Value: 'shop' }] });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Tags: [{ Key: 'mackerel-service', Value: 'shop' }] });
      // the option is not a service setting: nothing of it reaches the services map
      expect(JSON.stringify(template.findResources(INTEGRATION))).not.toContain('filterTag');
    });

    test('filterTag tags only the resource, not what it holds: the instances of a cluster\'s capacity would join the EC2 hosts', () => {
      const { stack } = integrationStack();
      // A cluster without a VPC makes its own, and its capacity is an Auto Scaling group (with a draining Lambda).
      const cluster = new ecs.Cluster(stack, 'Cluster', { capacity: { instanceType: new ec2.InstanceType('t3.micro') } });
      const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc: cluster.vpc });
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.EC2);
      aws.addService(AwsIntegrationService.LAMBDA);
      const filterTag = { key: 'mackerel-service', value: 'shop' };
      aws.addEcsCluster(cluster, { filterTag });
      aws.addLoadBalancer(alb, { filterTag });
      const template = Template.fromStack(stack);
      const tagged = Object.entries(template.toJSON().Resources as { [id: string]: { Type: string; Properties?: { Tags?: unknown } } })
        .filter(([, r]) => JSON.stringify(r.Properties?.Tags ?? []).includes('"mackerel-service"'))
        .map(([, r]) => r.Type);
      expect(tagged.sort()).toEqual(['AWS::ECS::Cluster', 'AWS::ElasticLoadBalancingV2::LoadBalancer']);
    });

    describe('a tag both included and excluded', () => {
      test('warns for a filterTag in excludedTags: the resource added with it may be left out, with no metrics', () => {
        const { stack } = integrationStack();
        const { cluster } = network(stack);
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', excludedTags: [{ key: 'env', value: 'dev' }, { key: 'mackerel', value: 'shop' }] });
        aws.addEcsCluster(cluster, { filterTag: { key: 'mackerel', value: 'shop' } });
        Annotations.fromStack(stack).hasWarning('/Stack/Aws', Match.stringLikeRegexp(
          '^filterTag of cluster "Stack/Cluster" "mackerel:shop" is also excludedTags\\[1\\]: .* if the exclusion does, none of them is integrated '
          + 'and their metrics are missing\\. Keep the tag in one of the two lists \\[ack: cdk-mackerel:awsIntegrationTagExcluded\\]$'));
      });

      test('warns for a tag in includedTags and excludedTags; a tag of the same key and another value is no repeat', () => {
        const { stack } = integrationStack();
        const aws = new MackerelAwsIntegration(stack, 'Aws', {
          name: 'prod',
          includedTags: [{ key: 'env', value: 'prod' }, { key: 'team', value: 'web' }],
          excludedTags: [{ key: 'env', value: 'dev' }, { key: 'team', value: 'web' }],
        });
        aws.addService(AwsIntegrationService.RDS);
        const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.stringLikeRegexp('awsIntegrationTagExcluded'));
        expect(warnings.map((w) => String(w.entry.data).split(':')[0])).toEqual(['includedTags[1] "team']);
      });

      test('reads excludedTags as given: a tag pushed onto the array afterwards, which the template never excludes, is no repeat', () => {
        const { stack } = integrationStack();
        const { cluster } = network(stack);
        const excludedTags = [{ key: 'env', value: 'dev' }];
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', excludedTags });
        excludedTags.push({ key: 'mackerel', value: 'shop' });
        aws.addEcsCluster(cluster, { filterTag: { key: 'mackerel', value: 'shop' } });
        Template.fromStack(stack).hasResourceProperties(INTEGRATION, { excludedTags: 'env:dev', includedTags: 'mackerel:shop' });
        Annotations.fromStack(stack).hasNoWarning('/Stack/Aws', Match.stringLikeRegexp('awsIntegrationTagExcluded'));
      });

      test('shows the tag as Mackerel reads it, quoted where its key holds a colon', () => {
        const { stack } = integrationStack();
        const tag = { key: 'app:tier', value: 'web' };
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', includedTags: [tag], excludedTags: [tag] });
        aws.addService(AwsIntegrationService.RDS);
        Annotations.fromStack(stack).hasWarning('/Stack/Aws', Match.stringLikeRegexp('^includedTags\\[0\\] "\\\\"app:tier\\\\":web" is also excludedTags\\[0\\]: '));
      });
    });

    test('a second cluster (or load balancer) of the kind shares the service entry when its options are the same', () => {
      const { stack } = integrationStack();
      const { vpc, cluster } = network(stack);
      const batch = new ecs.Cluster(stack, 'Batch', { vpc });
      const [a, b] = ['A', 'B'].map((id) => new elbv2.ApplicationLoadBalancer(stack, id, { vpc }));
      const tag = { key: 'mackerel-service', value: 'shop' };
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addEcsCluster(cluster, { role: 'shop:ecs', filterTag: tag });
      aws.addEcsCluster(batch, { role: 'shop:ecs', filterTag: tag });
      aws.addLoadBalancer(a, { role: 'shop:lb', excludedMetrics: ['alb.request.count'] });
      aws.addLoadBalancer(b, { role: 'shop:lb', excludedMetrics: ['alb.request.count'] });
      const template = Template.fromStack(stack);
      template.resourcePropertiesCountIs('AWS::ECS::Cluster', { Tags: [{ Key: 'mackerel-service', Value: 'shop' }] }, 2);
      template.hasResourceProperties(INTEGRATION, {
        includedTags: 'mackerel-service:shop',
        services: {
          ECSCluster: { enable: true, role: 'shop:ecs' },
          ALB: { enable: true, role: 'shop:lb', excludedMetrics: ['alb.request.count'] },
        },
      });
    });

    test('a second cluster with other options, or one beside addService, is refused: Mackerel keeps one entry per service', () => {
      const { stack } = integrationStack();
      const { vpc, cluster } = network(stack);
      const batch = new ecs.Cluster(stack, 'Batch', { vpc });
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addEcsCluster(cluster, { role: 'shop:ecs' });
      expect(() => aws.addEcsCluster(batch, { role: 'shop:batch' })).toThrow(
        'Stack/Aws: cluster "Stack/Batch" enables ECSCluster, which Stack/Cluster already enabled with other options ({"role":"shop:ecs"}); '
        + 'expected ECSCluster once per integration, or each cluster of the kind with the same options (role, metrics, retireAutomatically). '
        + 'Mackerel keeps one role and one metric list per service: every ECSCluster resource of the integration shares them');
      expect(() => aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' }))
        .toThrow(/service "ECSCluster" is enabled twice \(as "ECSCluster" before, by Stack\/Cluster\)/);
      const other = new MackerelAwsIntegration(stack, 'Other', { name: 'other' });
      other.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
      expect(() => other.addEcsCluster(cluster, { role: 'shop:ecs' }))
        .toThrow(/^Stack\/Other: cluster "Stack\/Cluster" enables ECSCluster, which addService already enabled; expected/);
    });

    test('a second cluster may give the role by name where the first gave the MackerelRole\'s fullName: it is the same role', () => {
      const { stack } = integrationStack();
      const { vpc, cluster } = network(stack);
      const other = new ecs.Cluster(stack, 'Other', { vpc });
      const ecsRole = new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('ecs');
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addEcsCluster(cluster, { role: ecsRole.fullName });
      aws.addEcsCluster(other, { role: 'shop:ecs' });
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, {
        services: { ECSCluster: { enable: true, role: stack.resolve(ecsRole.fullName) } },
      });
      // Another role still fails, the first shown by its name.
      expect(() => aws.addEcsCluster(new ecs.Cluster(stack, 'Third', { vpc }), { role: 'shop:web' }))
        .toThrow(/enables ECSCluster, which Stack\/Cluster already enabled with other options \(\{"role":"shop:ecs"\}\)/);
    });

    test('a second cluster may give the role by a Lazy name that ends as the first\'s; one that ends as another role is refused at synth', () => {
      const added = (last: string) => {
        const { app, stack } = integrationStack();
        const { vpc, cluster } = network(stack);
        const state = { value: last === 'shop:ecs' ? 'shop:draft' : 'shop:ecs' };
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
        aws.addEcsCluster(cluster, { role: 'shop:ecs' });
        aws.addEcsCluster(new ecs.Cluster(stack, 'Batch', { vpc }), { role: Lazy.string({ produce: () => state.value }) });
        state.value = last;
        return () => app.synth();
      };
      expect(added('shop:ecs')).not.toThrow();
      expect(added('shop:batch')).toThrow(/\[Stack\/Aws\] cluster "Stack\/Batch" enables ECSCluster, which Stack\/Cluster already enabled with other options \(\{"role":"shop:ecs"\}\)/);
    });

    describe('Mackerel\'s role tag (mackerel-integration) as filterTag', () => {
      test('is refused when its value is not roles: Mackerel would assign it as the resource\'s roles', () => {
        const { stack } = integrationStack();
        const { cluster } = network(stack);
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
        expect(() => aws.addEcsCluster(cluster, { role: 'shop:ecs', filterTag: { key: 'mackerel-integration', value: 'shop' } })).toThrow(
          'Stack/Aws: filterTag.value "shop" is not a list of Mackerel roles, yet the key "mackerel-integration" makes Mackerel assign the roles '
          + 'it lists to the resource, in place of the integration\'s role; expected service:role[/service:role...], each part '
          + '2-63 letters, digits, - or _, not starting with - or _. Use another key (such as "mackerel-service") for a tag that only filters');
      });

      test('with roles is allowed, and warns when it overrides another role the options give', () => {
        const warnings = (role: string | undefined, value: string) => {
          const { stack } = integrationStack();
          const { cluster } = network(stack);
          const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
          aws.addEcsCluster(cluster, { role, filterTag: { key: 'mackerel-integration', value } });
          Template.fromStack(stack).hasResourceProperties('AWS::ECS::Cluster', { Tags: [{ Key: 'mackerel-integration', Value: value }] });
          return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationRoleTag')).map((w) => w.entry.data);
        };
        expect(warnings(undefined, 'shop:ecs')).toEqual([]);
        expect(warnings('shop:ecs', 'shop:ecs/ops:ecs')).toEqual([]);
        // A MackerelRole's fullName (a token) is compared by the name it was created with.
        const byRole = (value: string) => {
          const { stack } = integrationStack();
          const { cluster } = network(stack);
          const web = new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('web');
          const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
          aws.addEcsCluster(cluster, { role: web.fullName, filterTag: { key: 'mackerel-integration', value } });
          return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationRoleTag')).map((w) => w.entry.data);
        };
        expect(byRole('shop:web')).toEqual([]);
        expect(byRole('shop:db')).toEqual([expect.stringContaining(
          'filterTag "mackerel-integration:shop:db" assigns shop:db to the resource, in place of role "shop:web"')]);
        // Mackerel's own example writes spaces around the slash.
        expect(warnings('shop:ecs', 'shop:ecs / ops:ecs')).toEqual([]);
        expect(warnings('shop:web', 'shop:ecs / shop:db')).toEqual([expect.stringContaining(
          'filterTag "mackerel-integration:shop:ecs / shop:db" assigns shop:ecs, shop:db to the resource, in place of role "shop:web"')]);
        expect(warnings('shop:web', 'shop:ecs')).toEqual([expect.stringContaining(
          'filterTag "mackerel-integration:shop:ecs" assigns shop:ecs to the resource, in place of role "shop:web"')]);
      });

      test('of a Lazy value, or with a Lazy role, is checked by the values they end with', () => {
        const synth = (value: string, role: string, lazy: 'value' | 'role') => {
          const { app, stack } = integrationStack();
          const { cluster } = network(stack);
          const state = { value: 'shop:draft', role: 'shop:draft' };
          const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
          aws.addEcsCluster(cluster, {
            role: lazy === 'role' ? Lazy.string({ produce: () => state.role }) : role,
            filterTag: { key: 'mackerel-integration', value: lazy === 'value' ? Lazy.string({ produce: () => state.value }) : value },
          });
          state.value = value;
          state.role = role;
          return () => {
            app.synth();
            return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('awsIntegrationRoleTag')).map((w) => w.entry.data);
          };
        };
        expect(synth('shop', 'shop:ecs', 'value')).toThrow(
          '[Stack/Aws] filterTag.value "shop" is not a list of Mackerel roles, yet the key "mackerel-integration" makes Mackerel assign the roles');
        expect(synth('shop:ecs / ops:ecs', 'shop:ecs', 'value')()).toEqual([]);
        expect(synth('shop:ecs', 'shop:web', 'value')()).toEqual([expect.stringContaining(
          'filterTag "mackerel-integration:shop:ecs" assigns shop:ecs to the resource, in place of role "shop:web"')]);
        expect(synth('shop:ecs', 'shop:ecs', 'role')()).toEqual([]);
        expect(synth('shop:ecs', 'shop:web', 'role')()).toEqual([expect.stringContaining(
          'filterTag "mackerel-integration:shop:ecs" assigns shop:ecs to the resource, in place of role "shop:web"')]);
      });

      test('of a Lazy value an Aspect of the app gives its value after the integration\'s, is checked and written with that value', () => {
        const synth = (value: string) => {
          const { app, stack } = integrationStack();
          const { cluster } = network(stack);
          const state = { value: 'draft' };
          const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
          aws.addEcsCluster(cluster, { role: 'shop:ecs', filterTag: { key: 'mackerel-integration', value: Lazy.string({ produce: () => state.value }) } });
          // declared after the integration, so its Aspect runs after the integration's
          const later = new Construct(stack, 'Later');
          Aspects.of(later).add({ visit: () => { state.value = value; } });
          return () => {
            app.synth();
            return Template.fromStack(stack);
          };
        };
        synth('shop:ecs / ops:ecs')().hasResourceProperties('Custom::MackerelAwsIntegration', { includedTags: 'mackerel-integration:"shop:ecs / ops:ecs"' });
        expect(synth('shop')).toThrow('[Stack/Aws] filterTag.value "shop" is not a list of Mackerel roles');
      });

      test('of an uncached Lazy value is checked by the value it reads at synthesis, not by the one it reads as the cluster is added', () => {
        const synth = (value: string) => {
          const { app, stack } = integrationStack();
          const { cluster } = network(stack);
          const state = { value: 'shop:draft' };
          const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
          aws.addEcsCluster(cluster, { role: 'shop:ecs', filterTag: { key: 'mackerel-integration', value: Lazy.uncachedString({ produce: () => state.value }) } });
          state.value = value;
          return () => app.synth();
        };
        expect(synth('shop:ecs / ops:ecs')).not.toThrow();
        expect(synth('shop')).toThrow('[Stack/Aws] filterTag.value "shop" is not a list of Mackerel roles, yet the key "mackerel-integration" makes Mackerel assign');
      });

      test('of a Lazy key is checked by the key it ends with, cached or not; a reference passes as given', () => {
        const synth = (key: string, uncached: boolean) => {
          const { app, stack } = integrationStack();
          const { cluster } = network(stack);
          const state = { key: 'team' };
          const lazy = uncached ? Lazy.uncachedString({ produce: () => state.key }) : Lazy.string({ produce: () => state.key });
          const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
          aws.addEcsCluster(cluster, { role: 'shop:ecs', filterTag: { key: lazy, value: 'shop' } });
          state.key = key;
          return () => app.synth();
        };
        const refused = '[Stack/Aws] filterTag.value "shop" is not a list of Mackerel roles, yet the key "mackerel-integration" makes Mackerel assign';
        expect(synth('mackerel-integration', false)).toThrow(refused);
        expect(synth('mackerel-integration', true)).toThrow(refused);
        expect(synth('team', false)).not.toThrow();
        expect(synth('aws:team', true)).toThrow('[Stack/Aws] filterTag.key "aws:team" is not an AWS tag key; expected 1-128 characters');
        expect(synth('', false)).toThrow('[Stack/Aws] filterTag.key "" is empty; expected an AWS tag key of 1-128 characters');
        // A reference, alone or in an uncached Lazy, is known only at deploy time.
        const { app, stack } = integrationStack();
        const { cluster } = network(stack);
        const key = new CfnParameter(stack, 'TagKey').valueAsString;
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
        aws.addEcsCluster(cluster, { role: 'shop:ecs', filterTag: { key: Lazy.uncachedString({ produce: () => key }), value: 'shop' } });
        expect(() => app.synth()).not.toThrow();
      });
    });

    test('an includedTags or excludedTags key or value of a Lazy is checked by what it ends with, as a literal is', () => {
      const synth = (key: string, value: string, property: 'includedTags' | 'excludedTags') => {
        const { app, stack } = integrationStack();
        const state = { key: 'team', value: 'shop' };
        const tags = [{ key: 'env', value: 'prod' }, { key: Lazy.string({ produce: () => state.key }), value: Lazy.uncachedString({ produce: () => state.value }) }];
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', [property]: tags });
        aws.addService(AwsIntegrationService.EC2);
        state.key = key;
        state.value = value;
        return () => app.synth();
      };
      expect(synth('team', 'shop', 'includedTags')).not.toThrow();
      expect(synth('', 'shop', 'includedTags')).toThrow('[Stack/Aws] includedTags[1].key "" is empty; expected an AWS tag key of 1-128 characters');
      expect(synth('team', 'it\'s "x"', 'excludedTags')).toThrow(
        '[Stack/Aws] excludedTags[1].value "it\'s \\"x\\"" contains both quote characters; expected a key or value with at most one of " and \'');
    });

    test('an includedTags or excludedTags part of a Lazy that ends with a " is refused, as a token is enclosed in " where a literal is in \'', () => {
      const synth = (value: string, property: 'includedTags' | 'excludedTags', uncached = false) => {
        const { app, stack } = integrationStack();
        const state = { value: 'shop' };
        const lazy = uncached ? Lazy.uncachedString({ produce: () => state.value }) : Lazy.string({ produce: () => state.value });
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', [property]: [{ key: 'team', value: lazy }] });
        aws.addService(AwsIntegrationService.EC2);
        state.value = value;
        return { app, stack };
      };
      // The literal is quoted with ': the same text from a Lazy would be written "a"b", which Mackerel reads as "a" and b".
      const { stack: literalStack } = integrationStack();
      new MackerelAwsIntegration(literalStack, 'Aws', { name: 'prod', includedTags: [{ key: 'team', value: 'a"b' }] }).addService(AwsIntegrationService.EC2);
      Template.fromStack(literalStack).hasResourceProperties(INTEGRATION, { includedTags: 'team:\'a"b\'' });
      const refused = '[Stack/Aws] includedTags[0].value "a\\"b" holds " while given as a token, which is always enclosed in "';
      expect(() => synth('a"b', 'includedTags').app.synth()).toThrow(refused);
      expect(() => synth('a"b', 'excludedTags', true).app.synth()).toThrow('[Stack/Aws] excludedTags[0].value "a\\"b" holds " while given as a token');
      // A ' is held by the " a token is enclosed in.
      const { stack } = synth('it\'s', 'includedTags');
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, { includedTags: 'team:"it\'s"' });
      // A Lazy that ends with a reference is known only at deploy time, as the reference given alone is.
      const { app, stack: refStack } = integrationStack();
      const param = new CfnParameter(refStack, 'Team').valueAsString;
      new MackerelAwsIntegration(refStack, 'Aws', { name: 'prod', includedTags: [{ key: 'team', value: Lazy.string({ produce: () => `x-${param}` }) }] })
        .addService(AwsIntegrationService.EC2);
      expect(() => app.synth()).not.toThrow();
    });

    test('an includedTags part that holds a " beside a token resolving to an intrinsic (Lazy.any) is refused, as beside a reference', () => {
      const { app, stack } = integrationStack();
      new CfnParameter(stack, 'Team');
      const team = Token.asString(Lazy.any({ produce: () => ({ Ref: 'Team' }) }));
      new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', includedTags: [{ key: 'team', value: `a"b-${team}` }] }).addService(AwsIntegrationService.EC2);
      expect(() => app.synth()).toThrow('[Stack/Aws] includedTags[0].value {"Fn::Join":["",["a\\"b-",{"Ref":"Team"}]]} holds " while given as a token');
    });

    test('an includedTags part that is an Fn::Sub or Fn::Join whose own text holds a " is refused, as a part beside a token is', () => {
      for (const [value, written] of [
        [Fn.sub('a"b-${Team}'), '{"Fn::Sub":"a\\"b-${Team}"}'],
        [Fn.sub('${Team}-${X}', { X: 'a"b' }), '{"Fn::Sub":["${Team}-${X}",{"X":"a\\"b"}]}'],
        [Fn.sub('${Team}-${ X }', { X: 'a"b' }), '{"Fn::Sub":["${Team}-${ X }",{"X":"a\\"b"}]}'],
        [Token.asString(Lazy.any({ produce: () => ({ 'Fn::Join': ['-', ['a"b', { Ref: 'Team' }]] }) })), '{"Fn::Join":["-",["a\\"b",{"Ref":"Team"}]]}'],
      ] as const) {
        const { app, stack } = integrationStack();
        new CfnParameter(stack, 'Team');
        new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', includedTags: [{ key: 'team', value }] }).addService(AwsIntegrationService.EC2);
        expect(() => app.synth()).toThrow(`[Stack/Aws] includedTags[0].value ${written} holds " while given as a token`);
      }
    });

    test('an includedTags part of a token that has produced already (a Lazy resolved before) and holds a " is refused as a Lazy not final yet is', () => {
      const { app, stack } = integrationStack();
      const lazy = Lazy.string({ produce: () => 'a"b' });
      // Resolved once by the app's own code, it is no Lazy not final yet: still written "a"b", as a token.
      stack.resolve(lazy);
      new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', includedTags: [{ key: 'team', value: lazy }] }).addService(AwsIntegrationService.EC2);
      expect(() => app.synth()).toThrow('[Stack/Aws] includedTags[0].value "a\\"b" holds " while given as a token');
    });

    test('a role given by name is created before the integration when this stack creates it, even declared later', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.EC2, { role: 'shop:ec2' });
      aws.addService(AwsIntegrationService.RDS, { role: 'other:db' }); // not created here: nothing to wait for
      const ec2Role = new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('ec2');
      const roleId = stack.resolve((ec2Role.node.findChild('Resource').node.defaultChild as CfnResource).logicalId);
      const dependsOn = resourceOf(stack, logicalIds(aws).integration).DependsOn ?? [];
      expect(dependsOn).toContain(roleId);
      expect(dependsOn.filter((id) => !id.startsWith('AwsRole') && !id.startsWith('AwsPolicy'))).toEqual([roleId]);
    });

    test('the role\'s description names the integration only where IAM allows (Latin-1)', () => {
      const description = (name: string) => {
        const { stack } = integrationStack();
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name });
        aws.addService(AwsIntegrationService.EC2);
        const desc: string = resourceOf(stack, logicalIds(aws).role).Properties.Description;
        expect(desc).toMatch(/^[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]{1,1000}$/);
        return desc;
      };
      expect(description('prod café')).toBe('Assumed by Mackerel for the AWS integration prod café');
      expect(description('本番環境')).toBe('Assumed by Mackerel for the AWS integration created by cdk-mackerel');
      expect(description('x'.repeat(950))).toBe('Assumed by Mackerel for the AWS integration created by cdk-mackerel');
    });

    test('without filterTag, nothing is tagged and no includedTags is written', () => {
      const { stack } = integrationStack();
      const { cluster } = network(stack);
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addEcsCluster(cluster, { role: 'shop:ecs' });
      const template = Template.fromStack(stack);
      template.hasResourceProperties(INTEGRATION, { includedTags: Match.absent() });
      template.hasResourceProperties('AWS::ECS::Cluster', { Tags: Match.absent() });
    });

    describe('filterTag on an imported cluster', () => {
      function importedCluster(stack: Stack, id = 'Imported') {
        const vpc = ec2.Vpc.fromVpcAttributes(stack, `${id}Vpc`, { vpcId: 'vpc-1', availabilityZones: ['ap-northeast-1a'] });
        return ecs.Cluster.fromClusterAttributes(stack, id, { clusterName: 'shop', vpc });
      }

      test('warns that the tag is not added and the cluster must already carry it, and still filters on it', () => {
        const { stack } = integrationStack();
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
        aws.addEcsCluster(importedCluster(stack), { role: 'shop:ecs', filterTag: { key: 'mackerel', value: 'shop' } });
        Annotations.fromStack(stack).hasWarning('/Stack/Aws', Match.stringLikeRegexp(
          '^filterTag "mackerel:shop" is not added to cluster "Stack/Imported": it is imported, .* metrics of this resource are missing '
          + 'unless it already carries it\\. .*\\[ack: cdk-mackerel:awsIntegrationFilterTagNotAdded\\]$'));
        Template.fromStack(stack).hasResourceProperties(INTEGRATION, { includedTags: 'mackerel:shop' });
      });

      test('the warning can be acknowledged on the integration before the cluster is added', () => {
        const { stack } = integrationStack();
        const filterTag = { key: 'mackerel', value: 'shop' };
        const acknowledged = new MackerelAwsIntegration(stack, 'Acknowledged', { name: 'prod' });
        CoreAnnotations.of(acknowledged).acknowledgeWarning('cdk-mackerel:awsIntegrationFilterTagNotAdded', 'the cluster carries mackerel:shop');
        acknowledged.addEcsCluster(importedCluster(stack), { filterTag });
        new MackerelAwsIntegration(stack, 'Other', { name: 'staging' }).addEcsCluster(importedCluster(stack, 'Imported2'), { filterTag });
        const annotations = Annotations.fromStack(stack);
        annotations.hasNoWarning('/Stack/Acknowledged', Match.stringLikeRegexp('filterTag'));
        annotations.hasWarning('/Stack/Other', Match.stringLikeRegexp('^filterTag "mackerel:shop" is not added'));
      });

      test('a cluster the app creates gets the tag and no warning', () => {
        const { stack } = integrationStack();
        const { cluster } = network(stack);
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
        aws.addEcsCluster(cluster, { filterTag: { key: 'mackerel', value: 'shop' } });
        Annotations.fromStack(stack).hasNoWarning('/Stack/Aws', Match.stringLikeRegexp('filterTag'));
        Template.fromStack(stack).hasResourceProperties('AWS::ECS::Cluster', { Tags: [{ Key: 'mackerel', Value: 'shop' }] });
      });
    });

    test.each([
      ['value', { key: 'team', value: 'shop,web' }, 'shop,web'],
      ['value', { key: 'team', value: 'say "hi"' }, 'say \\"hi\\"'],
      ['key', { key: 'aws:team', value: 'shop' }, 'aws:team'],
      ['value', { key: 'team', value: 'AWS:shop' }, 'AWS:shop'],
      ['key', { key: 'k'.repeat(129), value: 'shop' }, 'k'.repeat(129)],
      ['value', { key: 'team', value: 'v'.repeat(257) }, 'v'.repeat(257)],
    ])('a filterTag the cluster could not carry is rejected at synth, naming its %s', (part, filterTag, shown) => {
      const { stack } = integrationStack();
      const { cluster } = network(stack);
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      expect(() => aws.addEcsCluster(cluster, { filterTag })).toThrow(`Stack/Aws: filterTag.${part} "${shown}" is not an AWS tag ${part}; expected `
        + `${part === 'key' ? '1-128' : '0-256'} characters: letters, digits, spaces and _ . : / = + - @, not starting with aws:. `
        + 'ECS clusters and load balancers cannot carry such a tag (the deploy fails), and this one is for Stack/Cluster');
    });

    test('a filterTag of letters, spaces and _ . : / = + - @ is put on the load balancer', () => {
      const { stack } = integrationStack();
      const { vpc } = network(stack);
      const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc });
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      const value = 'shop:web / shop:db=+-_.@ ショップ';
      aws.addLoadBalancer(alb, { filterTag: { key: 'mackerel-integration', value: 'shop:web / shop:db' } });
      aws.addLoadBalancer(new elbv2.ApplicationLoadBalancer(stack, 'Alb2', { vpc }), { filterTag: { key: 'team', value } });
      Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Tags: [{ Key: 'team', Value: value }] });
    });

    test('a filterTag that cannot be quoted is rejected, naming it', () => {
      const { stack } = integrationStack();
      const { cluster } = network(stack);
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      expect(() => aws.addEcsCluster(cluster, { filterTag: { key: 'k', value: 'it\'s "x"' } }))
        .toThrow(/Stack\/Aws: filterTag\.value "it's \\"x\\"" contains both quote characters/);
    });

    test('an empty filterTag key is rejected, naming filterTag.key as the property is written', () => {
      const { stack } = integrationStack();
      const { cluster } = network(stack);
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      expect(() => aws.addEcsCluster(cluster, { filterTag: { key: '', value: 'shop' } }))
        .toThrow(/^Stack\/Aws: filterTag\.key "" is empty; expected an AWS tag key of 1-128 characters$/);
    });

    test('addEcsCluster rejects a cluster of another region', () => {
      const { app, stack } = integrationStack();
      const other = new Stack(app, 'Other', { env: { account: '123456789012', region: 'us-east-1' } });
      const { cluster } = network(other);
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      expect(() => aws.addEcsCluster(cluster, { role: 'shop:ecs' }))
        .toThrow(/^Stack\/Aws: cluster "Other\/Cluster" is in region us-east-1, not in the integration's region; expected ap-northeast-1/);
    });

    test('addEcsCluster rejects a cluster imported by an ARN of another region, though its stack is in the integration\'s region', () => {
      const { stack } = integrationStack();
      const cluster = ecs.Cluster.fromClusterArn(stack, 'Imported', 'arn:aws:ecs:us-east-1:123456789012:cluster/shop');
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      expect(() => aws.addEcsCluster(cluster, { role: 'shop:ecs' }))
        .toThrow(/^Stack\/Aws: cluster "Stack\/Imported" is in region us-east-1, not in the integration's region; expected ap-northeast-1/);
    });

    test('addEcsCluster accepts a cluster imported by an ARN of the integration\'s region', () => {
      const { stack } = integrationStack();
      const cluster = ecs.Cluster.fromClusterArn(stack, 'Imported', 'arn:aws:ecs:ap-northeast-1:123456789012:cluster/shop');
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addEcsCluster(cluster, { role: 'shop:ecs' });
      Template.fromStack(stack).hasResourceProperties(INTEGRATION, { services: { ECSCluster: { enable: true, role: 'shop:ecs' } } });
    });

    test('addEcsCluster rejects a cluster imported by an ARN of another account: Mackerel reads the role\'s account only', () => {
      const { stack } = integrationStack();
      const cluster = ecs.Cluster.fromClusterArn(stack, 'Imported', 'arn:aws:ecs:ap-northeast-1:999999999999:cluster/shop');
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      expect(() => aws.addEcsCluster(cluster, { role: 'shop:ecs' })).toThrow(
        'Stack/Aws: cluster "Stack/Imported" is in account 999999999999, not in the account of the integration\'s role; expected 123456789012. '
        + 'Mackerel reads only the account of the role it assumes; create an integration in a stack of account 999999999999 for it');
    });

    test('addLoadBalancer rejects a load balancer of a stack in another account, which its filterTag would tag in vain', () => {
      const { app, stack } = integrationStack();
      const other = new Stack(app, 'Other', { env: { account: '999999999999', region: 'ap-northeast-1' } });
      const alb = new elbv2.ApplicationLoadBalancer(other, 'Alb', { vpc: network(other).vpc });
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.EC2);
      expect(() => aws.addLoadBalancer(alb, { filterTag: { key: 'mackerel-service', value: 'shop' } }))
        .toThrow(/^Stack\/Aws: loadBalancer "Other\/Alb" is in account 999999999999, not in the account of the integration's role; expected 123456789012/);
      Template.fromStack(other).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Tags: Match.absent() });
    });

    test('addLoadBalancer rejects an imported load balancer, whose kind it cannot know, without calling it neither kind', () => {
      const { stack } = integrationStack();
      const imported = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(stack, 'Imported', {
        loadBalancerArn: 'arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:loadbalancer/app/x/1', securityGroupId: 'sg-1',
      });
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      expect(() => aws.addLoadBalancer(imported)).toThrow('Stack/Aws: loadBalancer "Stack/Imported" is not an ApplicationLoadBalancer or NetworkLoadBalancer construct '
        + '(an imported one, say), so whether it is an ALB or an NLB is unknown; expected a load balancer created in this app. '
        + 'Call addService(AwsIntegrationService.ALB or .NLB) for an imported load balancer');
    });
  });

  describe('validation', () => {
    test('rejects a service enabled twice', () => {
      const { aws } = designExample();
      expect(() => aws.addService(AwsIntegrationService.ALB))
        .toThrow(/^Stack\/Aws: service "ALB" is enabled twice \(as "ALB" before, by addService\); expected each service once per integration/);
    });

    test('rejects Route 53 enabled under both spellings', () => {
      const { aws } = designExample();
      aws.addService(AwsIntegrationService.ROUTE_53);
      expect(() => aws.addService(AwsIntegrationService.of('Route53', { actions: ['route53:List*'] })))
        .toThrow(/service "Route53" is enabled twice \(as "Route 53" before, by addService\)/);
    });

    test('rejects a role that is not service:role', () => {
      const { aws } = designExample();
      expect(() => aws.addService(AwsIntegrationService.EC2, { role: 'shop' }))
        .toThrow(/^Stack\/Aws: services.EC2.role "shop" is not a Mackerel role full name; expected service:role/);
    });

    test('rejects both metric-list kinds on one service', () => {
      const { aws } = designExample();
      expect(() => aws.addService(AwsIntegrationService.EC2, { excludedMetrics: ['a'], includedMetrics: ['b'] }))
        .toThrow(/services.EC2.includedMetrics \["b"\] is given with excludedMetrics; expected either excludedMetrics or includedMetrics/);
    });

    test('rejects both metric-list kinds across services', () => {
      const { aws } = designExample();
      aws.addService(AwsIntegrationService.EC2, { excludedMetrics: ['ec2.cpu.used'] });
      expect(() => aws.addService(AwsIntegrationService.RDS, { includedMetrics: ['rds.cpu.used'] }))
        .toThrow(/services.RDS.includedMetrics \["rds.cpu.used"\] is mixed with excludedMetrics of EC2; expected one kind of metric list/);
    });

    test('rejects includedMetrics once a service without a metric list (every metric, new ones included) is enabled', () => {
      const { aws } = designExample();
      expect(() => aws.addService(AwsIntegrationService.EC2, { includedMetrics: ['ec2.cpu.used'] })).toThrow(
        'Stack/Aws: services.EC2.includedMetrics ["ec2.cpu.used"] is mixed with ECSCluster, which has no metric list '
        + 'and so gets every metric, new ones included (the excludedMetrics kind); '
        + 'expected includedMetrics on every service once one service gives it. Give ECSCluster includedMetrics too');
    });

    test('rejects a service without a metric list once a service gives includedMetrics', () => {
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.EC2, { includedMetrics: ['ec2.cpu.used'] });
      expect(() => aws.addService(AwsIntegrationService.RDS, { role: 'shop:db' })).toThrow(
        'Stack/Aws: services.RDS.includedMetrics undefined is missing while EC2 gives includedMetrics; without a metric list '
        + 'RDS would get every metric, new ones included (the excludedMetrics kind); '
        + 'expected includedMetrics on every service once one service gives it. Give RDS includedMetrics too');
    });

    test('rejects a cluster added without a metric list once a service gives includedMetrics', () => {
      const { stack } = integrationStack();
      const cluster = new ecs.Cluster(stack, 'Cluster', { vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 }) });
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      aws.addService(AwsIntegrationService.EC2, { includedMetrics: ['ec2.cpu.used'] });
      expect(() => aws.addEcsCluster(cluster, { role: 'shop:ecs' }))
        .toThrow(/^Stack\/Aws: services.ECSCluster.includedMetrics undefined is missing while EC2 gives includedMetrics/);
    });

    test('rejects retireAutomatically on a service that does not support it', () => {
      const { aws } = designExample();
      expect(() => aws.addService(AwsIntegrationService.SQS, { retireAutomatically: true }))
        .toThrow(/services.SQS.retireAutomatically true is not supported by this service; expected only on EC2, ALB, NLB, RDS, ElastiCache, Lambda, ECSCluster/);
    });

    test('rejects an empty region', () => {
      const { stack } = integrationStack();
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', region: '' }))
        .toThrow(/^Stack\/Aws: region "" is not an AWS region name; expected a region such as "ap-northeast-1". Leave region out/);
    });

    test('takes every region name shape of the aws partition, and a region too new for aws-cdk-lib\'s table', () => {
      for (const region of ['ap-northeast-1', 'us-east-1', 'mx-central-1', 'xx-future-9']) {
        const { stack } = integrationStack();
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', region });
        expect(aws.region).toBe(region);
      }
      const { stack } = integrationStack();
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', region: 'tokyo' })).toThrow(/region "tokyo" is not an AWS region name/);
    });

    test.each([
      ['cn-north-1', 'aws-cn'],
      ['us-gov-west-1', 'aws-us-gov'],
      ['eusc-de-east-1', 'aws-eusc'],
    ])('rejects region %s, of the %s partition, whose resources Mackerel\'s account cannot read', (region, partition) => {
      const { stack } = integrationStack();
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', region })).toThrow(new RegExp(
        `^Stack/Aws: region "${region}" is a region of the ${partition} partition, but Mackerel's account 217452466226 is in the aws partition: `
        + `IAM refuses a trust policy naming an account of another partition, and Mackerel cannot read ${partition} resources; `
        + 'expected a region of the aws partition, such as "ap-northeast-1"'));
    });

    test('rejects a stack in China, whose role could not trust Mackerel\'s account, even for a region of the aws partition', () => {
      const { stack } = integrationStack({ env: { account: '123456789012', region: 'cn-northwest-1' } });
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', region: 'ap-northeast-1' })).toThrow(
        /^Stack\/Aws: scope "Stack" is a stack in cn-northwest-1, a region of the aws-cn partition, but Mackerel's account .* expected a region of the aws partition, such as "ap-northeast-1". Put the integration in a stack of the aws partition$/);
    });

    test('lets an environment-agnostic stack through: its partition is known only at deploy time', () => {
      const { stack } = integrationStack({});
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' })).not.toThrow();
    });

    test('rejects an empty name', () => {
      const { stack } = integrationStack();
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: ' ' })).toThrow(/^Stack\/Aws: name " " is empty/);
    });

    test('rejects a tag value with both quote characters', () => {
      const { stack } = integrationStack();
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', includedTags: [{ key: 'k', value: 'it\'s "x"' }] }))
        .toThrow(/includedTags\[0\].value "it's \\"x\\"" contains both quote characters/);
    });

    test('rejects an empty tag key', () => {
      const { stack } = integrationStack();
      expect(() => new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', excludedTags: [{ key: '', value: 'x' }] }))
        .toThrow(/excludedTags\[0\].key "" is empty/);
    });

    test('rejects an integration without services at synth time', () => {
      const { stack } = integrationStack();
      new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      expect(() => Template.fromStack(stack)).toThrow(/Stack\/Aws.*services \[\] is empty; expected at least one addService\(\) call/s);
    });

    test('rejects two integrations with the same name in one organization, even in different stacks', () => {
      const { app: shared, stack } = integrationStack();
      const other = new Stack(shared, 'Other', { env: { account: '123456789012', region: 'ap-northeast-1' } });
      const key = MackerelApiKey.fromSecretsManager(stack.node.findChild('ApiKey') as secretsmanager.ISecret);
      new MackerelProvider(other, 'Mackerel', { apiKey: key });
      for (const s of [stack, other]) new MackerelAwsIntegration(s, 'Aws', { name: 'prod' }).addService(AwsIntegrationService.EC2);
      expect(() => shared.synth()).toThrow(/name "prod" creates the same AWS integration as Stack\/Aws/);
    });

    test('allows the same name in a stack whose provider has another key (another organization)', () => {
      const { app: shared, stack } = integrationStack();
      const other = new Stack(shared, 'Other', { env: { account: '123456789012', region: 'us-east-1' } });
      new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSsmParameter(ssm.StringParameter.fromSecureStringParameterAttributes(other, 'Key', { parameterName: 'k' })) });
      for (const s of [stack, other]) new MackerelAwsIntegration(s, 'Aws', { name: 'prod' }).addService(AwsIntegrationService.EC2);
      expect(() => shared.synth()).not.toThrow();
    });
  });
});
