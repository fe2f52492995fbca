import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnParameter, Fn, Lazy, NestedStack, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { describe, expect, test } from 'vitest';
import { DeploymentAnnotation, MackerelApiKey, MackerelProvider, MackerelRole, MackerelService } from '../../src';

const TYPE = 'Custom::MackerelGraphAnnotation';

/** A stack with a provider, the service `shop` with role `web`, and (unless `image` is null) a Fargate service. */
function shopStack(image: string | null = 'public.ecr.aws/nginx/nginx:1.27', app = new App()) {
  const stack = new Stack(app, 'Shop', { env: { account: '123456789012', region: 'ap-northeast-1' } });
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
  const shop = new MackerelService(stack, 'Service', { name: 'shop' });
  const web = shop.addRole('web');
  let service: ecs.FargateService | undefined;
  if (image !== null) {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
    taskDefinition.addContainer('web', { image: ecs.ContainerImage.fromRegistry(image) });
    service = new ecs.FargateService(stack, 'Web', { cluster, taskDefinition, minHealthyPercent: 100 });
  }
  return { app, stack, shop, web, service };
}

function annotationOf(stack: Stack): { Properties: { [key: string]: any }; DependsOn?: string[] } {
  const resources = Template.fromStack(stack).findResources(TYPE);
  const all = Object.values(resources);
  expect(all).toHaveLength(1);
  return all[0] as any;
}

