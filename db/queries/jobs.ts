/** Batch jobs: one row per (library root, model, decoding config, policy) run. */
import type { JobState, Policy } from '../../electron/core/api/contract.ts';
import type { DB } from '../open.ts';
import { stmt, writeTx } from './statements.ts';

export interface JobRow {
  id: number;
  root_id: number;
  model_id: number;
  config_id: number;
  policy: Policy;
  state: JobState;
}

/** The unfinished job for this work (to resume it), or a new one. */
export function openCaptionJob(
  db: DB,
  rootId: number,
  modelId: number,
  configId: number,
  policy: JobRow['policy'],
): { job: JobRow; resumed: boolean } {
  return writeTx(db, () => {
    const open = stmt<[number, number, number, string], JobRow>(
      db,
      `SELECT * FROM jobs WHERE kind = 'caption' AND root_id = ? AND model_id = ? AND config_id = ? AND policy = ?
         AND state IN ('running', 'paused') ORDER BY id DESC LIMIT 1`,
    ).get(rootId, modelId, configId, policy);
    if (open) {
      setJobState(db, open.id, 'running');
      return { job: { ...open, state: 'running' as const }, resumed: true };
    }
    const id = Number(
      stmt(
        db,
        "INSERT INTO jobs (kind, root_id, model_id, config_id, policy, state) VALUES ('caption', ?, ?, ?, ?, 'running')",
      ).run(rootId, modelId, configId, policy).lastInsertRowid,
    );
    return { job: stmt<[number], JobRow>(db, 'SELECT * FROM jobs WHERE id = ?').get(id)!, resumed: false };
  });
}

export function setJobState(db: DB, id: number, state: JobState): void {
  stmt(db, "UPDATE jobs SET state = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(
    state,
    id,
  );
}

/** Jobs a process stopped before they finished (paused, or killed while running): resumable. */
export function unfinishedJobs(db: DB): (JobRow & { path: string })[] {
  return stmt<[], JobRow & { path: string }>(
    db,
    `SELECT j.*, r.path FROM jobs j JOIN library_roots r ON r.id = j.root_id
     WHERE j.state IN ('running', 'paused') ORDER BY j.id`,
  ).all();
}
