import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, CfnResource, CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { beforeEach, describe, expect, test } from 'vitest';
import { addProvider, cli, synthStack, readState, useEmulatorPerFile, workDir } from './_fixture';
import { AlertGroupSetting, DeploymentDowntime, Downtime } from '../../src/alerting';
import { _StateFile } from '../../src/cli/state';
import { ConnectivityMonitor, HostMetricMonitor, MonitorOperator, MonitorScope } from '../../src/monitors';
import { MackerelRole, MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

const monitorNames = () => shared.emulator.state().monitors.map((m: any) => m.name).sort();
const services = () => shared.emulator.state().services.map((s: any) => s.name).sort();
const changes = () => shared.emulator.requests().filter((r) => r.method !== 'GET');

/** The policy set through the construct's CustomResource (an escape hatch); the constructs' removalPolicy prop writes the same attributes. */
function withPolicy<T extends Construct>(construct: T, policy: RemovalPolicy | undefined): T {
  if (policy !== undefined) (construct.node.defaultChild as CustomResource).applyRemovalPolicy(policy);
  return construct;
}

const hostMonitor = (stack: Stack, id: string, name: string, metric = 'cpu%') => new HostMetricMonitor(stack, id, {
  name, metric, operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(1),
});

/** The logical ID the state holds that starts with `prefix` (the CDK adds a hash). */
const logicalId = (state: _StateFile, prefix: string) => Object.keys(state.stacks.Shop.resources).find((id) => id.startsWith(prefix))!;

/**
 * What diff and apply say, as a pattern, of a retained downtime or alert group setting that goes from Mackerel
 * with `monitorId`, the last monitor of its scopes, which the run deletes.
 */
const goneWithMonitor = (monitorId: unknown) =>
  `\\(not deleted: DeletionPolicy Retain; but gone from Mackerel with monitor ${monitorId}, the last of its monitor scopes, which this run deleted\\)`;

/** Downtime night of role `web` alone, given RETAIN. */
const retainedNight = (scope: Construct, web: MackerelRole) => new Downtime(scope, 'Night', {
  name: 'night', start: new Date('2030-01-01T00:00:00Z'), duration: Duration.hours(1), scopes: [MonitorScope.fromRole(web)], removalPolicy: RemovalPolicy.RETAIN,
});

/** What diff and apply say of service shop, left for its role web, which a retained downtime still names. */
const HAS_ROLE = '\\(not deleted: it still has role "shop:web", not this resource\'s, which deleting it would delete; it stays in Mackerel\\)';

/** diff's line (`- retain`, `- leave`) and apply's (`] retained`, `] left`) of the same object, both `line` (a pattern) to the end. */
function expectBothSay(diff: { out: string }, run: { out: string }, kind: 'retain' | 'leave', line: string): void {
  expect(diff.out).toMatch(new RegExp(`^- ${kind} +${line}$`, 'm'));
  expect(run.out).toMatch(new RegExp(`\\] ${kind === 'retain' ? 'retained' : 'left'} +${line}$`, 'm'));
}

describe('DeletionPolicy: a resource removed from the template or destroyed', () => {
  test('a retained monitor removed from the app stays in Mackerel and leaves the state; diff says so first', async () => {
    // GIVEN two monitors applied, the policy of Cpu then made Retain: no object changes, the state records it
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const both = (policy?: RemovalPolicy) => synthStack(dir, (s) => {
      withPolicy(hostMonitor(s, 'Cpu', 'cpu'), policy);
      hostMonitor(s, 'Mem', 'memory', 'memory%');
    });
    expect((await cli(['apply', both(), ...base])).code).toBe(0);
    expect(Object.values(readState(stateFile).stacks.Shop.resources).map((r) => r.deletionPolicy)).toEqual([undefined, undefined]);
    const outdir = both(RemovalPolicy.RETAIN);
    expect((await cli(['diff', outdir, ...base])).out).toBe('No differences.');
    let sent = changes().length;
    let run = await cli(['apply', outdir, ...base]);
    expect(run.out).toMatch(/^Done: 2 unchanged\.$/m);
    expect(changes().length).toBe(sent);
    const cpu = logicalId(readState(stateFile), 'Cpu');
    expect(readState(stateFile).stacks.Shop.resources[cpu].deletionPolicy).toBe('Retain');
    const cpuId = readState(stateFile).stacks.Shop.resources[cpu].physicalId;

    // WHEN both are removed from the app
    synthStack(dir, (s) => new MackerelService(s, 'Svc', { name: 'shop' }));

    // THEN diff shows the retained one apart from the deleted one, and counts it
    run = await cli(['diff', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`\\n- retain +Monitor +Shop/${cpu} ${cpuId} "cpu" \\(not deleted: DeletionPolicy Retain; it stays in Mackerel\\)\\n`));
    expect(run.out).toMatch(/\n- delete +Monitor +Shop\/Mem\w+ \S+ "memory"\n/);
    expect(run.out).toMatch(/\n1 to create, 1 to retain, 1 to delete\.$/);
    expect(run.code).toBe(1);

    // and apply sends the handler no delete for it, reports it retained, and drops it from the state
    sent = changes().length;
    run = await cli(['apply', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`\\] retained +Monitor +Shop/${cpu} ${cpuId} "cpu" \\(not deleted: DeletionPolicy Retain; it stays in Mackerel\\)\\n`));
    expect(run.out).toMatch(/\] deleted +Monitor +Shop\/Mem\w+ \S+ "memory"\n/);
    expect(run.out).toMatch(/^Done: 1 created, 1 deleted, 1 retained\.\nIn Mackerel: 1 Service\.$/m);
    expect(changes().slice(sent).filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([expect.not.stringContaining(cpuId)]);
    expect(monitorNames()).toEqual(['cpu']);
    expect(Object.keys(readState(stateFile).stacks.Shop.resources)).toEqual([expect.stringMatching(/^Svc/)]);
    expect((await cli(['diff', outdir, ...base])).out).toBe('No differences.');
  });

  test('--destroy keeps a retained service (RetainExceptOnCreate) and deletes the monitor beside it; diff of the stack removed shows both', async () => {
    // GIVEN a service with RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, and a monitor scoped to it without a policy
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const outdir = synthStack(dir, (s) => {
      const service = withPolicy(new MackerelService(s, 'Svc', { name: 'kept' }), RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
      new ConnectivityMonitor(s, 'Alive', { name: 'alive', scopes: [MonitorScope.fromService(service)] });
    });
    const template = JSON.parse(readFileSync(join(outdir, 'Shop.template.json'), 'utf8'));
    expect(Object.values(template.Resources).find((r: any) => r.Type === 'Custom::MackerelService'))
      .toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    // WHEN the stack leaves the app, diff lists what apply --destroy --stack would do
    const elsewhere = join(dir, 'other');
    const other = synthStack(elsewhere, (s) => new MackerelService(s, 'Svc', { name: 'other' }), 'Other');
    let run = await cli(['diff', other, ...base]);
    expect(run.err).toBe('');
    expect(run.out.split('\n')).toEqual([
      expect.stringMatching(/^\+ create +Service +Other\/Svc\w+ "other"$/),
      '      name: "other"',
      expect.stringMatching(/^stack Shop is in the state file but not in the app/),
      expect.stringMatching(/^- retain +Service +Shop\/Svc\w+ kept "kept" \(not deleted: DeletionPolicy RetainExceptOnCreate; it stays in Mackerel\)$/),
      expect.stringMatching(/^- delete +Monitor +Shop\/Alive\w+ \S+ "alive"$/),
      '1 to create, 1 to retain, 1 to delete.',
    ]);
    expect(run.code).toBe(1);

    // THEN --destroy of the app deletes the monitor and only drops the service from the state
    const sent = changes().length;
    run = await cli(['apply', outdir, ...base, '--destroy']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\[1\/2\] deleted +Monitor +Shop\/Alive\w+ \S+ "alive"\n/);
    expect(run.out).toMatch(/\[2\/2\] retained +Service +Shop\/Svc\w+ kept "kept" \(not deleted: DeletionPolicy RetainExceptOnCreate; it stays in Mackerel\)\n/);
    expect(run.out).toMatch(/^Done: 1 deleted, 1 retained\.$/m);
    expect(changes().slice(sent).map((r) => `${r.method} ${r.path}`)).toEqual([expect.stringMatching(/^DELETE \/api\/v0\/monitors\//)]);
    expect(services()).toEqual(['kept']);
    expect(monitorNames()).toEqual([]);
    expect(readState(stateFile).stacks).toEqual({});
  });
});

describe('diff of a stack no longer in the app whose services are all retained', () => {
  test('reads no list of the objects that may keep a service from its delete: its destroy deletes none', async () => {
    // GIVEN services kept and old, both retained, old the old object of a replacement an earlier apply left to delete
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const outdir = synthStack(dir, (s) => {
      new MackerelService(s, 'Svc', { name: 'kept', removalPolicy: RemovalPolicy.RETAIN });
      new MackerelService(s, 'Old', { name: 'old', removalPolicy: RemovalPolicy.RETAIN });
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const applied = readState(stateFile);
    const old = logicalId(applied, 'Old');
    const { [old]: oldResource, ...resources } = applied.stacks.Shop.resources;
    const pendingDelete = { stackName: 'Shop', logicalId: old, type: oldResource.type, physicalId: oldResource.physicalId, dependsOn: [] };
    const other = synthStack(join(dir, 'other'), () => undefined, 'Other');
    const listsRead = async (state: _StateFile) => {
      writeFileSync(stateFile, JSON.stringify(state));
      const from = shared.emulator.requests().length;
      const run = await cli(['diff', other, ...base]);
      expect(run.err).toBe('');
      return shared.emulator.requests().slice(from).filter((r) => ['/api/v0/downtimes', '/api/v0/alert-group-settings'].includes(r.path)).length;
    };
    // WHEN stack Shop leaves the app: the retained service alone, then with the retained pending delete
    const shop = (resourcesOf: typeof resources) => ({ ...applied.stacks.Shop, resources: resourcesOf });
    expect(await listsRead({ ...applied, stacks: { Shop: shop(resources) } })).toBe(0);
    expect(await listsRead({ ...applied, stacks: { Shop: shop(resources) }, pendingDeletes: [{ ...pendingDelete, updateReplacePolicy: 'Retain' }] })).toBe(0);
    // THEN only what the destroy deletes has them read, each once
    expect(await listsRead({ ...applied, stacks: { Shop: shop(resources) }, pendingDeletes: [pendingDelete] })).toBe(2);
    const deleted = Object.fromEntries(Object.entries(resources).map(([id, r]) => [id, { ...r, deletionPolicy: undefined }]));
    expect(await listsRead({ ...applied, stacks: { Shop: shop(deleted) } })).toBe(2);
  });
});

describe('diff of a service replaced with UpdateReplacePolicy Retain', () => {
  test('reads no list of the objects that may keep a service from its delete: the old service stays', async () => {
    // GIVEN service shop applied, retained
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const named = (name: string, removalPolicy?: RemovalPolicy) => synthStack(dir, (s) => new MackerelService(s, 'Svc', { name, removalPolicy }));
    expect((await cli(['apply', named('shop', RemovalPolicy.RETAIN), ...base])).code).toBe(0);
    const listsRead = async (outdir: string) => {
      const from = shared.emulator.requests().length;
      const run = await cli(['diff', outdir, ...base]);
      expect(run.out).toMatch(/^! replace +Service /m);
      return shared.emulator.requests().slice(from).filter((r) => ['/api/v0/downtimes', '/api/v0/alert-group-settings'].includes(r.path)).length;
    };
    // WHEN its name changes, which replaces it: the old service is kept, then (the policy dropped) deleted
    expect(await listsRead(named('cart', RemovalPolicy.RETAIN))).toBe(0);
    expect(await listsRead(named('cart'))).toBe(2);
  });
});

describe('diff of a service replaced whose old object another resource takes over', () => {
  test('reads no list of the objects that may keep a service from its delete: the old service stays', async () => {
    // GIVEN service shop applied
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    expect((await cli(['apply', synthStack(dir, (s) => new MackerelService(s, 'Svc', { name: 'shop' })), ...base])).code).toBe(0);
    // WHEN it is renamed cart, which replaces it, and a new service Other takes the name shop, and with it the old object
    const outdir = synthStack(dir, (s) => {
      new MackerelService(s, 'Svc', { name: 'cart' });
      new MackerelService(s, 'Other', { name: 'shop' });
    });
    const from = shared.emulator.requests().length;
    const run = await cli(['diff', outdir, ...base]);
    // THEN the run deletes no service, and reads neither list
    expect(run.out).toMatch(/^! replace +Service +Shop\/Svc\w* shop "cart" \(new Mackerel ID; the old object is taken over by Shop\/Other\w*; it stays in Mackerel\)$/m);
    expect(shared.emulator.requests().slice(from).filter((r) => ['/api/v0/downtimes', '/api/v0/alert-group-settings'].includes(r.path))).toEqual([]);
  });
});

describe('the constructs\' removalPolicy, end to end', () => {
  test('--destroy keeps a service given RETAIN and the role it passed down, and deletes a role given DESTROY', async () => {
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const outdir = synthStack(dir, (s) => {
      const shop = new MackerelService(s, 'Svc', { name: 'shop', removalPolicy: RemovalPolicy.RETAIN });
      shop.addRole('web');
      shop.addRole('tmp', { removalPolicy: RemovalPolicy.DESTROY });
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    const run = await cli(['apply', outdir, ...base, '--destroy']);

    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Done: 1 deleted, 2 retained\.$/m);
    expect(shared.emulator.state().services).toEqual([expect.objectContaining({ name: 'shop', roles: [expect.objectContaining({ name: 'web' })] })]);
    expect(readState(stateFile).stacks).toEqual({});

    // and the stack applied again takes back what it kept, creating only the role it deleted
    const posts = changes().filter((r) => r.method === 'POST').length;
    const again = await cli(['apply', outdir, ...base]);
    expect(again.err).toBe('');
    expect(again.out).toMatch(/^Done: 3 created\.$/m);
    expect(changes().filter((r) => r.method === 'POST').map((r) => r.path).slice(posts)).toEqual(['/api/v0/services/shop/roles']);
  });
});

describe('a role retained under a service that is not', () => {
  test('--destroy keeps the role, and the handler leaves the service that still has it, saying why', async () => {
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const outdir = synthStack(dir, (s) => new MackerelService(s, 'Svc', { name: 'shop' }).addRole('web', { removalPolicy: RemovalPolicy.RETAIN }));
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    const run = await cli(['apply', outdir, ...base, '--destroy']);

    expect(run.err).toBe('');
    expect(run.out).toMatch(/\] retained +Role +Shop\/Svcweb\w+ shop:web "web" \(not deleted: DeletionPolicy Retain; it stays in Mackerel\)\n/);
    expect(run.out).toMatch(/\] left +Service +Shop\/Svc\w+ shop "shop" \(not deleted: it still has role "shop:web", not this resource's, which deleting it would delete; /);
    expect(shared.emulator.state().services).toEqual([expect.objectContaining({ name: 'shop', roles: [expect.objectContaining({ name: 'web' })] })]);
    expect(readState(stateFile).stacks).toEqual({});
  });
});

describe('a retained downtime of monitors the run deletes', () => {
  test('--destroy says the downtime went with its last monitor scope, as Mackerel deletes it then, rather than that it stays', async () => {
    // GIVEN a host monitor and a downtime scoped to it alone, given RETAIN
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const outdir = synthStack(dir, (s) => {
      const cpu = hostMonitor(s, 'Cpu', 'cpu');
      new Downtime(s, 'Night', {
        name: 'night', start: new Date('2030-01-01T00:00:00Z'), duration: Duration.hours(1), monitors: [cpu], removalPolicy: RemovalPolicy.RETAIN,
      });
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const cpu = shared.emulator.state().monitors[0].id;

    // WHEN the stack is destroyed
    const run = await cli(['apply', outdir, ...base, '--destroy']);

    // THEN the monitor is deleted, and with it the downtime, as apply says
    expect(run.err).toBe('');
    expect(shared.emulator.state().downtimes).toEqual([]);
    expect(run.out).toMatch(/\] deleted +Monitor +Shop\/Cpu\w+ /);
    expect(run.out).not.toMatch(/retained +Downtime .*it stays in Mackerel/);
    expect(run.out).toMatch(new RegExp(`\\] retained +Downtime +Shop/Night\\w+ \\w+ "night" ${goneWithMonitor(cpu)}\n`));
  });
});

describe('a retained deployment downtime of monitors the run deletes', () => {
  test('diff and --destroy say it goes with its last monitor scope, as a downtime does: Mackerel deletes it then', async () => {
    // GIVEN a host monitor and a deployment downtime scoped to it alone, given RETAIN
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStack(dir, (s) => {
      const cpu = hostMonitor(s, 'Cpu', 'cpu');
      new DeploymentDowntime(s, 'Deploy', { name: 'deploy', revision: 'r1', monitors: [cpu], removalPolicy: RemovalPolicy.RETAIN });
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const cpuId = shared.emulator.state().monitors[0].id;

    // WHEN both are removed from the template, diffed, then applied
    synthStack(dir, (s) => new MackerelService(s, 'Svc', { name: 'shop' }));
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN the monitor is deleted, and with it the downtime, as diff and apply say, rather than that it stays
    const gone = goneWithMonitor(cpuId);
    expect(diff.err).toBe('');
    expectBothSay(diff, run, 'retain', `DeploymentDowntime +Shop/Deploy\\w+ \\w+ "deploy" ${gone}`);
    expect(run.err).toBe('');
    expect(shared.emulator.state().downtimes).toEqual([]);
  });
});

describe('a retained downtime of a service and of a role the run removes', () => {
  test('stays, as diff and apply say: the handler leaves a service or role a downtime still names, so no scope kind is emptied', async () => {
    // GIVEN a service with a role, a downtime scoped to the role alone and one to the service alone, both given RETAIN
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStack(dir, (s) => {
      const svc = new MackerelService(s, 'Svc', { name: 'shop' });
      const web = svc.addRole('web');
      const start = new Date('2030-01-01T00:00:00Z');
      new Downtime(s, 'Night', { name: 'night', start, duration: Duration.hours(1), scopes: [MonitorScope.fromRole(web)], removalPolicy: RemovalPolicy.RETAIN });
      new Downtime(s, 'Day', { name: 'day', start, duration: Duration.hours(1), scopes: [MonitorScope.fromService(svc)], removalPolicy: RemovalPolicy.RETAIN });
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    // WHEN all four are removed from the template, diffed, then applied
    synthStack(dir, (s) => new MackerelService(s, 'Other', { name: 'other' }));
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN the role and the service are left, named by the downtimes, which stay, as both say
    const stays = '\\(not deleted: DeletionPolicy Retain; it stays in Mackerel\\)';
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^- leave +Role +Shop\/Svcweb\w+ shop:web "web" \(not deleted: it is still named in the scopes of downtime "night" /m);
    expect(diff.out).toMatch(/^- leave +Service +Shop\/Svc\w+ shop "shop" \(not deleted: /m);
    expectBothSay(diff, run, 'retain', `Downtime +Shop/Night\\w+ \\w+ "night" ${stays}`);
    expectBothSay(diff, run, 'retain', `Downtime +Shop/Day\\w+ \\w+ "day" ${stays}`);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/\] left +Role +Shop\/Svcweb\w+ shop:web "web" \(not deleted: it is still named in the scopes of downtime "night" /);
    expect(shared.emulator.state().downtimes.map((d: any) => [d.name, d.serviceScopes, d.roleScopes]).sort())
      .toEqual([['day', ['shop'], []], ['night', [], ['shop:web']]]);
  });
});

describe('a retained downtime of a role alone whose service and role the run removes', () => {
  test('the role stays, and so does its service, as diff and apply say: the handler leaves a service that still has a role', async () => {
    // GIVEN a service with a role, and a downtime scoped to the role alone, given RETAIN
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStack(dir, (s) => {
      const web = new MackerelService(s, 'Svc', { name: 'shop' }).addRole('web');
      retainedNight(s, web);
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    // WHEN all three are removed from the template, diffed, then applied
    synthStack(dir, (s) => new MackerelService(s, 'Other', { name: 'other' }));
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN the role is left, named by the downtime, and the service with it, as diff says before apply does, rather than a delete
    expect(diff.err).toBe('');
    expectBothSay(diff, run, 'leave', `Service +Shop/Svc[0-9A-F]+ shop "shop" ${HAS_ROLE}`);
    expect(run.err).toBe('');
    expect(services()).toEqual(['other', 'shop']);
    expect(shared.emulator.state().downtimes.map((d: any) => [d.name, d.roleScopes])).toEqual([['night', ['shop:web']]]);
  });
});

describe('a retained downtime of a role the run replaces onto another service, whose old service the run removes', () => {
  test('the old role stays, and so does its old service, as diff and apply say', async () => {
    // GIVEN a service with a role, and a downtime scoped to the role alone, given RETAIN
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStack(dir, (s) => {
      const web = new MackerelRole(s, 'Web', { service: new MackerelService(s, 'Svc', { name: 'shop' }), name: 'web' });
      retainedNight(s, web);
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    // WHEN the service and the downtime are removed, and the role moved to a new service cart, which replaces it
    synthStack(dir, (s) => new MackerelRole(s, 'Web', { service: new MackerelService(s, 'Cart', { name: 'cart' }), name: 'web' }));
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN the old role is left, named by the downtime, and its old service with it, as diff says before apply does
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^! replace +Role +Shop\/Web\w+ shop:web "web" \(new Mackerel ID; the old object is not deleted: it is still named in the scopes of downtime "night"/m);
    expectBothSay(diff, run, 'leave', `Service +Shop/Svc[0-9A-F]+ shop "shop" ${HAS_ROLE}`);
    expect(run.err).toBe('');
    expect(services()).toEqual(['cart', 'shop']);
  });
});

describe('a retained downtime of a role replaced with its service, which the run renames', () => {
  test('the old role stays, and so does the old service, as diff and apply say', async () => {
    // GIVEN service shop with role web, and a downtime scoped to the role alone, given RETAIN
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = synthStack(dir, (s) => {
      const web = new MackerelService(s, 'Svc', { name: 'shop' }).addRole('web');
      retainedNight(s, web);
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    // WHEN the service is renamed cart, which replaces it and its role, and the downtime removed
    synthStack(dir, (s) => new MackerelService(s, 'Svc', { name: 'cart' }).addRole('web'));
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN the old service is left, as it still has the old role the downtime names, as diff says before apply does
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^! replace +Service +Shop\/Svc[0-9A-F]+ shop "cart" \(new Mackerel ID; the old object is not deleted: it still has role "shop:web"/m);
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`\\] left +Service +Shop/Svc[0-9A-F]+ shop \\(old object of a replacement\\) ${HAS_ROLE}$`, 'm'));
    expect(services()).toEqual(['cart', 'shop']);
  });
});

describe('a retained downtime of a role of another stack\'s service, both of which the run removes', () => {
  test('the role stays, and so does the service, whose stack is cleaned up after the role\'s, as diff and apply say', async () => {
    // GIVEN service shop in stack ZBase, its role web in stack ARoles, which imports it, and a downtime there scoped to the role alone, given RETAIN
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const synthBoth = (build: (roles: Stack, services: Stack) => void) => {
      const outdir = join(dir, 'cdk.out');
      rmSync(outdir, { recursive: true, force: true });
      const app = new App({ outdir });
      const env = { account: '111111111111', region: 'us-east-1' };
      const [roles, withService] = [new Stack(app, 'ARoles', { env }), new Stack(app, 'ZBase', { env })];
      [roles, withService].forEach(addProvider);
      build(roles, withService);
      app.synth();
      return outdir;
    };
    const outdir = synthBoth((roles, svcs) => {
      const web = new MackerelRole(roles, 'Web', { service: new MackerelService(svcs, 'Svc', { name: 'shop' }), name: 'web' });
      retainedNight(roles, web);
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);

    // WHEN all three are removed, diffed, then applied
    synthBoth((roles, svcs) => {
      new MackerelService(roles, 'Cart', { name: 'cart' });
      new MackerelService(svcs, 'Other', { name: 'other' });
    });
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN the role is left, named by the downtime, and the service with it, as diff says before apply does
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(/^- leave +Role +ARoles\/Web\w+ shop:web "web" \(not deleted: it is still named in the scopes of downtime "night"/m);
    expectBothSay(diff, run, 'leave', `Service +ZBase/Svc[0-9A-F]+ shop "shop" ${HAS_ROLE}`);
    expect(run.err).toBe('');
    expect(services()).toEqual(['cart', 'other', 'shop']);
  });
});

describe('diff of a retained downtime whose monitors the run deletes', () => {
  test('diff predicts, in apply\'s words, that a retained downtime goes with its last monitor scope, and that one whose monitor is kept stays', async () => {
    // GIVEN two host monitors, each with a downtime scoped to it alone, given RETAIN
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const downtime = (s: Stack, id: string, monitor: HostMetricMonitor) => new Downtime(s, id, {
      name: id.toLowerCase(), start: new Date('2030-01-01T00:00:00Z'), duration: Duration.hours(1), monitors: [monitor], removalPolicy: RemovalPolicy.RETAIN,
    });
    const outdir = synthStack(dir, (s) => {
      downtime(s, 'Night', hostMonitor(s, 'Cpu', 'cpu'));
      downtime(s, 'Day', hostMonitor(s, 'Mem', 'memory', 'memory%'));
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const cpuId = shared.emulator.state().monitors.find((m: any) => m.name === 'cpu')!.id;

    // WHEN both downtimes and monitor cpu are removed from the template, diffed, then applied
    synthStack(dir, (s) => { hostMonitor(s, 'Mem', 'memory', 'memory%'); });
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN diff says first what apply says: downtime night goes with monitor cpu; downtime day stays, its monitor kept
    const gone = goneWithMonitor(cpuId);
    const stays = '\\(not deleted: DeletionPolicy Retain; it stays in Mackerel\\)';
    expect(diff.err).toBe('');
    expectBothSay(diff, run, 'retain', `Downtime +Shop/Night\\w+ \\w+ "night" ${gone}`);
    expectBothSay(diff, run, 'retain', `Downtime +Shop/Day\\w+ \\w+ "day" ${stays}`);
    expect(run.err).toBe('');
    expect(shared.emulator.state().downtimes.map((d: any) => d.name)).toEqual(['day']);
  });
  test('diff reads the monitor deletes of the whole run: a retained downtime goes with another stack\'s monitor, whose cleanup comes after', async () => {
    // GIVEN a host monitor in stack Mon, and in stack Night a downtime scoped to it alone (a reference across stacks), given RETAIN
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = join(dir, 'cdk.out');
    const synth = (withDowntime: boolean) => {
      rmSync(outdir, { recursive: true, force: true });
      const app = new App({ outdir });
      const mon = new Stack(app, 'Mon');
      addProvider(mon);
      const night = new Stack(app, 'Night');
      addProvider(night);
      if (withDowntime) {
        const monitors = [hostMonitor(mon, 'Cpu', 'cpu')];
        new Downtime(night, 'Night', {
          name: 'night', start: new Date('2030-01-01T00:00:00Z'), duration: Duration.hours(1), monitors, removalPolicy: RemovalPolicy.RETAIN,
        });
      }
      app.synth();
    };
    synth(true);
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const cpuId = shared.emulator.state().monitors[0].id;

    // WHEN both are removed from their stacks, which stay in the app
    synth(false);
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base]);

    // THEN diff and apply both say the downtime goes with the monitor
    const gone = goneWithMonitor(cpuId);
    expect(diff.err).toBe('');
    expectBothSay(diff, run, 'retain', `Downtime +Night/Night\\w+ \\w+ "night" ${gone}`);
    expect(run.err).toBe('');
    expect(shared.emulator.state().downtimes).toEqual([]);
  });
});

describe('a retained downtime of another stack\'s monitors the run deletes', () => {
  test('--destroy says the downtime went with its last monitor scope when that stack\'s cleanup, which comes after, deletes it', async () => {
    // GIVEN a host monitor in stack Mon, and in stack Night a downtime scoped to it alone (a reference across stacks), given RETAIN
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const outdir = join(dir, 'cdk.out');
    const app = new App({ outdir });
    const mon = new Stack(app, 'Mon');
    addProvider(mon);
    const cpu = hostMonitor(mon, 'Cpu', 'cpu');
    const night = new Stack(app, 'Night');
    addProvider(night);
    new Downtime(night, 'Night', {
      name: 'night', start: new Date('2030-01-01T00:00:00Z'), duration: Duration.hours(1), monitors: [cpu], removalPolicy: RemovalPolicy.RETAIN,
    });
    app.synth();
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const cpuId = shared.emulator.state().monitors[0].id;

    // WHEN both stacks are destroyed: Night's cleanup first, as it imports the monitor
    const run = await cli(['apply', outdir, ...base, '--destroy']);

    // THEN the monitor is deleted, and with it the downtime, as apply says (once), rather than that it stays
    expect(run.err).toBe('');
    expect(shared.emulator.state().downtimes).toEqual([]);
    expect(run.out).toMatch(/\] deleted +Monitor +Mon\/Cpu\w+ /);
    expect(run.out).not.toMatch(/retained +Downtime .*it stays in Mackerel/);
    expect(run.out.match(/retained +Downtime/g)).toHaveLength(1);
    expect(run.out).toMatch(new RegExp(`\\] retained +Downtime +Night/Night\\w+ \\w+ "night" ${goneWithMonitor(cpuId)}\n`));
  });
});

describe('a retained downtime of monitors whose delete fails', () => {
  test('--destroy still says the downtime, once, as staying, when the cleanup stops at its monitor', async () => {
    // GIVEN a host monitor and a downtime scoped to it alone, given RETAIN, and monitor deletes that fail
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const outdir = synthStack(dir, (s) => {
      const cpu = hostMonitor(s, 'Cpu', 'cpu');
      new Downtime(s, 'Night', {
        name: 'night', start: new Date('2030-01-01T00:00:00Z'), duration: Duration.hours(1), monitors: [cpu], removalPolicy: RemovalPolicy.RETAIN,
      });
    });
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    // A status the client does not retry: the run stops at once, as after its retries run out.
    shared.emulator.injectFault({ method: 'DELETE', path: '/api/v0/monitors/*', status: 403, body: { error: { message: 'boom' } }, times: 1000 });

    // WHEN the stack is destroyed
    const run = await cli(['apply', outdir, ...base, '--destroy']);

    // THEN the run fails at the monitor, and the downtime, which stays, is said to stay once
    expect(run.code).not.toBe(0);
    expect(shared.emulator.state().downtimes.map((d: any) => d.name)).toEqual(['night']);
    expect(run.out.match(/retained +Downtime/g)).toHaveLength(1);
    expect(run.out).toMatch(/\] retained +Downtime +Shop\/Night\w+ \w+ "night" \(not deleted: DeletionPolicy Retain; it stays in Mackerel\)$/m);
  }, 60_000);
});

describe('a retained service added back', () => {
  test('under another construct id is taken back, and goes with its new resource: the old one, which kept it, is no longer in the stack', async () => {
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    expect((await cli(['apply', synthStack(dir, (s) => new MackerelService(s, 'Svc', { name: 'shop', removalPolicy: RemovalPolicy.RETAIN })), ...base])).code).toBe(0);
    expect((await cli(['apply', synthStack(dir, () => undefined), ...base])).out).toMatch(/\] retained +Service +Shop\/Svc\w+ shop "shop"/);

    const outdir = synthStack(dir, (s) => new MackerelService(s, 'Renamed', { name: 'shop' }));
    let run = await cli(['apply', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/\] created +Service +Shop\/Renamed\w+ shop "shop"\n/);
    const renamed = logicalId(readState(stateFile), 'Renamed');
    expect(shared.emulator.state().services).toEqual([expect.objectContaining({ name: 'shop', metadata: { 'cdk-mackerel': expect.objectContaining({ logicalResourceId: renamed }) } })]);

    run = await cli(['apply', outdir, ...base, '--destroy']);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/\] deleted +Service +Shop\/Renamed\w+ shop "shop"\n/);
    expect(services()).toEqual([]);
  });

  test('under the same construct id is taken back as its own', async () => {
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const kept = () => synthStack(dir, (s) => new MackerelService(s, 'Svc', { name: 'shop', removalPolicy: RemovalPolicy.RETAIN }));
    expect((await cli(['apply', kept(), ...base])).code).toBe(0);
    expect((await cli(['apply', synthStack(dir, () => undefined), ...base])).code).toBe(0);

    const run = await cli(['apply', kept(), ...base]);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/\] created +Service +Shop\/Svc\w+ shop "shop"\n/);
    expect(changes().filter((r) => r.method === 'POST')).toHaveLength(1);
  });
});

describe('UpdateReplacePolicy: the old object of a replacement', () => {
  const version = (dir: string, metric: string) => synthStack(dir, (s) => withPolicy(hostMonitor(s, 'Mem', 'memory', metric), RemovalPolicy.RETAIN));

  test('a monitor replaced (its metric changed) with UpdateReplacePolicy Retain keeps the old monitor; diff says so', async () => {
    // GIVEN a monitor with RemovalPolicy.RETAIN applied
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    expect((await cli(['apply', version(dir, 'memory%'), ...base])).code).toBe(0);
    const oldId = Object.values(readState(stateFile).stacks.Shop.resources)[0].physicalId;

    // WHEN its metric changes, which replaces it
    const outdir = version(dir, 'container-mem%');

    // THEN diff says the old monitor is not deleted
    let run = await cli(['diff', outdir, ...base]);
    expect(run.out).toMatch(new RegExp(`^! replace +Monitor +Shop/Mem\\w+ ${oldId} "memory" \\(new Mackerel ID; the old object is not deleted: UpdateReplacePolicy Retain; it stays in Mackerel\\)\\n`));
    expect(run.out).toMatch(/\n1 to replace\.$/);
    expect(run.code).toBe(1);

    // and apply leaves it, sending no delete, and says so where it would have said deleted
    const sent = changes().length;
    run = await cli(['apply', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(new RegExp(`\\[1/2\\] replaced +Monitor +Shop/Mem\\w+ ${oldId} -> \\S+ "memory"\\n`));
    expect(run.out).toMatch(new RegExp(`\\[2/2\\] retained +Monitor +Shop/Mem\\w+ ${oldId} \\(old object of a replacement\\) \\(not deleted: UpdateReplacePolicy Retain; it stays in Mackerel\\)\\n`));
    expect(run.out).toMatch(/^Done: 1 replaced, 1 retained\.\nIn Mackerel: 1 Monitor\.$/m);
    expect(changes().slice(sent).map((r) => r.method)).toEqual(['POST']);
    expect(shared.emulator.state().monitors.map((m: any) => m.metric).sort()).toEqual(['container-mem%', 'memory%']);
    expect(readState(stateFile).pendingDeletes).toEqual([]);
    expect((await cli(['diff', outdir, ...base])).out).toBe('No differences.');
  });

  test('a retained old object left by an apply that stopped before its cleanup: diff shows it retained, the next apply drops it without a delete', async () => {
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    expect((await cli(['apply', version(dir, 'memory%'), ...base])).code).toBe(0);
    const outdir = version(dir, 'container-mem%');
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const old = shared.emulator.state().monitors.find((m: any) => m.metric === 'memory%')!;
    // What that run saved before its cleanup, had it stopped there: the pending delete, with the policy of its template.
    const state = readState(stateFile);
    const mem = logicalId(state, 'Mem');
    writeFileSync(stateFile, JSON.stringify({
      ...state,
      pendingDeletes: [{ stackName: 'Shop', logicalId: mem, type: 'Custom::MackerelMonitor', physicalId: old.id, dependsOn: [], updateReplacePolicy: 'Retain' }],
    }));

    let run = await cli(['diff', outdir, ...base]);
    expect(run.out).toMatch(new RegExp(`^- retain +Monitor +Shop/${mem} ${old.id} \\(old object of a replacement, left by an earlier apply that stopped\\) `
      + '\\(not deleted: UpdateReplacePolicy Retain; it stays in Mackerel\\)\\n1 to retain\\.$'));
    expect(run.code).toBe(1);

    const sent = changes().length;
    run = await cli(['apply', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`\\] retained +Monitor +Shop/${mem} ${old.id} \\(old object of a replacement\\) \\(not deleted: UpdateReplacePolicy Retain; it stays in Mackerel\\)\\n`));
    expect(changes().length).toBe(sent);
    expect(monitorNames()).toEqual(['memory', 'memory']);
    expect(readState(stateFile).pendingDeletes).toEqual([]);
  });

  test('two retained services that swap names: each old object is taken over by the other, diff says so as apply then does, and a later destroy deletes both', async () => {
    // GIVEN services A (shop) and B (cart) given RETAIN (both policies)
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const synth = (a: string, b: string, removalPolicy?: RemovalPolicy) => synthStack(dir, (s) => {
      new MackerelService(s, 'A', { name: a, removalPolicy });
      new MackerelService(s, 'B', { name: b, removalPolicy });
    });
    expect((await cli(['apply', synth('shop', 'cart', RemovalPolicy.RETAIN), ...base])).code).toBe(0);

    // WHEN they swap names, then lose their policies, then are destroyed
    const swapped = synth('cart', 'shop', RemovalPolicy.RETAIN);
    const diff = await cli(['diff', swapped, ...base]);
    const swap = await cli(['apply', swapped, ...base]);
    const plain = synth('cart', 'shop');
    expect((await cli(['apply', plain, ...base])).code).toBe(0);
    const destroy = await cli(['apply', plain, '--destroy', ...base]);

    // THEN diff names the resource that takes each old object over, as apply's released lines do (no policy keeps what another resource holds)
    expect(diff.out).toMatch(/^! replace +Service +Shop\/A\w+ shop "cart" \(new Mackerel ID; the old object is taken over by Shop\/B\w+; it stays in Mackerel\)$/m);
    expect(diff.out).toMatch(/^! replace +Service +Shop\/B\w+ cart "shop" \(new Mackerel ID; the old object is taken over by Shop\/A\w+; it stays in Mackerel\)$/m);
    expect(swap.out).toMatch(/released +Service +Shop\/A\w+ shop \(taken over by Shop\/B\w+; it stays in Mackerel\)$/m);
    expect(swap.out).toMatch(/released +Service +Shop\/B\w+ cart \(taken over by Shop\/A\w+; it stays in Mackerel\)$/m);
    // the destroy did not take one of them for a move to roll back, leaving it in Mackerel and out of the state
    expect(destroy.err).toBe('');
    expect(destroy.out).toMatch(/^Done: 2 deleted\.$/m);
    expect(services()).toEqual([]);
  });
});

describe('a state file written before the policies were recorded', () => {
  test('deletes as before: a removed resource and a pending delete without a recorded policy, whatever the template says now', async () => {
    // GIVEN a monitor and a service with RemovalPolicy.RETAIN applied, and the monitor replaced (its old object retained)
    const dir = workDir();
    const stateFile = join(dir, 'state.json');
    const base = ['--api-base', shared.emulator.url, '--state', stateFile];
    const version = (metric: string, service: boolean) => synthStack(dir, (s) => {
      withPolicy(hostMonitor(s, 'Mem', 'memory', metric), RemovalPolicy.RETAIN);
      if (service) withPolicy(new MackerelService(s, 'Svc', { name: 'old-state' }), RemovalPolicy.RETAIN);
    });
    expect((await cli(['apply', version('memory%', true), ...base])).code).toBe(0);
    const first = readState(stateFile);
    const mem = logicalId(first, 'Mem');
    const svc = logicalId(first, 'Svc');
    const oldMonitor = first.stacks.Shop.resources[mem].physicalId;
    expect((await cli(['apply', version('container-mem%', true), ...base])).code).toBe(0);

    // and the state as an earlier version wrote it, whose run stopped before its cleanup: no deletionPolicy, a pending delete without a policy
    const state = readState(stateFile);
    const { deletionPolicy: recorded, ...service } = state.stacks.Shop.resources[svc];
    expect(recorded).toBe('Retain');
    writeFileSync(stateFile, JSON.stringify({
      ...state,
      stacks: { Shop: { ...state.stacks.Shop, resources: { ...state.stacks.Shop.resources, [svc]: service } } },
      pendingDeletes: [{ stackName: 'Shop', logicalId: mem, type: 'Custom::MackerelMonitor', physicalId: oldMonitor }],
    }));

    // WHEN the service is removed from the app
    const outdir = version('container-mem%', false);

    // THEN diff shows plain deletes
    let run = await cli(['diff', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`^- delete +Monitor +Shop/${mem} ${oldMonitor} \\(old object of a replacement, left by an earlier apply that stopped\\)\\n`
      + `- delete +Service +Shop/${svc} old-state "old-state"\\n2 to delete\\.$`));
    expect(run.code).toBe(1);

    // and apply deletes both
    run = await cli(['apply', outdir, ...base]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Done: 2 deleted, 1 unchanged\.$/m);
    expect(services()).toEqual([]);
    expect(shared.emulator.state().monitors.map((m: any) => m.metric)).toEqual(['container-mem%']);
  });
});

describe('a policy the CLI cannot act on', () => {
  for (const [attribute, value] of [['DeletionPolicy', 'Snapshot'], ['UpdateReplacePolicy', 'Snapshot'], ['DeletionPolicy', 'Keep']] as const) {
    test(`${attribute} ${value} is refused by apply before anything is sent, and by diff`, async () => {
      const dir = workDir();
      const stateFile = join(dir, 'state.json');
      const base = ['--api-base', shared.emulator.url, '--state', stateFile];
      const outdir = synthStack(dir, (s) => {
        new MackerelService(s, 'Svc', { name: 'refused' });
        const cpu = hostMonitor(s, 'Cpu', 'cpu');
        ((cpu.node.defaultChild as CustomResource).node.defaultChild as CfnResource).addOverride(attribute, value);
      });
      const refusal = `Shop/Cpu\\w+ \\(Custom::MackerelMonitor\\) has ${attribute} "${value}", which cdk-mackerel does not support`
        + `${value === 'Snapshot' ? ' \\(a Mackerel object has no snapshot to take\\)' : ''}; expected Delete, Retain or RetainExceptOnCreate `
        + '\\(RemovalPolicy.DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE\\)';

      let run = await cli(['apply', outdir, ...base]);
      expect(run.err).toMatch(new RegExp(`^cdk-mackerel: ${refusal}; nothing was changed$`));
      expect(run.code).toBe(2);
      expect(changes()).toEqual([]);

      run = await cli(['diff', outdir, ...base]);
      expect(run.err).toMatch(new RegExp(`^cdk-mackerel: apply would refuse this run: ${refusal}$`));
      expect(run.out).toBe('');
      expect(run.code).toBe(2);
    });
  }

  test('an Fn::If (AWS::LanguageExtensions) is resolved, and --destroy reads the policy recorded, not the template', async () => {
    const dir = workDir();
    const file = join(dir, 'Shop.template.json');
    const write = (deletionPolicy: unknown) => writeFileSync(file, JSON.stringify({
      Transform: 'AWS::LanguageExtensions',
      Parameters: { Env: { Type: 'String', Default: 'dev' } },
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: {} },
        Svc: { Type: 'Custom::MackerelService', DeletionPolicy: deletionPolicy, Properties: { ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] }, name: 'iffed' } },
      },
    }));
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    write({ 'Fn::If': ['IsProd', 'Retain', 'Delete'] });
    expect((await cli(['apply', file, ...base, '--parameters', 'Env=prod'])).code).toBe(0);
    expect(readState(join(dir, 'state.json')).stacks.Shop.resources.Svc.deletionPolicy).toBe('Retain');

    write('Snapshot');
    const run = await cli(['apply', file, ...base, '--destroy']);
    expect(run.err).toBe('');
    expect(run.out).toMatch(/\[1\/1\] retained +Service +Shop\/Svc iffed "iffed" \(not deleted: DeletionPolicy Retain; it stays in Mackerel\)\n/);
    expect(services()).toEqual(['iffed']);
  });
});

describe('diff of a retained downtime and alert group setting in a stack no longer in the app', () => {
  test('diff says in the words of apply --destroy --stack that both go with the monitor that run deletes', async () => {
    // GIVEN stack Night with a host monitor, and a downtime and an alert group setting scoped to it alone, given RETAIN
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const outdir = join(dir, 'cdk.out');
    const synth = (withNight: boolean) => {
      rmSync(outdir, { recursive: true, force: true });
      const app = new App({ outdir });
      addProvider(new Stack(app, 'Day'));
      if (withNight) {
        const night = new Stack(app, 'Night');
        addProvider(night);
        const monitors = [hostMonitor(night, 'Cpu', 'cpu')];
        new Downtime(night, 'Quiet', {
          name: 'quiet', start: new Date('2030-01-01T00:00:00Z'), duration: Duration.hours(1), monitors, removalPolicy: RemovalPolicy.RETAIN,
        });
        new AlertGroupSetting(night, 'Group', { name: 'group', monitors, removalPolicy: RemovalPolicy.RETAIN });
      }
      app.synth();
    };
    synth(true);
    expect((await cli(['apply', outdir, ...base])).code).toBe(0);
    const cpuId = shared.emulator.state().monitors[0].id;

    // WHEN stack Night is removed from the app, diffed, then destroyed as diff says
    synth(false);
    const diff = await cli(['diff', outdir, ...base]);
    const run = await cli(['apply', outdir, ...base, '--destroy', '--stack', 'Night']);

    // THEN diff says first what apply says, of both
    const gone = goneWithMonitor(cpuId);
    expect(diff.err).toBe('');
    expect(diff.out).toMatch(new RegExp(`^- retain +Downtime +Night/Quiet\\w+ \\w+ "quiet" ${gone}`, 'm'));
    expect(diff.out).toMatch(new RegExp(`^- retain +AlertGroupSetting +Night/Group\\w+ \\w+ "group" ${gone}`, 'm'));
    expect(run.err).toBe('');
    expect(run.out).toMatch(new RegExp(`\\] retained +Downtime +Night/Quiet\\w+ \\w+ "quiet" ${gone}$`, 'm'));
    expect(run.out).toMatch(new RegExp(`\\] retained +AlertGroupSetting +Night/Group\\w+ \\w+ "group" ${gone}$`, 'm'));
    expect(shared.emulator.state().downtimes).toEqual([]);
    expect(shared.emulator.state().alertGroupSettings).toEqual([]);
  });
});
