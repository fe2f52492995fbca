import { App, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { ConnectivityMonitor, MackerelApiKey, MackerelProvider, MackerelRole, MackerelService, MonitorScope } from '../../src';
import { logicalIdOf, mackerelStack } from '../monitors/_fixture';

describe('MackerelRole', () => {
  describe('creation', () => {
    test('fullName is a reference to the role resource (its physical ID is service:role)', () => {
      const { stack, web } = mackerelStack();

      expect(stack.resolve(web.fullName)).toEqual({ Ref: logicalIdOf(web) });
    });

    test('a role of a referenced service names that service literally', () => {
      const { stack } = mackerelStack();
      const legacy = MackerelService.fromName(stack, 'Legacy', 'legacy');

      new MackerelRole(stack, 'Db', { service: legacy, name: 'db', memo: 'primary' });

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelRole', { service: 'legacy', name: 'db', memo: 'primary' });
    });

    describe('a role of a service referenced by name', () => {
      test('waits for the MackerelService of its stack that creates the service', () => {
        // GIVEN the stack creates service "shop" (fixture)
        const { stack, shop } = mackerelStack();

        // WHEN another part of the app adds a role to it by name
        const batch = new MackerelRole(stack, 'Batch', { service: MackerelService.fromName(stack, 'ShopByName', 'shop'), name: 'batch' });

        // THEN it is created after the service, or POST /services/shop/roles answers 404
        expect(Template.fromStack(stack).toJSON().Resources[logicalIdOf(batch)].DependsOn).toEqual([logicalIdOf(shop)]);
      });

      test('waits for the service\'s own resource only, so what is put under the service may use the role', () => {
        // GIVEN a monitor kept under the service construct, scoped to the role
        const { stack, shop } = mackerelStack();
        const batch = new MackerelRole(stack, 'Batch', { service: MackerelService.fromName(stack, 'ShopByName', 'shop'), name: 'batch' });
        new ConnectivityMonitor(shop, 'BatchAlive', { scopes: [MonitorScope.fromRole(batch)] });

        // WHEN / THEN no cycle, and the role waits for the service itself (not its roles)
        expect(Template.fromStack(stack).toJSON().Resources[logicalIdOf(batch)].DependsOn).toEqual([logicalIdOf(shop)]);
      });

      test('a full name built of the name of a service named by a parameter waits for the role of its stack all the same', () => {
        // GIVEN a service whose name is known only at deploy time, and its role
        const { stack } = mackerelStack();
        const deployed = new MackerelService(stack, 'Deployed', { name: new CfnParameter(stack, 'Name').valueAsString });
        const web = deployed.addRole('web');
        deployed.addRole('batch');
        // WHEN a monitor is scoped to the role by a full name built of the service's name
        const alive = new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Built', `${deployed.name}:web`))] });
        // THEN it waits for that role, which deploys under the same name whatever the parameter is, and for no other
        expect(Template.fromStack(stack).toJSON().Resources[logicalIdOf(alive)].DependsOn).toEqual([logicalIdOf(web)]);
      });

      test('a full name built of the name of another stack\'s service named by a parameter waits for no role of its own stack written alike', () => {
        // GIVEN two stacks made alike (one per region, say), so their services and roles have the same logical IDs
        const app = new App();
        const alike = (id: string) => {
          const stack = new Stack(app, id);
          new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
          const deployed = new MackerelService(stack, 'Deployed', { name: new CfnParameter(stack, 'Name').valueAsString });
          return { stack, deployed, web: deployed.addRole('web') };
        };
        const [a, b] = [alike('A'), alike('B')];
        // WHEN a monitor of B is scoped to A's role, by a full name built of A's service's name
        const alive = new ConnectivityMonitor(b.stack, 'Alive', { scopes: [MonitorScope.fromRole(MackerelRole.fromFullName(b.stack, 'Built', `${a.deployed.name}:web`))] });
        // THEN it does not wait for B's role, which writes the same Ref of a logical ID of its own stack but names another role
        expect(logicalIdOf(b.web)).toEqual(logicalIdOf(a.web));
        expect(Template.fromStack(b.stack).toJSON().Resources[logicalIdOf(alive)].DependsOn).toBeUndefined();
      });

      test('waits for a MackerelService declared after it', () => {
        const { stack } = mackerelStack();
        const batch = new MackerelRole(stack, 'Batch', { service: MackerelService.fromName(stack, 'OrdersByName', 'orders'), name: 'batch' });

        const orders = new MackerelService(stack, 'Orders', { name: 'orders' });

        expect(Template.fromStack(stack).toJSON().Resources[logicalIdOf(batch)].DependsOn).toEqual([logicalIdOf(orders)]);
      });

      test('waits for nothing once the MackerelService is removed from the tree after a synth, though the app\'s name index was built before', () => {
        // GIVEN the fixture's stack, synthesized once with its service "shop"
        const { app, stack } = mackerelStack();
        app.synth();

        // WHEN the service is removed, and a monitor naming it by a literal is added (no construct the index keys, so the index is kept)
        stack.node.tryRemoveChild('Shop');
        const alive = new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromService(MackerelService.fromName(stack, 'ShopByName', 'shop'))] });

        // THEN it waits for nothing, as a walk of the stack finds no creator: no DependsOn on a resource the template lacks
        expect(app.synth({ force: true }).getStackByName(stack.stackName).template.Resources[logicalIdOf(alive)].DependsOn).toBeUndefined();
      });

      test('waits for nothing when no MackerelService of its stack creates the service', () => {
        // GIVEN "shop" is created in another stack, and "legacy" exists outside the app
        const { app } = mackerelStack();
        const other = new Stack(app, 'Other');
        new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(other, 'Key')) });

        const batch = new MackerelRole(other, 'Batch', { service: MackerelService.fromName(other, 'ShopByName', 'shop'), name: 'batch' });
        const db = new MackerelRole(other, 'Db', { service: MackerelService.fromName(other, 'Legacy', 'legacy'), name: 'db' });

        const resources = Template.fromStack(other).toJSON().Resources;
        expect(resources[logicalIdOf(batch)].DependsOn).toBeUndefined();
        expect(resources[logicalIdOf(db)].DependsOn).toBeUndefined();
      });
    });

    test('rejects an invalid role name, naming the path', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new MackerelRole(stack, 'Bad', { service: shop, name: '_web' }))
        .toThrow(/Stack\/Bad: name "_web" is not a valid Mackerel role name; expected 2-63 letters, digits, - or _, not starting with - or _/);
    });
  });

  describe('one construct per role in the app', () => {
    test('a second role of the same service and name fails synthesis naming the first', () => {
      const { app, stack, shop } = mackerelStack();
      new MackerelRole(stack, 'WebAgain', { service: shop, name: 'web' });

      expect(() => app.synth()).toThrow(/\[Stack\/WebAgain\] name "web" creates the same role as Stack\/Shop\/web; expected role names unique/);
    });

    test('a role of a reference to this app\'s service, by its name, fails synthesis', () => {
      const { app, stack } = mackerelStack();
      new MackerelRole(stack, 'WebAgain', { service: MackerelService.fromName(stack, 'ShopByName', 'shop'), name: 'web' });

      expect(() => app.synth()).toThrow(/\[Stack\/WebAgain\] name "web" creates the same role as Stack\/Shop\/web; expected role names unique/);
    });

    test('a role of an import of this app\'s service by its name (fromName(..., shop.name), as passed to another stack) fails synthesis', () => {
      const { app, shop } = mackerelStack();
      const b = new Stack(app, 'B');
      new MackerelProvider(b, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(b, 'Key', 'mackerel')) });
      new MackerelRole(b, 'Web', { service: MackerelService.fromName(b, 'Shop', shop.name), name: 'web' });

      expect(() => app.synth()).toThrow(/name "web" creates the same role as (Stack\/Shop\/web|B\/Web)/);
    });

    test('the same role in two stacks sharing one organization fails synthesis', () => {
      // GIVEN stack A creates shop and its role web
      const { app } = mackerelStack();
      const b = new Stack(app, 'B');
      new MackerelProvider(b, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(b, 'Key', 'mackerel')) });
      // WHEN stack B creates web on a reference to shop
      new MackerelRole(b, 'Web', { service: MackerelService.fromName(b, 'Shop', 'shop'), name: 'web' });

      // THEN
      expect(() => app.synth()).toThrow(/name "web" creates the same role as (Stack\/Shop\/web|B\/Web)/);
    });

    test('a role of a service named by a token is left to the API', () => {
      const { app, stack } = mackerelStack();
      const name = new CfnParameter(stack, 'ServiceName', { type: 'String' }).valueAsString;
      new MackerelRole(stack, 'WebOfParameter', { service: MackerelService.fromName(stack, 'ByParameter', name), name: 'web' });

      expect(() => app.synth()).not.toThrow();
    });

    test('roles of the same name in different services pass', () => {
      const { app, stack } = mackerelStack();
      const blog = new MackerelService(stack, 'Blog', { name: 'blog' });
      blog.addRole('web');

      expect(() => app.synth()).not.toThrow();
    });
  });

  describe('fromFullName', () => {
    test('creates no resource and splits the full name', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack');

      const role = MackerelRole.fromFullName(stack, 'Existing', 'legacy:db');

      const template = Template.fromStack(stack);
      template.resourceCountIs('Custom::MackerelRole', 0);
      template.resourceCountIs('Custom::MackerelService', 0);
      expect(role.fullName).toBe('legacy:db');
      expect(role.name).toBe('db');
      expect(role.service.name).toBe('legacy');
    });

    test('splits a token full name at deploy time', () => {
      const app = new App();
      const stack = new Stack(app, 'Stack');

      const role = MackerelRole.fromFullName(stack, 'Imported', Fn.importValue('RoleFullName'));

      expect(stack.resolve(role.name)).toEqual({ 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::ImportValue': 'RoleFullName' }] }] });
      expect(stack.resolve(role.service.name)).toEqual({ 'Fn::Select': [0, { 'Fn::Split': [':', { 'Fn::ImportValue': 'RoleFullName' }] }] });
    });

    test.each([
      ['web', /Stack\/Existing: fullName "web" is not a Mackerel role full name; expected service:role/],
      ['shop:web:extra', /Stack\/Existing: fullName "shop:web:extra" is not a Mackerel role full name/],
      ['shop:w', /Stack\/Existing: fullName "shop:w" is not a Mackerel role full name/],
    ])('rejects %j', (fullName, message) => {
      const app = new App();
      const stack = new Stack(app, 'Stack');

      expect(() => MackerelRole.fromFullName(stack, 'Existing', fullName)).toThrow(message);
    });

    test('rejects a full name built of a service\'s name that is known at synth and invalid, naming what it deploys as', () => {
      // GIVEN the fixture's service "shop"
      const { app, stack, shop } = mackerelStack();
      MackerelRole.fromFullName(stack, 'Batch', `${shop.name}:batch`);

      // WHEN a full name is built of its name with an invalid role part, and a role is named alike
      MackerelRole.fromFullName(stack, 'Typo', `${shop.name}:we b`);
      new MackerelRole(stack, 'Spaced', { service: shop, name: Fn.join(' ', [shop.name, 'api']) });

      // THEN synthesis refuses them (Mackerel would at deploy time), and not the valid one
      const error = (() => { try { app.synth(); } catch (e) { return (e as Error).message; } return ''; })();
      expect(error.split('\n').filter((l) => l.includes('is not')).sort()).toEqual([
        '  [Stack/Spaced] name "shop api" is not a valid Mackerel role name; expected 2-63 letters, digits, - or _, not starting with - or _',
        '  [Stack/Typo] fullName "shop:we b" is not a Mackerel role full name; expected service:role, each part 2-63 letters, digits, - or _, not starting with - or _',
      ]);
    });
  });

  test('a role created in the stack has no memo unless given', () => {
    const { stack } = mackerelStack();

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelRole', { name: 'web', memo: Match.absent() });
  });
});
