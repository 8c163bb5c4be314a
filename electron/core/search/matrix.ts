/**
 * One scorer's image embeddings in memory, as search ranks them: a row-major matrix of unit vectors
 * and the image of each row, kept in step with the database (migration 016). Before each search it
 * reads what was added since (a scoring run in progress adds an image at a time), or everything
 * again when an embedding was changed or removed (the version moved). Rows are appended into spare
 * capacity (grown by half when full), so a scoring run's additions are not a copy each.
 *
 * Memory: one scorer's matrix per worker, 4 * capacity * dim bytes (200 MB at 100k x 512, up to half
 * again while it grows); a read that would pass CAPTION_STUDIO_SEARCH_MAX_MB (default 2048) is
 * refused at field `scorer` rather than made.
 */
import type { DB } from '../../../db/open.ts';
import { type EmbeddingRead, embeddingState, readEmbeddings } from '../../../db/queries/embeddings.ts';
import { ApiError } from '../api/dispatch.ts';

const maxBytes = () => Number(process.env.CAPTION_STUDIO_SEARCH_MAX_MB || 2048) * 2 ** 20;

export class EmbeddingCache {
  private scorerId = 0;
  private version = 0;
  private seq = 0;
  dim = 0;
  /** rows in use; `imageIds` and `matrix` have room for more */
  rows = 0;
  private imageIds = new Int32Array(0);
  private data = new Float32Array(0);

  /** The scorer's embeddings as stored now: rows [0, rows) of `matrix` belong to `ids` in order. */
  current(db: DB, scorerId: number): { ids: Int32Array; matrix: Float32Array; dim: number } {
    const copy = this.scorerId === scorerId ? { version: this.version, seq: this.seq, dim: this.dim } : null;
    const now = copy && embeddingState(db, scorerId);
    if (!now || now.version !== copy!.version || now.seq !== copy!.seq) this.refresh(db, scorerId, copy);
    return {
      ids: this.imageIds.subarray(0, this.rows),
      matrix: this.data.subarray(0, this.rows * this.dim),
      dim: this.dim,
    };
  }

  private refresh(
    db: DB,
    scorerId: number,
    copy: { version: number; seq: number; dim: number } | null,
  ): void {
    if (!copy) this.clear(); // another scorer's matrix goes before this one is read
    let bytes = new Uint8Array(0);
    const read = readEmbeddings(
      db,
      scorerId,
      copy,
      (r) => {
        this.reserve(r);
        bytes = new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
      },
      (imageId, vector) => {
        this.imageIds[this.rows] = imageId;
        // byte copies: a blob's Buffer need not start at a multiple of 4
        bytes.set(vector.subarray(0, 4 * this.dim), 4 * this.rows * this.dim);
        this.rows++;
      },
    );
    Object.assign(this, { scorerId, version: read.version, seq: read.seq });
  }

  /** Room for the rows a read brings (all of them anew, or more after those held). */
  private reserve(r: EmbeddingRead): void {
    if (r.whole) {
      this.clear();
      this.dim = r.dim;
    }
    const need = this.rows + r.rows;
    if (need <= this.imageIds.length) return;
    const capacity = r.whole ? need : Math.max(need, Math.ceil(this.imageIds.length * 1.5));
    const size = 4 * capacity * this.dim;
    if (size > maxBytes()) {
      throw new ApiError(
        422,
        `${need} embeddings of ${this.dim} values need ${Math.ceil(size / 2 ** 20)} MB, over CAPTION_STUDIO_SEARCH_MAX_MB (${maxBytes() / 2 ** 20})`,
        'scorer',
      );
    }
    const ids = new Int32Array(capacity);
    const data = new Float32Array(capacity * this.dim);
    ids.set(this.imageIds.subarray(0, this.rows));
    data.set(this.data.subarray(0, this.rows * this.dim));
    this.imageIds = ids;
    this.data = data;
  }

  clear(): void {
    Object.assign(this, { scorerId: 0, version: 0, seq: 0, dim: 0, rows: 0 });
    this.imageIds = new Int32Array(0);
    this.data = new Float32Array(0);
  }
}
