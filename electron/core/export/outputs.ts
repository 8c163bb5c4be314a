/**
 * Where exports may write, off the thread that answers the UI (async fs: the work runs on libuv's
 * pool, hashing in small chunks). A file is written to a temporary sibling and renamed into place;
 * a path that exists is replaced only with `overwrite`, and only if an export wrote it and it is
 * unchanged since (its SHA-256 is on record, migration 009). A dataset folder is built in a
 * temporary sibling; its manifest (`EXPORT_MARKER`) lists every file the export wrote with its
 * hash, and the manifest's own hash is on record. `overwrite` of a folder replaces only the files
 * the manifest on record lists, unchanged; anything else in the folder is the user's and stays.
 * Nothing is deleted because a marker file says so.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, open, readFile, readlink, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { exportedHash, recordExported } from '../../../db/queries/export.ts';
import { conflict } from '../api/dispatch.ts';

/** The manifest inside every dataset folder an export made. */
export const EXPORT_MARKER = '.caption-studio-export';

/** What an export put at a path inside its folder: a file's SHA-256, or where a link points. */
export type Entry = { sha256: string } | { link: string };
export interface Manifest {
  note: string;
  files: Record<string, Entry>;
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** A file's SHA-256, read in chunks (the loop is never held for a whole file). */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const exists = (p: string) =>
  lstat(p).then(
    (st) => st,
    () => null,
  );

/** Throws unless `file` is free, or `overwrite` is set and it is an unchanged file an export wrote. */
export async function checkFileTarget(db: DB, file: string, overwrite: boolean): Promise<void> {
  const st = await exists(file);
  if (!st) return;
  if (!overwrite) throw conflict(`${file}: exists (use overwrite to replace it)`);
  const recorded = st.isFile() ? exportedHash(db, file) : undefined;
  if (!recorded || recorded !== (await hashFile(file)))
    throw conflict(`${file}: exists and was not written by an export (or was changed since): not replaced`);
}

/** Writes `data` to `to` through a temporary sibling that nothing else uses. */
async function writeAtomically(to: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  const tmp = `${to}.partial-${process.pid}`;
  const fh = await open(tmp, 'wx'); // fails if something is in the way: that is not ours to remove
  try {
    await fh.writeFile(data);
    await fh.close();
    await rename(tmp, to);
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true }); // ours: created just now
    throw err;
  }
}

/** Writes `data` to `file` (after `checkFileTarget`) through a temporary sibling; records its hash. */
export async function writeExportFile(
  db: DB,
  file: string,
  data: string | Buffer,
  overwrite: boolean,
): Promise<void> {
  await checkFileTarget(db, file, overwrite);
  await writeAtomically(file, data);
  recordExported(db, file, sha256(data));
}

/** What a folder's manifest says, if the manifest is the one an export recorded writing there. */
async function recordedManifest(db: DB, out: string): Promise<Manifest | null> {
  const file = join(out, EXPORT_MARKER);
  const st = await exists(file);
  if (!st?.isFile()) return null;
  const text = await readFile(file);
  if (exportedHash(db, file) !== sha256(text)) return null;
  try {
    const m = JSON.parse(text.toString('utf8')) as Manifest;
    return m && typeof m.files === 'object' ? m : null;
  } catch {
    return null;
  }
}

/** Is what is at `path` still what the manifest says an export put there? */
async function unchanged(path: string, entry: Entry): Promise<boolean> {
  const st = await exists(path);
  if (!st) return true; // gone: nothing to replace
  if ('link' in entry) return st.isSymbolicLink() && (await readlink(path)) === entry.link;
  return st.isFile() && (await hashFile(path)) === entry.sha256;
}

/**
 * Builds a dataset folder at `out`: `build` fills a fresh temporary sibling and returns what it
 * put there; the folder is then moved into place. An existing `out` is replaced only with
 * `overwrite`, only if its manifest is on record, and then only the files that manifest lists
 * (each unchanged); every check is made before anything is touched. A failed or cancelled build
 * leaves nothing behind.
 */
export async function writeExportFolder(
  db: DB,
  out: string,
  overwrite: boolean,
  build: (dir: string) => Promise<Record<string, Entry>>,
): Promise<void> {
  const st = await exists(out);
  let old: Manifest | null = null;
  if (st) {
    if (!overwrite) throw conflict(`${out}: exists (use overwrite to replace it)`);
    old = st.isDirectory() ? await recordedManifest(db, out) : null;
    if (!old)
      throw conflict(
        `${out}: exists and is not a folder an export made (no ${EXPORT_MARKER} on record): not replaced`,
      );
  }
  const tmp = `${out}.partial-${process.pid}`;
  await mkdir(dirname(out), { recursive: true });
  await mkdir(tmp); // fails if a stale one is in the way: nothing of the user's is removed
  try {
    const files = await build(tmp);
    const manifest = `${JSON.stringify(
      { note: 'Written by Caption Studio export; overwrite replaces only these files.', files },
      null,
      1,
    )}\n`;
    await writeAtomically(join(tmp, EXPORT_MARKER), manifest);
    if (old) await mergeInto(out, tmp, old, files);
    else await rename(tmp, out);
    recordExported(db, join(out, EXPORT_MARKER), sha256(manifest));
  } finally {
    await rm(tmp, { recursive: true, force: true }); // ours: empty after a merge, gone after a rename
  }
}

/** Moves a built folder's files into an earlier export's folder, replacing only what it wrote. */
async function mergeInto(out: string, tmp: string, old: Manifest, files: Record<string, Entry>) {
  const listed = Object.entries(old.files).filter(([name]) => safeName(name));
  for (const [name, entry] of listed)
    if (!(await unchanged(join(out, name), entry)))
      throw conflict(`${join(out, name)}: changed since the export wrote it: not replaced`);
  for (const name of Object.keys(files))
    if (!Object.hasOwn(old.files, name) && (await exists(join(out, name))))
      throw conflict(`${join(out, name)}: exists and was not written by an export: not replaced`);
  for (const [name] of listed) await rm(join(out, name), { force: true });
  for (const name of [...Object.keys(files), EXPORT_MARKER]) {
    await mkdir(dirname(join(out, name)), { recursive: true });
    await rename(join(tmp, name), join(out, name));
  }
  // folders the earlier export made and nothing fills now (deepest first; a non-empty one stays)
  const dirs = new Set(listed.flatMap(([name]) => parents(name)));
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await rmdir(join(out, d)).catch(() => {});
}

/** A manifest's name stays inside its folder (a forged one could say `../x`; it is on record, but still). */
const safeName = (name: string) =>
  name !== '' && !name.startsWith('/') && !name.split('/').some((p) => p === '..' || p === '.' || p === '');

const parents = (name: string) => {
  const parts = name.split('/').slice(0, -1);
  return parts.map((_, i) => parts.slice(0, i + 1).join(sep));
};
