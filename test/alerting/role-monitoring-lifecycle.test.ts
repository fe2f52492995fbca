import { join } from 'node:path';
import { App, SecretValue, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, test } from 'vitest';
import { MackerelMonitoring, RoleMonitorKind, SlackChannel } from '../../src/alerting';
import { MackerelApiKey } from '../../src/api-key';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';
import { cli, useEmulatorPerFile, workDir } from '../cli/_fixture';

const shared = useEmulatorPerFile();

describe('MackerelMonitoring.forRole against the emulator', () => {
  test('the default alerts, a URL monitor and their notification group are accepted, named after the role, and destroyed', async () => {
    const dir = workDir();
    const app = new App({ outdir: join(dir, 'cdk.out') });
    const stack = new Stack(app, 'Alerts');
    new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
    const web = new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('web');
    const slack = new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.unsafePlainText('https://hooks.slack.com/services/T0/B0/x') });
    const alerts = MackerelMonitoring.forRole(stack, 'WebAlerts', { role: web, notify: { channels: [slack] }, url: { url: 'https://shop.example.com/' } });
    expect(alerts.monitorsOfKind(RoleMonitorKind.EXTERNAL_HTTP)).toHaveLength(1);
    app.synth();

    const run = await cli(['apply', join(dir, 'cdk.out'), '--api-base', shared.emulator.url]);
    expect(run.code).toBe(0);
    const state = shared.emulator.state() as any;
    expect(state.monitors.map((m: { name: string; type: string }) => `${m.type} ${m.name}`).sort()).toEqual([
      'connectivity shop:web connectivity', 'external shop:web URL', 'host shop:web container CPU', 'host shop:web container memory',
    ]);
    const group = state.notificationGroups.find((g: { name: string }) => g.name === 'shop:web alerts');
    expect(group.childChannelIds).toEqual([state.channels[0].id]);
    expect(group.monitors.map((m: { id: string }) => m.id).sort()).toEqual(state.monitors.map((m: { id: string }) => m.id).sort());

    expect((await cli(['apply', join(dir, 'cdk.out'), '--api-base', shared.emulator.url, '--destroy'])).code).toBe(0);
    expect((shared.emulator.state() as any).monitors).toEqual([]);
  });
});
