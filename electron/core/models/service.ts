/**
 * The models the studio captions with. Engines load on first use into an inference worker thread
 * each, and are leased: a job or a re-caption holds its engine until it is done; at most
 * `MAX_IDLE` idle engines stay loaded (the least recently used one goes). Downloads from the Hub
 * run here, in the core, whatever page started them: their progress is pushed as `models.pull`
 * events, and a page that reloads finds them in `models.pulls`.
 */
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { DB } from '../../../db/open.ts';
import { addModelFolder, removeModelFolder } from '../../../db/queries/models.ts';
import type { Dtype } from '../api/contract.ts';
import { ApiError, conflict, invalid, notFound } from '../api/dispatch.ts';
import type { ModelEntry, PullView } from '../api/types.ts';
import type { EventBus } from '../events.ts';
import type { LoadOptions } from '../inference/bundle.ts';
import { isClipScorer } from '../inference/clip/layout.ts';
import { RemoteEngine } from '../inference/remote.ts';
import { onnxVariants } from '../inference/runtime/variants.ts';
import { userPath } from '../paths.ts';
import { type HubEnv, hubEnv, parseRepoRef, planPull, pull, repoFolder } from './hub.ts';
import { describe, installedModels, type ResolvedModel, resolveModelRef } from './installed.ts';

export interface ModelOptions {
  /** the shipped bundle, listed as 'default' */
  shipped: string;
  /** what requests that name no model caption with: a folder or a repository id (default: the shipped bundle) */
  model?: string;
  load?: LoadOptions;
  /** where derived decoder files (cross-attention outputs, hoisted decoders) are made and reused (the data directory) */
  attentionDir?: string;
  /** the inference worker's entry (the packaged app passes its bundled copy) */
  workerUrl?: URL;
  hub?: HubEnv;
}

const MAX_IDLE = 2;
const PROGRESS_EVERY_MS = 200;

interface Loaded {
  engine: Promise<RemoteEngine>;
  leases: number;
  lastUsed: number;
}

export interface Lease {
  engine: RemoteEngine;
  release(): void;
}

export class ModelService {
  readonly hub: HubEnv;
  private loaded = new Map<string, Loaded>();
  private pulls = new Map<number, { view: PullView; controller: AbortController; done: Promise<void> }>();
  private pullSeq = 0;
  private configured: Promise<ResolvedModel> | null = null;

  constructor(
    private readonly db: DB,
    private readonly events: EventBus,
    private readonly opts: ModelOptions,
  ) {
    this.hub = opts.hub ?? hubEnv();
  }

  private shipped(): ResolvedModel {
    return {
      ref: 'default',
      kind: 'default',
      dir: this.opts.shipped,
      label: 'default',
      source: this.opts.shipped,
    };
  }

  private listed = () => installedModels(this.db, this.hub, this.shipped());

  /** The model requests that name none use: the command line's --model (any folder or cached repo), else the shipped one. */
  private defaultModel(): Promise<ResolvedModel> {
    const ref = this.opts.model;
    if (!ref || resolve(ref) === resolve(this.opts.shipped)) return Promise.resolve(this.shipped());
    this.configured ??= resolveModelRef(ref, this.listed, this.hub, true).catch((err) => {
      this.configured = null;
      throw err;
    });
    return this.configured;
  }

  /** A model by name; the shipped model also by its folder (as stored jobs name it). */
  resolve(ref?: string): Promise<ResolvedModel> {
    // the configured model also by the name it is listed under (the UI sends it back)
    if (ref === undefined || (this.opts.model && ref === this.opts.model)) return this.defaultModel();
    if (resolve(ref) === resolve(this.opts.shipped)) return Promise.resolve(this.shipped());
    return resolveModelRef(ref, this.listed, this.hub, false);
  }

  async list(): Promise<ModelEntry[]> {
    const all = await this.listed();
    const configured = await this.defaultModel().catch(() => null);
    if (configured && !all.some((m) => m.dir === configured.dir)) all.push(configured);
    return all.map(describe);
  }

  /**
   * The engine for a model and variant, held until `release`. With `attention` (heat-maps asked
   * for, and an `attentionDir`), a public decoder that lacks cross-attention outputs is opened from
   * its derived file; plain caption jobs keep loading the original files.
   */
  async lease(ref?: string, dtype?: Dtype, opts: { attention?: boolean } = {}): Promise<Lease> {
    const m = await this.resolve(ref);
    if (isClipScorer(m.dir)) throw invalid(`${m.label} is a scorer (CLIP), not a captioner`, 'model');
    const dataDir = opts.attention ? this.opts.attentionDir : undefined;
    const key = `${m.dir}\0${dtype ?? ''}\0${dataDir ? 'attention' : ''}`;
    let l = this.loaded.get(key);
    if (!l) {
      const attention = dataDir ? { attention: { dataDir } } : {};
      const engine = RemoteEngine.load(
        m.dir,
        {
          derivedDir: this.opts.attentionDir,
          ...this.opts.load,
          ...attention,
          dtype,
          label: m.label,
          source: m.source,
        },
        this.opts.workerUrl,
      );
      l = { engine, leases: 0, lastUsed: 0 };
      this.loaded.set(key, l);
      engine.catch(() => this.loaded.delete(key)); // a failed load is not kept: fixing the bundle and retrying works
    }
    l.leases++;
    l.lastUsed = performance.now();
    try {
      const engine = await l.engine;
      const held = l;
      let released = false;
      return {
        engine,
        release: () => {
          if (released) return;
          released = true;
          held.leases--;
          this.evictIdle();
        },
      };
    } catch (err) {
      l.leases--;
      throw err;
    }
  }

