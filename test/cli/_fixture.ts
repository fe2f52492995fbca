/** Synthesizes small apps to a cdk.out and runs the CLI in-process, capturing its output. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, expect } from 'vitest';
import { MackerelApiKey } from '../../src/api-key';
import { _main } from '../../src/cli/main';
import { _StateFile } from '../../src/cli/state';
import { MackerelEmulator, startEmulator } from '../../src/emulator';
import { ConnectivityMonitor, HostMetricMonitor, MonitorOperator, MonitorScope } from '../../src/monitors';
import { MackerelProvider } from '../../src/provider/provider';
import { MackerelService } from '../../src/service';

export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `cdk-mackerel <argv>` in-process. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await _main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env, cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * Checks that an apply has converged: `diff` finds no difference, and a second `apply` succeeds
 * sending nothing but GETs. Returns that apply's run, for its summary.
 */
export async function expectConverged(emulator: MackerelEmulator, assembly: string, base: string[]): Promise<Run> {
  const diff = await cli(['diff', assembly, ...base]);
  expect(diff.out).toBe('No differences.');
  expect(diff.code).toBe(0);
  const before = emulator.requests().length;
  const apply = await cli(['apply', assembly, ...base]);
  expect(apply.code).toBe(0);
  expect(emulator.requests().slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
  return apply;
}

/** A fresh directory for one test. */
/** The stack's MackerelProvider, its key a secret of the stack: what every CLI test app needs. */
export function addProvider(stack: Stack): MackerelProvider {
  return new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(new secretsmanager.Secret(stack, 'Key')) });
}

export function workDir(): string {
  return mkdtempSync(join(tmpdir(), 'cdk-mackerel-cli-'));
}

/**
 * Synthesizes one stack (Shop by default) with its MackerelProvider and what `build` adds into
 * `<dir>/cdk.out`, emptied first, and returns that path.
 */
export function synthStack(dir: string, build: (stack: Stack) => void, stackName = 'Shop'): string {
  return synthStacks(dir, [stackName], build);
}

/** As `synthStack`, for several independent stacks, each with its MackerelProvider and what `build` adds to it. */
export function synthStacks(dir: string, stackNames: string[], build: (stack: Stack) => void): string {
  const outdir = join(dir, 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir });
  for (const stackName of stackNames) {
    const stack = new Stack(app, stackName);
    addProvider(stack);
    build(stack);
  }
  app.synth();
  return outdir;
}

/** What a version of the example stack holds. */
export interface ShopVersion {
  readonly cpuWarning: number;
  /** The metric of the memory monitor (a change replaces it). */
  readonly memMetric: string;
  /** Whether the connectivity monitor exists. */
  readonly alive: boolean;
  /** Whether the disk monitor exists. */
  readonly disk?: boolean;
  /** The service's memo (Mackerel has no API to change it). @default 'the shop' */
  readonly serviceMemo?: string;
  /** The service construct's id: another id moves it to a new logical ID. @default 'Service' */
  readonly serviceId?: string;
}

