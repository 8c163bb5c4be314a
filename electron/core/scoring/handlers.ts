/** Reference-free scores over the API, and search by meaning over the image embeddings they store. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { searchHandlers } from '../search/handlers.ts';
import { scoreLibrary } from './score.ts';

export function scoreHandlers(core: Core): Pick<Handlers, 'scores.run' | 'search.images'> {
  return {
    ...searchHandlers(core),
    async 'scores.run'(req) {
      return scoreLibrary(core, req);
    },
  };
}
