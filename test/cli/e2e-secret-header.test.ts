/**
 * An external monitor with a secret header (ExternalHttpHeader.secretValue) applied to the
 * emulator: the reference is not read from AWS but replaced by a placeholder, as a channel URL
 * is, and diff does not take the placeholder Mackerel holds for drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnParameter, SecretValue } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { beforeEach, describe, expect, test } from 'vitest';
import { cli, expectConverged, readState, synthStack, useEmulatorPerFile, workDir } from './_fixture';
import { SlackChannel, WebhookChannel } from '../../src/alerting';
import { ExternalHttpMonitor } from '../../src/monitors';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

function synth(dir: string, accept: string): string {
  return synthStack(dir, (stack) => {
    new ExternalHttpMonitor(stack, 'Api', {
      name: 'orders api',
      url: 'https://api.example.com/health',
      headers: [
        { name: 'Accept', value: accept },
        { name: 'Authorization', secretValue: SecretValue.secretsManager('shop/probe', { jsonField: 'header' }) },
        { name: 'X-Probe-Id', secretValue: SecretValue.ssmSecure('/shop/probe-id') },
      ],
    });
  });
}

describe('a secret header against the emulator', () => {
  test('apply uses placeholders, diff reports no drift for them, a plain header change still shows', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    let assembly = synth(dir, 'application/json');
    expect(readFileSync(join(assembly, 'Shop.template.json'), 'utf8')).toContain('{{resolve:secretsmanager:shop/probe:SecretString:header::}}');

    let run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/notice: \{\{resolve:secretsmanager:shop\/probe:SecretString:header::\}\} is not read from AWS for the emulator; using the placeholder \S+/);
    expect(run.err).toMatch(/notice: \{\{cdk-mackerel:ssm-secure:\/shop\/probe-id\}\} is not read from AWS for the emulator/);
    const [monitor] = shared.emulator.state().monitors as unknown as Array<{ headers: Array<{ name: string; value: string }> }>;
    expect(monitor.headers.map((h) => h.name)).toEqual(['Accept', 'Authorization', 'X-Probe-Id']);
    expect(monitor.headers[0].value).toBe('application/json');
    for (const h of monitor.headers.slice(1)) expect(h.value).toMatch(/emulator\.invalid/);

    run = await expectConverged(shared.emulator, assembly, base);
    expect(run.out).toMatch(/1 unchanged/);

    assembly = synth(dir, 'text/html');
    run = await cli(['diff', assembly, ...base]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/~ update\s+Monitor\s+Shop\/Api\w* \S+ "orders api"\n\s+headers: /);
    run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect((shared.emulator.state().monitors[0] as unknown as typeof monitor).headers[0]).toEqual({ name: 'Accept', value: 'text/html' });
    expect((await cli(['diff', assembly, ...base])).out).toBe('No differences.');
  });
});

describe('the placeholder notices of diff against the emulator', () => {
  test('are those of apply: for a Slack channel URL and secret headers as for an AWS resource, and none for their deletes', async () => {
    const dir = workDir();
    const base = ['--emulator', '--state', join(dir, 'state.json')];
    const synthWith = (secrets: boolean) => synthStack(dir, (stack) => {
      new MackerelService(stack, 'Shop', { name: 'shop', memo: new ssm.StringParameter(stack, 'Memo', { stringValue: 'the shop' }).stringValue });
      if (!secrets) return;
      new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.secretsManager('shop/slack', { jsonField: 'url' }) });
      new ExternalHttpMonitor(stack, 'Api', {
        name: 'orders api', url: 'https://api.example.com/health', headers: [{ name: 'X-Probe-Id', secretValue: SecretValue.ssmSecure('/shop/probe-id') }],
      });
    });
    const notices = (err: string) => err.split('\n').filter((line) => line.startsWith('notice: ')).sort();

    for (const secrets of [true, false]) {
      const assembly = synthWith(secrets);
      const diff = await cli(['diff', assembly, ...base], {}, dir);
      const apply = await cli(['apply', assembly, ...base], {}, dir);
      expect(apply.code).toBe(0);
      expect(notices(diff.err)).toEqual(notices(apply.err));
      expect(notices(diff.err)).toEqual([
        expect.stringMatching(/^notice: Memo\w+\.Value \(AWS::SSM::Parameter\) is not a Mackerel resource; using the placeholder /),
        ...secrets ? [
          'notice: {{cdk-mackerel:ssm-secure:/shop/probe-id}} is not read from AWS for the emulator; using the placeholder https://ssm-secure.emulator.invalid/shop/probe-id',
          'notice: {{resolve:secretsmanager:shop/slack:SecretString:url::}} is not read from AWS for the emulator; using the placeholder https://secretsmanager.emulator.invalid/shop/slack',
        ] : [],
      ]);
    }
  });
});

describe('a secret given as a NoEcho parameter', () => {
  function synthNoEcho(dir: string, accept: string): string {
    return synthStack(dir, (stack) => {
      const token = new CfnParameter(stack, 'ProbeToken', { noEcho: true });
      const hook = new CfnParameter(stack, 'HookUrl', { noEcho: true, default: 'https://hooks.slack.com/services/T0/B0/default-XXXXHOOKXXXX' });
      new ExternalHttpMonitor(stack, 'Api', {
        name: 'orders api',
        url: 'https://api.example.com/health',
        headers: [{ name: 'Accept', value: accept }, { name: 'Authorization', secretValue: SecretValue.cfnParameter(token) }],
      });
      new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.cfnParameter(hook) });
    });
  }

  test('diff and apply never print its value, given with --parameters or as the Default', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--parameters', 'Shop:ProbeToken=Bearer XXXXTOKENXXXX'];

    const first = await cli(['diff', synthNoEcho(dir, 'application/json'), ...base]);
    expect(first.code).toBe(1);
    const applied = await cli(['apply', synthNoEcho(dir, 'application/json'), ...base, '--verbose']);
    expect(applied.code).toBe(0);
    expect((shared.emulator.state().channels[0] as unknown as { url: string }).url).toMatch(/XXXXHOOKXXXX/);
    const changed = await cli(['diff', synthNoEcho(dir, 'text/html'), ...base]);
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(/headers: .*"Accept".*"\*\*\*\*"/);

    for (const run of [first, applied, changed]) expect(run.out + run.err).not.toMatch(/XXXXTOKENXXXX|XXXXHOOKXXXX/);
  });

  test('a NoEcho value under six characters is blanked where diff shows it, quoted, as a field\'s value', async () => {
    const dir = workDir();
    const assembly = synthStack(dir, (stack) => {
      const memo = new CfnParameter(stack, 'Memo', { noEcho: true });
      new MackerelService(stack, 'Shop', { name: 'shop', memo: memo.valueAsString });
    });
    const run = await cli(['diff', assembly, '--api-base', shared.emulator.url, '--parameters', 'Memo=pw12']);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/^\s+memo: "\*\*\*\*"$/m);
    expect(run.out + run.err).not.toMatch(/pw12/);
  });

  test('a NoEcho value that holds another one is blanked whole, not around the shorter one', async () => {
    const dir = workDir();
    const assembly = synthStack(dir, (stack) => {
      const token = new CfnParameter(stack, 'Token', { noEcho: true });
      const hook = new CfnParameter(stack, 'HookUrl', { noEcho: true });
      new ExternalHttpMonitor(stack, 'Api', {
        name: 'orders api',
        url: 'https://api.example.com/health',
        headers: [{ name: 'Authorization', secretValue: SecretValue.cfnParameter(token) }],
      });
      new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.cfnParameter(hook) });
    });
    // The shorter value comes first: blanked first, it left the rest of the longer one printed.
    const run = await cli(['diff', assembly, '--api-base', shared.emulator.url,
      '--parameters', 'Token=XXXXTOKENXXXX', '--parameters', 'HookUrl=https://hooks.slack.com/services/T0/B0/XXXXTOKENXXXX-REST']);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/type: "slack"\n\s+url: "\*\*\*\*"$/m);
    expect(run.out + run.err).not.toMatch(/XXXXTOKENXXXX|REST|hooks\.slack\.com/);
  });
});

describe('a secret given as plain text (SecretValue.unsafePlainText)', () => {
  function synthPlain(dir: string, hook: string, token: string, accept = 'application/json'): string {
    return synthStack(dir, (stack) => {
      new ExternalHttpMonitor(stack, 'Api', {
        name: 'orders api',
        url: 'https://api.example.com/health',
        headers: [{ name: 'Accept', value: accept }, { name: 'Authorization', secretValue: SecretValue.unsafePlainText(token) }],
      });
      new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.unsafePlainText(hook) });
    });
  }

  test('diff masks a channel URL and header values as the handler does, and still says that they changed', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const hook = (token: string) => `https://hooks.slack.com/services/T0/B0/${token}`;
    const first = await cli(['diff', synthPlain(dir, hook('XXXXHOOKXXXX'), 'Bearer XXXXTOKENXXXX'), ...base]);
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/^\s+url: "\*\*\*\*"$/m);
    expect(first.out).toMatch(/^\s+headers: \[\{"name":"Accept","value":"\*\*\*\*"\},\{"name":"Authorization","value":"\*\*\*\*"\}\]$/m);
    const applied = await cli(['apply', synthPlain(dir, hook('XXXXHOOKXXXX'), 'Bearer XXXXTOKENXXXX'), ...base]);
    expect(applied.code).toBe(0);

    const changed = await cli(['diff', synthPlain(dir, hook('XXXXHOOK2XXXX'), 'Bearer XXXXTOKEN2XXXX'), ...base]);
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(/^\s+url: "\*\*\*\*" -> "\*\*\*\*" \(secret, changed\)$/m);
    expect(changed.out).toMatch(/^\s+headers: \[.*\] -> \[.*\] \(secret, changed\)$/m);

    // Changed in Mackerel outside the template: drift, masked too.
    const [channel] = shared.emulator.state().channels as unknown as Array<{ id: string; url: string }>;
    const response = await fetch(new URL(`api/v0/channels/${channel.id}`, shared.emulator.url), {
      method: 'PUT',
      headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...channel, id: undefined, url: hook('XXXXLIVEXXXX') }),
    });
    expect(response.status).toBe(200);
    const drift = await cli(['diff', synthPlain(dir, hook('XXXXHOOKXXXX'), 'Bearer XXXXTOKENXXXX'), ...base]);
    expect(drift.out).toMatch(/~ drift .*Slack.*\n\s+url: "\*\*\*\*" -> "\*\*\*\*" \(secret, changed\)$/m);

    for (const run of [first, applied, changed, drift]) expect(run.out + run.err).not.toMatch(/XXXX(HOOK|TOKEN|LIVE)|hooks\.slack\.com/);
  });
});

describe('a channel URL echoed by Mackerel in an error', () => {
  test('is masked in what diff and apply print, as the handler masks it in its logs: the template\'s and the state\'s', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const hook = (token: string) => `https://hooks.slack.com/services/T0/B0/${token}`;
    const synthHook = (url: string) => synthStack(dir, (stack) => {
      new SlackChannel(stack, 'Slack', { name: 'ops', url: SecretValue.unsafePlainText(url) });
    });
    expect((await cli(['apply', synthHook(hook('XXXXAPPLIEDXXXX')), ...base])).code).toBe(0);
    const assembly = synthHook(hook('XXXXNEWXXXX'));
    // GIVEN Mackerel's read of the channels fails with a message that quotes the URLs, the applied one and the template's
    const echo = { error: { message: `invalid url ${hook('XXXXAPPLIEDXXXX')} (was ${JSON.stringify(hook('XXXXNEWXXXX'))}, ${encodeURIComponent(hook('XXXXNEWXXXX'))})` } };
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/channels', status: 400, body: echo, times: 5 });
    // WHEN diff reads it THEN the error is printed with each URL masked
    const diff = await cli(['diff', assembly, ...base]);
    expect(diff.code).toBe(2);
    expect(diff.err).toMatch(/^cdk-mackerel: GET \/api\/v0\/channels failed: HTTP 400: invalid url \*\*\*\* \(was "\*\*\*\*", \*\*\*\*\)$/);
    shared.emulator.clearFaults();
    // and apply's error, for a channel whose delete Mackerel refuses quoting the URL the state holds (one this
    // process's handler never sent, so never registered: the state file is written by hand)
    const stateFile = join(dir, '.mackerel-state.json');
    const state = JSON.parse(readFileSync(stateFile, 'utf8'));
    const [slack] = Object.values(state.stacks.Shop.resources) as Array<{ properties: { url: string } }>;
    slack.properties.url = hook('XXXXSTATEXXXX');
    writeFileSync(stateFile, JSON.stringify(state));
    shared.emulator.injectFault({ method: 'DELETE', path: '/api/v0/channels/*', status: 400, body: { error: { message: `cannot delete ${hook('XXXXSTATEXXXX')}` } } });
    const apply = await cli(['apply', synthStack(dir, () => undefined), ...base]);
    shared.emulator.clearFaults();
    expect(apply.code).toBe(2);
    expect(apply.out + apply.err).toContain('cannot delete ****');
    for (const run of [diff, apply]) expect(run.out + run.err).not.toMatch(/XXXX(APPLIED|NEW|STATE)XXXX|hooks\.slack\.com/);
  });

  test('is masked in --verbose\'s log lines, which escape those forms once more (`\\\\/`, `\\\\u0026`)', async () => {
    const dir = workDir();
    const synthHook = (url: string) => synthStack(dir, (stack) => {
      new WebhookChannel(stack, 'Hook', { name: 'ops', url: SecretValue.unsafePlainText(url) });
    });
    expect((await cli(['apply', synthHook('https://hooks.example.com/verbose?team=ops&token=applied'), '--api-base', shared.emulator.url])).code).toBe(0);
    // The template's new URL, never applied: this process's handler never learnt it, and diff never runs the handler.
    const url = 'https://hooks.example.com/verbose?team=ops&token=XXXXVERBOSEXXXX';
    const assembly = synthHook(url);
    const php = JSON.stringify(url).slice(1, -1).split('/').join('\\/');
    const go = JSON.stringify(url).slice(1, -1).replace('&', '\\u0026');
    // GIVEN a read of the channels that fails once (retried, which --verbose says with Mackerel's message) quoting the URL those ways
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/channels', status: 503, body: { error: { message: `busy {"url":"${php}","was":"${go}"}` } }, times: 1 });
    // WHEN diff reads it
    const diff = await cli(['diff', assembly, '--api-base', shared.emulator.url, '--verbose']);
    shared.emulator.clearFaults();
    // THEN the log line of the retry has it masked
    const retry = diff.err.split('\n').find((line) => line.includes('retrying Mackerel call'));
    expect(retry).toBeDefined();
    expect(JSON.parse(retry!).error).toBe('busy {"url":"****","was":"****"}');
    expect(diff.out + diff.err).not.toMatch(/XXXXVERBOSEXXXX/);
  });

  test('is masked as other JSON writers quote it: `/` escaped as `\\/`, `&` as `\\u0026`', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const url = 'https://hooks.example.com/notify?team=ops&token=XXXXQUERYXXXX';
    const assembly = synthStack(dir, (stack) => {
      new WebhookChannel(stack, 'Hook', { name: 'ops', url: SecretValue.unsafePlainText(url) });
    });
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
    // GIVEN Mackerel quotes the URL as PHP's json_encode writes it, and as Go's encoding/json does
    const slashes = JSON.stringify(url).split('/').join('\\/');
    const goJson = JSON.stringify(url).replace('&', '\\u0026');
    expect([slashes, goJson]).toEqual(['"https:\\/\\/hooks.example.com\\/notify?team=ops&token=XXXXQUERYXXXX"',
      '"https://hooks.example.com/notify?team=ops\\u0026token=XXXXQUERYXXXX"']);
    const both = slashes.replace('&', '\\u0026');
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/channels', status: 400, body: { error: { message: `invalid url ${slashes}, ${goJson}, ${both}` } } });
    // WHEN diff reads it THEN each form is masked
    const diff = await cli(['diff', assembly, ...base]);
    expect(diff.code).toBe(2);
    expect(diff.err).toBe('cdk-mackerel: GET /api/v0/channels failed: HTTP 400: invalid url "****", "****", "****"');
  });

  test('is masked for the old channel of a replacement still to delete, which the state no longer holds as a resource', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const oldUrl = 'https://hooks.example.com/notify?token=XXXXOLDXXXX';
    const applied = synthStack(dir, (stack) => {
      new WebhookChannel(stack, 'Hook', { name: 'ops', url: SecretValue.unsafePlainText(oldUrl) });
    });
    expect((await cli(['apply', applied, ...base])).code).toBe(0);
    // GIVEN the channel becomes a Slack one (a replacement) and Mackerel refuses the old one's delete, quoting its URL
    const assembly = synthStack(dir, (stack) => {
      new SlackChannel(stack, 'Hook', { name: 'ops', url: SecretValue.unsafePlainText('https://hooks.slack.com/services/T0/B0/XXXXNEWXXXX') });
    });
    const refuse = (url: string) => shared.emulator.injectFault({ method: 'DELETE', path: '/api/v0/channels/*', status: 400, body: { error: { message: `cannot delete ${url}` } } });
    refuse(oldUrl);
    const first = await cli(['apply', assembly, ...base]);
    expect(first.code).toBe(2);
    expect(first.err).toContain('cannot delete ****');
    const stateFile = join(dir, '.mackerel-state.json');
    const state = readState(stateFile);
    expect(state.pendingDeletes).toEqual([expect.objectContaining({ logicalId: expect.stringMatching(/^Hook/), type: 'Custom::MackerelChannel', url: oldUrl })]);
    // and a URL this process's handler never sent, so never registered, as for a later run in a new process (the state written by hand)
    const unsent = 'https://hooks.example.com/notify?token=XXXXUNSENTXXXX';
    writeFileSync(stateFile, JSON.stringify({ ...state, pendingDeletes: [{ ...state.pendingDeletes[0], url: unsent }] }));
    // WHEN a later apply resumes the cleanup, with the state's resource holding the new channel, and fails the same way
    refuse(unsent);
    const again = await cli(['apply', assembly, ...base]);
    shared.emulator.clearFaults();
    // THEN the old URL is masked there too
    expect(again.code).toBe(2);
    expect(again.err).toContain('cannot delete ****');
    for (const run of [first, again]) expect(run.out + run.err).not.toMatch(/XXXX(OLD|NEW|UNSENT)XXXX|hooks\./);
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
    expect(readState(join(dir, '.mackerel-state.json')).pendingDeletes).toEqual([]);
  });
});
