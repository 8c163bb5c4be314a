/**
 * For tests: Kendall's tau-c written out from its definition, apart from correlation.ts, to check
 * the figures the studio shows: (concordant - discordant pairs) / (n^2 (m - 1) / (2 m)), m the
 * fewer distinct values of the two variables (a tie in either is neither kind of pair).
 */
export function tauCByDefinition(x: readonly number[], y: readonly number[]): number {
  let concordant = 0;
  let discordant = 0;
  for (let i = 0; i < x.length; i++)
    for (let j = 0; j < i; j++) {
      const p = (x[i] - x[j]) * (y[i] - y[j]);
      if (p > 0) concordant++;
      else if (p < 0) discordant++;
    }
  const m = Math.min(new Set(x).size, new Set(y).size);
  return (concordant - discordant) / ((x.length ** 2 * (m - 1)) / (2 * m));
}
