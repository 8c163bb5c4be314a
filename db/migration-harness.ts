/**
 * For the migration tests: real database files at any schema version, and rows a database of each
 * version can hold (`SEEDS[v]`, written right after migration v), so an upgrade is tested on a
 * database that has data in every table its version knows.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations, migrate } from './migrate.ts';
import type { DB } from './open.ts';

export const MIGRATIONS = loadMigrations();
export const LATEST = MIGRATIONS.length;

/** Rows written after migration v (keyed by v), in tables that exist at v. */
export const SEEDS: Record<number, string> = {
  1: `
    INSERT INTO library_roots (id, path, scanned_at) VALUES (1, '/photos', 'then');
    INSERT INTO images (id, hash, bytes, width, height, format) VALUES
      (1, 'h1', 10, 4, 3, 'jpeg'), (2, 'h2', 20, 4, 3, 'png'), (3, 'h3', 30, 4, 3, 'png');
    INSERT INTO files (id, root_id, path, size, mtime_ms, image_id, status, seen_at) VALUES
      (1, 1, '/photos/a.jpg', 10, 1, 1, 'ok', 'then'), (2, 1, '/photos/b.png', 20, 1, 2, 'ok', 'then'),
      (3, 1, '/photos/c.png', 30, 1, 3, 'ok', 'then'), (4, 1, '/photos/bad.png', 5, 1, NULL, 'error', 'then');
    INSERT INTO models (id, hash, path, name) VALUES (1, 'm1', '/models/a', 'model-a'), (2, 'm2', '/models/b', 'model-b');
    INSERT INTO decoding_configs (id, hash, json) VALUES (1, 'c1', '{"beams":1}'), (2, 'c2', '{"beams":3}');
    INSERT INTO jobs (id, kind, root_id, model_id, config_id, policy, state) VALUES (1, 'caption', 1, 1, 1, 'skip-existing', 'done');
    INSERT INTO caption_runs (id, image_id, model_id, config_id, job_id, provider, duration_ms, superseded) VALUES
      (1, 1, 1, 1, 1, 'cpu', 5, 0), (2, 2, 1, 1, 1, 'cpu', 5, 0), (3, 3, 1, 1, 1, 'cpu', 5, 0),
      (4, 1, 2, 2, NULL, 'cpu', 9, 0), (5, 1, 1, 1, NULL, 'cpu', 5, 1);
    INSERT INTO caption_candidates (id, run_id, rank, source, text, token_ids, logprob_sum, score) VALUES
      (10, 1, 0, 'model', 'a dog', '[1,2]', -1.5, -0.75), (11, 1, 1, 'human', 'a brown dog', NULL, NULL, NULL),
      (12, 4, 0, 'model', 'a dog on grass', '[1,2,3]', -2.0, -0.6),
      (20, 2, 0, 'model', 'a cat', '[4]', -1, -1), (30, 3, 0, 'model', 'a bird', '[5]', -1, -1),
      (50, 5, 0, 'model', 'an old dog', '[6]', -3, -3);
    INSERT INTO raters (id, name) VALUES (1, 'ada'), (2, 'bob');
    INSERT INTO rating_sessions (id, name, blind, config) VALUES (1, 'first', 1, '{}'), (2, 'second', 0, '{}');
    INSERT INTO session_items (session_id, position, image_id) VALUES (1, 0, 1), (1, 1, 2), (1, 2, 3), (2, 0, 1);
    INSERT INTO ratings (session_id, rater_id, image_id, candidate_id, value, best) VALUES
      (1, 1, 1, 10, 4, 1), (1, 1, 1, 11, 2, 0), (1, 1, 1, 12, NULL, 0), (1, 2, 1, 10, 5, 0),
      (1, 2, 1, 12, 3, 1), (1, 1, 2, 20, 3, 0), (2, 1, 1, 12, NULL, 1), (2, 2, 1, 50, 1, 0);`,
  2: `
    UPDATE session_items SET candidate_ids = CASE
      WHEN session_id = 1 AND position = 0 THEN '[10,11,12]' WHEN session_id = 1 AND position = 1 THEN '[20]'
      WHEN session_id = 1 AND position = 2 THEN '[30]' ELSE '[12,50]' END;
    INSERT INTO rating_log (session_id, rater_id, action, candidate_id, prev_value, prev_best, undone) VALUES
      (1, 1, 1, 10, NULL, NULL, 0), (1, 1, 2, 10, 4, 0, 0), (1, 1, 3, 20, NULL, NULL, 1);`,
  3: `INSERT INTO reference_captions (image_id, caption, source) VALUES
      (1, 'a dog on the grass', 'refs.json'), (1, 'a brown dog', 'refs.json'), (2, 'a cat', 'refs.csv');`,
  4: `UPDATE caption_candidates SET token_texts = '["a"," dog"]' WHERE id = 10;`,
  6: `UPDATE models SET dtype = 'fp32', source = 'hf:org/a@abc' WHERE id = 1;
      INSERT INTO model_folders (path) VALUES ('/models/b');`,
  7: `INSERT INTO known_files (path, size, mtime_ms, image_id) VALUES ('/old/a.jpg', 10, 1, 1);`,
  8: `INSERT INTO rater_links (id, rater_id, token_hash) VALUES (1, 2, 'sha-of-token'), (2, 1, 'revoked');
      UPDATE rater_links SET revoked_at = 'now' WHERE id = 2;
      INSERT INTO rater_link_sessions (link_id, session_id) VALUES (1, 1), (2, 1), (2, 2);`,
  9: `INSERT INTO export_outputs (path, sha256) VALUES ('/out/coco.json', 'abc'), ('/out/captions.csv', 'def');`,
  10: `UPDATE rating_sessions SET guidelines = 'be kind', overlap = 50 WHERE id = 1;
      INSERT INTO session_queue (session_id, rater_id, idx, position) VALUES
        (1, 1, 0, 0), (1, 1, 1, 1), (1, 2, 0, 0), (1, 2, 1, 2);`,
  11: `INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, other_id, value, seq) VALUES
      (2, 2, 1, 'pairwise', 12, 50, 'a', 1), (2, 1, 1, 'score', 50, NULL, 2, 1);`,
  12: `INSERT INTO jobs (id, kind, root_id, model_id, config_id, policy, state, batch_size) VALUES
      (2, 'caption', 1, 2, 2, 'skip-existing', 'paused', 5);`,
  13: `INSERT INTO edit_batches (id, operation, label, state) VALUES (5, '{"kind":"append"}', 'append', 'undone');
      INSERT INTO edit_batch_items (batch_id, image_id, before_id, after_id, before, after) VALUES (5, 1, 12, 99, 'x', 'x y');`,
};

