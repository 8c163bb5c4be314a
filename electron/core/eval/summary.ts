/**
 * The evaluation table: per model and decoding config, BLEU-4 / CIDEr-D / ROUGE-L against the
 * imported references, CLIPScore per scorer with its Kendall tau-c against human ratings (no
 * references needed), mean human rating with a bootstrap 95 % interval, best-of-N win rate and a
 * Bradley–Terry strength; plus inter-rater agreement, the most disagreed items, and the
 * correlation between per-image CIDEr-D and mean human rating.
 */
import type { DB } from '../../../db/open.ts';
import {
  allRatings,
  type EvalCandidate,
  evalCandidates,
  referencesByImage,
} from '../../../db/queries/eval.ts';
import { type PairwiseRow, pairwiseJudgments, sessionNames } from '../../../db/queries/pairwise.ts';
import type { EvalSummary, PairwiseStats, SourceRow } from '../api/types.ts';
import { whereToSee } from '../rating/review.ts';
import { clipColumns, meanRatings } from './clip.ts';
import { bootstrapMean, bradleyTerry, type Comparison, kendallTau, krippendorffAlpha } from './human.ts';
import { documentFrequencies, scoreCaptions } from './metrics.ts';
import { pairAgreement, pairwiseRanking } from './pairwise.ts';
import { describeConfig, sourceOf } from './source.ts';
import { ptbTokenize } from './tokenize.ts';

export function evaluationSummary(db: DB, opts: { rootId?: number } = {}): EvalSummary {
  const cands = evalCandidates(db, opts.rootId);
  const refs = referencesByImage(db);
  // one idf for every source: the whole reference corpus, so their CIDEr-D are comparable
  const df = refs.size ? documentFrequencies([...refs.values()].map((rs) => rs.map(ptbTokenize))) : undefined;

  const ratings = allRatings(db);
  const byCandidate = new Map<number, number[]>();
  /** the newest session that rated each caption: where its disagreement is seen */
  const lastSession = new Map<number, number>();
  for (const r of ratings)
    if (r.value !== null) {
      byCandidate.set(r.candidate_id, [...(byCandidate.get(r.candidate_id) ?? []), r.value]);
      lastSession.set(r.candidate_id, Math.max(r.session_id, lastSession.get(r.candidate_id) ?? 0));
    }
  const candById = new Map(cands.map((c) => [c.candidate_id, c]));
  const clip = clipColumns(db, cands, meanRatings(ratings));

  // best-of-N: within each (session, rater, image) with a pick, the picked sources (several when
  // runs wrote the same text) beat the others
  const groups = new Map<string, { best: Set<number>; all: number[] }>();
  for (const r of ratings) {
    const k = `${r.session_id}/${r.rater_id}/${r.image_id}`;
    const g = groups.get(k) ?? { best: new Set<number>(), all: [] };
    g.all.push(r.candidate_id);
    if (r.best) g.best.add(r.candidate_id);
    groups.set(k, g);
  }
  const comparisons: Comparison[] = [];
  const appearances = new Map<string, number>();
  const wins = new Map<string, number>();
  for (const g of groups.values()) {
    const winners = new Set(
      [...g.best].filter((c) => candById.has(c)).map((c) => sourceOf(candById.get(c)!)),
    );
    if (!winners.size) continue;
    for (const cid of g.all) {
      const c = candById.get(cid);
      if (!c) continue;
      const s = sourceOf(c);
      appearances.set(s, (appearances.get(s) ?? 0) + 1);
      if (g.best.has(cid)) wins.set(s, (wins.get(s) ?? 0) + 1);
      else if (!winners.has(s)) for (const winner of winners) comparisons.push({ winner, loser: s });
    }
  }
  const bt = comparisons.length ? bradleyTerry(comparisons) : new Map<string, number>();

  const sources = [...new Set(cands.map(sourceOf))].sort();
  const scatter: EvalSummary['scatter'] = [];
  const rows = sources.map((source): SourceRow => {
    const mine = cands.filter((c) => sourceOf(c) === source);
    const top = mine.filter((c) => c.source === 'human' || c.rank === 0);
    const withRefs = top.filter((c) => refs.has(c.image_id));
    let bleu4: number | null = null;
    let ciderD: number | null = null;
    let rougeL: number | null = null;
    if (withRefs.length) {
      const s = scoreCaptions(
        withRefs.map((c) => ({ references: refs.get(c.image_id)!, hypothesis: c.text })),
        { documentFrequencies: df },
      );
      bleu4 = s.corpus.bleu[3];
      ciderD = s.corpus.cider_d;
      rougeL = s.corpus.rouge_l;
      withRefs.forEach((c, i) => {
        const rs = byCandidate.get(c.candidate_id);
        if (rs?.length)
          scatter.push({
            source,
            candidateId: c.candidate_id,
            ciderD: s.perImage[i].cider_d,
            rating: rs.reduce((a, b) => a + b, 0) / rs.length,
          });
      });
    }
    const values = mine.flatMap((c) => byCandidate.get(c.candidate_id) ?? []);
    const ci = bootstrapMean(values);
    const histogram = [1, 2, 3, 4, 5].map((v) => values.filter((x) => x === v).length);
    return {
      source,
      model: mine[0].model,
      decoding: mine[0].source === 'human' ? 'human' : describeConfig(mine[0].config),
      images: new Set(mine.map((c) => c.image_id)).size,
      withReferences: withRefs.length,
      bleu4,
      ciderD,
      rougeL,
      ratings: values.length,
      meanRating: values.length ? ci.mean : null,
      ratingLo: values.length ? ci.lo : null,
      ratingHi: values.length ? ci.hi : null,
      winRate: appearances.get(source) ? (wins.get(source) ?? 0) / appearances.get(source)! : null,
      bradleyTerry: bt.get(source) ?? null,
      ratingHistogram: histogram,
      clip: clip.bySource.get(source) ?? clip.scorers.map(() => null),
    };
  });

  const multi = [...byCandidate.entries()].filter(([, v]) => v.length >= 2);
  const alpha = multi.length
    ? krippendorffAlpha(
        multi.map(([, v]) => v),
        'ordinal',
      )
    : null;
  const spread = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length;
  };
  const disagreed = multi
    .filter(([, v]) => spread(v) > 0)
    .sort((a, b) => spread(b[1]) - spread(a[1]) || a[0] - b[0])
    .slice(0, 10)
    .map(([candidateId, values]) => ({
      candidateId,
      text: candById.get(candidateId)?.text ?? '',
      values,
      ...whereToSee(db, candById.get(candidateId)?.image_id, candidateId, lastSession.get(candidateId)),
    }));
  return {
    rows,
    scorers: clip.scorers,
    agreement: {
      alpha: alpha === null || Number.isNaN(alpha) ? null : alpha,
      items: multi.length,
      raters: new Set(ratings.map((r) => r.rater_id)).size,
    },
    disagreed,
    scatter,
    kendallTau:
      scatter.length >= 2
        ? kendallTau(
            scatter.map((s) => s.ciderD),
            scatter.map((s) => s.rating),
          )
        : null,
    clipScatter: clip.points,
    pairwise: pairwiseSummary(db, candById, sourceOf),
  };
}

