import { Duration, Token } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, test } from 'vitest';
import { mackerelStack } from './_fixture';
import {
  AnomalyDetectionMonitor, AnomalySensitivity, ExpressionMonitor, ExternalHttpMonitor, HostMetricMonitor, MonitorOperator, MonitorScope, QueryMonitor,
  ServiceMetricMonitor,
} from '../../src';

type Stack = ReturnType<typeof mackerelStack>;
type Make = (s: Stack, operator: MonitorOperator, warning: number, critical: number) => void;

/** The four monitors that compare a value with `warning` and `critical`. */
const THRESHOLD_MONITORS: Array<[string, Make]> = [
  ['HostMetricMonitor', ({ stack }, operator, warning, critical) =>
    new HostMetricMonitor(stack, 'M', { name: 'load', metric: 'loadavg5', operator, warning, critical, duration: Duration.minutes(5) })],
  ['ServiceMetricMonitor', ({ stack, shop }, operator, warning, critical) =>
    new ServiceMetricMonitor(stack, 'M', { name: 'orders', service: shop, metric: 'shop.orders', operator, warning, critical, duration: 3 })],
  ['ExpressionMonitor', ({ stack }, operator, warning, critical) =>
    new ExpressionMonitor(stack, 'M', { name: 'tasks', expression: 'max(x)', operator, warning, critical })],
  ['QueryMonitor', ({ stack }, operator, warning, critical) =>
    new QueryMonitor(stack, 'M', { name: 'latency', query: 'x', operator, warning, critical })],
];

const ACK = '\\[ack: cdk-mackerel:warningAfterCritical\\]';

