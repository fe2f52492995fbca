import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { _Outcome, _ResourceEvent, _Waiting, _apply } from '../../src/cli/apply';
import { _App, _Template } from '../../src/cli/assembly';
import { _formatWaiting } from '../../src/cli/printer';
import { _namesRoleOrService } from '../../src/cli/scoped';
import { _StateStore, _fileStore, _memoryStore, _readState } from '../../src/cli/state';

/** A fake handler: physical IDs count up; a change of `name` on a monitor replaces it. */
function fakeHandler(failOn?: (e: _ResourceEvent) => boolean) {
  const events: _ResourceEvent[] = [];
  let n = 0;
  const invoke = async (e: _ResourceEvent) => {
    events.push(e);
    if (failOn?.(e)) throw new Error(`${e.LogicalResourceId}: ${e.RequestType} failed: HTTP 500`);
    if (e.RequestType === 'Delete') return { PhysicalResourceId: e.PhysicalResourceId!, Data: {} };
    const replace = e.RequestType === 'Update' && e.OldResourceProperties?.metric !== e.ResourceProperties.metric;
    const id = e.RequestType === 'Update' && !replace ? e.PhysicalResourceId! : `id-${++n}`;
    return { PhysicalResourceId: id, Data: { Id: id } };
  };
  return { events, invoke };
}

function template(monitors: { [id: string]: object }): _Template {
  const Resources: { [id: string]: any } = {
    Svc: { Type: 'Custom::MackerelService', Properties: { ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] }, name: 'shop' } },
    Fn: { Type: 'AWS::Lambda::Function' },
  };
  for (const [id, props] of Object.entries(monitors)) Resources[id] = { Type: 'Custom::MackerelMonitor', Properties: { ...props, service: { Ref: 'Svc' } } };
  return { Resources };
}

const app = (t: _Template): _App => ({ stacks: [{ stackName: 'S', template: t }], baseDir: '.' });

async function run(t: _Template, store: _StateStore, invoke: any, destroy = false): Promise<_Outcome[]> {
  return _apply({ app: app(t), store, invoke, env: {}, destroy, report: () => undefined, notice: () => undefined });
}

const summary = (o: _Outcome[]) => o.map((x) => `${x.action} ${x.logicalId}`);

