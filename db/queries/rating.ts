/**
 * Rating sessions, raters and ratings (scores and best-of-N picks, stored as judgments:
 * judgments.ts). Sessions are tables (items,
 * shown candidates with their sources, per-rater progress and queues): every statement a key press
 * runs is an indexed lookup, whatever the session's size.
 */
import type { DB } from '../open.ts';
import type { CandidateSource } from './captions.ts';
import { currentJudgment, lastSeq, type NewJudgment, recordJudgments } from './judgments.ts';
import { pairDoneSql } from './pairwise.ts';
import { stmt, writeTx } from './statements.ts';

/** Joins a shown candidate (sc) to rater @r's current score of it (j), after a CROSS JOIN: SQLite then
 * reads the item's few candidates first, never the rater's every score in the session. */
const SCORED = `j.session_id = sc.session_id AND j.rater_id = @r AND j.kind = 'score'
  AND j.candidate_id = sc.candidate_id AND coalesce(j.other_id, 0) = 0 AND j.state = 'current'
  AND j.value IS NOT NULL`;

export function raterId(db: DB, name: string): number {
  const get = () => stmt<[string], { id: number }>(db, 'SELECT id FROM raters WHERE name = ?').get(name);
  const found = get();
  if (found) return found.id;
  stmt(db, 'INSERT INTO raters (name) VALUES (?) ON CONFLICT(name) DO NOTHING').run(name);
  return get()!.id;
}

/**
 * Marks whether the rater has given every shown candidate of the item a value, keeping the
 * rater's count of finished items in step.
 */
export function refreshProgress(db: DB, sessionId: number, raterId: number, position: number): void {
  const key = { s: sessionId, r: raterId, p: position };
  const old = stmt<[typeof key], { done: number }>(
    db,
    'SELECT done FROM session_progress WHERE session_id = @s AND rater_id = @r AND position = @p',
  ).get(key);
  if (!old) return; // not one of the rater's items
  const pairwise = sessionRow(db, sessionId)?.kind === 'pairwise';
  const done = stmt<[typeof key], { done: number }>(
    db,
    pairwise
      ? `SELECT ${pairDoneSql('@p')} >= 1 AS done`
      : `SELECT (SELECT count(*) FROM session_candidates sc
         CROSS JOIN judgments j ON ${SCORED}
         WHERE sc.session_id = @s AND sc.position = @p AND sc.source_id = sc.candidate_id)
       >= (SELECT candidates FROM session_items WHERE session_id = @s AND position = @p) AS done`,
  ).get(key)!.done;
  if (done === old.done) return;
  stmt(
    db,
    'UPDATE session_progress SET done = @d WHERE session_id = @s AND rater_id = @r AND position = @p',
  ).run({
    ...key,
    d: done,
  });
  stmt(db, 'UPDATE session_raters SET done = done + ? WHERE session_id = ? AND rater_id = ?').run(
    done - old.done,
    sessionId,
    raterId,
  );
}

/**
 * A rater's size of the session and finished items. On the rater's first visit, writes the
 * rater's progress over every item of theirs (all items, or their share), from the ratings.
 */
export function enterSession(db: DB, s: SessionRow, raterId: number): { items: number; done: number } {
  const get = () =>
    stmt<[number, number], { items: number; done: number }>(
      db,
      'SELECT items, done FROM session_raters WHERE session_id = ? AND rater_id = ?',
    ).get(s.id, raterId);
  const found = get();
  if (found) return found;
  return writeTx(db, () => {
    const again = get();
    if (again) return again;
    const key = { s: s.id, r: raterId, all: s.overlap === null ? 1 : 0 };
    stmt(
      db,
      `INSERT OR REPLACE INTO session_progress (session_id, rater_id, position, done)
       SELECT @s, @r, i.position, ${
         s.kind === 'pairwise'
           ? `${pairDoneSql('i.position')} >= 1`
           : `(SELECT count(*) FROM session_candidates sc
           CROSS JOIN judgments j ON ${SCORED}
           WHERE sc.session_id = @s AND sc.position = i.position AND sc.source_id = sc.candidate_id) >= i.candidates`
       }
       FROM session_items i WHERE i.session_id = @s
         AND (@all OR i.position IN (SELECT position FROM session_queue WHERE session_id = @s AND rater_id = @r))`,
    ).run(key);
    stmt(
      db,
      `INSERT INTO session_raters (session_id, rater_id, items, done)
       SELECT @s, @r, count(*), coalesce(sum(done), 0) FROM session_progress WHERE session_id = @s AND rater_id = @r`,
    ).run({ s: s.id, r: raterId });
    return get()!;
  });
}

