/**
 * `npm run bench`: every benchmark in this folder, one after another (each in its own process, so
 * none disturbs another's measurements), then each one's figure (its last line) together.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
  .sort();
const figures: string[] = [];
for (const b of benches) {
  console.log(`\n=== ${b}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, b)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  process.stdout.write(r.stdout);
  figures.push(r.status === 0 ? r.stdout.trim().split('\n').at(-1)! : `${b}: failed (exit ${r.status})`);
}
console.log('\n=== figures');
for (const f of figures) console.log(f);
