import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { _Outcome, _ResourceEvent, _Waiting, _apply } from '../../src/cli/apply';
import { _App, _Template } from '../../src/cli/assembly';
import { _formatWaiting } from '../../src/cli/printer';
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

  test('a cleanup interrupted by a failure is finished by the next run', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-state-')), 'state.json');
    await run(template({ A: { metric: 'a' } }), _fileStore(file), fakeHandler().invoke);
    const failing = fakeHandler((e) => e.RequestType === 'Delete');
    await expect(run(template({ A: { metric: 'a2' } }), _fileStore(file), failing.invoke)).rejects.toThrow(/Delete failed/);
    expect(_readState(file).pendingDeletes).toEqual([expect.objectContaining({ logicalId: 'A', physicalId: 'id-2' })]);
    const h = fakeHandler();
    expect(summary(await run(template({ A: { metric: 'a2' } }), _fileStore(file), h.invoke))).toEqual(['unchanged Svc', 'unchanged A', 'deleted A']);
    expect(h.events.map((e) => `${e.RequestType} ${e.PhysicalResourceId}`)).toEqual(['Delete id-2']);
  });
});

describe('progress of a long operation', () => {
  test('a slow operation is reported as still running every waitingEveryMs, with its position; a quick one is not', async () => {
    const h = fakeHandler();
    const slow = async (e: _ResourceEvent): Promise<any> => {
      if (e.LogicalResourceId === 'Cpu') await new Promise((done) => setTimeout(done, 130));
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
      },
      waitingEveryMs: 40,
      notice: () => undefined,
    });
    expect(waits.length).toBeGreaterThanOrEqual(2);
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
    writeFileSync(join(dir, 'bad.json'), '{"version":2,"stacks":{}}');
    expect(() => _readState(join(dir, 'bad.json'))).toThrow(/is not a cdk-mackerel state \(version 1\)/);
    writeFileSync(join(dir, 'junk.json'), 'nope');
    expect(() => _readState(join(dir, 'junk.json'))).toThrow(/is not readable JSON/);
  });
});
