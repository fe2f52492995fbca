import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as library from '../src';

// What requiring the package loads, as users get it: src/ compiled by TypeScript's own emitter into
// a scratch copy of lib/, made lazy by build-tools/lazify.js as the compile task does, then
// required in a fresh process. An app that only adds the agent must not load the Mackerel object
// constructs, the provider, or aws-cdk-lib's Lambda and custom resources behind them.

const ROOT = path.resolve(__dirname, '..');
let scratch: string;
let lib: string;

/** Every .ts file under `dir`, relative to it. */
function sources(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) return sources(dir, relative);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [relative] : [];
  });
}

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'cdk-mackerel-loading-'));
  lib = path.join(scratch, 'lib');
  const src = path.join(ROOT, 'src');
  for (const file of sources(src)) {
    const output = ts.transpileModule(readFileSync(path.join(src, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, experimentalDecorators: true },
      fileName: file,
    }).outputText;
    mkdirSync(path.dirname(path.join(lib, file)), { recursive: true });
    writeFileSync(path.join(lib, file.replace(/\.ts$/, '.js')), output);
  }
  // The provider stages its handler bundle from here; its content does not matter to what loads.
  mkdirSync(path.join(scratch, 'assets', 'provider-handler'), { recursive: true });
  writeFileSync(path.join(scratch, 'assets', 'provider-handler', 'index.js'), 'exports.handler = async () => ({});\n');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'), 'dir');
  cpSync(path.join(lib), path.join(scratch, 'eager'), { recursive: true });
  const lazify = spawnSync(process.execPath, [path.join(ROOT, 'build-tools', 'lazify.js'), lib], { encoding: 'utf8' });
  expect(lazify.stderr).toBe('');
  expect(lazify.status).toBe(0);
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface Loaded {
  /** Our modules, relative to lib/, without `.js`. */
  readonly own: string[];
  /** aws-cdk-lib's submodules (`aws-lambda`, `core`...). */
  readonly cdk: string[];
}

/**
 * Runs `body` in a fresh Node process beside the scratch lib/ (`lib` is the required package,
 * `cdk`, `ecs` and `secretsmanager` aws-cdk-lib's), then reports the modules it loaded.
 */
