import { Duration } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { alertingStack, propertiesOf } from './_fixture';
import { Downtime, DowntimeRecurrence, Weekday } from '../../src/alerting';
import { ExpressionMonitor, MonitorOperator, MonitorScope } from '../../src/monitors';

const START = new Date('2026-12-06T01:00:00Z');
const START_EPOCH = 1796518800;

describe('Downtime', () => {
  test('the design example: weekly on Sunday for two hours, scoped to a role', () => {
    const { stack, web } = alertingStack();
    const downtime = new Downtime(stack, 'Maint', {
      name: 'weekly maintenance',
      start: START,
      duration: Duration.hours(2),
      recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] }),
      scopes: [MonitorScope.fromRole(web)],
    });
    expect(START.getTime() / 1000).toBe(START_EPOCH);
    expect(propertiesOf(downtime)).toEqual({
      ServiceToken: expect.anything(),
      name: 'weekly maintenance',
      start: START_EPOCH,
      duration: 120,
      recurrence: { type: 'weekly', interval: 1, weekdays: ['Sunday'] },
      roleScopes: [stack.resolve(web.fullName)],
    });
    expect(stack.resolve(downtime.downtimeId)).toEqual({ Ref: expect.stringMatching(/^Maint/) });
  });

  test('every recurrence kind, with interval and until', () => {
    const { stack } = alertingStack();
    const until = new Date('2027-06-30T00:00:00Z');
    const kinds: Array<[string, DowntimeRecurrence]> = [
      ['hourly', DowntimeRecurrence.hourly({ interval: 6 })],
      ['daily', DowntimeRecurrence.daily({ interval: 2, until })],
      ['weekly', DowntimeRecurrence.weekly({ interval: 2, weekdays: [Weekday.SATURDAY, Weekday.SUNDAY] })],
      ['monthly', DowntimeRecurrence.monthly()],
      ['yearly', DowntimeRecurrence.yearly({ until })],
    ];
    const downtimes = kinds.map(([kind, recurrence]) =>
      new Downtime(stack, kind, { name: kind, start: START, duration: Duration.minutes(30), recurrence }));
    const rendered = downtimes.map((d) => propertiesOf(d).recurrence);
    expect(rendered).toEqual([
      { type: 'hourly', interval: 6 },
      { type: 'daily', interval: 2, until: until.getTime() / 1000 },
      { type: 'weekly', interval: 2, weekdays: ['Saturday', 'Sunday'] },
      { type: 'monthly', interval: 1 },
      { type: 'yearly', interval: 1, until: until.getTime() / 1000 },
    ]);
  });

  test('every scope and exclude-scope kind', () => {
    const { stack, shop, web, cpu } = alertingStack();
    const other = new ExpressionMonitor(stack, 'Expr', { name: 'e', expression: 'max(role(shop:web, loadavg5))', operator: MonitorOperator.GREATER_THAN, warning: 1 });
    const downtime = new Downtime(stack, 'D', {
      name: 'd',
      start: START,
      duration: Duration.minutes(30),
      scopes: [MonitorScope.fromService(shop)],
      excludeScopes: [MonitorScope.fromRole(web), MonitorScope.of('shop')],
      monitors: [cpu],
      excludeMonitors: [other],
    });
    expect(propertiesOf(downtime)).toMatchObject({
      serviceScopes: [stack.resolve(shop.name)],
      roleExcludeScopes: [stack.resolve(web.fullName)],
      serviceExcludeScopes: ['shop'],
      monitorScopes: [stack.resolve(cpu.monitorId)],
      monitorExcludeScopes: [stack.resolve(other.monitorId)],
    });
  });

  test('validation rules of the API: duration, interval, weekdays, until, scope in both lists', () => {
    const { stack, web, cpu } = alertingStack();
    const base = { name: 'd', start: START, duration: Duration.minutes(30) };
    expect(() => new Downtime(stack, 'A', { ...base, duration: Duration.seconds(30) }))
      .toThrow(/Stack\/A: duration "30 seconds" is not a whole number of minutes/);
    expect(() => new Downtime(stack, 'B', { ...base, duration: Duration.minutes(0) })).toThrow(/Stack\/B: duration "0 minutes" is too short; expected at least 1 minute/);
    expect(() => new Downtime(stack, 'C', { ...base, recurrence: DowntimeRecurrence.daily({ interval: 0 }) }))
      .toThrow(/Stack\/C: recurrence.interval 0 is not a whole number of at least 1; expected a whole number of days, at least 1/);
    expect(() => new Downtime(stack, 'D', { ...base, recurrence: DowntimeRecurrence.hourly({ interval: 1.5 }) }))
      .toThrow(/Stack\/D: recurrence.interval 1.5 is not a whole number/);
    expect(() => new Downtime(stack, 'E', { ...base, recurrence: DowntimeRecurrence.weekly({ weekdays: [] }) }))
      .toThrow(/Stack\/E: recurrence.weekdays \[\] is empty/);
    expect(() => new Downtime(stack, 'F', { ...base, recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.MONDAY, Weekday.MONDAY] }) }))
      .toThrow(/Stack\/F: recurrence.weekdays \["Monday","Monday"\] lists Monday twice/);
    expect(() => new Downtime(stack, 'G', { ...base, recurrence: DowntimeRecurrence.weekly({ weekdays: ['Sun' as Weekday] }) }))
      .toThrow(/Stack\/G: recurrence.weekdays\[0\] "Sun" is not a weekday; expected Sunday, Monday/);
    expect(() => new Downtime(stack, 'H', { ...base, recurrence: DowntimeRecurrence.daily({ until: START }) }))
      .toThrow(/Stack\/H: recurrence.until "2026-12-06T01:00:00.000Z" is not after start \(2026-12-06T01:00:00.000Z\); expected a time after start/);
    expect(() => new Downtime(stack, 'I', { ...base, scopes: [MonitorScope.fromRole(web)], excludeScopes: [MonitorScope.fromRole(web)] }))
      .toThrow(/Stack\/I: excludeScopes "a reference" is also in scopes/);
    expect(() => new Downtime(stack, 'J', { ...base, scopes: [MonitorScope.of('shop:db')], excludeScopes: [MonitorScope.of('shop:db')] }))
      .toThrow(/Stack\/J: excludeScopes "shop:db" is also in scopes/);
    expect(() => new Downtime(stack, 'K', { ...base, monitors: [cpu], excludeMonitors: [cpu] }))
      .toThrow(/Stack\/K: excludeMonitors "a reference" is also in monitors/);
    expect(() => new Downtime(stack, 'L', { ...base, start: new Date('not a date') })).toThrow(/Stack\/L: start "Invalid Date" is not a valid date/);
    expect(() => new Downtime(stack, 'M', { ...base, start: new Date('2026-12-06T01:00:00.500Z') })).toThrow(/Stack\/M: start "2026-12-06T01:00:00.500Z" has fractions of a second/);
    expect(() => new Downtime(stack, 'N', { ...base, name: '' })).toThrow(/Stack\/N: name "" is empty/);
    expect(() => new Downtime(stack, 'O', { ...base, scopes: [MonitorScope.of('shop'), MonitorScope.of('shop')] })).toThrow(/Stack\/O: scopes "shop" is given twice/);
  });

  test('warns on 24 hours or more (the Sunday-to-Monday caveat), not on less', () => {
    const { stack } = alertingStack();
    new Downtime(stack, 'Long', { name: 'l', start: START, duration: Duration.hours(24) });
    new Downtime(stack, 'Short', { name: 's', start: START, duration: Duration.minutes(1439) });
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Stack/Long', Match.stringLikeRegexp('duration is 1440 minutes \\(24 hours or more\\): Mackerel partly ignores .* from Sunday to Monday'));
    annotations.hasNoWarning('/Stack/Short', Match.anyValue());
  });

  test('warns when services and roles are both scopes (ANDed, so service-less monitors are not muted)', () => {
    const { stack, shop, web } = alertingStack();
    new Downtime(stack, 'Both', { name: 'b', start: START, duration: Duration.hours(1), scopes: [MonitorScope.fromService(shop), MonitorScope.fromRole(web)] });
    Annotations.fromStack(stack).hasWarning('/Stack/Both', Match.stringLikeRegexp('scopes has both services and roles: Mackerel ANDs scope kinds'));
  });
});
