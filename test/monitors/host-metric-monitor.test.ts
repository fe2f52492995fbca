import { Duration, Fn, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack, propertiesOf } from './_fixture';
import { HostMetricMonitor, HostMetricMonitorProps, MonitorOperator, MonitorScope } from '../../src';

const CPU: HostMetricMonitorProps = {
  name: 'web cpu',
  metric: 'container-cpu%',
  operator: MonitorOperator.GREATER_THAN,
  warning: 80,
  critical: 90,
  duration: Duration.minutes(3),
};

describe('HostMetricMonitor', () => {
  test('renders every field of a host monitor, with numbers as numbers and scopes as references', () => {
    // GIVEN
    const { stack, shop, web } = mackerelStack();

    // WHEN
    const cpu = new HostMetricMonitor(stack, 'Cpu', {
      ...CPU,
      maxCheckAttempts: 3,
      scopes: [MonitorScope.fromRole(web), MonitorScope.of('legacy:db')],
      excludeScopes: [MonitorScope.fromService(shop)],
      notificationInterval: Duration.minutes(60),
    });

    // THEN
    expect(propertiesOf(cpu)).toEqual({
      ServiceToken: expect.anything(),
      type: 'host',
      name: 'web cpu',
      metric: 'container-cpu%',
      operator: '>',
      warning: 80,
      critical: 90,
      duration: 3,
      maxCheckAttempts: 3,
      scopes: [{ Ref: logicalIdOf(web) }, 'legacy:db'],
      excludeScopes: [{ Ref: logicalIdOf(shop) }],
      notificationInterval: 60,
    });
  });

  test('optional fields are left out when not given', () => {
    const { stack } = mackerelStack();

    new HostMetricMonitor(stack, 'Load', { name: 'load', metric: 'loadavg5', operator: MonitorOperator.LESS_THAN, critical: 1, duration: Duration.minutes(1) });

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
      type: 'host',
      operator: '<',
      critical: 1,
      duration: 1,
      warning: Match.absent(),
      maxCheckAttempts: Match.absent(),
      scopes: Match.absent(),
      excludeScopes: Match.absent(),
    });
  });

  test('comparative metrics take thresholds at both ends of 0-100', () => {
    const { stack } = mackerelStack();

    const low = new HostMetricMonitor(stack, 'Free', { ...CPU, metric: 'disk%', operator: MonitorOperator.LESS_THAN, warning: 0, critical: undefined });
    const high = new HostMetricMonitor(stack, 'Full', { ...CPU, metric: 'swap%', warning: undefined, critical: 100 });

    expect(propertiesOf(low)).toMatchObject({ metric: 'disk%', warning: 0 });
    expect(propertiesOf(high)).toMatchObject({ metric: 'swap%', critical: 100 });
  });

  test('non-comparative metrics may have thresholds above 100', () => {
    const { stack } = mackerelStack();

    new HostMetricMonitor(stack, 'Load', { ...CPU, metric: 'custom.queue.length', warning: 500, critical: 1000 });

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { metric: 'custom.queue.length', critical: 1000 });
  });

  test('deploy-time values (tokens) pass unchecked', () => {
    const { stack } = mackerelStack();
    const metric = Fn.importValue('Metric');
    const warning = Token.asNumber(Fn.importValue('Warning'));

    new HostMetricMonitor(stack, 'Cpu', { ...CPU, metric, warning, maxCheckAttempts: Token.asNumber(Fn.importValue('Attempts')) });

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
      metric: { 'Fn::ImportValue': 'Metric' }, warning: { 'Fn::ImportValue': 'Warning' }, maxCheckAttempts: { 'Fn::ImportValue': 'Attempts' },
    });
  });

  describe('rejected input', () => {
    test.each([
      ['cpu%', 'warning', 101],
      ['memory%', 'critical', -1],
      ['disk%', 'warning', 100.5],
      ['swap%', 'critical', 101],
      ['container-cpu%', 'warning', -0.5],
      ['container-memory%', 'critical', 100.5],
    ])('%s with %s %d (comparative metrics are percentages)', (metric, field, value) => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Cpu', { ...CPU, metric, [field]: value }))
        .toThrow(new RegExp(`Stack/Cpu: ${field} ${value} is not a percentage, but "${metric.replace('%', '%')}" is measured in percent; expected a number from 0 to 100`));
    });

    test.each([
      [Duration.minutes(0), /Stack\/Cpu: duration "0 minutes" is out of range; expected a whole number of minutes from 1 to 10/],
      [Duration.minutes(11), /Stack\/Cpu: duration "11 minutes" is out of range; expected a whole number of minutes from 1 to 10/],
      [Duration.seconds(90), /Stack\/Cpu: duration "1 minute 30 seconds" is not a whole number of minutes; expected a whole number of minutes from 1 to 10/],
    ])('duration %s', (duration, message) => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Cpu', { ...CPU, duration })).toThrow(message);
    });

    test.each([0, 11, 1.5])('maxCheckAttempts %d', (maxCheckAttempts) => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Cpu', { ...CPU, maxCheckAttempts }))
        .toThrow(new RegExp(`Stack/Cpu: maxCheckAttempts ${maxCheckAttempts} is out of range; expected a whole number from 1 to 10`));
    });

    test('an empty metric', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Cpu', { ...CPU, metric: '' })).toThrow(/Stack\/Cpu: metric "" is empty; expected a host metric name/);
    });

    test.each([
      ['a space pasted before a percentage metric, which would no longer be read as one', ' cpu%', 'U+0020 at character 1'],
      ['the newline of a name read from a file', 'custom.queue.depth\n', 'U+000A at character 19'],
    ])('a metric with %s: no metric is named so, and the monitor would never alert', (_what, metric, where) => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Cpu', { ...CPU, metric }))
        .toThrow(`Stack/Cpu: metric ${JSON.stringify(metric)} holds a space or control character (${where}); expected a host metric name without spaces or control characters`);
    });

    test('an invalid scope string, naming its index', () => {
      const { stack, web } = mackerelStack();
      const bad = MonitorScope.fromService({ name: 'shop:web!' } as never);

      expect(() => new HostMetricMonitor(stack, 'Cpu', { ...CPU, scopes: [MonitorScope.fromRole(web), bad] }))
        .toThrow(/Stack\/Cpu: scopes\[1\] "shop:web!" is not a Mackerel service name or role full name; expected service or service:role/);
    });
  });

  describe('a running-task count of the ECS integration', () => {
    const TASKS = { name: 'tasks', metric: 'ecs.running_task.web.count', duration: Duration.minutes(1) };

    test('"fewer than" warns that 0 tasks posts no value', () => {
      const { stack } = mackerelStack();
      new HostMetricMonitor(stack, 'Tasks', { ...TASKS, operator: MonitorOperator.LESS_THAN, critical: 1 });
      Annotations.fromStack(stack).hasWarning('/Stack/Tasks',
        Match.stringLikeRegexp('metric "ecs.running_task.web.count" with operator "<" cannot alert on 0 running tasks: Mackerel posts no value while no task runs.*\\[ack: cdk-mackerel:runningTaskCountAtZero\\]'));
    });

    test('"more than", "fewer than" a higher count (which still catches a service short of tasks), or another metric, does not warn', () => {
      const { stack } = mackerelStack();
      new HostMetricMonitor(stack, 'TooMany', { ...TASKS, operator: MonitorOperator.GREATER_THAN, critical: 20 });
      new HostMetricMonitor(stack, 'TooFew', { ...TASKS, operator: MonitorOperator.LESS_THAN, warning: 3, critical: 1 });
      new HostMetricMonitor(stack, 'Idle', { ...CPU, operator: MonitorOperator.LESS_THAN, warning: 5, critical: 1 });
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });
  });
});
