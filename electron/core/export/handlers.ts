/** Dataset exports. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { exportDataset, previewExport } from './export.ts';

export function exportHandlers({ db }: Core): Pick<Handlers, 'export.run' | 'export.preview'> {
  return {
    async 'export.run'(o) {
      return exportDataset(db, o);
    },
    async 'export.preview'(o) {
      return previewExport(db, o);
    },
  };
}
