import { join } from 'node:path';
import { CfnParameter, Duration } from 'aws-cdk-lib';
import { beforeEach, describe, expect, test } from 'vitest';
import { cli, synthStack, synthStacks, useEmulatorPerFile, workDir } from './_fixture';
import { Dashboard, DashboardFormatOperator, DashboardGraphRange, DashboardWidget } from '../../src/dashboards';
import { HostMetricMonitor, MonitorOperator, MonitorScope } from '../../src/monitors';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());
/** The writes the emulator took (every request but a read), to show a refused run sent none. */
const writes = () => shared.emulator.requests().filter((r) => r.method !== 'GET');

/** The stack Shop: the service shop with role web and a dashboard of `line` (a reference line on the CPU graph, or none). */
function synth(dir: string, line?: number, id = 'Board'): string {
  return synthStack(dir, (stack) => {
    const shop = new MackerelService(stack, 'Service', { name: 'shop' });
    const web = shop.addRole('web');
    const board = new Dashboard(stack, id, { title: 'shop', urlPath: 'shop/web' });
    board.addWidgets(
      DashboardWidget.roleGraph({ title: 'web CPU', role: web, graph: 'container.cpu', referenceLine: line === undefined ? undefined : { label: 'limit', value: line } }),
      DashboardWidget.serviceMetricValue({ title: 'orders', service: shop, metric: 'shop.orders.count', fractionSize: 0 }),
    );
    board.addWidgets(DashboardWidget.alertStatus({ title: 'web alerts', role: web }));
  });
}

test('a dashboard is applied with its references resolved, shows no drift as Mackerel returns it, and a removed reference line is cleared', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];

  let run = await cli(['apply', synth(dir, 80), ...base]);
  expect(run.code).toBe(0);
  const [board] = shared.emulator.state().dashboards;
  expect(board).toMatchObject({
    title: 'shop',
    urlPath: 'shop/web',
    widgets: [
      {
        type: 'graph',
        graph: { type: 'role', roleFullname: 'shop:web', name: 'container.cpu' },
        referenceLines: [{ label: 'limit', value: 80 }],
        layout: { x: 0, y: 0, width: 8, height: 6 },
      },
      { type: 'value', metric: { type: 'service', serviceName: 'shop', name: 'shop.orders.count' }, fractionSize: 0, layout: { x: 8, y: 0, width: 4, height: 4 } },
      { type: 'alertStatus', roleFullname: 'shop:web', layout: { x: 0, y: 6, width: 6, height: 4 } },
    ],
  });

  // what Mackerel returns (createdAt, updatedAt, its id) is not drift
  run = await cli(['diff', synth(dir, 80), ...base]);
  expect(run.out).toBe('No differences.');
  expect(run.code).toBe(0);

  // the line removed from the app: the update sends referenceLines [] and Mackerel clears it, in place
  const outdir = synth(dir);
  run = await cli(['diff', outdir, ...base]);
  expect(run.out).toMatch(/^~ update +Dashboard +Shop\/Board\w+ \S+/m);
  expect(run.code).toBe(1);
  run = await cli(['apply', outdir, ...base]);
  expect(run.out).toMatch(/^Done: 1 updated, 2 unchanged\.$/m);
  const [updated] = shared.emulator.state().dashboards;
  expect(updated.id).toBe(board.id);
  expect((updated.widgets as Array<{ referenceLines?: unknown }>)[0].referenceLines).toEqual([]);
});

/** The stack Shop with a dashboard of one value widget, with a format rule below `below`, or none. */
function synthRule(dir: string, below?: number): string {
  return synthStack(dir, (stack) => {
    const board = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop/rules' });
    const formatRule = below === undefined ? undefined : { name: 'slow', threshold: below, operator: DashboardFormatOperator.LESS_THAN };
    board.addWidgets(DashboardWidget.expressionValue({ title: 'orders', expression: 'sum(service(shop, orders.count))', formatRule }));
  });
}

test('a value widget\'s format rule is applied as Mackerel takes it, shows no false drift, one changed outside is drift, and one removed from the app is cleared', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];

  let run = await cli(['apply', synthRule(dir, 1.5), ...base]);
  expect(run.code).toBe(0);
  const [board] = shared.emulator.state().dashboards;
  const [widget] = board.widgets as Array<{ [field: string]: unknown }>;
  expect(widget.formatRules).toEqual([{ name: 'slow', threshold: 1.5, operator: '<' }]);

  run = await cli(['diff', synthRule(dir, 1.5), ...base]);
  expect(run.out).toBe('No differences.');
  expect(run.code).toBe(0);

  // the rule turned around in Mackerel: drift
  const turned = { ...widget, formatRules: [{ name: 'slow', threshold: 1.5, operator: '>' }] };
  expect((await fetch(new URL(`api/v0/dashboards/${board.id}`, shared.emulator.url), {
    method: 'PUT',
    headers: { 'X-Api-Key': 'emulator-write-key', 'Content-Type': 'application/json' },
    body: JSON.stringify({ title: board.title, memo: board.memo, urlPath: board.urlPath, widgets: [turned] }),
  })).status).toBe(200);
  run = await cli(['diff', synthRule(dir, 1.5), ...base]);
  expect(run.out).toMatch(/^~ drift +Dashboard +Shop\/Board\w+ \S+ "shop"/m);
  expect(run.code).toBe(3);

  // the rule removed from the app: the update sends formatRules [] and Mackerel clears it, in place
  run = await cli(['apply', synthRule(dir), ...base]);
  expect(run.out).toMatch(/^Done: 1 updated\.$/m);
  const [updated] = shared.emulator.state().dashboards;
  expect(updated.id).toBe(board.id);
  expect((updated.widgets as Array<{ formatRules?: unknown }>)[0].formatRules).toEqual([]);
  run = await cli(['diff', synthRule(dir), ...base]);
  expect(run.out).toBe('No differences.');
  expect(run.code).toBe(0);
});

test('a format rule threshold and a reference line value given by a parameter written "1.50" are no drift once Mackerel holds 1.5', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const synthParameter = () => synthStack(dir, (stack) => {
    const limit = new CfnParameter(stack, 'Limit', { type: 'Number', default: '1.50' }).valueAsNumber;
    const board = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop/rules' });
    board.addWidgets(
      DashboardWidget.expressionValue({ title: 'orders', expression: 'x', formatRule: { threshold: limit, operator: DashboardFormatOperator.LESS_THAN } }),
      DashboardWidget.expressionGraph({ title: 'orders', expression: 'x', referenceLine: { label: 'limit', value: limit } }),
    );
  });

  expect((await cli(['apply', synthParameter(), ...base])).code).toBe(0);
  const widgets = shared.emulator.state().dashboards[0].widgets as Array<{ [field: string]: unknown }>;
  expect([widgets[0].formatRules, widgets[1].referenceLines]).toEqual([[{ threshold: 1.5, operator: '<' }], [{ label: 'limit', value: 1.5 }]]);
  const run = await cli(['diff', synthParameter(), ...base]);
  expect(run.out).toBe('No differences.');
  expect(run.code).toBe(0);
});

