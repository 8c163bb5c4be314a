/**
 * Public models' exports, as users download them: interface-faithful bundles (the real
 * vit-gpt2-image-captioning JSON and GPT-2 tokenizer, tiny graphs with the export's exact names,
 * dtypes and axes; `models/captioner/export/fixtures.py`) in every layout and variant, against the
 * PyTorch reference (HF `generate` semantics) of the same tiny model: greedy and beam-5 tokens equal,
 * scores within 1e-4 (float16 I/O: 2e-3). int8: dynamic quantization scales depend on every row in a
 * batch, so each image runs alone (as the reference does); there, a hypothesis may differ from the
 * reference only where its score ties (within 2e-3) with its neighbour's.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, type FixtureHyp, fixtureReference } from '../../../test/fixtures/bundles.ts';
import type { LoadOptions } from './bundle.ts';
import { CaptionEngine, ENCODER_IMAGES, type GeneratedCaption } from './engine.ts';
import { readFloats } from './runtime/tensors.ts';

const ref = fixtureReference();
const images = ref.images.map((f) => join(FIXTURES, 'images', f));

const CASES: { layout: string; load?: LoadOptions; files: RegExp }[] = [
  { layout: 'optimum-top-level', files: /^decoder_model_merged\.onnx$/ },
  { layout: 'optimum-top-level', load: { decoder: 'split' }, files: /^decoder_with_past_model\.onnx$/ },
  { layout: 'onnx-folder', files: /^onnx\/decoder_model_merged\.onnx$/ },
  { layout: 'onnx-folder', load: { decoder: 'split' }, files: /^onnx\/decoder_with_past_model\.onnx$/ },
  { layout: 'merged-only', files: /^onnx\/decoder_model_merged\.onnx$/ },
  { layout: 'split-only', files: /^onnx\/decoder_with_past_model\.onnx$/ },
  { layout: 'no-cache', files: /^onnx\/decoder_model\.onnx$/ },
  { layout: 'quantized-only', files: /^onnx\/decoder_model_merged_quantized\.onnx$/ },
  { layout: 'fp16-only', files: /^onnx\/decoder_model_merged_fp16\.onnx$/ },
  { layout: 'fp16-io', files: /^onnx\/decoder_model_merged_fp16\.onnx$/ },
  { layout: 'seq2seq-merged', files: /^onnx\/decoder_model_merged\.onnx$/ },
  { layout: 'seq2seq-split', load: { decoder: 'split' }, files: /^onnx\/decoder_with_past_model\.onnx$/ },
];

function expectLike(ours: GeneratedCaption[], theirs: FixtureHyp[], family: string, label: string) {
  const tol = family === 'gpt2-int8' || family === 'gpt2-fp16-io' ? 2e-3 : 1e-4;
  expect(ours.length, label).toBe(theirs.length);
  theirs.forEach((h, r) => {
    expect(Math.abs(ours[r].score - h.score), `${label} rank ${r} score`).toBeLessThan(tol);
    // a tie (int8 only): two hypotheses within the tolerance may come in either order
    const tied = [theirs[r - 1], theirs[r + 1]].some((n) => n && Math.abs(n.score - h.score) < tol);
    if (family === 'gpt2-int8' && tied) return;
    expect(ours[r].tokens, `${label} rank ${r} tokens`).toEqual(h.tokens);
    expect(Math.abs(ours[r].sum - h.sum), `${label} rank ${r} sum`).toBeLessThan(tol * h.tokens.length);
  });
}

describe.each(CASES)('$layout $load', ({ layout, load, files }) => {
  const family = ref.layouts[layout];
  const expected = ref.families[family];
  let engine: CaptionEngine;
  let pixels: Float32Array[];
  beforeAll(async () => {
    engine = await CaptionEngine.load(join(FIXTURES, layout), { intraOpThreads: 1, ...load });
    pixels = (await Promise.all(images.map((f) => engine.preprocess(f)))).map((p) => p.pixels);
  });
  afterAll(() => engine?.dispose());

  it('loads the files of its layout and variant', () => {
    const rel = engine.bundle.decoder.files.map((f) => f.slice(join(FIXTURES, layout).length + 1));
    expect(
      rel.some((f) => files.test(f)),
      rel.join(', '),
    ).toBe(true);
    expect(engine.info.dtype).toBe(
      { 'gpt2-int8': 'q8', 'gpt2-fp16': 'fp16', 'gpt2-fp16-io': 'fp16' }[family] ?? 'fp32',
    );
  });

  it('greedy and beam-5 equal the PyTorch reference, image by image', async () => {
    const beam5 = engine.decoding({ num_beams: 5, num_return_sequences: 5 });
    for (const [i, px] of pixels.entries()) {
      const [g] = await engine.captionPixels([px], engine.decoding({}));
      expectLike(g, [expected.greedy[i]], family, `greedy image ${i}`);
      const [b] = await engine.captionPixels([px], beam5);
      expectLike(b, expected.beam5[i], family, `beam-5 image ${i}`);
    }
  });

  it.skipIf(family === 'gpt2-int8')('encodes a batch a few images per call, stacked in order', async () => {
    const batch = Array.from({ length: ENCODER_IMAGES + 2 }, (_, i) => pixels[i % pixels.length]);
    const all = await engine.encode(batch);
    expect(all.dims[0]).toBe(batch.length);
    const rows = readFloats(all);
    const size = rows.length / batch.length;
    const tol = family === 'gpt2-fp16-io' ? 2e-3 : 1e-5;
    for (const [i, px] of batch.entries()) {
      const alone = readFloats(await engine.encode([px]));
      const diff = alone.reduce((m, v, j) => Math.max(m, Math.abs(v - rows[i * size + j])), 0);
      expect(diff, `image ${i}`).toBeLessThan(tol);
    }
  });

  it.skipIf(family === 'gpt2-int8')('and batched together, as jobs run them', async () => {
    const res = await engine.captionPixels(
      pixels,
      engine.decoding({ num_beams: 5, num_return_sequences: 5 }),
    );
    res.forEach((list, i) => {
      expectLike(list, expected.beam5[i], family, `batched beam-5 image ${i}`);
    });
  });
});
