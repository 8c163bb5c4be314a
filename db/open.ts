import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { PRIVATE_DIR, PRIVATE_FILE, privateDir, privateFile, tighten } from '../electron/core/paths.ts';
import { migrate } from './migrate.ts';

export type DB = Database.Database;

/** Where Caption Studio keeps its database and caches: flag > env > the platform's user data dir. */
export function defaultDataDir(env = process.env, platform = process.platform): string {
  if (env.CAPTION_STUDIO_DATA_DIR) return env.CAPTION_STUDIO_DATA_DIR;
  if (platform === 'win32')
    return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Caption Studio');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Caption Studio');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'caption-studio');
}

/**
 * Opens (creating if needed) and migrates the studio database: WAL from the first open. Private to
 * its user: the data folder 0700 and the database 0600 from their creation on, and narrowed to that
 * on every open (with its -wal and -shm files, which SQLite creates with the database's mode).
 */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): DB {
  if (file !== ':memory:') {
    if (!options.readonly) {
      privateDir(dirname(file));
      privateFile(file);
    }
    tighten(dirname(file), PRIVATE_DIR);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) tighten(f, PRIVATE_FILE);
  }
  const db = new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      walMode(db);
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Switches a database to WAL. The switch needs the database to itself, and SQLite answers
 * SQLITE_BUSY at once (no busy handler) while another process holds it, as when several open a
 * fresh data dir together: retry for up to the busy timeout.
 */
function walMode(db: DB): void {
  for (let waited = 0; ; waited += 20) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY' || waited >= 5000) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

export function databasePath(dataDir: string): string {
  return join(dataDir, 'studio.sqlite');
}
