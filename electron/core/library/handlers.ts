/** Library folders and the image grid. */
import { runSummaries } from '../../../db/queries/captions.ts';
import { imagesPage, listRoots, removeRoot, reviewPage } from '../../../db/queries/library.ts';
import { modelRowExists, scorersWithScores } from '../../../db/queries/scores.ts';
import type { Handlers } from '../api/contract.ts';
import { ApiError } from '../api/dispatch.ts';
import type { Core } from '../core.ts';
import { scanFolder } from './scan.ts';
import { rootInfo, toImageRow } from './views.ts';

type LibraryChannels =
  | 'library.roots'
  | 'library.addRoot'
  | 'library.removeRoot'
  | 'library.runs'
  | 'library.images'
  | 'library.scorers';

export function libraryHandlers({ db }: Core): Pick<Handlers, LibraryChannels> {
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
      if (q.order === 'clip' && !modelRowExists(db, q.scorer!))
        throw new ApiError(404, `no scorer with id ${q.scorer}`, 'scorer');
      const { total, rows } =
        q.order === 'clip' ? reviewPage(db, { ...q, scorerId: q.scorer! }) : imagesPage(db, q);
      return { total, items: rows.map(toImageRow) };
    },
  };
}
