/**
 * The exports running in this process: each has an id, a cancel switch and a view pushed as
 * `export.progress` events, like jobs (at most a few a second, and on every change of state) — to
 * the desktop window (IPC), browsers (server-sent events) and the CLI's progress bar.
 */
import type { ExportFormat } from '../api/contract.ts';
import { ApiError, notFound } from '../api/dispatch.ts';
import type { ExportView } from '../api/types.ts';
import type { EventBus } from '../events.ts';

const PROGRESS_EVERY_MS = 200;

/** What an export is told as it runs: how much there is, and each file written. */
export interface ExportTracker {
  signal: AbortSignal;
  total(files: number): void;
  wrote(bytes: number): void;
}

/** A cancelled export: reported as 409, nothing it started writing is left. */
export const cancelled = (target: string) =>
  new ApiError(409, `export to ${target || 'the photos'}: cancelled`);

export class ExportRegistry {
  private running = new Map<number, { view: ExportView; controller: AbortController }>();
  private nextId = 1;

  constructor(private readonly events: EventBus) {}

  /** Runs `work` as a tracked export; its last view is pushed however it ends. */
  async run<T>(format: ExportFormat, target: string, work: (t: ExportTracker) => Promise<T>): Promise<T> {
    const view: ExportView = {
      id: this.nextId++,
      format,
      target,
      state: 'running',
      done: 0,
      total: 0,
      bytes: 0,
      rate: 0,
      etaSeconds: null,
      error: null,
    };
    const controller = new AbortController();
    this.running.set(view.id, { view, controller });
    const started = performance.now();
    let published = 0;
    const publish = (force = false) => {
      const now = performance.now();
      if (!force && now - published < PROGRESS_EVERY_MS) return;
      published = now;
      const seconds = (now - started) / 1000;
      view.rate = seconds > 0 ? view.done / seconds : 0;
      view.etaSeconds = view.rate > 0 ? Math.round((view.total - view.done) / view.rate) : null;
      this.events.emit('export.progress', { ...view });
    };
    publish(true);
    try {
      const result = await work({
        signal: controller.signal,
        total(files) {
          view.total = files;
          publish(true);
        },
        wrote(bytes) {
          view.done++;
          view.bytes += bytes;
          publish();
        },
      });
      view.state = 'done';
      return result;
    } catch (err) {
      view.state = controller.signal.aborted ? 'cancelled' : 'failed';
      view.error = (err as Error).message;
      throw controller.signal.aborted ? cancelled(target) : err;
    } finally {
      this.running.delete(view.id);
      publish(true);
    }
  }

  cancel(id: number): ExportView {
    const e = this.running.get(id);
    if (!e) throw notFound(`no running export ${id}`);
    e.controller.abort();
    return { ...e.view };
  }
}
