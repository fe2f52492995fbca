import { App, CfnResource, Duration, Fn, Lazy, NestedStack, Stack, Stage } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import {
  AlertGroupSetting, AwsIntegrationService, Downtime, ExpressionMonitor, HostMetricMonitor, IMackerelService, MackerelApiKey, MackerelAwsIntegration,
  MackerelMonitoring, MackerelProvider, MackerelRole, MackerelRoleMetadata, MackerelService, MonitorOperator, MonitorScope, ServiceMetricMonitor,
  ServiceMetricMonitorProps,
} from '../../src';
import { mackerelStack } from '../monitors/_fixture';

/** The fixture's app (`shop` and `shop:web` in stack `Stack`) and a stack `Other` of the same organization. */
function twoStacks() {
  const fixture = mackerelStack();
  const other = new Stack(fixture.app, 'Other');
  new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(other, 'Key', 'mackerel')) });
  return { ...fixture, other };
}

/** A stack of the same organization as the fixture's (the secret `mackerel`), under `scope`. */
function stackIn(scope: App | Stage | Stack, id: string): Stack {
  const stack = scope instanceof Stack ? new NestedStack(scope, id) : new Stack(scope, id);
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel')) });
  return stack;
}

/** The importedByLiteralName warnings of every stack of the app, nested stacks' included. */
function allWarnings(app: App) {
  return app.synth().stacksRecursively.flatMap((s) => s.messages).filter((m) => String(m.entry.data).includes(WARNING));
}

function ordersProps(service: IMackerelService): ServiceMetricMonitorProps {
  return { name: 'orders', service, metric: 'shop.orders.count', operator: MonitorOperator.LESS_THAN, warning: 10, duration: 3 };
}

const WARNING = 'cdk-mackerel:importedByLiteralName';

function warningsOf(stack: Stack) {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(WARNING));
}

