/**
 * A CLIP scorer in a worker thread of its own (worker.ts): opened on a model folder and variant,
 * asked for one image's embedding and scores at a time, closed when done.
 */
import { Worker } from 'node:worker_threads';
import type { Dtype } from '../api/contract.ts';
import { ApiError } from '../api/dispatch.ts';
import type { ImageScores, ScorerInfo, ScorerReply, ScorerRequest } from './protocol.ts';

/** Beside this module in the source tree; in the desktop app's bundle, the bundled worker of the same name (electron/shell/launch.mjs). */
const SCORER = new URL('./scorer-boot.mjs', import.meta.url);

type Ask = ScorerRequest extends infer R ? (R extends ScorerRequest ? Omit<R, 'id'> : never) : never;

export class RemoteScorer {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly worker: Worker,
    public info: ScorerInfo,
  ) {}

  static async open(dir: string, dtype?: Dtype, url: URL = SCORER): Promise<RemoteScorer> {
    const worker = new Worker(url);
    const s = new RemoteScorer(worker, null as unknown as ScorerInfo);
    worker.on('message', (r: ScorerReply) => {
      const p = s.pending.get(r.id);
      s.pending.delete(r.id);
      if (r.ok) p?.resolve(r.value);
      else p?.reject(r.status ? new ApiError(r.status as ApiError['status'], r.error) : new Error(r.error));
    });
    const down = (err: Error) => {
      for (const p of s.pending.values()) p.reject(err);
      s.pending.clear();
    };
    worker.on('error', down);
    worker.on('exit', (code) => down(new Error(`the scorer's worker stopped (exit code ${code})`)));
    try {
      s.info = (await s.ask({ kind: 'open', dir, dtype })) as ScorerInfo;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return s;
  }

  private ask(m: Ask): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id });
    });
  }

  /** One image's unit embedding (computed from `file` unless given) and its captions' scores. */
  score(
    file: string,
    embedding: Float32Array | null,
    captions: string[],
    references: string[],
  ): Promise<ImageScores> {
    return this.ask({ kind: 'score', file, embedding, captions, references }) as Promise<ImageScores>;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
