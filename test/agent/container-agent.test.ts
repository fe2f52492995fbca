import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnMapping, CfnParameter, CfnResource, Fn, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { describe, expect, test, vi } from 'vitest';
import { APP_IMAGE, agentStack, containerNamed, fargateTask } from './_fixture';
import { MackerelContainerAgent } from '../../src/agent';
import { MackerelApiKey } from '../../src/api-key';

/** The statements of the policies attached to a role, as in the template. */
function statementsOf(stack: Stack, role: iam.IRole): any[] {
  const roleRef = stack.resolve(role.roleName);
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([roleRef]) } });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function actionsOn(statements: any[], resource: unknown): string[] {
  const same = (r: unknown) => JSON.stringify(r) === JSON.stringify(resource);
  return statements
    .filter((s) => [s.Resource].flat().some(same))
    .flatMap((s) => [s.Action].flat());
}

/** The kms:Decrypt statements on the execution role of a Fargate task given an agent with this key. */
function decryptsOfAgent(stack: Stack, apiKey: MackerelApiKey): any[] {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
  taskDefinition.addContainer('app', { image: APP_IMAGE });
  new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
  return statementsOf(stack, taskDefinition.executionRole!).filter((statement) => [statement.Action].flat().includes('kms:Decrypt'));
}

describe('MackerelContainerAgent', () => {
  test('exposes its container, created under the construct', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(agent.container).toBeInstanceOf(ecs.ContainerDefinition);
    expect(agent.container.node.scope).toBe(agent);
    expect(agent.container.taskDefinition).toBe(taskDefinition);
  });

  test('exposes the roles it writes into MACKEREL_ROLES, for monitors scoped to the same roles', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const roles = ['shop:web', 'shop:all'];
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles });
    roles.push('shop:later');
    expect(agent.roles).toEqual(['shop:web', 'shop:all']);
    const { taskDefinition: other, apiKey: key } = fargateTask();
    expect(new MackerelContainerAgent(other.stack, 'Agent', { taskDefinition: other, apiKey: key }).roles).toEqual([]);
  });

  test('rejects a second agent on the same task definition', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(() => new MackerelContainerAgent(stack, 'Agent2', { taskDefinition, apiKey, roles: ['shop:web'] }))
      .toThrow(/^Stack\/Agent2: taskDefinition "Stack\/Task" already has a Mackerel container agent \(Stack\/Agent\/Container\); expected one agent per task definition/);
  });

  test('rejects a Windows task definition', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', {
      memoryLimitMiB: 2048,
      cpu: 1024,
      runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.WINDOWS_SERVER_2022_CORE, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
    });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] }))
      .toThrow(/taskDefinition.runtimePlatform.operatingSystemFamily "WINDOWS_SERVER_2022_CORE" is not supported by the Mackerel container agent; expected a Linux task definition/);
  });

  test('rejects the none network mode', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Task', { networkMode: ecs.NetworkMode.NONE });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] }))
      .toThrow(/taskDefinition.networkMode "none" gives the agent no network.*; expected bridge, host or awsvpc/);
  });

  test('rejects the nat network mode, that of Windows containers (on EC2, without a runtimePlatform)', () => {
    const { stack, apiKey } = agentStack();
    const taskDefinition = new ecs.Ec2TaskDefinition(stack, 'Task', { networkMode: ecs.NetworkMode.NAT });
    taskDefinition.addContainer('app', { image: APP_IMAGE, memoryLimitMiB: 256 });
    expect(() => new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] }))
      .toThrow(/^Stack\/Agent: taskDefinition.networkMode "nat" is the network mode of Windows containers, which the Mackerel container agent \(a Linux image\) does not run on \(aws-cdk-lib writes no network mode for it, which ECS runs as nat on Windows and as bridge on Linux\); expected bridge, host or awsvpc on Linux \(NetworkMode.BRIDGE for what nat would be there\)$/);
    // The reason above: no network mode in the template, which is bridge on a Linux instance.
    expect(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition')[stack.getLogicalId(taskDefinition.node.defaultChild as ecs.CfnTaskDefinition)].Properties.NetworkMode)
      .toBeUndefined();
  });
});

