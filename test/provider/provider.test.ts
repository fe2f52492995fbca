import { App, ArnFormat, CfnElement, Duration, Fn, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { describe, expect, test } from 'vitest';
import { MackerelApiKey } from '../../src/api-key';
import { _RESOURCE_TYPES } from '../../src/provider/_properties';
import { _createMackerelResource } from '../../src/provider/_resource';
import { MackerelProvider } from '../../src/provider/provider';

function stackWithSecret(id = 'Stack') {
  const app = new App();
  const stack = new Stack(app, id);
  const secret = new secretsmanager.Secret(stack, 'ApiKeySecret');
  return { app, stack, secret, apiKey: MackerelApiKey.fromSecretsManager(secret) };
}

/** The environment variables of the handler Lambda (not the framework's). */
function handlerEnvironment(stack: Stack, provider: MackerelProvider) {
  const functionId = stack.resolve((provider.handler.node.defaultChild as Construct & { logicalId: string }).logicalId);
  const resource = Template.fromStack(stack).toJSON().Resources[functionId];
  return resource.Properties.Environment.Variables as { [name: string]: unknown };
}

describe('MackerelProvider', () => {
  describe('one per stack', () => {
    test('MackerelProvider.of finds the provider from any construct of the stack', () => {
      const { stack, apiKey } = stackWithSecret();
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey });
      const deep = new Construct(new Construct(stack, 'A'), 'B');

      expect(MackerelProvider.of(deep)).toBe(provider);
    });

    test('a second provider in the same stack fails, naming both paths', () => {
      const { stack, apiKey } = stackWithSecret();
      new MackerelProvider(stack, 'Mackerel', { apiKey });

      expect(() => new MackerelProvider(stack, 'Again', { apiKey }))
        .toThrow(/^Stack\/Again: MackerelProvider "Again" is a second provider in stack "Stack" \(the first is Stack\/Mackerel\); expected exactly one MackerelProvider per stack/);
    });

    test('two stacks have a provider each', () => {
      const { app, apiKey } = stackWithSecret();
      const other = new Stack(app, 'Other');

      expect(() => new MackerelProvider(other, 'Mackerel', { apiKey })).not.toThrow();
      expect(MackerelProvider.of(other).node.path).toBe('Other/Mackerel');
    });

    test('MackerelProvider.of without a provider fails with a fix', () => {
      const { stack } = stackWithSecret();
      const scope = new Construct(stack, 'Monitors');

      expect(() => MackerelProvider.of(scope))
        .toThrow('Stack/Monitors: the stack "Stack" has no MackerelProvider; expected one per stack that holds Mackerel resources. Add new MackerelProvider(stack, \'Mackerel\', { apiKey }) to it.');
    });

    test('a Mackerel resource in a stack without a provider fails synthesis', () => {
      const { stack } = stackWithSecret();
      _createMackerelResource(new Construct(stack, 'Cpu'), _RESOURCE_TYPES.MONITOR, { type: 'host' });

      expect(() => Template.fromStack(stack)).toThrow(/Custom::MackerelMonitor needs a MackerelProvider in stack "Stack"; expected one per stack/);
    });

    test('a Mackerel resource declared before the provider uses its service token', () => {
      const { stack, apiKey } = stackWithSecret();
      _createMackerelResource(new Construct(stack, 'Cpu'), _RESOURCE_TYPES.MONITOR, { type: 'host', name: 'cpu' });
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey });

      Template.fromStack(stack).hasResourceProperties(_RESOURCE_TYPES.MONITOR, {
        ServiceToken: stack.resolve(provider.serviceToken),
        type: 'host',
        name: 'cpu',
      });
    });
  });

  describe('the handler Lambda', () => {
    test('gets where the key lives and the API base, never the key', () => {
      const { stack, secret, apiKey } = stackWithSecret();
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey, apiBase: 'https://kcps-mackerel.io/' });

      const env = handlerEnvironment(stack, provider);

      expect(env).toEqual({ MACKEREL_APIBASE: 'https://kcps-mackerel.io/', MACKEREL_APIKEY_SECRET_ARN: stack.resolve(secret.secretArn) });
      expect(Object.keys(env)).not.toContain('MACKEREL_APIKEY');
    });

    test('passes the JSON field of the secret', () => {
      const { stack, secret } = stackWithSecret();
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secret, 'apiKey') });

      expect(handlerEnvironment(stack, provider)).toMatchObject({ MACKEREL_APIKEY_SECRET_FIELD: 'apiKey', MACKEREL_APIBASE: 'https://api.mackerelio.com/' });
    });

    describe('names the secret so that GetSecretValue finds it', () => {
      const ENV = { account: '123456789012', region: 'ap-northeast-1' };

      function providerFor(importSecret: (stack: Stack) => secretsmanager.ISecret, env: { account?: string; region?: string } | undefined = ENV) {
        const stack = new Stack(new App(), 'Shop', { env });
        const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(importSecret(stack)) });
        return { stack, provider, secretId: handlerEnvironment(stack, provider).MACKEREL_APIKEY_SECRET_ARN };
      }

      test.each([
        ['in a stack with an environment', ENV],
        ['in an environment-agnostic stack', undefined],
      ])('by its name when imported by a name ending in a hyphen and six characters, %s', (_what, env) => {
        // A partial ARN ".../secret:mackerel-apikey" would be read as name "mackerel" with suffix "apikey".
        const { stack, provider, secretId } = providerFor((s) => secretsmanager.Secret.fromSecretNameV2(s, 'Key', 'mackerel-apikey'), env);

        expect(secretId).toBe('mackerel-apikey');
        // The grant still covers the secret's full ARN, whatever its random suffix.
        Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
          Roles: [stack.resolve(provider.handler.role!.roleName)],
          PolicyDocument: {
            Statement: Match.arrayWith([Match.objectLike({
              Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
              Resource: stack.resolve(`${stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: 'mackerel-apikey', arnFormat: ArnFormat.COLON_RESOURCE_NAME })}-??????`),
            })]),
          },
        });
      });

      test('by its complete ARN when imported by one', () => {
        const arn = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-apikey-AbCdEf';

        const { secretId } = providerFor((s) => secretsmanager.Secret.fromSecretCompleteArn(s, 'Key', arn));

        expect(secretId).toBe(arn);
      });

      test('by its partial ARN when it is in another account, which a name cannot reach, warning when the name looks suffixed', () => {
        const partial = 'arn:aws:secretsmanager:ap-northeast-1:210987654321:secret:shared/mackerel';
        const lookalike = 'arn:aws:secretsmanager:ap-northeast-1:210987654321:secret:mackerel-apikey';

        const plain = providerFor((s) => secretsmanager.Secret.fromSecretPartialArn(s, 'Key', partial));
        const suffixed = providerFor((s) => secretsmanager.Secret.fromSecretPartialArn(s, 'Key', lookalike));

        expect(plain.secretId).toBe(partial);
        Annotations.fromStack(plain.stack).hasNoWarning('*', Match.stringLikeRegexp('apiKeySecretPartialArn'));
        expect(suffixed.secretId).toBe(lookalike);
        Annotations.fromStack(suffixed.stack).hasWarning('/Shop/Mackerel', Match.stringLikeRegexp('reads as the random suffix.*fromSecretCompleteArn'));
      });
    });

    test('refuses a secret or SSM parameter in another region than the stack: the handler reads the key in its own region', () => {
      const ENV = { account: '123456789012', region: 'ap-northeast-1' };
      const providerIn = (env: { account?: string; region?: string } | undefined, apiKeyOf: (stack: Stack) => MackerelApiKey) => () => {
        const stack = new Stack(new App(), 'Shop', { env });
        new MackerelProvider(stack, 'Mackerel', { apiKey: apiKeyOf(stack) });
      };
      const secretIn = (region: string) => (stack: Stack) => MackerelApiKey.fromSecretsManager(
        secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', `arn:aws:secretsmanager:${region}:123456789012:secret:mackerel-AbCdEf`));
      // aws-cdk-lib refuses an ARN of another region in fromStringParameterArn; a parameter imported
      // into a stack of that region (one that shares the app's keys) carries that region all the same.
      const parameterIn = (region: string) => (stack: Stack) => {
        const keys = new Stack(stack.node.root as App, `Keys-${region}`, { env: { account: '123456789012', region } });
        return MackerelApiKey.fromSsmParameter(ssm.StringParameter.fromSecureStringParameterAttributes(keys, 'Key', { parameterName: '/mackerel/api-key' }));
      };

      expect(providerIn(ENV, secretIn('us-west-2'))).toThrow(new RegExp('^Shop/Mackerel: apiKey "arn:aws:secretsmanager:us-west-2:123456789012:secret:mackerel-AbCdEf" '
        + 'is a secret in region us-west-2, but the provider\'s Lambda runs in ap-northeast-1 and reads the key there, where it is not found; '
        + 'expected a secret or SSM parameter in ap-northeast-1'));
      expect(providerIn(ENV, parameterIn('us-west-2'))).toThrow(new RegExp('^Shop/Mackerel: apiKey "/mackerel/api-key" '
        + 'is an SSM parameter in region us-west-2, but the provider\'s Lambda runs in ap-northeast-1'));
      // the stack's own region, or a region known only at deploy time, is taken
      expect(providerIn(ENV, secretIn('ap-northeast-1'))).not.toThrow();
      expect(providerIn(ENV, parameterIn('ap-northeast-1'))).not.toThrow();
      expect(providerIn(undefined, secretIn('us-west-2'))).not.toThrow();
      expect(providerIn(undefined, parameterIn('us-west-2'))).not.toThrow();
    });

    test('rejects a timeout over 14 minutes: the provider framework stops after 15 and must still answer CloudFormation', () => {
      const { stack, apiKey } = stackWithSecret();
      expect(() => new MackerelProvider(stack, 'Mackerel', { apiKey, timeout: Duration.minutes(15) })).toThrow(
        /^Stack\/Mackerel: timeout "15 minutes" leaves the provider framework no time to answer CloudFormation \(its functions stop after 15 minutes\); expected at most 14 minutes$/);
      const { stack: other, apiKey: key } = stackWithSecret();
      expect(() => new MackerelProvider(other, 'Mackerel', { apiKey: key, timeout: Duration.minutes(14) })).not.toThrow();
    });

    test('by default times out after 5 minutes and keeps the logs of both functions one year, as the props document', () => {
      const settings = (props: { timeout?: Duration; logRetention?: logs.RetentionDays }) => {
        const { stack, apiKey } = stackWithSecret();
        const provider = new MackerelProvider(stack, 'Mackerel', { apiKey, ...props });
        const resources = Template.fromStack(stack).toJSON().Resources;
        const id = (child: string) => stack.getLogicalId(provider.node.findChild(child).node.defaultChild as CfnElement);
        return {
          timeout: resources[stack.getLogicalId(provider.handler.node.defaultChild as CfnElement)].Properties.Timeout,
          retention: [resources[id('HandlerLogs')].Properties.RetentionInDays, resources[id('FrameworkLogs')].Properties.RetentionInDays],
        };
      };

      expect(settings({})).toEqual({ timeout: 300, retention: [365, 365] });
      expect(settings({ timeout: Duration.minutes(2), logRetention: logs.RetentionDays.ONE_WEEK })).toEqual({ timeout: 120, retention: [7, 7] });
    });

    test('rejects a timeout under 7 seconds, with which the handler could send no create', () => {
      const { stack, apiKey } = stackWithSecret();
      expect(() => new MackerelProvider(stack, 'Mackerel', { apiKey, timeout: Duration.seconds(6) })).toThrow(
        /^Stack\/Mackerel: timeout "6 seconds" leaves the handler no time to create anything \(it keeps 5 seconds to answer CloudFormation, and starts a create only with a second left for it\); expected at least 7 seconds$/);
      const { stack: other, apiKey: key } = stackWithSecret();
      new MackerelProvider(other, 'Mackerel', { apiKey: key, timeout: Duration.seconds(7) });
      Template.fromStack(other).hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', Timeout: 7 });
    });

    test('rejects an API base that is not an http(s) URL', () => {
      const { stack, apiKey } = stackWithSecret();

      expect(() => new MackerelProvider(stack, 'Mackerel', { apiKey, apiBase: 'ftp://example.com/' }))
        .toThrow(/^Stack\/Mackerel: apiBase "ftp:\/\/example.com\/" is not an http\(s\) URL; expected a URL such as https:\/\/api.mackerelio.com\//);
    });

    test('never shows the user name or password of an API base it rejects', () => {
      const { stack, apiKey } = stackWithSecret();

      expect(() => new MackerelProvider(stack, 'Mackerel', { apiKey, apiBase: 'ftp://mackerel:s3cret@example.com/' }))
        .toThrow(/^Stack\/Mackerel: apiBase "ftp:\/\/\*\*\*\*@example.com\/" is not an http\(s\) URL; /);
    });

    test('rejects an API base with a user name or password, which fetch cannot send, without showing them', () => {
      const { stack, apiKey } = stackWithSecret();

      expect(() => new MackerelProvider(stack, 'Mackerel', { apiKey, apiBase: 'https://mackerel:s3cret@mackerel.internal/' }))
        .toThrow(/^Stack\/Mackerel: apiBase "https:\/\/\*\*\*\*@mackerel.internal\/" carries a user name or password, which the handler cannot send \(fetch refuses a URL with credentials\); expected a URL without them/);
    });

    test('rejects an API base with a query or fragment, which the handler appends each API path after, without showing it', () => {
      for (const [apiBase, shown] of [['https://mackerel.internal/?token=s3cret', '?'], ['https://mackerel.internal/#s3cret', '#'], ['https://mackerel.internal/?', '?']]) {
        const { stack, apiKey } = stackWithSecret();
        expect(() => new MackerelProvider(stack, 'Mackerel', { apiKey, apiBase }))
          .toThrow(new RegExp(`^Stack/Mackerel: apiBase "https://mackerel\\.internal/\\${shown}\\*\\*\\*\\*" carries a query or fragment \\(\\?, #\\), `
            + 'which the handler cannot use: it appends each API path to the base; expected a URL of a host and an optional path'));
      }
      // and the ftp error does not show a query either
      const { stack, apiKey } = stackWithSecret();
      expect(() => new MackerelProvider(stack, 'Mackerel', { apiKey, apiBase: 'ftp://example.com/?token=s3cret' })).toThrow(/^Stack\/Mackerel: apiBase "ftp:\/\/example.com\/\?\*\*\*\*" is not/);
    });

    test('warns about an API base over plain HTTP, which carries the API key in cleartext, except on loopback', () => {
      const warned = (apiBase: string) => {
        const { stack, apiKey } = stackWithSecret();
        new MackerelProvider(stack, 'Mackerel', { apiKey, apiBase });
        return Annotations.fromStack(stack).findWarning('/Stack/Mackerel', Match.stringLikeRegexp('cdk-mackerel:apiBaseCleartext')).length;
      };
      expect(warned('http://mackerel.internal/')).toBe(1);
      expect(warned('https://api.mackerelio.com/')).toBe(0);
      expect(warned('http://127.0.0.1:4000/')).toBe(0);
    });

    test('may read the secret, and only its role may', () => {
      const { stack, secret, apiKey } = stackWithSecret();
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey });

      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(provider.handler.role!.roleName)],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
            Effect: 'Allow',
            Resource: stack.resolve(secret.secretArn),
          })]),
        },
      });
      const grantsOfSecret = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p).includes('secretsmanager:GetSecretValue'));
      expect(grantsOfSecret).toHaveLength(1);
    });

    test('may describe its own stack, and only that, in a stack that creates services or roles, declared before or after the provider', () => {
      const describeStatements = (stack: Stack, provider: MackerelProvider) => statementsOfRole(Template.fromStack(stack),
        stack.resolve((provider.handler.role!.node.defaultChild as iam.CfnRole).logicalId))
        .filter((st) => [st.Action].flat().some((a) => a.startsWith('cloudformation:')));
      const expected = [{ Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks'], Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } }];

      const services = stackWithSecret();
      _createMackerelResource(services.stack, _RESOURCE_TYPES.SERVICE, { name: 'shop' });
      const early = new MackerelProvider(services.stack, 'Mackerel', { apiKey: services.apiKey });
      _createMackerelResource(new Construct(services.stack, 'Role'), _RESOURCE_TYPES.ROLE, { service: 'shop', name: 'web' });
      expect(describeStatements(services.stack, early)).toEqual(expected);

      const roles = stackWithSecret();
      const late = new MackerelProvider(roles.stack, 'Mackerel', { apiKey: roles.apiKey });
      _createMackerelResource(roles.stack, _RESOURCE_TYPES.ROLE, { service: 'shop', name: 'web' });
      expect(describeStatements(roles.stack, late)).toEqual(expected);

      const monitors = stackWithSecret();
      const none = new MackerelProvider(monitors.stack, 'Mackerel', { apiKey: monitors.apiKey });
      _createMackerelResource(monitors.stack, _RESOURCE_TYPES.MONITOR, { type: 'connectivity' });
      expect(describeStatements(monitors.stack, none)).toEqual([]);
    });

    test('may decrypt with the secret\'s customer managed key', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack');
      const key = new kms.Key(stack, 'Key');
      const secret = new secretsmanager.Secret(stack, 'ApiKeySecret', { encryptionKey: key });
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secret) });

      Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([Match.objectLike({
            Action: 'kms:Decrypt',
            Principal: { AWS: stack.resolve(provider.handler.role!.roleArn) },
          })]),
        },
      });
    });

    test('may decrypt with an imported secret\'s imported customer managed key, through Secrets Manager only', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack');
      const keyArn = 'arn:aws:kms:ap-northeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
      const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
        secretCompleteArn: 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:mackerel-AbCdEf', encryptionKey: kms.Key.fromKeyArn(stack, 'Key', keyArn),
      });
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secret) });

      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(provider.handler.role!.roleName)],
        PolicyDocument: {
          Statement: Match.arrayWith([{
            Action: 'kms:Decrypt', Effect: 'Allow', Resource: keyArn, Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.ap-northeast-1.amazonaws.com' } },
          }]),
        },
      });
    });

    test('may read and decrypt an SSM parameter, and gets its name', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack');
      const key = new kms.Key(stack, 'Key');
      const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Param', { parameterName: '/mackerel/api-key', encryptionKey: key });
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSsmParameter(parameter) });

      expect(handlerEnvironment(stack, provider)).toEqual({ MACKEREL_APIBASE: 'https://api.mackerelio.com/', MACKEREL_APIKEY_PARAMETER_NAME: '/mackerel/api-key' });
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(provider.handler.role!.roleName)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            // only through Parameter Store, as the handler reads it
            Match.objectLike({
              Action: 'kms:Decrypt',
              Resource: stack.resolve(key.keyArn),
              Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['ssm.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
            }),
            Match.objectLike({ Action: Match.arrayWith(['ssm:GetParameter']), Resource: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':parameter/mackerel/api-key'])]) }) }),
          ]),
        },
      });
    });

    test('may write logs only to its own log group, not to every log group of the account', () => {
      const { stack, apiKey } = stackWithSecret();
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey });
      const template = Template.fromStack(stack);
      const roleId = stack.resolve((provider.handler.role!.node.defaultChild as Construct & { logicalId: string }).logicalId);
      const logGroupId = stack.getLogicalId(provider.node.findChild('HandlerLogs').node.defaultChild as CfnElement);

      expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId }],
        PolicyDocument: {
          Statement: Match.arrayWith([{
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
          }]),
        },
      });
      expect(logStatements(statementsOfRole(template, roleId))).toHaveLength(1);
      // The handler logs to that group.
      template.hasResourceProperties('AWS::Lambda::Function', { Role: { 'Fn::GetAtt': [roleId, 'Arn'] }, LoggingConfig: { LogGroup: { Ref: logGroupId } } });
    });

    test('the framework function may write logs only to its own log group, kept as long as the handler\'s', () => {
      const { stack, apiKey } = stackWithSecret();
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey, logRetention: logs.RetentionDays.ONE_MONTH });
      const template = Template.fromStack(stack);
      const id = (path: string) => stack.getLogicalId(provider.node.findChild(path).node.defaultChild as CfnElement);
      const [roleId, logGroupId, handlerLogGroupId] = [id('FrameworkRole'), id('FrameworkLogs'), id('HandlerLogs')];
      const framework = Object.entries(template.findResources('AWS::Lambda::Function'))
        .filter(([logicalId]) => logicalId !== stack.getLogicalId(provider.handler.node.defaultChild as CfnElement));

      expect(framework).toHaveLength(1);
      expect(framework[0][1].Properties.Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      expect(framework[0][1].Properties.LoggingConfig).toMatchObject({ LogGroup: { Ref: logGroupId } });
      expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
      expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(30);
      expect(template.toJSON().Resources[handlerLogGroupId].Properties.RetentionInDays).toBe(30);
      const statements = statementsOfRole(template, roleId);
      expect(logStatements(statements)).toEqual([{ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } }]);
      // It still may invoke the handler, as aws-cdk-lib grants it.
      expect(JSON.stringify(statements)).toContain('lambda:InvokeFunction');
    });

    test.each([
      ['addToRolePolicy', (p: MackerelProvider, st: iam.PolicyStatement) => p.addToRolePolicy(st)],
      ['grantSecretRead (deprecated)', (p: MackerelProvider, st: iam.PolicyStatement) => p.grantSecretRead(st)],
    ])('%s adds a statement to the handler\'s role, as lambda.Function.addToRolePolicy does', (_method, add) => {
      const { stack, apiKey } = stackWithSecret();
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey });
      const webhook = new secretsmanager.Secret(stack, 'Webhook');

      add(provider, new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [webhook.secretArn] }));

      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [stack.resolve(provider.handler.role!.roleName)],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'secretsmanager:GetSecretValue', Resource: stack.resolve(webhook.secretArn) })]) },
      });
    });
  });

  describe('fixed cost per stack', () => {
    test('adds at most five resources beyond the provider framework\'s own, however many Mackerel objects', () => {
      const count = (stack: Stack) => Object.keys(Template.fromStack(stack).toJSON().Resources).length;
      const standIn = (stack: Stack) => new lambda.Function(stack, 'OnEvent', {
        runtime: lambda.Runtime.NODEJS_20_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      });
      // The framework's own resources: a bare Provider around a stand-in function, minus the function.
      const bare = new Stack(new App(), 'Bare');
      const bareWithFramework = new Stack(new App(), 'BareWithFramework');
      standIn(bare);
      new cr.Provider(bareWithFramework, 'Framework', { onEventHandler: standIn(bareWithFramework) });
      const frameworkOnly = count(bareWithFramework) - count(bare);
      // The same stack without, with, and with a provider serving five monitors.
      const stacks = [0, 1, 2].map((i) => stackWithSecret(`S${i}`));
      new MackerelProvider(stacks[1].stack, 'Mackerel', { apiKey: stacks[1].apiKey });
      new MackerelProvider(stacks[2].stack, 'Mackerel', { apiKey: stacks[2].apiKey });
      for (let i = 0; i < 5; i++) _createMackerelResource(new Construct(stacks[2].stack, `M${i}`), _RESOURCE_TYPES.MONITOR, { type: 'connectivity' });

      const [without, withProvider, withMonitors] = stacks.map((s) => count(s.stack));

      expect(frameworkOnly).toBeGreaterThan(0);
      // the handler, its role, policy and log group, and the framework's log group
      expect(withProvider - without - frameworkOnly).toBe(5);
      expect(withMonitors).toBe(withProvider + 5);
      Template.fromStack(stacks[2].stack).resourceCountIs('AWS::Lambda::Function', 2);
      Template.fromStack(stacks[2].stack).resourceCountIs(_RESOURCE_TYPES.MONITOR, 5);
    });
  });
});