/**
 * The stack Shop with a dashboard of every widget kind and option, as CloudFormation's strings
 * would break them (numbers, false, 0, free text that reads as a number or a boolean). `next`
 * moves the CPU graph's reference line and removes the host value widget.
 */
function synthEveryKind(dir: string, next = false): string {
  return synthStack(dir, (stack) => {
    const shop = new MackerelService(stack, 'Service', { name: 'shop' });
    const web = shop.addRole('web');
    const board = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop/all', memo: 'every widget' });
    board.addWidgets(
      DashboardWidget.roleGraph({ title: 'web CPU', role: web, graph: 'container.cpu', stacked: true, referenceLine: next ? { label: 'critical', value: 90 } : { label: 'warning', value: 0.5 } }),
      DashboardWidget.roleGraph({ title: 'web memory', role: web, graph: 'container.memory', stacked: false, referenceLine: { label: 'zero', value: 0 } }),
      DashboardWidget.serviceGraph({ title: 'orders', service: shop, graph: 'shop.orders', timeRange: DashboardGraphRange.relative(Duration.hours(1), Duration.minutes(10)) }),
      DashboardWidget.expressionGraph({ title: '', expression: 'avg(roleSlots(shop:web,loadavg5))', timeRange: DashboardGraphRange.absolute(new Date(1e12), new Date(1e12 + 3_600_000)) }),
      DashboardWidget.hostGraph({ title: '123', hostId: '2u4PP3TJqbu', graph: 'loadavg', timeRange: DashboardGraphRange.relative(Duration.days(1)) }),
    );
    board.addWidgets(
      DashboardWidget.serviceMetricValue({
        title: 'orders now',
        service: shop,
        metric: 'shop.orders.count',
        fractionSize: 0,
        suffix: '1',
        formatRule: { name: '1', threshold: 0.5, operator: DashboardFormatOperator.LESS_THAN },
      }),
      DashboardWidget.expressionValue({
        title: 'max load',
        expression: 'max(roleSlots(shop:web,loadavg5))',
        fractionSize: 16,
        suffix: '',
        formatRule: { threshold: 0, operator: DashboardFormatOperator.GREATER_THAN },
      }),
      ...(next ? [] : [DashboardWidget.hostMetricValue({ title: 'db load', hostId: '2u4PP3TJqbu', metric: 'loadavg5' })]),
      DashboardWidget.markdown({ title: 'true', markdown: '' }),
      DashboardWidget.alertStatus({ title: 'web alerts', role: web }),
    );
  });
}

test('every widget kind round-trips: applied as sent, no false drift, a drift made outside is shown, and an update moves a line and drops a widget in place', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];

  let run = await cli(['apply', synthEveryKind(dir), ...base]);
  expect(run.code).toBe(0);
  const [board] = shared.emulator.state().dashboards;
  const at = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });
  expect(board).toEqual({
    id: expect.any(String),
    title: 'shop',
    memo: 'every widget',
    urlPath: 'shop/all',
    widgets: [
      {
        type: 'graph',
        title: 'web CPU',
        graph: { type: 'role', roleFullname: 'shop:web', name: 'container.cpu', isStacked: true },
        referenceLines: [{ label: 'warning', value: 0.5 }],
        layout: at(0, 0, 8, 6),
      },
      {
        type: 'graph',
        title: 'web memory',
        graph: { type: 'role', roleFullname: 'shop:web', name: 'container.memory', isStacked: false },
        referenceLines: [{ label: 'zero', value: 0 }],
        layout: at(8, 0, 8, 6),
      },
      {
        type: 'graph',
        title: 'orders',
        graph: { type: 'service', serviceName: 'shop', name: 'shop.orders' },
        range: { type: 'relative', period: 3600, offset: -600 },
        referenceLines: [],
        layout: at(16, 0, 8, 6),
      },
      {
        type: 'graph',
        title: '',
        graph: { type: 'expression', expression: 'avg(roleSlots(shop:web,loadavg5))' },
        range: { type: 'absolute', start: 1e9, end: 1e9 + 3600 },
        referenceLines: [],
        layout: at(0, 6, 8, 6),
      },
      {
        type: 'graph',
        title: '123',
        graph: { type: 'host', hostId: '2u4PP3TJqbu', name: 'loadavg' },
        range: { type: 'relative', period: 86400, offset: 0 },
        referenceLines: [],
        layout: at(8, 6, 8, 6),
      },
      {
        type: 'value',
        title: 'orders now',
        metric: { type: 'service', serviceName: 'shop', name: 'shop.orders.count' },
        fractionSize: 0,
        suffix: '1',
        formatRules: [{ name: '1', threshold: 0.5, operator: '<' }],
        layout: at(0, 12, 4, 4),
      },
      {
        type: 'value',
        title: 'max load',
        metric: { type: 'expression', expression: 'max(roleSlots(shop:web,loadavg5))' },
        fractionSize: 16,
        suffix: '',
        formatRules: [{ threshold: 0, operator: '>' }],
        layout: at(4, 12, 4, 4),
      },
      { type: 'value', title: 'db load', metric: { type: 'host', hostId: '2u4PP3TJqbu', name: 'loadavg5' }, formatRules: [], layout: at(8, 12, 4, 4) },
      { type: 'markdown', title: 'true', markdown: '', layout: at(12, 12, 8, 4) },
      { type: 'alertStatus', title: 'web alerts', roleFullname: 'shop:web', layout: at(0, 16, 6, 4) },
    ],
    createdAt: expect.any(Number),
    updatedAt: expect.any(Number),
  });

  run = await cli(['diff', synthEveryKind(dir), ...base]);
  expect(run.out).toBe('No differences.');
  expect(run.code).toBe(0);

  // the drift reader really compares the widgets: a line removed in Mackerel shows as drift
  const widgets = board.widgets as Array<{ [field: string]: unknown }>;
  const lineless = [{ ...widgets[0], referenceLines: [] }, ...widgets.slice(1)];
  const body = { title: board.title, memo: board.memo, urlPath: board.urlPath, widgets: lineless };
  expect((await fetch(new URL(`api/v0/dashboards/${board.id}`, shared.emulator.url), {
    method: 'PUT',
    headers: { 'X-Api-Key': 'emulator-write-key', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })).status).toBe(200);
  run = await cli(['diff', synthEveryKind(dir), ...base]);
  expect(run.out).toMatch(/^~ drift +Dashboard +Shop\/Board\w+ \S+ "shop"/m);
  expect(run.code).toBe(3);

  // the next version: an update in place sends the whole list, with the moved line and without the host value, laid out again
  const outdir = synthEveryKind(dir, true);
  // diff shows only the widgets that change, each by its fields: not the whole list twice
  run = await cli(['diff', outdir, ...base]);
  expect(run.out.split('\n').slice(-7).join('\n')).toMatch(new RegExp(`^~ update +Dashboard +Shop/Board\\w+ \\S+ "shop"
      widgets\\[7\\]: \\{"type":"value","title":"db load",.*\\} -> \\(absent\\)
      widgets\\[0\\]\\.referenceLines: \\[\\{"label":"warning","value":"0\\.5"\\}\\] -> \\[\\{"label":"critical","value":"90"\\}\\]
      widgets\\[8 -> 7\\]\\.layout\\.x: "12" -> "8"
      widgets\\[9 -> 8\\]\\.layout\\.x: "0" -> "16"
      widgets\\[9 -> 8\\]\\.layout\\.y: "16" -> "12"
1 drifted, 1 to update\\.$`));
  run = await cli(['apply', outdir, ...base]);
  expect(run.out).toMatch(/^Done: 1 updated, 2 unchanged\.$/m);
  const [updated] = shared.emulator.state().dashboards;
  expect(updated.id).toBe(board.id);
  const now = updated.widgets as Array<{ title: string; referenceLines?: unknown; layout: unknown }>;
  expect(now.map((w) => w.title)).toEqual(['web CPU', 'web memory', 'orders', '', '123', 'orders now', 'max load', 'true', 'web alerts']);
  expect(now[0].referenceLines).toEqual([{ label: 'critical', value: 90 }]);
  expect(now.slice(7).map((w) => w.layout)).toEqual([at(8, 12, 8, 4), at(16, 12, 6, 4)]);

  run = await cli(['diff', outdir, ...base]);
  expect(run.out).toBe('No differences.');
  expect(run.code).toBe(0);
});

