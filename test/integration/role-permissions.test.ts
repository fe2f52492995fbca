import { App, CfnParameter, CfnResource, NestedStack, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { integrationStack, stackWithProvider } from './_fixture';
import { AwsIntegrationService, MackerelAwsIntegration, MackerelAwsIntegrationProps } from '../../src/integration';

const EXPECTED = 'is attached to the integration role Stack/Aws/Role; expected only the read-only policy this library generates \\(Stack/Aws/Policy\\)';
const WHY_AND_FIX = 'Mackerel stops collecting when the role it assumes could write \\(it checks with ec2:CreateInternetGateway\\). '
  + 'Give Mackerel only what the library derives from addService.*use a separate role for anything else, or set allowAdditionalPolicies';

function integration(props: Partial<MackerelAwsIntegrationProps> = {}) {
  const { app, stack } = integrationStack();
  const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', ...props });
  aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
  return { app, stack, aws };
}

const READ_ONLY = 'expected only service:Describe\\*, Get\\*, List\\*, BatchGet\\* or View\\* actions \\(or apigateway:GET\\)\\. '
  + 'Mackerel stops collecting when the role it assumes could write \\(it checks with ec2:CreateInternetGateway\\)\\. '
  + 'Give Mackerel only what the library derives from addService.*use a separate role for anything else';

function readStatement() {
  return new iam.PolicyStatement({ actions: ['ec2:DescribeRegions'], resources: ['*'] });
}

describe('MackerelAwsIntegration role permissions', () => {
  describe('with only the generated policy', () => {
    test('synthesizes, while other roles of the stack keep their grants', () => {
      // GIVEN
      const { stack } = integration();
      const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      new s3.Bucket(stack, 'Bucket').grantWrite(other);
      other.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess'));
      // THEN
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  describe('fails at synth', () => {
    test('for a managed policy added to the role', () => {
      const { stack, aws } = integration();
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess'));
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(
        `\\[Stack/Aws\\] managed policy "arn:\\$\\{AWS::Partition\\}:iam::aws:policy/AdministratorAccess" ${EXPECTED}. ${WHY_AND_FIX}`));
    });

    test('for a managed policy of the stack added to the role, named by its path', () => {
      const { stack, aws } = integration();
      aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'Managed', { statements: [readStatement()] }));
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(`managed policy "Stack/Managed" ${EXPECTED}`));
    });

    test('for a grant, which creates the role\'s DefaultPolicy', () => {
      const { stack, aws } = integration();
      new s3.Bucket(stack, 'Bucket').grantWrite(aws.role);
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(
        'policy "Stack/Aws/Role/DefaultPolicy" is attached to the integration role Stack/Aws/Role by a grant '
        + '\\(such as bucket.grantWrite\\(role\\)\\) or addToPrincipalPolicy; expected only the read-only policy'));
    });

    test('for an iam.Policy attached to the role', () => {
      const { stack, aws } = integration();
      aws.role.attachInlinePolicy(new iam.Policy(stack, 'Extra', { statements: [readStatement()] }));
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(`policy "Stack/Extra" ${EXPECTED}. ${WHY_AND_FIX}`));
    });

    test('for an iam.ManagedPolicy that lists the role', () => {
      const { stack, aws } = integration();
      new iam.ManagedPolicy(stack, 'Managed', { roles: [aws.role], statements: [readStatement()] });
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(`managed policy "Stack/Managed" ${EXPECTED}`));
    });

    test('for an AWS::IAM::RolePolicy on the role', () => {
      const { stack, aws } = integration();
      new iam.CfnRolePolicy(stack, 'RolePolicy', {
        roleName: aws.role.roleName, policyName: 'extra', policyDocument: new iam.PolicyDocument({ statements: [readStatement()] }),
      });
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(`policy "Stack/RolePolicy" ${EXPECTED}`));
    });

    test('for an inline policy written into the role resource', () => {
      const { stack, aws } = integration();
      (aws.role.node.defaultChild as iam.CfnRole).policies = [{
        policyName: 'extra', policyDocument: new iam.PolicyDocument({ statements: [readStatement()] }),
      }];
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(`inline policy "extra" ${EXPECTED}`));
    });

    test('for a managed policy or an inline policy an escape hatch writes into the role resource', () => {
      const { stack, aws } = integration();
      const cfnRole = aws.role.node.defaultChild as iam.CfnRole;
      cfnRole.addPropertyOverride('ManagedPolicyArns', ['arn:aws:iam::aws:policy/AdministratorAccess']);
      cfnRole.addPropertyOverride('Policies', [{ PolicyName: 'hatch', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] } }]);
      const synth = () => Template.fromStack(stack);
      expect(synth).toThrow(new RegExp(`managed policy "arn:aws:iam::aws:policy/AdministratorAccess" ${EXPECTED}`));
      expect(synth).toThrow(new RegExp(`inline policy "hatch" ${EXPECTED}`));
    });

    test('for another role\'s policy an escape hatch points at the role, or one written as a plain CfnResource', () => {
      const { stack, aws } = integration();
      const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      new s3.Bucket(stack, 'Bucket').grantWrite(other);
      (other.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy).addPropertyOverride('Roles', [aws.role.roleName]);
      const write = { Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] };
      new iam.CfnRolePolicy(stack, 'RolePolicy', { roleName: other.roleName, policyName: 'other', policyDocument: write })
        .addPropertyOverride('RoleName', aws.role.roleName);
      new CfnResource(stack, 'Raw', { type: 'AWS::IAM::ManagedPolicy', properties: { PolicyDocument: write, Roles: [aws.role.roleName] } });
      const synth = () => Template.fromStack(stack);
      expect(synth).toThrow(new RegExp(`policy "Stack/Other/DefaultPolicy" ${EXPECTED}`));
      expect(synth).toThrow(new RegExp(`policy "Stack/RolePolicy" ${EXPECTED}`));
      expect(synth).toThrow(new RegExp(`managed policy "Stack/Raw" ${EXPECTED}`));
    });

    test('not for another role\'s policy an escape hatch leaves on that role', () => {
      const { stack } = integration();
      const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      new s3.Bucket(stack, 'Bucket').grantWrite(other);
      (other.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy).addPropertyOverride('Roles', [other.roleName]);
      new CfnResource(stack, 'Raw', { type: 'AWS::IAM::ManagedPolicy', properties: { PolicyDocument: {}, Roles: [other.roleName] } });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });

    test('reports every extra policy, not only the first', () => {
      const { stack, aws } = integration();
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('PowerUserAccess'));
      aws.role.addToPrincipalPolicy(readStatement());
      expect(() => Template.fromStack(stack)).toThrow(/PowerUserAccess.*\n.*Stack\/Aws\/Role\/DefaultPolicy/);
    });
  });

  describe('attached from another stack of the app', () => {
    test('fails at synth for an iam.Policy of another stack that lists the role', () => {
      // GIVEN
      const { app, stack, aws } = integration();
      // WHEN
      new iam.Policy(stackWithProvider(app, 'Other'), 'Extra', { roles: [aws.role], statements: [readStatement()] });
      // THEN
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(`\\[Stack/Aws\\] policy "Other/Extra" ${EXPECTED}. ${WHY_AND_FIX}`));
    });

    test('fails at synth for a statement added through the role imported by its ARN', () => {
      // GIVEN
      const { stack, aws } = integration();
      // WHEN
      iam.Role.fromRoleArn(stack, 'Imported', aws.role.roleArn).addToPrincipalPolicy(readStatement());
      // THEN
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(`policy "Stack/Imported/Policy" ${EXPECTED}`));
    });

    test('fails at synth for a plain CfnResource policy of another stack, or of a nested stack, or one an override points at the role', () => {
      // GIVEN
      const { app, stack, aws } = integration();
      const write = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] };
      // WHEN
      const other = stackWithProvider(app, 'Other');
      new CfnResource(other, 'Plain', { type: 'AWS::IAM::Policy', properties: { PolicyName: 'plain', Roles: [aws.role.roleName], PolicyDocument: write } });
      new CfnResource(new NestedStack(stack, 'Nested'), 'Inner', { type: 'AWS::IAM::RolePolicy', properties: { PolicyName: 'inner', RoleName: aws.role.roleName, PolicyDocument: write } });
      new iam.CfnManagedPolicy(other, 'Moved', { roles: ['someone-else'], policyDocument: write }).addPropertyOverride('Roles', [aws.role.roleName]);
      // THEN
      const synth = () => Template.fromStack(stack);
      expect(synth).toThrow(new RegExp(`policy "Other/Plain" ${EXPECTED}`));
      expect(synth).toThrow(new RegExp(`policy "Stack/Nested/Inner" ${EXPECTED}`));
      expect(synth).toThrow(new RegExp(`managed policy "Other/Moved" ${EXPECTED}`));
    });

    test('does not count a plain CfnResource policy of another stack that names another role', () => {
      const { app, stack } = integration();
      const other = stackWithProvider(app, 'Other');
      const role = new iam.Role(other, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      new CfnResource(other, 'Plain', {
        type: 'AWS::IAM::Policy',
        properties: {
          PolicyName: 'plain',
          Roles: [role.roleName],
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] },
        },
      });
      expect(() => Template.fromStack(stack)).not.toThrow();
    });

    test('does not mistake another stack\'s integration, with the same logical IDs, for this one', () => {
      // GIVEN
      const { app, stack } = integration();
      // WHEN
      const other = new MackerelAwsIntegration(stackWithProvider(app, 'Other'), 'Aws', { name: 'staging' });
      other.addService(AwsIntegrationService.EC2);
      // THEN
      expect(() => Template.fromStack(stack)).not.toThrow();
    });
  });

  describe('the generated policy', () => {
    test('fails at synth for a write action added to it, naming the action', () => {
      // GIVEN
      const { stack, aws } = integration();
      // WHEN
      aws.policy.addStatements(new iam.PolicyStatement({ actions: ['ec2:*'], resources: ['*'] }));
      // THEN
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(
        `\\[Stack/Aws\\] action "ec2:\\*" is allowed to the integration role Stack/Aws/Role by Stack/Aws/Policy; ${READ_ONLY}$`, 'm'));
    });

    test('fails for a write action an escape hatch writes into its document', () => {
      const { stack, aws } = integration();
      (aws.policy.node.defaultChild as iam.CfnPolicy).addPropertyOverride('PolicyDocument.Statement.0.Action', ['ec2:CreateInternetGateway']);
      expect(() => Template.fromStack(stack)).toThrow(/action "ec2:CreateInternetGateway" is allowed to the integration role Stack\/Aws\/Role by Stack\/Aws\/Policy/);
    });

    test('fails even with allowAdditionalPolicies, which vouches for other policies only', () => {
      const { stack, aws } = integration({ allowAdditionalPolicies: true });
      aws.policy.addStatements(new iam.PolicyStatement({ actions: ['ec2:CreateInternetGateway'], resources: ['*'] }));
      expect(() => Template.fromStack(stack)).toThrow(/action "ec2:CreateInternetGateway" is allowed to the integration role/);
    });

    test('reports every write action, not the read actions beside them', () => {
      const { stack, aws } = integration();
      aws.policy.addStatements(new iam.PolicyStatement({
        actions: ['ec2:DescribeRegions', 'ec2:CreateInternetGateway', 's3:PutObject'], resources: ['*'],
      }));
      const synth = () => Template.fromStack(stack);
      expect(synth).toThrow(/action "ec2:CreateInternetGateway" is allowed.*\n.*action "s3:PutObject" is allowed/);
      expect(synth).not.toThrow(/DescribeRegions/);
    });

    test('fails for an Allow with NotAction, which allows every other action', () => {
      const { stack, aws } = integration();
      aws.policy.addStatements(new iam.PolicyStatement({ notActions: ['iam:*'], resources: ['*'] }));
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(
        `notAction "iam:\\*" allows every other action to the integration role Stack/Aws/Role by Stack/Aws/Policy; ${READ_ONLY}`));
    });

    test('fails for a write action written into the policy resource', () => {
      const { stack, aws } = integration();
      (aws.policy.node.defaultChild as iam.CfnPolicy).policyDocument = {
        Statement: [{ Effect: 'Allow', Action: ['ecs:List*', 'ecs:RunTask'], Resource: '*' }],
      };
      expect(() => Template.fromStack(stack)).toThrow(/action "ecs:RunTask" is allowed to the integration role/);
    });

    test('fails for an action given as a token, which cannot be checked at synth', () => {
      // GIVEN
      const { stack, aws } = integration();
      const action = new CfnParameter(stack, 'Action').valueAsString;
      // WHEN
      aws.policy.addStatements(new iam.PolicyStatement({ actions: [action], resources: ['*'] }));
      // THEN
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(
        `action \\{"Ref":"Action"\\} is allowed to the integration role Stack/Aws/Role by Stack/Aws/Policy; ${READ_ONLY}`));
    });

    test('accepts read and Deny statements added to it', () => {
      // GIVEN
      const { stack, aws } = integration();
      // WHEN
      aws.policy.addStatements(readStatement(),
        new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['ec2:CreateInternetGateway'], resources: ['*'] }),
        // IAM reads action names in any case: this is the read ec2:DescribeInstances.
        new iam.PolicyStatement({ actions: ['EC2:describeInstances'], resources: ['*'] }));
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'ec2:CreateInternetGateway' }),
            Match.objectLike({ Effect: 'Allow', Action: 'EC2:describeInstances' })]),
        },
      });
    });
  });

  describe('the trust policy', () => {
    const TRUST = 'expected only arn:aws:iam::217452466226:root \\(Mackerel\'s account\\), with the condition StringEquals sts:ExternalId '
      + 'on the integration\'s external ID';

    test('fails at synth for another principal added to it, such as anyone', () => {
      // GIVEN
      const { stack, aws } = integration();
      // WHEN
      (aws.role as iam.Role).assumeRolePolicy!.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new iam.AnyPrincipal()] }));
      // THEN
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(
        `\\[Stack/Aws\\] principal \\{"AWS":"\\*"\\} is trusted by the integration role Stack/Aws/Role; ${TRUST}`));
    });

    test('fails for Mackerel\'s account trusted without the external ID, written into the role resource', () => {
      const { stack, aws } = integration();
      (aws.role.node.defaultChild as iam.CfnRole).assumeRolePolicyDocument = {
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { AWS: 'arn:aws:iam::217452466226:root' } }],
      };
      expect(() => Template.fromStack(stack)).toThrow(new RegExp(
        'principal \\{"AWS":"arn:aws:iam::217452466226:root"\\} is trusted by the integration role Stack/Aws/Role without the condition '
        + `on the integration's external ID \\(condition \\{\\}\\); ${TRUST}`));
    });

    test('fails for anyone trusted through an escape hatch: a statement added by override, or Mackerel\'s statement widened', () => {
      const { stack, aws } = integration();
      const cfnRole = aws.role.node.defaultChild as iam.CfnRole;
      cfnRole.addPropertyOverride('AssumeRolePolicyDocument.Statement.1', { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: '*' });
      cfnRole.addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Condition.StringEquals.sts:ExternalId', ['anything', aws.externalId]);
      const synth = () => Template.fromStack(stack);
      expect(synth).toThrow(/principal \{"AWS":"\*"\} is trusted by the integration role Stack\/Aws\/Role; /);
      expect(synth).toThrow(new RegExp('principal \\{"AWS":"arn:aws:iam::217452466226:root"\\} is trusted by the integration role Stack/Aws/Role '
        + 'without the condition on the integration\'s external ID \\(condition \\{"StringEquals":\\{"sts:ExternalId":\\["anything",'));
    });

    test('fails for an Allow with NotPrincipal, and for a service principal', () => {
      const { stack, aws } = integration();
      const trust = (aws.role as iam.Role).assumeRolePolicy!;
      trust.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], notPrincipals: [new iam.AccountPrincipal('111122223333')] }));
      trust.addStatements(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [new iam.ServicePrincipal('lambda.amazonaws.com')] }));
      const synth = () => Template.fromStack(stack);
      expect(synth).toThrow(/notPrincipal .*111122223333.* lets every other principal assume the integration role Stack\/Aws\/Role/);
      expect(synth).toThrow(/principal \{"Service":"lambda.amazonaws.com"\} is trusted by the integration role Stack\/Aws\/Role/);
    });

    test('accepts Mackerel\'s account as iam.AccountPrincipal writes it, with the external ID, for session tags', () => {
      // GIVEN
      const { stack, aws } = integration();
      // WHEN
      (aws.role as iam.Role).assumeRolePolicy!.addStatements(new iam.PolicyStatement({
        actions: ['sts:TagSession', 'sts:SetSourceIdentity'],
        principals: [new iam.AccountPrincipal('217452466226')],
        conditions: { StringEquals: { 'sts:ExternalId': aws.externalId } },
      }));
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: ['sts:TagSession', 'sts:SetSourceIdentity'],
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::217452466226:root']] } },
          })]),
        },
      });
    });

    test('accepts the external ID given as a list of one value, as IAM reads it', () => {
      // GIVEN
      const { stack, aws } = integration();
      // WHEN
      (aws.role as iam.Role).assumeRolePolicy!.addStatements(new iam.PolicyStatement({
        actions: ['sts:TagSession'],
        principals: [new iam.ArnPrincipal('arn:aws:iam::217452466226:root')],
        conditions: { StringEquals: { 'sts:ExternalId': [aws.externalId] } },
      }));
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: 'sts:TagSession',
            Condition: { StringEquals: { 'sts:ExternalId': [{ Ref: Match.stringLikeRegexp('^AwsExternalId') }] } },
          })]),
        },
      });
    });

    test('accepts the condition key in another casing, as IAM reads condition keys regardless of case', () => {
      // GIVEN
      const { stack, aws } = integration();
      // WHEN
      (aws.role as iam.Role).assumeRolePolicy!.addStatements(new iam.PolicyStatement({
        actions: ['sts:TagSession'],
        principals: [new iam.ArnPrincipal('arn:aws:iam::217452466226:root')],
        conditions: { StringEquals: { 'sts:externalid': aws.externalId } },
      }));
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: 'sts:TagSession',
            Condition: { StringEquals: { 'sts:externalid': { Ref: Match.stringLikeRegexp('^AwsExternalId') } } },
          })]),
        },
      });
    });

    test('still fails for a key in another casing on another value, or one of two spellings on another value', () => {
      const { stack, aws } = integration();
      const trust = (aws.role as iam.Role).assumeRolePolicy!;
      trust.addStatements(new iam.PolicyStatement({
        actions: ['sts:TagSession'],
        principals: [new iam.ArnPrincipal('arn:aws:iam::217452466226:root')],
        conditions: { StringEquals: { 'STS:EXTERNALID': 'someone-elses-id' } },
      }));
      trust.addStatements(new iam.PolicyStatement({
        actions: ['sts:SetSourceIdentity'],
        principals: [new iam.ArnPrincipal('arn:aws:iam::217452466226:root')],
        conditions: { StringEquals: { 'sts:ExternalId': aws.externalId, 'sts:externalId': 'someone-elses-id' } },
      }));
      const synth = () => Template.fromStack(stack);
      expect(synth).toThrow(/without the condition on the integration's external ID \(condition \{"StringEquals":\{"STS:EXTERNALID":"someone-elses-id"\}\}\)/);
      expect(synth).toThrow(/without the condition on the integration's external ID \(condition \{"StringEquals":\{"sts:ExternalId":\{"Ref":"AwsExternalId[^"]*"\},"sts:externalId":"someone-elses-id"\}\}\)/);
    });

    test('still fails for another account written as iam.AccountPrincipal writes it', () => {
      const { stack, aws } = integration();
      (aws.role as iam.Role).assumeRolePolicy!.addStatements(new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        principals: [new iam.AccountPrincipal('111122223333')],
        conditions: { StringEquals: { 'sts:ExternalId': aws.externalId } },
      }));
      expect(() => Template.fromStack(stack)).toThrow(/principal \{"AWS":\{"Fn::Join":\["",\["arn:",\{"Ref":"AWS::Partition"\},":iam::111122223333:root"\]\]\}\} is trusted/);
    });

    test('accepts the generated trust and a Deny added to it', () => {
      // GIVEN
      const { stack, aws } = integration();
      // WHEN
      (aws.role as iam.Role).assumeRolePolicy!.addStatements(new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['sts:AssumeRole'],
        principals: [new iam.AnyPrincipal()],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }));
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' } })]) },
      });
    });
  });

  describe('allowAdditionalPolicies', () => {
    test('lets a policy the user vouches for (here a deny guardrail) stay on the role', () => {
      // GIVEN
      const { stack, aws } = integration({ allowAdditionalPolicies: true });
      // WHEN
      const guardrail = new iam.ManagedPolicy(stack, 'Guardrail', {
        statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['ec2:CreateInternetGateway'], resources: ['*'] })],
      });
      aws.role.addManagedPolicy(guardrail);
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: [stack.resolve(guardrail.managedPolicyArn)] });
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });

    test('warns about a sensitive read it lets through: a grant to the role, and a policy attached from another stack', () => {
      // GIVEN
      const { app, stack, aws } = integration({ allowAdditionalPolicies: true });
      // WHEN
      new secretsmanager.Secret(stack, 'Token').grantRead(aws.role);
      const other = stackWithProvider(app, 'Other');
      new iam.ManagedPolicy(other, 'Objects', {
        roles: [iam.Role.fromRoleArn(other, 'Imported', aws.role.roleArn)],
        statements: [new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:ListBucket'], resources: ['*'] })],
      });
      aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'Tokens', {
        statements: [new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] })],
      }));
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'));
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a policy attached to the role \(Stack\/Aws\/Role\/DefaultPolicy\): "secretsmanager:GetSecretValue" grants secretsmanager:GetSecretValue \(returns the secret value\) to the integration role Stack\/Aws\/Role\. .*\[ack: cdk-mackerel:awsIntegrationSensitiveRead\]$/),
        expect.stringMatching(/^a policy attached to the role \(Other\/Objects\): "s3:GetObject" grants s3:GetObject \(returns object contents\)/),
        expect.stringMatching(/^a policy attached to the role \(Stack\/Tokens\): "ecr:GetAuthorizationToken" grants ecr:GetAuthorizationToken/),
      ]);
    });

    test('warns about a sensitive read in a managed policy of another stack that the role lists', () => {
      // GIVEN
      const { app, stack, aws } = integration({ allowAdditionalPolicies: true });
      // WHEN
      aws.role.addManagedPolicy(new iam.ManagedPolicy(stackWithProvider(app, 'Other'), 'Objects', {
        statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })],
      }));
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a policy attached to the role \(Other\/Objects\): "s3:GetObject" grants s3:GetObject \(returns object contents\) to /),
      ]);
    });

    test('warns about a sensitive read in a plain CfnResource managed policy of another stack, listed by an import of its ARN', () => {
      // GIVEN
      const { app, stack, aws } = integration({ allowAdditionalPolicies: true });
      const objects = new CfnResource(stackWithProvider(app, 'Other'), 'Objects', {
        type: 'AWS::IAM::ManagedPolicy',
        properties: { PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } },
      });
      // WHEN
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyArn(stack, 'ObjectsArn', objects.ref));
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a policy attached to the role \(Other\/Objects\): "s3:GetObject" grants s3:GetObject \(returns object contents\) to /),
      ]);
    });

    test('warns about a sensitive read in a managed policy of the app listed by its name, a plain CfnResource or not', () => {
      // GIVEN
      const { app, stack, aws } = integration({ allowAdditionalPolicies: true });
      const other = stackWithProvider(app, 'Other');
      const document = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
      new CfnResource(other, 'Objects', {
        type: 'AWS::IAM::ManagedPolicy',
        properties: { ManagedPolicyName: 'objects-read', PolicyDocument: document('s3:GetObject') },
      });
      new iam.ManagedPolicy(other, 'Secrets', {
        managedPolicyName: 'secrets-read',
        path: '/team/',
        statements: [new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: ['*'] })],
      });
      // Same name, another path, or another account: not the policy the role lists.
      new CfnResource(other, 'ElsewhereObjects', {
        type: 'AWS::IAM::ManagedPolicy',
        properties: { ManagedPolicyName: 'objects-read', Path: '/elsewhere/', PolicyDocument: document('ssm:GetParameter') },
      });
      new CfnResource(stackWithProvider(app, 'OtherAccount', { env: { account: '210987654321', region: 'ap-northeast-1' } }), 'Tokens', {
        type: 'AWS::IAM::ManagedPolicy',
        properties: { ManagedPolicyName: 'tokens', PolicyDocument: document('ecr:GetAuthorizationToken') },
      });
      // WHEN
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyName(stack, 'ObjectsByName', 'objects-read'));
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyArn(stack, 'SecretsByArn', 'arn:aws:iam::123456789012:policy/team/secrets-read'));
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyName(stack, 'TokensByName', 'tokens'));
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a policy attached to the role \(Other\/Objects\): "s3:GetObject" grants s3:GetObject \(returns object contents\) to /),
        expect.stringMatching(/^a policy attached to the role \(Other\/Secrets\): "secretsmanager:GetSecretValue" grants secretsmanager:GetSecretValue /),
      ]);
    });

    test('does not take an AWS managed policy for a managed policy of the app of the same name', () => {
      // GIVEN: an account known only at deploy time, which an app's policy shares with the role.
      const app = new App();
      const stack = stackWithProvider(app, 'Stack', {});
      const aws = new MackerelAwsIntegration(stack, 'Aws', { name: 'prod', allowAdditionalPolicies: true });
      aws.addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
      // The app's own ReadOnlyAccess, not listed on the role: its Deny does not apply to it, nor its Allow.
      new iam.ManagedPolicy(stack, 'OwnReadOnly', {
        managedPolicyName: 'ReadOnlyAccess',
        statements: [
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:*'], resources: ['*'] }),
          new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: ['*'] }),
        ],
      });
      // WHEN
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess'));
      aws.policy.addStatements(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a statement added to Stack\/Aws\/Policy: "s3:GetObject" grants s3:GetObject \(returns object contents\) to /),
      ]);
    });

    test('lets a Deny of a managed policy listed by name narrow its warnings only where the policy is surely the role\'s', () => {
      // GIVEN
      const { app, stack, aws } = integration({ allowAdditionalPolicies: true });
      const document = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: action, Resource: '*' }] });
      // The role's stack is in 123456789012; a stack without an account may deploy to another one.
      new CfnResource(new Stack(app, 'Anywhere'), 'Guard', {
        type: 'AWS::IAM::ManagedPolicy',
        properties: { ManagedPolicyName: 'guard', PolicyDocument: document('s3:*') },
      });
      new CfnResource(stackWithProvider(app, 'Here'), 'SecretsGuard', {
        type: 'AWS::IAM::ManagedPolicy',
        properties: { ManagedPolicyName: 'secrets-guard', PolicyDocument: document('secretsmanager:*') },
      });
      // WHEN
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyName(stack, 'GuardByName', 'guard'));
      aws.role.addManagedPolicy(iam.ManagedPolicy.fromManagedPolicyName(stack, 'SecretsGuardByName', 'secrets-guard'));
      aws.policy.addStatements(new iam.PolicyStatement({ actions: ['s3:GetObject', 'secretsmanager:GetSecretValue'], resources: ['*'] }));
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a statement added to Stack\/Aws\/Policy: "s3:GetObject" grants s3:GetObject \(returns object contents\) to /),
      ]);
    });

    test('warns about the sensitive reads an attached Allow with NotAction grants, all but those it names', () => {
      // GIVEN
      const { stack, aws } = integration({ allowAdditionalPolicies: true });
      // WHEN
      aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'AllButIam', {
        statements: [new iam.PolicyStatement({
          notActions: ['iam:*', 's3:*', 'secretsmanager:*', 'ssm:*', 'dynamodb:*', 'kinesis:*', 'logs:*', 'athena:*',
            'redshift:*', 'redshift-data:*', 'redshift-serverless:*', 'codecommit:*', 'glacier:*', 'ecr:*', 'ecr-public:*', 'ecs:*', 'batch:*', 'codebuild:*', 'ec2:*', 'lightsail:*', 'sts:*', 'apigateway:*',
            'autoscaling:*', 'elasticbeanstalk:*', 'apprunner:*', 'codeartifact:*', 'glue:*'],
          resources: ['*'],
        })],
      }));
      // a Deny with NotAction on some resources only denies nothing everywhere, and narrows nothing it grants
      aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'Guardrail', {
        statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, notActions: ['ec2:Describe*'], resources: ['arn:aws:s3:::logs/*'] })],
      }));
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a policy attached to the role \(Stack\/AllButIam\): NotAction \["iam:\*",.*"glue:\*"\] grants every other action, lambda:GetFunctionConfiguration \(returns the function's environment variables, where secrets are often written, in clear text\), lambda:GetFunction \(.*\) included, to the integration role Stack\/Aws\/Role\. /),
      ]);
    });

    test('does not warn about a sensitive read that a Deny of a policy of the role denies everywhere, as IAM lets the Deny win', () => {
      // GIVEN
      const { stack, aws } = integration({ allowAdditionalPolicies: true });
      // WHEN
      aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'Broad', {
        statements: [new iam.PolicyStatement({ actions: ['s3:*', 'secretsmanager:GetSecretValue', 'ssm:GetParameter'], resources: ['*'] })],
      }));
      aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'AllButIam', {
        statements: [new iam.PolicyStatement({ notActions: ['iam:*'], resources: ['*'] })],
      }));
      aws.role.addManagedPolicy(new iam.ManagedPolicy(stack, 'Guardrail', {
        statements: [
          // Denies everything else everywhere: of the sensitive reads, the NotAction above grants only ssm:GetParameter.
          new iam.PolicyStatement({ effect: iam.Effect.DENY, notActions: ['cloudwatch:Get*', 's3:*', 'secretsmanager:*', 'ssm:GetParameter'], resources: ['*'] }),
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:GetObject*', 'secretsmanager:*'], resources: ['*'] }),
          // Only where its condition holds, or on some resources: ssm:GetParameter is still granted elsewhere.
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['ssm:*'], resources: ['*'], conditions: { Bool: { 'aws:SecureTransport': 'false' } } }),
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['ssm:*'], resources: ['arn:aws:ssm:*:*:parameter/app/*'] }),
        ],
      }));
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a policy attached to the role \(Stack\/Broad\): "ssm:GetParameter" grants ssm:GetParameter \(/),
        expect.stringMatching(/^a policy attached to the role \(Stack\/AllButIam\): NotAction \["iam:\*"\] grants every other action, ssm:GetParameter \([^)]*\) included, /),
      ]);
    });

    test('warns about a sensitive read in an inline policy an escape hatch writes into the role', () => {
      // GIVEN
      const { stack, aws } = integration({ allowAdditionalPolicies: true });
      // WHEN
      (aws.role.node.defaultChild as CfnResource).addPropertyOverride('Policies', [{
        PolicyName: 'params',
        PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameter', 'ec2:DescribeRegions'], Resource: '*' }] },
      }]);
      // THEN
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { Policies: [Match.objectLike({ PolicyName: 'params' })] });
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^an inline policy of the role \(params\): "ssm:GetParameter" grants ssm:GetParameter \(returns parameter values, SecureString ones decrypted\) to /),
      ]);
    });

    test('warns about a sensitive read that an action with a wildcard inside it covers, as IAM matches * and ? anywhere', () => {
      // GIVEN
      const { stack, aws } = integration({ allowAdditionalPolicies: true });
      // WHEN: a plain CfnResource, since an L2 statement refuses ? (IAM takes it)
      new CfnResource(stack, 'Inner', {
        type: 'AWS::IAM::ManagedPolicy',
        properties: {
          Roles: [{ Ref: stack.getLogicalId(aws.role.node.defaultChild as CfnResource) }],
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*Object', 'secretsmanager:Get*Value', 'ssm:GetParamete?', 's3:*ObjectAcl'], Resource: '*' }] },
        },
      });
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a policy attached to the role \(Stack\/Inner\): "s3:\*Object" grants s3:GetObject \(returns object contents\) to /),
        expect.stringMatching(/^a policy attached to the role \(Stack\/Inner\): "secretsmanager:Get\*Value" grants secretsmanager:GetSecretValue \(returns the secret value\) to /),
        expect.stringMatching(/^a policy attached to the role \(Stack\/Inner\): "ssm:GetParamete\?" grants ssm:GetParameter \(returns parameter values, SecureString ones decrypted\) to /),
      ]);
    });

    test('warns about a sensitive read in a policy written as a plain CfnResource, attached by an override, or widened by one', () => {
      // GIVEN
      const { stack, aws } = integration({ allowAdditionalPolicies: true });
      const roleRef = { Ref: stack.getLogicalId(aws.role.node.defaultChild as CfnResource) };
      const allow = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
      // WHEN: written as plain CfnResources
      new CfnResource(stack, 'PlainPolicy', {
        type: 'AWS::IAM::Policy',
        properties: { PolicyName: 'plain', Roles: [roleRef], PolicyDocument: allow('ssm:GetParameter') },
      });
      new CfnResource(stack, 'PlainManaged', { type: 'AWS::IAM::ManagedPolicy', properties: { Roles: [roleRef], PolicyDocument: allow('s3:Get*') } });
      // an L1 policy of another role, pointed at this one by an override
      const moved = new iam.CfnPolicy(stack, 'Moved', { policyName: 'moved', roles: ['some-other-role'], policyDocument: allow('logs:GetLogEvents') });
      moved.addPropertyOverride('Roles', [roleRef]);
      // a harmless managed policy, widened by an override, and one listed on the role by an override only
      const widened = new iam.ManagedPolicy(stack, 'Widened', { statements: [readStatement()] });
      aws.role.addManagedPolicy(widened);
      (widened.node.defaultChild as CfnResource).addPropertyOverride('PolicyDocument.Statement.1',
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' });
      const listed = new iam.ManagedPolicy(stack, 'Listed', { statements: [new iam.PolicyStatement({ actions: ['ecr:BatchGetImage'], resources: ['*'] })] });
      (aws.role.node.defaultChild as CfnResource).addPropertyOverride('ManagedPolicyArns', [stack.resolve(widened.managedPolicyArn), stack.resolve(listed.managedPolicyArn)]);
      // THEN
      const warnings = Annotations.fromStack(stack).findWarning('/Stack/Aws', Match.anyValue()).map((w) => String(w.entry.data));
      expect(warnings).toEqual([
        expect.stringMatching(/^a policy attached to the role \(Stack\/PlainPolicy\): "ssm:GetParameter" grants ssm:GetParameter /),
        expect.stringMatching(/^a policy attached to the role \(Stack\/PlainManaged\): "s3:Get\*" grants s3:GetObject \(returns object contents\), s3:GetObjectVersion/),
        expect.stringMatching(/^a policy attached to the role \(Stack\/Moved\): "logs:GetLogEvents" grants logs:GetLogEvents /),
        expect.stringMatching(/^a policy attached to the role \(Stack\/Widened\): "secretsmanager:GetSecretValue" grants secretsmanager:GetSecretValue /),
        expect.stringMatching(/^a policy attached to the role \(Stack\/Listed\): "ecr:BatchGetImage" grants ecr:BatchGetImage /),
      ]);
    });
  });
});
