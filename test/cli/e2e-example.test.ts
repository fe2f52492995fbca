/**
 * The README's main job, end to end: the example app itself is synthesized, its Mackerel side
 * applied to the emulator, changed, planned, applied again and destroyed, with the emulator's
 * state asserted after each step.
 */
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { beforeEach, describe, expect, test } from 'vitest';
import { cli, expectConverged, readState, useEmulatorPerFile, workDir } from './_fixture';
import { buildExample, ExampleOptions } from '../../examples/fargate/example';
import { ROLE } from '../../examples/fargate/roles';
import { readEmulatorState } from '../../src/emulator';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

/** Synthesizes the example into `<dir>/cdk.out`, as `cdk synth` in examples/fargate does. */
function synthExample(dir: string, options: ExampleOptions = {}): string {
  const outdir = join(dir, 'cdk.out');
  const app = new App({ outdir, context: { '@aws-cdk/core:appMode': 'process' } });
  buildExample(app, options);
  // cdk-nag reports through process.exitCode, as under `cdk synth` (the appMode context keeps aws-cdk-lib
  // 2.276+ from throwing instead in a test process); the example test checks its findings.
  const exitCode = process.exitCode;
  try {
    app.synth();
  } finally {
    process.exitCode = exitCode;
  }
  return outdir;
}

const serviceNames = () => shared.emulator.state().services.map((s) => s.name);
const roleNames = () => shared.emulator.state().services.flatMap((s) => s.roles.map((r) => `${s.name}:${r.name}`)).sort();
interface IntegrationRecord {
  readonly [field: string]: unknown;
  readonly id: string;
  readonly name: string;
  readonly services: { [id: string]: { enable: boolean; role: string | null } };
}
const integration = () => shared.emulator.state().awsIntegrations as unknown as IntegrationRecord[];

describe('the example app against the emulator', () => {
  test('apply, diff, change, diff, apply, destroy', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];

    // 1. First apply: everything the example declares on the Mackerel side is made.
    let assembly = synthExample(dir);
    let run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/Applying CdkMackerelFargateExample/);
    expect(run.out).toMatch(/created\s+Service\s+CdkMackerelFargateExample\/MackerelShop\w* shop "shop"/);
    expect(run.out).toMatch(/created\s+AwsIntegration\s+\S+ \S+ "shop-aws"/);
    expect(run.out).not.toMatch(/CdkMackerelBatchExample\/\S+/);
    expect(run.out).toMatch(/^In Mackerel: .*1 Service, 6 Role, 1 AwsIntegration, 1 Dashboard, 5 Monitor, 1 DeploymentDowntime, 1 GraphAnnotation, 2 Channel, 1 NotificationGroup, 1 Downtime\./m);
    expect(serviceNames()).toEqual(['shop']);
    expect(roleNames()).toEqual(Object.values(ROLE).map((r) => `shop:${r}`).sort());
    expect(integration()).toHaveLength(1);
    const alerting = shared.emulator.state();
    expect(alerting.channels.map((c) => `${c.type}:${c.name}`).sort()).toEqual(['email:shop-oncall', 'slack:shop-ops']);
    expect(alerting.notificationGroups.filter((g) => g.name === 'shop-ops')).toHaveLength(1);
    expect(alerting.downtimes).toMatchObject([{ name: 'deploy CdkMackerelFargateExample', duration: 20 }, { name: 'shop weekly maintenance', duration: 60 }]);
    expect(alerting.monitors.map((m) => `${m.type} ${m.name}`).sort()).toEqual([
      'connectivity shop:web connectivity', 'external shop:web URL', 'host shop-web running tasks', 'host shop:web container CPU',
      'host shop:web container memory',
    ]);
    expect(run.err).toMatch(/notice: \{\{resolve:secretsmanager:mackerel\/slack-webhook:SecretString:url::\}\} is not read from AWS/);
    expect(integration()[0].services).toMatchObject({
      ECSCluster: { enable: true, role: 'shop:ecs' },
      ALB: { enable: true, role: 'shop:alb' },
    });
    const stateFile = join(dir, '.mackerel-state.json');
    expect(Object.keys(readState(stateFile).stacks)).toEqual(['CdkMackerelFargateExample']);

    // 2. Nothing changed: no difference, and a second apply writes nothing.
    run = await expectConverged(shared.emulator, assembly, base);
    expect(run.out).toMatch(/unchanged/);

    // 3. A changed example: diff shows the change and exits 1.
    assembly = synthExample(dir, { integrateLoadBalancer: false, maintenanceMinutes: 90 });
    run = await cli(['diff', assembly, ...base]);
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/~ update\s+AwsIntegration\s+\S+ \S+ "shop-aws"/);
    expect(run.out).toMatch(/services/);
    expect(run.out).toMatch(/~ update\s+Downtime\s+\S+ \S+ "shop weekly maintenance"\n\s+duration: "60" -> "90"/);

    // 4. Apply it: updated in place, the services map replaced whole.
    run = await cli(['apply', assembly, ...base]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/updated\s+AwsIntegration/);
    expect(integration()).toHaveLength(1);
    expect(Object.keys(integration()[0].services)).toEqual(['ECSCluster']);
    expect(shared.emulator.state().downtimes).toMatchObject([{ name: 'deploy CdkMackerelFargateExample', duration: 20 }, { name: 'shop weekly maintenance', duration: 90 }]);
    run = await cli(['diff', assembly, ...base]);
    expect(run.out).toBe('No differences.');

    // 5. Destroy: the emulator holds nothing of the example any more.
    run = await cli(['apply', assembly, ...base, '--destroy']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/deleted\s+Service\s+\S+ shop/);
    const state = shared.emulator.state();
    expect(state.services).toEqual([]);
    expect(state.awsIntegrations).toEqual([]);
    expect(state.monitors).toEqual([]);
    expect(state.channels).toEqual([]);
    expect(state.downtimes).toEqual([]);
    expect(state.alertGroupSettings).toEqual([]);
    expect(state.notificationGroups.filter((g) => g.name === 'shop-ops')).toEqual([]);
  });

  test('drift made in Mackerel shows in diff', async () => {
    const dir = workDir();
    const base = ['--api-base', shared.emulator.url];
    const assembly = synthExample(dir);
    expect((await cli(['apply', assembly, ...base])).code).toBe(0);
    const [aws] = integration();
    const response = await fetch(new URL(`/api/v0/aws-integrations/${aws.id}`, shared.emulator.url), {
      method: 'PUT',
      headers: { 'X-Api-Key': 'emulator-write-key', 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...stripIds(integration()[0]), memo: 'edited in the web console' }),
    });
    expect(response.status).toBe(200);
    const run = await cli(['diff', assembly, ...base]);
    expect(run.code).toBe(3); // drift alone: apply would change nothing
    expect(run.out).toMatch(/drift/i);
    expect(run.out).toMatch(/memo/);
  });
});

