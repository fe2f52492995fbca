import { CfnParameter, Duration, Lazy, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { alertingStack, propertiesOf } from './_fixture';
import { MackerelAgentExtension } from '../../src/agent';
import { EmailChannel, MackerelMonitoring, NotificationGroup, RoleMonitoringProps, RoleMonitorKind, SlackChannel } from '../../src/alerting';
import { MackerelApiKey } from '../../src/api-key';
import { AlertStatusOnGone, ConnectivityMonitor, MonitorOperator, MonitorScope } from '../../src/monitors';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelRole } from '../../src/service';

describe('MackerelMonitoring.forRole: the defaults', () => {
  test('connectivity (WARNING when gone), container CPU and memory at 80/90 % for 5 minutes, all scoped to the role', () => {
    const { stack, web } = alertingStack();
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', { role: web });
    const role = stack.resolve(web.fullName);
    expect(alerts.monitors).toHaveLength(3);
    const [alive] = alerts.monitorsOfKind(RoleMonitorKind.CONNECTIVITY);
    expect(propertiesOf(alive)).toEqual({
      ServiceToken: expect.anything(),
      type: 'connectivity',
      scopes: [role],
      alertStatusOnGone: 'WARNING',
      name: { 'Fn::Join': ['', [role, ' connectivity']] },
    });
    const [cpu] = alerts.monitorsOfKind(RoleMonitorKind.CONTAINER_CPU);
    expect(propertiesOf(cpu)).toEqual({
      ServiceToken: expect.anything(),
      type: 'host',
      metric: 'container-cpu%',
      operator: '>',
      warning: 80,
      critical: 90,
      duration: 5,
      scopes: [role],
      name: { 'Fn::Join': ['', [role, ' container CPU']] },
    });
    const [memory] = alerts.monitorsOfKind(RoleMonitorKind.CONTAINER_MEMORY);
    expect(propertiesOf(memory)).toMatchObject({ metric: 'container-memory%', warning: 80, critical: 90, duration: 5, scopes: [role] });
    expect(alerts.monitorsOfKind(RoleMonitorKind.EXTERNAL_HTTP)).toEqual([]);
    Template.fromStack(stack).resourceCountIs('Custom::MackerelNotificationGroup', 0);
  });

  test('roleFullName takes the role the agent wrote into MACKEREL_ROLES, so it is declared once', () => {
    const { stack } = alertingStack();
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel/api-key');
    const extension = new MackerelAgentExtension({ apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['shop:batch'] });
    const alerts = MackerelMonitoring.forRole(stack, 'BatchAlerts', { roleFullName: extension.roles[0] });
    expect(alerts.role.fullName).toBe('shop:batch');
    expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.CONTAINER_MEMORY)[0])).toMatchObject({ scopes: ['shop:batch'], name: 'shop:batch container memory' });
  });

  test('role and roleFullName: exactly one, and the full name must be service:role', () => {
    const { stack, web } = alertingStack();
    expect(() => MackerelMonitoring.forRole(stack, 'Both', { role: web, roleFullName: 'shop:web' }))
      .toThrow(/^Stack\/Both: role "shop:web" is given together with roleFullName "shop:web"; expected exactly one of role and roleFullName/);
    expect(() => MackerelMonitoring.forRole(stack, 'Neither', {}))
      .toThrow(/^Stack\/Neither: role undefined is missing, and so is roleFullName; expected exactly one/);
    expect(() => MackerelMonitoring.forRole(stack, 'Bad', { roleFullName: 'batch' }))
      .toThrow(/^Stack\/Bad: roleFullName "batch" is not a Mackerel role full name/);
  });

  test('a role referenced by name (what the agent wrote) scopes the same way', () => {
    const { stack } = alertingStack();
    const role = MackerelRole.fromFullName(stack, 'BatchRole', 'shop:batch');
    const alerts = MackerelMonitoring.forRole(stack, 'BatchAlerts', { role });
    expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.CONTAINER_CPU)[0])).toMatchObject({ scopes: ['shop:batch'], name: 'shop:batch container CPU' });
  });
});

