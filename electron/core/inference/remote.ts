/**
 * An engine whose ONNX Runtime sessions run in a worker thread (`worker.ts`): the same `Captioner`
 * interface as the in-thread engine, so jobs and the image view do not know the difference. Batches
 * are sent ahead (`pipeline.ts` says how far), so the worker decodes the next batches' images while
 * the model runs this one.
 * Image bytes are transferred, not copied.
 */
import { Worker } from 'node:worker_threads';
import { DEFAULT_BATCH_SIZE } from '../api/contract.ts';
import type { DecodingOptions, Task } from '../api/decoding.ts';
import { Replies } from '../threads.ts';
import type { LoadOptions } from './bundle.ts';
import { Cancelled } from './decoding/generate.ts';
import { type ResolvedDecoding, resolveDecoding } from './decoding/settings.ts';
import {
  batches,
  type Captioner,
  type CaptionOptions,
  type EngineInfo,
  type FileInput,
  type FileOutcome,
  type Outcome,
} from './engine.ts';
import type { LayerMaps, LayerPick } from './graph/maps.ts';
import { BATCHES_AHEAD } from './pipeline.ts';

export type Request =
  | { kind: 'load'; id: number; dir: string; options: LoadOptions }
  | { kind: 'caption'; id: number; items: FileInput[]; decoding: ResolvedDecoding; attentionLayer?: number }
  | { kind: 'layers'; id: number; item: FileInput; task: Task | undefined; tokens: number[]; pick: LayerPick }
  | { kind: 'abort'; id: number }
  | { kind: 'dispose'; id: number };
export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string; name?: string };

const DEFAULT_WORKER = new URL('./worker-boot.mjs', import.meta.url);

/** Errors keep their kind across the thread boundary where callers tell kinds apart. */
function revive(r: Extract<Reply, { ok: false }>): Error {
  if (r.name === 'Cancelled') return new Cancelled();
  const e = new Error(r.error);
  if (r.name) e.name = r.name;
  return e;
}

/** The bytes' own ArrayBuffer, to transfer; a copy when they share a pooled buffer. */
function transferable(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

export class RemoteEngine implements Captioner {
  private seq = 0;
  private readonly replies: Replies<Reply>;

  private constructor(
    private readonly worker: Worker,
    public info: EngineInfo,
  ) {
    this.replies = new Replies<Reply>(worker, revive, 'the inference worker stopped');
  }

  static async load(
    dir: string,
    options: LoadOptions = {},
    workerUrl: URL = DEFAULT_WORKER,
  ): Promise<RemoteEngine> {
    const worker = new Worker(workerUrl);
    const engine = new RemoteEngine(worker, null as unknown as EngineInfo);
    try {
      engine.info = (await engine.request({ kind: 'load', id: 0, dir, options })) as EngineInfo;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return engine;
  }

  private request(m: Request, transfer: ArrayBuffer[] = []): Promise<unknown> {
    return this.replies.ask(m, transfer);
  }

  private nextId(): number {
    return ++this.seq;
  }

  /** A candidate's attention maps for a chosen layer and head (graph/maps.ts), computed in the worker. */
  layers(item: FileInput, task: Task | undefined, tokens: number[], pick: LayerPick): Promise<LayerMaps> {
    return this.request({
      kind: 'layers',
      id: this.nextId(),
      item,
      task,
      tokens,
      pick,
    }) as Promise<LayerMaps>;
  }

  decoding(options: DecodingOptions = {}): ResolvedDecoding {
    return resolveDecoding(this.info.generation, options, this.info.tasks);
  }

  private send(inputs: FileInput[], d: ResolvedDecoding, opts: CaptionOptions) {
    const id = this.nextId();
    // what the batch holds in the worker until the model is done with it: bytes and decoded pixels
    const { height, width } = this.info.imageSize;
    const bytes = inputs.reduce((n, i) => n + (i.bytes?.byteLength ?? 0) + 12 * height * width, 0);
    const items = inputs.map((i) => ({ file: i.file, bytes: i.bytes && transferable(i.bytes) }));
    const transfer = items.flatMap((i) => (i.bytes ? [i.bytes.buffer as ArrayBuffer] : []));
    const result = this.request(
      { kind: 'caption', id, items, decoding: d, attentionLayer: opts.attentionLayer },
      transfer,
    ) as Promise<Outcome[]>;
    return { id, inputs, result, bytes };
  }

  async *captionFiles(
    items: AsyncIterable<FileInput> | Iterable<FileInput>,
    d: ResolvedDecoding,
    opts: CaptionOptions = {},
  ): AsyncGenerator<FileOutcome> {
    const nextBatch = batches(items, opts.batchSize ?? DEFAULT_BATCH_SIZE);
    const inFlight: ReturnType<RemoteEngine['send']>[] = [];
    let more = true;
    // keeps up to BATCHES_AHEAD batches in the worker (always one), so the model never waits for input
    const fill = async () => {
      const held = () => inFlight.reduce((n, b) => n + b.bytes, 0);
      while (
        more &&
        (inFlight.length === 0 || (inFlight.length < BATCHES_AHEAD.batches && held() < BATCHES_AHEAD.bytes))
      ) {
        const inputs = await nextBatch();
        if (inputs.length) inFlight.push(this.send(inputs, d, opts));
        else more = false;
      }
    };
    const abort = () => {
      for (const b of inFlight) this.worker.postMessage({ kind: 'abort', id: b.id } satisfies Request);
    };
    opts.signal?.addEventListener('abort', abort);
    try {
      await fill();
      while (inFlight.length) {
        if (opts.signal?.aborted) throw new Cancelled();
        const current = inFlight[0];
        const outcomes = await current.result;
        inFlight.shift();
        await fill();
        for (const [i, o] of outcomes.entries()) yield { ...o, input: current.inputs[i] };
      }
    } finally {
      opts.signal?.removeEventListener('abort', abort);
      if (inFlight.length) {
        abort();
        await Promise.allSettled(inFlight.map((b) => b.result));
      }
    }
  }

  async dispose(): Promise<void> {
    await this.request({ kind: 'dispose', id: this.nextId() }).catch(() => {});
    await this.worker.terminate();
  }
}
