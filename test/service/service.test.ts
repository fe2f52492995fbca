import { App, CfnParameter, Environment, Fn, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { describe, expect, test } from 'vitest';
import { MackerelApiKey, MackerelProvider, MackerelRole, MackerelService } from '../../src';
import { logicalIdOf, mackerelStack } from '../monitors/_fixture';

describe('MackerelService', () => {
  describe('creation', () => {
    test('creates one Custom::MackerelService with the name, served by the stack provider', () => {
      // GIVEN / WHEN
      const { stack, provider, shop } = mackerelStack();

      // THEN
      const template = Template.fromStack(stack);
      template.resourceCountIs('Custom::MackerelService', 1);
      template.hasResourceProperties('Custom::MackerelService', {
        ServiceToken: stack.resolve(provider.serviceToken),
        name: 'shop',
        memo: Match.absent(),
      });
      expect(logicalIdOf(shop)).toMatch(/^Shop/);
    });

    test('renders the memo when given', () => {
      const { stack } = mackerelStack();

      new MackerelService(stack, 'Blog', { name: 'blog', memo: 'the company blog' });

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelService', { name: 'blog', memo: 'the company blog' });
    });

    test('name is a reference to the resource, so users of it depend on the service', () => {
      const { shop } = mackerelStack();

      expect(Stack.of(shop).resolve(shop.name)).toEqual({ Ref: logicalIdOf(shop) });
    });

    test('a stack without a MackerelProvider fails synthesis, saying how to fix it', () => {
      const app = new App();
      const stack = new Stack(app, 'Bare');
      new MackerelService(stack, 'Shop', { name: 'shop' });

      expect(() => app.synth()).toThrow(/Custom::MackerelService needs a MackerelProvider in stack "Bare"/);
    });
  });

  describe('name rules', () => {
    test.each([
      ['shop!', /Stack\/Bad: name "shop!" is not a valid Mackerel service name; expected 2-63 letters, digits, - or _/],
      ['s', /Stack\/Bad: name "s" is not a valid Mackerel service name/],
      ['-shop', /Stack\/Bad: name "-shop" is not a valid Mackerel service name/],
      ['x'.repeat(64), /Stack\/Bad: name "x{64}" is not a valid Mackerel service name/],
      ['shop:web', /Stack\/Bad: name "shop:web" is not a valid Mackerel service name/],
    ])('rejects %j', (name, message) => {
      const { stack } = mackerelStack();

      expect(() => new MackerelService(stack, 'Bad', { name })).toThrow(message);
    });

    test('accepts 63 characters with digits, - and _', () => {
      const { stack } = mackerelStack();
      const name = `a${'b-_9'.repeat(15)}cd`;

      new MackerelService(stack, 'Long', { name });

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelService', { name });
    });
  });

  describe('addRole', () => {
    test('creates a Custom::MackerelRole of the service, named by its construct id', () => {
      const { stack, shop, web } = mackerelStack();

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelRole', {
        service: { Ref: logicalIdOf(shop) },
        name: 'web',
        memo: Match.absent(),
      });
      expect(web).toBeInstanceOf(MackerelRole);
      expect(web.node.path).toBe('Stack/Shop/web');
      expect(web.service).toBe(shop);
      expect(web.name).toBe('web');
    });

    test('passes the memo option', () => {
      const { stack, shop } = mackerelStack();

      shop.addRole('batch', { memo: 'nightly jobs' });

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelRole', { name: 'batch', memo: 'nightly jobs' });
    });

    test('rejects a token name, which cannot be a construct id', () => {
      const { shop } = mackerelStack();
      const token = shop.name;

      expect(() => shop.addRole(token)).toThrow(/Stack\/Shop: addRole\(name\) "\$\{Token\[.*\]\}" is a token and cannot name a construct; expected a literal role name\. Use new MackerelRole/);
    });

    describe('a role name CDK keeps for the service\'s own resource', () => {
      test.each(['Resource', 'Default'])('creates role %s under another id, next to the service\'s resource', (name) => {
        // GIVEN
        const { stack, shop } = mackerelStack();

        // WHEN
        const role = shop.addRole(name);

        // THEN the role has its name, and the service keeps its resource and logical ID
        expect(role.node.path).toBe(`Stack/Shop/Role:${name}`);
        expect(role.name).toBe(name);
        expect(shop.node.defaultChild).toBe(shop.node.findChild('Resource'));
        const resources = Template.fromStack(stack).toJSON().Resources;
        expect(resources[logicalIdOf(role)]).toMatchObject({ Type: 'Custom::MackerelRole', Properties: { service: { Ref: logicalIdOf(shop) }, name } });
        expect(resources[logicalIdOf(shop)]).toMatchObject({ Type: 'Custom::MackerelService', Properties: { name: 'shop' } });
      });

      test('the ids of other roles stay their names, so their logical IDs do not change', () => {
        const { shop, web } = mackerelStack();

        const role = shop.addRole('Role');

        expect(web.node.id).toBe('web');
        expect(role.node.id).toBe('Role');
      });
    });

    test('rejects a role added twice, naming the path and the name', () => {
      const { shop } = mackerelStack();

      expect(() => shop.addRole('web'))
        .toThrow('Stack/Shop: addRole(name) "web" names a child this service already has (Stack/Shop/web); expected a role name not yet added to this service. Add each role once and reuse the returned MackerelRole');
    });

    test('rejects an invalid role name', () => {
      const { shop } = mackerelStack();

      expect(() => shop.addRole('we b')).toThrow(/Stack\/Shop\/we b: name "we b" is not a valid Mackerel role name/);
    });

    test('rejects an empty role name naming the service, the argument and what is allowed', () => {
      const { shop } = mackerelStack();

      // An empty id is one constructs refuses itself, in words naming neither the role nor the service.
      expect(() => shop.addRole(''))
        .toThrow('Stack/Shop: addRole(name) "" is not a valid Mackerel role name; expected 2-63 letters, digits, - or _, not starting with - or _');
    });
  });

  describe('one construct per service in the app', () => {
    test('a second service of the same name, even in another stack, fails synthesis naming the first', () => {
      const { app } = mackerelStack();
      const other = new Stack(app, 'Other');
      new MackerelService(other, 'Again', { name: 'shop' });

      expect(() => app.synth()).toThrow(/\[Other\/Again\] name "shop" creates the same service as Stack\/Shop; expected service names unique in the Mackerel organization/);
    });

    describe('in stacks whose providers use other keys (other organizations)', () => {
      /** A stack in `env` whose provider reads the key `key` makes. */
      function stackWithKey(app: Construct, id: string, key: (stack: Stack) => MackerelApiKey, props: { env?: Environment; apiBase?: string } = {}) {
        const stack = new Stack(app, id, { env: props.env });
        new MackerelProvider(stack, 'Mackerel', { apiKey: key(stack), apiBase: props.apiBase });
        return stack;
      }
      const TOKYO = { account: '111111111111', region: 'ap-northeast-1' };
      const byName = (name: string) => (stack: Stack) => MackerelApiKey.fromSsmParameter(ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'Key', { parameterName: name }));

      test('the stages of a pipeline, each with a secret of its own, may each create the same service', () => {
        // GIVEN
        const app = new App();
        for (const stageName of ['Dev', 'Prod']) {
          const stage = new Stage(app, stageName, { env: TOKYO });
          const stack = stackWithKey(stage, 'Monitoring', (s) => MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(s, 'ApiKey')));
          // WHEN
          new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('web');
        }
        // THEN
        expect(() => app.synth()).not.toThrow();
      });

      const arn = (stack: Stack) => MackerelApiKey.fromSecretsManager(
        secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', 'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:mackerel-AbCdEf'));
      const key = byName('/mackerel/key');
      const byArn = (parameterArn: string) => (stack: Stack) => MackerelApiKey.fromSsmParameter(ssm.StringParameter.fromStringParameterArn(stack, 'Key', parameterArn));
      const created = (stack: Stack) => MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key'));
      const arnField = (stack: Stack) => MackerelApiKey.fromSecretsManager(
        secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', 'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:mackerel-AbCdEf'), 'prod');
      test.each([
        { what: 'the same parameter name, account and region', first: key, second: key, env: TOKYO, fails: true },
        { what: 'the same secret ARN, in environment-agnostic stacks', first: arn, second: arn, fails: true },
        { what: 'the same parameter name in another account', first: key, second: key, env: TOKYO, secondEnv: { ...TOKYO, account: '222222222222' }, fails: false },
        { what: 'another parameter name', first: key, second: byName('/mackerel/other-key'), env: TOKYO, fails: false },
        { what: 'the same parameter name in environment-agnostic stacks (accounts unknown)', first: key, second: key, fails: true },
        { what: 'the same parameter imported by ARN and by name', first: key, second: byArn('arn:aws:ssm:ap-northeast-1:111111111111:parameter/mackerel/key'), env: TOKYO, fails: true },
        { what: 'a parameter shared from another account by ARN, and a local one of that name', first: key, second: byArn('arn:aws:ssm:ap-northeast-1:222222222222:parameter/mackerel/key'), env: TOKYO, fails: false },
        { what: 'two secrets this app creates', first: created, second: created, fails: false },
        { what: 'different JSON fields of one imported secret', first: arn, second: arnField, fails: false },
        { what: 'the same key and another API base', first: key, second: key, env: TOKYO, apiBase: 'https://mackerel.example.com/', fails: false },
        { what: 'the same key and the default API base without its slash', first: key, second: key, env: TOKYO, apiBase: 'https://api.mackerelio.com', fails: true },
        { what: 'the same key and the default API base with its host in capitals', first: key, second: key, env: TOKYO, apiBase: 'HTTPS://API.mackerelio.com', fails: true },
        { what: 'the same key and the default API base with its default port', first: key, second: key, env: TOKYO, apiBase: 'https://api.mackerelio.com:443/', fails: true },
        { what: 'the same key and the default API base on another port', first: key, second: key, env: TOKYO, apiBase: 'https://api.mackerelio.com:8443/', fails: false },
      ])('keys with $what: a second service of the same name fails: $fails', ({ first, second, env, secondEnv, apiBase, fails }) => {
        // GIVEN
        const app = new App();
        const one = stackWithKey(app, 'First', first, { env });
        const two = stackWithKey(app, 'Second', second, { env: secondEnv ?? env, apiBase });
        // WHEN
        new MackerelService(one, 'Shop', { name: 'shop' });
        new MackerelService(two, 'Shop', { name: 'shop' });
        // THEN
        if (fails) expect(() => app.synth()).toThrow(/\[Second\/Shop\] name "shop" creates the same service as First\/Shop/);
        else expect(() => app.synth()).not.toThrow();
      });
    });

    test('services of different names pass', () => {
      const { app, stack } = mackerelStack();
      new MackerelService(stack, 'Blog', { name: 'blog' });

      expect(() => app.synth()).not.toThrow();
    });
  });

  describe('fromName', () => {
    test('creates no resource and keeps the literal name', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack');

      const existing = MackerelService.fromName(stack, 'Existing', 'legacy');

      Template.fromStack(stack).resourceCountIs('Custom::MackerelService', 0);
      expect(existing.name).toBe('legacy');
    });

    test('rejects an invalid name', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack');

      expect(() => MackerelService.fromName(stack, 'Existing', 'leg acy')).toThrow(/Stack\/Existing: name "leg acy" is not a valid Mackerel service name/);
    });

    test('rejects a name built of another service\'s name that is known at synth and invalid, and accepts a valid one and a parameter', () => {
      // GIVEN names built of the name of the fixture's service "shop"
      const { app, stack, shop } = mackerelStack();
      MackerelService.fromName(stack, 'Staging', `${shop.name}-staging`);
      MackerelService.fromName(stack, 'Deployed', `${shop.name}-${new CfnParameter(stack, 'Suffix').valueAsString}`);
      // WHEN one deploys as "shop!" (Mackerel refuses it) and one as "shop:web" (a role's full name)
      MackerelService.fromName(stack, 'Bang', `${shop.name}!`);
      new MackerelService(stack, 'Web', { name: Fn.join(':', [shop.name, 'web']) });

      // THEN synthesis names each with the name it deploys as, and only them
      const error = (() => { try { app.synth(); } catch (e) { return (e as Error).message; } return ''; })();
      expect(error.split('\n').filter((l) => l.includes('is not')).sort()).toEqual([
        '  [Stack/Bang] name "shop!" is not a valid Mackerel service name; expected 2-63 letters, digits, - or _, not starting with - or _',
        '  [Stack/Web] name "shop:web" is not a valid Mackerel service name; expected 2-63 letters, digits, - or _, not starting with - or _',
      ]);
    });
  });
});
