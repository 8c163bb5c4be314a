import type { JobProgress } from '../core/jobs/caption-job.ts';

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** `[#####-----] 120/500 24%  11.8 img/s  ETA 0:32  3 errors` */
export function progressLine(p: JobProgress, width = 24): string {
  const frac = p.total ? p.done / p.total : 1;
  const filled = Math.round(frac * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const eta = p.etaSeconds === null ? '--:--' : clock(p.etaSeconds);
  const errors = p.errors ? `  ${p.errors} error${p.errors === 1 ? '' : 's'}` : '';
  return `${bar} ${p.done}/${p.total} ${Math.round(frac * 100)}%  ${p.rate.toFixed(1)} img/s  ETA ${eta}${errors}`;
}
