/**
 * The owner's channels around rating sessions (rename, delete, the adjudication view of an item and its
 * final judgment): request schemas and answers. No Node imports: the renderer imports the contract.
 */
import { z } from 'zod';
import { id, oneOf } from './fields.ts';
import { PAIRWISE_CHOICES, type PairwiseChoice } from './options.ts';
import type { ImageRow } from './types.ts';

export const SESSION_CHANNELS = {
  'sessions.rename': z.object({ sessionId: id, name: z.string().trim().min(1).max(200) }).strict(),
  /** deletes the session, its judgments and final judgments (they are no
   * longer exported or evaluated); links that reached only it are revoked. `dryRun`: what would be lost, nothing deleted */
  'sessions.delete': z.object({ sessionId: id, dryRun: z.boolean().default(false) }).strict(),
  /** an item as the owner adjudicates it: every source of its captions, every rater's judgments */
  'sessions.review': z.object({ sessionId: id, position: z.number().int().min(0) }).strict(),
  /** records the item's final judgment: scores, the best caption (and its score); pairwise, the
   * verdict on the pair as `sessions.review` orders it (a: the first caption). null withdraws it */
  'sessions.adjudicate': z
    .object({
      sessionId: id,
      position: z.number().int().min(0),
      final: z.union([
        z.object({ best: id, score: z.number().int().min(1).max(5).nullable().default(null) }).strict(),
        z.object({ choice: oneOf(PAIRWISE_CHOICES) }).strict(),
        z.null(),
      ]),
    })
    .strict(),
} as const;

/** What deleting a session loses (or, with dryRun, would lose). */
export interface SessionDeletion {
  id: number;
  name: string;
  deleted: boolean;
  /** the raters' judgments in force (scores, picks, verdicts) and how many raters made them */
  judgments: number;
  raters: number;
  /** final judgments recorded in the adjudication view */
  finals: number;
  /** live rater links that reached this session only (revoked) and that reach other sessions too (kept for those) */
  linksRevoked: number;
  linksNarrowed: number;
}

/** The final judgment of an item: the best caption and its score (scores), or the verdict on the pair (pairwise). */
export type FinalJudgment = { best: number; score: number | null } | { choice: PairwiseChoice };

/** An item of a session as the owner adjudicates it. */
export interface ReviewItem {
  sessionId: number;
  name: string;
  kind: 'scores' | 'pairwise';
  position: number;
  /** the session's items */
  total: number;
  file: ImageRow;
  /** in slot order (pairwise: A, then B), with every source of each text */
  candidates: { id: number; text: string; sources: string[] }[];
  /** per rater with a judgment here: scores by caption id, the best pick, the verdict on (A, B) */
  raters: {
    rater: string;
    scores: Record<number, number>;
    best: number | null;
    choice: PairwiseChoice | null;
  }[];
  /** the owner's final judgment of the item, null before one */
  final: FinalJudgment | null;
}