/** The stack Shop with a query graph (its legend `legend`, or none) and a query value, of labeled metrics. */
function synthQueries(dir: string, legend?: string): string {
  return synthStack(dir, (stack) => {
    const board = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop/otel' });
    board.addWidgets(
      DashboardWidget.queryGraph({
        title: 'p99 latency',
        query: 'histogram_quantile(0.99, sum by (le, service.name) (rate(http.server.request.duration[5m])))',
        legend,
        timeRange: DashboardGraphRange.relative(Duration.hours(3)),
        referenceLine: { label: 'slo', value: 0.5 },
        width: 12,
      }),
      DashboardWidget.queryValue({ title: 'requests', query: 'sum(rate(http.server.request.count[1m]))', fractionSize: 1, suffix: 'req/s' }),
    );
  });
}

test('query graphs and values are applied through the handler as Mackerel takes them, show no false drift, and a removed legend is cleared in place', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];

  let run = await cli(['apply', synthQueries(dir, '{{service.name}}'), ...base]);
  expect(run.code).toBe(0);
  const [board] = shared.emulator.state().dashboards;
  expect(board.widgets).toEqual([
    {
      type: 'graph',
      title: 'p99 latency',
      graph: { type: 'query', query: 'histogram_quantile(0.99, sum by (le, service.name) (rate(http.server.request.duration[5m])))', legend: '{{service.name}}' },
      range: { type: 'relative', period: 10800, offset: 0 },
      referenceLines: [{ label: 'slo', value: 0.5 }],
      layout: { x: 0, y: 0, width: 12, height: 6 },
    },
    {
      type: 'value',
      title: 'requests',
      metric: { type: 'query', query: 'sum(rate(http.server.request.count[1m]))', legend: '' },
      fractionSize: 1,
      suffix: 'req/s',
      formatRules: [],
      layout: { x: 12, y: 0, width: 4, height: 4 },
    },
  ]);

  run = await cli(['diff', synthQueries(dir, '{{service.name}}'), ...base]);
  expect(run.out).toBe('No differences.');
  expect(run.code).toBe(0);

  // the legend removed from the app: the update sends it empty, in place
  const outdir = synthQueries(dir);
  run = await cli(['diff', outdir, ...base]);
  expect(run.out).toMatch(/^ +widgets\[0\]\.graph\.legend: "\{\{service\.name\}\}" -> ""$/m);
  expect(run.code).toBe(1);
  run = await cli(['apply', outdir, ...base]);
  expect(run.out).toMatch(/^Done: 1 updated\.$/m);
  const [updated] = shared.emulator.state().dashboards;
  expect(updated.id).toBe(board.id);
  expect((updated.widgets as Array<{ graph?: unknown }>)[0].graph).toEqual({ type: 'query', query: expect.any(String), legend: '' });
  run = await cli(['diff', outdir, ...base]);
  expect(run.out).toBe('No differences.');
});

test('a dashboard construct moved to a new logical ID is refused before anything is sent: its URL path is still the old one\'s', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  expect((await cli(['apply', synth(dir, 80), ...base])).code).toBe(0);
  const sent = writes().length;

  const moved = synth(dir, 80, 'Moved');
  const why = 'Shop/Moved\\w* would create a dashboard with the URL path "shop/web", the URL path of Custom::MackerelDashboard Shop/Board\\w*, '
    + 'which this run deletes only after the create \\(as CloudFormation does\\); dashboard URL paths are unique in the Mackerel organization, '
    + 'so the create would fail on every run. Keep the dashboard\'s construct id \\(and stack\\) so that it stays Board\\w*, '
    + 'or give it a new URL path for one apply and the old URL path back in the next';
  await expectRefusedUpFront(moved, base, why, sent);
});

test('a dashboard made outside cdk-mackerel at the URL path: diff says the create will fail, as apply then fails on it, and keeps its stdout', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const post = (urlPath: string) => fetch(`${shared.emulator.url}api/v0/dashboards`, {
    method: 'POST', headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ title: 'theirs', urlPath, widgets: [] }),
  });
  const outdir = synth(dir, 80);
  const before = await cli(['diff', outdir, ...base]);
  // GIVEN a dashboard at another URL path: nothing to say
  expect((await post('shop/other')).status).toBe(200);
  expect((await cli(['diff', outdir, ...base])).err).toBe('');

  // WHEN one at the dashboard's URL path is made outside cdk-mackerel
  expect((await post('shop/web')).status).toBe(200);
  const id = String(shared.emulator.state().dashboards.find((d: any) => d.urlPath === 'shop/web')!.id);
  const diff = await cli(['diff', outdir, ...base]);

  // THEN diff shows the same create on stdout, and says on stderr that Mackerel will refuse it
  expect(diff.out).toBe(before.out);
  expect(diff.out).toMatch(/^\+ create +Dashboard +Shop\/Board\w+ "shop"$/m);
  expect(diff.err.split('\n')).toEqual([takenOutsideNotice(diff.out, id)]);
  const apply = await cli(['apply', outdir, ...base]);
  expect(apply.code).toBe(2);
  expect(apply.err).toMatch(/409.*urlPath "shop\/web" is already used by dashboard/);
  expect(shared.emulator.state().dashboards.filter((d: any) => d.urlPath === 'shop/web')).toHaveLength(1);

  // AND once that one is deleted, apply creates the dashboard, and diff says nothing of the one the state holds
  expect((await fetch(`${shared.emulator.url}api/v0/dashboards/${id}`, { method: 'DELETE', headers: { 'X-Api-Key': shared.emulator.apiKey } })).status).toBe(200);
  expect((await cli(['apply', outdir, ...base])).code).toBe(0);
  const changed = await cli(['diff', synth(dir, 90), ...base]);
  expect(changed.out).toMatch(/^~ update +Dashboard +Shop\/Board\w+/m);
  expect(changed.err).toBe('');
});

/** The logical ID diff's line shows for the construct `id` of stack Shop. */
/**
 * Apply refuses the template before sending anything (nothing written since `sent` writes), and diff
 * says apply would refuse it, for the same reason: `why`, a pattern's text.
 */
