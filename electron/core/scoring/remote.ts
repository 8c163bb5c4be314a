/**
 * A CLIP scorer in a worker thread of its own (worker.ts): opened on a model folder and variant,
 * asked for one image's embedding and scores at a time, closed when done.
 */
import { Worker } from 'node:worker_threads';
import type { Dtype } from '../api/contract.ts';
import { ApiError } from '../api/dispatch.ts';
import { Replies } from '../threads.ts';
import type { ImageScores, ScorerInfo, ScorerReply, ScorerRequest, SearchResult } from './protocol.ts';

/** Beside this module in the source tree; in the desktop app's bundle, the bundled worker of the same name (electron/shell/launch.mjs). */
const SCORER = new URL('./scorer-boot.mjs', import.meta.url);

type Ask = ScorerRequest extends infer R ? (R extends ScorerRequest ? Omit<R, 'id'> : never) : never;

export class RemoteScorer {
  private seq = 0;
  private pending = 0;
  private idleUnref = false;
  private readonly replies: Replies<ScorerReply>;

  private constructor(
    private readonly worker: Worker,
    public info: ScorerInfo,
  ) {
    this.replies = new Replies<ScorerReply>(
      worker,
      (r) => (r.status ? new ApiError(r.status as ApiError['status'], r.error, r.field) : new Error(r.error)),
      "the scorer's worker stopped",
    );
  }

  static async open(dir: string, dtype?: Dtype, url: URL = SCORER): Promise<RemoteScorer> {
    const worker = new Worker(url);
    const s = new RemoteScorer(worker, null as unknown as ScorerInfo);
    try {
      s.info = (await s.ask({ kind: 'open', dir, dtype })) as ScorerInfo;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return s;
  }

  private async ask(m: Ask): Promise<unknown> {
    // a request in flight keeps the process alive, even when the idle worker does not (unrefWhenIdle)
    if (this.pending++ === 0) this.worker.ref();
    try {
      return await this.replies.ask({ ...m, id: ++this.seq });
    } finally {
      if (--this.pending === 0 && this.idleUnref) this.worker.unref();
    }
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

  /** A page of the library's images ranked by meaning for a text query (search/rank.ts, in the worker). */
  search(req: Omit<Extract<ScorerRequest, { kind: 'search' }>, 'id' | 'kind'>): Promise<SearchResult> {
    return this.ask({ kind: 'search', ...req }) as Promise<SearchResult>;
  }

  /** While no request is in flight, the worker does not keep the process alive (a scorer kept open between searches). */
  unrefWhenIdle(): void {
    this.idleUnref = true;
    if (this.pending === 0) this.worker.unref();
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
