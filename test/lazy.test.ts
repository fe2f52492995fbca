import { App, Aspects, CfnParameter, Duration, Lazy, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { describe, expect, test } from 'vitest';
import {
  AlertGroupSetting, AnomalyDetectionMonitor, AnomalySensitivity, ExternalHttpMonitor, HostMetricMonitor, MackerelApiKey, MackerelContainerAgent,
  Downtime, MackerelProvider, MackerelRole, MackerelRoleMetadata, MackerelService, MackerelServiceMetadata, MonitorOperator, MonitorScope,
  NotificationGroup, ServiceMetricMonitor, SlackChannel, WebhookChannel,
} from '../src';
import { fargateTask } from './agent/_fixture';
import { handlerStatements } from './alerting/_fixture';
import { logicalIdOf, mackerelStack, propertiesOf } from './monitors/_fixture';

/**
 * Lazy.string keeps the first value it produces: a read of the app's values while it is built
 * would write that value into the template for good. Each case changes the Lazy's value after the
 * construct is made, as later code of the app would, and expects the value set last.
 */
function lazyName(first: string) {
  const state = { value: first };
  return { state, token: Lazy.string({ produce: () => state.value }) };
}

function warningIds(stack: Stack) {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data).match(/\[ack: ([^\]]+)\]/)?.[1]);
}

/** A host metric monitor `Cpu` of `scopes`, as the tests of scopes below make one. */
function cpuMonitor(scope: Construct, scopes: MonitorScope[]) {
  return new HostMetricMonitor(scope, 'Cpu', {
    name: 'cpu', metric: 'cpu.user', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes,
  });
}

describe('a Lazy name is written as it is once the app is built, not as it was when a construct read it', () => {
  test('MackerelService.fromName, used by a monitor', () => {
    const { stack } = mackerelStack();
    const { state, token } = lazyName('draft');
    const imported = MackerelService.fromName(stack, 'Imported', token);
    const monitor = new ServiceMetricMonitor(stack, 'Orders', {
      name: 'orders', service: imported, metric: 'orders', operator: MonitorOperator.LESS_THAN, warning: 1, duration: 1,
    });
    state.value = 'final';
    expect(propertiesOf(monitor).service).toBe('final');
  });

  test('MackerelRole.fromFullName, in a monitor scope', () => {
    const { stack } = mackerelStack();
    const { state, token } = lazyName('draft:web');
    const imported = MackerelRole.fromFullName(stack, 'Imported', token);
    const monitor = new HostMetricMonitor(stack, 'Cpu', {
      name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(1), scopes: [MonitorScope.fromRole(imported)],
    });
    state.value = 'final:web';
    expect(propertiesOf(monitor).scopes).toEqual(['final:web']);
  });

  test('a MackerelRole of a service imported by a Lazy name', () => {
    const { stack } = mackerelStack();
    const { state, token } = lazyName('draft');
    const role = new MackerelRole(stack, 'Role', { service: MackerelService.fromName(stack, 'Imported', token), name: 'db' });
    state.value = 'final';
    expect(propertiesOf(role).service).toBe('final');
  });

  test('service and role metadata of imported services and roles', () => {
    const { stack } = mackerelStack();
    const service = lazyName('draft');
    const role = lazyName('draft:web');
    const serviceMetadata = new MackerelServiceMetadata(stack, 'ServiceMeta', {
      service: MackerelService.fromName(stack, 'ImportedService', service.token), namespace: 'ns', metadata: { a: 1 },
    });
    const roleMetadata = new MackerelRoleMetadata(stack, 'RoleMeta', {
      role: MackerelRole.fromFullName(stack, 'ImportedRole', role.token), namespace: 'ns', metadata: { a: 1 },
    });
    service.state.value = 'final';
    role.state.value = 'final:web';
    expect(JSON.stringify(propertiesOf(serviceMetadata))).toContain('"final"');
    expect(JSON.stringify(propertiesOf(serviceMetadata))).not.toContain('draft');
    expect(JSON.stringify(propertiesOf(roleMetadata))).toContain('"final:web"');
    expect(JSON.stringify(propertiesOf(roleMetadata))).not.toContain('draft');
  });

  test('a notification group\'s services', () => {
    const { stack, shop } = mackerelStack();
    const { state, token } = lazyName('draft');
    const group = new NotificationGroup(stack, 'Group', { name: 'ops', services: [shop, MackerelService.fromName(stack, 'Imported', token)] });
    state.value = 'final';
    expect(JSON.stringify(propertiesOf(group))).toContain('"final"');
    expect(JSON.stringify(propertiesOf(group))).not.toContain('draft');
  });

  test('an external HTTP monitor\'s header value', () => {
    const { stack, shop } = mackerelStack();
    const { state, token } = lazyName('draft');
    const monitor = new ExternalHttpMonitor(stack, 'Top', {
      name: 'top', url: 'https://shop.example.com/', service: shop, headers: [{ name: 'X-Env', value: token }],
    });
    state.value = 'final';
    expect(propertiesOf(monitor).headers).toEqual([{ name: 'X-Env', value: 'final' }]);
  });

  test('an agent\'s roles, with no warning that they are known only at deploy time', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const { state, token } = lazyName('draft:web');
    const agent = new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: [token] });
    state.value = 'final:web';
    const environment = Template.fromStack(stack).toJSON();
    const container = Object.values(environment.Resources as Record<string, any>)
      .flatMap((r) => r.Properties?.ContainerDefinitions ?? []).find((c: any) => c.Name === agent.container.containerName);
    expect(container.Environment).toContainEqual({ Name: 'MACKEREL_ROLES', Value: 'final:web' });
    expect(warningIds(stack)).not.toContain('cdk-mackerel:agentRolesUnchecked');
  });
});

