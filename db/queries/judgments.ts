/**
 * Human judgments: a score (1–5) of a caption, a best-of-N pick, a pairwise preference between two
 * captions. One table holds every kind and is the rater's undo log as well (migration 011): a new
 * judgment of the same thing replaces the current one, the rows of one action share a `seq`, and
 * undo reverts the rater's last action.
 */
import type { DB } from '../open.ts';
import { stmt } from './statements.ts';

export type JudgmentKind = 'score' | 'best' | 'pairwise';
/** A pairwise verdict on (A, B): A preferred, B preferred, a tie, or both bad. */
export type PairwiseChoice = 'a' | 'b' | 'tie' | 'bad';

/** What a judgment says: a score 1..5, 1 for a pick, a pairwise choice; null withdraws it. */
export type JudgmentValue = number | PairwiseChoice | null;

export interface NewJudgment {
  kind: JudgmentKind;
  imageId: number;
  candidateId: number;
  /** pairwise: the second caption (B); null for the other kinds */
  otherId?: number | null;
  value: JudgmentValue;
}

export interface JudgmentRow {
  id: number;
  session_id: number;
  rater_id: number;
  image_id: number;
  kind: JudgmentKind;
  candidate_id: number;
  other_id: number | null;
  value: JudgmentValue;
  seq: number;
  state: 'current' | 'replaced' | 'undone';
  replaces: number | null;
  at: string;
}

const CURRENT = `SELECT id, value FROM judgments
  WHERE session_id = ? AND rater_id = ? AND kind = ? AND candidate_id = ? AND coalesce(other_id, 0) = ?
    AND state = 'current'`;

/** The rater's current judgment of a kind of a caption (or pair), if any. */
export function currentJudgment(
  db: DB,
  sessionId: number,
  raterId: number,
  kind: JudgmentKind,
  candidateId: number,
  otherId: number | null = null,
): { id: number; value: JudgmentValue } | undefined {
  return stmt<[number, number, string, number, number], { id: number; value: JudgmentValue }>(
    db,
    CURRENT,
  ).get(sessionId, raterId, kind, candidateId, otherId ?? 0);
}

/** The highest action number the rater has used in the session (0 before any). */
export function lastSeq(db: DB, sessionId: number, raterId: number): number {
  return (
    stmt<[number, number], { s: number | null }>(
      db,
      'SELECT max(seq) AS s FROM judgments WHERE session_id = ? AND rater_id = ?',
    ).get(sessionId, raterId)!.s ?? 0
  );
}

/** The rater's last action that undo would revert (its seq), or null. */
export function lastAction(db: DB, sessionId: number, raterId: number): number | null {
  return (
    stmt<[number, number], { seq: number }>(
      db,
      `SELECT seq FROM judgments WHERE session_id = ? AND rater_id = ? AND seq > 0 AND state <> 'undone'
       ORDER BY seq DESC LIMIT 1`,
    ).get(sessionId, raterId)?.seq ?? null
  );
}

/**
 * Stores the judgments of one user action (call it inside a write transaction), each replacing the
 * rater's current judgment of the same thing; returns the action's seq: `seq` when the client
 * numbered the action (above every seq the rater used), else the next one.
 */
export function recordJudgments(
  db: DB,
  sessionId: number,
  raterId: number,
  js: NewJudgment[],
  seq = lastSeq(db, sessionId, raterId) + 1,
): number {
  for (const j of js) {
    const prev = currentJudgment(db, sessionId, raterId, j.kind, j.candidateId, j.otherId ?? null);
    if (prev) stmt(db, "UPDATE judgments SET state = 'replaced' WHERE id = ?").run(prev.id);
    stmt(
      db,
      `INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, other_id, value, seq, replaces)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      sessionId,
      raterId,
      j.imageId,
      j.kind,
      j.candidateId,
      j.otherId ?? null,
      j.value,
      seq,
      prev?.id ?? null,
    );
  }
  return seq;
}

/**
 * Reverts the rater's last action in the session (call it inside a write transaction): its rows
 * become 'undone' and the ones they replaced current again. Returns the caption the action was
 * about (its last row's), or null when there is nothing to undo. Judgments converted at the
 * upgrade to version 11 (seq 0) are not undone.
 */
export function undoLastAction(db: DB, sessionId: number, raterId: number): number | null {
  const seq = lastAction(db, sessionId, raterId);
  return seq === null ? null : undoAction(db, sessionId, raterId, seq);
}

/**
 * Reverts the rater's action `seq` (call it inside a write transaction): its rows not undone yet
 * become 'undone' and the ones they replaced current again. Returns the caption the action was
 * about, or null when nothing of it is left to undo (undone already: a retried undo changes nothing).
 */
export function undoAction(db: DB, sessionId: number, raterId: number, seq: number): number | null {
  const rows = stmt<[number, number, number], { id: number; candidate_id: number; replaces: number | null }>(
    db,
    `SELECT id, candidate_id, replaces FROM judgments
     WHERE session_id = ? AND rater_id = ? AND seq = ? AND state <> 'undone' ORDER BY id DESC`,
  ).all(sessionId, raterId, seq);
  if (!rows.length) return null;
  for (const r of rows) {
    stmt(db, "UPDATE judgments SET state = 'undone' WHERE id = ?").run(r.id);
    if (r.replaces !== null) stmt(db, "UPDATE judgments SET state = 'current' WHERE id = ?").run(r.replaces);
  }
  return rows[0].candidate_id;
}

/** A rater's current judgments in a session (all kinds, withdrawn ones left out), in the order made. */
export function currentJudgments(db: DB, sessionId: number, raterId: number): JudgmentRow[] {
  return stmt<[number, number], JudgmentRow>(
    db,
    `SELECT * FROM judgments WHERE session_id = ? AND rater_id = ? AND state = 'current' AND value IS NOT NULL
     ORDER BY seq, id`,
  ).all(sessionId, raterId);
}
