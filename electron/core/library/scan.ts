/**
 * Library scanning: walk a folder recursively, record image files by path, size and mtime.
 *
 * Incremental: a file whose size and mtime are unchanged keeps its row (and its hash, status and
 * captions); a changed one goes back to 'new'; one no longer found becomes 'missing' (kept, so its
 * history stays). Hidden and system entries are passed over; links are followed only when their
 * target stays inside the folder (inside.ts), directory links once per real directory, so loops
 * end. Links leading outside, unreadable folders, loops and undecodable names are reported
 * in the summary (`skipped`) and the scan goes on; HEIC files and files over the size limit are
 * recorded with their error, so they show in the library and in the run's summary.
 */
import type { Dirent } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
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
import { writeTx } from '../../../db/queries/statements.ts';
import { userPath } from '../paths.ts';
import { LEADS_OUTSIDE, within } from './inside.ts';
import { tooLarge } from './read.ts';

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
/** Image files the studio cannot decode: recorded with a clear error rather than passed over. */
const UNSUPPORTED: Record<string, string> = { '.heic': 'HEIC', '.heif': 'HEIF' };
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
  /** why the file cannot be captioned, known without reading it (format, size) */
  error?: string;
}

/** An entry the walk could not take, and why: the scan reports it and goes on. */
export interface SkippedEntry {
  path: string;
  reason: string;
}

const code = (err: unknown) => String((err as NodeJS.ErrnoException).code ?? err);

/**
 * Yields every image file below `dir` (absolute paths as reached, not resolved through links).
 * Links leading outside the folder walked first (`rootReal`), folders that cannot be opened, links
 * back into folders already walked and names that are not valid UTF-8 go to `skip`; only `dir`
 * itself failing to open is an error.
 */
export async function* walkImages(
  dir: string,
  skip: (e: SkippedEntry) => void = () => {},
  visited = new Map<string, string>(),
  rootReal?: string,
): AsyncGenerator<FoundFile> {
  const real = await realpath(dir);
  const root = rootReal ?? real;
  const seen = visited.get(real);
  if (seen !== undefined) {
    skip({ path: dir, reason: `link to a folder already scanned (${seen}): skipped, so loops end` });
    return;
  }
  visited.set(real, dir);
  const handle = await opendir(dir, { bufferSize: 256 });
  const subdirs: string[] = [];
  for await (const entry of handle as AsyncIterable<Dirent>) {
    if (isSkippedName(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.name.includes('\uFFFD')) {
      skip({ path, reason: 'name is not valid UTF-8: rename it to include it' });
      continue;
    }
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const to = await realpath(path).catch(() => null); // dangling links are not files
      if (to !== null && !within(root, to)) {
        skip({ path, reason: LEADS_OUTSIDE });
        continue;
      }
      const target = to === null ? null : await stat(to).catch(() => null);
      if (!target) continue;
      isDir = target.isDirectory();
      isFile = target.isFile();
    }
    const ext = extname(entry.name).toLowerCase();
    if (isDir) subdirs.push(path);
    else if (isFile && (IMAGE_EXTENSIONS.has(ext) || ext in UNSUPPORTED)) {
      const st = await stat(path).catch(() => null);
      if (!st) continue;
      const error =
        ext in UNSUPPORTED
          ? `unsupported format (${UNSUPPORTED[ext]}): convert it to JPEG or PNG to caption it`
          : tooLarge(st.size);
      yield { path, size: st.size, mtimeMs: st.mtimeMs, ...(error ? { error } : {}) };
    }
  }
  subdirs.sort();
  for (const sub of subdirs) {
    try {
      yield* walkImages(sub, skip, visited, root);
    } catch (err) {
      skip({ path: sub, reason: `cannot open folder (${code(err)})` });
    }
  }
}

export interface ScanSummary {
  root: Root;
  found: number;
  added: number;
  changed: number;
  unchanged: number;
  missing: number;
  skipped: SkippedEntry[];
}

const BATCH = 2000;

export async function scanFolder(db: DB, folder: string): Promise<ScanSummary> {
  const path = userPath(folder);
  const st = await stat(path).catch(() => null);
  if (!st?.isDirectory()) throw new Error(`${path}: not a folder`);
  const root = addRoot(db, path);
  const known = fileStamps(db, root.id);
  const startedAt = new Date().toISOString();
  const summary: ScanSummary = {
    root,
    found: 0,
    added: 0,
    changed: 0,
    unchanged: 0,
    missing: 0,
    skipped: [],
  };
  let pending: FoundFile[] = [];
  const flush = (files: FoundFile[]) =>
    writeTx(db, () => {
      for (const f of files) {
        const k = known.get(f.path);
        if (k && k.size === f.size && k.mtime_ms === f.mtimeMs) {
          touchFile(db, k.id, startedAt);
          summary.unchanged++;
        } else {
          insertFile(db, root.id, f, startedAt);
          if (k) summary.changed++;
          else summary.added++;
        }
      }
    });
  for await (const f of walkImages(path, (e) => summary.skipped.push(e))) {
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
