import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack, propertiesOf } from './_fixture';
import { MackerelService, MonitorOperator, ServiceMetricMonitor, ServiceMetricMonitorProps } from '../../src';

function ordersProps(service: ServiceMetricMonitorProps['service']): ServiceMetricMonitorProps {
  return { name: 'orders', service, metric: 'shop.orders.count', operator: MonitorOperator.LESS_THAN, warning: 10, duration: 3 };
}

describe('ServiceMetricMonitor', () => {
  test('renders every field of a service monitor; service refers to the service resource', () => {
    const { stack, shop } = mackerelStack();

    const orders = new ServiceMetricMonitor(stack, 'Orders', {
      ...ordersProps(shop),
      critical: 2,
      maxCheckAttempts: 2,
      missingDurationWarning: Duration.minutes(30),
      missingDurationCritical: Duration.days(7),
    });

    expect(propertiesOf(orders)).toEqual({
      ServiceToken: expect.anything(),
      type: 'service',
      name: 'orders',
      service: { Ref: logicalIdOf(shop) },
      metric: 'shop.orders.count',
      operator: '<',
      warning: 10,
      critical: 2,
      duration: 3,
      maxCheckAttempts: 2,
      missingDurationWarning: 30,
      missingDurationCritical: 10080,
    });
  });

  test('a referenced service is written by name, and optional fields are left out', () => {
    const { stack } = mackerelStack();

    new ServiceMetricMonitor(stack, 'Orders', ordersProps(MackerelService.fromName(stack, 'Legacy', 'legacy')));

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
      type: 'service',
      service: 'legacy',
      critical: Match.absent(),
      maxCheckAttempts: Match.absent(),
      missingDurationWarning: Match.absent(),
      missingDurationCritical: Match.absent(),
    });
  });

  describe('rejected input', () => {
    test.each([0, 11, 2.5])('duration %d (points)', (duration) => {
      const { stack, shop } = mackerelStack();

      expect(() => new ServiceMetricMonitor(stack, 'Orders', { ...ordersProps(shop), duration }))
        .toThrow(new RegExp(`Stack/Orders: duration ${duration} is out of range; expected a whole number of points from 1 to 10`));
    });

    test('maxCheckAttempts 11', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ServiceMetricMonitor(stack, 'Orders', { ...ordersProps(shop), maxCheckAttempts: 11 }))
        .toThrow(/Stack\/Orders: maxCheckAttempts 11 is out of range; expected a whole number from 1 to 10/);
    });

    test.each([
      ['missingDurationWarning', Duration.minutes(15), '15 minutes'],
      ['missingDurationWarning', Duration.minutes(0), '0 minutes'],
      ['missingDurationCritical', Duration.minutes(10090), '7 days 10 minutes'],
    ])('%s %s', (field, value, shown) => {
      const { stack, shop } = mackerelStack();

      expect(() => new ServiceMetricMonitor(stack, 'Orders', { ...ordersProps(shop), [field]: value }))
        .toThrow(new RegExp(`Stack/Orders: ${field} "${shown}" is out of range; expected a multiple of 10 minutes from 10 to 10080`));
    });

    test.each([
      ['missingDurationWarning', Duration.minutes(0), 'WARNING'],
      ['missingDurationCritical', Duration.days(0), 'CRITICAL'],
    ])('%s of zero says to leave it out, as Mackerel documents no meaning for 0', (field, value, level) => {
      const { stack, shop } = mackerelStack();

      expect(() => new ServiceMetricMonitor(stack, 'Orders', { ...ordersProps(shop), [field]: value }))
        .toThrow(`Stack/Orders: ${field} "${value.toHumanString()}" is out of range; expected a multiple of 10 minutes from 10 to 10080. `
          + `Leave ${field} out for no ${level} alert on metric interruption; Mackerel documents no meaning for 0`);
    });

    test('missingDurationCritical that is not whole minutes', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ServiceMetricMonitor(stack, 'Orders', { ...ordersProps(shop), missingDurationCritical: Duration.seconds(610) }))
        .toThrow(/Stack\/Orders: missingDurationCritical "10 minutes 10 seconds" is not a whole number of minutes/);
    });

    test('an empty metric', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ServiceMetricMonitor(stack, 'Orders', { ...ordersProps(shop), metric: ' ' }))
        .toThrow(/Stack\/Orders: metric " " is empty; expected a service metric name/);
    });

    test('a metric with a tab in it', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ServiceMetricMonitor(stack, 'Orders', { ...ordersProps(shop), metric: 'shop.orders\tcount' }))
        .toThrow('Stack/Orders: metric "shop.orders\\tcount" holds a space or control character (U+0009 at character 12); expected a service metric name without spaces');
    });

    test('no thresholds', () => {
      const { stack, shop } = mackerelStack();

      expect(() => new ServiceMetricMonitor(stack, 'Orders', { ...ordersProps(shop), warning: undefined }))
        .toThrow(/Stack\/Orders: warning undefined and critical are both missing/);
    });
  });
});
