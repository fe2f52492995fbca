import { join } from 'node:path';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { beforeEach, expect, test } from 'vitest';
import { cli, synthStack, useEmulatorPerFile, workDir } from './_fixture';
import { DeploymentAnnotation } from '../../src/annotations';
import { MackerelService } from '../../src/service';

const shared = useEmulatorPerFile();
beforeEach(() => shared.emulator.reset());

/** The stack Shop: the service shop with role web, a task definition running `image`, and a DeploymentAnnotation. */
function synth(dir: string, image: string): string {
  return synthStack(dir, (stack) => {
    const shop = new MackerelService(stack, 'Service', { name: 'shop' });
    const web = shop.addRole('web');
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', { image: ecs.ContainerImage.fromRegistry(image) });
    new DeploymentAnnotation(stack, 'Deploys', { service: shop, roles: [web] });
  });
}

test('a deploy that changes a task definition adds an annotation; one that does not adds none; earlier ones stay', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const annotations = () => shared.emulator.state().graphAnnotations;

  // the first apply creates the service, the role and the first annotation, on the role
  let run = await cli(['apply', synth(dir, 'public.ecr.aws/nginx/nginx:1.27'), ...base]);
  expect(run.code).toBe(0);
  expect(annotations()).toEqual([expect.objectContaining({ title: 'deploy Shop', service: 'shop', roles: ['web'] })]);
  const first = annotations()[0];
  expect(first.description).toMatch(/^Shop, revision [0-9a-f]{12}$/);

  // the same app again: nothing to mark
  run = await cli(['apply', synth(dir, 'public.ecr.aws/nginx/nginx:1.27'), ...base]);
  expect(run.out).toMatch(/^Done: 3 unchanged\.$/m);
  expect(annotations()).toHaveLength(1);

  // a new image: diff says a new annotation comes and the earlier one stays; apply adds it
  const outdir = synth(dir, 'public.ecr.aws/nginx/nginx:1.28');
  run = await cli(['diff', outdir, ...base]);
  expect(run.out).toMatch(/^! replace +GraphAnnotation +Shop\/Deploys\w+ \S+ "deploy Shop" \(a new annotation; the earlier one stays in Mackerel\)$/m);
  expect(run.out).toMatch(/^ +revision: "[0-9a-f]{12}" -> "[0-9a-f]{12}"$/m);
  expect(run.out).toMatch(/\n1 to replace\.$/);
  run = await cli(['apply', outdir, ...base]);
  expect(run.code).toBe(0);
  expect(run.out).toMatch(/not deleted: a graph annotation is part of the deploy history, so it is kept/);
  expect(annotations()).toHaveLength(2);
  expect(annotations()[0]).toEqual(first);
  expect(annotations()[1].description).not.toBe(first.description);
});

test('an annotation removed from the app: diff says apply leaves it, in apply\'s words, as apply does', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  expect((await cli(['apply', synth(dir, 'public.ecr.aws/nginx/nginx:1.27'), ...base])).code).toBe(0);
  const without = synthStack(dir, (stack) => new MackerelService(stack, 'Service', { name: 'shop' }).addRole('web'));

  const diff = await cli(['diff', without, ...base]);
  const apply = await cli(['apply', without, ...base]);

  const why = '\\(not deleted: a graph annotation is part of the deploy history, so it is kept until its service is deleted; it stays in Mackerel\\)';
  expect(diff.out).toMatch(new RegExp(`^- leave +GraphAnnotation +Shop/Deploys\\w+ \\S+ "deploy Shop" ${why}\n1 to leave\\.$`));
  expect(diff.code).toBe(1);
  expect(apply.out).toMatch(new RegExp(`\\] left +GraphAnnotation +Shop/Deploys\\w+ \\S+ "deploy Shop" ${why}\n`));
  expect(shared.emulator.state().graphAnnotations).toHaveLength(1);
});

test('an annotation whose service is deleted outside is gone with it, though the API has no read for one: diff shows it gone, apply does not count it', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const headers = { 'X-Api-Key': shared.emulator.apiKey, 'Content-Type': 'application/json' };
  // GIVEN the service made outside the app, which the stack only names, and an annotation on it
  const post = await fetch(`${shared.emulator.url}api/v0/services`, { method: 'POST', headers, body: JSON.stringify({ name: 'shop' }) });
  expect(post.status).toBe(200);
  const outdir = synthStack(dir, (stack) => {
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
    new DeploymentAnnotation(stack, 'Deploys', { service: MackerelService.fromName(stack, 'Shop', 'shop') });
  });
  expect((await cli(['apply', outdir, ...base])).code).toBe(0);
  // While the service is there, the annotation may be: nothing to say.
  expect((await cli(['diff', outdir, ...base])).out).toBe('No differences.');

  // WHEN the service is deleted in Mackerel, which deletes its annotations
  expect((await fetch(`${shared.emulator.url}api/v0/services/shop`, { method: 'DELETE', headers })).status).toBe(200);
  expect(shared.emulator.state().graphAnnotations).toEqual([]);

  // THEN diff shows the annotation gone, and apply leaves it so, out of its count of what is in Mackerel
  const diff = await cli(['diff', outdir, ...base]);
  expect(diff.code).toBe(3);
  expect(diff.out).toMatch(/^\? gone +GraphAnnotation +Shop\/Deploys\w+ \S+ "deploy Shop" deleted in Mackerel outside the template/m);
  expect(diff.out).toMatch(/\n1 deleted outside\.$/);
  const apply = await cli(['apply', outdir, ...base]);
  expect(apply.code).toBe(0);
  expect(apply.out).toMatch(/^Done: 1 unchanged\. 1 of the unchanged was deleted in Mackerel outside the template and left so \(GraphAnnotation Shop\/Deploys\w+\)/m);
  expect(apply.out).not.toMatch(/In Mackerel:/);
});

test('diff and apply read the services\' list once for a service and its annotations, not once for each', async () => {
  const dir = workDir();
  const base = ['--api-base', shared.emulator.url, '--state', join(dir, 'state.json')];
  const outdir = synthStack(dir, (stack) => {
    const shop = new MackerelService(stack, 'Service', { name: 'shop' });
    new ecs.FargateTaskDefinition(stack, 'Task').addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
    for (const id of ['Deploys', 'Releases', 'Rollouts']) new DeploymentAnnotation(stack, id, { service: shop });
  });
  expect((await cli(['apply', outdir, ...base])).code).toBe(0);
  expect(shared.emulator.state().graphAnnotations).toHaveLength(3);
  const servicesRead = (from: number) => shared.emulator.requests().slice(from).filter((r) => r.method === 'GET' && r.path === '/api/v0/services');

  // diff reads each object the state holds: the service and the three annotations, by that one list
  let from = shared.emulator.requests().length;
  const diff = await cli(['diff', outdir, ...base]);
  expect(diff.out).toBe('No differences.');
  expect(servicesRead(from)).toHaveLength(1);

  // apply, which changes nothing, reads them after its run for what is gone: once, not once for each
  from = shared.emulator.requests().length;
  expect((await cli(['apply', outdir, ...base])).code).toBe(0);
  expect(servicesRead(from)).toHaveLength(1);
});
