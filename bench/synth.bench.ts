// Synth cost of instrumenting 50 Fargate services: plain, with a bare second container (the floor
// of any sidecar in aws-cdk-lib), with the Mackerel agent (MackerelAgentExtension), the same sidecar
// written by hand with aws-cdk-lib alone, and Datadog's DatadogECSFargate. Run with
// `npx projen bench` (which compiles the library first).
//
// Two measures, both interleaved round by round with the order rotated:
// - in-process: construct + synth of a fresh App with every module already loaded, after a
//   warm-up round. It isolates what instrumenting costs; the targets are judged on it.
// - whole process: `node` started per run, loading only the modules its variant needs, then
//   constructing and synthesizing once, as `cdk synth` runs an app. It includes module loading
//   (the same aws-cdk-lib for every variant, plus the instrumenting library), which users feel.
// - instructions (where Linux `perf` is available): CPU instructions per construct + synth in a
//   warm process (the difference between 3 and 11 builds), with single-threaded GC. Unlike time it
//   does not wander with the machine's load, so it settles whether a change made synth cheaper.
// The targets are judged on the plainest service (a FargateService, no load balancer), where an
// agent weighs most. A second, smaller table gives the same ratios for services shaped like
// examples/fargate (ecs-patterns, one load balancer each), for reference.
// The library is loaded compiled (lib/), as users get it, not transpiled from src/.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type * as cdk from 'aws-cdk-lib';
import type * as ec2Types from 'aws-cdk-lib/aws-ec2';
import type * as ecsTypes from 'aws-cdk-lib/aws-ecs';
import type * as ecsPatternsTypes from 'aws-cdk-lib/aws-ecs-patterns';
import type * as logsTypes from 'aws-cdk-lib/aws-logs';
import type * as secretsmanagerTypes from 'aws-cdk-lib/aws-secretsmanager';
import type * as datadogTypes from 'datadog-cdk-constructs-v2';
import type * as mackerelTypes from '../src';

const SERVICES = 50;
const ROUNDS = 31;
const PROCESS_ROUNDS = 11;
const INSTRUCTION_BUILDS = [3, 11];
const INSTRUCTION_REPEATS = 3;
/** Load-balanced services with one ALB each take about 13.5 resources: 30 fit a stack's 500. */
const BALANCED_SERVICES = 30;
const BALANCED_ROUNDS = 25;
const TARGET_RATIO = 1.10;
const TARGET_EXTRA_RESOURCES = 0;
const TARGET_EXTRA_BYTES = 1.5 * 1024;

type Variant = 'plain' | 'container' | 'handmade' | 'mackerel' | 'datadog';
const VARIANTS: Variant[] = ['plain', 'container', 'handmade', 'mackerel', 'datadog'];
const noTimes = (): Record<Variant, number[]> => ({ plain: [], container: [], handmade: [], mackerel: [], datadog: [] });
/** `service`: FargateService alone (judged); `balanced`: ApplicationLoadBalancedFargateService, as in examples/fargate. */
type Workload = 'service' | 'balanced';
const BALANCED_VARIANTS: Variant[] = ['plain', 'mackerel', 'datadog'];

interface Shape { readonly resources: number; readonly bytes: number }

// Modules are required per variant, so a whole-process run loads only what its variant needs.
/* eslint-disable @typescript-eslint/no-require-imports */
const lib = () => ({
  cdk: require('aws-cdk-lib') as typeof cdk,
  ec2: require('aws-cdk-lib/aws-ec2') as typeof ec2Types,
  ecs: require('aws-cdk-lib/aws-ecs') as typeof ecsTypes,
  ecsPatterns: () => require('aws-cdk-lib/aws-ecs-patterns') as typeof ecsPatternsTypes,
  logs: require('aws-cdk-lib/aws-logs') as typeof logsTypes,
  secretsmanager: require('aws-cdk-lib/aws-secretsmanager') as typeof secretsmanagerTypes,
});
// The whole-process runs execute a transpiled copy of this file from bench/out, hence the root from the environment.
const ROOT = process.env.BENCH_ROOT ?? path.resolve(__dirname, '..');
const mackerelLib = () => require(path.join(ROOT, 'lib')) as typeof mackerelTypes;
const datadogLib = () => require('datadog-cdk-constructs-v2') as typeof datadogTypes;

