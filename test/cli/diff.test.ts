import { describe, expect, test } from 'vitest';
import { _Template } from '../../src/cli/assembly';
import { _fieldChanges, _widgetChanges } from '../../src/cli/changes';
import { _planDiff, _replacingFields, _stackDrift } from '../../src/cli/diff';
import { _driftOf } from '../../src/cli/drift';
import { _planStack } from '../../src/cli/plan';
import { _diffExitCode, _formatApplySummary, _formatInventory, _formatDiff, _formatOutcome } from '../../src/cli/printer';
import { _StateFile } from '../../src/cli/state';

const MONITOR = 'Custom::MackerelMonitor';

/** A resource as the state holds it after an apply. */
const held = (type: string, physicalId: string, properties: { [key: string]: unknown }) => ({ type, physicalId, properties, data: {} });
/** A state whose one stack, S, holds these resources. */
const stateOfS = (resources: _StateFile['stacks'][string]['resources']): _StateFile =>
  ({ version: 1, pendingDeletes: [], stacks: { S: { stackId: 'x', resources } } });

describe('changes field by field', () => {
  test('nested objects are walked, lists compared whole, absent fields shown', () => {
    expect(_fieldChanges({ a: '1', m: { ok: 'x' }, l: ['a'] }, { a: '2', m: { ok: 'x', warning: 'y' }, l: ['a', 'b'], n: 'new' })).toEqual([
      { field: 'a', old: '1', new: '2' },
      { field: 'l', old: ['a'], new: ['a', 'b'] },
      { field: 'm.warning', old: undefined, new: 'y' },
      { field: 'n', old: undefined, new: 'new' },
    ]);
  });

  test('a dashboard\'s widgets widget by widget: paired by type and title, so one added or moved leaves the others as they are', () => {
    const cpu = { type: 'graph', title: 'cpu', layout: { x: '0' } };
    const note = { type: 'markdown', title: 'note', markdown: 'hi', layout: { x: '8' } };
    const added = { type: 'markdown', title: 'new', markdown: '', layout: { x: '0' } };
    // one added in front, the note's text changed: the cpu graph moved and is otherwise the same
    expect(_widgetChanges([cpu, note], [added, cpu, { ...note, markdown: 'hello' }])).toEqual([
      { field: 'widgets[0]', new: added },
      { field: 'widgets[1 -> 2].markdown', old: 'hi', new: 'hello' },
    ]);
    // a type changed under the same title is a widget removed and one added
    expect(_widgetChanges([cpu], [{ ...cpu, type: 'value' }])).toEqual([
      { field: 'widgets[0]', old: cpu },
      { field: 'widgets[0]', new: { ...cpu, type: 'value' } },
    ]);
  });

  test('of several widgets of one type and title (untitled), one removed is shown removed, the others unchanged or moved', () => {
    const note = (markdown: string, y: string) => ({ type: 'markdown', title: '', markdown, layout: { x: '0', y } });
    expect(_widgetChanges([note('a', '0'), note('b', '3'), note('c', '6')], [note('b', '3'), note('c', '6')])).toEqual([
      { field: 'widgets[0]', old: note('a', '0') },
    ]);
    // the others moved up into its place: each is paired with itself, and shows where it moved from
    expect(_widgetChanges([note('a', '0'), note('b', '3'), note('c', '6')], [note('b', '0'), note('c', '3')])).toEqual([
      { field: 'widgets[0]', old: note('a', '0') },
      { field: 'widgets[1 -> 0].layout.y', old: '3', new: '0' },
      { field: 'widgets[2 -> 1].layout.y', old: '6', new: '3' },
    ]);
  });

  test('a dashboard whose widgets only changed places, each the same, is an update showing the list: apply sends one', () => {
    const cpu = { type: 'graph', title: 'cpu', layout: { x: '0', y: '0' } };
    const note = { type: 'markdown', title: 'note', markdown: 'hi', layout: { x: '8', y: '0' } };
    const state = stateOfS({ Board: held('Custom::MackerelDashboard', 'd1', { title: 'shop', urlPath: 'shop', widgets: [cpu, note] }) });
    const template: _Template = { Resources: { Board: { Type: 'Custom::MackerelDashboard', Properties: { title: 'shop', urlPath: 'shop', widgets: [note, cpu] } } } };
    expect(_planDiff(_planStack({ stackName: 'S', template }, state, {}, () => undefined), state)).toEqual([
      expect.objectContaining({ kind: 'update', logicalId: 'Board', changes: [{ field: 'widgets', old: [cpu, note], new: [note, cpu] }] }),
    ]);
  });

  test('which fields replace which objects', () => {
    expect(_replacingFields(MONITOR, { type: 'host' })).toEqual(['type', 'metric']);
    expect(_replacingFields(MONITOR, { type: 'service' })).toEqual(['type', 'metric', 'service']);
    expect(_replacingFields(MONITOR, { type: 'query' })).toEqual(['type', 'query']);
    expect(_replacingFields(MONITOR, { type: 'expression' })).toEqual(['type']);
    expect(_replacingFields('Custom::MackerelRole', {})).toEqual(['service', 'name']);
    expect(_replacingFields('Custom::MackerelDowntime', {})).toEqual([]);
  });
});

