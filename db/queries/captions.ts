/** Models, decoding configs, caption runs and their candidates. */
import type { DB } from '../open.ts';
import { CURRENT_RUN } from './runs.ts';
import { stmt, writeTx } from './statements.ts';

export function upsertModel(
  db: DB,
  m: { hash: string; path: string; name: string; dtype: string; source: string },
): number {
  stmt(
    db,
    `INSERT INTO models (hash, path, name, dtype, source) VALUES (@hash, @path, @name, @dtype, @source)
     ON CONFLICT(hash) DO UPDATE SET path = excluded.path, dtype = excluded.dtype, source = excluded.source`,
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
    `SELECT id, job_id FROM caption_runs WHERE image_id = ? AND model_id = ? AND config_id = ? AND ${CURRENT_RUN()}`,
  ).get(k.imageId, k.modelId, k.configId);
}

/** Who wrote a caption candidate: the model (one of its beams) or a person (an edit). */
export type CandidateSource = 'model' | 'human';

/**
 * A caption candidate as stored (`caption_candidates`): the db layer's one candidate type; what a
 * query reads of it is a `Pick` of this. Token lists are JSON arrays; attention a uint8 heat-map
 * of shape `attention_grid`.
 */
export interface CandidateRow {
  id: number;
  run_id: number;
  /** 0 = the run's best beam; human edits come after the model's n-best */
  rank: number;
  source: CandidateSource;
  text: string;
  token_ids: string | null;
  token_texts: string | null;
  token_logprobs: string | null;
  logprob_sum: number | null;
  score: number | null;
  attention: Buffer | null;
  attention_grid: string | null;
  edited_from: number | null;
}

/** A candidate to store, as the captioner gives it (the row's columns before encoding). */
export interface NewCandidate {
  rank: number;
  source: CandidateSource;
  text: string;
  tokenIds?: number[];
  tokenTexts?: string[];
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
    `UPDATE caption_runs SET superseded = 1 WHERE image_id = ? AND model_id = ? AND config_id = ? AND ${CURRENT_RUN()}`,
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

const json = (v: unknown[] | undefined) => (v ? JSON.stringify(v) : null);

export function insertCandidate(db: DB, runId: number, c: NewCandidate): number {
  return Number(
    stmt(
      db,
      `INSERT INTO caption_candidates (run_id, rank, source, text, token_ids, token_texts, token_logprobs, logprob_sum,
         score, attention, attention_grid, edited_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runId,
      c.rank,
      c.source,
      c.text,
      json(c.tokenIds),
      json(c.tokenTexts),
      json(c.tokenLogprobs),
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

/** A human caption added to the run of the candidate it was edited from, after the run's others. */
export function insertEdit(db: DB, editedFrom: number, text: string): number | null {
  return writeTx(db, () => {
    const src = stmt<[number], { run_id: number }>(
      db,
      'SELECT run_id FROM caption_candidates WHERE id = ?',
    ).get(editedFrom);
    if (!src) return null;
    const rank = stmt<[number], { r: number }>(
      db,
      'SELECT max(rank) + 1 AS r FROM caption_candidates WHERE run_id = ?',
    ).get(src.run_id)!.r;
    return insertCandidate(db, src.run_id, { rank, source: 'human', text, editedFrom });
  });
}

// ---- views ----

export interface RunRow {
  id: number;
  model: string;
  dtype: string | null;
  json: string;
  provider: string;
  created_at: string;
}

export function runRow(db: DB, runId: number): RunRow | undefined {
  return stmt<[number], RunRow>(
    db,
    `SELECT cr.id, m.name AS model, m.dtype, dc.json, cr.provider, cr.created_at FROM caption_runs cr
     JOIN models m ON m.id = cr.model_id JOIN decoding_configs dc ON dc.id = cr.config_id WHERE cr.id = ?`,
  ).get(runId);
}

export function currentRunIds(db: DB, imageId: number): number[] {
  return stmt<[number], { id: number }>(
    db,
    `SELECT id FROM caption_runs WHERE image_id = ? AND ${CURRENT_RUN()} ORDER BY id`,
  )
    .all(imageId)
    .map((r) => r.id);
}

/** A stored candidate as the image view needs it: without its heat-map, only whether it has one. */
export type CandidateListing = Pick<
  CandidateRow,
  | 'id'
  | 'rank'
  | 'source'
  | 'text'
  | 'token_texts'
  | 'token_logprobs'
  | 'logprob_sum'
  | 'score'
  | 'edited_from'
> & { has_attention: number };

const CANDIDATE_SELECT = `SELECT id, rank, source, text, token_texts, token_logprobs, logprob_sum, score,
  attention IS NOT NULL AS has_attention, edited_from FROM caption_candidates`;

export function candidatesOfRun(db: DB, runId: number): CandidateListing[] {
  return stmt<[number], CandidateListing>(db, `${CANDIDATE_SELECT} WHERE run_id = ? ORDER BY rank`).all(
    runId,
  );
}

export function candidateById(db: DB, id: number): CandidateListing | undefined {
  return stmt<[number], CandidateListing>(db, `${CANDIDATE_SELECT} WHERE id = ?`).get(id);
}

export function attentionOf(
  db: DB,
  candidateId: number,
): Pick<CandidateRow, 'attention' | 'attention_grid'> | undefined {
  return stmt<[number], Pick<CandidateRow, 'attention' | 'attention_grid'>>(
    db,
    'SELECT attention, attention_grid FROM caption_candidates WHERE id = ?',
  ).get(candidateId);
}

/** What re-running a candidate's tokens needs: its ids, its image, and its run's model and settings. */
export function candidateSource(
  db: DB,
  candidateId: number,
):
  | { token_ids: string | null; image_id: number; source: string | null; dtype: string; json: string }
  | undefined {
  return stmt<
    [number],
    { token_ids: string | null; image_id: number; source: string | null; dtype: string; json: string }
  >(
    db,
    `SELECT c.token_ids, cr.image_id, m.source, m.dtype, dc.json FROM caption_candidates c
     JOIN caption_runs cr ON cr.id = c.run_id JOIN models m ON m.id = cr.model_id
     JOIN decoding_configs dc ON dc.id = cr.config_id WHERE c.id = ?`,
  ).get(candidateId);
}

/** Per model and decoding config: how many images have a current run. */
export function runSummaries(
  db: DB,
): { modelId: number; configId: number; model: string; json: string; images: number }[] {
  return stmt<[], { modelId: number; configId: number; model: string; json: string; images: number }>(
    db,
    `SELECT r.model_id AS modelId, r.config_id AS configId, m.name AS model, dc.json, count(*) AS images
     FROM caption_runs r JOIN models m ON m.id = r.model_id JOIN decoding_configs dc ON dc.id = r.config_id
     WHERE ${CURRENT_RUN('r')} GROUP BY r.model_id, r.config_id ORDER BY m.name, r.config_id`,
  ).all();
}

/** Candidates a rating session shows for an image: the best of every current run, and human edits. */
export function sessionCandidates(db: DB, imageId: number, all = false): Pick<CandidateRow, 'id' | 'text'>[] {
  return stmt<[number, number], Pick<CandidateRow, 'id' | 'text'>>(
    db,
    `SELECT c.id, c.text FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id
     WHERE r.image_id = ? AND ${CURRENT_RUN('r')} AND (c.rank = 0 OR c.source = 'human' OR ?) ORDER BY r.id, c.rank`,
  ).all(imageId, all ? 1 : 0);
}