/** One stack: a VPC, a cluster, the key secret and `services` Fargate services of one variant. */
function build(variant: Variant, services: number, workload: Workload = 'service'): cdk.App {
  const { cdk: core, ec2, ecs, ecsPatterns, logs, secretsmanager } = lib();
  const app = new core.App();
  const stack = new core.Stack(app, 'Bench');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  // every instrumented variant reads the key from the same kind of secret, created once
  const secret = new secretsmanager.Secret(stack, 'ApiKey');
  const datadog = variant === 'datadog' ? new (datadogLib().DatadogECSFargate)({ apiKeySecret: secret, site: 'datadoghq.com' }) : undefined;
  const mackerel = variant === 'mackerel'
    ? new (mackerelLib().MackerelAgentExtension)({ apiKey: mackerelLib().MackerelApiKey.fromSecretsManager(secret), roles: ['bench:web'] })
    : undefined;
  const agentLogs = variant === 'handmade' ? new logs.LogGroup(stack, 'AgentLogs', { retention: logs.RetentionDays.ONE_MONTH }) : undefined;
  for (let i = 0; i < services; i++) {
    const props = { cpu: 256, memoryLimitMiB: 512 };
    const taskDefinition = datadog
      ? datadog.fargateTaskDefinition(stack, `Task${i}`, props)
      : new ecs.FargateTaskDefinition(stack, `Task${i}`, props);
    taskDefinition.addContainer('web', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27'),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'web' }),
      portMappings: [{ containerPort: 80 }],
    });
    if (mackerel) taskDefinition.addExtension(mackerel);
    if (agentLogs) addAgentByHand(taskDefinition, secret, agentLogs);
    if (variant === 'container') addBareContainer(taskDefinition);
    const serviceProps = { cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 };
    if (workload === 'balanced') new (ecsPatterns().ApplicationLoadBalancedFargateService)(stack, `Service${i}`, serviceProps);
    else new ecs.FargateService(stack, `Service${i}`, serviceProps);
  }
  return app;
}

/**
 * The same sidecar written by hand with aws-cdk-lib alone (no validation, no annotations): the
 * floor any library producing this template has to pay for the container, its secret and grant,
 * its log configuration and the dependency.
 */
function addAgentByHand(taskDefinition: ecsTypes.TaskDefinition, secret: secretsmanagerTypes.ISecret, logGroup: logsTypes.ILogGroup): void {
  const { cdk: core, ecs } = lib();
  addBareContainer(taskDefinition, {
    stopTimeout: core.Duration.seconds(100),
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'mackerel' }),
    secrets: { MACKEREL_APIKEY: ecs.Secret.fromSecretsManager(secret) },
  });
}

/**
 * Only a second container with the agent's environment and the dependency: no secret, no log
 * configuration, no IAM (unless `more` adds them). What adding any sidecar costs in aws-cdk-lib,
 * below which no agent can go.
 */
function addBareContainer(taskDefinition: ecsTypes.TaskDefinition, more: Partial<ecsTypes.ContainerDefinitionOptions> = {}): void {
  const { ecs } = lib();
  const agent = taskDefinition.addContainer('mackerel-container-agent', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2'),
    memoryLimitMiB: 128,
    essential: false,
    environment: { MACKEREL_CONTAINER_PLATFORM: 'ecs', MACKEREL_ROLES: 'bench:web', MACKEREL_IGNORE_CONTAINER: '\\Amackerel-container-agent\\z' },
    ...more,
  });
  taskDefinition.defaultContainer!.addContainerDependencies({ container: agent, condition: ecs.ContainerDependencyCondition.START });
}

