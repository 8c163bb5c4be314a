/**
 * What one rating key press costs as a session grows: `ratings.set` through the real handlers
 * (`dispatch`, as IPC and HTTP call it) on a real database file, in a session of 100 items and in
 * one of 10,000 items (5 candidates each, half of them already rated by the same rater). Rounds
 * alternate between the two sessions so both see the same machine; every timed press rates a
 * caption not rated before, the way a rater moves through a session.
 *
 * The library behind the sessions (images, files, five runs with five different texts each) is
 * written straight into the database: captioning 10,000 images would take minutes and measure
 * nothing about rating. Sessions are created, and the first half rated, through the handlers.
 * Pairwise sessions of 100 and 10,000 pairs (two runs' captions per image, the big one half judged)
 * are timed the same way, a verdict (`ratings.prefer`) per press, in the same interleaved rounds.
 *
 *   npx tsx bench/rating.ts [--items 10000] [--rounds 5] [--presses 200]
 */
import { parseArgs } from 'node:util';
import type { Studio } from '../electron/core/studio.ts';
import { openStudio } from '../electron/core/studio.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { call } from '../test/fixtures/studio.ts';
import { median } from './support/stats.ts';

const { values } = parseArgs({
  options: { items: { type: 'string' }, rounds: { type: 'string' }, presses: { type: 'string' } },
});
const BIG = Number(values.items ?? 10_000);
const SMALL = 100;
const ROUNDS = Number(values.rounds ?? 5);
const PRESSES = Number(values.presses ?? 200);
const CANDIDATES = 5;

const studio: Studio = openStudio({ dataDir: tempDir('cs-rating-bench-') });
const { db } = studio;

/** A folder of `n` captioned images, each with CANDIDATES runs of distinct texts. */
function library(name: string, n: number, k = CANDIDATES): number {
  const root = Number(
    db.prepare('INSERT INTO library_roots (path, scanned_at) VALUES (?, ?)').run(`/bench/${name}`, 'now')
      .lastInsertRowid,
  );
  const model = Number(
    db
      .prepare("INSERT INTO models (hash, path, name, dtype) VALUES (?, '/bench/model', 'bench', 'fp32')")
      .run(`model-${name}`).lastInsertRowid,
  );
  const configs = Array.from({ length: k }, (_, k) =>
    Number(
      db
        .prepare('INSERT INTO decoding_configs (hash, json) VALUES (?, ?)')
        .run(`cfg-${name}-${k}`, JSON.stringify({ num_beams: k + 1 })).lastInsertRowid,
    ),
  );
  const image = db.prepare(
    'INSERT INTO images (hash, bytes, width, height, format) VALUES (?, 1, 64, 64, ?)',
  );
  const file = db.prepare(
    "INSERT INTO files (root_id, path, size, mtime_ms, image_id, status, seen_at) VALUES (?, ?, 1, 0, ?, 'ok', 'now')",
  );
  const run = db.prepare(
    "INSERT INTO caption_runs (image_id, model_id, config_id, provider, duration_ms) VALUES (?, ?, ?, 'cpu', 1)",
  );
  const cand = db.prepare(
    "INSERT INTO caption_candidates (run_id, rank, source, text) VALUES (?, 0, 'model', ?)",
  );
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const img = Number(image.run(`${name}-${i}`, 'png').lastInsertRowid);
      file.run(root, `/bench/${name}/${String(i).padStart(6, '0')}.png`, img);
      for (const [k, cfg] of configs.entries())
        cand.run(Number(run.run(img, model, cfg).lastInsertRowid), `image ${i} caption ${k}`);
    }
  })();
  return root;
}

async function session(name: string, n: number) {
  const rootId = library(name, n);
  const s = await call(studio, 'sessions.create', { name, rootId, limit: n, blind: true });
  return { id: s.id, next: 0, n };
}

const press = async (s: { id: number }, candidateId: number, value: number) =>
  call(studio, 'ratings.set', { sessionId: s.id, rater: 'bench', candidateId, value });

const small = await session('small', SMALL);
const big = await session('big', BIG);
// half of the big session rated, through the handlers
for (let p = 0; p < BIG / 2; p++) {
  for (const c of (await call(studio, 'sessions.item', { sessionId: big.id, rater: 'bench', position: p }))
    .candidates)
    await press(big, c.id, 1 + (p % 5));
}
big.next = BIG / 2;

