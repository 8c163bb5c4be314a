/**
 * The reference reader's worker thread: reads and parses one reference file (reference-file.ts) so
 * a large file's parse never holds up the thread that answers the UI. One typed request in
 * (`workerData`), one reply out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseReferences, readReference } from './reference-file.ts';
import type { ReaderReply, ReaderRequest } from './references.ts';

const { file, limit } = workerData as ReaderRequest;
const reply = (r: ReaderReply) => parentPort!.postMessage(r);
readReference(file, limit)
  .then((text) => reply({ ok: true, rows: parseReferences(file, text) }))
  .catch((e: unknown) => reply({ ok: false, error: e instanceof Error ? e.message : String(e) }));
