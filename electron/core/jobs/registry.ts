/**
 * The caption jobs of this process: started from the UI or the CLI, running in the background,
 * paused or cancelled on request, their progress pushed as `jobs.progress` events (at most a few a
 * second per job, and on every change of state). The list shows the jobs of every process, from
 * the database: one another process is running (it wrote a caption in the last minute) as running,
 * one a process left unfinished as paused; starting the same work again (or Resume) resumes it.
 */
import type { DB } from '../../../db/open.ts';
import { type JobListRow, jobById, listJobs, setJobState } from '../../../db/queries/jobs.ts';
import { DEFAULT_BATCH_SIZE, type Policy } from '../api/contract.ts';
import { conflict, notFound } from '../api/dispatch.ts';
import type { JobView } from '../api/types.ts';
import type { EventBus } from '../events.ts';
import type { ResolvedDecoding } from '../inference/decoding.ts';
import type { Captioner } from '../inference/engine.ts';
import { type JobProgress, type JobSummary, noProgress, runCaptionJob } from './runner.ts';

const PROGRESS_EVERY_MS = 200;

interface Entry {
  view: JobView;
  controller: AbortController;
  done: Promise<JobSummary | null>;
}

export interface StartJob {
  rootId: number;
  engine: Captioner;
  decoding: ResolvedDecoding;
  policy: Policy;
  /** absent: a resumed job's own, else the default */
  batchSize?: number;
  /** called once the job has stopped (it hands its engine back) */
  release?: () => void;
}

export class JobRegistry {
  private jobs = new Map<number, Entry>();

  constructor(
    private readonly db: DB,
    private readonly events: EventBus,
  ) {}

  private publish(e: Entry) {
    this.events.emit('jobs.progress', { ...e.view, errorList: [...e.view.errorList] });
  }

  /** Starts the work (or returns the job already running it) once its job row exists. */
  async start(s: StartJob): Promise<JobView> {
    for (const j of this.jobs.values()) {
      if (j.view.rootId === s.rootId && j.view.state === 'running') {
        s.release?.();
        return j.view;
      }
    }
    const controller = new AbortController();
    const entry: Entry = { view: blank(0, s.rootId), controller, done: Promise.resolve(null) };
    let lastPublished = 0;
    const update = ({ jobId, ...p }: JobProgress) => {
      Object.assign(entry.view, p, { id: jobId });
      const now = performance.now();
      if (now - lastPublished >= PROGRESS_EVERY_MS || p.done === p.total) {
        lastPublished = now;
        this.publish(entry);
      }
    };
    const started = new Promise<void>((onStart) => {
      entry.done = runCaptionJob(this.db, s.engine, {
        rootId: s.rootId,
        decoding: s.decoding,
        policy: s.policy,
        batchSize: s.batchSize,
        signal: controller.signal,
        onStart: (jobId, resumed, batchSize) => {
          Object.assign(entry.view, describe(jobById(this.db, jobId)!), {
            id: jobId,
            resumed,
            batchSize,
            state: 'running',
          });
          this.jobs.set(jobId, entry);
          this.publish(entry);
          onStart();
        },
        onProgress: update,
      }).then(
        (summary) => {
          const reason = controller.signal.reason as 'paused' | 'cancelled' | undefined;
          const { state: _, jobId: __, ...rest } = summary;
          Object.assign(entry.view, rest, {
            state: controller.signal.aborted ? (reason ?? 'paused') : 'done',
          });
          this.publish(entry);
          return summary;
        },
        (err: unknown) => {
          Object.assign(entry.view, {
            state: 'failed',
            failure: err instanceof Error ? err.message : String(err),
          });
          this.publish(entry);
          return null;
        },
      );
      entry.done.finally(() => s.release?.());
    });
    await Promise.race([started, entry.done]);
    if (entry.view.state === 'failed') throw new Error(entry.view.failure ?? 'the job failed');
    return entry.view;
  }

  list(): JobView[] {
    return listJobs(this.db).map((r) => this.jobs.get(r.id)?.view ?? describe(r));
  }

  /** This process's job, when it runs here. */
  running(jobId: number): boolean {
    return this.jobs.get(jobId)?.view.state === 'running';
  }

  async stop(jobId: number, action: 'pause' | 'cancel'): Promise<JobView> {
    const j = this.jobs.get(jobId);
    if (!j) throw notFound(`no running job with id ${jobId}`);
    if (j.view.state !== 'running') throw conflict(`job ${jobId} is ${j.view.state}, not running`);
    j.controller.abort(action === 'pause' ? 'paused' : 'cancelled');
    await j.done;
    // the job's end already set (and pushed) its state from the abort's reason
    if (action === 'cancel') setJobState(this.db, jobId, 'cancelled');
    return j.view;
  }

  /** Pauses running jobs (resumable) and waits for them to stop. */
  async close(): Promise<void> {
    for (const j of this.jobs.values()) if (j.view.state === 'running') j.controller.abort('paused');
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }
}

function blank(id: number, rootId: number): JobView {
  return {
    ...noProgress(),
    id,
    rootId,
    state: 'running',
    folder: '',
    model: '',
    dtype: null,
    decoding: {},
    batchSize: DEFAULT_BATCH_SIZE,
    failure: null,
    resumed: false,
    errorList: [],
  };
}

const RUNNING_ELSEWHERE_MS = 60_000;

/** A job as the database has it (one this process does not run). */
function describe(r: JobListRow): JobView {
  const secs = r.first_at && r.last_at ? (Date.parse(r.last_at) - Date.parse(r.first_at)) / 1000 : 0;
  const rate = secs > 0 ? r.captioned / secs : 0;
  const alive = r.last_at !== null && Date.now() - Date.parse(r.last_at) < RUNNING_ELSEWHERE_MS;
  const state = r.state === 'running' && !alive ? 'paused' : r.state;
  return {
    ...blank(r.id, r.root_id),
    state,
    folder: r.folder,
    model: r.model,
    dtype: r.model_dtype,
    decoding: JSON.parse(r.decoding),
    batchSize: r.batch_size ?? DEFAULT_BATCH_SIZE,
    total: r.total,
    done: r.done,
    captioned: r.captioned,
    rate,
    etaSeconds: state === 'running' && rate > 0 ? (r.total - r.done) / rate : null,
  };
}
