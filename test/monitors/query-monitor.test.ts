import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { mackerelStack, propertiesOf } from './_fixture';
import { MonitorOperator, QueryMonitor, QueryMonitorProps } from '../../src';

const LATENCY: QueryMonitorProps = {
  name: 'p99 latency {{service.name}}',
  query: 'histogram_quantile(0.99, http.server.request.duration)',
  operator: MonitorOperator.GREATER_THAN,
  warning: 0.5,
};

describe('QueryMonitor', () => {
  test('renders every field of a query monitor', () => {
    const { stack } = mackerelStack();

    const latency = new QueryMonitor(stack, 'Latency', { ...LATENCY, critical: 1.5, legend: '{{http.route}}', evaluateBackwardMinutes: Duration.minutes(0) });

    expect(propertiesOf(latency)).toEqual({
      ServiceToken: expect.anything(),
      type: 'query',
      name: 'p99 latency {{service.name}}',
      query: 'histogram_quantile(0.99, http.server.request.duration)',
      legend: '{{http.route}}',
      operator: '>',
      warning: 0.5,
      critical: 1.5,
      evaluateBackwardMinutes: 0,
    });
  });

  test('legend and evaluateBackwardMinutes are left to Mackerel when not given', () => {
    const { stack } = mackerelStack();

    new QueryMonitor(stack, 'Latency', LATENCY);

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { type: 'query', legend: Match.absent(), evaluateBackwardMinutes: Match.absent() });
  });

  describe('rejected input', () => {
    test('evaluateBackwardMinutes over 10 minutes', () => {
      const { stack } = mackerelStack();

      expect(() => new QueryMonitor(stack, 'Latency', { ...LATENCY, evaluateBackwardMinutes: Duration.minutes(12) }))
        .toThrow(/Stack\/Latency: evaluateBackwardMinutes "12 minutes" is out of range; expected a whole number of minutes from 0 to 10/);
    });

    test('an empty query', () => {
      const { stack } = mackerelStack();

      expect(() => new QueryMonitor(stack, 'Latency', { ...LATENCY, query: ' ' })).toThrow(/Stack\/Latency: query " " is empty; expected a query/);
    });

    test('a query with a parenthesis left open (Mackerel cannot parse it)', () => {
      const { stack } = mackerelStack();

      expect(() => new QueryMonitor(stack, 'Latency', { ...LATENCY, query: 'histogram_quantile(0.99, http.server.request.duration' }))
        .toThrow(/Stack\/Latency: query "histogram_quantile\(0.99, http.server.request.duration" has a parenthesis without its pair or a quote left open; expected a query Mackerel can parse/);
    });

    test('a parenthesis inside a raw string in backticks counts for nothing, and a backslash there escapes nothing', () => {
      const { stack } = mackerelStack();

      expect(() => new QueryMonitor(stack, 'Ok', { ...LATENCY, query: 'sum(http.server.request.count{path=~`/api/(v1|v2`})' })).not.toThrow();
      expect(() => new QueryMonitor(stack, 'Open', { ...LATENCY, query: 'sum(http.server.request.count{path=~`C:\\`})' })).not.toThrow();
      expect(() => new QueryMonitor(stack, 'Left', { ...LATENCY, query: 'sum(http.server.request.count{path=~`/api})' }))
        .toThrow(/Stack\/Left: query .* has a parenthesis without its pair or a quote left open/);
    });

    test('a query with a label value left unquoted at its end', () => {
      const { stack } = mackerelStack();

      expect(() => new QueryMonitor(stack, 'Latency', { ...LATENCY, query: 'container.cpu.utilization{service="shop}' }))
        .toThrow(/Stack\/Latency: query .* has a parenthesis without its pair or a quote left open/);
    });

    test('no thresholds', () => {
      const { stack } = mackerelStack();

      expect(() => new QueryMonitor(stack, 'Latency', { ...LATENCY, warning: undefined }))
        .toThrow(/Stack\/Latency: warning undefined and critical are both missing/);
    });
  });
});
