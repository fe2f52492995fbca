import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cli, synthCrossStack, synthStages, useEmulatorPerFile, workDir } from './_fixture';
import { _loadApp } from '../../src/cli/assembly';

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
    expect(app.allStacks?.map((s) => s.stackName)).toEqual(['Prod-Monitors', 'Dev-Monitors', 'Shared']);
    expect(_loadApp(assembly, undefined, '').stacks.map((s) => s.stackName)).toEqual(['Shared']);
  });

  test('a run over several stages is refused: it uses one API key, and stages usually deploy to separate organizations', () => {
    const assembly = synthStages(workDir());
    expect(() => _loadApp(assembly)).toThrow(/has stacks in several stages \(Prod, Dev, "" \(the app's own stacks\)\), which usually deploy to separate Mackerel organizations, while a run uses one API key; expected --stage NAME \(or --stack NAME\)/);
    expect(() => _loadApp(assembly, undefined, 'Test')).toThrow(/--stage "Test" is not a stage of .*; expected one of Prod, Dev, "" \(the app's own stacks\)$/);
  });

  test('--stack picks a stage\'s stack by its name', () => {
    const app = _loadApp(synthStages(workDir()), 'Dev-Monitors');
    expect(app.stacks.map((s) => s.stackName)).toEqual(['Dev-Monitors']);
  });

  test('two stacks with the same name are an error naming both', () => {
    expect(() => _loadApp(synthStages(workDir(), 'Prod-Monitors'))).toThrow(
      /^stack name Prod-Monitors is used by two stacks of .*cdk\.out \(Prod\/Monitors and Dev\/Monitors\); expected unique stack names, as the state file and --stack know a stack by its name/);
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
  });
});
