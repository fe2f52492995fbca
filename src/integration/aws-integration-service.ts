import { IConstruct } from 'constructs';
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
   * integration the service is added to: it gives Mackerel's AWS account that data.
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
 * Identifiers Mackerel accepts that have no constant: Terraform's spelling of Route 53, which the
 * `ROUTE_53` doc points users to.
 */
const OTHER_KNOWN_IDS = ['Route53'];

/** Action names that only read: `service:Describe*`, `service:GetX`, `apigateway:GET`, ... */
const READ_ACTION = /^[a-z0-9-]+:(Describe|Get|List|BatchGet|View)[A-Za-z0-9]*\*?$|^apigateway:GET$/;

/** What `READ_ACTION` accepts, in the words of its error messages. @internal */
export const _READ_ACTION_RULE = 'service:Describe*, Get*, List*, BatchGet* or View* actions (or apigateway:GET)';

/**
 * Read actions that hand a third party more than the metadata Mackerel collects: a secret, an
 * object's content, or credentials. `READ_ACTION` lets them through (they write nothing), so
 * `of()` warns instead of failing. Only actions whose result itself is the secret or credential
 * are listed; `kms:GetPublicKey` or `s3:GetBucketPolicy` reveal nothing a role could abuse.
 * Actions such as `rds-db:connect` or `kms:Decrypt` are not reads by `READ_ACTION` and fail anyway.
 */
