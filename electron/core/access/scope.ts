/**
 * Calls as a given caller. The owner goes straight to `dispatch`; a rater's link may call only
 * RATER_CHANNELS, in its own sessions, under its own name (a `rater` field in the request is
 * replaced by the link's), and sees only its sessions listed. Everything else answers 403.
 */
import type { DB } from '../../../db/open.ts';
import { fileInSessions } from '../../../db/queries/access.ts';
import { positionOfCandidate } from '../../../db/queries/rating.ts';
import {
  type Caller,
  type Channel,
  contract,
  type Handlers,
  RATER_CHANNELS,
  type Result,
} from '../api/contract.ts';
import { dispatch } from '../api/dispatch.ts';
import type { SessionView } from '../api/types.ts';

const forbidden = (error: string): Result<never> => ({ ok: false, status: 403, error });

export async function callAs(
  db: DB,
  handlers: Handlers,
  caller: Caller,
  channel: string,
  req: unknown,
): Promise<Result<unknown>> {
  if (caller.role === 'owner' || !Object.hasOwn(contract, channel)) return dispatch(handlers, channel, req);
  if (!RATER_CHANNELS.has(channel as Channel)) return forbidden(`a rater's link cannot call ${channel}`);
  if (channel === 'auth.me') return { ok: true, value: caller };
  const body =
    req && typeof req === 'object' && !Array.isArray(req) ? { ...(req as Record<string, unknown>) } : req;
  if (body && typeof body === 'object') {
    const r = body as Record<string, unknown>;
    if ('rater' in contract[channel as Channel].shape) r.rater = caller.rater;
    if (typeof r.sessionId === 'number' && !caller.sessions.includes(r.sessionId))
      return forbidden(`this link does not reach rating session ${r.sessionId}`);
    if (
      channel === 'candidate.edit' &&
      typeof r.candidateId === 'number' &&
      !caller.sessions.some((s) => positionOfCandidate(db, s, r.candidateId as number) !== undefined)
    )
      return forbidden(`candidate ${r.candidateId} is not in this link's sessions`);
  }
  const result = await dispatch(handlers, channel, body);
  if (channel === 'sessions.list' && result.ok)
    return {
      ok: true,
      // a rater sees its sessions, not how far the other raters are
      value: (result.value as SessionView[])
        .filter((s) => caller.sessions.includes(s.id))
        .map(({ progress: _, ...s }) => s),
    };
  return result;
}

/** May the caller see library file `fileId`? The owner every file; a rater's link the images of its sessions. */
export function mayReadFile(db: DB, caller: Caller, fileId: number): boolean {
  return caller.role === 'owner' || fileInSessions(db, fileId, caller.sessions);
}
