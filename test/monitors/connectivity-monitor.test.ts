import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack, propertiesOf } from './_fixture';
import { AlertStatusOnGone, ConnectivityMonitor, MonitorScope } from '../../src';

describe('ConnectivityMonitor', () => {
  test('renders every field of a connectivity monitor', () => {
    const { stack, web } = mackerelStack();

    const alive = new ConnectivityMonitor(stack, 'Alive', {
      name: 'web alive',
      scopes: [MonitorScope.fromRole(web)],
      excludeScopes: [MonitorScope.of('shop:canary')],
      alertStatusOnGone: AlertStatusOnGone.WARNING,
    });

    expect(propertiesOf(alive)).toEqual({
      ServiceToken: expect.anything(),
      type: 'connectivity',
      name: 'web alive',
      scopes: [{ Ref: logicalIdOf(web) }],
      excludeScopes: ['shop:canary'],
      alertStatusOnGone: 'WARNING',
    });
  });

  test('defaults: name "connectivity" and alertStatusOnGone CRITICAL, always sent so a removal resets it', () => {
    const { stack } = mackerelStack();

    new ConnectivityMonitor(stack, 'Alive');

    Template.fromStack(stack).hasResourceProperties('Custom::MackerelMonitor', {
      type: 'connectivity', name: 'connectivity', alertStatusOnGone: 'CRITICAL',
    });
  });

  test('rejects an alertStatusOnGone other than CRITICAL and WARNING', () => {
    const { stack } = mackerelStack();

    expect(() => new ConnectivityMonitor(stack, 'Alive', { alertStatusOnGone: 'UNKNOWN' as AlertStatusOnGone }))
      .toThrow(/Stack\/Alive: alertStatusOnGone "UNKNOWN" is not allowed; expected one of "CRITICAL", "WARNING"/);
  });

  test('rejects an empty name', () => {
    const { stack } = mackerelStack();

    expect(() => new ConnectivityMonitor(stack, 'Alive', { name: '' })).toThrow(/Stack\/Alive: name "" is empty; expected a non-empty monitor name/);
  });

  test('rejects an invalid excludeScopes entry, naming its index', () => {
    const { stack } = mackerelStack();
    const bad = MonitorScope.fromRole({ fullName: 'shop:' } as never);

    expect(() => new ConnectivityMonitor(stack, 'Alive', { excludeScopes: [bad] }))
      .toThrow(/Stack\/Alive: excludeScopes\[0\] "shop:" is not a Mackerel service name or role full name/);
  });
});
