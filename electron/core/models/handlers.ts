/** The model the studio captions with, as the UI shows it. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';

export function modelHandlers({ models }: Core): Pick<Handlers, 'engine.info'> {
  return {
    async 'engine.info'() {
      const { name, provider, providerNotes, grid } = (await models.engine()).info;
      return { model: name, provider, notes: providerNotes, grid };
    },
  };
}
