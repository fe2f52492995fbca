import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { fargateTask } from './_fixture';
import { _builtOnAgent, _readText } from '../../src/agent/_image-source';

/** Whether `closeSync` fails as it may on NFS (EIO), for the files the library reads at synth. */
const close = vi.hoisted(() => ({ fails: false, calls: 0 }));

vi.mock('fs', async (original) => {
  const actual = await original<typeof import('fs')>();
  return {
    ...actual,
    closeSync: (fd: number) => {
      close.calls++;
      actual.closeSync(fd);
      if (close.fails) throw Object.assign(new Error('EIO: i/o error, close'), { code: 'EIO' });
    },
  };
});

afterEach(() => {
  close.fails = false;
  close.calls = 0;
});

describe('a file read at synth whose close fails', () => {
  test('a regular file read in full is still read, and one that is no regular file still is none: the failure does not escape', () => {
    // GIVEN a Dockerfile and a directory, and a close that fails with EIO (its descriptor closed all the same)
    const directory = mkdtempSync(join(tmpdir(), 'cdk-mackerel-'));
    writeFileSync(join(directory, 'Dockerfile'), 'FROM alpine:3.20\n');
    close.fails = true;
    // WHEN each is read
    const read = [_readText(join(directory, 'Dockerfile')), _readText(directory)];
    // THEN the file's text is what was read (a read-only descriptor has nothing to write back), the directory none
    expect(read).toEqual(['FROM alpine:3.20\n', undefined]);
    expect(close.calls).toBe(2);
  });

  test('an image built from a Dockerfile whose close fails is read as any other', () => {
    // GIVEN an image on the agent's image, its Dockerfile's close failing
    const { taskDefinition } = fargateTask();
    const directory = mkdtempSync(join(tmpdir(), 'cdk-mackerel-'));
    writeFileSync(join(directory, 'Dockerfile'), 'FROM mackerel/mackerel-container-agent:v0.13.2\n');
    const container = taskDefinition.addContainer('agent', { image: ecs.ContainerImage.fromAsset(directory) });
    close.fails = true;
    // THEN it is the agent
    expect(_builtOnAgent(container)).toBe(`image built from ${join(directory, 'Dockerfile')} on mackerel/mackerel-container-agent:v0.13.2`);
  });
});
