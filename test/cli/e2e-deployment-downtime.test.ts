import { join } from 'node:path';
import { CfnParameter, Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { beforeEach, expect, test } from 'vitest';
import { cli, synthStack, useEmulatorPerFile, workDir } from './_fixture';
import { DeploymentDowntime } from '../../src/alerting';
import { MonitorScope } from '../../src/monitors';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

/** The stack Shop: the service shop with role web, a task definition running `image`, and a 20-minute DeploymentDowntime on the role. */
function synth(dir: string, image: string): string {
  return synthStack(dir, (stack) => {
    const web = new MackerelService(stack, 'Service', { name: 'shop' }).addRole('web');
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', { image: ecs.ContainerImage.fromRegistry(image) });
    new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)], duration: Duration.minutes(20) });
  });
}

test('each deploy that changes a task definition moves the one downtime to its start; diff sees no drift in between', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const downtimes = () => shared.emulator.state().downtimes as Array<{ id: string; start: number; duration: number; name: string }>;

  const beforeFirst = Math.floor(Date.now() / 1000);
  let run = await cli(['apply', synth(dir, 'public.ecr.aws/nginx/nginx:1.27'), ...base]);
  expect(run.code).toBe(0);
  expect(downtimes()).toEqual([expect.objectContaining({ name: 'deploy Shop', duration: 20 })]);
  const [first] = downtimes();
  expect(first.start).toBeGreaterThanOrEqual(beforeFirst);
  expect(first).not.toHaveProperty('revision');

  // no drift: neither the revision (not sent) nor the start (set by the deploy) counts
  run = await cli(['diff', synth(dir, 'public.ecr.aws/nginx/nginx:1.27'), ...base]);
  expect(run.code).toBe(0);
  expect(run.out).not.toMatch(/drift|revision|start/);

  // the same app again leaves the downtime as it is
  run = await cli(['apply', synth(dir, 'public.ecr.aws/nginx/nginx:1.27'), ...base]);
  expect(run.out).toMatch(/^Done: 3 unchanged\.$/m);
  expect(downtimes()).toEqual([first]);

  // a new image: the same downtime, updated in place, starting now
  await new Promise((done) => setTimeout(done, 1100));
  const outdir = synth(dir, 'public.ecr.aws/nginx/nginx:1.28');
  run = await cli(['diff', outdir, ...base]);
  expect(run.out).toMatch(/^~ update +DeploymentDowntime +Shop\/Quiet\w+ /m);
  expect(run.out).toMatch(/^ +revision: "[0-9a-f]{12}" -> "[0-9a-f]{12}"$/m);
  run = await cli(['apply', outdir, ...base]);
  expect(run.code).toBe(0);
  expect(downtimes()).toEqual([{ ...first, start: expect.any(Number) }]);
  expect(downtimes()[0].start).toBeGreaterThan(first.start);

  // made recurring in Mackerel: drift, though the template has no recurrence (the start still is none)
  const [moved] = downtimes();
  const { id: _id, ...fields } = moved;
  expect((await fetch(new URL(`api/v0/downtimes/${moved.id}`, shared.emulator.url), {
    method: 'PUT',
    headers: { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...fields, start: moved.start - 60, recurrence: { type: 'daily', interval: 1 } }),
  })).status).toBe(200);
  run = await cli(['diff', outdir, ...base]);
  expect(run.out).toMatch(/^~ drift +DeploymentDowntime +Shop\/Quiet\w+ /m);
  expect(run.out).toMatch(/^ +recurrence: \(absent\) -> \{"type":"daily","interval":"1"\}$/m);
  expect(run.out).not.toMatch(/start/);
  expect(run.code).toBe(3);

  run = await cli(['apply', '--destroy', outdir, ...base]);
  expect(run.code).toBe(0);
  expect(downtimes()).toEqual([]);
});

test('an image tag given as a template parameter: a deploy with a new tag moves the downtime, and the CLI asks for the tag as cdk deploy does', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const start = () => (shared.emulator.state().downtimes as Array<{ start: number }>)[0].start;
  const outdir = synthStack(dir, (stack) => {
    const web = new MackerelService(stack, 'Service', { name: 'shop' }).addRole('web');
    const tag = new CfnParameter(stack, 'ImageTag');
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', { image: ecs.ContainerImage.fromRegistry(`public.ecr.aws/nginx/nginx:${tag.valueAsString}`) });
    new DeploymentDowntime(stack, 'Quiet', { scopes: [MonitorScope.fromRole(web)] });
  });

  let run = await cli(['apply', outdir, ...base]);
  expect(run.code).not.toBe(0);
  expect(run.out + run.err).toMatch(/parameter ImageTag has no Default; expected its value with --parameters Shop:ImageTag=VALUE/);

  expect((await cli(['apply', outdir, ...base, '--parameters', 'Shop:ImageTag=1.27'])).code).toBe(0);
  const first = start();
  run = await cli(['apply', outdir, ...base, '--parameters', 'Shop:ImageTag=1.27']);
  expect(run.out).toMatch(/^Done: 3 unchanged\.$/m);

  await new Promise((done) => setTimeout(done, 1100));
  run = await cli(['diff', outdir, ...base, '--parameters', 'Shop:ImageTag=1.28']);
  expect(run.out).toMatch(/^ +revision: "[0-9a-f]{12} 1\.27" -> "[0-9a-f]{12} 1\.28"$/m);
  expect((await cli(['apply', outdir, ...base, '--parameters', 'Shop:ImageTag=1.28'])).code).toBe(0);
  expect(start()).toBeGreaterThan(first);
});
