import { _isReadAction, _OTHER_KNOWN_IDS, _READ_ACTION_RULE } from './_read-actions';
import { _describeProblem } from '../_validation';

/**
 * What a service of the AWS integration needs, for `AwsIntegrationService.of`.
 */
export interface AwsIntegrationServiceDefinition {
  /**
   * The IAM read actions Mackerel needs for this service, such as `rds:Describe*`.
   *
   * Only read actions are accepted (`Describe*`, `Get*`, `List*`, `BatchGet*`, `View*`,
   * `apigateway:GET`): Mackerel stops collecting when its role is allowed to write.
   * CloudWatch read access is always added to the role, so it is not needed here.
   *
   * A read action that returns a secret, an object's content or credentials (such as
   * `secretsmanager:GetSecretValue`, `s3:GetObject` through `s3:Get*`, or
   * `ecr:GetAuthorizationToken`) gets a warning, `cdk-mackerel:awsIntegrationSensitiveRead`, on the
   * integration the service is added to: it gives Mackerel's AWS account that data. A Deny in any
   * policy of the integration's role (`aws.policy.addStatements`, or with `allowAdditionalPolicies`
   * another policy of the role) that denies such a read on every resource (`Resource: '*'`) and has
   * no condition narrows the warning: it names only the reads still granted, and none when every
   * one is denied, as IAM lets that Deny win over the Allow.
   */
  readonly actions: string[];

  /**
   * Whether Mackerel retires the host automatically when the AWS resource is deleted
   * (`retireAutomatically`).
   *
   * @default false
   */
  readonly supportsRetireAutomatically?: boolean;
}

/**
 * A service of Mackerel's AWS integration (a key of the integration's `services` map), with the
 * IAM read actions Mackerel needs for it.
 *
 * The actions translate the managed read-only policies of Mackerel's docs ("Grant policies")
 * into the actions its own all-services policy lists ("IAM policies used in AWS Integration"),
 * so the role never gets more than Mackerel reads; the tag-filter extras of the docs ("Filter by
 * tag": `elasticache:ListTagsForResource`, `sqs:ListQueueTags`, `states:ListTagsForResource`) are
 * included. Use `AwsIntegrationService.of` for a service added to Mackerel after this release.
 *
 * @see https://mackerel.io/docs/entry/integrations/aws#setting_policy
 * @see https://mackerel.io/api-docs/entry/aws-integration
 */
