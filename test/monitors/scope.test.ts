import { Fn } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack } from './_fixture';
import { MackerelRole, MackerelService, MonitorScope } from '../../src';

describe('MonitorScope', () => {
  describe('of', () => {
    test('a role full name is a role scope', () => {
      const scope = MonitorScope.of('shop:web');

      expect(scope.value).toBe('shop:web');
      expect(scope.isRole).toBe(true);
      expect(`${scope}`).toBe('shop:web');
    });

    test('a service name is a service scope', () => {
      const scope = MonitorScope.of('shop');

      expect(scope.value).toBe('shop');
      expect(scope.isRole).toBe(false);
    });

    test.each([
      ['shop:web!', /MonitorScope.of: value "shop:web!" is not a Mackerel service name or role full name; expected service or service:role, each part 2-63 letters/],
      ['shop web', /MonitorScope.of: value "shop web" is not a Mackerel service name or role full name/],
      ['', /MonitorScope.of: value "" is not a Mackerel service name or role full name/],
      ['a:b:c', /MonitorScope.of: value "a:b:c" is not a Mackerel service name or role full name/],
    ])('rejects %j', (value, message) => {
      expect(() => MonitorScope.of(value)).toThrow(message);
    });

    test('rejects a token, which cannot tell a service from a role, pointing to the references', () => {
      expect(() => MonitorScope.of(Fn.importValue('Scope'))).toThrow(/value ".*" is a token, so it cannot tell a service from a role; expected a literal service or service:role\. Use MonitorScope.fromRole\(MackerelRole.fromFullName/);
    });
  });

  describe('fromRole and fromService', () => {
    test('fromRole refers to the role resource', () => {
      const { stack, web } = mackerelStack();

      const scope = MonitorScope.fromRole(web);

      expect(stack.resolve(scope.value)).toEqual({ Ref: logicalIdOf(web) });
      expect(scope.isRole).toBe(true);
    });

    test('fromService refers to the service resource', () => {
      const { stack, shop } = mackerelStack();

      const scope = MonitorScope.fromService(shop);

      expect(stack.resolve(scope.value)).toEqual({ Ref: logicalIdOf(shop) });
      expect(scope.isRole).toBe(false);
    });

    test('references of existing services and roles give their literal names', () => {
      const { stack } = mackerelStack();

      expect(MonitorScope.fromService(MackerelService.fromName(stack, 'Legacy', 'legacy')).value).toBe('legacy');
      expect(MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Db', 'legacy:db')).value).toBe('legacy:db');
    });
  });
});