describe('plan against the state', () => {
  const template: _Template = {
    Resources: {
      Cpu: { Type: MONITOR, Properties: { ServiceToken: 'arn', type: 'host', metric: 'cpu%', warning: 85, name: 'cpu' } },
      New: { Type: MONITOR, Properties: { type: 'expression', expression: { 'Fn::Join': ['', ['max(', { Ref: 'Cpu' }, ')']] } } },
    },
  };
  const state: _StateFile = {
    version: 1,
    pendingDeletes: [],
    stacks: {
      S: {
        stackId: 'x',
        resources: {
          Cpu: { type: MONITOR, physicalId: 'm1', properties: { type: 'host', metric: 'cpu%', warning: '80', name: 'cpu' }, data: { MonitorId: 'm1' } },
          Old: { type: MONITOR, physicalId: 'm2', properties: { type: 'host', metric: 'x', name: 'old' }, data: {} },
        },
      },
    },
  };

  test('create, update field by field, delete', () => {
    const plan = _planStack({ stackName: 'S', template }, state, {}, () => undefined);
    const entries = _planDiff(plan, state);
    expect(entries).toEqual([
      expect.objectContaining({ kind: 'update', logicalId: 'Cpu', physicalId: 'm1', changes: [{ field: 'warning', old: '80', new: '85' }] }),
      expect.objectContaining({ kind: 'create', logicalId: 'New', changes: expect.arrayContaining([{ field: 'expression', old: undefined, new: 'max(m1)' }]) }),
      expect.objectContaining({ kind: 'delete', logicalId: 'Old', physicalId: 'm2', name: 'old' }),
    ]);
  });

  test('a change of a replacing field is a replacement', () => {
    const changed: _Template = { Resources: { Cpu: { Type: MONITOR, Properties: { type: 'host', metric: 'cpu2%', warning: 80, name: 'cpu' } } } };
    const entries = _planDiff(_planStack({ stackName: 'S', template: changed }, state, {}, () => undefined), state);
    expect(entries[0]).toMatchObject({ kind: 'replace', changes: [{ field: 'metric', old: 'cpu%', new: 'cpu2%' }] });
  });
});

test('a removed service whose only monitor is the old object of a replacement (moved to another service) is a delete: the cleanup deletes that monitor first', () => {
  const state = stateOfS({
    Svc: held('Custom::MackerelService', 'shop', { name: 'shop' }),
    Orders: held(MONITOR, 'm1', { type: 'service', name: 'orders', service: 'shop', metric: 'orders' }),
  });
  const template: _Template = { Resources: { Orders: { Type: MONITOR, Properties: { type: 'service', name: 'orders', service: 'cart', metric: 'orders' } } } };
  const live = (id: string) => (id === 'Svc' ? { name: 'shop', roles: [], monitors: [{ id: 'm1', label: 'monitor "orders" (m1)' }] } : 'unreadable' as const);
  expect(_planDiff(_planStack({ stackName: 'S', template }, state, {}, () => undefined), state, live)).toEqual([
    expect.objectContaining({ kind: 'replace', logicalId: 'Orders', physicalId: 'm1' }),
    expect.objectContaining({ kind: 'delete', logicalId: 'Svc' }),
  ]);
});

