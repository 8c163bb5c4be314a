/**
 * Reference captions: imported from COCO captions JSON or plain `image<TAB>caption` files
 * (reference-file.ts), and matched to library images by file name or by content hash. The file is
 * checked here at once (a FIFO, a device, a folder or an oversized file is refused in
 * milliseconds), then read and parsed in a worker thread; the rows are stored in batches, so the
 * thread that answers the UI is never held for long.
 */
import { basename } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { DB } from '../../../db/open.ts';
import { insertReference } from '../../../db/queries/eval.ts';
import { imageIdForKey } from '../../../db/queries/library.ts';
import { writeTx } from '../../../db/queries/statements.ts';
import type { ImportSummary } from '../api/types.ts';
import { runOnce } from '../threads.ts';
import { MAX_REFERENCE_BYTES, openReference, type ReferenceRow } from './reference-file.ts';

/** What the reader's worker is asked. */
export interface ReaderRequest {
  file: string;
  limit: number;
}

/** Beside this module in the source tree (tsx's loader, then the worker); in the desktop app's
 * bundle, the bundled worker of the same name beside main.mjs (electron/shell/launch.mjs). */
const READER = new URL('./references-boot.mjs', import.meta.url);
/** Rows stored per transaction before the loop gets a turn. */
const BATCH = 2000;

/** The rows of a reference file, read and parsed in a worker thread; errors name the file. */
export async function parseReferenceFile(file: string, limit = MAX_REFERENCE_BYTES): Promise<ReferenceRow[]> {
  await (await openReference(file, limit)).close(); // refused at once, before a thread is started
  return runOnce<ReferenceRow[]>(READER, { file, limit } satisfies ReaderRequest);
}

export async function importReferences(db: DB, file: string): Promise<ImportSummary> {
  const rows = await parseReferenceFile(file);
  const summary: ImportSummary = { file, captions: rows.length, added: 0, matchedImages: 0, unmatched: [] };
  const matched = new Set<number>();
  const unmatched = new Set<string>();
  const cache = new Map<string, number | null>();
  for (let start = 0; start < rows.length; start += BATCH) {
    if (start) await nextTurn();
    writeTx(db, () => {
      for (const r of rows.slice(start, start + BATCH)) {
        if (!cache.has(r.key)) cache.set(r.key, imageIdForKey(db, r.key, basename(r.key)));
        const imageId = cache.get(r.key)!;
        if (imageId === null) {
          unmatched.add(r.key);
          continue;
        }
        matched.add(imageId);
        if (insertReference(db, imageId, r.caption, file)) summary.added++;
      }
    });
  }
  summary.unmatched = [...unmatched];
  summary.matchedImages = matched.size;
  return summary;
}
