/** Model folders the owner added to the studio's list. */
import type { DB } from '../open.ts';
import { stmt } from './statements.ts';

export function addModelFolder(db: DB, path: string): void {
  stmt(db, 'INSERT INTO model_folders (path) VALUES (?) ON CONFLICT(path) DO NOTHING').run(path);
}

export function removeModelFolder(db: DB, path: string): boolean {
  return stmt(db, 'DELETE FROM model_folders WHERE path = ?').run(path).changes > 0;
}

export function modelFolders(db: DB): string[] {
  return stmt<[], { path: string }>(db, 'SELECT path FROM model_folders ORDER BY path')
    .all()
    .map((r) => r.path);
}