describe('cascading replacements', () => {
  const state = stateOfS({
    Svc: held('Custom::MackerelService', 'shop', { name: 'shop' }),
    Web: held('Custom::MackerelRole', 'shop:web', { service: 'shop', name: 'web' }),
    Cpu: held(MONITOR, 'm1', { type: 'host', name: 'cpu', metric: 'cpu%', scopes: ['shop:web'] }),
    Svc5xx: held(MONITOR, 'm2', { type: 'service', name: '5xx', service: 'shop', metric: '5xx' }),
  });

  test('a Ref to a renamed service or role is its new name, and replaces or updates what holds it', () => {
    // GIVEN a renamed service, and a role and monitors that refer to it
    const renamed: _Template = {
      Resources: {
        Svc: { Type: 'Custom::MackerelService', Properties: { name: 'shop2' } },
        Web: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Svc' }, name: 'web' } },
        Cpu: { Type: MONITOR, Properties: { type: 'host', name: 'cpu', metric: 'cpu%', scopes: [{ Ref: 'Web' }] } },
        Svc5xx: { Type: MONITOR, Properties: { type: 'service', name: '5xx', service: { Ref: 'Svc' }, metric: '5xx' } },
      },
    };

    // WHEN the plan is diffed
    const entries = _planDiff(_planStack({ stackName: 'S', template: renamed }, state, {}, () => undefined), state);

    // THEN the role, whose service (a replacing field) becomes the new name, is replaced too, and so
    // is the service monitor; the host monitor's scope is updated in place to the role's new full name
    expect(entries).toEqual([
      expect.objectContaining({ kind: 'replace', logicalId: 'Svc', changes: [{ field: 'name', old: 'shop', new: 'shop2' }] }),
      expect.objectContaining({ kind: 'replace', logicalId: 'Web', changes: [{ field: 'service', old: 'shop', new: 'shop2' }] }),
      expect.objectContaining({ kind: 'update', logicalId: 'Cpu', changes: [{ field: 'scopes', old: ['shop:web'], new: ['shop2:web'] }] }),
      expect.objectContaining({ kind: 'replace', logicalId: 'Svc5xx', changes: [{ field: 'service', old: 'shop', new: 'shop2' }] }),
    ]);
  });

  test('of a service or role to be created, Fn::GetAtt knows the Data made of its name, not MemoIgnored', () => {
    // GIVEN a new role read through Fn::GetAtt, and a monitor whose memo reads the handler's MemoIgnored
    const template: _Template = {
      Resources: {
        Svc: { Type: 'Custom::MackerelService', Properties: { name: 'cart' } },
        Web: { Type: 'Custom::MackerelRole', Properties: { service: { 'Fn::GetAtt': ['Svc', 'Name'] }, name: 'web' } },
        M: {
          Type: MONITOR,
          Properties: {
            type: 'connectivity',
            scopes: [{ 'Fn::GetAtt': ['Web', 'FullName'] }],
            memo: { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['Web', 'ServiceName'] }, { 'Fn::GetAtt': ['Web', 'RoleName'] }, { 'Fn::GetAtt': ['Web', 'MemoIgnored'] }]] },
          },
        },
      },
    };

    // WHEN the plan is diffed against an empty state
    const empty: _StateFile = { version: 1, pendingDeletes: [], stacks: {} };
    const entries = _planDiff(_planStack({ stackName: 'S', template }, empty, {}, () => undefined), empty);

    // THEN the names are known, and MemoIgnored (what Mackerel holds decides it) is known after apply
    expect(entries.map((e) => e.kind)).toEqual(['create', 'create', 'create']);
    expect(entries[1].changes).toContainEqual({ field: 'service', old: undefined, new: 'cart' });
    expect(entries[2].changes).toEqual(expect.arrayContaining([
      { field: 'scopes', old: undefined, new: ['cart:web'] },
      { field: 'memo', old: undefined, new: 'cart/web/(known after apply: Web.MemoIgnored)' },
    ]));
  });

  test('a role whose service is known only after apply is known only after apply too', () => {
    // GIVEN a role named after a channel's ID (anything Mackerel gives an ID), and a monitor scoped to it
    const template: _Template = {
      Resources: {
        Ch: { Type: 'Custom::MackerelChannel', Properties: { type: 'email', name: 'ops' } },
        Web: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Ch' }, name: 'web' } },
        M: { Type: MONITOR, Properties: { type: 'connectivity', scopes: [{ Ref: 'Web' }] } },
      },
    };
    const empty: _StateFile = { version: 1, pendingDeletes: [], stacks: {} };

    // WHEN the plan is diffed, THEN the scope is known after apply
    const entries = _planDiff(_planStack({ stackName: 'S', template }, empty, {}, () => undefined), empty);
    expect(entries[2].changes).toContainEqual({ field: 'scopes', old: undefined, new: ['(known after apply: Web)'] });
  });

  test('an update of a monitor deleted outside re-creates it under a new ID: a replacement that what refers to it sees', () => {
    // GIVEN a monitor applied, changed in the template, and deleted in Mackerel; a notification group refers to it
    const monitor = (memo: string) => ({ type: 'connectivity', name: 'alive', memo });
    const applied = stateOfS({
      M: held(MONITOR, 'm1', monitor('one')),
      NG: held('Custom::MackerelNotificationGroup', 'ng1', { name: 'ng', monitors: [{ id: 'm1' }] }),
    });
    const changed: _Template = {
      Resources: {
        M: { Type: MONITOR, Properties: monitor('two') },
        NG: { Type: 'Custom::MackerelNotificationGroup', Properties: { name: 'ng', monitors: [{ id: { Ref: 'M' } }] } },
      },
    };
    const live = (id: string) => (id === 'M' ? undefined : { name: 'ng', monitors: [{ id: 'm1' }] });

    // WHEN the plan is diffed
    const entries = _planDiff(_planStack({ stackName: 'S', template: changed }, applied, {}, () => undefined), applied, live);

    // THEN the monitor is replaced, and the group's reference to it is known after apply
    expect(entries).toEqual([
      expect.objectContaining({ kind: 'replace', logicalId: 'M', physicalId: 'm1', changes: [{ field: 'memo', old: 'one', new: 'two' }] }),
      expect.objectContaining({ kind: 'update', logicalId: 'NG', changes: [{ field: 'monitors', old: [{ id: 'm1' }], new: [{ id: '(known after apply: M)' }] }] }),
    ]);

    // and a service deleted outside keeps its name as its ID: an update
    const svcState = { ...state, stacks: { S: { stackId: 'x', resources: { Svc: state.stacks.S.resources.Svc } } } };
    const svc: _Template = { Resources: { Svc: { Type: 'Custom::MackerelService', Properties: { name: 'shop', memo: 'm' } } } };
    expect(_planDiff(_planStack({ stackName: 'S', template: svc }, svcState, {}, () => undefined), svcState, () => undefined))
      .toEqual([expect.objectContaining({ kind: 'update', logicalId: 'Svc' })]);
  });

  test('a Ref to an object that keeps its ID still resolves to it', () => {
    const memoOnly: _Template = {
      Resources: {
        Svc: { Type: 'Custom::MackerelService', Properties: { name: 'shop', memo: 'm' } },
        Web: { Type: 'Custom::MackerelRole', Properties: { service: { Ref: 'Svc' }, name: 'web' } },
      },
    };
    const entries = _planDiff(_planStack({ stackName: 'S', template: memoOnly }, state, {}, () => undefined), state);
    expect(entries.map((e) => `${e.kind} ${e.logicalId}`)).toEqual(['kept Svc', 'delete Cpu', 'delete Svc5xx']);
  });
});

describe('a memo the handler cannot update', () => {
  const SERVICE = 'Custom::MackerelService';
  const template = (memo: string): _Template => ({ Resources: { Svc: { Type: SERVICE, Properties: { name: 'shop', memo } } } });
  const stateWith = (memo: string, unapplied?: string[]): _StateFile => ({
    version: 1,
    pendingDeletes: [],
    stacks: { S: { stackId: 'x', resources: { Svc: { type: SERVICE, physicalId: 'shop', properties: { name: 'shop', memo }, data: { Name: 'shop' }, ...(unapplied ? { unapplied } : {}) } } } },
  });
  const plan = (memo: string, state: _StateFile, live: { memo?: string } | undefined | 'unreadable') =>
    _planDiff(_planStack({ stackName: 'S', template: template(memo) }, state, {}, () => undefined), state, () => (live === undefined || live === 'unreadable' ? live : { name: 'shop', ...live }));

  test('a memo-only change is kept by Mackerel, shown against the live memo, not an update', () => {
    expect(plan('two', stateWith('one'), { memo: 'one' })).toEqual([
      expect.objectContaining({ kind: 'kept', logicalId: 'Svc', physicalId: 'shop', changes: [{ field: 'memo', old: 'one', new: 'two' }] }),
    ]);
  });

  test('after an apply left the memo unapplied, the live memo decides: kept while it differs, nothing once edited to the template\'s', () => {
    const state = stateWith('two', ['memo']);
    expect(plan('two', state, { memo: 'one' })).toEqual([expect.objectContaining({ kind: 'kept', changes: [{ field: 'memo', old: 'one', new: 'two' }] })]);
    expect(plan('two', state, { memo: 'two' })).toEqual([]);
    // Without a live object, what Mackerel holds is unknown: nothing is claimed.
    expect(plan('two', state, 'unreadable')).toEqual([]);
  });

  test('a state written before unapplied fields were recorded: the handler\'s MemoIgnored marks the memo unapplied', () => {
    // GIVEN the state of a memo-only update the handler ignored, as the CLI wrote it without `unapplied`
    const state = stateWith('two');
    const svc = state.stacks.S.resources.Svc;
    state.stacks.S.resources.Svc = { ...svc, data: { ...svc.data, MemoIgnored: 'true' } };
    const live = new Map([['Svc', { name: 'shop', memo: 'one' }]]);

    // THEN the memo Mackerel kept is not drift, and is shown as kept against the live memo
    expect(_stackDrift('S', state, live, () => ['name', 'memo'])).toEqual([]);
    expect(plan('two', state, { memo: 'one' })).toEqual([expect.objectContaining({ kind: 'kept', changes: [{ field: 'memo', old: 'one', new: 'two' }] })]);
    expect(plan('two', state, 'unreadable')).toEqual([]);
  });

  test('a service deleted outside is created anew with its memo, so the memo is an update', () => {
    expect(plan('two', stateWith('one'), undefined)).toEqual([expect.objectContaining({ kind: 'update', changes: [{ field: 'memo', old: 'one', new: 'two' }] })]);
  });

  test('an unapplied memo is not drift; an applied one that changed is', () => {
    const live = new Map([['Svc', { name: 'shop', memo: 'one' }]]);
    expect(_stackDrift('S', stateWith('two', ['memo']), live, () => ['name', 'memo'])).toEqual([]);
    expect(_stackDrift('S', stateWith('two'), live, () => ['name', 'memo'])).toEqual([
      expect.objectContaining({ kind: 'drift', logicalId: 'Svc', changes: [{ field: 'memo', old: 'two', new: 'one' }] }),
    ]);
  });
});

