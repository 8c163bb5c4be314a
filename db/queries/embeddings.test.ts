/**
 * What migration 016's triggers record about a scorer's embeddings, and how search reads them with
 * it: all of them, or only those added since a copy was read, on a real database file.
 */
import { describe, expect, it } from 'vitest';
import { databaseAt, LATEST } from '../migration-harness.ts';
import { embeddingState, readEmbeddings } from './embeddings.ts';

const vec = (...xs: number[]) => Buffer.from(new Float32Array(xs).buffer);

describe('embedding versions and additions (migration 016)', () => {
  it('numbers each embedding added; a change or removal bumps that scorer version only', () => {
    const db = databaseAt(LATEST);
    const added = (scorer: number) =>
      (
        db
          .prepare('SELECT image_id FROM embedding_additions WHERE scorer_id = ? ORDER BY seq')
          .all(scorer) as {
          image_id: number;
        }[]
      ).map((r) => r.image_id);
    const put = db.prepare(
      'INSERT INTO image_embeddings (image_id, scorer_id, dim, vector) VALUES (?, ?, 2, ?) ON CONFLICT DO NOTHING',
    );
    expect(embeddingState(db, 2)).toEqual({ version: 0, seq: 0 });
    put.run(2, 2, vec(0.6, 0.8));
    put.run(1, 2, vec(1, 0));
    put.run(1, 2, vec(0, 1)); // already there: nothing added
    put.run(1, 1, vec(1, 0));
    expect([added(2), added(1)]).toEqual([[2, 1], [1]]);
    expect(embeddingState(db, 2)).toEqual({ version: 0, seq: 2 });
    db.prepare('UPDATE image_embeddings SET vector = ? WHERE image_id = 1 AND scorer_id = 2').run(vec(0, 1));
    // the old and the new row: the same scorer twice
    expect(embeddingState(db, 2)).toEqual({ version: 2, seq: 2 });
    db.prepare('DELETE FROM image_embeddings WHERE scorer_id = 1').run();
    expect([embeddingState(db, 2).version, embeddingState(db, 1).version]).toEqual([2, 1]);
    db.close();
  });

  it('reads every embedding, then only those added after a copy, and all again after a removal', () => {
    const db = databaseAt(LATEST);
    const put = db.prepare(
      'INSERT INTO image_embeddings (image_id, scorer_id, dim, vector) VALUES (?, 2, 2, ?)',
    );
    const read = (copy: Parameters<typeof readEmbeddings>[2]) => {
      const sizes: number[] = [];
      const rows: [number, number[]][] = [];
      const r = readEmbeddings(
        db,
        2,
        copy,
        (s) => sizes.push(s.rows),
        (id, v) => rows.push([id, [...new Float32Array(new Uint8Array(v).buffer)]]),
      );
      expect(sizes).toEqual([rows.length]); // told before the first row, and exactly
      return { ...r, rows };
    };
    put.run(1, vec(0.6, 0.8));
    put.run(2, vec(1, 0));
    // another dimension (not written by the studio) is left out
    db.prepare('INSERT INTO image_embeddings (image_id, scorer_id, dim, vector) VALUES (1, 1, 3, ?)').run(
      vec(1, 0, 0),
    );
    const all = read(null);
    expect(all).toMatchObject({ whole: true, dim: 2, version: 0, seq: 2 });
    expect(new Map(all.rows)).toEqual(
      new Map([
        [1, [Math.fround(0.6), Math.fround(0.8)]],
        [2, [1, 0]],
      ]),
    );
    db.prepare(
      "INSERT INTO images (id, hash, bytes, width, height, format) VALUES (9, 'h9', 1, 1, 1, 'png')",
    ).run();
    put.run(9, vec(0, 1));
    const more = read({ version: 0, seq: all.seq, dim: 2 });
    // numbers run across scorers (scorer 1's row took 3)
    expect(more).toMatchObject({ whole: false, dim: 2, version: 0, seq: 4, rows: [[9, [0, 1]]] });
    expect(read({ version: 0, seq: more.seq, dim: 2 })).toMatchObject({ whole: false, rows: [] });
    db.prepare('DELETE FROM image_embeddings WHERE image_id = 1 AND scorer_id = 2').run();
    const again = read({ version: 0, seq: more.seq, dim: 2 });
    expect(again).toMatchObject({ whole: true, version: 1, seq: 4 });
    expect(again.rows.map((r) => r[0]).sort()).toEqual([2, 9]);
    db.close();
  });
});
