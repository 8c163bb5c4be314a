/** Library folders and the image grid. */
import { databasePath } from '../../../db/open.ts';
import { runSummaries } from '../../../db/queries/captions.ts';
import { type ImageQuery, imagesPage, listRoots, removeRoot } from '../../../db/queries/library.ts';
import { modelRowExists, scorersWithScores } from '../../../db/queries/scores.ts';
import type { Handlers } from '../api/contract.ts';
import { ApiError } from '../api/dispatch.ts';
import type { ImageRow } from '../api/types.ts';
import type { Core } from '../core.ts';
import { runOnce } from '../threads.ts';
import { scanFolder } from './scan.ts';
import { rootInfo, toImageRow } from './views.ts';

type LibraryChannels =
  | 'library.roots'
  | 'library.addRoot'
  | 'library.removeRoot'
  | 'library.runs'
  | 'library.images'
  | 'library.scorers';

const REVIEW_WORKER = new URL('./review-boot.mjs', import.meta.url);

/** What the review queue's worker is asked: the database and the page. */
export interface ReviewRequest {
  dbFile: string;
  query: ImageQuery & { scorerId: number };
}

export function libraryHandlers({ db, dataDir }: Core): Pick<Handlers, LibraryChannels> {
  return {
    async 'library.roots'() {
      return listRoots(db).map((r) => rootInfo(db, r.id));
    },
    async 'library.addRoot'({ path }) {
      const { root, found, added, changed, missing, skipped } = await scanFolder(db, path);
      return { ...rootInfo(db, root.id), scan: { found, added, changed, missing, skipped } };
    },
    async 'library.removeRoot'({ rootId }) {
      rootInfo(db, rootId);
      removeRoot(db, rootId);
      return null;
    },
    async 'library.runs'() {
      return runSummaries(db).map(({ json, ...r }) => ({ ...r, decoding: JSON.parse(json) }));
    },
    async 'library.scorers'() {
      return scorersWithScores(db);
    },
    async 'library.images'(q) {
      if (q.order === 'clip') {
        if (!modelRowExists(db, q.scorer!))
          throw new ApiError(404, `no scorer with id ${q.scorer}`, 'scorer');
        return runOnce<{ total: number; items: ImageRow[] }>(REVIEW_WORKER, {
          dbFile: databasePath(dataDir),
          query: { ...q, scorerId: q.scorer! },
        } satisfies ReviewRequest);
      }
      const { total, rows } = imagesPage(db, q);
      return { total, items: rows.map(toImageRow) };
    },
  };
}
