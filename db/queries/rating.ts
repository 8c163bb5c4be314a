/** Rating sessions, raters and ratings, with an undo log per rater. */
import type { DB } from '../open.ts';
import { stmt, writeTx } from './statements.ts';

export function raterId(db: DB, name: string): number {
  stmt(db, 'INSERT INTO raters (name) VALUES (?) ON CONFLICT(name) DO NOTHING').run(name);
  return stmt<[string], { id: number }>(db, 'SELECT id FROM raters WHERE name = ?').get(name)!.id;
}

export interface RatingRow {
  candidate_id: number;
  value: number | null;
  best: number;
}

/** Everything one rater has rated in a session, by candidate. */
export function ratingsOf(db: DB, sessionId: number, raterId: number): Map<number, RatingRow> {
  const rows = stmt<[number, number], RatingRow>(
    db,
    'SELECT candidate_id, value, best FROM ratings WHERE session_id = ? AND rater_id = ?',
  ).all(sessionId, raterId);
  return new Map(rows.map((r) => [r.candidate_id, r]));
}

/**
 * Sets a rating (value and/or best-of-N pick) in one transaction, logging the previous state so
 * the rater can undo it. Picking a best candidate clears the pick on the item's other candidates.
 */
export function setRating(
  db: DB,
  r: {
    sessionId: number;
    raterId: number;
    imageId: number;
    candidateId: number;
    value?: number | null;
    best?: boolean;
    siblings: number[];
  },
): void {
  writeTx(db, () => {
    const action =
      stmt<[number, number], { a: number | null }>(
        db,
        'SELECT max(action) AS a FROM rating_log WHERE session_id = ? AND rater_id = ?',
      ).get(r.sessionId, r.raterId)!.a ?? 0;
    const touch = (candidateId: number, value: number | null | undefined, best: boolean | undefined) => {
      const prev = stmt<[number, number, number], { value: number | null; best: number }>(
        db,
        'SELECT value, best FROM ratings WHERE session_id = ? AND rater_id = ? AND candidate_id = ?',
      ).get(r.sessionId, r.raterId, candidateId);
      stmt(
        db,
        'INSERT INTO rating_log (session_id, rater_id, action, candidate_id, prev_value, prev_best) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(
        r.sessionId,
        r.raterId,
        action + 1,
        candidateId,
        prev ? prev.value : null,
        prev ? prev.best : null,
      );
      stmt(
        db,
        `INSERT INTO ratings (session_id, rater_id, image_id, candidate_id, value, best) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(session_id, rater_id, candidate_id) DO UPDATE SET value = excluded.value, best = excluded.best,
           created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      ).run(
        r.sessionId,
        r.raterId,
        r.imageId,
        candidateId,
        value === undefined ? (prev?.value ?? null) : value,
        best === undefined ? (prev?.best ?? 0) : best ? 1 : 0,
      );
    };
    if (r.best) {
      for (const other of r.siblings) {
        if (other === r.candidateId) continue;
        const cur = stmt<[number, number, number], { best: number }>(
          db,
          'SELECT best FROM ratings WHERE session_id = ? AND rater_id = ? AND candidate_id = ?',
        ).get(r.sessionId, r.raterId, other);
        if (cur?.best) touch(other, undefined, false);
      }
    }
    touch(r.candidateId, r.value, r.best);
  });
}

/** Reverts this rater's last rating action in the session; returns the candidate it touched. */
export function undoRating(db: DB, sessionId: number, raterId: number): number | null {
  return writeTx(db, () => {
    const last = stmt<[number, number], { action: number; candidate_id: number }>(
      db,
      'SELECT action, candidate_id FROM rating_log WHERE session_id = ? AND rater_id = ? AND undone = 0 ORDER BY action DESC, id DESC LIMIT 1',
    ).get(sessionId, raterId);
    if (!last) return null;
    const batch = stmt<
      [number, number, number],
      { id: number; candidate_id: number; prev_value: number | null; prev_best: number | null }
    >(
      db,
      'SELECT id, candidate_id, prev_value, prev_best FROM rating_log WHERE session_id = ? AND rater_id = ? AND action = ? ORDER BY id DESC',
    ).all(sessionId, raterId, last.action);
    for (const e of batch) {
      if (e.prev_value === null && e.prev_best === null) {
        stmt(db, 'DELETE FROM ratings WHERE session_id = ? AND rater_id = ? AND candidate_id = ?').run(
          sessionId,
          raterId,
          e.candidate_id,
        );
      } else {
        stmt(
          db,
          'UPDATE ratings SET value = ?, best = ? WHERE session_id = ? AND rater_id = ? AND candidate_id = ?',
        ).run(e.prev_value, e.prev_best ?? 0, sessionId, raterId, e.candidate_id);
      }
      stmt(db, 'UPDATE rating_log SET undone = 1 WHERE id = ?').run(e.id);
    }
    return last.candidate_id;
  });
}

// ---- sessions and their items ----

export function insertSession(
  db: DB,
  s: { name: string; blind: boolean; config: object; items: { imageId: number; candidateIds: number[] }[] },
): number {
  return writeTx(db, () => {
    const sid = Number(
      stmt(db, 'INSERT INTO rating_sessions (name, blind, config) VALUES (?, ?, ?)').run(
        s.name,
        s.blind ? 1 : 0,
        JSON.stringify(s.config),
      ).lastInsertRowid,
    );
    s.items.forEach((it, position) => {
      stmt(
        db,
        'INSERT INTO session_items (session_id, position, image_id, candidate_ids) VALUES (?, ?, ?, ?)',
      ).run(sid, position, it.imageId, JSON.stringify(it.candidateIds));
    });
    return sid;
  });
}

export function sessionRow(db: DB, id: number): { id: number; blind: number } | undefined {
  return stmt<[number], { id: number; blind: number }>(
    db,
    'SELECT id, blind FROM rating_sessions WHERE id = ?',
  ).get(id);
}

export function listSessions(db: DB): { id: number; name: string; blind: number; items: number }[] {
  return stmt<[], { id: number; name: string; blind: number; items: number }>(
    db,
    'SELECT s.id, s.name, s.blind, (SELECT count(*) FROM session_items i WHERE i.session_id = s.id) AS items FROM rating_sessions s ORDER BY s.id DESC',
  ).all();
}

export interface ItemRow {
  position: number;
  image_id: number;
  candidate_ids: string;
}

export function sessionItems(db: DB, sessionId: number): ItemRow[] {
  return stmt<[number], ItemRow>(
    db,
    'SELECT position, image_id, candidate_ids FROM session_items WHERE session_id = ? ORDER BY position',
  ).all(sessionId);
}

/** The session item showing a candidate. */
export function itemOfCandidate(db: DB, sessionId: number, candidateId: number): ItemRow | undefined {
  return stmt<[number, string], ItemRow>(
    db,
    'SELECT position, image_id, candidate_ids FROM session_items WHERE session_id = ? AND EXISTS (SELECT 1 FROM json_each(candidate_ids) WHERE value = CAST(? AS INTEGER))',
  ).get(sessionId, String(candidateId));
}