describe('apply engine', () => {
  test('creates in order, sends CloudFormation strings without ServiceToken, then reports unchanged', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    expect(summary(await run(template({ Cpu: { warning: 80, metric: 'cpu%' } }), store, h.invoke))).toEqual(['created Svc', 'created Cpu']);
    expect(h.events[1]).toMatchObject({ RequestType: 'Create', ResourceProperties: { warning: '80', metric: 'cpu%', service: 'id-1' } });
    expect(h.events[0].ResourceProperties).toEqual({ name: 'shop' });
    expect(h.events[0].StackId).toMatch(/^arn:aws:cloudformation:us-east-1:123456789012:stack\/S\//);
    expect(summary(await run(template({ Cpu: { warning: 80, metric: 'cpu%' } }), store, h.invoke))).toEqual(['unchanged Svc', 'unchanged Cpu']);
    expect(h.events).toHaveLength(2);
  });

  test('update sends the old properties; a new physical ID is a replacement whose old object is deleted after every update', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    await run(template({ A: { metric: 'a' }, B: { metric: 'b' } }), store, h.invoke);
    h.events.length = 0;
    const outcomes = await run(template({ A: { metric: 'a2' }, B: { metric: 'b', warning: 1 } }), store, h.invoke);
    expect(summary(outcomes)).toEqual(['unchanged Svc', 'replaced A', 'updated B', 'deleted A']);
    expect(h.events.map((e) => `${e.RequestType} ${e.LogicalResourceId} ${e.PhysicalResourceId ?? ''}`)).toEqual(['Update A id-2', 'Update B id-3', 'Delete A id-2']);
    expect(h.events[0].OldResourceProperties).toEqual({ metric: 'a', service: 'id-1' });
    expect(store.state.pendingDeletes).toEqual([]);
  });

  test('resources gone from the template are deleted dependents first; destroy deletes everything', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    await run(template({ A: { metric: 'a' } }), store, h.invoke);
    h.events.length = 0;
    expect(summary(await run(template({}), store, h.invoke))).toEqual(['unchanged Svc', 'deleted A']);
    await run(template({ A: { metric: 'a' } }), store, h.invoke);
    h.events.length = 0;
    expect(summary(await run(template({ A: { metric: 'a' } }), store, h.invoke, true))).toEqual(['deleted A', 'deleted Svc']);
    expect(store.state.stacks).toEqual({});
  });

  test('a failure stops the run with the state saved after every success; the next run finishes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-')), 'state.json');
    const failing = fakeHandler((e) => e.LogicalResourceId === 'B');
    await expect(run(template({ A: { metric: 'a' }, B: { metric: 'b' } }), _fileStore(file), failing.invoke)).rejects.toThrow(/B: Create failed: HTTP 500/);
    expect(Object.keys(_readState(file).stacks.S.resources).sort()).toEqual(['A', 'Svc']);
    const h = fakeHandler();
    expect(summary(await run(template({ A: { metric: 'a' }, B: { metric: 'b' } }), _fileStore(file), h.invoke))).toEqual(['unchanged Svc', 'unchanged A', 'created B']);
  });

  test('a reference that resolves to the literal it replaced leaves the object unchanged but orders the destroy by it', async () => {
    // GIVEN a monitor applied with the service's name as a literal, so it depends on nothing
    const file = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-')), 'state.json');
    const h = fakeHandler();
    const withService = (service: unknown): _Template => ({
      Resources: {
        Svc: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } },
        A: { Type: 'Custom::MackerelMonitor', Properties: { metric: 'a', service } },
      },
    });
    // Without a dependency A sorts first, so the fake handler numbers the service id-2.
    await run(withService('id-2'), _fileStore(file), h.invoke);
    expect(_readState(file).stacks.S.resources.Svc.physicalId).toBe('id-2');

    // WHEN the literal becomes a Ref to the service, which resolves to the same ID
    expect(summary(await run(withService({ Ref: 'Svc' }), _fileStore(file), h.invoke))).toEqual(['unchanged Svc', 'unchanged A']);

    // THEN the saved state records the dependency, and destroy deletes the monitor before its service
    expect(_readState(file).stacks.S.resources.A.dependsOn).toEqual(['Svc']);
    h.events.length = 0;
    expect(summary(await run(withService({ Ref: 'Svc' }), _fileStore(file), h.invoke, true))).toEqual(['deleted A', 'deleted Svc']);
  });

  test('the old object of a monitor replaced while it names a removed service by a literal name is deleted before that service', async () => {
    // GIVEN a monitor naming its service by the ID the fake handler gives it, not by a Ref (no dependency is recorded)
    const store = _memoryStore();
    const h = fakeHandler();
    const withMonitor = (metric: string, service = true): _Template => ({
      Resources: {
        ...service ? { zSvc: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } } : {},
        Mon: { Type: 'Custom::MackerelMonitor', Properties: { metric, service: 'id-2' } },
      },
    });
    // Without a dependency Mon sorts first, so the fake handler numbers the service id-2.
    await run(withMonitor('a'), store, h.invoke);
    expect(store.state.stacks.S.resources.zSvc.physicalId).toBe('id-2');
    h.events.length = 0;

    // WHEN the service is removed in the run that replaces the monitor (its old object's properties are then gone from the state)
    expect(summary(await run(withMonitor('b', false), store, h.invoke))).toEqual(['replaced Mon', 'deleted Mon', 'deleted zSvc']);

    // THEN the old monitor goes first, though "old" objects sort before a logical ID starting with z
    expect(h.events.map((e) => `${e.RequestType} ${e.PhysicalResourceId ?? ''}`)).toEqual(['Update id-1', 'Delete id-1', 'Delete id-2']);
  });

  test('the old object of a monitor replaced while its scopes name a removed role by a literal name is deleted before that role', async () => {
    // GIVEN a monitor scoped to its role by the ID the fake handler gives it, not by a Ref (no dependency is recorded)
    const store = _memoryStore();
    const h = fakeHandler();
    const withMonitor = (metric: string, role = true): _Template => ({
      Resources: {
        ...role ? { zWeb: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: 'web' } } } : {},
        Mon: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', metric, scopes: ['id-2'] } },
      },
    });
    // Without a dependency Mon sorts first, so the fake handler numbers the role id-2.
    await run(withMonitor('a'), store, h.invoke);
    expect(store.state.stacks.S.resources.zWeb.physicalId).toBe('id-2');
    h.events.length = 0;

    // WHEN the role is removed in the run that replaces the monitor (its old object's properties are then gone from the state)
    expect(summary(await run(withMonitor('b', false), store, h.invoke))).toEqual(['replaced Mon', 'deleted Mon', 'deleted zWeb']);

    // THEN the old monitor goes first: the handler leaves a role that a monitor still names in its scopes
    expect(h.events.map((e) => `${e.RequestType} ${e.PhysicalResourceId ?? ''}`)).toEqual(['Update id-1', 'Delete id-1', 'Delete id-2']);
  });

  test('the old object of a downtime replaced while its scopes name a removed service by a literal name is deleted before that service', async () => {
    // GIVEN a downtime that excludes its service by the ID the fake handler gives it, not by a Ref (no dependency is recorded)
    const store = _memoryStore();
    const h = fakeHandler();
    const withDowntime = (metric: string, service = true): _Template => ({
      Resources: {
        ...service ? { zShop: { Type: 'Custom::MackerelService', Properties: { name: 'shop' } } } : {},
        Night: { Type: 'Custom::MackerelDowntime', Properties: { name: 'night', metric, serviceExcludeScopes: ['id-2'] } },
      },
    });
    // Without a dependency Night sorts first, so the fake handler numbers the service id-2.
    await run(withDowntime('a'), store, h.invoke);
    expect(store.state.stacks.S.resources.zShop.physicalId).toBe('id-2');
    h.events.length = 0;

    // WHEN the service is removed in the run that replaces the downtime (its old object's properties are then gone from the state)
    expect(summary(await run(withDowntime('b', false), store, h.invoke))).toEqual(['replaced Night', 'deleted Night', 'deleted zShop']);

    // THEN the old downtime goes first: the handler leaves a service that a downtime still names in its scopes
    expect(h.events.map((e) => `${e.RequestType} ${e.PhysicalResourceId ?? ''}`)).toEqual(['Update id-1', 'Delete id-1', 'Delete id-2']);
  });

  test('--destroy deletes a stack whose monitor names a role of another stack by a literal name before that stack', async () => {
    // GIVEN stack Mon, first in the app, with a monitor scoped to the role of stack Web by the ID the fake handler gives it
    // (id-2), not by an import: no dependency between the stacks is recorded
    const store = _memoryStore();
    const h = fakeHandler();
    const twoStacks: _App = {
      stacks: [
        { stackName: 'Mon', template: { Resources: { Cpu: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', scopes: ['id-2'] } } } } },
        { stackName: 'Web', template: { Resources: { Role: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: 'web' } } } } },
      ],
      baseDir: '.',
    };
    const go = (destroy: boolean) =>
      _apply({ app: twoStacks, store, invoke: h.invoke as any, env: {}, destroy, report: () => undefined, notice: () => undefined });
    await go(false);
    expect(store.state.stacks.Web.resources.Role.physicalId).toBe('id-2');
    h.events.length = 0;

    // WHEN both stacks are destroyed
    await go(true);

    // THEN the monitor goes first, though the reverse of the app's order would delete Web first: the handler leaves a role
    // that a monitor still names in its scopes
    expect(h.events.map((e) => `${e.RequestType} ${e.PhysicalResourceId ?? ''}`)).toEqual(['Delete id-1', 'Delete id-2']);
  });

  test('--destroy keeps the literal names outside a cycle of them: a third stack naming a role of the cycle still goes first', async () => {
    // GIVEN stacks A and B whose monitors name each other's role by the IDs the fake handler gives them (a cycle of names),
    // and stack Mon, first in the app, whose monitor names B's role too
    const store = _memoryStore();
    const h = fakeHandler();
    const stack = (stackName: string, monitorScope: string, ...role: string[]) => ({
      stackName,
      template: {
        Resources: {
          Cpu: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', scopes: [monitorScope] } },
          ...role.length > 0 ? { Role: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: role[0] } } } : {},
        },
      },
    });
    const threeStacks: _App = { stacks: [stack('Mon', 'id-5'), stack('A', 'id-5', 'a'), stack('B', 'id-3', 'b')], baseDir: '.' };
    const go = (destroy: boolean) =>
      _apply({ app: threeStacks, store, invoke: h.invoke as any, env: {}, destroy, report: () => undefined, notice: () => undefined });
    await go(false);
    expect(store.state.stacks.A.resources.Role.physicalId).toBe('id-3');
    expect(store.state.stacks.B.resources.Role.physicalId).toBe('id-5');
    h.events.length = 0;

    // WHEN the three stacks are destroyed
    await go(true);

    // THEN Mon's monitor goes before B's role: only the names that make the cycle fall back on the reverse of the app's order
    const deletes = h.events.map((e) => e.PhysicalResourceId);
    expect(deletes.indexOf('id-1')).toBeLessThan(deletes.indexOf('id-5'));
    expect(deletes.sort()).toEqual(['id-1', 'id-2', 'id-3', 'id-4', 'id-5']);
  });

  test('the cleanup deletes the old object of a replaced monitor naming a role another stack removes by a literal name before that stack\'s cleanup', async () => {
    // GIVEN stack Web, first in the app, with a role, and stack Mon with a monitor scoped to it by the ID the fake handler
    // gives it (id-1), not by an import: no dependency between the stacks is recorded
    const store = _memoryStore();
    const h = fakeHandler();
    const stacks = (role: boolean, metric: string): _App => ({
      stacks: [
        { stackName: 'Web', template: { Resources: role ? { Role: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: 'web' } } } : {} } },
        { stackName: 'Mon', template: { Resources: { Cpu: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', metric, scopes: metric === 'cpu%' ? ['id-1'] : ['shop'] } } } } },
      ],
      baseDir: '.',
    });
    const go = (twoStacks: _App) =>
      _apply({ app: twoStacks, store, invoke: h.invoke as any, env: {}, report: () => undefined, notice: () => undefined });
    await go(stacks(true, 'cpu%'));
    expect(store.state.stacks.Web.resources.Role.physicalId).toBe('id-1');
    expect(store.state.stacks.Mon.resources.Cpu.physicalId).toBe('id-2');
    h.events.length = 0;

    // WHEN the role leaves its template in the run that replaces the monitor (a new metric, for the fake handler) by one
    // that no longer names it
    await go(stacks(false, 'memory%'));

    // THEN the old monitor, which named the role, goes first, though Web comes first in the app: the handler leaves a role
    // that a monitor still names in its scopes
    expect(h.events.map((e) => `${e.RequestType} ${e.LogicalResourceId} ${e.PhysicalResourceId ?? ''}`)).toEqual(['Update Cpu id-2', 'Delete Cpu id-2', 'Delete Role id-1']);
  });

  test('a rerun after a failed run deletes the old object of a replaced monitor naming a role another stack removes before that stack\'s cleanup', async () => {
    // GIVEN stack Web, first in the app, with a role, and stack Mon with a monitor scoped to it by the ID the fake handler
    // gives it (id-1), and stack Z whose create fails in the run that replaces the monitor and removes the role
    const store = _memoryStore();
    let fail = false;
    const h = fakeHandler((e) => fail && e.LogicalResourceId === 'Extra');
    const stacks = (role: boolean, metric: string, extra: boolean): _App => ({
      stacks: [
        { stackName: 'Web', template: { Resources: role ? { Role: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: 'web' } } } : {} } },
        { stackName: 'Mon', template: { Resources: { Cpu: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', metric, scopes: metric === 'cpu%' ? ['id-1'] : ['shop'] } } } } },
        { stackName: 'Z', template: { Resources: extra ? { Extra: { Type: 'Custom::MackerelService', Properties: { name: 'extra' } } } : {} } },
      ],
      baseDir: '.',
    });
    const go = (app3: _App) =>
      _apply({ app: app3, store, invoke: h.invoke as any, env: {}, report: () => undefined, notice: () => undefined });
    await go(stacks(true, 'cpu%', false));
    fail = true;
    await expect(go(stacks(false, 'memory%', true))).rejects.toThrow(/Extra: Create failed/);
    expect(store.state.pendingDeletes).toMatchObject([{ stackName: 'Mon', logicalId: 'Cpu', physicalId: 'id-2' }]);
    expect(store.state.stacks.Web.resources.Role.physicalId).toBe('id-1');
    fail = false;
    h.events.length = 0;

    // WHEN the run is made again
    await go(stacks(false, 'memory%', false));

    // THEN the old monitor, which named the role, is deleted before the role, as in the run that replaced it
    expect(h.events.map((e) => `${e.RequestType} ${e.LogicalResourceId} ${e.PhysicalResourceId ?? ''}`)).toEqual(['Delete Cpu id-2', 'Delete Role id-1']);
  });

  test('an old monitor its UpdateReplacePolicy retains puts its stack\'s cleanup before no other stack\'s: it names the role whatever the order', async () => {
    // GIVEN stack Mon, first in the app, with a role (id-2) and a monitor scoped to Web's role (id-4), and stack Web with
    // a role (id-4) and a monitor scoped to Mon's role (id-2), by the IDs the fake handler gives them
    const store = _memoryStore();
    const h = fakeHandler();
    const stacks = (roles: boolean): _App => ({
      stacks: [
        {
          stackName: 'Mon',
          template: {
            Resources: {
              ...roles ? { MonRole: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: 'mon' } } } : {},
              Cpu: { Type: 'Custom::MackerelMonitor', UpdateReplacePolicy: 'Retain', Properties: { type: 'host', metric: roles ? 'cpu%' : 'memory%', scopes: roles ? ['id-4'] : ['shop'] } },
            },
          },
        },
        {
          stackName: 'Web',
          template: {
            Resources: roles ? {
              WebRole: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: 'web' } },
              Mem: { Type: 'Custom::MackerelMonitor', Properties: { type: 'host', metric: 'memory%', scopes: ['id-2'] } },
            } : {},
          },
        },
      ],
      baseDir: '.',
    });
    const go = (twoStacks: _App) =>
      _apply({ app: twoStacks, store, invoke: h.invoke as any, env: {}, report: () => undefined, notice: () => undefined });
    await go(stacks(true));
    expect([store.state.stacks.Mon.resources.MonRole.physicalId, store.state.stacks.Web.resources.WebRole.physicalId]).toEqual(['id-2', 'id-4']);
    h.events.length = 0;

    // WHEN the roles and Web's monitor leave the templates, in the run that replaces Mon's monitor by one naming neither role
    await go(stacks(false));

    // THEN Web's monitor is deleted before Mon's role, which it names: the old monitor, retained, names Web's role whatever
    // the order, and gives no reason for Mon's cleanup to go first
    const deletes = h.events.filter((e) => e.RequestType === 'Delete').map((e) => e.LogicalResourceId);
    expect(deletes.indexOf('Mem')).toBeLessThan(deletes.indexOf('MonRole'));
    expect([...deletes].sort()).toEqual(['Mem', 'MonRole', 'WebRole']);
  });

  test('an old anomaly detection monitor pending delete in a state written before namedElsewhere names the other stack\'s service of its roles, as apply records it', () => {
    // GIVEN a state written before namedElsewhere was recorded: stack Mon's old anomaly detection monitor watched its own
    // role shop:web, in service shop of stack Svc
    const file = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-')), 'state.json');
    const monitor = { type: 'anomalyDetection', scopes: ['shop:web'] };
    writeFileSync(file, JSON.stringify({
      version: 1,
      stacks: {
        Svc: { stackId: 'svc', resources: { Shop: { type: 'Custom::MackerelService', physicalId: 'shop', properties: { name: 'shop' }, data: {} } } },
        Mon: { stackId: 'mon', resources: { Web: { type: 'Custom::MackerelRole', physicalId: 'shop:web', properties: { service: 'shop', name: 'web' }, data: {} } } },
      },
      pendingDeletes: [{ stackName: 'Mon', logicalId: 'Cpu', type: 'Custom::MackerelMonitor', physicalId: 'id-2', roles: monitor.scopes }],
    }));

    // WHEN it is read
    const state = _readState(file);

    // THEN the old monitor names service shop of stack Svc, which its scopes lie in, as apply records it when it replaces
    // the monitor (so Mon's cleanup goes before Svc's, whose service the handler would otherwise leave or delete with it)
    const recorded = Object.values(state.stacks.Svc.resources)
      .filter((r) => _namesRoleOrService({ type: 'Custom::MackerelMonitor', properties: monitor, physicalId: 'id-2' }, r)).map((r) => r.physicalId);
    expect(recorded).toEqual(['shop']);
    expect(state.pendingDeletes[0].namedElsewhere).toEqual(recorded);
  });

  test('an old anomaly detection monitor pending delete in a state written before namedElsewhere is deleted before the other stack\'s role it watched', async () => {
    // GIVEN stack Web with a role, and stack Mon with an anomaly detection monitor watching it by the ID the fake handler
    // gives it (id-1), replaced by a run that removes the role and fails in stack Z before its cleanup
    const file = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-')), 'state.json');
    let fail = false;
    const h = fakeHandler((e) => fail && e.LogicalResourceId === 'Extra');
    const stacks = (role: boolean, metric: string, extra: boolean): _App => ({
      stacks: [
        { stackName: 'Web', template: { Resources: role ? { Role: { Type: 'Custom::MackerelRole', Properties: { service: 'shop', name: 'web' } } } : {} } },
        { stackName: 'Mon', template: { Resources: { Cpu: { Type: 'Custom::MackerelMonitor', Properties: { type: 'anomalyDetection', metric, scopes: ['id-1'] } } } } },
        { stackName: 'Z', template: { Resources: extra ? { Extra: { Type: 'Custom::MackerelService', Properties: { name: 'extra' } } } : {} } },
      ],
      baseDir: '.',
    });
    const go = (app3: _App) =>
      _apply({ app: app3, store: _fileStore(file), invoke: h.invoke as any, env: {}, report: () => undefined, notice: () => undefined });
    await go(stacks(true, 'a', false));
    fail = true;
    await expect(go(stacks(false, 'b', true))).rejects.toThrow(/Extra: Create failed/);
    // and a state file as written before namedElsewhere was recorded: the old monitor's roles only
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.pendingDeletes).toMatchObject([{ stackName: 'Mon', logicalId: 'Cpu', physicalId: 'id-2', roles: ['id-1'], namedElsewhere: ['id-1'] }]);
    delete state.pendingDeletes[0].namedElsewhere;
    writeFileSync(file, JSON.stringify(state));
    fail = false;
    h.events.length = 0;

    // WHEN the run is made again
    await go(stacks(false, 'b', false));

    // THEN the old monitor, which watched the role, is deleted before the role
    expect(h.events.map((e) => `${e.RequestType} ${e.LogicalResourceId} ${e.PhysicalResourceId ?? ''}`)).toEqual(['Delete Cpu id-2', 'Delete Role id-1']);
  });

  test('a memo the handler ignored is an unchanged object with a notice, marked unapplied until an update writes the object', async () => {
    // GIVEN a handler that, like owned.ts, names a service by its name and writes nothing for a memo-only update
    const events: _ResourceEvent[] = [];
    const invoke = async (e: _ResourceEvent) => {
      events.push(e);
      const name = String(e.ResourceProperties.name);
      const memoOnly = e.RequestType === 'Update' && e.OldResourceProperties?.name === name;
      return { PhysicalResourceId: e.RequestType === 'Delete' ? e.PhysicalResourceId! : name, Data: { Name: name, MemoIgnored: String(memoOnly) } };
    };
    const service = (name: string, memo: string): _Template => ({ Resources: { Svc: { Type: 'Custom::MackerelService', Properties: { name, memo } } } });
    const store = _memoryStore();
    const notices: string[] = [];
    const applyService = (t: _Template) => _apply({ app: app(t), store, invoke, env: {}, report: () => undefined, notice: (m) => notices.push(m) });
    await applyService(service('shop', 'one'));

    // WHEN only the memo changes
    const outcomes = await applyService(service('shop', 'two'));

    // THEN the update is sent, but the object is reported unchanged, with a notice, and the memo marked unapplied
    expect(events.map((e) => e.RequestType)).toEqual(['Create', 'Update']);
    expect(summary(outcomes)).toEqual(['unchanged Svc']);
    expect(notices).toEqual([expect.stringMatching(/^S\/Svc: the memo of the template was not applied, as Mackerel has no API to update the memo of a service; /)]);
    expect(store.state.stacks.S.resources.Svc).toMatchObject({ properties: { name: 'shop', memo: 'two' }, unapplied: ['memo'] });

    // and a later apply of the same template keeps the mark; a replacement, which writes the memo, clears it
    await applyService(service('shop', 'two'));
    expect(store.state.stacks.S.resources.Svc.unapplied).toEqual(['memo']);
    expect(summary(await applyService(service('shop2', 'two')))).toEqual(['replaced Svc', 'deleted Svc']);
    expect(store.state.stacks.S.resources.Svc.unapplied).toBeUndefined();
  });

  test('a cleanup interrupted by a failure is finished by the next run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-')), 'state.json');
    await run(template({ A: { metric: 'a' } }), _fileStore(file), fakeHandler().invoke);
    const failing = fakeHandler((e) => e.RequestType === 'Delete');
    await expect(run(template({ A: { metric: 'a2' } }), _fileStore(file), failing.invoke)).rejects.toThrow(/Delete failed/);
    // With what the old object depended on, for the order of the cleanup.
    expect(_readState(file).pendingDeletes).toEqual([{ stackName: 'S', logicalId: 'A', type: 'Custom::MackerelMonitor', physicalId: 'id-2', dependsOn: ['Svc'] }]);
    const h = fakeHandler();
    expect(summary(await run(template({ A: { metric: 'a2' } }), _fileStore(file), h.invoke))).toEqual(['unchanged Svc', 'unchanged A', 'deleted A']);
    expect(h.events.map((e) => `${e.RequestType} ${e.PhysicalResourceId}`)).toEqual(['Delete id-2']);
  });
});

