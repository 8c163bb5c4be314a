/**
 * Engine throughput: images/s on 64 images, greedy and beam-5 n-best, against transformers.js's
 * `image-to-text` pipeline (greedy; same ONNX files, same thread count) and PyTorch eager on the
 * same weights, all measured in this one run. Prints ratios to transformers.js; the last line is
 * the figure.
 *
 *   npx tsx bench/engine.ts [--images 64] [--threads 2]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { env, pipeline } from '@huggingface/transformers';
import { tempDir, writeGoodImages } from '../e2e/support/images.ts';
import { CaptionEngine } from '../electron/core/inference/engine.ts';

const { values } = parseArgs({ options: { images: { type: 'string' }, threads: { type: 'string' } } });
const N = Number(values.images ?? 64);
const THREADS = Number(values.threads ?? 2);
const BUNDLE = resolve(import.meta.dirname, '../models/default');

const dir = tempDir('cs-bench-');
const files = await writeGoodImages(join(dir, 'images'), N);

async function rate(label: string, run: () => Promise<unknown>): Promise<number> {
  await run(); // warm-up: sessions, allocations
  const t = performance.now();
  await run();
  const r = N / ((performance.now() - t) / 1000);
  console.log(`${label.padEnd(34)} ${r.toFixed(1).padStart(8)} img/s`);
  return r;
}

// ours, on the merged decoder file transformers.js also uses ("same ONNX files"), and on the split pair
async function ours(decoder: 'merged' | 'split') {
  const engine = await CaptionEngine.load(BUNDLE, { intraOpThreads: THREADS, decoder });
  const all = async (o: object) => {
    for await (const _ of engine.captionFiles(
      files.map((file) => ({ file })),
      engine.decoding(o),
      { batchSize: 16 },
    ));
  };
  const greedy = await rate(`ours greedy (${decoder})`, () => all({}));
  const beam = await rate(`ours beam-5 n-best (${decoder})`, () =>
    all({ num_beams: 5, num_return_sequences: 5 }),
  );
  await engine.dispose();
  return { greedy, beam };
}

async function transformersJs() {
  // transformers.js reads <model>/onnx/{encoder_model,decoder_model_merged}.onnx beside the configs
  const root = join(dir, 'tjs');
  const model = join(root, 'default');
  mkdirSync(join(model, 'onnx'), { recursive: true });
  for (const f of [
    'config.json',
    'generation_config.json',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
  ]) {
    symlinkSync(join(BUNDLE, f), join(model, f));
  }
  for (const f of ['encoder_model.onnx', 'decoder_model_merged.onnx'])
    symlinkSync(join(BUNDLE, f), join(model, 'onnx', f));
  env.allowRemoteModels = false;
  env.localModelPath = `${root}/`;
  const captioner = await pipeline('image-to-text', 'default', {
    device: 'cpu',
    dtype: 'fp32',
    session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
  });
  const r = await rate('transformers.js greedy', () => captioner(files, { max_new_tokens: 23 }));
  await captioner.dispose();
  return r;
}

function pytorch() {
  const py = spawnSync(
    '/usr/bin/python3',
    ['-m', 'captioner.bench_torch', BUNDLE, String(THREADS), ...files],
    {
      cwd: resolve(import.meta.dirname, '../models'),
      encoding: 'utf8',
    },
  );
  if (py.status !== 0) throw new Error(`PyTorch baseline failed: ${py.stderr}`);
  const r = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { greedy: number; beam5: number };
  console.log(`${'pytorch eager greedy'.padEnd(34)} ${r.greedy.toFixed(1).padStart(8)} img/s`);
  console.log(`${'pytorch eager beam-5'.padEnd(34)} ${r.beam5.toFixed(1).padStart(8)} img/s`);
  return r;
}

console.log(`engine bench: ${N} images, ${THREADS} threads`);
const tjs = await transformersJs();
const merged = await ours('merged');
const split = await ours('split');
const torch = pytorch();
const x = (v: number) => `${(v / tjs).toFixed(2)}x`;
console.log('ratios to transformers.js greedy (same run):');
console.log(`  ours greedy  merged ${x(merged.greedy)}  split ${x(split.greedy)}   (goal >= 2x)`);
console.log(`  ours beam-5  merged ${x(merged.beam)}  split ${x(split.beam)}   (goal >= 1.5x)`);
console.log(`  pytorch eager greedy ${x(torch.greedy)}, beam-5 ${x(torch.beam5)}`);
console.log(
  `engine: greedy ${x(merged.greedy)} and beam-5 ${x(merged.beam)} of transformers.js greedy on the same ONNX files`,
);
