import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { workDir } from './_fixture';
import { _Get } from '../../src/cli/api';
import { _Invoke, _Outcome, _ResourceEvent, _apply } from '../../src/cli/apply';
import { _GivenParameter } from '../../src/cli/args';
import { _App, _Stack, _TemplateOutput, _TemplateResource } from '../../src/cli/assembly';
import { _importNames, _outputReads, _stackOrder } from '../../src/cli/cross-stack';
import { _DiffEntry, _diff } from '../../src/cli/diff';
import { _StateFile, _StateStore, _fileStore, _memoryStore } from '../../src/cli/state';

describe('stack order', () => {
  const deps: { [name: string]: string[] } = { AMonitors: ['ZBase'], Alerts: ['AMonitors', 'Unrelated'], ZBase: [], Other: [] };
  const dependencies = (name: string) => deps[name] ?? [];

  test('a stack comes after the stacks it depends on; the others keep their order', () => {
    expect(_stackOrder(['AMonitors', 'Other', 'Alerts', 'ZBase'], dependencies)).toEqual(['Other', 'ZBase', 'AMonitors', 'Alerts']);
    expect(_stackOrder(['Other', 'ZBase'], dependencies)).toEqual(['Other', 'ZBase']);
  });

  test('dependents first puts a stack before the stacks it depends on', () => {
    expect(_stackOrder(['ZBase', 'Other', 'AMonitors', 'Alerts'], dependencies, { dependentsFirst: true })).toEqual(['Other', 'Alerts', 'AMonitors', 'ZBase']);
  });

  test('dependencies on stacks not in the list are ignored', () => {
    expect(_stackOrder(['Alerts'], dependencies)).toEqual(['Alerts']);
  });

  test('a cycle is an error naming it', () => {
    expect(() => _stackOrder(['A', 'B'], (n) => (n === 'A' ? ['B'] : ['A']))).toThrow(/stacks depend on each other in a cycle: A -> B -> A/);
  });
});

describe('import names', () => {
  test('every Fn::ImportValue at any depth, its name resolved', () => {
    const props = { scopes: [{ 'Fn::ImportValue': 'Base:Service' }], nested: { list: [{ 'Fn::ImportValue': { 'Fn::Sub': '${AWS::Region}-Role' } }] } };
    const names = _importNames(props, (arg) => (typeof arg === 'string' ? arg : 'us-east-1-Role'));
    expect([...names].sort()).toEqual(['Base:Service', 'us-east-1-Role']);
  });
});

describe('output reads', () => {
  test('every Fn::GetStackOutput at any depth, its arguments resolved, each output once', () => {
    const read = { 'Fn::GetStackOutput': { StackName: 'ZBase', OutputName: 'PublishOutputRefShop', Region: { Ref: 'AWS::Region' } } };
    const props = { scopes: [read, { nested: [read] }], other: { 'Fn::GetStackOutput': { StackName: 'Base2', OutputName: 'Cart' } } };
    const reads = _outputReads(props, (arg) => JSON.parse(JSON.stringify(arg).replace('{"Ref":"AWS::Region"}', '"us-east-1"')));
    expect([...reads.values()]).toEqual([
      { stackName: 'ZBase', outputName: 'PublishOutputRefShop', region: 'us-east-1' },
      { stackName: 'Base2', outputName: 'Cart', region: undefined },
    ]);
  });

  test('a read inside another read\'s arguments is found too, so its stack comes first as well', () => {
    const inner = { 'Fn::GetStackOutput': { StackName: 'Names', OutputName: 'BaseName' } };
    const reads = _outputReads({ 'Fn::GetStackOutput': { StackName: inner, OutputName: 'PublishOutputRefShop' } },
      (arg) => JSON.parse(JSON.stringify(arg).replace(JSON.stringify(inner), '"ZBase"')));
    expect([...reads.keys()]).toEqual(['Names/BaseName', 'ZBase/PublishOutputRefShop']);
  });

  test('a malformed argument is an error showing it', () => {
    expect(() => _outputReads({ 'Fn::GetStackOutput': ['ZBase', 'Shop'] }, (arg) => arg))
      .toThrow(/^Fn::GetStackOutput \["ZBase","Shop"\]: expected \{ StackName, OutputName, Region\?, RoleArn\? \} with string values$/);
  });
});