function synthesize(variant: Variant, services: number, workload: Workload = 'service'): { ms: number; shape: Shape } {
  const start = process.hrtime.bigint();
  const assembly = build(variant, services, workload).synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const template = assembly.getStackByName('Bench').template;
  return { ms, shape: { resources: Object.keys(template.Resources).length, bytes: JSON.stringify(template).length } };
}

/** The q-quantile of a variant's per-round ratios to plain (each round timed back to back), as text. */
function roundRatioQuantile(times: Record<Variant, number[]>, v: Variant): (q: number) => string {
  const ratios = times[v].map((ms, i) => ms / times.plain[i]).sort((a, b) => a - b);
  return (q) => ratios[Math.floor((ratios.length - 1) * q)].toFixed(3);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pad = (s: string | number, n: number) => String(s).padStart(n);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

/**
 * Whole-process wall time of each variant: a fresh `node` per run, interleaved and rotated. The
 * child runs this file transpiled to JavaScript by esbuild, with plain `node`: a TypeScript loader
 * would add its own start-up and source-map work to every run.
 */
function wholeProcessTimes(script: string): Record<Variant, number[]> {
  const times = noTimes();
  for (let round = 0; round < PROCESS_ROUNDS; round++) {
    for (const v of VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length])) {
      const start = process.hrtime.bigint();
      const run = spawnSync(process.execPath, [script, '--once', v], { stdio: 'inherit', env: { ...process.env, BENCH_ROOT: ROOT } });
      if (run.status !== 0) throw new Error(`the whole-process run of ${v} failed (exit ${run.status})`);
      times[v].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return times;
}

/** The bench script transpiled to JavaScript for child processes (see wholeProcessTimes). */
function childScript(): string {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const script = path.join(ROOT, 'bench', 'out', 'synth-once.js');
  fs.mkdirSync(path.dirname(script), { recursive: true });
  fs.writeFileSync(script, esbuild.transformSync(fs.readFileSync(__filename, 'utf8'), { loader: 'ts', format: 'cjs', target: 'node20' }).code);
  return script;
}

/**
 * Millions of user-space CPU instructions per app (construct + synth) of each variant, counted by
 * `perf stat` as the difference between a process that builds 11 apps and one that builds 3, so
 * that start-up, module loading and the first JIT compilations cancel out. Median of 3. Undefined
 * where perf cannot count (not Linux, no perf, or counters not allowed).
 */
function instructionCounts(script: string, variants: Variant[] = VARIANTS, workload: Workload = 'service'): Record<Variant, number> | undefined {
  const count = (variant: Variant, builds: number): number | undefined => {
    const args = ['stat', '-x', ',', '-e', 'instructions:u', process.execPath, '--single-threaded-gc', script, '--once', variant, String(builds), workload];
    const run = spawnSync('perf', args,
      { encoding: 'utf8', env: { ...process.env, BENCH_ROOT: ROOT } });
    const line = run.status === 0 ? run.stderr.split('\n').find((l) => l.includes('instructions')) : undefined;
    const value = Number(line?.split(',')[0]);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const counts = {} as Record<Variant, number>;
  for (const v of variants) {
    const perApp: number[] = [];
    for (let i = 0; i < INSTRUCTION_REPEATS; i++) {
      const [few, many] = INSTRUCTION_BUILDS.map((builds) => count(v, builds));
      if (few === undefined || many === undefined) return undefined;
      perApp.push((many - few) / (INSTRUCTION_BUILDS[1] - INSTRUCTION_BUILDS[0]) / 1e6);
    }
    counts[v] = median(perApp);
  }
  return counts;
}

function main(): void {
  const started = Date.now();
  const base: Record<Variant, Shape> = {} as any;
  const full: Record<Variant, Shape> = {} as any;
  const times = noTimes();
  // one-service apps give the fixed cost, so per-stack resources shared by every task (the
  // agent's log group, say) count once and not as a fiftieth of a resource per task
  for (const v of VARIANTS) base[v] = synthesize(v, 1).shape;
  for (let round = -1; round < ROUNDS; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + Math.max(round, 0)) % VARIANTS.length]);
    for (const v of order) {
      const run = synthesize(v, SERVICES);
      full[v] = run.shape;
      if (round >= 0) times[v].push(run.ms); // round -1 warms the JIT and is discarded
    }
  }

  const script = childScript();
  const processTimes = wholeProcessTimes(script);
  const instructions = instructionCounts(script);
  const plainMs = median(times.plain);
  const perService = (v: Variant) => ({
    resources: (full[v].resources - base[v].resources) / (SERVICES - 1),
    bytes: (full[v].bytes - base[v].bytes) / (SERVICES - 1),
  });
  console.log(`${SERVICES} Fargate services per app, one stack; in-process: median of ${ROUNDS} interleaved runs (construct + synth) after a warm-up round`);
  const fixed = (v: Variant) => base[v].resources - perService(v).resources;
  console.log(`fixed cost per stack (1-service app minus one service): ${VARIANTS.map((v) => `${v} ${fixed(v)}`).join(', ')} resources`);
  console.log(`whole process: median of ${PROCESS_ROUNDS} fresh \`node\` runs each (module loading + construct + synth, like \`cdk synth\`)`);
  console.log(instructions
    ? `instructions: millions per app (construct + synth) in a warm process, perf stat, median of ${INSTRUCTION_REPEATS}`
    : 'instructions: not counted (needs Linux perf with user-space counters allowed)');
  const instructionCells = (v: Variant) => (instructions
    ? `${pad(instructions[v].toFixed(0), 7)} ${pad((instructions[v] / instructions.plain).toFixed(3), 6)}`
    : `${pad('-', 7)} ${pad('-', 6)}`);
  console.log(`${'variant'.padEnd(9)} ${pad('synth ms', 9)} ${pad('ratio', 6)} ${pad('process ms', 11)} ${pad('ratio', 6)} ${pad('Minstr', 7)} ${pad('ratio', 6)} ${pad('resources', 10)} ${pad('res/svc', 8)} ${pad('bytes/svc', 10)} ${pad('+bytes/svc', 11)}`);
  const plainProcessMs = median(processTimes.plain);
  for (const v of VARIANTS) {
    const ps = perService(v);
    const extraBytes = ps.bytes - perService('plain').bytes;
    const processMs = median(processTimes[v]);
    console.log(`${v.padEnd(9)} ${pad(median(times[v]).toFixed(0), 9)} ${pad((median(times[v]) / plainMs).toFixed(3), 6)} `
      + `${pad(processMs.toFixed(0), 11)} ${pad((processMs / plainProcessMs).toFixed(3), 6)} ${instructionCells(v)} `
      + `${pad(full[v].resources, 10)} ${pad(ps.resources.toFixed(2), 8)} ${pad(ps.bytes.toFixed(0), 10)} ${pad(extraBytes.toFixed(0), 11)}`);
  }

  const ratio = median(times.mackerel) / plainMs;
  const datadogRatio = median(times.datadog) / plainMs;
  const extraResources = perService('mackerel').resources - perService('plain').resources;
  const extraBytes = perService('mackerel').bytes - perService('plain').bytes;
  const handmadeRatio = median(times.handmade) / plainMs;
  console.log('targets (mackerel):');
  console.log(`  synth ratio ${ratio.toFixed(3)} <= ${TARGET_RATIO.toFixed(2)}: ${verdict(ratio <= TARGET_RATIO)}`);
  console.log(`  synth ratio ${ratio.toFixed(3)} <= datadog's ${datadogRatio.toFixed(3)}: ${verdict(ratio <= datadogRatio)}`);
  // Each round times every variant back to back, so a round's own ratio cancels the machine's slow
  // drift; the middle half of those ratios shows how far one run's median can be trusted.
  const quartile = roundRatioQuantile(times, 'mackerel');
  console.log(`  (per-round ratios: median ${quartile(0.5)}, middle half ${quartile(0.25)}-${quartile(0.75)})`);
  console.log(`  (whole process, for reference: ${(median(processTimes.mackerel) / plainProcessMs).toFixed(3)}; `
    + `datadog ${(median(processTimes.datadog) / plainProcessMs).toFixed(3)})`);
  if (instructions) {
    console.log(`  (instructions, for reference: ${(instructions.mackerel / instructions.plain).toFixed(3)}; `
      + `handmade ${(instructions.handmade / instructions.plain).toFixed(3)}, datadog ${(instructions.datadog / instructions.plain).toFixed(3)})`);
  }
  console.log(`  (floors: a bare second container has ratio ${(median(times.container) / plainMs).toFixed(3)}, `
    + `the same sidecar by hand with aws-cdk-lib alone ${handmadeRatio.toFixed(3)}; `
    + `the library's own share is ${(median(times.mackerel) / median(times.handmade)).toFixed(3)}x the handmade synth)`);
  console.log(`  extra resources per task ${extraResources.toFixed(2)} <= ${TARGET_EXTRA_RESOURCES}: ${verdict(extraResources <= TARGET_EXTRA_RESOURCES)}`);
  console.log(`  extra template per task ${extraBytes.toFixed(0)} B <= ${TARGET_EXTRA_BYTES} B: ${verdict(extraBytes <= TARGET_EXTRA_BYTES)}`);
  balanced(script);
  console.log(`(total ${((Date.now() - started) / 1000).toFixed(1)} s; template bytes are compact JSON)`);
}

