/**
 * The review queue at library scale: `library.images` with order 'clip' (lowest CLIPScore of each
 * image's current caption first) through the real handlers on a real database file of 100,000
 * images (one run of three beams each, every beam scored; one image in ten with a person's edit,
 * scored, which is then its current caption), against the library's own path order of the same
 * page in the same interleaved rounds. Timed: the first page (200 rows, with its `total`), a page
 * at offset 50,000, and the query plan's check that the page walks index candidate_scores_low.
 *
 * The library is written straight into the database (captioning and scoring 100k images would
 * take hours and measure nothing about the query).
 *
 *   npx tsx bench/review.ts [--images 100000] [--rounds 7]
 */
import { parseArgs } from 'node:util';
import { reviewSql } from '../db/queries/library.ts';
import { openStudio, type Studio } from '../electron/core/studio.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { call } from '../test/fixtures/studio.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({ options: { images: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(values.images ?? 100_000);
const ROUNDS = Number(values.rounds ?? 7);
const BEAMS = 3;

const studio: Studio = openStudio({ dataDir: tempDir('cs-review-bench-') });
const { db } = studio;

function library(): number {
  const row = (sql: string, ...a: unknown[]) => Number(db.prepare(sql).run(...a).lastInsertRowid);
  const root = row("INSERT INTO library_roots (path, scanned_at) VALUES ('/bench/review', 'now')");
  const model = row("INSERT INTO models (hash, path, name, dtype) VALUES ('m', '/bench/m', 'bench', 'fp32')");
  const scorer = row("INSERT INTO models (hash, path, name, dtype) VALUES ('s', '/bench/s', 'clip', 'fp32')");
  const config = row("INSERT INTO decoding_configs (hash, json) VALUES ('c', '{}')");
  db.transaction(() => {
    db.prepare(
      `WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < ? - 1)
       INSERT INTO images (hash, bytes, width, height, format) SELECT 'review-' || i, 1, 64, 64, 'png' FROM k`,
    ).run(N);
    db.prepare(
      `INSERT INTO files (root_id, path, size, mtime_ms, image_id, status, seen_at)
       SELECT ?, printf('/bench/review/%06d.png', id), 1, 0, id, 'ok', 'now' FROM images ORDER BY id`,
    ).run(root);
    db.prepare(
      `INSERT INTO caption_runs (image_id, model_id, config_id, provider, duration_ms)
       SELECT id, ?, ?, 'cpu', 1 FROM images ORDER BY id`,
    ).run(model, config);
    const beam = db.prepare(
      `INSERT INTO caption_candidates (run_id, rank, source, text)
       SELECT id, ?, ?, 'run ' || id || ' caption ' || ? FROM caption_runs WHERE id % ? = 0`,
    );
    for (let k = 0; k < BEAMS; k++) beam.run(k, 'model', k, 1);
    beam.run(BEAMS, 'human', BEAMS, 10);
    // a fixed pseudo-random score in [0, 2.5) per candidate
    db.prepare(
      `INSERT INTO candidate_scores (candidate_id, scorer_id, clip_score)
       SELECT id, ?, 2.5 * ((id * 48271) % 2147483647) / 2147483647.0 FROM caption_candidates`,
    ).run(scorer);
  })();
  db.exec('ANALYZE');
  return scorer;
}

const scorer = library();
const { page, args } = reviewSql({ filter: 'all', search: '', scorerId: scorer });
const plan = (db.prepare(`EXPLAIN QUERY PLAN ${page}`).all(...args, 200, 0) as { detail: string }[])
  .map((p) => p.detail)
  .join(' | ');
console.log(`plan: ${plan}`);

const time = async (f: () => Promise<unknown>) => {
  const t = performance.now();
  await f();
  return performance.now() - t;
};
const t = {
  clip0: [] as number[],
  path0: [] as number[],
  clipDeep: [] as number[],
  pathDeep: [] as number[],
};
for (let round = 0; round < ROUNDS; round++) {
  t.path0.push(await time(() => call(studio, 'library.images', { limit: 200 })));
  t.clip0.push(await time(() => call(studio, 'library.images', { order: 'clip', scorer, limit: 200 })));
  t.pathDeep.push(await time(() => call(studio, 'library.images', { offset: N / 2, limit: 200 })));
  t.clipDeep.push(
    await time(() => call(studio, 'library.images', { order: 'clip', scorer, offset: N / 2, limit: 200 })),
  );
}
const first = await call(studio, 'library.images', { order: 'clip', scorer, limit: 3 });
console.log(`total ${first.total}, lowest ${first.items.map((r) => r.clipScore?.toFixed(4)).join(', ')}`);
const m = (a: number[]) => median(a).toFixed(1);
console.log(
  `path order: first page ${m(t.path0)} ms, page at ${N / 2} ${m(t.pathDeep)} ms (medians of ${ROUNDS})`,
);
await studio.close();
console.log(
  `review queue: first page ${m(t.clip0)} ms, page at ${N / 2} ${m(t.clipDeep)} ms at ${N / 1000}k (path order ${m(t.path0)} ms)`,
);
