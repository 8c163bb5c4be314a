/**
 * CLIPScore per source (model and decoding, as the evaluation names them), per CLIP scorer: the
 * mean with a bootstrap 95 % interval, and Kendall's tau-c against the mean human rating of the
 * rated captions (with its interval), as CLIPScore's paper correlates it with human judgements.
 * Reference-free: a library without reference captions gets these as soon as it is scored.
 */
import type { DB } from '../../../db/open.ts';
import { allRatings, type EvalCandidate, evalCandidates, type RatingFact } from '../../../db/queries/eval.ts';
import { scorersWithScores, scoresOf } from '../../../db/queries/scores.ts';
import type { ClipSourceRow, ClipStats, EvalSummary, ScorerColumn } from '../api/types.ts';
import { bootstrapTauC } from './correlation.ts';
import { bootstrapMean } from './human.ts';
import { sourceOf } from './source.ts';

/** Each rated candidate's mean human rating (ratings without a value left out). */
export function meanRatings(ratings: readonly RatingFact[]): Map<number, number> {
  const sums = new Map<number, [number, number]>();
  for (const r of ratings) {
    if (r.value === null) continue;
    const s = sums.get(r.candidate_id) ?? [0, 0];
    s[0] += r.value;
    s[1]++;
    sums.set(r.candidate_id, s);
  }
  return new Map([...sums].map(([id, [sum, n]]) => [id, sum / n]));
}

/** A rated caption a scorer scored: its CLIPScore against its mean human rating. */
export type ClipPoint = EvalSummary['clipScatter'][number][number];

/** One scorer's scores grouped by source, with the rated ones as points. */
function bySource(
  cands: readonly EvalCandidate[],
  scores: ReadonlyMap<number, number>,
  rating: ReadonlyMap<number, number>,
): Map<string, { scores: number[]; rated: ClipPoint[] }> {
  const out = new Map<string, { scores: number[]; rated: ClipPoint[] }>();
  for (const c of cands) {
    const clipScore = scores.get(c.candidate_id);
    if (clipScore === undefined) continue;
    const source = sourceOf(c);
    const g = out.get(source) ?? { scores: [], rated: [] };
    g.scores.push(clipScore);
    const r = rating.get(c.candidate_id);
    if (r !== undefined) g.rated.push({ source, candidateId: c.candidate_id, clipScore, rating: r });
    out.set(source, g);
  }
  return out;
}

/** One scorer's figures per source, over the candidates it scored; sources in name order. */
export function clipBySource(
  cands: readonly EvalCandidate[],
  scores: ReadonlyMap<number, number>,
  rating: ReadonlyMap<number, number>,
): ClipSourceRow[] {
  return [...bySource(cands, scores, rating).entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, g]) => ({ source, ...clipStats(g.scores, g.rated) }));
}

function clipStats(scores: number[], rated: ClipPoint[]): ClipStats {
  const { mean, lo, hi } = bootstrapMean(scores);
  const t =
    rated.length >= 2
      ? bootstrapTauC(
          rated.map((p) => p.clipScore),
          rated.map((p) => p.rating),
        )
      : null;
  return {
    captions: scores.length,
    mean,
    lo,
    hi,
    rated: rated.length,
    // undefined when a variable is constant: no figure rather than NaN
    tauC: t && !Number.isNaN(t.tau) ? { tau: t.tau, lo: t.lo, hi: t.hi } : null,
  };
}

/** What `scores.run` reports: one scorer's figures per source of the root (every root when none). */
export function clipScoreSources(db: DB, scorerId: number, rootId?: number): ClipSourceRow[] {
  return clipBySource(evalCandidates(db, rootId), scoresOf(db, scorerId), meanRatings(allRatings(db)));
}

/**
 * The evaluation table's CLIPScore columns: every scorer with stored scores, per source one entry
 * per scorer in that order (null where the scorer scored none of the source's captions), and per
 * scorer its rated captions as points for the metric-against-rating plot.
 */
export function clipColumns(
  db: DB,
  cands: readonly EvalCandidate[],
  rating: ReadonlyMap<number, number>,
): { scorers: ScorerColumn[]; bySource: Map<string, (ClipStats | null)[]>; points: ClipPoint[][] } {
  const scorers = scorersWithScores(db);
  const table = new Map<string, (ClipStats | null)[]>();
  const points = scorers.map((scorer, i) => {
    const groups = bySource(cands, scoresOf(db, scorer.id), rating);
    for (const [source, g] of groups) {
      const row = table.get(source) ?? scorers.map(() => null);
      row[i] = clipStats(g.scores, g.rated);
      table.set(source, row);
    }
    return [...groups.values()].flatMap((g) => g.rated);
  });
  return { scorers, bySource: table, points };
}
