/** What exports read (rated candidates with provenance, the ratings behind preference pairs) and what they wrote. */
import type { DB } from '../open.ts';
import type { CandidateSource } from './captions.ts';
import { CURRENT_RUN } from './runs.ts';
import { stmt } from './statements.ts';

export interface ExportCandidate {
  image_id: number;
  run_id: number;
  /** 0 = the run's best beam; human edits come after the model's n-best */
  rank: number;
  /** 1 when the candidate has ratings under the filters */
  rated: number;
  image_hash: string;
  file_path: string | null;
  /** the library folder the file is in */
  root_path: string | null;
  width: number | null;
  height: number | null;
  candidate_id: number;
  caption: string;
  source: CandidateSource;
  model: string;
  model_hash: string;
  /** the export variant that ran (fp32, q8, ...) and where the model came from */
  model_dtype: string | null;
  model_source: string | null;
  decoding_config: string;
  captioned_at: string;
  /** JSON array of rater names */
  raters: string;
  mean_rating: number | null;
  ratings: number;
  best_picks: number;
  rated_at: string | null;
  /** CLIPScore by the scorer that scored it last (candidate_scores), and that scorer: 'SOURCE DTYPE' */
  clip_score: number | null;
  clip_scorer: string | null;
}

/** Current candidates with their ratings under the filters, in a fixed order (image hash, candidate). */
export function exportCandidates(
  db: DB,
  f: { rootId?: number; raters?: string[]; sessions?: number[] },
): ExportCandidate[] {
  const where = [CURRENT_RUN('r')];
  const args: unknown[] = [];
  const ratingWhere: string[] = ['1'];
  const ratingArgs: unknown[] = [];
  if (f.raters?.length) {
    ratingWhere.push('ra.name IN (SELECT value FROM json_each(?))');
    ratingArgs.push(JSON.stringify(f.raters));
  }
  if (f.sessions?.length) {
    ratingWhere.push('rt.session_id IN (SELECT value FROM json_each(?))');
    ratingArgs.push(JSON.stringify(f.sessions));
  }
  if (f.rootId) {
    where.push('r.image_id IN (SELECT image_id FROM files WHERE root_id = ?)');
    args.push(f.rootId);
  }
  return stmt<unknown[], ExportCandidate>(
    db,
    `WITH rated AS (
       SELECT rt.candidate_id AS candidate_id, json_group_array(DISTINCT ra.name) AS raters, avg(rt.value) AS mean_rating,
         count(rt.value) AS n, sum(rt.best) AS best_picks, max(rt.created_at) AS rated_at
       FROM candidate_ratings rt JOIN raters ra ON ra.id = rt.rater_id WHERE ${ratingWhere.join(' AND ')} GROUP BY rt.candidate_id)
     SELECT i.id AS image_id, r.id AS run_id, c.rank, (rated.candidate_id IS NOT NULL) AS rated,
       i.hash AS image_hash, i.width, i.height,
       f.path AS file_path, lr.path AS root_path,
       c.id AS candidate_id, c.text AS caption, c.source, m.name AS model, m.hash AS model_hash, m.dtype AS model_dtype, m.source AS model_source,
       dc.json AS decoding_config, c.created_at AS captioned_at,
       coalesce(rated.raters, '[]') AS raters, rated.mean_rating, coalesce(rated.n, 0) AS ratings, coalesce(rated.best_picks, 0) AS best_picks, rated.rated_at,
       cs.clip_score, CASE WHEN cs.scorer_id IS NULL THEN NULL ELSE coalesce(sm.source, sm.name) || ' ' || coalesce(sm.dtype, '') END AS clip_scorer
     FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id JOIN images i ON i.id = r.image_id
     JOIN models m ON m.id = r.model_id JOIN decoding_configs dc ON dc.id = r.config_id
     LEFT JOIN rated ON rated.candidate_id = c.id
     LEFT JOIN candidate_scores cs ON cs.candidate_id = c.id AND cs.scorer_id = (SELECT s2.scorer_id FROM candidate_scores s2
       WHERE s2.candidate_id = c.id ORDER BY s2.scored_at DESC, s2.scorer_id DESC LIMIT 1)
     LEFT JOIN models sm ON sm.id = cs.scorer_id
     LEFT JOIN files f ON f.id = (SELECT f2.id FROM files f2 WHERE f2.image_id = i.id AND f2.status = 'ok' ORDER BY f2.path LIMIT 1)
     LEFT JOIN library_roots lr ON lr.id = f.root_id
     WHERE ${where.join(' AND ')} ORDER BY i.hash, c.id`,
  ).all(...ratingArgs, ...args);
}

export interface RaterVerdict {
  session_id: number;
  rater: string;
  image_id: number;
  candidate_id: number;
  value: number | null;
  best: number;
}

/** Every rating of these candidates, grouped by who saw them together (session, rater, image). */
export function verdicts(db: DB, candidateIds: number[]): RaterVerdict[] {
  if (!candidateIds.length) return [];
  return stmt<[string], RaterVerdict>(
    db,
    `SELECT rt.session_id, ra.name AS rater, rt.image_id, rt.candidate_id, rt.value, rt.best FROM ratings rt
     JOIN raters ra ON ra.id = rt.rater_id WHERE rt.candidate_id IN (SELECT value FROM json_each(?))
     ORDER BY rt.session_id, ra.name, rt.image_id, rt.candidate_id`,
  ).all(JSON.stringify(candidateIds));
}

/** The SHA-256 an export recorded for the file it wrote at `path`, if it wrote one there. */
export function exportedHash(db: DB, path: string): string | undefined {
  return stmt<[string], { sha256: string }>(db, 'SELECT sha256 FROM export_outputs WHERE path = ?').get(path)
    ?.sha256;
}

export function recordExported(db: DB, path: string, sha256: string): void {
  stmt(
    db,
    `INSERT INTO export_outputs (path, sha256) VALUES (?, ?)
     ON CONFLICT(path) DO UPDATE SET sha256 = excluded.sha256, written_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
  ).run(path, sha256);
}
