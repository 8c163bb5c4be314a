/**
 * How far a caption job runs ahead of the model: files read and hashed ahead on the thread that
 * answers the UI, and batches sent ahead to the inference worker, which decodes each one as it
 * arrives. Both bounds count items and bytes, so a folder of huge photos cannot fill memory.
 *
 * Why these sizes (bench/pipeline.ts: the default model, 500 photos 1600x1200, 2 cores): with one
 * file read at a time and one batch ahead the model waited for input 31-37% of the job. Reads of
 * one file at a time, each a few round trips through libuv's pool (busy with decodes) and a busy
 * event loop, delivered a batch in 100-230 ms, more than the model took for it. Reading 16 files at
 * once took the wait to 10-18%; then 4 batches in the worker to 4-11% (5 batches and 32 files: 6-8%,
 * no faster), at 81-100 images/s where it was 73.
 */
export const READ_AHEAD = { files: 16, bytes: 64 * 2 ** 20 };
export const BATCHES_AHEAD = { batches: 4, bytes: 512 * 2 ** 20 };
