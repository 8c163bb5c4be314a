/** Library roots, files and images. */
import type { DB } from '../open.ts';
import { stmt } from './statements.ts';

export interface Root {
  id: number;
  path: string;
  added_at: string;
  scanned_at: string | null;
}

export type FileStatus = 'new' | 'ok' | 'error' | 'missing';

export interface FileRow {
  id: number;
  root_id: number;
  path: string;
  size: number;
  mtime_ms: number;
  image_id: number | null;
  status: FileStatus;
  error: string | null;
}

export function addRoot(db: DB, path: string): Root {
  stmt(db, 'INSERT INTO library_roots (path) VALUES (?) ON CONFLICT(path) DO NOTHING').run(path);
  return stmt<[string], Root>(db, 'SELECT * FROM library_roots WHERE path = ?').get(path)!;
}

export function listRoots(db: DB): Root[] {
  return stmt<[], Root>(db, 'SELECT * FROM library_roots ORDER BY path').all();
}

export function removeRoot(db: DB, id: number): void {
  db.transaction(() => {
    stmt(db, 'DELETE FROM files WHERE root_id = ?').run(id);
    stmt(db, 'DELETE FROM library_roots WHERE id = ?').run(id);
  })();
}

export function markScanned(db: DB, rootId: number): void {
  stmt(db, "UPDATE library_roots SET scanned_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(
    rootId,
  );
}

export function filesOfRoot(db: DB, rootId: number): FileRow[] {
  return stmt<[number], FileRow>(db, 'SELECT * FROM files WHERE root_id = ? ORDER BY path').all(rootId);
}

/** Known size/mtime of every file under a root, for incremental rescans. */
export function fileStamps(
  db: DB,
  rootId: number,
): Map<string, { id: number; size: number; mtime_ms: number; status: FileStatus }> {
  const rows = stmt<
    [number],
    { id: number; path: string; size: number; mtime_ms: number; status: FileStatus }
  >(db, 'SELECT id, path, size, mtime_ms, status FROM files WHERE root_id = ?').all(rootId);
  return new Map(rows.map((r) => [r.path, r]));
}

export function insertFile(
  db: DB,
  rootId: number,
  path: string,
  size: number,
  mtimeMs: number,
  seenAt: string,
): void {
  stmt(
    db,
    `INSERT INTO files (root_id, path, size, mtime_ms, status, seen_at) VALUES (?, ?, ?, ?, 'new', ?)
     ON CONFLICT(path) DO UPDATE SET root_id = excluded.root_id, size = excluded.size, mtime_ms = excluded.mtime_ms,
       status = 'new', error = NULL, image_id = NULL, seen_at = excluded.seen_at`,
  ).run(rootId, path, size, mtimeMs, seenAt);
}

/** Marks a file as seen by this scan; a file that had gone missing gets its old status back. */
export function touchFile(db: DB, id: number, seenAt: string): void {
  stmt(
    db,
    `UPDATE files SET seen_at = ?, status = CASE WHEN status != 'missing' THEN status
       WHEN image_id IS NOT NULL THEN 'ok' WHEN error IS NOT NULL THEN 'error' ELSE 'new' END WHERE id = ?`,
  ).run(seenAt, id);
}

/** Files of a root not seen by the scan that started at `scanStartedAt` are marked missing. */
export function markMissing(db: DB, rootId: number, scanStartedAt: string): number {
  return stmt(
    db,
    "UPDATE files SET status = 'missing' WHERE root_id = ? AND seen_at < ? AND status != 'missing'",
  ).run(rootId, scanStartedAt).changes;
}

export function setFileError(db: DB, fileId: number, message: string): void {
  stmt(db, "UPDATE files SET status = 'error', error = ?, image_id = NULL WHERE id = ?").run(message, fileId);
}

export interface ImageInfo {
  hash: string;
  bytes: number;
  width: number;
  height: number;
  format: string;
}

/** Records the file's content as an image (deduplicated by hash) and links the file to it. */
export function setFileImage(db: DB, fileId: number, info: ImageInfo): number {
  stmt(
    db,
    `INSERT INTO images (hash, bytes, width, height, format) VALUES (@hash, @bytes, @width, @height, @format)
     ON CONFLICT(hash) DO NOTHING`,
  ).run(info);
  const { id } = stmt<[string], { id: number }>(db, 'SELECT id FROM images WHERE hash = ?').get(info.hash)!;
  stmt(db, "UPDATE files SET status = 'ok', error = NULL, image_id = ? WHERE id = ?").run(id, fileId);
  return id;
}

export function errorFiles(db: DB, rootId?: number): FileRow[] {
  return rootId === undefined
    ? stmt<[], FileRow>(db, "SELECT * FROM files WHERE status = 'error' ORDER BY path").all()
    : stmt<[number], FileRow>(
        db,
        "SELECT * FROM files WHERE status = 'error' AND root_id = ? ORDER BY path",
      ).all(rootId);
}
