// Synth cost of instrumenting 50 Fargate services three ways: plain, with the Mackerel agent
// (MackerelAgentExtension) and with Datadog's DatadogECSFargate. Run with `npx tsx bench/run.ts synth`.
//
// Timing is in-process (construct + synth of a fresh App, modules already loaded), interleaved
// round by round with the order rotated, after one warm-up round. A fresh process per run would
// mostly time module loading (≈ 0.35 s, the same for every variant; research/toolchain.md §6)
// and the ratio would hide what instrumenting costs; in one process every variant meets the
// same warm JIT and the same machine load, which is what a ratio needs.
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DatadogECSFargate } from 'datadog-cdk-constructs-v2';
import { MackerelAgentExtension, MackerelApiKey } from '../src';

const SERVICES = 50;
const ROUNDS = 31;
const TARGET_RATIO = 1.10;
const TARGET_EXTRA_RESOURCES = 0;
const TARGET_EXTRA_BYTES = 1.5 * 1024;

type Variant = 'plain' | 'handmade' | 'mackerel' | 'datadog';
const VARIANTS: Variant[] = ['plain', 'handmade', 'mackerel', 'datadog'];

interface Shape { readonly resources: number; readonly bytes: number }

/** One stack: a VPC, a cluster, the key secret and `services` Fargate services of one variant. */
function build(variant: Variant, services: number): App {
  const app = new App();
  const stack = new Stack(app, 'Bench');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  // both instrumented variants read the key from the same kind of secret, created once
  const secret = new secretsmanager.Secret(stack, 'ApiKey');
  const datadog = new DatadogECSFargate({ apiKeySecret: secret, site: 'datadoghq.com' });
  const mackerel = new MackerelAgentExtension({ apiKey: MackerelApiKey.fromSecretsManager(secret), roles: ['bench:web'] });
  const agentLogs = variant === 'handmade' ? new logs.LogGroup(stack, 'AgentLogs', { retention: logs.RetentionDays.ONE_MONTH }) : undefined;
  for (let i = 0; i < services; i++) {
    const props = { cpu: 256, memoryLimitMiB: 512 };
    const taskDefinition = variant === 'datadog'
      ? datadog.fargateTaskDefinition(stack, `Task${i}`, props)
      : new ecs.FargateTaskDefinition(stack, `Task${i}`, props);
    taskDefinition.addContainer('web', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1.27'),
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'web' }),
      portMappings: [{ containerPort: 80 }],
    });
    if (variant === 'mackerel') taskDefinition.addExtension(mackerel);
    if (variant === 'handmade') addAgentByHand(taskDefinition, secret, agentLogs!);
    new ecs.FargateService(stack, `Service${i}`, { cluster, taskDefinition, desiredCount: 1, minHealthyPercent: 100 });
  }
  return app;
}

/**
 * The same sidecar written by hand with aws-cdk-lib alone (no validation, no annotations): the
 * floor any library producing this template has to pay for the container, its secret and grant,
 * its log configuration and the dependency.
 */
function addAgentByHand(taskDefinition: ecs.TaskDefinition, secret: secretsmanager.ISecret, logGroup: logs.ILogGroup): void {
  const agent = taskDefinition.addContainer('mackerel-container-agent', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/mackerel/mackerel-container-agent:v0.13.2'),
    memoryLimitMiB: 128,
    essential: false,
    stopTimeout: Duration.seconds(100),
    logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'mackerel' }),
    environment: { MACKEREL_CONTAINER_PLATFORM: 'ecs', MACKEREL_ROLES: 'bench:web', MACKEREL_IGNORE_CONTAINER: '\\Amackerel-container-agent\\z' },
    secrets: { MACKEREL_APIKEY: ecs.Secret.fromSecretsManager(secret) },
  });
  taskDefinition.defaultContainer!.addContainerDependencies({ container: agent, condition: ecs.ContainerDependencyCondition.START });
}

function synthesize(variant: Variant, services: number): { ms: number; shape: Shape } {
  const start = process.hrtime.bigint();
  const assembly = build(variant, services).synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const template = assembly.getStackByName('Bench').template;
  return { ms, shape: { resources: Object.keys(template.Resources).length, bytes: JSON.stringify(template).length } };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pad = (s: string | number, n: number) => String(s).padStart(n);
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function main(): void {
  const started = Date.now();
  const base: Record<Variant, Shape> = {} as any;
  const full: Record<Variant, Shape> = {} as any;
  const times: Record<Variant, number[]> = { plain: [], handmade: [], mackerel: [], datadog: [] };
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

  const plainMs = median(times.plain);
  const perService = (v: Variant) => ({
    resources: (full[v].resources - base[v].resources) / (SERVICES - 1),
    bytes: (full[v].bytes - base[v].bytes) / (SERVICES - 1),
  });
  console.log(`${SERVICES} Fargate services per app, one stack; median of ${ROUNDS} interleaved in-process runs (construct + synth) after a warm-up round`);
  const fixed = (v: Variant) => base[v].resources - perService(v).resources;
  console.log(`fixed cost per stack (1-service app minus one service): ${VARIANTS.map((v) => `${v} ${fixed(v)}`).join(', ')} resources`);
  console.log(`${'variant'.padEnd(9)} ${pad('synth ms', 9)} ${pad('ratio', 6)} ${pad('resources', 10)} ${pad('res/svc', 8)} ${pad('bytes/svc', 10)} ${pad('+bytes/svc', 11)}`);
  for (const v of VARIANTS) {
    const ps = perService(v);
    const extraBytes = ps.bytes - perService('plain').bytes;
    console.log(`${v.padEnd(9)} ${pad(median(times[v]).toFixed(0), 9)} ${pad((median(times[v]) / plainMs).toFixed(3), 6)} ${pad(full[v].resources, 10)} ${pad(ps.resources.toFixed(2), 8)} ${pad(ps.bytes.toFixed(0), 10)} ${pad(extraBytes.toFixed(0), 11)}`);
  }

  const ratio = median(times.mackerel) / plainMs;
  const datadogRatio = median(times.datadog) / plainMs;
  const extraResources = perService('mackerel').resources - perService('plain').resources;
  const extraBytes = perService('mackerel').bytes - perService('plain').bytes;
  const handmadeRatio = median(times.handmade) / plainMs;
  console.log('targets (mackerel):');
  console.log(`  synth ratio ${ratio.toFixed(3)} <= ${TARGET_RATIO.toFixed(2)}: ${verdict(ratio <= TARGET_RATIO)}`);
  console.log(`  synth ratio ${ratio.toFixed(3)} <= datadog's ${datadogRatio.toFixed(3)}: ${verdict(ratio <= datadogRatio)}`);
  console.log(`  (floor: the same sidecar by hand with aws-cdk-lib alone has ratio ${handmadeRatio.toFixed(3)}; `
    + `the library's own share is ${(median(times.mackerel) / median(times.handmade)).toFixed(3)}x the handmade synth)`);
  console.log(`  extra resources per task ${extraResources.toFixed(2)} <= ${TARGET_EXTRA_RESOURCES}: ${verdict(extraResources <= TARGET_EXTRA_RESOURCES)}`);
  console.log(`  extra template per task ${extraBytes.toFixed(0)} B <= ${TARGET_EXTRA_BYTES} B: ${verdict(extraBytes <= TARGET_EXTRA_BYTES)}`);
  console.log(`(total ${((Date.now() - started) / 1000).toFixed(1)} s; template bytes are compact JSON)`);
}

main();
