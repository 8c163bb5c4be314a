/**
 * Beam search bookkeeping with the semantics of Hugging Face transformers >= 4.50 `generate` (the
 * vectorised `_beam_search`; the reference it is tested against is
 * models/captioner/model/generation.py): a finished hypothesis scores
 * sum_logprobs / generated_len ** length_penalty, generated_len counting every generated token
 * including EOS; each image keeps its num_beams best in a sorted list.
 *
 * Stopping rule (`_check_early_stop_heuristic`): an image is done once it holds num_beams finished
 * hypotheses and the best beam still running — EOS candidates excluded — divided by
 * generated_len ** length_penalty (max_length - 1 with early_stopping "never" and a positive
 * penalty) cannot beat the worst of them. transformers 4.38-4.48 bounded with the best of all
 * 2 x num_beams candidates, EOS included; the parity golden holds a case where the two differ.
 *
 * The scorer is its own unit, as in onnxruntime-genai: `process` one step's candidates, ask
 * `isDone`, `finalize` at the end.
 */
import type { Decoding } from '../../api/decoding.ts';

export interface Hypothesis<T> {
  tokens: number[];
  sum: number;
  score: number;
  payload: T;
}

/** The finished hypotheses of one image: at most `size`, best first. */
export class BeamHypotheses<T> {
  readonly items: Hypothesis<T>[] = [];

  constructor(
    private readonly size: number,
    private readonly lengthPenalty: number,
  ) {}

  add(tokens: number[], sum: number, generatedLen: number, payload: T): void {
    const score = sum / generatedLen ** this.lengthPenalty;
    if (this.items.length >= this.size && score <= this.worst()) return;
    let i = this.items.length;
    while (i > 0 && this.items[i - 1].score < score) i--;
    this.items.splice(i, 0, { tokens, sum, score, payload });
    if (this.items.length > this.size) this.items.pop();
  }

  worst(): number {
    return this.items.length ? this.items[this.items.length - 1].score : Number.NEGATIVE_INFINITY;
  }

  /** Can no running beam beat the worst finished one any more? */
  isDone(bestRunningSum: number, generatedLen: number, d: Decoding): boolean {
    if (this.items.length < this.size) return false;
    if (d.early_stopping === true) return true;
    const len = d.early_stopping === 'never' && d.length_penalty > 0 ? d.max_length - 1 : generatedLen;
    return this.worst() >= bestRunningSum / len ** d.length_penalty;
  }
}

/** A possible next beam: running score after `token`, extending beam `beam` of the image. */
export interface BeamCandidate {
  score: number;
  token: number;
  beam: number;
}

export class BeamScorer<T> {
  private readonly hyps: BeamHypotheses<T>[];
  private readonly done: boolean[];

  constructor(
    images: number,
    private readonly d: Decoding,
    private readonly eos: number,
  ) {
    this.hyps = Array.from({ length: images }, () => new BeamHypotheses<T>(d.num_beams, d.length_penalty));
    this.done = new Array(images).fill(false);
  }

  /**
   * One step of one image. `candidates` are its top 2 x num_beams, best first. An EOS among the
   * first num_beams finishes a hypothesis (`finished` gives its tokens and payload); an EOS below
   * them is skipped; the first num_beams others go on, and are returned.
   */
  process(
    image: number,
    candidates: BeamCandidate[],
    generatedLen: number,
    finished: (c: BeamCandidate) => { tokens: number[]; payload: T },
  ): BeamCandidate[] {
    const K = this.d.num_beams;
    const next: BeamCandidate[] = [];
    for (let rank = 0; rank < candidates.length && next.length < K; rank++) {
      const c = candidates[rank];
      if (c.token !== this.eos) next.push(c);
      else if (rank < K) {
        const h = finished(c);
        this.hyps[image].add(h.tokens, c.score, generatedLen, h.payload);
      }
    }
    const bestRunning = next.length ? next[0].score : Number.NEGATIVE_INFINITY;
    this.done[image] = this.hyps[image].isDone(bestRunning, generatedLen, this.d);
    if (next.length < K && !this.done[image])
      throw new Error(`beam search: fewer than ${K} live beams for image ${image}; raise num_beams`);
    return next;
  }

  isDone(image: number): boolean {
    return this.done[image];
  }

  /** The image's n-best, after offering it the beams still running at the length limit. */
  finalize(
    image: number,
    running: { tokens: number[]; sum: number; generatedLen: number; payload: T }[],
  ): Hypothesis<T>[] {
    for (const r of running) this.hyps[image].add(r.tokens, r.sum, r.generatedLen, r.payload);
    return this.hyps[image].items.slice(0, this.d.num_return_sequences);
  }
}

/**
 * The top `k` (score, index) pairs of a flat array, best first, ties broken by lower index.
 * A bounded insertion list: k is small (2 x num_beams), the array is num_beams x vocab.
 */
export function topK(
  values: Float64Array | Float32Array,
  k: number,
): { scores: number[]; indices: number[] } {
  const scores: number[] = [];
  const indices: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (scores.length === k && !(v > scores[k - 1])) continue;
    let j = Math.min(scores.length, k - 1);
    if (scores.length < k) {
      scores.push(v);
      indices.push(i);
    }
    while (j > 0 && scores[j - 1] < v) {
      scores[j] = scores[j - 1];
      indices[j] = indices[j - 1];
      j--;
    }
    scores[j] = v;
    indices[j] = i;
  }
  return { scores, indices };
}
