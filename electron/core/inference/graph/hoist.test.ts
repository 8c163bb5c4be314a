/**
 * The hoisting rewrite (graph/hoist.ts) on the public layouts' fixtures (interface-faithful
 * vit-gpt2 exports: merged decoders with `If` branches, split pairs, a decoder without a cache, in
 * fp32, int8 and float16): the per-image work leaves the per-step decoder, each weight lands in one
 * file, and the rewritten decoder gives the original's logits, greedy captions and beam n-best.
 * (public-models.test.ts runs every layout and variant with the rewrite against the independent
 * ONNX Runtime reference, transformers.js and PyTorch.)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixtureReference } from '../../../../test/fixtures/bundles.ts';
import { tempDir } from '../../../../test/fixtures/images.ts';
import type { Dtype } from '../../api/contract.ts';
import { OrtDecoder } from '../decoding/decoder.ts';
import { CaptionEngine } from '../engine.ts';
import { crossSoftmaxes } from './attention.ts';
import { companion } from './derived.ts';
import { HOISTED, hoistedDecoder, PER_IMAGE } from './hoist.ts';
import { type OnnxTypes, onnx } from './proto.ts';

const images = fixtureReference().images.map((f) => join(FIXTURES, 'images', f));

const CASES: { layout: string; dtype?: Dtype; decoder?: 'split'; tol: number }[] = [
  // 1e-6 (the bound for fp32): the per-image graph runs the decoder's own operators over
  // the same rows, so only a kernel choosing another blocking for another row count (the image's
  // rows rather than its beams') could move a logit, by a few float32 steps of values below 20
  // (steps of 1.9e-6 at most; measured difference 0 in every case here)
  { layout: 'merged-only', tol: 1e-6 },
  { layout: 'optimum-top-level', decoder: 'split', tol: 1e-6 },
  { layout: 'no-cache', tol: 1e-6 },
  // int8: the same integer products and the same scales (one image per call, as the engine runs
  // dynamically quantized graphs: its beams are copies of its row), then the fp32 bound above
  { layout: 'quantized-only', dtype: 'q8', tol: 1e-6 },
  // float16 weights computed in fp32: the fp32 bound
  { layout: 'fp16-only', dtype: 'fp16', tol: 1e-6 },
  // float16 logits: one float16 step at |x| < 4 (2^-9 = 1.95e-3), if a fp32 difference tips a rounding
  { layout: 'fp16-io', dtype: 'fp16', tol: 2e-3 },
];

const nodes = (g: OnnxTypes.IGraphProto | null | undefined): OnnxTypes.INodeProto[] =>
  (g?.node ?? []).flatMap((n) => [n, ...(n.attribute ?? []).flatMap((a) => nodes(a.g))]);

const decode = (file: string) => onnx.ModelProto.decode(readFileSync(file));

/** Each initializer's bytes without its name (graph and subgraphs), by content. */
function weights(m: OnnxTypes.IModelProto): Map<string, number> {
  const inits = (g: OnnxTypes.IGraphProto | null | undefined): OnnxTypes.ITensorProto[] => [
    ...(g?.initializer ?? []),
    ...(g?.node ?? []).flatMap((n) => (n.attribute ?? []).flatMap((a) => inits(a.g))),
  ];
  const out = new Map<string, number>();
  for (const t of inits(m.graph)) {
    const bytes = onnx.TensorProto.encode({ ...t, name: '' }).finish();
    const key = createHash('sha256').update(bytes).digest('hex');
    out.set(key, (out.get(key) ?? 0) + bytes.length);
  }
  return out;
}
const total = (w: Map<string, number>) => [...w.values()].reduce((a, b) => a + b, 0);

const derivedDir = tempDir('cs-hoist-');

