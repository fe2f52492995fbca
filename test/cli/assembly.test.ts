import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import { describe, expect, test } from 'vitest';
import { addProvider, cli, synthCrossStack, synthStages, useEmulatorPerFile, workDir } from './_fixture';
import { _MANIFEST_MAJOR, _heldCount, _loadApp } from '../../src/cli/assembly';
import { _StateFile } from '../../src/cli/state';
import { MackerelService } from '../../src/service';

describe('loading a cloud assembly', () => {
  test('a stack comes after the stacks the manifest says it depends on', () => {
    // GIVEN an app whose manifest lists AMonitors first, though it depends on ZBase
    const assembly = synthCrossStack(workDir(), 'dependency');
    const manifest = JSON.parse(readFileSync(join(assembly, 'manifest.json'), 'utf8'));
    const listed = Object.keys(manifest.artifacts).filter((id) => manifest.artifacts[id].type === 'aws:cloudformation:stack');
    expect(listed).toEqual(['AMonitors', 'ZBase']);

    // WHEN it is loaded
    const app = _loadApp(assembly);

    // THEN ZBase comes first, and each stack keeps its dependencies by stack name (asset manifests left out)
    expect(app.stacks.map((s) => s.stackName)).toEqual(['ZBase', 'AMonitors']);
    expect(app.stacks.map((s) => s.dependencies)).toEqual([[], ['ZBase']]);
  });

  test('with --stack, the other stacks stay known for their exports', () => {
    const app = _loadApp(synthCrossStack(workDir()), 'AMonitors');
    expect(app.stacks.map((s) => s.stackName)).toEqual(['AMonitors']);
    expect(app.allStacks?.map((s) => s.stackName)).toEqual(['ZBase', 'AMonitors']);
  });
});

