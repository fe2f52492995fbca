import { describe, expect, test } from 'vitest';
import { rejectionOf } from './_capture';
import { api, FakeResource, useEmulator, writes } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';

const env = useEmulator();

function bodyOf(request: { body?: unknown }) {
  return typeof request.body === 'string' ? JSON.parse(request.body) : request.body;
}

const graph = {
  type: 'graph',
  title: 'cpu',
  graph: { type: 'role', roleFullname: 'shop:web', name: 'container.cpu', isStacked: true },
  range: { type: 'relative', period: 3600, offset: -600 },
  referenceLines: [{ label: 'critical', value: 90.5 }],
  layout: { x: 0, y: 0, width: 8, height: 6 },
};
const value = {
  type: 'value',
  title: 'orders',
  metric: { type: 'service', serviceName: 'shop', name: 'shop.orders' },
  fractionSize: 0,
  suffix: 'orders',
  formatRules: [{ name: 'slow day', threshold: 2.5, operator: '<' }],
  layout: { x: 8, y: 0, width: 4, height: 4 },
};
const board = { title: 'shop', memo: '', urlPath: 'shop/web', widgets: [graph, value] };

describe('Custom::MackerelDashboard', () => {
  test('create sends numbers and booleans as the API takes them (a format rule\'s threshold too), then updates in place and deletes', async () => {
    const dashboard = new FakeResource(_RESOURCE_TYPES.DASHBOARD, 'Board');
    const from = env.emulator.requests().length;

    const { PhysicalResourceId: id, Data } = await dashboard.create(board);

    expect(Data).toEqual({ DashboardId: id });
    expect(bodyOf(writes(env.emulator, from)[0])).toEqual(board);
    expect((await api(env.emulator, 'GET', `/api/v0/dashboards/${id}`)).body).toMatchObject(board);

    const moved = { ...board, title: 'shop web', widgets: [{ ...graph, referenceLines: [] }, { ...value, formatRules: [] }] };
    await expect(dashboard.update(moved)).resolves.toMatchObject({ PhysicalResourceId: id, replaced: false });
    expect((await api(env.emulator, 'GET', `/api/v0/dashboards/${id}`)).body).toMatchObject({ title: 'shop web', widgets: [{ referenceLines: [] }, { formatRules: [] }] });

    await dashboard.delete();
    expect(env.emulator.state().dashboards).toEqual([]);
  });

  test('query graphs and values (labeled metrics) are sent with their query and legend, an empty legend included, and updated in place', async () => {
    const queryGraph = {
      type: 'graph',
      title: 'p99',
      graph: { type: 'query', query: 'histogram_quantile(0.99, rate(http.server.request.duration[5m]))', legend: '{{service.name}}' },
      referenceLines: [],
      layout: { x: 0, y: 0, width: 8, height: 6 },
    };
    const queryValue = {
      type: 'value',
      title: 'rps',
      metric: { type: 'query', query: 'sum(rate(http.server.request.count[1m]))', legend: '' },
      fractionSize: 1,
      suffix: 'req/s',
      layout: { x: 8, y: 0, width: 4, height: 4 },
    };
    const queries = { ...board, urlPath: 'shop/queries', widgets: [queryGraph, queryValue] };
    const dashboard = new FakeResource(_RESOURCE_TYPES.DASHBOARD, 'Queries');
    const from = env.emulator.requests().length;

    const { PhysicalResourceId: id } = await dashboard.create(queries);

    expect(bodyOf(writes(env.emulator, from)[0])).toEqual(queries);
    expect((await api(env.emulator, 'GET', `/api/v0/dashboards/${id}`)).body).toMatchObject(queries);

    const unlabeled = { ...queries, widgets: [{ ...queryGraph, graph: { ...queryGraph.graph, legend: '' } }, queryValue] };
    await expect(dashboard.update(unlabeled)).resolves.toMatchObject({ PhysicalResourceId: id, replaced: false });
    expect((await api(env.emulator, 'GET', `/api/v0/dashboards/${id}`)).body).toMatchObject({ widgets: [{ graph: { type: 'query', legend: '' } }, {}] });
  });

  test('a URL path another dashboard has fails with Mackerel\'s own 409 message', async () => {
    const first = new FakeResource(_RESOURCE_TYPES.DASHBOARD, 'First');
    await first.create(board);
    const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.DASHBOARD, 'Second').create({ ...board, title: 'other' }));
    expect(error.message).toMatch(/POST \/api\/v0\/dashboards: HTTP 409: urlPath "shop\/web" is already used by dashboard/);
    expect(env.emulator.state().dashboards).toHaveLength(1);
  });

  test('a dashboard deleted outside the stack is created again by the next update', async () => {
    const dashboard = new FakeResource(_RESOURCE_TYPES.DASHBOARD, 'Board');
    const { PhysicalResourceId: id } = await dashboard.create(board);
    await api(env.emulator, 'DELETE', `/api/v0/dashboards/${id}`);
    const again = await dashboard.update({ ...board, title: 'again' });
    expect(again.PhysicalResourceId).not.toBe(id);
    expect(env.emulator.state().dashboards).toEqual([expect.objectContaining({ id: again.PhysicalResourceId, title: 'again' })]);
  });

  describe('a create whose answer is lost', () => {
    const posts = () => env.emulator.requests().filter((r) => r.method === 'POST' && r.path === '/api/v0/dashboards');

    test('the dashboard it made is found by its URL path and taken, without a second POST', async () => {
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/dashboards', dropResponse: true });

      const result = await new FakeResource(_RESOURCE_TYPES.DASHBOARD, 'Board').create(board);

      expect(env.emulator.state().dashboards.map((d) => d.id)).toEqual([result.PhysicalResourceId]);
      expect(result.Data).toEqual({ DashboardId: result.PhysicalResourceId });
      expect(posts()).toHaveLength(1);
    });

    test('another dashboard at the URL path is not taken: the create fails naming the dashboard by title and URL path, and what differs', async () => {
      expect((await api(env.emulator, 'POST', '/api/v0/dashboards', { ...board, title: 'theirs', memo: 'their memo' })).status).toBe(200);
      env.emulator.injectFault({ method: 'POST', path: '/api/v0/dashboards', status: 502, dropResponse: true });

      const error = await rejectionOf(new FakeResource(_RESOURCE_TYPES.DASHBOARD, 'Board').create(board));

      expect(error.message).toMatch(new RegExp('^Custom::MackerelDashboard Board: Create failed: POST /api/v0/dashboards: no response: .+; '
        + 'dashboard "shop" at URL path "shop/web" exists in Mackerel now, but its title and memo \\("theirs", "their memo"\\) are not what was sent, '
        + 'so it was not taken as the one this create made$'));
      expect(env.emulator.state().dashboards).toHaveLength(1);
    });
  });
});
