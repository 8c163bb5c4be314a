/**
 * Engine throughput, images/s, every contestant on the same ONNX files and thread count, measured
 * in interleaved rounds (each round runs every contestant once; a warm-up run first) and reported as
 * medians: noisy machines slow all contestants of a round alike.
 *
 * 1. The shipped model, 64 images: ours greedy and beam-5 n-best (merged and split decoders) against
 *    transformers.js's `image-to-text` pipeline (greedy); PyTorch eager on the same weights (one run,
 *    a subprocess).
 * 2. Florence-2 at Florence-2-base's shapes (random weights, generated now, not committed; 768 x 768
 *    images): ours with the model's own 3-beam search (and greedy) against transformers.js's
 *    Florence2ForConditionalGeneration, which decodes greedily whatever num_beams says.
 *
 *   npx tsx bench/engine.ts [--images 64] [--florence-images 4] [--rounds 3] [--threads 2]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AutoProcessor,
  env,
  Florence2ForConditionalGeneration,
  pipeline,
  RawImage,
} from '@huggingface/transformers';
import { FIXTURES, fixtureReference, MODELS_DIR } from '../e2e/support/bundles.ts';
import { tempDir, writeGoodImages } from '../e2e/support/images.ts';
import type { DecodingOptions } from '../electron/core/api/decoding.ts';
import type { LoadOptions } from '../electron/core/inference/bundle.ts';
import { CaptionEngine } from '../electron/core/inference/engine.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    'florence-images': { type: 'string' },
    rounds: { type: 'string' },
    threads: { type: 'string' },
  },
});
const N = Number(values.images ?? 64);
const NF = Number(values['florence-images'] ?? 4);
const ROUNDS = Number(values.rounds ?? 3);
const THREADS = Number(values.threads ?? 2);
const BUNDLE = join(MODELS_DIR, 'default');
const dir = tempDir('cs-bench-');
env.allowRemoteModels = false;
const tjsOptions = {
  device: 'cpu',
  dtype: 'fp32',
  session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
} as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** images/s of each contestant: a warm-up, then ROUNDS interleaved rounds; medians. */
async function race(
  images: number,
  contestants: Record<string, () => Promise<unknown>>,
): Promise<Record<string, number>> {
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(contestants).map((k) => [k, []]));
  for (const run of Object.values(contestants)) await run();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(contestants)) {
      const t = performance.now();
      await run();
      rates[name].push(images / ((performance.now() - t) / 1000));
    }
  }
  const out = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, median(v)]));
  for (const [k, v] of Object.entries(out))
    console.log(
      `${k.padEnd(40)} ${v.toFixed(2).padStart(8)} img/s  (rounds: ${rates[k].map((x) => x.toFixed(2)).join(', ')})`,
    );
  return out;
}

async function ours(bundle: string, load: LoadOptions, files: string[], batchSize: number) {
  const engine = await CaptionEngine.load(bundle, { intraOpThreads: THREADS, ...load });
  return {
    engine,
    run: (o: DecodingOptions) => async () => {
      for await (const r of engine.captionFiles(
        files.map((file) => ({ file })),
        engine.decoding(o),
        { batchSize },
      ))
        if (!r.ok) throw new Error(r.error);
    },
  };
}

// ---- 1. the shipped model --------------------------------------------------------------------------

const files = await writeGoodImages(join(dir, 'images'), N);
// transformers.js reads <model>/onnx/{encoder_model,decoder_model_merged}.onnx beside the configs
const tjsRoot = join(dir, 'tjs');
const tjsModel = join(tjsRoot, 'default');
mkdirSync(join(tjsModel, 'onnx'), { recursive: true });
for (const f of [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
])
  symlinkSync(join(BUNDLE, f), join(tjsModel, f));
for (const f of ['encoder_model.onnx', 'decoder_model_merged.onnx'])
  symlinkSync(join(BUNDLE, f), join(tjsModel, 'onnx', f));
