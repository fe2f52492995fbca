import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { beforeEach, describe, expect, test } from 'vitest';
import { addProvider, cli, Run, synthStack, useEmulatorPerFile, workDir } from './_fixture';
import { ConnectivityMonitor, MonitorScope } from '../../src/monitors';
import { MackerelService, MackerelServiceMetadata } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

/** The stack Shop: service shop with role web, metadata on both. */
function synth(dir: string, team: string, runbookNamespace = 'runbook'): string {
  return synthStack(dir, (stack) => {
    const shop = new MackerelService(stack, 'Service', { name: 'shop' });
    const web = shop.addRole('web');
    shop.addMetadata('Owner', 'owner', { team, oncall: 3, paging: true });
    web.addMetadata('Runbook', runbookNamespace, ['https://wiki.example.com/web']);
  });
}

async function put(path: string, body: unknown): Promise<number> {
  const response = await fetch(new URL(`api/v0${path}`, shared.emulator.url), {
    method: 'PUT',
    headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.status;
}

test('service and role metadata: apply writes the values with their types, diff is clean, a change is in place or a replacement, drift in Mackerel shows', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const serviceMetadata = () => shared.emulator.state().services.find((s: any) => s.name === 'shop')?.metadata;
  const roleMetadata = () => shared.emulator.state().services.find((s: any) => s.name === 'shop')?.roles.find((r: any) => r.name === 'web')?.metadata;

  let assembly = synth(dir, 'payments');
  let run = await cli(['apply', assembly, ...base]);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/created\s+ServiceMetadata\s+Shop\/ServiceOwner\w* shop\/owner/);
  expect(run.out).toMatch(/created\s+RoleMetadata\s+Shop\/Serviceweb\w* shop:web\/runbook/);
  expect(serviceMetadata()).toMatchObject({ owner: { team: 'payments', oncall: 3, paging: true } });
  expect(roleMetadata()).toMatchObject({ runbook: ['https://wiki.example.com/web'] });

  // nothing changed: no differences, and Mackerel's key order of the value is no drift
  expect(await put('/services/shop/metadata/owner', { paging: true, oncall: 3, team: 'payments' })).toBe(200);
  run = await cli(['diff', assembly, ...base]);
  expect(run.out).toBe('No differences.');
  expect(run.code).toBe(0);

  // a new value is an update in place; a new namespace replaces the role's metadata
  assembly = synth(dir, 'platform', 'docs');
  run = await cli(['diff', assembly, ...base]);
  expect(run.code).toBe(1);
  expect(run.out).toMatch(/~ update\s+ServiceMetadata\s+Shop\/ServiceOwner\w* shop\/owner\n\s+metadata: /);
  expect(run.out).toMatch(/! replace\s+RoleMetadata\s+Shop\/Serviceweb\w*[^\n]*\n(\s+.*\n)*\s+namespace: "runbook" -> "docs"/);
  run = await cli(['apply', assembly, ...base]);
  expect(run.code).toBe(0);
  expect(serviceMetadata()).toMatchObject({ owner: { team: 'platform', oncall: 3, paging: true } });
  expect(Object.keys(roleMetadata() ?? {})).not.toContain('runbook');
  expect(roleMetadata()).toMatchObject({ docs: ['https://wiki.example.com/web'] });
  expect((await cli(['diff', assembly, ...base])).out).toBe('No differences.');

  // a value changed in Mackerel is drift, field by field, a number turned into a string too
  expect(await put('/services/shop/metadata/owner', { team: 'platform', oncall: 4, paging: 'true' })).toBe(200);
  run = await cli(['diff', assembly, ...base]);
  expect(run.code).toBe(3);
  expect(run.out).toMatch(/~ drift\s+ServiceMetadata\s+Shop\/ServiceOwner\w*[^\n]*\n\s+metadata\.oncall: 3 -> 4\n\s+metadata\.paging: true -> "true"\n/);

  // a namespace deleted in Mackerel is gone
  const deleted = await fetch(new URL('api/v0/services/shop/roles/web/metadata/docs', shared.emulator.url), { method: 'DELETE', headers: { 'X-Api-Key': shared.emulator.apiKey } });
  expect(deleted.status).toBe(200);
  run = await cli(['diff', assembly, ...base]);
  expect(run.out).toMatch(/\? gone\s+RoleMetadata\s+Shop\/Serviceweb\w* shop:web\/docs/);
});

