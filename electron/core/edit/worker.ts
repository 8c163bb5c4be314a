/** The bulk edit's worker thread: opens the database and takes one step (steps.ts). */
import { openDatabase } from '../../../db/open.ts';
import { answerOnce } from '../threads.ts';
import type { StepRequest } from './handlers.ts';
import { apply, preview, redo, undo } from './steps.ts';
import { wordStats } from './words.ts';

answerOnce(({ dbFile, step }: StepRequest) => {
  const db = openDatabase(dbFile);
  try {
    if (step.kind === 'preview') return preview(db, step.req);
    if (step.kind === 'apply') return apply(db, step.req);
    if (step.kind === 'words') return wordStats(db, step.req);
    return step.kind === 'undo' ? undo(db) : redo(db);
  } finally {
    db.close();
  }
});
