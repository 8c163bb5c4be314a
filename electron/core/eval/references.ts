/**
 * Reference captions: imported from COCO captions JSON or plain `image<TAB>caption` files
 * (reference-file.ts), and matched to library images by file name or by content hash. The file is
 * checked here at once (a FIFO, a device, a folder or an oversized file is refused in
 * milliseconds), then read and parsed in a worker thread; the rows are stored in batches, so the
 * thread that answers the UI is never held for long.
 */
import { basename } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { DB } from '../../../db/open.ts';
import { insertReference } from '../../../db/queries/eval.ts';
import { imageIdForKey } from '../../../db/queries/library.ts';
import { writeTx } from '../../../db/queries/statements.ts';
import type { ImportSummary } from '../api/types.ts';
import { MAX_REFERENCE_BYTES, openReference, type ReferenceRow } from './reference-file.ts';

/** What the reader's worker is asked, and what it answers. */
export interface ReaderRequest {
  file: string;
  limit: number;
}
export type ReaderReply = { ok: true; rows: ReferenceRow[] } | { ok: false; error: string };

const READER = new URL('./references-boot.mjs', import.meta.url);
/** Rows stored per transaction before the loop gets a turn. */
const BATCH = 2000;

/** The rows of a reference file, read and parsed in a worker thread; errors name the file. */
export async function parseReferenceFile(file: string, limit = MAX_REFERENCE_BYTES): Promise<ReferenceRow[]> {
  await (await openReference(file, limit)).close(); // refused at once, before a thread is started
  const request: ReaderRequest = { file, limit };
  const worker = new Worker(READER, { workerData: request });
  try {
    const reply = await new Promise<ReaderReply>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`${file}: the reader stopped (exit ${code})`)));
    });
    if (!reply.ok) throw new Error(reply.error);
    return reply.rows;
  } finally {
    await worker.terminate();
  }
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
