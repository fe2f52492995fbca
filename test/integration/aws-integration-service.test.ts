import { App, Annotations as CdkAnnotations, Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, test } from 'vitest';
import { integrationStack, logicalIds, resourceOf, stackWithProvider, WRITE_VERB } from './_fixture';
import { _CLOUDWATCH_READ_ACTIONS, _isReadAction } from '../../src/integration/_read-actions';
import { _covers } from '../../src/integration/_service-warnings';
import { MackerelAwsIntegration } from '../../src/integration/aws-integration';
import { AwsIntegrationService } from '../../src/integration/aws-integration-service';

/**
 * The policy table, written from Mackerel's docs ("Grant policies" and "IAM policies used in AWS
 * Integration", content/docs/entry/integrations/aws.md). Each row: id, actions, retireAutomatically, starred.
 */
const TABLE: Array<[string, string, string[], boolean, boolean]> = [
  ['EC2', 'EC2', ['ec2:DescribeInstances'], true, false],
  ['ELB', 'ELB', ['elasticloadbalancing:Describe*'], false, false],
  ['ALB', 'ALB', ['elasticloadbalancing:Describe*'], true, false],
  ['NLB', 'NLB', ['elasticloadbalancing:Describe*'], true, false],
  ['RDS', 'RDS', ['rds:Describe*', 'rds:ListTagsForResource'], true, false],
  ['REDSHIFT', 'Redshift', ['redshift:Describe*'], false, false],
  ['ELASTICACHE', 'ElastiCache', ['elasticache:Describe*', 'elasticache:ListTagsForResource'], true, false],
  ['SQS', 'SQS', ['sqs:GetQueueAttributes', 'sqs:List*'], false, false],
  ['LAMBDA', 'Lambda', ['lambda:GetFunctionConfiguration', 'lambda:List*'], true, true],
  ['DYNAMODB', 'DynamoDB', ['dynamodb:Describe*', 'dynamodb:List*', 'application-autoscaling:DescribeScalableTargets'], false, false],
  ['CLOUDFRONT', 'CloudFront', ['cloudfront:Get*', 'cloudfront:List*'], false, true],
  ['API_GATEWAY', 'APIGateway', ['apigateway:GET'], false, true],
  ['KINESIS', 'Kinesis', ['kinesis:Describe*', 'kinesis:List*'], false, true],
  ['S3', 'S3', ['s3:ListAllMyBuckets', 's3:GetBucketLocation', 's3:GetBucketLogging', 's3:GetBucketTagging',
    's3:GetEncryptionConfiguration', 's3:GetMetricsConfiguration'], false, true],
  ['ES', 'ES', ['es:DescribeDomain', 'es:List*'], false, true],
  ['ECS_CLUSTER', 'ECSCluster', ['ecs:DescribeClusters', 'ecs:List*'], true, true],
  ['SES', 'SES', ['ses:DescribeActiveReceiptRuleSet', 'ses:GetSendQuota', 'ses:ListIdentities'], false, true],
  ['STATES', 'States', ['states:DescribeStateMachine', 'states:List*'], false, true],
  ['EFS', 'EFS', ['elasticfilesystem:Describe*'], false, true],
  ['FIREHOSE', 'Firehose', ['firehose:DescribeDeliveryStream', 'firehose:List*'], false, true],
  ['BATCH', 'Batch', ['batch:Describe*', 'batch:ListJobs'], false, true],
  ['WAF', 'WAF', ['waf:Get*', 'waf:List*', 'waf-regional:Get*', 'waf-regional:List*', 'wafv2:GetWebACL', 'wafv2:List*'], false, true],
  ['BILLING', 'Billing', ['budgets:ViewBudget'], false, true],
  ['ROUTE_53', 'Route 53', ['route53:List*'], false, true],
  ['CONNECT', 'Connect', ['connect:ListInstances', 'ds:DescribeDirectories'], false, true],
  ['DOCDB', 'DocDB', ['rds:Describe*', 'rds:ListTagsForResource'], false, false],
  ['CODEBUILD', 'CodeBuild', ['codebuild:BatchGetProjects', 'codebuild:ListProjects'], false, true],
  ['ATHENA', 'Athena', ['athena:ListWorkGroups', 'athena:ListTagsForResource'], false, true],
];

