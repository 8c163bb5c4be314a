/**
 * Finished-hypothesis bookkeeping for beam search, with Hugging Face `generate` semantics
 * (see models/captioner/captioner.py, the reference this is tested against):
 * a hypothesis scores sum_logprobs / generated_len ** length_penalty, generated_len counting every
 * generated token including EOS; each image keeps its num_beams best in a sorted list.
 */
import type { Decoding } from './decoding.ts';

export interface Hypothesis<T> {
  tokens: number[];
  sum: number;
  score: number;
  payload: T;
}

export class BeamHypotheses<T> {
  /** best first */
  readonly items: Hypothesis<T>[] = [];

  constructor(
    private readonly size: number,
    private readonly lengthPenalty: number,
  ) {}

  score(sum: number, generatedLen: number): number {
    return sum / generatedLen ** this.lengthPenalty;
  }

  add(tokens: number[], sum: number, generatedLen: number, payload: T): void {
    const score = this.score(sum, generatedLen);
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

export interface Candidate {
  /** running score after this token */
  score: number;
  token: number;
  /** index of the source beam within the image's beams */
  beam: number;
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