describe('the policies holding the handler\'s grants', () => {
  // With @aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy, Function.addToRolePolicy puts each statement in
  // an iam.Policy of its own that the function does not depend on: CloudFormation could invoke the provider before
  // the policy letting it read a channel's secret URL exists.
  test.each([true, false])('every Mackerel resource comes after them with createNewPoliciesWithAddToRolePolicy %s', (flag) => {
    const app = new App({ context: { '@aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy': flag } });
    const stack = new Stack(app, 'Stack');
    const secret = new secretsmanager.Secret(stack, 'ApiKeySecret');
    // One resource declared before the provider, and grants added after it was made.
    _createMackerelResource(new Construct(stack, 'Early'), _RESOURCE_TYPES.MONITOR, { type: 'connectivity' });
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secret) });
    _createMackerelResource(new Construct(stack, 'Shop'), _RESOURCE_TYPES.SERVICE, { name: 'shop' });
    provider.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: ['*'] }));

    const template = Template.fromStack(stack);
    const resources = template.toJSON().Resources as { [id: string]: { Type: string; DependsOn?: string[] } };
    const roleId = stack.resolve((provider.handler.role!.node.defaultChild as CfnElement).logicalId);
    const handlerPolicies = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .map(([id]) => id);
    const granting = (action: string) => handlerPolicies.filter((id) => JSON.stringify(resources[id]).includes(action));
    expect(granting('secretsmanager:GetSecretValue')).toHaveLength(1);
    expect(granting('cloudformation:DescribeStackResource')).toHaveLength(1);
    expect(granting('ssm:GetParameter')).toHaveLength(1);
    // With the flag, the statements added through addToRolePolicy are in policies of their own.
    expect(new Set(handlerPolicies).size > 1).toBe(flag);

    const mackerel = Object.keys(resources).filter((id) => resources[id].Type.startsWith('Custom::Mackerel'));
    expect(mackerel).toHaveLength(2);
    for (const id of mackerel) expect([...createdBefore(resources, id)]).toEqual(expect.arrayContaining(handlerPolicies));
  });
});

