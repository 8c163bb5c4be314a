/**
 * A scorer's stored image embeddings (migration 014) as search by meaning reads them: all of them
 * at once into one matrix, the version that says when that copy is stale (migration 016), and the
 * file that shows a ranked image in the library.
 */
import type { DB } from '../open.ts';
import { type FileJoin, fileById } from './library.ts';
import { stmt } from './statements.ts';

/** The scorer's models row, found by the hash of the files it scores with (none: never used). */
export function scorerIdByHash(db: DB, hash: string): number | undefined {
  return stmt<[string], { id: number }>(db, 'SELECT id FROM models WHERE hash = ?').get(hash)?.id;
}

/** Bumped by every change to the scorer's embeddings, from any connection; 0 when it has none. */
export function embeddingVersion(db: DB, scorerId: number): number {
  return (
    stmt<[number], { version: number }>(db, 'SELECT version FROM embedding_versions WHERE scorer_id = ?').get(
      scorerId,
    )?.version ?? 0
  );
}

/** Every embedding of the scorer, row i of `matrix` (row-major, `dim` wide) belonging to `imageIds[i]`. */
export interface EmbeddingMatrix {
  version: number;
  dim: number;
  imageIds: Int32Array;
  matrix: Float32Array;
}

/**
 * Reads the scorer's embeddings in one statement, version and rows in one read transaction (so the
 * version names exactly these rows). Rows of another dimension than the first (not written by this
 * studio) are skipped. Two passes: the count sizes the matrix, so it is allocated once, after
 * `check` has seen its size (and may throw instead).
 */
export function loadEmbeddings(
  db: DB,
  scorerId: number,
  check: (rows: number, dim: number) => void = () => {},
): EmbeddingMatrix {
  return db.transaction(() => {
    const version = embeddingVersion(db, scorerId);
    const head = stmt<[number, number], { n: number; dim: number | null }>(
      db,
      'SELECT count(*) AS n, (SELECT dim FROM image_embeddings WHERE scorer_id = ? LIMIT 1) AS dim FROM image_embeddings WHERE scorer_id = ?',
    ).get(scorerId, scorerId)!;
    const dim = head.dim ?? 0;
    check(head.n, dim);
    const imageIds = new Int32Array(head.n);
    const matrix = new Float32Array(head.n * dim);
    // byte copies: a blob's Buffer need not start at a multiple of 4
    const bytes = new Uint8Array(matrix.buffer);
    let n = 0;
    const rows = stmt<[number, number], [number, Buffer]>(
      db,
      'SELECT image_id, vector FROM image_embeddings WHERE scorer_id = ? AND dim = ?',
    )
      .raw(true)
      .iterate(scorerId, dim);
    for (const [imageId, vector] of rows) {
      imageIds[n] = imageId;
      bytes.set(vector.subarray(0, 4 * dim), 4 * n * dim);
      n++;
    }
    return { version, dim, imageIds: imageIds.subarray(0, n), matrix: matrix.subarray(0, n * dim) };
  })();
}

/**
 * The file that shows an image in the library: a readable one (first by path), in the root when
 * one is given, with its library row's fields. None: the image is no longer in the library (or not
 * in that folder).
 */
export function fileShowingImage(db: DB, imageId: number, rootId: number | null): FileJoin | undefined {
  const id = stmt<[number, number | null, number | null], { id: number }>(
    db,
    `SELECT id FROM files WHERE image_id = ? AND status = 'ok' AND (? IS NULL OR root_id = ?)
     ORDER BY path LIMIT 1`,
  ).get(imageId, rootId, rootId)?.id;
  return id === undefined ? undefined : fileById(db, id);
}

/** The images a root shows (readable files): what a search in one folder ranks. */
export function imagesOfRoot(db: DB, rootId: number): Set<number> {
  return new Set(
    stmt<[number], { image_id: number }>(
      db,
      "SELECT DISTINCT image_id FROM files WHERE root_id = ? AND status = 'ok' AND image_id IS NOT NULL",
    )
      .all(rootId)
      .map((r) => r.image_id),
  );
}
