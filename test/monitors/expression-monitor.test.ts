import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { mackerelStack, propertiesOf } from './_fixture';
import { ExpressionMonitor, ExpressionMonitorProps, MonitorOperator } from '../../src';

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
