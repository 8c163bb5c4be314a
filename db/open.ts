import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
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

/** Opens (creating if needed) and migrates the studio database: WAL from the first open. */
export function openDatabase(file: string, options: { readonly?: boolean } = {}): DB {
  if (!options.readonly) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
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

export function databasePath(dataDir: string): string {
  return join(dataDir, 'studio.sqlite');
}