describe('MackerelMonitoring.forRole: overrides, switches and extras', () => {
  test('each default can be tuned or switched off', () => {
    const { stack, web } = alertingStack();
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', {
      role: web,
      connectivity: { alertStatusOnGone: AlertStatusOnGone.CRITICAL, name: 'web alive', notificationInterval: Duration.minutes(60), memo: 'runbook: https://wiki/web' },
      containerCpu: { enabled: false },
      containerMemory: { warning: 70, critical: 95, duration: Duration.minutes(3) },
    });
    expect(alerts.monitorsOfKind(RoleMonitorKind.CONTAINER_CPU)).toEqual([]);
    expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.CONNECTIVITY)[0])).toMatchObject({
      name: 'web alive', alertStatusOnGone: 'CRITICAL', notificationInterval: 60, memo: 'runbook: https://wiki/web',
    });
    expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.CONTAINER_MEMORY)[0])).toMatchObject({ warning: 70, critical: 95, duration: 3 });
    expect(alerts.node.tryFindChild('ContainerCpu')).toBeUndefined();
    // Only the fixture's own CPU monitor is left.
    Template.fromStack(stack).resourcePropertiesCountIs('Custom::MackerelMonitor', { metric: 'container-cpu%' }, 1);
  });

  test('an external HTTP monitor on the URL, on the role\'s service, with response time and certificate defaults', () => {
    const { stack, web, shop } = alertingStack();
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', { role: web, url: { url: 'https://shop.example.com/', expectedStatusCode: 200 } });
    const [url] = alerts.monitorsOfKind(RoleMonitorKind.EXTERNAL_HTTP);
    expect(propertiesOf(url)).toMatchObject({
      type: 'external',
      url: 'https://shop.example.com/',
      service: stack.resolve(shop.name),
      expectedStatusCode: 200,
      responseTimeWarning: 3000,
      responseTimeCritical: 10000,
      responseTimeDuration: 5,
      certificationExpirationWarning: 14,
      certificationExpirationCritical: 3,
    });
  });

  test('a plain http URL gets no certificate thresholds', () => {
    const { stack, web } = alertingStack();
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', { role: web, url: { url: 'http://shop.example.com/' } });
    const props = propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.EXTERNAL_HTTP)[0]);
    expect(props.certificationExpirationWarning).toBeUndefined();
    expect(props.certificationExpirationCritical).toBeUndefined();
  });

  test('an https URL built around a token, or with its scheme in capitals, gets the certificate defaults', () => {
    const { stack, web } = alertingStack();
    const host = new CfnParameter(stack, 'Host', { type: 'String' }).valueAsString;
    const built = MackerelMonitoring.forRole(stack, 'Built', { role: web, url: { url: `https://${host}/health` } });
    const capitals = MackerelMonitoring.forRole(stack, 'Capitals', { role: web, url: { url: 'HTTPS://shop.example.com/' } });
    for (const alerts of [built, capitals]) {
      expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.EXTERNAL_HTTP)[0])).toMatchObject({
        certificationExpirationWarning: 14, certificationExpirationCritical: 3,
      });
    }
  });

  test('a URL that is a token as a whole gets no certificate thresholds: its scheme is unknown at synth', () => {
    const { stack, web } = alertingStack();
    const url = new CfnParameter(stack, 'Url', { type: 'String' }).valueAsString;
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', { role: web, url: { url } });
    expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.EXTERNAL_HTTP)[0]).certificationExpirationWarning).toBeUndefined();
  });

  test('a service metric monitor on the role\'s service and an expression monitor', () => {
    const { stack, web, shop } = alertingStack();
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', {
      role: web,
      serviceMetric: { name: 'orders stalled', metric: 'shop.orders.count', operator: MonitorOperator.LESS_THAN, warning: 1, duration: 3 },
      expression: { name: 'web memory spread', expression: 'max(role(shop:web, container.memory.*.usage))', operator: MonitorOperator.GREATER_THAN, critical: 1e9 },
    });
    expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.SERVICE_METRIC)[0])).toMatchObject({
      type: 'service', service: stack.resolve(shop.name), metric: 'shop.orders.count', operator: '<', warning: 1, duration: 3,
    });
    expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.EXPRESSION)[0])).toMatchObject({
      type: 'expression', expression: 'max(role(shop:web, container.memory.*.usage))', critical: 1e9,
    });
    expect(alerts.monitors).toHaveLength(5);
  });

  test('a service metric monitor without a duration averages one point, its documented default', () => {
    const { stack, web } = alertingStack();
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', {
      role: web,
      serviceMetric: { name: 'orders stalled', metric: 'shop.orders.count', operator: MonitorOperator.LESS_THAN, warning: 1 },
    });
    expect(propertiesOf(alerts.monitorsOfKind(RoleMonitorKind.SERVICE_METRIC)[0]).duration).toBe(1);
  });
});

