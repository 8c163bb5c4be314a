/**
 * Batch-independent captions for dynamically quantized graphs (issue #27): DynamicQuantizeLinear
 * takes one activation scale over a whole call, so the engine encodes such a model's images one by
 * one, and its decoder either takes one image's beams per pass, as transformers.js and HF
 * `generate` run one image (opened as found), or is opened from its per-image-scales rewrite
 * (graph/quant.ts `scaledDecoder`, as the studio opens it, with a data folder) and takes several
 * images per pass, each image's rows quantized on their own. Checked on the q8 fixture (`_quantized`), on the same graphs under the uint8 variant's
 * file names (the public uint8 files quantize activations the same way: DynamicQuantizeLinear to
 * uint8), and on Florence-2's q8 files: every image's captions (greedy and beam-5, tokens and scores)
 * are the same alone as in every batch of the test folder, and greedy equals transformers.js's.
 */
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixtureReference } from '../../../test/fixtures/bundles.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { sameRuntime, transformersGreedy } from '../../../test/fixtures/transformers-js.ts';
import { DEFAULT_BATCH_SIZE } from '../api/contract.ts';
import { CaptionEngine, type GeneratedCaption } from './engine.ts';
import { dynamicallyQuantized } from './graph/quant.ts';
import { onnxVariants } from './runtime/variants.ts';

const ref = fixtureReference();
const IMAGES = ref.images.map((f) => join(FIXTURES, 'images', f));

/** quantized-only's files under the uint8 variant's names (`*_uint8.onnx`), links to the same bytes */
function uint8Folder(): string {
  const dir = join(FIXTURES, '..', 'batch-independence', 'uint8');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const src = join(FIXTURES, 'quantized-only');
  for (const f of readdirSync(src)) if (f !== 'onnx') symlinkSync(join(src, f), join(dir, f));
  for (const f of readdirSync(join(src, 'onnx')))
    symlinkSync(join(src, 'onnx', f), join(dir, 'onnx', f.replace('_quantized.onnx', '_uint8.onnx')));
  return dir;
}

/** Every subset of the folder with at least two images, in folder order and reversed. */
function companions(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    const set = [...Array(n).keys()].filter((i) => mask & (1 << i));
    if (set.length > 1) out.push(set, [...set].reverse());
  }
  // more images than one encoder call takes (ENCODER_IMAGES = 4): the folder twice over
  out.push([...Array(2 * n).keys()].map((i) => i % n));
  return out;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

const same = (a: GeneratedCaption[], b: GeneratedCaption[]) =>
  a.map((c) => [c.tokens, c.score, c.sum]).toString() === b.map((c) => [c.tokens, c.score, c.sum]).toString();

const SOURCES: { name: string; dir: () => string; dtype: 'q8' | 'uint8'; tjs: boolean }[] = [
  { name: 'q8 (quantized-only)', dir: () => join(FIXTURES, 'quantized-only'), dtype: 'q8', tjs: true },
  { name: 'uint8 names', dir: uint8Folder, dtype: 'uint8', tjs: true },
  { name: 'Florence-2 q8', dir: () => join(FIXTURES, 'florence-repo'), dtype: 'q8', tjs: false },
];
const CASES = SOURCES.flatMap((s) => [
  { ...s, scaled: false },
  { ...s, name: `${s.name}, per-image scales`, scaled: true },
]);

describe.each(CASES)('$name', ({ dir: folder, dtype, tjs, name, scaled }) => {
  let engine: CaptionEngine;
  let dir: string;
  const images = name.startsWith('Florence')
    ? ref.florence.images.map((f) => join(FIXTURES, 'florence-images', f))
    : IMAGES;
  beforeAll(async () => {
    dir = folder();
    const derivedDir = scaled ? tempDir('cs-scales-') : undefined;
    engine = await CaptionEngine.load(dir, { dtype, intraOpThreads: 1, derivedDir });
  });
  afterAll(() => engine?.dispose());

  it(`is detected as dynamically quantized (fp32 files of the same model are not)${scaled ? '; the rewrite batches images' : ''}`, async () => {
    expect(engine.info.dtype).toBe(dtype);
    expect(engine.encodeAlone).toBe(true);
    const { files, opened } = engine.bundle.decoder;
    // rewritten: no quantization node is left that spans rows of several images
    expect(engine.decodeAlone).toBe(!scaled);
    expect(opened.some((f) => !files.includes(f))).toBe(scaled);
    const fp32 = onnxVariants(dir).get('fp32');
    if (fp32) expect(await dynamicallyQuantized(fp32.values())).toBe(false);
  });

  for (const beams of [1, 5]) {
    it(`${beams === 1 ? 'greedy' : 'beam-5'}: each image's captions alone equal them in every batch`, async () => {
      const d = engine.decoding(beams === 1 ? {} : { num_beams: 5, num_return_sequences: 5 });
      const alone: GeneratedCaption[][] = [];
      for (const file of images) {
        const [o] = await collect(engine.captionFiles([{ file }], d));
        if (!o.ok) throw new Error(o.error);
        alone.push(o.result.candidates);
      }
      for (const set of companions(images.length)) {
        const outs = await collect(
          engine.captionFiles(
            set.map((i) => ({ file: images[i] })),
            d,
            { batchSize: DEFAULT_BATCH_SIZE },
          ),
        );
        outs.forEach((o, k) => {
          if (!o.ok) throw new Error(o.error);
          // the same rows per call as alone, or (rewritten) each row's integers and scale as alone:
          // the same bits
          expect(same(o.result.candidates, alone[set[k]]), `image ${set[k]} in batch [${set}]`).toBe(true);
        });
      }
    });
  }

  it.runIf(scaled)(
    'alone, gives what the files as found give (greedy and beam-5, tokens and scores)',
    async () => {
      const found = await CaptionEngine.load(dir, { dtype, intraOpThreads: 1 });
      try {
        const pixels = (await Promise.all(images.map((f) => engine.preprocess(f)))).map((p) => p.pixels);
        for (const beams of [1, 5]) {
          const d = engine.decoding(beams === 1 ? {} : { num_beams: 5, num_return_sequences: 5 });
          for (const [i, p] of pixels.entries()) {
            const [[ours], [theirs]] = [
              await engine.captionPixels([p], d),
              await found.captionPixels([p], d),
            ];
            expect(same(ours, theirs), `image ${i}, ${beams} beams`).toBe(true);
          }
        }
      } finally {
        await found.dispose();
      }
    },
  );

  it.skipIf(!tjs)("greedy equals transformers.js's on the same files", async () => {
    const { pinned, installed } = sameRuntime();
    expect(pinned, 'the onnxruntime-node transformers.js pins').toBe(installed);
    const pixels = (await Promise.all(images.map((f) => engine.preprocess(f)))).map((p) => p.pixels);
    const d = engine.decoding({});
    const theirs = await transformersGreedy(dir, dtype, pixels, 224, d.config.max_length);
    const ours = await engine.captionPixels(pixels, d);
    ours.forEach(([c], i) => {
      expect(c.tokens, `image ${i}`).toEqual(theirs[i]);
    });
  });
});
