/**
 * Pairwise sessions: each item is a pair of an image's captions (slot 0 and 1); a rater's verdict
 * is a judgment of kind 'pairwise' of (the caption shown left, the one shown right).
 */
import type { DB } from '../open.ts';
import type { PairwiseChoice } from './judgments.ts';
import { stmt } from './statements.ts';

/** The rater's current verdict (of either orientation) on an item's pair, as an SQL expression over @s, @r and `pos`. */
export function pairDoneSql(pos: string): string {
  const verdict = (x: string, y: string) => `EXISTS (SELECT 1 FROM judgments j WHERE j.session_id = @s
      AND j.rater_id = @r AND j.kind = 'pairwise' AND j.candidate_id = ${x}.candidate_id
      AND coalesce(j.other_id, 0) = ${y}.candidate_id AND j.state = 'current' AND j.value IS NOT NULL)`;
  return `(SELECT count(*) FROM session_candidates a JOIN session_candidates b
      ON b.session_id = a.session_id AND b.position = a.position AND b.slot = 1 AND b.source_id = b.candidate_id
    WHERE a.session_id = @s AND a.position = ${pos} AND a.slot = 0 AND a.source_id = a.candidate_id
      AND (${verdict('a', 'b')} OR ${verdict('b', 'a')}))`;
}

/**
 * The item showing this pair of captions (either order), if any: of the items showing x, the one
 * showing y too (a caption is in several pairs of an all-pairs session; two indexed lookups).
 */
export function positionOfPair(db: DB, sessionId: number, x: number, y: number): number | undefined {
  if (x === y) return undefined;
  return stmt<[{ s: number; x: number; y: number }], { position: number }>(
    db,
    `SELECT position FROM session_candidates WHERE session_id = @s AND candidate_id = @x
       AND position IN (SELECT position FROM session_candidates WHERE session_id = @s AND candidate_id = @y) LIMIT 1`,
  ).get({ s: sessionId, x, y })?.position;
}

/** The rater's current verdict on (left, right), as shown. */
export function currentVerdict(
  db: DB,
  sessionId: number,
  raterId: number,
  left: number,
  right: number,
): PairwiseChoice | null {
  return (
    stmt<[number, number, number, number], { value: PairwiseChoice | null }>(
      db,
      `SELECT value FROM judgments WHERE session_id = ? AND rater_id = ? AND kind = 'pairwise'
         AND candidate_id = ? AND coalesce(other_id, 0) = ? AND state = 'current'`,
    ).get(sessionId, raterId, left, right)?.value ?? null
  );
}

export interface PairwiseRow {
  session_id: number;
  rater: string;
  image_id: number;
  /** shown left (A) and right (B) */
  left: number;
  right: number;
  value: PairwiseChoice;
  seq: number;
}

/** Every current pairwise verdict, in the order made per rater. */
export function pairwiseJudgments(db: DB, sessions?: number[]): PairwiseRow[] {
  return stmt<[{ ss: string | null }], PairwiseRow>(
    db,
    `SELECT j.session_id, ra.name AS rater, j.image_id, j.candidate_id AS left, j.other_id AS right, j.value, j.seq
     FROM judgments j JOIN raters ra ON ra.id = j.rater_id
     WHERE j.kind = 'pairwise' AND j.state = 'current' AND j.value IS NOT NULL
       AND (@ss IS NULL OR j.session_id IN (SELECT value FROM json_each(@ss)))
     ORDER BY j.session_id, ra.name, j.seq, j.id`,
  ).all({ ss: sessions?.length ? JSON.stringify(sessions) : null });
}

/** The names of these rating sessions, by id. */
export function sessionNames(db: DB, ids: number[]): Map<number, string> {
  const rows = stmt<[string], { id: number; name: string }>(
    db,
    'SELECT id, name FROM rating_sessions WHERE id IN (SELECT value FROM json_each(?))',
  ).all(JSON.stringify(ids));
  return new Map(rows.map((r) => [r.id, r.name]));
}