describe('what is read of a Lazy is its final value, once the app is built', () => {
  function otherStack(app: App) {
    const other = new Stack(app, 'Other');
    new MackerelProvider(other, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(other, 'Key', 'mackerel')) });
    return other;
  }

  test('an import by a Lazy name is warned about by the name it ends with, which another stack creates', () => {
    const { app } = mackerelStack();
    const other = otherStack(app);
    const { state, token } = lazyName('draft');
    MackerelService.fromName(other, 'Imported', token);
    state.value = 'shop';
    const warnings = Annotations.fromStack(other).findWarning('/Other/Imported', Match.stringLikeRegexp('importedByLiteralName'));
    expect(warnings.map((w) => String(w.entry.data))).toEqual([expect.stringMatching(/^This service is imported by its literal name "shop", which Stack\/Shop of stack "Stack" creates/)]);
  });

  test('... and not about the name it had first, when that one is created by another stack', () => {
    const { app } = mackerelStack();
    const other = otherStack(app);
    const { state, token } = lazyName('shop');
    MackerelService.fromName(other, 'Imported', token);
    state.value = 'elsewhere';
    expect(warningIds(other)).not.toContain('cdk-mackerel:importedByLiteralName');
  });

  test('a monitor of a service imported by a Lazy name waits for the service of its stack that the name ends as', () => {
    const { stack, shop } = mackerelStack();
    const { state, token } = lazyName('draft');
    const monitor = new ServiceMetricMonitor(stack, 'Orders', {
      name: 'orders', service: MackerelService.fromName(stack, 'Imported', token), metric: 'orders', operator: MonitorOperator.LESS_THAN, warning: 1, duration: 1,
    });
    state.value = 'shop';
    const resource = Template.fromStack(stack).toJSON().Resources[logicalIdOf(monitor)];
    expect(resource.DependsOn).toContain(logicalIdOf(shop));
  });

  test('a header value that ends as a dynamic reference is refused at synth', () => {
    const { app, stack, shop } = mackerelStack();
    const { state, token } = lazyName('plain');
    new ExternalHttpMonitor(stack, 'Top', { name: 'top', url: 'https://shop.example.com/', service: shop, headers: [{ name: 'X-Env', value: token }] });
    state.value = '{{resolve:secretsmanager:probe}}';
    expect(() => app.synth()).toThrow(/Stack\/Top\] headers\[0\].value "a dynamic reference" holds a secret or secure parameter/);
  });

  test('agent roles that end as a parameter are warned about as known only at deploy time', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    const role = new CfnParameter(stack, 'Role').valueAsString;
    const { state, token } = lazyName('shop:web');
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: [token] });
    state.value = role;
    expect(warningIds(stack)).toContain('cdk-mackerel:agentRolesUnchecked');
  });

  test('an anomaly detection monitor of a role imported by a Lazy name is warned about by the role it ends as, which an agent reports in', () => {
    const { stack, taskDefinition, apiKey } = fargateTask();
    new MackerelProvider(stack, 'Mackerel', { apiKey });
    new MackerelContainerAgent(stack, 'Agent', { taskDefinition, apiKey, roles: ['shop:web'] });
    const { state, token } = lazyName('shop:db');
    new AnomalyDetectionMonitor(stack, 'Anomaly', {
      name: 'anomaly', scopes: [MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Imported', token))], warningSensitivity: AnomalySensitivity.NORMAL,
    });
    state.value = 'shop:web';
    expect(warningIds(stack)).toContain('cdk-mackerel:anomalyDetectionContainerAgent');
  });

  test('a role of a service imported by a Lazy name that ends as the name of a role of the app is refused at synth', () => {
    const { app, stack } = mackerelStack();
    const { state, token } = lazyName('draft');
    new MackerelRole(stack, 'Again', { service: MackerelService.fromName(stack, 'Imported', token), name: 'web' });
    state.value = 'shop';
    expect(() => app.synth()).toThrow(/Stack\/Again\] name "web" creates the same role as Stack\/Shop\/web/);
  });

  test('a notification group refuses two services imported by Lazy names that end alike', () => {
    const { app, stack } = mackerelStack();
    const first = lazyName('draft');
    const second = lazyName('other');
    const group = new NotificationGroup(stack, 'Group', { name: 'group' });
    group.addService(MackerelService.fromName(stack, 'First', first.token));
    group.addService(MackerelService.fromName(stack, 'Second', second.token));
    first.state.value = 'shop';
    second.state.value = 'shop';
    expect(() => app.synth()).toThrow(/Stack\/Group\] services "Stack\/Second" names "shop", as the member "Stack\/First" does/);
  });

  test('service metadata of a service imported by a Lazy name shares the namespaces of the service that name ends as', () => {
    const { app, stack, shop } = mackerelStack();
    const { state, token } = lazyName('draft');
    new MackerelServiceMetadata(stack, 'Owner', { service: shop, namespace: 'owner', metadata: { team: 'a' } });
    new MackerelServiceMetadata(stack, 'Again', { service: MackerelService.fromName(stack, 'Imported', token), namespace: 'owner', metadata: { team: 'b' } });
    state.value = 'shop';
    expect(() => app.synth()).toThrow(/Stack\/Again\] namespace "owner" is also written to service "shop" by Stack\/Owner/);
  });

  test('role metadata of a role imported by a Lazy full name shares the namespaces of the role that name ends as', () => {
    const { app, stack, web } = mackerelStack();
    const { state, token } = lazyName('draft:web');
    new MackerelRoleMetadata(stack, 'Runbook', { role: web, namespace: 'runbook', metadata: 1 });
    new MackerelRoleMetadata(stack, 'Again', { role: MackerelRole.fromFullName(stack, 'Imported', token), namespace: 'runbook', metadata: 2 });
    state.value = 'shop:web';
    expect(() => app.synth()).toThrow(/Stack\/Again\] namespace "runbook" is also written to role "shop:web" by Stack\/Runbook/);
  });

  test('a retained host monitor scoped to a service imported by a Lazy name is warned about by the service the name ends as', () => {
    const { stack } = mackerelStack();
    const { state, token } = lazyName('draft');
    new HostMetricMonitor(stack, 'Cpu', {
      name: 'cpu',
      metric: 'cpu%',
      operator: MonitorOperator.GREATER_THAN,
      warning: 80,
      duration: Duration.minutes(1),
      scopes: [MonitorScope.fromService(MackerelService.fromName(stack, 'Imported', token))],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    state.value = 'shop';
    expect(warningIds(stack)).toContain('cdk-mackerel:retainedDeletedWithService');
  });
});

