/**
 * The decoding loop: greedy or beam search over all beams of all images of a batch, one decoder
 * call per step. The model behind `StepModel` owns the KV cache and encoder states; the loop tells
 * it which rows survive each step (`select`), so finished images drop out and beams are reordered.
 */
import { BeamHypotheses, topK } from './beam-scorer.ts';
import type { Decoding } from './decoding.ts';
import { logSoftmax, processRow } from './logits-process.ts';

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

export interface SpecialTokens {
  start: number;
  eos: number;
  pad: number;
}

export interface Sequence {
  /** generated tokens; EOS last when the sequence finished before max_length */
  tokens: number[];
  tokenLogprobs: number[];
  sum: number;
  /** sum / generated_len ** length_penalty */
  score: number;
  /** per generated token: attention over the encoder tokens */
  attention: Float32Array[] | null;
}

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

interface Beam {
  seq: number[]; // start token first
  lps: number[];
  att: Float32Array[];
  score: number;
}

function sliceAttention(out: StepOutput, row: number): Float32Array | null {
  return out.attention ? out.attention.slice(row * out.attentionSize, (row + 1) * out.attentionSize) : null;
}

function toSequence(b: Beam, score: number, hasAttention: boolean): Sequence {
  return {
    tokens: b.seq.slice(1),
    tokenLogprobs: b.lps,
    sum: b.score,
    score,
    attention: hasAttention ? b.att : null,
  };
}

export async function generate(
  model: StepModel,
  images: number,
  d: Decoding,
  sp: SpecialTokens,
  signal?: AbortSignal,
): Promise<Sequence[][]> {
  return d.num_beams === 1 ? greedy(model, images, d, sp, signal) : beamSearch(model, images, d, sp, signal);
}

/** Hugging Face greedy search: processors on the raw logits, then arg-max. */
async function greedy(
  model: StepModel,
  images: number,
  d: Decoding,
  sp: SpecialTokens,
  signal?: AbortSignal,
): Promise<Sequence[][]> {
  const results: Sequence[][] = Array.from({ length: images }, () => []);
  let active = Array.from({ length: images }, (_, image) => ({
    image,
    beam: { seq: [sp.start], lps: [], att: [], score: 0 } as Beam,
  }));
  let hasAttention = false;
  const finish = (a: (typeof active)[number]) => {
    const len = Math.max(1, a.beam.seq.length - 1);
    results[a.image] = [toSequence(a.beam, a.beam.score / len ** d.length_penalty, hasAttention)];
  };
  while (active.length && active[0].beam.seq.length < d.max_length) {
    if (signal?.aborted) throw new Cancelled();
    const out = await model.step(active.map((a) => a.beam.seq[a.beam.seq.length - 1]));
    hasAttention = out.attention !== null;
    const V = out.vocab;
    const keep: number[] = [];
    const next: typeof active = [];
    active.forEach((a, r) => {
      const row = out.logits.slice(r * V, (r + 1) * V);
      processRow(row, a.beam.seq, d, sp.eos);
      let tok = 0;
      for (let v = 1; v < V; v++) if (row[v] > row[tok]) tok = v;
      const lp = logSoftmax(row)[tok];
      const b = a.beam;
      b.seq.push(tok);
      b.lps.push(lp);
      b.score += lp;
      const att = sliceAttention(out, r);
      if (att) b.att.push(att);
      if (tok === sp.eos) finish(a);
      else {
        keep.push(r);
        next.push(a);
      }
    });
    if (next.length && next.length !== active.length) model.select(keep);
    active = next;
  }
  active.forEach(finish);
  return results;
}

/** Beam search with Hugging Face `generate` semantics (see beam-scorer.ts). */
async function beamSearch(
  model: StepModel,
  images: number,
  d: Decoding,
  sp: SpecialTokens,
  signal?: AbortSignal,
): Promise<Sequence[][]> {
  const K = d.num_beams;
  type Payload = { lps: number[]; att: Float32Array[] };
  const hyps = Array.from({ length: images }, () => new BeamHypotheses<Payload>(K, d.length_penalty));
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
  // The first step runs one row per image: its K beams are identical and all but the first start
  // at -1e9, so they could not reach the top 2K anyway. The rows are expanded to K beams after it.
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
      const rowLps: Float32Array[] = [];
      a.beams.slice(0, rowsPerImage).forEach((b, k) => {
        const r = ai * rowsPerImage + k;
        const row = logSoftmax(out.logits.slice(r * V, (r + 1) * V));
        processRow(row, b.seq, d, sp.eos);
        rowLps.push(row);
        for (let v = 0; v < V; v++) totals[k * V + v] = row[v] + b.score;
      });
      const top = topK(rowsPerImage === K ? totals : totals.subarray(0, rowsPerImage * V), 2 * K);
      const beams: Beam[] = [];
      for (let rank = 0; rank < 2 * K && beams.length < K; rank++) {
        const k = Math.floor(top.indices[rank] / V);
        const tok = top.indices[rank] % V;
        const src = a.beams[k];
        const r = ai * rowsPerImage + k;
        const lps = [...src.lps, rowLps[k][tok]];
        const att = sliceAttention(out, r);
        const atts = att ? [...src.att, att] : src.att;
        if (tok === sp.eos) {
          if (rank >= K) continue; // an EOS below the top num_beams does not finish a hypothesis
          hyps[a.image].add([...src.seq.slice(1), tok], top.scores[rank], genLen, { lps, att: atts });
        } else {
          beams.push({ seq: [...src.seq, tok], lps, att: atts, score: top.scores[rank] });
          keep.push(r);
        }
      }
      if (beams.length < K && !hyps[a.image].isDone(top.scores[0], genLen, d)) {
        throw new Error(`beam search: fewer than ${K} live beams for image ${a.image}; raise num_beams`);
      }
      if (hyps[a.image].isDone(top.scores[0], genLen, d)) {
        keep.length -= beams.length;
      } else {
        next.push({ image: a.image, beams });
      }
    });
    if (next.length) model.select(keep);
    active = next;
    rowsPerImage = K;
  }
  for (const a of active) {
    for (const b of a.beams)
      hyps[a.image].add(b.seq.slice(1), b.score, b.seq.length - 1, { lps: b.lps, att: b.att });
  }
  return hyps.map((h) =>
    h.items.slice(0, d.num_return_sequences).map((x) => ({
      tokens: x.tokens,
      tokenLogprobs: x.payload.lps,
      sum: x.sum,
      score: x.score,
      attention: hasAttention ? x.payload.att : null,
    })),
  );
}
