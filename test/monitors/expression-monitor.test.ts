import { Aws, CfnParameter, CfnResource, Duration, Fn, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack, propertiesOf } from './_fixture';
import { ExpressionMonitor, ExpressionMonitorProps, MackerelApiKey, MackerelProvider, MackerelService, MonitorOperator } from '../../src';

const TASKS: ExpressionMonitorProps = {
  name: 'running tasks', expression: "count(role(shop:web, 'container-cpu%'))", operator: MonitorOperator.LESS_THAN, critical: 2,
};

describe('ExpressionMonitor', () => {
  test('renders every field of an expression monitor', () => {
    const { stack } = mackerelStack();

    const tasks = new ExpressionMonitor(stack, 'Tasks', { ...TASKS, warning: 3, evaluateBackwardMinutes: Duration.minutes(5) });

    expect(propertiesOf(tasks)).toEqual({
      ServiceToken: expect.anything(),
      type: 'expression',
      name: 'running tasks',
      expression: "count(role(shop:web, 'container-cpu%'))",
      operator: '<',
      warning: 3,
      critical: 2,
      evaluateBackwardMinutes: 5,
    });
  });

  test('evaluateBackwardMinutes is left to Mackerel (2 minutes) when not given', () => {
    const { stack } = mackerelStack();

    new ExpressionMonitor(stack, 'Tasks', TASKS);

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { type: 'expression', evaluateBackwardMinutes: Match.absent() });
  });

  describe('a service or role of the same stack that the expression reads by its literal name', () => {
    // The handler leaves a service or role that an expression monitor still reads by service(...), role(...) or
    // roleSlots(...): with no dependency, CloudFormation may delete this stack's service while its monitor still reads it.
    const dependsOn = (monitor: ExpressionMonitor) => Template.fromStack(Stack.of(monitor)).toJSON().Resources[logicalIdOf(monitor)].DependsOn ?? [];

    test('the monitor depends on the service it reads by service(...), quoted or spaced, and on the role it reads by role(...) or roleSlots(...)', () => {
      // GIVEN
      const { stack, web } = mackerelStack();
      const blog = new MackerelService(stack, 'Blog', { name: 'blog' });
      const other = new MackerelService(stack, 'Other', { name: 'other' });
      const api = other.addRole('api');
      // WHEN
      const reads = new ExpressionMonitor(stack, 'Reads', { ...TASKS, expression: "sum(service( 'blog' , orders.count))" });
      const role = new ExpressionMonitor(stack, 'Role', TASKS);
      const slots = new ExpressionMonitor(stack, 'Slots', { ...TASKS, expression: 'avg(roleSlots("other : api", loadavg5))' });
      // THEN
      expect(dependsOn(reads)).toEqual([logicalIdOf(blog)]);
      expect(dependsOn(role)).toEqual([logicalIdOf(web)]);
      expect(dependsOn(slots)).toEqual([logicalIdOf(api)]);
      // ordered in its own stack, a literal name is not warned about as one of another stack is
      expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('importedByLiteralName'))).toEqual([]);
    });

    test('look-alikes read nothing of the stack', () => {
      // GIVEN
      const { stack } = mackerelStack();
      // WHEN
      const lookAlikes = new ExpressionMonitor(stack, 'LookAlikes', { ...TASKS, expression: 'sum(myservice(shop, m), service(shopx, m), x.role(shop:web, m))' });
      // THEN
      expect(dependsOn(lookAlikes)).toEqual([]);
    });
  });

  describe('an expression given as a token is searched as the template writes it', () => {
    const dependsOn = (monitor: ExpressionMonitor) => Template.fromStack(Stack.of(monitor)).toJSON().Resources[logicalIdOf(monitor)].DependsOn ?? [];
    const expression = (e: string): ExpressionMonitorProps => ({ ...TASKS, expression: e });

    test('a Lazy, Fn.sub and Fn.join of literals each depend on what they read by literal name, the Lazy read once final', () => {
      // GIVEN
      const { stack, web } = mackerelStack();
      const blog = new MackerelService(stack, 'Blog', { name: 'blog' });
      let read = 'shop:x';
      // WHEN
      const lazy = new ExpressionMonitor(stack, 'Lazy', expression(Lazy.string({ produce: () => `count(role(${read}, 'container-cpu%'))` })));
      const sub = new ExpressionMonitor(stack, 'Sub', expression(Fn.sub("sum(service(${Name}, orders.count)) + max(roleSlots('${!x}', m))", { Name: 'blog' })));
      const join = new ExpressionMonitor(stack, 'Join', expression(Fn.join('', ['max(roleSlots(', '"shop:web"', ', loadavg5))'])));
      read = 'shop:web';
      // THEN
      expect(dependsOn(lazy)).toEqual([logicalIdOf(web)]);
      expect(dependsOn(sub)).toEqual([logicalIdOf(blog)]);
      expect(dependsOn(join)).toEqual([logicalIdOf(web)]);
    });

    test('Fn.join of a service\'s reference waits for the role it builds the name of; a role\'s own reference is ordered by its Ref', () => {
      // GIVEN
      const { stack, shop, web } = mackerelStack();
      // WHEN
      const built = new ExpressionMonitor(stack, 'Built', expression(Fn.join('', ['max(role(', shop.name, ':web, loadavg5))'])));
      const referenced = new ExpressionMonitor(stack, 'Referenced', expression(Fn.join('', ['max(role(', web.fullName, ', loadavg5))'])));
      // THEN the Ref in the expression orders the service (or role) already, as CloudFormation reads it
      expect(propertiesOf(built).expression).toEqual({ 'Fn::Join': ['', ['max(role(', { Ref: logicalIdOf(shop) }, ':web, loadavg5))']] });
      expect(dependsOn(built)).toEqual([logicalIdOf(web)]);
      expect(JSON.stringify(propertiesOf(referenced).expression)).toContain(JSON.stringify({ Ref: logicalIdOf(web) }));
      expect(dependsOn(referenced)).toEqual([]);
    });

    test('Fn.sub naming a service\'s or role\'s logical ID refers to it as its reference does, read by the logical ID the template ends with', () => {
      // GIVEN
      const { stack, shop, web } = mackerelStack();
      const blog = new MackerelService(stack, 'Blog', { name: 'blog' });
      blog.addRole('db');
      // WHEN each names a logical ID as CloudFormation reads it in Fn::Sub: ${Shop} is shop's Ref, its name
      const built = new ExpressionMonitor(stack, 'Built', expression(Fn.sub(`max(role(\${${logicalIdOf(shop)}}:web, loadavg5))`)));
      const referenced = new ExpressionMonitor(stack, 'Referenced', expression(Fn.sub(`max(role(\${${logicalIdOf(web)}}, loadavg5))`)));
      // a logical ID given after the monitor is made, as later code of the app may give it, and one a variable of the Fn::Sub shadows
      const renamed = new ExpressionMonitor(stack, 'Renamed', expression(Fn.sub('max(role(${BlogService}:db, loadavg5))')));
      const shadowed = new ExpressionMonitor(stack, 'Shadowed', expression(Fn.sub(`max(role(\${${logicalIdOf(shop)}}:web, loadavg5))`, { [logicalIdOf(shop)]: 'x' })));
      (blog.node.findChild('Resource').node.defaultChild as CfnResource).overrideLogicalId('BlogService');
      // THEN as Fn.join of shop.name: the role it builds the name of is waited for; a role's own reference is ordered by its Ref
      expect(dependsOn(built)).toEqual([logicalIdOf(web)]);
      expect(dependsOn(referenced)).toEqual([]);
      expect(dependsOn(renamed)).toEqual([logicalIdOf(blog.node.findChild('db'))]);
      expect(dependsOn(shadowed)).toEqual([]);
    });

    test('Fn.sub naming a service\'s logical ID with blanks around it refers to it, as CloudFormation reads the name alone', () => {
      // GIVEN
      const { stack, shop, web } = mackerelStack();
      // WHEN
      const built = new ExpressionMonitor(stack, 'Built', expression(Fn.sub(`max(role(\${ ${logicalIdOf(shop)} }:web, loadavg5))`)));
      const shadowed = new ExpressionMonitor(stack, 'Shadowed', expression(Fn.sub(`max(role(\${ ${logicalIdOf(shop)} }:web, loadavg5))`, { [logicalIdOf(shop)]: 'x' })));
      // THEN the role it builds the name of is waited for, as with \${Shop}; a variable given a value names no service
      expect(dependsOn(built)).toEqual([logicalIdOf(web)]);
      expect(dependsOn(shadowed)).toEqual([]);
    });

    test('a part known only at deploy time names nothing', () => {
      // GIVEN
      const { stack } = mackerelStack();
      // WHEN
      const region = new ExpressionMonitor(stack, 'Region', expression(Fn.join('', ['max(role(shop', Aws.REGION, ':web, loadavg5))'])));
      const sub = new ExpressionMonitor(stack, 'Sub', expression(Fn.sub('max(role(${AWS::Region}:web, loadavg5))')));
      // THEN
      expect(dependsOn(region)).toEqual([]);
      expect(dependsOn(sub)).toEqual([]);
    });

    test('an intrinsic inside a template string (Fn.select) is a part known only at deploy time, not the text [object Object]', () => {
      // GIVEN the service shop of another stack, which a role name of it read by a literal would be warned about
      const { app } = mackerelStack();
      const other = new Stack(app, 'Other');
      new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(other, 'Key', 'x')) });
      // WHEN the role's name is an intrinsic put into a template string
      const selected = new ExpressionMonitor(other, 'Selected', expression(`max(role(shop:${Fn.select(0, Fn.split(',', Aws.STACK_NAME))}, loadavg5))`));
      // THEN CloudFormation reads a role of shop it cannot tell at synth: no role "shop:[object Object]" of service shop is warned about
      expect(propertiesOf(selected).expression).toEqual({ 'Fn::Join': ['', ['max(role(shop:', { 'Fn::Select': [0, { 'Fn::Split': [',', { Ref: 'AWS::StackName' }] }] }, ', loadavg5))']] });
      expect(Annotations.fromStack(other).findWarning('*', Match.stringLikeRegexp('importedByLiteralName'))).toEqual([]);
    });

    test('another stack\'s service or role read by a Lazy or Fn.sub is warned about as a literal name is', () => {
      // GIVEN
      const { app } = mackerelStack();
      const other = new Stack(app, 'Other');
      new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(other, 'Key', 'x')) });
      // WHEN
      new ExpressionMonitor(other, 'Lazy', expression(Lazy.string({ produce: () => "count(role(shop:web, 'container-cpu%'))" })));
      new ExpressionMonitor(other, 'Sub', expression(Fn.sub('sum(service(${Name}, orders.count))', { Name: 'shop' })));
      // THEN
      const warnings = Annotations.fromStack(other).findWarning('*', Match.stringLikeRegexp('importedByLiteralName'));
      expect(warnings.map((w) => [w.id, w.entry.data])).toEqual([
        ['/Other/Lazy', expect.stringMatching(/^expression role\(\.\.\.\) "shop:web" is the literal name of a role, which Stack\/Shop\/web of stack "Stack" creates/)],
        ['/Other/Sub', expect.stringMatching(/^expression service\(\.\.\.\) "shop" is the literal name of a service, which Stack\/Shop of stack "Stack" creates/)],
      ]);
    });
  });

  describe('rejected input', () => {
    test.each([
      [Duration.minutes(1), '1 minute'],
      [Duration.minutes(11), '11 minutes'],
    ])('evaluateBackwardMinutes %s', (evaluateBackwardMinutes, shown) => {
      const { stack } = mackerelStack();

      expect(() => new ExpressionMonitor(stack, 'Tasks', { ...TASKS, evaluateBackwardMinutes }))
        .toThrow(new RegExp(`Stack/Tasks: evaluateBackwardMinutes "${shown}" is out of range; expected a whole number of minutes from 2 to 10`));
    });

    test('an empty expression', () => {
      const { stack } = mackerelStack();

      expect(() => new ExpressionMonitor(stack, 'Tasks', { ...TASKS, expression: '' })).toThrow(/Stack\/Tasks: expression "" is empty; expected a graph expression/);
    });

    test.each([
      ['a parenthesis left open', "avg(roleSlots('shop:web', 'loadavg5')"],
      ['a parenthesis closed twice', "avg(roleSlots('shop:web', 'loadavg5')))"],
      ['a quote left open', "avg(roleSlots('shop:web, 'loadavg5'))"],
    ])('an expression with %s (Mackerel cannot parse it)', (_what, expression) => {
      const { stack } = mackerelStack();

      expect(() => new ExpressionMonitor(stack, 'Tasks', { ...TASKS, expression }))
        .toThrow(/Stack\/Tasks: expression ".*" has a parenthesis without its pair or a quote left open; expected a graph expression Mackerel can parse/);
    });

    test('an expression given as a token known at synth (a Lazy, Fn.join of literals) is checked once final', () => {
      const { app, stack } = mackerelStack();
      let expression = "avg(roleSlots('shop:web', 'loadavg5'))";
      new ExpressionMonitor(stack, 'Lazy', { ...TASKS, expression: Lazy.string({ produce: () => expression }) });
      new ExpressionMonitor(stack, 'Join', { ...TASKS, expression: Fn.join('', ['avg(', "roleSlots('shop:web', 'loadavg5')"]) });
      new ExpressionMonitor(stack, 'Empty', { ...TASKS, expression: Lazy.string({ produce: () => ' ' }) });
      // one built of a reference is known only at deploy time: not checked
      new ExpressionMonitor(stack, 'Referenced', { ...TASKS, expression: Fn.join('', ['avg(role(', new CfnParameter(stack, 'Svc').valueAsString, ':web, loadavg5)']) });
      expression = "avg(roleSlots('shop:web', 'loadavg5')";

      expect(() => app.synth()).toThrow(new RegExp([
        'Validation failed with the following errors:',
        '  \\[Stack/Lazy\\] expression "avg\\(roleSlots\\(\'shop:web\', \'loadavg5\'\\)" has a parenthesis without its pair or a quote left open; expected a graph expression Mackerel can parse',
        '  \\[Stack/Join\\] expression "avg\\(roleSlots\\(\'shop:web\', \'loadavg5\'\\)" has a parenthesis without its pair or a quote left open; expected a graph expression Mackerel can parse',
        '  \\[Stack/Empty\\] expression " " is empty; expected a graph expression$',
      ].join('\n')));
    });

    test('parentheses and quotes inside a quoted string do not count', () => {
      const { stack } = mackerelStack();

      const monitor = new ExpressionMonitor(stack, 'Tasks', { ...TASKS, expression: 'alias(avg(roleSlots("shop:web","loadavg5")), "load (\\"avg\\")")' });

      expect(propertiesOf(monitor)).toMatchObject({ expression: 'alias(avg(roleSlots("shop:web","loadavg5")), "load (\\"avg\\")")' });
    });

    test('an operator other than > and <', () => {
      const { stack } = mackerelStack();

      expect(() => new ExpressionMonitor(stack, 'Tasks', { ...TASKS, operator: '=' as MonitorOperator }))
        .toThrow(/Stack\/Tasks: operator "=" is not allowed; expected one of ">", "<"/);
    });

    test('no thresholds', () => {
      const { stack } = mackerelStack();

      expect(() => new ExpressionMonitor(stack, 'Tasks', { ...TASKS, critical: undefined }))
        .toThrow(/Stack\/Tasks: warning undefined and critical are both missing; expected at least one of warning and critical/);
    });
  });
});
