/**
 * One decoder step on ONNX Runtime for all live rows (beams x images), with the KV cache. Every
 * input is fed only when the session declares it (`use_cache_branch`, `encoder_attention_mask`,
 * `attention_mask`, `position_ids`), in the type it declares (float32 or float16).
 */
import * as ort from 'onnxruntime-node';
import { HOISTED } from '../graph/hoist.ts';
import { ROW_IMAGE } from '../graph/rows.ts';
import { asInput, gatherRows, readFloats } from '../runtime/tensors.ts';
import { KVCache } from './cache.ts';
import type { StepModel, StepOutput } from './generate.ts';

/** What a decoder step needs of a loaded bundle. */
export interface DecoderModel {
  decoder: {
    /** first step (no past); also every step when there is no cache at all */
    first: ort.InferenceSession;
    /** later steps, when the bundle has a separate with-past decoder */
    withPast: ort.InferenceSession | null;
    firstTakesPast: boolean;
    /** the per-image graph of a hoisted decoder (graph/hoist.ts): its outputs are the decoder's `hoisted.*` inputs */
    perImage?: ort.InferenceSession | null;
  };
  /** only for a cache input whose metadata gives no shape */
  heads: number;
  headDim: number;
  /** input embeddings of token ids, for decoders that take `inputs_embeds` */
  model: { embed?(ids: BigInt64Array, rows: number, rowImage: readonly number[]): Promise<ort.Tensor> };
}

const pastInputs = (s: ort.InferenceSession) => s.inputNames.filter((n) => n.startsWith('past_key_values.'));

export class OrtDecoder implements StepModel {
  private cache = new KVCache();
  private enc: ort.Tensor;
  private rows: number;
  private started = false;
  /** full sequences, only for bundles without a KV cache (they re-read the whole prefix) */
  private seqs: number[][] | null = null;
  private readonly attentionOutput: string | null;
  private readonly S: number;
  private readonly E: number;
  /** which image each row's encoder states are */
  private rowImage: number[];
  /** the encoder states per image, as given */
  private readonly images: ort.Tensor;
  /** the per-image graph's outputs per image, once a step needs them (the decoder gathers rows: `ROW_IMAGE`) */
  private perImage: Record<string, ort.Tensor> | null = null;
  /** sees every step's full outputs (the CLI's raw attention reads all layers and heads there) */
  onOutputs?: (out: ort.InferenceSession.OnnxValueMapType) => void;

