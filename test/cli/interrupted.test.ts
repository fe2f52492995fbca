// An apply that stops halfway leaves state that the next diff and apply read: the old objects of
// replacements still to delete, and moved services still held by their old logical ID.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { beforeEach, describe, expect, test } from 'vitest';
import { addProvider, cli, readState, useEmulatorPerFile, workDir } from './_fixture';
import { _main } from '../../src/cli/main';
import { ConnectivityMonitor, MonitorScope } from '../../src/monitors';
import { MackerelRole, MackerelService } from '../../src/service';

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
  addProvider(stack);
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

  test('diff predicts that apply will leave the old service a replacement left to delete when it still holds a role or monitor made outside, in apply\'s words', async () => {
    // GIVEN shop, with a role and a monitor made outside cdk-mackerel, renamed to shop2 by an apply that stopped before its cleanup
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    expect((await cli(['apply', synth(dir, { name: 'shop' }), ...base])).code).toBe(0);
    const post = (path: string, body: object) => fetch(`${shared.emulator.url}api/v0/${path}`, {
      method: 'POST', headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    expect((await post('services/shop/roles', { name: 'byhand' })).status).toBe(200);
    const monitor = await post('monitors', { type: 'service', name: 'by hand', service: 'shop', metric: 'shop.x', operator: '>', warning: 1, duration: 1 });
    const { id } = await monitor.json() as { id: string };
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
    expect((await cli(['apply', synth(dir, { name: 'shop2', late: true }), ...base, '--timeout', '2'])).code).toBe(2);
    shared.emulator.clearFaults();

    // WHEN the same template is diffed and applied again
    const assembly = synth(dir, { name: 'shop2', late: true });
    const diff = await cli(['diff', assembly, ...base]);
    const apply = await cli(['apply', assembly, ...base]);

    // THEN diff says leave, with the reason apply then gives
    const why = `\\(not deleted: it still has role "shop:byhand", monitor "by hand" \\(${id}\\), not this resource's, which deleting it would delete; it stays in Mackerel\\)`;
    expect(diff.out).toMatch(new RegExp(`^- leave +Service +Shop/Service\\w+ shop \\(old object of a replacement, left by an earlier apply that stopped\\) ${why}$`, 'm'));
    expect(diff.out).toMatch(/^1 to create, 1 to leave\.$/m);
    expect(apply.out).toMatch(new RegExp(`left +Service +Shop/Service\\w+ shop \\(old object of a replacement\\) ${why}$`, 'm'));
    expect(services()).toEqual(['shop', 'shop2']);
    const clean = await cli(['diff', assembly, ...base]);
    expect([clean.code, clean.out]).toEqual([0, 'No differences.']);
  });

  test('diff predicts that apply will leave the old role a replacement left to delete while a monitor made outside names it, in apply\'s words', async () => {
    // GIVEN role shop:web, named in the scopes of a monitor made outside cdk-mackerel, renamed to web2 by an apply that
    // stopped before its cleanup
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const withRole = (role: string, late: boolean) => {
      const outdir = join(dir, 'cdk.out');
      const app = new App({ outdir });
      const stack = new Stack(app, 'Shop');
      addProvider(stack);
      const service = new MackerelService(stack, 'Service', { name: 'shop' });
      new MackerelRole(stack, 'Role', { service, name: role });
      if (late) new ConnectivityMonitor(stack, 'ZLate', { name: 'late', scopes: [MonitorScope.fromService(service)] });
      app.synth();
      return outdir;
    };
    expect((await cli(['apply', withRole('web', false), ...base])).code).toBe(0);
    const monitor = await fetch(`${shared.emulator.url}api/v0/monitors`, {
      method: 'POST',
      headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'host', name: 'by hand', metric: 'cpu%', operator: '>', warning: 90, duration: 1, scopes: ['shop:web'] }),
    });
    const { id } = await monitor.json() as { id: string };
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
    expect((await cli(['apply', withRole('web2', true), ...base, '--timeout', '2'])).code).toBe(2);
    shared.emulator.clearFaults();
    expect(readState(join(dir, '.mackerel-state.json')).pendingDeletes.map((p) => p.physicalId)).toEqual(['shop:web']);

    // WHEN the same template is diffed and applied again
    const assembly = withRole('web2', true);
    const diff = await cli(['diff', assembly, ...base]);
    const apply = await cli(['apply', assembly, ...base]);

    // THEN diff says leave, with the reason apply then gives
    expect(apply.out).toMatch(new RegExp(`left +Role +Shop/Role\\w+ shop:web \\(old object of a replacement\\) \\(not deleted: .*${id}.*\\)$`, 'm'));
    const why = apply.out.match(/left +Role .* \(old object of a replacement\) (\(not deleted: .*\))$/m)![1];
    expect(diff.out).toContain(`(old object of a replacement, left by an earlier apply that stopped) ${why}`);
    expect(diff.out).toMatch(/^- leave +Role +Shop\/Role\w+ shop:web /m);
    expect(diff.out).toMatch(/^1 to create, 1 to leave\.$/m);
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

  test('a move that stopped, then reverted, hands the service back to the old resource, which the state still holds, instead of deleting it', async () => {
    // GIVEN the service moved to a new construct id and stopped before the old resource let go of it
    const dir = workDir();
    const base = await interrupt(dir, { name: 'shop', id: 'Shop' }, { name: 'shop', id: 'ShopService', late: true });

    // WHEN the move is reverted
    const apply = await cli(['apply', synth(dir, { name: 'shop', id: 'Shop' }), ...base]);

    // THEN the new resource's delete leaves the service to the old one, and a destroy then deletes it
    expect(apply.err).toBe('');
    expect(apply.out).toMatch(/released\s+Service\s+Shop\/ShopService\w+ shop "shop" \(taken over by Shop\/Shop\w+; it stays in Mackerel\)/);
    expect(shared.emulator.state().services).toEqual([
      expect.objectContaining({ name: 'shop', metadata: { 'cdk-mackerel': { stackId: expect.any(String), logicalResourceId: expect.stringMatching(/^Shop[0-9A-F]{8}$/) } } }),
    ]);
    expect((await cli(['apply', synth(dir, { name: 'shop', id: 'Shop' }), ...base, '--destroy'])).out).toMatch(/deleted\s+Service\s+Shop\/Shop\w+ shop "shop"/);
    expect(services()).toEqual([]);
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

    const exitListeners = process.listenerCount('exit');
    const [first, second] = await Promise.all([cli(['apply', assembly, ...base]), cli(['apply', assembly, ...base])]);
    // The run's handlers of Ctrl-C, SIGTERM and exit are gone with it.
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM'), process.listenerCount('exit')]).toEqual([0, 0, exitListeners]);

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
    const failed = await cli(['apply', synth(dir, { name: 'shop', late: true }), ...base, '--timeout', '2']);
    shared.emulator.clearFaults();
    expect(failed.code).toBe(2);
    expect(failed.err).toMatch(/run apply again to finish$/);
    expect(existsSync(lock)).toBe(false);
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
  });

  test('two links to one state file share its lock, beside the file they lead to: a second apply through the other link refuses', async () => {
    // The lock was <link>.lock: two applies through two links to one state both ran, each making every object.
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    mkdirSync(join(dir, 'private'));
    symlinkSync('private/state.json', join(dir, 'a.json'));
    symlinkSync('private/state.json', join(dir, 'b.json'));
    const assembly = synth(dir, { name: 'shop' });

    const runs = await Promise.all(['a.json', 'b.json'].map((link) => cli(['apply', assembly, ...base, '--state', join(dir, link)])));

    expect(runs.map((r) => r.code).sort()).toEqual([0, 2]);
    const refused = runs.find((r) => r.code === 2)!;
    // the real directory: a temp directory may itself be reached through a link (macOS)
    const lock = join(realpathSync(dir), 'private', 'state.json.lock');
    expect(refused.err).toMatch(new RegExp(`^cdk-mackerel: state file ${escape(dir)}/[ab]\\.json is locked by pid ${process.pid} since \\S+: `
      + `another apply on it is running; wait for it to end, or, if no such run is left, remove ${escape(lock)}$`));
    expect(shared.emulator.state().monitors).toHaveLength(1);
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.json', 'cdk.out', 'private']);
    expect(readdirSync(join(dir, 'private'))).toEqual(['state.json']);
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

const ROOT = join(__dirname, '..', '..');

/** Runs the CLI from source in a process of its own (through tsx), so that it gets real signals. */
function spawnCli(dir: string, argv: string[]) {
  const runner = join(dir, 'run.ts');
  writeFileSync(runner, `import { _cli } from ${JSON.stringify(join(ROOT, 'src', 'cli', 'main'))};\n_cli(process.argv.slice(2));\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', runner, ...argv], { cwd: ROOT, env: { ...process.env, MACKEREL_APIKEY: shared.emulator.apiKey } });
  const output = { out: '', err: '' };
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (b: Buffer) => {
    output.out += b.toString();
    waiters.forEach((w) => w());
  });
  child.stderr.on('data', (b: Buffer) => {
    output.err += b.toString();
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const printed = (pattern: RegExp) => new Promise<void>((done) => {
    const check = () => pattern.test(output.out) && done();
    waiters.push(check);
    check();
  });
  return { child, output, exited, printed };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('Ctrl-C or SIGTERM during an apply', () => {
  test('the first signal lets the operation in flight finish and records it, then stops as a failure; the next apply finishes without a duplicate', async () => {
    const dir = workDir();
    const state = join(dir, '.mackerel-state.json');
    const assembly = synth(dir, { name: 'shop', late: true });
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', delayMs: 1500, times: 1 });
    const run = spawnCli(dir, ['apply', assembly, '--api-base', shared.emulator.url]);
    await run.printed(/created +Service/);
    await sleep(300); // the create of the monitor Alive is in flight
    run.child.kill('SIGINT');
    const code = await run.exited;

    expect(code).toBe(130);
    expect(run.output.err).toMatch(/^cdk-mackerel: SIGINT received: stopping after the operation in flight \(creating Monitor Shop\/Alive\w+\) finishes, which is recorded in the state; send it again to stop at once$/m);
    expect(run.output.err).toMatch(new RegExp(`cdk-mackerel: stopped by SIGINT before creating Monitor Shop/ZLate\\w+; what succeeded is saved in ${escape(state)}, run apply again to finish\n$`));
    expect(run.output.out).toMatch(/created +Monitor +Shop\/Alive\w+/);
    expect(monitorScopes()).toEqual([['alive', ['shop']]]);
    expect(Object.values(readState(state).stacks.Shop.resources).map((r) => r.type).sort()).toEqual(['Custom::MackerelMonitor', 'Custom::MackerelService']);
    expect(existsSync(`${state}.lock`)).toBe(false);

    const again = await cli(['apply', assembly, '--api-base', shared.emulator.url]);
    expect(again.err).toBe('');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/created +Monitor +Shop\/ZLate/);
    expect(monitorScopes().map(([name]) => name).sort()).toEqual(['alive', 'late']);
  });

  test('a signal during the last operation leaves nothing to stop: the apply finishes whole, says so, and exits 130 as interrupted', async () => {
    const dir = workDir();
    const state = join(dir, '.mackerel-state.json');
    const assembly = synth(dir, { name: 'shop' });
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', delayMs: 1500, times: 1 });
    const run = spawnCli(dir, ['apply', assembly, '--api-base', shared.emulator.url]);
    await run.printed(/created +Service/);
    await sleep(300); // the create of the monitor Alive, the last operation, is in flight
    run.child.kill('SIGINT');
    const code = await run.exited;

    // THEN the run is complete, yet reported as interrupted: a script running it stops as Ctrl-C asked
    expect(code).toBe(130);
    expect(run.output.out).toMatch(/^Done: 2 created\.$/m);
    expect(run.output.err).toMatch(new RegExp(`\ncdk-mackerel: stopped by SIGINT after the last operation: none was left to send, so the apply finished, and ${escape(state)} holds all of it\n$`));
    expect(run.output.err).not.toMatch(/run apply again/);
    expect(Object.values(readState(state).stacks.Shop.resources).map((r) => r.type).sort()).toEqual(['Custom::MackerelMonitor', 'Custom::MackerelService']);
    expect(existsSync(`${state}.lock`)).toBe(false);
    expect((await cli(['diff', assembly, '--api-base', shared.emulator.url])).out).toBe('No differences.');
  });

  test('a signal during an operation that then fails exits 130 as interrupted, not 2 as an ordinary failure', async () => {
    const dir = workDir();
    const assembly = synth(dir, { name: 'shop', late: true });
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', delayMs: 1500, status: 400, body: { error: { message: 'bad monitor' } }, times: 1 });
    const run = spawnCli(dir, ['apply', assembly, '--api-base', shared.emulator.url]);
    await run.printed(/created +Service/);
    await sleep(300); // the create of the monitor Alive is in flight, and Mackerel refuses it
    run.child.kill('SIGINT');
    const code = await run.exited;

    expect(run.output.err).toMatch(/^cdk-mackerel: SIGINT received: stopping after the operation in flight/m);
    expect(run.output.err).toMatch(/Alive\w*: Create failed: .*400.*bad monitor.*; what succeeded is saved in .*; fix the template, then apply again/);
    expect(code).toBe(130);
  });

  test('a second signal stops at once, warning that the object in flight may exist in Mackerel', async () => {
    const dir = workDir();
    const state = join(dir, '.mackerel-state.json');
    const assembly = synth(dir, { name: 'shop' });
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', delayMs: 1500, times: 1 });
    const run = spawnCli(dir, ['apply', assembly, '--api-base', shared.emulator.url]);
    await run.printed(/created +Service/);
    await sleep(300);
    run.child.kill('SIGINT');
    await sleep(100);
    run.child.kill('SIGTERM');
    const code = await run.exited;

    expect(code).toBe(143);
    expect(run.output.err).toMatch(/^cdk-mackerel: SIGTERM received again: stopping at once\. The operation in flight \(creating Monitor Shop\/Alive\w+\) may have made or changed its object in Mackerel without the state recording it: check Mackerel for it before the next apply, which would make it again$/m);
    // Stopped before the create returned: the state does not hold the monitor, and the lock is gone.
    expect(Object.values(readState(state).stacks.Shop.resources).map((r) => r.type)).toEqual(['Custom::MackerelService']);
    expect(existsSync(`${state}.lock`)).toBe(false);
    await sleep(1500); // the emulator finishes the delayed create
  });
});

/**
 * Runs the CLI in-process with `--verbose`, sending it SIGINT when it says it retries a Mackerel call:
 * its exit code, and the lines it wrote to stderr but the retry's.
 */
async function interruptedAtRetry(argv: string[]): Promise<{ err: string[]; code: number }> {
  const err: string[] = [];
  const code = await _main([...argv, '--verbose'], {
    out: () => undefined,
    err: (line) => {
      if (/retrying Mackerel call/.test(line)) queueMicrotask(() => process.emit('SIGINT', 'SIGINT'));
      else err.push(line);
    },
    env: {},
    cwd: process.cwd(),
  });
  return { err, code };
}

/**
 * Runs the CLI in this process and sends it `signal` (to the handlers it installs on the process,
 * which stand in for the default of ending it) once it prints a line `when` matches, after
 * `before` runs: what a real signal does, at a point a test can choose.
 */
async function signalledRun(argv: string[], when: RegExp, signal: NodeJS.Signals, before: () => void = () => undefined) {
  expect(process.listenerCount(signal)).toBe(0);
  const out: string[] = [];
  const err: string[] = [];
  const code = await _main(argv, {
    out: (line) => {
      out.push(line);
      if (!when.test(line)) return;
      before();
      // Once what printed the line has gone on to its next step (an emulator's wait), before anything else happens.
      queueMicrotask(() => process.emit(signal, signal));
    },
    err: (line) => err.push(line),
    env: {},
    cwd: process.cwd(),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the exit code of a run a signal stopped', () => {
  test('apply --emulator whose emulator objects cannot be saved after Ctrl-C exits 130 as interrupted, saying why on stderr', async () => {
    // GIVEN an apply of one object, whose emulator file becomes a directory once the object is made and saved
    const dir = workDir();
    const template = join(dir, 'Shop.template.json');
    writeFileSync(template, JSON.stringify({ Resources: { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } } }));
    const data = join(dir, 'objects.json');
    const unwritable = () => {
      rmSync(data, { force: true });
      mkdirSync(join(data, 'in-the-way'), { recursive: true });
    };

    // WHEN Ctrl-C comes after its last operation
    const run = await signalledRun(['apply', template, '--emulator', '--emulator-state', data, '--state', join(dir, 'state.json')], /\] created /, 'SIGINT', unwritable);

    // THEN it exits as interrupted, and says both that it was and that the save failed
    expect(run.out).toMatch(/^Done: 1 created\.$/m);
    expect(run.err).toMatch(/^cdk-mackerel: stopped by SIGINT after the last operation: none was left to send/m);
    expect(run.err).toMatch(new RegExp(`^cdk-mackerel: could not save the emulator's objects to ${escape(data)} \\(.+\\)$`, 'm'));
    expect(run.code).toBe(130);
  });

  test('a signal before the first operation, while apply reads Mackerel and plans, says none is in flight and stops with nothing changed', async () => {
    const dir = workDir();
    const template = join(dir, 'Shop.template.json');
    writeFileSync(template, JSON.stringify({ Resources: { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } } }));

    // WHEN Ctrl-C comes while the run's first read of Mackerel (GET /api/v0/org) waits to be retried, before it sends anything
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 503, times: 1 });
    expect(process.listenerCount('SIGINT')).toBe(0);
    const { err, code } = await interruptedAtRetry(['apply', template, '--api-base', shared.emulator.url, '--state', join(dir, 'state.json')]);

    // THEN it names no operation to wait for, and nothing was made
    expect(err).toEqual([
      'cdk-mackerel: SIGINT received: stopping before the next operation is sent (none is in flight); send it again to stop at once',
      'cdk-mackerel: stopped by SIGINT before creating Service Shop/Shop; nothing was changed',
    ]);
    expect(code).toBe(130);
    expect(services()).toEqual([]);
  });

  test('a signal while apply reads Mackerel, with nothing to change, says the run stopped with no operation to send, not after the last', async () => {
    const dir = workDir();
    const template = join(dir, 'Shop.template.json');
    writeFileSync(template, JSON.stringify({ Resources: { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } } }));
    const args = ['apply', template, '--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await cli(args)).code).toBe(0);

    // WHEN Ctrl-C comes during the first read of Mackerel of a run the template asks nothing of
    shared.emulator.injectFault({ method: 'GET', path: '/api/v0/org', status: 503, times: 1 });
    const { err, code } = await interruptedAtRetry(args);

    // THEN the last line names no operation it came after, as none was sent
    expect(err).toEqual([
      'cdk-mackerel: SIGINT received: stopping before the next operation is sent (none is in flight); send it again to stop at once',
      `cdk-mackerel: stopped by SIGINT with no operation to send, so the apply finished, and ${join(dir, 'state.json')} holds all of it`,
    ]);
    expect(code).toBe(130);
    expect(services()).toEqual(['shop']);
  });

  for (const [signal, exitCode] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    test(`emulator stopped by ${signal} saves its objects and exits ${exitCode}, as a shell expects of a command that signal ended`, async () => {
      const file = join(workDir(), 'e.json');
      const run = await signalledRun(['emulator', '--port', '0', '--emulator-state', file], /^Apply to it with/, signal);
      expect(run.out).toMatch(/^Saved the emulator's objects to \S+e\.json\.$/m);
      expect(existsSync(file)).toBe(true);
      expect(run.code).toBe(exitCode);
      expect(process.listenerCount(signal)).toBe(0);
    });
  }

  test('emulator whose objects cannot be saved after Ctrl-C still exits 130, saying why on stderr', async () => {
    const file = join(workDir(), 'e.json');
    const run = await signalledRun(['emulator', '--port', '0', '--emulator-state', file], /^Apply to it with/, 'SIGINT', () => mkdirSync(join(file, 'in-the-way'), { recursive: true }));
    expect(run.err).toMatch(new RegExp(`^cdk-mackerel: could not save the emulator's objects to ${escape(file)} \\(.+\\)$`));
    expect(run.code).toBe(130);
  });
});
