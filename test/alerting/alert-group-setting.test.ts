import { CfnParameter, Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { alertingStack, propertiesOf } from './_fixture';
import { AlertGroupSetting, AlertGroupSettingProps } from '../../src/alerting';
import { MonitorScope } from '../../src/monitors';
import { MackerelRole } from '../../src/service';

describe('AlertGroupSetting', () => {
  describe('rendering', () => {
    test('splits services and roles, renders monitors as IDs and the interval in minutes', () => {
      // GIVEN
      const { stack, shop, web, cpu } = alertingStack();
      // WHEN
      const setting = new AlertGroupSetting(stack, 'Incidents', {
        name: 'web incidents',
        memo: 'one page per incident',
        scopes: [MonitorScope.fromService(shop), MonitorScope.fromRole(web), MonitorScope.of('other:db')],
        monitors: [cpu],
        notificationInterval: Duration.minutes(30),
      });
      // THEN
      expect(propertiesOf(setting)).toEqual({
        ServiceToken: expect.anything(),
        name: 'web incidents',
        memo: 'one page per incident',
        serviceScopes: [stack.resolve(shop.name)],
        roleScopes: [stack.resolve(web.fullName), 'other:db'],
        monitorScopes: [stack.resolve(cpu.monitorId)],
        notificationInterval: 30,
      });
    });

    test('writes a memo of 2048 emoji: the limit counts characters, not UTF-16 units', () => {
      const { stack } = alertingStack();
      new AlertGroupSetting(stack, 'S', { name: 's', memo: '🐟'.repeat(2048), scopes: [MonitorScope.of('shop')] });
      Template.fromStack(stack).hasResourceProperties('Custom::MackerelAlertGroupSetting', { memo: '🐟'.repeat(2048) });
    });

    test('writes a memo over 2048 characters with a warning: Mackerel documents no limit for it', () => {
      const { stack } = alertingStack();
      new AlertGroupSetting(stack, 'S', { name: 's', memo: '🐟'.repeat(2049), scopes: [MonitorScope.of('shop')] });
      Template.fromStack(stack).hasResourceProperties('Custom::MackerelAlertGroupSetting', { memo: '🐟'.repeat(2049) });
      Annotations.fromStack(stack).hasWarning('/Stack/S', Match.stringLikeRegexp(
        `memo "${'🐟'.repeat(20)}\\.\\.\\." is 2049 characters long\\. Mackerel rejects an alert group setting memo that is too long but does not document the limit; `
        + 'expected at most 2048 characters, the limit of monitor memos, to be safe'));
    });

    test('a memo of 2048 characters draws no warning', () => {
      const { stack } = alertingStack();
      new AlertGroupSetting(stack, 'S', { name: 's', memo: 'x'.repeat(2048), scopes: [MonitorScope.of('shop')] });
      Annotations.fromStack(stack).hasNoWarning('/Stack/S', Match.anyValue());
    });

    test('leaves out the scope kinds, memo and interval not given', () => {
      const { stack } = alertingStack();
      const setting = new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.of('shop:web')] });
      expect(propertiesOf(setting)).toEqual({ ServiceToken: expect.anything(), name: 's', roleScopes: ['shop:web'] });
    });

    test('alertGroupSettingId is a reference to the resource', () => {
      const { stack } = alertingStack();
      const setting = new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.of('shop')] });
      const resource = Template.fromStack(stack).findResources('Custom::MackerelAlertGroupSetting');
      expect(Object.keys(resource)).toHaveLength(1);
      expect(stack.resolve(setting.alertGroupSettingId)).toEqual({ Ref: Object.keys(resource)[0] });
    });

    test('scopes and monitors added after construction are written at synthesis', () => {
      // GIVEN
      const { stack, shop, web, cpu } = alertingStack();
      const setting = new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.fromRole(web)] });
      // WHEN
      setting.addScope(MonitorScope.fromService(shop));
      setting.addMonitor(cpu);
      // THEN
      expect(propertiesOf(setting)).toMatchObject({
        serviceScopes: [stack.resolve(shop.name)],
        roleScopes: [stack.resolve(web.fullName)],
        monitorScopes: [stack.resolve(cpu.monitorId)],
      });
    });

    test('a setting with monitors only, added later, synthesizes', () => {
      const { stack, cpu } = alertingStack();
      const setting = new AlertGroupSetting(stack, 'S', { name: 's' });
      setting.addMonitor(cpu);
      expect(propertiesOf(setting)).toEqual({ ServiceToken: expect.anything(), name: 's', monitorScopes: [stack.resolve(cpu.monitorId)] });
    });
  });

  describe('rejected input', () => {
    const cases: Array<[string, (s: ReturnType<typeof alertingStack>) => Partial<AlertGroupSettingProps>, RegExp]> = [
      ['an empty name', () => ({ name: ' ' }), /Stack\/S: name " " is empty; expected a non-empty alert group setting name/],
      ['a literal scope twice', () => ({ scopes: [MonitorScope.of('shop:web'), MonitorScope.of('shop:web')] }),
        /Stack\/S: scopes\[1\] "shop:web" is already a scope; expected each scope once/],
      ['a monitor twice', ({ cpu }) => ({ monitors: [cpu, cpu] }),
        /Stack\/S: monitors\[1\] "Stack\/Cpu" is already a monitor of this setting; expected each monitor once/],
      ['a notification interval in seconds', () => ({ notificationInterval: Duration.seconds(90) }),
        /Stack\/S: notificationInterval "1 minute 30 seconds" is not a whole number of minutes; expected whole minutes/],
      ['a notification interval of zero', () => ({ notificationInterval: Duration.minutes(0) }),
        /Stack\/S: notificationInterval "0 minutes" is too short; expected at least 1 minute, or no value to notify once/],
    ];
    test.each(cases)('%s', (_what, change, message) => {
      const fixture = alertingStack();
      expect(() => new AlertGroupSetting(fixture.stack, 'S', { name: 's', monitors: [fixture.cpu], ...change(fixture) })).toThrow(message);
    });

    test('the same role twice (a reference, shown by the name it was created with)', () => {
      const { stack, web } = alertingStack();
      expect(() => new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.fromRole(web), MonitorScope.fromRole(web)] }))
        .toThrow('Stack/S: scopes[1] "shop:web" is already a scope; expected each scope once');
    });

    test('a scope added twice with addScope', () => {
      const { stack, web } = alertingStack();
      const setting = new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.fromRole(web)] });
      expect(() => setting.addScope(MonitorScope.fromRole(web))).toThrow('Stack/S: scopes[1] "shop:web" is already a scope');
    });

    test('a service of this app and the same service as a literal', () => {
      const { stack, shop } = alertingStack();
      expect(() => new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.fromService(shop), MonitorScope.of('shop')] }))
        .toThrow('Stack/S: scopes[1] "shop" is already a scope; expected each scope once');
    });

    test('a literal role, then the role of this app with addScope', () => {
      const { stack, web } = alertingStack();
      const setting = new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.of('shop:web')] });
      expect(() => setting.addScope(MonitorScope.fromRole(web))).toThrow('Stack/S: scopes[1] "shop:web" is already a scope');
    });

    test('a role named by a token twice (name unknown at synth, shown resolved)', () => {
      const { stack } = alertingStack();
      const role = MackerelRole.fromFullName(stack, 'ByParameter', new CfnParameter(stack, 'Role', { type: 'String' }).valueAsString);
      expect(() => new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.fromRole(role), MonitorScope.fromRole(role)] }))
        .toThrow('Stack/S: scopes[1] {"Ref":"Role"} is already a scope');
    });

    test('a monitor added twice with addMonitor', () => {
      const { stack, cpu } = alertingStack();
      const setting = new AlertGroupSetting(stack, 'S', { name: 's', monitors: [cpu] });
      expect(() => setting.addMonitor(cpu)).toThrow(/Stack\/S: monitors\[1\] "Stack\/Cpu" is already a monitor of this setting/);
    });

    test('an invalid role of an imported role, added with addScope', () => {
      const { stack } = alertingStack();
      const setting = new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.of('shop')] });
      const bad = { fullName: 'shop:web!', name: 'web!', serviceName: 'shop' } as unknown as Parameters<typeof MonitorScope.fromRole>[0];
      expect(() => setting.addScope(MonitorScope.fromRole(bad))).toThrow(/Stack\/S: scopes\[1\] "shop:web!" is not/);
    });

    test('no scope and no monitor at all, at synthesis', () => {
      const { stack } = alertingStack();
      new AlertGroupSetting(stack, 'S', { name: 's' });
      expect(() => Template.fromStack(stack)).toThrow(
        /\[Stack\/S\] scopes \[\] and monitors are both empty; expected at least one service, role or monitor. Give scopes or monitors in the props, or call addScope\(\) or addMonitor\(\)/);
    });
  });
});
