import { array, bool, given, num, object, onlyFields, str } from './_check';
import { ApiError, badRequest, conflict, Json, route, Route } from './_http';
import { byId, replaceIn, Store, uniqueId } from './_state';

/** The documented pattern: segments of letters, digits, `-` and `_`, none starting with `-`, joined by single `/`. */
const URL_PATH = /^([A-Za-z0-9_][-A-Za-z0-9_]*)(\/[A-Za-z0-9_][-A-Za-z0-9_]*)*$/;

/** The documented input. */
const FIELDS = ['title', 'memo', 'urlPath', 'widgets'];
/**
 * What a dashboard read back carries besides its input: a PUT takes them, as the Terraform provider sends the
 * dashboard as it read it, and they stay the server's. A create has nothing to be read back from.
 */
const READ_BACK = ['id', 'createdAt', 'updatedAt'];
const LAYOUT = ['x', 'y', 'width', 'height'];

/** One `type` of a widget, graph, metric or range: the fields it may have besides `type`, and how they are checked. */
interface Kind {
  readonly what: string;
  readonly fields: readonly string[];
  readonly read: (o: Json) => Json;
}

/**
 * Runs the checks of a nested object with its place put before each 400's message (`type is
 * required` becomes `widgets[2].graph.type is required`): among many widgets, a bare field name
 * would not say which one is wrong.
 */
function within<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) throw badRequest(`${where}.${error.message}`);
    throw error;
  }
}

/** A required object field; `object` alone would call a missing one "not a JSON object". */
function nested(o: Json, field: string): Json {
  if (!given(o, field)) throw badRequest(`${field} is required`);
  return object(o[field], field);
}

/** A required string that may be empty: a widget's title is free text, which the docs do not require to hold anything. */
function text(o: Json, field: string): string {
  if (!given(o, field)) throw badRequest(`${field} is required`);
  return str(o, field) as string;
}

/**
 * Checks `o` as the kind its `type` names; the type first, so that the other messages can speak of that kind.
 * A field sent as `null` is one not given: the official Go client sends every widget's `graph`, `metric` and
 * `range`, `null` where the widget has none.
 */
function variant(o: Json, kinds: { [type: string]: Kind }): Json {
  const type = str(o, 'type', { required: true, values: Object.keys(kinds) }) as string;
  const kind = kinds[type];
  onlyFields(Object.fromEntries(Object.entries(o).filter(([field]) => given(o, field))), ['type', ...kind.fields], kind.what);
  return { type, ...kind.read(o) };
}

/** The field is looked up outside `within`, which would otherwise name it twice (`graph.graph is required`). */
function part(o: Json, field: string, kinds: { [type: string]: Kind }): Json {
  const value = nested(o, field);
  return within(field, () => variant(value, kinds));
}

/** The shape the docs give (`service:role`); whether the role exists is not checked, a choice (index.ts). */
function roleFullname(o: Json): string {
  const value = str(o, 'roleFullname', { required: true }) as string;
  if (!/^[^:]+:[^:]+$/.test(value)) throw badRequest(`roleFullname must be service:role, not ${JSON.stringify(value)}`);
  return value;
}

const required = (o: Json, field: string) => str(o, field, { required: true }) as string;

/** Host, service and expression graphs and metrics have the same fields; only graphs have roles. */
const HOST: Kind = { what: 'a host graph', fields: ['hostId', 'name'], read: (o) => ({ hostId: required(o, 'hostId'), name: required(o, 'name') }) };
const SERVICE: Kind = { what: 'a service graph', fields: ['serviceName', 'name'], read: (o) => ({ serviceName: required(o, 'serviceName'), name: required(o, 'name') }) };
/**
 * An expression is not parsed, unlike an expression monitor's (a choice, index.ts): the dashboards
 * reference documents no check of it, only that a value shows when it makes a single series.
 */
const EXPRESSION: Kind = { what: 'an expression graph', fields: ['expression'], read: (o) => ({ expression: required(o, 'expression') }) };
/**
 * A PromQL query of labeled metrics (the official Go client's `query` graph and metric), with a legend that may be
 * left out or empty: the client sends `""` for one not set.
 */
const QUERY: Kind = {
  what: 'a query graph',
  fields: ['query', 'legend'],
  read: (o) => {
    const legend = str(o, 'legend');
    return { query: required(o, 'query'), ...(legend === undefined ? {} : { legend }) };
  },
};

