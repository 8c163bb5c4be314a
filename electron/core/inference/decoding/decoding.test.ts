/** Each decoding option changes what the real model generates, in the way the option promises. */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE, loadGolden, parityImages } from '../../../../test/fixtures/bundles.ts';
import { DecodingOptions } from '../../api/decoding.ts';
import { failure } from '../../api/dispatch.ts';
import { CaptionEngine, type GeneratedCaption } from '../engine.ts';
import { InferenceError } from '../errors.ts';
import { OrtDecoder } from './decoder.ts';
import { Cancelled, generate, type StepModel } from './generate.ts';
import { logSoftmax } from './logits-process.ts';
import { resolveDecoding } from './settings.ts';

let engine: CaptionEngine;
let pixels: Float32Array[];
let scenes: Float32Array[]; // the scene images only: the flat one searches to max_length anyway
let eos: number;

beforeAll(async () => {
  engine = await CaptionEngine.load(DEFAULT_BUNDLE, { intraOpThreads: 1 });
  const files = parityImages(loadGolden());
  pixels = (await Promise.all(files.map((f) => engine.preprocess(f)))).map((p) => p.pixels);
  scenes = pixels.filter((_, i) => basename(files[i]).startsWith('test-'));
  eos = engine.bundle.special.eos;
});
afterAll(() => engine?.dispose());

const run = (o: DecodingOptions, attentionLayer?: number) =>
  engine.captionPixels(pixels, engine.decoding(o), undefined, attentionLayer);
const repeats = (tokens: number[]) => tokens.length - new Set(tokens).size;

/** Counts decoder steps by wrapping the real ONNX decoder. */
async function countSteps(o: DecodingOptions): Promise<number> {
  const enc = await engine.encode(scenes);
  const inner = new OrtDecoder(engine.bundle, enc, -1);
  let steps = 0;
  const counting: StepModel = {
    step: (t) => {
      steps++;
      return inner.step(t);
    },
    select: (r) => inner.select(r),
  };
  await generate(counting, scenes.length, engine.decoding(o).config, engine.bundle.special);
  return steps;
}

describe('decoding options on the default model', () => {
  it('num_beams / num_return_sequences: n distinct candidates per image, best first', async () => {
    const res = await run({ num_beams: 4, num_return_sequences: 3 });
    for (const list of res) {
      expect(list).toHaveLength(3);
      expect(new Set(list.map((c) => c.tokens.join(','))).size).toBe(3);
      for (let i = 1; i < list.length; i++) expect(list[i - 1].score).toBeGreaterThanOrEqual(list[i].score);
    }
  });

  it('length_penalty: score = sum / generated_len ** length_penalty', async () => {
    for (const lp of [0, 1, 2.5]) {
      for (const list of await run({ num_beams: 3, num_return_sequences: 3, length_penalty: lp })) {
        // the same float64 division of the same sum: only its rounding (~1e-16) may differ
        for (const c of list) expect(c.score).toBeCloseTo(c.sum / c.tokens.length ** lp, 9);
      }
    }
  });

  it('no_repeat_ngram_size really blocks the repeats greedy makes', async () => {
    const plain = (await run({})).map((l) => l[0]);
    expect(
      plain.some((c) => repeats(c.tokens) > 0),
      'greedy repeats a token somewhere',
    ).toBe(true);
    const blocked = (await run({ no_repeat_ngram_size: 1 })).map((l) => l[0]);
    for (const c of blocked) expect(repeats(c.tokens), c.text).toBe(0);
    const beam = await run({ num_beams: 3, num_return_sequences: 3, no_repeat_ngram_size: 1 });
    for (const c of beam.flat()) expect(repeats(c.tokens), c.text).toBe(0);
  });

  it('repetition_penalty reduces repeated tokens', async () => {
    const count = (res: GeneratedCaption[][]) => res.reduce((n, l) => n + repeats(l[0].tokens), 0);
    const plain = count(await run({}));
    const penalised = count(await run({ repetition_penalty: 3 }));
    expect(plain).toBeGreaterThan(0);
    expect(penalised).toBeLessThan(plain);
  });

  it('min_length: no EOS before it', async () => {
    const plainLen = Math.max(...(await run({})).map((l) => l[0].tokens.length));
    const min = plainLen + 3;
    for (const c of (await run({ min_length: min, max_length: min + 6 })).flat()) {
      // min_length counts the start token, as in Hugging Face
      expect(c.tokens.length).toBeGreaterThanOrEqual(min - 1);
    }
  });

  it('max_length cuts sequences (no EOS) at max_length - 1 generated tokens', async () => {
    for (const c of (await run({ max_length: 4, num_beams: 2, num_return_sequences: 2 })).flat()) {
      expect(c.tokens).toHaveLength(3);
      expect(c.tokens).not.toContain(eos);
    }
  });

  it('early_stopping: true stops sooner than false, which stops no later than never', async () => {
    const base = { num_beams: 4, num_return_sequences: 2, length_penalty: 2 } as const; // "never" looks ahead to max_length
    const t = await countSteps({ ...base, early_stopping: true });
    const f = await countSteps({ ...base, early_stopping: false });
    const n = await countSteps({ ...base, early_stopping: 'never' });
    expect(t).toBeLessThanOrEqual(f);
    expect(f).toBeLessThanOrEqual(n);
    expect(t).toBeLessThan(n);
  });

  it('the attention layer option selects a cross-attention layer; maps are distributions over the patches', async () => {
    const last = (await run({}, -1))[0][0];
    const first = (await run({}, 0))[0][0];
    expect(last.attention).toHaveLength(last.tokens.length);
    const grid = engine.info.grid!;
    expect(last.attention![0]).toHaveLength(grid.rows * grid.cols);
    for (const m of last.attention!) {
      const mass = m.reduce((a, b) => a + b, 0);
      expect(mass).toBeGreaterThan(0);
      // softmax rows sum to 1 over all encoder tokens, the patches' share at most that; 1e-5
      // allows the float32 rounding of a few hundred summed probabilities (6e-8 relative each)
      expect(mass).toBeLessThanOrEqual(1 + 1e-5);
    }
    expect(Array.from(first.attention![0])).not.toEqual(Array.from(last.attention![0]));
    await expect(run({}, 7)).rejects.toThrow(/attention_layer 7/);
  });

  it('a cancelled batch stops with Cancelled', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(engine.captionPixels(pixels, engine.decoding({}), ac.signal)).rejects.toBeInstanceOf(
      Cancelled,
    );
  });
});

