/**
 * Library scanning: walk a folder recursively, record image files by path, size and mtime.
 *
 * Incremental: a file whose size and mtime are unchanged keeps its row (and its hash, status and
 * captions); a changed one goes back to 'new'; one no longer found becomes 'missing' (kept, so its
 * history stays). Hidden and system entries are skipped; directory symlinks are followed once per
 * real directory, so loops end.
 */
import type { Dirent } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { DB } from '../../../db/open.ts';
import {
  addRoot,
  fileStamps,
  insertFile,
  markMissing,
  markScanned,
  type Root,
  touchFile,
} from '../../../db/queries/library.ts';

export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.gif',
  '.bmp',
  '.tif',
  '.tiff',
  '.avif',
]);
const SYSTEM_NAMES = new Set([
  'thumbs.db',
  'desktop.ini',
  '$recycle.bin',
  'system volume information',
  'lost+found',
  '@eadir',
  '__macosx',
  'node_modules',
]);

export function isSkippedName(name: string): boolean {
  return name.startsWith('.') || SYSTEM_NAMES.has(name.toLowerCase());
}

export interface FoundFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Yields every image file below `dir` (absolute paths as reached, not resolved through links). */
export async function* walkImages(dir: string, visited = new Set<string>()): AsyncGenerator<FoundFile> {
  const real = await realpath(dir);
  if (visited.has(real)) return;
  visited.add(real);
  const handle = await opendir(dir, { bufferSize: 256 });
  const subdirs: string[] = [];
  for await (const entry of handle as AsyncIterable<Dirent>) {
    if (isSkippedName(entry.name)) continue;
    const path = join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const target = await stat(path).catch(() => null); // dangling links are not files
      if (!target) continue;
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    if (isDir) subdirs.push(path);
    else if (isFile && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      const st = await stat(path).catch(() => null);
      if (st) yield { path, size: st.size, mtimeMs: st.mtimeMs };
    }
  }
  subdirs.sort();
  for (const sub of subdirs) yield* walkImages(sub, visited);
}

export interface ScanSummary {
  root: Root;
  found: number;
  added: number;
  changed: number;
  unchanged: number;
  missing: number;
}

const BATCH = 2000;

export async function scanFolder(db: DB, folder: string): Promise<ScanSummary> {
  const path = resolve(folder);
  const st = await stat(path).catch(() => null);
  if (!st?.isDirectory()) throw new Error(`${path}: not a folder`);
  const root = addRoot(db, path);
  const known = fileStamps(db, root.id);
  const startedAt = new Date().toISOString();
  const summary: ScanSummary = { root, found: 0, added: 0, changed: 0, unchanged: 0, missing: 0 };
  let pending: FoundFile[] = [];
  const flush = db.transaction((files: FoundFile[]) => {
    for (const f of files) {
      const k = known.get(f.path);
      if (k && k.size === f.size && k.mtime_ms === f.mtimeMs) {
        touchFile(db, k.id, startedAt);
        summary.unchanged++;
      } else {
        insertFile(db, root.id, f.path, f.size, f.mtimeMs, startedAt);
        if (k) summary.changed++;
        else summary.added++;
      }
    }
  });
  for await (const f of walkImages(path)) {
    summary.found++;
    pending.push(f);
    if (pending.length >= BATCH) {
      flush(pending);
      pending = [];
    }
  }
  flush(pending);
  summary.missing = markMissing(db, root.id, startedAt);
  markScanned(db, root.id);
  return summary;
}
