import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, test } from 'vitest';
import { cli, synthShop, useEmulatorPerFile, workDir } from './_fixture';
import { MackerelApiKey } from '../../src/api-key';
import { _MANIFEST_MAJOR } from '../../src/cli/assembly';
import { _main } from '../../src/cli/main';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
let assembly: string;
beforeAll(() => {
  assembly = synthShop(workDir(), { cpuWarning: 80, memMetric: 'memory%', alive: false });
});

/** One line on stderr, exit code 2, nothing else. */
function expectError(run: { code: number; out: string; err: string }, message: RegExp) {
  expect(run.code).toBe(2);
  expect(run.err.split('\n')).toHaveLength(1);
  expect(run.err).toMatch(message);
  expect(run.err).not.toMatch(/\n\s+at /);
}

describe('clear errors, exit code 2', () => {
  test('a missing path', async () => {
    expectError(await cli(['apply', '/no/such/cdk.out']), /^cdk-mackerel: \/no\/such\/cdk.out does not exist; expected a cloud assembly directory/);
  });

  test('a directory that is not a cloud assembly', async () => {
    expectError(await cli(['diff', workDir()]), /has no manifest\.json; expected a cloud assembly directory \(run cdk synth\)/);
  });

  test('a cloud assembly whose manifest or a stack template is not the JSON object it should be: said so, not a TypeError', async () => {
    const assemblyWith = (manifest: unknown, template?: unknown): string => {
      const dir = join(workDir(), 'cdk.out');
      mkdirSync(dir);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      if (template !== undefined) writeFileSync(join(dir, 'X.template.json'), JSON.stringify(template));
      return dir;
    };
    const stack = { type: 'aws:cloudformation:stack', properties: { templateFile: 'X.template.json' } };
    for (const manifest of [null, [], 'x']) {
      expectError(await cli(['diff', assemblyWith(manifest)]), /cdk\.out\/manifest\.json is not a cloud assembly manifest; expected a JSON object with artifacts \(run cdk synth\)$/);
    }
    expectError(await cli(['diff', assemblyWith({ artifacts: [] })]), /manifest\.json is not a cloud assembly manifest; expected a JSON object with artifacts/);
    expectError(await cli(['diff', assemblyWith({ artifacts: { X: null } })]), /cdk\.out\/manifest\.json: artifact "X" is not a JSON object; expected one as cdk synth writes it \(run cdk synth\)$/);
    for (const template of [null, [], { Resources: null }]) {
      expectError(await cli(['diff', assemblyWith({ artifacts: { X: stack } }, template)]),
        /cdk\.out\/X\.template\.json is not a CloudFormation template; expected a JSON object with Resources$/);
    }
    // A resource that is not an object: read for its Type on the way, it failed as 'Cannot read properties of null'.
    for (const resource of [null, 'x', []]) {
      expectError(await cli(['diff', assemblyWith({ artifacts: { X: stack } }, { Resources: { A: resource } })]),
        /cdk\.out\/X\.template\.json is not a CloudFormation template: resource "A" is not a JSON object; expected a JSON object with Resources, each a JSON object$/);
      const file = join(workDir(), 'x.template.json');
      writeFileSync(file, JSON.stringify({ Resources: { A: resource } }));
      expectError(await cli(['diff', file]), /x\.template\.json is not a CloudFormation template: resource "A" is not a JSON object; expected /);
    }
  });

  test('a manifest whose version is not a cloud assembly schema version is refused naming the file and the version, as the CDK CLI refuses it', async () => {
    // (A newer schema version is read, with a notice: see assembly.test.ts.)
    const dir = join(workDir(), 'cdk.out');
    mkdirSync(join(dir, 'Prod'), { recursive: true });
    const stack = { type: 'aws:cloudformation:stack', properties: { templateFile: 'X.template.json' } };
    writeFileSync(join(dir, 'X.template.json'), JSON.stringify({ Resources: {} }));
    const withVersion = (version: unknown) => writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version, artifacts: { X: stack } }));
    for (const version of ['latest', 54, null, '54', `${_MANIFEST_MAJOR + 1}`]) {
      withVersion(version);
      expectError(await cli(['diff', dir]), new RegExp(`^cdk-mackerel: \\S+cdk\\.out/manifest\\.json has version ${JSON.stringify(version)}, which is not a cloud assembly schema version; `
        + `expected a version such as "${_MANIFEST_MAJOR}\\.0\\.0", as cdk synth writes it \\(run cdk synth\\)$`));
    }
    // and a stage's own manifest (a nested cloud assembly) the same way
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '54.0.0', artifacts: { 'X': stack, 'assembly-Prod': { type: 'cdk:cloud-assembly', properties: { directoryName: 'Prod', displayName: 'Prod' } } } }));
    writeFileSync(join(dir, 'Prod', 'manifest.json'), JSON.stringify({ version: 'v99', artifacts: {} }));
    expectError(await cli(['diff', dir]), /cdk\.out\/Prod\/manifest\.json has version "v99", which is not a cloud assembly schema version/);
  });

  test('apply with a --state in a directory that is not there is refused naming the directory, which it does not make', async () => {
    const dir = workDir();
    const state = join(dir, 'missing', 'dir', 'state.json');
    for (const target of [['--api-base', shared.emulator.url], ['--emulator']]) {
      expectError(await cli(['apply', assembly, ...target, '--state', state]),
        new RegExp(`^cdk-mackerel: cannot write state file ${state}: its directory ${join(dir, 'missing', 'dir')} does not exist; create the directory, or pass --state with a file in an existing one$`));
    }
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    writeFileSync(join(dir, 'plain'), '');
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', join(dir, 'plain', 'state.json')]),
      new RegExp(`^cdk-mackerel: cannot write state file ${join(dir, 'plain', 'state.json')}: ${join(dir, 'plain')} is not a directory; `));
    expect(shared.emulator.state().services).toEqual([]);
  });

  test('diff with a --state in a directory that is not there is refused naming it, not read as a first run; a missing file in one that is, is a first run', async () => {
    // Almost always a typo: read as an empty state, the diff showed every object to create, as if nothing were applied.
    const dir = workDir();
    const state = join(dir, 'missing', 'dir', 'state.json');
    for (const target of [['--api-base', shared.emulator.url], ['--emulator']]) {
      expectError(await cli(['diff', assembly, ...target, '--state', state]),
        new RegExp(`^cdk-mackerel: cannot read state file ${state}: its directory ${join(dir, 'missing', 'dir')} does not exist; create the directory, or pass --state with a file in an existing one$`));
    }
    // nor made for the emulator's file beside it
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    writeFileSync(join(dir, 'plain'), '');
    expectError(await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', join(dir, 'plain', 'state.json')]),
      new RegExp(`^cdk-mackerel: cannot read state file ${join(dir, 'plain', 'state.json')}: ${join(dir, 'plain')} is not a directory; `));
    const first = await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', join(dir, 'state.json')]);
    expect(first.err).toBe('');
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/^\+ create /);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });

  test('a --state or --emulator-state that names a directory is said to be one, with no advice to remove it', async () => {
    // `--state .` read as a state file that is not readable JSON ended "fix or remove it": the project directory.
    const dir = workDir();
    for (const command of ['apply', 'diff']) {
      for (const given of ['.', dir, `${dir}/`]) {
        const run = await cli([command, assembly, '--api-base', shared.emulator.url, '--state', given], {}, dir);
        expectError(run, new RegExp(`^cdk-mackerel: state file ${dir} is a directory; expected a JSON file \\(give --state a file's path\\)`));
        expect(run.err).not.toMatch(/remove/);
      }
      const run = await cli([command, assembly, '--emulator', '--emulator-state', dir, '--state', join(dir, 'state.json')]);
      expectError(run, new RegExp(`^cdk-mackerel: emulator state ${dir} is a directory; expected a JSON file \\(give --emulator-state a file's path\\)`));
      expect(run.err).not.toMatch(/remove/);
    }
    expectError(await cli(['emulator', '--port', '0', '--emulator-state', dir]), new RegExp(`^cdk-mackerel: emulator state ${dir} is a directory; expected a JSON file`));
    expect(shared.emulator.state().services).toEqual([]);
  });

  test('an empty value of an option that names something is refused, not read as the option left out', async () => {
    // `--stack "$STACK"` with STACK unset ran every stack of the app; an empty --state, --region or --account meant the default.
    for (const flag of ['--stack', '--state', '--region', '--account', '--emulator-state']) {
      const extra = flag === '--emulator-state' ? ['--emulator'] : [];
      expectError(await cli(['apply', assembly, ...extra, flag, '']), new RegExp(`^cdk-mackerel: ${flag} is given an empty value; expected `));
    }
    expectError(await cli(['emulator', '--host', '']), /^cdk-mackerel: --host is given an empty value; expected /);
    expectError(await cli(['diff', assembly, '--stack=']), /^cdk-mackerel: --stack is given an empty value; expected a stack name/);
  });

  test('a template without Mackerel resources', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'plain.template.json'), JSON.stringify({ Resources: { B: { Type: 'AWS::S3::Bucket' } } }));
    expectError(await cli(['apply', join(dir, 'plain.template.json'), '--api-base', shared.emulator.url]), /plain\.template\.json has no Custom::Mackerel\* resources/);
  });

  test('a stack that is not in the assembly', async () => {
    expectError(await cli(['apply', assembly, '--stack', 'Nope']), /--stack Nope is not in .*; expected one of Shop/);
  });

  test('a --stack without Mackerel resources in an app that has some is named, with the stacks that have them, not the app', async () => {
    const outdir = join(workDir(), 'cdk.out');
    const app = new App({ outdir });
    const shop = new Stack(app, 'Shop');
    new MackerelProvider(shop, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(shop, 'Key')) });
    new MackerelService(shop, 'Service', { name: 'shop' });
    new CfnResource(new Stack(app, 'Plain'), 'Bucket', { type: 'AWS::S3::Bucket' });
    app.synth();
    for (const command of ['apply', 'diff']) {
      expectError(await cli([command, outdir, '--stack', 'Plain', '--api-base', shared.emulator.url, '--state', join(dirname(outdir), 's.json')]),
        /^cdk-mackerel: stack Plain of \S+cdk\.out has no Custom::Mackerel\* resources, and the state file holds none of its objects; expected a stack with Mackerel constructs: Shop$/);
    }
  });

  test('an unreachable API', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    await new Promise((done) => server.close(done));
    const state = join(workDir(), 's.json');
    expectError(await cli(['apply', assembly, '--api-base', `http://127.0.0.1:${port}/`, '--state', state]),
      new RegExp(`cannot reach the Mackerel API at http://127\\.0\\.0\\.1:${port}/ \\(ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); start one with`));
    expect(existsSync(state)).toBe(false);
  });

  test('an --api-base with a user name or password: refused before any request, without showing them', async () => {
    const state = join(workDir(), 's.json');
    const run = await cli(['apply', assembly, '--api-base', 'https://mackerel:s3cret@mackerel.internal/', '--state', state], { MACKEREL_APIKEY: 'a-key-of-32-characters-0123456789' });
    expectError(run, /^cdk-mackerel: --api-base "https:\/\/\*\*\*\*@mackerel.internal\/" carries a user name or password, which cannot be sent /);
    expect(run.err + run.out).not.toContain('s3cret');
    expect(existsSync(state)).toBe(false);
    expectError(await cli(['diff', assembly, '--api-base', 'ftp://mackerel:s3cret@mackerel.internal/']), /^cdk-mackerel: --api-base "ftp:\/\/\*\*\*\*@mackerel.internal\/" is not an http or https URL/);
  });

  test('an --api-base with a query or fragment: refused at argument parsing, the query not shown (it may carry a token)', async () => {
    // The handler's client appends each API path to the base as text: after a query, the path would be part of the query.
    const state = join(workDir(), 's.json');
    for (const command of ['apply', 'diff']) {
      const run = await cli([command, assembly, '--api-base', 'https://mackerel.internal/?token=s3cret', '--state', state], { MACKEREL_APIKEY: 'a-key-of-32-characters-0123456789' });
      expectError(run, /^cdk-mackerel: --api-base "https:\/\/mackerel\.internal\/\?\*\*\*\*" carries a query or fragment \(\?, #\), which an API base cannot: /);
      expect(run.err + run.out).not.toContain('s3cret');
    }
    expectError(await cli(['diff', '/no/such/cdk.out', '--api-base', 'https://mackerel.internal/#s3cret']),
      /^cdk-mackerel: --api-base "https:\/\/mackerel\.internal\/#\*\*\*\*" carries a query or fragment/);
    // a lone `?` too: the base would read https://mackerel.internal/?/api/v0/...
    expectError(await cli(['diff', assembly, '--api-base', 'https://mackerel.internal/?']), /carries a query or fragment/);
    // user info and a query: neither shown
    const both = await cli(['diff', assembly, '--api-base', 'https://me:pa55word@mackerel.internal/?token=s3cret']);
    expect(both.code).toBe(2);
    expect(both.err).not.toMatch(/pa55word|s3cret/);
    expect(existsSync(state)).toBe(false);
  });

  test('a bad key: rejected, and never printed', async () => {
    const key = 'not-the-right-key-0123456789';
    const run = await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', join(workDir(), 's.json')], { MACKEREL_APIKEY: key });
    expectError(run, /rejected the API key \(HTTP 401.*\); check MACKEREL_APIKEY/);
    expect(run.err + run.out).not.toContain(key);
  });

  test('a read-only key can diff but not apply, and the key is never printed', async () => {
    const key = 'emulator-read-key';
    const state = join(workDir(), 's.json');
    const diff = await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', state], { MACKEREL_APIKEY: key });
    expect(diff.code).toBe(1);
    expect(diff.out).toMatch(/\+ create\s+Service\s+Shop\/Service\w* "shop"\n\s+memo: "the shop"\n\s+name: "shop"/);
    expect(diff.out).toMatch(/service: "shop"\n(.*\n)*\s+scopes: \["shop:web"\]/);
    const apply = await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state], { MACKEREL_APIKEY: key });
    // nothing was made, and running again fails the same way: the advice is the key, not another run
    expectError(apply, /Create failed.*403.*; nothing was changed; use a MACKEREL_APIKEY with write permission, then apply again \(as it is, another run fails the same way\)$/);
    expect(apply.err + apply.out).not.toContain(key);
  });

  test('a request refused on the first operation, or after some succeeded, says to fix the template: another run would fail the same way', async () => {
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    const write = (resources: object) => writeFileSync(file, JSON.stringify({ Resources: resources }));
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 's.json')];
    const service = { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'refused-shop' } } };
    const badMonitor = { Type: 'Custom::MackerelMonitor', DependsOn: ['Shop'], Properties: { type: 'connectivity', name: 'alive', scopes: ['refused-shop:nope'] } };
    // GIVEN a property the handler refuses on the first operation
    write({ Shop: { Type: 'Custom::MackerelService', Properties: { name: 'refused-shop', colour: 'red' } } });
    expectError(await cli(['apply', file, ...base]),
      /^cdk-mackerel: Custom::MackerelService Shop: Create failed: property colour "red" is not a known field; .*; nothing was changed; fix the template, then apply again \(as it is, another run fails the same way\)$/);
    // AND a request Mackerel refuses (HTTP 400) after an operation that succeeded
    write({ ...service, Alive: badMonitor });
    expectError(await cli(['apply', file, ...base]),
      /^cdk-mackerel: Custom::MackerelMonitor Alive: Create failed: POST \/api\/v0\/monitors: HTTP 400: .*; what succeeded is saved in \S+s\.json; fix the template, then apply again \(as it is, another run fails the same way\)$/);
    // AND a failure another run may get past (HTTP 500) keeps its advice
    write({ ...service, Alive: { ...badMonitor, Properties: { ...badMonitor.Properties, scopes: ['refused-shop'] } } });
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
    try {
      // Not --timeout 1: a POST is only sent with settings.minAttemptMs (1 s) left, so under load a
      // millisecond gone before it left it unsent ('no time left'), and the 500 was never seen.
      expectError(await cli(['apply', file, ...base, '--timeout', '5']), /HTTP 500: boom.*; what succeeded is saved in \S+s\.json, run apply again to finish$/);
    } finally {
      shared.emulator.clearFaults();
    }
    expect((await cli(['apply', file, ...base, '--destroy'])).code).toBe(0);
  });

  test('a state file that cannot be saved after an operation is not said to hold what succeeded: the next apply may not know what this run created', async () => {
    // GIVEN two services to create, whose state file becomes a directory once the first is made and saved
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    writeFileSync(file, JSON.stringify({
      Resources: {
        A: { Type: 'Custom::MackerelService', Properties: { name: 'unsaved-a' } },
        B: { Type: 'Custom::MackerelService', DependsOn: ['A'], Properties: { name: 'unsaved-b' } },
      },
    }));
    const state = join(dir, 's.json');
    const out: string[] = [];
    const err: string[] = [];
    // WHEN the second create succeeds and its save fails
    const code = await _main(['apply', file, '--api-base', shared.emulator.url, '--state', state], {
      out: (line) => {
        out.push(line);
        if (!/\] created .*Shop\/A /.test(line)) return;
        rmSync(state);
        mkdirSync(join(state, 'in-the-way'), { recursive: true });
      },
      err: (line) => err.push(line),
      env: {},
      cwd: dir,
    });
    // THEN it says that the save failed and what that means, not that what succeeded is saved
    expectError({ code, out: out.join('\n'), err: err.join('\n') }, new RegExp(`^cdk-mackerel: could not save the state file ${state.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.+\\); `
      + 'it holds what this run did up to its last save, not what it did since: the next apply may not know objects this run created, and would create them '
      + 'again \\(check Mackerel for them first\\)$'));
    expect(err.join('\n')).not.toMatch(/what succeeded is saved/);
    expect(shared.emulator.state().services.map((s) => s.name)).toEqual(expect.arrayContaining(['unsaved-a', 'unsaved-b']));
  });

  test('the key is scrubbed from every line printed, also from a value of the template that holds it (a memo pasted by mistake)', async () => {
    const key = shared.emulator.apiKey;
    const dir = workDir();
    const leaky = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: false, serviceMemo: `key ${key}` });
    const diff = await cli(['diff', leaky, '--api-base', shared.emulator.url, '--state', join(dir, 's.json')], { MACKEREL_APIKEY: key });
    expect(diff.code).toBe(1);
    expect(diff.out).toMatch(/memo: "key \*\*\*\*"/);
    expect(diff.err + diff.out).not.toContain(key);
  });

  test('a non-local API base without MACKEREL_APIKEY', async () => {
    expectError(await cli(['diff', assembly, '--api-base', 'https://api.mackerelio.com/']), /MACKEREL_APIKEY is not set/);
  });

  test('a local API base without MACKEREL_APIKEY is called with the emulator\'s own key, as src/cli/README.md says: 127.0.0.1, localhost, [::1]', async () => {
    const state = () => join(workDir(), 's.json');
    for (const base of [shared.emulator.url, shared.emulator.url.replace('127.0.0.1', 'localhost')]) {
      expect((await cli(['diff', assembly, '--api-base', base, '--state', state()])).code).toBe(1);
    }
    // Nothing listens on [::1] here: the call goes out (and fails to connect) rather than being refused for want of a key.
    expectError(await cli(['diff', assembly, '--api-base', 'http://[::1]:9/', '--state', state()]), /cannot reach the Mackerel API at http:\/\/\[::1\]:9\//);
  });

  test('a state file applied elsewhere is refused', async () => {
    const dir = workDir();
    const state = join(dir, 's.json');
    writeFileSync(state, JSON.stringify({ version: 1, apiBase: 'https://api.mackerelio.com/', stacks: { Shop: { stackId: 'x', resources: {} } }, pendingDeletes: [] }));
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state]), /belongs to https:\/\/api\.mackerelio\.com\/, not http\S+; pass --state with another file for another organization; nothing was changed$/m);
  });

  test('a state file applied elsewhere that holds only old objects still to delete is refused too: sent here, each delete would get a 404 and be dropped', async () => {
    // GIVEN a state of another API base whose stacks are gone but for a delete still to do (a destroy that failed on it), of no recorded
    // organization (written before it was), or of one named as this API's (every emulator's is "emulator")
    const pendingDeletes = [{ stackName: 'Shop', logicalId: 'Cpu', type: 'Custom::MackerelMonitor', physicalId: '3Yr2Tf9Xu7A', dependsOn: [] }];
    for (const organization of [undefined, 'emulator']) {
      const state = join(workDir(), 's.json');
      const written = JSON.stringify({ version: 1, apiBase: 'https://api.mackerelio.com/', organization, stacks: {}, pendingDeletes });
      writeFileSync(state, written);
      const before = shared.emulator.requests().length;

      // WHEN it is used with the emulator, to diff, apply and destroy
      const runs = [];
      for (const command of [['diff'], ['apply'], ['apply', '--destroy']]) runs.push(await cli([...command, assembly, '--api-base', shared.emulator.url, '--state', state]));

      // THEN each is refused as a state with stacks is, before anything is asked, and the state keeps its delete for the API base it is of
      for (const run of runs) {
        expectError(run, /belongs to https:\/\/api\.mackerelio\.com\/, not http\S+; pass --state with another file for another organization; nothing was changed$/m);
      }
      expect(shared.emulator.requests().slice(before)).toEqual([]);
      expect(readFileSync(state, 'utf8')).toBe(written);
    }
  });

  test('a state file applied, by an older CLI, to a base with a query is refused without showing the query', async () => {
    // Before --api-base refused a query or fragment, the base was recorded as given: its token rode into the state file.
    const dir = workDir();
    const state = join(dir, 's.json');
    const old = 'https://api.mackerelio.com/?token=s3cr3t-t0ken#frag/';
    writeFileSync(state, JSON.stringify({ version: 1, apiBase: old, stacks: { Shop: { stackId: 'x', resources: {} } }, pendingDeletes: [] }));
    const run = await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state]);
    expectError(run, /belongs to https:\/\/api\.mackerelio\.com\/\?\*\*\*\*, not http\S+; pass --state with another file/);
    expect(run.out + run.err).not.toContain('s3cr3t-t0ken');
  });

  test('a state file that is JSON but damaged is refused before anything is sent', async () => {
    const dir = workDir();
    const state = join(dir, 's.json');
    const before = shared.emulator.requests().filter((r) => r.method !== 'GET').length;
    writeFileSync(state, JSON.stringify({ version: 1, stacks: { Shop: {} } }));
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state]),
      /state file \S+s\.json is damaged: stacks\.Shop needs a stackId string and a resources object; fix or remove it/);
    writeFileSync(state, JSON.stringify({ version: 1, stacks: { Shop: { stackId: 'x', resources: { X: null } } } }));
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state]), /is damaged: stacks\.Shop\.resources\.X is not an object/);
    writeFileSync(state, JSON.stringify({ version: 1, stacks: {}, pendingDeletes: [{ stackName: 'Shop' }] }));
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state]), /is damaged: pendingDeletes is not a list/);
    writeFileSync(state, JSON.stringify({ version: 1, stacks: { Shop: { stackId: 'x', resources: {}, imports: { 'Base:Shop': 1 } } } }));
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state]), /is damaged: stacks\.Shop\.imports is not an object of export names to stack names/);
    writeFileSync(state, JSON.stringify({ version: 1, organization: 7, stacks: {} }));
    expectError(await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', state]), /is damaged: organization is not a string; fix or remove it/);
    // a type edited by hand (or not a Mackerel one): diff would list it as a delete that every apply then fails on
    const bogus = (type: string) => ({ type, physicalId: 'abc', properties: {}, data: {} });
    writeFileSync(state, JSON.stringify({ version: 1, stacks: { Gone: { stackId: 'x', resources: { X: bogus('Custom::MackerelBogus') } } } }));
    expectError(await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', state]),
      /is damaged: stacks\.Gone\.resources\.X\.type "Custom::MackerelBogus" is not a type the handler serves \(Custom::MackerelService, .*\); fix or remove it/);
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state, '--destroy', '--stack', 'Gone']),
      /is damaged: stacks\.Gone\.resources\.X\.type "Custom::MackerelBogus" is not a type the handler serves/);
    writeFileSync(state, JSON.stringify({ version: 1, stacks: {}, pendingDeletes: [{ stackName: 'Shop', logicalId: 'X', ...bogus('AWS::S3::Bucket') }] }));
    expectError(await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', state]), /is damaged: pendingDeletes is not a list of \{stackName, logicalId, type \(a Custom::Mackerel\* type\)/);
    // an old anomaly detection monitor's roles, read for apply's advice, are strings
    writeFileSync(state, JSON.stringify({ version: 1, stacks: {}, pendingDeletes: [{ stackName: 'Shop', logicalId: 'X', ...bogus('Custom::MackerelMonitor'), roles: 'shop:web' }] }));
    expectError(await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', state]), /is damaged: pendingDeletes is not a list of \{.*, url\?: string, roles\?: strings, namedElsewhere\?: strings\}; fix or remove it/);
    // the roles and services of other stacks an old object named, read for the cleanup order, are strings
    writeFileSync(state, JSON.stringify({ version: 1, stacks: {}, pendingDeletes: [{ stackName: 'Shop', logicalId: 'X', ...bogus('Custom::MackerelMonitor'), namedElsewhere: [7] }] }));
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state]), /is damaged: pendingDeletes is not a list of \{.*namedElsewhere\?: strings\}; fix or remove it/);
    expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toHaveLength(before);
  });

  test('an API base that is not http or https', async () => {
    expectError(await cli(['diff', assembly, '--api-base', 'ftp://x/']), /--api-base "ftp:\/\/x\/" is not an http or https URL/);
  });

  test('a very short key is not blanked inside other text', async () => {
    const run = await cli(['diff', assembly, '--api-base', 'http://nonexistent.invalid/'], { MACKEREL_APIKEY: 'x' });
    expectError(run, /cannot reach the Mackerel API at http:\/\/nonexistent\.invalid\/ \(ENOTFOUND nonexistent\.invalid\)/);
  });

  test('a Custom::Mackerel* type the handler does not serve (a typo, a newer library\'s type) is refused before anything is sent', async () => {
    const dir = workDir();
    const template = JSON.parse(readFileSync(join(assembly, 'Shop.template.json'), 'utf8'));
    const cpu = Object.keys(template.Resources).find((id) => id.startsWith('Cpu'))!;
    template.Resources[cpu].Type = 'Custom::MackerelMonitr';
    writeFileSync(join(dir, 'Shop.template.json'), JSON.stringify(template));
    const before = shared.emulator.requests().filter((r) => r.method !== 'GET').length;
    const message = /^cdk-mackerel: Shop\/Cpu\w+: resource type Custom::MackerelMonitr is not one the handler serves; expected one of Custom::MackerelService, .*Custom::MackerelMonitor, /;
    expectError(await cli(['diff', join(dir, 'Shop.template.json'), '--api-base', shared.emulator.url]), message);
    expectError(await cli(['apply', join(dir, 'Shop.template.json'), '--api-base', shared.emulator.url]), message);
    expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toHaveLength(before);
  });

  test('a template that is not JSON: the whole parser message on one line', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'config.json'), 'plugin:\n  metrics: {}\n');
    const run = await cli(['apply', join(dir, 'config.json'), '--api-base', shared.emulator.url]);
    expectError(run, /config\.json is not readable JSON \(Unexpected token .*\)$/);
  });

  test('a state file or an emulator state that is not JSON: the parser message and the advice on one line', async () => {
    const dir = workDir();
    const state = join(dir, 's.json');
    writeFileSync(state, 'not\njson');
    expectError(await cli(['diff', assembly, '--api-base', shared.emulator.url, '--state', state]),
      /state file \S+s\.json is not readable JSON \(Unexpected token .* "not json" is not valid JSON\); fix or remove it$/);
    const data = join(dir, 'e.json');
    writeFileSync(data, 'not\njson');
    expectError(await cli(['diff', assembly, '--emulator', '--emulator-state', data, '--state', join(dir, 'other.json')]),
      /emulator state \S+e\.json is not readable JSON \(Unexpected token .* "not json" is not valid JSON\); fix or remove it$/);
  });

  test('an --emulator run whose emulator file was removed while the state file names objects in it warns that they will read as gone', async () => {
    const dir = workDir();
    const state = join(dir, 's.json');
    expect((await cli(['apply', assembly, '--emulator', '--state', state])).code).toBe(0);
    // where --help says the objects are: beside the state file, named after it
    expect((await cli(['--help'])).out).toMatch(/--emulator-state FILE .*\(default: beside the state file, its\s+name with \.data\.json: \.mackerel-state\.emulator\.data\.json, s\.data\.json for --state s\.json\)/);
    expect(existsSync(join(dir, 's.data.json'))).toBe(true);
    rmSync(join(dir, 's.data.json'));
    const diff = await cli(['diff', assembly, '--emulator', '--state', state]);
    expect(diff.code).toBe(3);
    expect(diff.out).toMatch(/\? gone/);
    expect(diff.err).toMatch(new RegExp('^warning: the state file \\S+s\\.json names \\d+ object\\(s\\) in the emulator, which starts empty: diff shows them as gone '
      + 'and apply does not create them again; to start over, remove \\S+s\\.json too$', 'm'));
    // another emulator's file, empty: no warning, the state is refused as belonging to its own file
    const other = await cli(['diff', assembly, '--emulator', '--state', state, '--emulator-state', join(dir, 'other.data.json')]);
    expect(other.err).toMatch(/^cdk-mackerel: state file \S+s\.json belongs to emulator:s\.data\.json, not emulator:other\.data\.json/m);
    expect(other.err).not.toMatch(/warning/);
    // after a destroy the state names nothing, and an empty emulator is what it should be
    expect((await cli(['apply', assembly, '--emulator', '--state', state, '--destroy'])).code).toBe(0);
    rmSync(join(dir, 's.data.json'), { force: true });
    expect((await cli(['diff', assembly, '--emulator', '--state', state])).err).not.toMatch(/warning/);
  });

  test('an emulator state refused while the state file names objects in it: the advice names both files', async () => {
    const dir = workDir();
    const first = await cli(['apply', assembly, '--emulator', '--state', join(dir, 's.json')]);
    expect(first.code).toBe(0);
    const data = join(dir, 's.data.json');
    expect(JSON.parse(readFileSync(data, 'utf8')).services).toHaveLength(1);
    // removing only the emulator's file, as its refusal alone would advise, leaves the state naming objects apply never makes again
    writeFileSync(data, JSON.stringify({ version: 1, services: 'x' }));
    expectError(await cli(['apply', assembly, '--emulator', '--state', join(dir, 's.json')]),
      /^cdk-mackerel: emulator state \S+s\.data\.json is refused: .*; remove it to start an empty emulator; removing it empties the emulator, so remove the state file \S+s\.json with it, which names the objects it held/);
    writeFileSync(data, 'not json');
    expectError(await cli(['diff', assembly, '--emulator', '--state', join(dir, 's.json')]),
      /is not readable JSON .*; fix or remove it; removing it empties the emulator, so remove the state file \S+s\.json with it/);
    // one a newer cdk-mackerel wrote is whole: the advice is that version, and removing it only to lose its objects
    writeFileSync(data, JSON.stringify({ version: 2, services: [] }));
    expectError(await cli(['diff', assembly, '--emulator', '--state', join(dir, 's.json')]),
      /emulator state \S+s\.data\.json is version 2, written by a newer cdk-mackerel \(this one reads version 1\); use that version with it, or remove it only if losing the objects it holds is fine; removing it empties the emulator, so remove the state file \S+s\.json with it/);
    // nor one whose objects are in another emulator's file: that run is refused for the other file, and this state must stay
    const other = join(dir, 'other.data.json');
    writeFileSync(other, 'not json');
    expectError(await cli(['diff', assembly, '--emulator', '--state', join(dir, 's.json'), '--emulator-state', other]), /; fix or remove it$/);
    // a state that names nothing needs no such advice
    writeFileSync(data, JSON.stringify({ version: 1, services: 'x' }));
    expectError(await cli(['diff', assembly, '--emulator', '--state', join(dir, 'fresh.json'), '--emulator-state', data]), /; remove it to start an empty emulator$/);
  });

  test('bad arguments', async () => {
    expectError(await cli(['plan', assembly]), /unknown command "plan"; expected apply, diff or emulator/);
    expectError(await cli(['apply']), /apply needs a cloud assembly directory/);
    expectError(await cli(['diff', assembly, '--destroy']), /--destroy is an option of apply only/);
    expectError(await cli(['apply', assembly, '--emulator', '--api-base', shared.emulator.url]), /--emulator starts its own API/);
    expectError(await cli(['apply', assembly, '--emulator-state', 'x.json']), /--emulator-state is the file of an emulator started with --emulator/);
    expectError(await cli(['emulator', '--emulator']), /--emulator is an option of apply and diff/);
    // a mistyped option is named as given, with the way to the list of options, not Node's advice alone, whose quote it never closes
    expectError(await cli(['apply', assembly, '--bogus']),
      /^cdk-mackerel: unknown option --bogus; see cdk-mackerel --help for the options \(a path that starts with a dash goes after --: -- --bogus\)$/);
    expectError(await cli(['diff', assembly, '-x']), /^cdk-mackerel: unknown option -x; see cdk-mackerel --help/);
    // a key is never an option: the message says where it is read from (and shows no value given after the option)
    const keyed = await cli(['diff', assembly, '--api-key=s3cr3t', '--emulator']);
    expectError(keyed, /^cdk-mackerel: unknown option --api-key; the API key is read from MACKEREL_APIKEY, never from an option; see cdk-mackerel --help/);
    expect(keyed.err).not.toContain('s3cr3t');
    expectError(await cli(['emulator', '--port', 'x']), /--port "x" is not a port number/);
    expectError(await cli(['apply', assembly, '--timeout', '0']), /^cdk-mackerel: --timeout "0" is not a positive number of seconds$/);
    // a create goes out only with a second left for it: under --timeout 1 almost none would
    expectError(await cli(['apply', assembly, '--timeout', '1.5']),
      /^cdk-mackerel: --timeout "1\.5" is too short: a request is sent only with a second left for it; expected at least 2 seconds$/);
    // a repeated option is refused rather than its last value taken alone
    expectError(await cli(['apply', assembly, '--stack', 'Shop', '--stack', 'Other']),
      /^cdk-mackerel: --stack is given more than once; expected it once \(a run covers one stack, or every stack without --stack\)$/);
    expectError(await cli(['diff', assembly, '--state', 'a.json', '--state=b.json']), /^cdk-mackerel: --state is given more than once; expected it once$/);
    expect((await cli(['diff', assembly, '--emulator', '--emulator', '--state', join(workDir(), 's.json')])).code).toBe(1);
    // each command refuses the other's options instead of running without them (and would otherwise listen until stopped)
    expectError(await cli(['emulator', '--port', '0', '--state', 'objects.json']),
      /^cdk-mackerel: --state is an option of apply and diff; the emulator keeps its objects in the file of --emulator-state FILE$/);
    for (const extra of [['--api-base', 'http://127.0.0.1:1/'], ['--stack', 'Shop'], ['--stage', ''], ['--region', 'us-west-2'], ['--account', '1']]) {
      expectError(await cli(['emulator', '--port', '0', ...extra]), new RegExp(`^cdk-mackerel: ${extra[0]} is an option of apply and diff$`));
    }
    // what bounds or shows the calls to Mackerel: the emulator makes none, and would take them without a word
    for (const extra of [['--timeout', '5'], ['--verbose']]) {
      expectError(await cli(['emulator', '--port', '0', ...extra]), new RegExp(`^cdk-mackerel: ${extra[0]} is an option of apply and diff$`));
    }
    // diff's --timeout is checked as apply's
    expectError(await cli(['diff', assembly, '--timeout', '0']), /^cdk-mackerel: --timeout "0" is not a positive number of seconds$/);
    expectError(await cli(['diff', assembly, '--timeout', '1.5']), /^cdk-mackerel: --timeout "1\.5" is too short: /);
    // a value that starts with a dash: the parser's advice, on the one line the error has
    expectError(await cli(['diff', assembly, '--timeout', '-5']),
      /^cdk-mackerel: Option '--timeout' argument is ambiguous\. .*To specify an option argument starting with a dash use '--timeout=-XYZ'; see cdk-mackerel --help$/);
    expectError(await cli(['diff', assembly, '--timeout=-5']), /^cdk-mackerel: --timeout "-5" is not a positive number of seconds$/);
    // Number() reads these too: Infinity would wait out a failing Mackerel for ever, and a hex or exponent is a typo more often than not
    for (const text of ['Infinity', '0x10', '1e3', ' 60', '1'.padEnd(400, '0')]) {
      expectError(await cli(['apply', assembly, `--timeout=${text}`]), new RegExp(`^cdk-mackerel: --timeout ${JSON.stringify(text)} is not a decimal number of seconds; `
        + 'expected digits with an optional fraction, e\\.g\\. 300 or 2\\.5 \\(at least 2\\)$'));
    }
    expectError(await cli(['diff', assembly, '--timeout', 'Infinity']), /^cdk-mackerel: --timeout "Infinity" is not a decimal number of seconds; /);
    expectError(await cli(['apply', assembly, '--emulator', '--port', '4321']),
      /^cdk-mackerel: --port is an option of the emulator command; --emulator listens on a free port of 127\.0\.0\.1 for its run$/);
    expectError(await cli(['diff', assembly, '--host', '127.0.0.1']),
      /^cdk-mackerel: --host is an option of the emulator command; pass its address to apply and diff with --api-base URL$/);
  });

  test('bad --parameters: not NAME=VALUE, given twice, a stack or a parameter the app does not have', async () => {
    const base = ['--api-base', shared.emulator.url];
    expectError(await cli(['apply', assembly, '--parameters', 'Env']),
      /^cdk-mackerel: --parameters "Env" is not NAME=VALUE or STACK:NAME=VALUE; expected an alphanumeric parameter name, optionally after a stack name and a colon, e\.g\. --parameters Env=prod/);
    expectError(await cli(['apply', assembly, '--parameters', 'Shop:Env-x=1']), /--parameters "Shop:Env-x=\.\.\." is not NAME=VALUE or STACK:NAME=VALUE/);
    expectError(await cli(['apply', assembly, '--parameters', 'BootstrapVersion=1', '--parameters', 'BootstrapVersion=2']),
      /^cdk-mackerel: --parameters gives BootstrapVersion twice; expected one value per parameter/);
    expectError(await cli(['diff', assembly, ...base, '--parameters', 'Nope:Env=prod']), /^cdk-mackerel: --parameters Nope:Env=\.\.\.: \S+ has no stack Nope; expected one of Shop$/);
    expectError(await cli(['diff', assembly, ...base, '--parameters', 'Shop:Env=prod']),
      /^cdk-mackerel: --parameters Shop:Env=\.\.\.: stack Shop has no parameter Env; expected one of BootstrapVersion$/);
    expectError(await cli(['apply', assembly, ...base, '--parameters', 'Env=prod']),
      /^cdk-mackerel: --parameters Env=\.\.\.: no stack of \S+ has a parameter Env; expected one of BootstrapVersion$/);
    expectError(await cli(['emulator', '--parameters', 'Env=prod']), /--parameters is an option of apply and diff/);
  });

  test('a bad --parameters never shows its value, which may be a NoEcho parameter\'s secret', async () => {
    const base = ['--api-base', shared.emulator.url];
    for (const given of ['Shop:Probe_Token=Bearer s3cr3t-t0ken', 'Shop:ProbeTokn=Bearer s3cr3t-t0ken', 'Nope:ProbeToken=Bearer s3cr3t-t0ken', 'ProbeTokn=Bearer s3cr3t-t0ken']) {
      const run = await cli(['diff', assembly, ...base, '--parameters', given]);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(/--parameters "?\w+(:\w+)?=\.\.\."?/);
      expect(run.out + run.err).not.toContain('s3cr3t');
    }
    // a value with a space not quoted: its second word is an argument of its own
    const run = await cli(['diff', assembly, ...base, '--parameters', 'Shop:ProbeToken=Bearer', 's3cr3t-t0ken']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: unexpected argument after the cloud assembly; .*quote a --parameters value with a space/);
    expect(run.out + run.err).not.toContain('s3cr3t');
  });
});

