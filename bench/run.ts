// Runs every bench/*.bench.ts in its own process, one after another, so that one benchmark's
// warm caches never flatter the next. Each prints its own figures beside its baseline.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const only = process.argv[2];
const files = fs.readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !only || f.includes(only))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${JSON.stringify(only ?? '*')}`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, file)], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