/**
 * Mackerel's list of every permission the AWS integration uses ("IAM policies used in AWS
 * Integration", content/docs/entry/integrations/aws.md; the ja page lists the same).
 */
const ALL_SERVICES_POLICY = ['apigateway:Get*', 'application-autoscaling:DescribeScalableTargets', 'athena:ListWorkGroups',
  'athena:ListTagsForResource', 'batch:Describe*', 'batch:ListJobs', 'budgets:ViewBudget', 'cloudfront:Get*', 'cloudfront:List*',
  'cloudwatch:Get*', 'cloudwatch:List*', 'codebuild:BatchGetProjects', 'codebuild:ListProjects', 'connect:ListInstances',
  'dynamodb:Describe*', 'dynamodb:List*', 'ds:DescribeDirectories', 'ec2:DescribeInstances', 'ecs:DescribeClusters', 'ecs:List*',
  'elasticache:Describe*', 'elasticache:ListTagsForResource', 'elasticfilesystem:Describe*', 'elasticloadbalancing:Describe*',
  'es:DescribeDomain', 'es:List*', 'firehose:DescribeDeliveryStream', 'firehose:List*', 'kinesis:Describe*', 'kinesis:List*',
  'lambda:GetFunctionConfiguration', 'lambda:List*', 'rds:Describe*', 'rds:ListTagsForResource', 'redshift:Describe*', 'route53:List*',
  's3:ListAllMyBuckets', 's3:GetBucketLocation', 's3:GetBucketLogging', 's3:GetBucketTagging', 's3:GetEncryptionConfiguration',
  's3:GetMetricsConfiguration', 'ses:DescribeActiveReceiptRuleSet', 'ses:GetSendQuota', 'ses:ListIdentities', 'sqs:GetQueueAttributes',
  'sqs:List*', 'states:DescribeStateMachine', 'states:List*', 'waf-regional:Get*', 'waf-regional:List*', 'waf:Get*', 'waf:List*',
  'wafv2:GetWebACL', 'wafv2:List*'];

/** An integration in a stack of its own, with one Route53 service granting `actions`. */
function addedTo(actions: string[]) {
  const { stack } = integrationStack();
  const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
  aws.addService(AwsIntegrationService.of('Route53', { actions }));
  return { stack, aws };
}

