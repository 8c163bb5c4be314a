/**
 * Bulk caption edits on the database: preview, apply (one transaction, one history step), undo and
 * redo. Each step is one write transaction, so a step is all there or not at all.
 */
import type { DB } from '../../../db/open.ts';
import {
  type BatchRow,
  batchById,
  batchItems,
  deleteEdits,
  editsInUse,
  insertBatch,
  latestBatches,
  redoable,
  renameBefore,
  runsOf,
  setBatchState,
  type TargetCaption,
  targetCaptions,
  undoable,
  writeEdits,
} from '../../../db/queries/edits.ts';
import { writeTx } from '../../../db/queries/statements.ts';
import type { ParsedRequest } from '../api/contract.ts';
import { conflict } from '../api/dispatch.ts';
import type { EditBatchView, EditChange, EditHistory, EditPreview, EditStep } from '../api/edit.ts';
import { describe, transform } from './ops.ts';

/** Changes a preview shows. */
export const SAMPLES = 50;

type EditRequest = ParsedRequest<'edit.apply'>;

interface Planned {
  images: number;
  emptied: number;
  changes: (TargetCaption & { after: string })[];
}

/** What the operation does to the target's captions: the one computation preview and apply share. */
function plan(db: DB, req: Omit<EditRequest, 'expect'>): Planned {
  const f = transform(req.op);
  const targets = targetCaptions(db, req);
  const changes: Planned['changes'] = [];
  let emptied = 0;
  for (const t of targets) {
    const after = f(t.text);
    if (after === t.text) continue;
    if (!after.trim()) emptied++;
    else changes.push({ ...t, after });
  }
  return { images: targets.length, emptied, changes };
}

const change = (c: Planned['changes'][number]): EditChange => ({
  imageId: c.imageId,
  fileId: c.fileId,
  before: c.text,
  after: c.after,
});

export function preview(db: DB, req: Omit<EditRequest, 'expect'>): EditPreview {
  const p = plan(db, req);
  return {
    images: p.images,
    changed: p.changes.length,
    emptied: p.emptied,
    samples: p.changes.slice(0, SAMPLES).map(change),
  };
}

const view = (b: BatchRow): EditBatchView => ({
  id: b.id,
  label: b.label,
  state: b.state,
  changed: b.changed,
  createdAt: b.created_at,
});

export function apply(db: DB, req: EditRequest): EditBatchView {
  const id = writeTx(db, () => {
    const p = plan(db, req);
    if (req.expect !== undefined && req.expect !== p.changes.length)
      throw conflict(
        `the captions changed since the preview: the edit would change ${p.changes.length}, the preview said ${req.expect}; nothing was changed`,
      );
    const batch = insertBatch(db, JSON.stringify(req.op), describe(req.op));
    writeEdits(
      db,
      batch,
      p.changes.map((c) => ({
        imageId: c.imageId,
        beforeId: c.candidateId,
        runId: c.runId,
        before: c.text,
        after: c.after,
      })),
    );
    return batch;
  });
  return view(batchById(db, id));
}

export function history(db: DB, limit = 100): EditHistory {
  return {
    batches: latestBatches(db, limit).map(view),
    canUndo: undoable(db) !== null,
    canRedo: redoable(db) !== null,
  };
}

/** Undoes the latest applied step: deletes its edits, so every caption is again what it was before. */
export function undo(db: DB): EditStep {
  const id = writeTx(db, () => {
    const id = undoable(db);
    if (id === null) return null;
    const used = editsInUse(db, id);
    if (used)
      throw conflict(
        `cannot undo "${batchById(db, id).label}": ${used} of its edited captions were rated, shown in a rating session or edited again since; nothing was changed`,
      );
    deleteEdits(db, id);
    setBatchState(db, id, 'undone');
    return id;
  });
  return { batch: id === null ? null : view(batchById(db, id)), history: history(db) };
}

/** Applies again the earliest undone step: the same texts, as new human edits of the same captions. */
export function redo(db: DB): EditStep {
  const id = writeTx(db, () => {
    const id = redoable(db);
    if (id === null) return null;
    const items = batchItems(db, id);
    const runs = runsOf(
      db,
      items.map((i) => i.before_id),
    );
    const gone = items.filter((i) => !runs.has(i.before_id)).length;
    if (gone)
      throw conflict(`cannot redo "${batchById(db, id).label}": ${gone} of the captions it edited are gone`);
    writeEdits(
      db,
      id,
      items.map((i) => ({
        imageId: i.image_id,
        beforeId: i.before_id,
        runId: runs.get(i.before_id)!,
        before: i.before,
        after: i.after,
      })),
    );
    const now = new Map(batchItems(db, id).map((i) => [i.image_id, i.after_id]));
    renameBefore(
      db,
      id,
      items.map((i) => [i.after_id, now.get(i.image_id)!]),
    );
    setBatchState(db, id, 'applied');
    return id;
  });
  return { batch: id === null ? null : view(batchById(db, id)), history: history(db) };
}
