import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnParameter, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, test } from 'vitest';
import { MackerelApiKey, MackerelProvider, MackerelRole, MackerelRoleMetadata, MackerelService, MackerelServiceMetadata } from '../../src';
import { logicalIdOf, mackerelStack, propertiesOf } from '../monitors/_fixture';

describe('MackerelServiceMetadata', () => {
  test('one Custom::MackerelServiceMetadata: the service by Ref, the namespace, and the value as JSON text with its types', () => {
    const { stack, provider, shop } = mackerelStack();
    const value = { team: 'payments', oncall: 3, paging: true, tags: ['a', 1, null], nested: { depth: 2 } };

    const owner = new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: value });

    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::MackerelServiceMetadata', 1);
    template.hasResourceProperties('Custom::MackerelServiceMetadata', {
      ServiceToken: stack.resolve(provider.serviceToken),
      service: { Ref: logicalIdOf(shop) },
      namespace: 'owner',
    });
    expect(JSON.parse(propertiesOf(owner).metadata as string)).toEqual(value);
    expect(owner.namespace).toBe('owner');
  });

  test.each([null, 'text', 42, false, []])('a scalar, null or array value (%j) is sent as its JSON text', (value) => {
    const { stack, shop } = mackerelStack();
    const owner = new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: value });
    expect(propertiesOf(owner).metadata).toBe(JSON.stringify(value));
  });

  test.each([
    [NaN, 'metadata', 'NaN'],
    [{ limits: [1, Infinity] }, 'metadata.limits[1]', 'Infinity'],
    [{ a: { b: -Infinity } }, 'metadata.a.b', '-Infinity'],
  ])('a value holding NaN or Infinity fails synth instead of being sent as null (%j)', (value, path, shown) => {
    const { stack, shop } = mackerelStack();
    expect(() => new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: value }))
      .toThrow(new RegExp(`Stack/Owner: ${path.replace(/[.[\]]/g, '\\$&')} "${shown}" is not a finite number, which JSON cannot hold`));
  });

  test.each<[string, () => unknown, string, string, string]>([
    ['a Map', () => ({ tags: new Map([['a', 1]]) }), 'metadata.tags', '[Map]', 'is a Map, which JSON writes as {} (its entries lost); write an object (Object.fromEntries) instead'],
    ['a Set', () => [new Set([1])], 'metadata[0]', '[Set]', 'is a Set, which JSON writes as {} (its entries lost); write an array (Array.from) instead'],
    ['an undefined array element', () => ({ hosts: ['a', undefined, 'c'] }), 'metadata.hosts[1]', 'undefined',
      'is an undefined array element, which the template drops (moving the ones after it)'],
    ['a BigInt', () => ({ id: BigInt(42) }), 'metadata.id', '42n', 'is a BigInt, which JSON cannot hold (write it as a number or a string)'],
    ['a function', () => () => 1, 'metadata', '() => 1', 'is a function, which JSON cannot hold'],
    ['a symbol', () => ({ a: [Symbol('s')] }), 'metadata.a[0]', 'Symbol(s)', 'is a symbol, which JSON cannot hold'],
    ['a cycle', () => { const o: { [k: string]: unknown } = { b: {} }; (o.b as { [k: string]: unknown }).up = o; return o; }, 'metadata.b.up', '[Circular]',
      'refers back to an object holding it, which JSON cannot hold'],
  ])('a value holding %s fails synth naming where it is, instead of being lost, shifted or failing without the construct', (_what, value, path, shown, problem) => {
    const { stack, shop } = mackerelStack();
    expect(() => new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: value() }))
      .toThrow(`Stack/Owner: ${path} ${JSON.stringify(shown)} ${problem}; expected a JSON value: object, array, string, finite number, boolean or null`);
  });

  test('an object key holding undefined is left out, as JSON.stringify leaves it out; the same object twice (no cycle) and a Date are written', () => {
    const { stack, shop } = mackerelStack();
    const shared = { team: 'a' };
    const owner = new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: { gone: undefined, x: shared, y: [shared], at: new Date(0) } });
    expect(JSON.parse(propertiesOf(owner).metadata as string)).toEqual({ x: { team: 'a' }, y: [{ team: 'a' }], at: '1970-01-01T00:00:00.000Z' });
  });

  test('a value holding a token is joined at deploy time', () => {
    const { stack, shop } = mackerelStack();
    const topic = new sns.Topic(stack, 'Topic');
    const owner = new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'alerts', metadata: { topic: topic.topicArn } });
    expect(propertiesOf(owner).metadata).toEqual({ 'Fn::Join': ['', ['{"topic":"', { Ref: stack.resolve((topic.node.defaultChild as sns.CfnTopic).logicalId) }, '"}']] });
  });

  test('addMetadata adds one under the service, with the service\'s removal policy unless given', () => {
    const { stack } = mackerelStack();
    const kept = new MackerelService(stack, 'Kept', { name: 'kept', removalPolicy: RemovalPolicy.RETAIN });

    const first = kept.addMetadata('Owner', 'owner', { team: 'a' });
    const second = kept.addMetadata('Env', 'env', 'prod', { removalPolicy: RemovalPolicy.DESTROY });

    expect(first).toBeInstanceOf(MackerelServiceMetadata);
    expect(first.node.path).toBe('Stack/Kept/Owner');
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(resources[logicalIdOf(first)].DeletionPolicy).toBe('Retain');
    expect(resources[logicalIdOf(second)].DeletionPolicy).toBe('Delete');
    expect(resources[logicalIdOf(first)].Properties.service).toEqual({ Ref: logicalIdOf(kept) });
  });

  test('metadata of a service referenced by name waits for the MackerelService of its stack that creates it', () => {
    const { stack, shop } = mackerelStack();
    const owner = new MackerelServiceMetadata(stack, 'Owner', { service: MackerelService.fromName(stack, 'ByName', 'shop'), namespace: 'owner', metadata: {} });
    const resource = Template.fromStack(stack).toJSON().Resources[logicalIdOf(owner)];
    expect(resource.Properties.service).toBe('shop');
    expect(resource.DependsOn).toEqual([logicalIdOf(shop)]);
  });

  describe('validation', () => {
    test.each([
      ['has space', /Stack\/Owner: namespace "has space" is not a valid metadata namespace; expected letters, digits, - or _ \(at least one\)/],
      ['', /namespace "" is not a valid metadata namespace/],
      ['cdk-mackerel', /Stack\/Owner: namespace "cdk-mackerel" holds the ownership mark cdk-mackerel writes on services and roles; expected a namespace other than cdk-mackerel/],
      ['mackerel-agent', /Stack\/Owner: namespace "mackerel-agent" is reserved for Mackerel; expected a namespace not starting with mackerel/],
    ])('namespace %j is refused', (namespace, error) => {
      const { stack, shop } = mackerelStack();
      expect(() => new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace, metadata: {} })).toThrow(error);
    });

    test('a namespace that would make the physical ID (service/namespace) longer than CloudFormation\'s 1 KB is refused, at its length and no sooner', () => {
      const { stack, shop } = mackerelStack();
      // "shop/" takes 5 of the 1024 bytes.
      const fits = new MackerelServiceMetadata(stack, 'Fits', { service: shop, namespace: 'n'.repeat(1019), metadata: {} });
      expect(`shop/${fits.namespace}`).toHaveLength(1024);
      expect(() => new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'n'.repeat(1020), metadata: {} }))
        .toThrow(new RegExp(`^Stack/Owner: namespace "${'n'.repeat(40)}\\.\\.\\." is 1020 characters long, which makes the physical ID the handler gives it \\(service/namespace\\) `
          + 'longer than CloudFormation\'s 1024 bytes for service "shop"; expected at most 1019 characters$'));
    });

    test('a role\'s namespace is measured with the role\'s full name (service:role/namespace)', () => {
      const { stack, web } = mackerelStack();
      new MackerelRoleMetadata(stack, 'Fits', { role: web, namespace: 'n'.repeat(1015), metadata: {} });
      expect(() => new MackerelRoleMetadata(stack, 'Owner', { role: web, namespace: 'n'.repeat(1016), metadata: {} }))
        .toThrow(/^Stack\/Owner: namespace "n+\.\.\." is 1016 characters long, which makes the physical ID the handler gives it \(service:role\/namespace\) longer than CloudFormation's 1024 bytes for role "shop:web"; expected at most 1015 characters$/);
    });

    test('with a service name unknown at synth, only a namespace too long for the shortest name is refused', () => {
      const { stack } = mackerelStack();
      const service = MackerelService.fromName(stack, 'ByName', new CfnParameter(stack, 'Service').valueAsString);
      // The shortest name, 2 characters, and the "/" take 3 bytes.
      new MackerelServiceMetadata(stack, 'Fits', { service, namespace: 'n'.repeat(1021), metadata: {} });
      expect(() => new MackerelServiceMetadata(stack, 'Owner', { service, namespace: 'n'.repeat(1022), metadata: {} }))
        .toThrow(/^Stack\/Owner: namespace "n+\.\.\." is 1022 characters long, .* longer than CloudFormation's 1024 bytes for any service \(with the shortest name Mackerel allows\); expected at most 1021 characters$/);
    });

    test('with a service created with a Lazy name, the namespace is measured with the name it ends with', () => {
      // GIVEN a service whose name, a Lazy, is known only once final: 60 characters, so "<name>/" takes 61 of the 1024 bytes
      const { app, stack } = mackerelStack();
      const service = new MackerelService(stack, 'Late', { name: Lazy.string({ produce: () => 's'.repeat(60) }) });
      // WHEN one namespace fits that name and one fits only a shorter one
      new MackerelServiceMetadata(stack, 'Fits', { service, namespace: 'n'.repeat(963), metadata: {} });
      new MackerelServiceMetadata(stack, 'Owner', { service, namespace: 'n'.repeat(964), metadata: {} });
      // THEN the app is refused at synth, for the second only
      expect(() => app.synth()).toThrow(/\[Stack\/Owner\] namespace "n+\.\.\." is 964 characters long, .* longer than CloudFormation's 1024 bytes for service "s{60}"; expected at most 963 characters/);
      expect(() => app.synth()).not.toThrow(/Stack\/Fits/);
    });

    test('with a role of a service created with an uncached Lazy name, the namespace is measured with the full name it ends with', () => {
      const { app, stack } = mackerelStack();
      const service = new MackerelService(stack, 'Late', { name: Lazy.uncachedString({ produce: () => 's'.repeat(60) }) });
      const role = new MackerelRole(stack, 'Web', { service, name: 'web' });
      // "<60 characters>:web/" takes 65 bytes.
      new MackerelRoleMetadata(stack, 'Owner', { role, namespace: 'n'.repeat(960), metadata: {} });
      expect(() => app.synth()).toThrow(/\[Stack\/Owner\] namespace "n+\.\.\." is 960 characters long, .* for role "s{60}:web"; expected at most 959 characters/);
    });

    test('a token namespace is not checked', () => {
      const { stack, shop } = mackerelStack();
      const namespace = new CfnParameter(stack, 'Ns').valueAsString;
      new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace, metadata: {} });
      Template.fromStack(stack).hasResourceProperties('Custom::MackerelServiceMetadata', { namespace: { Ref: 'Ns' } });
    });

    test('an undefined value is refused', () => {
      const { stack, shop } = mackerelStack();
      expect(() => new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: undefined }))
        .toThrow(/Stack\/Owner: metadata undefined is undefined; expected a JSON value/);
    });

    test('a value over 100 KB as JSON is refused; one of exactly 100 KB is not', () => {
      const { stack, shop } = mackerelStack();
      // JSON text of a string: the characters and two quotes.
      new MackerelServiceMetadata(stack, 'Exact', { service: shop, namespace: 'exact', metadata: 'x'.repeat(100 * 1024 - 2) });
      expect(() => new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: 'x'.repeat(100 * 1024 - 1) }))
        .toThrow(/Stack\/Owner: metadata "\\"x+\.\.\." is 102401 bytes as JSON; expected at most 102400 bytes \(100 KB\)/);
    });

    test('a value over 100 KB without its tokens is refused (the tokens only make it longer); one with tokens under it is not', () => {
      const { stack, shop } = mackerelStack();
      const topic = new sns.Topic(stack, 'Topic');
      new MackerelServiceMetadata(stack, 'Under', { service: shop, namespace: 'under', metadata: { topic: topic.topicArn, port: Token.asNumber(topic.topicArn), text: 'x'.repeat(100_000) } });
      expect(() => new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: { topic: topic.topicArn, text: 'x'.repeat(100 * 1024) } }))
        .toThrow(/Stack\/Owner: metadata "\{\\"topic\\":\\"\$\{Token\[TOKEN\.\d+\]\}\\",\\"text\\":\\"x*\.\.\." is 102424 bytes as JSON without its tokens; expected at most 102400 bytes \(100 KB\)/);
    });

    test('two constructs writing one namespace of a role and of its import by fullName fail synthesis, naming the role', () => {
      const { app, stack, web } = mackerelStack();
      new MackerelRoleMetadata(stack, 'Runbook', { role: web, namespace: 'runbook', metadata: 1 });
      new MackerelRoleMetadata(stack, 'Again', { role: MackerelRole.fromFullName(stack, 'Imported', web.fullName), namespace: 'runbook', metadata: 2 });
      expect(() => app.synth()).toThrow(/Stack\/Again\] namespace "runbook" is also written to role "shop:web" by Stack\/Runbook; expected each namespace of a service or role once/);
    });

    test('two constructs writing one namespace of a role and of its import by a full name built of its service\'s name fail synthesis', () => {
      const { app, stack, shop, web } = mackerelStack();
      new MackerelRoleMetadata(stack, 'Runbook', { role: web, namespace: 'runbook', metadata: 1 });
      new MackerelRoleMetadata(stack, 'Again', { role: MackerelRole.fromFullName(stack, 'Imported', `${shop.name}:web`), namespace: 'runbook', metadata: 2 });
      expect(() => app.synth()).toThrow(/Stack\/Again\] namespace "runbook" is also written to role "shop:web" by Stack\/Runbook; expected each namespace of a service or role once/);
    });

    test('two constructs writing one namespace of a service and of its import by name fail synthesis, naming the service', () => {
      const { app, stack, shop } = mackerelStack();
      new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: 1 });
      new MackerelServiceMetadata(stack, 'Again', { service: MackerelService.fromName(stack, 'Imported', shop.name), namespace: 'owner', metadata: 2 });
      expect(() => app.synth()).toThrow(/Stack\/Again\] namespace "owner" is also written to service "shop" by Stack\/Owner; expected each namespace of a service or role once/);
    });

    test('two constructs writing one namespace of one service fail synthesis, also when one names the service literally', () => {
      const { app, stack, shop } = mackerelStack();
      new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: 1 });
      new MackerelServiceMetadata(stack, 'Again', { service: MackerelService.fromName(stack, 'ByName', 'shop'), namespace: 'owner', metadata: 2 });
      expect(() => app.synth()).toThrow(/Stack\/Again\] namespace "owner" is also written to service "shop" by Stack\/Owner; expected each namespace of a service or role once/);
    });

    test('two constructs writing one namespace of one service whose name is a token fail synthesis, also from another stack; two references by one name token too', () => {
      // GIVEN a service named by a parameter, and two stacks whose providers use one key (one organization)
      const app = new App();
      const [stack, other] = ['Stack', 'Other'].map((name) => {
        const s = new Stack(app, name);
        new MackerelProvider(s, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(s, 'ApiKey', 'mackerel/api-key')) });
        return s;
      });
      const shop = new MackerelService(stack, 'Named', { name: new CfnParameter(stack, 'Name').valueAsString });

      // WHEN each stack writes its namespace owner, and a role of it gets two runbooks through one reference
      new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: 1 });
      new MackerelServiceMetadata(other, 'Owner', { service: shop, namespace: 'owner', metadata: 2 });
      const web = MackerelRole.fromFullName(other, 'Web', new CfnParameter(other, 'Role').valueAsString);
      new MackerelRoleMetadata(other, 'Runbook', { role: web, namespace: 'runbook', metadata: 1 });
      new MackerelRoleMetadata(other, 'Again', { role: web, namespace: 'runbook', metadata: 2 });

      // THEN both are refused, naming the service or role by its path
      expect(() => app.synth()).toThrow(/Other\/Owner\] namespace "owner" is also written to service "Stack\/Named" by Stack\/Owner; expected each namespace of a service or role once/);
      expect(() => app.synth()).toThrow(/Other\/Again\] namespace "runbook" is also written to role "Other\/Web" by Other\/Runbook/);
    });

    test('the same namespace on two services is fine', () => {
      const { app, stack, shop } = mackerelStack();
      new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: 1 });
      new MackerelServiceMetadata(stack, 'Other', { service: MackerelService.fromName(stack, 'Cart', 'cart'), namespace: 'owner', metadata: 2 });
      expect(() => app.synth()).not.toThrow();
    });

    test('a 50th namespace of a service this app creates fails synthesis (its ownership mark takes one); 50 on a referenced one do not', () => {
      const { app, shop } = mackerelStack();
      for (let i = 0; i < 50; i++) shop.addMetadata(`M${i}`, `m${i}`, i);
      expect(() => app.synth()).toThrow(/Stack\/Shop\/M49\] namespace "m49" is namespace 50 of service "shop"; expected at most 50 metadata namespaces per service, one of which is cdk-mackerel's ownership mark \(cdk-mackerel\)/);

      const referenced = mackerelStack();
      const legacy = MackerelService.fromName(referenced.stack, 'Legacy', 'legacy');
      for (let i = 0; i < 50; i++) new MackerelServiceMetadata(referenced.stack, `M${i}`, { service: legacy, namespace: `m${i}`, metadata: i });
      expect(() => referenced.app.synth()).not.toThrow();
    });
  });
});

