/**
 * A scorer's stored image embeddings (migration 014) as search by meaning reads them into one
 * matrix: all of them, or those added since a copy was read (migration 016); and the file that
 * shows a ranked image in the library.
 */
import type { DB } from '../open.ts';
import { type FileJoin, fileById } from './library.ts';
import { stmt } from './statements.ts';

/** The scorer's models row, found by the hash of the files it scores with (none: never used). */
export function scorerIdByHash(db: DB, hash: string): number | undefined {
  return stmt<[string], { id: number }>(db, 'SELECT id FROM models WHERE hash = ?').get(hash)?.id;
}

/**
 * Where a scorer's embeddings stand (migration 016): `version`, bumped by every change or removal,
 * and `seq`, the number of the last one added (0: none ever).
 */
export interface EmbeddingState {
  version: number;
  seq: number;
}

export function embeddingState(db: DB, scorerId: number): EmbeddingState {
  return stmt<[number, number], EmbeddingState>(
    db,
    `SELECT coalesce((SELECT version FROM embedding_versions WHERE scorer_id = ?), 0) AS version,
       coalesce((SELECT max(seq) FROM embedding_additions WHERE scorer_id = ?), 0) AS seq`,
  ).get(scorerId, scorerId)!;
}

/** What `readEmbeddings` reads: every embedding (`whole`), or those added after a copy's `seq`. */
export interface EmbeddingRead extends EmbeddingState {
  whole: boolean;
  dim: number;
  rows: number;
}

/**
 * Reads a scorer's embeddings in one read transaction, so the state it returns names exactly the
 * rows read: those added after `copy.seq` when `copy` (of `dim` values) is of the current version,
 * else all of them (rows of another dimension than the first are skipped: not written by this
 * studio). `size` hears how many come before the first (to allocate, or to throw); `row` gets each.
 */
export function readEmbeddings(
  db: DB,
  scorerId: number,
  copy: (EmbeddingState & { dim: number }) | null,
  size: (read: EmbeddingRead) => void,
  row: (imageId: number, vector: Buffer) => void,
): EmbeddingRead {
  return db.transaction(() => {
    const state = embeddingState(db, scorerId);
    const whole = copy === null || copy.version !== state.version;
    let read: EmbeddingRead;
    let rows: Iterable<[number, Buffer]>;
    if (whole) {
      const dim =
        stmt<[number], { dim: number }>(
          db,
          'SELECT dim FROM image_embeddings WHERE scorer_id = ? LIMIT 1',
        ).get(scorerId)?.dim ?? 0;
      const n = stmt<[number, number], { n: number }>(
        db,
        'SELECT count(*) AS n FROM image_embeddings WHERE scorer_id = ? AND dim = ?',
      ).get(scorerId, dim)!.n;
      read = { ...state, whole, dim, rows: n };
      size(read);
      rows = stmt<[number, number], [number, Buffer]>(
        db,
        'SELECT image_id, vector FROM image_embeddings WHERE scorer_id = ? AND dim = ?',
      )
        .raw(true)
        .iterate(scorerId, dim);
    } else {
      const added = `FROM embedding_additions a JOIN image_embeddings e ON e.image_id = a.image_id AND e.scorer_id = a.scorer_id
         WHERE a.scorer_id = ? AND a.seq > ? AND e.dim = ?`;
      const n = stmt<[number, number, number], { n: number }>(db, `SELECT count(*) AS n ${added}`).get(
        scorerId,
        copy.seq,
        copy.dim,
      )!.n;
      read = { ...state, whole, dim: copy.dim, rows: n };
      size(read);
      rows = stmt<[number, number, number], [number, Buffer]>(
        db,
        `SELECT e.image_id, e.vector ${added} ORDER BY a.seq`,
      )
        .raw(true)
        .iterate(scorerId, copy.seq, copy.dim);
    }
    for (const [imageId, vector] of rows) row(imageId, vector);
    return read;
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