/** Synthesizes the shop app into `<dir>/cdk.out` and returns that path. */
export function synthShop(dir: string, v: ShopVersion): string {
  const outdir = join(dir, 'cdk.out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'Shop');
  addProvider(stack);
  const shop = new MackerelService(stack, v.serviceId ?? 'Service', { name: 'shop', memo: v.serviceMemo ?? 'the shop' });
  const web = shop.addRole('web');
  const host = (id: string, name: string, metric: string, warning: number) => new HostMetricMonitor(stack, id, {
    name,
    metric,
    operator: MonitorOperator.GREATER_THAN,
    warning,
    critical: 95,
    duration: Duration.minutes(3),
    scopes: [MonitorScope.fromRole(web)],
  });
  host('Cpu', 'web cpu', 'cpu%', v.cpuWarning);
  host('Mem', 'web memory', v.memMetric, 80);
  if (v.disk) host('Disk', 'web disk', 'disk%', 80);
  if (v.alive) new ConnectivityMonitor(stack, 'Alive', { scopes: [MonitorScope.fromService(shop)] });
  app.synth();
  return outdir;
}

/**
 * Synthesizes an app of two stacks into `<dir>/cdk.out`: ZBase holds the service, and AMonitors
 * (listed first in the manifest) either scopes a monitor to it, a cross-stack reference the CDK
 * turns into an export and an Fn::ImportValue (`reference`) or, with
 * `@aws-cdk/core:defaultCrossStackReferences: weak` as `cdk init` sets it, into a plain output and an
 * Fn::GetStackOutput (`weak`), or only depends on ZBase and has a service of its own.
 */
export function synthCrossStack(dir: string, link: 'reference' | 'weak' | 'dependency' = 'reference', serviceName = 'shop'): string {
  const outdir = join(dir, 'cdk.out');
  const app = new App({ outdir, context: { '@aws-cdk/core:defaultCrossStackReferences': link === 'weak' ? 'weak' : 'strong' } });
  const env = { account: '111111111111', region: 'us-east-1' };
  const monitors = new Stack(app, 'AMonitors', { env });
  const base = new Stack(app, 'ZBase', { env });
  for (const stack of [monitors, base]) {
    addProvider(stack);
  }
  const shop = new MackerelService(base, 'Service', { name: serviceName });
  const scoped = link === 'dependency' ? new MackerelService(monitors, 'Cart', { name: 'cart' }) : shop;
  if (link === 'dependency') monitors.addDependency(base);
  new HostMetricMonitor(monitors, 'Cpu', {
    name: 'cpu',
    metric: 'cpu%',
    operator: MonitorOperator.GREATER_THAN,
    warning: 80,
    duration: Duration.minutes(3),
    scopes: [MonitorScope.fromService(scoped)],
  });
  app.synth();
  return outdir;
}

/**
 * Synthesizes an app with stages, as CDK Pipelines deploys, into `<dir>/cdk.out`: a top-level stack
 * Shared with a service, and stages Prod and Dev, each with a stack Monitors (`Prod-Monitors`,
 * `Dev-Monitors`) holding a service and a monitor scoped to it.
 * `names.stackName` gives the Monitors stacks an explicit name (Dev's alone with `sameStage`, which
 * also adds Prod a second stack Extra with that name, a clash within the stage).
 */
export function synthStages(dir: string, names: { stackName?: string; sameStage?: boolean } = {}): string {
  const outdir = join(dir, 'cdk.out');
  const app = new App({ outdir });
  const env = { account: '111111111111', region: 'us-east-1' };
  const withProvider = (stack: Stack) => {
    addProvider(stack);
    return stack;
  };
  new MackerelService(withProvider(new Stack(app, 'Shared', { env })), 'Service', { name: 'shared' });
  for (const stageName of ['Prod', 'Dev']) {
    const stage = new Stage(app, stageName, { env });
    const stack = withProvider(new Stack(stage, 'Monitors', { stackName: names.sameStage && stageName === 'Prod' ? undefined : names.stackName }));
    if (names.sameStage && stageName === 'Prod') new Stack(stage, 'Extra', { stackName: names.stackName });
    const service = new MackerelService(stack, 'Service', { name: stageName.toLowerCase() });
    new ConnectivityMonitor(stack, 'Alive', { name: `${stageName.toLowerCase()} alive`, scopes: [MonitorScope.fromService(service)] });
  }
  app.synth();
  return outdir;
}

/** Reads the state file the CLI wrote. */
export function readState(file: string): _StateFile {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** One emulator for the test file, started before its tests and closed after them (never emptied between tests). */
export function useEmulatorPerFile(): { readonly emulator: MackerelEmulator } {
  const holder: { emulator?: MackerelEmulator } = {};
  beforeAll(async () => {
    holder.emulator = await startEmulator({ port: 0 });
  });
  afterAll(async () => holder.emulator?.close());
  return {
    get emulator(): MackerelEmulator {
      return holder.emulator!;
    },
  };
}