async function expectRefusedUpFront(template: string, base: string[], why: string, sent: number): Promise<void> {
  const run = await cli(['apply', template, ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(new RegExp(`^cdk-mackerel: ${why}; nothing was changed$`));
  expect((await cli(['diff', template, ...base])).err).toMatch(new RegExp(`apply would refuse this run: ${why}`));
  expect(writes()).toHaveLength(sent);
}

function logicalIdOf(out: string, id: string): string {
  return new RegExp(`Shop/(${id}\\w+)`).exec(out)![1];
}

/** diff's notice that the create of Shop/Board fails on the URL path "shop/web", held by dashboard `id` made outside cdk-mackerel. */
function takenOutsideNotice(out: string, id: string): string {
  return `notice: Shop/${logicalIdOf(out, 'Board')}: apply's create will fail: a dashboard with the URL path "shop/web" exists in Mackerel (ID "${id}"), `
    + 'which no resource of the state file holds: made outside cdk-mackerel, or left by a create whose result was not saved; dashboard URL paths are '
    + 'unique in the Mackerel organization and the handler takes no existing dashboard over, so Mackerel refuses the create, on every run. '
    + 'Give the dashboard another URL path, or delete that one in Mackerel';
}

test('a dashboard the state holds, deleted outside, that apply re-creates where another holds its URL path: diff says the create will fail', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const headers = { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' };
  expect((await cli(['apply', synth(dir, 80), ...base])).code).toBe(0);
  const [held] = shared.emulator.state().dashboards;
  // GIVEN the dashboard deleted in Mackerel, and another one made there at its URL path
  expect((await fetch(`${shared.emulator.url}api/v0/dashboards/${held.id}`, { method: 'DELETE', headers })).status).toBe(200);
  const made = await fetch(`${shared.emulator.url}api/v0/dashboards`, { method: 'POST', headers, body: JSON.stringify({ title: 'theirs', urlPath: 'shop/web', widgets: [] }) });
  const { id } = await made.json() as { id: string };
  // WHEN the template changes it, so that apply re-creates it (the handler's update finds it gone)
  const outdir = synth(dir, 90);
  const diff = await cli(['diff', outdir, ...base]);
  // THEN diff shows the re-create on stdout, and says on stderr that Mackerel will refuse it, as it then does
  expect(diff.out).toMatch(/^! replace +Dashboard +Shop\/Board\w+ \w+ "shop" \(new Mackerel ID/m);
  expect(diff.err.split('\n')).toEqual([takenOutsideNotice(diff.out, id)]);
  const apply = await cli(['apply', outdir, ...base]);
  expect(apply.code).toBe(2);
  expect(apply.err).toMatch(/409.*urlPath "shop\/web" is already used by dashboard/);
});

test('a dashboard the state holds, renamed outside to the URL path another one creates: diff says that create will fail while the run leaves it', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const headers = { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' };
  const two = (line: number, withNew: boolean) => synthStack(dir, (stack) => {
    new Dashboard(stack, 'Old', { title: 'old', urlPath: 'shop/old' }).addWidgets(DashboardWidget.markdown({ title: 'note', markdown: `line ${line}` }));
    if (withNew) new Dashboard(stack, 'New', { title: 'new', urlPath: 'shop/new' }).addWidgets(DashboardWidget.markdown({ title: 'note', markdown: 'hi' }));
  });
  expect((await cli(['apply', two(1, false), ...base])).code).toBe(0);
  const [old] = shared.emulator.state().dashboards as any[];
  // GIVEN the dashboard the state holds renamed in Mackerel to the URL path a new one of the template takes
  const put = await fetch(`${shared.emulator.url}api/v0/dashboards/${old.id}`, {
    method: 'PUT', headers, body: JSON.stringify({ title: old.title, urlPath: 'shop/new', memo: old.memo ?? '', widgets: old.widgets }),
  });
  expect(put.status).toBe(200);
  // WHEN diff runs with the old one unchanged in the template
  const diff = await cli(['diff', two(1, true), ...base]);
  // THEN it says that the new one's create will fail, naming the one that holds the URL path
  expect(diff.out).toMatch(/^\+ create +Dashboard +Shop\/New\w+ "new"$/m);
  const oldId = logicalIdOf(diff.out.replace(/Shop\/New/g, ''), 'Old');
  expect(diff.err.split('\n')).toEqual([
    `notice: Shop/${logicalIdOf(diff.out, 'New')}: apply's create will fail: a dashboard with the URL path "shop/new" exists in Mackerel (ID "${old.id}"): `
      + `Shop/${oldId} of the state file, applied with the URL path "shop/old", renamed in Mackerel outside the template; this run does not change it before `
      + 'the create (a delete comes after every create), and dashboard URL paths are unique in the Mackerel organization and the handler takes no existing '
      + 'dashboard over, so Mackerel refuses the create. Give Shop/' + oldId + ' its URL path back in Mackerel, or give the dashboard another URL path',
  ]);
  const apply = await cli(['apply', two(1, true), ...base]);
  expect(apply.code).toBe(2);
  expect(apply.err).toMatch(/409.*urlPath "shop\/new" is already used by dashboard/);
  // AND when the run updates the old one (its PUT gives it its URL path back, in an order diff does not know), nothing is said
  const changed = await cli(['diff', two(2, true), ...base]);
  expect(changed.out).toMatch(/^~ update +Dashboard +Shop\/Old\w+/m);
  expect(changed.err).toBe('');
});

/** The stack Shop with two dashboards, One at `first` and Two at `second`. */
function synthPair(dir: string, first: string, second: string): string {
  return synthStack(dir, (stack) => {
    new Dashboard(stack, 'One', { title: 'one', urlPath: first });
    new Dashboard(stack, 'Two', { title: 'two', urlPath: second });
  });
}

test('two dashboards that swap URL paths are refused before anything is sent, naming both; the swap through a free URL path is not', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const boards = (one: string, two: string) => synthPair(dir, one, two);
  expect((await cli(['apply', boards('shop/a', 'shop/b'), ...base])).code).toBe(0);
  const sent = writes().length;

  const swapped = boards('shop/b', 'shop/a');
  // The last two moves are one apply, which writes Two (giving "shop/b" up) before One (taking it).
  const why = 'Shop/One\\w* \\("shop/a" -> "shop/b"\\) and Shop/Two\\w* \\("shop/b" -> "shop/a"\\) swap their dashboard URL paths; Mackerel refuses \\(409\\) '
    + 'a URL path another dashboard holds at the moment of the write, so whichever is updated first would fail\\. Swap them through a free URL path, '
    + 'in 2 applies: Shop/One\\w* to a free URL path; then Shop/Two\\w* to "shop/a" and Shop/One\\w* to "shop/b" \\(an apply writes a dashboard that '
    + 'gives a URL path up before the one that takes it\\)';
  await expectRefusedUpFront(swapped, base, why, sent);

  // The applies the advice names, as printed, go through.
  const advice = adviceApplies((await cli(['apply', swapped, ...base])).err);
  expect(advice).toHaveLength(2);
  const paths: Record<string, string> = { 'Shop/One': 'shop/a', 'Shop/Two': 'shop/b' };
  for (const moves of advice) {
    Object.assign(paths, Object.fromEntries(moves));
    const run = await cli(['apply', boards(paths['Shop/One'], paths['Shop/Two']), ...base]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  }
  expect(shared.emulator.state().dashboards.map((d: any) => `${d.title} ${d.urlPath}`).sort()).toEqual(['one shop/b', 'two shop/a']);
});

/**
 * The applies a swap's refusal advises, as printed: for each, the moves it makes, `<stack>/<construct id>`
 * to its URL path (`shop/free` for a free one, `shop/free-<stack>-<id>` for a free one of its own).
 */
function adviceApplies(err: string): Array<Array<[string, string]>> {
  const advice = err.replace(/^.*Swap them through a free URL path( each)?, in \d+ applies: /, '').replace(/( \(an apply writes .*\)| \(the second takes .*\))?; nothing was changed$/, '');
  const at = /(\w+)\/([A-Za-z]\w*?)[0-9A-F]{8}/g;
  return advice.split('; then ').map((step) => (step.endsWith(' each to a free URL path of its own')
    ? [...step.matchAll(at)].map((m): [string, string] => [`${m[1]}/${m[2]}`, `shop/free-${m[1]}-${m[2]}`.toLowerCase()])
    : [...step.matchAll(/(\w+)\/([A-Za-z]\w*?)[0-9A-F]{8} to (a free URL path|"([^"]+)")/g)].map((m): [string, string] => [`${m[1]}/${m[2]}`, m[4] ?? 'shop/free'])));
}

test('three dashboards that take each other\'s URL paths round are refused too, with the moves in an order that works', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const boards = (paths: string[]) => synthStack(dir, (stack) => {
    paths.forEach((urlPath, i) => new Dashboard(stack, `B${i}`, { title: `b${i}`, urlPath }));
  });
  expect((await cli(['apply', boards(['shop/a', 'shop/b', 'shop/c']), ...base])).code).toBe(0);
  const run = await cli(['apply', boards(['shop/b', 'shop/c', 'shop/a']), ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/^cdk-mackerel: Shop\/B0\w* \("shop\/a" -> "shop\/b"\), Shop\/B1\w* \("shop\/b" -> "shop\/c"\) and Shop\/B2\w* \("shop\/c" -> "shop\/a"\) take each other's dashboard URL paths round; .* in 2 applies: Shop\/B0\w* to a free URL path; then Shop\/B2\w* to "shop\/a", Shop\/B1\w* to "shop\/c" and Shop\/B0\w* to "shop\/b" \(an apply writes a dashboard that gives a URL path up before the one that takes it\); nothing was changed$/);
  // Following the applies it names, as printed, works.
  const paths: Record<string, string> = { 'Shop/B0': 'shop/a', 'Shop/B1': 'shop/b', 'Shop/B2': 'shop/c' };
  for (const moves of adviceApplies(run.err)) {
    Object.assign(paths, Object.fromEntries(moves));
    const next = await cli(['apply', boards(['B0', 'B1', 'B2'].map((id) => paths[`Shop/${id}`])), ...base]);
    expect(next.err).toBe('');
    expect(next.code).toBe(0);
  }
  expect(urlPaths()).toEqual(['b0 shop/b', 'b1 shop/c', 'b2 shop/a']);
});

describe('dashboards of two stacks that swap URL paths', () => {
  /** AShop and BShop, a dashboard each; with `dependency`, the stack named first depends on the other. */
  const stacks = (dir: string, paths: Record<string, string>, dependency?: [string, string]) => synthStacks(dir, ['AShop', 'BShop'], (stack) => {
    new Dashboard(stack, 'Board', { title: stack.stackName, urlPath: paths[`${stack.stackName}/Board`] });
    // Added once both stacks are there (AShop is made first).
    const find = (name: string) => stack.node.scope!.node.findChild(name) as typeof stack;
    if (dependency && stack.stackName === 'BShop') find(dependency[0]).addDependency(find(dependency[1]));
  });

  test.each([
    ['no dependency between the stacks: each to a free URL path of its own, then each to its URL path', undefined, 2],
    ['BShop depends on AShop: the last two moves are one apply, BShop\'s dashboard sent to the free URL path first', ['BShop', 'AShop'] as [string, string], 2],
    ['AShop depends on BShop: the same, AShop\'s sent there first', ['AShop', 'BShop'] as [string, string], 2],
  ])('are refused, with applies that go through as printed: %s', async (_, dependency, count) => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const paths: Record<string, string> = { 'AShop/Board': 'shop/a', 'BShop/Board': 'shop/b' };
    expect((await cli(['apply', stacks(dir, paths, dependency), ...base])).code).toBe(0);
    const run = await cli(['apply', stacks(dir, { 'AShop/Board': 'shop/b', 'BShop/Board': 'shop/a' }, dependency), ...base]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/swap their dashboard URL paths; .*; nothing was changed$/);
    const advice = adviceApplies(run.err);
    expect(advice).toHaveLength(count);
    if (dependency) expect(advice[0]).toEqual([[`${dependency[0]}/Board`, 'shop/free']]);
    for (const moves of advice) {
      Object.assign(paths, Object.fromEntries(moves));
      const next = await cli(['apply', stacks(dir, paths, dependency), ...base]);
      expect(next.err).toBe('');
      expect(next.code).toBe(0);
    }
    expect(urlPaths()).toEqual(['AShop shop/b', 'BShop shop/a']);
  });
});

describe('rings of dashboards across stacks', () => {
  /** Dashboards `<stack>/<id>` at `paths`, in the stacks `deps` names (each pair: the first depends on the second). */
  const stacks = (dir: string, boards: string[], paths: Record<string, string>, deps: Array<[string, string]>) => {
    const names = [...new Set(boards.map((b) => b.split('/')[0]))].sort();
    return synthStacks(dir, names, (stack) => {
      for (const b of boards.filter((x) => x.startsWith(`${stack.stackName}/`))) {
        new Dashboard(stack, b.split('/')[1], { title: b.replace('/', ' '), urlPath: paths[b] });
      }
      // Added once every stack is there.
      const find = (name: string) => stack.node.scope!.node.findChild(name) as typeof stack;
      if (stack.stackName === names[names.length - 1]) for (const [from, to] of deps) find(from).addDependency(find(to));
    });
  };

  test.each([
    ['3 across 3 stacks, CShop depending on AShop only', ['AShop/X', 'BShop/Y', 'CShop/Z'], [['CShop', 'AShop']]],
    ['3 across 3 stacks, no dependency', ['AShop/X', 'BShop/Y', 'CShop/Z'], []],
    ['3 across 3 stacks, each depending on the one before', ['AShop/X', 'BShop/Y', 'CShop/Z'], [['BShop', 'AShop'], ['CShop', 'BShop']]],
    ['4 across 2 stacks, alternating, no dependency', ['AShop/P', 'BShop/Q', 'AShop/R', 'BShop/S'], []],
    ['4 across 2 stacks, alternating, BShop depending on AShop', ['AShop/P', 'BShop/Q', 'AShop/R', 'BShop/S'], [['BShop', 'AShop']]],
    ['4 across 3 stacks, CShop depending on BShop', ['AShop/P', 'BShop/Q', 'CShop/R', 'AShop/S'], [['CShop', 'BShop']]],
  ] as Array<[string, string[], Array<[string, string]>]>)('%s: refused, with at most 2 applies that go through as printed', async (_, boards, deps) => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
    const at = (i: number) => `shop/p${i}`;
    const paths: Record<string, string> = Object.fromEntries(boards.map((b, i) => [b, at(i)]));
    expect((await cli(['apply', stacks(dir, boards, paths, deps), ...base])).code).toBe(0);
    // Each takes the URL path of the one after it, round.
    const ring = Object.fromEntries(boards.map((b, i) => [b, at((i + 1) % boards.length)]));
    const run = await cli(['apply', stacks(dir, boards, ring, deps), ...base]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/take each other's dashboard URL paths round; .*; nothing was changed$/);
    const advice = adviceApplies(run.err);
    expect(advice).toHaveLength(2);
    for (const moves of advice) {
      Object.assign(paths, Object.fromEntries(moves));
      const next = await cli(['apply', stacks(dir, boards, paths, deps), ...base]);
      expect(next.err).toBe('');
      expect(next.code).toBe(0);
    }
    expect(urlPaths()).toEqual(boards.map((b) => `${b.replace('/', ' ')} ${ring[b]}`).sort());
  });
});

/** The stack Shop with a dashboard at each of `paths` (logical IDs B0, B1, ... in that order), and none where the path is undefined. */
function synthBoards(dir: string, paths: Array<string | undefined>): string {
  return synthStack(dir, (stack) => {
    paths.forEach((urlPath, i) => urlPath !== undefined && new Dashboard(stack, `B${i}`, { title: `b${i}`, urlPath }));
  });
}

const urlPaths = () => shared.emulator.state().dashboards.map((d: any) => `${d.title} ${d.urlPath}`).sort();

test('a dashboard that takes the URL path another leaves for a free one is updated after it, whichever logical ID comes first: diff and apply list it so', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  expect((await cli(['apply', synthBoards(dir, ['shop/a', 'shop/b']), ...base])).code).toBe(0);
  // B0 takes shop/b, which B1 leaves for shop/c: B1 first, though B0 comes first by its logical ID.
  const chain = synthBoards(dir, ['shop/b', 'shop/c']);
  const diff = await cli(['diff', chain, ...base]);
  expect(diff.err).toBe('');
  expect(diff.out.split('\n').filter((l) => l.startsWith('~ update')).map((l) => l.match(/Shop\/(B\d)/)![1])).toEqual(['B1', 'B0']);
  const run = await cli(['apply', chain, ...base]);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(run.out.split('\n').filter((l) => /updated/.test(l) && /Shop\/B\d/.test(l)).map((l) => l.match(/Shop\/(B\d)/)![1])).toEqual(['B1', 'B0']);
  expect(urlPaths()).toEqual(['b0 shop/b', 'b1 shop/c']);
  // The other way round (B1 takes shop/b back from B0, which moves on to shop/d): B0 first.
  expect((await cli(['apply', synthBoards(dir, ['shop/d', 'shop/b']), ...base])).code).toBe(0);
  expect(urlPaths()).toEqual(['b0 shop/d', 'b1 shop/b']);
});

test('a dashboard created with the URL path another leaves in the same run is created after that update, not refused as if the other kept it', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  expect((await cli(['apply', synthBoards(dir, [undefined, 'shop/a']), ...base])).code).toBe(0);
  const run = await cli(['apply', synthBoards(dir, ['shop/a', 'shop/b']), ...base]);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(urlPaths()).toEqual(['b0 shop/a', 'b1 shop/b']);
});

test('an update to the URL path of a dashboard the run deletes is refused before anything is sent, in apply and diff', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  expect((await cli(['apply', synthBoards(dir, ['shop/a', 'shop/b']), ...base])).code).toBe(0);
  const sent = writes().length;
  // B0 takes shop/b while B1 is removed from the app: its delete comes after every update.
  const deleted = synthBoards(dir, ['shop/b', undefined]);
  await expectRefusedUpFront(deleted, base, 'Shop/B0\\w* would move a dashboard to the URL path "shop/b", the URL path of Custom::MackerelDashboard '
    + 'Shop/B1\\w*, which this run deletes only after the update .*', sent);
  // As the advice says: B1 removed in one apply, B0 moved in the next.
  expect((await cli(['apply', synthBoards(dir, ['shop/a', undefined]), ...base])).code).toBe(0);
  expect((await cli(['apply', synthBoards(dir, ['shop/b', undefined]), ...base])).code).toBe(0);
  expect(urlPaths()).toEqual(['b0 shop/b']);
});

test('an update to the URL path of a dashboard of a stack that --stack leaves out is refused before anything is sent: that one keeps it', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const stacks = (a: string, b: string) => synthStacks(dir, ['AShop', 'BShop'], (stack) => {
    new Dashboard(stack, 'Board', { title: stack.stackName, urlPath: stack.stackName === 'AShop' ? a : b });
  });
  expect((await cli(['apply', stacks('shop/a', 'shop/b'), ...base])).code).toBe(0);
  const sent = writes().length;
  const run = await cli(['apply', stacks('shop/b', 'shop/c'), '--stack', 'AShop', ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/^cdk-mackerel: AShop\/Board\w* would move a dashboard to the URL path "shop\/b", the URL path of Custom::MackerelDashboard BShop\/Board\w*, which stays after this run; .*; nothing was changed$/);
  expect(writes()).toHaveLength(sent);
});

test('a dashboard that takes the URL path one of another stack leaves is refused when its stack is applied first; apply --stack of the other first goes through', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const stacks = (a: string, b: string) => synthStacks(dir, ['AShop', 'BShop'], (stack) => {
    new Dashboard(stack, 'Board', { title: stack.stackName, urlPath: stack.stackName === 'AShop' ? a : b });
  });
  expect((await cli(['apply', stacks('shop/a', 'shop/b'), ...base])).code).toBe(0);
  const sent = writes().length;
  // AShop's dashboard takes shop/b, which BShop's leaves, but AShop is applied first.
  const run = await cli(['apply', stacks('shop/b', 'shop/c'), ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/^cdk-mackerel: AShop\/Board\w* \("shop\/a" -> "shop\/b"\) takes the URL path Custom::MackerelDashboard BShop\/Board\w* leaves \("shop\/b" -> "shop\/c"\), but stack AShop is applied before stack BShop.*; nothing was changed$/);
  expect(writes()).toHaveLength(sent);
  // The other advice: the stack that leaves the URL path applied alone first, then the rest.
  expect((await cli(['apply', stacks('shop/b', 'shop/c'), '--stack', 'BShop', ...base])).code).toBe(0);
  expect((await cli(['apply', stacks('shop/b', 'shop/c'), ...base])).code).toBe(0);
  expect(urlPaths()).toEqual(['AShop shop/b', 'BShop shop/c']);
});

test('a dashboard that takes the URL path one of another stack leaves, applied after it only by the manifest\'s order, is refused until a dependency orders them', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const stacks = (a: string, b: string, depend: boolean) => synthStacks(dir, ['AShop', 'BShop'], (stack) => {
    new Dashboard(stack, 'Board', { title: stack.stackName, urlPath: stack.stackName === 'AShop' ? a : b });
    if (depend && stack.stackName === 'BShop') stack.addDependency(stack.node.scope!.node.findChild('AShop') as typeof stack);
  });
  expect((await cli(['apply', stacks('shop/a', 'shop/b', false), ...base])).code).toBe(0);
  const sent = writes().length;
  // BShop's dashboard takes shop/a, which AShop's leaves; AShop comes first in the manifest, but CloudFormation would not keep that order.
  for (const command of ['apply', 'diff']) {
    const run = await cli([command, stacks('shop/z', 'shop/a', false), ...base]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/BShop\/Board\w* \("shop\/b" -> "shop\/a"\) takes the URL path Custom::MackerelDashboard AShop\/Board\w* leaves \("shop\/a" -> "shop\/z"\), and no dependency orders stack BShop after stack AShop: .* CloudFormation deploys stacks that do not depend on each other in any order, or at once, .*\. Make stack BShop depend on stack AShop \(stack\.addDependency\), which orders them in apply as in CloudFormation, or apply --stack AShop first/);
  }
  expect(writes()).toHaveLength(sent);
  // With the dependency the advice names, it goes through.
  const run = await cli(['apply', stacks('shop/z', 'shop/a', true), ...base]);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(urlPaths()).toEqual(['AShop shop/z', 'BShop shop/a']);
});

test('a dashboard that takes the URL path of one that depends on it is refused before anything is sent: that one is written after it', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const boards = (a: string, b: string) => synthStack(dir, (stack) => {
    const first = new Dashboard(stack, 'B0', { title: 'b0', urlPath: a });
    new Dashboard(stack, 'B1', { title: 'b1', urlPath: b }).node.addDependency(first);
  });
  expect((await cli(['apply', boards('shop/a', 'shop/b'), ...base])).code).toBe(0);
  const sent = writes().length;
  const run = await cli(['apply', boards('shop/b', 'shop/c'), ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/^cdk-mackerel: Shop\/B0\w* \("shop\/a" -> "shop\/b"\) takes the URL path Custom::MackerelDashboard Shop\/B1\w* leaves \("shop\/b" -> "shop\/c"\), but Shop\/B1\w* depends on Shop\/B0\w*, so it is written after it, .* Move Shop\/B1\w* in one apply and Shop\/B0\w* in the next; nothing was changed$/);
  expect(writes()).toHaveLength(sent);
});

test('a hand-over a dependency makes impossible is the one refused, named with that dependency; another hand-over of the stack keeps its order', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  // A0 takes the URL path A1 leaves (no dependency between them); B0 takes the one B1 leaves, but B1 depends on B0.
  const boards = (paths: string[]) => synthStack(dir, (stack) => {
    const [, , b0, b1] = ['A0', 'A1', 'B0', 'B1'].map((id, i) => new Dashboard(stack, id, { title: id, urlPath: paths[i] }));
    b1.node.addDependency(b0);
  });
  expect((await cli(['apply', boards(['shop/a0', 'shop/a1', 'shop/b0', 'shop/b1']), ...base])).code).toBe(0);
  const run = await cli(['apply', boards(['shop/a1', 'shop/a2', 'shop/b1', 'shop/b2']), ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/^cdk-mackerel: Shop\/B0\w* \("shop\/b0" -> "shop\/b1"\) takes the URL path Custom::MackerelDashboard Shop\/B1\w* leaves \("shop\/b1" -> "shop\/b2"\), but Shop\/B1\w* depends on Shop\/B0\w*/);
  // Without B0's move, A0's hand-over is ordered and goes through.
  const diff = await cli(['diff', boards(['shop/a1', 'shop/a2', 'shop/b0', 'shop/b2']), ...base]);
  expect(diff.err).toBe('');
  expect(diff.out.split('\n').filter((l) => l.startsWith('~ update')).map((l) => l.match(/Shop\/([AB]\d)/)![1])).toEqual(['A1', 'A0', 'B1']);
});

test('a URL path given by a parameter counts in the hand-overs and swaps as a literal one does: ordered, or refused before anything is sent', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  // B0 at a literal URL path, B1 at the one its parameter gives.
  const boards = (b0: string, b1: string) => synthStack(dir, (stack) => {
    new Dashboard(stack, 'B0', { title: 'b0', urlPath: b0 });
    new Dashboard(stack, 'B1', { title: 'b1', urlPath: new CfnParameter(stack, 'Path', { default: b1 }).valueAsString });
  });
  expect((await cli(['apply', boards('shop/a', 'shop/b'), ...base])).code).toBe(0);
  const sent = writes().length;
  // A swap is refused up front, naming both, though B1's URL path is a Ref.
  const swap = await cli(['apply', boards('shop/b', 'shop/a'), ...base]);
  expect(swap.code).toBe(2);
  expect(swap.err).toMatch(/^cdk-mackerel: Shop\/B0\w* \("shop\/a" -> "shop\/b"\) and Shop\/B1\w* \("shop\/b" -> "shop\/a"\) swap their dashboard URL paths; .*nothing was changed$/);
  expect(writes()).toHaveLength(sent);
  // B0 takes shop/b, which B1 leaves for shop/c: B1 first.
  const run = await cli(['apply', boards('shop/b', 'shop/c'), ...base]);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(urlPaths()).toEqual(['b0 shop/b', 'b1 shop/c']);
});

test('two dashboards of the run whose URL paths resolve to one (a parameter each, synthesis saw tokens) are refused before anything is sent', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const outdir = synthStacks(dir, ['AShop', 'BShop'], (stack) => {
    new Dashboard(stack, 'Board', { title: stack.stackName, urlPath: new CfnParameter(stack, 'Path', { default: 'shop/web' }).valueAsString });
  });
  for (const command of ['apply', 'diff']) {
    const run = await cli([command, outdir, ...base]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/AShop\/Board\w* and BShop\/Board\w* would both have the URL path "shop\/web" after this run; dashboard URL paths are unique in the Mackerel organization/);
  }
  expect(writes()).toHaveLength(0);
  expect(shared.emulator.state().dashboards).toEqual([]);
});

