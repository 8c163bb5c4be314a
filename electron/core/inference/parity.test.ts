/**
 * Parity of ONNX Runtime + the TypeScript decoding loop with the PyTorch reference
 * (models/captioner; golden file written by `python -m captioner.export.parity`, kept current by
 * models/tests/test_parity.py).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE, type Golden, loadGolden, parityImages } from '../../../test/fixtures/bundles.ts';
import { OrtDecoder } from './decoder.ts';
import type { DecodingOptions } from './decoding.ts';
import { CaptionEngine } from './engine.ts';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

// both decoder layouts of the bundle: the split pair and the merged file with use_cache_branch
describe.each(['split', 'merged'] as const)('%s decoder', (decoderFiles) => {
  let engine: CaptionEngine;
  let golden: Golden;
  let pixels: Float32Array[];

  beforeAll(async () => {
    engine = await CaptionEngine.load(DEFAULT_BUNDLE, { intraOpThreads: 1, decoder: decoderFiles });
    golden = loadGolden();
    pixels = (await Promise.all(parityImages(golden).map((f) => engine.preprocess(f)))).map((p) => p.pixels);
  });
  afterAll(() => engine?.dispose());

  it('uses the decoder files asked for', () => {
    const files = engine.bundle.decoder.files.map((f) => f.split('/').pop());
    expect(files).toContain(
      decoderFiles === 'merged' ? 'decoder_model_merged.onnx' : 'decoder_with_past_model.onnx',
    );
  });

  // Tolerances here: fp32 summation order, PyTorch's (the golden's) vs MLAS's, whatever either's
  // kernel. 1e-4 is about 200 float32 steps of the encoder states' largest value (6.8, steps of
  // 4.8e-7) and 50 of the logits' (19.5, steps of 1.9e-6): the error of fp32 sums taken in another
  // order through a few layers; a sum of log-probs adds up its tokens' share of the same.
  describe('ONNX Runtime vs PyTorch', () => {
    it('encoder last_hidden_state within 1e-4', async () => {
      const enc = await engine.encode(pixels.slice(0, golden.encoder.images));
      expect(enc.dims).toEqual(golden.encoder.shape);
      expect(maxAbsDiff(enc.data as Float32Array, golden.encoder.last_hidden_state)).toBeLessThan(1e-4);
    });

    it('10 decoder steps with the KV cache: logits within 1e-4', async () => {
      const enc = await engine.encode(pixels.slice(0, 1));
      const decoder = new OrtDecoder(engine.bundle, enc, -1);
      const { input_ids, logits } = golden.decoder_steps;
      expect(input_ids).toHaveLength(10);
      for (let t = 0; t < input_ids.length; t++) {
        const out = await decoder.step([input_ids[t]]);
        expect(maxAbsDiff(out.logits, logits[t]), `step ${t}`).toBeLessThan(1e-4);
      }
    });
  });

  describe('TypeScript decoding vs the PyTorch reference', () => {
    it('greedy tokens identical under every greedy setting', async () => {
      for (const g of golden.greedy) {
        const res = await engine.captionPixels(pixels, engine.decoding(g.settings as DecodingOptions));
        res.forEach((list, i) => {
          expect(list[0].tokens, `${JSON.stringify(g.settings)} image ${i}`).toEqual(g.results[i].tokens);
          expect(Math.abs(list[0].sum - g.results[i].sum)).toBeLessThan(1e-4);
        });
      }
    });

    it('beam-search n-best identical in order, scores within 1e-4, under every beam setting', async () => {
      for (const b of golden.beam) {
        const res = await engine.captionPixels(pixels, engine.decoding(b.settings as DecodingOptions));
        res.forEach((list, i) => {
          const label = `${JSON.stringify(b.settings)} image ${i}`;
          expect(
            list.map((c) => c.tokens),
            label,
          ).toEqual(b.results[i].map((h) => h.tokens));
          list.forEach((c, r) => {
            expect(Math.abs(c.score - b.results[i][r].score), label).toBeLessThan(1e-4);
            expect(Math.abs(c.sum - b.results[i][r].sum), label).toBeLessThan(1e-4);
          });
        });
      }
    });
  });
});
