// An apply that stops halfway leaves state that the next diff and apply read: the old objects of
// replacements still to delete, and moved services still held by their old logical ID.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeEach, describe, expect, test } from 'vitest';
import { cli, readState, useEmulatorPerFile, workDir } from './_fixture';
import { MackerelApiKey } from '../../src/api-key';
import { ConnectivityMonitor, MonitorScope } from '../../src/monitors';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

interface Version {
  /** The service's name (another name replaces it). */
  readonly name: string;
  /** The service construct's id (another id moves it). @default 'Service' */
  readonly id?: string;
  /** A second monitor, created after everything else: with a fault on POST /monitors, the apply stops there. */
  readonly late?: boolean;
}

function synth(dir: string, v: Version): string {
  const outdir = join(dir, 'cdk.out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'Shop');
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
  const service = new MackerelService(stack, v.id ?? 'Service', { name: v.name });
  new ConnectivityMonitor(stack, 'Alive', { name: 'alive', scopes: [MonitorScope.fromService(service)] });
  if (v.late) new ConnectivityMonitor(stack, 'ZLate', { name: 'late', scopes: [MonitorScope.fromService(service)] });
  app.synth();
  return outdir;
}

const services = () => shared.emulator.state().services.map((s) => s.name).sort();
const monitorScopes = () => shared.emulator.state().monitors.map((m: any) => [m.name, m.scopes]);

/** Applies `first`, then `second` with POST /monitors failing, so that the apply stops at the late monitor. */
async function interrupt(dir: string, first: Version, second: Version): Promise<string[]> {
  const base = ['--api-base', shared.emulator.url];
  const applied = await cli(['apply', synth(dir, first), ...base]);
  expect(applied.err).toBe('');
  shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
  const stopped = await cli(['apply', synth(dir, second), ...base, '--timeout', '2']);
  expect(stopped.code).toBe(2);
  expect(stopped.err).toMatch(/ZLate.*500.*run apply again to finish$/);
  shared.emulator.clearFaults();
  return base;
}

describe('after an apply that stopped halfway', () => {
  test('a rename reverted keeps the service the template names, and deletes only the new one', async () => {
    // GIVEN shop renamed to shop2, stopped before the cleanup would delete shop
    const dir = workDir();
    const base = await interrupt(dir, { name: 'shop' }, { name: 'shop2', late: true });
    expect(services()).toEqual(['shop', 'shop2']);
    expect(readState(join(dir, '.mackerel-state.json')).pendingDeletes.map((p) => p.physicalId)).toEqual(['shop']);

    // WHEN the rename is reverted
    const assembly = synth(dir, { name: 'shop' });
    const diff = await cli(['diff', assembly, ...base]);
    const apply = await cli(['apply', assembly, ...base]);

    // THEN diff shows the replacement back to shop and no delete of it
    expect(diff.out).toMatch(/^! replace\s+Service\s+Shop\/Service\w+ shop2 "shop"/m);
    expect(diff.out).not.toMatch(/- delete\s+Service/);
    // AND apply deletes shop2 and lets go of shop, which stays with its monitor scoped to it
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(/deleted\s+Service\s+Shop\/Service\w+ shop2 \(old object of a replacement\)/);
    expect(apply.out).toMatch(/released\s+Service\s+Shop\/Service\w+ shop \(taken over by Shop\/Service\w+; it stays in Mackerel\)/);
    expect(services()).toEqual(['shop']);
    expect(monitorScopes()).toEqual([['alive', ['shop']]]);
    expect(readState(join(dir, '.mackerel-state.json')).pendingDeletes).toEqual([]);
    expect((await cli(['diff', assembly, ...base])).out).toBe('No differences.');
  });

  test('diff shows the old object a replacement left to delete, as apply deletes it', async () => {
    const dir = workDir();
    const base = await interrupt(dir, { name: 'shop' }, { name: 'shop2', late: true });

    // WHEN the same template is diffed and applied again
    const assembly = synth(dir, { name: 'shop2', late: true });
    const diff = await cli(['diff', assembly, ...base]);
    const apply = await cli(['apply', assembly, ...base]);

    // THEN the leftover delete is in the diff, which exits 1 even with nothing else to do
    expect(diff.code).toBe(1);
    expect(diff.out).toMatch(/^- delete\s+Service\s+Shop\/Service\w+ shop \(old object of a replacement, left by an earlier apply that stopped\)$/m);
    expect(diff.out).toMatch(/^\+ create\s+Monitor\s+Shop\/ZLate\w+ "late"$/m);
    expect(apply.out).toMatch(/deleted\s+Service\s+Shop\/Service\w+ shop \(old object of a replacement\)/);
    expect(services()).toEqual(['shop2']);
    const clean = await cli(['diff', assembly, ...base]);
    expect([clean.code, clean.out]).toEqual([0, 'No differences.']);
  });

  test('a move that stopped before the old resource let go is shown as a move, not a delete', async () => {
    // GIVEN the service moved to a new construct id; the new resource took the object over, the old one still holds it
    const dir = workDir();
    const base = await interrupt(dir, { name: 'shop', id: 'Shop' }, { name: 'shop', id: 'ShopService', late: true });
    const held = readState(join(dir, '.mackerel-state.json')).stacks.Shop.resources;
    expect(Object.values(held).filter((r) => r.type === 'Custom::MackerelService').map((r) => r.physicalId)).toEqual(['shop', 'shop']);

    // WHEN it is diffed and applied
    const assembly = synth(dir, { name: 'shop', id: 'ShopService' });
    const diff = await cli(['diff', assembly, ...base]);
    const apply = await cli(['apply', assembly, ...base]);

    // THEN diff says move, as apply only releases the old resource
    expect(diff.out).toMatch(/^> move\s+Service\s+Shop\/Shop\w+ -> Shop\/ShopService\w+ shop "shop" \(a new logical ID takes the object over; it stays in Mackerel\)$/m);
    expect(diff.out).not.toMatch(/- delete/);
    expect(apply.out).toMatch(/released\s+Service\s+Shop\/Shop\w+ shop "shop" \(taken over by Shop\/ShopService\w+; it stays in Mackerel\)/);
    expect(services()).toEqual(['shop']);
  });
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the lock of the state file', () => {
  test('a second apply on the same state file refuses at once, naming the lock, its holder and since when; the lock goes after success and failure', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const state = join(dir, '.mackerel-state.json');
    const lock = `${state}.lock`;
    // A temp file of the old fixed name, left by another writer: each write uses a name of its own.
    mkdirSync(`${state}.tmp`);
    const assembly = synth(dir, { name: 'shop' });

    const [first, second] = await Promise.all([cli(['apply', assembly, ...base]), cli(['apply', assembly, ...base])]);

    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(second.code).toBe(2);
    expect(second.out).toBe('');
    expect(second.err).toMatch(new RegExp(`^cdk-mackerel: state file ${escape(state)} is locked by pid ${process.pid} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: `
      + `another apply on it is running; wait for it to end, or, if no such run is left, remove ${escape(lock)}$`));
    expect(services()).toEqual(['shop']);
    expect(monitorScopes()).toEqual([['alive', ['shop']]]);
    expect(existsSync(lock)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual(['.mackerel-state.json.tmp']);

    // A failed apply lets go of the lock too.
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
    const failed = await cli(['apply', synth(dir, { name: 'shop', late: true }), ...base, '--timeout', '1']);
    shared.emulator.clearFaults();
    expect(failed.code).toBe(2);
    expect(failed.err).toMatch(/run apply again to finish$/);
    expect(existsSync(lock)).toBe(false);
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
  });

  test('a lock left by a run that was killed is reported as stale, with the file to remove', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const lock = join(dir, '.mackerel-state.json.lock');
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(lock, JSON.stringify({ pid: gone, host: hostname(), since: '2024-05-01T10:00:00.000Z' }));
    const assembly = synth(dir, { name: 'shop' });

    const refused = await cli(['apply', assembly, ...base]);

    expect(refused.code).toBe(2);
    expect(refused.err).toBe(`cdk-mackerel: state file ${join(dir, '.mackerel-state.json')} is locked by pid ${gone} since 2024-05-01T10:00:00.000Z, `
      + `but no process ${gone} runs on this machine: the lock is stale, left by a run that was killed; remove ${lock} and run apply again (diff shows what that run left to do)`);
    expect(services()).toEqual([]);
    // Not this run's lock: it stays until removed.
    expect(existsSync(lock)).toBe(true);
    // diff writes nothing and takes no lock.
    expect((await cli(['diff', assembly, ...base])).code).toBe(1);
    rmSync(lock);
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
    expect(services()).toEqual(['shop']);
  });
});
