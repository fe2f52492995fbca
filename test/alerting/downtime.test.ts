import { CfnParameter, Duration, Fn, Lazy, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { alertingStack, propertiesOf } from './_fixture';
import { DeploymentDowntime, Downtime, DowntimeProps, DowntimeRecurrence, Weekday } from '../../src/alerting';
import { ExpressionMonitor, ExternalHttpMonitor, HostMetricMonitor, MonitorBase, MonitorOperator, MonitorScope, ServiceMetricMonitor } from '../../src/monitors';
import { MackerelRole, MackerelService } from '../../src/service';

/** A Sunday, as in the design example. */
const START = new Date('2026-12-06T01:00:00Z');
const START_EPOCH = 1796518800;
/** A role as a caller's own IMackerelRole could give it, with a name MonitorScope.of would refuse. */
const BAD_ROLE = { fullName: 'shop:web!', name: 'web!', serviceName: 'shop' } as unknown as Parameters<typeof MonitorScope.fromRole>[0];
/**
 * The tests' clock (Date only): before START, so that its one-off downtimes are still to come
 * (no cdk-mackerel:downtimeOver) on whatever day the tests run.
 */
const NOW = new Date('2026-11-01T00:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Downtime', () => {
  describe('rendering', () => {
    test('the design example: weekly on Sunday for two hours, scoped to a role', () => {
      // GIVEN
      const { stack, web } = alertingStack();
      // WHEN
      const downtime = new Downtime(stack, 'Maint', {
        name: 'weekly maintenance',
        start: START,
        duration: Duration.hours(2),
        recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] }),
        scopes: [MonitorScope.fromRole(web)],
      });
      // THEN
      expect(START.getTime() / 1000).toBe(START_EPOCH);
      expect(propertiesOf(downtime)).toEqual({
        ServiceToken: expect.anything(),
        name: 'weekly maintenance',
        start: START_EPOCH,
        duration: 120,
        recurrence: { type: 'weekly', interval: 1, weekdays: ['Sunday'] },
        roleScopes: [stack.resolve(web.fullName)],
      });
    });

    test('downtimeId is a reference to the resource', () => {
      const { stack } = alertingStack();
      const downtime = new Downtime(stack, 'Maint', { name: 'm', start: START, duration: Duration.hours(1), scopes: [MonitorScope.of('shop')] });
      const resources = Template.fromStack(stack).findResources('Custom::MackerelDowntime');
      expect(Object.keys(resources)).toHaveLength(1);
      expect(stack.resolve(downtime.downtimeId)).toEqual({ Ref: Object.keys(resources)[0] });
    });

    test('a memo is written; no recurrence means a one-off downtime', () => {
      const { stack } = alertingStack();
      const downtime = new Downtime(stack, 'Once', { name: 'once', memo: 'db upgrade', start: START, duration: Duration.minutes(45), scopes: [MonitorScope.of('shop')] });
      expect(propertiesOf(downtime)).toEqual({
        ServiceToken: expect.anything(), name: 'once', memo: 'db upgrade', start: START_EPOCH, duration: 45, serviceScopes: ['shop'],
      });
    });

    test('a duration of 1 minute, the shortest the API takes, is written', () => {
      const { stack } = alertingStack();
      const downtime = new Downtime(stack, 'Short', { name: 'short', start: START, duration: Duration.minutes(1), scopes: [MonitorScope.of('shop')] });
      expect(propertiesOf(downtime)).toMatchObject({ duration: 1 });
    });

    test('a memo of 2048 emoji is written: the limit counts characters, not UTF-16 units', () => {
      const { stack } = alertingStack();
      new Downtime(stack, 'Once', { name: 'once', memo: '🐟'.repeat(2048), start: START, duration: Duration.minutes(45), scopes: [MonitorScope.of('shop')] });
      Template.fromStack(stack).hasResourceProperties('Custom::MackerelDowntime', { memo: '🐟'.repeat(2048) });
    });

    test('a memo over 2048 characters is written with a warning: Mackerel documents no limit for it', () => {
      const { stack } = alertingStack();
      new Downtime(stack, 'Once', { name: 'once', memo: 'm'.repeat(2049), start: START, duration: Duration.minutes(45), scopes: [MonitorScope.of('shop')] });
      Template.fromStack(stack).hasResourceProperties('Custom::MackerelDowntime', { memo: 'm'.repeat(2049) });
      Annotations.fromStack(stack).hasWarning('/Stack/Once', Match.stringLikeRegexp(
        'memo "m{20}\\.\\.\\." is 2049 characters long\\. Mackerel rejects a downtime memo that is too long but does not document the limit; '
        + 'expected at most 2048 characters, the limit of monitor memos, to be safe'));
    });

    test('a memo of 2048 characters draws no memo warning', () => {
      const { stack } = alertingStack();
      new Downtime(stack, 'Once', { name: 'once', memo: 'm'.repeat(2048), start: START, duration: Duration.minutes(45), scopes: [MonitorScope.of('shop')] });
      Annotations.fromStack(stack).hasNoWarning('/Stack/Once', Match.stringLikeRegexp('memo'));
    });

    test('every recurrence kind, with interval (default 1) and until', () => {
      const { stack } = alertingStack();
      const until = new Date('2027-06-30T00:00:00Z');
      const kinds: Array<[string, DowntimeRecurrence]> = [
        ['hourly', DowntimeRecurrence.hourly({ interval: 6 })],
        ['daily', DowntimeRecurrence.daily({ interval: 2, until })],
        ['weekly', DowntimeRecurrence.weekly({ interval: 2, weekdays: [Weekday.SATURDAY, Weekday.SUNDAY] })],
        ['monthly', DowntimeRecurrence.monthly()],
        ['yearly', DowntimeRecurrence.yearly({ until })],
        ['weeklyNoDays', DowntimeRecurrence.weekly()],
      ];
      const downtimes = kinds.map(([kind, recurrence]) =>
        new Downtime(stack, kind, { name: kind, start: START, duration: Duration.minutes(30), recurrence, scopes: [MonitorScope.of('shop')] }));
      expect(downtimes.map((d) => propertiesOf(d).recurrence)).toEqual([
        { type: 'hourly', interval: 6 },
        { type: 'daily', interval: 2, until: 1814313600 },
        { type: 'weekly', interval: 2, weekdays: ['Saturday', 'Sunday'] },
        { type: 'monthly', interval: 1 },
        { type: 'yearly', interval: 1, until: 1814313600 },
        { type: 'weekly', interval: 1 },
      ]);
    });

    test('weekdays from a list parameter (a whole-list token) are written as its reference, known at deploy time', () => {
      const { stack } = alertingStack();
      const days = new CfnParameter(stack, 'Days', { type: 'CommaDelimitedList' });
      const recurrence = DowntimeRecurrence.weekly({ weekdays: days.valueAsList as Weekday[] });
      const downtime = new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.minutes(30), recurrence, scopes: [MonitorScope.of('shop')] });
      expect(propertiesOf(downtime).recurrence).toEqual({ type: 'weekly', interval: 1, weekdays: { Ref: 'Days' } });
    });

    test('the recurrence keeps its own copy of the weekdays', () => {
      const { stack } = alertingStack();
      const weekdays = [Weekday.MONDAY];
      const recurrence = DowntimeRecurrence.weekly({ weekdays });
      weekdays.push(Weekday.MONDAY);
      const downtime = new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.minutes(30), recurrence, scopes: [MonitorScope.of('shop')] });
      expect(propertiesOf(downtime).recurrence).toEqual({ type: 'weekly', interval: 1, weekdays: ['Monday'] });
    });

    test('every scope and exclude-scope kind', () => {
      // GIVEN
      const { stack, shop, web, cpu } = alertingStack();
      const expr = new ExpressionMonitor(stack, 'Expr', { name: 'e', expression: 'max(role(shop:web, loadavg5))', operator: MonitorOperator.GREATER_THAN, warning: 1 });
      // WHEN
      const downtime = new Downtime(stack, 'D', {
        name: 'd',
        start: START,
        duration: Duration.minutes(30),
        scopes: [MonitorScope.fromService(shop)],
        excludeScopes: [MonitorScope.fromRole(web), MonitorScope.of('other')],
        monitors: [cpu],
        excludeMonitors: [expr],
      });
      // THEN
      expect(propertiesOf(downtime)).toEqual({
        ServiceToken: expect.anything(),
        name: 'd',
        start: START_EPOCH,
        duration: 30,
        serviceScopes: [stack.resolve(shop.name)],
        serviceExcludeScopes: ['other'],
        roleExcludeScopes: [stack.resolve(web.fullName)],
        monitorScopes: [stack.resolve(cpu.monitorId)],
        monitorExcludeScopes: [stack.resolve(expr.monitorId)],
      });
    });
  });

  describe('rejected input', () => {
    type Fixture = ReturnType<typeof alertingStack>;
    const cases: Array<[string, (f: Fixture) => Partial<DowntimeProps>, RegExp]> = [
      ['an empty name', () => ({ name: '' }), /Stack\/D: name "" is empty; expected a non-empty downtime name/],
      ['an invalid start', () => ({ start: new Date('not a date') }), /Stack\/D: start "Invalid Date" is not a valid date; expected a Date such as/],
      ['a start before 1970', () => ({ start: new Date('1969-12-31T23:59:00Z') }), /Stack\/D: start "1969-12-31T23:59:00.000Z" is before 1970/],
      ['a start with a fraction of a second', () => ({ start: new Date('2026-12-06T01:00:00.500Z') }),
        /Stack\/D: start "2026-12-06T01:00:00.500Z" has a fraction of a second; expected a time in whole seconds/],
      ['a duration in seconds', () => ({ duration: Duration.seconds(30) }), /Stack\/D: duration "30 seconds" is not a whole number of minutes/],
      ['a duration in hours from a token', () => ({ duration: Duration.hours(Token.asNumber({ Ref: 'Hours' })) }),
        /Stack\/D: duration "Duration.hours\(<token>\)" is in hours from a token, which cannot be converted to minutes at synth; expected Duration.minutes\(<token>\)/],
      ['a duration of zero', () => ({ duration: Duration.minutes(0) }), /Stack\/D: duration "0 minutes" is too short; expected at least 1 minute/],
      ['an interval of zero', () => ({ recurrence: DowntimeRecurrence.daily({ interval: 0 }) }),
        /Stack\/D: recurrence.interval 0 is not a whole number of at least 1; expected a whole number of days, at least 1/],
      ['a fractional interval', () => ({ recurrence: DowntimeRecurrence.hourly({ interval: 1.5 }) }),
        /Stack\/D: recurrence.interval 1.5 is not a whole number of at least 1; expected a whole number of hours, at least 1/],
      ['an empty weekday list', () => ({ recurrence: DowntimeRecurrence.weekly({ weekdays: [] }) }),
        /Stack\/D: recurrence.weekdays \[\] is empty; expected at least one Weekday, or no weekdays option/],
      ['a weekday twice', () => ({ recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.MONDAY, Weekday.FRIDAY, Weekday.MONDAY] }) }),
        /Stack\/D: recurrence.weekdays\[2\] "Monday" is given twice; expected each weekday once/],
      ['a weekday not in the enum', () => ({ recurrence: DowntimeRecurrence.weekly({ weekdays: ['Sun' as Weekday] }) }),
        /Stack\/D: recurrence.weekdays\[0\] "Sun" is not a weekday; expected one of "Sunday", "Monday", .*"Saturday"/],
      ['until at start', () => ({ recurrence: DowntimeRecurrence.daily({ until: START }) }),
        /Stack\/D: recurrence.until "2026-12-06T01:00:00.000Z" is not after the downtime start; expected a time after 2026-12-06T01:00:00.000Z/],
      ['until before start', () => ({ recurrence: DowntimeRecurrence.monthly({ until: new Date('2026-01-01T00:00:00Z') }) }),
        /Stack\/D: recurrence.until "2026-01-01T00:00:00.000Z" is not after the downtime start/],
      ['an invalid until', () => ({ recurrence: DowntimeRecurrence.yearly({ until: new Date('') }) }), /Stack\/D: recurrence.until "Invalid Date" is not a valid date/],
      ['a literal scope in scopes and excludeScopes', () => ({ scopes: [MonitorScope.of('shop:db')], excludeScopes: [MonitorScope.of('shop'), MonitorScope.of('shop:db')] }),
        /Stack\/D: excludeScopes\[1\] "shop:db" is also in scopes; expected each service or role in at most one of scopes and excludeScopes/],
      ['a monitor in monitors and excludeMonitors', ({ cpu }) => ({ monitors: [cpu], excludeMonitors: [cpu] }),
        /Stack\/D: excludeMonitors\[0\] "Stack\/Cpu" is also in monitors; expected each monitor in at most one of monitors and excludeMonitors/],
      ['an invalid role name', () => ({ scopes: [MonitorScope.fromRole(BAD_ROLE)] }),
        /Stack\/D: scopes\[0\] "shop:web!" is not a Mackerel service name or role full name; expected service or service:role/],
      ['an invalid excluded role name', () => ({ excludeScopes: [MonitorScope.of('shop'), MonitorScope.fromRole(BAD_ROLE)] }),
        /Stack\/D: excludeScopes\[1\] "shop:web!" is not a Mackerel service name or role full name/],
      ['a scope twice', () => ({ scopes: [MonitorScope.of('shop'), MonitorScope.of('shop')] }), /Stack\/D: scopes\[1\] "shop" is given twice; expected each service or role once/],
      ['an exclude scope twice', () => ({ excludeScopes: [MonitorScope.of('shop:db'), MonitorScope.of('shop:db')] }), /Stack\/D: excludeScopes\[1\] "shop:db" is given twice; expected each service or role once/],
      ['a monitor twice', ({ cpu }) => ({ monitors: [cpu, cpu] }), /Stack\/D: monitors\[1\] "Stack\/Cpu" is given twice; expected each monitor once/],
      ['an excluded monitor twice', ({ cpu }) => ({ excludeMonitors: [cpu, cpu] }), /Stack\/D: excludeMonitors\[1\] "Stack\/Cpu" is given twice; expected each monitor once/],
    ];
    test.each(cases)('%s', (_what, change, message) => {
      const fixture = alertingStack();
      expect(() => new Downtime(fixture.stack, 'D', { name: 'd', start: START, duration: Duration.minutes(30), ...change(fixture) })).toThrow(message);
    });

    test('a start with a fraction of a second asks for a fixed date: one from the clock, cut to whole seconds, would still move at every synth', () => {
      const { stack } = alertingStack();
      expect(() => new Downtime(stack, 'D', { name: 'd', start: new Date('2026-12-06T01:00:00.500Z'), duration: Duration.minutes(30) }))
        .toThrow(new Error('Stack/D: start "2026-12-06T01:00:00.500Z" has a fraction of a second; expected a time in whole seconds (Mackerel takes epoch seconds). '
          + 'Give a fixed date, such as new Date(\'2026-12-06T01:00:00Z\'): a start taken from the clock moves at every synth, and each deploy '
          + 'then moves the downtime to it'));
    });

    test('an until with a fraction of a second asks for a fixed date, as a start does', () => {
      const { stack } = alertingStack();
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), recurrence: DowntimeRecurrence.weekly({ until: new Date('2027-03-31T00:00:00.250Z') }),
      })).toThrow(new Error('Stack/D: recurrence.until "2027-03-31T00:00:00.250Z" has a fraction of a second; expected a time in whole seconds (Mackerel takes epoch seconds). '
        + 'Give a fixed date, such as new Date(\'2027-03-31T00:00:00Z\'): an until taken from the clock moves at every synth, and each deploy '
        + 'then moves the end of the recurrence to it'));
    });

    test('the same role twice in scopes (a reference, shown by the name it was created with)', () => {
      const { stack, web } = alertingStack();
      expect(() => new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(web), MonitorScope.fromRole(web)] }))
        .toThrow('Stack/D: scopes[1] "shop:web" is given twice; expected each service or role once');
    });

    test('the same role in scopes and excludeScopes (a reference, shown by the name it was created with)', () => {
      const { stack, web } = alertingStack();
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(web)], excludeScopes: [MonitorScope.fromRole(web)],
      })).toThrow('Stack/D: excludeScopes[0] "shop:web" is also in scopes');
    });

    test('a role of this app in scopes and the same role as a literal in excludeScopes', () => {
      const { stack, web } = alertingStack();
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(web)], excludeScopes: [MonitorScope.of('shop:web')],
      })).toThrow('Stack/D: excludeScopes[0] "shop:web" is also in scopes; expected each service or role in at most one of scopes and excludeScopes');
    });

    test('a role of this app and a reference to it by name, both in scopes', () => {
      const { stack, web } = alertingStack();
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(web), MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'WebByName', 'shop:web'))],
      })).toThrow('Stack/D: scopes[1] "shop:web" is given twice; expected each service or role once');
    });

    test('a role of this app and an import of it by its fullName, both in scopes, shown by its name', () => {
      const { stack, web } = alertingStack();
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(web), MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Imported', web.fullName))],
      })).toThrow('Stack/D: scopes[1] "shop:web" is given twice; expected each service or role once');
    });

    test('a role of this app and an import of it by a full name built of its service\'s name, in scopes and excludeScopes', () => {
      const { stack, shop, web } = alertingStack();
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(web), MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Built', `${shop.name}:web`))],
      })).toThrow('Stack/D: scopes[1] "shop:web" is given twice; expected each service or role once');
      expect(() => new Downtime(stack, 'E', {
        name: 'd',
        start: START,
        duration: Duration.minutes(30),
        scopes: [MonitorScope.fromRole(web)],
        excludeScopes: [MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Joined', Fn.join(':', [shop.name, 'web'])))],
      })).toThrow('Stack/E: excludeScopes[0] "shop:web" is also in scopes; expected each service or role in at most one of scopes and excludeScopes');
    });

    test('a service of this app and an import of it by its name, both in scopes, shown by its name', () => {
      const { stack, shop } = alertingStack();
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromService(shop), MonitorScope.fromService(MackerelService.fromName(stack, 'Imported', shop.name))],
      })).toThrow('Stack/D: scopes[1] "shop" is given twice; expected each service or role once');
    });

    test('a role on an import of its service by the service\'s name and the role construct, both in scopes', () => {
      const { stack, shop, web } = alertingStack();
      const again = new MackerelRole(stack, 'Again', { service: MackerelService.fromName(stack, 'Imported', shop.name), name: 'web' });
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(web), MonitorScope.fromRole(again)],
      })).toThrow('Stack/D: scopes[1] "shop:web" is given twice; expected each service or role once');
    });

    test('a service of this app and the same service as a literal, both in excludeScopes', () => {
      const { stack, shop } = alertingStack();
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), excludeScopes: [MonitorScope.of('shop'), MonitorScope.fromService(shop)],
      })).toThrow('Stack/D: excludeScopes[1] "shop" is given twice; expected each service or role once');
    });

    test('a role named by a token twice (name unknown at synth, shown resolved)', () => {
      const { stack } = alertingStack();
      const name = new CfnParameter(stack, 'Role', { type: 'String' }).valueAsString;
      const role = MackerelRole.fromFullName(stack, 'ByParameter', name);
      expect(() => new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(role), MonitorScope.fromRole(role)] }))
        .toThrow('Stack/D: scopes[1] {"Ref":"Role"} is given twice; expected each service or role once');
    });

    test('a role named by a token beside a literal role passes: the name is only known at deploy time', () => {
      const { stack } = alertingStack();
      const name = new CfnParameter(stack, 'Role', { type: 'String' }).valueAsString;
      const role = MackerelRole.fromFullName(stack, 'ByParameter', name);
      expect(() => new Downtime(stack, 'D', {
        name: 'd', start: START, duration: Duration.minutes(30), scopes: [MonitorScope.fromRole(role)], excludeScopes: [MonitorScope.of('shop:web')],
      })).not.toThrow();
    });
  });

  describe('warnings', () => {
    function downtime(props: Partial<DowntimeProps>) {
      const { stack } = alertingStack();
      new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.hours(1), scopes: [MonitorScope.of('shop')], ...props });
      return Annotations.fromStack(stack);
    }
    const sundayToMonday = Match.stringLikeRegexp('cdk-mackerel:downtimeSundayToMonday');

    test('a one-off downtime of exactly 24 hours from Sunday loses nothing (cut 24 hours after its start): no warning', () => {
      downtime({ duration: Duration.hours(24) }).hasNoWarning('/Stack/D', sundayToMonday);
    });

    test('a one-off downtime of 24 hours and a minute from Sunday warns with the rule', () => {
      downtime({ duration: Duration.minutes(1441) }).hasWarning('/Stack/D', Match.stringLikeRegexp(
        'duration is 1441 minutes \\(over 24 hours\\) and the downtime spans Sunday to Monday \\(Monday 00:00 in some time zone\\)\\. '
        + 'Mackerel ignores part of such a downtime: when it starts on a Sunday, everything from 24 hours after its start; '
        + 'when it starts on another day, everything from Monday 00:00'));
    });

    test('a one-off downtime of 48 hours from Tuesday does not span Sunday to Monday in any time zone: no warning', () => {
      downtime({ start: new Date('2026-12-08T00:00:00Z'), duration: Duration.hours(48) }).hasNoWarning('/Stack/D', sundayToMonday);
    });

    test('a one-off downtime under 24 hours across Monday 00:00 is not affected: no warning', () => {
      downtime({ start: new Date('2026-12-06T12:00:00Z'), duration: Duration.minutes(1439) }).hasNoWarning('/Stack/D', sundayToMonday);
    });

    test('a recurring downtime over 24 hours warns, as it may start on any day', () => {
      downtime({ duration: Duration.days(2), recurrence: DowntimeRecurrence.monthly() })
        .hasWarning('/Stack/D', Match.stringLikeRegexp('duration is 2880 minutes \\(over 24 hours\\) and the downtime repeats, so it may span Sunday to Monday'));
    });

    test('a weekly downtime of 25 hours on Wednesdays never reaches a Monday in any time zone: no warning', () => {
      downtime({ duration: Duration.hours(25), recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.WEDNESDAY] }) })
        .hasNoWarning('/Stack/D', sundayToMonday);
    });

    test('a weekly downtime of 25 hours on Wednesdays and Saturdays: the Saturday one reaches Monday 00:00 in some time zone, with the warning', () => {
      downtime({ duration: Duration.hours(25), recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.WEDNESDAY, Weekday.SATURDAY] }) })
        .hasWarning('/Stack/D', Match.stringLikeRegexp('duration is 1500 minutes \\(over 24 hours\\) and the downtime repeats, so it may span Sunday to Monday'));
    });

    test('a daily downtime every 7 days is checked as its first window: 48 hours from a Tuesday, no warning; every day, the warning', () => {
      const tuesday = { start: new Date('2026-12-08T00:00:00Z'), duration: Duration.hours(48) };
      downtime({ ...tuesday, recurrence: DowntimeRecurrence.daily({ interval: 7 }) }).hasNoWarning('/Stack/D', sundayToMonday);
      downtime({ ...tuesday, recurrence: DowntimeRecurrence.daily() }).hasWarning('/Stack/D', sundayToMonday);
    });

    test('the warning can be acknowledged by its id', () => {
      downtime({ duration: Duration.hours(30), recurrence: DowntimeRecurrence.weekly() }).hasWarning('/Stack/D', sundayToMonday);
    });

    test('a recurring downtime of 24 hours or less: no warning', () => {
      downtime({ duration: Duration.minutes(1439), recurrence: DowntimeRecurrence.daily() }).hasNoWarning('/Stack/D', sundayToMonday);
      downtime({ duration: Duration.hours(24), recurrence: DowntimeRecurrence.weekly() }).hasNoWarning('/Stack/D', sundayToMonday);
    });

    test('no scope and no monitor: mutes everything, with a warning', () => {
      downtime({ scopes: undefined, excludeScopes: [MonitorScope.of('other')] }).hasWarning('/Stack/D', Match.stringLikeRegexp(
        'scopes and monitors are both empty, so the downtime mutes every monitor of the organization \\(but those excluded\\) while it lasts'));
    });

    test('a monitor alone is a scope: no warning about a missing scope', () => {
      const { stack, cpu } = alertingStack();
      new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.hours(1), monitors: [cpu] });
      Annotations.fromStack(stack).hasNoWarning('/Stack/D', Match.anyValue());
    });

    test('services and roles as scopes together warn (Mackerel ANDs them)', () => {
      downtime({ scopes: [MonitorScope.of('shop'), MonitorScope.of('shop:web')] }).hasWarning('/Stack/D', Match.stringLikeRegexp(
        'scopes has both services and roles: Mackerel ANDs them, and monitors tied to no service \\(expression monitors, external HTTP monitors without a service\\)'));
    });

    describe('a downtime already over when synthesized mutes nothing: cdk-mackerel:downtimeOver', () => {
      const over = Match.stringLikeRegexp('cdk-mackerel:downtimeOver');

      test('a one-off downtime that ended before synthesis warns, naming start, duration, its end and the time of synthesis', () => {
        vi.setSystemTime(new Date('2026-12-06T02:00:00Z'));
        downtime({ duration: Duration.minutes(60) }).hasWarning('/Stack/D', Match.stringLikeRegexp(
          '^start "2026-12-06T01:00:00.000Z" plus duration 60 minutes ends at "2026-12-06T02:00:00.000Z", before this synthesis '
          + '\\("2026-12-06T02:00:00.000Z"\\): the downtime is over and mutes nothing\\. Move start to the time to mute, or remove the downtime'));
      });

      test('a one-off downtime still running, or to come, does not warn', () => {
        vi.setSystemTime(new Date('2026-12-06T01:59:59Z'));
        downtime({ duration: Duration.minutes(60) }).hasNoWarning('/Stack/D', over);
        vi.setSystemTime(NOW);
        downtime({ duration: Duration.minutes(60) }).hasNoWarning('/Stack/D', over);
      });

      test('by the real clock: a one-off downtime that ended a minute ago warns, one that ends in a minute does not', () => {
        vi.useRealTimers();
        const now = Math.floor(Date.now() / 60_000) * 60_000;
        downtime({ start: new Date(now - 61 * 60_000), duration: Duration.hours(1) }).hasWarning('/Stack/D', over);
        downtime({ start: new Date(now - 59 * 60_000), duration: Duration.hours(1) }).hasNoWarning('/Stack/D', over);
      });

      test('a recurring downtime whose last window (from until) ended before synthesis warns', () => {
        vi.setSystemTime(new Date('2027-01-01T00:00:00Z'));
        downtime({ recurrence: DowntimeRecurrence.daily({ until: new Date('2026-12-20T01:00:00Z') }) }).hasWarning('/Stack/D', Match.stringLikeRegexp(
          '^recurrence.until "2026-12-20T01:00:00.000Z" \\(no window starts after it\\) plus duration 60 minutes ends at "2026-12-20T02:00:00.000Z", '
          + 'before this synthesis \\("2027-01-01T00:00:00.000Z"\\): the downtime is over and mutes nothing\\. Set a later until, or none to repeat for ever'));
      });

      test('a recurring downtime past its start: none without until (it repeats for ever), none while a window may still start or run', () => {
        vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
        // The README's and the example's: weekly on Sunday for an hour, with no until.
        downtime({ recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] }) }).hasNoWarning('/Stack/D', over);
        vi.setSystemTime(new Date('2026-12-20T01:30:00Z'));
        downtime({ recurrence: DowntimeRecurrence.daily({ until: new Date('2026-12-20T01:00:00Z') }) }).hasNoWarning('/Stack/D', over);
      });

      test('a duration from a token is not checked', () => {
        vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
        downtime({ duration: Duration.minutes(Token.asNumber({ Ref: 'Minutes' })) }).hasNoWarning('/Stack/D', over);
      });
    });

    describe('a recurring downtime whose windows last until the next starts: cdk-mackerel:downtimeOverlap', () => {
      const overlap = Match.stringLikeRegexp('cdk-mackerel:downtimeOverlap');

      test('hourly every hour for 2 hours warns that it never lets the monitors out of the mute, naming duration and recurrence', () => {
        downtime({ duration: Duration.hours(2), recurrence: DowntimeRecurrence.hourly() }).hasWarning('/Stack/D', Match.stringLikeRegexp(
          '^duration 120 minutes is at least the 1 hour between two starts of recurrence \\(hourly, interval 1\\): every window lasts until '
          + 'the next one starts, so the downtime mutes its monitors without a break, for ever\\. Keep duration under 1 hour, or use a one-off downtime '
          + 'for one long window'));
      });

      test.each<[string, Duration, DowntimeRecurrence]>([
        ['daily for 25 hours', Duration.hours(25), DowntimeRecurrence.daily()],
        ['every 6 hours for exactly 6 hours (each window ends as the next starts)', Duration.hours(6), DowntimeRecurrence.hourly({ interval: 6 })],
        ['weekly (no weekdays) for 7 days', Duration.days(7), DowntimeRecurrence.weekly()],
        ['monthly for 31 days, the longest a month is', Duration.days(31), DowntimeRecurrence.monthly()],
        ['yearly for 366 days', Duration.days(366), DowntimeRecurrence.yearly()],
      ])('%s warns', (_what, duration, recurrence) => {
        downtime({ duration, recurrence }).hasWarning('/Stack/D', overlap);
      });

      test('weekly on Saturday and Sunday for 30 hours warns that those two windows join', () => {
        downtime({ duration: Duration.hours(30), recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SATURDAY, Weekday.SUNDAY] }) })
          .hasWarning('/Stack/D', Match.stringLikeRegexp(
            '^duration 1800 minutes is at least the 1 day between the closest two starts of recurrence '
            + '\\(weekly, interval 1; weekdays Saturday, Sunday\\): those windows last until the next one starts and join into one mute, '
            + 'longer than duration says\\. Keep duration under 1 day'));
      });

      test('monthly for 28 days warns: from the 6th, February of a common year is the closest two starts, named by their dates', () => {
        downtime({ duration: Duration.days(28), recurrence: DowntimeRecurrence.monthly() }).hasWarning('/Stack/D', Match.stringLikeRegexp(
          '^duration 40320 minutes is at least the 28 days between the closest two starts of recurrence \\(monthly, interval 1\\), such as '
          + '2027-02-06T01:00:00\\.000Z and 2027-03-06T01:00:00\\.000Z: those windows last until the next one starts and join into one mute, '
          + 'longer than duration says\\. Keep duration under 28 days'));
      });

      test.each<[string, Duration, DowntimeRecurrence]>([
        ['monthly for 30 days', Duration.days(30), DowntimeRecurrence.monthly()],
        ['yearly for 365 days (a common year)', Duration.days(365), DowntimeRecurrence.yearly()],
        ['every 2 months for 59 days (February and March)', Duration.days(59), DowntimeRecurrence.monthly({ interval: 2 })],
      ])('%s from the 6th warns', (_what, duration, recurrence) => {
        downtime({ duration, recurrence }).hasWarning('/Stack/D', overlap);
      });

      test('monthly for 30 days from the 31st 01:00 UTC, the 30th west of UTC, which Mackerel says nothing of for shorter months: no warning', () => {
        downtime({ start: new Date('2026-12-31T01:00:00Z'), duration: Duration.days(30), recurrence: DowntimeRecurrence.monthly() })
          .hasNoWarning('/Stack/D', overlap);
      });

      test('with until, the mute lasts until the last window ends', () => {
        downtime({ duration: Duration.hours(2), recurrence: DowntimeRecurrence.hourly({ until: new Date('2026-12-07T01:00:00Z') }) })
          .hasWarning('/Stack/D', Match.stringLikeRegexp(
            'recurrence \\(hourly, interval 1; until 2026-12-07T01:00:00\\.000Z\\): .* without a break, until its last window ends\\.'));
      });

      test('weekdays known at deploy time are said so, not shown as token text', () => {
        const { stack } = alertingStack();
        const days = new CfnParameter(stack, 'Days', { type: 'CommaDelimitedList' });
        const recurrence = DowntimeRecurrence.weekly({ weekdays: days.valueAsList as Weekday[] });
        new Downtime(stack, 'D', { name: 'maintenance', start: START, duration: Duration.days(8), recurrence, scopes: [MonitorScope.of('shop')] });
        const warnings = Annotations.fromStack(stack).findWarning('/Stack/D', Match.stringLikeRegexp('cdk-mackerel:downtimeOverlap'));
        expect(warnings.map((w) => w.entry.data)).toEqual([expect.stringContaining('recurrence (weekly, interval 1; weekdays known at deploy time): ')]);
        expect(String(warnings[0].entry.data)).not.toContain('${Token');
      });

      test('weekly with until: warns only when until leaves room for the closest two starts wherever the first falls', () => {
        // From Wednesday, the first Saturday may be up to a week away (the weekday of start in Mackerel's time zone is
        // not known), and Sunday a day after it: until 8 days after start is sure to have both.
        const saturdayAndSunday = (until: string) => downtime({
          start: new Date('2026-12-09T12:00:00Z'),
          duration: Duration.hours(30),
          recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SATURDAY, Weekday.SUNDAY], until: new Date(until) }),
        });
        saturdayAndSunday('2026-12-17T12:00:00Z').hasWarning('/Stack/D', overlap);
        // Two days after start: one Saturday at most (and a Sunday only in none of the time zones), so no two windows to join.
        saturdayAndSunday('2026-12-11T12:00:00Z').hasNoWarning('/Stack/D', overlap);
        saturdayAndSunday('2026-12-17T11:59:59Z').hasNoWarning('/Stack/D', overlap);
      });

      test.each<[string, Duration, DowntimeRecurrence]>([
        ['hourly for 59 minutes', Duration.minutes(59), DowntimeRecurrence.hourly()],
        ['daily for 23 hours 59 minutes', Duration.minutes(1439), DowntimeRecurrence.daily()],
        ['every 2 days for 25 hours', Duration.hours(25), DowntimeRecurrence.daily({ interval: 2 })],
        ['weekly on Sunday for 1 hour (the README\'s and the example\'s)', Duration.hours(1), DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] })],
        ['monthly for 27 days 23 hours 59 minutes, under the shortest month', Duration.minutes(28 * 1440 - 1), DowntimeRecurrence.monthly()],
        ['monthly for 30 days until the end of January: no February among its starts', Duration.days(30),
          DowntimeRecurrence.monthly({ until: new Date('2027-02-05T00:00:00Z') })],
        ['hourly for 2 hours with until leaving room for one window only', Duration.hours(2), DowntimeRecurrence.hourly({ until: new Date('2026-12-06T01:30:00Z') })],
        ['a duration from a token', Duration.minutes(Token.asNumber({ Ref: 'Minutes' })), DowntimeRecurrence.hourly()],
        ['an interval from a token', Duration.hours(2), DowntimeRecurrence.hourly({ interval: Token.asNumber({ Ref: 'Hours' }) })],
      ])('%s: no warning', (_what, duration, recurrence) => {
        downtime({ duration, recurrence }).hasNoWarning('/Stack/D', overlap);
      });

      test('a one-off downtime of any length: no warning', () => {
        downtime({ duration: Duration.days(400) }).hasNoWarning('/Stack/D', overlap);
      });
    });

    describe('a role in scopes whose service is in excludeScopes: cdk-mackerel:downtimeScopeRedundant, as for monitors', () => {
      const redundant = Match.stringLikeRegexp('cdk-mackerel:downtimeScopeRedundant');

      test('warns that the downtime mutes none of the role\'s hosts, naming both scopes and where they are', () => {
        // GIVEN
        const { stack, shop, web } = alertingStack();
        // WHEN
        const scopes = [MonitorScope.of('blog:web'), MonitorScope.fromRole(web)];
        const excludeScopes = [MonitorScope.of('blog:db'), MonitorScope.fromService(shop)];
        new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.hours(1), scopes, excludeScopes });
        // THEN
        Annotations.fromStack(stack).hasWarning('/Stack/D', Match.stringLikeRegexp(
          '^scopes\\[1\\] "shop:web" is a role of service "shop", which is excludeScopes\\[1\\]: the exclusion leaves out every host of the service, '
          + 'so the downtime mutes none of the role\'s hosts\\. Remove the role from scopes or the service from excludeScopes \\(to mute a service but '
          + 'one of its roles, put the service in scopes and the role in excludeScopes\\)'));
        expect(Annotations.fromStack(stack).findWarning('/Stack/D', redundant)).toHaveLength(1);
      });

      test('compares a service or role of a Lazy name by the name it ends with, given after the downtime is made', () => {
        const warnings = (last: string, lazyRole: boolean) => {
          const { app, stack, shop, web } = alertingStack();
          const state = { value: lazyRole ? 'blog:web' : 'blog' };
          const lazy = Lazy.string({ produce: () => state.value });
          const scopes = [MonitorScope.of('blog:db'), lazyRole ? MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Role', lazy)) : MonitorScope.fromRole(web)];
          const excludeScopes = [lazyRole ? MonitorScope.fromService(shop) : MonitorScope.fromService(MackerelService.fromName(stack, 'Service', lazy))];
          new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.hours(1), scopes, excludeScopes });
          state.value = last;
          app.synth();
          return Annotations.fromStack(stack).findWarning('/Stack/D', redundant).map((w) => w.entry.data);
        };
        const warned = [expect.stringMatching('^scopes\\[1\\] "shop:web" is a role of service "shop", which is excludeScopes\\[0\\]: the exclusion leaves out every host')];
        expect(warnings('shop', false)).toEqual(warned);
        expect(warnings('shop:web', true)).toEqual(warned);
        expect(warnings('other', false)).toEqual([]);
        expect(warnings('other:web', true)).toEqual([]);
      });

      test('no warning for a service with one of its roles excluded, or a role of another service than the excluded one', () => {
        downtime({ scopes: [MonitorScope.of('shop')], excludeScopes: [MonitorScope.of('shop:web')] }).hasNoWarning('/Stack/D', redundant);
        downtime({ scopes: [MonitorScope.of('shop:web')], excludeScopes: [MonitorScope.of('shopping')] }).hasNoWarning('/Stack/D', redundant);
      });
    });

    test('a role scope with an excluded service is not that combination: no warning', () => {
      downtime({ scopes: [MonitorScope.of('shop:web')], excludeScopes: [MonitorScope.of('other')] }).hasNoWarning('/Stack/D', Match.anyValue());
    });

    describe('a monitor known to lie outside every scope: cdk-mackerel:downtimeMonitorOutsideScopes (Mackerel ANDs monitors with scopes)', () => {
      const outside = Match.stringLikeRegexp('cdk-mackerel:downtimeMonitorOutsideScopes');
      /** The fixture's stack with a service `blog` (a MackerelService), its service metric monitor and its external monitor. */
      function blogStack() {
        const fixture = alertingStack();
        const blog = new MackerelService(fixture.stack, 'Blog', { name: 'blog' });
        const posts = new ServiceMetricMonitor(fixture.stack, 'Posts', {
          name: 'posts', service: blog, metric: 'blog.posts', operator: MonitorOperator.LESS_THAN, critical: 1, duration: 1,
        });
        const top = new ExternalHttpMonitor(fixture.stack, 'Top', { name: 'top', url: 'https://blog.example.com/', service: blog });
        return { ...fixture, blog, posts, top };
      }

      test('warns about a service metric monitor and an external monitor of another service, naming each, its service and the scopes', () => {
        // GIVEN
        const { stack, web, posts, top, cpu } = blogStack();
        // WHEN
        new Downtime(stack, 'D', {
          name: 'd',
          start: START,
          duration: Duration.hours(1),
          scopes: [MonitorScope.of('shop'), MonitorScope.fromRole(web)],
          monitors: [cpu, posts, top],
        });
        // THEN
        const warnings = Annotations.fromStack(stack).findWarning('/Stack/D', outside);
        expect(warnings.map((w) => w.entry.data)).toEqual([
          expect.stringMatching('^monitors\\[1\\] Stack/Posts: it belongs to service "blog", outside every service and role of scopes '
            + '\\(shop, shop:web\\)\\. Mackerel ANDs a downtime\'s monitors with its scopes, so the downtime does not mute this monitor\\. '
            + 'Add its service \\(or role\\) to scopes, or mute it with a separate downtime'),
          expect.stringMatching('^monitors\\[2\\] Stack/Top: it belongs to service "blog", '),
        ]);
      });

      test('warns about a host monitor whose scopes lie in another service, and in a DeploymentDowntime too', () => {
        // GIVEN
        const { stack, cpu } = alertingStack();
        // WHEN
        new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.hours(1), scopes: [MonitorScope.of('blog:web')], monitors: [cpu] });
        new DeploymentDowntime(stack, 'Deploy', { revision: 'r1', scopes: [MonitorScope.of('blog')], monitors: [cpu] });
        // THEN
        const annotations = Annotations.fromStack(stack);
        annotations.hasWarning('/Stack/D', Match.stringLikeRegexp(
          '^monitors\\[0\\] Stack/Cpu: its scopes lie in service "shop", outside every service and role of scopes \\(blog:web\\)\\. '
          + '.* the downtime does not mute this monitor \\(but perhaps on a host that also has a role in scopes\\)\\. '));
        annotations.hasWarning('/Stack/Deploy', Match.stringLikeRegexp('^monitors\\[0\\] Stack/Cpu: its scopes lie in service "shop", .*\\(blog\\)'));
      });

      test('no warning when the monitor\'s service is in scopes, as a service or a role of it', () => {
        const { stack, blog, posts, top, cpu } = blogStack();
        new Downtime(stack, 'D', {
          name: 'd',
          start: START,
          duration: Duration.hours(1),
          scopes: [MonitorScope.fromService(blog), MonitorScope.of('shop:web')],
          monitors: [posts, top, cpu],
        });
        new Downtime(stack, 'ByRole', { name: 'd', start: START, duration: Duration.hours(1), scopes: [MonitorScope.of('blog:app')], monitors: [posts] });
        Annotations.fromStack(stack).hasNoWarning('*', outside);
      });

      test('no warning when the service of the monitor or of a scope is unknown at synth, or for no scopes', () => {
        // GIVEN
        const { stack, cpu } = alertingStack();
        const name = new CfnParameter(stack, 'ServiceName').valueAsString;
        const imported = MonitorBase.fromMonitorId(stack, 'Imported', 'abc123');
        const fromParameter = new ServiceMetricMonitor(stack, 'Param', {
          name: 'p', service: MackerelService.fromName(stack, 'ParamService', name), metric: 'm', operator: MonitorOperator.LESS_THAN, critical: 1, duration: 1,
        });
        const external = new ExternalHttpMonitor(stack, 'NoService', { name: 'n', url: 'https://example.com/' });
        const expression = new ExpressionMonitor(stack, 'Expr', { name: 'e', expression: 'max(role(shop:web, loadavg5))', operator: MonitorOperator.GREATER_THAN, warning: 1 });
        const unscoped = new HostMetricMonitor(stack, 'AllHosts', { name: 'all', metric: 'loadavg5', operator: MonitorOperator.GREATER_THAN, warning: 1, duration: Duration.minutes(1) });
        const monitors = [imported, fromParameter, external, expression, unscoped];
        // WHEN
        new Downtime(stack, 'D', { name: 'd', start: START, duration: Duration.hours(1), scopes: [MonitorScope.of('blog')], monitors });
        // A scope of unknown name may be the monitor's own service.
        new Downtime(stack, 'Unknown', {
          name: 'd',
          start: START,
          duration: Duration.hours(1),
          scopes: [MonitorScope.of('blog'), MonitorScope.fromService(MackerelService.fromName(stack, 'Other', name))],
          monitors: [cpu],
        });
        new Downtime(stack, 'NoScopes', { name: 'd', start: START, duration: Duration.hours(1), monitors: [cpu] });
        // THEN
        Annotations.fromStack(stack).hasNoWarning('*', outside);
      });
    });
  });
});