/** `unknown` is not among them: the docs give it only as what a read returns for a graph whose role or service is gone. */
const GRAPHS: { [type: string]: Kind } = {
  host: HOST,
  role: {
    what: 'a role graph',
    fields: ['roleFullname', 'name', 'isStacked'],
    read: (o) => {
      const out: Json = { roleFullname: roleFullname(o), name: required(o, 'name') };
      const stacked = bool(o, 'isStacked');
      if (stacked !== undefined) out.isStacked = stacked;
      return out;
    },
  },
  service: SERVICE,
  expression: EXPRESSION,
  query: QUERY,
};

const METRICS: { [type: string]: Kind } = {
  host: { ...HOST, what: 'a host metric' },
  service: { ...SERVICE, what: 'a service metric' },
  expression: { ...EXPRESSION, what: 'an expression metric' },
  query: { ...QUERY, what: 'a query metric' },
};

/** Whole seconds, a choice (index.ts), as for graph annotations; an empty or reversed range would show nothing. */
const RANGES: { [type: string]: Kind } = {
  relative: {
    what: 'a relative range',
    fields: ['period', 'offset'],
    read: (o) => ({ period: num(o, 'period', { required: true, integer: true, min: 1 }), offset: num(o, 'offset', { required: true, integer: true }) }),
  },
  absolute: {
    what: 'an absolute range',
    fields: ['start', 'end'],
    read: (o) => {
      const start = num(o, 'start', { required: true, integer: true }) as number;
      const end = num(o, 'end', { required: true, integer: true }) as number;
      if (start >= end) throw badRequest('start must be before end');
      return { start, end };
    },
  },
};

/** The docs allow at most one line, and an empty list is how a client removes it. */
function referenceLines(w: Json): Json[] {
  return atMostOne(w, 'referenceLines', 'a reference line', (line) => {
    const label = str(line, 'label', { required: true, maxLength: 32 }) as string;
    // The docs' minimum of one character leaves out whitespace: "excluding spaces" (en), 空白文字を除いて, whitespace
    // characters (ja), so a tab or an ideographic space (U+3000) counts for no more than a space, as the construct's trim() has it.
    if (!/\S/.test(label)) throw badRequest('label must hold a character that is not whitespace');
    return { label, value: num(line, 'value', { required: true, min: 0 }) };
  }, ['label', 'value']);
}

/**
 * A value widget's format rule, as the Japanese API docs give it (`formatRules`, the official Go
 * client's `FormatRule`): at most one, an empty list removes it, and a read returns an empty list
 * for none. Its `name` is optional and may be empty (the Go client sends `""` for one not set); no
 * lower limit is documented for it, nor any range for `threshold`.
 */
function formatRules(w: Json): Json[] {
  return atMostOne(w, 'formatRules', 'a format rule', (rule) => {
    const name = str(rule, 'name', { maxLength: 32 });
    const threshold = num(rule, 'threshold', { required: true });
    const operator = str(rule, 'operator', { required: true, values: ['>', '<'] });
    return { ...(name === undefined ? {} : { name }), threshold, operator };
  }, ['name', 'threshold', 'operator']);
}

/** A widget's list `field` of at most one object with only `fields`, each item read by `read`; absent is empty. */
function atMostOne(w: Json, field: string, what: string, read: (item: Json) => Json, fields: string[]): Json[] {
  const items = array(w, field) ?? [];
  if (items.length > 1) throw badRequest(`${field} must hold at most one ${what.replace(/^an? /, '')}`);
  return items.map((value, index) => {
    const where = `${field}[${index}]`;
    const item = object(value, where);
    return within(where, () => {
      onlyFields(item, fields, what);
      return read(item);
    });
  });
}

/**
 * Only what makes a layout unreadable is refused. The docs' other conditions (within 24 units of
 * width, no overlap, each type's sizes) only make a widget "not display in the position expected",
 * so Mackerel takes such a layout, a choice (index.ts).
 */
function layout(w: Json): Json {
  const l = nested(w, 'layout');
  return within('layout', () => {
    onlyFields(l, LAYOUT, 'a layout');
    return Object.fromEntries(LAYOUT.map((field) => [field, num(l, field, { required: true, integer: true, min: 0 })]));
  });
}

/** Every widget has a title and a layout, around what its type adds. */
function widgetKind(what: string, fields: string[], read: (w: Json) => Json): Kind {
  return { what, fields: ['title', ...fields, 'layout'], read: (w) => ({ title: text(w, 'title'), ...read(w), layout: layout(w) }) };
}

