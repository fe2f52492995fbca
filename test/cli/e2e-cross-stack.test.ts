import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { beforeEach, describe, expect, test } from 'vitest';
import { addProvider, cli, readState, synthCrossStack, synthStack, synthStacks, useEmulatorPerFile, workDir } from './_fixture';
import { ExternalHttpMonitor, HostMetricMonitor, MonitorOperator, MonitorScope } from '../../src/monitors';
import { MackerelRole, MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

describe('a monitor scoped to a service of another stack, against the emulator', () => {
  test('diff, apply, a clean diff and destroy', async () => {
    // GIVEN the CDK's export in ZBase and Fn::ImportValue in AMonitors, AMonitors listed first
    const dir = workDir();
    const assembly = synthCrossStack(dir);
    const base = ['--api-base', shared.emulator.url];

    // WHEN diffed before the first apply, THEN the imported service reads its name (its ID)
    let run = await cli(['diff', assembly, ...base]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/\+ create\s+Service\s+ZBase\/Service\w* "shop"[^\n]*\n(\s+.*\n)*\+ create\s+Monitor\s+AMonitors\/Cpu\w* "cpu"/);
    expect(run.out).toMatch(/scopes: \["shop"\]/);

    // WHEN applied, THEN the service is created first and the monitor is scoped to it
    run = await cli(['apply', assembly, ...base]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Applying ZBase, AMonitors against/);
    expect(run.out).toMatch(/\[1\/2\] created\s+Service\s+ZBase\/Service\w* shop "shop"\n\[2\/2\] created\s+Monitor\s+AMonitors\/Cpu\w* \S+ "cpu"/);
    expect(shared.emulator.state().monitors).toEqual([expect.objectContaining({ name: 'cpu', scopes: ['shop'] })]);

    // and the next diff finds nothing
    run = await cli(['diff', assembly, ...base]);
    expect(run.out).toBe('No differences.');

    // WHEN destroyed, THEN the monitor goes before the service it imports
    run = await cli(['apply', assembly, ...base, '--destroy']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\[1\/2\] deleted\s+Monitor\s+AMonitors\/Cpu\w*[^\n]*\n\[2\/2\] deleted\s+Service\s+ZBase\/Service\w*/);
    expect(shared.emulator.state()).toMatchObject({ services: [], monitors: [] });
    expect(readState(join(dir, '.mackerel-state.json')).stacks).toEqual({});
  });

  test('--stack of the importing stack before the exporting stack is applied changes nothing and says why', async () => {
    const dir = workDir();
    const run = await cli(['apply', synthCrossStack(dir), '--api-base', shared.emulator.url, '--stack', 'AMonitors']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: AMonitors: Fn::ImportValue "ZBase:ExportsOutputRefService\w+" \(output \w+ of stack ZBase\): ZBase\/Service\w* is not applied yet; apply stack ZBase first; nothing was changed$/);
    expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toEqual([]);

    // and diff says the same, rather than showing creates apply would never make
    const diff = await cli(['diff', synthCrossStack(dir), '--api-base', shared.emulator.url, '--stack', 'AMonitors']);
    expect(diff.code).toBe(2);
    expect(diff.out).toBe('');
    expect(diff.err).toMatch(/^cdk-mackerel: apply would refuse this run: AMonitors: Fn::ImportValue "ZBase:ExportsOutputRefService\w+" \(output \w+ of stack ZBase\): ZBase\/Service\w* is not applied yet; apply stack ZBase first$/);
  });

  test('--stack of a stack whose dependency is not applied yet says so, as cdk deploy would deploy that stack first', async () => {
    const dir = workDir();
    const assembly = synthCrossStack(dir, 'dependency');
    const base = ['--api-base', shared.emulator.url, '--stack', 'AMonitors'];
    const notice = 'notice: stack AMonitors depends on stack ZBase, whose 1 Mackerel resource(s) are not applied yet (the state holds none): '
      + '--stack applies AMonitors alone, so an object it names there may not exist; apply --stack ZBase first, or run without --stack';
    const diff = await cli(['diff', assembly, ...base]);
    expect(diff.code).toBe(1);
    expect(diff.err).toBe(notice);
    const apply = await cli(['apply', assembly, ...base]);
    expect(apply.code).toBe(0);
    expect(apply.err).toBe(notice);

    // once the dependency is applied, nothing to say
    expect((await cli(['apply', assembly, '--api-base', shared.emulator.url, '--stack', 'ZBase'])).code).toBe(0);
    expect((await cli(['diff', assembly, ...base])).err).toBe('');
    expect((await cli(['apply', assembly, ...base])).err).toBe('');
  });

  test('--stack of the exporting stack is refused when it would replace a service the applied importing stack is scoped to', async () => {
    // GIVEN both stacks applied
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    await cli(['apply', synthCrossStack(dir), ...base]);
    const before = shared.emulator.requests().filter((r) => r.method !== 'GET').length;

    // WHEN the service is renamed (a replacement) and only ZBase is applied
    const run = await cli(['apply', synthCrossStack(dir, 'reference', 'shop2'), ...base, '--stack', 'ZBase']);

    // THEN nothing is sent and the error names the importing stack and the way out
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: stack ZBase would change the value of export "ZBase:ExportsOutputRefService\w+", which stack AMonitors imports and is applied \(left out by --stack\); apply without --stack, or remove the import from AMonitors and apply it first \(CloudFormation refuses to change an export in use\); nothing was changed$/);
    expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toHaveLength(before);
    expect(shared.emulator.state().services.map((s) => s.name)).toEqual(['shop']);

    // and diff reports the same refusal
    const diff = await cli(['diff', synthCrossStack(dir, 'reference', 'shop2'), ...base, '--stack', 'ZBase']);
    expect(diff.code).toBe(2);
    expect(diff.err).toMatch(/^cdk-mackerel: apply would refuse this run: stack ZBase would change the value of export "ZBase:ExportsOutputRefService\w+", which stack AMonitors imports/);
  });

  test('with weak references (Fn::GetStackOutput): diff, apply, a clean diff, --stack before the read stack is applied, and destroy', async () => {
    // GIVEN ZBase's plain output and AMonitors' Fn::GetStackOutput, AMonitors listed first
    const dir = workDir();
    const assembly = synthCrossStack(dir, 'weak');
    expect(readFileSync(join(assembly, 'AMonitors.template.json'), 'utf8')).toContain('Fn::GetStackOutput');
    const base = ['--api-base', shared.emulator.url];

    // WHEN only AMonitors is applied first, THEN nothing is sent and the error says why
    let run = await cli(['apply', assembly, ...base, '--stack', 'AMonitors']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^cdk-mackerel: AMonitors: Fn::GetStackOutput ZBase\.PublishOutputRefService\w+: ZBase\/Service\w* is not applied yet; apply stack ZBase first; nothing was changed$/);
    expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toEqual([]);

    // WHEN diffed, THEN the output reads the service's name (its ID)
    run = await cli(['diff', assembly, ...base]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/\+ create\s+Service\s+ZBase\/Service\w* "shop"[^\n]*\n(\s+.*\n)*\+ create\s+Monitor\s+AMonitors\/Cpu\w* "cpu"/);
    expect(run.out).toMatch(/scopes: \["shop"\]/);

    // WHEN applied, THEN ZBase goes first and the monitor is scoped to its service; the next diff finds nothing
    run = await cli(['apply', assembly, ...base]);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/^Applying ZBase, AMonitors against/);
    expect(shared.emulator.state().monitors).toEqual([expect.objectContaining({ name: 'cpu', scopes: ['shop'] })]);
    expect((await cli(['diff', assembly, ...base])).out).toBe('No differences.');

    // WHEN destroyed, THEN the monitor goes before the service it reads
    run = await cli(['apply', assembly, ...base, '--destroy']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\[1\/2\] deleted\s+Monitor\s+AMonitors\/Cpu\w*[^\n]*\n\[2\/2\] deleted\s+Service\s+ZBase\/Service\w*/);
    expect(shared.emulator.state()).toMatchObject({ services: [], monitors: [] });
  });
});

