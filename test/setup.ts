import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';

// Asset hashes change whenever a handler bundle or an agent config changes; snapshots must
// only change when the template itself does.
const ASSET_HASH = /[0-9a-f]{64}/;
expect.addSnapshotSerializer({
  test: (val: unknown) => typeof val === 'string' && ASSET_HASH.test(val),
  serialize: (val: string) => JSON.stringify(val.replace(new RegExp(ASSET_HASH.source, 'g'), '[ASSET HASH]')),
});

// Everything a test file writes under the system temp directory (apps synthesized without an
// outdir, the CLI's work directories, state files, staged assets) goes to one directory of its
// own, removed after the file: a run used to leave thousands of directories in /tmp.
const systemTmp = process.env.TMPDIR;
const fileTmp = mkdtempSync(join(tmpdir(), 'cdk-mackerel-test-'));
process.env.TMPDIR = fileTmp;
afterAll(() => {
  if (systemTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = systemTmp;
  rmSync(fileTmp, { recursive: true, force: true });
});
