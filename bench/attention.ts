/**
 * The cross-attention rewrite of a vit-gpt2-image-captioning-sized merged decoder (12 layers, width
 * 768, 50,257 tokens; random weights, generated now by `python -m captioner.export.vitgpt2_shaped`,
 * ~5 GB, never committed): its time and peak RSS, against a baseline in the same run that only
 * reads and hashes the file (the floor of any derivation: the source's bytes, sha256). Each run is
 * its own process (peak RSS its own), a fresh data directory each time (so the rewrite happens);
 * interleaved rounds, medians. The same process then asks again: the second load reuses the file.
 *
 *   npx tsx bench/attention.ts [--rounds 5] [--keep DIR] [--source DECODER.onnx (another file instead)]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { derivedFile, sha256File } from '../electron/core/inference/graph/derived.ts';
import { MODELS_DIR } from '../test/fixtures/bundles.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    source: { type: 'string' },
    keep: { type: 'string' },
    child: { type: 'string' },
    file: { type: 'string' },
  },
});

interface Run {
  ms: number;
  peakMiB: number;
  againMs?: number;
  made?: boolean;
  madeAgain?: boolean;
}

/** One measurement in this process: `rewrite` (then a second ask) or `baseline`. */
async function child(kind: string, file: string): Promise<Run> {
  const started = performance.now();
  let out: Run;
  if (kind === 'rewrite') {
    const { crossAttentionRewrite } = await import('../electron/core/inference/graph/attention.ts');
    const data = tempDir('cs-bench-attn-');
    const first = await derivedFile(data, file, crossAttentionRewrite);
    const ms = performance.now() - started;
    const again = performance.now();
    const second = await derivedFile(data, file, crossAttentionRewrite);
    out = { ms, peakMiB: 0, againMs: performance.now() - again, made: first.made, madeAgain: second.made };
  } else {
    await sha256File(file);
    out = { ms: performance.now() - started, peakMiB: 0 };
  }
  out.peakMiB = process.resourceUsage().maxRSS / 1024;
  return out;
}

if (values.child) {
  console.log(JSON.stringify(await child(values.child, values.file!)));
  process.exit(0);
}

const ROUNDS = Number(values.rounds ?? 5);
const work = values.keep ?? tempDir('cs-bench-attention-');

const shaped = join(work, 'vit-gpt2-shaped');
const file = values.source ?? join(shaped, 'vit-gpt2', 'onnx', 'decoder_model_merged.onnx');
if (!existsSync(file)) {
  const r = spawnSync('/usr/bin/python3', ['-m', 'captioner.export.vitgpt2_shaped', shaped], {
    cwd: MODELS_DIR,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vitgpt2_shaped failed:\n${r.stderr.slice(-2000)}`);
}
const size = statSync(file).size / 2 ** 20;

function measure(kind: 'rewrite' | 'baseline'): Run {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', import.meta.filename, '--child', kind, '--file', file],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) throw new Error(`${kind} run failed:\n${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const runs: Record<'rewrite' | 'baseline', Run[]> = { rewrite: [], baseline: [] };
measure('baseline'); // warm-up: the file into the page cache
for (let i = 0; i < ROUNDS; i++)
  for (const kind of i % 2 ? (['baseline', 'rewrite'] as const) : (['rewrite', 'baseline'] as const))
    runs[kind].push(measure(kind));
if (runs.rewrite.some((r) => !r.made || r.madeAgain))
  throw new Error('each fresh data directory should rewrite once, then reuse');

const m = (k: 'rewrite' | 'baseline', f: (r: Run) => number) => median(runs[k].map(f));
console.log(`${file}: ${size.toFixed(0)} MiB; ${ROUNDS} interleaved rounds, medians`);
console.log(
  `baseline (read + sha256): ${m('baseline', (r) => r.ms).toFixed(0)} ms, peak RSS ${m('baseline', (r) => r.peakMiB).toFixed(0)} MiB`,
);
console.log(`second ask (reuse): ${m('rewrite', (r) => r.againMs!).toFixed(0)} ms, nothing rewritten`);
console.log(
  `attention rewrite of a ${size.toFixed(0)} MiB decoder: ${m('rewrite', (r) => r.ms).toFixed(0)} ms ` +
    `(baseline ${m('baseline', (r) => r.ms).toFixed(0)} ms), peak RSS ${m('rewrite', (r) => r.peakMiB).toFixed(0)} MiB ` +
    `(${(m('rewrite', (r) => r.peakMiB) / size).toFixed(2)}x the file)`,
);
