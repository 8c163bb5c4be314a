/**
 * `search.images` on a real studio: two captioned library folders, the interface-faithful CLIP
 * fixture as scorer (its embeddings stored by `scores.run`, in its worker thread). The ranking equals
 * a straightforward reference computed here: image embeddings from the files and the query's text
 * embedding on this thread, cosines in double precision, sorted. Pages, one folder, new embeddings
 * and bad requests too.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures/bundles.ts';
import { tempDir, writeGoodImages } from '../../../test/fixtures/images.ts';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import { ClipScorer } from '../inference/clip/scorer.ts';
import type { Studio } from '../studio.ts';
import { topRows } from './rank.ts';

const CLIP = join(FIXTURES, 'clip-repo');
// ORT's float32 MatMul against a double-precision sum over 512 products of unit vectors: the two
// differ by ~1e-7; 1e-5 leaves two orders of magnitude and is far below the gaps between images
const TOL = 1e-5;

let studio: Studio;
let here: ClipScorer;
let a: Awaited<ReturnType<typeof addLibrary>>;
let b: { id: number; folder: string };
beforeAll(async () => {
  studio = openTestStudio();
  a = await addLibrary(studio, 5);
  // the next three of the same generator: other images than a's five (a folder of the same first
  // images would hold the same content hashes, so the same images)
  const folder = tempDir('cs-lib-');
  for (const f of (await writeGoodImages(folder, 8)).slice(0, 5)) rmSync(f);
  b = { ...(await call(studio, 'library.addRoot', { path: folder })), folder };
  await captionRoot(studio, a.id, {});
  await captionRoot(studio, b.id, {});
  await call(studio, 'models.add', { path: CLIP });
  await call(studio, 'scores.run', { rootId: a.id, scorer: CLIP });
  here = await ClipScorer.open(CLIP);
});
afterAll(async () => {
  await here?.release();
  await studio?.close();
});

/** The embedding of each image file of the folders given, computed here from the file. */
async function embedFiles(roots: { id: number; folder: string }[]) {
  const out: { fileId: number; e: Float32Array }[] = [];
  for (const root of roots) {
    const page = await call(studio, 'library.images', { rootId: root.id, limit: 1000 });
    for (const f of page.items) {
      const path = join(root.folder, f.rel);
      out.push({ fileId: f.fileId, e: await here.embedImage(path, readFileSync(path)) });
    }
  }
  return out;
}

/** Files ranked by the cosine of their embedding with `q` (double sums), best first. */
function rankBy(q: Float32Array, files: { fileId: number; e: Float32Array }[]) {
  const out = files.map(({ fileId, e }) => {
    let s = 0;
    for (let i = 0; i < e.length; i++) s += e[i] * q[i];
    return { fileId, score: s };
  });
  return out.sort((x, y) => y.score - x.score);
}

/** The reference: every image file of the folders given, ranked by cosine with the query. */
async function reference(query: string, roots: { id: number; folder: string }[]) {
  const [q] = await here.embedTexts([query]);
  return rankBy(q, await embedFiles(roots));
}

function expectSameRanking(
  got: { fileId: number; score: number }[],
  want: { fileId: number; score: number }[],
) {
  expect(got.map((h) => h.fileId)).toEqual(want.map((h) => h.fileId));
  got.forEach((h, i) => {
    expect(Math.abs(h.score - want[i].score)).toBeLessThan(TOL);
  });
  // the order is decided by gaps the tolerance cannot blur
  for (let i = 1; i < want.length; i++) expect(want[i - 1].score - want[i].score).toBeGreaterThan(TOL);
}