describe('MackerelMonitoring.forRole: notification', () => {
  test('channels get one notification group of their own holding every monitor', () => {
    const { stack, web } = alertingStack();
    const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
    const slack = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/slack') });
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', { role: web, notify: { channels: [slack, mail], skipDefault: true } });
    expect(alerts.notificationGroup).toBeDefined();
    expect(propertiesOf(alerts.notificationGroup!)).toEqual({
      ServiceToken: expect.anything(),
      name: { 'Fn::Join': ['', [stack.resolve(web.fullName), ' alerts']] },
      notificationLevel: 'all',
      childChannelIds: [stack.resolve(slack.channelId), stack.resolve(mail.channelId)],
      monitors: alerts.monitors.map((m) => ({ id: stack.resolve(m.monitorId), skipDefault: true })),
    });
  });

  test('a notification group of the app gets the monitors, skipDefault false by default, and later ones from addMonitor', () => {
    const { stack, web } = alertingStack();
    const ops = new NotificationGroup(stack, 'Ops', { name: 'ops' });
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', { role: web, notify: { notificationGroup: ops } });
    const extra = new ConnectivityMonitor(stack, 'Extra', { scopes: [MonitorScope.of('shop:db')] });
    alerts.addMonitor(extra);
    expect(alerts.monitorsOfKind(RoleMonitorKind.OTHER)).toEqual([extra]);
    expect(propertiesOf(ops).monitors).toEqual(alerts.monitors.map((m) => ({ id: stack.resolve(m.monitorId), skipDefault: false })));
    expect(alerts.monitors).toHaveLength(4);
    expect(alerts.notificationGroup).toBeUndefined();
  });
});

describe('MackerelMonitoring.forRole: a notification group of another stack', () => {
  /** The fixture's stack ("Stack": service shop, role shop:web) with a group, and a stack "Svc" for the monitors. */
  function sharedAndService() {
    const fixture = alertingStack();
    const mail = new EmailChannel(fixture.stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
    const ops = new NotificationGroup(fixture.stack, 'Ops', { name: 'ops', channels: [mail] });
    const svc = new Stack(fixture.app, 'Svc');
    new MackerelProvider(svc, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(svc, 'Key')) });
    return { ...fixture, ops, svc };
  }

  test('in the role\'s stack is refused at construction, naming notify.notificationGroup, both stacks and the fix', () => {
    const { web, ops, svc } = sharedAndService();

    expect(() => MackerelMonitoring.forRole(svc, 'WebAlerts', { role: web, notify: { notificationGroup: ops } })).toThrow(
      'Svc/WebAlerts: notify.notificationGroup "Stack/Ops" is in stack "Stack", which also holds the role "shop:web" (or its service) that the monitors of stack "Svc" '
      + 'refer to; the group would refer to the monitors, and the two stacks to each other; expected a notification group in stack "Svc" (or in a stack that depends on it). '
      + 'Create the group in stack "Svc", or leave notify.notificationGroup out and route the alerts by service (NotificationGroup services) in stack "Stack"');
  });

  test('in the stack of the role\'s service is refused too', () => {
    // GIVEN the role is created in the monitors' stack, on the shared stack's service
    const { shop, ops, svc } = sharedAndService();
    const batch = new MackerelRole(svc, 'Batch', { service: shop, name: 'batch' });

    expect(() => MackerelMonitoring.forRole(svc, 'BatchAlerts', { role: batch, notify: { notificationGroup: ops } }))
      .toThrow(/^Svc\/BatchAlerts: notify\.notificationGroup "Stack\/Ops" is in stack "Stack", which also holds the role "shop:batch" \(or its service\)/);
  });

  test('in the role\'s stack is refused at synth when the role is given by a Lazy full name that ends as the role\'s reference', () => {
    // GIVEN the full name is a Lazy, first a literal name and at last the reference to the role of the group's stack
    const { app, web, ops, svc } = sharedAndService();
    const state = { value: 'shop:draft' };
    MackerelMonitoring.forRole(svc, 'WebAlerts', { roleFullName: Lazy.string({ produce: () => state.value }), notify: { notificationGroup: ops } });
    state.value = web.fullName;

    expect(() => app.synth()).toThrow(/^Svc\/WebAlerts: notify\.notificationGroup "Stack\/Ops" is in stack "Stack", which also holds the role "shop:web" \(or its service\)/);
  });

  test('... and not when the Lazy full name ends as a literal name', () => {
    const { app, web, ops, svc } = sharedAndService();
    const state = { value: web.fullName };
    MackerelMonitoring.forRole(svc, 'WebAlerts', { roleFullName: Lazy.string({ produce: () => state.value }), notify: { notificationGroup: ops } });
    state.value = 'shop:web';

    expect(() => app.synth()).not.toThrow();
  });

  test('in a third stack, which neither the role nor its service is in, synthesizes', () => {
    // GIVEN the group in stack "Alerts", the role in "Stack", the monitors in "Svc"
    const { app, web, svc } = sharedAndService();
    const alertsStack = new Stack(app, 'Alerts');
    new MackerelProvider(alertsStack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(alertsStack, 'Key')) });
    const group = new NotificationGroup(alertsStack, 'Ops', { name: 'ops2' });

    const alerts = MackerelMonitoring.forRole(svc, 'WebAlerts', { role: web, notify: { notificationGroup: group } });

    expect(() => app.synth()).not.toThrow();
    expect(alerts.monitors.length).toBeGreaterThan(0);
  });
});

