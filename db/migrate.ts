/**
 * Numbered migrations (`migrations/NNN_name.sql`), each run in its own write transaction (BEGIN
 * IMMEDIATE) and followed by `PRAGMA user_version = NNN`. Several processes may open a fresh data
 * dir at once: each takes the write lock, re-reads the version inside it and applies only what is
 * still missing. A database written by a newer Caption Studio is refused, never touched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';

const MIGRATIONS_DIR = join(import.meta.dirname, 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const out = readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f, sql: readFileSync(join(dir, f), 'utf8') }));
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`${join(dir, m.name)}: expected migration number ${i + 1}`);
  });
  return out;
}

export class DatabaseTooNewError extends Error {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `${file}: database schema version ${found} is newer than this Caption Studio supports (${supported}). ` +
        'Update Caption Studio, or point --data-dir at another folder.',
    );
  }
}

export function migrate(db: Database, migrations = loadMigrations()): { from: number; to: number } {
  const latest = migrations.length;
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const from = version();
  if (from > latest) throw new DatabaseTooNewError(db.name, from, latest);
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      if (version() >= m.version) return; // another process applied it meanwhile
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: latest };
}
