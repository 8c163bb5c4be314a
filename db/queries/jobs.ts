/** Batch jobs: one row per (library root, model, decoding config, policy) run. */
import type { DB } from '../open.ts';
import { CURRENT_RUN } from './runs.ts';
import { stmt, writeTx } from './statements.ts';

/** The values the schema's CHECK constraints allow. */
export type JobPolicy = 'skip-existing' | 'overwrite';
export type JobStateRow = 'running' | 'paused' | 'done' | 'cancelled' | 'failed';

export interface JobRow {
  id: number;
  root_id: number;
  model_id: number;
  config_id: number;
  policy: JobPolicy;
  state: JobStateRow;
  /** images per inference batch, as the job was started; null: the default batch size */
  batch_size: number | null;
}

/** What a caption job works on: starting the same work again resumes its unfinished job. */
export interface JobWork {
  rootId: number;
  modelId: number;
  configId: number;
  policy: JobPolicy;
}

/**
 * The unfinished job for this work (to resume it), or a new one. A batch size given is stored
 * with the job; without one, a resumed job keeps its own.
 */
export function openCaptionJob(db: DB, w: JobWork, batchSize?: number): { job: JobRow; resumed: boolean } {
  return writeTx(db, () => {
    const open = stmt<[number, number, number, string], JobRow>(
      db,
      `SELECT * FROM jobs WHERE kind = 'caption' AND root_id = ? AND model_id = ? AND config_id = ? AND policy = ?
         AND state IN ('running', 'paused') ORDER BY id DESC LIMIT 1`,
    ).get(w.rootId, w.modelId, w.configId, w.policy);
    let id = open?.id;
    if (id !== undefined) {
      setJobState(db, id, 'running');
      stmt(db, 'UPDATE jobs SET batch_size = coalesce(?, batch_size) WHERE id = ?').run(
        batchSize ?? null,
        id,
      );
    } else {
      id = Number(
        stmt(
          db,
          `INSERT INTO jobs (kind, root_id, model_id, config_id, policy, state, batch_size)
           VALUES ('caption', ?, ?, ?, ?, 'running', ?)`,
        ).run(w.rootId, w.modelId, w.configId, w.policy, batchSize ?? null).lastInsertRowid,
      );
    }
    const job = stmt<[number], JobRow>(db, 'SELECT * FROM jobs WHERE id = ?').get(id)!;
    return { job, resumed: open !== undefined };
  });
}

export function setJobState(db: DB, id: number, state: JobStateRow): void {
  stmt(db, "UPDATE jobs SET state = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(
    state,
    id,
  );
}

export interface JobListRow extends JobRow {
  folder: string;
  model: string;
  model_dtype: string | null;
  model_source: string | null;
  decoding: string;
  /** files in the folder that can be captioned */
  total: number;
  /** of those, how many have a current caption of this model and config */
  done: number;
  /** runs this job wrote, and when its first and last were written */
  captioned: number;
  first_at: string | null;
  last_at: string | null;
}

const JOB_LIST = `SELECT j.*, r.path AS folder, m.name AS model, m.dtype AS model_dtype, m.source AS model_source, dc.json AS decoding,
    (SELECT count(*) FROM files f WHERE f.root_id = j.root_id AND f.status != 'missing') AS total,
    (SELECT count(*) FROM files f WHERE f.root_id = j.root_id AND f.status != 'missing' AND f.image_id IN
       (SELECT image_id FROM caption_runs cr WHERE cr.model_id = j.model_id AND cr.config_id = j.config_id AND ${CURRENT_RUN('cr')})) AS done,
    (SELECT count(*) FROM caption_runs cr WHERE cr.job_id = j.id) AS captioned,
    (SELECT min(created_at) FROM caption_runs cr WHERE cr.job_id = j.id) AS first_at,
    (SELECT max(created_at) FROM caption_runs cr WHERE cr.job_id = j.id) AS last_at
  FROM jobs j JOIN library_roots r ON r.id = j.root_id JOIN models m ON m.id = j.model_id
  JOIN decoding_configs dc ON dc.id = j.config_id`;

/** Jobs of every process, newest first, with their folder, model, decoding and progress. */
export function listJobs(db: DB, limit = 100): JobListRow[] {
  return stmt<[number], JobListRow>(db, `${JOB_LIST} ORDER BY j.id DESC LIMIT ?`).all(limit);
}

export function jobById(db: DB, id: number): JobListRow | undefined {
  return stmt<[number], JobListRow>(db, `${JOB_LIST} WHERE j.id = ?`).get(id);
}
