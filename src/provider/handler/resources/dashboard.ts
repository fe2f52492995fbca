import { ObjectSchema } from '../convert';
import { FoundObject, idResource, UniqueName } from '../id-resource';

/** Every field any widget kind has (`_DashboardProperties`): the converter needs only each field's type. */
const WIDGET_SCHEMA: ObjectSchema = {
  type: 'string',
  title: 'string',
  graph: { type: 'string', hostId: 'string', name: 'string', roleFullname: 'string', isStacked: 'boolean', serviceName: 'string', expression: 'string', query: 'string', legend: 'string' },
  range: { type: 'string', period: 'number', offset: 'number', start: 'number', end: 'number' },
  referenceLines: { listOf: { label: 'string', value: 'number' } },
  metric: { type: 'string', hostId: 'string', name: 'string', serviceName: 'string', expression: 'string', query: 'string', legend: 'string' },
  fractionSize: 'number',
  suffix: 'string',
  formatRules: { listOf: { name: 'string', threshold: 'number', operator: 'string' } },
  markdown: 'string',
  roleFullname: 'string',
  layout: { x: 'number', y: 'number', width: 'number', height: 'number' },
};

export const DASHBOARD_SCHEMA: ObjectSchema = {
  title: 'string',
  memo: 'string',
  urlPath: 'string',
  widgets: { listOf: WIDGET_SCHEMA },
};

/** URL paths are unique in the organization (409), so a create whose answer was lost is found by its path. */
const BY_URL_PATH: UniqueName = {
  find: async (ctx, payload) => {
    const list = await ctx.client.request<{ dashboards?: FoundObject[] }>('GET', '/api/v0/dashboards');
    return (list?.dashboards ?? []).find((dashboard) => dashboard.urlPath === payload.urlPath);
  },
  mismatch: (found, payload) => {
    const differs = ['title', 'memo'].filter((field) => (found[field] ?? '') !== (payload[field] ?? ''));
    if (differs.length === 0) return undefined;
    const theirs = differs.map((field) => JSON.stringify(found[field] ?? '')).join(', ');
    return `its ${differs.join(' and ')} (${theirs}) ${differs.length > 1 ? 'are' : 'is'} not what was sent`;
  },
};

/**
 * `_DashboardProperties`: updated in place with the whole body. A dashboard has no name; its URL
 * path is what makes it unique, and what its label names.
 */
export const dashboard = idResource({
  path: '/api/v0/dashboards',
  noun: 'dashboard',
  dataKey: 'DashboardId',
  schema: DASHBOARD_SCHEMA,
  uniqueName: BY_URL_PATH,
  label: (payload) => `dashboard ${JSON.stringify(payload.title ?? '')} at URL path ${JSON.stringify(payload.urlPath ?? '')}`,
});
