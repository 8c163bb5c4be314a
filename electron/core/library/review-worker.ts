/**
 * The review queue's page (library.images in order 'clip') in a worker thread with its own
 * connection: its total takes one current-caption look-up per file (130-170 ms at 100,000 files,
 * bench/review.ts) and a deep page walks every score before it, too long for the thread that
 * answers the UI.
 */
import { openDatabase } from '../../../db/open.ts';
import { reviewPage } from '../../../db/queries/library.ts';
import { answerOnce } from '../threads.ts';
import type { ReviewRequest } from './handlers.ts';
import { toImageRow } from './views.ts';

answerOnce(({ dbFile, query }: ReviewRequest) => {
  const db = openDatabase(dbFile);
  try {
    const { total, rows } = reviewPage(db, query);
    return { total, items: rows.map(toImageRow) };
  } finally {
    db.close();
  }
});
