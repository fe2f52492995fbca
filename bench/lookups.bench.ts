// Synth cost of the checks that look a service or role up by name across the app: uniqueness,
// and the importedByLiteralName warning on each import by a literal. An app of 50 stacks, each
// with its provider, a service and two roles, plain or with 1000 imports by literal name (of a
// role, or of a service) spread over the 49 stacks that do not create it, each warned about.
// Run with `npx tsx bench/run.ts lookups`. Prints the median construct + synth time per app, and
// the number and a digest of the warnings and errors, which must not change with the speed.
import { createHash } from 'crypto';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { MackerelApiKey, MackerelProvider, MackerelRole, MackerelService } from '../src';

const STACKS = 50;
const IMPORTS = 1000;
const ROUNDS = 7;

type Variant = 'plain' | 'role imports' | 'service imports';
const VARIANTS: Variant[] = ['plain', 'role imports', 'service imports'];

function build(variant: Variant): App {
  const app = new App();
  const stacks = Array.from({ length: STACKS }, (_, i) => {
    const stack = new Stack(app, `Stack${i}`);
    new MackerelProvider(stack, 'Mackerel', { apiKey: MackerelApiKey.fromSecretsManager(secretsmanager.Secret.fromSecretNameV2(stack, 'Key', 'mackerel')) });
    const service = new MackerelService(stack, 'Service', { name: `shop${i}` });
    service.addRole('web');
    service.addRole('db');
    return stack;
  });
  for (let i = 0; i < (variant === 'plain' ? 0 : IMPORTS); i++) {
    // Each import names what the first stack creates, from one of the others.
    const stack = stacks[1 + (i % (STACKS - 1))];
    if (variant === 'role imports') MackerelRole.fromFullName(stack, `Web${i}`, 'shop0:web');
    else MackerelService.fromName(stack, `Shop${i}`, 'shop0');
  }
  return app;
}

function run(variant: Variant): { ms: number; messages: string[] } {
  const start = process.hrtime.bigint();
  const assembly = build(variant).synth();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const messages = assembly.stacks.flatMap((s) => s.messages.filter((m) => m.level !== 'info').map((m) => `${m.id} ${m.level} ${String(m.entry.data)}`));
  return { ms, messages };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// A warm-up round, then rounds interleaved so that the machine's load weighs on every variant alike.
for (const v of VARIANTS) run(v);
const times: Record<Variant, number[]> = { 'plain': [], 'role imports': [], 'service imports': [] };
const digests: Partial<Record<Variant, string>> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const v of VARIANTS) {
    const { ms, messages } = run(v);
    times[v].push(ms);
    digests[v] = `${messages.length} messages, sha256 ${createHash('sha256').update(messages.sort().join('\n')).digest('hex').slice(0, 12)}`;
  }
}
for (const v of VARIANTS) {
  console.log(`${v.padEnd(16)} median ${median(times[v]).toFixed(0).padStart(5)} ms (min ${Math.min(...times[v]).toFixed(0)}, max ${Math.max(...times[v]).toFixed(0)}), ${digests[v]}`);
}
