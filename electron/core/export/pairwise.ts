/**
 * Preference pairs straight from pairwise verdicts: A preferred gives (chosen A, rejected B), B
 * preferred the reverse; a tie or "both bad" prefers neither, so it is left out and counted.
 * Filtered like every export (folder, split, sessions, raters); one pair per rater's verdict.
 */
import type { DB } from '../../../db/open.ts';
import { pairwiseJudgments } from '../../../db/queries/pairwise.ts';
import { type ExportOptions, type ExportRow, exportRows } from './select.ts';

/** A preference of one rater in one session: `chosen` over `rejected`. */
export interface PreferencePair {
  chosen: ExportRow;
  rejected: ExportRow;
  rater: string;
  session: number;
  /** scores behind a pair from ratings (null for a pairwise verdict) */
  chosenRating: number | null;
  rejectedRating: number | null;
  chosenBest: boolean;
  /** a pairwise verdict: which side (as shown to the rater) was preferred */
  verdict?: 'a' | 'b';
}

export interface PairwisePairs {
  pairs: PreferencePair[];
  /** verdicts under the filters that prefer neither caption */
  ties: number;
  bothBad: number;
}

export function pairwisePairs(db: DB, o: ExportOptions): PairwisePairs {
  const judged = pairwiseJudgments(db, o.sessions).filter(
    (j) => !o.raters?.length || o.raters.includes(j.rater),
  );
  if (!judged.length) return { pairs: [], ties: 0, bothBad: 0 };
  const rows = new Map(
    exportRows(db, { ...o, policy: 'all', minRating: undefined }).map((r) => [r.candidate_id, r]),
  );
  const out: PairwisePairs = { pairs: [], ties: 0, bothBad: 0 };
  for (const j of judged) {
    const left = rows.get(j.left);
    const right = rows.get(j.right);
    if (!left || !right) continue; // outside the filters, or no longer current
    if (j.value === 'tie') out.ties++;
    else if (j.value === 'bad') out.bothBad++;
    else
      out.pairs.push({
        chosen: j.value === 'a' ? left : right,
        rejected: j.value === 'a' ? right : left,
        rater: j.rater,
        session: j.session_id,
        chosenRating: null,
        rejectedRating: null,
        chosenBest: false,
        verdict: j.value,
      });
  }
  return out;
}

/** What an export of preference pairs says it left out. */
export function pairwiseNote(p: PairwisePairs): string | undefined {
  if (!p.ties && !p.bothBad) return undefined;
  return `${p.ties} tie${p.ties === 1 ? '' : 's'} and ${p.bothBad} "both bad" verdict${p.bothBad === 1 ? '' : 's'} left out (they prefer neither caption)`;
}
