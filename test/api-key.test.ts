import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { describe, expect, test } from 'vitest';
import { MackerelApiKey, MackerelContainerAgent, MackerelProvider } from '../src';

/**
 * What a Python, Java, .NET or Go subclass of `MackerelApiKey` is to the library: jsii exposes
 * the class as abstract with a constructor, and such a subclass can implement only the public
 * members (`toEcsSecret`, `grantRead`), never the internal ones the provider and agent read.
 */
function foreignSubclass(secret: secretsmanager.ISecret): MackerelApiKey {
  const key = Object.create(MackerelApiKey.prototype) as MackerelApiKey;
  return Object.assign(key, {
    toEcsSecret: () => ecs.Secret.fromSecretsManager(secret),
    grantRead: (grantee: iam.IGrantable) => secret.grantRead(grantee),
  });
}

function fixture() {
  const app = new App();
  const stack = new Stack(app, 'Stack');
  const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel/api-key');
  return { stack, apiKey: foreignSubclass(secret) };
}

describe('MackerelApiKey', () => {
  describe('a subclass written outside cdk-mackerel', () => {
    const expected = /apiKey .* is not made by MackerelApiKey\.fromSecretsManager or MackerelApiKey\.fromSsmParameter; expected MackerelApiKey\.fromSecretsManager\(secret, field\?\) or MackerelApiKey\.fromSsmParameter\(parameter\)/;

    test('is refused by MackerelProvider with the path and the property', () => {
      const { stack, apiKey } = fixture();

      expect(() => new MackerelProvider(stack, 'Mackerel', { apiKey })).toThrow(/^Stack\/Mackerel: /);
      expect(() => new MackerelProvider(stack, 'Mackerel2', { apiKey })).toThrow(expected);
    });

    test('is refused by the agent with the path and the property', () => {
      const { stack, apiKey } = fixture();
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
      taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });

      expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey })).toThrow(/^Stack\/Agent: /);
      expect(() => new MackerelContainerAgent(stack, 'Agent2', { taskDefinition, apiKey })).toThrow(expected);
    });
  });

  test('read of a secret whose customer managed key is in another stack goes to the grantee\'s policy, so the stacks make no cycle', () => {
    const app = new App();
    const env = { account: '123456789012', region: 'ap-northeast-1' };
    const shared = new Stack(app, 'Shared', { env });
    const secret = new secretsmanager.Secret(shared, 'Secret', { encryptionKey: new kms.Key(shared, 'Key') });
    const stack = new Stack(app, 'Stack', { env });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    const grant = MackerelApiKey.fromSecretsManager(secret).grantRead(role);

    expect(grant.success).toBe(true);
    expect(grant.principalStatements.flatMap((statement) => statement.actions)).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'kms:Decrypt']);
    expect(() => app.synth()).not.toThrow();
  });

  describe('grantRead gives the actions its doc lists', () => {
    /**
     * The actions of the grantee's policy in the template: the returned Grant does not hold all of them, as
     * aws-cdk-lib's own grants add some apart.
     */
    const granted = (key: (stack: Stack) => MackerelApiKey) => {
      const stack = new Stack(new App(), 'Stack');
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      key(stack).grantRead(role);
      const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
      const statements: Array<{ Action: string | string[] }> = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      return statements.flatMap((statement) => statement.Action).sort();
    };
    const cmk = (stack: Stack) => kms.Key.fromKeyArn(stack, 'Cmk', 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');

    test('for a secret: GetSecretValue and DescribeSecret, plus kms:Decrypt with a customer managed key', () => {
      const reads = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
      expect(granted((s) => MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(s, 'Key', 'mackerel/api-key')))).toEqual(reads);
      expect(granted((s) => MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretAttributes(s, 'Key', {
        secretCompleteArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-api-key-AbCdEf',
        encryptionKey: cmk(s),
      })))).toEqual(['kms:Decrypt', ...reads]);
    });

    test('for an SSM parameter: DescribeParameters, GetParameters, GetParameter and GetParameterHistory, plus kms:Decrypt with a customer managed key', () => {
      const reads = ['ssm:DescribeParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory', 'ssm:GetParameters'];
      const parameter = (s: Stack, encryptionKey?: kms.IKey) => MackerelApiKey.fromSsmParameter(
        ssm.StringParameter.fromSecureStringParameterAttributes(s, 'Key', { parameterName: '/mackerel/api-key', encryptionKey }));
      expect(granted((s) => parameter(s))).toEqual(reads);
      expect(granted((s) => parameter(s, cmk(s)))).toEqual(['kms:Decrypt', ...reads]);
    });
  });
});