env.localModelPath = `${tjsRoot}/`;
const captioner = await pipeline('image-to-text', 'default', tjsOptions);
const merged = await ours(BUNDLE, { decoder: 'merged' }, files, 16);
const split = await ours(BUNDLE, { decoder: 'split' }, files, 16);
console.log(`the shipped model: ${N} images, ${THREADS} threads, ${ROUNDS} rounds`);
const r1 = await race(N, {
  'transformers.js greedy': () => captioner(files, { max_new_tokens: 23 }),
  'ours greedy (merged)': merged.run({}),
  'ours greedy (split)': split.run({}),
  'ours beam-5 n-best (merged)': merged.run({ num_beams: 5, num_return_sequences: 5 }),
  'ours beam-5 n-best (split)': split.run({ num_beams: 5, num_return_sequences: 5 }),
});
await Promise.all([captioner.dispose(), merged.engine.dispose(), split.engine.dispose()]);
const py = spawnSync('/usr/bin/python3', ['-m', 'captioner.bench_torch', BUNDLE, String(THREADS), ...files], {
  cwd: MODELS_DIR,
  encoding: 'utf8',
});
if (py.status !== 0) throw new Error(`PyTorch baseline failed: ${py.stderr}`);
const torch = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { greedy: number; beam5: number };
console.log(
  `${'pytorch eager greedy / beam-5 (one run)'.padEnd(40)} ${torch.greedy.toFixed(2)} / ${torch.beam5.toFixed(2)} img/s`,
);
const tjs = r1['transformers.js greedy'];
const x = (v: number, base = tjs) => `${(v / base).toFixed(2)}x`;
console.log(
  `ratios to transformers.js greedy: ours greedy merged ${x(r1['ours greedy (merged)'])}, split ${x(r1['ours greedy (split)'])}; ` +
    `beam-5 merged ${x(r1['ours beam-5 n-best (merged)'])}, split ${x(r1['ours beam-5 n-best (split)'])}; ` +
    `pytorch eager greedy ${x(torch.greedy)}, beam-5 ${x(torch.beam5)}`,
);

// ---- 2. Florence-2 at Florence-2-base's shapes -----------------------------------------------------

const florence = join(dir, 'florence-2-base-shaped');
const gen = spawnSync('/usr/bin/python3', ['-m', 'captioner.export.fixtures', '--florence-real', florence], {
  cwd: MODELS_DIR,
  encoding: 'utf8',
});
if (gen.status !== 0) throw new Error(`generating the Florence-2-shaped bundle failed: ${gen.stderr}`);
const photos = fixtureReference().florence.images;
const ffiles = Array.from({ length: NF }, (_, i) => {
  const f = join(dir, `florence-${i}.png`);
  copyFileSync(join(FIXTURES, 'florence-images', photos[i % photos.length]), f);
  return f;
});
env.localModelPath = `${dir}/`;
const tjsFlorence = await Florence2ForConditionalGeneration.from_pretrained(
  'florence-2-base-shaped',
  tjsOptions,
);
const processor = await AutoProcessor.from_pretrained('florence-2-base-shaped');
// Florence2Processor's own task -> prompt mapping
const prompt = (processor as unknown as { construct_prompts(task: string): string[] }).construct_prompts(
  '<CAPTION>',
);
const ourFlorence = await ours(florence, {}, ffiles, 4);
console.log(`Florence-2 at base shapes (random weights): ${NF} images of 768 x 768, task caption`);
const r2 = await race(NF, {
  'transformers.js greedy': async () => {
    for (const f of ffiles)
      await tjsFlorence.generate({ ...(await processor(await RawImage.read(f), prompt)) });
  },
  'ours 3-beam (the model default)': ourFlorence.run({}),
  'ours greedy': ourFlorence.run({ num_beams: 1 }),
});
await Promise.all([tjsFlorence.dispose(), ourFlorence.engine.dispose()]);
const ft = r2['transformers.js greedy'];
console.log(
  `engine: shipped model greedy ${x(r1['ours greedy (merged)'])} and beam-5 ${x(r1['ours beam-5 n-best (merged)'])} of transformers.js greedy; ` +
    `Florence-2 (base shapes) our 3-beam ${r2['ours 3-beam (the model default)'].toFixed(2)} img/s = ` +
    `${x(r2['ours 3-beam (the model default)'], ft)} of transformers.js greedy (${ft.toFixed(2)} img/s; our greedy ${x(r2['ours greedy'], ft)})`,
);
