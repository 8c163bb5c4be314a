import { clock } from '../core/api/format.ts';
import type { ExportView, JobView, PullView } from '../core/api/types.ts';

function bar(frac: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, frac)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
}

/** `[#####-----] 120/500 24%  11.8 img/s  ETA 0:32  3 errors` */
export function progressLine(
  p: Pick<JobView, 'done' | 'total' | 'rate' | 'etaSeconds' | 'errors'>,
  width = 24,
): string {
  const frac = p.total ? p.done / p.total : 1;
  const errors = p.errors ? `  ${p.errors} error${p.errors === 1 ? '' : 's'}` : '';
  return `${bar(frac, width)}${p.done}/${p.total} ${Math.round(frac * 100)}%  ${p.rate.toFixed(1)} img/s  ETA ${clock(p.etaSeconds)}${errors}`;
}

export const megabytes = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** `[#####-----] 12.3/45.6 MB 27%  3.4 MB/s  ETA 0:12  onnx/encoder_model.onnx` */
export function pullLine(p: PullView, width = 24): string {
  const frac = p.totalBytes ? p.doneBytes / p.totalBytes : 1;
  return (
    `${bar(frac, width)}${(p.doneBytes / 1e6).toFixed(1)}/${megabytes(p.totalBytes)} ${Math.round(frac * 100)}%  ` +
    `${megabytes(p.rate)}/s  ETA ${clock(p.etaSeconds)}${p.file ? `  ${p.file}` : ''}`
  );
}

/** `[#####-----] 120/2001 6%  95.3 files/s  ETA 0:20  14.2 MB` */
export function exportLine(p: ExportView, width = 24): string {
  const frac = p.total ? p.done / p.total : 1;
  return (
    `${bar(frac, width)}${p.done}/${p.total} ${Math.round(frac * 100)}%  ${p.rate.toFixed(1)} files/s  ` +
    `ETA ${clock(p.etaSeconds)}  ${megabytes(p.bytes)}`
  );
}
