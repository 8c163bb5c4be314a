import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../test/fixtures/studio.ts';
import { DatabaseTooNewError, loadMigrations, migrate } from './migrate.ts';
import { openDatabase } from './open.ts';
import { enterSession, firstOpen, sessionRow } from './queries/rating.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'cs-db-'));

describe('migrations', () => {
  it('creates the schema on a new database file, in WAL mode, at the latest version', () => {
    const file = join(tmp(), 'studio.sqlite');
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'caption_candidates',
        'caption_runs',
        'decoding_configs',
        'files',
        'images',
        'jobs',
        'library_roots',
        'models',
        'raters',
        'rating_sessions',
        'ratings',
        'session_items',
      ]),
    );
    db.close();
    // reopening runs nothing and keeps data
    const again = new Database(file);
    again.prepare("INSERT INTO raters (name) VALUES ('ada')").run();
    again.close();
    const db2 = openDatabase(file);
    expect(db2.prepare('SELECT count(*) AS n FROM raters').get()).toEqual({ n: 1 });
    db2.close();
  });

  it('refuses a database from a newer version, naming the file, and leaves it untouched', () => {
    const file = join(tmp(), 'future.sqlite');
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => openDatabase(file)).toThrow(DatabaseTooNewError);
    expect(() => openDatabase(file)).toThrow(
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*999`),
    );
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(999);
    expect(check.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()).toEqual({
      n: 0,
    });
    check.close();
  });

  it('runs each migration in a transaction: a failing one leaves the previous version intact', () => {
    const dir = tmp();
    writeFileSync(join(dir, '001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(dir, '002_b.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);');
    const db = new Database(join(dir, 'm.sqlite'));
    expect(() => migrate(db, loadMigrations(dir))).toThrow(/nowhere/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'").get()).toEqual({ n: 0 });
    db.close();
  });

  it('rejects a gap in migration numbers', () => {
    const dir = tmp();
    writeFileSync(join(dir, '001_a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '003_c.sql'), 'SELECT 1;');
    expect(() => loadMigrations(dir)).toThrow(/003_c\.sql: expected migration number 2/);
  });

  it('serves hot queries from indexes', () => {
    const db = openDatabase(join(tmp(), 'plan.sqlite'));
    const plan = (sql: string) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((r) => (r as { detail: string }).detail)
        .join('\n');
    expect(
      plan(
        'SELECT id FROM caption_runs WHERE image_id = 1 AND model_id = 1 AND config_id = 1 AND superseded = 0',
      ),
    ).toMatch(/USING (COVERING )?INDEX caption_runs_current/);
    expect(plan("SELECT * FROM files WHERE root_id = 1 AND status = 'error'")).toMatch(
      /USING INDEX files_root_status/,
    );
    expect(plan("SELECT id FROM images WHERE hash = 'x'")).toMatch(
      /USING (COVERING )?INDEX sqlite_autoindex_images/,
    );
    expect(plan('SELECT * FROM ratings WHERE candidate_id = 3')).toMatch(/USING INDEX ratings_candidate/);
    // a page of a folder's grid, in path order: read from an index, never a sort of the whole folder
    const page = plan(
      "SELECT f.id FROM files f WHERE f.status != 'missing' AND f.root_id = 1 ORDER BY f.path LIMIT 200 OFFSET 5000",
    );
    expect(page).toMatch(/USING COVERING INDEX files_root_path/);
    expect(page).not.toMatch(/TEMP B-TREE/);
    // a rating key press: where to resume and the item's captions from indexes, never a scan of the session
    expect(
      plan('SELECT min(position) FROM session_progress WHERE session_id = 1 AND rater_id = 1 AND done = 0'),
    ).toMatch(/USING COVERING INDEX session_progress_done/);
    expect(
      plan('SELECT position FROM session_candidates WHERE session_id = 1 AND candidate_id = 5 LIMIT 1'),
    ).toMatch(/USING PRIMARY KEY/);
    expect(plan('SELECT max(action) FROM rating_log WHERE session_id = 1 AND rater_id = 1')).toMatch(
      /rating_log_action/,
    );
    db.close();
  });

  it('version 10 turns sessions stored as JSON lists into tables, keeping every rating and who finished what', () => {
    const file = join(tmp(), 'old.sqlite');
    const all = loadMigrations();
    const db = new Database(file) as ReturnType<typeof openDatabase>;
    migrate(db, all.slice(0, 9));
    db.exec(`
      INSERT INTO library_roots (id, path) VALUES (1, '/photos');
      INSERT INTO images (id, hash, bytes) VALUES (1, 'a', 1), (2, 'b', 1);
      INSERT INTO models (id, hash, path, name) VALUES (1, 'm', '/m', 'default');
      INSERT INTO decoding_configs (id, hash, json) VALUES (1, 'c', '{}');
      INSERT INTO caption_runs (id, image_id, model_id, config_id, provider, duration_ms) VALUES (1, 1, 1, 1, 'cpu', 1), (2, 2, 1, 1, 'cpu', 1);
      INSERT INTO caption_candidates (id, run_id, rank, source, text) VALUES
        (10, 1, 0, 'model', 'a dog'), (11, 1, 1, 'human', 'a dog'), (20, 2, 0, 'model', 'a cat');
      INSERT INTO rating_sessions (id, name, blind, config) VALUES (1, 'old', 1, '{}');
      INSERT INTO session_items (session_id, position, image_id, candidate_ids) VALUES (1, 0, 1, '[10,11]'), (1, 1, 2, '[20]');
      INSERT INTO raters (id, name) VALUES (1, 'ada'), (2, 'bob');
      INSERT INTO ratings (session_id, rater_id, image_id, candidate_id, value, best) VALUES
        (1, 1, 1, 10, 4, 1), (1, 1, 1, 11, 2, 0), (1, 2, 1, 10, 5, 0), (1, 1, 2, 20, 3, 0);
    `);
    migrate(db, all.slice(0, 10));
    const rows = (sql: string) => db.prepare(sql).all();
    expect(
      rows('SELECT position, slot, candidate_id, source_id FROM session_candidates ORDER BY 1, 2'),
    ).toEqual([
      { position: 0, slot: 0, candidate_id: 10, source_id: 10 },
      { position: 0, slot: 1, candidate_id: 11, source_id: 11 }, // not merged after the fact: both were rated
      { position: 1, slot: 0, candidate_id: 20, source_id: 20 },
    ]);
    expect(rows('SELECT position, candidates FROM session_items ORDER BY 1')).toEqual([
      { position: 0, candidates: 2 },
      { position: 1, candidates: 1 },
    ]);
    expect(rows('SELECT count(*) AS n FROM ratings')).toEqual([{ n: 4 }]);
    // a rater's progress is worked out from the ratings on the rater's next visit
    const old = sessionRow(db, 1)!;
    expect(enterSession(db, old, 1)).toEqual({ items: 2, done: 2 });
    expect(enterSession(db, old, 2)).toEqual({ items: 2, done: 0 });
    expect(firstOpen(db, 1, 1)).toBe(null);
    expect(firstOpen(db, 1, 2)).toBe(0);
    db.close();
  });
});

describe('several processes on one data dir', () => {
  const worker = join(import.meta.dirname, '..', 'test', 'fixtures', 'db-worker.ts');
  const run = (args: string[]) =>
    new Promise<{ failures: number; first: string | null }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) =>
        code === 0
          ? resolve(JSON.parse(out.trim().split('\n').pop()!))
          : reject(new Error(`exit ${code}: ${err}`)),
      );
    });

  it('4 processes opening a fresh data dir at once, 20 times: every one migrates or finds it migrated', async () => {
    // four processes walk the same 20 fresh dirs in step, so they race on each first open
    const dirs = Array.from({ length: 20 }, tmp);
    const t0 = String(Date.now() + 4000); // after the processes have started
    const results = await Promise.all([0, 1, 2, 3].map(() => run(['migrate', t0, ...dirs])));
    expect(results).toEqual(Array(4).fill({ failures: 0, first: null }));
    for (const dir of dirs) {
      const db = new Database(join(dir, 'studio.sqlite'), { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
      db.close();
    }
  }, 180_000);

  it('two processes rating in one database at once: no call fails', async () => {
    const studio = openTestStudio();
    const lib = await addLibrary(studio, 3);
    await captionRoot(studio, lib.id);
    const session = await call(studio, 'sessions.create', { name: 'two servers', rootId: lib.id });
    await studio.close();
    const results = await Promise.all(
      ['ann', 'bob'].map((rater) => run(['rate', studio.dataDir, String(session.id), rater, '300'])),
    );
    expect(results).toEqual([
      { failures: 0, first: null },
      { failures: 0, first: null },
    ]);
    const db = new Database(join(studio.dataDir, 'studio.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM rating_log').get()).toEqual({ n: 600 });
    db.close();
  }, 180_000);
});