describe('the main job: the example against an emulator of its own, run after run', () => {
  test('create, unchanged, a changed example updates, destroy empties it', async () => {
    const dir = workDir();
    const run = async (assembly: string, ...extra: string[]) => cli(['apply', assembly, '--emulator', ...extra], {}, dir);
    const saved = () => readEmulatorState(join(dir, '.mackerel-state.emulator.data.json'))!;

    let assembly = synthExample(dir);
    let result = await run(assembly);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^Done: 21 created\.$/m);
    expect(result.out).toMatch(/^In Mackerel: .*5 Monitor, 1 DeploymentDowntime, .*1 NotificationGroup, 1 Downtime\.$/m);

    result = await run(assembly);
    expect(result.out).toMatch(/^Done: 21 unchanged\.$/m);

    assembly = synthExample(dir, { integrateLoadBalancer: false, maintenanceMinutes: 90 });
    result = await run(assembly);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/updated\s+AwsIntegration/);
    expect(result.out).toMatch(/updated\s+Downtime/);
    expect(result.out).toMatch(/^Done: 2 updated, 19 unchanged\.$/m);
    expect(saved().downtimes).toMatchObject([{ name: 'deploy CdkMackerelFargateExample', duration: 20 }, { name: 'shop weekly maintenance', duration: 90 }]);

    result = await run(assembly, '--destroy');
    expect(result.code).toBe(0);
    // the graph annotation is left by its resource as history (until its service is deleted, apply says), then goes with its service
    expect(result.out).toMatch(/left\s+GraphAnnotation .*kept until its service is deleted/);
    expect(result.out).toMatch(/^Done: 20 deleted, 1 left\./m);
    const left = saved();
    const kinds = [left.services, left.monitors, left.channels, left.downtimes, left.awsIntegrations, left.graphAnnotations, left.dashboards];
    expect(kinds).toEqual([[], [], [], [], [], [], []]);
  });
});

function stripIds(value: { [key: string]: unknown }): { [key: string]: unknown } {
  const { id: _id, ...rest } = value;
  return rest;
}