describe('a secret value given by a Lazy is read once final: the template and the grant follow its last value', () => {
  const GET_SECRET = 'secretsmanager:GetSecretValue';

  /** Every action and resource the provider's Lambda is granted, as text. */
  function grantsOf(stack: Stack, provider: MackerelProvider): string {
    return JSON.stringify(handlerStatements(stack, provider));
  }

  test('a channel URL in plain text is written as the Lazy ends, and warned about as plain text', () => {
    const { stack } = mackerelStack();
    const { state, token } = lazyName('https://draft.example.com/hook');
    const hook = new WebhookChannel(stack, 'Hook', { name: 'incidents', url: SecretValue.unsafePlainText(token) });
    state.value = 'https://final.example.com/hook';
    expect(propertiesOf(hook).url).toBe('https://final.example.com/hook');
    expect(warningIds(stack)).toContain('cdk-mackerel:channelUrlInTemplate');
  });

  test('a channel URL from Secrets Manager by a Lazy secret ID: the reference and the grant name the final secret', () => {
    const { stack, provider } = mackerelStack();
    const { state, token } = lazyName('draft/hook');
    const hook = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager(token) });
    state.value = 'final/hook';
    expect(propertiesOf(hook).url).toBe('{{resolve:secretsmanager:final/hook:SecretString:::}}');
    expect(grantsOf(stack, provider)).toContain(`"Action":"${GET_SECRET}"`);
    expect(grantsOf(stack, provider)).toContain('secret:final/hook-??????');
    expect(grantsOf(stack, provider)).not.toContain('draft');
  });

  test('a Lazy that ends as a Secrets Manager reference is granted, not warned about as plain text', () => {
    const { stack, provider } = mackerelStack();
    const { state, token } = lazyName('https://draft.example.com/hook');
    const hook = new WebhookChannel(stack, 'Hook', { name: 'incidents', url: SecretValue.unsafePlainText(token) });
    state.value = '{{resolve:secretsmanager:ops/hook:SecretString:url::}}';
    expect(propertiesOf(hook).url).toBe('{{resolve:secretsmanager:ops/hook:SecretString:url::}}');
    expect(grantsOf(stack, provider)).toContain('secret:ops/hook-??????');
    expect(warningIds(stack)).not.toContain('cdk-mackerel:channelUrlInTemplate');
  });

  test('a Lazy that ends as an ssm-secure reference is written in the handler\'s spelling, and its read granted', () => {
    const { stack, provider } = mackerelStack();
    const { state, token } = lazyName('https://draft.example.com/hook');
    const hook = new WebhookChannel(stack, 'Hook', { name: 'incidents', url: SecretValue.unsafePlainText(token) });
    state.value = '{{resolve:ssm-secure:/ops/hook}}';
    expect(propertiesOf(hook).url).toBe('{{cdk-mackerel:ssm-secure:/ops/hook}}');
    expect(grantsOf(stack, provider)).toContain('parameter/ops/hook');
  });

  test('a Lazy that ends as no URL is refused at synth, without showing it', () => {
    const { app, stack } = mackerelStack();
    const { state, token } = lazyName('https://draft.example.com/hook');
    new WebhookChannel(stack, 'Hook', { name: 'incidents', url: SecretValue.unsafePlainText(token) });
    state.value = 'T0123-not-a-url';
    expect(() => app.synth()).toThrow(/Stack\/Hook: url "\*+" is not a URL/);
  });

  test('an external HTTP monitor\'s header secretValue from a Lazy secret ID: the reference and the grant name the final secret', () => {
    const { stack, provider, shop } = mackerelStack();
    const { state, token } = lazyName('draft/token');
    const monitor = new ExternalHttpMonitor(stack, 'Top', {
      name: 'top', url: 'https://shop.example.com/', service: shop, headers: [{ name: 'Authorization', secretValue: SecretValue.secretsManager(token) }],
    });
    state.value = 'final/token';
    expect(propertiesOf(monitor).headers).toEqual([{ name: 'Authorization', value: '{{resolve:secretsmanager:final/token:SecretString:::}}' }]);
    expect(grantsOf(stack, provider)).toContain('secret:final/token-??????');
    expect(grantsOf(stack, provider)).not.toContain('draft');
  });

  test('a channel made by an Aspect in a construct already visited is granted its secret all the same', () => {
    // With @aws-cdk/core:aspectStabilization off, CDK does not run Aspects on a construct an Aspect
    // adds under a construct it has visited already.
    const app = new App({ context: { '@aws-cdk/core:aspectStabilization': false } });
    const stack = new Stack(app, 'Stack');
    const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
    const { state, token } = lazyName('draft/hook');
    let hook: SlackChannel | undefined;
    Aspects.of(stack).add({
      visit: (node) => {
        if (node !== provider || hook) return;
        hook = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager(token) });
      },
    });
    state.value = 'final/hook';
    expect(grantsOf(stack, provider)).toContain('secret:final/hook-??????');
    expect(propertiesOf(hook!).url).toBe('{{resolve:secretsmanager:final/hook:SecretString:::}}');
  });

  test('a channel so made whose URL key is of another stack is refused: the grant would name a resource its stack lacks', () => {
    // GIVEN channels made by an Aspect as above, with their URL's key in another stack and in their own
    const made = (keyIn: 'Keys' | 'Stack') => {
      const app = new App({ context: { '@aws-cdk/core:aspectStabilization': false } });
      const keys = new Stack(app, 'Keys');
      const stack = new Stack(app, 'Stack');
      const key = new kms.Key(keyIn === 'Keys' ? keys : stack, 'Key');
      const provider = new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
      const { state, token } = lazyName('draft/hook');
      let once = false;
      Aspects.of(stack).add({
        visit: (node) => {
          if (node !== provider || once) return;
          once = true;
          new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager(token), urlEncryptionKey: key });
        },
      });
      state.value = 'final/hook';
      return { app, stack, provider };
    };
    // THEN the key of another stack stops synth (no export of its ARN is made this late), naming the channel and the key
    expect(() => made('Keys').app.synth()).toThrow(/Stack\/Slack: urlEncryptionKey "Keys\/Key" is a key of stack Keys, read at validation/);
    // ... and the key of the channel's stack is granted, with the secret
    const own = made('Stack');
    expect(grantsOf(own.stack, own.provider)).toContain('kms:Decrypt');
    expect(grantsOf(own.stack, own.provider)).toContain('secret:final/hook-??????');
  });
});