describe('the cloud assembly schema version of manifest.json', () => {
  test('is the one the bundled aws-cdk-lib writes, and older versions are read the same, without a notice', () => {
    const assembly = synthCrossStack(workDir(), 'dependency');
    const file = join(assembly, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    expect(manifest.version).toBe(`${_MANIFEST_MAJOR}.0.0`);
    const notices: string[] = [];
    const names = (version: unknown) => {
      writeFileSync(file, JSON.stringify({ ...manifest, version }));
      return _loadApp(assembly, undefined, undefined, false, (m) => notices.push(m)).stacks.map((s) => s.stackName);
    };
    for (const version of [`${_MANIFEST_MAJOR}.1.0`, '36.0.0', '1.0.0', '21.0.0-beta.1', undefined]) expect(names(version)).toEqual(['ZBase', 'AMonitors']);
    expect(notices).toEqual([]);
  });

  test('a newer one is read as the known one, with one notice naming the file, its version and the newest known', () => {
    // aws-cdk-lib is the app's own (a peer dependency), usually newer than the one cdk-mackerel was built with.
    const assembly = synthCrossStack(workDir(), 'dependency');
    const file = join(assembly, 'manifest.json');
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    const version = `${_MANIFEST_MAJOR + 1}.2.0`;
    writeFileSync(file, JSON.stringify({ ...manifest, version }));
    const notices: string[] = [];
    const app = _loadApp(assembly, undefined, undefined, false, (m) => notices.push(m));
    expect(app.stacks.map((s) => s.stackName)).toEqual(['ZBase', 'AMonitors']);
    expect(notices).toEqual([`${file} is cloud assembly schema version ${version}, newer than the newest this cdk-mackerel knows (${_MANIFEST_MAJOR}.x.x); `
      + 'it is read as that one, so stacks or resources that only the newer schema describes might be missed: if so, upgrade cdk-mackerel']);
  });
});

describe('an app with stages (nested cloud assemblies)', () => {
  const shared = useEmulatorPerFile();

  test('the stacks of every stage are loaded, by their stack names, and one stage is run at a time', () => {
    const assembly = synthStages(workDir());
    const manifest = JSON.parse(readFileSync(join(assembly, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.artifacts).filter((id) => ['cdk:cloud-assembly', 'aws:cloudformation:stack'].includes(manifest.artifacts[id].type))).toEqual(['assembly-Prod', 'assembly-Dev', 'Shared']);
    const app = _loadApp(assembly, undefined, 'Prod');
    expect(app.stacks.map((s) => s.stackName)).toEqual(['Prod-Monitors']);
    expect(app.stacks[0]).toMatchObject({ account: '111111111111', region: 'us-east-1', stage: 'Prod' });
    expect(Object.values(app.stacks[0].template.Resources ?? {}).map((r) => r.Type)).toContain('Custom::MackerelMonitor');
    // outputs are read only from the run's stage: its state file holds no other stage's objects
    expect(app.allStacks?.map((s) => s.stackName)).toEqual(['Prod-Monitors']);
    expect(app.stage).toBe('Prod');
    const top = _loadApp(assembly, undefined, '');
    expect(top.stacks.map((s) => s.stackName)).toEqual(['Shared']);
    expect(top.allStacks?.map((s) => s.stackName)).toEqual(['Shared']);
    expect(top.stage).toBe('');
  });

  test('a newer cloud assembly schema: one notice on stderr for the whole assembly, naming the first newer manifest, and the diff as with the known one', async () => {
    const dir = workDir();
    const assembly = synthStages(dir);
    const run = () => cli(['diff', assembly, '--api-base', shared.emulator.url, '--stage', 'Prod']);
    const known = await run();
    expect(known.err).toBe('');
    const setVersion = (path: string, version: string) => {
      const manifest = JSON.parse(readFileSync(path, 'utf8'));
      writeFileSync(path, JSON.stringify({ ...manifest, version }));
    };
    const newer = `${_MANIFEST_MAJOR + 3}.0.0`;
    // A stage's own manifest alone: the notice names it.
    setVersion(join(assembly, 'assembly-Prod', 'manifest.json'), newer);
    const stageOnly = await run();
    expect(stageOnly.err).toBe(`notice: ${join(assembly, 'assembly-Prod', 'manifest.json')} is cloud assembly schema version ${newer}, newer than the newest `
      + `this cdk-mackerel knows (${_MANIFEST_MAJOR}.x.x); it is read as that one, so stacks or resources that only the newer schema describes might be missed: `
      + 'if so, upgrade cdk-mackerel');
    expect([stageOnly.code, stageOnly.out]).toEqual([known.code, known.out]);
    // Every manifest, as one synth writes them: still one line, naming the top one.
    setVersion(join(assembly, 'manifest.json'), newer);
    const all = await run();
    expect(all.err.split('\n')).toHaveLength(1);
    expect(all.err).toMatch(new RegExp(`^notice: \\S+/cdk\\.out/manifest\\.json is cloud assembly schema version ${newer.replace(/\./g, '\\.')}, newer than`));
    expect([all.code, all.out]).toEqual([known.code, known.out]);
  });

  test('a run over several stages is refused: it uses one API key, and stages usually deploy to separate organizations', () => {
    const assembly = synthStages(workDir());
    expect(() => _loadApp(assembly)).toThrow(/has stacks in several stages \(Prod, Dev, "" \(the app's own stacks\)\), which usually deploy to separate Mackerel organizations, while a run uses one API key; expected --stage NAME \(or --stack NAME\)/);
    expect(() => _loadApp(assembly, undefined, 'Test')).toThrow(/--stage "Test" is not a stage of .*; expected one of Prod, Dev, "" \(the app's own stacks\)$/);
  });

  test('--stack naming a stack neither the app nor the state file holds names that state file and, without --stage, the stages whose state files might', async () => {
    const dir = workDir();
    const assembly = synthStages(dir);
    const base = ['--api-base', shared.emulator.url];

    // WHEN a stack removed from stage Prod is destroyed without --stage: the state read is that of the app's own stacks
    const run = await cli(['apply', assembly, ...base, '--destroy', '--stack', 'Prod-Old']);

    // THEN the error names the file it read and the stages to pick instead
    expect(run.code).toBe(2);
    expect(run.err).toBe(`cdk-mackerel: --stack Prod-Old is not in ${assembly}; expected one of Prod-Monitors, Dev-Monitors, Shared; `
      + `the state file ${join(dir, '.mackerel-state.json')} holds no stack Prod-Old either `
      + '(a stack removed from a stage is in that stage\'s state file: expected --stage NAME as well, one of Prod, Dev)');
    // AND with --stage, the stage's own state file, with no hint
    const staged = await cli(['apply', assembly, ...base, '--destroy', '--stack', 'Prod-Old', '--stage', 'Prod']);
    expect(staged.err).toBe(`cdk-mackerel: --stack Prod-Old is not in ${assembly} stage Prod; expected one of Prod-Monitors; `
      + `the state file ${join(dir, '.mackerel-state.Prod.json')} holds no stack Prod-Old either`);
  });

  test('--stack held in no --state file given names that file and, as --stage alone would read it again, asks for the stage\'s file too', async () => {
    const dir = workDir();
    const assembly = synthStages(dir);
    const state = join(dir, 'own.json');

    // WHEN the stack is looked for in a state file given by --state, which --stage does not change
    const run = await cli(['apply', assembly, '--api-base', shared.emulator.url, '--destroy', '--stack', 'Prod-Old', '--state', state]);

    // THEN the advice names --state with --stage, not --stage alone, which would fail the same way
    expect(run.code).toBe(2);
    expect(run.err).toBe(`cdk-mackerel: --stack Prod-Old is not in ${assembly}; expected one of Prod-Monitors, Dev-Monitors, Shared; `
      + `the state file ${state} holds no stack Prod-Old either (a stack removed from a stage is in that stage's state file: `
      + 'expected --stage NAME as well, one of Prod, Dev, and --state naming that stage\'s state file)');
    const again = await cli(['apply', assembly, '--api-base', shared.emulator.url, '--destroy', '--stack', 'Prod-Old', '--state', state, '--stage', 'Prod']);
    expect(again.err).toBe(`cdk-mackerel: --stack Prod-Old is not in ${assembly} stage Prod; expected one of Prod-Monitors; `
      + `the state file ${state} holds no stack Prod-Old either`);
  });

  test('--stack picks a stage\'s stack by its name, and with it the stage', () => {
    const app = _loadApp(synthStages(workDir()), 'Dev-Monitors');
    expect(app.stacks.map((s) => s.stackName)).toEqual(['Dev-Monitors']);
    expect(app.stage).toBe('Dev');
  });

  test('stages may give their stacks the same name, as they deploy to accounts of their own; --stack then needs --stage', () => {
    // GIVEN Prod and Dev each with a stack named Monitors
    const assembly = synthStages(workDir(), { stackName: 'Monitors' });

    // THEN each stage loads on its own, with its own stack
    const dev = _loadApp(assembly, 'Monitors', 'Dev');
    expect(dev.stacks.map((s) => [s.stackName, s.stage])).toEqual([['Monitors', 'Dev']]);
    expect(Object.values(dev.stacks[0].template.Resources ?? {}).find((r) => r.Type === 'Custom::MackerelService')?.Properties?.name).toBe('dev');
    expect(_loadApp(assembly, undefined, 'Prod').stacks.map((s) => [s.stackName, s.stage])).toEqual([['Monitors', 'Prod']]);
    // AND --stack alone is ambiguous
    expect(() => _loadApp(assembly, 'Monitors')).toThrow(
      /^--stack Monitors names a stack in several stages of .*cdk\.out \(Prod, Dev\); expected --stage NAME as well, to say which$/);
  });

  test('two stacks of one stage with the same name are an error naming both', () => {
    expect(() => _loadApp(synthStages(workDir(), { stackName: 'Prod-Monitors', sameStage: true }))).toThrow(
      /^stack name Prod-Monitors is used by two stacks of stage Prod of .*cdk\.out \(Prod\/Monitors and Prod\/Extra\); expected unique stack names within a stage, as the state file and --stack know a stack by its name/);
  });

  test('apply --stage creates that stage\'s objects against the emulator, with a state file of its own', async () => {
    const dir = workDir();
    const run = await cli(['apply', synthStages(dir), '--api-base', shared.emulator.url, '--stage', 'Prod']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Applying Prod-Monitors against .*, state .*\.mackerel-state\.Prod\.json$/m);
    expect(shared.emulator.state().services.map((s) => s.name)).toEqual(['prod']);
    expect(shared.emulator.state().monitors.map((m) => m.name)).toEqual(['prod alive']);
    expect(existsSync(join(dir, '.mackerel-state.Prod.json'))).toBe(true);

    // AND a run choosing the stage by --stack finds the same state: nothing to do
    const again = await cli(['apply', join(dir, 'cdk.out'), '--api-base', shared.emulator.url, '--stack', 'Prod-Monitors']);
    expect(again.err).toBe('');
    expect(again.out).toMatch(/state .*\.mackerel-state\.Prod\.json$/m);
    expect(again.out).toMatch(/^Done: 2 unchanged\.$/m);
    expect(shared.emulator.state().services.map((s) => s.name)).toEqual(['prod']);
  });
});

describe('an app with Mackerel resources in a NestedStack', () => {
  const shared = useEmulatorPerFile();
  const withProvider = <T extends Stack>(stack: T): T => {
    addProvider(stack);
    return stack;
  };
  /** Parent (a service of its own unless `nestedOnly`) with NestedStack Monitoring holding a service; Other without Mackerel nesting. */
  const synthNested = (dir: string, nestedOnly = false): string => {
    const outdir = join(dir, 'cdk.out');
    // As cdk synth writes it, with the nested template's path in metadata; without, the asset manifest tells it.
    const metadata = !nestedOnly;
    const app = new App({ outdir, context: { 'aws:cdk:enable-path-metadata': metadata, 'aws:cdk:enable-asset-metadata': metadata } });
    const parent = nestedOnly ? new Stack(app, 'Parent') : withProvider(new Stack(app, 'Parent'));
    if (!nestedOnly) new MackerelService(parent, 'Svc', { name: 'nestparent' });
    new MackerelService(withProvider(new NestedStack(parent, 'Monitoring')), 'NestedSvc', { name: 'nestchild' });
    new MackerelService(withProvider(new Stack(app, 'Other')), 'Svc', { name: 'other' });
    app.synth();
    return outdir;
  };
  const refused = /^cdk-mackerel: stack Parent has Custom::Mackerel\* resources in nested stack (Parent\/Monitoring \(MonitoringNestedStackMonitoringNestedStackResource\w+, |MonitoringNestedStackMonitoringNestedStackResource\w+ \()ParentMonitoring\w+\.nested\.template\.json\), which cdk-mackerel cannot apply, diff or destroy \(it reads top-level stacks only\); expected the Mackerel constructs in a top-level Stack, not a NestedStack/;

  test('apply, diff and destroy refuse it, naming the nested stack, before anything changes', async () => {
    const outdir = synthNested(workDir());
    const base = ['--api-base', shared.emulator.url];
    for (const argv of [['apply', outdir], ['diff', outdir], ['apply', outdir, '--destroy']]) {
      const run = await cli([...argv, ...base]);
      expect(run.err).toMatch(refused);
      expect(run.err).toMatch(/nested stack Parent\/Monitoring \(.*, or --stack NAME for another stack$/);
      expect(run.code).toBe(2);
    }
    expect(shared.emulator.state().services).toEqual([]);

    // Another stack of the app is not held back by it.
    const other = await cli(['apply', outdir, ...base, '--stack', 'Other']);
    expect(other.err).toBe('');
    expect(shared.emulator.state().services.map((s) => s.name)).toEqual(['other']);
  });

  test('a nested stack\'s template that is not a template is refused naming its file, as a stack\'s own is', async () => {
    const outdir = synthNested(workDir());
    const [file] = readdirSync(outdir).filter((f) => f.endsWith('.nested.template.json'));
    const cases: Array<[unknown, RegExp]> = [
      [null, /is not a CloudFormation template; expected a JSON object with Resources$/],
      [[], /is not a CloudFormation template; expected a JSON object with Resources$/],
      [{ Resources: [] }, /is not a CloudFormation template; expected a JSON object with Resources$/],
      [{ Resources: { NestedSvc: null } }, /is not a CloudFormation template: resource "NestedSvc" is not a JSON object; expected a JSON object with Resources, each a JSON object$/],
    ];
    for (const [template, problem] of cases) {
      writeFileSync(join(outdir, file), JSON.stringify(template));
      const run = await cli(['diff', outdir, '--api-base', shared.emulator.url]);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(new RegExp(`^cdk-mackerel: \\S+cdk\\.out/${file.replace(/\./g, '\\.')} \\(the template of nested stack MonitoringNestedStackMonitoringNestedStackResource\\w+\\) `));
      expect(run.err).toMatch(problem);
    }
  });

  test('an app with Mackerel resources only in a nested stack is not called an app without them', async () => {
    const run = await cli(['diff', synthNested(workDir(), true), '--api-base', shared.emulator.url, '--stack', 'Parent']);
    expect(run.err).toMatch(refused);
    expect(run.err).toMatch(/nested stack MonitoringNestedStackMonitoringNestedStackResource\w+ \(.*NestedStack$/);
    expect(run.code).toBe(2);
  });
});

test('what the state holds of a stack counts old objects to retain apart from those to delete', () => {
  const old = (physicalId: string, updateReplacePolicy?: 'Retain') =>
    ({ stackName: 'Shop', logicalId: 'Cpu', type: 'Custom::MackerelMonitor', physicalId, ...(updateReplacePolicy ? { updateReplacePolicy } : {}) });
  const state = (pendingDeletes: _StateFile['pendingDeletes']): _StateFile => ({
    version: 1, apiBase: 'http://127.0.0.1:4321/', stacks: { Shop: { stackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Shop/x', resources: {} } }, pendingDeletes,
  });
  expect(_heldCount(state([old('a'), old('b', 'Retain'), old('c', 'Retain')]), 'Shop')).toBe('0 objects, 1 old object to delete, 2 old objects to retain');
  expect(_heldCount(state([old('a')]), 'Shop')).toBe('0 objects, 1 old object to delete');
  expect(_heldCount(state([old('b', 'Retain')]), 'Shop')).toBe('0 objects, 1 old object to retain');
});