/** The pairwise verdicts as a ranking of sources, with agreement on pairs several raters judged; overall and per session. */
function pairwiseSummary(
  db: DB,
  candById: Map<number, EvalCandidate>,
  sourceOf: (c: EvalCandidate) => string,
): EvalSummary['pairwise'] {
  const rows = pairwiseJudgments(db).filter((j) => candById.has(j.left) && candById.has(j.right));
  if (!rows.length) return null;
  const ids = [...new Set(rows.map((j) => j.session_id))].sort((a, b) => b - a);
  const names = sessionNames(db, ids);
  return {
    ...pairwiseStats(rows, candById, sourceOf),
    sessions: ids.map((sessionId) => ({
      sessionId,
      name: names.get(sessionId) ?? `session ${sessionId}`,
      ...pairwiseStats(
        rows.filter((j) => j.session_id === sessionId),
        candById,
        sourceOf,
      ),
    })),
  };
}

function pairwiseStats(
  rows: PairwiseRow[],
  candById: Map<number, EvalCandidate>,
  sourceOf: (c: EvalCandidate) => string,
): PairwiseStats {
  // an n-best's captions compete by rank (the pairs of one run's beams have one source otherwise)
  const of = (id: number) => {
    const c = candById.get(id)!;
    return c.source === 'model' && c.rank > 0 ? `${sourceOf(c)} · candidate ${c.rank + 1}` : sourceOf(c);
  };
  const verdicts = rows.map((j) => ({ a: of(j.left), b: of(j.right), choice: j.value }));
  const pair = (j: PairwiseRow) =>
    `${j.session_id}/${Math.min(j.left, j.right)}/${Math.max(j.left, j.right)}`;
  const verdict = (j: PairwiseRow) =>
    j.value === 'a' ? String(j.left) : j.value === 'b' ? String(j.right) : j.value;
  return {
    ranking: pairwiseRanking(verdicts),
    verdicts: rows.length,
    ties: rows.filter((j) => j.value === 'tie').length,
    bothBad: rows.filter((j) => j.value === 'bad').length,
    ...pairAgreement(rows.map((j) => ({ pair: pair(j), rater: j.rater, verdict: verdict(j) }))),
  };
}