test('a dashboard that takes the URL path one of a stack depending on its own leaves is refused with advice that works: not a dependency that would make a cycle', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  // BShop depends on AShop, so AShop is applied first.
  const stacks = (a: string, b: string) => synthStacks(dir, ['AShop', 'BShop'], (stack) => {
    new Dashboard(stack, 'Board', { title: stack.stackName, urlPath: stack.stackName === 'AShop' ? a : b });
    if (stack.stackName === 'BShop') stack.addDependency(stack.node.scope!.node.findChild('AShop') as typeof stack);
  });
  expect((await cli(['apply', stacks('shop/a', 'shop/b'), ...base])).code).toBe(0);
  const run = await cli(['apply', stacks('shop/b', 'shop/c'), ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/but stack AShop is applied before stack BShop, which depends on it, and Mackerel refuses \(409\) .*\. Apply --stack BShop first, then the rest; nothing was changed$/);
  expect(run.err).not.toMatch(/addDependency/);
  // The advice works.
  expect((await cli(['apply', stacks('shop/b', 'shop/c'), '--stack', 'BShop', ...base])).code).toBe(0);
  expect((await cli(['apply', stacks('shop/b', 'shop/c'), ...base])).code).toBe(0);
  expect(urlPaths()).toEqual(['AShop shop/b', 'BShop shop/c']);
});