describe('AwsIntegrationService', () => {
  test('has a constant for every documented service identifier (mackerel-api.md section 4.3)', () => {
    expect(AwsIntegrationService._all().map((s) => s.id)).toEqual(['EC2', 'ELB', 'ALB', 'NLB', 'RDS', 'Redshift', 'ElastiCache', 'SQS',
      'Lambda', 'DynamoDB', 'CloudFront', 'APIGateway', 'Kinesis', 'S3', 'ES', 'ECSCluster', 'SES', 'States', 'EFS', 'Firehose', 'Batch',
      'WAF', 'Billing', 'Route 53', 'Connect', 'DocDB', 'CodeBuild', 'Athena']);
  });

  describe.each(TABLE)('%s', (constant, id, actions, retire, starred) => {
    const service = (AwsIntegrationService as unknown as { [name: string]: AwsIntegrationService })[constant];

    test(`is "${id}" with exactly its documented read actions`, () => {
      expect(service.id).toBe(id);
      expect(service.actions).toEqual(actions);
    });

    test('carries only read actions, never a write verb', () => {
      for (const action of service.actions) {
        expect(action).not.toMatch(WRITE_VERB);
        expect(_isReadAction(action)).toBe(true);
      }
    });

    test(`${retire ? 'supports' : 'does not support'} retireAutomatically and is ${starred ? '' : 'not '}starred`, () => {
      expect(service.supportsRetireAutomatically).toBe(retire);
      expect(service.needsCloudWatchReadAccess).toBe(starred);
    });
  });

  test('CloudWatch read actions are read actions', () => {
    expect(_CLOUDWATCH_READ_ACTIONS).toEqual(['cloudwatch:Get*', 'cloudwatch:List*']);
    for (const action of _CLOUDWATCH_READ_ACTIONS) {
      expect(action).not.toMatch(WRITE_VERB);
      expect(_isReadAction(action)).toBe(true);
    }
  });

  test('with every service enabled, the policy grants every action of Mackerel\'s list of the permissions it uses', () => {
    // GIVEN
    const { stack } = integrationStack();
    const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
    for (const service of AwsIntegrationService._all()) aws.addService(service);
    // WHEN
    const granted: string[] = resourceOf(stack, logicalIds(aws).policy).Properties.PolicyDocument.Statement
      .flatMap((s: { Action: string | string[] }) => s.Action);
    // THEN: CloudWatch's two patterns among them; a narrower CloudWatch grant would miss calls Mackerel makes.
    // apigateway:Get* names the one action apigateway:GET (IAM ignores case), granted in its own statement.
    for (const action of ALL_SERVICES_POLICY.filter((a) => a !== 'apigateway:Get*')) {
      expect(granted.some((g) => _covers(g, action)), action).toBe(true);
    }
    expect(granted).toContain('apigateway:GET');
  });

  describe('of', () => {
    test('takes a service this release does not know, with its read actions', () => {
      const service = AwsIntegrationService.of('Bedrock', { actions: ['bedrock:List*', 'bedrock:GetModelInvocationLoggingConfiguration'] });
      expect(service.id).toBe('Bedrock');
      expect(service.actions).toEqual(['bedrock:List*', 'bedrock:GetModelInvocationLoggingConfiguration']);
      expect(service.supportsRetireAutomatically).toBe(false);
      expect(AwsIntegrationService.of('Bedrock', { actions: ['bedrock:List*'], supportsRetireAutomatically: true }).supportsRetireAutomatically).toBe(true);
    });

    test('takes a read action written in any case, as IAM reads action names regardless of case', () => {
      const service = AwsIntegrationService.of('Bedrock', { actions: ['bedrock:list*', 'BEDROCK:GetModelInvocationLoggingConfiguration'] });
      expect(service.actions).toEqual(['bedrock:list*', 'BEDROCK:GetModelInvocationLoggingConfiguration']);
      expect(() => AwsIntegrationService.of('Bedrock', { actions: ['bedrock:createModel'] })).toThrow(/actions\[0\] "bedrock:createModel" is not a read action/);
    });

    test('copies the actions it is given', () => {
      const actions = ['bedrock:List*'];
      const service = AwsIntegrationService.of('Bedrock', { actions });
      actions.push('bedrock:CreateModel');
      expect(service.actions).toEqual(['bedrock:List*']);
    });

    test('keeps its actions when a caller changes the list it reads', () => {
      // GIVEN
      const service = AwsIntegrationService.of('Bedrock', { actions: ['bedrock:List*'] });
      // WHEN
      service.actions.push('bedrock:CreateModel');
      // THEN
      expect(service.actions).toEqual(['bedrock:List*']);
    });

    test('rejects a service that has a constant', () => {
      expect(() => AwsIntegrationService.of('ECSCluster', { actions: ['ecs:List*'] }))
        .toThrow(/^id "ECSCluster" is a service this library knows; expected a service identifier without a constant. Use AwsIntegrationService.ECS_CLUSTER$/);
    });

    test('rejects an identifier that is not one', () => {
      expect(() => AwsIntegrationService.of('ecs/cluster', { actions: ['ecs:List*'] }))
        .toThrow(/id "ecs\/cluster" is not an AWS integration service identifier; expected letters, digits and spaces/);
    });

    test('rejects an empty action list', () => {
      expect(() => AwsIntegrationService.of('Bedrock', { actions: [] })).toThrow(/actions \[\] is empty; expected the IAM read actions/);
    });

    describe('an identifier given through of()', () => {
      function added(service: AwsIntegrationService) {
        const { stack } = integrationStack();
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
        aws.addService(service);
        return Annotations.fromStack(stack);
      }

      test('warns where it is added when it is not documented, naming the close known identifiers', () => {
        added(AwsIntegrationService.of('Ec2x', { actions: ['ec2:DescribeInstances'] })).hasWarning('/Stack/Aws', Match.stringLikeRegexp(
          '^services.Ec2x: "Ec2x" is not an AWS integration service identifier Mackerel documents \\(close known identifiers: EC2 \\(AwsIntegrationService.EC2\\)\\)\\. '
          + 'A misspelled identifier enables nothing in Mackerel.*acknowledge this warning if Mackerel added the service after this release'));
      });

      test('lists every known identifier when none is close', () => {
        added(AwsIntegrationService.of('Bedrock', { actions: ['bedrock:List*'] })).hasWarning('/Stack/Aws', Match.stringLikeRegexp(
          '"Bedrock" is not an AWS integration service identifier Mackerel documents \\(known identifiers: EC2, ELB, ALB, .*, Athena, Route53\\)'));
      });

      test('does not warn for an identifier Mackerel accepts (Route53, Terraform\'s spelling of Route 53)', () => {
        added(AwsIntegrationService.of('Route53', { actions: ['route53:List*'] })).hasNoWarning('*', Match.anyValue());
      });

      test('does not warn for a constant', () => {
        added(AwsIntegrationService.EC2).hasNoWarning('*', Match.anyValue());
      });
    });

    describe('a read action that hands Mackerel a secret, content or credentials', () => {
      test.each([
        ['secretsmanager:GetSecretValue', 'secretsmanager:GetSecretValue \\(returns the secret value\\)'],
        ['s3:Get*', 's3:GetObject \\(returns object contents\\), s3:GetObjectVersion \\(returns object contents\\)'],
        ['ssm:GetParameter*', 'ssm:GetParameter \\(.*\\), ssm:GetParameters \\(.*\\), ssm:GetParametersByPath \\(.*\\), ssm:GetParameterHistory \\(returns past parameter values, SecureString ones decrypted\\)'],
        ['ec2:GetPasswordData', 'ec2:GetPasswordData \\(returns the encrypted Windows administrator password\\)'],
        ['lightsail:GetInstanceAccessDetails', 'lightsail:GetInstanceAccessDetails \\(issues SSH keys or a password for the instance\\)'],
        ['ecr:GetAuthorizationToken', 'ecr:GetAuthorizationToken \\(issues a container registry login\\)'],
        ['sts:GetFederationToken', 'sts:GetFederationToken \\(issues temporary AWS credentials\\)'],
        ['sts:GetSessionToken', 'sts:GetSessionToken \\(issues temporary AWS credentials\\)'],
        ['dynamodb:BatchGet*', 'dynamodb:BatchGetItem \\(returns table items\\)'],
        ['kinesis:Get*', 'kinesis:GetRecords \\(returns the records of the stream\\)'],
        ['logs:GetLogEvents', 'logs:GetLogEvents \\(returns log events\\)'],
        ['logs:Get*', 'logs:GetLogEvents \\(returns log events\\), logs:GetLogRecord \\(returns a log event\\), '
          + 'logs:GetQueryResults \\(returns the log events a query found\\)'],
        ['dynamodb:GetRecords', 'dynamodb:GetRecords \\(returns the table items of its stream\\)'],
        ['glacier:GetJobOutput', 'glacier:GetJobOutput \\(returns archive contents\\)'],
        ['batch:Describe*', 'batch:DescribeJobDefinitions \\(returns every container\'s environment variables, where secrets are often written in clear text\\)'],
        ['ec2:Describe*', 'ec2:DescribeInstanceAttribute \\(returns the instance\'s user data, where secrets are often written\\), '
          + 'ec2:DescribeLaunchTemplateVersions \\(returns the launch template\'s user data, where secrets are often written\\)'],
        ['ec2:Get*', 'ec2:GetLaunchTemplateData \\(returns the instance\'s user data, where secrets are often written\\), '
          + 'ec2:GetPasswordData \\(returns the encrypted Windows administrator password\\)'],
        ['autoscaling:Describe*', 'autoscaling:DescribeLaunchConfigurations \\(returns every launch configuration\'s user data, where secrets are often written\\)'],
        ['elasticbeanstalk:DescribeConfiguration*', 'elasticbeanstalk:DescribeConfigurationSettings \\(returns the environment\'s environment properties, where secrets are often written, in clear text\\)'],
        ['apprunner:DescribeService', 'apprunner:DescribeService \\(returns the service\'s environment variables, where secrets are often written, in clear text\\)'],
        ['apigateway:GET', 'apigateway:GET \\(returns the values of the API keys \\(GET /apikeys\\?includeValue=true\\)\\)'],
        ['codebuild:BatchGet*', 'codebuild:BatchGetProjects \\(returns every project\'s environment variables, where secrets are often written in clear text\\)'],
        ['redshift-data:GetStatementResult', 'redshift-data:GetStatementResult \\(returns query results\\)'],
        ['sts:GetServiceBearerToken', 'sts:GetServiceBearerToken \\(issues a bearer token for AWS services\\)'],
        ['ecr-public:GetAuthorizationToken', 'ecr-public:GetAuthorizationToken \\(issues a container registry login\\)'],
        ['athena:GetQueryResults', 'athena:GetQueryResults \\(returns query results\\)'],
        ['codecommit:Get*', 'codecommit:GetBlob \\(returns repository contents\\), codecommit:GetFile \\(returns repository contents\\)'],
        ['ecr:BatchGetImage', 'ecr:BatchGetImage \\(returns container images, layers included\\)'],
        ['glue:GetConnection*', 'glue:GetConnection \\(returns the connection\'s password in clear text unless the caller asks to hide it\\), '
          + 'glue:GetConnections \\(returns the connections\' passwords in clear text unless the caller asks to hide them\\)'],
        ['ecs:Describe*', 'ecs:DescribeTaskDefinition \\(returns every container\'s environment variables, where secrets are often written in clear text\\)'],
        ['lambda:GetFunction*', 'lambda:GetFunctionConfiguration \\(returns the function\'s environment variables, where secrets are often written, in clear text\\), '
          + 'lambda:GetFunction \\(returns the function\'s environment variables, where secrets are often written, in clear text\\)'],
      ])('warns where %s is granted, naming the action, what it covers and the role', (action, covered) => {
        // GIVEN
        const { stack } = addedTo(['route53:List*', action]);
        // THEN
        Annotations.fromStack(stack).hasWarning('/Stack/Aws', Match.stringLikeRegexp(
          `^services.Route53.actions\\[1\\]: "${action.replace(/\*/g, '\\*')}" grants ${covered} to the integration role Stack/Aws/Role\\. `
          + 'Mackerel\'s AWS account, a third party, assumes that role and would get this too.*'
          + 'or acknowledge this warning if Mackerel needs it \\[ack: cdk-mackerel:awsIntegrationSensitiveRead\\]$'));
      });

      test.each(['kms:Get*', 's3:GetBucketPolicy', 'sts:GetCallerIdentity', 'secretsmanager:DescribeSecret', 'ssm:DescribeParameters'])(
        'does not warn for %s, which reveals no secret', (action) => {
          Annotations.fromStack(addedTo([action]).stack).hasNoWarning('*', Match.anyValue());
        });

      test('a constant\'s actions cannot be widened for the integrations of the process, nor its sensitive reads hidden', () => {
        // GIVEN a list read off a shared constant, changed by one caller
        AwsIntegrationService.ECS_CLUSTER.actions.push('secretsmanager:GetSecretValue');
        const { stack, aws } = addedTo(['route53:List*']);
        // WHEN another integration of the process adds the constant and grants the same read itself
        aws.addService(AwsIntegrationService.ECS_CLUSTER);
        aws.policy.addStatements(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: ['*'] }));
        // THEN the constant grants what it documents, and the added read is still warned about
        const policy = resourceOf(stack, logicalIds(aws).policy);
        expect(policy.Properties.PolicyDocument.Statement[0].Action).not.toContain('secretsmanager:GetSecretValue');
        Annotations.fromStack(stack).hasWarning('/Stack/Aws', Match.stringLikeRegexp(
          '^a statement added to Stack/Aws/Policy: "secretsmanager:GetSecretValue" grants secretsmanager:GetSecretValue'));
        expect(AwsIntegrationService.ECS_CLUSTER.actions).toEqual(['ecs:DescribeClusters', 'ecs:List*']);
      });

      test('does not warn for any constant', () => {
        // GIVEN
        const { stack } = integrationStack();
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
        // WHEN
        for (const service of AwsIntegrationService._all()) aws.addService(service);
        // THEN
        Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
      });

      test('the warning can be acknowledged by its id, on one integration only', () => {
        // GIVEN
        const { stack, aws } = addedTo(['secretsmanager:GetSecretValue']);
        const other = new MackerelAwsIntegration(stack, 'Other', { name: 'staging' });
        other.addService(AwsIntegrationService.of('Route53', { actions: ['secretsmanager:GetSecretValue'] }));
        // WHEN
        CdkAnnotations.of(aws).acknowledgeWarning('cdk-mackerel:awsIntegrationSensitiveRead', 'Mackerel reads the value for a check');
        // THEN
        const annotations = Annotations.fromStack(stack);
        annotations.hasNoWarning('/Stack/Aws', Match.anyValue());
        annotations.hasWarning('/Stack/Other', Match.stringLikeRegexp('secretsmanager:GetSecretValue.*\\[ack: cdk-mackerel:awsIntegrationSensitiveRead\\]'));
      });
      test('is not warned about where a Deny of the role denies it everywhere, as a statement added to the policy is not', () => {
        // GIVEN a custom service granting three sensitive reads
        const { stack, aws } = addedTo(['secretsmanager:GetSecretValue', 's3:GetObject', 'ssm:GetParameter']);
        // WHEN the role denies one everywhere without a condition, and the others on some resources or under a condition only
        aws.policy.addStatements(
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['secretsmanager:*'], resources: ['*'] }),
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:GetObject'], resources: ['arn:aws:s3:::logs/*'] }),
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['ssm:*'], resources: ['*'], conditions: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
        // THEN the read denied everywhere is not warned about; the others still are, once each
        const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
        expect(warnings).toEqual([
          expect.stringMatching(/^services\.Route53\.actions\[1\]: "s3:GetObject" grants s3:GetObject /),
          expect.stringMatching(/^services\.Route53\.actions\[2\]: "ssm:GetParameter" grants ssm:GetParameter /),
        ]);
      });

      test('is not warned about where a Deny of another policy of the role denies it everywhere (allowAdditionalPolicies)', () => {
        // GIVEN
        const { stack } = integrationStack();
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', allowAdditionalPolicies: true });
        aws.addService(AwsIntegrationService.of('Route53', { actions: ['route53:List*', 'secretsmanager:GetSecretValue'] }));
        // WHEN
        aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'Guardrail', {
          statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['secretsmanager:*'], resources: ['*'] })],
        }));
        // THEN
        Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
      });

      test('is still warned about, once, where the role denies it only under a condition', () => {
        // GIVEN
        const { stack, aws } = addedTo(['secretsmanager:GetSecretValue']);
        // WHEN
        aws.policy.addStatements(new iam.PolicyStatement({
          effect: iam.Effect.DENY, actions: ['secretsmanager:*'], resources: ['*'], conditions: { Bool: { 'aws:SecureTransport': 'false' } },
        }));
        // THEN
        const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
        expect(warnings).toEqual([expect.stringMatching(/^services\.Route53\.actions\[0\]: "secretsmanager:GetSecretValue" grants secretsmanager:GetSecretValue /)]);
      });
    });

    describe('a sensitive read added straight to the generated policy', () => {
      test('is warned about, naming the policy, the action and the role', () => {
        // GIVEN
        const { stack, aws } = addedTo(['route53:List*']);
        // WHEN
        aws.policy.addStatements(new iam.PolicyStatement({ actions: ['route53:Get*', 'secretsmanager:GetSecretValue'], resources: ['*'] }));
        // THEN
        const annotations = Annotations.fromStack(stack);
        annotations.hasWarning('/Stack/Aws', Match.stringLikeRegexp(
          '^a statement added to Stack/Aws/Policy: "secretsmanager:GetSecretValue" grants secretsmanager:GetSecretValue \\(returns the secret value\\) '
          + 'to the integration role Stack/Aws/Role\\. Mackerel\'s AWS account, a third party, assumes that role.*\\[ack: cdk-mackerel:awsIntegrationSensitiveRead\\]$'));
        expect(annotations.findWarning('*', Match.anyValue())).toHaveLength(1);
      });

      test('is found in a statement the policy merged with the services\' one', () => {
        // GIVEN
        const app = new App({ context: { '@aws-cdk/aws-iam:minimizePolicies': true } });
        const stack = stackWithProvider(app, 'Stack');
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
        aws.addService(AwsIntegrationService.EC2);
        // WHEN
        aws.policy.addStatements(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
        // THEN
        const policy = resourceOf(stack, logicalIds(aws).policy);
        expect(policy.Properties.PolicyDocument.Statement).toHaveLength(1);
        Annotations.fromStack(stack).hasWarning('/Stack/Aws', Match.stringLikeRegexp('^a statement added to Stack/Aws/Policy: "s3:GetObject" grants s3:GetObject'));
      });

      test('is warned about once, where the service adds it, when a service already grants it', () => {
        // GIVEN
        const { stack, aws } = addedTo(['secretsmanager:GetSecretValue']);
        // WHEN
        aws.policy.addStatements(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: ['arn:aws:secretsmanager:*:*:secret:x'] }));
        // THEN
        const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
        expect(warnings.map((w) => String(w.entry.data))).toEqual([expect.stringMatching(/^services\.Route53\.actions\[0\]: /)]);
      });

      test('is not warned about in a Deny statement, nor for an action that reveals no secret', () => {
        // GIVEN
        const { stack, aws } = addedTo(['route53:List*']);
        // WHEN
        aws.policy.addStatements(
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:GetObject'], resources: ['*'] }),
          new iam.PolicyStatement({ actions: ['s3:GetBucketPolicy'], resources: ['*'] }),
        );
        // THEN
        Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
      });

      test('is not warned about where a Deny of the role denies it everywhere, as the attached policies\' check reads Denies', () => {
        // GIVEN
        const { stack, aws } = addedTo(['route53:List*']);
        // WHEN
        aws.policy.addStatements(
          new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 's3:GetObject', 'ssm:GetParameter'], resources: ['*'] }),
          // Everywhere and without a condition: secretsmanager:GetSecretValue is not granted.
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['secretsmanager:*'], resources: ['*'] }),
          // On some resources only, or under a condition: s3:GetObject and ssm:GetParameter still are.
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:GetObject'], resources: ['arn:aws:s3:::logs/*'] }),
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['ssm:*'], resources: ['*'], conditions: { Bool: { 'aws:SecureTransport': 'false' } } }),
        );
        // THEN
        const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
        expect(warnings).toEqual([
          expect.stringMatching(/^a statement added to Stack\/Aws\/Policy: "s3:GetObject" grants s3:GetObject /),
          expect.stringMatching(/^a statement added to Stack\/Aws\/Policy: "ssm:GetParameter" grants ssm:GetParameter /),
        ]);
      });

      test('is not warned about where a Deny of another policy of the role denies it everywhere (allowAdditionalPolicies)', () => {
        // GIVEN
        const { stack } = integrationStack();
        const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', allowAdditionalPolicies: true });
        aws.addService(AwsIntegrationService.EC2);
        // WHEN
        aws.policy.addStatements(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 's3:GetObject'], resources: ['*'] }));
        aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'Guardrail', {
          statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, notActions: ['ec2:Describe*', 'cloudwatch:*', 's3:*'], resources: ['*'] })],
        }));
        // THEN
        const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
        expect(warnings).toEqual([expect.stringMatching(/^a statement added to Stack\/Aws\/Policy: "s3:GetObject" grants s3:GetObject /)]);
      });

      test('is not warned about again when a service\'s wildcard already grants it', () => {
        // GIVEN
        const { stack, aws } = addedTo(['s3:Get*']);
        // WHEN
        aws.policy.addStatements(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
        // THEN
        const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
        expect(warnings.map((w) => String(w.entry.data))).toEqual([expect.stringMatching(/^services\.Route53\.actions\[0\]: "s3:Get\*"/)]);
      });

      test('leaves the policy open: an Aspect of the app may still add a service after the check ran', () => {
        // GIVEN an Aspect that enables SQS when it reaches a queue, which comes after the integration
        const { stack, aws } = addedTo(['route53:List*']);
        const queue = new sqs.Queue(stack, 'Queue');
        Aspects.of(stack).add({ visit: (node) => { if (node === queue) aws.addService(AwsIntegrationService.SQS); } });
        // WHEN
        const template = Template.fromStack(stack);
        // THEN
        const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^AwsPolicy') } }));
        expect(policy.Properties.PolicyDocument.Statement[0].Action).toEqual(expect.arrayContaining(['route53:List*', 'sqs:GetQueueAttributes']));
      });

      test('can be acknowledged by the same id', () => {
        // GIVEN
        const { stack, aws } = addedTo(['route53:List*']);
        aws.policy.addStatements(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
        // WHEN
        CdkAnnotations.of(aws).acknowledgeWarning('cdk-mackerel:awsIntegrationSensitiveRead', 'Mackerel logs in to check the registry');
        // THEN
        Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
      });
    });

    test('a service\'s warnings can be acknowledged on the integration before the service is added', () => {
      // GIVEN
      const { stack } = integrationStack();
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod' });
      CdkAnnotations.of(aws).acknowledgeWarning('cdk-mackerel:awsIntegrationSensitiveRead', 'Mackerel reads the value for a check');
      CdkAnnotations.of(aws).acknowledgeWarning('cdk-mackerel:awsIntegrationServiceUnknown', 'added to Mackerel after this release');
      // WHEN
      aws.addService(AwsIntegrationService.of('Bedrok', { actions: ['secretsmanager:GetSecretValue'] }));
      // THEN
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test.each(['rds-db:connect', 'kms:Decrypt'])('rejects %s, which reveals data but is not a read action by name', (action) => {
      expect(() => AwsIntegrationService.of('Bedrock', { actions: [action] })).toThrow(/actions\[0\] ".*" is not a read action/);
    });

    test.each(['ec2:CreateInternetGateway', 'bedrock:*', '*', 's3:PutObject', 'iam:PassRole', 'apigateway:POST', 'apigateway:DELETE', 'apigateway:*'])('rejects the write action %s', (action) => {
      expect(() => AwsIntegrationService.of('Bedrock', { actions: ['bedrock:List*', action] }))
        .toThrow(new RegExp(`actions\\[1\\] "${action.replace(/\*/g, '\\*')}" is not a read action; expected service:Describe\\*.*Mackerel stops collecting when its role can write`));
    });
  });
});
