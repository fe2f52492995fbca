import * as fs from 'fs';
import { createRequire } from 'module';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import { beforeAll, describe, expect, test } from 'vitest';
import { api, cfnEvent, lambdaContext, useEmulator } from './_harness';
import { _RESOURCE_TYPES } from '../../../src/provider/_properties';

const env = useEmulator();
const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mackerel-handler-')), 'index.js');
type Handler = typeof import('../../../src/provider/handler/index').handler;

/** Built with the options of the `bundle:provider-handler` task: the file the Lambda runs. */
beforeAll(async () => {
  await esbuild.build({
    entryPoints: [path.join(__dirname, '..', '..', '..', 'src', 'provider', 'handler', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: out,
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
});

describe('the bundled handler', () => {
  test('is at most 100 kB and keeps the AWS SDK external', () => {
    const code = fs.readFileSync(out, 'utf8');

    expect(code.length).toBeLessThanOrEqual(100 * 1024);
    expect(code).toContain('require("@aws-sdk/client-secrets-manager")');
    expect(code).not.toMatch(/class SecretsManagerClient/);
    // the runtime's SQS client, to hand a failed task stop back to its queue sooner
    expect(code).toContain('require("@aws-sdk/client-sqs")');
    expect(code).not.toMatch(/class SQSClient/);
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
