import { lstatSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { isEmptyState, NotEmulatorStateError, readEmulatorState, startEmulator, writeEmulatorState } from '../../src/emulator';
import { emptyState, EmulatorState, OBJECT_LISTS } from '../../src/emulator/_state';

// Lets a test make the next random ID a known one: all zero bytes give '11111111111'.
const random = vi.hoisted(() => ({ zeros: 0 }));
vi.mock('node:crypto', async (original) => {
  const actual = await original<typeof import('node:crypto')>();
  return {
    ...actual,
    randomBytes: (n: number) => {
      if (random.zeros === 0) return actual.randomBytes(n);
      random.zeros -= 1;
      return Buffer.alloc(n, 0);
    },
  };
});

const dir = () => mkdtempSync(join(tmpdir(), 'cdk-mackerel-emulator-'));

async function post(url: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(new URL(`api/v0/${path}`, url), {
    method: 'POST',
    headers: { 'X-Api-Key': 'emulator-write-key', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return response.json();
}

describe('saved emulator state', () => {
  test('an emulator started from a saved state serves its objects, stays as strict, and reset empties it', async () => {
    const first = await startEmulator();
    await post(first.url, 'services', { name: 'shop' });
    const monitor = await post(first.url, 'monitors', { type: 'connectivity', name: 'alive', scopes: ['shop'] });
    const file = join(dir(), 'emulator.json');
    writeEmulatorState(file, first.state());
    await first.close();

    const second = await startEmulator({ state: readEmulatorState(file) });
    try {
      const listed: any = await (await fetch(new URL('api/v0/monitors', second.url), { headers: { 'X-Api-Key': second.apiKey } })).json();
      expect(listed.monitors).toEqual([expect.objectContaining({ id: monitor.id, name: 'alive' })]);
      // The loaded service still makes a duplicate name a 400.
      const duplicate = await fetch(new URL('api/v0/services', second.url), {
        method: 'POST', headers: { 'X-Api-Key': second.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'shop' }),
      });
      expect(duplicate.status).toBe(400);
      expect(isEmptyState(second.state())).toBe(false);
      second.reset();
      expect(isEmptyState(second.state())).toBe(true);
      // An issued external ID is no object: Mackerel cannot delete one.
      expect(isEmptyState({ ...second.state(), externalIds: ['x'.repeat(30)] })).toBe(true);
    } finally {
      await second.close();
    }
  });

  test('a state file that is a symbolic link is saved through it: the link stays a link, its target holds the objects', () => {
    const d = dir();
    mkdirSync(join(d, 'kept'));
    symlinkSync('kept/emulator.json', join(d, 'emulator.json'));
    const state = { ...emptyState(), externalIds: ['x'.repeat(30)] };
    writeEmulatorState(join(d, 'emulator.json'), state);
    writeEmulatorState(join(d, 'emulator.json'), state);
    expect(lstatSync(join(d, 'emulator.json')).isSymbolicLink()).toBe(true);
    expect(readEmulatorState(join(d, 'kept', 'emulator.json'))).toEqual(state);
    expect(readdirSync(d).sort()).toEqual(['emulator.json', 'kept']);
    expect(readdirSync(join(d, 'kept'))).toEqual(['emulator.json']);
  });

  test('a state saved before external IDs were recorded per integration still retires each integration\'s current ID', async () => {
    // GIVEN a file without externalIdsUsedBy, holding an integration that uses an issued ID
    const file = join(dir(), 'emulator.json');
    const { externalIdsUsedBy: _recorded, ...older } = emptyState();
    const externalId = 'x'.repeat(30);
    const saved = { ...older, externalIds: [externalId], awsIntegrations: [{ id: '11111111111', name: 'prod', externalId }] };
    writeFileSync(file, JSON.stringify({ version: 1, ...saved }));
    const emulator = await startEmulator({ state: readEmulatorState(file) });
    try {
      // WHEN the integration is deleted
      const response = await fetch(new URL('api/v0/aws-integrations/11111111111', emulator.url), { method: 'DELETE', headers: { 'X-Api-Key': emulator.apiKey } });
      expect(response.status).toBe(200);
      // THEN its ID is no longer reusable
      expect(emulator.state()).toMatchObject({ externalIds: [], externalIdsUsedBy: {} });
    } finally {
      await emulator.close();
    }
  });

  test('a state saved before graph annotations were kept loads with none', () => {
    const file = join(dir(), 'emulator.json');
    const { graphAnnotations: _kept, ...older } = emptyState();
    writeFileSync(file, JSON.stringify({ version: 1, ...older }));
    expect(readEmulatorState(file)).toEqual(emptyState());
  });

  test('a state saved before dashboards were kept loads with none, and keeps what it holds', () => {
    const file = join(dir(), 'emulator.json');
    const { dashboards: _kept, ...older } = emptyState();
    const service = { name: 'shop', memo: '', roles: [], metadata: {} };
    writeFileSync(file, JSON.stringify({ version: 1, ...older, services: [service] }));
    expect(readEmulatorState(file)).toEqual({ ...emptyState(), services: [service] });
  });

  test('a state saved before a second anomaly detection monitor of a role was refused, holding two, is refused whole, naming both: '
    + 'neither is dropped, and one loaded would make every update of the other fail', () => {
    const file = join(dir(), 'emulator.json');
    const shop = { name: 'shop', memo: '', roles: [{ name: 'web', memo: '', metadata: {} }, { name: 'api', memo: '', metadata: {} }], metadata: {} };
    const anomaly = (id: string, scopes: string[]) => ({ id, type: 'anomalyDetection', name: id, scopes, warningSensitivity: 'normal', maxCheckAttempts: 3 });
    const host = { id: '2cSZzK3XfmH', type: 'host', name: 'cpu', metric: 'cpu%', operator: '>', warning: 80, duration: 1, scopes: ['shop:web'], excludeScopes: [] };
    const save = (monitors: object[]) => writeFileSync(file, JSON.stringify({ version: 1, ...emptyState(), services: [shop], monitors }));

    // One of each role, and another type of monitor of the same role, are what an organization holds.
    const held = [anomaly('2cSZzK3XfmB', ['shop:web']), anomaly('2cSZzK3XfmC', ['shop:api']), host];
    save(held);
    expect(readEmulatorState(file)?.monitors).toEqual(held);

    save([anomaly('2cSZzK3XfmB', ['shop:web']), host, anomaly('2cSZzK3XfmC', ['shop:api', 'shop:web'])]);
    expect(() => readEmulatorState(file)).toThrow(new RegExp('^emulator state \\S+ is refused: role "shop:web" is watched by the anomaly detection monitors 2cSZzK3XfmB and 2cSZzK3XfmC, '
      + 'and Mackerel allows one per role \\(a state saved before the emulator refused the second\\): delete one of them from monitors, or remove the file '
      + 'to start an empty emulator$'));
  });

  // The emulator stores `shop:web`; a hand-edited `shop: web` (the read-back form) would slip past the
  // one-anomaly-detection-monitor-per-role check and a role delete's cascade, which compare strings.
  test('a monitor scope in another form than service or service:role is refused, also where two anomaly detection monitors would watch one role', () => {
    const file = join(dir(), 'emulator.json');
    const shop = { name: 'shop', memo: '', roles: [{ name: 'web', memo: '', metadata: {} }], metadata: {} };
    const anomaly = (id: string, scopes: string[]) => ({ id, type: 'anomalyDetection', name: id, scopes, warningSensitivity: 'normal', maxCheckAttempts: 3 });
    const host = (scopes: object) => ({ id: '2cSZzK3XfmH', type: 'host', name: 'cpu', metric: 'cpu%', operator: '>', warning: 80, duration: 1, ...scopes });
    const save = (monitors: object[]) => writeFileSync(file, JSON.stringify({ version: 1, ...emptyState(), services: [shop], monitors }));
    const refused = (why: string) => new RegExp(`^emulator state \\S+ is refused: ${why}; remove it to start an empty emulator$`);

    save([anomaly('2cSZzK3XfmB', ['shop:web']), anomaly('2cSZzK3XfmC', ['shop: web'])]);
    expect(() => readEmulatorState(file)).toThrow(refused('the scopes of monitor 2cSZzK3XfmC hold "shop: web", and the emulator keeps a scope as a service name '
      + 'or service:role \\(no space after the colon\\)'));
    save([host({ scopes: ['shop'], excludeScopes: ['Shop: web'] })]);
    expect(() => readEmulatorState(file)).toThrow(/is refused: the excludeScopes of monitor 2cSZzK3XfmH hold "Shop: web", /);
    save([host({ scopes: 'shop' })]);
    expect(() => readEmulatorState(file)).toThrow(refused('the scopes of monitor 2cSZzK3XfmH must be a list'));
    save([host({ scopes: ['shop:web:x'] })]);
    expect(() => readEmulatorState(file)).toThrow(/the scopes of monitor 2cSZzK3XfmH hold "shop:web:x"/);

    const held = [host({ scopes: ['shop', 'shop:web'], excludeScopes: [] })];
    save(held);
    expect(readEmulatorState(file)?.monitors).toEqual(held);
  });

  // A role's or service's delete drops `shop:web` from downtimes, alert group settings and notification
  // groups by comparing strings: a hand-edited `shop: web` would stay behind, naming a role that is gone.
  test('a service or role scope of a downtime or alert group setting, or a service of a notification group, in another form than the emulator keeps is refused', () => {
    const file = join(dir(), 'emulator.json');
    const shop = { name: 'shop', memo: '', roles: [{ name: 'web', memo: '', metadata: {} }], metadata: {} };
    const none = { serviceScopes: [], serviceExcludeScopes: [], roleScopes: [], roleExcludeScopes: [], monitorScopes: [], monitorExcludeScopes: [] };
    const downtime = (scopes: object) => ({ id: '2cSZzK3XfmD', name: 'release', memo: '', start: 1700000000, duration: 60, ...none, ...scopes });
    const setting = (scopes: object) => ({ id: '2cSZzK3XfmS', name: 'web', memo: '', serviceScopes: [], roleScopes: [], monitorScopes: [], ...scopes });
    const children = { childNotificationGroupIds: [], childChannelIds: [], monitors: [] };
    const group = (services: unknown) => ({ id: '2cSZzK3XfmG', type: 'group', name: 'ops', notificationLevel: 'all', ...children, services });
    const save = (lists: object) => writeFileSync(file, JSON.stringify({ version: 1, ...emptyState(), services: [shop], ...lists }));
    const refused = (why: string) => new RegExp(`^emulator state \\S+ is refused: ${why}; remove it to start an empty emulator$`);

    save({ downtimes: [downtime({ roleScopes: ['shop: web'] })] });
    expect(() => readEmulatorState(file)).toThrow(refused('the roleScopes of downtime 2cSZzK3XfmD hold "shop: web", and the emulator keeps a role scope '
      + 'as service:role \\(no space after the colon\\)'));
    save({ downtimes: [downtime({ roleExcludeScopes: ['shop'] })] });
    expect(() => readEmulatorState(file)).toThrow(/is refused: the roleExcludeScopes of downtime 2cSZzK3XfmD hold "shop", and the emulator keeps a role scope /);
    save({ downtimes: [downtime({ serviceScopes: ['shop:web'] })] });
    expect(() => readEmulatorState(file)).toThrow(refused('the serviceScopes of downtime 2cSZzK3XfmD hold "shop:web", and the emulator keeps a service scope '
      + 'as a service name'));
    save({ downtimes: [downtime({ serviceExcludeScopes: [' shop'] })] });
    expect(() => readEmulatorState(file)).toThrow(/is refused: the serviceExcludeScopes of downtime 2cSZzK3XfmD hold " shop", /);
    save({ downtimes: [downtime({ roleScopes: 'shop:web' })] });
    expect(() => readEmulatorState(file)).toThrow(refused('the roleScopes of downtime 2cSZzK3XfmD must be a list'));

    save({ alertGroupSettings: [setting({ roleScopes: ['Shop: web'] })] });
    expect(() => readEmulatorState(file)).toThrow(/is refused: the roleScopes of alert group setting 2cSZzK3XfmS hold "Shop: web", and the emulator keeps a role scope /);
    save({ alertGroupSettings: [setting({ serviceScopes: ['shop '] })] });
    expect(() => readEmulatorState(file)).toThrow(/is refused: the serviceScopes of alert group setting 2cSZzK3XfmS hold "shop ", and the emulator keeps a service scope /);
    save({ alertGroupSettings: [setting({ serviceScopes: [1] })] });
    expect(() => readEmulatorState(file)).toThrow(/is refused: the serviceScopes of alert group setting 2cSZzK3XfmS hold 1, /);

    save({ notificationGroups: [...emptyState().notificationGroups, group([{ name: 'shop:web' }])] });
    expect(() => readEmulatorState(file)).toThrow(refused('the services of notification group 2cSZzK3XfmG hold \\{"name":"shop:web"\\}, and the emulator keeps each '
      + 'as \\{ name \\} with a service name'));
    save({ notificationGroups: [...emptyState().notificationGroups, group(['shop'])] });
    expect(() => readEmulatorState(file)).toThrow(/is refused: the services of notification group 2cSZzK3XfmG hold "shop", /);
    // Every group holds the list, the default one too: a service's delete filters it.
    const { services: _none, ...defaultGroup } = emptyState().notificationGroups[0];
    save({ notificationGroups: [defaultGroup] });
    expect(() => readEmulatorState(file)).toThrow(refused('the services of notification group 2cSZzK3XfmA must be a list'));

    // What the emulator stores loads.
    const held = {
      downtimes: [downtime({ serviceScopes: ['shop'], roleExcludeScopes: ['shop:web'] })],
      alertGroupSettings: [setting({ roleScopes: ['shop:web'] })],
      notificationGroups: [...emptyState().notificationGroups, group([{ name: 'shop' }])],
    };
    save(held);
    expect(readEmulatorState(file)).toMatchObject(held);
  });

  test('a state the emulator saves, holding objects of every kind, loads as it was saved', async () => {
    const emulator = await startEmulator();
    const call = async (method: string, path: string, body?: unknown) => {
      const headers = { 'X-Api-Key': emulator.apiKey, 'Content-Type': 'application/json' };
      const response = await fetch(new URL(`api/v0/${path}`, emulator.url), { method, headers, body: JSON.stringify(body) });
      const text = await response.text();
      expect(response.status, text).toBe(200);
      return JSON.parse(text);
    };
    try {
      await call('POST', 'services', { name: 'shop', memo: 'the shop' });
      await call('POST', 'services/shop/roles', { name: 'web' });
      await call('POST', 'services/shop/roles', { name: 'db' });
      await call('POST', 'services', { name: 'batch-2' });
      await call('PUT', 'services/shop/metadata/cfn', { stack: 'Shop' });
      await call('PUT', 'services/shop/roles/web/metadata/cfn', { tier: 'front' });
      const cpu = { type: 'host', name: 'cpu', metric: 'cpu%', operator: '>', warning: 80, critical: 90, duration: 3 };
      const host = await call('POST', 'monitors', { ...cpu, scopes: ['shop'], excludeScopes: ['shop:db'] });
      const alive = await call('POST', 'monitors', { type: 'connectivity', name: 'alive', scopes: ['shop:web', 'batch-2'] });
      await call('POST', 'monitors', { type: 'service', name: 'orders', service: 'shop', metric: 'orders.count', operator: '<', warning: 10, duration: 2 });
      await call('POST', 'monitors', { type: 'external', name: 'top', url: 'https://shop.example.com/', service: 'shop' });
      await call('POST', 'monitors', { type: 'expression', name: 'load', expression: 'avg(roleSlots("shop:web","loadavg5"))', operator: '>', warning: 5 });
      await call('POST', 'monitors', { type: 'anomalyDetection', name: 'anomaly', scopes: ['shop:db'], warningSensitivity: 'normal' });
      await call('POST', 'monitors', { type: 'query', name: 'cpu', query: 'container.cpu.utilization{service="shop"}', operator: '>', warning: 70 });
      const channel = await call('POST', 'channels', { type: 'email', name: 'oncall', emails: ['oncall@example.com'], userIds: [], events: ['alert'] });
      await call('POST', 'channels', { type: 'webhook', name: 'hook', url: 'http://hooks.example.com/', events: [] });
      const watched = { monitors: [{ id: alive.id, skipDefault: true }], services: [{ name: 'shop' }, { name: 'batch-2' }] };
      const child = await call('POST', 'notification-groups', { name: 'web', notificationLevel: 'critical', childNotificationGroupIds: [], childChannelIds: [channel.id], ...watched });
      await call('POST', 'notification-groups', { name: 'ops', notificationLevel: 'all', childNotificationGroupIds: [child.id], childChannelIds: [] });
      const grouped = { serviceScopes: ['batch-2'], roleScopes: ['shop:web', 'shop:db'], monitorScopes: [host.id] };
      await call('POST', 'alert-group-settings', { name: 'shop', memo: 'grouped', notificationInterval: 60, ...grouped });
      const recurrence = { type: 'weekly', interval: 1, weekdays: ['Monday'], until: 1800000000 };
      const services = { serviceScopes: ['shop'], serviceExcludeScopes: ['batch-2'] };
      const roles = { roleScopes: ['shop:web'], roleExcludeScopes: ['shop:db'] };
      const monitors = { monitorScopes: [host.id], monitorExcludeScopes: [alive.id] };
      await call('POST', 'downtimes', { name: 'release', start: 1700000000, duration: 60, recurrence, ...services, ...roles, ...monitors });
      const { externalId } = await call('POST', 'aws-integrations-external-id');
      const account = { roleArn: 'arn:aws:iam::123456789012:role/mackerel', externalId, region: 'ap-northeast-1', includedTags: '', excludedTags: '' };
      const ecs = { ECSCluster: { enable: true, role: 'shop:web', excludedMetrics: [] } };
      await call('POST', 'aws-integrations', { name: 'prod', memo: '', ...account, services: ecs });
      await call('POST', 'graph-annotations', { title: 'deploy', from: 1700000000, to: 1700000030, service: 'shop', roles: ['web'] });
      await call('POST', 'graph-annotations', { title: 'migrate', from: 1700000100, to: 1700000200, service: 'shop' });
      const widgets = [
        { type: 'alertStatus', title: 'web alerts', roleFullname: 'shop:web', layout: { x: 0, y: 0, width: 12, height: 4 } },
        { type: 'markdown', title: 'runbook', markdown: '# On call', layout: { x: 12, y: 0, width: 6, height: 4 } },
      ];
      await call('POST', 'dashboards', { title: 'Shop', memo: '', urlPath: 'shop', widgets });

      const state = emulator.state();
      // Objects of every kind the state keeps, so that a kind added later without a check here is seen.
      for (const list of [...OBJECT_LISTS, 'services', 'externalIds'] as const) expect(state[list], list).not.toHaveLength(0);
      const file = join(dir(), 'emulator.json');
      writeEmulatorState(file, state);
      expect(readEmulatorState(file)).toEqual(JSON.parse(JSON.stringify(state)));
    } finally {
      await emulator.close();
    }
  });

  test('a new object never takes an ID a loaded object holds', async () => {
    const state: EmulatorState = { ...emptyState(), services: [{ name: 'shop', memo: '', roles: [], metadata: {} }] };
    state.monitors.push({ id: '11111111111', type: 'connectivity', name: 'loaded', scopes: ['shop'] });
    const emulator = await startEmulator({ state });
    try {
      random.zeros = 1;
      const created = await post(emulator.url, 'monitors', { type: 'connectivity', name: 'new', scopes: ['shop'] });
      expect(random.zeros).toBe(0);
      expect(created.id).not.toBe('11111111111');
      expect(created.id).toMatch(/^[1-9A-HJ-NP-Za-km-z]{11}$/);
    } finally {
      await emulator.close();
    }
  });

  test('nor an ID a loaded graph annotation holds', async () => {
    const state: EmulatorState = { ...emptyState(), services: [{ name: 'shop', memo: '', roles: [], metadata: {} }] };
    state.graphAnnotations.push({ id: '11111111111', title: 'deploy', description: '', from: 1, to: 2, service: 'shop' });
    const emulator = await startEmulator({ state });
    try {
      random.zeros = 1;
      const created = await post(emulator.url, 'graph-annotations', { title: 'deploy', from: 3, to: 4, service: 'shop' });
      expect(random.zeros).toBe(0);
      expect(created.id).not.toBe('11111111111');
    } finally {
      await emulator.close();
    }
  });

  test('nor an ID a loaded dashboard holds', async () => {
    const state: EmulatorState = emptyState();
    state.dashboards.push({ id: '11111111111', title: 'loaded', memo: '', urlPath: 'loaded', widgets: [], createdAt: 1, updatedAt: 1 });
    const emulator = await startEmulator({ state });
    try {
      random.zeros = 1;
      const created = await post(emulator.url, 'dashboards', { title: 'new', urlPath: 'new', widgets: [] });
      expect(random.zeros).toBe(0);
      expect(created.id).not.toBe('11111111111');
    } finally {
      await emulator.close();
    }
  });

  test('JSON that holds none of a state\'s fields is said to be no emulator state, and what it reads as, with no advice to remove it', () => {
    const file = join(dir(), 'e.json');
    const cases: Array<[unknown, string]> = [
      [{ version: '54.0.0', artifacts: { Shop: { type: 'aws:cloudformation:stack' } } }, 'a cloud assembly manifest (manifest.json of cdk.out)'],
      [{ version: 1, stacks: {}, pendingDeletes: [] }, 'a cdk-mackerel state file (the one --state names)'],
      [{ Resources: { A: { Type: 'Custom::MackerelService' } } }, 'a CloudFormation template'],
      [{ version: 1 }, 'a JSON object of another shape'],
      [[], 'a JSON list'],
      [null, 'JSON null'],
      [1, 'JSON of type number'],
    ];
    for (const [value, what] of cases) {
      writeFileSync(file, JSON.stringify(value));
      let error: unknown;
      try {
        readEmulatorState(file);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(NotEmulatorStateError);
      expect((error as Error).message).toBe(`${file} is not an emulator state: it reads as ${what}, and an emulator state is a JSON object with version 1 `
        + 'and the emulator\'s objects (services, monitors, channels, ...); give the file an emulator saved, or a path where none exists yet to start an empty emulator');
    }
    // One with a field of a state is a state, refused as damaged, which removing would reset.
    writeFileSync(file, JSON.stringify({ services: [] }));
    expect(() => readEmulatorState(file)).toThrow(/is refused: not an emulator state \(version 1\); remove it to start an empty emulator$/);
  });

  test('a state of a later version is said to be written by a newer cdk-mackerel, to read with that one: removing it loses its objects', () => {
    const file = join(dir(), 'e.json');
    for (const version of [2, 10]) {
      writeFileSync(file, JSON.stringify({ version, services: [] }));
      expect(() => readEmulatorState(file)).toThrow(new RegExp(`^emulator state ${file} is version ${version}, written by a newer cdk-mackerel `
        + '\\(this one reads version 1\\); use that version with it, or remove it only if losing the objects it holds is fine$'));
    }
    // not a version number at all: damaged, as before
    for (const version of ['2', 1.5, 0, null]) {
      writeFileSync(file, JSON.stringify({ version, services: [] }));
      expect(() => readEmulatorState(file)).toThrow(/is refused: not an emulator state \(version 1\); remove it to start an empty emulator$/);
    }
  });

  test('a missing file is no state; a file that is not one is refused whole', () => {
    const d = dir();
    expect(readEmulatorState(join(d, 'none.json'))).toBeUndefined();
    const file = join(d, 'e.json');
    writeEmulatorState(file, emptyState());
    expect(readEmulatorState(file)).toEqual(emptyState());
    const refused = (value: unknown, why: RegExp) => {
      writeFileSync(file, JSON.stringify(value));
      expect(() => readEmulatorState(file)).toThrow(why);
    };
    refused({ ...emptyState() }, /not an emulator state \(version 1\)/);
    refused({ version: 1, ...emptyState(), services: [{ roles: [] }] }, /services must be a list of \{ name, memo, roles, metadata \}/);
    refused({ version: 1, ...emptyState(), downtimes: {} }, /downtimes must be a list of objects with an id/);
    refused({ version: 1, ...emptyState(), graphAnnotations: null }, /graphAnnotations must be a list of objects with an id/);
    refused({ version: 1, ...emptyState(), graphAnnotations: [{ title: 'deploy' }] }, /graphAnnotations must be a list of objects with an id/);
    refused({ version: 1, ...emptyState(), dashboards: {} }, /dashboards must be a list of objects with an id/);
    refused({ version: 1, ...emptyState(), dashboards: [{ urlPath: 'a' }] }, /dashboards must be a list of objects with an id/);
    refused({ version: 1, ...emptyState(), externalIds: [1] }, /externalIds must be a list of strings/);
    refused({ version: 1, ...emptyState(), externalIdsUsedBy: { abc: 'x' } }, /externalIdsUsedBy must map integration IDs to lists of strings/);
    refused({ version: 1, ...emptyState(), notificationGroups: [] }, /the default notification group is missing/);
    // Each service and role as the emulator makes it: a missing memo or metadata made every metadata call a 500.
    const shop = { name: 'shop', memo: '', roles: [], metadata: {} };
    const web = { name: 'web', memo: '', metadata: {} };
    refused({ version: 1, ...emptyState(), services: [{ name: 'shop', roles: [] }] }, /services must be a list of \{ name, memo, roles, metadata \}/);
    refused({ version: 1, ...emptyState(), services: [{ ...shop, metadata: [] }] }, /services must be a list of \{ name, memo, roles, metadata \}/);
    refused({ version: 1, ...emptyState(), services: [{ ...shop, roles: [{ name: 'web' }] }] }, /roles must be a list of \{ name, memo, metadata \}/);
    refused({ version: 1, ...emptyState(), services: [{ ...shop, metadataModifiedAt: { ns: 'today' } }] }, /metadataModifiedAt must map namespaces to epoch seconds/);
    // What no organization holds: two services or two roles of a service by one name, two objects by one ID.
    refused({ version: 1, ...emptyState(), services: [shop, { ...shop }] }, /two services are named "shop"/);
    refused({ version: 1, ...emptyState(), services: [{ ...shop, roles: [web, { ...web }] }] }, /two roles of service "shop" are named "web"/);
    refused({ version: 1, ...emptyState(), downtimes: [{ id: '2cSZzK3XfmA' }] }, /two objects have the ID "2cSZzK3XfmA"/);
    writeFileSync(file, 'nope');
    expect(() => readEmulatorState(file)).toThrow(/is not readable JSON/);
  });
});