describe('MackerelMonitoring.forRole: rejected input', () => {
  const URL = 'https://shop.example.com/';
  test.each<[string, Partial<RoleMonitoringProps>, string]>([
    ['only containerCpu.critical, below the default warning', { containerCpu: { critical: 70 } },
      'Stack/A: containerCpu.critical 70 is not above the default warning (80); expected a CRITICAL threshold above the WARNING one. Set containerCpu.warning below it too'],
    ['only containerMemory.warning, above the default critical', { containerMemory: { warning: 95 } },
      'Stack/A: containerMemory.warning 95 is not below the default critical (90); expected a WARNING threshold below the CRITICAL one. Set containerMemory.critical above it too'],
    ['only url.responseTimeCritical, below the default warning', { url: { url: URL, responseTimeCritical: Duration.seconds(2) } },
      'Stack/A: url.responseTimeCritical "2 seconds" is not above the default responseTimeWarning (3 seconds); expected a CRITICAL threshold above the WARNING one'],
    ['only url.responseTimeWarning, above the default critical', { url: { url: URL, responseTimeWarning: Duration.seconds(12) } },
      'Stack/A: url.responseTimeWarning "12 seconds" is not below the default responseTimeCritical (10 seconds); expected a WARNING threshold below the CRITICAL one'],
    ['only url.certificationExpirationWarning, fewer days than the default critical', { url: { url: URL, certificationExpirationWarning: Duration.days(1) } },
      'Stack/A: url.certificationExpirationWarning "1 day" is not above the default certificationExpirationCritical (3 days); expected a WARNING threshold above the CRITICAL one'],
    ['only url.certificationExpirationCritical, more days than the default warning', { url: { url: URL, certificationExpirationCritical: Duration.days(20) } },
      'Stack/A: url.certificationExpirationCritical "20 days" is not below the default certificationExpirationWarning (14 days); expected a CRITICAL threshold below the WARNING one'],
    ['both certificate thresholds, warning fewer days', { url: { url: URL, certificationExpirationWarning: Duration.days(3), certificationExpirationCritical: Duration.days(7) } },
      'Stack/A: url.certificationExpirationWarning "3 days" is not above certificationExpirationCritical (7 days); expected a WARNING threshold above the CRITICAL one. A WARNING at or below CRITICAL never fires on its own'],
    ['both containerCpu thresholds, warning higher', { containerCpu: { warning: 90, critical: 85 } },
      'Stack/A: containerCpu.warning 90 is not below critical (85); expected a WARNING threshold below the CRITICAL one. A WARNING at or above CRITICAL never fires on its own'],
    ['serviceMetric with ">", warning higher', { serviceMetric: { name: 'errors', metric: 'shop.errors', operator: MonitorOperator.GREATER_THAN, warning: 90, critical: 80 } },
      'Stack/A: serviceMetric.warning 90 is not below critical (80) with operator ">"; expected a WARNING threshold below the CRITICAL one. '
        + 'A WARNING at or above CRITICAL never fires on its own'],
    ['serviceMetric with "<", warning lower', { serviceMetric: { name: 'orders', metric: 'shop.orders', operator: MonitorOperator.LESS_THAN, warning: 1, critical: 5 } },
      'Stack/A: serviceMetric.warning 1 is not above critical (5) with operator "<"; expected a WARNING threshold above the CRITICAL one. '
        + 'A WARNING at or below CRITICAL never fires on its own'],
    ['expression with ">", warning equal to critical', { expression: { name: 'spread', expression: 'max(role(shop:web, loadavg5))', operator: MonitorOperator.GREATER_THAN, warning: 3, critical: 3 } },
      'Stack/A: expression.warning 3 is not below critical (3) with operator ">"; expected a WARNING threshold below the CRITICAL one'],
  ])('%s', (_what, props, message) => {
    const { stack, web } = alertingStack();
    expect(() => MackerelMonitoring.forRole(stack, 'A', { role: web, ...props })).toThrow(message);
  });

  test('thresholds in order with the defaults pass, and an http URL has no certificate default to compare with', () => {
    const { stack, web } = alertingStack();
    expect(() => MackerelMonitoring.forRole(stack, 'A', {
      role: web, containerCpu: { critical: 95 }, containerMemory: { warning: 50 }, url: { url: 'http://shop.example.com/', responseTimeCritical: Duration.seconds(5) },
    })).not.toThrow();
    expect(() => MackerelMonitoring.forRole(stack, 'B', { role: web, url: { url: 'http://shop.example.com/', certificationExpirationWarning: Duration.days(1) } })).not.toThrow();
  });

  test('service metric and expression thresholds in order by their operator pass, with no warningAfterCritical from the monitors', () => {
    const { stack, web } = alertingStack();
    MackerelMonitoring.forRole(stack, 'A', {
      role: web,
      serviceMetric: { name: 'orders', metric: 'shop.orders', operator: MonitorOperator.LESS_THAN, warning: 5, critical: 1 },
      expression: { name: 'spread', expression: 'max(role(shop:web, loadavg5))', operator: MonitorOperator.GREATER_THAN, warning: 3, critical: 6 },
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('warningAfterCritical'));
  });

  test.each([
    ['no channels or group', {}],
    ['an empty channel list', { channels: [] }],
  ])('skipDefault with %s: the alerts would still go to the default group', (_what, notify) => {
    const { stack, web } = alertingStack();
    expect(() => MackerelMonitoring.forRole(stack, 'A', { role: web, notify: { ...notify, skipDefault: true } }))
      .toThrow('Stack/A: notify.skipDefault true is set without channels or a notificationGroup; expected skipDefault only together with notify.channels or notify.notificationGroup');
  });

  test('warning at or above critical, thresholds out of 0-100, every monitor switched off, a monitor added twice', () => {
    const { stack, web, cpu } = alertingStack();
    expect(() => MackerelMonitoring.forRole(stack, 'A', { role: web, containerCpu: { warning: 90, critical: 90 } }))
      .toThrow(/Stack\/A: containerCpu.warning 90 is not below critical \(90\); expected a WARNING threshold below the CRITICAL one/);
    expect(() => MackerelMonitoring.forRole(stack, 'B', { role: web, containerMemory: { warning: 80, critical: 120 } }))
      .toThrow(/Stack\/B\/ContainerMemory: critical 120/);
    expect(() => MackerelMonitoring.forRole(stack, 'C', {
      role: web, connectivity: { enabled: false }, containerCpu: { enabled: false }, containerMemory: { enabled: false },
    })).toThrow(/Stack\/C: connectivity "enabled: false" switches off the last monitor; expected at least one enabled monitor/);
    const alerts = MackerelMonitoring.forRole(stack, 'D', { role: web });
    alerts.addMonitor(cpu);
    expect(() => alerts.addMonitor(cpu)).toThrow(/Stack\/D: monitor "Stack\/Cpu" is already part of this monitoring/);
  });
});