describe('progress of a long operation', () => {
  test('a slow operation is reported as still running every waitingEveryMs, with its position; a quick one is not', async () => {
    const h = fakeHandler();
    // The slow operation ends once it has been reported twice, however late a loaded machine runs the timer.
    let reportedTwice!: () => void;
    const twice = new Promise<void>((done) => (reportedTwice = done));
    const slow = async (e: _ResourceEvent): Promise<any> => {
      if (e.LogicalResourceId === 'Cpu') await twice;
      return h.invoke(e);
    };
    const lines: string[] = [];
    const waits: _Waiting[] = [];
    await _apply({
      app: app(template({ Cpu: { metric: 'cpu%' } })),
      store: _memoryStore(),
      invoke: slow,
      env: {},
      report: () => undefined,
      waiting: (w, i, n) => {
        waits.push(w);
        lines.push(_formatWaiting(w, i, n));
        if (waits.length === 2) reportedTwice();
      },
      waitingEveryMs: 40,
      notice: () => undefined,
    });
    expect(waits).toHaveLength(2);
    expect(waits.every((w) => w.logicalId === 'Cpu' && w.verb === 'creating')).toBe(true);
    expect(waits[1].elapsedMs).toBeGreaterThan(waits[0].elapsedMs);
    expect(lines[0]).toBe('[2/2] still creating Monitor S/Cpu (0 s)');
    // Nothing is reported after the operation ends: the timer is cleared.
    const count = waits.length;
    await new Promise((done) => setTimeout(done, 100));
    expect(waits).toHaveLength(count);
  });

  test('the line shows whole seconds and the verb of the operation', () => {
    const w: _Waiting = { verb: 'updating', stackName: 'Shop', logicalId: 'Aws', type: 'Custom::MackerelAwsIntegration', elapsedMs: 30_400 };
    expect(_formatWaiting(w, 3, 12)).toBe('[ 3/12] still updating AwsIntegration Shop/Aws (30 s)');
  });
});

