/** Dataset exports: written with progress events and a cancel switch; previews write nothing. */
import type { Handlers } from '../api/contract.ts';
import type { Core } from '../core.ts';
import { exportDataset, previewExport } from './export.ts';
import { ExportRegistry } from './progress.ts';

export function exportHandlers({
  db,
  events,
}: Core): Pick<Handlers, 'export.run' | 'export.preview' | 'export.cancel'> {
  const running = new ExportRegistry(events);
  return {
    async 'export.run'(o) {
      return exportDataset(db, o, (target, work) => running.run(o.format, target, work));
    },
    async 'export.preview'(o) {
      return previewExport(db, o);
    },
    async 'export.cancel'({ id }) {
      return running.cancel(id);
    },
  };
}
