/** The owner's care of sessions: the list with per-rater progress, renaming, deleting (what it loses, asked first). */
import type { DB } from '../../../db/open.ts';
import { listSessions, sessionRow } from '../../../db/queries/rating.ts';
import { deleteSession, renameSession, sessionStakes } from '../../../db/queries/session-admin.ts';
import { notFound } from '../api/dispatch.ts';
import type { SessionDeletion } from '../api/sessions.ts';
import type { SessionView } from '../api/types.ts';

export const sessionViews = (db: DB): SessionView[] =>
  listSessions(db).map((s) => ({
    ...s,
    blind: s.blind === 1,
    raters: JSON.parse(s.raters ?? '[]'),
    progress: JSON.parse(s.progress),
  }));

export function rename(db: DB, sessionId: number, name: string): SessionView {
  if (!renameSession(db, sessionId, name)) throw notFound(`no rating session with id ${sessionId}`);
  return sessionViews(db).find((s) => s.id === sessionId)!;
}

/**
 * Deletes a session as Label Studio deletes a project: for good, with everything rated in it, after
 * the owner was told what that is (`dryRun` tells it and deletes nothing).
 */
export function remove(db: DB, sessionId: number, dryRun: boolean): SessionDeletion {
  const s = sessionRow(db, sessionId);
  if (!s) throw notFound(`no rating session with id ${sessionId}`);
  const stakes = sessionStakes(db, sessionId);
  if (!dryRun) deleteSession(db, sessionId);
  return { id: s.id, name: s.name, deleted: !dryRun, ...stakes };
}