  constructor(
    private readonly bundle: DecoderModel,
    encoderStates: ort.Tensor,
    attentionLayer: number,
  ) {
    const [B, S, E] = encoderStates.dims as number[];
    this.enc = encoderStates;
    this.images = encoderStates;
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

  select(rows: readonly number[]): void {
    // Encoder states belong to images, not beams: when the new rows map to the same images in the
    // same places (a reorder among one image's beams), the buffer is already right.
    const images = rows.map((r) => this.rowImage[r]);
    const sameImages =
      images.length === this.rowImage.length && images.every((im, i) => im === this.rowImage[i]);
    if (!sameImages) {
      const data = gatherRows(this.enc.data as Float32Array | Uint16Array, this.S * this.E, rows);
      this.enc = new ort.Tensor(this.enc.type as 'float32', data, [rows.length, this.S, this.E]);
    }
    this.rowImage = images;
    this.rows = rows.length;
    if (this.started) this.cache.select(rows, sameImages);
    if (this.seqs) this.seqs = rows.map((r) => [...this.seqs![r]]);
  }

  async step(tokens: readonly number[]): Promise<StepOutput> {
    const N = tokens.length;
    if (N !== this.rows) throw new Error(`decoder step: ${N} tokens for ${this.rows} rows`);
    const { decoder } = this.bundle;
    const session = this.started && decoder.withPast ? decoder.withPast : decoder.first;
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
    const past = this.cache.length;
    const ones = (n: number) => new BigInt64Array(n).fill(1n);
    const offered: Record<string, () => ort.Tensor> = {
      input_ids: () => new ort.Tensor('int64', ids, [N, T]),
      encoder_hidden_states: () => asInput(session, 'encoder_hidden_states', this.enc),
      use_cache_branch: () => new ort.Tensor('bool', new Uint8Array([this.started ? 1 : 0]), [1]),
      encoder_attention_mask: () => new ort.Tensor('int64', ones(N * this.S), [N, this.S]),
      attention_mask: () => new ort.Tensor('int64', ones(N * (past + T)), [N, past + T]),
      position_ids: () =>
        new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: N * T }, (_, i) => BigInt(past + (i % T))),
          [N, T],
        ),
    };
    // decoders that take embeddings get the new tokens through the model's own embedding
    if (session.inputNames.includes('inputs_embeds')) {
      const { embed } = this.bundle.model;
      if (!embed) throw new Error("the decoder takes 'inputs_embeds' but the model has no token embedding");
      const embeds = await embed(ids, N, this.rowImage);
      offered.inputs_embeds = () => asInput(session, 'inputs_embeds', embeds);
    }
    const feeds: Record<string, ort.Tensor> = this.cache.feeds(session, pastInputs(session), N, [
      N,
      this.bundle.heads,
      0,
      this.bundle.headDim,
    ]);
    for (const name of session.inputNames) if (offered[name]) feeds[name] = offered[name]();
    if (session.inputNames.some((n) => HOISTED.test(n))) Object.assign(feeds, await this.hoisted());
    // each row's image: a hoisted decoder's rows of keys and values, per-image scales (graph/quant.ts)
    if (session.inputNames.includes(ROW_IMAGE))
      feeds[ROW_IMAGE] = new ort.Tensor('int64', BigInt64Array.from(this.rowImage, BigInt), [this.rows]);
    const out = await session.run(feeds);
    this.onOutputs?.(out);
    this.cache.update(out, pastInputs(decoder.withPast ?? session));
    this.started = true;

    const logitsT = out.logits as ort.Tensor;
    const [, Tout, V] = logitsT.dims as number[];
    const all = readFloats(logitsT);
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
      const data = readFloats(a);
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

  /**
   * The per-image graph's outputs, computed once per image: the decoder gathers a row's keys and
   * values itself by `ROW_IMAGE` (graph/hoist.ts), so no per-beam copy is made here.
   */
  private async hoisted(): Promise<Record<string, ort.Tensor>> {
    const s = this.bundle.decoder.perImage;
    if (!s) throw new Error('the decoder takes hoisted.* inputs but the bundle has no per-image graph');
    this.perImage ??= await this.runPerImage(s);
    return this.perImage;
  }

  /**
   * The per-image graph over the images one at a time, each image's results copied into their rows
   * of buffers made once: ORT's results for all images at once and their copies into JavaScript
   * would be held together (fp32 vit-gpt2: 14.5 MB per image each).
   */
  private async runPerImage(s: ort.InferenceSession): Promise<Record<string, ort.Tensor>> {
    const [B, S, E] = this.images.dims as number[];
    const data = this.images.data as Float32Array | Uint16Array;
    const out: Record<string, ort.Tensor> = {};
    for (let b = 0; b < B; b++) {
      const one = new ort.Tensor(
        this.images.type as 'float32',
        data.subarray(b * S * E, (b + 1) * S * E) as Float32Array,
        [1, S, E],
      );
      const r = await s.run({ encoder_hidden_states: asInput(s, 'encoder_hidden_states', one) });
      for (const [name, t] of Object.entries(r)) {
        const src = t.data as Float32Array;
        out[name] ??= new ort.Tensor(
          t.type as 'float32',
          new (src.constructor as new (n: number) => Float32Array)(B * src.length),
          [B, ...(t.dims as number[]).slice(1)],
        );
        (out[name].data as Float32Array).set(src, b * src.length);
      }
    }
    return out;
  }
}
