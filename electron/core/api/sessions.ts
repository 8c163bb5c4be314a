/**
 * The owner's channels around rating sessions (rename, delete): request schemas and answers. No Node imports: the renderer imports the contract.
 */
import { z } from 'zod';
import { id } from './fields.ts';

export const SESSION_CHANNELS = {
  'sessions.rename': z.object({ sessionId: id, name: z.string().trim().min(1).max(200) }).strict(),
  /** deletes the session, its judgments (they are no longer exported or
   * evaluated); links that reached only it are revoked. `dryRun`: what would be lost, nothing deleted */
  'sessions.delete': z.object({ sessionId: id, dryRun: z.boolean().default(false) }).strict(),
} as const;

/** What deleting a session loses (or, with dryRun, would lose). */
export interface SessionDeletion {
  id: number;
  name: string;
  deleted: boolean;
  /** the raters' judgments in force (scores, picks, verdicts) and how many raters made them */
  judgments: number;
  raters: number;
  /** live rater links that reached this session only (revoked) and that reach other sessions too (kept for those) */
  linksRevoked: number;
  linksNarrowed: number;
}
