import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../test/fixtures/studio.ts';
import { DatabaseTooNewError, loadMigrations, migrate } from './migrate.ts';
import { openDatabase } from './open.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'cs-db-'));

describe('migrations', () => {
  it('creates the schema on a new database file, in WAL mode, at the latest version', () => {
    const file = join(tmp(), 'studio.sqlite');
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(loadMigrations().length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    // what each migration creates: db/migrations.test.ts
    expect(
      db.prepare("SELECT type FROM sqlite_master WHERE name IN ('judgments', 'ratings') ORDER BY name").all(),
    ).toEqual([{ type: 'table' }, { type: 'view' }]);
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
    expect(db.prepare('SELECT count(*) AS n FROM judgments').get()).toEqual({ n: 600 });
    db.close();
  }, 180_000);
});