describe('a service or role moved to a new logical ID', () => {
  const SERVICE = 'Custom::MackerelService';
  const ROLE = 'Custom::MackerelRole';
  const state = stateOfS({
    Old: held(SERVICE, 'shop', { name: 'shop', memo: 'one' }),
    OldWeb: held(ROLE, 'shop:web', { service: 'shop', name: 'web' }),
    Cpu: held(MONITOR, 'm1', { type: 'host', name: 'cpu', metric: 'cpu%', scopes: ['shop:web'] }),
  });
  // The same service and role under new logical IDs, the service with another memo.
  const moved: _Template = {
    Resources: {
      New: { Type: SERVICE, Properties: { name: 'shop', memo: 'two' } },
      NewWeb: { Type: ROLE, Properties: { service: { Ref: 'New' }, name: 'web' } },
      Cpu: { Type: MONITOR, Properties: { type: 'host', name: 'cpu', metric: 'cpu%', scopes: [{ Ref: 'NewWeb' }] } },
    },
  };
  const plan = (live?: (id: string) => { [key: string]: unknown } | undefined) =>
    _planDiff(_planStack({ stackName: 'S', template: moved }, state, {}, () => undefined), state, live);

  test('is a move that keeps the object and its memo, not a create and a delete, and what refers to it is unchanged', () => {
    // WHEN the plan is diffed, Mackerel holding the service with its memo "one"
    const entries = plan((id) => (id === 'Old' ? { name: 'shop', memo: 'one' } : { name: 'web' }));

    // THEN the service and the role move, the memo Mackerel has is kept, the monitor's scope is the same
    expect(entries).toEqual([
      expect.objectContaining({ kind: 'move', from: 'Old', logicalId: 'New', physicalId: 'shop', changes: [] }),
      expect.objectContaining({ kind: 'kept', logicalId: 'New', physicalId: 'shop', changes: [{ field: 'memo', old: 'one', new: 'two' }] }),
      expect.objectContaining({ kind: 'move', from: 'OldWeb', logicalId: 'NewWeb', physicalId: 'shop:web', changes: [] }),
    ]);
  });

  test('without a live object, the memo of the state stands for Mackerel\'s', () => {
    expect(plan().map((e) => `${e.kind} ${e.logicalId}`)).toEqual(['move New', 'kept New', 'move NewWeb']);
  });

  test('an object deleted in Mackerel outside the template is created anew: a create and a delete', () => {
    const entries = plan(() => undefined);
    expect(entries.map((e) => `${e.kind} ${e.logicalId}`)).toEqual(['create New', 'create NewWeb', 'delete Old', 'delete OldWeb']);
  });

  test('is printed with both logical IDs and counted as a move', () => {
    const lines = _formatDiff(plan().filter((e) => e.kind === 'move'));
    expect(lines).toEqual([
      '> move    Service                  S/Old -> S/New shop "shop" (a new logical ID takes the object over; it stays in Mackerel)',
      '> move    Role                     S/OldWeb -> S/NewWeb shop:web "web" (a new logical ID takes the object over; it stays in Mackerel)',
      '2 to move.',
    ]);
  });
});

