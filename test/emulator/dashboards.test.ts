import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { expectError, ok, useEmulator } from './_emulator';
import { readEmulatorState, startEmulator, writeEmulatorState } from '../../src/emulator';
import { emptyState } from '../../src/emulator/_state';

const env = useEmulator();
type Body = { [field: string]: unknown };

const PATH = '/api/v0/dashboards';
const at = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });

const GRAPH = {
  type: 'graph',
  title: 'load',
  graph: { type: 'role', roleFullname: 'shop:web', name: 'loadavg5', isStacked: true },
  range: { type: 'relative', period: 3600, offset: -600 },
  referenceLines: [{ label: 'limit', value: 4 }],
  layout: at(0, 0, 12, 8),
};
const VALUE = {
  type: 'value',
  title: 'errors',
  metric: { type: 'expression', expression: 'max(role(shop:web, custom.errors.*))' },
  fractionSize: 2,
  suffix: '/min',
  formatRules: [{ name: 'SLO', threshold: 5, operator: '>' }],
  layout: at(12, 0, 6, 4),
};
const MARKDOWN = { type: 'markdown', title: 'runbook', markdown: '# On call\n\nSee the wiki.', layout: at(18, 0, 6, 4) };
const ALERTS = { type: 'alertStatus', title: 'web alerts', roleFullname: 'shop:web', layout: at(12, 4, 12, 4) };
const BOARD = { title: 'Shop', memo: 'the shop at a glance', urlPath: 'shop/overview', widgets: [GRAPH, VALUE, MARKDOWN, ALERTS] };

