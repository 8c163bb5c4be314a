/** Bulk caption edits: the captions they target and their history (edit_batches, 013_edit_batches.sql). */
import type { DB } from '../open.ts';
import { insertCandidate } from './captions.ts';
import { filesWhere, type ImageQuery } from './library.ts';
import { CURRENT_CAPTION_ID } from './runs.ts';
import { stmt } from './statements.ts';

/** An image's caption as it stands, with a file showing the image. */
export interface TargetCaption {
  imageId: number;
  fileId: number;
  candidateId: number;
  runId: number;
  text: string;
}

const TARGET_SELECT = `SELECT f.image_id AS imageId, f.id AS fileId, c.id AS candidateId, c.run_id AS runId, c.text
  FROM files f JOIN caption_candidates c ON c.id = ${CURRENT_CAPTION_ID('f.image_id')}`;

/**
 * The current captions of the images these files show, or of every file the library's filters
 * select: one per image (its first file in path order), in path order.
 */
export function targetCaptions(
  db: DB,
  t: { fileIds?: number[]; library?: Omit<ImageQuery, 'offset' | 'limit'> },
): TargetCaption[] {
  const rows = t.fileIds
    ? stmt<[string], TargetCaption>(
        db,
        `${TARGET_SELECT} WHERE f.id IN (SELECT value FROM json_each(?)) AND f.status = 'ok' ORDER BY f.path`,
      ).all(JSON.stringify(t.fileIds))
    : (() => {
        const { w, args } = filesWhere(t.library!);
        return stmt<unknown[], TargetCaption>(
          db,
          `${TARGET_SELECT} ${w} AND f.status = 'ok' ORDER BY f.path`,
        ).all(...args);
      })();
  const seen = new Set<number>();
  return rows.filter((r) => !seen.has(r.imageId) && seen.add(r.imageId));
}

export interface BatchRow {
  id: number;
  label: string;
  state: 'applied' | 'undone';
  changed: number;
  created_at: string;
}

const BATCH_SELECT = `SELECT b.id, b.label, b.state, b.created_at,
  (SELECT count(*) FROM edit_batch_items i WHERE i.batch_id = b.id) AS changed FROM edit_batches b`;

export function batchById(db: DB, id: number): BatchRow {
  return stmt<[number], BatchRow>(db, `${BATCH_SELECT} WHERE b.id = ?`).get(id)!;
}

export function latestBatches(db: DB, limit: number): BatchRow[] {
  return stmt<[number], BatchRow>(db, `${BATCH_SELECT} ORDER BY b.id DESC LIMIT ?`).all(limit);
}

/** The step undo takes (the latest applied batch) and the one redo takes (the earliest undone). */
export function undoable(db: DB): number | null {
  return stmt<[], { id: number | null }>(
    db,
    "SELECT max(id) AS id FROM edit_batches WHERE state = 'applied'",
  ).get()!.id;
}
export function redoable(db: DB): number | null {
  return stmt<[], { id: number | null }>(
    db,
    "SELECT min(id) AS id FROM edit_batches WHERE state = 'undone'",
  ).get()!.id;
}

export interface BatchItem {
  image_id: number;
  before_id: number;
  after_id: number;
  before: string;
  after: string;
}

export const batchItems = (db: DB, batchId: number): BatchItem[] =>
  stmt<[number], BatchItem>(
    db,
    'SELECT image_id, before_id, after_id, before, after FROM edit_batch_items WHERE batch_id = ?',
  ).all(batchId);

/** A new batch, applied; the undone ones (the redo stack) are dropped first. */
export function insertBatch(db: DB, operation: string, label: string): number {
  stmt(db, "DELETE FROM edit_batches WHERE state = 'undone'").run();
  return Number(
    stmt(db, 'INSERT INTO edit_batches (operation, label) VALUES (?, ?)').run(operation, label)
      .lastInsertRowid,
  );
}

export function setBatchState(db: DB, id: number, state: BatchRow['state']): void {
  stmt(db, 'UPDATE edit_batches SET state = ? WHERE id = ?').run(state, id);
}

/**
 * Writes one human edit per item, each into the run of the caption it edits, after the run's
 * others, and records it in the batch. `nextRank` carries each run's next free rank across calls.
 */
export function writeEdits(
  db: DB,
  batchId: number,
  items: { imageId: number; beforeId: number; runId: number; before: string; after: string }[],
): void {
  const nextRank = new Map<number, number>();
  const rankOf = (runId: number) => {
    const r =
      nextRank.get(runId) ??
      stmt<[number], { r: number }>(
        db,
        'SELECT max(rank) + 1 AS r FROM caption_candidates WHERE run_id = ?',
      ).get(runId)!.r;
    nextRank.set(runId, r + 1);
    return r;
  };
  const item = stmt(
    db,
    `INSERT INTO edit_batch_items (batch_id, image_id, before_id, after_id, before, after) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (batch_id, image_id) DO UPDATE SET before_id = excluded.before_id, after_id = excluded.after_id`,
  );
  for (const it of items) {
    const id = insertCandidate(db, it.runId, {
      rank: rankOf(it.runId),
      source: 'human',
      text: it.after,
      editedFrom: it.beforeId,
    });
    item.run(batchId, it.imageId, it.beforeId, id, it.before, it.after);
  }
}

/** How many of a batch's edits something else names: ratings, rating sessions, later edits. */
export function editsInUse(db: DB, batchId: number): number {
  return stmt<[number], { n: number }>(
    db,
    `SELECT count(*) AS n FROM edit_batch_items i WHERE i.batch_id = ? AND (
       EXISTS (SELECT 1 FROM judgments j WHERE j.candidate_id = i.after_id)
       OR EXISTS (SELECT 1 FROM judgments j WHERE j.other_id = i.after_id)
       OR EXISTS (SELECT 1 FROM session_candidates s WHERE s.candidate_id = i.after_id)
       OR EXISTS (SELECT 1 FROM session_candidates s WHERE s.source_id = i.after_id)
       OR EXISTS (SELECT 1 FROM caption_candidates c WHERE c.edited_from = i.after_id))`,
  ).get(batchId)!.n;
}

/** Deletes a batch's human edits (undo). */
export function deleteEdits(db: DB, batchId: number): void {
  stmt(
    db,
    'DELETE FROM caption_candidates WHERE id IN (SELECT after_id FROM edit_batch_items WHERE batch_id = ?)',
  ).run(batchId);
}

/** The run of each candidate still there, by id. */
export function runsOf(db: DB, ids: number[]): Map<number, number> {
  const rows = stmt<[string], { id: number; run_id: number }>(
    db,
    'SELECT id, run_id FROM caption_candidates WHERE id IN (SELECT value FROM json_each(?))',
  ).all(JSON.stringify(ids));
  return new Map(rows.map((r) => [r.id, r.run_id]));
}

/** Later batches that edited a redone batch's edits name them by their new ids. */
export function renameBefore(db: DB, batchId: number, renamed: [old: number, now: number][]): void {
  stmt(
    db,
    `UPDATE edit_batch_items SET before_id = m.now
     FROM (SELECT value ->> 0 AS old, value ->> 1 AS now FROM json_each(?)) m
     WHERE edit_batch_items.batch_id > ? AND edit_batch_items.before_id = m.old`,
  ).run(JSON.stringify(renamed), batchId);
}