describe('a grant of the handler that refers to a Mackerel resource of its stack', () => {
  // Every Mackerel resource waits for the handler's policies, so a policy that refers to one makes a cycle that CDK does not
  // look for within a stack: CloudFormation refuses it, at deploy time only.
  test.each([true, false])('fails synthesis, naming the policy, the Mackerel resource and the remedy, with createNewPoliciesWithAddToRolePolicy %s', (flag) => {
    // GIVEN
    const app = new App({ context: { '@aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy': flag } });
    const stack = new Stack(app, 'Stack');
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKeySecret')) });
    const shop = _createMackerelResource(new Construct(stack, 'Shop'), _RESOURCE_TYPES.SERVICE, { name: 'shop' });
    // WHEN a grant's resource is built of the service's reference
    provider.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [`arn:aws:ssm:us-east-1:111111111111:parameter/${shop.ref}`] }));
    // THEN
    const policy = flag ? 'Stack/Mackerel/Handler/inlinePolicyAddedToExecutionRole-1/Resource' : 'Stack/Mackerel/HandlerRole/DefaultPolicy/Resource';
    expect(() => app.synth()).toThrow(new RegExp(`\\[Stack/Mackerel\\] policy "${policy}" of the handler's role refers to the Custom::MackerelService `
      + 'Stack/Shop/Resource/Default \\(Stack/Mackerel/Handler.* -> Stack/Shop/Resource/Default -> .*\\), which waits for the handler\'s policies .* '
      + 'CloudFormation would refuse the circular dependency at deploy time; expected grants of the handler \\(addToRolePolicy\\) that refer to no Mackerel '
      + 'resource of its stack\\. Write the statement\'s resource without a reference to a Mackerel construct of this stack'));
  });

  test.each([true, false])('a managed policy of the handler\'s role that refers to one is told of the role, once, and of no policy, with createNewPoliciesWithAddToRolePolicy %s', (flag) => {
    // GIVEN
    const app = new App({ context: { '@aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy': flag } });
    const stack = new Stack(app, 'Stack');
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKeySecret')) });
    const shop = _createMackerelResource(new Construct(stack, 'Shop'), _RESOURCE_TYPES.SERVICE, { name: 'shop' });
    provider.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:us-east-1:111111111111:parameter/shop'] }));
    // WHEN the role gets a managed policy whose resource is built of the service's reference
    provider.handler.role!.addManagedPolicy(new iam.ManagedPolicy(stack, 'Managed', {
      statements: [new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [`arn:aws:ssm:us-east-1:111111111111:parameter/${shop.ref}`] })],
    }));
    // THEN
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = String(e);
    }
    expect(message.split('\n').filter((line) => line.startsWith('  ['))).toEqual([expect.stringMatching(new RegExp(
      '^  \\[Stack/Mackerel\\] role "Stack/Mackerel/HandlerRole" of the handler refers to the Custom::MackerelService Stack/Shop/Resource/Default '
      + '\\(Stack/Mackerel/HandlerRole/Resource -> Stack/Managed/Resource -> Stack/Shop/Resource/Default -> .* -> Stack/Mackerel/HandlerRole/Resource\\), '
      + 'which waits for the handler and so its role .*; expected a role of the handler whose managed policies refer to no Mackerel resource of its stack'))]);
  });

  test('a grant whose Fn::Sub gives its own value to a variable named as a Mackerel resource is no cycle', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKeySecret')) });
    const shop = _createMackerelResource(new Construct(stack, 'Shop'), _RESOURCE_TYPES.SERVICE, { name: 'shop' });
    const shopId = stack.resolve((shop.node.defaultChild as CfnElement).logicalId) as string;
    // WHEN the variable, spelled as the service's logical ID, is given a literal: CloudFormation puts in that literal, no Ref
    provider.addToRolePolicy(new iam.PolicyStatement({
      actions: ['ssm:GetParameter'],
      resources: [Fn.sub(`arn:aws:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/\${${shopId}}`, { [shopId]: 'shop' })],
    }));
    // THEN
    // (read from the assembly: the assertions library's own cycle check takes the variable for a Ref)
    const template = JSON.stringify(app.synth().getStackByName(stack.stackName).template);
    expect(template).toContain(`parameter/\${${shopId}}`);
  });

  test('a grant built of another stack\'s Mackerel resource, or of a literal name, is no cycle', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKeySecret')) });
    _createMackerelResource(new Construct(stack, 'Shop'), _RESOURCE_TYPES.SERVICE, { name: 'shop' });
    const other = new Stack(app, 'Other');
    new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(other, 'ApiKeySecret')) });
    const blog = _createMackerelResource(new Construct(other, 'Blog'), _RESOURCE_TYPES.SERVICE, { name: 'blog' });
    // WHEN
    provider.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: ['arn:aws:ssm:us-east-1:111111111111:parameter/shop'] }));
    provider.addToRolePolicy(new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [`arn:aws:ssm:us-east-1:111111111111:parameter/${blog.ref}`] }));
    // THEN
    expect(() => app.synth()).not.toThrow();
    expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).toContain('Fn::ImportValue');
  });
});

/** The logical ids of the resources CloudFormation creates before `id`: what it names (Ref, GetAtt) or depends on, and so on. */
function createdBefore(resources: { [id: string]: unknown }, id: string, found = new Set<string>()): Set<string> {
  const direct = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') direct.add(inner);
      else if (key === 'Fn::GetAtt') direct.add(Array.isArray(inner) ? inner[0] : String(inner).split('.')[0]);
      else visit(inner);
    }
  };
  const resource = resources[id] as { Properties?: unknown; DependsOn?: string[] };
  visit(resource.Properties);
  (resource.DependsOn ?? []).forEach((d) => direct.add(d));
  for (const d of direct) {
    if (d in resources && !found.has(d)) {
      found.add(d);
      createdBefore(resources, d, found);
    }
  }
  return found;
}

/** Every statement of the template's IAM policies attached to the role `roleId` alone. */
function statementsOfRole(template: Template, roleId: string): Array<{ Action: string | string[] }> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** The statements granting a CloudWatch Logs action. */
function logStatements(statements: Array<{ Action: string | string[] }>): Array<{ Action: string | string[] }> {
  return statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('logs:')));
}