describe('usage', () => {
  test('--help prints the usage on stdout and exits 0; no command at all prints it on stderr and exits 2', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const run = await cli(argv);
      expect([run.code, run.err]).toEqual([0, '']);
      expect(run.out).toMatch(/^Usage:\n {2}cdk-mackerel apply /);
    }
    const bare = await cli([]);
    expect([bare.code, bare.out]).toEqual([2, '']);
    expect(bare.err).toMatch(/^Usage:\n {2}cdk-mackerel apply /);
  });
});

describe('the emulator for one run and the emulator command', () => {
  test('apply --emulator creates everything in an emulator it starts and stops, its state apart from a real organization\'s', async () => {
    const run = await cli(['apply', assembly, '--emulator'], {}, workDir());
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Started an emulator for this run at http:\/\/127\.0\.0\.1:\d+\/, empty \(no objects yet in \S+\.mackerel-state\.emulator\.data\.json\)\./);
    expect(run.out).toMatch(/\[4\/4\] created\s+Monitor/);
    expect(run.out).toMatch(/Done: 4 created\./);
    expect(existsSync(join(dirname(assembly), '.mackerel-state.json'))).toBe(false);
    expect(existsSync(join(dirname(assembly), '.mackerel-state.emulator.json'))).toBe(true);
  });

  test('the state of an --emulator run is refused against another API base', async () => {
    const state = join(workDir(), 's.json');
    expect((await cli(['apply', assembly, '--emulator', '--state', state])).code).toBe(0);
    expectError(await cli(['apply', assembly, '--api-base', shared.emulator.url, '--state', state]), /s\.json belongs to emulator:s\.data\.json, not http/);
  });

  test('a file that is not an emulator state is refused, not half-used', async () => {
    const dir = workDir();
    const data = join(dir, 'e.json');
    const args = ['--emulator', '--emulator-state', data, '--state', join(dir, 's.json')];
    writeFileSync(data, JSON.stringify({ version: 1, services: [], monitors: [{ name: 'no id' }] }));
    expectError(await cli(['apply', assembly, ...args]), /emulator state \S+e\.json is refused: monitors must be a list of objects with an id; remove it/);
    writeFileSync(data, '{');
    expectError(await cli(['diff', assembly, ...args]), /emulator state \S+e\.json is not readable JSON/);
  });

  test('an --emulator-state that is some other JSON file, such as cdk.out/manifest.json, is said not to be one, not advised to be removed', async () => {
    const dir = workDir();
    const manifest = join(assembly, 'manifest.json');
    const before = readFileSync(manifest, 'utf8');
    const notAState = (what: string) => new RegExp(`^cdk-mackerel: \\S+ is not an emulator state: it reads as ${what}, and an emulator state is a JSON object with version 1 `
      + 'and the emulator\'s objects \\(services, monitors, channels, \\.\\.\\.\\); give the file an emulator saved, or a path where none exists yet to start an empty emulator \\(check --emulator-state\\)$');
    for (const command of ['apply', 'diff']) {
      const run = await cli([command, assembly, '--emulator', '--emulator-state', manifest, '--state', join(dir, 's.json')]);
      expectError(run, notAState('a cloud assembly manifest \\(manifest\\.json of cdk\\.out\\)'));
      expect(run.err).not.toMatch(/remove/);
    }
    expectError(await cli(['emulator', '--emulator-state', manifest]), notAState('a cloud assembly manifest \\(manifest\\.json of cdk\\.out\\)'));
    expect(readFileSync(manifest, 'utf8')).toBe(before);
    // nor the apply state, whose objects the advice to remove it would forget, also when that state names objects in the emulator
    const state = join(dir, 's.json');
    expect((await cli(['apply', assembly, '--emulator', '--state', state])).code).toBe(0);
    writeFileSync(join(dir, 's.data.json'), readFileSync(state));
    const run = await cli(['apply', assembly, '--emulator', '--state', state]);
    expectError(run, notAState('a cdk-mackerel state file \\(the one --state names\\)'));
    expect(run.err).not.toMatch(/remove/);
  });

  test('an --emulator-state that cannot be written is refused before anything is applied', async () => {
    const dir = workDir();
    writeFileSync(join(dir, 'file'), '');
    const run = await cli(['apply', assembly, '--emulator', '--emulator-state', join(dir, 'file', 'e.json'), '--state', join(dir, 's.json')]);
    expectError(run, /cannot keep the emulator's objects in \S+e\.json \(.*\); check --emulator-state/);
    expect(run.out).not.toMatch(/created/);
  });

  test('emulator on a port in use says so', async () => {
    const run = await cli(['emulator', '--port', String(new URL(shared.emulator.url).port)]);
    expectError(run, /port \d+ on 127\.0\.0\.1 is in use; pick another with --port/);
  });

  test('emulator --emulator-state starts from the saved objects and saves them when stopped', async () => {
    const file = join(workDir(), 'objects', 'e.json');
    const start = async () => {
      const lines: string[] = [];
      const stop = new AbortController();
      const running = _main(['emulator', '--port', '0', '--emulator-state', file], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, cwd: '.', signal: stop.signal });
      await expect.poll(() => lines.length).toBeGreaterThan(2);
      const url = /listening on (\S+)/.exec(lines[0])![1];
      return { lines, url, stop: async () => { stop.abort(); expect(await running).toBe(0); } };
    };
    const headers = { 'X-Api-Key': 'emulator-write-key', 'Content-Type': 'application/json' };
    const first = await start();
    expect(first.lines[2]).toMatch(/^Objects: none yet; saved to \S+e\.json when stopped\.$/);
    expect((await fetch(new URL('api/v0/services', first.url), { method: 'POST', headers, body: JSON.stringify({ name: 'kept' }) })).status).toBe(200);
    await first.stop();
    expect(first.lines.at(-1)).toMatch(/^Saved the emulator's objects to \S+e\.json\.$/);

    const second = await start();
    expect(second.lines[2]).toMatch(/^Objects: those saved in \S+e\.json/);
    const services = await (await fetch(new URL('api/v0/services', second.url), { headers })).json() as { services: Array<{ name: string }> };
    expect(services.services.map((x) => x.name)).toEqual(['kept']);
    await second.stop();
  });

  test('emulator prints its URL and key and serves until stopped', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const running = _main(['emulator', '--port', '0'], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, cwd: '.', signal: stop.signal });
    await expect.poll(() => lines.length).toBeGreaterThan(1);
    const url = /listening on (\S+)/.exec(lines[0])![1];
    expect(lines[1]).toBe('API key (read+write): emulator-write-key');
    const org = await fetch(new URL('api/v0/org', url), { headers: { 'X-Api-Key': 'emulator-write-key' } });
    expect(org.status).toBe(200);
    stop.abort();
    expect(await running).toBe(0);
  });

  test('emulator --host 0.0.0.0 says to apply to its loopback address, which apply knows as local', async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    const running = _main(['emulator', '--port', '0', '--host', '0.0.0.0'], { out: (l) => lines.push(l), err: (l) => lines.push(l), env: {}, cwd: '.', signal: stop.signal });
    await expect.poll(() => lines.length).toBeGreaterThan(2);
    const port = /listening on http:\/\/0\.0\.0\.0:(\d+)\//.exec(lines[0])![1];
    expect(lines[2]).toBe(`Apply to it with: cdk-mackerel apply cdk.out --api-base http://127.0.0.1:${port}/`);
    // as printed, without MACKEREL_APIKEY (http://0.0.0.0/ would be taken for a real organization and need one)
    const diff = await cli(['diff', assembly, '--api-base', `http://127.0.0.1:${port}/`, '--state', join(workDir(), 's.json')]);
    expect(diff.err).toBe('');
    expect(diff.code).toBe(1);
    stop.abort();
    expect(await running).toBe(0);
  });
});
