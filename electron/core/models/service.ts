/**
 * The models the studio captions with: loaded on first use into an inference worker thread, kept
 * loaded, released on close. A load that fails is not cached: fixing the bundle and trying again works.
 */
import type { LoadOptions } from '../inference/bundle.ts';
import type { Captioner } from '../inference/engine.ts';
import { RemoteEngine } from '../inference/remote.ts';

export interface ModelOptions {
  /** the bundle captioned with when a request names none */
  defaultModel: string;
  load?: LoadOptions;
  /** the inference worker's entry (the packaged app passes its bundled copy) */
  workerUrl?: URL;
}

export class ModelService {
  private loading: Promise<Captioner> | null = null;

  constructor(private readonly opts: ModelOptions) {}

  engine(): Promise<Captioner> {
    this.loading ??= RemoteEngine.load(this.opts.defaultModel, this.opts.load, this.opts.workerUrl).catch(
      (err) => {
        this.loading = null;
        throw err;
      },
    );
    return this.loading;
  }

  async close(): Promise<void> {
    const e = await this.loading?.catch(() => null);
    this.loading = null;
    await e?.dispose();
  }
}
