/**
 * Vitest global setup: the interface-faithful bundles of public models (`python -m
 * captioner.export.fixtures`), generated once per test run into test-output/fixtures/ — again only
 * when the generator or its inputs changed since the last run.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, MODELS_DIR } from './bundles.ts';

function inputsHash(): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        if (f !== '__pycache__') walk(p);
      } else if (/\.(py|json)$/.test(f)) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(MODELS_DIR, 'captioner'));
  walk(join(MODELS_DIR, 'fixtures'));
  return h.digest('hex');
}

export default function setup(): void {
  const stamp = join(FIXTURES, 'inputs.sha256');
  const hash = inputsHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return;
  const r = spawnSync('/usr/bin/python3', ['-m', 'captioner.export.fixtures', FIXTURES], {
    cwd: MODELS_DIR,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`generating the test bundles failed:\n${r.stderr}`);
  writeFileSync(stamp, hash);
}
