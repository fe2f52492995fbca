import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { _writeJsonFile, _writeTarget } from '../src/_json';
import { _fileStore, _lockState, _readState } from '../src/cli/state';
import { readEmulatorState } from '../src/emulator/_persist';

// FAT and some network mounts refuse chmod (EPERM) even to the file's owner.
const chmodRefused = vi.hoisted(() => ({ on: false }));
// Tests run as root, whom no permission stops: a directory without search permission is played by statSync.
const statRefused = vi.hoisted(() => ({ path: '' }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  return {
    ...fs,
    statSync: ((...args: Parameters<typeof fs.statSync>) => {
      if (statRefused.path !== '' && String(args[0]) === statRefused.path) {
        throw Object.assign(new Error(`EACCES: permission denied, stat '${statRefused.path}'`), { code: 'EACCES' });
      }
      return fs.statSync(...args);
    }) as typeof fs.statSync,
    chmodSync: (...args: Parameters<typeof fs.chmodSync>) => {
      if (chmodRefused.on) throw Object.assign(new Error(`EPERM: operation not permitted, chmod '${String(args[0])}'`), { code: 'EPERM' });
      return fs.chmodSync(...args);
    },
  };
});

const dir = () => mkdtempSync(join(tmpdir(), 'cdk-mackerel-json-'));

describe('_writeJsonFile through symbolic links', () => {
  test('a relative link whose path goes up (..) past a linked directory is followed as the system follows it, not by its text', () => {
    // work/sub -> ../real/deep, so work/sub/.. is real, not work: read by text, the link led to itself and the save
    // failed as a loop, though the state read fine through it; another layout would save where no read looks.
    const d = dir();
    mkdirSync(join(d, 'real', 'deep'), { recursive: true });
    mkdirSync(join(d, 'work'));
    symlinkSync('../real/deep', join(d, 'work', 'sub'));
    symlinkSync('sub/../state.json', join(d, 'work', 'state.json'));
    writeFileSync(join(d, 'real', 'state.json'), '{"n":1}\n');
    expect(_writeTarget(join(d, 'work', 'state.json'))).toBe(join(realpathSync(d), 'real', 'state.json'));
    _writeJsonFile(join(d, 'work', 'state.json'), { n: 2 });
    expect(JSON.parse(readFileSync(join(d, 'work', 'state.json'), 'utf8'))).toEqual({ n: 2 });
    expect(lstatSync(join(d, 'work', 'state.json')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(d, 'real')).sort()).toEqual(['deep', 'state.json']);
    expect(readdirSync(join(d, 'work')).sort()).toEqual(['state.json', 'sub']);
  });

  test('an absolute link that goes up past a linked directory, and one to a file not there yet', () => {
    const d = dir();
    mkdirSync(join(d, 'real', 'deep'), { recursive: true });
    symlinkSync(join(d, 'real', 'deep'), join(d, 'sub'));
    symlinkSync(`${join(d, 'sub')}/../new.json`, join(d, 'state.json'));
    _writeJsonFile(join(d, 'state.json'), { n: 1 });
    expect(JSON.parse(readFileSync(join(d, 'real', 'new.json'), 'utf8'))).toEqual({ n: 1 });
    expect(readdirSync(d).sort()).toEqual(['real', 'state.json', 'sub']);
  });
});

describe('_writeJsonFile permissions', () => {
  test('a new file is made readable and writable by its owner only: a state holds channel URLs and NoEcho parameter values', () => {
    const d = dir();
    _writeJsonFile(join(d, 'new.json'), {});
    // eslint-disable-next-line no-bitwise -- a mode is a bit set
    expect(statSync(join(d, 'new.json')).mode & 0o777).toBe(0o600);
    // one made wider by hand stays so
    writeFileSync(join(d, 'shared.json'), '{}', { mode: 0o640 });
    _writeJsonFile(join(d, 'shared.json'), {});
    // eslint-disable-next-line no-bitwise -- a mode is a bit set
    expect(statSync(join(d, 'shared.json')).mode & 0o777).toBe(0o640);
  });
});

describe('_writeJsonFile of a name near the filesystem\'s limit (255 bytes)', () => {
  test('a 250-character name is written: the temp file\'s name is cut short to fit, and none is left', () => {
    const d = dir();
    const file = join(d, `${'s'.repeat(245)}.json`);
    _writeJsonFile(file, { n: 1 });
    _writeJsonFile(file, { n: 2 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ n: 2 });
    expect(readdirSync(d)).toEqual([`${'s'.repeat(245)}.json`]);
  });

  test('a name of characters of two bytes each is cut between characters, and the state store saves through it', () => {
    const d = dir();
    const name = `${'é'.repeat(122)}.json`;
    expect(Buffer.byteLength(name)).toBe(249);
    const store = _fileStore(join(d, name));
    store.save();
    expect(readdirSync(d)).toEqual([name]);
    expect(_readState(join(d, name))).toEqual(store.state);
  });
});

describe('the lock of a state file named near the filesystem\'s limit (255 bytes)', () => {
  test('is taken and released beside it, cut short: <file>.lock would pass the limit; a second lock is refused, and two such names stay apart', () => {
    const d = dir();
    const [one, two] = ['a', 'b'].map((last) => join(d, `${'s'.repeat(249)}${last}.json`));
    expect(Buffer.byteLength(basename(one))).toBe(255);
    const release = _lockState(one);
    const [lock] = readdirSync(d);
    expect(Buffer.byteLength(lock)).toBeLessThanOrEqual(255);
    expect(lock).toMatch(/^s+~[0-9a-f]{12}\.lock$/);
    expect(() => _lockState(one)).toThrow(/is locked by pid/);
    // The other file's lock is its own: both cut to one prefix, apart by the hash.
    const releaseTwo = _lockState(two);
    expect(readdirSync(d)).toHaveLength(2);
    releaseTwo();
    release();
    expect(readdirSync(d)).toEqual([]);
  });
});

describe('_writeJsonFile on a filesystem that refuses chmod', () => {
  test('the save goes on, with no temp file left', () => {
    const d = dir();
    const file = join(d, 'state.json');
    writeFileSync(file, '{}', { mode: 0o600 });
    chmodRefused.on = true;
    try {
      _writeJsonFile(file, { n: 1 });
    } finally {
      chmodRefused.on = false;
    }
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ n: 1 });
    expect(readdirSync(d)).toEqual(['state.json']);
  });
});

describe('a state file that may not be looked at', () => {
  test('is refused, naming it, not read as none: a first run would make every object again', () => {
    // GIVEN a state and an emulator state in a directory the user may not search
    const d = dir();
    const state = join(d, 'state.json');
    const emulator = join(d, 'emulator.json');
    statRefused.path = state;
    try {
      // THEN each read says it cannot read the file, and why, instead of an empty state
      expect(() => _readState(state)).toThrow(`cannot read state file ${state}: EACCES: permission denied, stat '${state}'; check the permissions`);
      statRefused.path = emulator;
      expect(() => readEmulatorState(emulator)).toThrow(`cannot read emulator state ${emulator}: EACCES`);
    } finally {
      statRefused.path = '';
    }
    // AND a file that is not there is still a first run
    expect(_readState(state)).toEqual({ version: 1, stacks: {}, pendingDeletes: [] });
    expect(readEmulatorState(emulator)).toBeUndefined();
    // AND so is one under a path through a file (the directory checks name that)
    writeFileSync(join(d, 'file'), '');
    expect(_readState(join(d, 'file', 'state.json')).stacks).toEqual({});
  });
});
