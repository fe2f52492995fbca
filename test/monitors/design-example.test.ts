import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import {
  AlertStatusOnGone, ConnectivityMonitor, ExternalHttpMonitor, HostMetricMonitor, MackerelApiKey, MackerelProvider,
  MackerelService, MonitorOperator, MonitorScope,
} from '../../src';

describe('the "monitoring as code" block of design.md, written as users write it', () => {
  test('synthesizes one service, one role and three monitors wired by Ref', () => {
    const app = new App();
    const stack = new Stack(app, 'Shop');
    const apiKey = MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key'));

    new MackerelProvider(stack, 'Mackerel', { apiKey });
    const shop = new MackerelService(stack, 'Shop', { name: 'shop' });
    const web = shop.addRole('web');
    const cpu = new HostMetricMonitor(stack, 'Cpu', {
      name: 'web cpu',
      metric: 'container-cpu%',
      operator: MonitorOperator.GREATER_THAN,
      warning: 80,
      critical: 90,
      duration: Duration.minutes(3),
      scopes: [MonitorScope.fromRole(web)],
      notificationInterval: Duration.minutes(60),
    });
    new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromRole(web)], alertStatusOnGone: AlertStatusOnGone.WARNING });
    new ExternalHttpMonitor(stack, 'Url', {
      name: 'top page',
      url: 'https://shop.example.com/',
      service: shop,
      responseTimeWarning: Duration.millis(1500),
      responseTimeDuration: Duration.minutes(3),
    });

    const template = Template.fromStack(stack);
    template.resourceCountIs('Custom::MackerelService', 1);
    template.resourceCountIs('Custom::MackerelRole', 1);
    template.resourceCountIs('Custom::MackerelMonitor', 3);
    const roleRef = stack.resolve(web.fullName);
    template.hasResourceProperties('Custom::MackerelMonitor', { type: 'host', scopes: [roleRef], notificationInterval: 60 });
    template.hasResourceProperties('Custom::MackerelMonitor', { type: 'connectivity', scopes: [roleRef], alertStatusOnGone: 'WARNING' });
    template.hasResourceProperties('Custom::MackerelMonitor', { type: 'external', service: stack.resolve(shop.name) });
    expect(stack.resolve(cpu.monitorId)).toHaveProperty('Ref');
  });
});
