import { readFileSync } from 'node:fs';
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

  test('the stacks of every stage are loaded with the top-level ones, by their stack names, in manifest order', () => {
    const assembly = synthStages(workDir());
    const manifest = JSON.parse(readFileSync(join(assembly, 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.artifacts).filter((id) => ['cdk:cloud-assembly', 'aws:cloudformation:stack'].includes(manifest.artifacts[id].type))).toEqual(['assembly-Prod', 'assembly-Dev', 'Shared']);
    const app = _loadApp(assembly);
    expect(app.stacks.map((s) => s.stackName)).toEqual(['Prod-Monitors', 'Dev-Monitors', 'Shared']);
    expect(app.stacks[1]).toMatchObject({ account: '111111111111', region: 'us-east-1' });
    expect(Object.values(app.stacks[1].template.Resources ?? {}).map((r) => r.Type)).toContain('Custom::MackerelMonitor');
  });

  test('--stack picks a stage\'s stack by its name', () => {
    const app = _loadApp(synthStages(workDir()), 'Dev-Monitors');
    expect(app.stacks.map((s) => s.stackName)).toEqual(['Dev-Monitors']);
  });

  test('two stacks with the same name are an error naming both', () => {
    expect(() => _loadApp(synthStages(workDir(), 'Prod-Monitors'))).toThrow(
      /^stack name Prod-Monitors is used by two stacks of .*cdk\.out \(Prod\/Monitors and Dev\/Monitors\); expected unique stack names, as the state file and --stack know a stack by its name/);
  });

  test('apply creates the objects of every stage against the emulator', async () => {
    const run = await cli(['apply', synthStages(workDir()), '--api-base', shared.emulator.url]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Applying Prod-Monitors, Dev-Monitors, Shared against/);
    expect(shared.emulator.state().services.map((s) => s.name).sort()).toEqual(['dev', 'prod', 'shared']);
    expect(shared.emulator.state().monitors.map((m) => m.name).sort()).toEqual(['dev alive', 'prod alive']);
  });
});
