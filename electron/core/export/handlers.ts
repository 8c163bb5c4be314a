/** Dataset exports. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { exportDataset } from './export.ts';

export function exportHandlers({ db }: Core): Pick<Handlers, 'export.run'> {
  return {
    async 'export.run'(o) {
      return exportDataset(db, o);
    },
  };
}
