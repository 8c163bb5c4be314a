/**
 * The cross-attention rewrite on the interface-faithful fixtures of public exports (vit-gpt2 layouts
 * merged, split and without cache; its q8, fp16-weights and fp16-I/O variants; a seq2seq decoder
 * merged and split; Florence-2's caption task in its fp32, q8 and fp16 variants, merged, and its
 * fp32 split decoders):
 * - the rewritten graph's `cross_attentions.{i}`, driven by the independent ONNX Runtime reference
 *   (test/fixtures/ort-reference.ts) along the PyTorch greedy sequence, equal the PyTorch model's
 *   Softmax probabilities (models/captioner/export/attention_reference.py): every layer, head, step;
 * - its logits are the original graph's, bit for bit, at every step;
 * - the engine's captions, per-token log-probs, sums and scores (greedy and beam search) are the
 *   same bits with and without the rewrite; only the rewritten one carries heat-maps;
 * - the derived file is made once and reused, in the data directory only.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixtureReference, MODELS_DIR } from '../../../../test/fixtures/bundles.ts';
import {
  florenceFiles,
  int8Kernel,
  OrtReference,
  type ReferenceFiles,
} from '../../../../test/fixtures/ort-reference.ts';
import type { Dtype } from '../../api/contract.ts';
import type { DecodingOptions } from '../../api/decoding.ts';
import { CaptionEngine } from '../engine.ts';
import { readFloats } from '../runtime/tensors.ts';
import { attentionDecoder, exposeCrossAttention, GraphRewriteError } from './attention.ts';
import { derivedFile, writeModel } from './derived.ts';
import { onnx } from './proto.ts';

const ref = fixtureReference();
const DATA = resolve(import.meta.dirname, '../../../../test-output/graph-attention');

/** What the two kinds of fixture differ in. */
interface Kind {
  images: string[];
  /** the encoder's input side */
  side: number;
  start: number;
  /** PyTorch's greedy tokens per image, for a family */
  greedy: (family: string) => number[][];
  /** Florence-2's task token (its prompt follows the image tokens in the encoder's states) */
  task?: string;
  /** image cells per map (the family's geometry drops CLS / the pooled token and the prompt) */
  cells: number;
  /** the least share of a step's attention the image cells take in these fixtures */
  least: number;
  /** greedy, then the model's beam search */
  searches: DecodingOptions[];
}

const VIT_GPT2: Kind = {
  images: ref.images.map((f) => join(FIXTURES, 'images', f)),
  side: 224,
  start: ref.generation.decoder_start_token_id as number,
  greedy: (family) => ref.families[family].greedy.map((h) => h.tokens),
  cells: 14 * 14,
  least: 0.5, // CLS takes the rest
  searches: [{}, { num_beams: 5, num_return_sequences: 5 }],
};
const FLORENCE: Kind = {
  images: ref.florence.images.map((f) => join(FIXTURES, 'florence-images', f)),
  side: 768,
  start: ref.florence.generation.decoder_start_token_id as number,
  greedy: (family) => ref.florence.families[family].tasks.caption.greedy.map((h) => h.tokens),
  task: '<CAPTION>',
  cells: 24 * 24,
  least: 0, // the pooled token and the prompt take the rest: their share is checked in cli/attention.test.ts
  searches: [{ num_beams: 1 }, { num_return_sequences: 3 }], // Florence-2's own search: 3 beams
};

/**
 * Tolerances on |ORT - PyTorch| per probability, from each variant's own numerics (variants.py;
 * tiny.Numerics emulates each in the reference):
 * - fp32: the bound; both sides compute in fp32, in different summation orders.
 * - fp16 weights (`*_fp16.onnx` here, keep_io_types): weights stored in float16 and Cast to float32,
 *   the whole graph computed in float32; the reference computes in float32 over the same
 *   fp16-rounded weights. The rounding of the weights is on both sides, so what is left is fp32
 *   summation order: the fp32 bound.
 * - fp16 I/O: float32 inside, the graph's inputs and outputs (encoder states, the cache fed back)
 *   rounded to float16 on both sides; fp32 summation order can tip a value at a rounding boundary
 *   by one float16 step (2^-11 relative). A logit q.k/sqrt(d) of a few units then moves by ~2^-11
 *   of itself (~1e-3 of a unit), and a probability by at most 1/4 of its logit's move
 *   (dp/ds = p(1 - p)): 1e-3.
 * - q8 (dynamic int8, `*_quantized.onnx`): activations quantized per call to uint8 with the scale
 *   range/255, weights to int8. The reference emulates that, but ORT's kernels (fused, with their
 *   own order of the float steps: x * (1/scale) or x / scale, where the rescale is applied) can put
 *   a value at a rounding boundary one level apart, by an amount that depends on the CPU's int8
 *   kernel (see families/florence2.test.ts). No fixed bound follows: these maps are sharp (p up to
 *   0.995, so logits of many units), and one level on a key or query moves such a logit by more
 *   than a unit's fraction. The bound is the variant's own numeric error instead, computed now from
 *   PyTorch alone (CPU-independent): how far quantization moves each probability from the fp32
 *   model's along the same tokens. A boundary flip changes a value by one level where quantization
 *   itself rounds every value by up to half a level; the bound is quantization's own effect:
 *   max |ORT - PyTorch q8| <= max |PyTorch q8 - PyTorch fp32|, and, as flips are rare while
 *   rounding is everywhere, the mean difference <= quantization's mean effect.
 * Measured maxima are logged per case (`max |ORT - PyTorch|`); the bounds are not fitted to them.
 */
