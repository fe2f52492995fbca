/**
 * `--emulator` runs continue from one another: the emulator's objects are saved beside the
 * state file, so a second apply is a no-op or an update and `--destroy` empties the emulator.
 * A small hand-written template keeps this fast; e2e-example.test.ts covers the example app.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cli, readState, workDir } from './_fixture';
import { _main } from '../../src/cli/main';
import { EmulatorState, isEmptyState, readEmulatorState } from '../../src/emulator';

const TOKEN = { 'Fn::GetAtt': ['Handler', 'Arn'] };

/** A service, its role and a monitor on the role; `alive` adds a connectivity monitor on the service. */
function writeTemplate(dir: string, v: { warning: number; alive: boolean }): string {
  const Resources: { [id: string]: unknown } = {
    Handler: { Type: 'AWS::Lambda::Function', Properties: {} },
    Shop: { Type: 'Custom::MackerelService', Properties: { ServiceToken: TOKEN, name: 'shop' } },
    Web: { Type: 'Custom::MackerelRole', Properties: { ServiceToken: TOKEN, service: { Ref: 'Shop' }, name: 'web' } },
    Cpu: {
      Type: 'Custom::MackerelMonitor',
      Properties: {
        ServiceToken: TOKEN, type: 'host', name: 'web cpu', metric: 'cpu%', operator: '>', warning: v.warning, critical: 95, duration: 3, scopes: [{ Ref: 'Web' }],
      },
    },
  };
  if (v.alive) {
    Resources.Alive = { Type: 'Custom::MackerelMonitor', Properties: { ServiceToken: TOKEN, type: 'connectivity', name: 'shop alive', scopes: [{ Ref: 'Shop' }] } };
  }
  const file = join(dir, 'Shop.template.json');
  writeFileSync(file, JSON.stringify({ Resources }));
  return file;
}

const saved = (dir: string): EmulatorState => readEmulatorState(join(dir, '.mackerel-state.emulator.data.json'))!;
const monitors = (dir: string) => Object.fromEntries(saved(dir).monitors.map((m: any) => [m.name, m]));