describe('a WARNING threshold that a value crosses only after the CRITICAL one warns: WARNING alerts would never fire on their own', () => {
  describe.each(THRESHOLD_MONITORS)('%s', (_, make) => {
    test.each([
      [MonitorOperator.GREATER_THAN, 90, 80, 'warning 90 is not below critical 80 with operator ">"'],
      [MonitorOperator.GREATER_THAN, 80, 80, 'warning 80 is not below critical 80 with operator ">"'],
      [MonitorOperator.LESS_THAN, 1, 3, 'warning 1 is not above critical 3 with operator "<"'],
    ])('operator %s, warning %d, critical %d', (operator, warning, critical, text) => {
      const s = mackerelStack();
      make(s, operator, warning, critical);
      Annotations.fromStack(s.stack).hasWarning('/Stack/M', Match.stringLikeRegexp(
        `${text}: a value past the WARNING threshold is already past the CRITICAL one, so WARNING alerts never fire on their own; `
        + `expected warning ${operator === MonitorOperator.GREATER_THAN ? 'below' : 'above'} critical.*${ACK}`));
    });

    test('thresholds in order, a single threshold, or a token, do not warn', () => {
      const s = mackerelStack();
      make(s, MonitorOperator.GREATER_THAN, 80, 90);
      const t = mackerelStack();
      make(t, MonitorOperator.LESS_THAN, 3, 1);
      const u = mackerelStack();
      make(u, MonitorOperator.GREATER_THAN, Token.asNumber({ Ref: 'Warning' }), 1);
      for (const { stack } of [s, t, u]) Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });
  });

  describe('ServiceMetricMonitor\'s metric interruption (a metric missing longer is worse)', () => {
    const orders = (shop: Stack['shop']) => ({ name: 'orders', service: shop, metric: 'shop.orders', operator: MonitorOperator.GREATER_THAN, critical: 100, duration: 3 });
    const interruption = ({ stack, shop }: Stack, warning: number, critical: number) => new ServiceMetricMonitor(stack, 'M',
      { ...orders(shop), missingDurationWarning: Duration.minutes(warning), missingDurationCritical: Duration.minutes(critical) });

    test.each([[60, 30], [30, 30]])('missingDurationWarning %d minutes, missingDurationCritical %d minutes', (warning, critical) => {
      const s = mackerelStack();
      interruption(s, warning, critical);
      Annotations.fromStack(s.stack).hasWarning('/Stack/M', Match.stringLikeRegexp(
        `missingDurationWarning ${warning} minutes is not below missingDurationCritical ${critical} minutes: a value past the WARNING threshold is `
        + `already past the CRITICAL one, so WARNING alerts never fire on their own; expected missingDurationWarning below missingDurationCritical.*${ACK}`));
    });

    test('in order, or only one of them: no warning', () => {
      const s = mackerelStack();
      interruption(s, 30, 60);
      const t = mackerelStack();
      new ServiceMetricMonitor(t.stack, 'M', { ...orders(t.shop), missingDurationWarning: Duration.minutes(60) });
      for (const { stack } of [s, t]) Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });
  });

  describe('AnomalyDetectionMonitor\'s sensitivities (WARNING must be raised on smaller deviations)', () => {
    const anomaly = ({ stack, web }: Stack, warningSensitivity?: AnomalySensitivity, criticalSensitivity?: AnomalySensitivity) =>
      new AnomalyDetectionMonitor(stack, 'M', { name: 'web', scopes: [MonitorScope.fromRole(web)], warningSensitivity, criticalSensitivity });

    test.each([
      [AnomalySensitivity.INSENSITIVE, AnomalySensitivity.SENSITIVE],
      [AnomalySensitivity.NORMAL, AnomalySensitivity.NORMAL],
    ])('warningSensitivity %s, criticalSensitivity %s', (warning, critical) => {
      const s = mackerelStack();
      anomaly(s, warning, critical);
      Annotations.fromStack(s.stack).hasWarning('/Stack/M', Match.stringLikeRegexp(
        `warningSensitivity "${warning}" is not more sensitive than criticalSensitivity "${critical}": a value past the WARNING threshold is `
        + `already past the CRITICAL one, so WARNING alerts never fire on their own; expected warningSensitivity more sensitive than criticalSensitivity.*${ACK}`));
    });

    test('in order, only one of them, or one from a token: no warning', () => {
      const stacks = [mackerelStack(), mackerelStack(), mackerelStack()];
      anomaly(stacks[0], AnomalySensitivity.SENSITIVE, AnomalySensitivity.NORMAL);
      anomaly(stacks[1], AnomalySensitivity.INSENSITIVE);
      anomaly(stacks[2], Token.asString({ Ref: 'Sensitivity' }) as AnomalySensitivity, AnomalySensitivity.SENSITIVE);
      for (const { stack } of stacks) Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });
  });

  describe('ExternalHttpMonitor', () => {
    const TOP = { name: 'top page', url: 'https://shop.example.com/' };

    test('a response time WARNING at or above the CRITICAL one', () => {
      const { stack, shop } = mackerelStack();
      new ExternalHttpMonitor(stack, 'M', {
        ...TOP,
        service: shop,
        responseTimeWarning: Duration.seconds(5),
        responseTimeCritical: Duration.seconds(3),
        responseTimeDuration: Duration.minutes(3),
      });
      Annotations.fromStack(stack).hasWarning('/Stack/M', Match.stringLikeRegexp(
        'responseTimeWarning 5000 ms is not below responseTimeCritical 3000 ms: a value past the WARNING threshold is already past the CRITICAL one, '
        + `so WARNING alerts never fire on their own; expected responseTimeWarning below responseTimeCritical.*${ACK}`));
    });

    test('a certificate expiration WARNING at or below the CRITICAL one (days left: the WARNING must come first, with more days)', () => {
      const { stack } = mackerelStack();
      new ExternalHttpMonitor(stack, 'M', { ...TOP, certificationExpirationWarning: Duration.days(7), certificationExpirationCritical: Duration.days(14) });
      Annotations.fromStack(stack).hasWarning('/Stack/M', Match.stringLikeRegexp(
        'certificationExpirationWarning 7 days is not above certificationExpirationCritical 14 days: a value past the WARNING threshold is already past the CRITICAL one, '
        + `so WARNING alerts never fire on their own; expected certificationExpirationWarning above certificationExpirationCritical.*${ACK}`));
    });

    test('thresholds in order do not warn', () => {
      const { stack, shop } = mackerelStack();
      new ExternalHttpMonitor(stack, 'M', {
        ...TOP,
        service: shop,
        responseTimeWarning: Duration.seconds(1),
        responseTimeCritical: Duration.seconds(3),
        responseTimeDuration: Duration.minutes(3),
        certificationExpirationWarning: Duration.days(14),
        certificationExpirationCritical: Duration.days(3),
      });
      Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    });
  });
});
