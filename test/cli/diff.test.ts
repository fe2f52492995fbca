import { describe, expect, test } from 'vitest';
import { _Template } from '../../src/cli/assembly';
import { _driftOf, _fieldChanges, _planDiff, _replacingFields } from '../../src/cli/diff';
import { _planStack } from '../../src/cli/plan';
import { _formatApplySummary, _formatInventory, _formatDiff, _formatOutcome } from '../../src/cli/printer';
import { _StateFile } from '../../src/cli/state';

const MONITOR = 'Custom::MackerelMonitor';

describe('changes field by field', () => {
  test('nested objects are walked, lists compared whole, absent fields shown', () => {
    expect(_fieldChanges({ a: '1', m: { ok: 'x' }, l: ['a'] }, { a: '2', m: { ok: 'x', warning: 'y' }, l: ['a', 'b'], n: 'new' })).toEqual([
      { field: 'a', old: '1', new: '2' },
      { field: 'l', old: ['a'], new: ['a', 'b'] },
      { field: 'm.warning', old: undefined, new: 'y' },
      { field: 'n', old: undefined, new: 'new' },
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

describe('drift', () => {
  const applied = { type: 'host', name: 'cpu', warning: '80', scopes: ['shop:web'] };

  test('read-back quirks are not drift: role scopes as "Service: role", numbers, server defaults, empty fields', () => {
    const live = { id: 'm1', type: 'host', name: 'cpu', warning: 80, scopes: ['shop: web'], isMute: false, memo: '', maxCheckAttempts: 1, excludeScopes: [] };
    expect(_driftOf(MONITOR, applied, live, ['type', 'name', 'warning', 'scopes', 'isMute', 'memo', 'maxCheckAttempts', 'excludeScopes'])).toEqual([]);
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
    expect(_driftOf(MONITOR, { type: 'connectivity' }, { type: 'connectivity', alertStatusOnGone: 'CRITICAL' }, fields)).toEqual([]);
    expect(_driftOf(MONITOR, { type: 'anomalyDetection' }, { type: 'anomalyDetection', maxCheckAttempts: 3 }, fields)).toEqual([]);
    expect(_driftOf(MONITOR, { type: 'host' }, { type: 'host', maxCheckAttempts: 3 }, fields)).toEqual([{ field: 'maxCheckAttempts', old: undefined, new: '3' }]);
    expect(_driftOf(MONITOR, { type: 'expression' }, { type: 'expression', evaluateBackwardMinutes: 2 }, fields)).toEqual([]);
  });

  test('a false the template set inside a list equals the one the server reads back', () => {
    const group = { name: 'ops', monitors: [{ id: 'm1', skipDefault: 'false' }, { id: 'm2', skipDefault: 'true' }] };
    const live = { name: 'ops', monitors: [{ id: 'm1', skipDefault: false }, { id: 'm2', skipDefault: true }] };
    expect(_driftOf('Custom::MackerelNotificationGroup', group, live, ['monitors'])).toEqual([]);
    expect(_driftOf('Custom::MackerelNotificationGroup', group, { ...live, monitors: [{ id: 'm1', skipDefault: true }, live.monitors[1]] }, ['monitors']))
      .toHaveLength(1);
  });

  test('fields the handler does not know and dynamic references are not compared', () => {
    const channel = { type: 'slack', name: 'ops', url: '{{resolve:secretsmanager:hook}}' };
    expect(_driftOf('Custom::MackerelChannel', channel, { id: 'c', type: 'slack', name: 'ops', url: 'https://hooks/x', suspended: true }, ['type', 'name', 'url'])).toEqual([]);
  });
});

describe('printing', () => {
  test('apply lines carry progress, action, type, logical ID, Mackerel ID and name', () => {
    const o = { action: 'replaced', stackName: 'S', logicalId: 'Cpu', type: MONITOR, physicalId: 'new', previousId: 'old', name: 'cpu' } as const;
    expect(_formatOutcome(o, 3, 12)).toBe('[ 3/12] replaced  Monitor                S/Cpu old -> new "cpu"');
    expect(_formatApplySummary([o, { ...o, action: 'created' }, { ...o, action: 'created' }])).toBe('Done: 2 created, 1 replaced.');
    expect(_formatApplySummary([])).toBe('Done: nothing to do.');
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
      '~ update  Monitor                S/Cpu m1 "cpu"',
      '      warning: "80" -> "85"',
      '? gone    Service                S/Svc shop deleted in Mackerel outside the template (like CloudFormation, apply only re-creates it when its properties change)',
      '1 to update, 1 deleted outside.',
    ]);
    expect(_formatDiff([])).toEqual(['No differences.']);
  });
});