function loadedBy(body: string): Loaded {
  const script = path.join(scratch, `app-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(script, `
const path = require('path');
const cdk = require('aws-cdk-lib');
const ecs = require('aws-cdk-lib/aws-ecs');
const secretsmanager = require('aws-cdk-lib/aws-secretsmanager');
const lib = require('./lib');
const app = new cdk.App({ outdir: path.join(__dirname, 'out-' + path.basename(__filename, '.js')) });
const stack = new cdk.Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
const apiKey = lib.MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel/api-key'));
const task = new ecs.FargateTaskDefinition(stack, 'Task');
task.addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
task.addExtension(new lib.MackerelAgentExtension({ apiKey, roles: ['shop:web'] }));
${body}
app.synth();
const files = Object.keys(require.cache);
const libDir = path.join(__dirname, 'lib') + path.sep;
console.log(JSON.stringify({
  own: files.filter((f) => f.startsWith(libDir)).map((f) => f.slice(libDir.length).replace(/\\.js$/, '').split(path.sep).join('/')),
  cdk: [...new Set(files.map((f) => /[\\\\/]aws-cdk-lib[\\\\/]([^\\\\/]+)[\\\\/]/.exec(f)?.[1]).filter(Boolean))],
}));
`);
  const run = spawnSync(process.execPath, [script], { cwd: scratch, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout);
}

const OBJECT_MODULES = /^(provider|service|monitors|alerting|dashboards|integration|annotations|testing)\//;

describe('requiring the package', () => {
  test('an app with only the agent sidecar loads no Mackerel object construct, provider, Lambda or custom resource', () => {
    const loaded = loadedBy('');
    expect(loaded.own).toContain('agent/extension');
    // The agent reads its roles' names; the lookup tests against the service and role classes without loading them.
    expect(loaded.own.filter((m) => OBJECT_MODULES.test(m) && !['service/_known-name', 'service/_named-classes'].includes(m))).toEqual([]);
    expect(loaded.cdk).toContain('aws-ecs');
    expect(loaded.cdk.filter((m) => ['aws-lambda', 'custom-resources', 'aws-ecs-patterns', 'aws-events', 'aws-sqs'].includes(m))).toEqual([]);
  }, 60_000);

  test('an app with a monitor loads the monitor, the service constructs, the provider and its Lambda', () => {
    const loaded = loadedBy(`
new lib.MackerelProvider(stack, 'Mackerel', { apiKey });
const service = new lib.MackerelService(stack, 'Service', { name: 'shop' });
const role = service.addRole('web');
new lib.HostMetricMonitor(stack, 'Cpu', { name: 'cpu', metric: 'cpu%', operator: lib.MonitorOperator.GREATER_THAN, warning: 80,
  scopes: [lib.MonitorScope.fromRole(role)] });
// The agent's roles named by a role of this app: known at synth, so no roles parameter guard is added.
const other = new ecs.FargateTaskDefinition(stack, 'Other');
other.addContainer('web', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27') });
other.addExtension(new lib.MackerelAgentExtension({ apiKey, roles: [role.fullName] }));
if (stack.node.findAll().some((c) => c instanceof cdk.CfnParameter)) throw new Error('the roles of a MackerelRole were not known at synth');
`);
    expect(loaded.own).toEqual(expect.arrayContaining(['monitors/host-metric-monitor', 'service/service', 'service/role', 'provider/provider']));
    expect(loaded.cdk).toEqual(expect.arrayContaining(['aws-lambda', 'custom-resources']));
  }, 60_000);

  test('an app that uses every export loads none of the handler\'s, the CLI\'s or the emulator\'s modules', () => {
    // MackerelTemplate (cdk-mackerel/testing) reads physical IDs as the CLI does (cli/named), which must not bring the
    // handler's modules with it: the Lambda gets them bundled, an app never runs them.
    const loaded = loadedBy('for (const name of Object.keys(lib)) void lib[name];');
    expect(loaded.own).toContain('testing/template');
    expect(loaded.own.filter((m) => /^(provider\/handler|emulator)\//.test(m) || (m.startsWith('cli/') && m !== 'cli/named'))).toEqual([]);
  }, 60_000);
});

describe('the lazy entry point (build-tools/lazify.js)', () => {
  /** Runs a script in a fresh process beside the scratch lib/ and returns what it printed, as JSON. */
  function inFreshProcess(file: string, code: string): any {
    writeFileSync(path.join(scratch, file), code);
    const run = spawnSync(process.execPath, [path.join(scratch, file)], { cwd: scratch, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout);
  }

  test('exports the names of the eager entry point, in its order, each the value of the module that defines it', () => {
    const result = inFreshProcess('same-names.js', `
const lazy = require('./lib');
const eager = require('./eager');
const lazyNames = Object.keys(lazy);
// Values of the lazy copy are compared with the same copy's own modules, which the eager entry cannot share.
const service = require('./lib/service/service');
const monitor = require('./lib/monitors/host-metric-monitor');
console.log(JSON.stringify({
  lazyNames, eagerNames: Object.keys(eager),
  undefinedNames: lazyNames.filter((name) => lazy[name] === undefined),
  sameService: lazy.MackerelService === service.MackerelService && require('./lib/service').MackerelService === service.MackerelService,
  sameMonitor: lazy.HostMetricMonitor === monitor.HostMetricMonitor,
}));
`);
    expect(result.lazyNames).toEqual(result.eagerNames);
    expect([...result.lazyNames].sort()).toEqual(Object.keys(library).sort());
    expect(result.undefinedNames).toEqual([]);
    expect(result.sameService).toBe(true);
    expect(result.sameMonitor).toBe(true);
  }, 60_000);

  test('gives every name whichever is used first: no module cycle leaves one undefined', () => {
    const result = inFreshProcess('every-first.js', `
const path = require('path');
const libDir = path.join(__dirname, 'lib') + path.sep;
const names = Object.keys(require('./lib'));
const missing = [];
for (const first of names) {
  for (const file of Object.keys(require.cache)) if (file.startsWith(libDir)) delete require.cache[file];
  const lib = require('./lib');
  if (lib[first] === undefined) missing.push(first);
  for (const name of names) if (lib[name] === undefined) missing.push(first + ' then ' + name);
}
console.log(JSON.stringify({ count: names.length, missing }));
`);
    expect(result.count).toBeGreaterThan(50);
    expect(result.missing).toEqual([]);
  }, 60_000);

  test('makes lazy a barrel whose export lines carry comments, as tsc keeps them', () => {
    const dir = path.join(scratch, 'commented');
    const files: Record<string, string> = {
      'index.ts': `// The parts, in the order their names win.
export * from './a';
/** The second part. */
export * from './b'; // the third follows
/*
 * A block comment between two lines.
 */
export * from './c';
`,
      'a.ts': 'export class A {}\n',
      'b.ts': 'export const B = \'b\';\n',
      'c.ts': 'export enum C { X = \'x\' }\n',
    };
    mkdirSync(dir);
    for (const [file, source] of Object.entries(files)) {
      const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 };
      const output = ts.transpileModule(source, { compilerOptions, fileName: file }).outputText;
      writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), output);
    }
    const lazify = spawnSync(process.execPath, [path.join(ROOT, 'build-tools', 'lazify.js'), dir], { encoding: 'utf8' });
    expect(lazify.stderr).toBe('');
    expect(lazify.status).toBe(0);
    const result = inFreshProcess('commented-app.js', `
const path = require('path');
const lib = require('./commented');
const loadedFirst = Object.keys(require.cache).filter((f) => f.startsWith(path.join(__dirname, 'commented') + path.sep)).map((f) => path.basename(f)).sort();
console.log(JSON.stringify({ names: Object.keys(lib), loadedFirst, a: typeof lib.A, b: lib.B, c: lib.C.X }));
`);
    expect(result).toEqual({ names: ['A', 'B', 'C'], loadedFirst: ['index.js'], a: 'function', b: 'b', c: 'x' });
  }, 60_000);

  test('lets an ES module import names from it, and keeps instanceof', () => {
    const result = inFreshProcess('esm.mjs', `
import { App, Stack } from 'aws-cdk-lib';
import { MackerelService, MackerelProvider } from './lib/index.js';
import * as lib from './lib/index.js';
const stack = new Stack(new App(), 'Stack');
const service = new MackerelService(stack, 'Service', { name: 'shop' });
console.log(JSON.stringify({ provider: typeof MackerelProvider, isService: service instanceof lib.MackerelService }));
`);
    expect(result).toEqual({ provider: 'function', isService: true });
  }, 60_000);
});
