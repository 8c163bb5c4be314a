/**
 * What batch-independent captions cost on a dynamically quantized model (issue #27). Three ways:
 * - `alone`: the files as found, one image per encoder call and per decoder pass (`decodeAlone`);
 * - `scales`: as the studio opens them (a data folder): the decoder's per-image-scales rewrite
 *   (graph/quant.ts), images batched in decoder passes, each image's rows quantized on their own;
 * - `shared` (the baseline, batch-DEPENDENT): the files as found batched across images (4 per
 *   encoder call, 16 decoder rows) as for any other graph, one scale over each call;
 * on the
 * shipped model's weights quantized as the public `_quantized` files are (made now in a temp
 * folder; encoder and split decoder pair), the same photo-size JPEGs, in-process, interleaved rounds after a warm-up, medians.
 *
 *   npx tsx bench/per-image.ts [--images 16] [--rounds 5]
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CaptionEngine } from '../electron/core/inference/engine.ts';
import { DEFAULT_BUNDLE, MODELS_DIR } from '../test/fixtures/bundles.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { writePhotos } from './support/photos.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({ options: { images: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(values.images ?? 16);
const ROUNDS = Number(values.rounds ?? 5);

const work = tempDir('cs-bench-per-image-');
const q8 = join(work, 'q8');
mkdirSync(q8);
for (const f of [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
])
  copyFileSync(join(DEFAULT_BUNDLE, f), join(q8, f));
const py = `from pathlib import Path\nfrom captioner.export.variants import quantize_int8\nfor n in ['encoder_model', 'decoder_model', 'decoder_with_past_model']:\n    quantize_int8(Path('${DEFAULT_BUNDLE}') / f'{n}.onnx', Path('${q8}') / f'{n}_quantized.onnx')\n`;
const r = spawnSync('/usr/bin/python3', ['-c', py], { cwd: MODELS_DIR, encoding: 'utf8' });
if (r.status !== 0) throw new Error(`quantizing failed:\n${r.stderr.slice(-2000)}`);
const photos = await writePhotos(join(work, 'photos'), N);

const alone = await CaptionEngine.load(q8, { dtype: 'q8' });
const scales = await CaptionEngine.load(q8, { dtype: 'q8', derivedDir: join(work, 'data') });
const shared = await CaptionEngine.load(q8, { dtype: 'q8' });
if (!alone.decodeAlone || scales.decodeAlone)
  throw new Error('the q8 files were not detected as dynamically quantized');
// the baseline: batching across images as for any other graph (the flags are the detection's result)
Object.assign(shared, { encodeAlone: false, decodeAlone: false });

async function rate(engine: CaptionEngine, beams: number): Promise<number> {
  const d = engine.decoding(beams > 1 ? { num_beams: beams, num_return_sequences: beams } : {});
  const t = performance.now();
  for await (const o of engine.captionFiles(
    photos.map((file) => ({ file })),
    d,
  ))
    if (!o.ok) throw new Error(o.error);
  return (N * 1000) / (performance.now() - t);
}

const runs: Record<string, number[]> = {};
for (let round = 0; round <= ROUNDS; round++) {
  for (const beams of [1, 5])
    for (const [name, e] of [
      ['alone', alone],
      ['scales', scales],
      ['shared', shared],
    ] as const) {
      const v = await rate(e, beams);
      if (round > 0) runs[`${name} beam-${beams}`] = [...(runs[`${name} beam-${beams}`] ?? []), v];
    }
}
for (const [k, v] of Object.entries(runs))
  console.log(`${k}: ${median(v).toFixed(2)} img/s (${v.map((x) => x.toFixed(2)).join(', ')})`);
for (const e of [alone, scales, shared]) await e.dispose();
const ratio = (name: string, b: number) =>
  median(runs[`${name} beam-${b}`]) / median(runs[`shared beam-${b}`]);
const line = (name: string) => `greedy ${ratio(name, 1).toFixed(2)}×, beam-5 ${ratio(name, 5).toFixed(2)}×`;
console.log(
  `per-image q8 (shipped model, ${N} photos), against shared scales: per-image scales ${line('scales')}; one image per pass ${line('alone')}`,
);