const SENSITIVE_READS: ReadonlyArray<[action: string, why: string]> = [
  // Secret values, in clear text.
  ['secretsmanager:GetSecretValue', 'returns the secret value'],
  ['secretsmanager:BatchGetSecretValue', 'returns secret values'],
  ['ssm:GetParameter', 'returns parameter values, SecureString ones decrypted'],
  ['ssm:GetParameters', 'returns parameter values, SecureString ones decrypted'],
  ['ssm:GetParametersByPath', 'returns parameter values, SecureString ones decrypted'],
  ['ssm:GetParameterHistory', 'returns past parameter values, SecureString ones decrypted'],
  // Your data rather than its metadata.
  ['s3:GetObject', 'returns object contents'],
  ['s3:GetObjectVersion', 'returns object contents'],
  ['dynamodb:GetItem', 'returns table items'],
  ['dynamodb:BatchGetItem', 'returns table items'],
  // Configuration that often holds secrets in clear text.
  ['ecs:DescribeTaskDefinition', 'returns every container\'s environment variables, where secrets are often written in clear text'],
  ['lambda:GetFunctionConfiguration', 'returns the function\'s environment variables, where secrets are often written, in clear text'],
  ['lambda:GetFunction', 'returns the function\'s environment variables, where secrets are often written, in clear text'],
  // Credentials or passwords for other systems.
  ['sts:GetSessionToken', 'issues temporary AWS credentials'],
  ['sts:GetFederationToken', 'issues temporary AWS credentials'],
  ['ecr:GetAuthorizationToken', 'issues a container registry login'],
  ['codeartifact:GetAuthorizationToken', 'issues a package repository login'],
  ['redshift:GetClusterCredentials', 'issues database credentials'],
  ['redshift:GetClusterCredentialsWithIAM', 'issues database credentials'],
  ['redshift-serverless:GetCredentials', 'issues database credentials'],
  ['ec2:GetPasswordData', 'returns the encrypted Windows administrator password'],
  ['lightsail:GetInstanceAccessDetails', 'issues SSH keys or a password for the instance'],
  ['lightsail:GetRelationalDatabaseMasterUserPassword', 'returns the database master password'],
];

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
  /** SQS queues (AmazonSQSReadOnlyAccess; `sqs:List*` covers `sqs:ListQueueTags`). */
  public static readonly SQS = new AwsIntegrationService('SQS', ['sqs:GetQueueAttributes', 'sqs:List*'], false, false);
  /**
   * Lambda functions (AWSLambda_ReadOnlyAccess). Supports `retireAutomatically`.
   *
   * Mackerel documents `lambda:GetFunctionConfiguration`, which also returns each function's
   * environment variables in clear text: keep secrets out of them (in Secrets Manager, say).
   */
  public static readonly LAMBDA = new AwsIntegrationService('Lambda', ['lambda:GetFunctionConfiguration', 'lambda:List*'], true, true);
  /** DynamoDB tables (AmazonDynamoDBReadOnlyAccess, with its auto scaling read). */
  public static readonly DYNAMODB = new AwsIntegrationService('DynamoDB',
    ['dynamodb:Describe*', 'dynamodb:List*', 'application-autoscaling:DescribeScalableTargets'], false, false);
  /** CloudFront distributions (CloudFrontReadOnlyAccess). */
  public static readonly CLOUDFRONT = new AwsIntegrationService('CloudFront', ['cloudfront:Get*', 'cloudfront:List*'], false, true);
  /** API Gateway REST APIs (`apigateway:GET`). */
  public static readonly API_GATEWAY = new AwsIntegrationService('APIGateway', ['apigateway:GET'], false, true);
  /** Kinesis Data Streams (AmazonKinesisReadOnlyAccess). */
  public static readonly KINESIS = new AwsIntegrationService('Kinesis', ['kinesis:Describe*', 'kinesis:List*'], false, true);
  /** S3 buckets (AmazonS3ReadOnlyAccess; request metrics need a filter named `EntireBucket` on each bucket). */
  public static readonly S3 = new AwsIntegrationService('S3', ['s3:ListAllMyBuckets', 's3:GetBucketLocation', 's3:GetBucketLogging',
    's3:GetBucketTagging', 's3:GetEncryptionConfiguration', 's3:GetMetricsConfiguration'], false, true);
  /** OpenSearch Service domains (AmazonOpenSearchServiceReadOnlyAccess). */
  public static readonly ES = new AwsIntegrationService('ES', ['es:DescribeDomain', 'es:List*'], false, true);
  /**
   * ECS clusters, one micro host per cluster (`ecs:DescribeClusters`, `ecs:List*`, as Mackerel's
   * all-services policy grants; not `ecs:Describe*`, whose `DescribeTaskDefinition` returns
   * every container's environment). Supports `retireAutomatically`.
   */
  public static readonly ECS_CLUSTER = new AwsIntegrationService('ECSCluster', ['ecs:DescribeClusters', 'ecs:List*'], true, true);
  /** SES (AmazonSESReadOnlyAccess, `ses:Describe*`). */
  public static readonly SES = new AwsIntegrationService('SES', ['ses:Describe*', 'ses:GetSendQuota', 'ses:ListIdentities'], false, true);
  /** Step Functions state machines (AWSStepFunctionsReadOnlyAccess, plus `tag:GetResources` for tag filters). */
  public static readonly STATES = new AwsIntegrationService('States',
    ['states:DescribeStateMachine', 'states:List*', 'tag:GetResources'], false, true);
  /** EFS file systems (AmazonElasticFileSystemReadOnlyAccess). */
  public static readonly EFS = new AwsIntegrationService('EFS', ['elasticfilesystem:Describe*'], false, true);
  /** Kinesis Data Firehose streams (AmazonKinesisFirehoseReadOnlyAccess). */
  public static readonly FIREHOSE = new AwsIntegrationService('Firehose', ['firehose:DescribeDeliveryStream', 'firehose:List*'], false, true);
  /** Batch job queues (`batch:Describe*`, `batch:List*`). */
  public static readonly BATCH = new AwsIntegrationService('Batch', ['batch:Describe*', 'batch:List*'], false, true);
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
  /** CodeBuild projects (`codebuild:BatchGetProjects`, `codebuild:ListProjects`). */
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
      if (!READ_ACTION.test(action)) {
        throw new Error(_describeProblem(`actions[${i}]`, action, 'is not a read action',
          _READ_ACTION_RULE,
          'Mackerel stops collecting when its role can write'));
      }
    });
    return new AwsIntegrationService(id, [...definition.actions], definition.supportsRetireAutomatically ?? false, true,
      OTHER_KNOWN_IDS.includes(id));
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

  /** The IAM read actions Mackerel needs for this service. */
  public readonly actions: string[];

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

  private constructor(id: string, actions: string[], supportsRetireAutomatically: boolean, needsCloudWatchReadAccess: boolean, known = true) {
    this.id = id;
    this.actions = actions;
    this.supportsRetireAutomatically = supportsRetireAutomatically;
    this.needsCloudWatchReadAccess = needsCloudWatchReadAccess;
    this._known = known;
  }
}

