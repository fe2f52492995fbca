import { CfnParameter, Duration, Fn, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { describe, expect, test } from 'vitest';
import { logicalIdOf, mackerelStack, propertiesOf } from './_fixture';
import {
  AlertGroupSetting, AnomalyDetectionMonitor, AnomalySensitivity, ConnectivityMonitor, Downtime, ExternalHttpMonitor, HostMetricMonitor,
  MackerelApiKey, MackerelProvider, MackerelRole, MackerelService, MonitorOperator, MonitorScope, ServiceMetricMonitor,
} from '../../src';

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

    describe('an invalid value is reported by the construct given it, with its path and property', () => {
      const EXPECTED = 'is not a Mackerel service name or role full name; expected service or service:role, each part 2-63 letters, digits, - or _, not starting with - or _';

      test.each(['shop:web!', 'shop web', '', 'a:b:c'])('%j in a monitor\'s scopes', (value) => {
        // GIVEN
        const { stack } = mackerelStack();
        const scope = MonitorScope.of(value);

        // WHEN / THEN
        expect(() => new HostMetricMonitor(stack, 'Cpu', {
          name: 'web cpu',
          metric: 'loadavg5',
          operator: MonitorOperator.GREATER_THAN,
          warning: 4,
          duration: Duration.minutes(1),
          scopes: [MonitorScope.of('shop'), scope],
        })).toThrow(`Stack/Cpu: scopes[1] ${JSON.stringify(value)} ${EXPECTED}`);
      });

      test('in a monitor\'s excludeScopes, a downtime\'s scopes and an alert group setting\'s scopes', () => {
        const { stack } = mackerelStack();
        const bad = MonitorScope.of('shop web');

        expect(() => new ConnectivityMonitor(stack, 'Alive', { excludeScopes: [bad] })).toThrow(`Stack/Alive: excludeScopes[0] "shop web" ${EXPECTED}`);
        expect(() => new Downtime(stack, 'Maint', { name: 'm', start: new Date('2026-12-06T01:00:00Z'), duration: Duration.hours(1), scopes: [bad] }))
          .toThrow(`Stack/Maint: scopes[0] "shop web" ${EXPECTED}`);
        expect(() => new AlertGroupSetting(stack, 'Group', { name: 'g', scopes: [bad] })).toThrow(`Stack/Group: scopes[0] "shop web" ${EXPECTED}`);
      });

      test('a value with a colon is taken for a role, so a roles-only monitor reports its form, not that it is a service', () => {
        const { stack } = mackerelStack();

        expect(() => new AnomalyDetectionMonitor(stack, 'Anomaly', { name: 'a', scopes: [MonitorScope.of('shop:')], warningSensitivity: AnomalySensitivity.NORMAL }))
          .toThrow(`Stack/Anomaly: scopes[0] "shop:" ${EXPECTED}`);
      });
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

  describe('a literal naming a service or role of the same stack', () => {
    const START = new Date('2026-12-06T01:00:00Z');
    function dependsOn(construct: IConstruct): string[] {
      return Template.fromStack(Stack.of(construct)).toJSON().Resources[logicalIdOf(construct)].DependsOn ?? [];
    }
    function cpuMonitor(stack: Stack, scope: MonitorScope) {
      return new HostMetricMonitor(stack, 'Cpu', {
        name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes: [scope],
      });
    }

    test('a monitor, a downtime and an alert group setting are created after the role, which keeps its literal', () => {
      // GIVEN
      const { stack, web } = mackerelStack();
      // WHEN
      const cpu = cpuMonitor(stack, MonitorScope.of('shop:web'));
      const downtime = new Downtime(stack, 'Maint', { name: 'm', start: START, duration: Duration.hours(1), excludeScopes: [MonitorScope.of('shop:web')] });
      const setting = new AlertGroupSetting(stack, 'Group', { name: 'g', scopes: [MonitorScope.of('shop:web')] });
      // THEN
      for (const consumer of [cpu, downtime, setting]) expect(dependsOn(consumer)).toContain(logicalIdOf(web));
      expect(propertiesOf(cpu).scopes).toEqual(['shop:web']);
    });

    test('a service declared after the monitor, and a reference to the role by its literal name, count too', () => {
      const { stack, web } = mackerelStack();
      const byName = cpuMonitor(stack, MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'WebByName', 'shop:web')));
      const blogCpu = new ConnectivityMonitor(stack, 'Blog', { scopes: [MonitorScope.of('blog')] });
      const blog = new MackerelService(stack, 'BlogService', { name: 'blog' });

      expect(dependsOn(byName)).toContain(logicalIdOf(web));
      expect(dependsOn(blogCpu)).toContain(logicalIdOf(blog));
    });

    test('a service monitor and an external monitor whose service is known by name wait for the service the stack creates', () => {
      const { stack, shop } = mackerelStack();
      const byName = MackerelService.fromName(stack, 'ShopByName', 'shop');
      const requests = new ServiceMetricMonitor(stack, 'Requests', {
        name: 'requests', service: byName, metric: 'requests', operator: MonitorOperator.GREATER_THAN, warning: 100, duration: 3,
      });
      const top = new ExternalHttpMonitor(stack, 'Top', { name: 'top', url: 'https://shop.example.com/', service: byName });
      for (const consumer of [requests, top]) expect(dependsOn(consumer)).toContain(logicalIdOf(shop));
      expect(propertiesOf(requests).service).toBe('shop');
    });

    test('a literal naming a service waits for the service\'s own resource, not for its roles', () => {
      const { stack, shop } = mackerelStack();

      const cpu = cpuMonitor(stack, MonitorScope.of('shop'));

      expect(dependsOn(cpu)).toEqual([logicalIdOf(shop)]);
    });

    test('a literal naming nothing of the stack, or a role of another stack, adds no dependency', () => {
      const { app, stack } = mackerelStack();
      const other = new Stack(app, 'Other');
      new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(other, 'Key')) });
      new MackerelService(other, 'Blog', { name: 'blog' }).addRole('web');

      expect(dependsOn(cpuMonitor(stack, MonitorScope.of('blog:web')))).toEqual([]);
    });
  });

  describe('scopes given as an empty list: the monitor watches every host of the organization', () => {
    const EMPTY = Match.stringLikeRegexp('cdk-mackerel:monitorScopesEmpty');

    test('a host metric or connectivity monitor warns, saying how Mackerel reads it and what to write instead', () => {
      // GIVEN
      const { stack } = mackerelStack();
      // WHEN
      new HostMetricMonitor(stack, 'Cpu', { name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes: [] });
      new ConnectivityMonitor(stack, 'Alive', { scopes: [], excludeScopes: [MonitorScope.of('shop:batch')] });
      // THEN
      Annotations.fromStack(stack).hasWarning('/Stack/Cpu', Match.stringLikeRegexp(
        '^scopes is an empty list, which Mackerel reads as no scope: the monitor watches every host of the organization not in excludeScopes\\. Leave scopes out '
        + 'to watch every host, or give the services and roles to watch'));
      Annotations.fromStack(stack).hasWarning('/Stack/Alive', EMPTY);
    });

    test('scopes left out, or an empty excludeScopes, do not warn', () => {
      const { stack } = mackerelStack();
      new ConnectivityMonitor(stack, 'Alive', {});
      new ConnectivityMonitor(stack, 'Web', { scopes: [MonitorScope.of('shop:web')], excludeScopes: [] });
      Annotations.fromStack(stack).hasNoWarning('*', EMPTY);
    });
  });

  describe('a scope named again in a monitor: a warning, as Mackerel documents refusing it for downtimes only', () => {
    const REDUNDANT = 'cdk-mackerel:monitorScopeRedundant';
    function hostMonitor(stack: Stack, scopes: MonitorScope[], excludeScopes?: MonitorScope[]) {
      return new HostMetricMonitor(stack, 'Cpu', {
        name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes, excludeScopes,
      });
    }
    const warnings = (stack: Stack, path: string) => Annotations.fromStack(stack).findWarning(path, Match.stringLikeRegexp(REDUNDANT));

    test('a role twice in scopes warns, naming the property, the value and why, and is written as given', () => {
      // GIVEN
      const { stack } = mackerelStack();
      // WHEN
      const cpu = hostMonitor(stack, [MonitorScope.of('shop'), MonitorScope.of('shop:web'), MonitorScope.of('shop:web')]);
      // THEN
      Annotations.fromStack(stack).hasWarning('/Stack/Cpu', Match.stringLikeRegexp(
        '^scopes\\[2\\] "shop:web" is given twice\\. Mackerel does not document what a monitor does with a repeated scope '
        + '\\(it refuses one in a downtime\\)\\. Give each service or role once'));
      expect(warnings(stack, '/Stack/Cpu')).toHaveLength(1);
      expect(propertiesOf(cpu).scopes).toEqual(['shop', 'shop:web', 'shop:web']);
    });

    test('a service twice in a connectivity monitor\'s excludeScopes, once by reference and once by name', () => {
      const { stack, shop } = mackerelStack();
      new ConnectivityMonitor(stack, 'Alive', { excludeScopes: [MonitorScope.fromService(shop), MonitorScope.of('shop')] });
      Annotations.fromStack(stack).hasWarning('/Stack/Alive', Match.stringLikeRegexp('^excludeScopes\\[1\\] "shop" is given twice'));
    });

    test('the same service in scopes and excludeScopes warns that the monitor may watch none of its hosts', () => {
      const { stack } = mackerelStack();
      new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.of('shop')], excludeScopes: [MonitorScope.of('blog'), MonitorScope.of('shop')] });
      Annotations.fromStack(stack).hasWarning('/Stack/Alive', Match.stringLikeRegexp(
        '^excludeScopes\\[1\\] "shop" is also in scopes: the monitor is told to watch its hosts and to leave them out\\. Mackerel does not document '
        + 'which wins \\(it refuses the same in a downtime\\); if the exclusion does, the monitor watches none of them\\. Keep it in one of the two lists'));
    });

    test('the same role in both, as a reference in scopes and as a literal in excludeScopes', () => {
      const { stack, web } = mackerelStack();
      hostMonitor(stack, [MonitorScope.fromRole(web)], [MonitorScope.of('shop:web')]);
      Annotations.fromStack(stack).hasWarning('/Stack/Cpu', Match.stringLikeRegexp('^excludeScopes\\[0\\] "shop:web" is also in scopes'));
    });

    test('an anomaly detection monitor given a role twice (the role and a reference to it by name)', () => {
      const { stack, web } = mackerelStack();
      const byName = MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'WebByName', 'shop:web'));
      new AnomalyDetectionMonitor(stack, 'Anomaly', { name: 'a', scopes: [MonitorScope.fromRole(web), byName], warningSensitivity: AnomalySensitivity.NORMAL });
      Annotations.fromStack(stack).hasWarning('/Stack/Anomaly', Match.stringLikeRegexp('^scopes\\[1\\] "shop:web" is given twice'));
    });

    test('scopes of Lazy names are compared by the names they end with', () => {
      const warned = (last: string, excluded: string) => {
        const { stack } = mackerelStack();
        const state = { value: 'shop:draft' };
        const lazy = MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'ByLazy', Lazy.string({ produce: () => state.value })));
        hostMonitor(stack, [MonitorScope.of('shop:web'), lazy], [MonitorScope.of(excluded)]);
        state.value = last;
        return warnings(stack, '/Stack/Cpu').map((w) => w.entry.data);
      };
      expect(warned('shop:web', 'blog')).toEqual([expect.stringMatching(/^scopes\[1\] "shop:web" is given twice/)]);
      expect(warned('blog:db', 'blog')).toEqual([expect.stringMatching(/^scopes\[1\] "blog:db" is a role of service "blog", which is excludeScopes\[0\]/)]);
      expect(warned('shop:db', 'blog')).toEqual([]);
    });

    test('a role named by a token twice warns, shown resolved: the same token is the same role', () => {
      const { stack } = mackerelStack();
      const role = MackerelRole.fromFullName(stack, 'ByParameter', new CfnParameter(stack, 'Role', { type: 'String' }).valueAsString);
      hostMonitor(stack, [MonitorScope.fromRole(role)], [MonitorScope.fromRole(role)]);
      Annotations.fromStack(stack).hasWarning('/Stack/Cpu', Match.stringLikeRegexp('^excludeScopes\\[0\\] \\{"Ref":"Role"\\} is also in scopes'));
    });

    test('a role in scopes whose service is in excludeScopes warns that the monitor watches none of the role\'s hosts', () => {
      // GIVEN
      const { stack, shop, web } = mackerelStack();
      // WHEN
      hostMonitor(stack, [MonitorScope.of('blog'), MonitorScope.fromRole(web)], [MonitorScope.of('blog:db'), MonitorScope.fromService(shop)]);
      new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.of('shop:db')], excludeScopes: [MonitorScope.of('shop')] });
      // THEN
      Annotations.fromStack(stack).hasWarning('/Stack/Cpu', Match.stringLikeRegexp(
        '^scopes\\[1\\] "shop:web" is a role of service "shop", which is excludeScopes\\[1\\]: the exclusion leaves out every host of '
        + 'the service, so the monitor watches none of the role\'s hosts\\. Remove the role from scopes or the service from excludeScopes'));
      expect(warnings(stack, '/Stack/Cpu')).toHaveLength(1);
      Annotations.fromStack(stack).hasWarning('/Stack/Alive', Match.stringLikeRegexp('^scopes\\[0\\] "shop:db" is a role of service "shop", which is excludeScopes\\[0\\]'));
    });

    test('no warning for a service with one of its roles excluded (Mackerel\'s own example), other services\' roles, or a token beside a literal', () => {
      // GIVEN
      const { stack, shop, web } = mackerelStack();
      const role = MackerelRole.fromFullName(stack, 'ByParameter', new CfnParameter(stack, 'Role', { type: 'String' }).valueAsString);
      // WHEN
      hostMonitor(stack, [MonitorScope.fromService(shop), MonitorScope.of('blog')], [MonitorScope.fromRole(web), MonitorScope.of('blog:db')]);
      new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromRole(role)], excludeScopes: [MonitorScope.of('shop:web')] });
      new AnomalyDetectionMonitor(stack, 'Anomaly', { name: 'a', scopes: [MonitorScope.of('shop:web'), MonitorScope.of('shop:db')], criticalSensitivity: AnomalySensitivity.NORMAL });
      // THEN
      expect(warnings(stack, '*')).toEqual([]);
    });
  });
});
