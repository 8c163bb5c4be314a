/**
 * The cross-attention rewrite on the interface-faithful fixtures of public exports (vit-gpt2 layouts
 * merged, split and without cache; q8, fp16 weights, fp16 I/O; a seq2seq decoder merged and split):
 * - the rewritten graph's `cross_attentions.{i}`, driven by the independent ONNX Runtime reference
 *   (test/fixtures/ort-reference.ts) along the PyTorch greedy sequence, equal the PyTorch model's
 *   Softmax probabilities (models/captioner/export/attention_reference.py): every layer, head, step;
 * - its logits are the original graph's, bit for bit, at every step;
 * - the engine's captions, per-token log-probs, sums and scores (greedy and beam-5) are the same bits
 *   with and without the rewrite; only the rewritten one carries heat-maps;
 * - the derived file is made once and reused, in the data directory only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixtureReference, MODELS_DIR } from '../../../../test/fixtures/bundles.ts';
import { OrtReference, type ReferenceFiles } from '../../../../test/fixtures/ort-reference.ts';
import { CaptionEngine } from '../engine.ts';
import { readFloats } from '../runtime/tensors.ts';
import { attentionDecoder } from './attention.ts';
import { derivedFile } from './derived.ts';

const ref = fixtureReference();
const images = ref.images.map((f) => join(FIXTURES, 'images', f));
const DATA = resolve(import.meta.dirname, '../../../../test-output/graph-attention');
const START = ref.generation.decoder_start_token_id as number;

/**
 * Tolerances on |ORT - PyTorch| per probability:
 * - fp32: the bound; both sides compute in fp32 (measured max 1e-7 order);
 * - fp16 weights: ORT computes the whole graph in float16 (11-bit mantissa, Softmax included), the
 *   reference in fp32 over the same fp16-rounded weights: a probability p carries float16's
 *   relative error 2^-11 from its own rounding plus that of the logits it came from (|q.k| of a few
 *   units, each off by ~2^-11 of itself): ~1e-3 relative, at most 0.25 in these maps: 5e-3;
 * - fp16 I/O: float32 inside, the states rounded to float16 at the graph's boundary on both sides;
 *   fp32 summation order can tip a rounded state by one float16 step (2^-11 relative): 1e-3;
 * - q8 (dynamic int8): PyTorch emulates ORT's quantization, but a value at a rounding boundary can
 *   land one level (1/255 of the row's range) apart; the probabilities move by that much of their
 *   logits' range: 5e-3.
 * Measured on this machine (max over 174,936 probabilities each): fp32 layouts 4.1e-8 to 4.5e-8,
 * q8 1.2e-6, fp16 weights 5.4e-8 (these files compute in float32 over fp16-rounded weights),
 * fp16 I/O 9.1e-7: the bounds above are worst cases, not fitted to these numbers.
 */
const CASES: { layout: string; family: string; files: ReferenceFiles; tol: number }[] = [
  { layout: 'merged-only', family: 'gpt2', files: f('merged', ''), tol: 1e-4 },
  { layout: 'split-only', family: 'gpt2', files: f('split', ''), tol: 1e-4 },
  { layout: 'no-cache', family: 'gpt2', files: f('no-cache', ''), tol: 1e-4 },
  { layout: 'seq2seq-merged', family: 'seq2seq', files: f('merged', ''), tol: 1e-4 },
  { layout: 'seq2seq-split', family: 'seq2seq', files: f('split', ''), tol: 1e-4 },
  { layout: 'quantized-only', family: 'gpt2-int8', files: f('merged', '_quantized'), tol: 5e-3 },
  { layout: 'fp16-only', family: 'gpt2-fp16', files: f('merged', '_fp16'), tol: 5e-3 },
  { layout: 'fp16-io', family: 'gpt2-fp16-io', files: f('merged', '_fp16'), tol: 1e-3 },
];

function f(decoder: 'merged' | 'split' | 'no-cache', suffix: string): ReferenceFiles {
  return {
    encoder: `onnx/encoder_model${suffix}.onnx`,
    decoder: `onnx/decoder_model${decoder === 'merged' ? '_merged' : ''}${suffix}.onnx`,
    withPast: decoder === 'split' ? `onnx/decoder_with_past_model${suffix}.onnx` : undefined,
  };
}