describe('state file', () => {
  test('round-trips and rejects what is not a state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-'));
    const store = _fileStore(join(dir, 's.json'));
    store.state.stacks.S = { stackId: 'x', resources: { A: { type: 'Custom::MackerelService', physicalId: 'shop', properties: { name: 'shop' }, data: { Name: 'shop' } } } };
    store.save();
    expect(_readState(join(dir, 's.json'))).toEqual(store.state);
    expect(_readState(join(dir, 'missing.json'))).toEqual({ version: 1, stacks: {}, pendingDeletes: [] });
    writeFileSync(join(dir, 'bad.json'), '{"version":"1","stacks":{}}');
    expect(() => _readState(join(dir, 'bad.json'))).toThrow(/is not a cdk-mackerel state \(version 1\)/);
    writeFileSync(join(dir, 'junk.json'), 'nope');
    expect(() => _readState(join(dir, 'junk.json'))).toThrow(/is not readable JSON/);
  });

  test('a state file of a later version is said to be written by a newer cdk-mackerel, not to be no state at all', () => {
    // It said 'is not a cdk-mackerel state (version 1)', as for any other JSON, where the emulator's file says which version wrote it.
    const dir = mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-'));
    const file = join(dir, 's.json');
    writeFileSync(file, JSON.stringify({ version: 2, stacks: {}, pendingDeletes: [], somethingNew: {} }));
    expect(() => _readState(file)).toThrow(new RegExp(`^state file ${file} is version 2, written by a newer cdk-mackerel \\(this one reads version 1\\); `
      + 'use that version with it \\(removing it forgets what was applied\\)$'));
    for (const version of [0, 1.5, -2]) {
      writeFileSync(file, JSON.stringify({ version, stacks: {} }));
      expect(() => _readState(file)).toThrow(/is not a cdk-mackerel state \(version 1\)$/);
    }
  });

  test('a state file that is a symbolic link is saved through it: the link stays a link, its target holds the state', () => {
    // Kept in a private or synced place behind a link: the rename of the save replaced the link with a file of its own.
    const dir = mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-'));
    mkdirSync(join(dir, 'private'));
    const target = join(dir, 'private', 'state.json');
    writeFileSync(target, JSON.stringify({ version: 1, stacks: {}, pendingDeletes: [] }));
    symlinkSync(target, join(dir, 's.json'));
    const store = _fileStore(join(dir, 's.json'));
    store.state.stacks.S = { stackId: 'x', resources: { A: { type: 'Custom::MackerelService', physicalId: 'shop', properties: { name: 'shop' }, data: { Name: 'shop' } } } };
    store.save();
    expect(lstatSync(join(dir, 's.json')).isSymbolicLink()).toBe(true);
    expect(_readState(target)).toEqual(store.state);
    // the temp file was renamed in the target's directory, and none is left
    expect(readdirSync(dir).sort()).toEqual(['private', 's.json']);
    expect(readdirSync(join(dir, 'private'))).toEqual(['state.json']);
    // a relative link (to the link's directory), through a second link, and one whose target is not there yet (a first run)
    symlinkSync('private/first.json', join(dir, 'first.json'));
    symlinkSync('first.json', join(dir, 'again.json'));
    const first = _fileStore(join(dir, 'again.json'));
    first.state.stacks.S = store.state.stacks.S;
    first.save();
    expect(lstatSync(join(dir, 'again.json')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'first.json')).isSymbolicLink()).toBe(true);
    expect(_readState(join(dir, 'private', 'first.json'))).toEqual(first.state);
    // links that lead to one another lead to no file: the save fails naming the file
    symlinkSync('loop-b.json', join(dir, 'loop-a.json'));
    symlinkSync('loop-a.json', join(dir, 'loop-b.json'));
    expect(() => _fileStore(join(dir, 'loop-a.json')).save()).toThrow(/^could not save the state file \S+loop-a\.json \(.*symbolic links.*\)$/);
  });

  test('a save keeps the permissions of the state file it replaces, as private as they were; a new one is private', () => {
    // It holds the properties as applied, a channel's URL among them: chmod 600 was lost to the temp file's 644 on the first save.
    const dir = mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-'));
    const file = join(dir, 's.json');
    for (const mode of [0o600, 0o660]) {
      writeFileSync(file, JSON.stringify({ version: 1, stacks: {}, pendingDeletes: [] }));
      chmodSync(file, mode);
      const store = _fileStore(file);
      store.state.stacks.S = { stackId: 'x', resources: {} };
      store.save();
      // eslint-disable-next-line no-bitwise -- a mode is a bit set
      expect(statSync(file).mode & 0o777).toBe(mode);
    }
    // A first save makes it private, whatever the umask lets others read.
    const store = _fileStore(join(dir, 'new.json'));
    store.save();
    // eslint-disable-next-line no-bitwise -- a mode is a bit set
    expect(statSync(join(dir, 'new.json')).mode & 0o777).toBe(0o600);
  });

  test('unapplied fields must be a list of property names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-'));
    const resource = { type: 'Custom::MackerelService', physicalId: 'shop', properties: { name: 'shop' }, data: {} };
    writeFileSync(join(dir, 's.json'), JSON.stringify({ version: 1, stacks: { S: { stackId: 'x', resources: { A: { ...resource, unapplied: 'memo' } } } } }));
    expect(() => _readState(join(dir, 's.json'))).toThrow(/is damaged: stacks\.S\.resources\.A\.unapplied is not a list of property names/);
    writeFileSync(join(dir, 's.json'), JSON.stringify({ version: 1, stacks: { S: { stackId: 'x', resources: { A: { ...resource, unapplied: ['memo'] } } } } }));
    expect(_readState(join(dir, 's.json')).stacks.S.resources.A.unapplied).toEqual(['memo']);
  });
});
