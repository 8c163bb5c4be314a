/**
 * Florence-2 at Florence-2-base's shapes (random weights, generated now, not committed; 768 x 768
 * images): ours with the model's own 3-beam search (and greedy) against transformers.js's
 * Florence2ForConditionalGeneration, which decodes greedily whatever num_beams says. Same ONNX
 * files and thread count, interleaved rounds (a warm-up first), medians.
 *
 *   npx tsx bench/florence.ts [--florence-images 4] [--rounds 5] [--threads 2]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AutoProcessor, env, Florence2ForConditionalGeneration, RawImage } from '@huggingface/transformers';
import type { DecodingOptions } from '../electron/core/api/decoding.ts';
import type { LoadOptions } from '../electron/core/inference/bundle.ts';
import { CaptionEngine } from '../electron/core/inference/engine.ts';
import { FIXTURES, fixtureReference, MODELS_DIR } from '../test/fixtures/bundles.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({
  options: {
    'florence-images': { type: 'string' },
    rounds: { type: 'string' },
    threads: { type: 'string' },
  },
});
const NF = Number(values['florence-images'] ?? 4);
const ROUNDS = Number(values.rounds ?? 5);
const THREADS = Number(values.threads ?? 2);
const dir = tempDir('cs-bench-');
env.allowRemoteModels = false;
const tjsOptions = {
  device: 'cpu',
  dtype: 'fp32',
  session_options: { intraOpNumThreads: THREADS, interOpNumThreads: 1 },
} as const;

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
  `florence: Florence-2 (base shapes) our 3-beam ${r2['ours 3-beam (the model default)'].toFixed(2)} img/s = ` +
    `${(r2['ours 3-beam (the model default)'] / ft).toFixed(2)}x of transformers.js greedy (${ft.toFixed(2)} img/s; our greedy ${(r2['ours greedy'] / ft).toFixed(2)}x)`,
);
