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
import { type Plan, plan } from './formats.ts';
import { checkFileTarget, type Entry, sha256, writeExportFile, writeExportFolder } from './outputs.ts';
import type { ExportTracker } from './progress.ts';
import { type ExportOptions, exportRows } from './select.ts';

/** Why an export found no rows: the first reason that holds. */
function whyNothing(db: DB, o: ExportOptions): string {
  if (!exportRows(db, { policy: 'all' }).length) return 'nothing is captioned yet: caption a folder first';
  const policy = o.policy ?? 'best';
  const filters = { ...o, policy: 'all' as const };
  if (!exportRows(db, { ...filters, minRating: undefined, split: undefined }).length)
    return 'no captions in the folder asked for';
  if (o.minRating !== undefined && !exportRows(db, { ...filters, split: undefined }).length)
    return `no caption has a mean rating of ${o.minRating} or more`;
  if (o.split && !exportRows(db, filters).length) return `no image falls in the '${o.split}' split`;
  const pairs = o.format.startsWith('preferences');
  if (pairs && exportRows(db, filters).some((r) => r.rated))
    return 'no rater preferred one caption of an image to another (a pair needs two different ratings or a best pick)';
  const narrowed = o.raters?.length || o.sessions?.length;
  if (
    policy === 'rated' &&
    narrowed &&
    exportRows(db, { ...filters, raters: undefined, sessions: undefined }).some((r) => r.rated)
  )
    return 'no caption has ratings from the raters or sessions asked for';
  if (policy === 'rated')
    return pairs
      ? 'preference pairs come from ratings, and no caption has been rated'
      : "no caption has been rated: rate some, or export with policy 'best'";
  if (policy === 'human') return 'no caption has been edited by a person';
  return 'no captions under these filters';
}

/** The rows an export would choose and its first records as written, writing nothing. */
export function previewExport(db: DB, o: ExportOptions, first = 5): ExportPreview {
  const { rows, p, note } = prepare(db, o);
  return { format: o.format, rows, target: p.target, records: p.records.slice(0, first), ...note };
}

function prepare(db: DB, o: ExportOptions) {
  // preference pairs come from what raters compared: every rated candidate, whatever the policy
  const chosen: ExportOptions = o.format.startsWith('preferences') ? { ...o, policy: 'rated' } : o;
  const p = plan(db, chosen, exportRows(db, chosen));
  const rows = p.records.length;
  return { p, rows, note: rows ? {} : { note: whyNothing(db, chosen) } };
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
      await place(...next);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
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
  const { p, rows, note } = prepare(db, o);
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
