/**
 * One way to open the studio, shared by the desktop shell, `caption-studio serve` and the CLI: the
 * data directory and its database, the model service (engines in a worker thread), the job
 * registry, the event bus, and every capability's slice of the handler map merged into one.
 */

import { join, resolve } from 'node:path';
import { type DB, databasePath, defaultDataDir, openDatabase } from '../../db/open.ts';
import { accessHandlers } from './access/handlers.ts';
import type { Handlers } from './api/contract.ts';
import { captionHandlers } from './captions/handlers.ts';
import type { Core } from './core.ts';
import { editHandlers } from './edit/handlers.ts';
import { evalHandlers } from './eval/handlers.ts';
import { EventBus } from './events.ts';
import { exportHandlers } from './export/handlers.ts';
import type { LoadOptions } from './inference/bundle.ts';
import { jobHandlers } from './jobs/handlers.ts';
import { JobRegistry } from './jobs/registry.ts';
import { libraryHandlers } from './library/handlers.ts';
import { modelHandlers } from './models/handlers.ts';
import type { HubEnv } from './models/hub.ts';
import { ModelService } from './models/service.ts';
import { ratingHandlers } from './rating/handlers.ts';
import { scoreHandlers } from './scoring/handlers.ts';

/** The model bundle shipped with the studio. */
export const DEFAULT_MODEL_DIR = resolve(import.meta.dirname, '../../models/default');

export interface StudioOptions {
  /** default: $CAPTION_STUDIO_DATA_DIR, else the platform's user data folder */
  dataDir?: string;
  /** what to caption with when a request names no model: a folder or ORG/NAME[@REV] from the
   * Hugging Face cache (default: $CAPTION_STUDIO_MODEL, else the shipped bundle) */
  model?: string;
  /** the shipped bundle (the packaged app's resources folder; default: models/default) */
  shipped?: string;
  /** the Hub and cache to use (default: from HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE...) */
  hub?: HubEnv;
  load?: LoadOptions;
  workerUrl?: URL;
}

export interface Studio extends Core {
  handlers: Handlers;
  thumbsDir: string;
  /** pauses running jobs (resumable), releases the models, closes the database */
  close(): Promise<void>;
}

export function createHandlers(core: Core): Handlers {
  return {
    ...accessHandlers(core),
    ...modelHandlers(core),
    ...libraryHandlers(core),
    ...captionHandlers(core),
    ...jobHandlers(core),
    ...ratingHandlers(core),
    ...evalHandlers(core),
    ...exportHandlers(core),
    ...editHandlers(core),
    ...scoreHandlers(core),
  } satisfies Handlers;
}

export function openStudio(opts: StudioOptions = {}): Studio {
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const db: DB = openDatabase(databasePath(dataDir));
  const events = new EventBus();
  const models = new ModelService(db, events, {
    shipped: opts.shipped ?? DEFAULT_MODEL_DIR,
    model: opts.model ?? process.env.CAPTION_STUDIO_MODEL,
    load: opts.load,
    attentionDir: dataDir,
    workerUrl: opts.workerUrl,
    hub: opts.hub,
  });
  const core: Core = { db, dataDir, events, models, jobs: new JobRegistry(db, events) };
  return {
    ...core,
    handlers: createHandlers(core),
    thumbsDir: join(dataDir, 'thumbnails'),
    async close() {
      await core.jobs.close();
      await models.close();
      db.close();
    },
  };
}
