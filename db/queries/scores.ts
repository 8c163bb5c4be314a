/** CLIPScore per caption candidate and CLIP image embeddings (migration 014), by scorer (a `models` row). */
import type { DB } from '../open.ts';
import { CURRENT_RUN } from './runs.ts';
import { stmt, writeTx } from './statements.ts';

/** A current candidate the scorer has not scored yet, with a file of its image to read. */
export interface UnscoredCandidate {
  candidate_id: number;
  image_id: number;
  text: string;
  file_path: string;
}

/**
 * Current candidates (of current runs, model beams and human edits) of images with a readable file
 * in the root (every root when none), that `scorerId` has no score for: what a resumed run still
 * has to do. By image, so one image embedding serves its candidates.
 */
export function unscoredCandidates(db: DB, scorerId: number, rootId?: number): UnscoredCandidate[] {
  return stmt<(number | null)[], UnscoredCandidate>(
    db,
    `SELECT c.id AS candidate_id, r.image_id, c.text,
       (SELECT f.path FROM files f WHERE f.image_id = r.image_id AND f.status = 'ok'
          AND (? IS NULL OR f.root_id = ?) ORDER BY f.path LIMIT 1) AS file_path
     FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id
     WHERE ${CURRENT_RUN('r')} AND file_path IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM candidate_scores s WHERE s.candidate_id = c.id AND s.scorer_id = ?)
     ORDER BY r.image_id, c.id`,
  ).all(rootId ?? null, rootId ?? null, scorerId);
}

/** The stored unit embedding of an image under a scorer, or undefined. */
export function imageEmbedding(db: DB, imageId: number, scorerId: number): Float32Array | undefined {
  const row = stmt<[number, number], { vector: Buffer }>(
    db,
    'SELECT vector FROM image_embeddings WHERE image_id = ? AND scorer_id = ?',
  ).get(imageId, scorerId);
  return row ? new Float32Array(new Uint8Array(row.vector).buffer) : undefined;
}

export interface NewScore {
  candidateId: number;
  clipScore: number;
  refClipScore: number | null;
  refs: number;
}

/** One image's embedding (kept if already stored) and its candidates' scores, in one transaction. */
export function saveImageScores(
  db: DB,
  scorerId: number,
  imageId: number,
  embedding: Float32Array,
  scores: NewScore[],
): void {
  writeTx(db, () => {
    stmt(
      db,
      `INSERT INTO image_embeddings (image_id, scorer_id, dim, vector) VALUES (?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ).run(
      imageId,
      scorerId,
      embedding.length,
      Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength),
    );
    const put = stmt(
      db,
      `INSERT INTO candidate_scores (candidate_id, scorer_id, clip_score, ref_clip_score, refs) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (candidate_id, scorer_id) DO UPDATE SET clip_score = excluded.clip_score,
         ref_clip_score = excluded.ref_clip_score, refs = excluded.refs, scored_at = excluded.scored_at`,
    );
    for (const s of scores) put.run(s.candidateId, scorerId, s.clipScore, s.refClipScore, s.refs);
  });
}

/** Every CLIPScore a scorer gave, by candidate. */
export function scoresOf(db: DB, scorerId: number): Map<number, number> {
  return new Map(
    stmt<[number], { candidate_id: number; clip_score: number }>(
      db,
      'SELECT candidate_id, clip_score FROM candidate_scores WHERE scorer_id = ?',
    )
      .all(scorerId)
      .map((r) => [r.candidate_id, r.clip_score]),
  );
}

/** A scorer (a `models` row) that has scored captions. */
export interface ScorerRow {
  id: number;
  name: string;
  dtype: string | null;
}

/** The scorers with stored scores, in the order they were added (the review-queue index answers each). */
export function scorersWithScores(db: DB): ScorerRow[] {
  return stmt<[], ScorerRow>(
    db,
    `SELECT m.id, m.name, m.dtype FROM models m
     WHERE EXISTS (SELECT 1 FROM candidate_scores s WHERE s.scorer_id = m.id) ORDER BY m.id`,
  ).all();
}

/** Is there a `models` row with this id (a scorer the review queue may name)? */
export function modelRowExists(db: DB, id: number): boolean {
  return stmt<[number], { id: number }>(db, 'SELECT id FROM models WHERE id = ?').get(id) !== undefined;
}