/** The raw log-probabilities of `tokens` under the model, teacher-forced one row at a time. */
async function teacherForced(image: number, tokens: number[]): Promise<number[]> {
  const dec = new OrtDecoder(engine.bundle, await engine.encode([scenes[image]]), -1);
  const out: number[] = [];
  let prev = engine.bundle.special.start;
  for (const t of tokens) {
    const { logits } = await dec.step([prev]);
    out.push(logSoftmax(logits.slice())[t]);
    prev = t;
  }
  return out;
}

describe('stored scores: one meaning each, whatever the search', () => {
  // a processor that changes the chosen tokens' log-probs: the raw and processed ones differ
  const penalty = { repetition_penalty: 3 };
  for (const [name, o] of [
    ['greedy', penalty],
    ['beam-3', { ...penalty, num_beams: 3, num_return_sequences: 3, length_penalty: 2 }],
  ] as const) {
    it(`${name}: tokenLogprobs are the raw log-probs (before processors); score as HF reports it`, async () => {
      const lists = await engine.captionPixels(scenes, engine.decoding(o));
      let differ = 0;
      for (const [i, list] of lists.entries()) {
        for (const c of list) {
          const raw = await teacherForced(i, c.tokens);
          // one row per call here, 1 or 3 rows in the search: MLAS's fp32 GEMM may block rows
          // differently, a few float32 steps of log-probs |x| < 30 (measured 0 on this model)
          for (const [j, lp] of raw.entries())
            expect(Math.abs(c.tokenLogprobs[j] - lp), `image ${i} token ${j}`).toBeLessThan(1e-4);
          const rawSum = c.tokenLogprobs.reduce((a, b) => a + b, 0);
          if (Math.abs(rawSum - c.sum) > 1e-3) differ++;
          // greedy: the sum of processed log-probs; beams: sequences_scores
          const expected = name === 'greedy' ? c.sum : c.sum / c.tokens.length ** 2;
          expect(c.score).toBeCloseTo(expected, 9);
        }
      }
      expect(differ, 'captions whose processed sum differs from their raw log-probs').toBeGreaterThan(0);
    });
  }
});

describe('decoding settings', () => {
  it('fill from the model defaults, carry their canonical JSON and hash', () => {
    const d = resolveDecoding({ max_length: 24, num_beams: 1, unrelated: 'x' }, { num_beams: 3 });
    expect(d.config.max_length).toBe(24);
    expect(d.config.num_beams).toBe(3);
    expect(d.json).toBe(JSON.stringify(Object.fromEntries(Object.entries(d.config).sort())));
    expect(d.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(resolveDecoding({}, { ...d.config }).hash).toBe(d.hash);
    expect(resolveDecoding({}, { ...d.config, num_beams: 4 }).hash).not.toBe(d.hash);
  });

  it('check the cross-field rules after the model defaults are filled in, naming the field', () => {
    // the request alone is fine; with the model's single beam it asks for more candidates than beams
    expect(DecodingOptions.safeParse({ num_return_sequences: 3 }).success).toBe(true);
    expect(() => resolveDecoding({ num_beams: 1 }, { num_return_sequences: 3 })).toThrow(
      expect.objectContaining({ name: 'InferenceError', field: 'decoding.num_return_sequences' }),
    );
    // inference's own error; the API boundary makes it a 400 naming the field
    const err = (() => {
      try {
        resolveDecoding({ num_beams: 1 }, { num_return_sequences: 3 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InferenceError);
    expect(failure('captions.generate', err)).toMatchObject({
      status: 400,
      field: 'decoding.num_return_sequences',
    });
    expect(() => resolveDecoding({ max_length: 10 }, { min_length: 10 })).toThrow(
      expect.objectContaining({ field: 'decoding.min_length' }),
    );
    expect(() => resolveDecoding({ num_beams: 0 })).toThrow(/generation_config\.json: field 'num_beams'/);
  });

  it('are validated at the boundary: ranges, unknown keys and the rules, as field errors', () => {
    const issue = (o: unknown) => DecodingOptions.safeParse(o).error?.issues[0].path.join('.');
    expect(issue({ num_beams: 0 })).toBe('num_beams');
    expect(issue({ bogus: 1 })).toBe('');
    expect(DecodingOptions.safeParse({ bogus: 1 }).error?.issues[0].message).toMatch(/bogus/);
    expect(issue({ num_beams: 2, num_return_sequences: 3 })).toBe('num_return_sequences');
    expect(issue({ min_length: 5, max_length: 5 })).toBe('min_length');
    expect(issue({ attention_layer: -1 })).toBe(''); // a display choice, not a decoding setting
  });
});
