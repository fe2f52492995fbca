import * as iam from 'aws-cdk-lib/aws-iam';
import { Dependable, IConstruct } from 'constructs';
import { _rolesCustomized } from '../../_iam';
import { _warnLate } from '../../_validation';

/**
 * Warns when the task role did not take the read of the agent config: an immutable role
 * (`Role.fromRoleArn(..., { mutable: false })`, `withoutPolicyUpdates()`) says it took the
 * statement but puts it in no policy, so the agent could not fetch its config and would exit,
 * leaving the task unmonitored. Known only once the app's roles have placed their statements (an
 * Aspect of aws-cdk-lib's Role), hence a validation. Roles precreated with `iam.Role.customizeRoles`
 * list the statement in aws-cdk-lib's policy report instead.
 * @internal
 */
export function _checkConfigReadable(scope: IConstruct, taskRole: iam.IRole, read: iam.AddToPrincipalPolicyResult, what: string): void {
  if (_rolesCustomized(scope)) return;
  scope.node.addValidation({
    validate: () => {
      const landed = !read.statementAdded || (read.policyDependable && Dependable.of(read.policyDependable).dependencyRoots.length > 0);
      if (!landed) {
        _warnLate(scope, 'cdk-mackerel:agentConfigNotGranted',
          `The task role ${taskRole.node.path} takes no policy statements (immutable), so it was not granted s3:GetObject on ${what}, `
          + 'nor decrypt with the bucket\'s key. Grant them where the role is defined, or the agent cannot read its config and exits');
      }
      return [];
    },
  });
}
