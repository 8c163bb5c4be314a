/**
 * One decoder step on ONNX Runtime for all live rows (beams x images), with the KV cache.
 * Cache tensors are matched by name from the session metadata: input `past_key_values.X` is fed
 * from output `present.X` of the previous step.
 */
import * as ort from 'onnxruntime-node';
import type { Bundle } from './bundle.ts';
import type { StepModel, StepOutput } from './generate.ts';

/** Gathers rows (dim 0) of a row-major float buffer. */
function gatherRows(data: Float32Array, rowSize: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * rowSize);
  rows.forEach((r, i) => {
    out.set(data.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  });
  return out;
}

export class KVCache {
  /** past input name -> tensor (rows, heads, time, head_dim) */
  private tensors = new Map<string, ort.Tensor>();

  get length(): number {
    const first = this.tensors.values().next().value;
    return first ? Number(first.dims[2]) : 0;
  }

  /** Takes `present.X` outputs as the next step's `past_key_values.X` inputs. */
  update(outputs: ort.InferenceSession.OnnxValueMapType, pastNames: readonly string[]): void {
    for (const past of pastNames) {
      const present = outputs[past.replace(/^past_key_values\./, 'present.')];
      if (present) this.tensors.set(past, present as ort.Tensor);
    }
  }

  /** Reorders (and drops) rows: beam reordering after each beam-search step. */
  select(rows: readonly number[]): void {
    for (const [name, t] of this.tensors) {
      const [, h, time, dh] = t.dims as number[];
      const data = gatherRows(t.data as Float32Array, h * time * dh, rows);
      this.tensors.set(name, new ort.Tensor('float32', data, [rows.length, h, time, dh]));
    }
  }

  feeds(
    pastNames: readonly string[],
    rows: number,
    heads: number,
    headDim: number,
  ): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    for (const name of pastNames) {
      out[name] =
        this.tensors.get(name) ?? new ort.Tensor('float32', new Float32Array(0), [rows, heads, 0, headDim]);
    }
    return out;
  }
}

export class OrtDecoder implements StepModel {
  private cache = new KVCache();
  private enc: Float32Array;
  private rows: number;
  private started = false;
  /** full sequences, only for bundles without a KV cache (they re-read the whole prefix) */
  private seqs: number[][] | null = null;
  private readonly attentionOutput: string | null;

  constructor(
    private readonly bundle: Bundle,
    encoderStates: ort.Tensor,
    attentionLayer: number,
  ) {
    const [B, S, E] = encoderStates.dims as number[];
    this.enc = encoderStates.data as Float32Array;
    this.rows = B;
    this.rowImage = Array.from({ length: B }, (_, i) => i);
    this.S = S;
    this.E = E;
    const layers = bundle.decoder.first.outputNames.filter((n) => /^cross_attentions\.\d+$/.test(n));
    const idx = attentionLayer < 0 ? layers.length + attentionLayer : attentionLayer;
    this.attentionOutput = layers.length ? `cross_attentions.${idx}` : null;
    if (this.attentionOutput && !layers.includes(this.attentionOutput)) {
      throw new Error(
        `attention_layer ${attentionLayer}: the decoder has ${layers.length} cross-attention layers`,
      );
    }
    const usesCache = bundle.decoder.firstTakesPast || bundle.decoder.withPast;
    if (!usesCache) this.seqs = Array.from({ length: B }, () => []);
  }

  private readonly S: number;
  private readonly E: number;
  /** which image each row's encoder states are */
  private rowImage: number[];

  select(rows: readonly number[]): void {
    // Encoder states belong to images, not beams: when the new rows map to the same images in the
    // same places (a reorder among one image's beams), the buffer is already right.
    const images = rows.map((r) => this.rowImage[r]);
    if (images.length !== this.rowImage.length || images.some((im, i) => im !== this.rowImage[i])) {
      this.enc = gatherRows(this.enc, this.S * this.E, rows);
    }
    this.rowImage = images;
    this.rows = rows.length;
    if (this.started) this.cache.select(rows);
    if (this.seqs) this.seqs = rows.map((r) => [...this.seqs![r]]);
  }

  async step(tokens: readonly number[]): Promise<StepOutput> {
    const N = tokens.length;
    if (N !== this.rows) throw new Error(`decoder step: ${N} tokens for ${this.rows} rows`);
    const { decoder, heads, headDim } = this.bundle;
    const session = this.started && decoder.withPast ? decoder.withPast : decoder.first;
    const pastNames = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
    let ids: BigInt64Array;
    let T = 1;
    if (this.seqs) {
      this.seqs.forEach((s, i) => {
        s.push(tokens[i]);
      });
      T = this.seqs[0].length;
      ids = BigInt64Array.from(this.seqs.flat(), BigInt);
    } else {
      ids = BigInt64Array.from(tokens, BigInt);
    }
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [N, T]),
      encoder_hidden_states: new ort.Tensor('float32', this.enc, [N, this.S, this.E]),
      ...this.cache.feeds(pastNames, N, heads, headDim),
    };
    if (session.inputNames.includes('use_cache_branch')) {
      feeds.use_cache_branch = new ort.Tensor('bool', new Uint8Array([this.started ? 1 : 0]), [1]);
    }
    if (session.inputNames.includes('encoder_attention_mask')) {
      feeds.encoder_attention_mask = new ort.Tensor('int64', new BigInt64Array(N * this.S).fill(1n), [
        N,
        this.S,
      ]);
    }
    if (session.inputNames.includes('attention_mask')) {
      const len = this.cache.length + T;
      feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(N * len).fill(1n), [N, len]);
    }
    const out = await session.run(feeds);
    const pastNext = (decoder.withPast ?? session).inputNames.filter((n) => n.startsWith('past_key_values.'));
    this.cache.update(out, pastNext);
    this.started = true;

    const logitsT = out.logits as ort.Tensor;
    const [, Tout, V] = logitsT.dims as number[];
    const all = logitsT.data as Float32Array;
    const logits =
      Tout === 1
        ? all
        : gatherRows(
            all,
            V,
            Array.from({ length: N }, (_, i) => i * Tout + Tout - 1),
          );
    let attention: Float32Array | null = null;
    if (this.attentionOutput && out[this.attentionOutput]) {
      const a = out[this.attentionOutput] as ort.Tensor;
      const [, H, Ta, S] = a.dims as number[];
      const data = a.data as Float32Array;
      attention = new Float32Array(N * S);
      for (let n = 0; n < N; n++) {
        for (let h = 0; h < H; h++) {
          const base = ((n * H + h) * Ta + Ta - 1) * S;
          for (let s = 0; s < S; s++) attention[n * S + s] += data[base + s] / H;
        }
      }
    }
    return { logits, vocab: V, attention, attentionSize: this.S };
  }
}
