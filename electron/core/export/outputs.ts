/**
 * Where exports may write. A file is written to a temporary sibling and renamed into place; a path
 * that exists is replaced only with `overwrite`, and only if an export wrote it and it is unchanged
 * since (its SHA-256 is on record). A dataset folder is built in a temporary sibling and carries a
 * marker file; `overwrite` replaces only a folder with that marker. Nothing else is ever deleted.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { exportedHash, recordExported } from '../../../db/queries/export.ts';
import { conflict } from '../api/dispatch.ts';

/** The file inside every dataset folder an export made. */
export const EXPORT_MARKER = '.caption-studio-export';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Throws unless `file` is free, or `overwrite` is set and it is an unchanged file an export wrote. */
export function checkFileTarget(db: DB, file: string, overwrite: boolean): void {
  if (!existsSync(file)) return;
  if (!overwrite) throw conflict(`${file}: exists (use overwrite to replace it)`);
  const st = lstatSync(file);
  const recorded = st.isFile() ? exportedHash(db, file) : undefined;
  if (!recorded || recorded !== sha256(readFileSync(file)))
    throw conflict(`${file}: exists and was not written by an export (or was changed since): not replaced`);
}

/** Writes `data` to `file` through a temporary sibling, after `checkFileTarget`; records its hash. */
export function writeExportFile(db: DB, file: string, data: string | Buffer, overwrite: boolean): void {
  checkFileTarget(db, file, overwrite);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.partial-${process.pid}`;
  const fd = openSync(tmp, 'wx'); // fails if something is in the way: that is not ours to remove
  try {
    writeFileSync(fd, data);
    closeSync(fd);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true }); // ours: created just now
    throw err;
  }
  recordExported(db, file, sha256(data));
}

/**
 * Builds a dataset folder at `out`: `build` fills a fresh temporary sibling, which then replaces
 * `out`. An existing `out` is replaced only with `overwrite` and only if it holds the marker.
 */
export function writeExportFolder(out: string, overwrite: boolean, build: (dir: string) => void): void {
  if (existsSync(out)) {
    if (!overwrite) throw conflict(`${out}: exists (use overwrite to replace it)`);
    if (!lstatSync(out).isDirectory() || !existsSync(join(out, EXPORT_MARKER)))
      throw conflict(`${out}: exists and is not a folder an export made (no ${EXPORT_MARKER}): not replaced`);
  }
  const tmp = `${out}.partial-${process.pid}`;
  const old = `${out}.replaced-${process.pid}`;
  mkdirSync(dirname(out), { recursive: true });
  mkdirSync(tmp); // fails if a stale one is in the way: nothing of the user's is removed
  try {
    build(tmp);
    writeFileSync(
      join(tmp, EXPORT_MARKER),
      'Written by Caption Studio export; overwrite may replace this folder.\n',
    );
    if (existsSync(out)) renameSync(out, old);
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(old) && !existsSync(out)) renameSync(old, out);
    throw err;
  }
  rmSync(old, { recursive: true, force: true }); // the previous export, marker checked above
}