describe('drift', () => {
  const applied = { type: 'host', name: 'cpu', warning: '80', scopes: ['shop:web'] };

  test('read-back quirks are not drift: role scopes as "Service: role", numbers, server defaults, empty fields', () => {
    const live = { id: 'm1', type: 'host', name: 'cpu', warning: 80, scopes: ['shop: web'], isMute: false, memo: '', maxCheckAttempts: 1, excludeScopes: [] };
    expect(_driftOf(MONITOR, applied, live, ['type', 'name', 'warning', 'scopes', 'isMute', 'memo', 'maxCheckAttempts', 'excludeScopes'])).toEqual([]);
  });

  test('a number given as text (a parameter of "1.50", "1e21", "-0") equals the number Mackerel reads back, at any depth; another number is drift', () => {
    expect(_driftOf(MONITOR, { ...applied, warning: '80.0' }, { ...applied, warning: 80 })).toEqual([]);
    const value = (threshold: unknown, line: unknown) => ({
      widgets: [
        { type: 'value', formatRules: [{ threshold, operator: '<' }] },
        { type: 'graph', referenceLines: [{ label: 'limit', value: line }] },
      ],
    });
    expect(_driftOf('Custom::MackerelDashboard', value('1.50', '1e21'), value(1.5, 1e21))).toEqual([]);
    expect(_driftOf('Custom::MackerelDashboard', value('-0', '0.50'), value(0, 0.5))).toEqual([]);
    expect(_driftOf('Custom::MackerelDashboard', value('1.50', '1e21'), value(1.25, 1e21))).toEqual([
      { field: 'widgets', old: value('1.50', '1e+21').widgets, new: value('1.25', '1e+21').widgets },
    ]);
    // Text that reads as a number stays text where Mackerel holds text.
    expect(_driftOf(MONITOR, { ...applied, memo: '1.50' }, { ...applied, warning: 80, memo: '1.5' }, ['memo'])).toEqual([{ field: 'memo', old: '1.50', new: '1.5' }]);
  });

  test('a notificationInterval of 0 (given through a parameter) is not sent, so its absence is not drift', () => {
    expect(_driftOf(MONITOR, { ...applied, notificationInterval: '0' }, { ...applied, warning: 80 })).toEqual([]);
    expect(_driftOf(MONITOR, { ...applied, notificationInterval: '0' }, { ...applied, warning: 80, notificationInterval: 30 }))
      .toEqual([{ field: 'notificationInterval', old: '0', new: '30' }]);
  });

  test('changed, added and removed fields are drift, as last applied -> live', () => {
    const live = { type: 'host', name: 'cpu', warning: 70, scopes: [], isMute: true, maxCheckAttempts: 3 };
    expect(_driftOf(MONITOR, applied, live, ['isMute', 'maxCheckAttempts', 'scopes'])).toEqual([
      { field: 'isMute', old: undefined, new: 'true' },
      { field: 'maxCheckAttempts', old: undefined, new: '3' },
      { field: 'scopes', old: ['shop:web'], new: [] },
      { field: 'warning', old: '80', new: '70' },
    ]);
  });

  test('server defaults by monitor type are not drift while unchanged, and are when changed', () => {
    const fields = ['method', 'maxCheckAttempts', 'alertStatusOnGone', 'evaluateBackwardMinutes'];
    expect(_driftOf(MONITOR, { type: 'external', name: 'url' }, { type: 'external', name: 'url', method: 'GET', maxCheckAttempts: 1 }, fields)).toEqual([]);
    expect(_driftOf(MONITOR, { type: 'external', name: 'url' }, { type: 'external', name: 'url', method: 'POST' }, fields))
      .toEqual([{ field: 'method', old: undefined, new: 'POST' }]);
    const header = (value: string) => [{ name: 'Cache-Control', value }];
    expect(_driftOf(MONITOR, { type: 'external', name: 'url' }, { type: 'external', name: 'url', headers: header('no-cache') }, ['headers'])).toEqual([]);
    expect(_driftOf(MONITOR, { type: 'external', name: 'url' }, { type: 'external', name: 'url', headers: header('max-age=0') }, ['headers']))
      .toEqual([{ field: 'headers', old: undefined, new: header('max-age=0') }]);
    expect(_driftOf(MONITOR, { type: 'connectivity' }, { type: 'connectivity', alertStatusOnGone: 'CRITICAL' }, fields)).toEqual([]);
    expect(_driftOf(MONITOR, { type: 'anomalyDetection' }, { type: 'anomalyDetection', maxCheckAttempts: 3 }, fields)).toEqual([]);
    expect(_driftOf(MONITOR, { type: 'host' }, { type: 'host', maxCheckAttempts: 3 }, fields)).toEqual([{ field: 'maxCheckAttempts', old: undefined, new: '3' }]);
    expect(_driftOf(MONITOR, { type: 'expression' }, { type: 'expression', evaluateBackwardMinutes: 2 }, fields)).toEqual([]);
  });

  test('an empty value where the template leaves a field to its server default is drift: headers cleared in Mackerel', () => {
    // The template leaves headers out, so the handler sends Cache-Control: no-cache on every update;
    // headers cleared in the web UI ([]) differ from that, though an empty list reads as "nothing set".
    expect(_driftOf(MONITOR, { type: 'external', name: 'url' }, { type: 'external', name: 'url', headers: [] }, ['headers']))
      .toEqual([{ field: 'headers', old: undefined, new: [] }]);
    // A field the server does not return at all (or returns as null) is still no drift.
    expect(_driftOf(MONITOR, { type: 'external', name: 'url' }, { type: 'external', name: 'url', headers: null }, ['headers'])).toEqual([]);
    expect(_driftOf(MONITOR, { type: 'external', name: 'url' }, { type: 'external', name: 'url' }, ['headers', 'method'])).toEqual([]);
  });

  test('a false the template set inside a list equals the one the server reads back', () => {
    const group = { name: 'ops', monitors: [{ id: 'm1', skipDefault: 'false' }, { id: 'm2', skipDefault: 'true' }] };
    const live = { name: 'ops', monitors: [{ id: 'm1', skipDefault: false }, { id: 'm2', skipDefault: true }] };
    expect(_driftOf('Custom::MackerelNotificationGroup', group, live, ['monitors'])).toEqual([]);
    expect(_driftOf('Custom::MackerelNotificationGroup', group, { ...live, monitors: [{ id: 'm1', skipDefault: true }, live.monitors[1]] }, ['monitors']))
      .toHaveLength(1);
  });

  test('"false" reads as unset only in the boolean fields Mackerel fills with false: a memo or a header value of "false" is text', () => {
    // A memo of "false" in Mackerel where the template has none (Mackerel's "") is drift, at the top and kept alike.
    expect(_driftOf(MONITOR, applied, { ...applied, warning: 80, memo: 'false' }, ['memo'])).toEqual([{ field: 'memo', old: undefined, new: 'false' }]);
    expect(_driftOf('Custom::MackerelService', { name: 'shop' }, { name: 'shop', memo: 'false' }, ['memo'])).toEqual([{ field: 'memo', old: undefined, new: 'false' }]);
    // Inside a list, a header value of "false" is no empty one.
    const header = (value: string) => ({ type: 'external', name: 'url', headers: [{ name: 'X-Dry-Run', value }] });
    expect(_driftOf(MONITOR, header('false'), header(''), ['headers'])).toHaveLength(1);
    expect(_driftOf(MONITOR, header(''), header('false'), ['headers'])).toHaveLength(1);
    // The booleans Mackerel reads back as false when unset stay no drift, also inside a list.
    expect(_driftOf('Custom::MackerelChannel', { type: 'slack', name: 'ops' }, { type: 'slack', name: 'ops', enabledGraphImage: false }, ['enabledGraphImage'])).toEqual([]);
    expect(_driftOf('Custom::MackerelNotificationGroup', { name: 'ops', monitors: [{ id: 'm1' }] }, { name: 'ops', monitors: [{ id: 'm1', skipDefault: false }] }, ['monitors'])).toEqual([]);
    const services = (ec2: object) => ({ name: 'aws', services: { EC2: { enable: 'true', ...ec2 } } });
    expect(_driftOf('Custom::MackerelAwsIntegration', services({}), services({ retireAutomatically: false }), ['services'])).toEqual([]);
  });

  test('an AWS service Mackerel reads back disabled and empty, where the template has none, is no drift: the docs treat a service left out as disabled', () => {
    const integration = (services: object) => ({ name: 'aws', services: { EC2: { enable: 'true', role: 'shop:web' }, ...services } });
    // As Terraform sends every service it does not configure, and reads such an entry as one not configured.
    const disabled = { enable: false, role: null, excludedMetrics: [] };
    expect(_driftOf('Custom::MackerelAwsIntegration', integration({}), integration({ ELB: disabled, RDS: { ...disabled, retireAutomatically: false } }), ['services']))
      .toEqual([]);
    // Enabled, or disabled with a role or metrics left out, it is drift.
    expect(_driftOf('Custom::MackerelAwsIntegration', integration({}), integration({ ELB: { ...disabled, enable: true } }), ['services']))
      .toEqual([{ field: 'services.ELB', old: undefined, new: { enable: 'true', role: null, excludedMetrics: [] } }]);
    expect(_driftOf('Custom::MackerelAwsIntegration', integration({}), integration({ ELB: { ...disabled, role: 'shop:lb' } }), ['services']))
      .toHaveLength(1);
    expect(_driftOf('Custom::MackerelAwsIntegration', integration({}), integration({ ELB: { ...disabled, excludedMetrics: ['elb.count'] } }), ['services']))
      .toHaveLength(1);
    // A service of the template that Mackerel holds disabled is drift.
    expect(_driftOf('Custom::MackerelAwsIntegration', integration({}), { name: 'aws', services: { EC2: { enable: false, role: 'shop:web' } } }, ['services']))
      .toEqual([{ field: 'services.EC2.enable', old: 'true', new: 'false' }]);
  });

  test('an AWS service\'s read-back rules stay with AWS services: metadata written outside with an "enable" of "false" or an object of empty fields is drift', () => {
    const metadata = (json: object) => ({ service: 'shop', namespace: 'team', metadata: JSON.stringify(json) });
    const live = (value: object) => ({ service: 'shop', namespace: 'team', metadata: value });
    // Metadata is the user's JSON: a key added in Mackerel is a real change, whatever its name or value.
    expect(_driftOf('Custom::MackerelServiceMetadata', metadata({ owner: 'ops' }), live({ owner: 'ops', enable: 'false' }), ['metadata']))
      .toEqual([{ field: 'metadata.enable', old: undefined, new: 'false' }]);
    expect(_driftOf('Custom::MackerelRoleMetadata', { ...metadata({ owner: 'ops' }), role: 'shop:web' }, { ...live({ owner: 'ops', oncall: { name: null } }), role: 'shop:web' }, ['metadata']))
      .toEqual([{ field: 'metadata.oncall', old: undefined, new: { name: null } }]);
    // An AWS service the template has, set to enable "false" with a role, read back without the role: a real change.
    const integration = (ec2: object) => ({ name: 'aws', services: { EC2: ec2 } });
    expect(_driftOf('Custom::MackerelAwsIntegration', integration({ enable: 'false', role: 'shop:web' }), integration({ enable: false, role: null, excludedMetrics: [] }), ['services']))
      .toEqual([{ field: 'services.EC2.role', old: 'shop:web', new: null }]);
  });

  test('inside a metadata value nothing reads as unset: null, "", [], {} and "false" added or dropped in Mackerel are drift', () => {
    const written = (json: object) => ({ service: 'shop', namespace: 'team', metadata: JSON.stringify(json) });
    const live = (value: object) => ({ service: 'shop', namespace: 'team', metadata: value });
    for (const value of [null, '', [], {}, 'false', false]) {
      // Added in Mackerel, under any key (isMute is one the other resources read "false" of as unset)...
      for (const key of ['a', 'isMute']) {
        expect(_driftOf('Custom::MackerelServiceMetadata', written({}), live({ [key]: value }), ['metadata']))
          .toEqual([{ field: `metadata.${key}`, old: undefined, new: value }]);
      }
      // ...or dropped there, also inside a list.
      expect(_driftOf('Custom::MackerelRoleMetadata', { ...written({ a: value }), role: 'shop:web' }, { ...live({}), role: 'shop:web' }, ['metadata']))
        .toEqual([{ field: 'metadata.a', old: value, new: undefined }]);
      expect(_driftOf('Custom::MackerelServiceMetadata', written({ list: [{ a: value }] }), live({ list: [{}] }), ['metadata']))
        .toEqual([{ field: 'metadata.list', old: [{ a: value }], new: [{}] }]);
    }
    // The same value, in any key order, is none.
    expect(_driftOf('Custom::MackerelServiceMetadata', written({ a: null, b: [], c: { d: '' } }), live({ c: { d: '' }, b: [], a: null }), ['metadata'])).toEqual([]);
  });

  test('fields the handler does not know and dynamic references are not compared', () => {
    const channel = { type: 'slack', name: 'ops', url: '{{resolve:secretsmanager:hook}}' };
    expect(_driftOf('Custom::MackerelChannel', channel, { id: 'c', type: 'slack', name: 'ops', url: 'https://hooks/x', suspended: true }, ['type', 'name', 'url'])).toEqual([]);
  });

  test('a header value given as a dynamic reference is not compared, and the live value it resolved to is never shown', () => {
    const headers = [{ name: 'Accept', value: 'application/json' }, { name: 'Authorization', value: '{{resolve:secretsmanager:probe:SecretString:header::}}' }];
    const monitor = { type: 'external', name: 'api', url: 'https://api.example.com/', headers };
    const live = { ...monitor, headers: [headers[0], { name: 'Authorization', value: 'Bearer SECRET' }] };
    expect(_driftOf(MONITOR, monitor, live, ['headers'])).toEqual([]);

    // Real drift beside it is reported, without the secret: a changed plain header, a header added first in Mackerel.
    const changed = _driftOf(MONITOR, monitor, { ...live, headers: [{ name: 'Accept', value: 'text/html' }, live.headers[1]] }, ['headers']);
    expect(changed).toHaveLength(1);
    const added = _driftOf(MONITOR, monitor, { ...live, headers: [{ name: 'X-New', value: 'x' }, ...live.headers] }, ['headers']);
    expect(added).toHaveLength(1);
    const renamed = _driftOf(MONITOR, monitor, { ...live, headers: [headers[0], { name: 'X-Auth', value: 'Bearer SECRET' }] }, ['headers']);
    expect(renamed).toHaveLength(1);
    const recased = _driftOf(MONITOR, monitor, { ...live, headers: [{ name: 'authorization', value: 'Bearer SECRET' }, headers[0]] }, ['headers']);
    expect(recased).toHaveLength(1);
    for (const drift of [changed, added, renamed, recased]) expect(JSON.stringify(drift)).not.toContain('SECRET');
  });

  test('a secret header renamed in Mackerel is drift without its value, also when the list is reordered or shortened beside it', () => {
    const headers = [{ name: 'Accept', value: 'application/json' }, { name: 'Authorization', value: '{{resolve:secretsmanager:probe:SecretString:header::}}' }];
    const monitor = { type: 'external', name: 'api', url: 'https://api.example.com/', headers };
    const renamedFirst = _driftOf(MONITOR, monitor, { ...monitor, headers: [{ name: 'X-Auth', value: 'Bearer SECRET' }, headers[0]] }, ['headers']);
    const renamedAlone = _driftOf(MONITOR, monitor, { ...monitor, headers: [{ name: 'X-Auth', value: 'Bearer SECRET' }] }, ['headers']);
    for (const drift of [renamedFirst, renamedAlone]) {
      expect(drift).toHaveLength(1);
      expect(JSON.stringify(drift)).not.toContain('SECRET');
    }
    // A plain header moved behind the secret one keeps its own value, so its change still shows.
    const reordered = _driftOf(MONITOR, monitor, { ...monitor, headers: [{ name: 'Authorization', value: 'Bearer SECRET' }, { name: 'Accept', value: 'text/html' }] }, ['headers']);
    expect(JSON.stringify(reordered)).toContain('text/html');
    expect(JSON.stringify(reordered)).not.toContain('SECRET');
  });
});

