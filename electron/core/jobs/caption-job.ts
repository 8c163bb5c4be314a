/**
 * Batch captioning of a library root, journaled in SQLite.
 *
 * Each image's run and candidates are written in one transaction, and a current run is unique per
 * (image, model, decoding config), so a process killed at any point resumes where it stopped: work
 * already committed is skipped, nothing is written twice, nothing committed is touched. A bad image
 * is recorded on its file with the reason, and the batch goes on.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DB } from '../../../db/open.ts';
import {
  currentRun,
  insertRun,
  type NewCandidate,
  upsertDecodingConfig,
  upsertModel,
} from '../../../db/queries/captions.ts';
import { openCaptionJob, setJobState } from '../../../db/queries/jobs.ts';
import { type FileRow, filesOfRoot, setFileError, setFileImage } from '../../../db/queries/library.ts';
import { stmt } from '../../../db/queries/statements.ts';
import { canonicalJson, type Decoding } from '../inference/decoding.ts';
import { decodingHash } from '../inference/decoding-hash.ts';
import type { Candidate, CaptionEngine, FileInput } from '../inference/engine.ts';
import { Cancelled } from '../inference/generate.ts';

export type Policy = 'skip-existing' | 'overwrite';

export interface JobProgress {
  jobId: number;
  total: number;
  done: number;
  captioned: number;
  skipped: number;
  errors: number;
  /** images per second over this process's captioned images */
  rate: number;
  etaSeconds: number | null;
}

export interface JobSummary extends JobProgress {
  resumed: boolean;
  state: 'done' | 'paused';
  errorList: { path: string; error: string }[];
}

export interface CaptionJobOptions {
  rootId: number;
  decoding: Decoding;
  policy?: Policy;
  batchSize?: number;
  signal?: AbortSignal;
  /** called once the job row exists (new or resumed) */
  onStart?: (jobId: number, resumed: boolean) => void;
  onProgress?: (p: JobProgress) => void;
  /** called after each image's transaction commits (tests use it to kill mid-batch) */
  onCommit?: (file: string) => void;
}

/** Heat-maps stored as uint8 per token, each token's map scaled to its own maximum. */
export function quantiseAttention(
  maps: Float32Array[] | null,
  grid: { rows: number; cols: number } | null,
): NewCandidate['attention'] {
  if (!maps?.length || !grid) return null;
  const cells = grid.rows * grid.cols;
  const data = new Uint8Array(maps.length * cells);
  maps.forEach((m, t) => {
    let max = 0;
    for (let i = 0; i < cells; i++) max = Math.max(max, m[i]);
    for (let i = 0; i < cells; i++) data[t * cells + i] = max > 0 ? Math.round((m[i] / max) * 255) : 0;
  });
  return { data, shape: [maps.length, grid.rows, grid.cols] };
}

export function toNewCandidates(
  cands: Candidate[],
  grid: { rows: number; cols: number } | null,
): NewCandidate[] {
  return cands.map((c) => ({
    rank: c.rank,
    source: 'model',
    text: c.text,
    tokenIds: c.tokens,
    tokenLogprobs: c.tokenLogprobs.map((x) => Math.round(x * 1e6) / 1e6),
    logprobSum: c.sum,
    score: c.score,
    attention: quantiseAttention(c.attention, grid),
  }));
}

export async function runCaptionJob(
  db: DB,
  engine: CaptionEngine,
  opts: CaptionJobOptions,
): Promise<JobSummary> {
  const policy = opts.policy ?? 'skip-existing';
  const info = engine.info;
  const modelId = upsertModel(db, { hash: info.hash, path: info.dir, name: info.name });
  const configId = upsertDecodingConfig(db, canonicalJson(opts.decoding), decodingHash(opts.decoding));
  const { job, resumed } = openCaptionJob(db, opts.rootId, modelId, configId, policy);
  opts.onStart?.(job.id, resumed);

  // A run made by this very job counts as done under either policy: that is what resuming means.
  const isDone = (imageId: number) => {
    const run = currentRun(db, { imageId, modelId, configId });
    return run !== undefined && (policy === 'skip-existing' || run.job_id === job.id);
  };
  const imageByHash = (hash: string) =>
    stmt<[string], { id: number; bytes: number; width: number; height: number; format: string }>(
      db,
      'SELECT id, bytes, width, height, format FROM images WHERE hash = ?',
    ).get(hash);

  const files = filesOfRoot(db, opts.rootId).filter((f) => f.status === 'new' || f.status === 'ok');
  const progress: JobProgress = {
    jobId: job.id,
    total: files.length,
    done: 0,
    captioned: 0,
    skipped: 0,
    errors: 0,
    rate: 0,
    etaSeconds: null,
  };
  const started = performance.now();
  const report = () => {
    const secs = (performance.now() - started) / 1000;
    progress.rate = secs > 0 ? progress.captioned / secs : 0;
    progress.etaSeconds = progress.rate > 0 ? (progress.total - progress.done) / progress.rate : null;
    opts.onProgress?.({ ...progress });
  };
  const byPath = new Map<string, FileRow>(files.map((f) => [f.path, f]));
  const hashes = new Map<string, string>();

  // Files still to caption, read and hashed ahead of inference; known content is linked, not re-run.
  async function* todo(): AsyncGenerator<FileInput> {
    for (const f of files) {
      if (opts.signal?.aborted) return;
      if (f.status === 'ok' && f.image_id !== null && isDone(f.image_id)) {
        progress.done++;
        progress.skipped++;
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(f.path);
      } catch (err) {
        setFileError(db, f.id, `${f.path}: cannot read file (${(err as NodeJS.ErrnoException).code ?? err})`);
        progress.done++;
        progress.errors++;
        report();
        continue;
      }
      const hash = createHash('sha256').update(bytes).digest('hex');
      const known = imageByHash(hash);
      if (known && isDone(known.id)) {
        setFileImage(db, f.id, { hash, ...known });
        progress.done++;
        progress.skipped++;
        continue;
      }
      hashes.set(f.path, hash);
      yield { file: f.path, bytes, id: f.id };
    }
  }

  const commit = db.transaction(
    (
      file: FileRow,
      hash: string,
      r: { width: number; height: number; format: string },
      cands: Candidate[],
      ms: number,
    ) => {
      const imageId = setFileImage(db, file.id, { hash, bytes: file.size, ...r });
      if (isDone(imageId)) return false; // the same content under another path was captioned meanwhile
      insertRun(
        db,
        { imageId, modelId, configId, jobId: job.id, provider: info.provider, durationMs: ms },
        toNewCandidates(cands, info.grid),
      );
      return true;
    },
  );

  try {
    for await (const out of engine.captionFiles(todo(), opts.decoding, {
      batchSize: opts.batchSize,
      signal: opts.signal,
    })) {
      const file = byPath.get(out.input.file)!;
      if (out.ok) {
        const wrote = commit(file, hashes.get(file.path)!, out.result, out.result.candidates, out.durationMs);
        if (wrote) progress.captioned++;
        else progress.skipped++;
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
  const errorList = stmt<[number], { path: string; error: string }>(
    db,
    "SELECT path, error FROM files WHERE root_id = ? AND status = 'error' ORDER BY path",
  ).all(opts.rootId);
  return { ...progress, resumed, state, errorList };
}