  private evictIdle() {
    const idle = [...this.loaded.entries()]
      .filter(([, l]) => l.leases === 0)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, l] of idle.slice(0, Math.max(0, idle.length - MAX_IDLE))) {
      this.loaded.delete(key);
      l.engine.then((e) => e.dispose()).catch(() => {});
    }
  }

  /** Adds a bundle folder to the list, after checking it looks like one. */
  add(path: string): ModelEntry {
    const dir = userPath(path);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw notFound(`${dir}: no such folder`);
    if (!onnxVariants(dir).size) throw new ApiError(422, `${dir}: no ONNX model files here (nor in onnx/)`);
    const entry = describe({ ref: dir, kind: 'folder', dir, label: basename(dir), source: dir });
    if (!entry.architecture) throw new ApiError(422, `${dir}/config.json: missing or not a model config`);
    addModelFolder(this.db, dir);
    return entry;
  }

  /** Removes a model: a repository from the Hugging Face cache, a folder from the list (its files stay). */
  async remove(ref: string): Promise<void> {
    const m = (await this.listed()).find((x) => x.ref === ref);
    if (!m) throw notFound(`no model '${ref}' in the studio's list`);
    if (m.kind === 'default') throw conflict('the shipped default model cannot be removed');
    if (m.kind === 'folder') removeModelFolder(this.db, m.dir);
    else await rm(repoFolder(this.hub, parseRepoRef(ref).repo), { recursive: true, force: true });
    for (const [key, l] of this.loaded) {
      if (key.startsWith(`${m.dir}\0`) && l.leases === 0) {
        this.loaded.delete(key);
        l.engine.then((e) => e.dispose()).catch(() => {});
      }
    }
  }

  /** Plans a pull (so a bad repository or variant is the request's error), then downloads in the background. */
  async startPull(ref: string, dtype?: Dtype): Promise<PullView> {
    const { repo, revision } = parseRepoRef(ref);
    const running = [...this.pulls.values()].find((p) => p.view.repo === repo && p.view.state === 'running');
    if (running) return running.view;
    const plan = await planPull(this.hub, repo, revision, dtype);
    const controller = new AbortController();
    const view: PullView = {
      id: ++this.pullSeq,
      repo,
      revision,
      dtype: plan.dtype,
      state: 'running',
      files: plan.files.length,
      totalBytes: plan.toDownload,
      doneBytes: 0,
      rate: 0,
      etaSeconds: null,
      file: null,
      error: null,
    };
    const publish = () => this.events.emit('models.pull', { ...view });
    const started = performance.now();
    let last = 0;
    const done = pull(
      this.hub,
      plan,
      (p) => {
        const secs = (performance.now() - started) / 1000;
        Object.assign(view, { file: p.file, doneBytes: p.bytes, rate: secs > 0 ? p.bytes / secs : 0 });
        view.etaSeconds = view.rate > 0 ? (view.totalBytes - view.doneBytes) / view.rate : null;
        if (performance.now() - last >= PROGRESS_EVERY_MS) {
          last = performance.now();
          publish();
        }
      },
      controller.signal,
    ).then(
      () => {
        Object.assign(view, { state: 'done', doneBytes: view.totalBytes, etaSeconds: 0, file: null });
        publish();
      },
      (err: unknown) => {
        Object.assign(view, {
          state: controller.signal.aborted ? 'cancelled' : 'failed',
          error: err instanceof Error ? err.message : String(err),
        });
        publish();
      },
    );
    this.pulls.set(view.id, { view, controller, done });
    publish();
    return view;
  }

  listPulls(): PullView[] {
    return [...this.pulls.values()].map((p) => p.view).reverse();
  }

  async cancelPull(id: number): Promise<PullView> {
    const p = this.pulls.get(id);
    if (!p) throw notFound(`no download with id ${id}`);
    p.controller.abort();
    await p.done;
    return p.view;
  }

  async close(): Promise<void> {
    for (const p of this.pulls.values()) p.controller.abort();
    await Promise.all([...this.pulls.values()].map((p) => p.done));
    const engines = [...this.loaded.values()].map((l) => l.engine.catch(() => null));
    this.loaded.clear();
    await Promise.all(engines.map(async (e) => (await e)?.dispose()));
  }
}