describe('MackerelRoleMetadata', () => {
  test('one Custom::MackerelRoleMetadata: the role by Ref (its physical ID is service:role), which orders it after the role', () => {
    const { stack, web } = mackerelStack();

    const runbook = web.addMetadata('Runbook', 'runbook', { url: 'https://wiki.example.com/web' });

    expect(runbook).toBeInstanceOf(MackerelRoleMetadata);
    Template.fromStack(stack).hasResourceProperties('Custom::MackerelRoleMetadata', {
      role: { Ref: logicalIdOf(web) },
      namespace: 'runbook',
      metadata: '{"url":"https://wiki.example.com/web"}',
    });
  });

  test('addMetadata takes the role\'s removal policy unless given, as removalPolicy documents', () => {
    const { stack, shop } = mackerelStack();
    const kept = shop.addRole('kept', { removalPolicy: RemovalPolicy.RETAIN });

    const first = kept.addMetadata('Runbook', 'runbook', 'https://wiki');
    const second = kept.addMetadata('Owner', 'owner', 'ops', { removalPolicy: RemovalPolicy.DESTROY });

    const resources = Template.fromStack(stack).toJSON().Resources;
    expect([resources[logicalIdOf(first)].DeletionPolicy, resources[logicalIdOf(first)].UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    expect(resources[logicalIdOf(second)].DeletionPolicy).toBe('Delete');
  });

  test('metadata of a role referenced by full name names it literally and waits for the MackerelRole that creates it', () => {
    const { stack, web } = mackerelStack();
    const runbook = new MackerelRoleMetadata(stack, 'Runbook', { role: MackerelRole.fromFullName(stack, 'Web', 'shop:web'), namespace: 'runbook', metadata: {} });
    const resource = Template.fromStack(stack).toJSON().Resources[logicalIdOf(runbook)];
    expect(resource.Properties.role).toBe('shop:web');
    expect(resource.DependsOn).toEqual([logicalIdOf(web)]);
  });

  test('metadata of a role referenced by a full name built of its service\'s name waits for the role, not only the service', () => {
    const { stack, shop, web } = mackerelStack();
    const runbook = new MackerelRoleMetadata(stack, 'Runbook', { role: MackerelRole.fromFullName(stack, 'Web', `${shop.name}:web`), namespace: 'runbook', metadata: {} });
    const resource = Template.fromStack(stack).toJSON().Resources[logicalIdOf(runbook)];
    expect(resource.Properties.role).toEqual({ 'Fn::Join': ['', [{ Ref: logicalIdOf(shop) }, ':web']] });
    expect(resource.DependsOn).toEqual([logicalIdOf(web)]);
  });

  test('metadata of a MackerelRole, named by its own reference, has no DependsOn besides it', () => {
    const { stack, web } = mackerelStack();
    const runbook = new MackerelRoleMetadata(stack, 'Runbook', { role: MackerelRole.fromFullName(stack, 'Web', web.fullName), namespace: 'runbook', metadata: {} });
    const resource = Template.fromStack(stack).toJSON().Resources[logicalIdOf(runbook)];
    expect(resource.Properties.role).toEqual({ Ref: logicalIdOf(web) });
    expect(resource.DependsOn).toBeUndefined();
  });

  test('a tenth namespace of a role this app creates fails synthesis; nine pass', () => {
    const { app, web } = mackerelStack();
    for (let i = 0; i < 9; i++) web.addMetadata(`M${i}`, `m${i}`, i);
    expect(() => app.synth()).not.toThrow();

    const again = mackerelStack();
    for (let i = 0; i < 10; i++) again.web.addMetadata(`M${i}`, `m${i}`, i);
    expect(() => again.app.synth()).toThrow(/Stack\/Shop\/web\/M9\] namespace "m9" is namespace 10 of role "shop:web"; expected at most 10 metadata namespaces per role, one of which is cdk-mackerel's ownership mark/);
  });

  test('a tenth namespace of a role this app creates fails synthesis also when the metadata names it by full name (from another stack, or beside it)', () => {
    const { app, web } = mackerelStack();
    // A key that may be the other stack's (the created secret's name is known at deploy time): one organization.
    const other = new Stack(app, 'Other');
    new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(other, 'ApiKey', 'mackerel')) });
    for (let i = 0; i < 5; i++) web.addMetadata(`M${i}`, `m${i}`, i);
    for (let i = 5; i < 10; i++) new MackerelRoleMetadata(other, `M${i}`, { role: MackerelRole.fromFullName(other, `Web${i}`, 'shop:web'), namespace: `m${i}`, metadata: i });
    expect(() => app.synth()).toThrow(/Other\/M9\] namespace "m9" is namespace 10 of role "shop:web"; expected at most 10 metadata namespaces per role, one of which is cdk-mackerel's ownership mark/);

    const beside = mackerelStack();
    for (let i = 0; i < 50; i++) {
      new MackerelServiceMetadata(beside.stack, `M${i}`, { service: MackerelService.fromName(beside.stack, `Shop${i}`, 'shop'), namespace: `m${i}`, metadata: i });
    }
    expect(() => beside.app.synth()).toThrow(/Stack\/M49\] namespace "m49" is namespace 50 of service "shop"; expected at most 50 metadata namespaces per service, one of which is cdk-mackerel's ownership mark/);
  });

  test('an eleventh namespace of a referenced role fails synthesis', () => {
    const { app, stack } = mackerelStack();
    const legacy = MackerelRole.fromFullName(stack, 'Legacy', 'legacy:db');
    for (let i = 0; i < 11; i++) new MackerelRoleMetadata(stack, `M${i}`, { role: legacy, namespace: `m${i}`, metadata: i });
    expect(() => app.synth()).toThrow(/Stack\/M10\] namespace "m10" is namespace 11 of role "legacy:db"; expected at most 10 metadata namespaces per role$/m);
  });

  test('the reserved namespaces are refused on roles too', () => {
    const { web } = mackerelStack();
    expect(() => web.addMetadata('Mark', 'cdk-mackerel', {})).toThrow(/Stack\/Shop\/web\/Mark: namespace "cdk-mackerel" holds the ownership mark/);
    expect(() => web.addMetadata('Sys', 'mackerel', {})).toThrow(/namespace "mackerel" is reserved for Mackerel/);
  });
});

