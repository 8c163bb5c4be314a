/**
 * Logits processors, applied in a fixed order to one row of scores (log-probs in beam search,
 * raw logits in greedy search, as Hugging Face `generate` does):
 * min length -> repetition penalty -> no-repeat n-gram. Each takes the row and the sequence so far
 * (decoder start token included) and edits the row in place.
 */
import type { Decoding } from './decoding.ts';

export function minLength(row: Float32Array, seq: readonly number[], min: number, eos: number): void {
  if (seq.length < min) row[eos] = Number.NEGATIVE_INFINITY;
}

/** CTRL's penalty (Keskar et al. 2019): previously seen tokens become less likely. */
export function repetitionPenalty(row: Float32Array, seq: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set(seq);
  for (const t of seen) {
    const s = row[t];
    row[t] = s < 0 ? s * penalty : s / penalty;
  }
}

/** Bans every token that would complete an n-gram already present in the sequence. */
export function noRepeatNgram(row: Float32Array, seq: readonly number[], n: number): void {
  if (n <= 0 || seq.length + 1 < n) return;
  const start = seq.length - n + 1; // the (n-1)-token prefix the next token would extend
  for (let i = 0; i + n <= seq.length; i++) {
    let same = true;
    for (let j = 0; j < n - 1; j++) {
      if (seq[i + j] !== seq[start + j]) {
        same = false;
        break;
      }
    }
    if (same) row[seq[i + n - 1]] = Number.NEGATIVE_INFINITY;
  }
}

export function processRow(row: Float32Array, seq: readonly number[], d: Decoding, eos: number): void {
  minLength(row, seq, d.min_length, eos);
  repetitionPenalty(row, seq, d.repetition_penalty);
  noRepeatNgram(row, seq, d.no_repeat_ngram_size);
}

/** In-place log-softmax of a row; returns it. */
export function logSoftmax(row: Float32Array): Float32Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < row.length; i++) row[i] -= lse;
  return row;
}