export class AwsIntegrationService {
  /** EC2 instances (AmazonEC2ReadOnlyAccess). Supports `retireAutomatically`. */
  public static readonly EC2 = new AwsIntegrationService('EC2', ['ec2:DescribeInstances'], true, false);
  /** Classic Load Balancers (AmazonEC2ReadOnlyAccess). */
  public static readonly ELB = new AwsIntegrationService('ELB', ['elasticloadbalancing:Describe*'], false, false);
  /** Application Load Balancers (AmazonEC2ReadOnlyAccess). Supports `retireAutomatically`. */
  public static readonly ALB = new AwsIntegrationService('ALB', ['elasticloadbalancing:Describe*'], true, false);
  /** Network Load Balancers (AmazonEC2ReadOnlyAccess). Supports `retireAutomatically`. */
  public static readonly NLB = new AwsIntegrationService('NLB', ['elasticloadbalancing:Describe*'], true, false);
  /** RDS instances (AmazonRDSReadOnlyAccess). Supports `retireAutomatically`. */
  public static readonly RDS = new AwsIntegrationService('RDS', ['rds:Describe*', 'rds:ListTagsForResource'], true, false);
  /** Redshift clusters (AmazonRedshiftReadOnlyAccess). */
  public static readonly REDSHIFT = new AwsIntegrationService('Redshift', ['redshift:Describe*'], false, false);
  /** ElastiCache nodes (AmazonElastiCacheReadOnlyAccess, plus tags for filtering). Supports `retireAutomatically`. */
  public static readonly ELASTICACHE = new AwsIntegrationService('ElastiCache', ['elasticache:Describe*', 'elasticache:ListTagsForResource'], true, false);
  /** SQS queues (AmazonSQSReadOnlyAccess, `sqs:List*` covers `sqs:ListQueueTags`). */
  public static readonly SQS = new AwsIntegrationService('SQS', ['sqs:GetQueueAttributes', 'sqs:List*'], false, false);
  /**
   * Lambda functions (AWSLambda_ReadOnlyAccess). Supports `retireAutomatically`.
   *
   * Mackerel documents `lambda:GetFunctionConfiguration`, which also returns each function's
   * environment variables in clear text: keep secrets out of them (in Secrets Manager, say).
   *
   * Without a tag filter (`includedTags`) every function of the region is integrated and counted
   * as a micro host, the functions CDK itself deploys included: this library's provider function,
   * an ECS capacity's draining function, custom resource and log retention handlers. Include a
   * tag only your functions carry, or exclude one the others carry.
   */
  public static readonly LAMBDA = new AwsIntegrationService('Lambda', ['lambda:GetFunctionConfiguration', 'lambda:List*'], true, true);
  /** DynamoDB tables (AmazonDynamoDBReadOnlyAccess, with its auto scaling read). */
  public static readonly DYNAMODB = new AwsIntegrationService('DynamoDB',
    ['dynamodb:Describe*', 'dynamodb:List*', 'application-autoscaling:DescribeScalableTargets'], false, false);
  /** CloudFront distributions (CloudFrontReadOnlyAccess). */
  public static readonly CLOUDFRONT = new AwsIntegrationService('CloudFront', ['cloudfront:Get*', 'cloudfront:List*'], false, true);
  /**
   * API Gateway REST, HTTP and WebSocket APIs (`apigateway:GET`, limited to the integration's
   * region as Mackerel's docs grant it).
   *
   * `apigateway:GET` also reads the values of the region's API keys: do not rely on them as the
   * only guard of an API.
   */
  public static readonly API_GATEWAY = new AwsIntegrationService('APIGateway', ['apigateway:GET'], false, true);
  /** Kinesis Data Streams (AmazonKinesisReadOnlyAccess). */
  public static readonly KINESIS = new AwsIntegrationService('Kinesis', ['kinesis:Describe*', 'kinesis:List*'], false, true);
  /** S3 buckets (AmazonS3ReadOnlyAccess, request metrics need a filter named `EntireBucket` on each bucket). */
  public static readonly S3 = new AwsIntegrationService('S3', ['s3:ListAllMyBuckets', 's3:GetBucketLocation', 's3:GetBucketLogging',
    's3:GetBucketTagging', 's3:GetEncryptionConfiguration', 's3:GetMetricsConfiguration'], false, true);
  /** OpenSearch Service domains (AmazonOpenSearchServiceReadOnlyAccess). */
  public static readonly ES = new AwsIntegrationService('ES', ['es:DescribeDomain', 'es:List*'], false, true);
  /**
   * ECS clusters, one micro host per cluster (`ecs:DescribeClusters`, `ecs:List*`, as Mackerel's
   * all-services policy grants, not `ecs:Describe*`, whose `DescribeTaskDefinition` returns
   * every container's environment). Supports `retireAutomatically`.
   */
  public static readonly ECS_CLUSTER = new AwsIntegrationService('ECSCluster', ['ecs:DescribeClusters', 'ecs:List*'], true, true);
  /**
   * SES (AmazonSESReadOnlyAccess, `ses:Describe*`): of the `Describe*` actions, Mackerel's
   * all-services policy lists only `ses:DescribeActiveReceiptRuleSet` (the receipt rules it graphs).
   */
  public static readonly SES = new AwsIntegrationService('SES',
    ['ses:DescribeActiveReceiptRuleSet', 'ses:GetSendQuota', 'ses:ListIdentities'], false, true);
  /** Step Functions state machines (AWSStepFunctionsReadOnlyAccess, `states:List*` covers `states:ListTagsForResource` for tag filters). */
  // No tag:GetResources: neither Mackerel's list of every permission it uses, nor its tag-filter extras
  // (states:ListTagsForResource), nor AWSStepFunctionsReadOnlyAccess has it, and it would let Mackerel read the
  // tags of every resource of every service in the region. Least privilege wins where nothing says it is needed.
  public static readonly STATES = new AwsIntegrationService('States',
    ['states:DescribeStateMachine', 'states:List*'], false, true);
  /** EFS file systems (AmazonElasticFileSystemReadOnlyAccess). */
  public static readonly EFS = new AwsIntegrationService('EFS', ['elasticfilesystem:Describe*'], false, true);
  /** Kinesis Data Firehose streams (AmazonKinesisFirehoseReadOnlyAccess). */
  public static readonly FIREHOSE = new AwsIntegrationService('Firehose', ['firehose:DescribeDeliveryStream', 'firehose:List*'], false, true);
  /**
   * Batch job queues (`batch:Describe*`, `batch:List*`): of the `List*` actions, Mackerel's
   * all-services policy lists only `batch:ListJobs` (the job counts per queue it graphs).
   *
   * `batch:Describe*` includes `DescribeJobDefinitions`, which returns each container's
   * environment variables in clear text: keep secrets out of them (in Secrets Manager, say).
   */
  public static readonly BATCH = new AwsIntegrationService('Batch', ['batch:Describe*', 'batch:ListJobs'], false, true);
  /** WAF web ACLs, classic, regional and v2 (AWSWAFReadOnlyAccess). */
  public static readonly WAF = new AwsIntegrationService('WAF', ['waf:Get*', 'waf:List*', 'waf-regional:Get*', 'waf-regional:List*',
    'wafv2:GetWebACL', 'wafv2:List*'], false, true);
  /** Billing, through budgets (AWSBudgetsReadOnlyAccess). */
  public static readonly BILLING = new AwsIntegrationService('Billing', ['budgets:ViewBudget'], false, true);
  /**
   * Route 53 health checks (AmazonRoute53ReadOnlyAccess).
   *
   * Sent as `Route 53`, the identifier Mackerel's API reference documents (Terraform sends
   * `Route53`; use `AwsIntegrationService.of('Route53', ...)` if the live API ever rejects it).
   */
  public static readonly ROUTE_53 = new AwsIntegrationService('Route 53', ['route53:List*'], false, true);
  /** Amazon Connect instances (AmazonConnectReadOnlyAccess). */
  public static readonly CONNECT = new AwsIntegrationService('Connect', ['connect:ListInstances', 'ds:DescribeDirectories'], false, true);
  /** DocumentDB instances (AmazonRDSReadOnlyAccess). */
  public static readonly DOCDB = new AwsIntegrationService('DocDB', ['rds:Describe*', 'rds:ListTagsForResource'], false, false);
  /**
   * CodeBuild projects (`codebuild:BatchGetProjects`, `codebuild:ListProjects`).
   *
   * `codebuild:BatchGetProjects` also returns each project's environment variables, plain-text
   * ones in clear text: keep secrets in Secrets Manager or Parameter Store variables.
   */
  public static readonly CODEBUILD = new AwsIntegrationService('CodeBuild', ['codebuild:BatchGetProjects', 'codebuild:ListProjects'], false, true);
  /** Athena workgroups (`athena:ListWorkGroups`, `athena:ListTagsForResource`). */
  public static readonly ATHENA = new AwsIntegrationService('Athena', ['athena:ListWorkGroups', 'athena:ListTagsForResource'], false, true);