test('a metadata construct moved to a new id keeps the value: the old resource\'s delete leaves the namespace the new one holds', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synthMoved = (id: string, team: string) => synthStack(dir, (stack) => {
    new MackerelService(stack, 'Service', { name: 'shop' }).addMetadata(id, 'owner', { team });
  });
  expect((await cli(['apply', synthMoved('Owner', 'a'), ...base])).code).toBe(0);

  // diff says move, with the value the take-over writes, as apply says moved (not create and delete)
  const diff = await cli(['diff', synthMoved('Moved', 'b'), ...base]);
  expect(diff.out).toMatch(/^> move +ServiceMetadata +Shop\/ServiceOwner\w* -> Shop\/ServiceMoved\w* shop\/owner \(a new logical ID takes the object over; it stays in Mackerel\)\n {6}metadata: "\{\\"team\\":\\"a\\"\}" -> "\{\\"team\\":\\"b\\"\}"\n1 to move\.$/);
  const run = await cli(['apply', synthMoved('Moved', 'b'), ...base]);

  expect(run.code).toBe(0);
  expect(run.out).toMatch(/\] moved\s+ServiceMetadata\s+Shop\/ServiceOwner\w* -> Shop\/ServiceMoved\w* shop\/owner\n/);
  expect(run.out).toMatch(/released\s+ServiceMetadata\s+Shop\/ServiceOwner\w* shop\/owner \(taken over by Shop\/ServiceMoved\w*; it stays in Mackerel\)/);
  expect(shared.emulator.state().services[0].metadata.owner).toEqual({ team: 'b' });
  expect((await cli(['diff', synthMoved('Moved', 'b'), ...base])).out).toBe('No differences.');
});

/** A fresh app in `dir`/cdk.out with stacks Base (service shop) and Ops (after Base), each with a provider. */
function baseAndOps(dir: string): { app: App; outdir: string; base: Stack; ops: Stack; shop: MackerelService } {
  const outdir = join(dir, 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir });
  const [base, ops] = ['Base', 'Ops'].map((name) => {
    const stack = new Stack(app, name);
    addProvider(stack);
    return stack;
  });
  ops.addDependency(base);
  const shop = new MackerelService(base, 'Service', { name: 'shop' });
  return { app, outdir, base, ops, shop };
}

/**
 * Stacks Base (service shop) and Ops: the metadata of shop is in Base, or in Ops (a construct moved
 * to another stack, naming the service by name); Ops deploys after Base.
 */
function synthAcrossStacks(dir: string, inOps: boolean, team: string): string {
  const { app, outdir, ops, shop } = baseAndOps(dir);
  if (inOps) {
    new MackerelServiceMetadata(ops, 'Owner', { service: MackerelService.fromName(ops, 'Shop', 'shop'), namespace: 'owner', metadata: { team } });
  } else {
    shop.addMetadata('Owner', 'owner', { team });
  }
  app.synth();
  return outdir;
}

