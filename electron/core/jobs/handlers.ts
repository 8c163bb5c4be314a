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
    async 'jobs.start'({ rootId, decoding, policy, batchSize, model, dtype }) {
      rootInfo(db, rootId);
      const lease = await models.lease(model, dtype);
      try {
        const d = lease.engine.decoding(decoding);
        return await jobs.start({
          rootId,
          engine: lease.engine,
          decoding: d,
          policy,
          batchSize,
          release: lease.release,
        });
      } catch (err) {
        lease.release();
        throw err;
      }
    },
    async 'jobs.list'() {
      return jobs.list();
    },
    async 'jobs.stop'({ jobId, action }) {
      return jobs.stop(jobId, action);
    },
  };
}