test('hand-overs that dependencies order round a cycle are refused without claiming a dependency the dashboards do not have', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  // B0 takes the URL path B1 leaves and B2 the one B3 leaves; B1 depends on B2, B3 on B0: no order writes both givers first.
  const boards = (paths: string[]) => synthStack(dir, (stack) => {
    const [b0, b1, b2, b3] = paths.map((urlPath, i) => new Dashboard(stack, `B${i}`, { title: `b${i}`, urlPath }));
    b1.node.addDependency(b2);
    b3.node.addDependency(b0);
  });
  expect((await cli(['apply', boards(['shop/t0', 'shop/p1', 'shop/t2', 'shop/p3']), ...base])).code).toBe(0);
  const run = await cli(['apply', boards(['shop/p1', 'shop/q1', 'shop/p3', 'shop/q3']), ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/^cdk-mackerel: Shop\/B2\w* \("shop\/t2" -> "shop\/p3"\) takes the URL path Custom::MackerelDashboard Shop\/B3\w* leaves \("shop\/p3" -> "shop\/q3"\), but the dependencies of stack Shop, with its other URL path hand-overs, write Shop\/B3\w* after Shop\/B2\w*, .* Move Shop\/B3\w* in one apply and Shop\/B2\w* in the next; nothing was changed$/);
  expect(run.err).not.toMatch(/depends on/);
});

