/**
 * The captioning engine: a loaded bundle, preprocessing, batched decoding with attention maps.
 * It runs where its ONNX Runtime sessions live: inside the inference worker thread for the studio
 * (`remote.ts` is its stand-in on the thread that answers the UI), in-thread for tests and benchmarks.
 */
import { readFile } from 'node:fs/promises';
import type * as ort from 'onnxruntime-node';
import { DEFAULT_BATCH_SIZE, type Dtype } from '../api/contract.ts';
import type { DecodingOptions, Task } from '../api/decoding.ts';
import { type Bundle, type LoadOptions, loadBundle } from './bundle.ts';
import { OrtDecoder } from './decoding/decoder.ts';
import { generate, type Sequence } from './decoding/generate.ts';
import { type ResolvedDecoding, resolveDecoding } from './decoding/settings.ts';
import type { Capabilities } from './family.ts';
import { dynamicallyQuantized } from './graph/quant.ts';
import { type Decoded, ImageDecodeError, inputSize, preprocessImage } from './preprocess.ts';
import { concatRows, floatInput } from './runtime/tensors.ts';

/** One hypothesis of the model for an image, ready to show and store. */
export interface GeneratedCaption {
  rank: number;
  text: string;
  tokens: number[];
  /** the text of each generated token ('' for special tokens), for per-word heat-maps */
  tokenTexts: string[];
  tokenLogprobs: number[];
  sum: number;
  score: number;
  /** per generated token: attention over the patch grid (rows x cols, raster order), or null */
  attention: Float32Array[] | null;
}

export interface ImageCaptions {
  width: number;
  height: number;
  format: string;
  candidates: GeneratedCaption[];
}

export interface FileInput {
  file: string;
  /** the file's bytes when the caller has read them already */
  bytes?: Uint8Array;
  /** caller's own reference, passed through */
  id?: number;
}

/**
 * Rows (images x beams) per decoder pass: bounds the KV caches' memory (a vit-gpt2-sized model holds
 * ~14 MB of cross-attention keys and values per row). Measured on a vit-gpt2-sized int8 model, 16
 * photos, beam-5: 8 rows 1.01 images/s (peak 1.24 GB), 16 rows 1.32 (1.57 GB), 32 rows 1.28
 * (1.74 GB); 80 rows (all 16 images at once) peaked 1.1 GB higher still.
 */
export const MAX_DECODER_ROWS = 16;

/**
 * Images per encoder call; a batch's states are stacked after. Measured on a vit-gpt2-sized fp32
 * model, 16 photos, greedy then beam-5 three times: 16 per call peaked at 2,450-2,550 MB, 8 at 2,410,
 * 4 at 2,300-2,350 and 2 at 2,320, all at the same speed; the default model's caption job ran as
 * fast or faster with 4 (bench/pipeline.ts, 2 interleaved rounds: 100 vs 88-94 images/s).
 */
export const ENCODER_IMAGES = 4;

export type Outcome = { ok: true; result: ImageCaptions; durationMs: number } | { ok: false; error: string };
export type FileOutcome = Outcome & { input: FileInput };

export interface EngineInfo {
  name: string;
  dir: string;
  hash: string;
  /** the export variant loaded */
  dtype: Dtype;
  source: string;
  domain: string | null;
  provider: string;
  providerNotes: string[];
  grid: { rows: number; cols: number } | null;
  /** the size the preprocessor resizes images to */
  imageSize: { height: number; width: number };
  hasAttention: boolean;
  /** the model's generation_config.json: its decoding defaults */
  generation: Record<string, unknown>;
  /** the caption tasks it takes (a task prompt each); empty for models without task prompts */
  tasks: Task[];
  /** its family (config.json's model_type) and what the family can do */
  family: string;
  can: Capabilities;
}

export interface CaptionOptions {
  batchSize?: number;
  signal?: AbortSignal;
  /** decoder layer whose cross-attention becomes the heat-map; negative counts from the end */
  attentionLayer?: number;
}

/** What jobs and the image view need of an engine, wherever its sessions run. */
export interface Captioner {
  readonly info: EngineInfo;
  decoding(options?: DecodingOptions): ResolvedDecoding;
  captionFiles(
    items: AsyncIterable<FileInput> | Iterable<FileInput>,
    d: ResolvedDecoding,
    opts?: CaptionOptions,
  ): AsyncGenerator<FileOutcome>;
  dispose(): Promise<void>;
}