describe('DeploymentAnnotation', () => {
  test('posts to the service with the role names, titled after the stack, with a revision of the task definitions', () => {
    const { stack, shop, web } = shopStack();
    new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [web] });
    const { Properties } = annotationOf(stack);
    expect(Properties.service).toEqual({ Ref: stack.getLogicalId(shop.node.findChild('Resource').node.defaultChild as any) });
    expect(Properties.roles).toEqual(['web']);
    expect(Properties.title).toBe('deploy Shop');
    expect(Properties.revision).toMatch(/^[0-9a-f]{12}$/);
    expect(Properties.description).toBe(`Shop, revision ${Properties.revision}`);
  });

  test('waits for the roles it names and for every ECS service of its stack, so it marks a finished rollout', () => {
    const { stack, shop, web, service } = shopStack();
    new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [web] });
    const dependsOn = annotationOf(stack).DependsOn ?? [];
    expect(dependsOn).toContain(stack.getLogicalId(web.node.findChild('Resource').node.defaultChild as any));
    expect(dependsOn).toContain(stack.getLogicalId(service!.node.defaultChild as ecs.CfnService));
  });

  test('the default revision changes when a task definition does, and only then', () => {
    const revision = (image: string) => {
      const { stack, shop } = shopStack(image);
      new DeploymentAnnotation(stack, 'Deploys', { service: shop });
      return annotationOf(stack).Properties.revision;
    };
    expect(revision('public.ecr.aws/nginx/nginx:1.27')).toBe(revision('public.ecr.aws/nginx/nginx:1.27'));
    expect(revision('public.ecr.aws/nginx/nginx:1.28')).not.toBe(revision('public.ecr.aws/nginx/nginx:1.27'));
  });

  describe('the default revision', () => {
    /** The revision of a stack with task definitions `ids`, created in that order, each running `image`. */
    const revisionOf = (ids: string[], options: { image?: ecs.ContainerImage; tweak?: (task: ecs.TaskDefinition) => void; app?: App } = {}) => {
      const { stack, shop } = shopStack(null, options.app);
      for (const id of ids) {
        const taskDefinition = new ecs.FargateTaskDefinition(stack, id);
        taskDefinition.addContainer('web', { image: options.image ?? ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
        options.tweak?.(taskDefinition);
      }
      new DeploymentAnnotation(stack, 'Deploys', { service: shop });
      return annotationOf(stack).Properties.revision;
    };

    test('does not depend on the order the app creates its task definitions in', () => {
      expect(revisionOf(['Web', 'Batch'])).toBe(revisionOf(['Batch', 'Web']));
    });

    test('does not change with a task definition\'s metadata or DependsOn, which register nothing new in ECS', () => {
      const plain = revisionOf(['Web']);
      expect(revisionOf(['Web'], {
        tweak: (task) => (task.node.defaultChild as ecs.CfnTaskDefinition).addMetadata('cdk_nag', { rules_to_suppress: [{ id: 'AwsSolutions-ECS2', reason: 'fine' }] }),
      })).toBe(plain);
      expect(revisionOf(['Web'], { tweak: (task) => task.node.addDependency(new secretsmanager.Secret(Stack.of(task), 'Other')) })).toBe(plain);
    });

    test('changes with an image asset\'s content, and not between two synths of the same app', () => {
      const dir = mkdtempSync(join(tmpdir(), 'cdk-mackerel-image-'));
      writeFileSync(join(dir, 'Dockerfile'), 'FROM public.ecr.aws/nginx/nginx:1.27\nCOPY index.html /usr/share/nginx/html/\n');
      writeFileSync(join(dir, 'index.html'), 'v1');
      // As the CDK CLI runs an app: context from cdk.json, path and asset metadata, each synth in its own output directory.
      const context = {
        ...JSON.parse(readFileSync(join(__dirname, '../../examples/fargate/cdk.json'), 'utf8')).context,
        'aws:cdk:enable-path-metadata': true,
        'aws:cdk:enable-asset-metadata': true,
      };
      const synth = () => revisionOf(['Web'], {
        image: ecs.ContainerImage.fromAsset(dir),
        app: new App({ context, outdir: mkdtempSync(join(tmpdir(), 'cdk-mackerel-out-')) }),
      });
      const v1 = synth();
      expect(synth()).toBe(v1);
      writeFileSync(join(dir, 'index.html'), 'v2');
      expect(synth()).not.toBe(v1);
    });
  });

  test('takes a revision, title and description of its own, and no roles for the whole service', () => {
    const { stack, shop } = shopStack();
    new DeploymentAnnotation(stack, 'Deploys', { service: shop, revision: 'abc123', title: 'release', description: 'see the changelog' });
    const { Properties } = annotationOf(stack);
    expect(Properties).toEqual({ ServiceToken: expect.anything(), service: expect.anything(), title: 'release', description: 'see the changelog', revision: 'abc123' });
  });

  test('a default description with parameter values joined at deploy is marked to be cut to the limit then; a literal one or one of the user\'s is not', () => {
    const { stack, shop } = shopStack(null);
    // an SSM parameter's value (a JSON document, say) may alone be longer than the 1024 characters of a description
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27'),
      environment: { SETTINGS: new CfnParameter(stack, 'Settings').valueAsString },
    });
    new DeploymentAnnotation(stack, 'Deploys', { service: shop });
    const { Properties } = annotationOf(stack);
    expect(Properties.description).toEqual({ 'Fn::Join': ['', ['Shop, revision ', Properties.revision]] });
    expect(Properties.cutDescription).toBe(true);

    const literal = shopStack();
    new DeploymentAnnotation(literal.stack, 'Deploys', { service: literal.shop });
    expect(annotationOf(literal.stack).Properties).not.toHaveProperty('cutDescription');
    const own = shopStack();
    new DeploymentAnnotation(own.stack, 'Deploys', { service: own.shop, description: new CfnParameter(own.stack, 'Notes').valueAsString });
    expect(annotationOf(own.stack).Properties).not.toHaveProperty('cutDescription');
  });

  test('a stack without task definitions needs a revision', () => {
    const { stack, shop } = shopStack(null);
    new DeploymentAnnotation(stack, 'Deploys', { service: shop });
    expect(() => Template.fromStack(stack)).toThrow(
      /\[Shop\/Deploys\] revision undefined is missing, and stack Shop has no ECS task definition whose changes would mark a deploy; expected a value that changes with each release/);
    const other = shopStack(null);
    new DeploymentAnnotation(other.stack, 'Deploys', { service: other.shop, revision: '1.0.0' });
    expect(annotationOf(other.stack).Properties.revision).toBe('1.0.0');
  });

  test('accepts a role of the service referenced by name', () => {
    const { stack, shop } = shopStack();
    const legacy = MackerelService.fromName(stack, 'Shop2', 'shop');
    new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [new MackerelRole(stack, 'Batch', { service: legacy, name: 'batch' })] });
    expect(annotationOf(stack).Properties.roles).toEqual(['batch']);
  });

  test('waits for the service and roles this stack creates when it is given them by name', () => {
    const { stack, shop, web } = shopStack();
    new DeploymentAnnotation(stack, 'Deploys', {
      service: MackerelService.fromName(stack, 'ShopByName', 'shop'),
      roles: [MackerelRole.fromFullName(stack, 'WebByName', 'shop:web')],
    });
    const dependsOn = annotationOf(stack).DependsOn ?? [];
    expect(dependsOn).toContain(stack.getLogicalId(shop.node.findChild('Resource').node.defaultChild as any));
    expect(dependsOn).toContain(stack.getLogicalId(web.node.findChild('Resource').node.defaultChild as any));
  });

  test('accepts a role whose service is known only at deploy time, as an agent\'s imported role is', () => {
    const { stack, shop } = shopStack();
    const imported = MackerelRole.fromFullName(stack, 'Imported', Fn.importValue('shop-web-role'));
    new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [imported] });
    expect(annotationOf(stack).Properties.roles).toEqual([{ 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::ImportValue': 'shop-web-role' }] }] }]);
  });

  describe('an ECS service that waits for the annotation itself', () => {
    /** A stack whose Mackerel side (service, role and annotation) is one construct, `Mackerel`. */
    const grouped = () => {
      const { stack, service } = shopStack();
      const mackerel = new Construct(stack, 'Monitoring');
      const shop = new MackerelService(mackerel, 'Shop', { name: 'shop2' });
      new DeploymentAnnotation(mackerel, 'Deploys', { service: shop, roles: [shop.addRole('web')] });
      return { stack, service: service!, mackerel };
    };

    test('fails synthesis, naming the service and how it comes to wait, when it depends on a construct holding the annotation', () => {
      const { stack, service, mackerel } = grouped();
      // meant to create the roles before the tasks register hosts in them
      service.node.addDependency(mackerel);
      expect(() => Template.fromStack(stack)).toThrow(
        '[Shop/Monitoring/Deploys] ECS service "Shop/Web/Service" waits for this annotation (Shop/Web/Service -> Shop/Monitoring/Deploys/Resource/Default), '
        + 'which waits for every ECS service of its stack, so each would wait for the other and CloudFormation would refuse the circular dependency; '
        + 'expected ECS services that do not depend on the annotation. Make the service depend on the Mackerel roles or service it needs, '
        + 'not on a construct that holds the annotation');
    });

    test('fails synthesis when it waits through other resources: a task definition it refers to depends on the annotation', () => {
      const { stack, service, mackerel } = grouped();
      service.taskDefinition.node.defaultChild!.node.addDependency(mackerel);
      expect(() => Template.fromStack(stack)).toThrow(/"Shop\/Web\/Service" waits for this annotation \(Shop\/Web\/Service -> Shop\/Task\/Resource -> Shop\/Monitoring\/Deploys\/Resource\/Default\)/);
    });

    test('is fine depending on the Mackerel role and service themselves', () => {
      const { stack, service, mackerel } = grouped();
      service.node.addDependency(mackerel.node.findChild('Shop'));
      expect(annotationOf(stack).DependsOn).toContain(stack.getLogicalId(service.node.defaultChild as ecs.CfnService));
    });
  });

  test('warns about the ECS services and task definitions of a nested stack, which it covers neither way, once per nested stack', () => {
    const { stack, shop, service } = shopStack();
    const nested = new NestedStack(stack, 'Batch');
    for (const id of ['Nightly', 'Hourly']) {
      const taskDefinition = new ecs.FargateTaskDefinition(nested, id);
      taskDefinition.addContainer('batch', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
      new ecs.FargateService(nested, `${id}Service`, { cluster: service!.cluster, taskDefinition, minHealthyPercent: 100 });
    }
    new DeploymentAnnotation(stack, 'Deploys', { service: shop });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('deploymentAnnotationNestedStack'));
    expect(warnings.map((w) => `${w.id}: ${w.entry.data}`)).toEqual([
      '/Shop/Deploys: Nested stack Shop/Batch has ECS services or task definitions, which this annotation neither waits for nor follows in its default revision: '
      + 'it covers the ECS resources of stack Shop only. Give the nested stack a DeploymentAnnotation of its own (with its own MackerelProvider), '
      + 'or give this one a revision and make it depend on the nested stack [ack: cdk-mackerel:deploymentAnnotationNestedStack]',
    ]);
    expect(annotationOf(stack).DependsOn).toEqual(expect.not.arrayContaining([expect.stringMatching(/Batch/)]));
  });

  test('no nested-stack warning once its advice is followed: a revision, and the annotation waits for the nested stack', () => {
    const warned = (revision: string | undefined, order: (nested: NestedStack, deploys: DeploymentAnnotation) => void) => {
      const { stack, shop } = shopStack();
      const nested = new NestedStack(stack, 'Batch');
      new ecs.FargateTaskDefinition(nested, 'Task').addContainer('job', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
      const deploys = new DeploymentAnnotation(stack, 'Deploys', { service: shop, revision });
      order(nested, deploys);
      return Annotations.fromStack(stack).findWarning('/Shop/Deploys', Match.stringLikeRegexp('deploymentAnnotationNestedStack')).length;
    };
    expect(warned('v42', (nested, deploys) => deploys.node.addDependency(nested))).toBe(0);
    expect(warned(undefined, (nested, deploys) => deploys.node.addDependency(nested))).toBe(1);
    expect(warned('v42', () => {})).toBe(1);
    expect(warned('v42', (nested, deploys) => nested.node.addDependency(deploys))).toBe(1);
  });

  describe('refuses', () => {
    test('a role of another service', () => {
      const { stack, shop } = shopStack();
      const other = new MackerelService(stack, 'Other', { name: 'other' });
      expect(() => new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [other.addRole('web')] }))
        .toThrow(/^Shop\/Deploys: roles\[0\] "Shop\/Other\/web" is a role of service other, not of shop; expected roles of the annotation's service$/);
    });

    test('an empty revision before a role of another service, as before the revision moved to _deploys.ts', () => {
      const { stack, shop } = shopStack();
      const other = new MackerelService(stack, 'Other', { name: 'other' });
      expect(() => new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [other.addRole('web')], revision: '' }))
        .toThrow(/^Shop\/Deploys: revision "" is empty; expected a value that changes with each release/);
    });

    test('a role named twice, also once as a construct and once by its full name', () => {
      const { stack, shop, web } = shopStack();
      expect(() => new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [web, MackerelRole.fromFullName(stack, 'WebByName', 'shop:web')] }))
        .toThrow(/^Shop\/Deploys: roles\[1\] "web" names the same role as roles\[0\]; expected each role of the service once$/);
    });

    test('a role of another service, or a role named twice, by the Lazy names they end with', () => {
      const synth = (last: string, roles: (stack: Stack, web: MackerelRole, lazy: string) => MackerelRole[] | any[], service?: 'lazy') => {
        const { app, stack, shop, web } = shopStack(null);
        const state = { value: 'draft' };
        const lazy = Lazy.string({ produce: () => state.value });
        const annotationService = service ? MackerelService.fromName(stack, 'ShopByName', lazy) : shop;
        new DeploymentAnnotation(stack, 'Deploys', { service: annotationService, revision: 'v1', roles: roles(stack, web, lazy) });
        state.value = last;
        return () => app.synth();
      };
      const byFullName = (stack: Stack, _web: MackerelRole, lazy: string) => [MackerelRole.fromFullName(stack, 'Role', lazy)];
      expect(synth('other:web', byFullName)).toThrow(/\[Shop\/Deploys\] roles\[0\] "Shop\/Role" is a role of service other, not of shop; expected roles of the annotation's service/);
      expect(synth('shop:web', byFullName)).not.toThrow();
      const ofImportedService = (stack: Stack, _web: MackerelRole, lazy: string) => [new MackerelRole(stack, 'Role', { service: MackerelService.fromName(stack, 'ByName', lazy), name: 'db' })];
      expect(synth('other', ofImportedService)).toThrow(/\[Shop\/Deploys\] roles\[0\] "Shop\/Role" is a role of service other, not of shop/);
      expect(synth('shop', ofImportedService)).not.toThrow();
      const created = (_stack: Stack, web: MackerelRole) => [web];
      expect(synth('other', created, 'lazy')).toThrow(/\[Shop\/Deploys\] roles\[0\] "Shop\/Service\/web" is a role of service shop, not of other/);
      expect(synth('shop', created, 'lazy')).not.toThrow();
      const twice = (stack: Stack, web: MackerelRole, lazy: string) => [web, MackerelRole.fromFullName(stack, 'Role', lazy)];
      expect(synth('shop:web', twice)).toThrow(/\[Shop\/Deploys\] roles\[1\] "web" names the same role as roles\[0\]; expected each role of the service once/);
      expect(synth('shop:db', twice)).not.toThrow();
    });

    test('a role or service of an uncached Lazy name is compared by the name it reads at synthesis, not by the one it reads as the annotation is made', () => {
      const synth = (last: string, lazyService: boolean) => {
        const { app, stack, shop, web } = shopStack(null);
        const state = { value: lazyService ? 'other' : 'other:web' };
        const lazy = Lazy.uncachedString({ produce: () => state.value });
        new DeploymentAnnotation(stack, 'Deploys', lazyService
          ? { service: MackerelService.fromName(stack, 'ShopByName', lazy), revision: 'v1', roles: [web] }
          : { service: shop, revision: 'v1', roles: [MackerelRole.fromFullName(stack, 'Role', lazy)] });
        state.value = last;
        return () => app.synth();
      };
      expect(synth('shop:web', false)).not.toThrow();
      expect(synth('shop', true)).not.toThrow();
      expect(synth('other:web', false)).toThrow(/\[Shop\/Deploys\] roles\[0\] "Shop\/Role" is a role of service other, not of shop/);
      expect(synth('other', true)).toThrow(/\[Shop\/Deploys\] roles\[0\] "Shop\/Service\/web" is a role of service shop, not of other/);
    });

    test('a role of another service imported by that service\'s name', () => {
      const { stack, shop } = shopStack();
      const other = new MackerelService(stack, 'Other', { name: 'other' });
      const role = new MackerelRole(stack, 'OtherWeb', { service: MackerelService.fromName(stack, 'OtherByName', other.name), name: 'web' });
      expect(() => new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [role] }))
        .toThrow(/^Shop\/Deploys: roles\[0\] "Shop\/OtherWeb" is a role of service other, not of shop; expected roles of the annotation's service$/);
    });

    test('a role of another service this app creates, even when a name is known only at deploy time', () => {
      const { stack, shop } = shopStack();
      const other = new MackerelService(stack, 'Other', { name: new CfnParameter(stack, 'OtherName').valueAsString });
      expect(() => new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [other.addRole('web')] }))
        .toThrow(/^Shop\/Deploys: roles\[0\] "Shop\/Other\/web" is a role of service Shop\/Other, not of shop; expected roles of the annotation's service$/);
    });

    test.each([
      ['title', { title: 'x'.repeat(251) }, /title "x{40}\.\.\." has 251 characters; expected at most 250/],
      ['description', { description: 'x'.repeat(1025) }, /description "x{40}\.\.\." has 1025 characters; expected at most 1024/],
      ['an empty title', { title: ' ' }, /title " " is empty; expected a non-empty title/],
      ['an empty revision', { revision: '' }, /revision "" is empty; expected a value that changes with each release/],
    ])('%s over Mackerel\'s limit', (_name, props, message) => {
      const { stack, shop } = shopStack();
      expect(() => new DeploymentAnnotation(stack, 'Deploys', { service: shop, ...props })).toThrow(message);
    });

    test('a revision that makes the default description too long, unless a description is given', () => {
      const { stack, shop } = shopStack();
      // "Shop, revision " is 15 characters
      new DeploymentAnnotation(stack, 'AtLimit', { service: shop, revision: 'r'.repeat(1024 - 15) });
      expect(() => new DeploymentAnnotation(stack, 'Deploys', { service: shop, revision: 'r'.repeat(1024 - 14) }))
        .toThrow(/^Shop\/Deploys: revision "r{40}\.\.\." makes the default description "<stack name>, revision <revision>" 1025 characters long; expected a default description of at most 1024 characters\. Give a shorter revision/);
      new DeploymentAnnotation(stack, 'Described', { service: shop, revision: 'r'.repeat(2000), description: 'release notes' });
    });

    test('shows the start of a value over the limit in whole characters', () => {
      const { stack, shop } = shopStack();
      expect(() => new DeploymentAnnotation(stack, 'Deploys', { service: shop, title: `a${'🚀'.repeat(250)}` }))
        .toThrow(`title "a${'🚀'.repeat(39)}..." has 251 characters`);
    });

    test('takes a title and a description exactly at the limits, counted in characters', () => {
      const { stack, shop } = shopStack();
      new DeploymentAnnotation(stack, 'Deploys', { service: shop, title: '🚀'.repeat(250), description: 'é'.repeat(1024) });
      expect(annotationOf(stack).Properties.title).toBe('🚀'.repeat(250));
    });
  });
});