test('a service construct moved to another stack is refused before anything is sent: only its own stack takes it over, so the create fails on every run', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (where: string) => synthStacks(dir, ['A', 'B'], (stack) => {
    new MackerelService(stack, 'Other', { name: `other-${stack.stackName.toLowerCase()}` });
    if (stack.stackName === where) new MackerelService(stack, 'Shop', { name: 'shop' }).addRole('web');
  });
  expect((await cli(['apply', synth('A'), ...base])).code).toBe(0);
  const sent = shared.emulator.requests().filter((r) => r.method !== 'GET').length;

  const moved = synth('B');
  const diff = await cli(['diff', moved, ...base]);
  const apply = await cli(['apply', moved, ...base]);

  const why = 'B/Shop\\w+ would create the service "shop", which Custom::MackerelService A/Shop\\w+ holds; a service is taken over only by a resource of its own '
    + 'stack \\(a construct with a new id\\), and the handler refuses one another stack made, so the create would fail on every run\\. Keep the construct in '
    + 'stack A \\(another stack can refer to it with MackerelService\\.fromName\\(\\)\\), or remove it from A in one apply, which deletes it, and add it to B in the next';
  expect([diff.code, diff.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: apply would refuse this run: ${why}$`))]);
  expect([apply.code, apply.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: ${why}; nothing was changed$`))]);
  expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toHaveLength(sent);
});

