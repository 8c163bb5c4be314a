import { clock } from '../core/api/format.ts';
import type { JobView } from '../core/api/types.ts';

/** `[#####-----] 120/500 24%  11.8 img/s  ETA 0:32  3 errors` */
export function progressLine(
  p: Pick<JobView, 'done' | 'total' | 'rate' | 'etaSeconds' | 'errors'>,
  width = 24,
): string {
  const frac = p.total ? p.done / p.total : 1;
  const filled = Math.round(frac * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const errors = p.errors ? `  ${p.errors} error${p.errors === 1 ? '' : 's'}` : '';
  return `${bar} ${p.done}/${p.total} ${Math.round(frac * 100)}%  ${p.rate.toFixed(1)} img/s  ETA ${clock(p.etaSeconds)}${errors}`;
}