/** One rater's numbered action on one item of a session (a rating, or a pairwise verdict: actions.ts). */
export interface ItemAction {
  sessionId: number;
  raterId: number;
  imageId: number;
  position: number;
  /** the client's number for this action: one it used already was applied, and is ignored */
  seq?: number;
}

/**
 * Sets a rating in one transaction: a score and/or a best-of-N pick, as judgments of one action
 * (which the rater can undo). Picking a best candidate takes the pick back from the item's others.
 */
export function setRating(
  db: DB,
  r: ItemAction & {
    candidateId: number;
    value?: number | null;
    best?: boolean;
    siblings: number[];
  },
): void {
  writeTx(db, () => {
    if (r.seq !== undefined && r.seq <= lastSeq(db, r.sessionId, r.raterId)) return;
    const js: NewJudgment[] = [];
    const judge = (kind: 'score' | 'best', candidateId: number, value: number | null) =>
      js.push({ kind, imageId: r.imageId, candidateId, value });
    if (r.best) {
      for (const other of r.siblings)
        if (other !== r.candidateId && currentJudgment(db, r.sessionId, r.raterId, 'best', other)?.value)
          judge('best', other, null);
    }
    if (r.best !== undefined) judge('best', r.candidateId, r.best ? 1 : null);
    if (r.value !== undefined) judge('score', r.candidateId, r.value);
    if (!js.length) return;
    recordJudgments(db, r.sessionId, r.raterId, js, r.seq);
    refreshProgress(db, r.sessionId, r.raterId, r.position);
  });
}

// ---- sessions and their items ----

export interface NewSession {
  name: string;
  blind: boolean;
  guidelines: string;
  /** percent of items every assigned rater rates; null: no assignment, everyone rates everything */
  overlap: number | null;
  /** per image, its shown candidates, each the list of candidate ids with that text (shown one first) */
  items: { imageId: number; groups: number[][] }[];
  /** per assigned rater, the positions of the items it rates, ascending */
  queues: Map<string, number[]>;
  config: object;
}

export function insertSession(db: DB, s: NewSession): number {
  return writeTx(db, () => {
    const sid = Number(
      stmt(
        db,
        'INSERT INTO rating_sessions (name, blind, config, guidelines, overlap) VALUES (?, ?, ?, ?, ?)',
      ).run(s.name, s.blind ? 1 : 0, JSON.stringify(s.config), s.guidelines, s.overlap).lastInsertRowid,
    );
    s.items.forEach((it, position) => {
      stmt(
        db,
        'INSERT INTO session_items (session_id, position, image_id, candidates) VALUES (?, ?, ?, ?)',
      ).run(sid, position, it.imageId, it.groups.length);
      it.groups.forEach((group, slot) => {
        for (const source of group) insertShown(db, sid, position, slot, group[0], source);
      });
    });
    for (const [name, positions] of s.queues) {
      const rid = raterId(db, name);
      positions.forEach((position, idx) => {
        stmt(db, 'INSERT INTO session_queue (session_id, rater_id, idx, position) VALUES (?, ?, ?, ?)').run(
          sid,
          rid,
          idx,
          position,
        );
      });
    }
    return sid;
  });
}