test('a URL path made of a service\'s name follows the service renamed in the same run: a dashboard created at the URL path it leaves is written after it', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const app = (name: string, withNew: boolean) => synthStack(dir, (stack) => {
    const service = new MackerelService(stack, 'Service', { name });
    new Dashboard(stack, 'Web', { title: 'web', urlPath: `${service.name}/web` });
    if (withNew) new Dashboard(stack, 'Archive', { title: 'archive', urlPath: 'shop/web' });
  });
  expect((await cli(['apply', app('shop', false), ...base])).code).toBe(0);
  expect(urlPaths()).toEqual(['web shop/web']);
  const diff = await cli(['diff', app('shop2', true), ...base]);
  expect(diff.err).toBe('');
  const run = await cli(['apply', app('shop2', true), ...base]);
  expect(run.err).toBe('');
  expect(run.code).toBe(0);
  expect(urlPaths()).toEqual(['archive shop/web', 'web shop2/web']);
});

/**
 * AShop and BShop, each with a dashboard at `a` and `b`. With `imports`, a monitor of BShop is scoped
 * to AShop's service (an export and an import, which CDK makes a dependency); `dependent` names the
 * stack made to depend on the other with `addDependency`.
 */
function importingStacks(dir: string, a: string, b: string, imports: boolean, dependent?: 'AShop' | 'BShop') {
  let service: MackerelService | undefined;
  return synthStacks(dir, ['AShop', 'BShop'], (stack) => {
    if (stack.stackName === 'AShop') service = new MackerelService(stack, 'Service', { name: 'shop-a' });
    if (dependent && stack.stackName === 'BShop') {
      const other = stack.node.scope!.node.findChild('AShop') as typeof stack;
      if (dependent === 'BShop') stack.addDependency(other);
      else other.addDependency(stack);
    }
    if (stack.stackName === 'BShop' && imports) {
      new HostMetricMonitor(stack, 'Cpu', {
        name: 'cpu', metric: 'cpu%', operator: MonitorOperator.GREATER_THAN, warning: 80, duration: Duration.minutes(3), scopes: [MonitorScope.fromService(service!)],
      });
    }
    new Dashboard(stack, 'Board', { title: stack.stackName, urlPath: stack.stackName === 'AShop' ? a : b });
  });
}

