/**
 * Dataset exports: the rows a request selects (select.ts), laid out in its format (formats.ts), and
 * written (outputs.ts) off the thread that answers the UI, with progress and cancel (progress.ts).
 * Output is deterministic (exporting twice gives identical bytes) and written atomically;
 * `overwrite` replaces only what an export wrote. `previewExport` builds everything but writes
 * nothing: the studio's preview.
 */

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DB } from '../../../db/open.ts';
import type { ExportPreview, ExportResult } from '../api/types.ts';
import { runOnce } from '../threads.ts';
import type { Plan } from './formats.ts';
import { checkFileTarget, type Entry, sha256, writeExportFile, writeExportFolder } from './outputs.ts';
import type { Prepared } from './prepare.ts';
import type { ExportTracker } from './progress.ts';
import type { ExportOptions } from './select.ts';

/** Beside this module in the source tree (tsx's loader, then the worker); in the desktop app's
 * bundle, the bundled worker of the same name beside main.mjs (electron/shell/launch.mjs). */
const PLANNER = new URL('./planner-boot.mjs', import.meta.url);

/** What the planner's worker is asked: the database to read and the request. */
export interface PlanRequest {
  dbFile: string;
  options: ExportOptions;
}

/** An export's plan, made in a worker thread on a read-only connection of its own. */
const planned = (db: DB, options: ExportOptions) =>
  runOnce<Prepared>(PLANNER, { dbFile: db.name, options } satisfies PlanRequest);

/** The rows an export would choose and its first records as written, writing nothing. */
export async function previewExport(db: DB, o: ExportOptions, first = 5): Promise<ExportPreview> {
  const { rows, p, note } = await planned(db, o);
  return { format: o.format, rows, target: p.target, records: p.records.slice(0, first), ...note };
}

/** Photos placed at once: enough to overlap reads and writes, few enough to leave libuv's pool
 * (4 threads, shared with media and thumbnails) room to answer the UI. */
const IN_FLIGHT = 2;

/** Copies `from` to `to` (which must not exist), hashing on the way; its size and SHA-256. */
async function copyHashed(
  from: string,
  to: string,
  signal: AbortSignal,
): Promise<{ bytes: number; sha256: string }> {
  const h = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      h.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from), tap, createWriteStream(to, { flags: 'wx' }), { signal });
  return { bytes, sha256: h.digest('hex') };
}

/** Fills a dataset folder: photos copied (or linked) and text files; what each path holds. */
async function fillFolder(dir: string, p: Plan, mode: ExportOptions['images'], t: ExportTracker) {
  const entries: Record<string, Entry> = {};
  const place = async (name: string, from: string) => {
    const to = join(dir, name);
    await mkdir(dirname(to), { recursive: true });
    if (mode === 'link') {
      await symlink(from, to);
      entries[name] = { link: from };
      t.wrote(0);
    } else {
      const c = await copyHashed(from, to, t.signal);
      entries[name] = { sha256: c.sha256 };
      t.wrote(c.bytes);
    }
  };
  const queue = [...p.images];
  const lane = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      t.signal.throwIfAborted();
      await place(...next).catch((err) => {
        queue.length = 0; // the other lanes stop after their current photo
        throw err;
      });
    }
  };
  // every lane settles before the folder is cleaned up after a failure (none writes into it later)
  const lanes = await Promise.allSettled(Array.from({ length: IN_FLIGHT }, lane));
  for (const l of lanes) if (l.status === 'rejected') throw l.reason;
  for (const [name, text] of p.files) {
    t.signal.throwIfAborted();
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text, { flag: 'wx' });
    entries[name] = { sha256: sha256(text) };
    t.wrote(Buffer.byteLength(text));
  }
  return entries;
}

/** Runs an export's writing as a tracked piece of work (see `ExportRegistry.run`). */
export type Track = <T>(target: string, work: (t: ExportTracker) => Promise<T>) => Promise<T>;

const untracked: Track = (_target, work) =>
  work({ signal: new AbortController().signal, total() {}, wrote() {} });

/** Writes an export; its tracker hears of each file written and can cancel (nothing half-written stays). */
export async function exportDataset(
  db: DB,
  o: ExportOptions,
  track: Track = untracked,
): Promise<ExportResult> {
  const { p, rows, note } = await planned(db, o);
  const overwrite = o.overwrite ?? false;
  await track(p.target, async (t) => {
    t.total(p.images.size + p.files.size);
    if (p.kind === 'folder')
      return writeExportFolder(db, p.target, overwrite, (dir) => fillFolder(dir, p, o.images, t));
    // every target is checked before any is written
    for (const f of p.files.keys()) await checkFileTarget(db, f, overwrite);
    for (const [f, text] of p.files) {
      t.signal.throwIfAborted();
      await writeExportFile(db, f, text, overwrite);
      t.wrote(Buffer.byteLength(text));
    }
  });
  return { format: o.format, rows, written: p.main, ...note };
}