/**
 * Times PRESSES key presses, moving through the session as a rater does: the five captions of an
 * item, then the next item (the small session wraps around and rates its items again).
 */
async function timed(s: { id: number; next: number; n: number }): Promise<number[]> {
  const out: number[] = [];
  while (out.length < PRESSES) {
    const item = await call(studio, 'sessions.item', {
      sessionId: s.id,
      rater: 'bench',
      position: s.next % s.n,
    });
    for (const c of item.candidates) {
      const t = performance.now();
      await press(s, c.id, 1 + ((out.length + s.next) % 5));
      out.push(performance.now() - t);
    }
    s.next++;
  }
  return out;
}

/** A pairwise session of `n` pairs (two runs' captions per image), judged up to item `judged`. */
async function pairSession(name: string, n: number, judged: number) {
  const rootId = library(name, n, 2);
  const id = (await call(studio, 'sessions.create', { name, rootId, limit: n, kind: 'pairwise' })).id;
  const s = { id, next: 0, n };
  for (; s.next < judged; s.next++) await verdict(s);
  return s;
}

/** One verdict key press on the session's next pair, in the order a rater goes; its time. */
async function verdict(s: { id: number; next: number; n: number }): Promise<number> {
  const item = await call(studio, 'sessions.item', {
    sessionId: s.id,
    rater: 'bench',
    position: s.next % s.n,
  });
  const [left, right] = item.candidates.map((c) => c.id);
  const choice = (['a', 'b', 'tie', 'bad'] as const)[s.next % 4];
  const t = performance.now();
  await call(studio, 'ratings.prefer', { sessionId: s.id, rater: 'bench', left, right, choice });
  return performance.now() - t;
}

async function timedPairs(s: { id: number; next: number; n: number }): Promise<number[]> {
  const out: number[] = [];
  for (; out.length < PRESSES; s.next++) out.push(await verdict(s));
  return out;
}

const smallPairs = await pairSession('small-pairs', SMALL, 0);
const bigPairs = await pairSession('big-pairs', BIG, BIG / 2);

const pct = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
type Row = Record<'p50s' | 'p95s' | 'p50b' | 'p95b' | 'p95ps' | 'p95pb', number>;
const rows: Row[] = [];
// rounds interleave the four sessions: each figure and its baseline see the same machine
for (let r = 0; r < ROUNDS; r++) {
  const s = await timed(small);
  const b = await timed(big);
  const ps = await timedPairs(smallPairs);
  const pb = await timedPairs(bigPairs);
  rows.push({
    p50s: pct(s, 0.5),
    p95s: pct(s, 0.95),
    p50b: pct(b, 0.5),
    p95b: pct(b, 0.95),
    p95ps: pct(ps, 0.95),
    p95pb: pct(pb, 0.95),
  });
  console.log(
    `round ${r + 1}: ${SMALL} items p50 ${pct(s, 0.5).toFixed(2)} ms p95 ${pct(s, 0.95).toFixed(2)} ms | ` +
      `${BIG} items p50 ${pct(b, 0.5).toFixed(2)} ms p95 ${pct(b, 0.95).toFixed(2)} ms | ` +
      `pairwise ${SMALL} p95 ${pct(ps, 0.95).toFixed(2)} ms, ${BIG} p95 ${pct(pb, 0.95).toFixed(2)} ms`,
  );
}
await studio.close();
const m = (k: keyof Row) => median(rows.map((x) => x[k]));
console.log(
  `median over ${ROUNDS} rounds of ${PRESSES} presses: ${SMALL} items p50 ${m('p50s').toFixed(2)} ms, p95 ${m('p95s').toFixed(2)} ms; ` +
    `${BIG} items p50 ${m('p50b').toFixed(2)} ms, p95 ${m('p95b').toFixed(2)} ms; ` +
    `pairwise p95 ${SMALL} pairs ${m('p95ps').toFixed(2)} ms, ${BIG} pairs ${m('p95pb').toFixed(2)} ms`,
);
console.log(
  `rating: p95 10k ${m('p95b').toFixed(1)} ms, ratio 10k/100 ${(m('p95b') / m('p95s')).toFixed(2)}; ` +
    `pairwise: p95 10k ${m('p95pb').toFixed(1)} ms, ratio 10k/100 ${(m('p95pb') / m('p95ps')).toFixed(2)}`,
);