test('a role construct moved to another stack is refused with the reference that stack can use instead: MackerelRole.fromFullName()', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (where: string) => synthStacks(dir, ['A', 'B'], (stack) => {
    const service = stack.stackName === 'A' ? new MackerelService(stack, 'Shop', { name: 'shop' }) : MackerelService.fromName(stack, 'Shop', 'shop');
    if (stack.stackName === where) new MackerelRole(stack, 'Web', { service, name: 'web' });
  });
  expect((await cli(['apply', synth('A'), ...base])).code).toBe(0);

  const moved = synth('B');
  const diff = await cli(['diff', moved, ...base]);
  const apply = await cli(['apply', moved, ...base]);

  const why = 'B/Web\\w+ would create the role "shop:web", which Custom::MackerelRole A/Web\\w+ holds; a role is taken over only by a resource of its own '
    + 'stack \\(a construct with a new id\\), and the handler refuses one another stack made, so the create would fail on every run\\. Keep the construct in '
    + 'stack A \\(another stack can refer to it with MackerelRole\\.fromFullName\\(\\)\\), or remove it from A in one apply, which deletes it, and add it to B in the next';
  expect([diff.code, diff.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: apply would refuse this run: ${why}$`))]);
  expect([apply.code, apply.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: ${why}; nothing was changed$`))]);
});