/** PyTorch's cross-attention probabilities per image: [layer][head][step][position]. */
function torchAttention(family: string, runs: { image: string; tokens: number[] }[]): number[][][][][] {
  const r = spawnSync('/usr/bin/python3', ['-m', 'captioner.export.attention_reference', family], {
    cwd: MODELS_DIR,
    input: JSON.stringify(runs),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`attention_reference failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Per layer (H, T, S): the last position's rows, as [head][S]. */
function lastRows(t: ort.Tensor): Float32Array[] {
  const [, H, T, S] = t.dims as number[];
  const data = readFloats(t);
  return Array.from({ length: H }, (_, h) => data.slice((h * T + T - 1) * S, (h * T + T) * S));
}

beforeAll(() => rmSync(DATA, { recursive: true, force: true }));

describe.each(CASES)('$layout', ({ layout, family, files, tol }) => {
  const dir = join(FIXTURES, layout);
  let derived: ReferenceFiles;
  let plain: CaptionEngine;
  let withAttention: CaptionEngine;
  let pixels: Float32Array[];

  beforeAll(async () => {
    const d = async (file?: string) =>
      file ? (await attentionDecoder(DATA, join(dir, file))).file : undefined;
    derived = { ...files, decoder: (await d(files.decoder))!, withPast: await d(files.withPast) };
    plain = await CaptionEngine.load(dir, { intraOpThreads: 1 });
    withAttention = await CaptionEngine.load(dir, { intraOpThreads: 1, attention: { dataDir: DATA } });
    pixels = (await Promise.all(images.map((im) => plain.preprocess(im)))).map((p) => p.pixels);
  });
  afterAll(async () => {
    await plain?.dispose();
    await withAttention?.dispose();
  });

  it("the rewritten graph outputs PyTorch's cross-attention probabilities (every layer, head, step); its logits are the original's bits", async () => {
    const greedy = ref.families[family].greedy;
    const inputs = greedy.map((h) => [START, ...h.tokens.slice(0, -1)]);
    const expected = torchAttention(
      family,
      images.map((image, i) => ({ image, tokens: inputs[i] })),
    );
    const ours = await OrtReference.open(dir, derived, 1);
    const original = await OrtReference.open(dir, files, 1);
    let worst = 0;
    let compared = 0;
    for (const [i, px] of pixels.entries()) {
      const a = ours.decoding(await ours.encode(px, 224));
      const b = original.decoding(await original.encode(px, 224));
      const want = expected[i];
      for (const [step, token] of inputs[i].entries()) {
        const got = await a.run([token]);
        const base = await b.run([token]);
        expect(base.attentions).toHaveLength(0);
        expect(got.logits, `image ${i} step ${step}: logits`).toEqual(base.logits);
        expect(got.attentions.length, 'layers').toBe(want.length);
        for (const [layer, t] of got.attentions.entries()) {
          expect(t.type).toBe('float32');
          const heads = lastRows(t);
          expect(heads.length, 'heads').toBe(want[layer].length);
          for (const [h, row] of heads.entries()) {
            const p = want[layer][h][step];
            expect(row.length, 'encoder positions').toBe(p.length);
            for (let s = 0; s < p.length; s++) worst = Math.max(worst, Math.abs(row[s] - p[s]));
            compared += p.length;
          }
        }
      }
      expect(want[0][0].length, 'steps').toBe(inputs[i].length);
    }
    await ours.release();
    await original.release();
    console.log(`${layout}: ${compared} probabilities, max |ORT - PyTorch| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(tol);
  });

  it('captions, per-token log-probs, sums and scores are the same bits with the rewrite; only it has heat-maps', async () => {
    for (const opts of [{}, { num_beams: 5, num_return_sequences: 5 }]) {
      const a = await plain.captionPixels(pixels, plain.decoding(opts));
      const b = await withAttention.captionPixels(pixels, withAttention.decoding(opts));
      const strip = (lists: typeof a) =>
        lists.map((l) =>
          l.map(({ tokens, tokenLogprobs, sum, score, text }) => ({
            tokens,
            tokenLogprobs,
            sum,
            score,
            text,
          })),
        );
      expect(strip(b)).toEqual(strip(a));
      expect(a.flat().every((c) => c.attention === null)).toBe(true);
      for (const c of b.flat()) {
        expect(c.attention?.length).toBe(c.tokens.length);
        for (const map of c.attention!) {
          expect(map.length).toBe(14 * 14); // CLS dropped by the family's geometry
          const sum = map.reduce((x, y) => x + y, 0);
          expect(sum).toBeGreaterThan(0.5); // CLS took the rest
          expect(sum).toBeLessThanOrEqual(1 + 1e-5);
        }
      }
    }
    expect(plain.info.hasAttention).toBe(false);
    expect(withAttention.info.hasAttention).toBe(true);
  });
});

describe('derived files', () => {
  it('are made once per source sha256 and rewrite version, in the data directory, and reused', async () => {
    const dir = join(FIXTURES, 'merged-only', 'onnx');
    const source = join(dir, 'decoder_model_merged.onnx');
    const before = readdirSync(dir).sort();
    const data = join(DATA, 'reuse');
    const first = await derivedFile(data, source, { name: 'cross-attention', version: 1, apply: () => true });
    expect(first.made).toBe(true);
    expect(first.file.startsWith(join(data, 'derived', 'cross-attention-v1'))).toBe(true);
    const mtime = statSync(first.file).mtimeMs;
    const second = await derivedFile(data, source, {
      name: 'cross-attention',
      version: 1,
      apply: () => true,
    });
    expect(second).toEqual({ file: first.file, made: false });
    expect(statSync(second.file).mtimeMs).toBe(mtime);
    const next = await derivedFile(data, source, { name: 'cross-attention', version: 2, apply: () => true });
    expect(next.made).toBe(true);
    expect(next.file).not.toBe(first.file);
    expect(readdirSync(dir).sort()).toEqual(before); // nothing written beside the source
    // a rewrite that changes nothing gives the source itself
    const same = await derivedFile(data, source, { name: 'noop', version: 1, apply: () => false });
    expect(same.file).toBe(source);
    expect(existsSync(join(data, 'derived', 'noop-v1'))).toBe(true);
  });
});
