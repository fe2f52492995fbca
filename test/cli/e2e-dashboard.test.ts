import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeEach, expect, test } from 'vitest';
import { cli, useEmulatorPerFile, workDir } from './_fixture';
import { MackerelApiKey } from '../../src/api-key';
import { Dashboard, DashboardWidget } from '../../src/dashboards';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

/** The stack Shop: the service shop with role web and a dashboard of `line` (a reference line on the CPU graph, or none). */
function synth(dir: string, line?: number): string {
  const outdir = join(dir, 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir });
  const stack = new Stack(app, 'Shop');
  new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
  const shop = new MackerelService(stack, 'Service', { name: 'shop' });
  const web = shop.addRole('web');
  const board = new Dashboard(stack, 'Board', { title: 'shop', urlPath: 'shop/web' });
  board.addWidgets(
    DashboardWidget.roleGraph({ title: 'web CPU', role: web, graph: 'container.cpu', referenceLine: line === undefined ? undefined : { label: 'limit', value: line } }),
    DashboardWidget.serviceMetricValue({ title: 'orders', service: shop, metric: 'shop.orders.count', fractionSize: 0 }),
  );
  board.addWidgets(DashboardWidget.alertStatus({ title: 'web alerts', role: web }));
  app.synth();
  return outdir;
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
