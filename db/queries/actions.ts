/**
 * A rater's numbered actions in a session: a pairwise verdict, undo of the last action (or a named
 * one), and where the rater's actions stand (the last number used, the action undo would revert).
 */
import type { DB } from '../open.ts';
import { lastAction, lastSeq, type PairwiseChoice, recordJudgments, undoAction } from './judgments.ts';
import { positionOfPair } from './pairwise.ts';
import { type ItemAction, positionOfCandidate, refreshProgress } from './rating.ts';
import { stmt, writeTx } from './statements.ts';

/** Records a pairwise verdict on (left, right) as one numbered action (a seq already used is ignored). */
export function setVerdict(
  db: DB,
  r: ItemAction & { left: number; right: number; choice: PairwiseChoice | null },
): void {
  writeTx(db, () => {
    if (r.seq !== undefined && r.seq <= lastSeq(db, r.sessionId, r.raterId)) return;
    const j = {
      kind: 'pairwise',
      imageId: r.imageId,
      candidateId: r.left,
      otherId: r.right,
      value: r.choice,
    } as const;
    recordJudgments(db, r.sessionId, r.raterId, [j], r.seq);
    refreshProgress(db, r.sessionId, r.raterId, r.position);
  });
}

/**
 * Reverts this rater's last rating action in the session, or action `seq` when named (undone
 * already: nothing changes; not the last: 'not-last'); returns the item position it touched.
 */
export function undoRating(
  db: DB,
  sessionId: number,
  raterId: number,
  seq?: number,
): number | null | 'not-last' {
  return writeTx(db, () => {
    const target = seq ?? lastAction(db, sessionId, raterId);
    if (target === null) return null;
    const last = lastAction(db, sessionId, raterId);
    if (last !== null && target < last && currentOrReplaced(db, sessionId, raterId, target))
      return 'not-last';
    undoAction(db, sessionId, raterId, target);
    const position = positionOfAction(db, sessionId, raterId, target);
    if (position !== undefined) refreshProgress(db, sessionId, raterId, position);
    return position ?? null;
  });
}

/** The item the rater's action `seq` was about (its last row's caption, or pair), if any. */
function positionOfAction(db: DB, sessionId: number, raterId: number, seq: number): number | undefined {
  const row = stmt<[number, number, number], { candidate_id: number; other_id: number | null }>(
    db,
    'SELECT candidate_id, other_id FROM judgments WHERE session_id = ? AND rater_id = ? AND seq = ? ORDER BY id DESC LIMIT 1',
  ).get(sessionId, raterId, seq);
  if (!row) return undefined;
  return row.other_id === null
    ? positionOfCandidate(db, sessionId, row.candidate_id)
    : positionOfPair(db, sessionId, row.candidate_id, row.other_id);
}

/** Whether any judgment of the rater's action `seq` is still in force (not undone). */
function currentOrReplaced(db: DB, sessionId: number, raterId: number, seq: number): boolean {
  return !!stmt<[number, number, number], { id: number }>(
    db,
    "SELECT id FROM judgments WHERE session_id = ? AND rater_id = ? AND seq = ? AND state <> 'undone' LIMIT 1",
  ).get(sessionId, raterId, seq);
}

/** Where the rater's actions stand: the last number used, and the action undo would revert. */
export function actionState(
  db: DB,
  sessionId: number,
  raterId: number,
): { seq: number; lastAction: number | null } {
  return { seq: lastSeq(db, sessionId, raterId), lastAction: lastAction(db, sessionId, raterId) };
}
