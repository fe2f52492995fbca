import { CfnResource, CustomResource, Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { describe, expect, test } from 'vitest';
import {
  AlertGroupSetting, AwsIntegrationService, Dashboard, DeploymentDowntime, Downtime, EmailChannel, MackerelAwsIntegration, MackerelMonitoring,
  MackerelRole, MackerelRoleMetadata, MackerelService, MackerelServiceMetadata, NotificationGroup, SlackChannel, WebhookChannel,
} from '../../src';
import {
  AnomalyDetectionMonitor, AnomalySensitivity, ConnectivityMonitor, ExpressionMonitor, ExternalHttpMonitor, HostMetricMonitor,
  MonitorOperator, MonitorScope, QueryMonitor, ServiceMetricMonitor,
} from '../../src/monitors';
import { logicalIdOf, mackerelStack } from '../monitors/_fixture';

type Fixture = ReturnType<typeof mackerelStack>;

/** Every construct that creates a Mackerel object, made with the given removalPolicy. */
const KINDS: Array<[string, (f: Fixture, removalPolicy?: RemovalPolicy) => IConstruct]> = [
  ['MackerelService', (f, removalPolicy) => new MackerelService(f.stack, 'Kept', { name: 'kept', removalPolicy })],
  ['MackerelRole', (f, removalPolicy) => new MackerelRole(f.stack, 'Kept', { service: f.shop, name: 'kept', removalPolicy })],
  ['HostMetricMonitor', (f, removalPolicy) => new HostMetricMonitor(f.stack, 'Kept', {
    name: 'cpu', metric: 'container-cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), removalPolicy,
  })],
  ['ConnectivityMonitor', (f, removalPolicy) => new ConnectivityMonitor(f.stack, 'Kept', { scopes: [MonitorScope.fromRole(f.web)], removalPolicy })],
  ['ServiceMetricMonitor', (f, removalPolicy) => new ServiceMetricMonitor(f.stack, 'Kept', {
    name: 'orders', service: f.shop, metric: 'shop.orders', operator: MonitorOperator.LESS_THAN, critical: 1, duration: 1, removalPolicy,
  })],
  ['ExternalHttpMonitor', (f, removalPolicy) => new ExternalHttpMonitor(f.stack, 'Kept', { name: 'top', url: 'https://shop.example.com/', removalPolicy })],
  ['ExpressionMonitor', (f, removalPolicy) => new ExpressionMonitor(f.stack, 'Kept', {
    name: 'sum', expression: 'sum(roleSlots(shop:web,loadavg5))', operator: MonitorOperator.GREATER_THAN, warning: 10, removalPolicy,
  })],
  ['AnomalyDetectionMonitor', (f, removalPolicy) => new AnomalyDetectionMonitor(f.stack, 'Kept', { name: 'odd', scopes: [MonitorScope.fromRole(f.web)], warningSensitivity: AnomalySensitivity.NORMAL, removalPolicy })],
  ['QueryMonitor', (f, removalPolicy) => new QueryMonitor(f.stack, 'Kept', {
    name: 'spans', query: 'http.server.duration{service.name="shop"}', legend: '', operator: MonitorOperator.GREATER_THAN, warning: 1, removalPolicy,
  })],
  ['EmailChannel', (f, removalPolicy) => new EmailChannel(f.stack, 'Kept', { name: 'oncall', emails: ['oncall@example.com'], removalPolicy })],
  ['SlackChannel', (f, removalPolicy) => new SlackChannel(f.stack, 'Kept', { name: 'ops', url: SecretValue.secretsManager('slack-webhook'), removalPolicy })],
  ['WebhookChannel', (f, removalPolicy) => new WebhookChannel(f.stack, 'Kept', { name: 'hook', url: SecretValue.secretsManager('webhook'), removalPolicy })],
  ['NotificationGroup', (f, removalPolicy) => new NotificationGroup(f.stack, 'Kept', { name: 'ops', removalPolicy })],
  ['AlertGroupSetting', (f, removalPolicy) => new AlertGroupSetting(f.stack, 'Kept', { name: 'web', scopes: [MonitorScope.fromRole(f.web)], removalPolicy })],
  ['Downtime', (f, removalPolicy) => new Downtime(f.stack, 'Kept', { name: 'maint', start: new Date('2026-12-06T01:00:00Z'), duration: Duration.hours(2), removalPolicy })],
  ['DeploymentDowntime', (f, removalPolicy) => new DeploymentDowntime(f.stack, 'Kept', { scopes: [MonitorScope.fromRole(f.web)], revision: 'v1', removalPolicy })],
  ['Dashboard', (f, removalPolicy) => new Dashboard(f.stack, 'Kept', { title: 'shop', urlPath: 'shop', removalPolicy })],
  ['MackerelServiceMetadata', (f, removalPolicy) => new MackerelServiceMetadata(f.stack, 'Kept', { service: f.shop, namespace: 'owner', metadata: { team: 'a' }, removalPolicy })],
  ['MackerelRoleMetadata', (f, removalPolicy) => new MackerelRoleMetadata(f.stack, 'Kept', { role: f.web, namespace: 'runbook', metadata: 'https://wiki', removalPolicy })],
  ['MackerelAwsIntegration', (f, removalPolicy) => {
    const aws = new MackerelAwsIntegration(f.stack, 'Kept', { name: 'prod', removalPolicy });
    aws.addService(AwsIntegrationService.ALB);
    return aws;
  }],
];

/** DeletionPolicy and UpdateReplacePolicy of a construct's custom resource, as in the template. */
function policiesOf(construct: IConstruct): [unknown, unknown] {
  const resource = Template.fromStack(Stack.of(construct)).toJSON().Resources[logicalIdOf(construct)];
  return [resource.DeletionPolicy, resource.UpdateReplacePolicy];
}

describe('removalPolicy of every Mackerel object', () => {
  test.each(KINDS)('%s: RETAIN keeps the object in Mackerel on delete and on replacement', (_kind, make) => {
    expect(policiesOf(make(mackerelStack(), RemovalPolicy.RETAIN))).toEqual(['Retain', 'Retain']);
  });

  test.each(KINDS)('%s: RETAIN_ON_UPDATE_OR_DELETE keeps an object once created', (_kind, make) => {
    expect(policiesOf(make(mackerelStack(), RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE))).toEqual(['RetainExceptOnCreate', 'Retain']);
  });

  test.each(KINDS)('%s: deletes the object by default, and with DESTROY', (_kind, make) => {
    expect(policiesOf(make(mackerelStack()))).toEqual(['Delete', 'Delete']);
    expect(policiesOf(make(mackerelStack(), RemovalPolicy.DESTROY))).toEqual(['Delete', 'Delete']);
  });

  test.each(KINDS)('%s: SNAPSHOT is refused, naming the construct and what is allowed', (_kind, make) => {
    expect(() => make(mackerelStack(), RemovalPolicy.SNAPSHOT)).toThrow(
      /^Stack\/Kept: removalPolicy "snapshot" is not supported: a Mackerel object has no snapshot; expected RemovalPolicy.DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE$/);
  });

  test('a retained AWS integration keeps the role Mackerel assumes and its policy too; a default one deletes them', () => {
    const f = mackerelStack();
    const aws = KINDS.find(([kind]) => kind === 'MackerelAwsIntegration')![1](f, RemovalPolicy.RETAIN) as MackerelAwsIntegration;
    const resources = Template.fromStack(f.stack).toJSON().Resources;
    for (const construct of [aws.role.node.defaultChild, aws.policy.node.defaultChild] as CfnResource[]) {
      const resource = resources[f.stack.resolve(construct.logicalId)];
      expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    }
    const other = mackerelStack();
    const plain = new MackerelAwsIntegration(other.stack, 'Aws', { name: 'prod' });
    plain.addService(AwsIntegrationService.ALB);
    const roleId = other.stack.resolve((plain.role.node.defaultChild as CfnResource).logicalId);
    const roleResource = Template.fromStack(other.stack).toJSON().Resources[roleId];
    expect(roleResource.DeletionPolicy).toBeUndefined();
  });

  test('MackerelMonitoring.forRole gives its removalPolicy to every monitor and to its notification group', () => {
    const f = mackerelStack();
    const slack = new SlackChannel(f.stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('slack-webhook') });
    const alerts = MackerelMonitoring.forRole(f.stack, 'Alerts', {
      role: f.web,
      notify: { channels: [slack] },
      removalPolicy: RemovalPolicy.RETAIN,
      url: { url: 'https://shop.example.com/' },
      serviceMetric: { name: 'orders', metric: 'shop.orders', operator: MonitorOperator.LESS_THAN, critical: 1 },
      expression: { name: 'sum', expression: 'sum(roleSlots(shop:web,loadavg5))', operator: MonitorOperator.GREATER_THAN, warning: 10 },
    });
    expect(alerts.monitors).toHaveLength(6);
    for (const construct of [...alerts.monitors, alerts.notificationGroup!]) expect(policiesOf(construct)).toEqual(['Retain', 'Retain']);
    // the channel is the caller's, with its own policy
    expect(policiesOf(slack)).toEqual(['Delete', 'Delete']);
  });

  test('MackerelMonitoring.forRole refuses SNAPSHOT naming itself, not one of the monitors it makes', () => {
    const f = mackerelStack();
    expect(() => MackerelMonitoring.forRole(f.stack, 'Alerts', { role: f.web, removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(
      /^Stack\/Alerts: removalPolicy "snapshot" is not supported: a Mackerel object has no snapshot; expected RemovalPolicy.DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE$/);
  });
});

describe('roles added with addRole', () => {
  test('take their service\'s removalPolicy, since Mackerel deletes a service\'s roles with it', () => {
    const f = mackerelStack();
    const kept = new MackerelService(f.stack, 'Kept', { name: 'kept', removalPolicy: RemovalPolicy.RETAIN });
    expect(policiesOf(kept.addRole('web'))).toEqual(['Retain', 'Retain']);
    expect(policiesOf(f.web)).toEqual(['Delete', 'Delete']);
  });

  test('keep a removalPolicy of their own', () => {
    const f = mackerelStack();
    const kept = new MackerelService(f.stack, 'Kept', { name: 'kept', removalPolicy: RemovalPolicy.RETAIN });
    const deleted = kept.addRole('web', { removalPolicy: RemovalPolicy.DESTROY });
    const retained = f.shop.addRole('batch', { removalPolicy: RemovalPolicy.RETAIN });
    expect(policiesOf(deleted)).toEqual(['Delete', 'Delete']);
    expect(policiesOf(retained)).toEqual(['Retain', 'Retain']);
  });
});

describe('an object retained while its service is deleted with it', () => {
  const warningsOf = (f: Fixture) => Annotations.fromStack(f.stack).findWarning('*', Match.stringLikeRegexp('retainedDeletedWithService'))
    .map((w) => `${w.id}: ${w.entry.data}`);

  test('is warned about for a role, a service metric monitor and an external monitor of a service that is not retained', () => {
    const f = mackerelStack();
    f.shop.addRole('batch', { removalPolicy: RemovalPolicy.RETAIN });
    KINDS.find(([kind]) => kind === 'ServiceMetricMonitor')![1](f, RemovalPolicy.RETAIN);
    new ExternalHttpMonitor(f.stack, 'Url', { name: 'top', url: 'https://shop.example.com/', service: f.shop, removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    expect(warningsOf(f).sort()).toEqual([
      expect.stringMatching(/^\/Stack\/Kept: This service metric monitor is retained \(removalPolicy\), but its service Stack\/Shop is not/),
      '/Stack/Shop/batch: This role is retained (removalPolicy), but its service Stack/Shop is not. Mackerel would delete the role with the service, '
      + 'so when the service\'s resource is deleted the handler leaves the service in Mackerel too, and nothing deletes it afterwards. '
      + 'Give the service the same removalPolicy [ack: cdk-mackerel:retainedDeletedWithService]',
      expect.stringMatching(/^\/Stack\/Url: This external monitor is retained \(removalPolicy\), but its service Stack\/Shop is not/),
    ]);
  });

  test('is warned about for a service given by name that a MackerelService of the stack creates, naming that service', () => {
    const f = mackerelStack();
    const byName = MackerelService.fromName(f.stack, 'ShopByName', 'shop');
    new ExternalHttpMonitor(f.stack, 'Url', { name: 'top', url: 'https://shop.example.com/', service: byName, removalPolicy: RemovalPolicy.RETAIN });
    expect(warningsOf(f)).toEqual([expect.stringMatching(/^\/Stack\/Url: This external monitor is retained \(removalPolicy\), but its service Stack\/Shop is not/)]);
  });

  test('is warned about for a service imported by the name of a MackerelService of the stack (fromName(..., shop.name)), naming that service', () => {
    const f = mackerelStack();
    const imported = MackerelService.fromName(f.stack, 'Imported', f.shop.name);
    new ExternalHttpMonitor(f.stack, 'Url', { name: 'top', url: 'https://shop.example.com/', service: imported, removalPolicy: RemovalPolicy.RETAIN });
    expect(warningsOf(f)).toEqual([expect.stringMatching(/^\/Stack\/Url: This external monitor is retained \(removalPolicy\), but its service Stack\/Shop is not/)]);
  });

  test('is not warned about when the service is retained too, when set by an escape hatch, or for a service referenced by name', () => {
    const f = mackerelStack();
    (f.shop.node.findChild('Resource') as CustomResource).applyRemovalPolicy(RemovalPolicy.RETAIN);
    f.shop.addRole('batch', { removalPolicy: RemovalPolicy.RETAIN });
    KINDS.find(([kind]) => kind === 'ServiceMetricMonitor')![1](f, RemovalPolicy.RETAIN);
    new ExternalHttpMonitor(f.stack, 'Url', {
      name: 'top', url: 'https://shop.example.com/', service: MackerelService.fromName(f.stack, 'Legacy', 'legacy'), removalPolicy: RemovalPolicy.RETAIN,
    });
    expect(warningsOf(f)).toEqual([]);
  });

  test('is warned about for a monitor scoped to the service or its roles alone, by construct or by name, and not for one scoped beyond it', () => {
    const f = mackerelStack();
    new ConnectivityMonitor(f.stack, 'Alive', { scopes: [MonitorScope.fromRole(f.web), MonitorScope.fromService(f.shop)], removalPolicy: RemovalPolicy.RETAIN });
    new AnomalyDetectionMonitor(f.stack, 'Anomaly', {
      name: 'anomaly', scopes: [MonitorScope.of('shop:web')], warningSensitivity: AnomalySensitivity.NORMAL, removalPolicy: RemovalPolicy.RETAIN,
    });
    const beyond = [MonitorScope.fromRole(f.web), MonitorScope.of('legacy')];
    new HostMetricMonitor(f.stack, 'Beyond', {
      name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes: beyond, removalPolicy: RemovalPolicy.RETAIN,
    });
    expect(warningsOf(f).sort()).toEqual([
      expect.stringMatching(/^\/Stack\/Alive: This connectivity monitor is retained \(removalPolicy\), but its service Stack\/Shop is not/),
      expect.stringMatching(/^\/Stack\/Anomaly: This anomaly detection monitor is retained \(removalPolicy\), but its service Stack\/Shop is not/),
    ]);
  });

  test('is read at synth, so a retain set later by an escape hatch on the role is warned about', () => {
    const f = mackerelStack();
    (f.web.node.findChild('Resource') as CustomResource).applyRemovalPolicy(RemovalPolicy.RETAIN);
    expect(warningsOf(f)).toEqual([expect.stringMatching(/^\/Stack\/Shop\/web: This role is retained/)]);
  });
});

describe('metadata retained while its service or role is deleted, which deletes it', () => {
  const warningsOf = (f: Fixture) => Annotations.fromStack(f.stack).findWarning('*', Match.stringLikeRegexp('retainedMetadataDeletedWithOwner'))
    .map((w) => `${w.id}: ${w.entry.data}`);

  test('is warned about for service and role metadata, with a service or role given as a construct or by name', () => {
    const f = mackerelStack();
    new MackerelServiceMetadata(f.stack, 'Owner', { service: f.shop, namespace: 'owner', metadata: {}, removalPolicy: RemovalPolicy.RETAIN });
    f.web.addMetadata('Runbook', 'runbook', 'https://wiki', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    new MackerelRoleMetadata(f.stack, 'ByName', {
      role: MackerelRole.fromFullName(f.stack, 'WebByName', 'shop:web'), namespace: 'team', metadata: 'a', removalPolicy: RemovalPolicy.RETAIN,
    });
    expect(warningsOf(f).sort()).toEqual([
      expect.stringMatching(/^\/Stack\/ByName: This metadata is retained \(removalPolicy\), but its role Stack\/Shop\/web is not/),
      '/Stack/Owner: This metadata is retained (removalPolicy), but its service Stack/Shop is not. Mackerel deletes a service\'s metadata with it, '
      + 'so the metadata is deleted with the service all the same. Give the service the same removalPolicy [ack: cdk-mackerel:retainedMetadataDeletedWithOwner]',
      expect.stringMatching(/^\/Stack\/Shop\/web\/Runbook: This metadata is retained \(removalPolicy\), but its role Stack\/Shop\/web is not/),
    ]);
  });

  test('is warned about for a service or role imported by the name or fullName of this stack\'s construct', () => {
    const f = mackerelStack();
    new MackerelServiceMetadata(f.stack, 'ByRef', {
      service: MackerelService.fromName(f.stack, 'ShopByRef', f.shop.name), namespace: 'owner', metadata: {}, removalPolicy: RemovalPolicy.RETAIN,
    });
    new MackerelRoleMetadata(f.stack, 'RoleByRef', {
      role: MackerelRole.fromFullName(f.stack, 'WebByRef', f.web.fullName), namespace: 'team', metadata: 'a', removalPolicy: RemovalPolicy.RETAIN,
    });
    expect(warningsOf(f).sort()).toEqual([
      expect.stringMatching(/^\/Stack\/ByRef: This metadata is retained \(removalPolicy\), but its service Stack\/Shop is not/),
      expect.stringMatching(/^\/Stack\/RoleByRef: This metadata is retained \(removalPolicy\), but its role Stack\/Shop\/web is not/),
    ]);
  });

  test('is not warned about when the service or role is retained too, or is referenced by name only', () => {
    const f = mackerelStack();
    const kept = f.shop.addRole('batch', { removalPolicy: RemovalPolicy.RETAIN });
    kept.addMetadata('Runbook', 'runbook', 'https://wiki', { removalPolicy: RemovalPolicy.RETAIN });
    new MackerelServiceMetadata(f.stack, 'Legacy', {
      service: MackerelService.fromName(f.stack, 'LegacyService', 'legacy'), namespace: 'owner', metadata: {}, removalPolicy: RemovalPolicy.RETAIN,
    });
    expect(warningsOf(f)).toEqual([]);
  });
});
