/**
 * Statistics over human judgments: bootstrap confidence intervals, best-of-N win rates, a
 * Bradley–Terry ranking (from picks or pairwise verdicts), Krippendorff's alpha, and Kendall's tau.
 */
import type { PairwiseChoice } from '../api/contract.ts';

/** Deterministic PRNG (mulberry32) so bootstrap intervals are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Mean with a percentile-bootstrap 95 % interval (resampling the values). */
export function bootstrapMean(
  values: readonly number[],
  resamples = 2000,
  seed = 1,
): { mean: number; lo: number; hi: number } {
  if (!values.length) return { mean: Number.NaN, lo: Number.NaN, hi: Number.NaN };
  const r = rng(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < values.length; i++) s += values[Math.floor(r() * values.length)];
    means[b] = s / values.length;
  }
  means.sort();
  return {
    mean: mean(values),
    lo: means[Math.floor(0.025 * resamples)],
    hi: means[Math.ceil(0.975 * resamples) - 1],
  };
}

export interface Comparison {
  winner: string;
  loser: string;
}

/**
 * The comparisons in pairwise verdicts between two players (A and B, e.g. the sources of the two
 * captions): 'a' or 'b' is a win for that side; a tie or 'both bad' prefers neither, gives no
 * comparison, and is counted apart (Bradley–Terry has no ties).
 */
export function pairwiseComparisons(verdicts: readonly { a: string; b: string; choice: PairwiseChoice }[]): {
  comparisons: Comparison[];
  ties: number;
  bothBad: number;
} {
  const comparisons: Comparison[] = [];
  let ties = 0;
  let bothBad = 0;
  for (const v of verdicts) {
    if (v.choice === 'a') comparisons.push({ winner: v.a, loser: v.b });
    else if (v.choice === 'b') comparisons.push({ winner: v.b, loser: v.a });
    else if (v.choice === 'tie') ties++;
    else bothBad++;
  }
  return { comparisons, ties, bothBad };
}

/**
 * Bradley–Terry strengths by Hunter's (2004) MM algorithm: P(i beats j) = p_i / (p_i + p_j),
 * normalised to sum to 1. Players with no wins get strength 0 (the MLE's limit).
 */
export function bradleyTerry(
  comparisons: readonly Comparison[],
  iterations = 10_000,
  tol = 1e-12,
): Map<string, number> {
  const players = [...new Set(comparisons.flatMap((c) => [c.winner, c.loser]))].sort();
  const idx = new Map(players.map((p, i) => [p, i]));
  const n = players.length;
  const wins = new Float64Array(n);
  const games = Array.from({ length: n }, () => new Float64Array(n));
  for (const c of comparisons) {
    const w = idx.get(c.winner)!;
    const l = idx.get(c.loser)!;
    wins[w]++;
    games[w][l]++;
    games[l][w]++;
  }
  let p = new Float64Array(n).fill(1 / n);
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let denom = 0;
      for (let j = 0; j < n; j++) if (games[i][j]) denom += games[i][j] / (p[i] + p[j]);
      next[i] = denom > 0 ? wins[i] / denom : 0;
    }
    const total = next.reduce((a, b) => a + b, 0);
    let change = 0;
    for (let i = 0; i < n; i++) {
      next[i] /= total;
      change = Math.max(change, Math.abs(next[i] - p[i]));
    }
    p = next;
    if (change < tol) break;
  }
  return new Map(players.map((pl, i) => [pl, p[i]]));
}

export type Level = 'nominal' | 'ordinal' | 'interval';

/**
 * Krippendorff's alpha for units rated by several coders (missing values allowed; units with
 * fewer than two values are not pairable and ignored), from the coincidence matrix
 * (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").
 * `units[u]` lists the values the coders gave unit u.
 */
export function krippendorffAlpha(units: readonly (readonly number[])[], level: Level = 'ordinal'): number {
  const pairable = units.filter((u) => u.length >= 2);
  const values = [...new Set(pairable.flat())].sort((a, b) => a - b);
  const k = new Map(values.map((v, i) => [v, i]));
  const V = values.length;
  const o = Array.from({ length: V }, () => new Float64Array(V));
  for (const u of pairable) {
    const m = u.length;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b < m; b++) if (a !== b) o[k.get(u[a])!][k.get(u[b])!] += 1 / (m - 1);
    }
  }
  const nc = o.map((row) => row.reduce((s, x) => s + x, 0));
  const n = nc.reduce((s, x) => s + x, 0);
  if (n <= 1 || V < 2) return Number.NaN;
  const delta = (c: number, d: number): number => {
    if (c === d) return 0;
    if (level === 'nominal') return 1;
    if (level === 'interval') return (values[c] - values[d]) ** 2;
    // ordinal: (sum of n_g for g between c and d, minus half the ends) squared
    const [lo, hi] = c < d ? [c, d] : [d, c];
    let s = 0;
    for (let g = lo; g <= hi; g++) s += nc[g];
    return (s - (nc[lo] + nc[hi]) / 2) ** 2;
  };
  let Do = 0;
  let De = 0;
  for (let c = 0; c < V; c++) {
    for (let d = 0; d < V; d++) {
      const dd = delta(c, d);
      Do += o[c][d] * dd;
      De += nc[c] * nc[d] * dd;
    }
  }
  return 1 - ((n - 1) * Do) / De;
}

/** Kendall's tau-b (ties handled), O(n^2): fine for per-image correlations. */
export function kendallTau(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error('kendallTau: x and y differ in length');
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i] - x[j]);
      const dy = Math.sign(y[i] - y[j]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
  return denom ? (concordant - discordant) / denom : Number.NaN;
}
