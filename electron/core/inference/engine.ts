/**
 * The captioning engine: a loaded bundle, preprocessing, batched decoding with attention maps.
 * Plain Node; the Electron main process, the CLI, the served mode and the tests all use it.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { type Bundle, type LoadOptions, loadBundle } from './bundle.ts';
import { OrtDecoder } from './decoder.ts';
import { type Decoding, type DecodingOptions, resolveDecoding } from './decoding.ts';
import { generate, type Sequence } from './generate.ts';
import { type Decoded, ImageDecodeError, preprocessImage } from './preprocess.ts';

export interface Candidate {
  rank: number;
  text: string;
  tokens: number[];
  /** the text of each generated token, for per-word heat-maps */
  tokenTexts: string[];
  tokenLogprobs: number[];
  sum: number;
  score: number;
  /** per generated token: attention over the patch grid (rows x cols, raster order), or null */
  attention: Float32Array[] | null;
}

export interface ImageCaptions {
  file: string;
  width: number;
  height: number;
  format: string;
  candidates: Candidate[];
}

export interface FileInput {
  file: string;
  /** the file's bytes when the caller has read them already */
  bytes?: Buffer;
  /** caller's own reference, passed through */
  id?: number;
}

export type FileOutcome =
  | { input: FileInput; ok: true; bytes: Buffer; result: ImageCaptions; durationMs: number }
  | { input: FileInput; ok: false; error: string };

export class CaptionEngine {
  private constructor(readonly bundle: Bundle) {}

  static async load(dir: string, opts: LoadOptions = {}): Promise<CaptionEngine> {
    return new CaptionEngine(await loadBundle(dir, opts));
  }

  get info() {
    const b = this.bundle;
    return {
      name: b.name,
      dir: b.dir,
      hash: b.hash,
      provider: b.provider.provider,
      providerNotes: b.provider.notes,
      grid: b.grid,
      hasAttention: b.decoder.first.outputNames.some((n) => n.startsWith('cross_attentions.')),
    };
  }

  decoding(options: DecodingOptions = {}): Decoding {
    return resolveDecoding(this.bundle.generation, options);
  }

  async encode(pixels: Float32Array[]): Promise<ort.Tensor> {
    const { height, width } = this.bundle.preprocessor.size;
    const plane = 3 * height * width;
    const data = new Float32Array(pixels.length * plane);
    pixels.forEach((p, i) => {
      data.set(p, i * plane);
    });
    const input = new ort.Tensor('float32', data, [pixels.length, 3, height, width]);
    const out = await this.bundle.encoder.run({ pixel_values: input });
    const name = this.bundle.encoder.outputNames.includes('last_hidden_state')
      ? 'last_hidden_state'
      : this.bundle.encoder.outputNames[0];
    return out[name] as ort.Tensor;
  }

  /** n-best lists for preprocessed images (CHW floats), one decoder call per step for all beams. */
  async captionPixels(pixels: Float32Array[], d: Decoding, signal?: AbortSignal): Promise<Candidate[][]> {
    if (!pixels.length) return [];
    const enc = await this.encode(pixels);
    const decoder = new OrtDecoder(this.bundle, enc, d.attention_layer);
    const seqs = await generate(decoder, pixels.length, d, this.bundle.special, signal);
    const S = Number(enc.dims[1]);
    return seqs.map((list) => list.map((s, rank) => this.toCandidate(s, rank, S)));
  }

  private toCandidate(s: Sequence, rank: number, S: number): Candidate {
    const tok = this.bundle.tokenizer;
    const grid = this.bundle.grid;
    const patches = grid && grid.rows * grid.cols <= S ? grid.rows * grid.cols : 0;
    return {
      rank,
      text: tok.decode(s.tokens, { skip_special_tokens: true }).trim(),
      tokens: s.tokens,
      tokenTexts: s.tokens.map((t) => tok.decode([t], { skip_special_tokens: false })),
      tokenLogprobs: s.tokenLogprobs,
      sum: s.sum,
      score: s.score,
      attention: s.attention && patches ? s.attention.map((a) => a.slice(S - patches)) : null,
    };
  }

  async preprocess(file: string, bytes?: Buffer): Promise<Decoded & { bytes: Buffer }> {
    let data = bytes;
    if (!data) {
      try {
        data = await readFile(file);
      } catch (err) {
        throw new ImageDecodeError(file, `cannot read file (${(err as NodeJS.ErrnoException).code ?? err})`);
      }
    }
    return { ...(await preprocessImage(file, data, this.bundle.preprocessor)), bytes: data };
  }

  /**
   * Captions files in batches; the next batch is read and decoded while this one runs.
   * Unreadable or undecodable files come out as errors naming the file; the rest go on.
   */
  async *captionFiles(
    items: AsyncIterable<FileInput> | Iterable<FileInput>,
    d: Decoding,
    opts: { batchSize?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<FileOutcome> {
    const size = opts.batchSize ?? 8;
    const source =
      Symbol.asyncIterator in items
        ? items[Symbol.asyncIterator]()
        : (items as Iterable<FileInput>)[Symbol.iterator]();
    const nextBatch = async () => {
      const inputs: FileInput[] = [];
      while (inputs.length < size) {
        const r = await source.next();
        if (r.done) break;
        inputs.push(r.value);
      }
      return Promise.all(
        inputs.map((input) =>
          this.preprocess(input.file, input.bytes).then(
            (p) => ({ input, p }),
            (err: unknown) => ({ input, error: err instanceof Error ? err.message : String(err) }),
          ),
        ),
      );
    };
    let next = nextBatch();
    for (;;) {
      const batch = await next;
      if (!batch.length) return;
      next = nextBatch(); // overlaps decoding of the next batch with inference of this one
      const good = batch.filter((b) => 'p' in b);
      const started = performance.now();
      const lists = await this.captionPixels(
        good.map((g) => g.p.pixels),
        d,
        opts.signal,
      );
      const perImageMs = (performance.now() - started) / Math.max(1, good.length);
      let i = 0;
      for (const b of batch) {
        if ('error' in b) {
          yield { input: b.input, ok: false, error: b.error };
        } else {
          const { width, height, format, bytes } = b.p;
          const result = { file: b.input.file, width, height, format, candidates: lists[i++] };
          yield { input: b.input, bytes, ok: true, result, durationMs: perImageMs };
        }
      }
    }
  }

  async dispose(): Promise<void> {
    await this.bundle.dispose();
  }
}
