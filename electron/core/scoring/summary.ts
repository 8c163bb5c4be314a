/**
 * CLIPScore per source (model and decoding, as the evaluation names them): the mean with a
 * bootstrap 95 % interval, and Kendall's tau-c against the mean human rating of the rated
 * captions (with its interval), as CLIPScore's paper correlates it with human judgements.
 */
import type { DB } from '../../../db/open.ts';
import { allRatings, evalCandidates } from '../../../db/queries/eval.ts';
import { scoresOf } from '../../../db/queries/scores.ts';
import type { ClipSourceRow } from '../api/types.ts';
import { bootstrapTauC } from '../eval/correlation.ts';
import { bootstrapMean } from '../eval/human.ts';
import { sourceOf } from '../eval/summary.ts';

export function clipScoreSources(db: DB, scorerId: number, rootId?: number): ClipSourceRow[] {
  const scores = scoresOf(db, scorerId);
  const ratings = new Map<number, number[]>();
  for (const r of allRatings(db))
    if (r.value !== null) ratings.set(r.candidate_id, [...(ratings.get(r.candidate_id) ?? []), r.value]);
  const bySource = new Map<string, { scores: number[]; rated: [number, number][] }>();
  for (const c of evalCandidates(db, rootId)) {
    const s = scores.get(c.candidate_id);
    if (s === undefined) continue;
    const key = sourceOf(c);
    const g = bySource.get(key) ?? { scores: [], rated: [] };
    g.scores.push(s);
    const rs = ratings.get(c.candidate_id);
    if (rs?.length) g.rated.push([s, rs.reduce((a, b) => a + b, 0) / rs.length]);
    bySource.set(key, g);
  }
  return [...bySource.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([source, g]) => {
      const { mean, lo, hi } = bootstrapMean(g.scores);
      const t =
        g.rated.length >= 2
          ? bootstrapTauC(
              g.rated.map((p) => p[0]),
              g.rated.map((p) => p[1]),
            )
          : null;
      return {
        source,
        captions: g.scores.length,
        mean,
        lo,
        hi,
        rated: g.rated.length,
        tauC: t && !Number.isNaN(t.tau) ? { tau: t.tau, lo: t.lo, hi: t.hi } : null,
      };
    });
}
