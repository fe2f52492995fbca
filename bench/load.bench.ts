// What `require('cdk-mackerel')` costs an app, beside what aws-cdk-lib's core and ECS modules cost
// any ECS app. Each figure is one fresh `node` per run, interleaved round by round with the order
// rotated, so that the machine's load spreads over every variant alike:
// - core + ECS (the baseline): aws-cdk-lib and aws-cdk-lib/aws-ecs required, and the classes an
//   ECS app uses read (App, Stack, FargateTaskDefinition, ContainerImage, LogDrivers, Secret);
// - then, timed apart in the same process: requiring the library alone; requiring it and reading
//   what an agent-only app reads (MackerelAgentExtension, MackerelApiKey); requiring it and
//   reading every export (what the library cost before its entry point was lazy, and what an app
//   using every part of it still pays).
// Printed: the median and the spread (min-max) of each, in wall time and in CPU time (which other
// processes sway less, as it leaves out the time spent waiting for a CPU), and the modules each
// loaded (ours, and aws-cdk-lib's). The module counts do not wander with the machine's load; the times do.
// Run with `npx projen bench` (compiles first) or `node --import tsx bench/run.ts load` on a built lib/.
// BENCH_LIB=<dir> measures another build of the library (a lib/ from an older commit).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROUNDS = 11;
const ROOT = path.resolve(__dirname, '..');
const LIB = path.resolve(process.env.BENCH_LIB ?? path.join(ROOT, 'lib'));

type Variant = 'require' | 'agent' | 'everything';
const VARIANTS: Variant[] = ['require', 'agent', 'everything'];

interface Run {
  /** ms to load aws-cdk-lib core and ECS. */
  readonly baseline: number;
  /** ms to require the library and read what the variant reads. */
  readonly mackerel: number;
  /** CPU ms (user + system, every thread) of the same two steps: less swayed by other processes than wall time. */
  readonly baselineCpu: number;
  readonly mackerelCpu: number;
  readonly baselineFiles: { readonly cdk: number };
  readonly mackerelFiles: { readonly own: number; readonly cdk: number };
  /** aws-cdk-lib submodules the library loaded that core + ECS did not. */
  readonly cdkSubmodules: string[];
}

/** The child, plain JavaScript: a TypeScript loader would add its own start-up to every run. */
const CHILD = `'use strict';
const path = require('path');
const Module = require('module');
const [lib, variant] = process.argv.slice(2);
const requireHere = Module.createRequire(path.join(lib, 'index.js'));
const cdkFiles = () => Object.keys(require.cache).filter((f) => /[\\\\/]aws-cdk-lib[\\\\/]/.test(f));
const submodules = (files) => new Set(files.map((f) => /[\\\\/]aws-cdk-lib[\\\\/](?:([^\\\\/]+)[\\\\/])?/.exec(f)[1] ?? 'index'));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
const c0 = cpu();
const t0 = process.hrtime.bigint();
const cdk = requireHere('aws-cdk-lib');
const ecs = requireHere('aws-cdk-lib/aws-ecs');
void [cdk.App, cdk.Stack, ecs.FargateTaskDefinition, ecs.ContainerImage, ecs.LogDrivers, ecs.Secret];
const t1 = process.hrtime.bigint();
const c1 = cpu();
const baseline = cdkFiles();
const m = require(lib);
if (variant === 'agent') void [m.MackerelAgentExtension, m.MackerelApiKey];
if (variant === 'everything') for (const name of Object.keys(m)) void m[name];
const t2 = process.hrtime.bigint();
const c2 = cpu();
const after = cdkFiles();
const before = submodules(baseline);
console.log(JSON.stringify({
  baseline: Number(t1 - t0) / 1e6,
  mackerel: Number(t2 - t1) / 1e6,
  baselineCpu: c1 - c0,
  mackerelCpu: c2 - c1,
  baselineFiles: { cdk: baseline.length },
  mackerelFiles: { own: Object.keys(require.cache).filter((f) => f.startsWith(lib + path.sep)).length, cdk: after.length - baseline.length },
  cdkSubmodules: [...submodules(after)].filter((s) => !before.has(s)).sort(),
}));
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function spread(values: number[]): string {
  return `${median(values).toFixed(1).padStart(6)} ms (${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)})`;
}

function main(): void {
  if (!fs.existsSync(path.join(LIB, 'index.js'))) {
    console.error(`no ${path.join(LIB, 'index.js')}: build the library first (npx projen compile)`);
    process.exit(1);
  }
  const script = path.join(ROOT, 'bench', 'out', 'load-once.js');
  fs.mkdirSync(path.dirname(script), { recursive: true });
  fs.writeFileSync(script, CHILD);
  const runs: Record<Variant, Run[]> = { require: [], agent: [], everything: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length])) {
      const child = spawnSync(process.execPath, [script, LIB, v], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`the ${v} run failed (exit ${child.status}):\n${child.stderr}`);
      runs[v].push(JSON.parse(child.stdout));
    }
  }
  const all = VARIANTS.flatMap((v) => runs[v]);
  console.log(`require time of ${path.relative(process.cwd(), LIB) || '.'}, ${ROUNDS} fresh processes per variant, median (min-max):`);
  console.log(`${''.padEnd(50)}wall${''.padEnd(21)}CPU`);
  console.log(`  aws-cdk-lib core + ECS (baseline, every run) ${spread(all.map((r) => r.baseline))}  ${spread(all.map((r) => r.baselineCpu))}`
    + `   aws-cdk-lib files: ${all[0].baselineFiles.cdk}`);
  for (const v of VARIANTS) {
    const last = runs[v][runs[v].length - 1];
    console.log(`  + cdk-mackerel, ${v.padEnd(10)}${''.padEnd(19)}${spread(runs[v].map((r) => r.mackerel))}  ${spread(runs[v].map((r) => r.mackerelCpu))}   `
      + `its files: ${last.mackerelFiles.own}, more aws-cdk-lib files: ${last.mackerelFiles.cdk}`
      + (last.cdkSubmodules.length ? `, aws-cdk-lib submodules beyond core + ECS: ${last.cdkSubmodules.join(' ')}` : ''));
  }
  console.log('  (require: the entry point alone; agent: + MackerelAgentExtension and MackerelApiKey; everything: + every export)');
}

main();
