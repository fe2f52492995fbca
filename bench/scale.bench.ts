// How synth grows with the size of a monitoring-as-code app: 10 stacks of services, each service
// with two roles, metadata on the service and on each role, and two monitors (one scoped to a role
// construct, one to a role by literal name). Measured at two sizes: with per-construct lookups
// linear, four times the services costs about four times the time; a walk of the app per
// construct made it grow with the square (stop 33 measured 200 services at 3.0 s CPU before the
// name index, 1.1 s after). The baseline is the same app of services and roles alone.
// Run with `npx tsx bench/run.ts scale`. Prints the median construct + synth time, the time per
// service, the growth from the small app to the large, and a digest of the warnings and errors.
import { createHash } from 'crypto';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  ConnectivityMonitor, MackerelApiKey, MackerelProvider, MackerelRoleMetadata, MackerelService, MackerelServiceMetadata, MonitorScope,
} from '../src';

const STACKS = 10;
const SIZES = [50, 200];
const ROUNDS = 5;

type Variant = 'services and roles' | 'with metadata and monitors';
const VARIANTS: Variant[] = ['services and roles', 'with metadata and monitors'];

function build(variant: Variant, services: number): App {
  const app = new App();
  for (let s = 0; s < STACKS; s++) {
    const stack = new Stack(app, `Stack${s}`);
    new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel')) });
    for (let i = 0; i < services / STACKS; i++) {
      const name = `shop${s}-${i}`;
      const service = new MackerelService(stack, `Service${i}`, { name });
      const web = service.addRole('web');
      const db = service.addRole('db');
      if (variant === 'services and roles') continue;
      new MackerelServiceMetadata(stack, `Owner${i}`, { service, namespace: 'owner', metadata: { team: 'platform' } });
      new MackerelServiceMetadata(stack, `Runbook${i}`, { service, namespace: 'runbook', metadata: { url: 'https://example.com/runbook' } });
      new MackerelRoleMetadata(stack, `WebTier${i}`, { role: web, namespace: 'tier', metadata: { tier: 'front' } });
      new MackerelRoleMetadata(stack, `DbTier${i}`, { role: db, namespace: 'tier', metadata: { tier: 'data' } });
      new ConnectivityMonitor(stack, `WebAlive${i}`, { name: `${name} web alive`, scopes: [MonitorScope.fromRole(web)] });
      new ConnectivityMonitor(stack, `DbAlive${i}`, { name: `${name} db alive`, scopes: [MonitorScope.of(`${name}:db`)] });
    }
  }
  return app;
}

function run(variant: Variant, services: number): { ms: number; messages: string[] } {
  const start = process.hrtime.bigint();
  const assembly = build(variant, services).synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const messages = assembly.stacks.flatMap((s) => s.messages.filter((m) => m.level !== 'info').map((m) => `${m.id} ${m.level} ${String(m.entry.data)}`));
  return { ms, messages };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const key = (v: Variant, n: number) => `${v} @ ${n}`;

// A warm-up round, then rounds interleaved so that the machine's load weighs on every variant alike.
for (const v of VARIANTS) run(v, SIZES[0]);
const times = new Map<string, number[]>();
const digests = new Map<string, string>();
for (let round = 0; round < ROUNDS; round++) {
  for (const n of SIZES) {
    for (const v of VARIANTS) {
      const { ms, messages } = run(v, n);
      times.set(key(v, n), [...(times.get(key(v, n)) ?? []), ms]);
      digests.set(key(v, n), `${messages.length} messages, sha256 ${createHash('sha256').update(messages.sort().join('\n')).digest('hex').slice(0, 12)}`);
    }
  }
}
const [small, large] = SIZES;
for (const v of VARIANTS) {
  for (const n of SIZES) {
    const m = median(times.get(key(v, n))!);
    console.log(`${v.padEnd(27)} ${String(n).padStart(4)} services: median ${m.toFixed(0).padStart(6)} ms, ${(m / n).toFixed(2).padStart(6)} ms per service, ${digests.get(key(v, n))}`);
  }
  const growth = median(times.get(key(v, large))!) / median(times.get(key(v, small))!);
  console.log(`${v.padEnd(27)} growth ${small} -> ${large} services: ${growth.toFixed(2)}x (linear ${(large / small).toFixed(0)}x)`);
}
