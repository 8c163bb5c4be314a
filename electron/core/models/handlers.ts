/** Models over the API: what is installed, the catalogue, pulls from the Hub, the engine a model runs on. */

import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { catalogue } from './installed.ts';

type ModelChannels =
  | 'engine.info'
  | 'models.list'
  | 'models.pull'
  | 'models.pulls'
  | 'models.cancelPull'
  | 'models.add'
  | 'models.remove';

export function modelHandlers({ models }: Core): Pick<Handlers, ModelChannels> {
  return {
    async 'engine.info'({ model, dtype }) {
      const lease = await models.lease(model, dtype);
      try {
        const { name, provider, providerNotes, grid, domain } = lease.engine.info;
        return { model: name, dtype: lease.engine.info.dtype, domain, provider, notes: providerNotes, grid };
      } finally {
        lease.release();
      }
    },
    async 'models.list'() {
      const installed = await models.list();
      const current = await models.resolve().catch(() => null);
      return { installed, catalog: catalogue(), default: current?.ref ?? 'default' };
    },
    async 'models.pull'({ repo, dtype }) {
      return models.startPull(repo, dtype);
    },
    async 'models.pulls'() {
      return models.listPulls();
    },
    async 'models.cancelPull'({ id }) {
      return models.cancelPull(id);
    },
    async 'models.add'({ path }) {
      return models.add(path);
    },
    async 'models.remove'({ ref }) {
      await models.remove(ref);
      return null;
    },
  };
}