test('a service removed with its role of a stack that imports it: diff shows both deleted, as apply deletes the role first and then the service', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url];
  const synth = (withShop: boolean) => {
    const outdir = join(dir, 'cdk.out');
    const app = new App({ outdir });
    const env = { account: '111111111111', region: 'us-east-1' };
    const roles = new Stack(app, 'ARoles', { env });
    const services = new Stack(app, 'ZBase', { env });
    for (const stack of [roles, services]) {
      addProvider(stack);
      new MackerelService(stack, 'Other', { name: `other-${stack.stackName.toLowerCase()}` });
    }
    if (withShop) new MackerelRole(roles, 'Web', { service: new MackerelService(services, 'Service', { name: 'shop' }), name: 'web' });
    app.synth();
    return outdir;
  };
  expect((await cli(['apply', synth(true), ...base])).code).toBe(0);

  const removed = synth(false);
  const diff = await cli(['diff', removed, ...base]);
  const apply = await cli(['apply', removed, ...base]);

  // The role's stack imports the service: its cleanup comes first, and the service has no role left when its delete comes.
  expect(diff.out).toMatch(/^- delete\s+Role\s+ARoles\/Web\w* shop:web "web"$/m);
  expect(diff.out).toMatch(/^- delete\s+Service\s+ZBase\/Service\w* shop "shop"$/m);
  expect(diff.out).toMatch(/^2 to delete\.$/m);
  expect(apply.out).toMatch(/\[3\/4\] deleted\s+Role\s+ARoles\/Web\w*[^\n]*\n\[4\/4\] deleted\s+Service\s+ZBase\/Service\w* shop "shop"/);
  expect(shared.emulator.state().services.map((s) => s.name).sort()).toEqual(['other-aroles', 'other-zbase']);
});

