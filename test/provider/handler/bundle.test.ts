import { execSync } from 'child_process';
import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, test } from 'vitest';
import { api, cfnEvent, lambdaContext, useEmulator } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';

const env = useEmulator();
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mackerel-handler-')), 'index.js');
type Handler = typeof import('../../../src/provider/handler/index').handler;

/**
 * Built by the `bundle:provider-handler` task's own command (from .projen/tasks.json), into a
 * directory of the test's: the file the Lambda runs, with no copy of its options to drift.
 */
beforeAll(() => {
  const root = path.join(__dirname, '..', '..', '..');
  const tasks = JSON.parse(fs.readFileSync(path.join(root, '.projen', 'tasks.json'), 'utf8'));
  const command: string = tasks.tasks['bundle:provider-handler'].steps[0].exec;
  expect(command).toContain('--outfile=assets/provider-handler/index.js');
  execSync(command.replace('--outfile=assets/provider-handler/index.js', `--outfile=${out}`), {
    cwd: root,
    env: { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` },
    stdio: 'pipe',
  });
}, 60_000);

describe('the bundled handler', () => {
  test('is at most 90 KiB and keeps the AWS SDK external', () => {
    const code = fs.readFileSync(out, 'utf8');

    // About 86 kB minified (the README gives today's size): the cap leaves about a tenth for growth,
    // and a bundle that suddenly pulls in a dependency, or loses its minification, fails here rather
    // than in a reviewer's eye.
    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(90 * 1024);
    expect(code).toContain('require("@aws-sdk/client-secrets-manager")');
    expect(code).not.toMatch(/class SecretsManagerClient/);
    // the runtime's SQS client, to hand a failed task stop back to its queue sooner
    expect(code).toContain('require("@aws-sdk/client-sqs")');
    expect(code).not.toMatch(/class SQSClient/);
  });

  test('keeps the names of the handler, so that a stack in the Lambda log names its functions', () => {
    const code = fs.readFileSync(out, 'utf8');

    expect(code).toMatch(/\bfunction _failure\(/);
    expect(code).toMatch(/\bfunction onResourceEvent\(/);
    // a class expression takes the name of the variable it is assigned to: `new MackerelApiError` in a stack
    expect(code).toMatch(/\bMackerelApiError ?= ?class extends Error\b|\bclass MackerelApiError extends Error\b/);
  });

  test('creates and deletes a monitor against the emulator without loading the AWS SDK', async () => {
    const load = createRequire(out);
    const { handler } = load(out) as { handler: Handler };
    const props = { type: 'expression', name: 'load', expression: 'avg(roleSlots("shop:web","loadavg5"))', operator: '>', warning: 5 };

    const created = await handler(cfnEvent('Create', _RESOURCE_TYPES.MONITOR, 'Load', props), lambdaContext());
    expect((await api(env.emulator, 'GET', `/api/v0/monitors/${created.PhysicalResourceId}`)).body.monitor).toMatchObject(props);
    await handler(cfnEvent('Delete', _RESOURCE_TYPES.MONITOR, 'Load', props, { physicalId: created.PhysicalResourceId }), lambdaContext());

    expect((await api(env.emulator, 'GET', `/api/v0/monitors/${created.PhysicalResourceId}`)).status).toBe(404);
    expect(Object.keys(load.cache).filter((m) => m.includes('@aws-sdk'))).toEqual([]);
  });
});
