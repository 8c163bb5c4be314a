/** Batch captioning jobs over the API. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { rootInfo } from '../library/views.ts';

export function jobHandlers({
  db,
  models,
  jobs,
}: Core): Pick<Handlers, 'jobs.start' | 'jobs.list' | 'jobs.stop'> {
  return {
    async 'jobs.start'({ rootId, decoding, policy, batchSize }) {
      rootInfo(db, rootId);
      const engine = await models.engine();
      return jobs.start({ rootId, engine, decoding: engine.decoding(decoding), policy, batchSize });
    },
    async 'jobs.list'() {
      return jobs.list();
    },
    async 'jobs.stop'({ jobId, action }) {
      return jobs.stop(jobId, action);
    },
  };
}