test('a service renamed to the name another stack holds is refused before anything is sent, as its replacement creates one', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (nameInB: string) => synthStacks(dir, ['A', 'B'], (stack) => {
    new MackerelService(stack, 'Shop', { name: stack.stackName === 'A' ? 'shop' : nameInB });
  });
  expect((await cli(['apply', synth('shop2'), ...base])).code).toBe(0);
  const sent = shared.emulator.requests().filter((r) => r.method !== 'GET').length;

  const renamed = synth('shop');
  const diff = await cli(['diff', renamed, ...base]);
  const apply = await cli(['apply', renamed, ...base]);

  const why = 'B/Shop\\w+ would create the service "shop", which Custom::MackerelService A/Shop\\w+ holds; a service is taken over only by a resource of its own';
  expect([diff.code, diff.out, diff.err]).toEqual([2, '', expect.stringMatching(new RegExp(`^cdk-mackerel: apply would refuse this run: ${why}`))]);
  expect([apply.code, apply.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: ${why}.*; nothing was changed$`))]);
  expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toHaveLength(sent);
  expect(shared.emulator.state().services.map((s) => s.name).sort()).toEqual(['shop', 'shop2']);
});

test('a service created under the name of the old object of another stack\'s replacement, still to delete, is refused: that stack\'s cleanup comes after the create', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (nameInA: string, inB?: string) => synthStacks(dir, ['A', 'B'], (stack) => {
    new MackerelService(stack, 'Other', { name: `other-${stack.stackName.toLowerCase()}` });
    if (stack.stackName === 'A') new MackerelService(stack, 'Shop', { name: nameInA });
    if (stack.stackName === 'B' && inB) new MackerelService(stack, 'Shop', { name: inB });
  });
  expect((await cli(['apply', synth('shop'), ...base])).code).toBe(0);
  // A renames its service, and the apply stops before its cleanup deletes the old one
  shared.emulator.injectFault({ method: 'DELETE', path: '/api/v0/services/shop', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
  expect((await cli(['apply', synth('shop3'), ...base, '--timeout', '2'])).code).toBe(2);
  shared.emulator.clearFaults();
  const sent = shared.emulator.requests().filter((r) => r.method !== 'GET').length;

  const taken = synth('shop3', 'shop');
  const diff = await cli(['diff', taken, ...base]);
  const apply = await cli(['apply', taken, ...base]);

  const why = 'B/Shop\\w+ would create the service "shop", the old object of a replacement of Custom::MackerelService A/Shop\\w+, which this run deletes only after the create';
  expect([diff.code, diff.out, diff.err]).toEqual([2, '', expect.stringMatching(new RegExp(`^cdk-mackerel: apply would refuse this run: ${why}`))]);
  expect([apply.code, apply.err]).toEqual([2, expect.stringMatching(new RegExp(`^cdk-mackerel: ${why}.*apply --stack A.*; nothing was changed$`))]);
  expect(shared.emulator.requests().filter((r) => r.method !== 'GET')).toHaveLength(sent);

  // as it says: A's cleanup first, then B takes the name
  expect((await cli(['apply', taken, ...base, '--stack', 'A'])).code).toBe(0);
  const after = await cli(['apply', taken, ...base]);
  expect(after.out).toMatch(/created\s+Service\s+B\/Shop\w+ shop "shop"/);
  expect(after.code).toBe(0);
});

test('a retained service construct moved to another stack is refused with advice that works: removing it as it is would keep it, still its stack\'s', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (where: string) => synthStacks(dir, ['A', 'B'], (stack) => {
    new MackerelService(stack, 'Other', { name: `other-${stack.stackName.toLowerCase()}` });
    if (stack.stackName === where) new MackerelService(stack, 'Shop', { name: 'shop', removalPolicy: RemovalPolicy.RETAIN });
  });
  expect((await cli(['apply', synth('A'), ...base])).code).toBe(0);

  const apply = await cli(['apply', synth('B'), ...base]);

  expect(apply.code).toBe(2);
  expect(apply.err).toMatch(/or give it removalPolicy DESTROY and apply, then remove it from A in one apply, which deletes it \(as it is, its DeletionPolicy Retain would keep it in Mackerel, still A's\), and add it to B in the next; nothing was changed$/);

  // as it says, removed as it is: retained, still A's, and the handler refuses B's create
  expect((await cli(['apply', synth('none'), ...base])).out).toMatch(/retained +Service +A\/Shop/);
  const after = await cli(['apply', synth('B'), ...base]);
  expect(after.code).toBe(2);
  expect(after.err).toMatch(/service "shop" already exists in Mackerel \(created by resource Shop\w+ of stack \S+\/A\//);
});

test('a new role on a service renamed in the same run is checked under the new name: another stack\'s role on the old name is no clash', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (serviceName: string, withRole: boolean) => {
    const outdir = join(dir, 'cdk.out');
    const app = new App({ outdir });
    const b = new Stack(app, 'B');
    const a = new Stack(app, 'A');
    a.addDependency(b);
    for (const stack of [a, b]) {
      addProvider(stack);
    }
    const service = new MackerelService(b, 'Shop', { name: serviceName });
    if (withRole) new MackerelRole(b, 'Web', { service, name: 'web' });
    // A's role on B's first service, by its name
    new MackerelRole(a, 'Web', { service: MackerelService.fromName(a, 'ShopByName', 'shop'), name: 'web' });
    app.synth();
    return outdir;
  };
  expect((await cli(['apply', synth('shop', false), ...base])).code).toBe(0);

  // B renames its service and adds a role "web" on it: "shop2:web", which no stack holds
  const renamed = synth('shop2', true);
  const diff = await cli(['diff', renamed, ...base]);
  const apply = await cli(['apply', renamed, ...base]);

  expect(diff.err).toBe('');
  expect(diff.out).toMatch(/^\+ create\s+Role\s+B\/Web\w* "web"$/m);
  expect(apply.err).toBe('');
  expect(apply.code).toBe(0);
  expect(apply.out).toMatch(/created\s+Role\s+B\/Web\w* shop2:web "web"/);
  expect(shared.emulator.state().services.map((s) => s.name).sort()).toEqual(['shop', 'shop2']);
});

test('a service removed in the run that moves the external monitor tied to it to another service (an update in place): diff shows a delete, as apply deletes it', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (withShop: boolean) => synthStack(dir, (stack) => {
    const cart = new MackerelService(stack, 'Cart', { name: 'cart' });
    const shop = withShop ? new MackerelService(stack, 'Shop', { name: 'shop' }) : undefined;
    new ExternalHttpMonitor(stack, 'Api', {
      name: 'api',
      url: 'https://example.com/',
      service: shop ?? cart,
      responseTimeWarning: Duration.millis(1500),
      responseTimeDuration: Duration.minutes(3),
    });
  }, 'A');
  expect((await cli(['apply', synth(true), ...base])).code).toBe(0);

  const removed = synth(false);
  const diff = await cli(['diff', removed, ...base]);
  const apply = await cli(['apply', removed, ...base]);

  // The monitor's update comes before the cleanup: the service has no monitor left when its delete comes.
  expect(apply.code).toBe(0);
  expect(apply.out).toMatch(/updated\s+Monitor\s+A\/Api\w*/);
  expect(apply.out).toMatch(/deleted\s+Service\s+A\/Shop\w* shop "shop"/);
  expect(shared.emulator.state().services.map((s) => s.name)).toEqual(['cart']);
  expect(diff.out).toMatch(/^- delete\s+Service\s+A\/Shop\w* shop "shop"$/m);
});

test('a service removed in the run that moves the host monitor scoped to it alone to another service (an update in place): diff shows a delete, as apply deletes it', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (withShop: boolean) => synthStack(dir, (stack) => {
    const cart = new MackerelService(stack, 'Cart', { name: 'cart' });
    const shop = withShop ? new MackerelService(stack, 'Shop', { name: 'shop' }) : undefined;
    new HostMetricMonitor(stack, 'Cpu', {
      name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes: [MonitorScope.fromService(shop ?? cart)],
    });
  }, 'A');
  const first = await cli(['apply', synth(true), ...base]);
  expect(first.err).toBe('');
  expect(first.code).toBe(0);

  const removed = synth(false);
  const diff = await cli(['diff', removed, ...base]);
  const apply = await cli(['apply', removed, ...base]);

  // The monitor's update comes before the cleanup: its scopes no longer lie in the service when its delete comes.
  expect(apply.code).toBe(0);
  expect(apply.out).toMatch(/updated\s+Monitor\s+A\/Cpu\w*/);
  expect(apply.out).toMatch(/deleted\s+Service\s+A\/Shop\w* shop "shop"/);
  expect(shared.emulator.state().services.map((s) => s.name)).toEqual(['cart']);
  expect(diff.out).toMatch(/^- delete\s+Service\s+A\/Shop\w* shop "shop"$/m);
});

test('a service removed in the run in which another stack moves its external monitor off it: diff shows a delete, as every update comes before every cleanup', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (withShop: boolean) => {
    const outdir = join(dir, 'cdk.out');
    const app = new App({ outdir });
    // A, the monitor's stack, is applied first and cleaned up last: it does not depend on Z
    const a = new Stack(app, 'A');
    const z = new Stack(app, 'Z');
    for (const stack of [a, z]) {
      addProvider(stack);
    }
    new MackerelService(a, 'Cart', { name: 'cart' });
    if (withShop) new MackerelService(z, 'Shop', { name: 'shop' });
    new ExternalHttpMonitor(a, 'Api', {
      name: 'api',
      url: 'https://example.com/',
      service: MackerelService.fromName(a, 'Target', withShop ? 'shop' : 'cart'),
      responseTimeWarning: Duration.millis(1500),
      responseTimeDuration: Duration.minutes(3),
    });
    app.synth();
    return outdir;
  };
  expect((await cli(['apply', synth(true), ...base, '--stack', 'Z'])).code).toBe(0);
  expect((await cli(['apply', synth(true), ...base])).code).toBe(0);

  const removed = synth(false);
  const diff = await cli(['diff', removed, ...base]);
  const apply = await cli(['apply', removed, ...base]);

  expect(apply.code).toBe(0);
  expect(apply.out).toMatch(/updated\s+Monitor\s+A\/Api\w*[^\n]*(\n.*)*deleted\s+Service\s+Z\/Shop\w* shop "shop"/);
  expect(shared.emulator.state().services.map((s) => s.name)).toEqual(['cart']);
  expect(diff.out).toMatch(/^- delete\s+Service\s+Z\/Shop\w* shop "shop"$/m);
});

test('a stack renamed with its service: the refusal says to destroy the old stack, which is only in the state file, as apply of it is refused', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (stackName: string) => synthStack(dir, (stack) => new MackerelService(stack, 'Shop', { name: 'shop' }), stackName);
  expect((await cli(['apply', synth('Old'), ...base])).code).toBe(0);

  const renamed = synth('New');
  const apply = await cli(['apply', renamed, ...base]);

  expect(apply.code).toBe(2);
  expect(apply.err).toMatch(/^cdk-mackerel: New\/Shop\w+ would create the service "shop", which Custom::MackerelService Old\/Shop\w+ holds; .*\. Stack Old is in the state file but not in the app: delete its objects with apply --destroy --stack Old, then apply; nothing was changed$/);
  // as it says
  expect((await cli(['apply', renamed, ...base, '--destroy', '--stack', 'Old'])).code).toBe(0);
  const after = await cli(['apply', renamed, ...base]);
  expect(after.err).toBe('');
  expect(after.out).toMatch(/created\s+Service\s+New\/Shop\w+ shop "shop"/);
});

test('a service created under the name of the old object of a replacement in a stack no longer in the app: the refusal says to destroy that stack', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (stacks: { [stackName: string]: string }) => synthStacks(dir, Object.keys(stacks), (stack) => {
    new MackerelService(stack, 'Shop', { name: stacks[stack.stackName] });
  });
  expect((await cli(['apply', synth({ Old: 'shop' }), ...base])).code).toBe(0);
  // Old renames its service, and the apply stops before its cleanup deletes the old one
  shared.emulator.injectFault({ method: 'DELETE', path: '/api/v0/services/shop', status: 500, body: { error: { message: 'boom' } }, times: 1000 });
  expect((await cli(['apply', synth({ Old: 'shop3' }), ...base, '--timeout', '2'])).code).toBe(2);
  shared.emulator.clearFaults();

  // Old leaves the app, and New takes the name
  const taken = synth({ New: 'shop' });
  const apply = await cli(['apply', taken, ...base]);

  expect(apply.code).toBe(2);
  expect(apply.err).toMatch(/the old object of a replacement of Custom::MackerelService Old\/Shop\w+, .*Run apply --destroy --stack Old first, which deletes it \(stack Old is in the state file but not in the app\); nothing was changed$/);
  // as it says
  expect((await cli(['apply', taken, ...base, '--destroy', '--stack', 'Old'])).code).toBe(0);
  const after = await cli(['apply', taken, ...base]);
  expect(after.err).toBe('');
  expect(after.out).toMatch(/created\s+Service\s+New\/Shop\w+ shop "shop"/);
});

test('a stack renamed with its retained service: the refusal says that destroying the old stack would keep it, and to add that stack back first', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synth = (stackName: string) => synthStack(dir, (stack) => new MackerelService(stack, 'Shop', { name: 'shop', removalPolicy: RemovalPolicy.RETAIN }), stackName);
  expect((await cli(['apply', synth('Old'), ...base])).code).toBe(0);

  const renamed = synth('New');
  const apply = await cli(['apply', renamed, ...base]);

  expect(apply.code).toBe(2);
  expect(apply.err).toMatch(/\. Stack Old is in the state file but not in the app: its DeletionPolicy Retain would keep the service in Mackerel, still Old's, even through apply --destroy; add stack Old back to the app, .*; nothing was changed$/);
  // as it says, destroyed as it is: retained, still Old's, and the handler refuses New's create
  expect((await cli(['apply', renamed, ...base, '--destroy', '--stack', 'Old'])).out).toMatch(/retained +Service +Old\/Shop/);
  const after = await cli(['apply', renamed, ...base]);
  expect(after.code).toBe(2);
  expect(after.err).toMatch(/service "shop" already exists in Mackerel \(created by resource Shop\w+ of stack \S+\/Old\//);
});