/**
 * The CloudWatch read actions every integration needs: Mackerel reads every service's metrics
 * from CloudWatch. The docs get them from the unstarred services' managed read-only policies or
 * from CloudWatchReadOnlyAccess; this library writes one inline policy instead of attaching
 * managed policies, so it always adds them.
 * @internal
 */
export const _CLOUDWATCH_READ_ACTIONS = ['cloudwatch:GetMetricData', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics'];

/** True for action names that only read. @internal */
export function _isReadAction(action: string): boolean {
  return READ_ACTION.test(action);
}

/**
 * The warning for a service identifier this release does not know, or undefined for a known one.
 * `of()` has no construct to warn on, so the integration raises it when the service is added.
 * @internal
 */
export function _unknownServiceWarning(service: AwsIntegrationService): string | undefined {
  if (service._known) return undefined;
  const known = [...AwsIntegrationService._all().map((s) => s.id), ...OTHER_KNOWN_IDS];
  const close = AwsIntegrationService._all().filter((s) => isClose(service.id, s.id))
    .map((s) => `${s.id} (AwsIntegrationService.${AwsIntegrationService._constantName(s)})`);
  const listed = close.length > 0 ? `close known identifiers: ${close.join(', ')}` : `known identifiers: ${known.join(', ')}`;
  return `services.${service.id}: ${JSON.stringify(service.id)} is not an AWS integration service identifier Mackerel documents (${listed}). `
    + 'A misspelled identifier enables nothing in Mackerel. Use the AwsIntegrationService constant of a known service, '
    + 'or acknowledge this warning if Mackerel added the service after this release';
}

/**
 * One warning per action of the service that covers a sensitive read (`s3:Get*` covers
 * `s3:GetObject`), empty when there is none. Raised where the service is added, as
 * `_unknownServiceWarning` is.
 * @internal
 */
export function _sensitiveReadWarnings(service: AwsIntegrationService, role: IConstruct): string[] {
  // A constant grants what Mackerel documents for its service (LAMBDA's GetFunctionConfiguration
  // included): a warning there could only be acknowledged, so its JSDoc says it instead.
  if (AwsIntegrationService._all().includes(service)) return [];
  return service.actions.flatMap((action, i) => {
    const warning = _sensitiveReadWarning(`services.${service.id}.actions[${i}]`, action, role);
    return warning ? [warning] : [];
  });
}

/**
 * The warning for one granted action that covers a sensitive read, naming where it was given;
 * undefined when it covers none.
 * @internal
 */
export function _sensitiveReadWarning(where: string, action: string, role: IConstruct): string | undefined {
  const covered = SENSITIVE_READS.filter(([sensitive]) => _covers(action, sensitive));
  if (covered.length === 0) return undefined;
  const what = covered.map(([sensitive, why]) => `${sensitive} (${why})`).join(', ');
  return `${where}: ${JSON.stringify(action)} grants ${what} to the integration role ${role.node.path}. `
    + 'Mackerel\'s AWS account, a third party, assumes that role and would get this too, while Mackerel needs only metadata and metrics. '
    + 'Grant only the actions Mackerel documents for its services, or acknowledge this warning if Mackerel needs it';
}

/**
 * Whether an IAM action pattern (at most a trailing `*`, as `READ_ACTION` allows) matches an
 * action, or a narrower pattern; IAM ignores case.
 * @internal
 */
export function _covers(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  return p.endsWith('*') ? a.startsWith(p.slice(0, -1)) : a === p;
}

/** Same letters ignoring case and spaces, one a prefix of the other, or at most two edits apart. */
function isClose(given: string, known: string): boolean {
  const a = given.toLowerCase().replace(/ /g, '');
  const b = known.toLowerCase().replace(/ /g, '');
  if (Math.min(a.length, b.length) >= 3 && (a.startsWith(b) || b.startsWith(a))) return true;
  return editDistance(a, b) <= Math.min(2, Math.floor(Math.max(a.length, b.length) / 2));
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
