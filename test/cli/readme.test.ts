import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { _USAGE } from '../../src/cli/args';
import { _MANIFEST_MAJOR } from '../../src/cli/assembly';

/** src/cli/README.md, the command's notes, against what `cdk-mackerel --help` prints. */
const NOTES = fs.readFileSync(path.join(__dirname, '..', '..', 'src', 'cli', 'README.md'), 'utf8');

/** The first fenced block of the notes: the usage lines. */
function usageBlock(): string {
  const match = /```\n([\s\S]*?)\n```/.exec(NOTES);
  expect(match, 'src/cli/README.md starts with a fenced usage block').not.toBeNull();
  return match![1];
}

describe('src/cli/README.md', () => {
  test('its usage names every option --help prints, and no other', () => {
    const options = (text: string): string[] => [...new Set(text.match(/--[a-z][a-z-]*/g) ?? [])].sort();
    expect(options(usageBlock())).toEqual(options(_USAGE));
  });

  test('its diff usage has none of the options --help gives to apply only', () => {
    const applyOnly = [..._USAGE.matchAll(/^\s+(--[a-z-]+)\b.*\bapply only\b/gm)].map((m) => m[1]);
    expect(applyOnly).toEqual(['--destroy']);
    const diff = usageBlock().slice(usageBlock().indexOf('cdk-mackerel diff'));
    for (const option of applyOnly) expect(diff).not.toContain(option);
    // what bounds and shows the reads of Mackerel is diff's too
    for (const option of ['--timeout', '--verbose']) expect(diff).toContain(option);
  });

  test('the cloud assembly schema it says it reads is the major version the CLI reads as known', () => {
    // Written by hand: a CLI moved to a newer schema would leave the notes naming the old one.
    const at = NOTES.indexOf('cloud assembly schema newer than');
    expect(at, 'src/cli/README.md says which cloud assembly schema it reads').toBeGreaterThan(0);
    const paragraph = NOTES.slice(at).split(/\n(?:- |\n)/)[0];
    const stated = [...paragraph.matchAll(/\b(\d+)\.x\.x\b/g)].map((m) => Number(m[1]));
    expect(stated).toHaveLength(2);
    expect(new Set(stated)).toEqual(new Set([_MANIFEST_MAJOR]));
  });

  test('its exit codes are those --help gives diff: 0, 1, 3 and 2', () => {
    const exitCodes = NOTES.split('\n').find((line) => line.startsWith('- Exit codes:'));
    expect(exitCodes, 'src/cli/README.md has an "- Exit codes:" line').toBeDefined();
    const paragraph = NOTES.slice(NOTES.indexOf(exitCodes!)).split(/\n(?:- |\n)/)[0];
    expect(_USAGE).toMatch(/exit 0 none,\s+1 apply would change something[\s\S]*, 3 only differences[\s\S]*, 2 error/);
    for (const code of ['0', '1', '2', '3']) expect(paragraph).toMatch(new RegExp(`\\b${code} \\(?[a-z]`));
  });
});
