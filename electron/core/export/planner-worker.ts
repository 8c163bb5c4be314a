/** The export planner's worker thread: opens the database read-only and plans one export (prepare.ts). */
import { openDatabase } from '../../../db/open.ts';
import { answerOnce } from '../threads.ts';
import type { PlanRequest } from './export.ts';
import { prepare } from './prepare.ts';

answerOnce(({ dbFile, options }: PlanRequest) => {
  const db = openDatabase(dbFile, { readonly: true });
  try {
    return prepare(db, options);
  } finally {
    db.close();
  }
});
