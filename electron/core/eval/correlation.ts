/**
 * Kendall's tau-c (Stuart's), the rank correlation CLIPScore's paper reports against human
 * judgements (Hessel et al. 2021, Flickr8K-Expert: scipy's `kendalltau(variant='c')`), with a
 * percentile-bootstrap 95 % interval over the (x, y) pairs.
 */
import { rng } from './human.ts';

/**
 * tau-c = 2 (P - Q) / (n^2 (m - 1) / m): P concordant and Q discordant pairs (a tie in either
 * variable is neither), m the fewer distinct values of the two variables. NaN when m < 2 (a
 * variable is constant).
 */
export function kendallTauC(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error('kendallTauC: x and y differ in length');
  const n = x.length;
  const m = Math.min(new Set(x).size, new Set(y).size);
  if (m < 2) return Number.NaN;
  let pq = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) pq += Math.sign(x[i] - x[j]) * Math.sign(y[i] - y[j]);
  }
  return (2 * pq) / ((n * n * (m - 1)) / m);
}

export interface TauInterval {
  tau: number;
  lo: number;
  hi: number;
  /** resamples in which one variable was constant (tau-c undefined), left out of the interval */
  degenerate: number;
}

/** tau-c with a percentile-bootstrap 95 % interval, resampling the pairs; seeded, so reproducible. */
export function bootstrapTauC(
  x: readonly number[],
  y: readonly number[],
  resamples = 2000,
  seed = 1,
): TauInterval {
  const tau = kendallTauC(x, y);
  const n = x.length;
  const r = rng(seed);
  const taus: number[] = [];
  const bx = new Array<number>(n);
  const by = new Array<number>(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(r() * n);
      bx[i] = x[k];
      by[i] = y[k];
    }
    const t = kendallTauC(bx, by);
    if (!Number.isNaN(t)) taus.push(t);
  }
  if (taus.length === 0) return { tau, lo: Number.NaN, hi: Number.NaN, degenerate: resamples };
  taus.sort((a, b) => a - b);
  const k = taus.length;
  return {
    tau,
    lo: taus[Math.floor(0.025 * k)],
    hi: taus[Math.ceil(0.975 * k) - 1],
    degenerate: resamples - k,
  };
}
