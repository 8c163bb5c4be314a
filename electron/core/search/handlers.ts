/**
 * `search.images`: search by meaning, for a text or (more like this) for images like one. The scorer named (a CLIP model, as `scores.run` takes it) is
 * opened in its worker thread and kept open between searches, one scorer at a time, closed after
 * IDLE_MS without a search; the worker embeds the query and ranks the stored image embeddings
 * (search/rank.ts) and reads the page's library rows. This thread only resolves the model.
 */

import type { DB } from '../../../db/open.ts';
import { embeddingState, scorerIdByHash } from '../../../db/queries/embeddings.ts';
import { fileById } from '../../../db/queries/library.ts';
import type { Dtype, Handlers } from '../api/contract.ts';
import { ApiError } from '../api/dispatch.ts';
import type { Core } from '../core.ts';
import { toImageRow } from '../library/views.ts';
import { RemoteScorer } from '../scoring/remote.ts';
import { resolveScorer } from '../scoring/score.ts';

/** How long an unused scorer stays open: its text tower and the embedding matrix (200 MB at 100k). */
const IDLE_MS = 5 * 60_000;

/** The scorer searches use: opened on first use, replaced by another, closed when idle. */
class OpenScorer {
  private current: { key: string; scorer: Promise<RemoteScorer> } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly workerUrl?: URL) {}

  get(dir: string, dtype: Dtype | undefined): Promise<RemoteScorer> {
    const key = `${dir}\0${dtype ?? ''}`;
    if (this.current?.key !== key) {
      this.close();
      const scorer = RemoteScorer.open(dir, dtype, this.workerUrl).then((s) => {
        s.unrefWhenIdle();
        return s;
      });
      this.current = { key, scorer };
      // a scorer that failed to open is not kept
      scorer.catch(() => {
        if (this.current?.scorer === scorer) this.current = null;
      });
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.close(), IDLE_MS);
    this.timer.unref();
    return this.current.scorer;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.current;
    this.current = null;
    c?.scorer.then(
      (s) => s.close(),
      () => {},
    );
  }
}

/** The image more like this starts from: file `fileId`'s, once read (4xx at `fileId` otherwise). */
function likeImage(db: DB, fileId: number): { imageId: number; name: string } {
  const f = fileById(db, fileId);
  if (!f) throw new ApiError(404, `no library file with id ${fileId}`, 'fileId');
  const name = toImageRow(f).rel;
  if (f.image_id === null) throw new ApiError(409, `${name} has not been read yet`, 'fileId');
  return { imageId: f.image_id, name };
}

export function searchHandlers({ db, models }: Core, workerUrl?: URL): Pick<Handlers, 'search.images'> {
  const open = new OpenScorer(workerUrl);
  return {
    async 'search.images'(req) {
      const m = await resolveScorer(models, req.scorer);
      const scorer = await open.get(m.dir, req.dtype);
      const scorerId = scorerIdByHash(db, scorer.info.hash);
      if (scorerId === undefined || embeddingState(db, scorerId).seq === 0) {
        throw new ApiError(
          409,
          `no image embeddings of ${m.label} (${scorer.info.dtype}) yet: score the library with it first (caption-studio score --clip ${m.label})`,
          'scorer',
        );
      }
      const r = await scorer.search({
        db: db.name,
        scorerId,
        query: req.query ?? null,
        like: req.fileId === undefined ? null : likeImage(db, req.fileId),
        rootId: req.rootId ?? null,
        offset: req.offset,
        limit: req.limit,
      });
      return { scorer: m.label, dtype: scorer.info.dtype, searched: r.searched, items: r.hits };
    },
  };
}