describe('printing', () => {
  test('apply lines carry progress, action, type, logical ID, Mackerel ID and name', () => {
    const o = { action: 'replaced', stackName: 'S', logicalId: 'Cpu', type: MONITOR, physicalId: 'new', previousId: 'old', name: 'cpu' } as const;
    expect(_formatOutcome(o, 3, 12)).toBe('[ 3/12] replaced  Monitor                  S/Cpu old -> new "cpu"');
    expect(_formatApplySummary([o, { ...o, action: 'created' }, { ...o, action: 'created' }])).toBe('Done: 2 created, 1 replaced.');
    expect(_formatApplySummary([])).toBe('Done: nothing to do.');
  });

  test('the type column is as wide as the longest type, so that every line lines up', () => {
    const o = { action: 'created', stackName: 'S', logicalId: 'Ext', type: 'Custom::MackerelAwsIntegrationExternalId', physicalId: 'x' } as const;
    const lines = [_formatOutcome(o, 1, 2), _formatOutcome({ ...o, logicalId: 'Web', type: 'Custom::MackerelRole' }, 2, 2)];
    expect(lines[0]).toBe('[1/2] created   AwsIntegrationExternalId S/Ext x');
    expect(lines.map((line) => line.indexOf('S/'))).toEqual([41, 41]);
  });

  test('the inventory counts what the app has in Mackerel by kind, not the deleted halves of replacements', () => {
    const o = { action: 'created', stackName: 'S', logicalId: 'Cpu', type: MONITOR, physicalId: 'm1' } as const;
    expect(_formatInventory([
      o, { ...o, action: 'unchanged' }, { ...o, action: 'deleted' },
      { ...o, action: 'updated', type: 'Custom::MackerelDowntime' }, { ...o, action: 'replaced', type: 'Custom::MackerelChannel' },
    ])).toBe('In Mackerel: 2 Monitor, 1 Downtime, 1 Channel.');
    expect(_formatInventory([{ ...o, action: 'deleted' }])).toBeUndefined();
  });

  test('diff lines and the summary', () => {
    const lines = _formatDiff([
      { kind: 'update', stackName: 'S', logicalId: 'Cpu', type: MONITOR, physicalId: 'm1', name: 'cpu', changes: [{ field: 'warning', old: '80', new: '85' }] },
      { kind: 'gone', stackName: 'S', logicalId: 'Svc', type: 'Custom::MackerelService', physicalId: 'shop', changes: [] },
    ]);
    expect(lines).toEqual([
      '~ update  Monitor                  S/Cpu m1 "cpu"',
      '      warning: "80" -> "85"',
      '? gone    Service                  S/Svc shop deleted in Mackerel outside the template (like CloudFormation, apply only re-creates it when its properties change)',
      '1 to update, 1 deleted outside.',
    ]);
    expect(_formatDiff([])).toEqual(['No differences.']);
  });

  test('an external ID no longer issued is said so, not deleted outside the template: Mackerel has no delete for one, it retires it', () => {
    // Only an --emulator run knows it (the API has no read for one): it read 'deleted in Mackerel outside the template'.
    const ext = { stackName: 'S', logicalId: 'Ext', type: 'Custom::MackerelAwsIntegrationExternalId', physicalId: 'x' } as const;
    const svc = { stackName: 'S', logicalId: 'Svc', type: 'Custom::MackerelService', physicalId: 'shop' } as const;
    expect(_formatDiff([{ kind: 'gone', ...ext, changes: [] }])[0]).toBe('? gone    AwsIntegrationExternalId S/Ext x no longer issued in Mackerel '
      + '(Mackerel retires one once every AWS integration that used it is deleted; apply only issues a new one when its properties change)');
    const outcomes = [{ action: 'unchanged', ...svc }, { action: 'unchanged', ...ext }] as const;
    expect(_formatApplySummary(outcomes, outcomes)).toBe('Done: 2 unchanged. 1 of the unchanged was deleted in Mackerel outside the template and left so (Service S/Svc): '
      + 'like CloudFormation, apply re-creates an object only when its properties change; diff shows it as "? gone". '
      + '1 unchanged external ID is no longer issued in Mackerel and left so (AwsIntegrationExternalId S/Ext): '
      + 'Mackerel retires one once every AWS integration that used it is deleted; diff shows it as "? gone".');
    expect(_formatApplySummary(outcomes, [outcomes[1]])).toBe('Done: 2 unchanged. 1 unchanged external ID is no longer issued in Mackerel and left so '
      + '(AwsIntegrationExternalId S/Ext): Mackerel retires one once every AWS integration that used it is deleted; diff shows it as "? gone".');
    // The closing line counts it as what it is, apart from the objects deleted outside.
    expect(_formatDiff([{ kind: 'gone', ...svc, changes: [] }, { kind: 'gone', ...ext, changes: [] }]).at(-1)).toBe('1 deleted outside, 1 no longer issued.');
    expect(_formatDiff([{ kind: 'gone', ...ext, changes: [] }]).at(-1)).toBe('1 no longer issued.');
    // Of a stack no longer in the app too, whose line says so as well.
    const notInApp = _formatDiff([{ kind: 'gone', ...ext, changes: [], notInApp: 'apply --destroy --stack S' }]);
    expect(notInApp.slice(1)).toEqual(['? gone    AwsIntegrationExternalId S/Ext x no longer issued in Mackerel (Mackerel retires one once every AWS '
      + 'integration that used it is deleted; its stack is no longer in the app, so no apply issues a new one)', '1 no longer issued.']);
  });

  test('a channel URL and header values are masked, but a dynamic reference and an empty value are shown; a change masking hides is said', () => {
    const reference = '{{resolve:secretsmanager:shop/slack:SecretString:url::}}';
    const url = { field: 'url', old: 'https://hooks.slack.com/services/T0/B0/secret', new: reference };
    const headers = (token: string) => [{ name: 'A', value: `Bearer ${token}` }, { name: 'B', value: '' }];
    const changes = [{ field: 'headers', old: headers('one'), new: headers('two') }, { field: 'memo', old: 'Bearer one', new: 'x' }];
    const lines = _formatDiff([
      { kind: 'update', stackName: 'S', logicalId: 'Slack', type: 'Custom::MackerelChannel', physicalId: 'c1', name: 'ops', changes: [url] },
      { kind: 'drift', stackName: 'S', logicalId: 'Api', type: MONITOR, physicalId: 'm1', name: 'api', changes },
    ]);
    expect(lines.slice(1, 2)).toEqual([`      url: "****" -> ${JSON.stringify(reference)}`]);
    expect(lines.slice(3, 5)).toEqual([
      '      headers: [{"name":"A","value":"****"},{"name":"B","value":""}] -> [{"name":"A","value":"****"},{"name":"B","value":""}] (secret, changed)',
      // Only those fields: a memo is no secret.
      '      memo: "Bearer one" -> "x"',
    ]);
  });

  test('an external monitor URL is shown with its user name and password masked, in a create and in a change', () => {
    const url = (password: string) => `https://shop:${password}@shop.example.com/health?a@b`;
    const lines = _formatDiff([
      { kind: 'create', stackName: 'S', logicalId: 'New', type: MONITOR, name: 'new', changes: [{ field: 'url', new: url('hunter2') }] },
      { kind: 'update', stackName: 'S', logicalId: 'Api', type: MONITOR, physicalId: 'm1', name: 'api', changes: [{ field: 'url', old: url('one'), new: url('two') }] },
      { kind: 'update', stackName: 'S', logicalId: 'Top', type: MONITOR, physicalId: 'm2', name: 'top', changes: [{ field: 'url', old: 'https://a.example.com/', new: 'https://b.example.com/' }] },
    ]);
    expect(lines.join('\n')).not.toMatch(/hunter2|one@|two@/);
    expect(lines).toContain('      url: "https://****@shop.example.com/health?a@b"');
    expect(lines).toContain('      url: "https://****@shop.example.com/health?a@b" -> "https://****@shop.example.com/health?a@b" (secret, changed)');
    // A URL without userinfo holds no secret.
    expect(lines).toContain('      url: "https://a.example.com/" -> "https://b.example.com/"');
  });
});