  /**
   * A service this release does not know yet.
   *
   * An identifier that is neither documented nor known to this release (a typo such as `Ec2x`
   * enables nothing in Mackerel) gets a warning, `cdk-mackerel:awsIntegrationServiceUnknown`, on the
   * integration it is added to; acknowledge it for a service Mackerel added after this release.
   * An action that returns a secret, content or credentials gets the warning
   * `cdk-mackerel:awsIntegrationSensitiveRead` there (see `AwsIntegrationServiceDefinition.actions`).
   *
   * @param id the key of the integration's `services` map, as Mackerel's API reference spells it
   * @param definition the read actions Mackerel needs for it
   */
  public static of(id: string, definition: AwsIntegrationServiceDefinition): AwsIntegrationService {
    const known = AwsIntegrationService._all().find((s) => s.id === id);
    if (known) {
      throw new Error(_describeProblem('id', id, 'is a service this library knows', 'a service identifier without a constant',
        `Use AwsIntegrationService.${AwsIntegrationService._constantName(known)}`));
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9 ]*$/.test(id)) {
      throw new Error(_describeProblem('id', id, 'is not an AWS integration service identifier', 'letters, digits and spaces, as in "ECSCluster" or "Route 53"'));
    }
    if (definition.actions.length === 0) {
      throw new Error(_describeProblem('actions', definition.actions, 'is empty', 'the IAM read actions Mackerel needs for the service'));
    }
    definition.actions.forEach((action, i) => {
      if (!_isReadAction(action)) {
        throw new Error(_describeProblem(`actions[${i}]`, action, 'is not a read action',
          _READ_ACTION_RULE,
          'Mackerel stops collecting when its role can write'));
      }
    });
    return new AwsIntegrationService(id, [...definition.actions], definition.supportsRetireAutomatically ?? false, true,
      _OTHER_KNOWN_IDS.includes(id));
  }

  /** Every service constant, in the order of Mackerel's list of identifiers. @internal */
  public static _all(): AwsIntegrationService[] {
    return Object.values(AwsIntegrationService).filter((v): v is AwsIntegrationService => v instanceof AwsIntegrationService);
  }

  /** The name of the constant holding a service. @internal */
  public static _constantName(service: AwsIntegrationService): string {
    return Object.entries(AwsIntegrationService).find(([, v]) => v === service)?.[0] ?? service.id;
  }

  /** The key of the integration's `services` map, such as `ECSCluster`. */
  public readonly id: string;

  /**
   * The IAM read actions Mackerel needs for this service.
   *
   * A copy on every read: the constants are shared by every integration of the process, so a
   * list changed by one caller must not widen the role of another, nor hide its sensitive reads.
   */
  public get actions(): string[] {
    return [...this._actions];
  }

  /** Whether the service accepts `retireAutomatically`. */
  public readonly supportsRetireAutomatically: boolean;

  /**
   * Whether Mackerel's docs mark the service with `*`: its own policy does not include
   * CloudWatch read access. The generated role always grants CloudWatch read, so this is
   * informative only.
   */
  public readonly needsCloudWatchReadAccess: boolean;

  /** Whether the identifier is one this release knows Mackerel accepts. @internal */
  public readonly _known: boolean;

  private readonly _actions: readonly string[];

  private constructor(id: string, actions: string[], supportsRetireAutomatically: boolean, needsCloudWatchReadAccess: boolean, known = true) {
    this.id = id;
    this._actions = Object.freeze([...actions]);
    this.supportsRetireAutomatically = supportsRetireAutomatically;
    this.needsCloudWatchReadAccess = needsCloudWatchReadAccess;
    this._known = known;
  }
}