export const tempFile = (name = 'studio.sqlite') => join(mkdtempSync(join(tmpdir(), 'cs-migrations-')), name);

/** A new database file at schema version `version`, with every seed up to it written in step. */
export function databaseAt(version: number, seeded = true, file = tempFile()): DB {
  const db = new Database(file) as DB;
  db.pragma('foreign_keys = ON');
  for (let v = 1; v <= version; v++) {
    migrate(db, MIGRATIONS.slice(0, v));
    if (seeded && SEEDS[v]) db.exec(SEEDS[v]);
  }
  return db;
}

/** Upgrades a database by one version (or to `to`). */
export function upgrade(db: DB, to = (db.pragma('user_version', { simple: true }) as number) + 1): void {
  migrate(db, MIGRATIONS.slice(0, to));
}

/** Every table and view, with its row count. */
export function rowCounts(db: DB): Map<string, number> {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")
    .all() as { name: string }[];
  return new Map(
    names.map(({ name }) => [
      name,
      (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n,
    ]),
  );
}

/** Names of the schema's objects of a type ('table', 'index', 'view'). */
export function objects(db: DB, type: string): string[] {
  return (
    db.prepare('SELECT name FROM sqlite_master WHERE type = ? ORDER BY name').all(type) as { name: string }[]
  ).map((r) => r.name);
}

/** SQLite's query plan of a statement, one line per step. */
export function plan(db: DB, sql: string): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
    .map((r) => r.detail)
    .join('\n');
}
