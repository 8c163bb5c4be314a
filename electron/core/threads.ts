/**
 * One piece of work in a worker thread of its own: started with its request as `workerData`, it
 * answers one message, then stops. For work that would hold up the thread that answers the UI
 * (planning an export, parsing a reference file). A failure comes back as a value and is thrown
 * here with its status and field, so the boundary maps it as if it had been thrown on this thread.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { ApiError } from './api/dispatch.ts';

export type Answer<T> =
  | { ok: true; value: T }
  | { ok: false; error: string; status?: ApiError['status']; field?: string };

/** Runs the worker at `url` on `request` and returns its answer's value (or throws its error). */
export async function runOnce<T>(url: URL, request: unknown): Promise<T> {
  const worker = new Worker(url, { workerData: request });
  try {
    const answer = await new Promise<Answer<T>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`a worker thread stopped (exit ${code})`)));
    });
    if (answer.ok) return answer.value;
    throw answer.status ? new ApiError(answer.status, answer.error, answer.field) : new Error(answer.error);
  } finally {
    await worker.terminate();
  }
}

/** The worker's side: computes the answer to its request and sends it back. */
export function answerOnce<Req, T>(work: (request: Req) => T | Promise<T>): void {
  const reply = (a: Answer<T>) => parentPort!.postMessage(a);
  Promise.resolve()
    .then(() => work(workerData as Req))
    .then(
      (value) => reply({ ok: true, value }),
      (e: unknown) =>
        reply(
          e instanceof ApiError
            ? { ok: false, error: e.message, status: e.status, field: e.field }
            : { ok: false, error: e instanceof Error ? e.message : String(e) },
        ),
    );
}

/**
 * The asking side of a long-lived worker's request/reply messages: each message carries an id and
 * its promise settles on the reply with that id; when the worker fails or stops, every pending one
 * fails with `stopped`'s message (inference/remote.ts, scoring/remote.ts).
 */
export class Replies<R extends { id: number; ok: boolean }> {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly worker: Worker,
    toError: (reply: Extract<R, { ok: false }>) => Error,
    stopped: string,
  ) {
    worker.on('message', (r: R) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (r.ok) p?.resolve((r as unknown as { value: unknown }).value);
      else p?.reject(toError(r as Extract<R, { ok: false }>));
    });
    const down = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', down);
    worker.on('exit', (code) => down(new Error(`${stopped} (exit code ${code})`)));
  }

  /** Posts `message` (whose `id` the reply will carry) and waits for its reply's value. */
  ask(message: { id: number }, transfer: ArrayBuffer[] = []): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }
}