/** A fake handler: physical IDs count up (id-1, id-2, ...). */
function fakeHandler() {
  const events: _ResourceEvent[] = [];
  let n = 0;
  const invoke = async (e: _ResourceEvent) => {
    events.push(e);
    const id = e.RequestType === 'Create' ? `id-${++n}` : e.PhysicalResourceId!;
    return { PhysicalResourceId: id, Data: { Id: id } };
  };
  return { events, invoke, sent: () => events.map((e) => `${e.RequestType} ${stackOf(e)}/${e.LogicalResourceId}`) };
}

const stackOf = (e: _ResourceEvent) => /:stack\/([^/]+)\//.exec(e.StackId)?.[1];

/** ZBase exports its services the way the CDK does (an Output per reference); AMonitors imports them. */
function base(services: string[]): _Stack {
  const Resources: { [id: string]: _TemplateResource } = {};
  const Outputs: { [key: string]: _TemplateOutput } = {};
  for (const id of services) {
    Resources[id] = { Type: 'Custom::MackerelService', Properties: { name: id.toLowerCase() } };
    Outputs[`ExportsOutputRef${id}`] = { Value: { Ref: id }, Export: { Name: `ZBase:ExportsOutputRef${id}` } };
  }
  return { stackName: 'ZBase', template: { Resources, Outputs } };
}

function monitors(scopes: { [monitorId: string]: string }): _Stack {
  const Resources: { [id: string]: _TemplateResource } = {};
  for (const [id, service] of Object.entries(scopes)) {
    Resources[id] = { Type: 'Custom::MackerelMonitor', Properties: { type: 'connectivity', scopes: [{ 'Fn::ImportValue': `ZBase:ExportsOutputRef${service}` }] } };
  }
  return { stackName: 'AMonitors', template: { Resources } };
}

function apply(app: _App, store: _StateStore, invoke: _Invoke, destroy = false): Promise<_Outcome[]> {
  return _apply({ app, store, invoke, env: {}, destroy, report: () => undefined, notice: () => undefined });
}

const done = (o: _Outcome[]) => o.map((x) => `${x.action} ${x.stackName}/${x.logicalId}`);