describe('a service or role imported by literal name that another stack of the app creates', () => {
  test('a service is warned about on the import, naming the creator, its stack and both remedies', () => {
    const { other } = twoStacks();
    MackerelService.fromName(other, 'Shop', 'shop');

    const warnings = warningsOf(other);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/Shop']);
    expect(warnings[0].entry.data).toBe('This service is imported by its literal name "shop", which Stack/Shop of stack "Stack" creates, but stack "Other" '
      + 'does not depend on stack "Stack": a literal orders nothing. The first deploy may create what uses the service before it exists, which Mackerel '
      + 'refuses (404 or 400), and a destroy may delete stack "Stack" first, leaving the service in Mackerel for what still uses it. Import it by '
      + 'reference (MackerelService.fromName(scope, id, shop.name)), or make stack "Other" depend on stack "Stack" (stack.addDependency) '
      + `[ack: ${WARNING}]`);
  });

  test('a name given as a token that refers to no construct (a Lazy, Fn.join of literals) is warned about as a literal, not as built of the service\'s name', () => {
    const givens: Array<[string, () => string]> = [
      ['lazy', () => Lazy.string({ produce: () => 'shop' })],
      ['uncached', () => Lazy.uncachedString({ produce: () => 'shop' })],
      ['join', () => Fn.join('', ['sh', 'op'])],
    ];
    for (const [kind, given] of givens) {
      const { other } = twoStacks();
      MackerelService.fromName(other, 'Shop', given());
      const warnings = warningsOf(other).map((w) => String(w.entry.data));
      expect([kind, warnings]).toEqual([kind, [expect.stringMatching(
        /^This service is imported by its literal name "shop", which Stack\/Shop of stack "Stack" creates, but stack "Other" does not depend on stack "Stack": a literal orders nothing\. .* Import it by reference/)]]);
    }
  });

  test('a role is warned about once, on the role import, not again on its service', () => {
    const { other } = twoStacks();
    const web = MackerelRole.fromFullName(other, 'Web', 'shop:web');
    new ServiceMetricMonitor(other, 'Orders', ordersProps(web.service));

    const warnings = warningsOf(other);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/Web']);
    expect(warnings[0].entry.data).toMatch(/^This role is imported by its literal name "shop:web", which Stack\/Shop\/web of stack "Stack" creates, .*Import it by reference \(MackerelRole\.fromFullName\(scope, id, web\.fullName\)\)/);
    // A role is deleted with its stack, where a service that still has monitors not its own is left.
    expect(warnings[0].entry.data).toMatch(/a destroy may delete stack "Stack" first, deleting the role from under what still uses it\. /);
    expect(warnings[0].entry.data).not.toMatch(/leaving the service/);
  });

  test('a role the app does not create, of a service another stack creates, is warned about on its service, naming the role and a name built of the service\'s', () => {
    const { other } = twoStacks();
    MackerelRole.fromFullName(other, 'Db', 'shop:db');
    const warnings = warningsOf(other);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/Db/Service']);
    expect(warnings[0].entry.data).toMatch(/^This role is imported by its literal name "shop:db", a role of service "shop", which Stack\/Shop of stack "Stack" creates, /);
    expect(warnings[0].entry.data).toMatch(/leaving the service in Mackerel for what still uses it\. Import it by a name built of the service's reference \(MackerelRole\.fromFullName\(scope, id, `\$\{shop\.name\}:db`\)\), or make stack "Other" depend on stack "Stack"/);
  });

  test('not when the importing stack depends on the creator\'s, directly or through another stack', () => {
    const { app, stack, other } = twoStacks();
    other.addDependency(stack);
    MackerelService.fromName(other, 'Shop', 'shop');
    const third = new Stack(app, 'Third');
    third.addDependency(other);
    MackerelRole.fromFullName(third, 'Web', 'shop:web');

    expect(warningsOf(other)).toEqual([]);
    expect(warningsOf(third)).toEqual([]);
  });

  test('a dependency the wrong way round (the creator\'s stack on the importer\'s) is still warned about', () => {
    const { stack, other } = twoStacks();
    stack.addDependency(other);
    MackerelService.fromName(other, 'Shop', 'shop');
    const warnings = warningsOf(other);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/Shop']);
    // Either remedy for unordered stacks would make a cycle, which CDK refuses.
    expect(warnings[0].entry.data).toMatch(/leaving the service in Mackerel for what still uses it\. Stack "Stack" depends on stack "Other" already, so neither a reference nor stack\.addDependency can order them the other way \(a cycle\): use the service in stack "Stack" or in a stack that depends on it, or create it in stack "Other" \[ack:/);
    expect(warnings[0].entry.data).not.toMatch(/Import it by reference/);
  });

  test('a nested stack and its parent are told to use a reference or the nested stack\'s node: stack.addDependency cannot order them', () => {
    const { app } = mackerelStack();
    const outer = stackIn(app, 'Outer');
    new MackerelService(outer, 'Legacy', { name: 'legacy' });
    MackerelService.fromName(stackIn(outer, 'Nested'), 'Legacy', 'legacy');
    const warnings = allWarnings(app);
    expect(warnings.map((m) => m.id)).toEqual(['/Outer/Nested/Legacy']);
    expect(warnings[0].entry.data).toMatch(/leaving the service in Mackerel for what still uses it\. Import it by reference \(MackerelService\.fromName\(scope, id, shop\.name\)\), or make nested stack "Outer\/Nested" wait for the service \(nestedStack\.node\.addDependency\(shop\)\), which CDK writes as a DependsOn of its stack resource in stack "Outer": stack\.addDependency cannot order a nested stack and a stack it is nested in \[ack:/);
  });

  test('a nested stack under the creator\'s stack is told to depend on the service by its node, and that advice clears the warning and deploys it after', () => {
    // GIVEN "legacy" created in Outer and imported by its literal name two nested stacks down, in Outer/Nested/Inner
    const nestedUnder = () => {
      const { app } = mackerelStack();
      const outer = stackIn(app, 'Outer');
      const legacy = new MackerelService(outer, 'Legacy', { name: 'legacy' });
      const nested = stackIn(outer, 'Nested');
      const inner = stackIn(nested, 'Inner');
      new ServiceMetricMonitor(inner, 'Orders', ordersProps(MackerelService.fromName(inner, 'Legacy', 'legacy')));
      return { app, outer, legacy, nested };
    };
    const warned = nestedUnder();
    const warnings = allWarnings(warned.app);
    expect(warnings.map((m) => m.id)).toEqual(['/Outer/Nested/Inner/Legacy']);
    // THEN the advice names the nested stack whose resource is in Outer, the one CloudFormation can order there
    expect(warnings[0].entry.data).toMatch(/ Import it by reference \(MackerelService\.fromName\(scope, id, shop\.name\)\), or make nested stack "Outer\/Nested" wait for the service \(nestedStack\.node\.addDependency\(shop\)\), which CDK writes as a DependsOn of its stack resource in stack "Outer": stack\.addDependency cannot order a nested stack and a stack it is nested in \[ack:/);

    // WHEN the advice is followed
    const followed = nestedUnder();
    followed.nested.node.addDependency(followed.legacy);
    // THEN it synthesizes without the warning, and Outer creates the service before the nested stacks
    expect(allWarnings(followed.app)).toEqual([]);
    const outerTemplate = followed.app.synth().getStackByName(followed.outer.stackName).template;
    expect(outerTemplate.Resources[followed.outer.getLogicalId(followed.nested.nestedStackResource!)].DependsOn)
      .toContain(followed.outer.getLogicalId(followed.legacy.node.defaultChild as CfnResource));
  });

  test('a service created in a nested stack and imported by its literal name in the parent is told to import it by reference, which clears the warning and deploys it after', () => {
    // GIVEN "legacy" created in Parent/Nested, and a monitor of Parent using it
    const { app } = mackerelStack();
    const parent = stackIn(app, 'Parent');
    const nested = stackIn(parent, 'Nested');
    const legacy = new MackerelService(nested, 'Legacy', { name: 'legacy' });
    new ServiceMetricMonitor(parent, 'Orders', ordersProps(MackerelService.fromName(parent, 'Legacy', 'legacy')));
    const warnings = allWarnings(app);
    expect(warnings.map((m) => m.id)).toEqual(['/Parent/Legacy']);
    // THEN the advice is the reference, with why it orders what a stack dependency cannot
    expect(warnings[0].entry.data).toMatch(/ Import it by reference \(MackerelService\.fromName\(scope, id, shop\.name\)\), which CDK passes out of nested stack "Parent\/Nested" as an output of its stack resource, so what uses it waits for that: stack\.addDependency cannot order a nested stack and a stack it is nested in \[ack:/);

    // WHEN the advice is followed: the import by reference, in a second parent alike
    const { app: followedApp } = mackerelStack();
    const followedParent = stackIn(followedApp, 'Parent');
    const followedNested = stackIn(followedParent, 'Nested');
    const followedLegacy = new MackerelService(followedNested, 'Legacy', { name: 'legacy' });
    const orders = new ServiceMetricMonitor(followedParent, 'Orders', ordersProps(MackerelService.fromName(followedParent, 'Legacy', followedLegacy.name)));
    // THEN it synthesizes without the warning, and the monitor takes the name from the nested stack's resource, so CloudFormation creates it after
    expect(allWarnings(followedApp)).toEqual([]);
    const resources = followedApp.synth().getStackByName(followedParent.stackName).template.Resources;
    const nestedId = followedParent.getLogicalId(followedNested.nestedStackResource!);
    expect(JSON.stringify(resources[followedParent.getLogicalId(orders.node.defaultChild as CfnResource)].Properties)).toContain(`{"Fn::GetAtt":["${nestedId}",`);
    expect(legacy.node.path).toBe('Parent/Nested/Legacy');
  });

  test('a nested stack whose stack resource in its parent depends on the parent\'s service, or takes its reference, is ordered after it', () => {
    const nestedUnder = () => {
      const { app } = mackerelStack();
      const outer = stackIn(app, 'Outer');
      const legacy = new MackerelService(outer, 'Legacy', { name: 'legacy' });
      const nested = stackIn(outer, 'Nested');
      MackerelService.fromName(nested, 'Legacy', 'legacy');
      return { app, outer, legacy, nested };
    };
    // CDK turns nested.node.addDependency(legacy) into a DependsOn of the nested stack's resource on the service's, in the parent
    const byNode = nestedUnder();
    byNode.nested.node.addDependency(byNode.legacy);
    expect(allWarnings(byNode.app)).toEqual([]);
    const resources = Template.fromJSON(byNode.app.synth().getStackByName(byNode.outer.stackName).template).findResources('AWS::CloudFormation::Stack');
    expect(resources[byNode.outer.getLogicalId(byNode.nested.nestedStackResource!)].DependsOn)
      .toContain(byNode.outer.getLogicalId(byNode.legacy.node.defaultChild as CfnResource));
    // A reference to a resource the service's depends on orders nothing: the nested stack may still come first
    const byOther = nestedUnder();
    const topic = new CfnResource(byOther.outer, 'Topic', { type: 'AWS::SNS::Topic' });
    byOther.legacy.node.addDependency(topic);
    new CfnResource(byOther.nested, 'Uses', { type: 'AWS::SNS::Topic', properties: { DisplayName: topic.ref } });
    expect(allWarnings(byOther.app).map((m) => m.id)).toEqual(['/Outer/Nested/Legacy']);
    // A reference to the service itself: CDK passes it as a parameter of the nested stack's resource
    const byReference = nestedUnder();
    new CfnResource(byReference.nested, 'Uses', { type: 'AWS::SNS::Topic', properties: { DisplayName: byReference.legacy.name } });
    expect(allWarnings(byReference.app)).toEqual([]);
  });

  test('sibling nested stacks: ordered by B.addDependency(A) or B.node.addDependency(A), which CDK keeps as a DependsOn between their stack resources', () => {
    const siblings = () => {
      const { app } = mackerelStack();
      const parent = stackIn(app, 'Parent');
      const [a, b] = [stackIn(parent, 'A'), stackIn(parent, 'B')];
      new MackerelService(a, 'Legacy', { name: 'legacy' });
      MackerelService.fromName(b, 'Legacy', 'legacy');
      return { app, parent, a, b };
    };
    const byStack = siblings();
    byStack.b.addDependency(byStack.a);
    expect(allWarnings(byStack.app)).toEqual([]);
    const byNode = siblings();
    byNode.b.node.addDependency(byNode.a);
    expect(allWarnings(byNode.app)).toEqual([]);
    // CDK orders them in the parent: B's stack resource depends on A's.
    const resources = Template.fromJSON(byNode.app.synth().getStackByName(byNode.parent.stackName).template).findResources('AWS::CloudFormation::Stack');
    const [aId, bId] = [byNode.a, byNode.b].map((n) => byNode.parent.getLogicalId(n.nestedStackResource!));
    expect(resources[bId].DependsOn).toContain(aId);

    // Through a third sibling, as between top-level stacks.
    const through = siblings();
    const c = stackIn(through.parent, 'C');
    c.addDependency(through.a);
    through.b.addDependency(c);
    expect(allWarnings(through.app)).toEqual([]);

    // A reference from B to a resource of A: B's stack resource takes a parameter from A's outputs.
    const byReference = siblings();
    const topic = new CfnResource(byReference.a, 'Topic', { type: 'AWS::SNS::Topic' });
    new CfnResource(byReference.b, 'Uses', { type: 'AWS::SNS::Topic', properties: { DisplayName: topic.ref } });
    expect(allWarnings(byReference.app)).toEqual([]);
  });

  test('sibling nested stacks without a dependency, or with one the wrong way round, are warned about, with stack.addDependency as a remedy', () => {
    const { app } = mackerelStack();
    const parent = stackIn(app, 'Parent');
    const [a, b] = [stackIn(parent, 'A'), stackIn(parent, 'B')];
    new MackerelService(a, 'Legacy', { name: 'legacy' });
    MackerelService.fromName(b, 'Legacy', 'legacy');
    const warnings = allWarnings(app);
    expect(warnings.map((m) => m.id)).toEqual(['/Parent/B/Legacy']);
    expect(warnings[0].entry.data).toMatch(/Import it by reference \(MackerelService\.fromName\(scope, id, shop\.name\)\), or make stack "Parent\/B" depend on stack "Parent\/A" \(stack\.addDependency\) \[ack:/);

    const { app: reversedApp } = mackerelStack();
    const reversedParent = stackIn(reversedApp, 'Parent');
    const [ra, rb] = [stackIn(reversedParent, 'A'), stackIn(reversedParent, 'B')];
    new MackerelService(ra, 'Legacy', { name: 'legacy' });
    MackerelService.fromName(rb, 'Legacy', 'legacy');
    ra.addDependency(rb);
    const reversed = allWarnings(reversedApp);
    expect(reversed.map((m) => m.id)).toEqual(['/Parent/B/Legacy']);
    expect(reversed[0].entry.data).toMatch(/Stack "Parent\/A" depends on stack "Parent\/B" already, so neither a reference nor stack\.addDependency can order them the other way/);
  });

  test('a role of forRole given by its literal roleFullName is told to pass the role or its fullName', () => {
    const { other } = twoStacks();
    MackerelMonitoring.forRole(other, 'WebAlerts', { roleFullName: 'shop:web' });
    const warnings = warningsOf(other);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/WebAlerts/Role']);
    expect(warnings[0].entry.data).toMatch(/^roleFullName "shop:web" is the literal name of a role, which Stack\/Shop\/web of stack "Stack" creates, .* Pass it by reference \(role: web, or roleFullName: web\.fullName\), or make stack "Other" depend on stack "Stack" \(stack\.addDependency\) \[ack:/);
    expect(warnings[0].entry.data).not.toMatch(/fromFullName/);
  });

  test('not for an import by reference (a stack dependency), in the creator\'s own stack, or of a name the app does not create', () => {
    const { stack, shop, web, other } = twoStacks();
    MackerelService.fromName(other, 'ShopByRef', shop.name);
    MackerelRole.fromFullName(other, 'WebByRef', web.fullName);
    new ServiceMetricMonitor(other, 'Orders', ordersProps(MackerelService.fromName(other, 'Uses', shop.name)));
    MackerelService.fromName(stack, 'Same', 'shop');
    MackerelService.fromName(other, 'Legacy', 'legacy');

    expect(warningsOf(other)).toEqual([]);
    expect(warningsOf(stack)).toEqual([]);
  });

  test('not for a stack whose provider reaches another organization', () => {
    const { app } = mackerelStack();
    const prod = new Stack(app, 'Prod');
    new MackerelProvider(prod, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(prod, 'Key')) });
    MackerelService.fromName(prod, 'Shop', 'shop');
    expect(warningsOf(prod)).toEqual([]);
  });

  test('not across Stages: their stacks never deploy together, and may not depend on each other', () => {
    const app = new App();
    const dev = new Stage(app, 'Dev');
    const prod = new Stage(app, 'Prod');
    new MackerelService(stackIn(dev, 'Services'), 'Shop', { name: 'shop' });
    const monitors = stackIn(prod, 'Monitors');
    MackerelService.fromName(monitors, 'Shop', 'shop');
    expect(allWarnings(app)).toEqual([]);
  });

  test('within a Stage as between top-level stacks', () => {
    const app = new App();
    const dev = new Stage(app, 'Dev');
    new MackerelService(stackIn(dev, 'Services'), 'Shop', { name: 'shop' });
    MackerelService.fromName(stackIn(dev, 'Monitors'), 'Shop', 'shop');
    expect(allWarnings(app).map((m) => m.id)).toEqual(['/Dev/Monitors/Shop']);
  });

  test('an import in a nested stack counts the dependencies of its top-level stack', () => {
    const { app, stack } = mackerelStack();
    const other = stackIn(app, 'Other');
    other.addDependency(stack);
    MackerelService.fromName(stackIn(other, 'Nested'), 'Shop', 'shop');
    expect(allWarnings(app)).toEqual([]);
  });

  test('a role named by a string built of its service\'s name, created in a stack the importer does not depend on', () => {
    const { app, shop } = mackerelStack();
    new MackerelRole(stackIn(app, 'Roles'), 'Db', { service: shop, name: 'db' });
    const monitors = stackIn(app, 'Monitors');
    const db = MackerelRole.fromFullName(monitors, 'Db', `${shop.name}:db`);
    new MackerelRoleMetadata(monitors, 'Owner', { role: db, namespace: 'owner', metadata: { team: 'payments' } });
    // The reference orders the monitors after the service's stack only, not after the role's.
    const warnings = allWarnings(app);
    expect(warnings.map((m) => m.id)).toEqual(['/Monitors/Db']);
    expect(warnings[0].entry.data).toMatch(/^This role is imported by a name built of its service's name, "shop:db", which Roles\/Db of stack "Roles" creates, /);
  });

  test('not for a role named by a string built of its service\'s name in the service\'s stack, nor by its own fullName', () => {
    const { app, shop, web } = mackerelStack();
    const monitors = stackIn(app, 'Monitors');
    const built = MackerelRole.fromFullName(monitors, 'Web', `${shop.name}:web`);
    new MackerelRoleMetadata(monitors, 'Owner', { role: built, namespace: 'owner', metadata: { team: 'payments' } });
    MackerelRole.fromFullName(monitors, 'WebByRef', web.fullName);
    expect(allWarnings(app)).toEqual([]);
  });
});

describe('a scope given by literal name (MonitorScope.of) that another stack of the app creates', () => {
  const cpu = (scopes: MonitorScope[]) => ({ name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes });

  test('a monitor in a sibling nested stack of the service\'s: by reference or by literal after B.addDependency(A), it deploys after the service, with no cycle', () => {
    // GIVEN "legacy" created in Parent/A, and monitors of it in Parent/B, by reference and by a literal scope
    const siblings = () => {
      const { app } = mackerelStack();
      const parent = stackIn(app, 'Parent');
      const [a, b] = [stackIn(parent, 'A'), stackIn(parent, 'B')];
      const legacy = new MackerelService(a, 'Legacy', { name: 'legacy' });
      const [aId, bId] = [a, b].map((n) => parent.getLogicalId(n.nestedStackResource!));
      return { app, parent, a, b, legacy, aId, bId };
    };
    const byReference = siblings();
    new ServiceMetricMonitor(byReference.b, 'Orders', ordersProps(byReference.legacy));
    new HostMetricMonitor(byReference.b, 'Cpu', cpu([MonitorScope.fromService(byReference.legacy)]));
    // THEN no warning, and B's stack resource takes the name from A's outputs, so A deploys first, and A's not from B's
    expect(allWarnings(byReference.app)).toEqual([]);
    const referenced = byReference.app.synth().getStackByName(byReference.parent.stackName).template.Resources;
    expect(JSON.stringify(referenced[byReference.bId].Properties)).toContain(`{"Fn::GetAtt":["${byReference.aId}",`);
    expect(JSON.stringify(referenced[byReference.aId])).not.toContain(byReference.bId);

    const byLiteral = siblings();
    new HostMetricMonitor(byLiteral.b, 'Cpu', cpu([MonitorScope.of('legacy')]));
    expect(allWarnings(byLiteral.app).map((m) => m.id)).toEqual(['/Parent/B/Cpu']);
    // WHEN the advised stack dependency is added
    const followed = siblings();
    new HostMetricMonitor(followed.b, 'Cpu', cpu([MonitorScope.of('legacy')]));
    followed.b.addDependency(followed.a);
    // THEN no warning, and B's stack resource depends on A's alone
    expect(allWarnings(followed.app)).toEqual([]);
    const ordered = followed.app.synth().getStackByName(followed.parent.stackName).template.Resources;
    expect(ordered[followed.bId].DependsOn).toContain(followed.aId);
    expect(JSON.stringify(ordered[followed.aId])).not.toContain(followed.bId);
  });

  test('a monitor\'s, a downtime\'s and an alert group setting\'s scope are warned about, naming the property and the scope by reference', () => {
    const { other } = twoStacks();
    new HostMetricMonitor(other, 'Cpu', cpu([MonitorScope.of('legacy'), MonitorScope.of('shop:web')]));
    new Downtime(other, 'Maint', { name: 'm', start: new Date('2030-01-01T00:00:00Z'), duration: Duration.hours(1), scopes: [MonitorScope.of('shop')] });
    new AlertGroupSetting(other, 'Group', { name: 'g', scopes: [MonitorScope.of('shop')] });

    const warnings = warningsOf(other);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/Cpu', '/Other/Maint', '/Other/Group']);
    expect(warnings[0].entry.data).toMatch(/^scopes\[1\] "shop:web" is the literal name of a role, which Stack\/Shop\/web of stack "Stack" creates, but stack "Other" does not depend on stack "Stack": a literal orders nothing\. .* Pass it by reference \(MonitorScope\.fromRole\(web\)\), or make stack "Other" depend on stack "Stack" \(stack\.addDependency\) \[ack:/);
    expect(warnings[1].entry.data).toMatch(/^scopes\[0\] "shop" is the literal name of a service, .* Pass it by reference \(MonitorScope\.fromService\(shop\)\), or make/);
  });

  test('a service or role an expression monitor reads by literal name in service(...), role(...) or roleSlots(...) is warned about, naming the function', () => {
    // GIVEN service "shop" and its role "web" created in stack "Stack"
    const { other, shop, web } = twoStacks();
    // WHEN another stack's expression monitor reads them by their literal names, and a third stack's by reference
    const third = stackIn(other.node.scope as App, 'Third');
    new ExpressionMonitor(other, 'Literal', {
      name: 'orders',
      operator: MonitorOperator.LESS_THAN,
      critical: 1,
      expression: 'sum(service(shop, orders.count)) + max(roleSlots("shop:web", loadavg5)) + max(role(shop:db, loadavg5)) + max(role(shop:web, x))',
    });
    new ExpressionMonitor(third, 'Referenced', {
      name: 'orders', operator: MonitorOperator.LESS_THAN, critical: 1, expression: `sum(service(${shop.name}, orders.count)) + max(role(${web.fullName}, x))`,
    });
    // THEN each literal name is warned about once, by the function that first reads it, and the reference not at all
    expect(warningsOf(third)).toEqual([]);
    const warnings = warningsOf(other);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/Literal', '/Other/Literal', '/Other/Literal']);
    const texts = warnings.map((w) => String(w.entry.data));
    expect(texts[0]).toMatch(/^expression service\(\.\.\.\) "shop" is the literal name of a service, which Stack\/Shop of stack "Stack" creates, .* Pass it by reference \(an expression built of it, `service\(\$\{shop\.name\}, …\)`\), or make stack "Other" depend on stack "Stack"/);
    expect(texts[1]).toMatch(/^expression roleSlots\(\.\.\.\) "shop:web" is the literal name of a role, which Stack\/Shop\/web of stack "Stack" creates, .* \(an expression built of it, `roleSlots\(\$\{web\.fullName\}, …\)`\)/);
    expect(texts[2]).toMatch(/^expression role\(\.\.\.\) "shop:db" is the literal name of a role of service "shop", .* Pass a name built of the service's reference \(`role\(\$\{shop\.name\}:db, …\)`\), or make/);
  });

  test('an expression monitor reading by a name known at synth that refers to no construct, or only to the service of the role it reads, is warned about as an import by it is', () => {
    // GIVEN service "shop" and its role "web" created in stack "Stack", and a stack nested in it
    const { app, stack, shop } = mackerelStack();
    const nested = stackIn(stack, 'Nested');
    const other = stackIn(app, 'Other');
    // WHEN the nested stack reads the role by a full name built of the service's name, which orders it after the service alone,
    // another stack reads the service by a Lazy, which orders nothing, and a third reads both by the service's reference
    const expression = (e: string) => ({ name: 'orders', operator: MonitorOperator.LESS_THAN, critical: 1, expression: e });
    new ExpressionMonitor(nested, 'Built', expression(`max(role(${shop.name}:web, loadavg5)) + sum(service(${shop.name}, orders.count))`));
    new ExpressionMonitor(other, 'Lazy', expression(`sum(service(${Lazy.string({ produce: () => 'shop' })}, orders.count))`));
    const third = stackIn(app, 'Third');
    new ExpressionMonitor(third, 'Referenced', expression(`max(role(${shop.name}:web, loadavg5)) + max(role(${shop.name}:db, loadavg5))`));
    // THEN the role read by a built name and the service read by a Lazy are warned about, the service's own reference and the third stack
    // (ordered after stack "Stack" by it) are not
    const warnings = allWarnings(app);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/Lazy', '/Stack/Nested/Built']);
    expect(warnings[0].entry.data).toMatch(/^expression service\(\.\.\.\) "shop" is the literal name of a service, which Stack\/Shop of stack "Stack" creates, .*: a literal orders nothing\./);
    expect(warnings[1].entry.data).toMatch(/^expression role\(\.\.\.\) "shop:web" is the name, built of its service's name, of a role, which Stack\/Shop\/web of stack "Stack" creates, .*: the service's name orders it after the service only\. .* Pass it by reference \(an expression built of it, `role\(\$\{web\.fullName\}, …\)`\), or make nested stack "Stack\/Nested" wait for the role/);
  });

  test('a role that a scope or an expression names is said to be left in Mackerel by a destroy, as the handler leaves it, not deleted', () => {
    // GIVEN role "shop:web" created in stack "Stack"
    const { other } = twoStacks();
    // WHEN another stack names it in a monitor's scopes and reads it in an expression by its literal name
    new HostMetricMonitor(other, 'Cpu', cpu([MonitorScope.of('shop:web')]));
    new ExpressionMonitor(other, 'Slots', { name: 'slots', operator: MonitorOperator.LESS_THAN, critical: 1, expression: 'max(roleSlots(shop:web, loadavg5))' });
    // THEN both say the handler's delete leaves the role for them (it is still named), as it does a service
    const warnings = warningsOf(other);
    expect(warnings.map((w) => w.id)).toEqual(['/Other/Cpu', '/Other/Slots']);
    for (const w of warnings) {
      expect(w.entry.data).toMatch(/a destroy may delete stack "Stack" first, leaving the role in Mackerel for what still uses it\. /);
    }
  });

  test('a role the app does not create, of a service another stack creates, is warned about for the service, with a name built of the service\'s as the remedy', () => {
    const { other } = twoStacks();
    new HostMetricMonitor(other, 'Cpu', cpu([MonitorScope.of('shop:db')]));
    MackerelMonitoring.forRole(other, 'DbAlerts', { roleFullName: 'shop:db' });
    const warnings = warningsOf(other).map((w) => w.entry.data);
    expect(warnings).toEqual([
      expect.stringMatching(/^scopes\[0\] "shop:db" is the literal name of a role of service "shop", which Stack\/Shop of stack "Stack" creates, /),
      expect.stringMatching(/^roleFullName "shop:db" is the literal name of a role of service "shop", which Stack\/Shop of stack "Stack" creates, /),
    ]);
    // There is no role `web` to pass: the remedy names the role's own name, built of the service's.
    expect(warnings[0]).toMatch(/Pass a name built of the service's reference \(MonitorScope\.fromRole\(MackerelRole\.fromFullName\(scope, id, `\$\{shop\.name\}:db`\)\)\), or make stack "Other"/);
    expect(warnings[1]).toMatch(/Pass a name built of the service's reference \(roleFullName: `\$\{shop\.name\}:db`\), or make stack "Other"/);
    for (const warning of warnings) expect(warning).not.toMatch(/fromRole\(web\)|web\.fullName/);
  });

  test('the advice for a role the app does not create is heeded: a name built of the service\'s name is not warned about', () => {
    const { shop, other } = twoStacks();
    MackerelRole.fromFullName(other, 'Db', `${shop.name}:db`);
    new HostMetricMonitor(other, 'Cpu', cpu([MonitorScope.fromRole(MackerelRole.fromFullName(other, 'Db2', `${shop.name}:db`))]));
    MackerelMonitoring.forRole(other, 'DbAlerts', { roleFullName: `${shop.name}:db` });
    expect(warningsOf(other)).toEqual([]);
  });

  test('not when the stacks are ordered, in the creator\'s own stack, for a scope by reference or by an import (which warns itself)', () => {
    const { stack, shop, other } = twoStacks();
    new HostMetricMonitor(stack, 'Cpu', cpu([MonitorScope.of('shop:web')]));
    new HostMetricMonitor(other, 'ByImport', cpu([MonitorScope.fromService(MackerelService.fromName(other, 'Shop', 'shop'))]));
    const byRef = stackIn(other.node.root as App, 'ByRef');
    new HostMetricMonitor(byRef, 'Cpu', cpu([MonitorScope.fromService(shop)]));
    expect(warningsOf(stack)).toEqual([]);
    expect(warningsOf(other).map((w) => w.id)).toEqual(['/Other/Shop']);
    expect(warningsOf(byRef)).toEqual([]);

    const third = stackIn(other.node.root as App, 'Third');
    third.addDependency(stack);
    new HostMetricMonitor(third, 'Cpu', cpu([MonitorScope.of('shop')]));
    expect(warningsOf(third)).toEqual([]);
  });
});

test('an AWS integration\'s role given by literal full name that another stack creates is warned about', () => {
  const { app, shop } = mackerelStack();
  const roles = stackIn(app, 'Roles');
  const ecs = new MackerelRole(roles, 'Ecs', { service: shop, name: 'ecs' });
  const byLiteral = stackIn(app, 'ByLiteral');
  new MackerelAwsIntegration(byLiteral, 'Aws', { name: 'prod' }).addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
  const byReference = stackIn(app, 'ByReference');
  new MackerelAwsIntegration(byReference, 'Aws', { name: 'prod2' }).addService(AwsIntegrationService.ECS_CLUSTER, { role: ecs.fullName });

  const warnings = allWarnings(app);
  expect(warnings.map((m) => m.id)).toEqual(['/ByLiteral/Aws']);
  expect(warnings[0].entry.data).toMatch(/^services\.ECSCluster\.role "shop:ecs" is the literal name of a role, which Roles\/Ecs of stack "Roles" creates, .* Pass it by reference \(role: ecs\.fullName\), or make stack "ByLiteral" depend on stack "Roles"/);
});

test('an AWS integration\'s role the app does not create, of a service another stack creates, is told to build the name of the service\'s', () => {
  const { app, shop } = mackerelStack();
  const byLiteral = stackIn(app, 'ByLiteral');
  new MackerelAwsIntegration(byLiteral, 'Aws', { name: 'prod' }).addService(AwsIntegrationService.ECS_CLUSTER, { role: 'shop:ecs' });
  const built = stackIn(app, 'Built');
  new MackerelAwsIntegration(built, 'Aws', { name: 'prod2' }).addService(AwsIntegrationService.ECS_CLUSTER, { role: `${shop.name}:ecs` });

  const warnings = allWarnings(app);
  expect(warnings.map((m) => m.id)).toEqual(['/ByLiteral/Aws']);
  expect(warnings[0].entry.data).toMatch(/^services\.ECSCluster\.role "shop:ecs" is the literal name of a role of service "shop", .* Pass a name built of the service's reference \(role: `\$\{shop\.name\}:ecs`\), or make stack "ByLiteral" depend on stack "Stack"/);
});

describe('services and roles are looked up in the app as it is when validated', () => {
  test('a Stage synthesized after another has, with its stacks added since, is warned about', () => {
    const { app } = mackerelStack();
    const first = new Stage(app, 'First');
    MackerelService.fromName(stackIn(first, 'Other'), 'Cart', 'cart');
    new MackerelService(stackIn(first, 'Cart'), 'Cart', { name: 'cart' });
    expect(first.synth().stacks.flatMap((s) => s.messages).map((m) => m.id)).toEqual(['/First/Other/Cart']);

    const second = new Stage(app, 'Second');
    new MackerelService(stackIn(second, 'Orders'), 'Orders', { name: 'orders' });
    MackerelService.fromName(stackIn(second, 'Other'), 'Orders', 'orders');
    const warnings = second.synth().stacks.flatMap((s) => s.messages);
    expect(warnings.map((m) => m.id)).toEqual(['/Second/Other/Orders']);
    expect(warnings[0].entry.data).toMatch(/^This service is imported by its literal name "orders", which Second\/Orders\/Orders of stack "Second\/Orders" creates, /);
  });

  test('a service removed before synthesizing again no longer makes another one its repeat', () => {
    const { app, stack, other } = twoStacks();
    new MackerelService(other, 'Shop', { name: 'shop' });
    expect(() => app.synth()).toThrow('[Other/Shop] name "shop" creates the same service as Stack/Shop;');

    stack.node.tryRemoveChild('Shop');
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  test('a validation run outside synth takes a service removed from the tree since for no other one\'s repeat, nor for an import\'s creator', () => {
    // GIVEN "shop" created twice, and "cart" imported by its literal name in Other and created in Stack, each validated once (the index is built)
    const { stack, other } = twoStacks();
    const repeat = new MackerelService(other, 'Shop', { name: 'shop' });
    const cart = MackerelService.fromName(other, 'Cart', 'cart');
    new MackerelService(stack, 'Cart', { name: 'cart' });
    expect(repeat.node.validate()).toEqual([expect.stringContaining('name "shop" creates the same service as Stack/Shop;')]);
    cart.node.validate();
    expect(cart.node.metadata.map((m) => m.data)).toEqual([expect.stringMatching(/^This service is imported by its literal name "cart", which Stack\/Cart /)]);

    // WHEN Stack's services are removed, which adds no keyed construct (the index is kept)
    stack.node.tryRemoveChild('Shop');
    stack.node.tryRemoveChild('Cart');

    // THEN neither is found again
    expect(repeat.node.validate()).toEqual([]);
    cart.node.validate();
    expect(cart.node.metadata).toHaveLength(1);
  });

  test('a validation run outside synth sees a creator added after the last synth', () => {
    const { app, stack } = twoStacks();
    const cart = MackerelService.fromName(app.node.findChild('Other'), 'Cart', 'cart');
    expect(allWarnings(app)).toEqual([]);

    new MackerelService(stack, 'Cart', { name: 'cart' });
    cart.node.validate();
    expect(cart.node.metadata.map((m) => m.data)).toEqual([expect.stringMatching(/^This service is imported by its literal name "cart", which Stack\/Cart of stack "Stack" creates, /)]);
  });
});