test('a hand-over between stacks ordered only by an import the template no longer has is refused: CloudFormation no longer orders them', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const stacks = (a: string, b: string, imports: boolean, depend = false) => importingStacks(dir, a, b, imports, depend ? 'BShop' : undefined);
  expect((await cli(['apply', stacks('shop/a', 'shop/b', true), ...base])).code).toBe(0);
  const sent = writes().length;
  // BShop's dashboard takes shop/a, which AShop's leaves, and no longer imports from AShop: no dependency orders the stacks.
  const run = await cli(['apply', stacks('shop/z', 'shop/a', false), ...base]);
  expect(run.err).toMatch(/BShop\/Board\w* \("shop\/b" -> "shop\/a"\) takes the URL path Custom::MackerelDashboard AShop\/Board\w* leaves \("shop\/a" -> "shop\/z"\), and no dependency orders stack BShop after stack AShop/);
  expect(run.code).toBe(2);
  expect(writes()).toHaveLength(sent);
  // With the dependency the refusal advises, it goes through.
  const ordered = await cli(['apply', stacks('shop/z', 'shop/a', false, true), ...base]);
  expect(ordered.err).toBe('');
  expect(ordered.code).toBe(0);
  expect(urlPaths()).toEqual(['AShop shop/z', 'BShop shop/a']);
});

test('a hand-over to a stack applied first because the other imported from it, an import only the state holds, is refused with advice that makes no cycle', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const stacks = (a: string, b: string, imports: boolean, depend = false) => importingStacks(dir, a, b, imports, depend ? 'AShop' : undefined);
  expect((await cli(['apply', stacks('shop/a', 'shop/b', true), ...base])).code).toBe(0);
  const sent = writes().length;
  // AShop's dashboard takes shop/b, which BShop's leaves; BShop no longer imports from AShop, but its state does, so apply writes AShop first.
  const run = await cli(['apply', stacks('shop/b', 'shop/z', false), ...base]);
  expect(run.code).toBe(2);
  expect(run.err).toMatch(/AShop\/Board\w* \("shop\/a" -> "shop\/b"\) takes the URL path Custom::MackerelDashboard BShop\/Board\w* leaves \("shop\/b" -> "shop\/z"\), but stack AShop is applied before stack BShop, which its state records importing from it .*\. Apply --stack BShop first, then the rest; nothing was changed$/);
  expect(run.err).not.toMatch(/addDependency/);
  expect(writes()).toHaveLength(sent);
  // The dependency a bare refusal would advise makes a cycle with that import.
  expect((await cli(['apply', stacks('shop/b', 'shop/z', false, true), ...base])).err).toMatch(/cycle/);
  // The advice, as printed, goes through.
  const alone = await cli(['apply', stacks('shop/b', 'shop/z', false), '--stack', 'BShop', ...base]);
  expect(alone.err).toBe('');
  expect(alone.code).toBe(0);
  const rest = await cli(['apply', stacks('shop/b', 'shop/z', false), ...base]);
  expect(rest.err).toBe('');
  expect(rest.code).toBe(0);
  expect(urlPaths()).toEqual(['AShop shop/b', 'BShop shop/z']);
});