describe('apply across stacks', () => {
  // The manifest lists stacks by construct ID: the importing stack comes first here.
  const app: _App = { stacks: [monitors({ Alive: 'Shop' }), base(['Shop'])], baseDir: '.' };

  test('the exporting stack is applied first, and the import reads its physical ID from the state', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    expect(done(await apply(app, store, h.invoke))).toEqual(['created ZBase/Shop', 'created AMonitors/Alive']);
    expect(h.events[1].ResourceProperties).toEqual({ type: 'connectivity', scopes: ['id-1'] });

    // and a second run finds nothing to do
    expect(done(await apply(app, store, h.invoke))).toEqual(['unchanged ZBase/Shop', 'unchanged AMonitors/Alive']);
  });

  test('destroy deletes the importing stack\'s objects before the exporting stack\'s', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    await apply(app, store, h.invoke);
    h.events.length = 0;
    expect(done(await apply(app, store, h.invoke, true))).toEqual(['deleted AMonitors/Alive', 'deleted ZBase/Shop']);
    expect(store.state.stacks).toEqual({});
  });

  test('objects removed from both stacks are deleted importing stack first', async () => {
    // GIVEN two services exported and imported, the exporting stack listed first
    const store = _memoryStore();
    const h = fakeHandler();
    await apply({ stacks: [base(['Shop', 'Cart']), monitors({ Alive: 'Shop', CartAlive: 'Cart' })], baseDir: '.' }, store, h.invoke);
    h.events.length = 0;

    // WHEN the cart's service and its monitor go, while the stacks still share the shop's export
    const outcomes = await apply({ stacks: [base(['Shop']), monitors({ Alive: 'Shop' })], baseDir: '.' }, store, h.invoke);

    // THEN the monitor is deleted before the service it was scoped to
    expect(done(outcomes)).toEqual(['unchanged ZBase/Shop', 'unchanged AMonitors/Alive', 'deleted AMonitors/CartAlive', 'deleted ZBase/Cart']);
  });

  test('an import no stack exports fails before anything is sent, naming the export', async () => {
    // GIVEN a monitor whose import is found, applied first with its exporting stack, and one whose import is not
    const h = fakeHandler();
    const broken: _App = { stacks: [monitors({ Alive: 'Shop', Lost: 'Nope' }), base(['Shop'])], baseDir: '.' };

    // WHEN applied, THEN it fails naming the export, and neither stack is touched
    await expect(apply(broken, _memoryStore(), h.invoke)).rejects.toThrow(/^AMonitors: Fn::ImportValue "ZBase:ExportsOutputRefNope": no stack of the app exports that name \(stacks: AMonitors, ZBase\)/);
    expect(h.events).toEqual([]);
  });

  test('with --stack, the import reads a stack left out from the state, and fails before anything is sent when it is not applied', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    // GIVEN AMonitors with a service of its own as well, which sorts before the importing monitor
    const importing = monitors({ Alive: 'Shop' });
    const withOwn = { ...importing, template: { Resources: { ...importing.template.Resources, Admin: { Type: 'Custom::MackerelService', Properties: { name: 'admin' } } } } };
    const stacks = [withOwn, base(['Shop'])];
    const only = (stackName: string): _App => ({ stacks: stacks.filter((s) => s.stackName === stackName), allStacks: stacks, baseDir: '.' });
    await expect(apply(only('AMonitors'), store, h.invoke))
      .rejects.toThrow(/^AMonitors: Fn::ImportValue "ZBase:ExportsOutputRefShop" \(output ExportsOutputRefShop of stack ZBase\): ZBase\/Shop is not applied yet; apply stack ZBase first$/);
    expect(h.events).toEqual([]);

    await apply(only('ZBase'), store, h.invoke);
    expect(done(await apply(only('AMonitors'), store, h.invoke))).toEqual(['created AMonitors/Admin', 'created AMonitors/Alive']);
    expect(h.events[2].ResourceProperties.scopes).toEqual(['id-1']);
  });

  test('destroying only the exporting stack is refused while an applied stack imports from it', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    await apply(app, store, h.invoke);
    h.events.length = 0;
    await expect(apply({ ...app, stacks: [base(['Shop'])], allStacks: app.stacks }, store, h.invoke, true))
      .rejects.toThrow(/^cannot destroy stack ZBase: stack AMonitors imports its exports and is applied; destroy AMonitors first/);
    expect(h.events).toEqual([]);
    expect(done(await apply({ ...app, stacks: [monitors({ Alive: 'Shop' })], allStacks: app.stacks }, store, h.invoke, true))).toEqual(['deleted AMonitors/Alive']);
  });

  test('an export name is resolved in the exporting stack, and a stack cycle is an error', async () => {
    // GIVEN an export named after the stack, as hand-written templates do
    const named = base(['Shop']);
    const template = { ...named.template, Outputs: { Name: { Value: { Ref: 'Shop' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}-Shop' } } } } };
    const importing = monitors({});
    const Resources = { Alive: { Type: 'Custom::MackerelMonitor', Properties: { scopes: [{ 'Fn::ImportValue': 'ZBase-Shop' }] } } };
    const h = fakeHandler();
    const outcomes = await apply({ stacks: [{ ...importing, template: { Resources } }, { ...named, template }], baseDir: '.' }, _memoryStore(), h.invoke);
    expect(done(outcomes)).toEqual(['created ZBase/Shop', 'created AMonitors/Alive']);
    expect(h.events[1].ResourceProperties.scopes).toEqual(['id-1']);

    // a manifest dependency back on the importing stack closes a cycle
    const cyclic: _App = { stacks: [{ ...importing, template: { Resources } }, { ...named, template, dependencies: ['AMonitors'] }], baseDir: '.' };
    await expect(apply(cyclic, _memoryStore(), h.invoke)).rejects.toThrow(/stacks depend on each other in a cycle: AMonitors -> ZBase -> AMonitors/);
  });
});

/** ZBase with plain outputs, as the CDK writes weak references; AMonitors reads them with Fn::GetStackOutput. */
function weakBase(services: string[], region?: string): _Stack {
  const Resources: { [id: string]: _TemplateResource } = {};
  const Outputs: { [key: string]: _TemplateOutput } = {};
  for (const id of services) {
    Resources[id] = { Type: 'Custom::MackerelService', Properties: { name: id.toLowerCase() } };
    Outputs[`PublishOutputRef${id}`] = { Value: { Ref: id } };
  }
  return { stackName: 'ZBase', template: { Resources, Outputs }, region };
}

function weakMonitors(scopes: { [monitorId: string]: string }, read: { StackName?: string; Region?: string } = {}): _Stack {
  const Resources: { [id: string]: _TemplateResource } = {};
  for (const [id, service] of Object.entries(scopes)) {
    const reference = { 'Fn::GetStackOutput': { StackName: 'ZBase', Region: 'us-east-1', OutputName: `PublishOutputRef${service}`, ...read } };
    Resources[id] = { Type: 'Custom::MackerelMonitor', Properties: { type: 'connectivity', scopes: [reference] } };
  }
  return { stackName: 'AMonitors', template: { Resources } };
}

describe('weak references (Fn::GetStackOutput)', () => {
  const app: _App = { stacks: [weakMonitors({ Alive: 'Shop' }), weakBase(['Shop'], 'us-east-1')], baseDir: '.' };
  const only = (stackName: string, stacks: _Stack[] = app.stacks): _App => ({ stacks: stacks.filter((s) => s.stackName === stackName), allStacks: stacks, baseDir: '.' });

  test('the stack read from is applied first, the output reads its physical ID, and destroy goes the other way', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    expect(done(await apply(app, store, h.invoke))).toEqual(['created ZBase/Shop', 'created AMonitors/Alive']);
    expect(h.events[1].ResourceProperties).toEqual({ type: 'connectivity', scopes: ['id-1'] });
    expect(done(await apply(app, store, h.invoke))).toEqual(['unchanged ZBase/Shop', 'unchanged AMonitors/Alive']);
    // nothing is held in use: CloudFormation does not protect an output read this way
    expect(store.state.stacks.AMonitors.imports).toBeUndefined();
    expect(done(await apply(app, store, h.invoke, true))).toEqual(['deleted AMonitors/Alive', 'deleted ZBase/Shop']);
  });

  test('with --stack, the read stack left out must be applied, and nothing is sent before', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    // GIVEN AMonitors with a service of its own as well, which sorts before the reading monitor
    const reading = weakMonitors({ Alive: 'Shop' });
    const withOwn = { ...reading, template: { Resources: { Admin: { Type: 'Custom::MackerelService', Properties: { name: 'admin' } }, ...reading.template.Resources } } };
    const stacks = [withOwn, weakBase(['Shop'], 'us-east-1')];
    await expect(apply(only('AMonitors', stacks), store, h.invoke))
      .rejects.toThrow(/^AMonitors: Fn::GetStackOutput ZBase\.PublishOutputRefShop: ZBase\/Shop is not applied yet; apply stack ZBase first$/);
    expect(h.events).toEqual([]);
    await apply(only('ZBase', stacks), store, h.invoke);
    expect(done(await apply(only('AMonitors', stacks), store, h.invoke))).toEqual(['created AMonitors/Admin', 'created AMonitors/Alive']);
    expect(h.events[2].ResourceProperties.scopes).toEqual(['id-1']);
  });

  test('unlike an export, applying or destroying only the stack read from is not refused', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    await apply(app, store, h.invoke);
    const renamed = [weakMonitors({ Alive: 'Shop' }), { ...weakBase(['Shop'], 'us-east-1'), template: { ...weakBase(['Shop']).template, Resources: { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop2' } } } } }];
    // (the fake handler updates in place: the point is that nothing refuses the run)
    expect(done(await apply(only('ZBase', renamed), store, h.invoke))).toEqual(['updated ZBase/Shop']);
    expect(done(await apply(only('ZBase', renamed), store, h.invoke, true))).toEqual(['deleted ZBase/Shop']);
  });

  test.each([
    ['a stack the app does not have', { StackName: 'Gone' }, /^AMonitors: Fn::GetStackOutput Gone\.PublishOutputRefShop: no stack of the app is named Gone \(stacks: AMonitors, ZBase\); expected a stack of the same cloud assembly/],
    ['the stack in another region', { Region: 'eu-west-1' }, /^AMonitors: Fn::GetStackOutput ZBase\.PublishOutputRefShop: stack ZBase of the app is in us-east-1, not eu-west-1; expected the stack the reference names$/],
  ])('a reference to %s fails before anything is sent', async (_what, read, error) => {
    const h = fakeHandler();
    await expect(apply({ stacks: [weakMonitors({ Alive: 'Shop' }, read), weakBase(['Shop'], 'us-east-1')], baseDir: '.' }, _memoryStore(), h.invoke)).rejects.toThrow(error);
    expect(h.events).toEqual([]);
  });

  test('a stack reading its own output fails before anything is sent', async () => {
    const h = fakeHandler();
    const own = weakBase(['Shop']);
    const Resources = { ...own.template.Resources, Alive: weakMonitors({ Alive: 'Shop' }).template.Resources!.Alive };
    await expect(apply({ stacks: [{ ...own, template: { ...own.template, Resources } }], baseDir: '.' }, _memoryStore(), h.invoke))
      .rejects.toThrow(/^ZBase: Fn::GetStackOutput ZBase\.PublishOutputRefShop: a stack cannot read its own output; expected another stack \(use Ref or Fn::GetAtt within a stack\)$/);
    expect(h.events).toEqual([]);
  });

  test('without Region, the stack read is looked for in the reading stack\'s region', async () => {
    const h = fakeHandler();
    const reading = { ...weakMonitors({ Alive: 'Shop' }, { Region: undefined }), region: 'eu-west-1' };
    await expect(apply({ stacks: [reading, weakBase(['Shop'], 'us-east-1')], baseDir: '.' }, _memoryStore(), h.invoke))
      .rejects.toThrow(/^AMonitors: Fn::GetStackOutput ZBase\.PublishOutputRefShop: stack ZBase of the app is in us-east-1, not eu-west-1/);
    expect(h.events).toEqual([]);
  });

  test('a reference to an output the stack does not have fails before anything is sent', async () => {
    const h = fakeHandler();
    await expect(apply({ stacks: [weakMonitors({ Alive: 'Cart' }), weakBase(['Shop'])], baseDir: '.' }, _memoryStore(), h.invoke))
      .rejects.toThrow(/^AMonitors: Fn::GetStackOutput ZBase\.PublishOutputRefCart: stack ZBase has no output PublishOutputRefCart \(or its Condition does not hold\)$/);
    expect(h.events).toEqual([]);
  });

  test('diff before the first apply reads the service name, which is its ID; a channel\'s ID is known after apply', async () => {
    const get: _Get = async (path) => (path === '/api/v0/services' ? { services: [] } : undefined);
    let entries = await _diff(app, _memoryStore().state, get, {}, () => undefined, () => []);
    expect(entries.map((e) => `${e.kind} ${e.stackName}/${e.logicalId}`)).toEqual(['create ZBase/Shop', 'create AMonitors/Alive']);
    expect(entries[1].changes).toContainEqual({ field: 'scopes', old: undefined, new: ['shop'] });

    const channel = weakBase(['Shop']);
    const template = { ...channel.template, Resources: { Shop: { Type: 'Custom::MackerelChannel', Properties: { type: 'email', name: 'ops' } } } };
    entries = await _diff({ ...app, stacks: [app.stacks[0], { ...channel, template }] }, _memoryStore().state, get, {}, () => undefined, () => []);
    expect(entries[1].changes).toContainEqual({ field: 'scopes', old: undefined, new: ['(known after apply: ZBase/Shop)'] });
  });
});

describe('an export a stack left out by --stack imports', () => {
  /** The stacks of the app, and the run of one of them (as --stack loads it). */
  const only = (stackName: string, ...stacks: _Stack[]): _App => ({ stacks: stacks.filter((s) => s.stackName === stackName), allStacks: stacks, baseDir: '.' });
  const renamed = (from: _Stack, id: string, name: string): _Stack => ({
    ...from, template: { ...from.template, Resources: { ...from.template.Resources, [id]: { Type: 'Custom::MackerelService', Properties: { name } } } },
  });

  test('applying only the exporting stack is refused when it would replace an object an applied stack imports', async () => {
    // GIVEN both stacks applied, the monitor scoped to ZBase's service
    const store = _memoryStore();
    const h = fakeHandler();
    await apply({ stacks: [monitors({ Alive: 'Shop' }), base(['Shop'])], baseDir: '.' }, store, h.invoke);
    h.events.length = 0;

    // WHEN the service is renamed, which replaces it, and only ZBase is applied
    const run = only('ZBase', monitors({ Alive: 'Shop' }), renamed(base(['Shop']), 'Shop', 'shop2'));

    // THEN it is refused before anything is sent, naming the importing stack
    await expect(apply(run, store, h.invoke)).rejects.toThrow(/^stack ZBase would change the value of export "ZBase:ExportsOutputRefShop", which stack AMonitors imports and is applied \(left out by --stack\); apply without --stack, or remove the import from AMonitors and apply it first/);
    expect(h.events).toEqual([]);
  });

  test('applying only the exporting stack is refused when it removes an export the applied stack still holds, though its template dropped the import', async () => {
    // GIVEN two services exported and imported, both stacks applied
    const store = _memoryStore();
    const h = fakeHandler();
    await apply({ stacks: [monitors({ Alive: 'Shop', CartAlive: 'Cart' }), base(['Shop', 'Cart'])], baseDir: '.' }, store, h.invoke);
    expect(store.state.stacks.AMonitors.imports).toEqual({ 'ZBase:ExportsOutputRefShop': 'ZBase', 'ZBase:ExportsOutputRefCart': 'ZBase' });
    h.events.length = 0;

    // WHEN the cart goes from both templates, and only ZBase is applied
    const run = only('ZBase', monitors({ Alive: 'Shop' }), base(['Shop']));

    // THEN the state's record of AMonitors's imports refuses it
    await expect(apply(run, store, h.invoke)).rejects.toThrow(/^stack ZBase would remove export "ZBase:ExportsOutputRefCart", which stack AMonitors imports and is applied/);
    expect(h.events).toEqual([]);

    // and once AMonitors lets go of the import, ZBase deletes the cart
    expect(done(await apply(only('AMonitors', monitors({ Alive: 'Shop' }), base(['Shop'])), store, h.invoke))).toEqual(['unchanged AMonitors/Alive', 'deleted AMonitors/CartAlive']);
    expect(store.state.stacks.AMonitors.imports).toEqual({ 'ZBase:ExportsOutputRefShop': 'ZBase' });
    expect(done(await apply(run, store, h.invoke))).toEqual(['unchanged ZBase/Shop', 'deleted ZBase/Cart']);
  });

  test('an update that keeps the exported value is not refused', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    await apply({ stacks: [monitors({ Alive: 'Shop' }), base(['Shop', 'Cart'])], baseDir: '.' }, store, h.invoke);
    // WHEN only ZBase is applied, with a change to the cart, which nothing imports
    const outcomes = await apply(only('ZBase', monitors({ Alive: 'Shop' }), renamed(base(['Shop', 'Cart']), 'Cart', 'cart2')), store, h.invoke);
    // THEN it goes ahead (the fake handler updates in place)
    expect(done(outcomes)).toEqual(['updated ZBase/Cart', 'unchanged ZBase/Shop']);
  });
});

describe('stacks resolved only when read', () => {
  // A stack with a parameter without Default in a Mackerel resource's Condition: the local resolver cannot evaluate it.
  const other: _Stack = {
    stackName: 'Other',
    template: {
      Parameters: { Stage: {} },
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
      Resources: {
        Own: { Type: 'Custom::MackerelService', Condition: 'IsProd', Properties: { name: 'own' } },
      },
    },
  };
  const stacks = [other, monitors({ Alive: 'Shop' }), base(['Shop'])];

  test('--stack of other stacks applies: the unresolvable stack is neither exporting nor imported from', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    expect(done(await apply({ stacks: [stacks[2]], allStacks: stacks, baseDir: '.' }, store, h.invoke))).toEqual(['created ZBase/Shop']);
    expect(done(await apply({ stacks: [stacks[1]], allStacks: stacks, baseDir: '.' }, store, h.invoke))).toEqual(['created AMonitors/Alive']);
  });

  test('a stack of the run that cannot be resolved fails naming the stack', async () => {
    const h = fakeHandler();
    await expect(apply({ stacks, baseDir: '.' }, _memoryStore(), h.invoke)).rejects.toThrow(/^Other: parameter Stage has no Default; expected its value with --parameters Other:Stage=VALUE, as cdk deploy takes it$/);
    expect(h.events).toEqual([]);
  });
});

