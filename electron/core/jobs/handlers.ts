/** Batch captioning jobs over the API. */
import { jobById } from '../../../db/queries/jobs.ts';
import type { Dtype, Handlers, Request } from '../api/contract.ts';
import { conflict, notFound } from '../api/dispatch.ts';
import type { JobView } from '../api/types.ts';
import type { Core } from '../core.ts';
import type { DecodingOptions } from '../inference/decoding/settings.ts';
import { rootInfo } from '../library/views.ts';

/** How a stored model names itself to `models.lease`: a Hub repository at its commit, or its folder. */
export const modelRef = (source: string | null) =>
  source === null ? undefined : source.startsWith('hf:') ? source.slice(3) : source;

export function jobHandlers({
  db,
  models,
  jobs,
}: Core): Pick<Handlers, 'jobs.start' | 'jobs.list' | 'jobs.stop' | 'jobs.resume'> {
  const start = async (
    r: Omit<Request<'jobs.start'>, 'decoding'> & { decoding: DecodingOptions },
  ): Promise<JobView> => {
    rootInfo(db, r.rootId);
    const lease = await models.lease(r.model, r.dtype);
    try {
      return await jobs.start({
        rootId: r.rootId,
        engine: lease.engine,
        decoding: lease.engine.decoding(r.decoding),
        policy: r.policy ?? 'skip-existing',
        batchSize: r.batchSize,
        release: lease.release,
      });
    } catch (err) {
      lease.release();
      throw err;
    }
  };
  return {
    async 'jobs.start'(r) {
      return start(r);
    },
    async 'jobs.list'() {
      return jobs.list();
    },
    async 'jobs.stop'({ jobId, action }) {
      return jobs.stop(jobId, action);
    },
    async 'jobs.resume'({ jobId }) {
      const j = jobById(db, jobId);
      if (!j) throw notFound(`no job with id ${jobId}`);
      if (jobs.running(jobId)) throw conflict(`job ${jobId} is running`);
      if (j.state !== 'paused' && j.state !== 'running')
        throw conflict(`job ${jobId} is ${j.state}: start a new one to caption this folder again`);
      return start({
        rootId: j.root_id,
        decoding: JSON.parse(j.decoding),
        policy: j.policy,
        // the job's own batch size, stored with it (batchSize absent)
        model: modelRef(j.model_source),
        dtype: (j.model_dtype ?? undefined) as Dtype | undefined,
      });
    },
  };
}
