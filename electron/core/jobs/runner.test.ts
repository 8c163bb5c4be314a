import { copyFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DB, databasePath, openDatabase } from '../../../db/open.ts';
import { DEFAULT_BUNDLE } from '../../../test/fixtures/bundles.ts';
import { tempDir, writeBrokenImages, writeGoodImages } from '../../../test/fixtures/images.ts';
import { CaptionEngine } from '../inference/engine.ts';
import { scanFolder } from '../library/scan.ts';
import { runCaptionJob } from './runner.ts';

let engine: CaptionEngine;
beforeAll(async () => {
  engine = await CaptionEngine.load(DEFAULT_BUNDLE, { intraOpThreads: 1 });
});
afterAll(() => engine?.dispose());

const count = (db: DB, sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

async function library(good: number) {
  const folder = tempDir('cs-lib-');
  await writeGoodImages(folder, good);
  const broken = writeBrokenImages(join(folder, 'bad'));
  const db = openDatabase(databasePath(tempDir('cs-data-')));
  const scan = await scanFolder(db, folder);
  return { folder, broken, db, rootId: scan.root.id };
}

function rate(db: DB, candidateId: number, value: number): void {
  db.prepare("INSERT OR IGNORE INTO raters (name) VALUES ('ada')").run();
  db.prepare(
    "INSERT INTO rating_sessions (id, name, config) VALUES (1, 's', '{}') ON CONFLICT DO NOTHING",
  ).run();
  const imageId = (
    db
      .prepare(
        'SELECT r.image_id AS id FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id WHERE c.id = ?',
      )
      .get(candidateId) as { id: number }
  ).id;
  db.prepare(
    "INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, value, seq) VALUES (1, (SELECT id FROM raters WHERE name = 'ada'), ?, 'score', ?, ?, 1)",
  ).run(imageId, candidateId, value);
}

describe('caption job', () => {
  it('captions good images, records bad ones with reasons, and a second run does nothing', async () => {
    const { db, rootId, broken } = await library(12);
    const decoding = engine.decoding({ num_beams: 3, num_return_sequences: 3 });
    const first = await runCaptionJob(db, engine, { rootId, decoding, batchSize: 5 });
    expect(first).toMatchObject({ captioned: 12, errors: 5, skipped: 0, state: 'done', resumed: false });
    expect(first.errorList.map((e) => e.path).sort()).toEqual(Object.values(broken).sort());
    const reasons = Object.fromEntries(first.errorList.map((e) => [e.path, e.error]));
    expect(reasons[broken.empty]).toMatch(/empty file/);
    expect(reasons[broken.text]).toMatch(/not an image/);
    expect(reasons[broken.truncated]).toMatch(/corrupt or truncated/);
    expect(count(db, 'SELECT count(*) AS n FROM caption_runs')).toBe(12);
    expect(count(db, "SELECT count(*) AS n FROM caption_candidates WHERE source = 'model'")).toBe(36);
    expect(count(db, 'SELECT count(*) AS n FROM caption_candidates WHERE attention IS NULL')).toBe(0);

    const second = await runCaptionJob(db, engine, { rootId, decoding });
    expect(second).toMatchObject({ captioned: 0, errors: 0, skipped: 12, total: 12 });
    expect(count(db, 'SELECT count(*) AS n FROM caption_runs')).toBe(12);

    // another decoding config is separate work
    const other = await runCaptionJob(db, engine, { rootId, decoding: engine.decoding({}) });
    expect(other.captioned).toBe(12);
    expect(count(db, 'SELECT count(DISTINCT config_id) AS n FROM caption_runs')).toBe(2);
    db.close();
  });

  it('identifies images by content: copies share captions, renamed files keep their ratings', async () => {
    const { db, rootId, folder } = await library(4);
    const decoding = engine.decoding({});
    await runCaptionJob(db, engine, { rootId, decoding });
    const cand = db.prepare('SELECT id FROM caption_candidates ORDER BY id LIMIT 1').get() as { id: number };
    rate(db, cand.id, 4);
    copyFileSync(join(folder, 'img-000.png'), join(folder, 'copy-of-000.png'));
    renameSync(join(folder, 'img-001.png'), join(folder, 'renamed-001.png'));
    await scanFolder(db, folder);
    const again = await runCaptionJob(db, engine, { rootId, decoding });
    expect(again.captioned).toBe(0);
    expect(again.skipped).toBe(5); // 3 unchanged + the copy + the renamed file: all known content
    expect(count(db, 'SELECT count(*) AS n FROM caption_runs')).toBe(4);
    expect(count(db, 'SELECT count(*) AS n FROM images')).toBe(4);
    expect(count(db, 'SELECT count(*) AS n FROM ratings WHERE candidate_id = ?', cand.id)).toBe(1);
    db.close();
  });

  it('--overwrite re-captions, keeping the old run (and its ratings) as superseded', async () => {
    const { db, rootId } = await library(3);
    const decoding = engine.decoding({});
    await runCaptionJob(db, engine, { rootId, decoding });
    const cand = db.prepare('SELECT id FROM caption_candidates ORDER BY id LIMIT 1').get() as { id: number };
    rate(db, cand.id, 2);
    const over = await runCaptionJob(db, engine, { rootId, decoding, policy: 'overwrite' });
    expect(over.captioned).toBe(3);
    expect(count(db, 'SELECT count(*) AS n FROM caption_runs WHERE superseded = 0')).toBe(3);
    expect(count(db, 'SELECT count(*) AS n FROM caption_runs WHERE superseded = 1')).toBe(3);
    expect(count(db, 'SELECT count(*) AS n FROM ratings WHERE candidate_id = ?', cand.id)).toBe(1);
    db.close();
  });

  it('a cancelled job pauses and the next run resumes it without redoing work', async () => {
    const { db, rootId } = await library(10);
    const decoding = engine.decoding({ num_beams: 2 });
    const ac = new AbortController();
    let commits = 0;
    const paused = await runCaptionJob(db, engine, {
      rootId,
      decoding,
      policy: 'overwrite',
      batchSize: 2,
      signal: ac.signal,
      onCommit: (file) => {
        if (file.includes('/img-') && ++commits === 4) ac.abort();
      },
    });
    expect(paused.state).toBe('paused');
    const done = count(db, 'SELECT count(*) AS n FROM caption_runs');
    expect(done).toBeGreaterThanOrEqual(4);
    expect(done).toBeLessThan(10);
    const resumed = await runCaptionJob(db, engine, { rootId, decoding, policy: 'overwrite' });
    expect(resumed.resumed).toBe(true);
    expect(resumed.captioned).toBe(10 - done); // overwrite does not redo what this job already did
    expect(count(db, 'SELECT count(*) AS n FROM caption_runs')).toBe(10);
    db.close();
  });
});