describe('imports recorded in the state', () => {
  test('objects removed from both templates are deleted importing stack first, by the imports the state recorded', async () => {
    // GIVEN both stacks applied, the exporting stack listed first and no manifest dependency
    const store = _memoryStore();
    const h = fakeHandler();
    await apply({ stacks: [base(['Shop']), monitors({ Alive: 'Shop' })], baseDir: '.' }, store, h.invoke);
    expect(store.state.stacks.AMonitors.imports).toEqual({ 'ZBase:ExportsOutputRefShop': 'ZBase' });

    // WHEN the service and the monitor go from the templates, and with them the export and the import
    const outcomes = await apply({ stacks: [base([]), monitors({})], baseDir: '.' }, store, h.invoke);

    // THEN the monitor is deleted before the service it was scoped to
    expect(done(outcomes)).toEqual(['deleted AMonitors/Alive', 'deleted ZBase/Shop']);
  });

  test('destroying only the exporting stack is refused while the applied importing stack holds the import its template dropped', async () => {
    const store = _memoryStore();
    const h = fakeHandler();
    await apply({ stacks: [monitors({ Alive: 'Shop' }), base(['Shop'])], baseDir: '.' }, store, h.invoke);
    h.events.length = 0;
    const stacks = [monitors({}), base(['Shop'])];
    await expect(apply({ stacks: [stacks[1]], allStacks: stacks, baseDir: '.' }, store, h.invoke, true))
      .rejects.toThrow(/^cannot destroy stack ZBase: stack AMonitors imports its exports and is applied; destroy AMonitors first/);
    expect(h.events).toEqual([]);
  });

  test('destroy orders the stacks by the imports the state recorded, without the parameter values a Condition of the importing stack needs', async () => {
    // GIVEN the importing stack listed first, no manifest dependency, and its monitor under a Condition on a parameter without Default
    const conditional = (): _Stack => {
      const stack = monitors({ Alive: 'Shop' });
      return {
        ...stack,
        template: {
          ...stack.template,
          Parameters: { Env: { Type: 'String' } },
          Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] } },
          Resources: { Alive: { ...stack.template.Resources!.Alive, Condition: 'IsProd' } },
        },
      };
    };
    const app: _App = { stacks: [conditional(), base(['Shop'])], baseDir: '.' };
    const store = _memoryStore();
    const run = (destroy: boolean, parameters: _GivenParameter[]) =>
      _apply({ app, store, invoke: fakeHandler().invoke, env: { parameters }, destroy, report: () => undefined, notice: () => undefined });
    expect(done(await run(false, [{ name: 'Env', value: 'prod', given: 'Env=prod' }]))).toEqual(['created ZBase/Shop', 'created AMonitors/Alive']);

    // WHEN destroyed without --parameters, THEN the monitor still goes first
    expect(done(await run(true, []))).toEqual(['deleted AMonitors/Alive', 'deleted ZBase/Shop']);
    expect(store.state.stacks).toEqual({});
  });

  test('a state written before imports were recorded loads, and the templates order the deletes', async () => {
    // GIVEN a state file without imports
    const store = _memoryStore();
    await apply({ stacks: [monitors({ Alive: 'Shop' }), base(['Shop'])], baseDir: '.' }, store, fakeHandler().invoke);
    delete store.state.stacks.AMonitors.imports;
    const file = join(workDir(), 's.json');
    writeFileSync(file, JSON.stringify(store.state));

    // WHEN destroyed, THEN the monitor goes first, as the template still imports
    const outcomes = await apply({ stacks: [base(['Shop']), monitors({ Alive: 'Shop' })], baseDir: '.' }, _fileStore(file), fakeHandler().invoke, true);
    expect(done(outcomes)).toEqual(['deleted AMonitors/Alive', 'deleted ZBase/Shop']);
  });
});