describe('search.images', () => {
  it('ranks the scored images by cosine with the query as the reference does, with rel paths', async () => {
    for (const query of ['a red circle', 'two blue squares on a white background', 'dog on a beach']) {
      const r = await call(studio, 'search.images', { query, scorer: CLIP });
      expect(r).toMatchObject({ dtype: 'fp32', searched: 5 });
      expectSameRanking(r.items, await reference(query, [a]));
      for (const h of r.items) {
        expect(h.rootId).toBe(a.id);
        expect(h.rel).toMatch(/^img-00[0-4]\.\w+$/);
      }
    }
  });

  it('pages the ranking: offset and limit cut the same order', async () => {
    const all = await call(studio, 'search.images', { query: 'a shape', scorer: CLIP });
    const page = await call(studio, 'search.images', { query: 'a shape', scorer: CLIP, offset: 1, limit: 2 });
    expect(page.items.map((h) => h.fileId)).toEqual(all.items.slice(1, 3).map((h) => h.fileId));
    const past = await call(studio, 'search.images', { query: 'a shape', scorer: CLIP, offset: 5 });
    expect(past.items).toEqual([]);
  });

  it('sees embeddings stored after the last search, and searches one folder', async () => {
    const before = await call(studio, 'search.images', { query: 'a green shape', scorer: CLIP });
    expect(before.searched).toBe(5);
    await call(studio, 'scores.run', { rootId: b.id, scorer: CLIP });
    const after = await call(studio, 'search.images', { query: 'a green shape', scorer: CLIP });
    expect(after.searched).toBe(8);
    expectSameRanking(after.items, await reference('a green shape', [a, b]));
    const inB = await call(studio, 'search.images', { query: 'a green shape', scorer: CLIP, rootId: b.id });
    expectSameRanking(inB.items, await reference('a green shape', [b]));
  });

  it('skips an image no longer in the library', async () => {
    const r = await call(studio, 'search.images', { query: 'a circle', scorer: CLIP, rootId: b.id });
    const gone = r.items[0];
    studio.db.prepare("UPDATE files SET status = 'missing' WHERE id = ?").run(gone.fileId);
    const again = await call(studio, 'search.images', { query: 'a circle', scorer: CLIP });
    expect(again.searched).toBe(8);
    expect(again.items.map((h) => h.fileId)).not.toContain(gone.fileId);
    expect(again.items).toHaveLength(7);
    studio.db.prepare("UPDATE files SET status = 'ok' WHERE id = ?").run(gone.fileId);
  });

  it('reads the embeddings again when one is removed, and only the new one when it is added back', async () => {
    const query = 'a circle';
    const gone = (await call(studio, 'search.images', { query, scorer: CLIP })).items[0];
    const stored = studio.db.prepare('SELECT * FROM image_embeddings WHERE image_id = ?').get(gone.imageId);
    studio.db.prepare('DELETE FROM image_embeddings WHERE image_id = ?').run(gone.imageId);
    const without = await call(studio, 'search.images', { query, scorer: CLIP });
    expect(without.searched).toBe(7);
    expect(without.items.map((h) => h.fileId)).not.toContain(gone.fileId);
    studio.db
      .prepare(
        'INSERT INTO image_embeddings (image_id, scorer_id, dim, vector) VALUES (@image_id, @scorer_id, @dim, @vector)',
      )
      .run(stored);
    const back = await call(studio, 'search.images', { query, scorer: CLIP });
    expect(back.searched).toBe(8);
    expectSameRanking(back.items, await reference(query, [a, b]));
  });

  it('names the field at fault: an empty query, an unknown scorer, a captioner, a scorer with nothing stored', async () => {
    const fails = (req: object) => call(studio, 'search.images', req as never);
    await expect(fails({ query: '   ', scorer: CLIP })).rejects.toMatchObject({
      status: 400,
      field: 'query',
    });
    await expect(fails({ scorer: CLIP })).rejects.toMatchObject({ status: 400, field: 'query' });
    await expect(fails({ query: 'x', scorer: CLIP, limit: 0 })).rejects.toMatchObject({
      status: 400,
      field: 'limit',
    });
    await expect(fails({ query: 'x', scorer: 'nobody/nothing' })).rejects.toMatchObject({
      status: 404,
      field: 'scorer',
    });
    await expect(fails({ query: 'x', scorer: 'default' })).rejects.toMatchObject({
      status: 422,
      field: 'scorer',
      message: expect.stringMatching(/is not a CLIP scorer/),
    });
    // the q8 variant is another scorer, which has stored nothing
    await expect(fails({ query: 'x', scorer: CLIP, dtype: 'q8' })).rejects.toMatchObject({
      status: 409,
      field: 'scorer',
      message: expect.stringMatching(/score the library with it first/),
    });
  });
});