type Prepared = { ok: true; p: Decoded } | { ok: false; error: string };

/** Pulls up to `size` items from a sync or async source; [] when it is exhausted. */
export function batches<T>(items: AsyncIterable<T> | Iterable<T>, size: number): () => Promise<T[]> {
  const source =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  return async () => {
    const out: T[] = [];
    while (out.length < size) {
      const r = await source.next();
      if (r.done) break;
      out.push(r.value);
    }
    return out;
  };
}

export class CaptionEngine implements Captioner {
  /**
   * Graphs that quantize dynamically (graph/quant.ts) give a row a result that depends on its call's
   * other rows, so such graphs run as the reference implementations run them (transformers.js, HF
   * generate per image): `encodeAlone`, each image encoded alone; `decodeAlone`, a decoder pass
   * holds one image's beams only. A decoder opened from its per-image-scales rewrite
   * (`scaledDecoder`, with `derivedDir`) quantizes each image's rows on their own and takes
   * several images per pass.
   */
  private constructor(
    readonly bundle: Bundle,
    readonly encodeAlone: boolean,
    readonly decodeAlone: boolean,
  ) {}

  static async load(dir: string, opts: LoadOptions = {}): Promise<CaptionEngine> {
    const bundle = await loadBundle(dir, opts);
    const { files, opened } = bundle.decoder;
    // any file as found (encoders included) quantizing: encoded alone; the decoder: as opened
    return new CaptionEngine(bundle, await dynamicallyQuantized(files), await dynamicallyQuantized(opened));
  }

  get info(): EngineInfo {
    const b = this.bundle;
    return {
      name: b.name,
      dir: b.dir,
      hash: b.hash,
      dtype: b.dtype,
      source: b.source,
      domain: b.domain,
      provider: b.provider.provider,
      providerNotes: b.provider.notes,
      grid: b.model.grid,
      imageSize: inputSize(b.preprocessor),
      // heat-maps need both: the family's attention geometry and an export that gives cross-attention
      hasAttention:
        b.family.can.attention && b.decoder.first.outputNames.some((n) => n.startsWith('cross_attentions.')),
      generation: b.generation,
      tasks: [...b.prompts.keys()],
      family: b.family.modelType,
      can: b.family.can,
    };
  }

  decoding(options: DecodingOptions = {}): ResolvedDecoding {
    return resolveDecoding(this.bundle.generation, options, [...this.bundle.prompts.keys()]);
  }

  /** The encoder's states for a batch of images (and the task, for models with task prompts). */
  async encode(pixels: Float32Array[], task: Task = 'caption'): Promise<ort.Tensor> {
    const per = this.encodeAlone ? 1 : ENCODER_IMAGES;
    if (pixels.length <= per) return this.encodeAll(pixels, task);
    const parts: ort.Tensor[] = [];
    for (let i = 0; i < pixels.length; i += per)
      parts.push(await this.encodeAll(pixels.slice(i, i + per), task));
    return concatRows(parts);
  }

  private async encodeAll(pixels: Float32Array[], task: Task | undefined): Promise<ort.Tensor> {
    const b = this.bundle;
    const { height, width } = inputSize(b.preprocessor);
    const plane = 3 * height * width;
    const data = new Float32Array(pixels.length * plane);
    pixels.forEach((p, i) => {
      data.set(p, i * plane);
    });
    const input = floatInput(b.model.imageSession, 'pixel_values', data, [pixels.length, 3, height, width]);
    return b.model.encode(input, task);
  }

