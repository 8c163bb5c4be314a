/**
 * What evaluation answers with (eval.summary, scores.run): metrics against references, CLIPScore
 * without them, human ratings and pairwise rankings. Part of the API's types (types.ts re-exports).
 */
import type { Dtype } from './options.ts';

export interface SourceRow {
  source: string;
  model: string;
  decoding: string;
  images: number;
  withReferences: number;
  bleu4: number | null;
  ciderD: number | null;
  rougeL: number | null;
  ratings: number;
  meanRating: number | null;
  ratingLo: number | null;
  ratingHi: number | null;
  winRate: number | null;
  bradleyTerry: number | null;
  ratingHistogram: number[];
  /** per scorer of EvalSummary.scorers, in that order: CLIPScore of this source's captions (null: none scored) */
  clip: (ClipStats | null)[];
}

/** A CLIP scorer (a model and variant) with stored scores: a column of the evaluation table. */
export interface ScorerColumn {
  id: number;
  name: string;
  dtype: string | null;
}

export interface EvalSummary {
  rows: SourceRow[];
  /** the scorers whose CLIPScores the rows carry; no references needed */
  scorers: ScorerColumn[];
  agreement: { alpha: number | null; items: number; raters: number };
  /** with a file of the image (its thumbnail) and the session item where it was rated, to open */
  disagreed: {
    candidateId: number;
    text: string;
    values: number[];
    fileId: number | null;
    item: { sessionId: number; position: number } | null;
  }[];
  /** per rated model candidate with references: its CIDEr-D and mean human rating */
  scatter: { source: string; candidateId: number; ciderD: number; rating: number }[];
  kendallTau: number | null;
  /** per scorer (as `scorers`), per rated caption it scored: its CLIPScore and mean human rating */
  clipScatter: { source: string; candidateId: number; clipScore: number; rating: number }[][];
  /** from pairwise sessions: sources ranked by Bradley–Terry with bootstrap 95 % intervals; null without verdicts */
  pairwise:
    | (PairwiseStats & {
        /** the same per pairwise session, newest first */
        sessions: (PairwiseStats & { sessionId: number; name: string })[];
      })
    | null;
}

/** A source of captions ranked by Bradley–Terry over pairwise verdicts, with its bootstrap 95 % interval. */
export interface RankedSource {
  source: string;
  strength: number;
  lo: number;
  hi: number;
  /** verdicts the source was in, and the share it won (ties and both-bad count as not won) */
  verdicts: number;
  winRate: number;
  /** of those verdicts: won, lost, tied, both bad */
  wins: number;
  losses: number;
  ties: number;
  bothBad: number;
}

/** Pairwise verdicts summed up: the ranking, how many verdicts (ties, both bad), and agreement. */
export interface PairwiseStats {
  ranking: RankedSource[];
  verdicts: number;
  ties: number;
  bothBad: number;
  /** pairs judged by two or more raters, rater pairs compared, the share agreeing */
  pairs: number;
  comparisons: number;
  agreement: number | null;
}

/** What a scoring run did: the scorer, how many images and candidates it scored, and their means. */
export interface ScoreSummary {
  scorer: string;
  dtype: Dtype;
  images: number;
  candidates: number;
  /** images it could not read (their candidates stay unscored; a later run retries them) */
  failed: { path: string; error: string }[];
  /** over the candidates scored in this run; null when none */
  meanClipScore: number | null;
  meanRefClipScore: number | null;
  /** per source (model and decoding, or human edits), over every caption this scorer has scored */
  sources: ClipSourceRow[];
}

export interface ClipSourceRow extends ClipStats {
  source: string;
}

/** CLIPScore of a source's captions under one scorer. */
export interface ClipStats {
  captions: number;
  /** mean CLIPScore with a bootstrap 95 % interval */
  mean: number;
  lo: number;
  hi: number;
  /** scored captions with human ratings: Kendall tau-c of CLIPScore against their mean rating */
  rated: number;
  tauC: { tau: number; lo: number; hi: number } | null;
}