describe('the provider of a stack with metadata', () => {
  test('may list its own stack\'s resources (to leave a namespace a moved construct holds), and only such a stack', () => {
    const withMetadata = mackerelStack();
    withMetadata.shop.addMetadata('Owner', 'owner', 1);
    const without = mackerelStack();

    const statement = { Action: 'cloudformation:ListStackResources', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } };
    const statements = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(statements(withMetadata.stack)).toContainEqual(statement);
    expect(statements(without.stack)).not.toContainEqual(expect.objectContaining({ Action: 'cloudformation:ListStackResources' }));
  });
});

describe('cdk-nag', () => {
  /** The AwsSolutions findings on a stack with a service and role, and metadata on them when `withMetadata`, as `cdk synth` reports them. */
  function findings(withMetadata: boolean): string[] {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-mackerel-metadata-nag-'));
    try {
      // As `cdk synth` runs an app: aws-cdk-lib 2.276 throws instead of setting the exit code in a test process.
      const app = new App({ outdir, context: { '@aws-cdk/core:appMode': 'process' } });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      const stack = new Stack(app, 'Stack');
      new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
      const shop = new MackerelService(stack, 'Shop', { name: 'shop' });
      const web = shop.addRole('web');
      if (withMetadata) {
        shop.addMetadata('Owner', 'owner', { team: 'payments' });
        web.addMetadata('Runbook', 'runbook', { url: 'https://wiki.example.com/web' });
      }
      const exitCode = process.exitCode;
      try {
        app.synth();
      } finally {
        process.exitCode = exitCode;
      }
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
      return report.pluginReports.flatMap((p: any) => p.violations.flatMap((v: any) => v.violatingConstructs.map((c: any) => `${v.ruleName} ${c.constructPath}`)))
        .sort();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  test('the ListStackResources grant of a stack with metadata (its own stack only) draws no AwsSolutions finding a stack without metadata has not', () => {
    const without = findings(false);
    // the checks ran: the provider framework's Lambda invoke grant is a finding of every stack with a provider
    expect(without).toContainEqual(expect.stringMatching(/^AwsSolutions-IAM5\[.*\] Stack\/Mackerel\//));
    expect(findings(true)).toEqual(without);
  });
});
