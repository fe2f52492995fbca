import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { fakeAws } from './_fake-aws';
import { api, apiSnapshot, FakeResource, StackTable, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';
import { useAwsClients } from '../../../src/provider/handler/aws';
import { useStackView } from '../../../src/provider/handler/stack';

const env = useEmulator();
const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX';
const SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:slack-AbCdEf';

function bodyOf(request: { body?: unknown }) {
  return typeof request.body === 'string' ? JSON.parse(request.body) : request.body;
}

async function channelInMackerel(id: string) {
  return (await api(env.emulator, 'GET', '/api/v0/channels')).body.channels.find((c: { id: string }) => c.id === id);
}

let baseline: Awaited<ReturnType<typeof apiSnapshot>>;
beforeEach(async () => {
  baseline = await apiSnapshot(env.emulator);
});
afterEach(() => useAwsClients());

describe('Custom::MackerelChannel', () => {
  const email = { type: 'email', name: 'oncall', emails: ['oncall@example.com'], events: ['alert'] };

  test('create posts the channel outside the default notification group', async () => {
    const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Mail');
    const from = env.emulator.requests().length;

    const result = await channel.create(email);

    expect(result.Data).toEqual({ ChannelId: result.PhysicalResourceId });
    expect(bodyOf(writes(env.emulator, from)[0])).toEqual({ ...email, addToDefaultNotificationGroup: false });
    expect(await channelInMackerel(result.PhysicalResourceId)).toMatchObject(email);
  });

  test('an update is a PUT without addToDefaultNotificationGroup, on the same ID', async () => {
    const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Mail');
    const { PhysicalResourceId: id } = await channel.create(email);
    const from = env.emulator.requests().length;

    const result = await channel.update({ ...email, emails: ['ops@example.com'], events: ['alert', 'alertGroup'] });

    expect(result).toMatchObject({ PhysicalResourceId: id, replaced: false });
    const [put] = writes(env.emulator, from);
    expect(put.method).toBe('PUT');
    expect(bodyOf(put)).not.toHaveProperty('addToDefaultNotificationGroup');
    expect(await channelInMackerel(id)).toMatchObject({ emails: ['ops@example.com'], events: ['alert', 'alertGroup'] });
  });

  test('a change of type replaces the channel, and the cleanup deletes the old one', async () => {
    const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Ops');
    const { PhysicalResourceId: oldId } = await channel.create(email);

    const result = await channel.update({ type: 'webhook', name: 'oncall', url: 'https://example.com/hook', events: ['alert'] });

    expect(result.replaced).toBe(true);
    expect(await channelInMackerel(oldId)).toBeUndefined();
    expect(await channelInMackerel(result.PhysicalResourceId)).toMatchObject({ type: 'webhook' });
  });

  test('the rollback of a failed change of type keeps the channel, and so its place in notification groups', async () => {
    // GIVEN an email channel in a group, whose change to webhook fails (Mackerel refuses the new channel)
    const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Ops');
    const { PhysicalResourceId: id } = await channel.create(email);
    const group = new FakeResource(_RESOURCE_TYPES.NOTIFICATION_GROUP, 'Group');
    const { PhysicalResourceId: groupId } = await group.create({ name: 'ops', notificationLevel: 'all', childChannelIds: [id] });
    const webhook = { type: 'webhook', name: 'oncall', url: 'https://example.com/hook', events: ['alert'] };
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/channels', status: 400, body: { error: { message: 'refused' } } });
    await expect(channel.update(webhook)).rejects.toThrow(/refused/);

    // WHEN CloudFormation rolls back: the old properties as new, on the same channel
    const from = env.emulator.requests().length;
    const result = await channel.rollback(webhook);

    // THEN the channel is updated in place, not replaced, and the group still sends to it
    expect(result).toMatchObject({ PhysicalResourceId: id, replaced: false });
    expect(writes(env.emulator, from).map((r) => r.method)).toEqual(['PUT']);
    expect(await channelInMackerel(id)).toMatchObject(email);
    const groups = (await api(env.emulator, 'GET', '/api/v0/notification-groups')).body.notificationGroups;
    expect(groups.find((g: { id: string }) => g.id === groupId).childChannelIds).toEqual([id]);
  });

  test('a no-op update makes no write; a channel deleted outside is re-created', async () => {
    const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Mail');
    const { PhysicalResourceId: id } = await channel.create(email);
    const from = env.emulator.requests().length;

    await expect(channel.update({ ...email })).resolves.toMatchObject({ PhysicalResourceId: id });
    expect(writes(env.emulator, from)).toEqual([]);

    await api(env.emulator, 'DELETE', `/api/v0/channels/${id}`);
    const recreated = await channel.update({ ...email, name: 'on-call' });
    expect(recreated.PhysicalResourceId).not.toBe(id);
    expect(await channelInMackerel(recreated.PhysicalResourceId)).toMatchObject({ name: 'on-call' });
  });

  test('delete leaves nothing behind, and a 404 on delete is success', async () => {
    const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Mail');
    await channel.create(email);

    await channel.delete();
    await channel.delete();

    expect(await apiSnapshot(env.emulator)).toEqual(baseline);
  });

  test('a Slack URL kept in Secrets Manager is resolved by the handler and never logged', async () => {
    const aws = fakeAws({ secrets: { [SECRET_ARN]: JSON.stringify({ url: SLACK_URL }) } });
    useAwsClients(aws);
    const reference = `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:url::}}`;
    const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Slack');

    const { PhysicalResourceId: id } = await channel.create({ type: 'slack', name: 'ops', url: reference, mentions: { critical: '@channel' }, enabledGraphImage: true });
    await channel.update({ type: 'slack', name: 'ops-alerts', url: reference, mentions: { critical: '@channel' }, enabledGraphImage: true });

    expect(await channelInMackerel(id)).toMatchObject({ name: 'ops-alerts', url: SLACK_URL, mentions: { critical: '@channel' }, enabledGraphImage: true });
    expect(aws.commands.map((c) => c.name)).toEqual(['GetSecretValue', 'GetSecretValue']);
    expect(env.logs.lines().length).toBeGreaterThan(0);
    for (const line of env.logs.lines()) expect(line).not.toContain('XXXXSECRETXXXX');
  });

  describe('a URL read at deploy time with whitespace', () => {
    const HOOK = 'https://hooks.example.com/XXXXHOOKSECRETXXXX';
    const stack = new StackTable();
    beforeEach(() => {
      stack.status = 'UPDATE_IN_PROGRESS';
      useStackView(stack.view);
    });
    afterEach(() => useStackView());
    const webhook = (url: string) => ({ type: 'webhook', name: 'incidents', url, events: ['alert'] });
    const expectNoSecretShown = (texts: string[]) => {
      for (const text of [...texts, ...env.logs.lines()]) expect(text).not.toContain('XXXXHOOKSECRETXXXX');
    };

    test('is refused in a reference within a longer URL, naming every secret and parameter read', async () => {
      useAwsClients(fakeAws({ secrets: { [SECRET_ARN]: JSON.stringify({ path: 'XXXXHOOKSECRETXXXX ' }) }, parameters: { '/ops/host': 'hooks.example.com' } }));
      const url = `https://{{cdk-mackerel:ssm-secure:/ops/host}}/{{resolve:secretsmanager:${SECRET_ARN}:SecretString:path::}}?x=1`;
      const from = env.emulator.requests().length;

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Hook').create(webhook(url)));

      expect(error.message).toMatch(new RegExp(`property url read from ssm-secure /ops/host and secretsmanager ${SECRET_ARN} has whitespace inside \\(not shown`));
      expect(writes(env.emulator, from)).toEqual([]);
      expectNoSecretShown([error.message]);
    });

    test('is refused in a URL CloudFormation resolved (a NoEcho parameter), a non-breaking space and a line separator too', async () => {
      for (const url of [`${HOOK}\n`, `${HOOK}\u00a0`, 'https://hooks.example.com/XXXXHOOKSECRETXXXX\u2028x']) {
        const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Hook').create(webhook(url)));
        expect(error.message).toMatch(/^.*property url has whitespace (at its start or end|inside) \(not shown/);
        expectNoSecretShown([error.message]);
      }
      expect(await apiSnapshot(env.emulator)).toEqual(baseline);
    });

    test('fixed in a new secret, is still sent back by the rollback of that update, which must not fail', async () => {
      // GIVEN a channel whose parameter was rewritten with a trailing newline after it was deployed
      const parameters: { [name: string]: string } = { '/ops/old': HOOK, '/ops/new': `${HOOK}-2` };
      useAwsClients(fakeAws({ parameters }));
      const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Hook');
      const { PhysicalResourceId: id } = await channel.create(webhook('{{cdk-mackerel:ssm-secure:/ops/old}}'));
      parameters['/ops/old'] = `${HOOK}\n`;
      useAwsClients(fakeAws({ parameters }));

      // WHEN an update moves it to a parameter without the newline, and another resource of the update fails
      await channel.update(webhook('{{cdk-mackerel:ssm-secure:/ops/new}}'));
      expect((await channelInMackerel(id)).url).toBe(`${HOOK}-2`);
      stack.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
      const result = await channel.update(webhook('{{cdk-mackerel:ssm-secure:/ops/old}}'));

      // THEN the rollback goes back to what the stack had, with a warning that names the parameter but not the URL
      expect(result.PhysicalResourceId).toBe(id);
      expect((await channelInMackerel(id)).url).toBe(`${HOOK}\n`);
      expect(env.logs.lines().join('\n')).toMatch(/ssm-secure \/ops\/old/);
      expectNoSecretShown([]);

      // and outside a rollback, the same update is refused
      stack.status = 'UPDATE_IN_PROGRESS';
      await channel.update(webhook('{{cdk-mackerel:ssm-secure:/ops/new}}'));
      const error = await rejectionOf(channel.update(webhook('{{cdk-mackerel:ssm-secure:/ops/old}}')));
      expect(error.message).toMatch(/property url read from ssm-secure \/ops\/old has whitespace at its start or end/);
    });

    test('does not stop the delete of the channel, nor an email channel', async () => {
      const parameters: { [name: string]: string } = { '/ops/old': HOOK };
      useAwsClients(fakeAws({ parameters }));
      const channel = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Hook');
      await channel.create(webhook('{{cdk-mackerel:ssm-secure:/ops/old}}'));
      const mail = new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Mail');
      await mail.create(email);
      parameters['/ops/old'] = `${HOOK}\n`;

      await channel.delete();
      await mail.update({ ...email, name: 'on-call' });
      await mail.delete();

      expect(await apiSnapshot(env.emulator)).toEqual(baseline);
    });
  });

  test('a URL CloudFormation resolved (a NoEcho parameter) is masked too when Mackerel echoes it', async () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXNOECHOXXXX';
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/channels', status: 400, body: { error: { message: `cannot post to ${url}` } }, times: 1 });

    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Slack').create({ type: 'slack', name: 'ops', url }));

    expect(error.message).toMatch(/HTTP 400: "?cannot post to \*\*\*\*/);
    expect(env.logs.lines().length).toBeGreaterThan(0);
    for (const text of [error.message, ...env.logs.lines()]) expect(text).not.toContain('XXXXNOECHOXXXX');
    // the cause, kept for cdk-mackerel apply's advice, is masked too: a caller printing the whole error shows it
    expect(error.cause).toBeInstanceOf(Error);
    expect(inspect(error)).toContain('[cause]');
    expect(inspect(error)).not.toContain('XXXXNOECHOXXXX');
  });

  test('a URL Mackerel echoes JSON-escaped as other JSON writers escape it (\\/, \\u0026) is masked in the failure and the log', async () => {
    // PHP's json_encode writes / as \/, Go's encoding/json writes & < > as \u0026 \u003c \u003e.
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXESCAPEDXXXX?a=<b>&c=d';
    const php = JSON.stringify(url).slice(1, -1).replace(/\//g, '\\/');
    const go = JSON.stringify(url).slice(1, -1).replace(/[&<>]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    const both = go.replace(/\//g, '\\/');
    const message = `invalid channel {"url":"${php}"} {"url":"${go}"} {"url":"${both}"}`;
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/channels', status: 400, body: { error: { message } }, times: 1 });

    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Slack').create({ type: 'slack', name: 'ops', url }));

    expect(error.message).toMatch(/HTTP 400: "?invalid channel \{"url":"\*\*\*\*"\} \{"url":"\*\*\*\*"\} \{"url":"\*\*\*\*"\}/);
    expect(env.logs.lines().join('\n')).toMatch(/invalid channel/);
    for (const text of [error.message, inspect(error), ...env.logs.lines()]) expect(text).not.toContain('XXXXESCAPEDXXXX');
  });

  test.each([
    // Mackerel's own message is cut to 2000 characters; the failure reason later to 1500 bytes.
    ['Mackerel\'s error message', { error: { message: `${'n'.repeat(2000 - SLACK_URL.length + 1)}${SLACK_URL}` } }],
    // A body without Mackerel's error (a proxy's page) is cut to 500 characters, within the reason.
    ['a body without Mackerel\'s error', `${'n'.repeat(500 - SLACK_URL.length)}${SLACK_URL}`],
  ])('a Slack URL that %s echoes across the cut is masked whole, in the failure and the log', async (_what, body) => {
    useAwsClients(fakeAws({ secrets: { [SECRET_ARN]: JSON.stringify({ url: SLACK_URL }) } }));
    env.emulator.injectFault({ method: 'POST', path: '/api/v0/channels', status: 400, body, times: 1 });
    const reference = `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:url::}}`;

    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.CHANNEL, 'Slack').create({ type: 'slack', name: 'ops', url: reference }));

    expect(error.message).toMatch(/HTTP 400: "?nnn/);
    expect(env.logs.lines().join('\n')).toMatch(/nnn\*\*\*\*/);
    // All of the URL but its last character came before the cut: none of its secret part may show.
    for (const text of [error.message, ...env.logs.lines()]) expect(text).not.toContain('XXXXSECRETXXX');
  });
});
