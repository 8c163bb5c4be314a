/** What every capability's handlers work with: one per open studio (see `studio.ts`). */
import type { DB } from '../../db/open.ts';
import type { EventBus } from './events.ts';
import type { JobRegistry } from './jobs/registry.ts';
import type { ModelService } from './models/service.ts';

export interface Core {
  db: DB;
  dataDir: string;
  events: EventBus;
  models: ModelService;
  jobs: JobRegistry;
}
