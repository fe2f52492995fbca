/**
 * What the channel constructs synthesize, deployed through the real handler against the
 * emulator: create, update in place, replace when a channel turns into another kind, delete,
 * 404 on delete, re-create after a delete outside the stack, and the URL kept in a secret
 * resolved by the handler (with stand-ins for the AWS SDK clients).
 */
import { App, SecretValue, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { logicalIdOf } from './_fixture';
import { ChannelEvent, EmailChannel, SlackChannel, WebhookChannel } from '../../src/alerting';
import { MackerelApiKey } from '../../src/api-key';
import { _RESOURCE_TYPES } from '../../src/provider/_properties';
import { useAwsClients } from '../../src/provider/handler/aws';
import { MackerelProvider } from '../../src/provider/provider';
import { fakeAws } from '../provider/handler/_fake-aws';
import { FakeCloudFormation } from '../provider/handler/_fake-cloudformation';
import { api, apiSnapshot, FakeResource, useEmulator } from '../provider/handler/_harness';

const env = useEmulator();
const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX';
const HOOK_URL = 'https://pager.example.com/hooks/XXXXHOOKSECRETXXXX';

/** Secrets Manager and SSM as the handler would find them. */
let aws: ReturnType<typeof fakeAws>;
beforeEach(() => {
  aws = fakeAws({ secrets: { 'ops/slack': JSON.stringify({ url: SLACK_URL }) }, parameters: { '/ops/hook': HOOK_URL } });
  useAwsClients(aws);
});
afterEach(() => useAwsClients());

function stackWith(build: (stack: Stack) => void): Stack {
  const stack = new Stack(new App(), 'Alerts');
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
  build(stack);
  return stack;
}

async function channels(): Promise<Array<{ id: string; type: string; name: string; [field: string]: unknown }>> {
  return (await api(env.emulator, 'GET', '/api/v0/channels')).body.channels;
}

async function channel(id: string) {
  return (await channels()).find((c) => c.id === id);
}

describe('EmailChannel against the emulator', () => {
  test('created as synthesized, updated in place, deleted, and a second delete (404) succeeds', async () => {
    // GIVEN
    const baseline = await apiSnapshot(env.emulator);
    const deployed = new FakeCloudFormation();
    let mail!: EmailChannel;
    const v1 = stackWith((s) => {
      mail = new EmailChannel(s, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
    });

    // WHEN created
    await deployed.apply(v1);
    const id = deployed.physicalId(logicalIdOf(mail));

    // THEN
    expect(await channel(id)).toMatchObject({ type: 'email', name: 'oncall', emails: ['oncall@example.com'], events: ['alert'] });

    // WHEN the addresses and events change
    const v2 = stackWith((s) => {
      mail = new EmailChannel(s, 'Mail', { name: 'on-call', emails: ['a@example.com', 'b@example.com'], events: [ChannelEvent.ALERT, ChannelEvent.HOST_RETIRE] });
    });
    const applied = await deployed.apply(v2);

    // THEN the same channel is updated
    expect(applied).toMatchObject({ updated: [logicalIdOf(mail)], replaced: [], created: [] });
    expect(await channel(id)).toMatchObject({ name: 'on-call', emails: ['a@example.com', 'b@example.com'], events: ['alert', 'hostRetire'] });

    // WHEN deleted, then deleted again (CloudFormation retrying a delete)
    await deployed.destroy();
    const retry = new FakeResource(_RESOURCE_TYPES.CHANNEL, logicalIdOf(mail));
    retry.physicalId = id;
    const from = env.emulator.requests().length;
    await expect(retry.delete()).resolves.toMatchObject({ PhysicalResourceId: id });

    // THEN Mackerel answered 404, which is success, and nothing is left
    expect(env.emulator.requests().slice(from)).toEqual([expect.objectContaining({ method: 'DELETE', path: `/api/v0/channels/${id}`, status: 404 })]);
    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a channel deleted outside the stack is re-created by the next update', async () => {
    const deployed = new FakeCloudFormation();
    let mail!: EmailChannel;
    await deployed.apply(stackWith((s) => {
      mail = new EmailChannel(s, 'Mail', { name: 'oncall', emails: ['oncall@example.com'] });
    }));
    const id = deployed.physicalId(logicalIdOf(mail));
    await api(env.emulator, 'DELETE', `/api/v0/channels/${id}`);

    await deployed.apply(stackWith((s) => {
      mail = new EmailChannel(s, 'Mail', { name: 'oncall', emails: ['ops@example.com'] });
    }));

    const recreated = deployed.physicalId(logicalIdOf(mail));
    expect(recreated).not.toBe(id);
    expect(await channels()).toEqual([expect.objectContaining({ id: recreated, emails: ['ops@example.com'] })]);
  });
});

describe('SlackChannel and WebhookChannel against the emulator', () => {
  test('the URL in Secrets Manager: the template holds the reference, Mackerel gets the URL the handler read', async () => {
    // GIVEN
    const deployed = new FakeCloudFormation();
    let slack!: SlackChannel;
    const stack = stackWith((s) => {
      slack = new SlackChannel(s, 'Slack', {
        name: 'ops', url: SecretValue.secretsManager('ops/slack', { jsonField: 'url' }), mentions: { critical: '<!channel>' }, enabledGraphImage: true,
      });
    });

    // WHEN
    await deployed.apply(stack);

    // THEN
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('XXXXSECRETXXXX');
    expect(aws.commands).toEqual([{ name: 'GetSecretValue', input: expect.objectContaining({ SecretId: 'ops/slack' }) }]);
    expect(await channel(deployed.physicalId(logicalIdOf(slack)))).toMatchObject({
      type: 'slack', name: 'ops', url: SLACK_URL, mentions: { critical: '<!channel>' }, enabledGraphImage: true, events: ['alert'],
    });
    for (const line of env.logs.lines()) expect(line).not.toContain('XXXXSECRETXXXX');
  });

  test('the URL in an SSM SecureString, and an update of the mentions in place', async () => {
    const deployed = new FakeCloudFormation();
    let hook!: WebhookChannel;
    await deployed.apply(stackWith((s) => {
      hook = new WebhookChannel(s, 'Hook', { name: 'incidents', url: SecretValue.ssmSecure('/ops/hook') });
    }));
    const id = deployed.physicalId(logicalIdOf(hook));
    expect(await channel(id)).toMatchObject({ type: 'webhook', url: HOOK_URL });
    expect(aws.commands).toEqual([{ name: 'GetParameter', input: { Name: '/ops/hook', WithDecryption: true } }]);

    const applied = await deployed.apply(stackWith((s) => {
      hook = new WebhookChannel(s, 'Hook', { name: 'incidents', url: SecretValue.ssmSecure('/ops/hook'), enabledGraphImage: true, events: [ChannelEvent.ALERT_GROUP] });
    }));

    expect(applied.updated).toEqual([logicalIdOf(hook)]);
    expect(await channel(id)).toMatchObject({ url: HOOK_URL, enabledGraphImage: true, events: ['alertGroup'] });
  });

  test('a webhook that becomes a Slack channel is replaced, and the old one is deleted', async () => {
    // GIVEN
    const deployed = new FakeCloudFormation();
    let pager: WebhookChannel | SlackChannel;
    await deployed.apply(stackWith((s) => {
      pager = new WebhookChannel(s, 'Pager', { name: 'pager', url: SecretValue.ssmSecure('/ops/hook') });
    }));
    const oldId = deployed.physicalId(logicalIdOf(pager!));

    // WHEN the same construct id is now a SlackChannel
    const applied = await deployed.apply(stackWith((s) => {
      pager = new SlackChannel(s, 'Pager', { name: 'pager', url: SecretValue.secretsManager('ops/slack', { jsonField: 'url' }) });
    }));

    // THEN
    const newId = deployed.physicalId(logicalIdOf(pager!));
    expect(applied.replaced).toEqual([logicalIdOf(pager!)]);
    expect(newId).not.toBe(oldId);
    expect(await channels()).toEqual([expect.objectContaining({ id: newId, type: 'slack', name: 'pager', url: SLACK_URL })]);
  });

  test('a URL read with a trailing newline fails the create, naming the parameter but not the URL, and creates no channel', async () => {
    // GIVEN a parameter written from a file, as `aws ssm put-parameter --value file://hook.txt` keeps its last newline
    useAwsClients(fakeAws({ parameters: { '/ops/hook': `${HOOK_URL}\n` } }));
    const deployed = new FakeCloudFormation();
    const stack = stackWith((s) => {
      new WebhookChannel(s, 'Hook', { name: 'incidents', url: SecretValue.ssmSecure('/ops/hook') });
    });

    // WHEN
    const failure = await deployed.apply(stack).then(() => undefined, (e: Error) => e);

    // THEN Mackerel is never asked to keep a URL it would post to with the newline
    expect(failure?.message).toMatch(/property url read from ssm-secure \/ops\/hook has whitespace at its start or end/);
    expect(failure?.message).not.toContain('XXXXHOOKSECRETXXXX');
    for (const line of env.logs.lines()) expect(line).not.toContain('XXXXHOOKSECRETXXXX');
    expect(await channels()).toEqual([]);
  });

  test('a secret the handler cannot read fails the create, naming the secret but not leaking the key', async () => {
    useAwsClients(fakeAws({}));
    const deployed = new FakeCloudFormation();
    const stack = stackWith((s) => {
      new SlackChannel(s, 'Slack', { name: 'ops', url: SecretValue.secretsManager('ops/missing') });
    });

    await expect(deployed.apply(stack)).rejects.toThrow(/ops\/missing/);
    expect(await channels()).toEqual([]);
  });
});