const FP32 = 1e-4;
const FP16_IO = 1e-3;
/** the q8 bound: the variant's own error against this fp32 family's PyTorch reference */
type OwnError = { fp32: string };

const CASES: {
  layout: string;
  family: string;
  files: ReferenceFiles;
  tol: number | OwnError;
  kind: Kind;
  dtype?: Dtype;
}[] = [
  { layout: 'merged-only', family: 'gpt2', files: f('merged', ''), tol: FP32, kind: VIT_GPT2 },
  { layout: 'split-only', family: 'gpt2', files: f('split', ''), tol: FP32, kind: VIT_GPT2 },
  { layout: 'no-cache', family: 'gpt2', files: f('no-cache', ''), tol: FP32, kind: VIT_GPT2 },
  { layout: 'seq2seq-merged', family: 'seq2seq', files: f('merged', ''), tol: FP32, kind: VIT_GPT2 },
  { layout: 'seq2seq-split', family: 'seq2seq', files: f('split', ''), tol: FP32, kind: VIT_GPT2 },
  {
    layout: 'quantized-only',
    family: 'gpt2-int8',
    files: f('merged', '_quantized'),
    tol: { fp32: 'gpt2' },
    kind: VIT_GPT2,
  },
  { layout: 'fp16-only', family: 'gpt2-fp16', files: f('merged', '_fp16'), tol: FP32, kind: VIT_GPT2 },
  { layout: 'fp16-io', family: 'gpt2-fp16-io', files: f('merged', '_fp16'), tol: FP16_IO, kind: VIT_GPT2 },
  { layout: 'florence-repo', family: 'florence', files: florenceFiles(''), tol: FP32, kind: FLORENCE },
  {
    layout: 'florence-repo',
    dtype: 'q8',
    family: 'florence-int8',
    files: florenceFiles('_quantized'),
    tol: { fp32: 'florence' },
    kind: FLORENCE,
  },
  {
    layout: 'florence-repo',
    dtype: 'fp16',
    family: 'florence-fp16',
    files: florenceFiles('_fp16'),
    tol: FP32,
    kind: FLORENCE,
  },
  {
    layout: 'florence-split',
    family: 'florence',
    files: {
      ...florenceFiles(''),
      decoder: 'onnx/decoder_model.onnx',
      withPast: 'onnx/decoder_with_past_model.onnx',
    },
    tol: FP32,
    kind: FLORENCE,
  },
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

describe.each(CASES)('$layout $family', ({ layout, family, files, tol, kind, dtype }) => {
  const dir = join(FIXTURES, layout);
  let derived: ReferenceFiles;
  let plain: CaptionEngine;
  let withAttention: CaptionEngine;
  let pixels: Float32Array[];

  beforeAll(async () => {
    const d = async (file?: string) =>
      file ? (await attentionDecoder(DATA, join(dir, file))).file : undefined;
    derived = { ...files, decoder: (await d(files.decoder))!, withPast: await d(files.withPast) };
    plain = await CaptionEngine.load(dir, { intraOpThreads: 1, dtype });
    withAttention = await CaptionEngine.load(dir, { intraOpThreads: 1, dtype, attention: { dataDir: DATA } });
    pixels = (await Promise.all(kind.images.map((im) => plain.preprocess(im)))).map((p) => p.pixels);
  });
  afterAll(async () => {
    await plain?.dispose();
    await withAttention?.dispose();
  });

  it("the rewritten graph outputs PyTorch's cross-attention probabilities (every layer, head, step); its logits are the original's bits", async () => {
    const inputs = kind.greedy(family).map((tokens) => [kind.start, ...tokens.slice(0, -1)]);
    const runs = kind.images.map((image, i) => ({ image, tokens: inputs[i] }));
    const expected = torchAttention(family, runs);
    // q8: the variant's own error, PyTorch q8 against PyTorch fp32 over the same tokens
    const fp32 = typeof tol === 'number' ? null : torchAttention(tol.fp32, runs);
    let own = { worst: 0, sum: 0 };
    const ours = await OrtReference.open(dir, derived, 1);
    const original = await OrtReference.open(dir, files, 1);
    const prompt = kind.task ? ours.promptIds(kind.task) : [];
    let worst = 0;
    let total = 0;
    let compared = 0;
    for (const [i, px] of pixels.entries()) {
      const a = ours.decoding(await ours.encode(px, kind.side, prompt));
      const b = original.decoding(await original.encode(px, kind.side, prompt));
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
            for (let s = 0; s < p.length; s++) {
              const d = Math.abs(row[s] - p[s]);
              worst = Math.max(worst, d);
              total += d;
              if (!fp32) continue;
              const e = Math.abs(p[s] - fp32[i][layer][h][step][s]);
              own = { worst: Math.max(own.worst, e), sum: own.sum + e };
            }
            compared += p.length;
          }
        }
      }
      expect(want[0][0].length, 'steps').toBe(inputs[i].length);
    }
    await ours.release();
    await original.release();
    const e = (x: number) => x.toExponential(2);
    const q8 = fp32
      ? `; q8's own error: max ${e(own.worst)}, mean ${e(own.sum / compared)} (${int8Kernel()})`
      : '';
    console.log(
      `${layout} ${family}: ${compared} probabilities, |ORT - PyTorch| max ${e(worst)}, mean ${e(total / compared)}${q8}`,
    );
    expect(compared).toBeGreaterThan(0);
    if (typeof tol === 'number') expect(worst).toBeLessThanOrEqual(tol);
    else {
      expect(own.worst).toBeGreaterThan(0); // the reference did quantize
      expect(worst).toBeLessThanOrEqual(own.worst);
      expect(total / compared).toBeLessThanOrEqual(own.sum / compared);
    }
  });

  it('captions, per-token log-probs, sums and scores are the same bits with the rewrite; only it has heat-maps', async () => {
    for (const opts of kind.searches) {
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
          expect(map.length).toBe(kind.cells);
          const sum = map.reduce((x, y) => x + y, 0);
          expect(sum).toBeGreaterThan(kind.least);
          // a part of one float32 Softmax row, whose divisor is a float32 sum of up to ~600
          // exponentials (MLAS adds in 16 lanes: ~40 roundings of 6e-8 each in the worst case): 1e-5
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

  it('are streamed out with the weights written from their views: the same model as a whole encode', async () => {
    const source = join(FIXTURES, 'quantized-only', 'onnx', 'decoder_model_merged_quantized.onnx');
    const model = onnx.ModelProto.decode(await readFile(source));
    exposeCrossAttention(model);
    const out = join(DATA, 'streamed.onnx');
    await writeModel(model, out);
    const whole = onnx.ModelProto.encode(model).finish();
    const streamed = await readFile(out);
    expect(streamed.length).toBe(whole.length);
    // fields in another order (initializers last): decoded and encoded again, the same bytes
    const again = onnx.ModelProto.encode(onnx.ModelProto.decode(streamed)).finish();
    expect(Buffer.from(again).equals(Buffer.from(whole))).toBe(true); // (toEqual walks 9 MB bytewise: slow)
  });
});

describe('graphs that cannot give attention', () => {
  it('an encoder (no Softmax over encoder states): the source file, and the reason', async () => {
    const encoder = join(FIXTURES, 'merged-only', 'onnx', 'encoder_model.onnx');
    const r = await attentionDecoder(DATA, encoder);
    expect(r.file).toBe(encoder);
    expect(r.reason).toBe(
      `${encoder}: no cross-attention Softmax found (none whose key side comes from encoder_hidden_states or the encoder cache)`,
    );
  });

  it('a fused com.microsoft attention operator is named: its probabilities never leave the operator', () => {
    const name = '/model/decoder/layers.0/encoder_attn/MultiHeadAttention';
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: 'com.microsoft', version: 1 }],
      graph: {
        name: 'decoder',
        node: [
          {
            name,
            opType: 'MultiHeadAttention',
            domain: 'com.microsoft',
            input: ['query', 'encoder_hidden_states', 'encoder_hidden_states'],
            output: ['attended'],
          },
        ],
        input: [{ name: 'query' }, { name: 'encoder_hidden_states' }],
        output: [{ name: 'attended' }],
      },
    });
    expect(() => exposeCrossAttention(model)).toThrow(GraphRewriteError);
    expect(() => exposeCrossAttention(model)).toThrow(
      `its attention is fused (MultiHeadAttention ${name}): the probabilities never leave the operator`,
    );
  });
});