describe('apply --emulator keeps the emulator between runs', () => {
  test('create, no-op, update, diff and destroy, each run a new emulator', async () => {
    const dir = workDir();
    let template = writeTemplate(dir, { warning: 80, alive: false });

    let run = await cli(['apply', template, '--emulator'], {}, dir);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Started an emulator for this run at \S+, empty \(no objects yet in \S+\.mackerel-state\.emulator\.data\.json\)\./);
    expect(run.out).toMatch(/Done: 3 created\./);
    expect(run.out).toMatch(/The emulator's objects are saved in \S+\.mackerel-state\.emulator\.data\.json; the next --emulator run continues from them\./);
    expect(saved(dir).services).toMatchObject([{ name: 'shop', roles: [{ name: 'web' }] }]);
    const cpu = monitors(dir)['web cpu'];
    expect(cpu).toMatchObject({ warning: 80, scopes: ['shop:web'] });
    expect(readState(join(dir, '.mackerel-state.emulator.json'))).toMatchObject({
      apiBase: 'emulator:.mackerel-state.emulator.data.json',
      stacks: { Shop: { resources: { Cpu: { physicalId: cpu.id } } } },
    });

    // Unchanged: the objects are found again, nothing is sent, the saved objects stay as they were.
    const before = readFileSync(join(dir, '.mackerel-state.emulator.data.json'), 'utf8');
    run = await cli(['apply', template, '--emulator'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Started an emulator for this run at \S+, with the objects in \S+\.mackerel-state\.emulator\.data\.json\./);
    expect(run.out).toMatch(/\[3\/3\] unchanged\s+Monitor\s+Shop\/Cpu/);
    expect(run.out).toMatch(/Done: 3 unchanged\./);
    expect(readFileSync(join(dir, '.mackerel-state.emulator.data.json'), 'utf8')).toBe(before);

    // Changed: diff sees it, apply updates the monitor in place and creates the new one.
    template = writeTemplate(dir, { warning: 85, alive: true });
    run = await cli(['diff', template, '--emulator'], {}, dir);
    expect(run.code).toBe(1);
    // the diff alone on standard output
    expect(run.err).toMatch(/^Started an emulator for this run at \S+, with the objects in \S+\.mackerel-state\.emulator\.data\.json\./);
    expect(run.out).toMatch(/^[+~] (create|update) /);
    expect(run.out).toMatch(/~ update\s+Monitor\s+Shop\/Cpu \S+ "web cpu"\n\s+warning: "80" -> "85"/);
    expect(run.out).toMatch(/\+ create\s+Monitor\s+Shop\/Alive "shop alive"/);
    run = await cli(['apply', template, '--emulator'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`updated\\s+Monitor\\s+Shop/Cpu ${cpu.id} "web cpu"`));
    expect(run.out).toMatch(/created\s+Monitor\s+Shop\/Alive/);
    expect(run.out).toMatch(/Done: 1 created, 1 updated, 2 unchanged\./);
    expect(monitors(dir)['web cpu']).toMatchObject({ id: cpu.id, warning: 85 });
    expect(monitors(dir)['shop alive']).toMatchObject({ type: 'connectivity', scopes: ['shop'] });
    run = await cli(['diff', template, '--emulator'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.out).toBe('No differences.');

    // Destroy: the emulator is left empty, and so is the state.
    run = await cli(['apply', template, '--emulator', '--destroy'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/Done: 4 deleted\.\nThe emulator's objects are saved in \S+; it holds none now\.$/);
    expect(isEmptyState(saved(dir))).toBe(true);
    expect(readState(join(dir, '.mackerel-state.emulator.json')).stacks).toEqual({});
  });

  test('--state and --emulator-state put the two files where asked', async () => {
    const dir = workDir();
    const template = writeTemplate(dir, { warning: 80, alive: false });
    const args = ['--emulator', '--state', 'a/state.json', '--emulator-state', 'b/objects.json'];
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    expect((await cli(['apply', template, ...args], {}, dir)).code).toBe(0);
    expect(readState(join(dir, 'a/state.json')).apiBase).toBe('emulator:../b/objects.json');
    expect(readEmulatorState(join(dir, 'b/objects.json'))!.monitors).toHaveLength(1);
    expect((await cli(['apply', template, ...args], {}, dir)).out).toMatch(/Done: 3 unchanged\./);
  });

  test('a --state and an --emulator-state that are symbolic links are saved through them, and stay links', async () => {
    const dir = workDir();
    let template = writeTemplate(dir, { warning: 80, alive: false });
    mkdirSync(join(dir, 'private'));
    symlinkSync(join(dir, 'private', 'state.json'), join(dir, 'state.json'));
    // the emulator makes the directory of its file, as for a path that is no link
    symlinkSync('kept/objects.json', join(dir, 'objects.json'));
    const args = ['--emulator', '--state', 'state.json', '--emulator-state', 'objects.json'];
    expect((await cli(['apply', template, ...args], {}, dir)).code).toBe(0);
    template = writeTemplate(dir, { warning: 85, alive: false });
    expect((await cli(['apply', template, ...args], {}, dir)).out).toMatch(/Done: 1 updated, 2 unchanged\./);
    for (const link of ['state.json', 'objects.json']) expect(lstatSync(join(dir, link)).isSymbolicLink()).toBe(true);
    expect(readState(join(dir, 'private', 'state.json')).stacks.Shop.resources.Cpu.properties).toMatchObject({ warning: '85' });
    expect(readEmulatorState(join(dir, 'kept', 'objects.json'))!.monitors).toMatchObject([{ warning: 85 }]);
  });

  test('a --state that is a link into a directory that is not there is refused before anything is sent, naming both', async () => {
    // The first save, after the first object was made, would have failed: an object no state names.
    const dir = workDir();
    const template = writeTemplate(dir, { warning: 80, alive: false });
    symlinkSync(join(dir, 'unmounted', 'state.json'), join(dir, 'state.json'));
    const run = await cli(['apply', template, '--emulator', '--state', 'state.json', '--emulator-state', 'objects.json'], {}, dir);
    expect(run.code).toBe(2);
    expect(run.err).toBe(`cdk-mackerel: cannot write state file ${join(dir, 'state.json')} (a link to ${join(dir, 'unmounted', 'state.json')}): `
      + `its directory ${join(dir, 'unmounted')} does not exist; create the directory, or pass --state with a file in an existing one`);
    expect(existsSync(join(dir, 'objects.json'))).toBe(false);
  });

  test('diff --emulator reads an --emulator-state in a directory that is not there as an empty emulator, and makes no directory', async () => {
    // diff writes nothing, but the emulator's start made the directory of its file, as apply's must.
    const dir = workDir();
    const template = writeTemplate(dir, { warning: 80, alive: false });
    for (const objects of ['later/objects.json', 'link.json']) {
      if (objects === 'link.json') symlinkSync('kept/objects.json', join(dir, 'link.json'));
      const run = await cli(['diff', template, '--emulator', '--state', 'state.json', '--emulator-state', objects], {}, dir);
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/^Started an emulator for this run at \S+, empty \(no objects yet in /);
      expect(run.out).toMatch(/^\+ create /);
    }
    expect(existsSync(join(dir, 'later'))).toBe(false);
    expect(existsSync(join(dir, 'kept'))).toBe(false);
    // links that lead to one another are still refused, not read as an empty emulator
    symlinkSync('loop-b.json', join(dir, 'loop-a.json'));
    symlinkSync('loop-a.json', join(dir, 'loop-b.json'));
    const loop = await cli(['diff', template, '--emulator', '--state', 'state.json', '--emulator-state', 'loop-a.json'], {}, dir);
    expect(loop.code).toBe(2);
    expect(loop.err).toBe(`cdk-mackerel: cannot keep the emulator's objects in ${join(dir, 'loop-a.json')} (too many levels of symbolic links from ${join(dir, 'loop-a.json')}); check --emulator-state`);
    // apply makes it, to save the objects there
    expect((await cli(['apply', template, '--emulator', '--state', 'state.json', '--emulator-state', 'later/objects.json'], {}, dir)).code).toBe(0);
    expect(readEmulatorState(join(dir, 'later', 'objects.json'))!.monitors).toHaveLength(1);
  });

  test('a failed apply saves what the emulator made, and the next run finishes it', async () => {
    const dir = workDir();
    // A role scope that does not exist yet is refused by the emulator: the monitor fails after the service was made.
    const file = join(dir, 'Shop.template.json');
    writeFileSync(file, JSON.stringify({
      Resources: {
        Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } },
        Cpu: { Type: 'Custom::MackerelMonitor', DependsOn: ['Shop'], Properties: { type: 'host', name: 'cpu', metric: 'cpu%', operator: '>', warning: 80, duration: 3, scopes: ['shop:web'] } },
      },
    }));
    const failed = await cli(['apply', file, '--emulator', '--timeout', '2'], {}, dir);
    expect(failed.code).toBe(2);
    expect(failed.err).toMatch(/what succeeded is saved in \S+; fix the template, then apply again \(as it is, another run fails the same way\)$/);
    expect(saved(dir).services.map((s) => s.name)).toEqual(['shop']);

    writeTemplate(dir, { warning: 80, alive: false });
    const second = await cli(['apply', file, '--emulator'], {}, dir);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/Done: 2 created, 1 unchanged\./);
  });

  test('a save of the emulator\'s objects that fails during the run is not said to keep what succeeded: both files stop at the last save, and the next run does the rest', async () => {
    // GIVEN a service, then a monitor on it, whose emulator file is in the way of its save once the service is made and saved
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    writeFileSync(file, JSON.stringify({
      Resources: {
        Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } },
        Alive: { Type: 'Custom::MackerelMonitor', DependsOn: ['Shop'], Properties: { type: 'connectivity', name: 'alive', scopes: ['shop'] } },
      },
    }));
    const data = join(dir, '.mackerel-state.emulator.data.json');
    const out: string[] = [];
    const err: string[] = [];

    // WHEN the monitor is created and the save after it fails
    const code = await _main(['apply', file, '--emulator'], {
      out: (line) => {
        out.push(line);
        if (!/\] created .*Shop\/Shop /.test(line)) return;
        renameSync(data, `${data}.kept`);
        mkdirSync(join(data, 'in-the-way'), { recursive: true });
      },
      err: (line) => err.push(line),
      env: {},
      cwd: dir,
    });

    // THEN it says so once, and what it means, not that what succeeded is saved
    expect(code).toBe(2);
    const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(err).toEqual([expect.stringMatching(new RegExp(`^cdk-mackerel: could not save the emulator's objects to ${escaped(data)} \\(.+\\); it and the state file `
      + `${escaped(join(dir, '.mackerel-state.emulator.json'))} both hold what this run did up to its last save, not what it did since, which the emulator `
      + 'loses as it stops: the next apply does that again$'))]);
    // AND with the file back, the next run creates the monitor once
    rmSync(data, { recursive: true });
    renameSync(`${data}.kept`, data);
    const next = await cli(['apply', file, '--emulator'], {}, dir);
    expect(next.out).toMatch(/Done: 1 created, 1 unchanged\./);
    expect(saved(dir).monitors.map((m: any) => m.name)).toEqual(['alive']);
  });

  test('objects Mackerel has no read for (an external ID, a graph annotation) are counted by what the emulator holds, not by the state', async () => {
    // With only the emulator's file removed, the summary still said "In Mackerel: 1 AwsIntegrationExternalId, 1 GraphAnnotation".
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    writeFileSync(file, JSON.stringify({
      Resources: {
        Handler: { Type: 'AWS::Lambda::Function', Properties: {} },
        Shop: { Type: 'Custom::MackerelService', Properties: { ServiceToken: TOKEN, name: 'shop' } },
        ExternalId: { Type: 'Custom::MackerelAwsIntegrationExternalId', Properties: { ServiceToken: TOKEN } },
        Deploys: { Type: 'Custom::MackerelGraphAnnotation', Properties: { ServiceToken: TOKEN, title: 'deploy', service: { Ref: 'Shop' }, revision: 'r1' } },
      },
    }));
    expect((await cli(['apply', file, '--emulator'], {}, dir)).code).toBe(0);
    // held: counted, and no difference
    let run = await cli(['apply', file, '--emulator'], {}, dir);
    expect(run.out).toMatch(/^Done: 3 unchanged\.\nIn Mackerel: 1 Service, 1 GraphAnnotation, 1 AwsIntegrationExternalId\.$/m);
    expect((await cli(['diff', file, '--emulator'], {}, dir)).out).toBe('No differences.');

    rmSync(join(dir, '.mackerel-state.emulator.data.json'));
    run = await cli(['apply', file, '--emulator'], {}, dir);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Done: 3 unchanged\. 2 of the unchanged were deleted in Mackerel outside the template and left so \(Service Shop\/Shop, GraphAnnotation Shop\/Deploys\): .* 1 unchanged external ID is no longer issued in Mackerel and left so \(AwsIntegrationExternalId Shop\/ExternalId\)/m);
    expect(run.out).not.toMatch(/In Mackerel:/);
    // as diff, which the summary points to, shows them
    const diff = await cli(['diff', file, '--emulator'], {}, dir);
    expect(diff.code).toBe(3);
    expect(diff.out.split('\n').filter((line) => line.startsWith('? gone')).map((line) => line.split(/\s+/)[3])).toEqual(['Shop/Shop', 'Shop/Deploys', 'Shop/ExternalId']);
  });
});