const WIDGETS: { [type: string]: Kind } = {
  graph: widgetKind('a graph widget', ['graph', 'range', 'referenceLines'], (w) => {
    const graph = part(w, 'graph', GRAPHS);
    const range = given(w, 'range') ? part(w, 'range', RANGES) : undefined;
    // Listed even when none is set, as the docs say a read returns it.
    return { graph, ...(range ? { range } : {}), referenceLines: referenceLines(w) };
  }),
  value: widgetKind('a value widget', ['metric', 'fractionSize', 'suffix', 'formatRules'], (w) => {
    const out: Json = { metric: part(w, 'metric', METRICS) };
    const fractionSize = num(w, 'fractionSize', { integer: true, min: 0, max: 16 });
    if (fractionSize !== undefined) out.fractionSize = fractionSize;
    const suffix = str(w, 'suffix');
    if (suffix !== undefined) out.suffix = suffix;
    // Listed even when none is set, as the docs say a read returns it.
    out.formatRules = formatRules(w);
    return out;
  }),
  // The official Go client leaves an empty text out (its omitempty), so one left out is read as empty.
  markdown: widgetKind('a markdown widget', ['markdown'], (w) => ({ markdown: str(w, 'markdown') ?? '' })),
  alertStatus: widgetKind('an alert status widget', ['roleFullname'], (w) => ({ roleFullname: roleFullname(w) })),
};

function widget(value: unknown, index: number): Json {
  const where = `widgets[${index}]`;
  const w = object(value, where);
  return within(where, () => variant(w, WIDGETS));
}

/**
 * Checks a create body, or with `id` an update body of that dashboard; the urlPath's uniqueness is the caller's,
 * as it depends on which dashboard is written.
 */
function validateDashboard(body: unknown, id?: string): Json {
  const o = object(body);
  onlyFields(o, id === undefined ? FIELDS : [...FIELDS, ...READ_BACK], 'a dashboard');
  if (id !== undefined) {
    if (given(o, 'id') && o.id !== id) throw badRequest('id in the body does not match the dashboard ID in the path');
    num(o, 'createdAt');
    num(o, 'updatedAt');
  }
  const title = str(o, 'title', { required: true });
  // Optional, a choice (index.ts): the docs list it as input without saying whether it may be left out.
  const memo = str(o, 'memo') ?? '';
  const urlPath = str(o, 'urlPath', { required: true }) as string;
  if (!URL_PATH.test(urlPath)) throw badRequest(`urlPath ${JSON.stringify(urlPath)} must match ${URL_PATH.source}`);
  // `null` is the official Go client's empty list (a nil slice, sent without omitempty); a body
  // without the field at all, which no client sends and the docs do not mark optional, is refused.
  if (!('widgets' in o)) throw badRequest('widgets is required');
  const widgets = (array(o, 'widgets') ?? []).map(widget);
  return { title, memo, urlPath, widgets };
}

function dashboardOf(store: Store, id: string): Json {
  return byId(store.state.dashboards, id, 'dashboard');
}

/** A dashboard's URL must lead to it alone; `self` may keep its own. */
function claimUrlPath(store: Store, urlPath: unknown, self?: string): void {
  const holder = store.state.dashboards.find((d) => d.urlPath === urlPath && d.id !== self);
  if (holder) throw conflict(`urlPath ${JSON.stringify(urlPath)} is already used by dashboard ${holder.id}`);
}

const now = () => Math.floor(Date.now() / 1000);

export function dashboardRoutes(store: Store): Route[] {
  const list = () => store.state.dashboards;
  return [
    route('GET', '/dashboards', () => ({ dashboards: list() })),
    route('GET', '/dashboards/:id', ({ params }) => dashboardOf(store, params.id)),
    route('POST', '/dashboards', ({ body }) => {
      const fields = validateDashboard(body);
      claimUrlPath(store, fields.urlPath);
      const at = now();
      const dashboard = { id: uniqueId(store.state), ...fields, createdAt: at, updatedAt: at };
      list().push(dashboard);
      return dashboard;
    }),
    route('PUT', '/dashboards/:id', ({ params, body }) => {
      const old = dashboardOf(store, params.id);
      const fields = validateDashboard(body, params.id);
      claimUrlPath(store, fields.urlPath, params.id);
      const next = { id: params.id, ...fields, createdAt: old.createdAt, updatedAt: now() };
      replaceIn(list(), old, next);
      return next;
    }),
    route('DELETE', '/dashboards/:id', ({ params }) => {
      const dashboard = dashboardOf(store, params.id);
      replaceIn(list(), dashboard);
      return dashboard;
    }),
  ];
}
