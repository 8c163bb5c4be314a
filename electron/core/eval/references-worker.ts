/**
 * The reference reader's worker thread: reads and parses one reference file (reference-file.ts) so
 * a large file's parse never holds up the thread that answers the UI.
 */
import { answerOnce } from '../threads.ts';
import { parseReferences, readReference } from './reference-file.ts';
import type { ReaderRequest } from './references.ts';

answerOnce(async ({ file, limit }: ReaderRequest) => parseReferences(file, await readReference(file, limit)));