describe.each(CASES)('$layout $dtype $decoder', ({ layout, dtype, decoder, tol }) => {
  let original: CaptionEngine;
  let hoisted: CaptionEngine;
  let pixels: Float32Array[];
  beforeAll(async () => {
    const opts = { intraOpThreads: 1, dtype, decoder };
    original = await CaptionEngine.load(join(FIXTURES, layout), opts);
    hoisted = await CaptionEngine.load(join(FIXTURES, layout), { ...opts, derivedDir });
    pixels = (await Promise.all(images.slice(0, 3).map((f) => original.preprocess(f)))).map((p) => p.pixels);
  });
  afterAll(async () => {
    await original?.dispose();
    await hoisted?.dispose();
  });

  it('moves the cross-attention projections into a per-image graph, one output per layer key and value', () => {
    const { first, withPast, perImage } = hoisted.bundle.decoder;
    const step = withPast ?? first;
    // the decoder's layers: its cross-attention blocks (found structurally, graph/attention.ts)
    const src = decode(original.bundle.decoder.files.at(-1)!).graph!;
    const ifNode = src.node?.find((n) => n.opType === 'If');
    const layers = crossSoftmaxes(ifNode?.attribute?.find((a) => a.name === 'then_branch')?.g ?? src).length;
    expect(layers).toBeGreaterThan(0);
    expect(perImage).not.toBeNull();
    // both branches of a merged decoder compute the same projections: one output each
    expect(perImage!.outputNames).toHaveLength(2 * layers);
    expect(step.inputNames.filter((n) => HOISTED.test(n)).sort()).toEqual([...perImage!.outputNames].sort());
  });

  it('leaves no product of the encoder states in the per-step decoder, and each weight in one file', async () => {
    const source = original.bundle.decoder.files.at(-1)!;
    const { file, perImage: perImageFile } = await hoistedDecoder(derivedDir, source); // made at load: reused
    expect(file).not.toBe(source);
    expect(perImageFile).toBe(companion(file, PER_IMAGE));
    const rewritten = decode(file);
    const readers = nodes(rewritten.graph).filter((n) => n.input?.includes('encoder_hidden_states'));
    expect(readers.map((n) => n.opType).filter((op) => op !== 'Shape')).toEqual([]);
    const [kept, moved] = [weights(rewritten), weights(decode(perImageFile!))];
    // in both files: only scalars that the moved and the kept products share (a quantized weight's
    // zero point), never a weight matrix
    const both = [...moved.keys()].filter((k) => kept.has(k));
    for (const k of both) expect(moved.get(k)).toBeLessThan(64);
    const copies = both.reduce((n, k) => n + moved.get(k)!, 0);
    expect(total(kept) + total(moved) - copies).toBe(total(weights(decode(source))));
    expect(total(moved)).toBeGreaterThan(0);
  });

  it(`logits equal the original decoder's within ${tol}, across beam reorders and a finished image`, async () => {
    // dynamically quantized graphs run one image per call (engine.decodeAlone): so does this test
    const imgs = original.decodeAlone ? pixels.slice(0, 1) : pixels.slice(0, 2);
    const enc = await original.encode(imgs);
    const a = new OrtDecoder(original.bundle, enc, -1);
    const b = new OrtDecoder(hoisted.bundle, enc, -1);
    const { start } = original.bundle.special;
    let rows = imgs.map((_, i) => i);
    let max = 0;
    for (let t = 0; t < 8; t++) {
      const tokens = rows.map((_, i) => (t === 0 ? start : (t * 7 + i * 11) % 50));
      const [x, y] = [await a.step(tokens), await b.step(tokens)];
      for (let i = 0; i < x.logits.length; i++) max = Math.max(max, Math.abs(x.logits[i] - y.logits[i]));
      // beams: every row twice, then reordered; then the last image finishes (its rows dropped)
      const next = t === 1 ? rows.flatMap((r) => [r, r]) : t === 3 ? [...rows].reverse() : null;
      const keep = t === 5 && imgs.length > 1 ? rows.slice(0, rows.length / 2) : null;
      const sel = next ? next.map((_, i) => (t === 1 ? Math.floor(i / 2) : rows.length - 1 - i)) : keep;
      if (sel) {
        a.select(sel);
        b.select(sel);
        rows = next ?? keep!;
      }
    }
    expect(max).toBeLessThanOrEqual(tol);
  });

  it('greedy captions and beam-5 n-best (tokens, scores) equal the original files', async () => {
    for (const d of [{}, { num_beams: 5, num_return_sequences: 5 }]) {
      const strip = (r: Awaited<ReturnType<CaptionEngine['captionPixels']>>) =>
        r.map((list) => list.map((c) => ({ tokens: c.tokens, score: c.score, sum: c.sum })));
      const want = strip(await original.captionPixels(pixels, original.decoding(d)));
      expect(strip(await hoisted.captionPixels(pixels, hoisted.decoding(d))), JSON.stringify(d)).toEqual(
        want,
      );
    }
  });
});

describe('a decoder that caches its cross-attention keys and values', () => {
  it('is left as it is (its per-image work is done once already)', async () => {
    const e = await CaptionEngine.load(join(FIXTURES, 'seq2seq-merged'), { intraOpThreads: 1, derivedDir });
    expect(e.bundle.decoder.perImage).toBeNull();
    expect(e.bundle.decoder.first.inputNames).toContain('encoder_hidden_states');
    await e.dispose();
  });
});

describe('with heat-maps asked for', () => {
  it('the cross-attention rewrite, then hoisting: the same captions and attention maps', async () => {
    const dir = join(FIXTURES, 'merged-only');
    const attention = { dataDir: derivedDir };
    const plain = await CaptionEngine.load(dir, { intraOpThreads: 1, attention });
    const both = await CaptionEngine.load(dir, { intraOpThreads: 1, attention, derivedDir });
    expect(both.info.hasAttention).toBe(true);
    expect(both.bundle.decoder.perImage).not.toBeNull();
    const px = [(await plain.preprocess(images[0])).pixels];
    const d = plain.decoding({ num_beams: 3, num_return_sequences: 3 });
    const [a] = await plain.captionPixels(px, d);
    const [b] = await both.captionPixels(px, d);
    expect(b.map((c) => c.tokens)).toEqual(a.map((c) => c.tokens));
    expect(b.map((c) => c.attention)).toEqual(a.map((c) => c.attention));
    await plain.dispose();
    await both.dispose();
  });
});