function insertShown(db: DB, sid: number, position: number, slot: number, shown: number, source: number) {
  stmt(
    db,
    'INSERT INTO session_candidates (session_id, position, slot, candidate_id, source_id) VALUES (?, ?, ?, ?, ?)',
  ).run(sid, position, slot, shown, source);
}

export interface SessionRow {
  id: number;
  name: string;
  blind: number;
  guidelines: string;
  overlap: number | null;
  kind: 'scores' | 'pairwise';
}

export function sessionRow(db: DB, id: number): SessionRow | undefined {
  return stmt<[number], SessionRow>(
    db,
    `SELECT id, name, blind, guidelines, overlap, coalesce(json_extract(config, '$.kind'), 'scores') AS kind
     FROM rating_sessions WHERE id = ?`,
  ).get(id);
}

export function listSessions(db: DB): (SessionRow & {
  items: number;
  raters: string | null;
  candidates: 'top' | 'all';
  kind: 'scores' | 'pairwise';
  progress: string;
})[] {
  return stmt<
    [],
    SessionRow & {
      items: number;
      raters: string | null;
      candidates: 'top' | 'all';
      kind: 'scores' | 'pairwise';
      /** JSON [{rater, items, done}] of every rater who has opened the session */
      progress: string;
    }
  >(
    db,
    `SELECT s.id, s.name, s.blind, s.guidelines, s.overlap, coalesce(json_extract(s.config, '$.kind'), 'scores') AS kind,
       coalesce(json_extract(s.config, '$.candidates'), 'top') AS candidates,
       (SELECT count(*) FROM session_items i WHERE i.session_id = s.id) AS items,
       (SELECT json_group_array(name) FROM (SELECT DISTINCT ra.name FROM session_queue q JOIN raters ra ON ra.id = q.rater_id
          WHERE q.session_id = s.id ORDER BY ra.name)) AS raters,
       (SELECT json_group_array(json_object('rater', name, 'items', items, 'done', done)) FROM
          (SELECT ra.name, sr.items, sr.done FROM session_raters sr JOIN raters ra ON ra.id = sr.rater_id
           WHERE sr.session_id = s.id ORDER BY ra.name)) AS progress
     FROM rating_sessions s ORDER BY s.id DESC`,
  ).all();
}

/** The item position at a rater's queue index (they are equal without assignments). */
export function positionAt(db: DB, s: SessionRow, raterId: number, idx: number): number | undefined {
  if (s.overlap === null) return idx;
  return stmt<[number, number, number], { position: number }>(
    db,
    'SELECT position FROM session_queue WHERE session_id = ? AND rater_id = ? AND idx = ?',
  ).get(s.id, raterId, idx)?.position;
}

/** A rater's queue index of an item, undefined when the item is not the rater's. */
export function indexOf(db: DB, s: SessionRow, raterId: number, position: number): number | undefined {
  if (s.overlap === null) return position;
  return stmt<[number, number, number], { idx: number }>(
    db,
    'SELECT idx FROM session_queue WHERE session_id = ? AND rater_id = ? AND position = ?',
  ).get(s.id, raterId, position)?.idx;
}

/** The lowest position of the rater's items not finished yet, or null when all are. */
export function firstOpen(db: DB, sessionId: number, raterId: number): number | null {
  return stmt<[number, number], { p: number | null }>(
    db,
    'SELECT min(position) AS p FROM session_progress WHERE session_id = ? AND rater_id = ? AND done = 0',
  ).get(sessionId, raterId)!.p;
}

export function itemAt(db: DB, sessionId: number, position: number): { image_id: number } | undefined {
  return stmt<[number, number], { image_id: number }>(
    db,
    'SELECT image_id FROM session_items WHERE session_id = ? AND position = ?',
  ).get(sessionId, position);
}

export interface ShownRow {
  id: number;
  source_id: number;
  text: string;
  source: CandidateSource;
  /** 0: the run's top caption; n: its (n+1)-th returned */
  rank: number;
  model: string;
  config: string;
  value: number | null;
  best: number | null;
}

