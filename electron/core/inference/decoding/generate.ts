/**
 * The decoding loop: greedy or beam search over all beams of all images of a batch, one decoder
 * call per step. The model behind `StepModel` owns the KV cache and encoder states; the loop tells
 * it which rows survive each step (`select`), so finished images drop out and beams are reordered.
 */

import type { Decoding } from '../../api/decoding.ts';
import { type BeamCandidate, BeamScorer, topK } from './beam-scorer.ts';
import { applyProcessors, type LogitsProcessor, logitsProcessors, logSoftmax } from './logits-process.ts';
import type { SpecialTokens } from './special-tokens.ts';

export interface StepOutput {
  /** (rows, vocab) logits of the last position */
  logits: Float32Array;
  vocab: number;
  /** (rows, tokens) cross-attention of this step over the encoder tokens, or null if unavailable */
  attention: Float32Array | null;
  attentionSize: number;
}

export interface StepModel {
  step(tokens: readonly number[]): Promise<StepOutput>;
  /** Keep these rows, in this order (may repeat rows, e.g. to expand an image into its beams). */
  select(rows: readonly number[]): void;
}

/**
 * One generated sequence of an image. One meaning per score, whatever the search:
 * - `tokenLogprobs`: the raw log-probability of each chosen token, log_softmax of the model's
 *   logits BEFORE the logits processors (what the model thought of the token);
 * - `sum`: the sum of the chosen tokens' PROCESSED log-probabilities (after min length, repetition
 *   penalty, no-repeat n-grams, forced tokens), the quantity the search ranks by;
 * - `score`: the sequence score as Hugging Face reports it: beam search's `sequences_scores`
 *   (sum / generated_len ** length_penalty), greedy's sum of processed log-probs (`sum`: greedy
 *   applies no length penalty).
 */
