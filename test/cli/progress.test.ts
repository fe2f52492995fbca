/** The command prints a progress line while one operation takes long, without --verbose. */
import { describe, expect, test } from 'vitest';
import { synthShop, useEmulatorPerFile, workDir } from './_fixture';
import { _main } from '../../src/cli/main';

const shared = useEmulatorPerFile();

describe('progress lines', () => {
  test('a slow create is reported as still creating, at the interval the command is given', async () => {
    const dir = workDir();
    const assembly = synthShop(dir, { cpuWarning: 80, memMetric: 'memory%', alive: false });
    // Long enough against the interval that a loaded machine still fires the timer at least twice.
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', delayMs: 900, times: 1 });
    const out: string[] = [];
    const code = await _main(['apply', assembly, '--api-base', shared.emulator.url], { out: (l) => out.push(l), err: () => undefined, env: {}, cwd: dir, progressEveryMs: 50 });
    expect(code).toBe(0);
    // Quick steps may get a line of their own on a loaded machine; the delayed monitor must get two.
    const still = out.filter((l) => l.includes('still creating Monitor'));
    expect(still.length).toBeGreaterThanOrEqual(2);
    expect(still[0]).toMatch(/^\[3\/4\] still creating Monitor Shop\/(Cpu|Mem)\w* \(0 s\)$/);
    // Each progress line comes before the outcome of its object.
    expect(out.indexOf(still[0])).toBeLessThan(out.findIndex((l) => /^\[3\/4\] created/.test(l)));
  });
});