/** An item's shown candidates with every source and this rater's rating, in slot order (shown one first). */
export function shownCandidates(db: DB, sessionId: number, position: number, raterId: number): ShownRow[] {
  return stmt<[{ s: number; p: number; r: number }], ShownRow>(
    db,
    `SELECT sc.candidate_id AS id, sc.source_id, c.text, c.source, c.rank, m.name AS model, dc.json AS config,
       sj.value, coalesce(bj.value, 0) AS best
     FROM session_candidates sc
     JOIN caption_candidates c ON c.id = sc.source_id JOIN caption_runs ru ON ru.id = c.run_id
     JOIN models m ON m.id = ru.model_id JOIN decoding_configs dc ON dc.id = ru.config_id
     LEFT JOIN judgments sj ON sj.session_id = sc.session_id AND sj.rater_id = @r AND sj.kind = 'score'
       AND sj.candidate_id = sc.candidate_id AND coalesce(sj.other_id, 0) = 0 AND sj.state = 'current'
     LEFT JOIN judgments bj ON bj.session_id = sc.session_id AND bj.rater_id = @r AND bj.kind = 'best'
       AND bj.candidate_id = sc.candidate_id AND coalesce(bj.other_id, 0) = 0 AND bj.state = 'current'
     WHERE sc.session_id = @s AND sc.position = @p
     ORDER BY sc.slot, sc.source_id <> sc.candidate_id, sc.source_id`,
  ).all({ s: sessionId, p: position, r: raterId });
}

/** The item that shows a candidate (as itself or as one of its sources). */
export function positionOfCandidate(db: DB, sessionId: number, candidateId: number): number | undefined {
  return (
    stmt<[number, number], { position: number }>(
      db,
      'SELECT position FROM session_candidates WHERE session_id = ? AND candidate_id = ? LIMIT 1',
    ).get(sessionId, candidateId) ??
    stmt<[number, number], { position: number }>(
      db,
      'SELECT position FROM session_candidates WHERE session_id = ? AND source_id = ? LIMIT 1',
    ).get(sessionId, candidateId)
  )?.position;
}

/**
 * Adds a caption to an item: as another source of the shown candidate with the same text, or as a
 * new shown candidate after the others (which leaves every rater of the item with one to rate).
 */
export function addToItem(
  db: DB,
  sessionId: number,
  position: number,
  candidateId: number,
  sameTextAs?: number,
) {
  writeTx(db, () => {
    if (sameTextAs !== undefined) {
      const slot = stmt<[number, number, number], { slot: number }>(
        db,
        'SELECT slot FROM session_candidates WHERE session_id = ? AND candidate_id = ? AND position = ? LIMIT 1',
      ).get(sessionId, sameTextAs, position)!.slot;
      insertShown(db, sessionId, position, slot, sameTextAs, candidateId);
      return;
    }
    const slot = stmt<[number, number], { s: number }>(
      db,
      'SELECT coalesce(max(slot) + 1, 0) AS s FROM session_candidates WHERE session_id = ? AND position = ?',
    ).get(sessionId, position)!.s;
    insertShown(db, sessionId, position, slot, candidateId, candidateId);
    stmt(
      db,
      'UPDATE session_items SET candidates = candidates + 1 WHERE session_id = ? AND position = ?',
    ).run(sessionId, position);
    // every rater who had finished the item has a caption to rate there now
    stmt(
      db,
      `UPDATE session_raters SET done = done - 1 WHERE session_id = @s AND rater_id IN
         (SELECT rater_id FROM session_progress WHERE session_id = @s AND position = @p AND done = 1)`,
    ).run({ s: sessionId, p: position });
    stmt(db, 'UPDATE session_progress SET done = 0 WHERE session_id = ? AND position = ?').run(
      sessionId,
      position,
    );
  });
}
