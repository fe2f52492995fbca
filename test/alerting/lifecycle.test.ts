/**
 * The alerting constructs through the real handler against the emulator, driven by the
 * command-line tool's CloudFormation semantics: create, update in place, replace, re-create
 * after a delete outside the stack, and destroy.
 */
import { join } from 'node:path';
import { App, Duration, SecretValue, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeEach, describe, expect, test } from 'vitest';
import {
  AlertGroupSetting, ChannelEvent, Downtime, DowntimeRecurrence, EmailChannel, NotificationGroup, NotificationLevel, SlackChannel,
  WebhookChannel, Weekday,
} from '../../src/alerting';
import { MackerelApiKey } from '../../src/api-key';
import { ConnectivityMonitor, MonitorScope } from '../../src/monitors';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';
import { cli, useEmulatorPerFile, workDir } from '../cli/_fixture';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

interface Version {
  readonly level: NotificationLevel;
  readonly downtimeHours: number;
  /** The `Pager` channel: a webhook, or (a different kind: replaced) a Slack channel. */
  readonly pagerIsSlack: boolean;
}

function synth(dir: string, v: Version): string {
  const outdir = join(dir, 'cdk.out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'Alerts');
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
  const shop = new MackerelService(stack, 'Shop', { name: 'shop' });
  const web = shop.addRole('web');
  const alive = new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromRole(web)] });
  const mail = new EmailChannel(stack, 'Mail', { name: 'oncall', emails: ['oncall@example.com'], events: [ChannelEvent.ALERT, ChannelEvent.HOST_RETIRE] });
  const slack = new SlackChannel(stack, 'Slack', {
    name: 'ops', url: SecretValue.secretsManager('ops/slack', { jsonField: 'url' }), mentions: { critical: '<!channel>' },
  });
  const pager = v.pagerIsSlack
    ? new SlackChannel(stack, 'Pager', { name: 'pager', url: SecretValue.unsafePlainText('https://hooks.slack.com/services/T0/B0/x') })
    : new WebhookChannel(stack, 'Pager', { name: 'pager', url: SecretValue.unsafePlainText('https://pager.example.com/hook') });
  const group = new NotificationGroup(stack, 'Ops', { name: 'ops', notificationLevel: v.level, channels: [mail, slack, pager], services: [shop] });
  group.addMonitor(alive, { skipDefault: true });
  new AlertGroupSetting(stack, 'Incidents', { name: 'web incidents', scopes: [MonitorScope.fromRole(web)], notificationInterval: Duration.minutes(30) });
  new Downtime(stack, 'Maint', {
    name: 'weekly maintenance',
    start: new Date('2026-12-06T01:00:00Z'),
    duration: Duration.hours(v.downtimeHours),
    recurrence: DowntimeRecurrence.weekly({ weekdays: [Weekday.SUNDAY] }),
    scopes: [MonitorScope.fromRole(web)],
  });
  app.synth();
  return outdir;
}

const state = () => shared.emulator.state() as unknown as {
  channels: Array<{ id: string; type: string; name: string; url?: string; mentions?: object; events: string[] }>;
  notificationGroups: Array<{
    id: string; name: string; notificationLevel: string; childChannelIds: string[]; monitors: object[]; services: object[];
  }>;
  alertGroupSettings: Array<{ name: string; roleScopes: string[]; notificationInterval: number }>;
  downtimes: Array<{ id: string; name: string; duration: number; recurrence: object; roleScopes: string[] }>;
  monitors: Array<{ id: string }>;
};
const opsGroup = () => state().notificationGroups.find((g) => g.name === 'ops')!;
const channelNamed = (name: string) => state().channels.find((c) => c.name === name)!;

describe('alerting objects against the emulator', () => {
  test('create, update in place, replace a channel, re-create after an outside delete, destroy', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];

    let run = await cli(['apply', synth(dir, { level: NotificationLevel.ALL, downtimeHours: 2, pagerIsSlack: false }), ...base]);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(new RegExp('notice: \\{\\{resolve:secretsmanager:ops/slack:SecretString:url::\\}\\} is not read from AWS for the emulator; '
      + 'using the placeholder https://secretsmanager.emulator.invalid/ops/slack'));
    expect(state().channels.map((c) => [c.type, c.name]).sort()).toEqual([['email', 'oncall'], ['slack', 'ops'], ['webhook', 'pager']]);
    expect(channelNamed('ops')).toMatchObject({ url: 'https://secretsmanager.emulator.invalid/ops/slack', mentions: { critical: '<!channel>' }, events: ['alert'] });
    expect(channelNamed('oncall').events).toEqual(['alert', 'hostRetire']);
    const [alive] = state().monitors;
    expect(opsGroup()).toMatchObject({
      notificationLevel: 'all',
      childChannelIds: ['oncall', 'ops', 'pager'].map((n) => channelNamed(n).id),
      monitors: [{ id: alive.id, skipDefault: true }],
      services: [{ name: 'shop' }],
    });
    expect(state().alertGroupSettings).toMatchObject([{ name: 'web incidents', notificationInterval: 30 }]);
    expect(state().downtimes).toMatchObject([{ name: 'weekly maintenance', duration: 120, recurrence: { type: 'weekly', interval: 1, weekdays: ['Sunday'] } }]);
    const [downtime] = state().downtimes;
    const groupId = opsGroup().id;
    const webhookId = channelNamed('pager').id;

    // In place: the group's level and the downtime's duration; replaced: the pager channel turns from a webhook into Slack.
    run = await cli(['apply', synth(dir, { level: NotificationLevel.CRITICAL, downtimeHours: 3, pagerIsSlack: true }), ...base]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/replaced\s+Channel\s+Alerts\/Pager\w* \S+ -> \S+/);
    expect(run.out).toMatch(/updated\s+NotificationGroup/);
    expect(run.out).toMatch(/updated\s+Downtime/);
    expect(state().downtimes).toMatchObject([{ id: downtime.id, duration: 180 }]);
    const pager = channelNamed('pager');
    expect(pager).toMatchObject({ type: 'slack' });
    expect(pager.id).not.toBe(webhookId);
    expect(state().channels.some((c) => c.id === webhookId)).toBe(false);
    expect(opsGroup()).toMatchObject({ id: groupId, notificationLevel: 'critical' });
    expect(opsGroup().childChannelIds).toContain(pager.id);

    // Deleted in Mackerel by hand: the next apply of a change re-creates it.
    await fetch(new URL(`/api/v0/downtimes/${downtime.id}`, shared.emulator.url), { method: 'DELETE', headers: { 'X-Api-Key': shared.emulator.apiKey } });
    run = await cli(['apply', synth(dir, { level: NotificationLevel.CRITICAL, downtimeHours: 4, pagerIsSlack: true }), ...base]);
    expect(run.code).toBe(0);
    expect(state().downtimes).toHaveLength(1);
    expect(state().downtimes[0]).toMatchObject({ name: 'weekly maintenance', duration: 240 });
    expect(state().downtimes[0].id).not.toBe(downtime.id);

    run = await cli(['apply', join(dir, 'cdk.out'), ...base, '--destroy']);
    expect(run.code).toBe(0);
    expect(state().channels).toEqual([]);
    expect(state().notificationGroups.filter((g) => g.name === 'ops')).toEqual([]);
    expect(state().alertGroupSettings).toEqual([]);
    expect(state().downtimes).toEqual([]);
    expect(state().monitors).toEqual([]);
  });
});