export interface Sequence {
  /** generated tokens; EOS last when the sequence finished before max_length */
  tokens: number[];
  tokenLogprobs: number[];
  sum: number;
  score: number;
  /** per generated token: attention over the encoder tokens */
  attention: Float32Array[] | null;
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

/** A sequence being extended: the start token first, then one log-prob and attention map per token. */
interface Beam {
  seq: number[];
  lps: number[];
  att: Float32Array[];
  score: number;
}

function sliceAttention(out: StepOutput, row: number): Float32Array | null {
  return out.attention ? out.attention.slice(row * out.attentionSize, (row + 1) * out.attentionSize) : null;
}

/** `b` extended by `token`: its log-prob and, when the model gives one, this step's attention. */
function extend(b: Beam, token: number, lp: number, att: Float32Array | null, score: number): Beam {
  return { seq: [...b.seq, token], lps: [...b.lps, lp], att: att ? [...b.att, att] : b.att, score };
}

export async function generate(
  model: StepModel,
  images: number,
  d: Decoding,
  sp: SpecialTokens,
  signal?: AbortSignal,
): Promise<Sequence[][]> {
  const search: Search = { model, images, d, sp, processors: logitsProcessors(d, sp), signal };
  return d.num_beams === 1 ? greedy(search) : beamSearch(search);
}

/** What one decoding run works with. */
interface Search {
  model: StepModel;
  images: number;
  d: Decoding;
  sp: SpecialTokens;
  processors: LogitsProcessor[];
  signal?: AbortSignal;
}

/** Hugging Face greedy search: processors on the raw logits, then arg-max. */
async function greedy({ model, images, d, sp, processors, signal }: Search): Promise<Sequence[][]> {
  const results: Sequence[][] = Array.from({ length: images }, () => []);
  let active = Array.from({ length: images }, (_, image) => ({
    image,
    beam: { seq: [sp.start], lps: [], att: [], score: 0 } as Beam,
  }));
  let hasAttention = false;
  const finish = ({ image, beam }: (typeof active)[number]) => {
    results[image] = [
      {
        tokens: beam.seq.slice(1),
        tokenLogprobs: beam.lps,
        sum: beam.score,
        score: beam.score,
        attention: hasAttention ? beam.att : null,
      },
    ];
  };
  while (active.length && active[0].beam.seq.length < d.max_length) {
    if (signal?.aborted) throw new Cancelled();
    const out = await model.step(active.map((a) => a.beam.seq[a.beam.seq.length - 1]));
    hasAttention = out.attention !== null;
    const V = out.vocab;
    const keep: number[] = [];
    const next: typeof active = [];
    active.forEach((a, r) => {
      const raw = out.logits.slice(r * V, (r + 1) * V);
      const row = processors.length ? raw.slice() : raw;
      applyProcessors(processors, row, a.beam.seq);
      let tok = 0;
      for (let v = 1; v < V; v++) if (row[v] > row[tok]) tok = v;
      const lp = logSoftmax(row)[tok];
      const rawLp = row === raw ? lp : logSoftmax(raw)[tok];
      const extended = {
        image: a.image,
        beam: extend(a.beam, tok, rawLp, sliceAttention(out, r), a.beam.score + lp),
      };
      if (tok === sp.eos) finish(extended);
      else {
        keep.push(r);
        next.push(extended);
      }
    });
    if (next.length && next.length !== active.length) model.select(keep);
    active = next;
  }
  active.forEach(finish);
  return results;
}

/** Beam search with Hugging Face `generate` semantics (see beam-scorer.ts). */
async function beamSearch({ model, images, d, sp, processors, signal }: Search): Promise<Sequence[][]> {
  const K = d.num_beams;
  type Payload = { lps: number[]; att: Float32Array[] };
  const scorer = new BeamScorer<Payload>(images, d, sp.eos);
  let active = Array.from({ length: images }, (_, image) => ({
    image,
    // initial scores [0, -1e9, ...]: the beams of one image must not start identical
    beams: Array.from(
      { length: K },
      (_, k): Beam => ({ seq: [sp.start], lps: [], att: [], score: k ? -1e9 : 0 }),
    ),
  }));
  let hasAttention = false;
  let totals = new Float64Array(0);
  // The first step runs one row per image: its K beams are identical, so the model is asked once
  // and the other beams (starting at -1e9) are scored from the same row, as HF scores them.
  let rowsPerImage = 1;
  while (active.length && active[0].beams[0].seq.length < d.max_length) {
    if (signal?.aborted) throw new Cancelled();
    const out = await model.step(
      active.flatMap((a) => a.beams.slice(0, rowsPerImage).map((b) => b.seq[b.seq.length - 1])),
    );
    hasAttention = out.attention !== null;
    const V = out.vocab;
    if (rowsPerImage === 1 && V < 2 * K)
      throw new Error(`beam search: num_beams ${K} needs a vocabulary of at least ${2 * K}`);
    if (totals.length !== K * V) totals = new Float64Array(K * V);
    const genLen = active[0].beams[0].seq.length; // generated tokens once this step's token is added
    const keep: number[] = [];
    const next: typeof active = [];
    active.forEach((a, ai) => {
      const rowOf = (k: number) => ai * rowsPerImage + (rowsPerImage === 1 ? 0 : k);
      // per step: log-softmax, processors, plus the running beam score; the top 2K go to the scorer
      const rawLps: Float32Array[] = [];
      const rowLps = a.beams.slice(0, rowsPerImage).map((b, k) => {
        const r = rowOf(k);
        const raw = logSoftmax(out.logits.slice(r * V, (r + 1) * V));
        rawLps.push(raw);
        const row = processors.length ? raw.slice() : raw;
        applyProcessors(processors, row, b.seq);
        return row;
      });
      const lpsOf = (k: number) => rowLps[rowsPerImage === 1 ? 0 : k];
      const rawOf = (k: number) => rawLps[rowsPerImage === 1 ? 0 : k];
      a.beams.forEach((b, k) => {
        const row = lpsOf(k);
        for (let v = 0; v < V; v++) totals[k * V + v] = row[v] + b.score;
      });
      const top = topK(totals, 2 * K);
      const candidates = top.indices.map((idx, rank) => ({
        score: top.scores[rank],
        token: idx % V,
        beam: Math.floor(idx / V),
      }));
      const grow = (c: BeamCandidate) =>
        extend(a.beams[c.beam], c.token, rawOf(c.beam)[c.token], sliceAttention(out, rowOf(c.beam)), c.score);
      const continuing = scorer.process(a.image, candidates, genLen, (c) => {
        const b = grow(c);
        return { tokens: b.seq.slice(1), payload: { lps: b.lps, att: b.att } };
      });
      if (scorer.isDone(a.image)) return;
      next.push({ image: a.image, beams: continuing.map(grow) });
      for (const c of continuing) keep.push(rowOf(c.beam));
    });
    if (next.length) model.select(keep);
    active = next;
    rowsPerImage = K;
  }
  const running = new Map(active.map((a) => [a.image, a.beams]));
  return Array.from({ length: images }, (_, image) =>
    scorer
      .finalize(
        image,
        (running.get(image) ?? []).map((b) => ({
          tokens: b.seq.slice(1),
          sum: b.score,
          generatedLen: b.seq.length - 1,
          payload: { lps: b.lps, att: b.att },
        })),
      )
      .map((h) => ({
        tokens: h.tokens,
        tokenLogprobs: h.payload.lps,
        sum: h.sum,
        score: h.score,
        attention: hasAttention ? h.payload.att : null,
      })),
  );
}