/**
 * The same ratios for services shaped like examples/fargate (ecs-patterns, one load balancer
 * each). Not judged: a heavier service makes any agent's share smaller, so the targets stay on
 * the plainest one.
 */
function balanced(script: string): void {
  const times = noTimes();
  for (let round = -1; round < BALANCED_ROUNDS; round++) {
    const order = BALANCED_VARIANTS.map((_, i) => BALANCED_VARIANTS[(i + Math.max(round, 0)) % BALANCED_VARIANTS.length]);
    for (const v of order) {
      const run = synthesize(v, BALANCED_SERVICES, 'balanced');
      if (round >= 0) times[v].push(run.ms);
    }
  }
  const instructions = instructionCounts(script, BALANCED_VARIANTS, 'balanced');
  const plainMs = median(times.plain);
  console.log(`for reference, not judged: ${BALANCED_SERVICES} load-balanced services (ApplicationLoadBalancedFargateService, as in examples/fargate); `
    + `in-process median of ${BALANCED_ROUNDS} interleaved runs`);
  console.log(`${'variant'.padEnd(9)} ${pad('synth ms', 9)} ${pad('ratio', 6)} ${pad('round ratios (middle half)', 27)} ${pad('Minstr', 7)} ${pad('ratio', 6)}`);
  for (const v of BALANCED_VARIANTS) {
    const quartile = roundRatioQuantile(times, v);
    const spread = v === 'plain' ? '-' : `${quartile(0.25)}-${quartile(0.75)}`;
    const instructionCells = instructions
      ? `${pad(instructions[v].toFixed(0), 7)} ${pad((instructions[v] / instructions.plain).toFixed(3), 6)}`
      : `${pad('-', 7)} ${pad('-', 6)}`;
    console.log(`${v.padEnd(9)} ${pad(median(times[v]).toFixed(0), 9)} ${pad((median(times[v]) / plainMs).toFixed(3), 6)} `
      + `${pad(spread, 27)} ${instructionCells}`);
  }
}

if (process.argv[2] === '--once') {
  const builds = Number(process.argv[4] ?? 1);
  const workload = (process.argv[5] ?? 'service') as Workload;
  for (let i = 0; i < builds; i++) build(process.argv[3] as Variant, workload === 'balanced' ? BALANCED_SERVICES : SERVICES, workload).synth();
} else {
  main();
}
