/**
 * A ranking of caption sources from pairwise verdicts: Bradley–Terry strengths with percentile
 * bootstrap 95 % intervals (resampling the verdicts), win rates, and agreement between raters
 * who judged the same pair.
 */
import type { PairwiseChoice } from '../api/contract.ts';
import type { RankedSource } from '../api/types.ts';
import { bradleyTerry, pairwiseComparisons, rng } from './human.ts';

export interface SourceVerdict {
  /** the sources of the captions shown left (A) and right (B) */
  a: string;
  b: string;
  choice: PairwiseChoice;
}

export function pairwiseRanking(all: readonly SourceVerdict[], resamples = 1000, seed = 1): RankedSource[] {
  // two captions of one source (one text shown twice) rank nothing
  const vs = all.filter((v) => v.a !== v.b);
  const { comparisons } = pairwiseComparisons(vs);
  if (!comparisons.length) return [];
  const bt = bradleyTerry(comparisons);
  const players = [...bt.keys()];
  const draws = new Map(players.map((p) => [p, new Float64Array(resamples)]));
  const r = rng(seed);
  for (let k = 0; k < resamples; k++) {
    const sample = Array.from({ length: vs.length }, () => vs[Math.floor(r() * vs.length)]);
    const fit = bradleyTerry(pairwiseComparisons(sample).comparisons);
    for (const p of players) draws.get(p)![k] = fit.get(p) ?? 0;
  }
  return players
    .map((source): RankedSource => {
      const d = draws.get(source)!.sort();
      const mine = vs.filter((v) => v.a === source || v.b === source);
      const won = mine.filter((v) => (v.choice === 'a' ? v.a : v.choice === 'b' ? v.b : null) === source);
      const ties = mine.filter((v) => v.choice === 'tie').length;
      const bothBad = mine.filter((v) => v.choice === 'bad').length;
      return {
        source,
        strength: bt.get(source)!,
        lo: d[Math.floor(0.025 * resamples)],
        hi: d[Math.ceil(0.975 * resamples) - 1],
        verdicts: mine.length,
        winRate: mine.length ? won.length / mine.length : 0,
        wins: won.length,
        losses: mine.length - won.length - ties - bothBad,
        ties,
        bothBad,
      };
    })
    .sort((x, y) => y.strength - x.strength || x.source.localeCompare(y.source));
}

/**
 * Agreement on pairs judged by several raters: over every two raters of a pair, the share that
 * gave the same verdict (the same caption preferred, or both a tie, or both 'both bad').
 * `verdict` names the preferred caption's id, or 'tie' / 'bad'.
 */
export function pairAgreement(judged: readonly { pair: string; rater: string; verdict: string }[]): {
  pairs: number;
  comparisons: number;
  agreement: number | null;
} {
  const byPair = new Map<string, string[]>();
  for (const j of judged) byPair.set(j.pair, [...(byPair.get(j.pair) ?? []), j.verdict]);
  let pairs = 0;
  let n = 0;
  let same = 0;
  for (const vs of byPair.values()) {
    if (vs.length < 2) continue;
    pairs++;
    for (let i = 0; i < vs.length; i++)
      for (let k = i + 1; k < vs.length; k++) {
        n++;
        if (vs[i] === vs[k]) same++;
      }
  }
  return { pairs, comparisons: n, agreement: n ? same / n : null };
}