test('a metadata construct moved to another stack keeps the value: the old stack\'s delete leaves the namespace the new stack\'s resource holds', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  expect((await cli(['apply', synthAcrossStacks(dir, false, 'a'), ...base])).code).toBe(0);

  for (const team of ['a', 'b']) {
    expect((await cli(['apply', synthAcrossStacks(dir, false, 'a'), ...base])).code).toBe(0);
    // diff predicts what apply does: the old resource's delete leaves the namespace to Ops.
    const diff = await cli(['diff', synthAcrossStacks(dir, true, team), ...base]);
    expect(diff.out).toMatch(/^- leave +ServiceMetadata +Base\/ServiceOwner\w* shop\/owner \(not deleted: another resource holds this namespace \(a moved construct\); it stays in Mackerel\)$/m);
    expect(diff.out).not.toMatch(/- delete/);
    const run = await cli(['apply', synthAcrossStacks(dir, true, team), ...base]);

    expect(run.code).toBe(0);
    expect(run.out).toMatch(/left\s+ServiceMetadata\s+Base\/ServiceOwner\w* shop\/owner \(not deleted: another resource holds this namespace \(a moved construct\); it stays/);
    expect(shared.emulator.state().services[0].metadata.owner).toEqual({ team });
    expect((await cli(['diff', synthAcrossStacks(dir, true, team), ...base])).out).toBe('No differences.');
  }

  // destroy deletes the namespace once, with the resource that holds it
  const run = await cli(['apply', synthAcrossStacks(dir, true, 'b'), '--destroy', ...base]);
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/deleted\s+ServiceMetadata\s+Ops\/Owner\w* shop\/owner/);
  expect(shared.emulator.state().services).toEqual([]);
});