describe('read access to the API key on the execution role', () => {
  test('a Secrets Manager secret: secretsmanager:GetSecretValue on the secret, nothing on the task role', () => {
    const { stack, taskDefinition, apiKey, secret } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const statements = statementsOf(stack, taskDefinition.executionRole!);
    expect(actionsOn(statements, stack.resolve(secret.secretArn))).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue']));
    expect(actionsOn(statementsOf(stack, taskDefinition.taskRole), stack.resolve(secret.secretArn))).toEqual([]);
  });

  test('a secret with a customer managed key in the stack: also kms:Decrypt for the execution role, in the key policy', () => {
    const { stack } = agentStack();
    const key = new kms.Key(stack, 'Key');
    const secret = new secretsmanager.Secret(stack, 'KeyedSecret', { encryptionKey: key });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret, 'apiKey'), roles: ['shop:web'] });
    const statements = statementsOf(stack, taskDefinition.executionRole!);
    expect(actionsOn(statements, stack.resolve(secret.secretArn))).toContain('secretsmanager:GetSecretValue');
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'kms:Decrypt',
          Principal: { AWS: stack.resolve(taskDefinition.executionRole!.roleArn) },
        })]),
      },
    });
  });

  test('a secret with a customer managed key of another stack: kms:Decrypt through Secrets Manager in the role\'s policy, so no stack cycle', () => {
    // a shared "secrets" stack holds the key (and the secret, or the secret is imported where it is used)
    for (const importedSecret of [false, true]) {
      const app = new App();
      const env = { account: '123456789012', region: 'ap-northeast-1' };
      const shared = new Stack(app, 'Shared', { env });
      const key = new kms.Key(shared, 'Key');
      const stack = new Stack(app, 'Stack', { env });
      const secret = importedSecret
        ? secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
          secretCompleteArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf', encryptionKey: key,
        })
        : new secretsmanager.Secret(shared, 'Secret', { encryptionKey: key });
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });

      // aws-cdk-lib would name the role in the key policy, making Shared depend on Stack, which depends on Shared
      expect(() => app.synth(), `imported secret: ${importedSecret}`).not.toThrow();
      const statements = statementsOf(stack, taskDefinition.executionRole!);
      expect(actionsOn(statements, stack.resolve(secret.secretArn))).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
      expect(statements.filter((st) => JSON.stringify(st.Resource) === JSON.stringify(stack.resolve(key.keyArn)))).toEqual([{
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: stack.resolve(key.keyArn),
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' } },
      }]);
      expect(JSON.stringify(Template.fromStack(shared).toJSON())).not.toContain('ExecutionRole');
    }
  });

  test.each([
    ['created with it', (key: kms.Key, _stack: Stack) => key.addAlias('alias/mackerel')],
    ['imported with it where the secret is used', (aliasTargetKey: kms.Key, stack: Stack) => kms.Alias.fromAliasAttributes(stack, 'Alias', { aliasName: 'alias/mackerel', aliasTargetKey })],
  ])('a secret under an alias of a customer managed key of another stack, %s: kms:Decrypt on the key in the role\'s policy, so no stack cycle', (_, aliasOf) => {
    // the alias passes aws-cdk-lib's grant on to its key, whose policy would name the role as for the key itself
    for (const importedSecret of [false, true]) {
      const app = new App();
      const env = { account: '123456789012', region: 'ap-northeast-1' };
      const shared = new Stack(app, 'Shared', { env });
      const key = new kms.Key(shared, 'Key');
      const stack = new Stack(app, 'Stack', { env });
      const alias = aliasOf(key, stack);
      const secret = importedSecret
        ? secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
          secretCompleteArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf', encryptionKey: alias,
        })
        : new secretsmanager.Secret(shared, 'Secret', { encryptionKey: alias });
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });

      expect(() => app.synth(), `imported secret: ${importedSecret}`).not.toThrow();
      const statements = statementsOf(stack, taskDefinition.executionRole!);
      expect(statements.filter((st) => [st.Action].flat().includes('kms:Decrypt'))).toEqual([{
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: stack.resolve(key.keyArn),
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' } },
      }]);
      expect(JSON.stringify(Template.fromStack(shared).toJSON())).not.toContain('ExecutionRole');
    }
  });

  test('a JSON field of the secret: ValueFrom names the field, the grant covers the secret', () => {
    const { stack, taskDefinition, secret } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret, 'apiKey'), roles: ['shop:web'] });
    const agent = containerNamed(taskDefinition, 'mackerel-container-agent');
    expect(agent.Secrets).toEqual([{ Name: 'MACKEREL_APIKEY', ValueFrom: { 'Fn::Join': ['', [stack.resolve(secret.secretArn), ':apiKey::']] } }]);
    expect(actionsOn(statementsOf(stack, taskDefinition.executionRole!), stack.resolve(secret.secretArn))).toContain('secretsmanager:GetSecretValue');
  });

  test('a JSON field with ":" is refused: ECS would read the rest as the version stage', () => {
    const { stack } = agentStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Imported', 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf');
    expect(() => MackerelApiKey.fromSecretsManager(secret, 'mackerel:key')).toThrow(
      'Stack/Imported: field "mackerel:key" contains ":", which ECS reads as the end of the JSON key in the container secret\'s valueFrom, '
      + 'so the task would not start; expected a JSON field name without ":". Rename the field in the secret');
    // the whole value, and a field known only at deploy time, are left as they are
    expect(() => MackerelApiKey.fromSecretsManager(secret, '')).not.toThrow();
    expect(() => MackerelApiKey.fromSecretsManager(secret, new CfnParameter(stack, 'Field').valueAsString)).not.toThrow();
  });

  test('a secret known by a partial ARN whose name ends like the random suffix is warned about: ECS would not find it', () => {
    const partial = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:';
    const imports: Array<[string, (stack: Stack) => secretsmanager.ISecret, boolean]> = [
      ['by name', (stack) => secretsmanager.Secret.fromSecretNameV2(stack, 'Imported', 'mackerel-apikey'), true],
      ['by partial ARN', (stack) => secretsmanager.Secret.fromSecretPartialArn(stack, 'Imported', `${partial}prod/mackerel-apikey`), true],
      ['by a name with no such ending', (stack) => secretsmanager.Secret.fromSecretNameV2(stack, 'Imported', 'mackerel/api-key'), false],
      ['by complete ARN', (stack) => secretsmanager.Secret.fromSecretCompleteArn(stack, 'Imported', `${partial}mackerel-apikey-AbCdEf`), false],
    ];
    for (const [how, imported, warned] of imports) {
      const { stack } = agentStack();
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(imported(stack)), roles: ['shop:web'] });
      const found = Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('apiKeySecretPartialArn'));
      expect(found.map((w) => w.entry.data), how).toEqual(warned ? [
        expect.stringContaining('The API key Stack/Imported is a secret known by a partial ARN (imported by name or partial ARN), and its name '
          + `${JSON.stringify(how === 'by name' ? 'mackerel-apikey' : 'prod/mackerel-apikey')} ends in a hyphen and six characters`),
      ] : []);
      if (warned) expect(found[0].entry.data).toContain('the tasks of Stack/Task fail to start (ResourceInitializationError)');
    }
  });

  test.each([
    ['created by the app', (scope: Stack, targetKey: kms.IKey) => new kms.Alias(scope, 'Alias', { aliasName: 'alias/mackerel', targetKey })],
    ['imported with its key', (scope: Stack, aliasTargetKey: kms.IKey) => kms.Alias.fromAliasAttributes(scope, 'Alias', { aliasName: 'alias/mackerel', aliasTargetKey })],
  ])('a secret under an alias %s: kms:Decrypt names the key the alias points to, not the alias', (_, aliasOf) => {
    const { stack } = agentStack();
    const keyArn = 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const alias = aliasOf(stack, kms.Key.fromKeyArn(stack, 'Key', keyArn));
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
      secretCompleteArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf', encryptionKey: alias,
    });
    // an IAM statement on an alias ARN does not let its key be used (KMS: alias-authorization)
    expect(decryptsOfAgent(stack, MackerelApiKey.fromSecretsManager(secret))).toEqual([{
      Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn, Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' } },
    }]);
  });

  test('an imported secret with an imported customer managed key: kms:Decrypt through Secrets Manager only, which aws-cdk-lib drops', () => {
    const { stack } = agentStack();
    const keyArn = 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
      secretCompleteArn: 'arn:aws:secretsmanager:us-west-2:123456789012:secret:mackerel-AbCdEf', encryptionKey: kms.Key.fromKeyArn(stack, 'Key', keyArn),
    });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });
    const statements = statementsOf(stack, taskDefinition.executionRole!);
    expect(actionsOn(statements, secret.secretArn)).toContain('secretsmanager:GetSecretValue');
    // the secret's region, where Secrets Manager calls KMS from
    expect(statements.filter((s) => s.Resource === keyArn)).toEqual([{
      Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn, Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-west-2.amazonaws.com' } },
    }]);
    // and the task definition waits for that policy
    const policy = taskDefinition.executionRole!.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
    expect(Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(taskDefinition.node.defaultChild as CfnResource)].DependsOn)
      .toContain(stack.getLogicalId(policy));
  });

  test('an SSM parameter: ValueFrom is the parameter ARN', () => {
    const { stack } = agentStack();
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Param', { parameterName: '/mackerel/apikey' });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSsmParameter(parameter), roles: ['shop:web'] });
    expect(containerNamed(taskDefinition, 'mackerel-container-agent').Secrets)
      .toEqual([{ Name: 'MACKEREL_APIKEY', ValueFrom: stack.resolve(parameter.parameterArn) }]);
  });

  test('an SSM parameter created in the app is refused: its value would be in the template', () => {
    const { stack } = agentStack();
    const parameter = new ssm.StringParameter(stack, 'Key', { stringValue: 'not-a-real-key' });
    expect(() => MackerelApiKey.fromSsmParameter(parameter)).toThrow(
      'Stack/Key: parameter "Stack/Key" is created by this app, so it is a plain String parameter with the key written into the template; '
      + 'expected a SecureString parameter created outside CloudFormation. Import it with ssm.StringParameter.fromSecureStringParameterAttributes');
    const list = new ssm.StringListParameter(stack, 'Keys', { stringListValue: ['not-a-real-key'] });
    expect(() => MackerelApiKey.fromSsmParameter(list)).toThrow(/Stack\/Keys: parameter "Stack\/Keys" is created by this app/);
    // imported parameters, however they are imported, are not in the template
    expect(() => MackerelApiKey.fromSsmParameter(ssm.StringParameter.fromStringParameterName(stack, 'Plain', '/mackerel/apikey'))).not.toThrow();
  });

  test('a secret created in the app with a literal key is refused, as an app-created SSM parameter is: the key would be in the template', () => {
    // GIVEN
    const { stack } = agentStack();
    const plain = new secretsmanager.Secret(stack, 'PlainKey', { secretStringValue: SecretValue.unsafePlainText('not-a-real-key') });
    const json = new secretsmanager.Secret(stack, 'JsonKey', {
      secretObjectValue: { apiKey: SecretValue.unsafePlainText('not-a-real-key'), other: SecretValue.ssmSecure('/other') },
    });
    // THEN
    expect(() => MackerelApiKey.fromSecretsManager(plain)).toThrow(
      'Stack/PlainKey: secret "Stack/PlainKey" is created by this app with a literal value (SecretValue.unsafePlainText), so the key is written into the template; '
      + 'expected a generated secret, a value from a dynamic reference or NoEcho parameter, or a secret created outside CloudFormation. '
      + 'Import it with secretsmanager.Secret.fromSecretNameV2 and put the key in it outside CloudFormation');
    expect(() => MackerelApiKey.fromSecretsManager(json, 'apiKey'))
      .toThrow(/^Stack\/JsonKey: secret \(field "apiKey"\) "Stack\/JsonKey" is created by this app with a literal value/);
    expect(() => MackerelApiKey.fromSecretsManager(json)).toThrow(/^Stack\/JsonKey: secret "Stack\/JsonKey" is created by this app with a literal value/);
    // without the key in the template: generated, a dynamic reference or a NoEcho parameter
    const parameter = new CfnParameter(stack, 'KeyParam', { type: 'String', noEcho: true });
    const secrets = [
      new secretsmanager.Secret(stack, 'Generated'),
      new secretsmanager.Secret(stack, 'Resolved', { secretStringValue: SecretValue.secretsManager('mackerel/apikey') }),
      new secretsmanager.Secret(stack, 'FromParameter', { secretStringValue: SecretValue.cfnParameter(parameter) }),
      // a dynamic reference written out by hand is resolved by CloudFormation, as SecretValue.ssmSecure's is
      new secretsmanager.Secret(stack, 'HandWritten', { secretStringValue: SecretValue.unsafePlainText('{{resolve:ssm-secure:/mackerel/apikey:1}}') }),
      new secretsmanager.Secret(stack, 'HandWrittenSecret', { secretStringValue: SecretValue.unsafePlainText('{{resolve:secretsmanager:mackerel/apikey:SecretString:apiKey}}') }),
    ];
    for (const secret of secrets) expect(() => MackerelApiKey.fromSecretsManager(secret), secret.node.path).not.toThrow();
    // a JSON secret whose key field is a reference, next to a literal field that is not the key
    const referenced = new secretsmanager.Secret(stack, 'Json', {
      secretObjectValue: { apiKey: SecretValue.cfnParameter(parameter), user: SecretValue.unsafePlainText('shop') },
    });
    expect(() => MackerelApiKey.fromSecretsManager(referenced, 'apiKey')).not.toThrow();
    // text around a dynamic reference, or a plain String parameter's reference, is still the key's text
    const prefixed = new secretsmanager.Secret(stack, 'Prefixed', { secretStringValue: SecretValue.unsafePlainText('mkr-{{resolve:ssm-secure:/mackerel/apikey}}') });
    expect(() => MackerelApiKey.fromSecretsManager(prefixed)).toThrow(/^Stack\/Prefixed: secret "Stack\/Prefixed" is created by this app with a literal value/);
    const plainString = new secretsmanager.Secret(stack, 'PlainString', { secretStringValue: SecretValue.unsafePlainText('{{resolve:ssm:/mackerel/apikey}}') });
    expect(() => MackerelApiKey.fromSecretsManager(plainString)).toThrow(/^Stack\/PlainString: secret "Stack\/PlainString" is created by this app with a literal value/);
    // a CfnMapping's value is a token, but the template's Mappings hold it as written
    const mapping = new CfnMapping(stack, 'Keys', { mapping: { prod: { apiKey: 'not-a-real-key' } } });
    const mapped = new secretsmanager.Secret(stack, 'Mapped', { secretStringValue: SecretValue.unsafePlainText(mapping.findInMap('prod', 'apiKey')) });
    expect(() => MackerelApiKey.fromSecretsManager(mapped)).toThrow(
      /^Stack\/Mapped: secret "Stack\/Mapped" is created by this app with a value from the template's Mappings \(Fn::FindInMap\), so the key is written into the template;/);
    const mappedField = new secretsmanager.Secret(stack, 'MappedField', {
      generateSecretString: { secretStringTemplate: JSON.stringify({ apiKey: Fn.join('', [parameter.valueAsString, Fn.findInMap('Keys', 'prod', 'apiKey')]) }), generateStringKey: 'password' },
    });
    expect(() => MackerelApiKey.fromSecretsManager(mappedField, 'apiKey')).toThrow(/^Stack\/MappedField: secret \(field "apiKey"\) "Stack\/MappedField" is created by this app with a value from the template's Mappings/);
    expect(() => MackerelApiKey.fromSecretsManager(mappedField, 'password')).not.toThrow();
  });

  test('a generated secret whose secretStringTemplate holds the key is refused: the template is written as given', () => {
    // GIVEN
    const { stack } = agentStack();
    const templated = new secretsmanager.Secret(stack, 'TemplatedKey', {
      generateSecretString: { secretStringTemplate: JSON.stringify({ apiKey: 'not-a-real-key', password: 'replaced' }), generateStringKey: 'password' },
    });
    // THEN
    expect(() => MackerelApiKey.fromSecretsManager(templated, 'apiKey')).toThrow(
      'Stack/TemplatedKey: secret (field "apiKey") "Stack/TemplatedKey" is created by this app with a literal value in generateSecretString.secretStringTemplate, '
      + 'so the key is written into the template; expected a generated secret, a value from a dynamic reference or NoEcho parameter, '
      + 'or a secret created outside CloudFormation. Import it with secretsmanager.Secret.fromSecretNameV2 and put the key in it outside CloudFormation');
    expect(() => MackerelApiKey.fromSecretsManager(templated)).toThrow(/^Stack\/TemplatedKey: secret "Stack\/TemplatedKey" is created by this app with a literal value in generateSecretString/);
    // the generated field (Secrets Manager replaces the template's value), a field the template leaves out, and a template field that is a NoEcho parameter are not in the template
    expect(() => MackerelApiKey.fromSecretsManager(templated, 'password')).not.toThrow();
    expect(() => MackerelApiKey.fromSecretsManager(templated, 'other')).not.toThrow();
    const parameter = new CfnParameter(stack, 'KeyParam', { type: 'String', noEcho: true });
    const referenced = new secretsmanager.Secret(stack, 'Referenced', {
      generateSecretString: { secretStringTemplate: JSON.stringify({ apiKey: parameter.valueAsString, user: 'shop' }), generateStringKey: 'password' },
    });
    expect(() => MackerelApiKey.fromSecretsManager(referenced, 'apiKey')).not.toThrow();
  });

  test('a secret created in the app from a parameter that shows its value is refused: not NoEcho, with a Default, or of another stack', () => {
    const { stack } = agentStack();
    const shown = new CfnParameter(stack, 'Shown', { type: 'String' });
    const defaulted = new CfnParameter(stack, 'Defaulted', { type: 'String', noEcho: true, default: 'not-a-real-key' });
    const hidden = new CfnParameter(stack, 'Hidden', { type: 'String', noEcho: true });
    const fromShown = new secretsmanager.Secret(stack, 'FromShown', { secretStringValue: SecretValue.unsafePlainText(shown.valueAsString) });
    expect(() => MackerelApiKey.fromSecretsManager(fromShown)).toThrow(
      'Stack/FromShown: secret "Stack/FromShown" is created by this app from parameter Stack/Shown, which is not NoEcho, so CloudFormation shows its value '
      + 'in the stack\'s parameters; expected a generated secret, a value from a dynamic reference or NoEcho parameter without a Default, or a secret created '
      + 'outside CloudFormation. Make the parameter noEcho with no default, or import the secret with secretsmanager.Secret.fromSecretNameV2');
    const fromDefaulted = new secretsmanager.Secret(stack, 'FromDefaulted', { secretStringValue: SecretValue.cfnParameter(defaulted) });
    expect(() => MackerelApiKey.fromSecretsManager(fromDefaulted))
      .toThrow(/^Stack\/FromDefaulted: secret "Stack\/FromDefaulted" is created by this app from parameter Stack\/Defaulted, which has a Default, written into the template;/);
    const templated = new secretsmanager.Secret(stack, 'Templated', {
      generateSecretString: { secretStringTemplate: JSON.stringify({ apiKey: shown.valueAsString }), generateStringKey: 'password' },
    });
    expect(() => MackerelApiKey.fromSecretsManager(templated, 'apiKey')).toThrow(/^Stack\/Templated: secret \(field "apiKey"\) "Stack\/Templated" is created by this app from parameter Stack\/Shown/);
    // the generated field, and a key field from a NoEcho parameter next to a shown field that is not the key
    expect(() => MackerelApiKey.fromSecretsManager(templated, 'password')).not.toThrow();
    const mixed = new secretsmanager.Secret(stack, 'Mixed', {
      secretObjectValue: { apiKey: SecretValue.cfnParameter(hidden), user: SecretValue.unsafePlainText(shown.valueAsString) },
    });
    expect(() => MackerelApiKey.fromSecretsManager(mixed, 'apiKey')).not.toThrow();
    // a NoEcho parameter of another stack reaches the secret's stack as an export, in plain
    const other = new Stack(stack.node.root as App, 'Other', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    const elsewhere = new secretsmanager.Secret(other, 'Elsewhere', { secretStringValue: SecretValue.cfnParameter(hidden) });
    expect(() => MackerelApiKey.fromSecretsManager(elsewhere)).toThrow(
      /^Other\/Elsewhere: secret "Other\/Elsewhere" is created by this app from parameter Stack\/Hidden, which is in another stack \(Stack\), which passes its value on in plain/);
  });

  test('a parameter that shows the key is refused also inside an intrinsic, or named by its logical ID', () => {
    const { stack } = agentStack();
    const shown = new CfnParameter(stack, 'Shown', { type: 'String' });
    const hidden = new CfnParameter(stack, 'Hidden', { type: 'String', noEcho: true });
    const secretOf = (id: string, value: string) => new secretsmanager.Secret(stack, id, { secretStringValue: SecretValue.unsafePlainText(value) });
    const refused = /is created by this app from parameter Stack\/Shown, which is not NoEcho/;
    expect(() => MackerelApiKey.fromSecretsManager(secretOf('Joined', Fn.join('', [hidden.valueAsString, shown.valueAsString])))).toThrow(refused);
    expect(() => MackerelApiKey.fromSecretsManager(secretOf('SubVariable', Fn.sub('${Key}', { Key: shown.valueAsString })))).toThrow(refused);
    expect(() => MackerelApiKey.fromSecretsManager(secretOf('SubName', Fn.sub('${Shown}')))).toThrow(refused);
    expect(() => MackerelApiKey.fromSecretsManager(secretOf('RefName', Fn.ref('Shown')))).toThrow(refused);
    // a variable of Fn::Sub is not the parameter of the same name, ${!Shown} is literal text, and a NoEcho parameter stays accepted
    expect(() => MackerelApiKey.fromSecretsManager(secretOf('Shadowed', Fn.sub('${Shown}', { Shown: hidden.valueAsString })))).not.toThrow();
    expect(() => MackerelApiKey.fromSecretsManager(secretOf('FromHidden', Fn.join('', [hidden.valueAsString, Fn.sub('${!Shown}'), Fn.sub('${Hidden}')])))).not.toThrow();
  });

  test('a parameter that shows the key is refused when named in Fn::Sub by a logical ID that every object inherits (constructor)', () => {
    // GIVEN a parameter whose logical ID is also a property of every JavaScript object
    const { stack } = agentStack();
    new CfnParameter(stack, 'Shown', { type: 'String' }).overrideLogicalId('constructor');
    // WHEN the secret takes the key from it by name
    const secret = new secretsmanager.Secret(stack, 'SubName', { secretStringValue: SecretValue.unsafePlainText(Fn.sub('${constructor}')) });
    // THEN it is refused as the same parameter of another name is: the Fn::Sub gives no variable of that name
    expect(() => MackerelApiKey.fromSecretsManager(secret)).toThrow(/is created by this app from parameter Stack\/Shown, which is not NoEcho/);
  });

  test('an SSM SecureString: ssm:GetParameters on the parameter, kms:Decrypt on its key only through Parameter Store', () => {
    const { stack } = agentStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Param', { parameterName: '/mackerel/apikey', encryptionKey: key });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSsmParameter(parameter), roles: ['shop:web'] });
    const statements = statementsOf(stack, taskDefinition.executionRole!);
    expect(actionsOn(statements, stack.resolve(parameter.parameterArn))).toContain('ssm:GetParameters');
    expect(statements.filter((statement) => statement.Resource === key.keyArn)).toEqual([{
      Action: 'kms:Decrypt', Effect: 'Allow', Resource: key.keyArn, Condition: { StringEquals: { 'kms:ViaService': 'ssm.ap-northeast-1.amazonaws.com' } },
    }]);
  });

  test.each([
    ['created by the app', (scope: Stack, targetKey: kms.IKey) => new kms.Alias(scope, 'Alias', { aliasName: 'alias/mackerel', targetKey })],
    ['imported with its key', (scope: Stack, aliasTargetKey: kms.IKey) => kms.Alias.fromAliasAttributes(scope, 'Alias', { aliasName: 'alias/mackerel', aliasTargetKey })],
  ])('an SSM SecureString under an alias %s: kms:Decrypt names the key the alias points to, not the alias', (_, aliasOf) => {
    const { stack } = agentStack();
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const alias = aliasOf(stack, key);
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Param', { parameterName: '/mackerel/apikey', encryptionKey: alias });
    // an IAM statement on an alias ARN does not let its key be used
    expect(decryptsOfAgent(stack, MackerelApiKey.fromSsmParameter(parameter))).toEqual([{
      Action: 'kms:Decrypt', Effect: 'Allow', Resource: key.keyArn, Condition: { StringEquals: { 'kms:ViaService': 'ssm.ap-northeast-1.amazonaws.com' } },
    }]);
  });

  test.each([
    ['an SSM SecureString', 'ssm', 'ap-northeast-1', '123456789012', (scope: Stack, encryptionKey: kms.IKey) => MackerelApiKey.fromSsmParameter(
      ssm.StringParameter.fromSecureStringParameterAttributes(scope, 'Param', { parameterName: '/mackerel/apikey', encryptionKey }))],
    ['a secret', 'secretsmanager', 'ap-northeast-1', '123456789012', (scope: Stack, encryptionKey: kms.IKey) => MackerelApiKey.fromSecretsManager(
      secretsmanager.Secret.fromSecretAttributes(scope, 'Imported', { secretCompleteArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf', encryptionKey }))],
    ['an SSM SecureString of another account and region', 'ssm', 'us-west-2', '210987654321', (scope: Stack, encryptionKey: kms.IKey) => MackerelApiKey.fromSsmParameter(
      ssm.StringParameter.fromSecureStringParameterAttributes(new Stack(scope.node.root, 'Elsewhere', { env: { account: '210987654321', region: 'us-west-2' } }),
        'Param', { parameterName: '/mackerel/apikey', encryptionKey }))],
    ['a secret of another account and region', 'secretsmanager', 'us-west-2', '210987654321', (scope: Stack, encryptionKey: kms.IKey) => MackerelApiKey.fromSecretsManager(
      secretsmanager.Secret.fromSecretAttributes(scope, 'Imported', { secretCompleteArn: 'arn:aws:secretsmanager:us-west-2:210987654321:secret:mackerel-AbCdEf', encryptionKey }))],
  ])('%s under an alias imported by name only: kms:Decrypt on the keys that carry that alias where the key is read, not on the alias', (_, service, region, account, apiKeyOf) => {
    const { stack } = agentStack();
    const alias = kms.Alias.fromAliasName(stack, 'Alias', 'alias/mackerel');
    // the alias does not know its key: KMS matches the key by the aliases it carries (kms:ResourceAliases); the service
    // reads the alias name where the secret or parameter is, and its key is in that account and region
    expect(decryptsOfAgent(stack, apiKeyOf(stack, alias))).toEqual([{
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:${region}:${account}:key/*`]] },
      Condition: {
        'StringEquals': { 'kms:ViaService': `${service}.${region}.amazonaws.com` },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/mackerel' },
      },
    }]);
  });
});

describe('the agents\' execution permissions: one policy per stack', () => {
  const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

  function sharedPolicies(stack: Stack): any[] {
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    return Object.entries(policies).filter(([id]) => id.startsWith('MackerelContainerAgentExecutionPolicy')).map(([, p]) => p.Properties);
  }

  function agentLogGroupArn(stack: Stack): unknown {
    return stack.resolve((stack.node.findChild('MackerelContainerAgentLogs') as logs.ILogGroup).logGroupArn);
  }

  test('reading the key and writing the agent log group are granted once, to every agent\'s execution role', () => {
    // GIVEN two instrumented task definitions in one stack
    const { stack, taskDefinition, apiKey, secret } = fargateTask();
    const other = new ecs.FargateTaskDefinition(stack, 'Other', { memoryLimitMiB: 512, cpu: 256 });
    other.addContainer('app', { image: APP_IMAGE, logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }) });
    // WHEN
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    new MackerelContainerAgent(stack, 'OtherAgent', { taskDefinition: other, apiKey, roles: ['shop:web'] });
    // THEN one policy holds both statements and names both roles
    const [policy, ...more] = sharedPolicies(stack);
    expect(more).toEqual([]);
    expect(policy.Roles).toEqual([stack.resolve(taskDefinition.executionRole!.roleName), stack.resolve(other.executionRole!.roleName)]);
    expect(policy.PolicyDocument.Statement).toEqual([
      { Action: LOG_ACTIONS, Effect: 'Allow', Resource: agentLogGroupArn(stack) },
      { Action: READ_ACTIONS, Effect: 'Allow', Resource: stack.resolve(secret.secretArn) },
    ]);
    // and no role's own policy repeats them (the app container's log grant stays there)
    const own = Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(other.executionRole!.roleName)] } });
    const ownStatements = Object.values(own).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(ownStatements).toHaveLength(1);
    expect(ownStatements[0].Action).toEqual(LOG_ACTIONS);
    expect(ownStatements[0].Resource).not.toEqual(agentLogGroupArn(stack));
  });

  function sharedPolicyId(stack: Stack): string {
    const [id, ...more] = Object.keys(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((logicalId) => logicalId.startsWith('MackerelContainerAgentExecutionPolicy'));
    expect(more).toEqual([]);
    return id;
  }

  function dependsOnOf(stack: Stack, taskDefinition: ecs.TaskDefinition): string[] {
    const logicalId = stack.resolve((taskDefinition.node.defaultChild as CfnResource).logicalId);
    return Template.fromStack(stack).toJSON().Resources[logicalId].DependsOn ?? [];
  }

  test('an instrumented task definition is created after the shared policy, so its first tasks can read the key', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const plain = new ecs.FargateTaskDefinition(stack, 'Plain', { memoryLimitMiB: 512, cpu: 256 });
    plain.addContainer('app', { image: APP_IMAGE, logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'app' }) });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(dependsOnOf(stack, taskDefinition)).toEqual([sharedPolicyId(stack)]);
    // a task without the agent is left as aws-cdk-lib makes it
    expect(dependsOnOf(stack, plain)).toEqual([]);
  });

  test('that wait goes through the construct tree, not CfnResource.addDependency, which later aws-cdk-lib deprecates', () => {
    // aws-cdk-lib 2.27x deprecates CfnResource#addDependency, and jsii prints a [WARNING] for the call
    // on every synth of an app with an agent, which the app's author can neither understand nor silence.
    // Spied while the agent is added only: aws-cdk-lib's own synthesis calls it too before it deprecates it.
    const { stack, taskDefinition, apiKey } = fargateTask();
    const addDependency = vi.spyOn(CfnResource.prototype, 'addDependency');
    try {
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      expect(addDependency).not.toHaveBeenCalled();
    } finally {
      addDependency.mockRestore();
    }
    expect(dependsOnOf(stack, taskDefinition)).toEqual([sharedPolicyId(stack)]);
  });

  test('a task definition whose execution role the shared policy does not reach waits only for the policies that grant its key read', () => {
    const { stack, apiKey } = agentStack();
    const instrumented = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    instrumented.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition: instrumented, apiKey, roles: ['shop:web'] });
    // an imported execution role: its grants are its own, so the shared policy (made for the other task) is not its concern
    const executionRole = iam.Role.fromRoleArn(stack, 'Exec', 'arn:aws:iam::123456789012:role/task-execution');
    const imported = new ecs.FargateTaskDefinition(stack, 'Imported', { memoryLimitMiB: 512, cpu: 256, executionRole });
    imported.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'ImportedAgent', { taskDefinition: imported, apiKey, roles: ['shop:web'] });
    // a role of its own but nothing shared: a key with a customer managed key and the agent's own logging
    const keyed = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'KeyedSecret', { encryptionKey: new kms.Key(stack, 'Key') }));
    const own = new ecs.FargateTaskDefinition(stack, 'Own', { memoryLimitMiB: 512, cpu: 256 });
    own.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'OwnAgent', {
      taskDefinition: own, apiKey: keyed, roles: ['shop:web'], logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'agent' }),
    });
    expect(dependsOnOf(stack, instrumented)).toEqual([sharedPolicyId(stack)]);
    // the grant to an imported role is a policy of this stack attached to it
    // (its id depends on @aws-cdk/aws-iam:importedRoleStackSafeDefaultPolicyName)
    const importedPolicy = executionRole.node.children.find((c) => c instanceof iam.Policy)!;
    expect(dependsOnOf(stack, imported)).toEqual([stack.getLogicalId(importedPolicy.node.defaultChild as CfnResource)]);
    // the key read is in its execution role's default policy: ECS starts no task before that exists
    const ownPolicy = own.executionRole!.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
    expect(dependsOnOf(stack, own)).toEqual([stack.getLogicalId(ownPolicy)]);
    expect(statementsOf(stack, own.executionRole!).flatMap((s) => [s.Action].flat())).toContain('secretsmanager:GetSecretValue');
  });

  test('each stack has its own', () => {
    const { app, stack, taskDefinition, apiKey } = fargateTask();
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const second = new Stack(app, 'Second', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    const secondTask = new ecs.FargateTaskDefinition(second, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    secondTask.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(second, 'Agent', {
      taskDefinition: secondTask,
      apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(second, 'Key', 'mackerel')),
      roles: ['shop:web'],
    });
    expect(sharedPolicies(stack).map((p) => p.Roles)).toEqual([[stack.resolve(taskDefinition.executionRole!.roleName)]]);
    expect(sharedPolicies(second).map((p) => p.Roles)).toEqual([[second.resolve(secondTask.executionRole!.roleName)]]);
    expect(actionsOn(statementsOf(second, secondTask.executionRole!), agentLogGroupArn(second))).toEqual(LOG_ACTIONS);
  });

  test('an SSM parameter without a customer managed key: read in the shared policy', () => {
    const { stack } = agentStack();
    const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Param', { parameterName: '/mackerel/apikey' });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSsmParameter(parameter), roles: ['shop:web'] });
    const [policy] = sharedPolicies(stack);
    expect(actionsOn(policy.PolicyDocument.Statement, stack.resolve(parameter.parameterArn))).toContain('ssm:GetParameters');
  });

  test('a key with a customer managed key is granted per role, since the key policy must name each role', () => {
    const { stack } = agentStack();
    const secret = new secretsmanager.Secret(stack, 'KeyedSecret', { encryptionKey: new kms.Key(stack, 'Key') });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });
    const [policy] = sharedPolicies(stack);
    expect(actionsOn(policy.PolicyDocument.Statement, stack.resolve(secret.secretArn))).toEqual([]);
    expect(actionsOn(policy.PolicyDocument.Statement, agentLogGroupArn(stack))).toEqual(LOG_ACTIONS);
    expect(actionsOn(statementsOf(stack, taskDefinition.executionRole!), stack.resolve(secret.secretArn))).toEqual(READ_ACTIONS);
  });

  test('a secret in another account is granted per role, as aws-cdk-lib grants it', () => {
    const { stack } = agentStack();
    const arn = 'arn:aws:secretsmanager:ap-northeast-1:210987654321:secret:mackerel-AbCdEf';
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Elsewhere', arn);
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });
    const [policy] = sharedPolicies(stack);
    expect(actionsOn(policy.PolicyDocument.Statement, arn)).toEqual([]);
    expect(actionsOn(statementsOf(stack, taskDefinition.executionRole!), arn)).toEqual(READ_ACTIONS);
  });

  test('an SSM parameter of another account (by its ARN) is warned about: that account must share it, which the app cannot arrange', () => {
    const { stack } = agentStack();
    const elsewhere = ssm.StringParameter.fromStringParameterArn(stack, 'Elsewhere', 'arn:aws:ssm:ap-northeast-1:210987654321:parameter/mackerel/api-key');
    const here = ssm.StringParameter.fromStringParameterArn(stack, 'Here', 'arn:aws:ssm:ap-northeast-1:123456789012:parameter/mackerel/api-key');
    const byName = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'ByName', { parameterName: '/mackerel/api-key' });
    for (const [id, parameter] of [['Elsewhere', elsewhere], ['Here', here], ['ByName', byName]] as const) {
      const taskDefinition = new ecs.FargateTaskDefinition(stack, `${id}Task`, { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      new MackerelContainerAgent(stack, `${id}Agent`, { taskDefinition, apiKey: MackerelApiKey.fromSsmParameter(parameter), roles: ['shop:web'] });
    }
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('apiKeyInOtherAccount'));
    expect(warnings.map((w) => [w.id, w.entry.data])).toEqual([['/Stack/ElsewhereAgent', expect.stringContaining(
      'The API key Stack/Elsewhere is an SSM parameter in account 210987654321, not in the execution role\'s account 123456789012: that account must share it '
      + 'with this one through AWS RAM (which needs an advanced-tier parameter)')]]);
    expect(warnings[0].entry.data).toContain('no encryptionKey is known for it, so kms:Decrypt was not granted. '
      + 'Otherwise the tasks of Stack/ElsewhereTask fail to start (ResourceInitializationError)');
  });

  test('an execution role of another stack and a key with a customer managed key in the task\'s stack: the read is in the shared policy, so no stack cycle', () => {
    // GIVEN a base stack holding the execution role, and a service stack with the task and its own encrypted secret
    const app = new App();
    const env = { account: '123456789012', region: 'ap-northeast-1' };
    const base = new Stack(app, 'Base', { env });
    const service = new Stack(app, 'Service', { env });
    const executionRole = new iam.Role(base, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const key = new kms.Key(service, 'Key');
    const secret = new secretsmanager.Secret(service, 'ApiKey', { encryptionKey: key });
    const taskDefinition = new ecs.FargateTaskDefinition(service, 'Task', { executionRole, memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    // WHEN
    new MackerelContainerAgent(service, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });
    // THEN the role's own policy in the base stack would reference the secret, while the service stack references the role
    expect(() => app.synth()).not.toThrow();
    const [policy] = sharedPolicies(service);
    expect(actionsOn(policy.PolicyDocument.Statement, service.resolve(secret.secretArn))).toEqual(READ_ACTIONS);
    expect(Template.fromStack(base).findResources('AWS::IAM::Policy')).toEqual({});
    // the key of another stack than the role's is granted in the policy, as MackerelApiKey.grantRead does for such a key
    expect(policy.PolicyDocument.Statement).toContainEqual({
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: service.resolve(key.keyArn),
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' } },
    });
    expect(JSON.stringify(Template.fromStack(service).findResources('AWS::KMS::Key'))).not.toContain('ExecutionRole');
    expect(dependsOnOf(service, taskDefinition)).toEqual([sharedPolicyId(service)]);
  });

  test('an execution role of another stack and a key with a customer managed key in a third stack the role\'s depends on: no key policy names the role, so no stack cycle', () => {
    // GIVEN a keys stack with the key and the secret, a base stack with the execution role that uses the key too, and a service stack with the task
    const app = new App();
    const env = { account: '123456789012', region: 'ap-northeast-1' };
    const keys = new Stack(app, 'Keys', { env });
    const base = new Stack(app, 'Base', { env });
    const service = new Stack(app, 'Service', { env });
    const key = new kms.Key(keys, 'Key');
    const secret = new secretsmanager.Secret(keys, 'ApiKey', { encryptionKey: key });
    const executionRole = new iam.Role(base, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    new logs.LogGroup(base, 'Logs', { encryptionKey: key });
    const taskDefinition = new ecs.FargateTaskDefinition(service, 'Task', { executionRole, memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    // WHEN
    new MackerelContainerAgent(service, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });
    // THEN a key policy naming the role would make the keys stack depend on the base stack, which depends on it
    expect(() => app.synth()).not.toThrow();
    expect(keys.dependencies).toEqual([]);
    const [policy] = sharedPolicies(service);
    expect(actionsOn(policy.PolicyDocument.Statement, service.resolve(secret.secretArn))).toEqual(READ_ACTIONS);
    expect(actionsOn(policy.PolicyDocument.Statement, service.resolve(key.keyArn))).toEqual(['kms:Decrypt']);
  });

  test('an execution role of another stack: the policy is in the task definition\'s stack, attached to the role, so no stack cycle appears', () => {
    // GIVEN a base stack holding the execution role and the key, and a service stack with the task
    const app = new App();
    const env = { account: '123456789012', region: 'ap-northeast-1' };
    const base = new Stack(app, 'Base', { env });
    const service = new Stack(app, 'Service', { env });
    const executionRole = new iam.Role(base, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    const secret = new secretsmanager.Secret(base, 'ApiKey');
    const taskDefinition = new ecs.FargateTaskDefinition(service, 'Task', { executionRole, memoryLimitMiB: 512, cpu: 256 });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    // WHEN
    new MackerelContainerAgent(service, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });
    // THEN the app synthesizes (the log group, the policy and the task are all in the service stack)
    expect(() => app.synth()).not.toThrow();
    expect(sharedPolicies(base)).toEqual([]);
    const [policy] = sharedPolicies(service);
    expect(policy.Roles).toEqual([service.resolve(executionRole.roleName)]);
    expect(actionsOn(policy.PolicyDocument.Statement, agentLogGroupArn(service))).toEqual(LOG_ACTIONS);
    expect(dependsOnOf(service, taskDefinition)).toEqual([sharedPolicyId(service)]);
  });

  describe('a secret imported from another account', () => {
    function otherAccountAgent(props: { encryptionKey?: boolean; executionRole?: (stack: Stack) => iam.IRole } = {}) {
      const { stack } = agentStack();
      const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Shared', {
        secretCompleteArn: 'arn:aws:secretsmanager:ap-northeast-1:999999999999:secret:mackerel-AbCdEf',
        encryptionKey: props.encryptionKey ? kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:ap-northeast-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab') : undefined,
      });
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256, executionRole: props.executionRole?.(stack) });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:web'] });
      Template.fromStack(stack);
      const warnings = (id: string) => Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp(id)).map((w) => w.entry.data);
      return { stack, taskDefinition, warnings };
    }

    test('a mutable role that took the read is not said to be immutable, and the task definition waits for its policy', () => {
      const { stack, taskDefinition, warnings } = otherAccountAgent();
      expect(warnings('agentExecutionNotGranted')).toEqual([]);
      const policy = taskDefinition.executionRole!.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
      expect(Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(taskDefinition.node.defaultChild as CfnResource)].DependsOn)
        .toContain(stack.getLogicalId(policy));
    });

    test('a warning says that account must allow the role, and that no customer managed key is known to decrypt with', () => {
      expect(otherAccountAgent().warnings('apiKeyInOtherAccount')).toEqual([
        'The API key Stack/Shared is a secret in account 999999999999, not in the execution role\'s account 123456789012: the secret\'s resource policy '
        + 'there must allow Stack/Task/ExecutionRole secretsmanager:GetSecretValue, and the secret must be encrypted with a customer managed key '
        + 'whose key policy allows the role kms:Decrypt (the AWS managed key aws/secretsmanager cannot be used from another account). '
        + 'No encryptionKey is known for it, so kms:Decrypt was not granted: import the secret with '
        + 'secretsmanager.Secret.fromSecretAttributes({ secretCompleteArn, encryptionKey }) to grant it. '
        + 'Otherwise the tasks of Stack/Task fail to start (ResourceInitializationError) [ack: cdk-mackerel:apiKeyInOtherAccount]',
      ]);
      // with its customer managed key known, only what the other account must allow is left
      expect(otherAccountAgent({ encryptionKey: true }).warnings('apiKeyInOtherAccount'))
        .toEqual([expect.not.stringMatching(/No encryptionKey/)]);
    });

    test('an immutable role is still said to take no statements', () => {
      const { warnings } = otherAccountAgent({ executionRole: (stack) => iam.Role.fromRoleArn(stack, 'Exec', 'arn:aws:iam::123456789012:role/exec', { mutable: false }) });
      expect(warnings('agentExecutionNotGranted')).toEqual([expect.stringMatching(/^The execution role Stack\/Exec takes no policy statements \(immutable\), so it was not granted secretsmanager:GetSecretValue/)]);
    });

    test('a secret of the same account gets no such warning', () => {
      const { stack, taskDefinition, apiKey } = fargateTask();
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('apiKeyInOtherAccount'));
    });
  });

  test('an imported execution role gets both statements in its own policy, and no shared policy is made', () => {
    const { stack, apiKey, secret } = agentStack();
    const executionRole = iam.Role.fromRoleArn(stack, 'Exec', 'arn:aws:iam::123456789012:role/task-execution');
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256, executionRole });
    taskDefinition.addContainer('app', { image: APP_IMAGE });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    expect(sharedPolicies(stack)).toEqual([]);
    const statements = statementsOf(stack, executionRole);
    expect(actionsOn(statements, stack.resolve(secret.secretArn))).toEqual(READ_ACTIONS);
    expect(actionsOn(statements, agentLogGroupArn(stack))).toEqual(LOG_ACTIONS);
  });

  test('an execution role that takes no statements (immutable import, withoutPolicyUpdates) is warned about: tasks would fail to start', () => {
    const notGranted = (executionRole: (stack: Stack) => iam.IRole, logging?: ecs.LogDriver) => {
      const { stack, apiKey } = agentStack();
      const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', { memoryLimitMiB: 512, cpu: 256, executionRole: executionRole(stack) });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'], logging });
      Template.fromStack(stack);
      return Annotations.fromStack(stack).findWarning('/Stack/Agent', Match.stringLikeRegexp('agentExecutionNotGranted')).map((w) => w.entry.data);
    };
    // an immutable import: neither the key read nor the log write lands anywhere
    expect(notGranted((stack) => iam.Role.fromRoleArn(stack, 'Exec', 'arn:aws:iam::123456789012:role/exec', { mutable: false }))).toEqual([
      'The execution role Stack/Exec takes no policy statements (immutable), so it was not granted secretsmanager:GetSecretValue, '
      + 'secretsmanager:DescribeSecret on the API key Stack/ApiKey, nor logs:CreateLogStream, logs:PutLogEvents on the agent log group '
      + 'Stack/MackerelContainerAgentLogs. Grant them where the role is defined, or the tasks of Stack/Task fail to start (ResourceInitializationError) '
      + '[ack: cdk-mackerel:agentExecutionNotGranted]',
    ]);
    // withoutPolicyUpdates, with the agent's own log driver: only the key read is ours to name
    const own = ecs.LogDrivers.awsLogs({ streamPrefix: 'agent' });
    expect(notGranted((stack) => new iam.Role(stack, 'Exec', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }).withoutPolicyUpdates(), own))
      .toEqual([expect.stringMatching(/^The execution role Stack\/ImmutableRoleExec takes no policy statements \(immutable\), so it was not granted secretsmanager:GetSecretValue, secretsmanager:DescribeSecret on the API key Stack\/ApiKey\. Grant them/)]);
    // roles that take the statements, created or imported, are not warned about
    expect(notGranted((stack) => iam.Role.fromRoleArn(stack, 'Exec', 'arn:aws:iam::123456789012:role/exec'))).toEqual([]);
    expect(notGranted((stack) => new iam.Role(stack, 'Exec', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }))).toEqual([]);
  });

  test('with iam.Role.customizeRoles, nothing IAM is written: both grants go to aws-cdk-lib\'s policy report for the precreated role', () => {
    // GIVEN roles created outside the app, as customizeRoles declares
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'ap-northeast-1' } });
    iam.Role.customizeRoles(stack, { usePrecreatedRoles: { 'Stack/First/ExecutionRole': 'first-execution', 'Stack/Second/ExecutionRole': 'second-execution' } });
    const apiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey'));
    // WHEN two tasks get an agent
    for (const id of ['First', 'Second']) {
      const taskDefinition = new ecs.FargateTaskDefinition(stack, id, { memoryLimitMiB: 512, cpu: 256 });
      taskDefinition.addContainer('app', { image: APP_IMAGE });
      new MackerelContainerAgent(taskDefinition, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    }
    // THEN the template has no policy for the precreated roles, and the report lists what each needs
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
    const report = readFileSync(join(app.synth().directory, 'iam-policy-report.txt'), 'utf8');
    for (const role of ['first-execution', 'second-execution']) {
      const start = report.indexOf(`<${role}>`);
      expect(start).toBeGreaterThanOrEqual(0);
      const end = report.indexOf('\n<', start + 1);
      const section = report.slice(start, end === -1 ? undefined : end);
      expect(section).toContain('"secretsmanager:GetSecretValue"');
      expect(section).toContain('"logs:PutLogEvents"');
    }
    // and the roles are not said to lack them
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('agentExecutionNotGranted'));
  });
});