describe('diff across stacks', () => {
  const app: _App = { stacks: [monitors({ Alive: 'Shop' }), base(['Shop'])], baseDir: '.' };
  // Mackerel holds no service: an applied one reads as deleted outside (`gone`). A monitor reads as
  // there, empty (drift), so that a change of it is an update: one deleted outside is re-created under a new ID.
  const get: _Get = async (path) => (path === '/api/v0/services' ? { services: [] } : path.startsWith('/api/v0/monitors/') ? { monitor: {} } : undefined);
  const diff = (a: _App, state: _StateFile) => _diff(a, state, get, {}, () => undefined, () => []);

  test('before the first apply, an import of a service not created yet reads its name, which is its ID', async () => {
    const entries = await diff(app, _memoryStore().state);
    expect(entries.map((e) => `${e.kind} ${e.stackName}/${e.logicalId}`)).toEqual(['create ZBase/Shop', 'create AMonitors/Alive']);
    expect(entries[1].changes).toContainEqual({ field: 'scopes', old: undefined, new: ['shop'] });
  });

  test('before the first apply, an import of an object Mackerel gives an ID is known after apply', async () => {
    // GIVEN ZBase exports a channel, whose ID only Mackerel knows
    const channel = base(['Shop']);
    const template = { ...channel.template, Resources: { Shop: { Type: 'Custom::MackerelChannel', Properties: { type: 'email', name: 'ops' } } } };

    // WHEN diffed before the first apply
    const entries = await diff({ ...app, stacks: [app.stacks[0], { ...channel, template }] }, _memoryStore().state);

    // THEN the import is known after apply
    expect(entries[1].changes).toContainEqual({ field: 'scopes', old: undefined, new: ['(known after apply: ZBase/Shop)'] });
  });

  test('after an apply, the import reads the state; a renamed exported service gives it the new name', async () => {
    // GIVEN both stacks applied
    const store = _memoryStore();
    await apply(app, store, fakeHandler().invoke);
    // What apply would do; the fake Mackerel's `gone` and `drift` entries are not part of it.
    const plan = (entries: _DiffEntry[]) => entries.filter((e) => e.kind !== 'gone' && e.kind !== 'drift').map((e) => `${e.kind} ${e.stackName}/${e.logicalId}`);
    expect(plan(await diff(app, store.state))).toEqual([]);

    // WHEN the exported service is renamed, which replaces it
    const renamed = base(['Shop']);
    const template = { ...renamed.template, Resources: { Shop: { Type: 'Custom::MackerelService', Properties: { name: 'shop2' } } } };
    const entries = await diff({ ...app, stacks: [app.stacks[0], { ...renamed, template }] }, store.state);

    // THEN the importing monitor's scope is the new name (the service's ID), not the old service's ID
    expect(plan(entries)).toEqual(['replace ZBase/Shop', 'update AMonitors/Alive']);
    expect(entries.find((e) => e.kind === 'update')?.changes).toEqual([{ field: 'scopes', old: ['id-1'], new: ['shop2'] }]);
  });

  test('an import no stack exports is an error', async () => {
    await expect(diff({ stacks: [monitors({ Alive: 'Nope' })], baseDir: '.' }, _memoryStore().state))
      .rejects.toThrow(/^AMonitors: Fn::ImportValue "ZBase:ExportsOutputRefNope": no stack of the app exports that name/);
  });
});
