// The provider handler: its bundle size, and the Mackerel calls it makes for creating N monitors
// and for a no-op update of them, measured against the local emulator with the bundled handler
// itself (the file the Lambda runs). Run with `npx tsx bench/run.ts handler`.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import * as esbuild from 'esbuild';
import { startEmulator } from '../src/emulator';

const N = 20;
const TARGET_BUNDLE_BYTES = 100 * 1024;
const OUT = path.join(__dirname, 'out', 'provider-handler', 'index.js');
const STACK_ID = 'arn:aws:cloudformation:ap-northeast-1:123456789012:stack/bench/00000000-0000-0000-0000-000000000000';

type Handler = (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<{ PhysicalResourceId: string }>;

/** The same esbuild options as the `bundle:provider-handler` task. */
async function bundle(): Promise<number> {
  await esbuild.build({
    entryPoints: [path.join(__dirname, '..', 'src', 'provider', 'handler', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: OUT,
    external: ['@aws-sdk/*'],
    tsconfig: path.join(__dirname, '..', 'tsconfig.json'),
    logLevel: 'warning',
  });
  return fs.statSync(OUT).size;
}

function event(requestType: string, logicalId: string, props: object, extra: object = {}) {
  const strings = JSON.parse(JSON.stringify(props, (_k, v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v)));
  return {
    RequestType: requestType,
    ServiceToken: 'token',
    ResponseURL: '...',
    StackId: STACK_ID,
    RequestId: `bench-${logicalId}`,
    LogicalResourceId: logicalId,
    ResourceType: 'Custom::MackerelMonitor',
    ResourceProperties: { ServiceToken: 'token', ...strings },
    ...extra,
  };
}

function monitor(i: number) {
  return { type: 'host', name: `cpu ${i}`, metric: 'cpu%', operator: '>', warning: 80, critical: 90, duration: 3, scopes: ['bench:web'] };
}

async function main() {
  const bytes = await bundle();
  const gzipped = zlib.gzipSync(fs.readFileSync(OUT)).length;

  const emulator = await startEmulator({ port: 0 });
  process.env.MACKEREL_APIBASE = emulator.url;
  process.env.MACKEREL_APIKEY = emulator.apiKey;
  const context = { getRemainingTimeInMillis: () => 60_000 };
  // The handler logs a JSON line per step; the bench prints only its table.
  const log = console.log;
  console.log = () => undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(OUT) as { handler: Handler };
  const writesSince = (from: number) => emulator.requests().slice(from).filter((r) => r.method !== 'GET').length;
  const callsSince = (from: number) => emulator.requests().length - from;

  let from = emulator.requests().length;
  await fetch(`${emulator.url.replace(/\/+$/, '')}/api/v0/services`, { method: 'POST', headers: { 'X-Api-Key': emulator.apiKey, 'Content-Type': 'application/json' }, body: '{"name":"bench"}' });
  await fetch(`${emulator.url.replace(/\/+$/, '')}/api/v0/services/bench/roles`, { method: 'POST', headers: { 'X-Api-Key': emulator.apiKey, 'Content-Type': 'application/json' }, body: '{"name":"web"}' });

  from = emulator.requests().length;
  let started = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < N; i++) ids.push((await handler(event('Create', `Cpu${i}`, monitor(i)), context)).PhysicalResourceId);
  const createWrites = writesSince(from);
  const createCalls = callsSince(from);
  const createMs = Date.now() - started;

  from = emulator.requests().length;
  started = Date.now();
  for (let i = 0; i < N; i++) {
    await handler(event('Update', `Cpu${i}`, monitor(i), { PhysicalResourceId: ids[i], OldResourceProperties: event('Create', '', monitor(i)).ResourceProperties }), context);
  }
  const noopWrites = writesSince(from);
  const noopCalls = callsSince(from);
  const noopMs = Date.now() - started;

  console.log = log;
  await emulator.close();

  const rows: Array<[string, string, string, boolean]> = [
    ['handler bundle (bytes)', `${bytes} (${gzipped} gzipped)`, `<= ${TARGET_BUNDLE_BYTES}`, bytes <= TARGET_BUNDLE_BYTES],
    [`create ${N} monitors: writes`, String(createWrites), `${N}`, createWrites === N],
    [`create ${N} monitors: all calls`, `${createCalls} (${createMs} ms)`, '-', true],
    [`no-op update of ${N}: writes`, String(noopWrites), '0', noopWrites === 0],
    [`no-op update of ${N}: all calls`, `${noopCalls} (${noopMs} ms; existence reads)`, '-', true],
  ];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => String(r[c]).length), ['measure', 'measured', 'target'][c].length));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c])).join('  ');
  console.log(line(['measure', 'measured', 'target']) + '  ok');
  for (const [measure, measured, target, ok] of rows) console.log(line([measure, measured, target]) + `  ${ok ? 'yes' : 'NO'}`);
  if (rows.some((r) => !r[3])) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
