/**
 * The owner's care of rating sessions: renaming, and deleting one with everything recorded in it
 * (its judgments; its items, queues, progress and final judgments go by ON DELETE CASCADE, and so
 * does its place in rater links). A link left reaching no session is revoked.
 */
import type { DB } from '../open.ts';
import { stmt, writeTx } from './statements.ts';

export function renameSession(db: DB, id: number, name: string): boolean {
  return stmt(db, 'UPDATE rating_sessions SET name = ? WHERE id = ?').run(name, id).changes > 0;
}

/** Live links reaching this session: those reaching it alone, and those reaching others too. */
const LINKS = `SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM rater_link_sessions o
      WHERE o.link_id = l.id AND o.session_id <> @s)) AS alone, count(*) AS total
  FROM rater_links l JOIN rater_link_sessions ls ON ls.link_id = l.id
  WHERE ls.session_id = @s AND l.revoked_at IS NULL`;

/** What a session holds that deleting it loses. */
export function sessionStakes(db: DB, id: number) {
  const j = stmt<[{ s: number }], { judgments: number; raters: number }>(
    db,
    `SELECT count(*) AS judgments, count(DISTINCT rater_id) AS raters FROM judgments
     WHERE session_id = @s AND state = 'current' AND value IS NOT NULL`,
  ).get({ s: id })!;
  const l = stmt<[{ s: number }], { alone: number; total: number }>(db, LINKS).get({ s: id })!;
  const finals = stmt<[number], { n: number }>(
    db,
    'SELECT count(*) AS n FROM adjudications WHERE session_id = ?',
  ).get(id)!.n;
  return { ...j, finals, linksRevoked: l.alone, linksNarrowed: l.total - l.alone };
}

/** Deletes a session and its judgments; revokes the live links that reached it alone. */
export function deleteSession(db: DB, id: number): void {
  writeTx(db, () => {
    stmt(
      db,
      `UPDATE rater_links SET revoked_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
       WHERE revoked_at IS NULL AND id IN (SELECT link_id FROM rater_link_sessions WHERE session_id = @s)
         AND NOT EXISTS (SELECT 1 FROM rater_link_sessions o WHERE o.link_id = rater_links.id AND o.session_id <> @s)`,
    ).run({ s: id });
    // every row of the session at once: the rows they replaced go in the same statement
    stmt(db, 'DELETE FROM judgments WHERE session_id = ?').run(id);
    stmt(db, 'DELETE FROM rating_sessions WHERE id = ?').run(id);
  });
}

export interface ItemJudgmentRow {
  rater: string;
  kind: 'score' | 'best' | 'pairwise';
  candidate_id: number;
  other_id: number | null;
  value: number | string;
}

/** Every rater's judgments in force of an item's captions (of its pair, in a pairwise session). */
export function itemJudgments(db: DB, sessionId: number, position: number): ItemJudgmentRow[] {
  return stmt<[{ s: number; p: number }], ItemJudgmentRow>(
    db,
    `SELECT ra.name AS rater, j.kind, j.candidate_id, j.other_id, j.value
     FROM judgments j JOIN raters ra ON ra.id = j.rater_id
     WHERE j.session_id = @s AND j.state = 'current' AND j.value IS NOT NULL
       AND j.candidate_id IN (SELECT candidate_id FROM session_candidates WHERE session_id = @s AND position = @p)
       AND (j.other_id IS NULL OR j.other_id IN
         (SELECT candidate_id FROM session_candidates WHERE session_id = @s AND position = @p))
     ORDER BY ra.name, j.id`,
  ).all({ s: sessionId, p: position });
}

export const itemCount = (db: DB, sessionId: number): number =>
  stmt<[number], { n: number }>(db, 'SELECT count(*) AS n FROM session_items WHERE session_id = ?').get(
    sessionId,
  )!.n;

// ---- final judgments (migration 017): one per item, recorded in the adjudication view ----

export interface FinalRow {
  session_id: number;
  position: number;
  image_id: number;
  kind: 'best' | 'pairwise';
  candidate_id: number;
  other_id: number | null;
  value: number | string | null;
  at: string;
}

/** Records (or replaces) an item's final judgment. */
export function setFinal(db: DB, f: Omit<FinalRow, 'at'>): void {
  stmt(
    db,
    `INSERT OR REPLACE INTO adjudications (session_id, position, image_id, kind, candidate_id, other_id, value)
     VALUES (@session_id, @position, @image_id, @kind, @candidate_id, @other_id, @value)`,
  ).run(f);
}

export function clearFinal(db: DB, sessionId: number, position: number): void {
  stmt(db, 'DELETE FROM adjudications WHERE session_id = ? AND position = ?').run(sessionId, position);
}

export function finalOf(db: DB, sessionId: number, position: number): FinalRow | undefined {
  return stmt<[number, number], FinalRow>(
    db,
    'SELECT * FROM adjudications WHERE session_id = ? AND position = ?',
  ).get(sessionId, position);
}

/** Every final judgment (of these sessions), by session and item. */
export function finalJudgments(db: DB, sessions?: number[]): FinalRow[] {
  return stmt<[{ ss: string | null }], FinalRow>(
    db,
    `SELECT * FROM adjudications WHERE @ss IS NULL OR session_id IN (SELECT value FROM json_each(@ss))
     ORDER BY session_id, position`,
  ).all({ ss: sessions?.length ? JSON.stringify(sessions) : null });
}
