/**
 * Logits processors: small functions that edit one row of next-token scores in place, given the
 * sequence so far (decoder start token included). They act on log-probs in beam search and on raw
 * logits in greedy search, as Hugging Face `generate` does. `logitsProcessors` builds the list for a
 * decoding config once; the order is fixed: min length -> repetition penalty -> no-repeat n-gram ->
 * forced BOS -> forced EOS (the last two are the model's, from its generation config).
 */
import type { Decoding } from '../../api/decoding.ts';
import type { SpecialTokens } from './special-tokens.ts';

export type LogitsProcessor = (row: Float32Array, seq: readonly number[]) => void;

/** No EOS while the sequence (start token included) is shorter than `min`. */
export const minLength =
  (min: number, eos: number): LogitsProcessor =>
  (row, seq) => {
    if (seq.length < min) row[eos] = Number.NEGATIVE_INFINITY;
  };

/** CTRL's penalty (Keskar et al. 2019): previously seen tokens become less likely. */
export const repetitionPenalty =
  (penalty: number): LogitsProcessor =>
  (row, seq) => {
    for (const t of new Set(seq)) {
      const s = row[t];
      row[t] = s < 0 ? s * penalty : s / penalty;
    }
  };

/** Bans every token that would complete an n-gram already present in the sequence. */
export const noRepeatNgram =
  (n: number): LogitsProcessor =>
  (row, seq) => {
    if (seq.length + 1 < n) return;
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
  };

/** Leaves only `token` possible, with score 0, when the sequence has `length` tokens (HF's forced BOS/EOS). */
export const forceAt =
  (length: number, token: number): LogitsProcessor =>
  (row, seq) => {
    if (seq.length !== length) return;
    row.fill(Number.NEGATIVE_INFINITY);
    row[token] = 0;
  };

/** The processors a decoding config asks for, in their fixed order; settings that do nothing are left out. */
export function logitsProcessors(d: Decoding, sp: SpecialTokens): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if (d.min_length > 0) list.push(minLength(d.min_length, sp.eos));
  if (d.repetition_penalty !== 1) list.push(repetitionPenalty(d.repetition_penalty));
  if (d.no_repeat_ngram_size > 0) list.push(noRepeatNgram(d.no_repeat_ngram_size));
  if (sp.forcedBos !== undefined) list.push(forceAt(1, sp.forcedBos));
  if (sp.forcedEos !== undefined) list.push(forceAt(d.max_length - 1, sp.forcedEos));
  return list;
}

export function applyProcessors(
  list: readonly LogitsProcessor[],
  row: Float32Array,
  seq: readonly number[],
): void {
  for (const p of list) p(row, seq);
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
