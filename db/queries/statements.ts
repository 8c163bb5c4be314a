import type { Statement } from 'better-sqlite3';
import type { DB } from '../open.ts';

const cache = new WeakMap<DB, Map<string, Statement>>();

/** A prepared statement, compiled once per connection and reused. */
export function stmt<P extends unknown[] = unknown[], R = unknown>(db: DB, sql: string): Statement<P, R> {
  let byDb = cache.get(db);
  if (!byDb) {
    byDb = new Map();
    cache.set(db, byDb);
  }
  let s = byDb.get(sql);
  if (!s) {
    s = db.prepare(sql);
    byDb.set(sql, s);
  }
  return s as Statement<P, R>;
}

/**
 * Runs `fn` in a write transaction that takes the write lock at its start (BEGIN IMMEDIATE). Every
 * transaction here reads before it writes: a deferred one would fail with SQLITE_BUSY when another
 * connection (a second studio, the CLI) wrote in between, where this one waits out busy_timeout.
 */
export function writeTx<T>(db: DB, fn: () => T): T {
  return db.transaction(fn).immediate();
}
