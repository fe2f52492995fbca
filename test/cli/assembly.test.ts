import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { synthCrossStack, workDir } from './_fixture';
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