describe('more like this', () => {
  it("ranks the other images by cosine with the image's embedding as the reference does, the image left out", async () => {
    const files = await embedFiles([a, b]);
    expect(files).toHaveLength(8);
    for (const start of [files[0], files[3], files[6]]) {
      const want = rankBy(
        start.e,
        files.filter((f) => f !== start),
      );
      const r = await call(studio, 'search.images', { fileId: start.fileId, scorer: CLIP });
      expect(r.searched).toBe(8);
      expect(r.items.map((h) => h.fileId)).not.toContain(start.fileId);
      expectSameRanking(r.items, want);
    }
    // one folder, and a page of it
    const inB = files.filter((f) => f.fileId !== files[0].fileId);
    const bIds = new Set((await call(studio, 'library.images', { rootId: b.id })).items.map((f) => f.fileId));
    const wantB = rankBy(
      files[0].e,
      inB.filter((f) => bIds.has(f.fileId)),
    );
    const gotB = await call(studio, 'search.images', { fileId: files[0].fileId, scorer: CLIP, rootId: b.id });
    expectSameRanking(gotB.items, wantB);
    const page = await call(studio, 'search.images', {
      fileId: files[0].fileId,
      scorer: CLIP,
      offset: 2,
      limit: 3,
    });
    expect(page.items.map((h) => h.fileId)).toEqual(
      rankBy(files[0].e, files.slice(1))
        .slice(2, 5)
        .map((h) => h.fileId),
    );
  });

  it('names the field at fault: both or neither of query and fileId, an unknown file, an image with no embedding', async () => {
    const fails = (req: object) => call(studio, 'search.images', req as never);
    const [first] = (await call(studio, 'library.images', { rootId: a.id })).items;
    await expect(fails({ query: 'x', fileId: first.fileId, scorer: CLIP })).rejects.toMatchObject({
      status: 400,
      field: 'query',
    });
    await expect(fails({ fileId: 99_999, scorer: CLIP })).rejects.toMatchObject({
      status: 404,
      field: 'fileId',
    });
    const stored = studio.db.prepare('SELECT * FROM image_embeddings WHERE image_id = ?').get(first.imageId);
    studio.db.prepare('DELETE FROM image_embeddings WHERE image_id = ?').run(first.imageId);
    try {
      await expect(fails({ fileId: first.fileId, scorer: CLIP })).rejects.toMatchObject({
        status: 409,
        field: 'fileId',
        message: expect.stringContaining(first.rel),
      });
    } finally {
      studio.db
        .prepare(
          'INSERT INTO image_embeddings (image_id, scorer_id, dim, vector) VALUES (@image_id, @scorer_id, @dim, @vector)',
        )
        .run(stored);
    }
    // the q8 variant has stored nothing: the scorer is at fault, before the image
    await expect(fails({ fileId: first.fileId, scorer: CLIP, dtype: 'q8' })).rejects.toMatchObject({
      status: 409,
      field: 'scorer',
    });
  });
});

describe('topRows', () => {
  it('equals a full sort (score descending, then image id) for every k, skipping -Infinity', () => {
    // scores with ties and left-out rows, in a fixed pseudo-random order
    const n = 200;
    const scores = new Float32Array(n);
    const ids = new Int32Array(n);
    let x = 7;
    for (let i = 0; i < n; i++) {
      x = (x * 48271) % 2147483647;
      scores[i] = i % 17 === 0 ? Number.NEGATIVE_INFINITY : (x % 23) / 23;
      ids[i] = (i * 37) % n;
    }
    const sorted = [...scores.keys()]
      .filter((i) => scores[i] !== Number.NEGATIVE_INFINITY)
      .sort((p, q) => scores[q] - scores[p] || ids[p] - ids[q]);
    for (const k of [0, 1, 5, 64, sorted.length, n])
      expect([...topRows(scores, ids, k)]).toEqual(sorted.slice(0, k));
  });
});