describe('the exit code of diff', () => {
  const entry = { stackName: 'Old', logicalId: 'Svc', type: 'Custom::MackerelService', physicalId: 'shop', changes: [] };
  const removed = { ...entry, notInApp: 'apply --destroy --stack Old' };

  test('1 for what apply makes, 3 for what it leaves, 0 for nothing', () => {
    expect(_diffExitCode([])).toBe(0);
    expect(_diffExitCode([{ kind: 'delete', ...entry }])).toBe(1);
    expect(_diffExitCode([{ kind: 'drift', ...entry }])).toBe(3);
  });

  test('the deletes of a stack only the state holds are 3 in a run of the app, which leaves them, and 1 in a run of that stack alone', () => {
    // The app's apply leaves them on every run: 1 would have a pipeline apply forever, never seeing 0.
    expect(_diffExitCode([{ kind: 'delete', ...removed }, { kind: 'retain', ...removed }, { kind: 'leave', ...removed }])).toBe(3);
    // With a change of the app beside them, apply does make something.
    expect(_diffExitCode([{ kind: 'delete', ...removed }, { kind: 'create', ...entry, stackName: 'New' }])).toBe(1);
    // diff --stack Old: its one apply, --destroy, makes them.
    expect(_diffExitCode([{ kind: 'delete', ...removed }], true)).toBe(1);
  });
});
