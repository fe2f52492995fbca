import { IConstruct } from 'constructs';

/** Set by `iam.Role.customizeRoles`; aws-cdk-lib keeps the key in its internal helpers. */
const CUSTOMIZE_ROLES_CONTEXT_KEY = '@aws-cdk/iam:customizeRoles';

/**
 * Whether roles created under `scope` are precreated (`iam.Role.customizeRoles`): made outside the
 * app, with what they need listed in aws-cdk-lib's policy report (`iam-policy-report.txt`) rather
 * than written to the template. A policy attached with `policy.attachToRole(role)` or
 * `new iam.Policy(..., { roles })` would still be written, attached to a role the app does not own,
 * and be missing from the report; `role.attachInlinePolicy` and grants go to the report.
 * @internal
 */
export function _rolesCustomized(scope: IConstruct): boolean {
  return scope.node.tryGetContext(CUSTOMIZE_ROLES_CONTEXT_KEY) !== undefined;
}

/**
 * Whether a secret name or ARN ends the way Secrets Manager's random suffix does (`-` and six
 * letters or digits), so that it may be a complete ARN, or a partial one Secrets Manager would
 * take for complete ("mackerel-apikey").
 * @internal
 */
export function _endsLikeSecretSuffix(nameOrArn: string): boolean {
  return /-[A-Za-z0-9]{6}$/.test(nameOrArn);
}
