/**
 * Batch captioning of a library root, journaled in SQLite.
 *
 * Each image's run and candidates are written in one transaction, and a current run is unique per
 * (image, model, decoding config), so a process killed at any point resumes where it stopped: work
 * already committed is skipped, nothing is written twice, nothing committed is touched. A bad image
 * is recorded on its file with the reason, and the batch goes on.
 */
import type { DB } from '../../../db/open.ts';
import { currentRun } from '../../../db/queries/captions.ts';
import { openCaptionJob, setJobState } from '../../../db/queries/jobs.ts';
import {
  captionableFiles,
  errorsOfRoot,
  type FileRow,
  imageByHash,
  rootPath,
  setFileError,
  setFileImage,
} from '../../../db/queries/library.ts';
import { DEFAULT_BATCH_SIZE, type Policy } from '../api/contract.ts';
import type { JobCounts } from '../api/types.ts';
import { commitRun, runSource } from '../captions/commit.ts';
import type { ResolvedDecoding } from '../inference/decoding.ts';
import type { Captioner, FileInput } from '../inference/engine.ts';
import { Cancelled } from '../inference/generate.ts';
import { READ_AHEAD } from '../inference/pipeline.ts';
import { type Read, readAndHash } from '../library/read.ts';

export interface JobProgress extends JobCounts {
  jobId: number;
}

export const noProgress = (): JobCounts => ({
  total: 0,
  done: 0,
  captioned: 0,
  skipped: 0,
  errors: 0,
  rate: 0,
  etaSeconds: null,
});

export interface JobSummary extends JobProgress {
  resumed: boolean;
  state: 'done' | 'paused';
  errorList: { path: string; error: string }[];
}

export interface CaptionJobOptions {
  rootId: number;
  decoding: ResolvedDecoding;
  policy?: Policy;
  /** absent: a resumed job's own, else DEFAULT_BATCH_SIZE (stored with the job either way) */
  batchSize?: number;
  signal?: AbortSignal;
  /** called once the job row exists (new or resumed), with the batch size it runs at */
  onStart?: (jobId: number, resumed: boolean, batchSize: number) => void;
  onProgress?: (p: JobProgress) => void;
  /** called after each image's transaction commits (tests use it to kill mid-batch) */
  onCommit?: (file: string) => void;
}

export async function runCaptionJob(db: DB, engine: Captioner, opts: CaptionJobOptions): Promise<JobSummary> {
  const policy = opts.policy ?? 'skip-existing';
  const src = runSource(db, engine.info, opts.decoding);
  const work = { rootId: opts.rootId, modelId: src.modelId, configId: src.configId, policy };
  const { job, resumed } = openCaptionJob(db, work, opts.batchSize);
  const batchSize = job.batch_size ?? DEFAULT_BATCH_SIZE;
  opts.onStart?.(job.id, resumed, batchSize);

  // A run made by this very job counts as done under either policy: that is what resuming means.
  const counts = (run: { job_id: number | null }) => policy === 'skip-existing' || run.job_id === job.id;
  const isDone = (imageId: number) => {
    const run = currentRun(db, { imageId, modelId: src.modelId, configId: src.configId });
    return run !== undefined && counts(run);
  };

  const files = captionableFiles(db, opts.rootId);
  const root = rootPath(db, opts.rootId)!;
  const progress: JobProgress = { ...noProgress(), jobId: job.id, total: files.length };
  const started = performance.now();
  const report = () => {
    const secs = (performance.now() - started) / 1000;
    progress.rate = secs > 0 ? progress.captioned / secs : 0;
    progress.etaSeconds = progress.rate > 0 ? (progress.total - progress.done) / progress.rate : null;
    opts.onProgress?.({ ...progress });
  };
  const byPath = new Map<string, FileRow>(files.map((f) => [f.path, f]));
  const hashes = new Map<string, string>();

  const skipped = () => {
    progress.done++;
    progress.skipped++;
  };

  // Files still to caption, read and hashed ahead of inference, several at once (READ_AHEAD says
  // why); known content is linked, not re-run.
  async function* todo(): AsyncGenerator<FileInput> {
    const reading: { f: FileRow; read: Promise<Read | Error> }[] = [];
    let next = 0;
    let bytes = 0;
    const fill = () => {
      while (
        next < files.length &&
        (reading.length === 0 ||
          (reading.length < READ_AHEAD.files && bytes + files[next].size <= READ_AHEAD.bytes))
      ) {
        const f = files[next++];
        if (f.status === 'ok' && f.image_id !== null && isDone(f.image_id)) {
          skipped();
          continue;
        }
        bytes += f.size;
        reading.push({ f, read: readAndHash(f.path, root).catch((err: Error) => err) });
      }
    };
    for (fill(); reading.length && !opts.signal?.aborted; fill()) {
      const { f, read: pending } = reading.shift()!;
      const read = await pending;
      bytes -= f.size;
      if (read instanceof Error) {
        setFileError(db, f.id, read.message);
        progress.done++;
        progress.errors++;
        report();
        continue;
      }
      const known = imageByHash(db, read.hash);
      if (known && isDone(known.id)) {
        setFileImage(db, f.id, { hash: read.hash, ...known });
        skipped();
        continue;
      }
      hashes.set(f.path, read.hash);
      yield { file: f.path, bytes: read.bytes, id: f.id };
    }
  }

  try {
    for await (const out of engine.captionFiles(todo(), opts.decoding, {
      batchSize,
      signal: opts.signal,
    })) {
      const file = byPath.get(out.input.file)!;
      if (out.ok) {
        const { width, height, format, candidates } = out.result;
        const runId = commitRun(
          db,
          src,
          {
            fileId: file.id,
            image: { hash: hashes.get(file.path)!, bytes: file.size, width, height, format },
            candidates,
            durationMs: out.durationMs,
            jobId: job.id,
          },
          counts,
        );
        if (runId === null) progress.skipped++;
        else progress.captioned++;
      } else {
        setFileError(db, file.id, out.error);
        progress.errors++;
      }
      progress.done++;
      opts.onCommit?.(file.path);
      report();
    }
  } catch (err) {
    if (!(err instanceof Cancelled)) {
      setJobState(db, job.id, 'failed');
      throw err;
    }
  }
  const state = opts.signal?.aborted ? 'paused' : 'done';
  setJobState(db, job.id, state);
  report();
  return { ...progress, resumed, state, errorList: errorsOfRoot(db, opts.rootId) };
}
