/** Models, decoding configs, caption runs and their candidates. */
import type { DB } from '../open.ts';
import { stmt } from './statements.ts';

export function upsertModel(db: DB, m: { hash: string; path: string; name: string }): number {
  stmt(
    db,
    'INSERT INTO models (hash, path, name) VALUES (@hash, @path, @name) ON CONFLICT(hash) DO UPDATE SET path = excluded.path',
  ).run(m);
  return stmt<[string], { id: number }>(db, 'SELECT id FROM models WHERE hash = ?').get(m.hash)!.id;
}

export function upsertDecodingConfig(db: DB, json: string, hash: string): number {
  stmt(db, 'INSERT INTO decoding_configs (hash, json) VALUES (?, ?) ON CONFLICT(hash) DO NOTHING').run(
    hash,
    json,
  );
  return stmt<[string], { id: number }>(db, 'SELECT id FROM decoding_configs WHERE hash = ?').get(hash)!.id;
}

export interface RunKey {
  imageId: number;
  modelId: number;
  configId: number;
}

export function currentRun(db: DB, k: RunKey): { id: number; job_id: number | null } | undefined {
  return stmt<[number, number, number], { id: number; job_id: number | null }>(
    db,
    'SELECT id, job_id FROM caption_runs WHERE image_id = ? AND model_id = ? AND config_id = ? AND superseded = 0',
  ).get(k.imageId, k.modelId, k.configId);
}

export interface NewCandidate {
  rank: number;
  source: 'model' | 'human';
  text: string;
  tokenIds?: number[];
  tokenLogprobs?: number[];
  logprobSum?: number;
  score?: number;
  attention?: { data: Uint8Array; shape: [number, number, number] } | null;
  editedFrom?: number;
}

/** Inserts a run and its candidates; an existing current run for the key is superseded (kept). */
export function insertRun(
  db: DB,
  k: RunKey & { jobId: number | null; provider: string; durationMs: number },
  candidates: NewCandidate[],
): number {
  stmt(
    db,
    'UPDATE caption_runs SET superseded = 1 WHERE image_id = ? AND model_id = ? AND config_id = ? AND superseded = 0',
  ).run(k.imageId, k.modelId, k.configId);
  const runId = Number(
    stmt(
      db,
      'INSERT INTO caption_runs (image_id, model_id, config_id, job_id, provider, duration_ms) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(k.imageId, k.modelId, k.configId, k.jobId, k.provider, k.durationMs).lastInsertRowid,
  );
  for (const c of candidates) insertCandidate(db, runId, c);
  return runId;
}

export function insertCandidate(db: DB, runId: number, c: NewCandidate): number {
  return Number(
    stmt(
      db,
      `INSERT INTO caption_candidates (run_id, rank, source, text, token_ids, token_logprobs, logprob_sum, score,
         attention, attention_grid, edited_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runId,
      c.rank,
      c.source,
      c.text,
      c.tokenIds ? JSON.stringify(c.tokenIds) : null,
      c.tokenLogprobs ? JSON.stringify(c.tokenLogprobs) : null,
      c.logprobSum ?? null,
      c.score ?? null,
      c.attention
        ? Buffer.from(c.attention.data.buffer, c.attention.data.byteOffset, c.attention.data.byteLength)
        : null,
      c.attention ? JSON.stringify(c.attention.shape) : null,
      c.editedFrom ?? null,
    ).lastInsertRowid,
  );
}

export interface CandidateRow {
  id: number;
  run_id: number;
  rank: number;
  source: 'model' | 'human';
  text: string;
  logprob_sum: number | null;
  score: number | null;
}

export function candidatesOfRun(db: DB, runId: number): CandidateRow[] {
  return stmt<[number], CandidateRow>(
    db,
    'SELECT id, run_id, rank, source, text, logprob_sum, score FROM caption_candidates WHERE run_id = ? ORDER BY rank',
  ).all(runId);
}

export interface RunCount {
  model: string;
  config: string;
  runs: number;
}

export function runCounts(db: DB): RunCount[] {
  return stmt<[], RunCount>(
    db,
    `SELECT m.name AS model, c.json AS config, count(*) AS runs FROM caption_runs r
       JOIN models m ON m.id = r.model_id JOIN decoding_configs c ON c.id = r.config_id
     WHERE r.superseded = 0 GROUP BY r.model_id, r.config_id ORDER BY m.name, c.id`,
  ).all();
}
