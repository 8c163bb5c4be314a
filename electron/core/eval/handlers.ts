/** Evaluation against references and human ratings. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { userPath } from '../paths.ts';
import { importReferences } from './references.ts';
import { evaluationSummary } from './summary.ts';

export function evalHandlers({ db }: Core): Pick<Handlers, 'eval.summary' | 'eval.importReferences'> {
  return {
    async 'eval.summary'({ rootId }) {
      return evaluationSummary(db, { rootId });
    },
    async 'eval.importReferences'({ path }) {
      return importReferences(db, userPath(path));
    },
  };
}
