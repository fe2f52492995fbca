import { IConstruct } from 'constructs';
import { _OTHER_KNOWN_IDS } from './_read-actions';
import { AwsIntegrationService } from './aws-integration-service';

/**
 * Read actions that hand a third party more than the metadata Mackerel collects: a secret, an
 * object's content, or credentials. `_isReadAction` lets them through (they write nothing), so
 * `of()` warns instead of failing. Only actions whose result itself is the secret or credential
 * are listed; `kms:GetPublicKey` or `s3:GetBucketPolicy` reveal nothing a role could abuse.
 * Actions such as `rds-db:connect` or `kms:Decrypt` are not reads by `_isReadAction` and fail anyway.
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
  ['dynamodb:GetRecords', 'returns the table items of its stream'],
  ['kinesis:GetRecords', 'returns the records of the stream'],
  ['logs:GetLogEvents', 'returns log events'],
  ['logs:GetLogRecord', 'returns a log event'],
  ['logs:GetQueryResults', 'returns the log events a query found'],
  ['athena:GetQueryResults', 'returns query results'],
  ['redshift-data:GetStatementResult', 'returns query results'],
  ['codecommit:GetBlob', 'returns repository contents'],
  ['codecommit:GetFile', 'returns repository contents'],
  ['glacier:GetJobOutput', 'returns archive contents'],
  ['ecr:BatchGetImage', 'returns container images, layers included'],
  ['ecr:GetDownloadUrlForLayer', 'returns container image layers'],
  // Configuration that often holds secrets in clear text.
  ['ecs:DescribeTaskDefinition', 'returns every container\'s environment variables, where secrets are often written in clear text'],
  ['batch:DescribeJobDefinitions', 'returns every container\'s environment variables, where secrets are often written in clear text'],
  ['codebuild:BatchGetProjects', 'returns every project\'s environment variables, where secrets are often written in clear text'],
  ['ec2:DescribeInstanceAttribute', 'returns the instance\'s user data, where secrets are often written'],
  ['ec2:DescribeLaunchTemplateVersions', 'returns the launch template\'s user data, where secrets are often written'],
  ['ec2:GetLaunchTemplateData', 'returns the instance\'s user data, where secrets are often written'],
  ['autoscaling:DescribeLaunchConfigurations', 'returns every launch configuration\'s user data, where secrets are often written'],
  ['elasticbeanstalk:DescribeConfigurationSettings', 'returns the environment\'s environment properties, where secrets are often written, in clear text'],
  ['apprunner:DescribeService', 'returns the service\'s environment variables, where secrets are often written, in clear text'],
  ['lambda:GetFunctionConfiguration', 'returns the function\'s environment variables, where secrets are often written, in clear text'],
  ['lambda:GetFunction', 'returns the function\'s environment variables, where secrets are often written, in clear text'],
  // Credentials or passwords for other systems.
  ['sts:GetSessionToken', 'issues temporary AWS credentials'],
  ['sts:GetFederationToken', 'issues temporary AWS credentials'],
  ['sts:GetServiceBearerToken', 'issues a bearer token for AWS services'],
  ['ecr:GetAuthorizationToken', 'issues a container registry login'],
  ['ecr-public:GetAuthorizationToken', 'issues a container registry login'],
  ['apigateway:GET', 'returns the values of the API keys (GET /apikeys?includeValue=true)'],
  ['codeartifact:GetAuthorizationToken', 'issues a package repository login'],
  ['glue:GetConnection', 'returns the connection\'s password in clear text unless the caller asks to hide it'],
  ['glue:GetConnections', 'returns the connections\' passwords in clear text unless the caller asks to hide them'],
  ['redshift:GetClusterCredentials', 'issues database credentials'],
  ['redshift:GetClusterCredentialsWithIAM', 'issues database credentials'],
  ['redshift-serverless:GetCredentials', 'issues database credentials'],
  ['ec2:GetPasswordData', 'returns the encrypted Windows administrator password'],
  ['lightsail:GetInstanceAccessDetails', 'issues SSH keys or a password for the instance'],
  ['lightsail:GetRelationalDatabaseMasterUserPassword', 'returns the database master password'],
];

/**
 * The warning for a service identifier this release does not know, or undefined for a known one.
 * `of()` has no construct to warn on, so the integration raises it when the service is added.
 * @internal
 */
