import { Duration } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { alertingStack, propertiesOf } from './_fixture';
import { AlertGroupSetting } from '../../src/alerting';
import { MonitorScope } from '../../src/monitors';

describe('AlertGroupSetting', () => {
  test('splits services and roles, renders monitors as IDs and the interval in minutes', () => {
    const { stack, shop, web, cpu } = alertingStack();
    const setting = new AlertGroupSetting(stack, 'Incidents', {
      name: 'web incidents',
      memo: 'one page per incident',
      scopes: [MonitorScope.fromService(shop), MonitorScope.fromRole(web), MonitorScope.of('other:db')],
      monitors: [cpu],
      notificationInterval: Duration.minutes(30),
    });
    expect(propertiesOf(setting)).toEqual({
      ServiceToken: expect.anything(),
      name: 'web incidents',
      memo: 'one page per incident',
      serviceScopes: [stack.resolve(shop.name)],
      roleScopes: [stack.resolve(web.fullName), 'other:db'],
      monitorScopes: [stack.resolve(cpu.monitorId)],
      notificationInterval: 30,
    });
    expect(stack.resolve(setting.alertGroupSettingId)).toEqual({ Ref: expect.stringMatching(/^Incidents/) });
  });

  test('leaves out the scope kinds and interval not given', () => {
    const { stack } = alertingStack();
    const setting = new AlertGroupSetting(stack, 'S', { name: 's', scopes: [MonitorScope.of('shop:web')] });
    expect(propertiesOf(setting)).toEqual({ ServiceToken: expect.anything(), name: 's', roleScopes: ['shop:web'] });
  });

  test('rejects no scope at all, an empty name, a long memo, a scope twice, a bad interval', () => {
    const { stack, cpu } = alertingStack();
    expect(() => new AlertGroupSetting(stack, 'A', { name: 'a' }))
      .toThrow(/Stack\/A: scopes \[\] and monitors are both empty; expected at least one service, role or monitor/);
    expect(() => new AlertGroupSetting(stack, 'B', { name: ' ', monitors: [cpu] })).toThrow(/Stack\/B: name " " is empty/);
    expect(() => new AlertGroupSetting(stack, 'C', { name: 'c', monitors: [cpu], memo: 'x'.repeat(2049) }))
      .toThrow(/Stack\/C: memo "x{20}\.\.\." is 2049 characters long; expected at most 2048 characters/);
    expect(() => new AlertGroupSetting(stack, 'D', { name: 'd', scopes: [MonitorScope.of('shop:web'), MonitorScope.of('shop:web')] }))
      .toThrow(/Stack\/D: scopes "shop:web" is given twice; expected each scope once/);
    expect(() => new AlertGroupSetting(stack, 'E', { name: 'e', monitors: [cpu, cpu] }))
      .toThrow(/Stack\/E: monitors "a reference" is given twice/);
    expect(() => new AlertGroupSetting(stack, 'F', { name: 'f', monitors: [cpu], notificationInterval: Duration.seconds(90) }))
      .toThrow(/Stack\/F: notificationInterval "1 minute 30 seconds" is not a whole number of minutes/);
    expect(() => new AlertGroupSetting(stack, 'G', { name: 'g', monitors: [cpu], notificationInterval: Duration.minutes(0) }))
      .toThrow(/Stack\/G: notificationInterval "0 minutes" is too short; expected at least 1 minute/);
  });
});
