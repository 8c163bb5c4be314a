/** Reference-free scores over the API. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { scoreLibrary } from './score.ts';

export function scoreHandlers(core: Core): Pick<Handlers, 'scores.run'> {
  return {
    async 'scores.run'(req) {
      return scoreLibrary(core, req);
    },
  };
}