export function _unknownServiceWarning(service: AwsIntegrationService): string | undefined {
  if (service._known) return undefined;
  const known = [...AwsIntegrationService._all().map((s) => s.id), ..._OTHER_KNOWN_IDS];
  const close = AwsIntegrationService._all().filter((s) => isClose(service.id, s.id))
    .map((s) => `${s.id} (AwsIntegrationService.${AwsIntegrationService._constantName(s)})`);
  const listed = close.length > 0 ? `close known identifiers: ${close.join(', ')}` : `known identifiers: ${known.join(', ')}`;
  return `services.${service.id}: ${JSON.stringify(service.id)} is not an AWS integration service identifier Mackerel documents (${listed}). `
    + 'A misspelled identifier enables nothing in Mackerel. Use the AwsIntegrationService constant of a known service, '
    + 'or acknowledge this warning if Mackerel added the service after this release';
}

/**
 * One warning per action of the service that covers a sensitive read (`s3:Get*` covers
 * `s3:GetObject`) that no Deny of the role's policies (`denied`) denies everywhere, empty when
 * there is none. Raised at validation, with the Denies `_rolePolicies` reads, as the warnings of
 * statements added to the policy and of the role's other policies are.
 * @internal
 */
export function _sensitiveReadWarnings(service: AwsIntegrationService, role: IConstruct, denied: readonly _Denial[] = []): string[] {
  // A constant grants what Mackerel documents for its service (LAMBDA's GetFunctionConfiguration
  // included): a warning there could only be acknowledged, so its JSDoc says it instead.
  if (AwsIntegrationService._all().includes(service)) return [];
  return service.actions.flatMap((action, i) => {
    const warning = _sensitiveReadWarning(`services.${service.id}.actions[${i}]`, action, role, denied);
    return warning ? [warning] : [];
  });
}

/**
 * The warning for one granted action that covers a sensitive read, naming where it was given;
 * undefined when it covers none.
 * @internal
 */
export function _sensitiveReadWarning(where: string, action: string, role: IConstruct, denied: readonly _Denial[] = []): string | undefined {
  const covered = SENSITIVE_READS.filter(([sensitive]) => _covers(action, sensitive) && !_isDenied(sensitive, denied));
  if (covered.length === 0) return undefined;
  const what = covered.map(([sensitive, why]) => `${sensitive} (${why})`).join(', ');
  return `${where}: ${JSON.stringify(action)} grants ${what} to the integration role ${role.node.path}. ${WHY_SENSITIVE}`;
}

/**
 * The warning for an Allow statement with NotAction, which grants every action it does not name:
 * the sensitive reads none of `notActions` covers, or undefined when it names them all. A token
 * among them names nothing that can be read.
 * @internal
 */
export function _sensitiveReadWarningExcept(
  where: string, notActions: readonly unknown[], role: IConstruct, denied: readonly _Denial[] = [],
): string | undefined {
  const named = notActions.filter((action): action is string => typeof action === 'string');
  const covered = SENSITIVE_READS.filter(([sensitive]) => !named.some((action) => _covers(action, sensitive)) && !_isDenied(sensitive, denied));
  if (covered.length === 0) return undefined;
  const what = covered.map(([sensitive, why]) => `${sensitive} (${why})`).join(', ');
  return `${where}: NotAction ${JSON.stringify(notActions)} grants every other action, ${what} included, to the integration role `
    + `${role.node.path}. ${WHY_SENSITIVE}`;
}

/**
 * A Deny statement of a policy of the role that denies on every resource and without a condition:
 * its Action patterns, or with `except` its NotAction ones (it denies every action they do not cover).
 * IAM lets a Deny in any policy of the role win over every Allow, so what it denies is not granted.
 * @internal
 */
export interface _Denial {
  readonly patterns: readonly string[];
  readonly except: boolean;
}

/** Whether one of `denied` denies `action` everywhere. @internal */
export function _isDenied(action: string, denied: readonly _Denial[]): boolean {
  return denied.some(({ patterns, except }) => except !== patterns.some((pattern) => _covers(pattern, action)));
}

const WHY_SENSITIVE = 'Mackerel\'s AWS account, a third party, assumes that role and would get this too, while Mackerel needs only metadata and metrics. '
  + 'Grant only the actions Mackerel documents for its services, or acknowledge this warning if Mackerel needs it';

/**
 * Whether an IAM action pattern matches an action, or a narrower pattern (its own `*` read as the
 * letter); IAM ignores case. A policy the integration lets through (`allowAdditionalPolicies`) is not
 * held to `_isReadAction`'s trailing `*`: IAM matches `*` and `?` anywhere (`s3:*Object`).
 * @internal
 */
export function _covers(pattern: string, action: string): boolean {
  const regex = pattern.toLowerCase().split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${regex}$`, 's').test(action.toLowerCase());
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