describe('a scope of a Lazy name is compared by the name it ends with', () => {
  const START = new Date('2030-01-01T00:00:00Z');

  test('an alert group setting refuses a scope imported by a Lazy name that ends as another scope', () => {
    const { app, stack, shop } = mackerelStack();
    const { state, token } = lazyName('draft');
    const setting = new AlertGroupSetting(stack, 'Incidents', { name: 'incidents', scopes: [MonitorScope.fromService(shop)] });
    setting.addScope(MonitorScope.fromService(MackerelService.fromName(stack, 'Imported', token)));
    state.value = 'shop';
    expect(() => app.synth()).toThrow(/Stack\/Incidents\] scopes\[1\] "shop" is already a scope; expected each scope once/);
  });

  test('... and keeps one whose Lazy name is the other scope\'s at first but ends different', () => {
    const { stack, shop } = mackerelStack();
    const { state, token } = lazyName('shop');
    const setting = new AlertGroupSetting(stack, 'Incidents', {
      name: 'incidents', scopes: [MonitorScope.fromService(shop), MonitorScope.fromService(MackerelService.fromName(stack, 'Imported', token))],
    });
    state.value = 'orders';
    expect(propertiesOf(setting).serviceScopes).toEqual([stack.resolve(shop.name), 'orders']);
  });

  test('a downtime refuses a role in excludeScopes imported by a Lazy name that ends as a role in scopes', () => {
    const { app, stack, web } = mackerelStack();
    const { state, token } = lazyName('draft:web');
    new Downtime(stack, 'Maint', {
      name: 'm',
      start: START,
      duration: Duration.hours(1),
      scopes: [MonitorScope.fromRole(web)],
      excludeScopes: [MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Imported', token))],
    });
    state.value = 'shop:web';
    expect(() => app.synth()).toThrow(/Stack\/Maint\] excludeScopes\[0\] "shop:web" is also in scopes; expected each service or role in at most one of scopes and excludeScopes/);
  });

  test('... and keeps one whose Lazy name ends different', () => {
    const { stack, web } = mackerelStack();
    const { state, token } = lazyName('shop:web');
    const downtime = new Downtime(stack, 'Maint', {
      name: 'm',
      start: START,
      duration: Duration.hours(1),
      scopes: [MonitorScope.fromRole(web), MonitorScope.fromRole(MackerelRole.fromFullName(stack, 'Imported', token))],
    });
    state.value = 'shop:db';
    expect(propertiesOf(downtime).roleScopes).toEqual([stack.resolve(web.fullName), 'shop:db']);
  });
});