describe('one namespace of a service whose name is a token at synth, written from two stacks', () => {
  /**
   * Stacks Base (service shop, named by a parameter, so synthesis cannot compare names) and Ops,
   * each with the metadata namespace owner of it where `writers` says.
   */
  function synthTokenNamed(dir: string, writers: { base: boolean; ops: boolean }): string {
    const outdir = join(dir, 'cdk.out');
    rmSync(outdir, { recursive: true, force: true });
    const app = new App({ outdir });
    const [base, ops] = ['Base', 'Ops'].map((name) => {
      const stack = new Stack(app, name);
      addProvider(stack);
      return stack;
    });
    const shop = new MackerelService(base, 'Service', { name: new CfnParameter(base, 'ServiceName', { default: 'shop' }).valueAsString });
    if (writers.base) new MackerelServiceMetadata(base, 'Owner', { service: shop, namespace: 'owner', metadata: { team: 'base' } });
    if (writers.ops) new MackerelServiceMetadata(ops, 'Owner', { service: shop, namespace: 'owner', metadata: { team: 'ops' } });
    app.synth();
    return outdir;
  }
  const refusal = 'Ops/Owner\\w+ would write namespace "owner" of service "shop", which Custom::MackerelServiceMetadata Base/Owner\\w+ writes too and keeps '
    + 'after this run, so each would overwrite the other\'s value \\(synthesis could not tell: the service\'s name was a token there, or the stacks\' '
    + 'providers have different API keys\\); expected each namespace of a service written by one construct: give one of them another namespace, or, '
    + 'to move it to stack Ops, remove it from stack Base in the same apply';
  const sent = () => shared.emulator.requests().filter((r) => r.method !== 'GET').length;

  test('is refused by apply before anything is sent, and by diff: synthesis could not tell, and each would overwrite the other\'s value', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const both = synthTokenNamed(dir, { base: true, ops: true });

    const diff = await cli(['diff', both, ...base]);
    const apply = await cli(['apply', both, ...base]);

    expect([diff.code, diff.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: apply would refuse this run: ${refusal}$`))]);
    expect([apply.code, apply.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: ${refusal}; nothing was changed$`))]);
    expect(sent()).toBe(0);
  });

  test('with --stack, is refused while the stack left out still writes it; a move applied stack by stack is not', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await cli(['apply', synthTokenNamed(dir, { base: true, ops: false }), ...base])).code).toBe(0);

    const both = await cli(['apply', synthTokenNamed(dir, { base: true, ops: true }), ...base, '--stack', 'Ops']);
    expect([both.code, both.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: ${refusal}; nothing was changed$`))]);
    expect(shared.emulator.state().services[0].metadata.owner).toEqual({ team: 'base' });

    // The construct moved: Ops takes the namespace over first, then Base's delete leaves it to Ops.
    const moved = synthTokenNamed(dir, { base: false, ops: true });
    expect((await cli(['apply', moved, ...base, '--stack', 'Ops'])).code).toBe(0);
    expect((await cli(['diff', moved, ...base, '--stack', 'Base'])).out).toMatch(/^- leave +ServiceMetadata +Base\/Owner\w* shop\/owner \(not deleted: another resource holds this namespace/m);
    const released = await cli(['apply', moved, ...base, '--stack', 'Base']);
    expect(released.out).toMatch(/left\s+ServiceMetadata\s+Base\/Owner\w* shop\/owner/);
    expect(shared.emulator.state().services[0].metadata.owner).toEqual({ team: 'ops' });
  });
});

test('metadata with removalPolicy RETAIN stays in Mackerel when its construct goes; added back with the same value it is taken, with another it is refused', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synthKept = (team?: string) => synthStack(dir, (stack) => {
    const shop = new MackerelService(stack, 'Service', { name: 'shop' });
    if (team) shop.addMetadata('Owner', 'owner', { team }, { removalPolicy: RemovalPolicy.RETAIN });
  });
  expect((await cli(['apply', synthKept('a'), ...base])).code).toBe(0);

  let run = await cli(['apply', synthKept(), ...base]);
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/retained\s+ServiceMetadata\s+Shop\/ServiceOwner\w* shop\/owner/);
  expect(shared.emulator.state().services[0].metadata.owner).toEqual({ team: 'a' });

  run = await cli(['apply', synthKept('b'), ...base]);
  expect(run.code).not.toBe(0);
  expect(run.err).toMatch(/service "shop" metadata "owner" already exists in Mackerel with another value, which this stack did not write/);
  // another run fails the same way, and apply says so
  expect(run.err).toMatch(/; give it another name in the template, or free that one in Mackerel, then apply again \(as it is, another run fails the same way\)$/);
  expect(shared.emulator.state().services[0].metadata.owner).toEqual({ team: 'a' });

  run = await cli(['apply', synthKept('a'), ...base]);
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/created\s+ServiceMetadata\s+Shop\/ServiceOwner\w* shop\/owner/);
  expect((await cli(['diff', synthKept('a'), ...base])).out).toBe('No differences.');
});

describe('after an apply that stopped before its cleanup', () => {
  interface Where {
    /** The id of the metadata construct in Base, and its namespace. @default none */
    readonly base?: { readonly id: string; readonly namespace: string };
    /** The namespace of a metadata construct in Ops. @default none */
    readonly ops?: string;
    /** A monitor in Ops, created last: with a fault on POST /monitors, the apply stops there, before any cleanup. */
    readonly late?: boolean;
  }

  /** Stacks Base (service shop) and Ops (after Base), with metadata of shop where `where` says. */
  function synthWhere(dir: string, where: Where): string {
    const { app, outdir, base, ops, shop } = baseAndOps(dir);
    if (where.base) new MackerelServiceMetadata(base, where.base.id, { service: shop, namespace: where.base.namespace, metadata: { team: 'a' } });
    if (where.ops) new MackerelServiceMetadata(ops, 'Owner', { service: MackerelService.fromName(ops, 'Shop', 'shop'), namespace: where.ops, metadata: { team: 'a' } });
    if (where.late) new ConnectivityMonitor(ops, 'ZLate', { name: 'late', scopes: [MonitorScope.of('shop')] });
    app.synth();
    return outdir;
  }

  /** Applies `first`, then `second` stopped at its late monitor, then diffs and applies `third`. */
  async function stoppedThen(first: Where, second: Where, third: Where): Promise<{ diff: Run; apply: Run; base: string[]; assembly: string }> {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    expect((await cli(['apply', synthWhere(dir, first), ...base])).code).toBe(0);
    shared.emulator.injectFault({ method: 'POST', path: '/api/v0/monitors', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
    const stopped = await cli(['apply', synthWhere(dir, second), ...base, '--timeout', '2']);
    shared.emulator.clearFaults();
    expect(stopped.err).toMatch(/ZLate.*500.*run apply again to finish$/);
    const assembly = synthWhere(dir, third);
    return { diff: await cli(['diff', assembly, ...base]), apply: await cli(['apply', assembly, ...base]), base, assembly };
  }
  const owner = () => shared.emulator.state().services[0].metadata.owner;
  const leave = 'not deleted: another resource holds this namespace \\(a moved construct\\); it stays in Mackerel';

  test('a move within a stack, then removed: diff says the old resource\'s delete is left, as apply leaves it, and the last one deletes the namespace', async () => {
    const { diff, apply } = await stoppedThen({ base: { id: 'Owner', namespace: 'owner' } }, { base: { id: 'Moved', namespace: 'owner' }, late: true }, {});

    expect(diff.out).toMatch(new RegExp(`^- leave +ServiceMetadata +Base/Owner\\w+ shop/owner \\(${leave}\\)$`, 'm'));
    expect(diff.out).toMatch(/^- delete +ServiceMetadata +Base\/Moved\w+ shop\/owner$/m);
    expect(apply.out).toMatch(new RegExp(`left +ServiceMetadata +Base/Owner\\w+ shop/owner \\(${leave}\\)$`, 'm'));
    expect(apply.out).toMatch(/deleted +ServiceMetadata +Base\/Moved\w+ shop\/owner$/m);
    expect(owner()).toBeUndefined();
  });

  test('a move to another stack, then removed from both: diff says what apply does, stack by stack', async () => {
    const { diff, apply } = await stoppedThen({ base: { id: 'Owner', namespace: 'owner' } }, { ops: 'owner', late: true }, {});

    // Ops, which depends on Base, is cleaned up first: Base still holds the namespace then.
    expect(diff.out).toMatch(new RegExp(`^- leave +ServiceMetadata +Ops/Owner\\w+ shop/owner \\(${leave}\\)$`, 'm'));
    expect(diff.out).toMatch(/^- delete +ServiceMetadata +Base\/Owner\w+ shop\/owner$/m);
    expect(apply.out).toMatch(new RegExp(`left +ServiceMetadata +Ops/Owner\\w+ shop/owner \\(${leave}\\)$`, 'm'));
    expect(apply.out).toMatch(/deleted +ServiceMetadata +Base\/Owner\w+ shop\/owner$/m);
    expect(owner()).toBeUndefined();
  });

  test('a new namespace reverted: the old one, which the replacement left to delete, is the resource\'s again, and diff shows no delete of it', async () => {
    const { diff, apply, base, assembly } = await stoppedThen(
      { base: { id: 'Owner', namespace: 'owner' } }, { base: { id: 'Owner', namespace: 'owner2' }, late: true }, { base: { id: 'Owner', namespace: 'owner' } });

    expect(diff.out).toMatch(/^! replace +ServiceMetadata +Base\/Owner\w+ shop\/owner2 \(new Mackerel ID; the old object is deleted\)$/m);
    expect(diff.out).not.toMatch(/- delete/);
    expect(apply.out).toMatch(/released +ServiceMetadata +Base\/Owner\w+ shop\/owner \(taken over by Base\/Owner\w+; it stays in Mackerel\)$/m);
    expect(owner()).toEqual({ team: 'a' });
    expect((await cli(['diff', assembly, ...base])).out).toBe('No differences.');
  });

  test('the old namespace a replacement left to delete, written by another stack in the next run, is not deleted, and diff shows no delete of it', async () => {
    const { diff, apply, base, assembly } = await stoppedThen(
      { base: { id: 'Owner', namespace: 'owner' } }, { base: { id: 'Owner', namespace: 'owner2' }, late: true }, { base: { id: 'Owner', namespace: 'owner2' }, ops: 'owner' });

    expect(diff.out).toMatch(/^\+ create +ServiceMetadata +Ops\/Owner\w+\n/m);
    expect(diff.out).not.toMatch(/- delete/);
    expect(apply.out).toMatch(/released +ServiceMetadata +Base\/Owner\w+ shop\/owner \(taken over by Ops\/Owner\w+; it stays in Mackerel\)$/m);
    expect(owner()).toEqual({ team: 'a' });
    expect((await cli(['diff', assembly, ...base])).out).toBe('No differences.');
  });
});
