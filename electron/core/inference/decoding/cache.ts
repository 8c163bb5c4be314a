/**
 * The decoder's key/value cache. Input `past_key_values.X` is fed from output `present.X` of the
 * previous step, by name from the sessions' metadata. Seq2seq decoders also cache the encoder's
 * keys and values (`past_key_values.{i}.encoder.*`): those are computed on the first step and kept — later steps' `present.{i}.encoder.*` (constant and empty in
 * a merged decoder's with-past branch) never overwrite them, and beams share them. Beam reordering
 * is `select`.
 */
import * as ort from 'onnxruntime-node';
import { emptyInput, gatherRows } from '../runtime/tensors.ts';

const isEncoderCache = (name: string) => /\.encoder\.(key|value)$/.test(name);

export class KVCache {
  /** past input name -> tensor (rows, heads, time, head_dim) */
  private tensors = new Map<string, ort.Tensor>();

  /** The decoder's own past length (the encoder cache's length is the encoder's). */
  get length(): number {
    for (const [name, t] of this.tensors) if (!isEncoderCache(name)) return Number(t.dims[2]);
    return 0;
  }

  /** Takes `present.X` outputs as the next step's `past_key_values.X` inputs. */
  update(outputs: ort.InferenceSession.OnnxValueMapType, pastNames: readonly string[]): void {
    for (const past of pastNames) {
      // an encoder cache is set once, by the first step
      if (isEncoderCache(past) && this.tensors.has(past)) continue;
      const present = outputs[past.replace(/^past_key_values\./, 'present.')];
      if (present) this.tensors.set(past, present as ort.Tensor);
    }
  }

  /**
   * Reorders (and drops) rows: beam reordering after each beam-search step. The encoder cache
   * belongs to images, not beams: with `sameImages` (the rows still show the same images in the
   * same places, a reorder among each image's beams) it is left as it is.
   */
  select(rows: readonly number[], sameImages: boolean): void {
    for (const [name, t] of this.tensors) {
      if (sameImages && isEncoderCache(name)) continue;
      const [, ...rest] = t.dims as number[];
      const rowSize = rest.reduce((a, b) => a * b, 1);
      const data = gatherRows(t.data as Float32Array | Uint16Array, rowSize, rows);
      this.tensors.set(name, new ort.Tensor(t.type as 'float32', data, [rows.length, ...rest]));
    }
  }

  feeds(
    s: ort.InferenceSession,
    pastNames: readonly string[],
    rows: number,
    fallback: number[],
  ): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const name of pastNames) out[name] = this.tensors.get(name) ?? emptyInput(s, name, rows, fallback);
    return out;
  }
}
