/**
 * An export's plan from the database: its rows under the request (select.ts) laid out in its format
 * (formats.ts), or, when there are none, why. Run in a worker thread of its own (planner-worker.ts)
 * with a read-only connection: on a large library it takes longer than the UI may wait.
 */
import type { DB } from '../../../db/open.ts';
import { type Plan, plan } from './formats.ts';
import { pairwiseNote, pairwisePairs } from './pairwise.ts';
import { type ExportOptions, exportRows } from './select.ts';

export interface Prepared {
  p: Plan;
  rows: number;
  note: { note?: string };
}

/** Why an export found no rows: the first reason that holds. */
function whyNothing(db: DB, o: ExportOptions): string {
  if (!exportRows(db, { policy: 'all' }).length) return 'nothing is captioned yet: caption a folder first';
  const policy = o.policy ?? 'best';
  const filters = { ...o, policy: 'all' as const };
  if (!exportRows(db, { ...filters, minRating: undefined, split: undefined }).length)
    return 'no captions in the folder asked for';
  if (o.minRating !== undefined && !exportRows(db, { ...filters, split: undefined }).length)
    return `no caption has a mean rating of ${o.minRating} or more`;
  if (o.split && !exportRows(db, filters).length) return `no image falls in the '${o.split}' split`;
  const pairs = o.format.startsWith('preferences');
  if (pairs && exportRows(db, filters).some((r) => r.rated))
    return 'no rater preferred one caption of an image to another (a pair needs two different ratings or a best pick)';
  const verdicts = pairs ? pairwisePairs(db, o) : undefined;
  if (verdicts && (verdicts.ties || verdicts.bothBad))
    return `no pairwise verdict preferred a caption: ${pairwiseNote(verdicts)}`;
  const narrowed = o.raters?.length || o.sessions?.length;
  if (
    policy === 'rated' &&
    narrowed &&
    exportRows(db, { ...filters, raters: undefined, sessions: undefined }).some((r) => r.rated)
  )
    return 'no caption has ratings from the raters or sessions asked for';
  if (policy === 'rated')
    return pairs
      ? 'preference pairs come from ratings, and no caption has been rated'
      : "no caption has been rated: rate some, or export with policy 'best'";
  if (policy === 'human') return 'no caption has been edited by a person';
  return 'no captions under these filters';
}

export function prepare(db: DB, o: ExportOptions): Prepared {
  // preference pairs come from what raters compared: every rated candidate, whatever the policy
  const chosen: ExportOptions = o.format.startsWith('preferences') ? { ...o, policy: 'rated' } : o;
  const p = plan(db, chosen, exportRows(db, chosen));
  const rows = p.records.length;
  const note = rows ? p.note : whyNothing(db, chosen);
  return { p, rows, note: note ? { note } : {} };
}