/** `base` with `change` over it; an undefined value removes the field. */
function variant(base: Body, change: Body): Body {
  const out: Body = { ...base, ...change };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

/** BOARD holding only `widget`. */
const only = (widget: unknown): Body => ({ ...BOARD, widgets: [widget] });
/** BOARD holding only GRAPH, changed. */
const graph = (change: Body) => only(variant(GRAPH, change));
const value = (change: Body) => only(variant(VALUE, change));
const held = () => env.emulator.state().dashboards;

/** Dates the emulator stamps: whole seconds of this clock. */
function clockAt(epochMs: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(epochMs);
}
afterEach(() => {
  vi.useRealTimers();
});

describe('POST', () => {
  test('returns the input with an ID and the creation time in epoch seconds; GET by ID and the list show it', async () => {
    clockAt(1_700_000_000_900);
    const created = ok(await env.call('POST', PATH, BOARD));
    expect(created).toEqual({ id: expect.stringMatching(/^\w{11}$/), ...BOARD, createdAt: 1700000000, updatedAt: 1700000000 });
    expect(ok(await env.call('GET', `${PATH}/${created.id}`))).toEqual(created);
    expect(ok(await env.call('GET', PATH))).toEqual({ dashboards: [created] });
    expect(held()).toEqual([created]);
  });

  test('without a memo reads it back as empty', async () => {
    expect(ok(await env.call('POST', PATH, variant(BOARD, { memo: undefined }))).memo).toBe('');
  });

  test('a dashboard without widgets is one', async () => {
    expect(ok(await env.call('POST', PATH, variant(BOARD, { widgets: [] }))).widgets).toEqual([]);
  });

  test('a urlPath another dashboard has is a 409, and nothing is made', async () => {
    const first = ok(await env.call('POST', PATH, BOARD));
    expectError(await env.call('POST', PATH, variant(BOARD, { title: 'Copy' })), 409, /^urlPath "shop\/overview" is already used by dashboard \w{11}$/);
    expect(held()).toEqual([first]);
  });

  test('a urlPath that only begins or ends as another one\'s is free', async () => {
    ok(await env.call('POST', PATH, BOARD));
    ok(await env.call('POST', PATH, variant(BOARD, { urlPath: 'shop' })));
    ok(await env.call('POST', PATH, variant(BOARD, { urlPath: 'shop/overview/web' })));
    expect(held().map((d) => d.urlPath)).toEqual(['shop/overview', 'shop', 'shop/overview/web']);
  });

  test('a urlPath that differs from another one only in case is free, as the same string alone is taken (a choice, index.ts)', async () => {
    ok(await env.call('POST', PATH, BOARD));
    ok(await env.call('POST', PATH, variant(BOARD, { urlPath: 'Shop/Overview' })));
    expect(held().map((d) => d.urlPath)).toEqual(['shop/overview', 'Shop/Overview']);
  });

  test.each([
    ['an id', { id: 'abc' }],
    ['a createdAt', { createdAt: 1 }],
    ['an updatedAt', { updatedAt: 1 }],
  ])('with %s, which only a dashboard read back has, is a 400, and nothing is made', async (_what, field) => {
    expectError(await env.call('POST', PATH, { ...BOARD, ...field }), 400, new RegExp(`^${Object.keys(field)[0]} is not a field of a dashboard$`));
    expect(held()).toEqual([]);
  });

  test('needs a write key', async () => {
    expectError(await env.read('POST', PATH, BOARD), 403, /read-only/);
  });
});

describe('widgets read back', () => {
  /** Each widget type and variant, as sent and as read back. */
  const ROUND_TRIPS: Array<[string, Body, Body?]> = [
    ['a role graph with a relative range and a reference line', GRAPH],
    ['a host graph', variant(GRAPH, { graph: { type: 'host', hostId: '2u4PP3TJqbu', name: 'loadavg' }, range: undefined, referenceLines: [] })],
    ['a service graph with an absolute range', variant(GRAPH, { graph: { type: 'service', serviceName: 'shop', name: 'custom.orders' }, range: { type: 'absolute', start: 1, end: 2 } })],
    ['an expression graph', variant(GRAPH, { graph: { type: 'expression', expression: 'avg(roleSlots(shop:web, loadavg5))' } })],
    // The dashboards reference names no check of an expression (monitors.md does, for expression monitors),
    // only that one must make a single series for a value to show: a widget's is taken as sent.
    ['an expression graph whose parentheses do not pair up', variant(GRAPH, { graph: { type: 'expression', expression: 'avg(roleSlots(shop:web, loadavg5)' } })],
    ['a value of an expression with a quote left open', variant(VALUE, { metric: { type: 'expression', expression: "max(role('shop:web, custom.errors.*))" } })],
    ['a role graph without isStacked', variant(GRAPH, { graph: { type: 'role', roleFullname: 'shop:web', name: 'cpu.user.percentage' } })],
    ['a value of a host metric', variant(VALUE, { metric: { type: 'host', hostId: '2u4PP3TJqbu', name: 'loadavg5' } })],
    ['a value of a service metric, without fractionSize and suffix',
      variant(VALUE, { metric: { type: 'service', serviceName: 'shop', name: 'custom.orders' }, fractionSize: undefined, suffix: undefined })],
    ['a value of an expression', VALUE],
    ['a value without format rules, which reads them back as an empty list', variant(VALUE, { formatRules: undefined }), { ...VALUE, formatRules: [] }],
    ['a value with null format rules, the same', variant(VALUE, { formatRules: null }), { ...VALUE, formatRules: [] }],
    ['a value whose format rule is removed by an empty list', variant(VALUE, { formatRules: [] })],
    ['a format rule below a negative, fractional threshold', variant(VALUE, { formatRules: [{ name: 'dropping', threshold: -0.5, operator: '<' }] })],
    ['a format rule without a name', variant(VALUE, { formatRules: [{ threshold: 80, operator: '>' }] })],
    ['a format rule with an empty name, as the official Go client sends one not set', variant(VALUE, { formatRules: [{ name: '', threshold: 80, operator: '>' }] })],
    ['a query graph of labeled metrics, with a legend', variant(GRAPH, { graph: { type: 'query', query: 'http_requests_total{service="shop"}', legend: '{{status}}' } })],
    ['a query graph with an empty legend, as the official Go client sends one not set',
      variant(GRAPH, { graph: { type: 'query', query: 'http_requests_total', legend: '' } })],
    ['a query graph without a legend', variant(GRAPH, { graph: { type: 'query', query: 'http_requests_total' } })],
    ['a value of a query', variant(VALUE, { metric: { type: 'query', query: 'sum(http_requests_total)', legend: 'requests' } })],
    ['a markdown', MARKDOWN],
    ['an alert status', ALERTS],
    ['a graph without reference lines, which reads them back as an empty list', variant(GRAPH, { referenceLines: undefined }), { ...GRAPH, referenceLines: [] }],
    ['a graph with null reference lines, the same', variant(GRAPH, { referenceLines: null }), { ...GRAPH, referenceLines: [] }],
    ['a graph whose reference lines are removed by an empty list', variant(GRAPH, { referenceLines: [] })],
  ];
  test.each(ROUND_TRIPS)('%s', async (_what, widget, readBack = widget) => {
    const created = ok(await env.call('POST', PATH, only(widget)));
    expect(created.widgets).toEqual([readBack]);
    expect(ok(await env.call('GET', `${PATH}/${created.id}`)).widgets).toEqual([readBack]);
  });

  test('a widget as the official Go client sends it, with graph, metric and range null where its type has none, is read back without them', async () => {
    // mackerel-client-go marshals an unset Graph, Metric or Range of every Widget as null (its omitempty cannot omit a struct),
    // and the Terraform provider writes dashboards through it.
    const nulls = { graph: null, metric: null, range: null };
    const sent = [
      { ...GRAPH, metric: null },
      { ...variant(GRAPH, { range: undefined }), metric: null, range: null },
      { ...VALUE, graph: null, range: null },
      { ...MARKDOWN, ...nulls },
      { ...ALERTS, ...nulls },
    ];
    const created = ok(await env.call('POST', PATH, { ...BOARD, widgets: sent }));
    expect(created.widgets).toEqual([GRAPH, variant(GRAPH, { range: undefined }), VALUE, MARKDOWN, ALERTS]);
    expect(ok(await env.call('GET', `${PATH}/${created.id}`)).widgets).toEqual(created.widgets);
  });

  test('a markdown widget without its text, as the official Go client sends an empty one (omitempty), reads it back as empty', async () => {
    const created = ok(await env.call('POST', PATH, only({ type: 'markdown', title: '', layout: at(0, 0, 24, 3), graph: null, metric: null, range: null })));
    expect(created.widgets).toEqual([{ type: 'markdown', title: '', markdown: '', layout: at(0, 0, 24, 3) }]);
    expect(ok(await env.call('GET', `${PATH}/${created.id}`)).widgets).toEqual(created.widgets);
    expect(ok(await env.call('POST', PATH, { ...only(variant(MARKDOWN, { markdown: null })), urlPath: 'other' })).widgets[0].markdown).toBe('');
  });

  test('widgets sent as null, as the official Go client sends a dashboard without widgets (a nil list), are none; a PUT with null clears them', async () => {
    const created = ok(await env.call('POST', PATH, { ...BOARD, widgets: null }));
    expect(created.widgets).toEqual([]);
    ok(await env.call('PUT', `${PATH}/${created.id}`, BOARD));
    expect(ok(await env.call('PUT', `${PATH}/${created.id}`, { ...BOARD, widgets: null })).widgets).toEqual([]);
    expect(ok(await env.call('GET', `${PATH}/${created.id}`)).widgets).toEqual([]);
  });

  test('a graph widget in a list carries its reference lines as an empty list too', async () => {
    ok(await env.call('POST', PATH, graph({ referenceLines: undefined })));
    expect(ok(await env.call('GET', PATH)).dashboards[0].widgets[0].referenceLines).toEqual([]);
  });
});

/** What POST and PUT both check: each call goes to a fresh organization, PUT onto a dashboard made for it there. */
describe.each([
  ['POST', async () => PATH],
  ['PUT', async () => `${PATH}/${ok(await env.call('POST', PATH, variant(BOARD, { urlPath: 'target' }))).id}`],
])('%s checks the body', (method, path) => {
  const refused = async (body: unknown, message: RegExp) => {
    env.emulator.reset();
    const where = await path();
    const before = held();
    expectError(await env.call(method, where, body), 400, message);
    expect(held()).toEqual(before);
  };
  const accepted = async (body: Body) => {
    env.emulator.reset();
    const written = ok(await env.call(method, await path(), body));
    expect(written).toMatchObject(body);
    expect(held()).toEqual([written]);
    return written;
  };

  test.each([['a'], ['_'], ['9'], ['shop'], ['shop/overview'], ['a/b/c'], ['Shop_1/web-2/x-'], ['a--b/_c']])('the urlPath %j is accepted', async (urlPath) => {
    await accepted(variant(BOARD, { urlPath }));
  });

  test.each([['-a'], ['a/-b'], ['a//b'], ['/a'], ['a/'], ['a b'], ['a.b'], ['a?b'], ['ä'], ['a/b\n']])('the urlPath %j is refused', async (urlPath) => {
    await refused(variant(BOARD, { urlPath }), /^urlPath ".*" must match \^\(\[A-Za-z0-9_\]/s);
  });

  const MALFORMED: Array<[string, unknown, RegExp]> = [
    ['a body that is not an object', [BOARD], /^the request body must be a JSON object$/],
    ['a missing title', variant(BOARD, { title: undefined }), /^title is required$/],
    ['an empty title', variant(BOARD, { title: '' }), /^title must not be empty$/],
    ['a title that is not a string', variant(BOARD, { title: 1 }), /^title must be a string$/],
    ['a memo that is not a string', variant(BOARD, { memo: false }), /^memo must be a string$/],
    ['a missing urlPath', variant(BOARD, { urlPath: undefined }), /^urlPath is required$/],
    ['an empty urlPath', variant(BOARD, { urlPath: '' }), /^urlPath must not be empty$/],
    ['a urlPath that is not a string', variant(BOARD, { urlPath: ['shop'] }), /^urlPath must be a string$/],
    ['missing widgets', variant(BOARD, { widgets: undefined }), /^widgets is required$/],
    ['widgets that are not a list', variant(BOARD, { widgets: GRAPH }), /^widgets must be an array$/],
    ['a field dashboards do not have', variant(BOARD, { description: 'x' }), /^description is not a field of a dashboard$/],
    ['a widget that is not an object', { ...BOARD, widgets: [GRAPH, 'value'] }, /^widgets\[1\] must be a JSON object$/],
    ['a widget without a type', only(variant(MARKDOWN, { type: undefined })), /^widgets\[0\]\.type is required$/],
    ['a widget of an unknown type', only(variant(MARKDOWN, { type: 'text' })), /^widgets\[0\]\.type must be one of graph, value, markdown, alertStatus$/],
    ['a widget without a title', only(variant(MARKDOWN, { title: undefined })), /^widgets\[0\]\.title is required$/],
    ['a widget title that is not a string', only(variant(MARKDOWN, { title: 3 })), /^widgets\[0\]\.title must be a string$/],
    ['a field of another widget type', only(variant(MARKDOWN, { roleFullname: 'shop:web' })), /^widgets\[0\]\.roleFullname is not a field of a markdown widget$/],
    // graph widgets
    ['a graph widget without a graph', graph({ graph: undefined }), /^widgets\[0\]\.graph is required$/],
    ['a graph that is not an object', graph({ graph: 'loadavg5' }), /^widgets\[0\]\.graph must be a JSON object$/],
    ['a graph without a type', graph({ graph: { roleFullname: 'shop:web', name: 'loadavg5' } }), /^widgets\[0\]\.graph\.type is required$/],
    ['a graph of an unknown type', graph({ graph: { type: 'roles', roleFullname: 'shop:web', name: 'x' } }),
      /^widgets\[0\]\.graph\.type must be one of host, role, service, expression, query$/],
    ['a graph of the type unknown, which only reads return', graph({ graph: { type: 'unknown' } }), /^widgets\[0\]\.graph\.type must be one of/],
    ['a host graph without a hostId', graph({ graph: { type: 'host', name: 'loadavg' } }), /^widgets\[0\]\.graph\.hostId is required$/],
    ['a host graph without a name', graph({ graph: { type: 'host', hostId: 'h' } }), /^widgets\[0\]\.graph\.name is required$/],
    ['a host graph with a role', graph({ graph: { type: 'host', hostId: 'h', name: 'n', roleFullname: 'shop:web' } }),
      /^widgets\[0\]\.graph\.roleFullname is not a field of a host graph$/],
    ['a role graph without a roleFullname', graph({ graph: { type: 'role', name: 'loadavg5' } }), /^widgets\[0\]\.graph\.roleFullname is required$/],
    ['a role graph naming a service only', graph({ graph: { type: 'role', roleFullname: 'shop', name: 'n' } }), /^widgets\[0\]\.graph\.roleFullname must be service:role/],
    ['a role graph with isStacked not a boolean', graph({ graph: { ...GRAPH.graph, isStacked: 'yes' } }), /^widgets\[0\]\.graph\.isStacked must be a boolean$/],
    ['a service graph without a serviceName', graph({ graph: { type: 'service', name: 'n' } }), /^widgets\[0\]\.graph\.serviceName is required$/],
    ['a service graph with isStacked', graph({ graph: { type: 'service', serviceName: 's', name: 'n', isStacked: true } }),
      /^widgets\[0\]\.graph\.isStacked is not a field of a service graph$/],
    ['an expression graph without an expression', graph({ graph: { type: 'expression' } }), /^widgets\[0\]\.graph\.expression is required$/],
    ['an expression graph with an empty expression', graph({ graph: { type: 'expression', expression: '' } }), /^widgets\[0\]\.graph\.expression must not be empty$/],
    ['a query graph without a query', graph({ graph: { type: 'query', legend: 'x' } }), /^widgets\[0\]\.graph\.query is required$/],
    ['a query graph with an empty query', graph({ graph: { type: 'query', query: '' } }), /^widgets\[0\]\.graph\.query must not be empty$/],
    ['a query graph with a legend that is not a string', graph({ graph: { type: 'query', query: 'q', legend: 1 } }), /^widgets\[0\]\.graph\.legend must be a string$/],
    ['a query graph with a name', graph({ graph: { type: 'query', query: 'q', name: 'n' } }), /^widgets\[0\]\.graph\.name is not a field of a query graph$/],
    ['an expression graph with a legend', graph({ graph: { type: 'expression', expression: 'x', legend: 'l' } }),
      /^widgets\[0\]\.graph\.legend is not a field of an expression graph$/],
    ['a query metric without a query', value({ metric: { type: 'query', legend: 'l' } }), /^widgets\[0\]\.metric\.query is required$/],
    ['a graph widget with a metric', graph({ metric: VALUE.metric }), /^widgets\[0\]\.metric is not a field of a graph widget$/],
    // ranges
    ['a range that is not an object', graph({ range: 3600 }), /^widgets\[0\]\.range must be a JSON object$/],
    ['a range of an unknown type', graph({ range: { type: 'recent', period: 60, offset: 0 } }), /^widgets\[0\]\.range\.type must be one of relative, absolute$/],
    ['a relative range without a period', graph({ range: { type: 'relative', offset: 0 } }), /^widgets\[0\]\.range\.period is required$/],
    ['a relative range without an offset', graph({ range: { type: 'relative', period: 60 } }), /^widgets\[0\]\.range\.offset is required$/],
    ['a relative range of no length', graph({ range: { type: 'relative', period: 0, offset: 0 } }), /^widgets\[0\]\.range\.period must be at least 1$/],
    ['a relative range of a fractional period', graph({ range: { type: 'relative', period: 1.5, offset: 0 } }), /^widgets\[0\]\.range\.period must be an integer$/],
    ['a relative range with an offset given as a string', graph({ range: { type: 'relative', period: 60, offset: '-60' } }),
      /^widgets\[0\]\.range\.offset must be a number$/],
    ['a relative range with a start', graph({ range: { type: 'relative', period: 60, offset: 0, start: 1 } }),
      /^widgets\[0\]\.range\.start is not a field of a relative range$/],
    ['an absolute range without an end', graph({ range: { type: 'absolute', start: 1 } }), /^widgets\[0\]\.range\.end is required$/],
    ['an absolute range of an instant', graph({ range: { type: 'absolute', start: 5, end: 5 } }), /^widgets\[0\]\.range\.start must be before end$/],
    ['an absolute range that ends before it starts', graph({ range: { type: 'absolute', start: 6, end: 5 } }), /^widgets\[0\]\.range\.start must be before end$/],
    ['an absolute range of fractional seconds', graph({ range: { type: 'absolute', start: 1.5, end: 5 } }), /^widgets\[0\]\.range\.start must be an integer$/],
    // reference lines
    ['two reference lines', graph({ referenceLines: [{ label: 'a', value: 1 }, { label: 'b', value: 2 }] }),
      /^widgets\[0\]\.referenceLines must hold at most one reference line$/],
    ['reference lines that are not a list', graph({ referenceLines: { label: 'a', value: 1 } }), /^widgets\[0\]\.referenceLines must be an array$/],
    ['a reference line that is not an object', graph({ referenceLines: [1] }), /^widgets\[0\]\.referenceLines\[0\] must be a JSON object$/],
    ['a reference line without a label', graph({ referenceLines: [{ value: 1 }] }), /^widgets\[0\]\.referenceLines\[0\]\.label is required$/],
    ['an empty label', graph({ referenceLines: [{ label: '', value: 1 }] }), /^widgets\[0\]\.referenceLines\[0\]\.label must not be empty$/],
    ['a label of spaces only', graph({ referenceLines: [{ label: '   ', value: 1 }] }),
      /^widgets\[0\]\.referenceLines\[0\]\.label must hold a character that is not whitespace$/],
    // The ja docs: at least one character besides whitespace (空白文字), not only besides the ASCII space.
    ['a label of a tab and an ideographic space only', graph({ referenceLines: [{ label: '\t\u3000', value: 1 }] }),
      /^widgets\[0\]\.referenceLines\[0\]\.label must hold a character that is not whitespace$/],
    ['a label of 33 characters', graph({ referenceLines: [{ label: 'a'.repeat(33), value: 1 }] }),
      /^widgets\[0\]\.referenceLines\[0\]\.label must be at most 32 characters$/],
    ['a label that is not a string', graph({ referenceLines: [{ label: 1, value: 1 }] }), /^widgets\[0\]\.referenceLines\[0\]\.label must be a string$/],
    ['a reference line without a value', graph({ referenceLines: [{ label: 'a' }] }), /^widgets\[0\]\.referenceLines\[0\]\.value is required$/],
    ['a negative value', graph({ referenceLines: [{ label: 'a', value: -1 }] }), /^widgets\[0\]\.referenceLines\[0\]\.value must be at least 0$/],
    ['a value given as a string', graph({ referenceLines: [{ label: 'a', value: '1' }] }), /^widgets\[0\]\.referenceLines\[0\]\.value must be a number$/],
    ['a reference line with a color', graph({ referenceLines: [{ label: 'a', value: 1, color: 'red' }] }),
      /^widgets\[0\]\.referenceLines\[0\]\.color is not a field of a reference line$/],
    // value widgets
    ['a value widget without a metric', value({ metric: undefined }), /^widgets\[0\]\.metric is required$/],
    ['a metric of a role, which only graphs have', value({ metric: { type: 'role', roleFullname: 'shop:web', name: 'n' } }),
      /^widgets\[0\]\.metric\.type must be one of host, service, expression, query$/],
    ['a host metric without a name', value({ metric: { type: 'host', hostId: 'h' } }), /^widgets\[0\]\.metric\.name is required$/],
    ['a metric with a field of another type', value({ metric: { type: 'expression', expression: 'x', serviceName: 's' } }),
      /^widgets\[0\]\.metric\.serviceName is not a field of an expression metric$/],
    ['a fractionSize of 17', value({ fractionSize: 17 }), /^widgets\[0\]\.fractionSize must be at most 16$/],
    ['a fractionSize of -1', value({ fractionSize: -1 }), /^widgets\[0\]\.fractionSize must be at least 0$/],
    ['a fractionSize of 1.5', value({ fractionSize: 1.5 }), /^widgets\[0\]\.fractionSize must be an integer$/],
    ['a suffix that is not a string', value({ suffix: 1 }), /^widgets\[0\]\.suffix must be a string$/],
    ['a value widget with a range', value({ range: GRAPH.range }), /^widgets\[0\]\.range is not a field of a value widget$/],
    // format rules
    ['two format rules', value({ formatRules: [{ threshold: 1, operator: '>' }, { threshold: 2, operator: '<' }] }),
      /^widgets\[0\]\.formatRules must hold at most one format rule$/],
    ['format rules that are not a list', value({ formatRules: { threshold: 1, operator: '>' } }), /^widgets\[0\]\.formatRules must be an array$/],
    ['a format rule that is not an object', value({ formatRules: ['>1'] }), /^widgets\[0\]\.formatRules\[0\] must be a JSON object$/],
    ['a format rule without a threshold', value({ formatRules: [{ name: 'x', operator: '>' }] }), /^widgets\[0\]\.formatRules\[0\]\.threshold is required$/],
    ['a threshold given as a string', value({ formatRules: [{ threshold: '1', operator: '>' }] }), /^widgets\[0\]\.formatRules\[0\]\.threshold must be a number$/],
    ['a format rule without an operator', value({ formatRules: [{ threshold: 1 }] }), /^widgets\[0\]\.formatRules\[0\]\.operator is required$/],
    ['an operator the docs do not list', value({ formatRules: [{ threshold: 1, operator: '>=' }] }), /^widgets\[0\]\.formatRules\[0\]\.operator must be one of >, <$/],
    ['a format rule name of 33 characters', value({ formatRules: [{ name: 'a'.repeat(33), threshold: 1, operator: '>' }] }),
      /^widgets\[0\]\.formatRules\[0\]\.name must be at most 32 characters$/],
    ['a format rule name that is not a string', value({ formatRules: [{ name: 1, threshold: 1, operator: '>' }] }), /^widgets\[0\]\.formatRules\[0\]\.name must be a string$/],
    ['a format rule with a color', value({ formatRules: [{ threshold: 1, operator: '>', color: 'red' }] }),
      /^widgets\[0\]\.formatRules\[0\]\.color is not a field of a format rule$/],
    ['a graph widget with format rules', graph({ formatRules: [] }), /^widgets\[0\]\.formatRules is not a field of a graph widget$/],
    ['a graph widget with a valueRange, which no Mackerel document describes', graph({ valueRange: { min: 0, max: 10 } }),
      /^widgets\[0\]\.valueRange is not a field of a graph widget$/],
    ['a value widget with a valueRange', value({ valueRange: { min: 0, max: 10 } }), /^widgets\[0\]\.valueRange is not a field of a value widget$/],
    // markdown and alert status widgets
    ['a markdown that is not a string', only(variant(MARKDOWN, { markdown: ['# x'] })), /^widgets\[0\]\.markdown must be a string$/],
    ['an alert status without a role', only(variant(ALERTS, { roleFullname: undefined })), /^widgets\[0\]\.roleFullname is required$/],
    ['an alert status of a service', only(variant(ALERTS, { roleFullname: 'shop' })), /^widgets\[0\]\.roleFullname must be service:role/],
    ['an alert status of a role with an empty service', only(variant(ALERTS, { roleFullname: ':web' })), /^widgets\[0\]\.roleFullname must be service:role/],
    ['an alert status of a role with an empty name', only(variant(ALERTS, { roleFullname: 'shop:' })), /^widgets\[0\]\.roleFullname must be service:role/],
    ['an alert status of three parts', only(variant(ALERTS, { roleFullname: 'shop:web:x' })), /^widgets\[0\]\.roleFullname must be service:role/],
    // layouts
    ['a widget without a layout', only(variant(MARKDOWN, { layout: undefined })), /^widgets\[0\]\.layout is required$/],
    ['a layout that is not an object', only(variant(MARKDOWN, { layout: [0, 0, 6, 4] })), /^widgets\[0\]\.layout must be a JSON object$/],
    ['a layout without a height', only(variant(MARKDOWN, { layout: { x: 0, y: 0, width: 6 } })), /^widgets\[0\]\.layout\.height is required$/],
    ['a negative x', only(variant(MARKDOWN, { layout: at(-1, 0, 6, 4) })), /^widgets\[0\]\.layout\.x must be at least 0$/],
    ['a fractional y', only(variant(MARKDOWN, { layout: at(0, 0.5, 6, 4) })), /^widgets\[0\]\.layout\.y must be an integer$/],
    ['a width given as a string', only(variant(MARKDOWN, { layout: { ...at(0, 0, 6, 4), width: '6' } })), /^widgets\[0\]\.layout\.width must be a number$/],
    ['a negative height', only(variant(MARKDOWN, { layout: at(0, 0, 6, -4) })), /^widgets\[0\]\.layout\.height must be at least 0$/],
    ['a layout with a depth', only(variant(MARKDOWN, { layout: { ...at(0, 0, 6, 4), z: 1 } })), /^widgets\[0\]\.layout\.z is not a field of a layout$/],
  ];
  test.each(MALFORMED)('%s is a 400', async (_what, body, message) => {
    await refused(body, message);
  });

  test('the message names the widget by its place in the list', async () => {
    const wrong = variant(GRAPH, { graph: { type: 'unknown' } });
    await refused({ ...BOARD, widgets: [MARKDOWN, ALERTS, wrong] }, /^widgets\[2\]\.graph\.type must be one of host, role, service, expression, query$/);
  });

  test.each([[0], [16]])('a fractionSize of %d is accepted', async (fractionSize) => {
    await accepted(value({ fractionSize }));
  });

  test.each([
    ['a label of one character', 'a'],
    ['a label of 32 characters', 'a'.repeat(32)],
    ['a label of 32 emoji, counted as characters', '🐟'.repeat(32)],
    ['a label with spaces around a character', '  a  '],
  ])('%s is accepted', async (_what, label) => {
    await accepted(graph({ referenceLines: [{ label, value: 1 }] }));
  });

  test.each([
    ['a format rule name of 32 characters', 'a'.repeat(32)],
    ['a format rule name of 32 emoji, counted as characters', '🐟'.repeat(32)],
    ['a format rule name of spaces only (the docs set only an upper limit)', '   '],
  ])('%s is accepted', async (_what, name) => {
    await accepted(value({ formatRules: [{ name, threshold: 1, operator: '<' }] }));
  });

  test.each([[0], [0.5], [1e9]])('a reference line value of %d is accepted', async (lineValue) => {
    await accepted(graph({ referenceLines: [{ label: 'limit', value: lineValue }] }));
  });

  test('a relative range of one second, reaching into the past, is accepted', async () => {
    await accepted(graph({ range: { type: 'relative', period: 1, offset: -86400 } }));
  });

  test('an absolute range of one second is accepted', async () => {
    await accepted(graph({ range: { type: 'absolute', start: 1700000000, end: 1700000001 } }));
  });

  test('empty free text is accepted: a widget title, a markdown, a suffix, a memo', async () => {
    await accepted({ ...BOARD, memo: '', widgets: [variant(MARKDOWN, { title: '', markdown: '' }), variant(VALUE, { suffix: '' })] });
  });

  test('widgets that overlap, overflow the width or are out of their type\'s sizes are accepted (the docs: displayed unexpectedly)', async () => {
    await accepted({
      ...BOARD,
      widgets: [
        variant(GRAPH, { layout: at(0, 0, 12, 8) }),
        variant(VALUE, { layout: at(6, 4, 12, 8) }),
        variant(MARKDOWN, { layout: at(20, 0, 12, 100) }),
        variant(ALERTS, { layout: at(0, 200, 0, 0) }),
        variant(GRAPH, { layout: at(100, 0, 1, 1) }),
      ],
    });
  });

  test('the hosts, services and roles named need not exist', async () => {
    await accepted({
      ...BOARD,
      widgets: [variant(GRAPH, { graph: { type: 'role', roleFullname: 'nope:none', name: 'x' } }), variant(ALERTS, { roleFullname: 'nope:none' })],
    });
    expect(ok(await env.call('GET', '/api/v0/services'))).toEqual({ services: [] });
  });
});

describe('PUT', () => {
  test('replaces the dashboard, keeps its ID and creation time, and renews updatedAt', async () => {
    clockAt(1_700_000_000_000);
    const { id } = ok(await env.call('POST', PATH, BOARD));
    clockAt(1_700_000_100_000);
    const change = { title: 'Shop (new)', urlPath: 'shop/new', widgets: [MARKDOWN] };
    const updated = ok(await env.call('PUT', `${PATH}/${id}`, change));
    expect(updated).toEqual({ id, ...change, memo: '', createdAt: 1700000000, updatedAt: 1700000100 });
    expect(ok(await env.call('GET', `${PATH}/${id}`))).toEqual(updated);
    expect(held()).toEqual([updated]);
  });

  test('renews updatedAt also when nothing else changes', async () => {
    clockAt(1_700_000_000_000);
    const created = ok(await env.call('POST', PATH, BOARD));
    clockAt(1_700_000_001_000);
    expect(ok(await env.call('PUT', `${PATH}/${created.id}`, BOARD))).toEqual({ ...created, updatedAt: 1700000001 });
  });

  test('may keep its own urlPath; another dashboard\'s is a 409, and nothing changes', async () => {
    const mine = ok(await env.call('POST', PATH, BOARD));
    const other = ok(await env.call('POST', PATH, variant(BOARD, { urlPath: 'other' })));
    ok(await env.call('PUT', `${PATH}/${mine.id}`, variant(BOARD, { title: 'renamed' })));
    const before = held();
    expectError(await env.call('PUT', `${PATH}/${mine.id}`, variant(BOARD, { urlPath: 'other' })), 409, new RegExp(`^urlPath "other" is already used by dashboard ${other.id}$`));
    expect(held()).toEqual(before);
  });

  test('frees the urlPath it moves away from', async () => {
    const { id } = ok(await env.call('POST', PATH, BOARD));
    ok(await env.call('PUT', `${PATH}/${id}`, variant(BOARD, { urlPath: 'moved' })));
    ok(await env.call('POST', PATH, BOARD));
  });

  test('takes the dashboard as read back, with its id, createdAt and updatedAt, which it keeps as the server\'s (the Terraform provider sends them)', async () => {
    clockAt(1_700_000_000_000);
    const created = ok(await env.call('POST', PATH, BOARD));
    clockAt(1_700_000_100_000);
    const updated = ok(await env.call('PUT', `${PATH}/${created.id}`, { ...created, title: 'renamed', createdAt: 1, updatedAt: 2 }));
    expect(updated).toEqual({ ...created, title: 'renamed', updatedAt: 1700000100 });
  });

  test.each([
    ['an id that is not the one in the path', { id: 'another' }, /^id in the body does not match the dashboard ID in the path$/],
    ['a createdAt that is not a number', { createdAt: '2023-11-14' }, /^createdAt must be a number$/],
  ])('%s is a 400, and nothing changes', async (_what, field, message) => {
    const created = ok(await env.call('POST', PATH, BOARD));
    expectError(await env.call('PUT', `${PATH}/${created.id}`, { ...BOARD, ...field }), 400, message);
    expect(held()).toEqual([created]);
  });

  test('of an unknown ID is a 404', async () => {
    expectError(await env.call('PUT', `${PATH}/nope`, BOARD), 404, /^dashboard is not found\.$/);
  });
});

describe('GET', () => {
  test('lists every dashboard, which a read-only key may see', async () => {
    const first = ok(await env.call('POST', PATH, BOARD));
    const second = ok(await env.call('POST', PATH, variant(BOARD, { urlPath: 'second' })));
    expect(ok(await env.read('GET', PATH))).toEqual({ dashboards: [first, second] });
    expect(ok(await env.read('GET', `${PATH}/${second.id}`))).toEqual(second);
  });

  test('with none is an empty list', async () => {
    expect(ok(await env.call('GET', PATH))).toEqual({ dashboards: [] });
  });

  test('of an unknown ID is a 404', async () => {
    expectError(await env.call('GET', `${PATH}/nope`), 404, /^dashboard is not found\.$/);
  });
});

describe('DELETE', () => {
  test('returns the dashboard as it was and frees its urlPath; a second time is a 404', async () => {
    const created = ok(await env.call('POST', PATH, BOARD));
    const kept = ok(await env.call('POST', PATH, variant(BOARD, { urlPath: 'kept' })));
    expect(ok(await env.call('DELETE', `${PATH}/${created.id}`))).toEqual(created);
    expect(held()).toEqual([kept]);
    expectError(await env.call('DELETE', `${PATH}/${created.id}`), 404, /^dashboard is not found\.$/);
    ok(await env.call('POST', PATH, BOARD));
  });

  test('of an unknown ID is a 404', async () => {
    expectError(await env.call('DELETE', `${PATH}/nope`), 404, /^dashboard is not found\.$/);
  });
});

describe('saved with the state', () => {
  const file = () => join(mkdtempSync(join(tmpdir(), 'cdk-mackerel-emulator-')), 'emulator.json');

  async function send(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(new URL(path.replace(/^\//, ''), url), {
      method,
      headers: { 'X-Api-Key': 'emulator-write-key', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  test('dashboards are served again from it, their urlPaths still taken', async () => {
    const created = ok(await env.call('POST', PATH, BOARD));
    const saved = file();
    writeEmulatorState(saved, env.emulator.state());
    const restarted = await startEmulator({ state: readEmulatorState(saved) });
    try {
      expect(await send(restarted.url, 'GET', `${PATH}/${created.id}`)).toEqual({ status: 200, body: created });
      expect((await send(restarted.url, 'POST', PATH, BOARD)).status).toBe(409);
    } finally {
      await restarted.close();
    }
  });

  test('a state saved before dashboards were kept takes new ones, which are saved with it', async () => {
    const saved = file();
    const { dashboards: _none, ...older } = emptyState();
    writeFileSync(saved, JSON.stringify({ version: 1, ...older }));
    const first = await startEmulator({ state: readEmulatorState(saved) });
    let created: any;
    try {
      created = (await send(first.url, 'POST', PATH, BOARD)).body;
      writeEmulatorState(saved, first.state());
    } finally {
      await first.close();
    }
    expect(readEmulatorState(saved)?.dashboards).toEqual([created]);
  });
});