  /** n-best lists for preprocessed images (CHW floats), one decoder call per step for all beams. */
  async captionPixels(
    pixels: Float32Array[],
    d: ResolvedDecoding,
    signal?: AbortSignal,
    attentionLayer = -1,
  ): Promise<GeneratedCaption[][]> {
    if (!pixels.length) return [];
    // beams multiply the decoder's rows, and each row holds its own copy of the image's keys and
    // values (a cross-attention cache; a hoisted decoder gathers them a layer at a time): a pass
    // takes as many images as keep it within MAX_DECODER_ROWS rows (one image when the decoder
    // quantizes dynamically: see `decodeAlone`)
    const perPass = this.decodeAlone ? 1 : Math.max(1, Math.floor(MAX_DECODER_ROWS / d.config.num_beams));
    if (pixels.length > perPass) {
      const out: GeneratedCaption[][] = [];
      for (let i = 0; i < pixels.length; i += perPass)
        out.push(...(await this.captionPixels(pixels.slice(i, i + perPass), d, signal, attentionLayer)));
      return out;
    }
    const enc = await this.encode(pixels, d.config.task);
    const decoder = new OrtDecoder(this.bundle, enc, attentionLayer);
    const seqs = await generate(decoder, pixels.length, d.config, this.bundle.special, signal);
    const S = Number(enc.dims[1]);
    return seqs.map((list) => list.map((s, rank) => this.toCaption(s, rank, S)));
  }

  private toCaption(s: Sequence, rank: number, S: number): GeneratedCaption {
    const { tokenizer: tok, model } = this.bundle;
    const { start, eos, pad } = this.bundle.special;
    const cells = model.cells(S);
    const end = cells ? cells.offset + cells.rows * cells.cols : 0;
    return {
      rank,
      text: model.text(s.tokens),
      tokens: s.tokens,
      tokenTexts: s.tokens.map((t) =>
        [start, eos, pad].includes(t) ? '' : tok.decode([t], { skip_special_tokens: true }),
      ),
      tokenLogprobs: s.tokenLogprobs,
      sum: s.sum,
      score: s.score,
      attention: s.attention && cells ? s.attention.map((a) => a.slice(cells.offset, end)) : null,
    };
  }

  async preprocess(file: string, bytes?: Uint8Array): Promise<Decoded> {
    let data = bytes;
    if (!data) {
      try {
        data = await readFile(file);
      } catch (err) {
        throw new ImageDecodeError(file, `cannot read file (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
    }
    return preprocessImage(file, data, this.bundle.preprocessor);
  }

  /** Reads and decodes a batch's images (in parallel, off this thread in libuv's pool). */
  prepare(inputs: FileInput[]): Promise<Prepared[]> {
    return Promise.all(
      inputs.map((input) =>
        this.preprocess(input.file, input.bytes).then(
          (p): Prepared => ({ ok: true, p }),
          (err: unknown): Prepared => ({
            ok: false,
            error: err instanceof Error ? err.message : String(err),
          }),
        ),
      ),
    );
  }

  /** Captions the decodable images of a prepared batch; outcomes in input order. */
  async captionPrepared(
    batch: Prepared[],
    d: ResolvedDecoding,
    opts: CaptionOptions = {},
  ): Promise<Outcome[]> {
    const good = batch.flatMap((b) => (b.ok ? [b.p] : []));
    const started = performance.now();
    const lists = await this.captionPixels(
      good.map((g) => g.pixels),
      d,
      opts.signal,
      opts.attentionLayer,
    );
    const durationMs = (performance.now() - started) / Math.max(1, good.length);
    let i = 0;
    return batch.map((b): Outcome => {
      if (!b.ok) return b;
      const { width, height, format } = b.p;
      return { ok: true, result: { width, height, format, candidates: lists[i++] }, durationMs };
    });
  }

  /**
   * Captions files in batches; the next batch is read and decoded while this one runs.
   * Unreadable or undecodable files come out as errors naming the file; the rest go on.
   */
  async *captionFiles(
    items: AsyncIterable<FileInput> | Iterable<FileInput>,
    d: ResolvedDecoding,
    opts: CaptionOptions = {},
  ): AsyncGenerator<FileOutcome> {
    const nextBatch = batches(items, opts.batchSize ?? DEFAULT_BATCH_SIZE);
    let inputs = await nextBatch();
    let prepared = this.prepare(inputs);
    while (inputs.length) {
      const batch = await prepared;
      const current = inputs;
      inputs = await nextBatch();
      prepared = this.prepare(inputs); // overlaps decoding of the next batch with inference of this one
      const outcomes = await this.captionPrepared(batch, d, opts);
      for (const [i, o] of outcomes.entries()) yield { ...o, input: current[i] };
    }
  }

  async dispose(): Promise<void> {
    await this.bundle.dispose();
  }
}
