/** What evaluation reads: current candidates with their model and config, references, ratings. */
import type { DB } from '../open.ts';
import type { CandidateRow } from './captions.ts';
import { CURRENT_RUN } from './runs.ts';
import { stmt } from './statements.ts';

/** A current candidate with its image, model name and decoding config (JSON). */
export type EvalCandidate = Pick<CandidateRow, 'text' | 'source' | 'rank'> & {
  candidate_id: number;
  image_id: number;
  model: string;
  config: string;
};

export function evalCandidates(db: DB, rootId?: number): EvalCandidate[] {
  const sql = `SELECT c.id AS candidate_id, r.image_id, c.text, c.source, m.name AS model, dc.json AS config, c.rank
    FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id JOIN models m ON m.id = r.model_id
    JOIN decoding_configs dc ON dc.id = r.config_id WHERE ${CURRENT_RUN('r')}`;
  return rootId
    ? stmt<[number], EvalCandidate>(
        db,
        `${sql} AND r.image_id IN (SELECT image_id FROM files WHERE root_id = ?)`,
      ).all(rootId)
    : stmt<[], EvalCandidate>(db, sql).all();
}

/** Reference captions by image, in import order. */
export function referencesByImage(db: DB): Map<number, string[]> {
  const refs = new Map<number, string[]>();
  for (const r of stmt<[], { image_id: number; caption: string }>(
    db,
    'SELECT image_id, caption FROM reference_captions ORDER BY id',
  ).all()) {
    refs.set(r.image_id, [...(refs.get(r.image_id) ?? []), r.caption]);
  }
  return refs;
}

export function insertReference(db: DB, imageId: number, caption: string, source: string): boolean {
  return (
    stmt(
      db,
      'INSERT INTO reference_captions (image_id, caption, source) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    ).run(imageId, caption, source).changes > 0
  );
}

export interface RatingFact {
  candidate_id: number;
  rater_id: number;
  value: number | null;
  best: number;
  session_id: number;
  image_id: number;
}

export function allRatings(db: DB): RatingFact[] {
  return stmt<[], RatingFact>(
    db,
    'SELECT candidate_id, rater_id, value, best, session_id, image_id FROM candidate_ratings',
  ).all();
}
