import { Duration, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack, propertiesOf } from './_fixture';
import { ConnectivityMonitor, HostMetricMonitor, HostMetricMonitorProps, MonitorBase, MonitorOperator } from '../../src';

/** A valid host metric monitor; each test overrides what it is about. */
const HOST: HostMetricMonitorProps = {
  name: 'load', metric: 'loadavg5', operator: MonitorOperator.GREATER_THAN, warning: 4, duration: Duration.minutes(5),
};

describe('MonitorBase (settings every monitor has)', () => {
  describe('rendering', () => {
    test('monitorId is a reference to the Custom::MackerelMonitor, served by the stack provider', () => {
      const { stack, provider } = mackerelStack();

      const monitor = new HostMetricMonitor(stack, 'Load', HOST);

      expect(stack.resolve(monitor.monitorId)).toEqual({ Ref: logicalIdOf(monitor) });
      Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { ServiceToken: stack.resolve(provider.serviceToken) });
    });

    test('memo, notificationInterval in minutes and isMute are rendered', () => {
      const { stack } = mackerelStack();

      const monitor = new HostMetricMonitor(stack, 'Load', { ...HOST, memo: 'see runbook', notificationInterval: Duration.hours(1), isMute: true });

      expect(propertiesOf(monitor)).toMatchObject({ memo: 'see runbook', notificationInterval: 60, isMute: true });
    });

    test('left out, they are absent (no memo, no re-send, Mackerel unmutes)', () => {
      const { stack } = mackerelStack();

      new HostMetricMonitor(stack, 'Load', HOST);

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
        memo: Match.absent(), notificationInterval: Match.absent(), isMute: Match.absent(),
      });
    });

    test('a notificationInterval of 0 means no re-send and is left out', () => {
      const { stack } = mackerelStack();

      new ConnectivityMonitor(stack, 'Alive', { notificationInterval: Duration.minutes(0) });

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { type: 'connectivity', notificationInterval: Match.absent() });
    });

    test('a notificationInterval of exactly 10 minutes, the shortest Mackerel takes, is accepted', () => {
      const { stack } = mackerelStack();

      const monitor = new HostMetricMonitor(stack, 'Load', { ...HOST, notificationInterval: Duration.minutes(10) });

      expect(propertiesOf(monitor)).toMatchObject({ notificationInterval: 10 });
    });

    test('a token notificationInterval passes unchecked', () => {
      const { stack } = mackerelStack();
      const minutes = Token.asNumber({ Ref: 'IntervalParameter' });

      new ConnectivityMonitor(stack, 'Alive', { notificationInterval: Duration.minutes(minutes) });

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { notificationInterval: { Ref: 'IntervalParameter' } });
    });

    test('a memo of exactly 2048 characters is accepted', () => {
      const { stack } = mackerelStack();

      new HostMetricMonitor(stack, 'Load', { ...HOST, memo: 'm'.repeat(2048) });

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { memo: 'm'.repeat(2048) });
    });

    test('a memo of 2048 emoji is accepted: the limit counts characters, not UTF-16 units', () => {
      const { stack } = mackerelStack();

      new HostMetricMonitor(stack, 'Load', { ...HOST, memo: '🐟'.repeat(2048) });

      Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', { memo: '🐟'.repeat(2048) });
    });
  });

  describe('rejected input', () => {
    test('a memo longer than 2048 characters', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, memo: 'm'.repeat(2049) }))
        .toThrow(/Stack\/Load: memo "m{20}\.\.\." is 2049 characters long; expected at most 2048 characters/);
    });

    test('a memo of 2049 emoji, counted and shown in whole characters', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, memo: '🐟'.repeat(2049) }))
        .toThrow(`Stack/Load: memo "${'🐟'.repeat(20)}..." is 2049 characters long; expected at most 2048 characters`);
    });

    test('a notificationInterval in hours from a token, which cannot become minutes at synth', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, notificationInterval: Duration.hours(Token.asNumber({ Ref: 'Hours' })) }))
        .toThrow('Stack/Load: notificationInterval "Duration.hours(<token>)" is in hours from a token, which cannot be converted to minutes at synth; '
          + 'expected Duration.minutes(<token>), or a literal duration');
    });

    test('a notificationInterval under 10 minutes', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, notificationInterval: Duration.minutes(9) }))
        .toThrow(/Stack\/Load: notificationInterval "9 minutes" is too short; expected at least 10 minutes, or 0 \(or no value\) to send each notification once/);
    });

    test('a notificationInterval that is not whole minutes', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, notificationInterval: Duration.seconds(630) }))
        .toThrow(/Stack\/Load: notificationInterval "10 minutes 30 seconds" is not a whole number of minutes; expected whole minutes/);
    });

    test('an empty name', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, name: ' ' }))
        .toThrow(/Stack\/Load: name " " is empty; expected a non-empty monitor name/);
    });

    test('an operator other than > and <', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, operator: '>=' as MonitorOperator }))
        .toThrow(/Stack\/Load: operator ">=" is not allowed; expected one of ">", "<"/);
    });

    test('neither warning nor critical', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, warning: undefined }))
        .toThrow(/Stack\/Load: warning undefined and critical are both missing; expected at least one of warning and critical\. A monitor without thresholds never alerts/);
    });

    test('a threshold that is not a finite number', () => {
      const { stack } = mackerelStack();

      expect(() => new HostMetricMonitor(stack, 'Load', { ...HOST, critical: Number.NaN }))
        .toThrow(/Stack\/Load: critical "NaN" is not a finite number; expected a number/);
    });
  });

  describe('fromMonitorId', () => {
    test('references an existing monitor without creating one', () => {
      const { stack } = mackerelStack();

      const existing = MonitorBase.fromMonitorId(stack, 'Existing', '2cSZzK3XfmG');

      expect(existing.monitorId).toBe('2cSZzK3XfmG');
      Template.fromStack(stack).resourceCountIs('Custom::MackerelMonitor', 0);
    });

    test('rejects a value that is not a monitor ID', () => {
      const { stack } = mackerelStack();

      expect(() => MonitorBase.fromMonitorId(stack, 'Existing', 'https://mackerel.io/monitors/2cSZzK3XfmG'))
        .toThrow(/Stack\/Existing: monitorId "https:\/\/mackerel.io\/monitors\/2cSZzK3XfmG" is not a Mackerel monitor ID; expected letters and digits/);
    });
  });
});