describe('a MackerelService or MackerelRole created with a Lazy name counts by the name it ends with, once final', () => {
  const START = new Date('2030-01-01T00:00:00Z');

  test('a monitor of a literal scope waits for the service and the role of its stack that Lazy names end as', () => {
    const { stack } = mackerelStack();
    const service = lazyName('draft');
    const role = lazyName('draft');
    const blog = new MackerelService(stack, 'Blog', { name: service.token });
    const web = new MackerelRole(stack, 'Web', { service: blog, name: role.token });
    const monitor = cpuMonitor(stack, [MonitorScope.of('blog'), MonitorScope.of('blog:web')]);
    service.state.value = 'blog';
    role.state.value = 'web';
    const resource = Template.fromStack(stack).toJSON().Resources[logicalIdOf(monitor)];
    expect(resource.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(blog), logicalIdOf(web)]));
  });

  test('a Lazy name an Aspect of the app sets after the library looked the app\'s names up is written as it ends', () => {
    // GIVEN a monitor of a literal scope, whose Aspect looks the app's services up by name (to wait for its own), visited
    // before the services, and services and a role whose Lazy names an Aspect of the app sets as it visits them
    const { stack } = mackerelStack();
    cpuMonitor(stack, [MonitorScope.of('shop')]);
    const service = lazyName('draft');
    const role = lazyName('draft');
    const nested = lazyName('draft');
    const blog = new MackerelService(stack, 'Blog', { name: service.token });
    const web = new MackerelRole(stack, 'Web', { service: blog, name: role.token });
    // A Lazy that ends as another Lazy
    const news = new MackerelService(stack, 'News', { name: Lazy.string({ produce: () => nested.token }) });
    Aspects.of(stack).add({
      visit: (node) => {
        if (node === blog) service.state.value = 'blog';
        if (node === web) role.state.value = 'web';
        if (node === news) nested.state.value = 'news';
      },
    });
    expect(propertiesOf(blog).name).toBe('blog');
    expect(propertiesOf(web).name).toBe('web');
    expect(propertiesOf(news).name).toBe('news');
  });

  test('a service of a Lazy name that ends as another service\'s is refused as creating it twice, whichever comes first', () => {
    const synth = (last: string, lazyFirst: boolean) => {
      const app = new App();
      const stack = new Stack(app, 'Stack');
      new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'ApiKey')) });
      const { state, token } = lazyName('draft');
      new MackerelService(stack, 'First', { name: lazyFirst ? token : 'shop' });
      new MackerelService(stack, 'Second', { name: lazyFirst ? 'shop' : token });
      state.value = last;
      return () => app.synth();
    };
    expect(synth('shop', true)).toThrow(/\[Stack\/Second\] name "shop" creates the same service as Stack\/First; expected service names unique/);
    expect(synth('shop', false)).toThrow(/\[Stack\/Second\] name "shop" creates the same service as Stack\/First; expected service names unique/);
    expect(synth('blog', true)).not.toThrow();
    expect(synth('blog', false)).not.toThrow();
  });

  test('a downtime warns about a role in scopes whose service, created with a Lazy name, is in excludeScopes', () => {
    const warnings = (last: string) => {
      const { app, stack } = mackerelStack();
      const { state, token } = lazyName('draft');
      const blog = new MackerelService(stack, 'Blog', { name: token });
      new Downtime(stack, 'Maint', {
        name: 'm', start: START, duration: Duration.hours(1), scopes: [MonitorScope.of('blog:web')], excludeScopes: [MonitorScope.fromService(blog)],
      });
      state.value = last;
      app.synth();
      return Annotations.fromStack(stack).findWarning('/Stack/Maint', Match.stringLikeRegexp('downtimeScopeRedundant')).map((w) => String(w.entry.data));
    };
    expect(warnings('blog')).toEqual([expect.stringMatching(/^scopes\[0\] "blog:web" is a role of service "blog", which is excludeScopes\[0\]/)]);
    expect(warnings('other')).toEqual([]);
  });

  test('a scope of a service created with a Lazy name repeats a literal scope of the name it ends with: warned in a monitor, refused in a downtime', () => {
    const build = (last: string, user: 'monitor' | 'downtime') => {
      const { app, stack } = mackerelStack();
      const { state, token } = lazyName('draft');
      const blog = new MackerelService(stack, 'Blog', { name: token });
      if (user === 'monitor') {
        cpuMonitor(stack, [MonitorScope.fromService(blog), MonitorScope.of('blog')]);
      } else {
        new Downtime(stack, 'Maint', { name: 'm', start: START, duration: Duration.hours(1), scopes: [MonitorScope.fromService(blog)], excludeScopes: [MonitorScope.of('blog')] });
      }
      state.value = last;
      return { app, stack };
    };
    const redundant = (stack: Stack) => Annotations.fromStack(stack).findWarning('/Stack/Cpu', Match.stringLikeRegexp('monitorScopeRedundant')).map((w) => String(w.entry.data));
    expect(redundant(build('blog', 'monitor').stack)).toEqual([expect.stringMatching(/^scopes\[1\] "blog" is given twice/)]);
    expect(redundant(build('other', 'monitor').stack)).toEqual([]);
    expect(() => build('blog', 'downtime').app.synth())
      .toThrow(/\[Stack\/Maint\] excludeScopes\[0\] "blog" is also in scopes; expected each service or role in at most one of scopes and excludeScopes/);
    expect(() => build('other', 'downtime').app.synth()).not.toThrow();
  });

  test('... and so does one of a service created with an uncached Lazy name: warned in a monitor, refused in a downtime and an alert group setting', () => {
    const build = (last: string, refusers = true) => {
      const { app, stack } = mackerelStack();
      const state = { value: 'draft' };
      const blog = new MackerelService(stack, 'Blog', { name: Lazy.uncachedString({ produce: () => state.value }) });
      const scopes = [MonitorScope.fromService(blog), MonitorScope.of('blog')];
      cpuMonitor(stack, scopes);
      if (refusers) {
        new Downtime(stack, 'Maint', { name: 'm', start: START, duration: Duration.hours(1), scopes: [scopes[0]], excludeScopes: [scopes[1]] });
        new AlertGroupSetting(stack, 'Group', { name: 'g', scopes });
      }
      state.value = last;
      return { app, stack };
    };
    expect(() => build('blog').app.synth()).toThrow(/\[Stack\/Maint\] excludeScopes\[0\] "blog" is also in scopes; expected each service or role in at most one of scopes and excludeScopes\n\s*\[Stack\/Group\] scopes\[1\] "blog" is already a scope; expected each scope once/);
    const { app, stack } = build('other');
    app.synth();
    expect(Annotations.fromStack(stack).findWarning('/Stack/Cpu', Match.stringLikeRegexp('monitorScopeRedundant'))).toEqual([]);
    // The monitor's warning alone, as the downtime and the alert group setting refuse the same scopes.
    const { stack: warned } = build('blog', false);
    const redundant = Annotations.fromStack(warned).findWarning('/Stack/Cpu', Match.stringLikeRegexp('monitorScopeRedundant')).map((w) => String(w.entry.data));
    expect(redundant).toEqual([expect.stringMatching(/^scopes\[1\] "blog" is given twice/)]);
  });
  test('a monitor of a literal scope waits for the service whose Lazy name an Aspect of the app sets after the monitor\'s own Aspect', () => {
    // GIVEN the monitor visited before the service, as the template writes the name the app's Aspect gives
    const { stack } = mackerelStack();
    const monitor = cpuMonitor(stack, [MonitorScope.of('blog')]);
    const { state, token } = lazyName('draft');
    const blog = new MackerelService(stack, 'Blog', { name: token });
    Aspects.of(stack).add({ visit: (node) => { if (node === blog) state.value = 'blog'; } });
    expect(propertiesOf(blog).name).toBe('blog');
    expect(Template.fromStack(stack).toJSON().Resources[logicalIdOf(monitor)].DependsOn).toEqual(expect.arrayContaining([logicalIdOf(blog)]));
  });

  test('a scope named by a parameter, compared with the names of the stack\'s services, keeps no Lazy name an Aspect of the app sets later', () => {
    const { stack } = mackerelStack();
    const param = new CfnParameter(stack, 'Name');
    cpuMonitor(stack, [MonitorScope.fromService(MackerelService.fromName(stack, 'Imported', param.valueAsString))]);
    const { state, token } = lazyName('draft');
    const blog = new MackerelService(stack, 'Blog', { name: token });
    Aspects.of(stack).add({ visit: (node) => { if (node === blog) state.value = 'blog'; } });
    expect(propertiesOf(blog).name).toBe('blog');
  });
  test('a monitor warns of a repeated scope of a service whose Lazy name an Aspect of the app sets after the monitor\'s own Aspect', () => {
    // GIVEN the monitor visited before the service, whose name the template writes as the app's Aspect gives it
    const { stack } = mackerelStack();
    const first = new Construct(stack, 'First');
    const later = new Construct(stack, 'Later');
    const { state, token } = lazyName('draft');
    const blog = new MackerelService(later, 'Blog', { name: token });
    cpuMonitor(first, [MonitorScope.fromService(blog), MonitorScope.of('blog')]);
    Aspects.of(stack).add({ visit: (node) => { if (node === blog) state.value = 'blog'; } });
    expect(propertiesOf(blog).name).toBe('blog');
    const redundant = Annotations.fromStack(stack).findWarning('/Stack/First/Cpu', Match.stringLikeRegexp('monitorScopeRedundant')).map((w) => String(w.entry.data));
    expect(redundant).toEqual([expect.stringMatching(/^scopes\[1\] "blog" is given twice/)]);
  });
});
