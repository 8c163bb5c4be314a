/**
 * Rater links: the owner invites a rater to rating sessions and gets a token to share; only its
 * SHA-256 is stored. A token names its rater (requests cannot choose another) and reaches its
 * sessions only, until revoked.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DB } from '../../../db/open.ts';
import {
  insertLink,
  type LinkRow,
  linkById,
  listLinks,
  liveLinkByHash,
  revokeLink,
} from '../../../db/queries/access.ts';
import { sessionRow } from '../../../db/queries/rating.ts';
import { type Caller, OWNER } from '../api/contract.ts';
import { notFound } from '../api/dispatch.ts';
import type { RaterLinkView } from '../api/types.ts';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

const view = (l: LinkRow): RaterLinkView => ({
  id: l.id,
  rater: l.rater,
  sessions: l.sessions,
  createdAt: l.created_at,
  revoked: l.revoked_at !== null,
});

export function invite(db: DB, rater: string, sessions: number[]): RaterLinkView & { token: string } {
  for (const s of sessions) if (!sessionRow(db, s)) throw notFound(`no rating session with id ${s}`);
  const token = randomBytes(24).toString('base64url');
  const id = insertLink(db, rater, hash(token), sessions);
  return { ...view(linkById(db, id)!), token };
}

export const links = (db: DB): RaterLinkView[] => listLinks(db).map(view);

export function revoke(db: DB, id: number): RaterLinkView {
  if (!linkById(db, id)) throw notFound(`no rater link with id ${id}`);
  revokeLink(db, id);
  return view(linkById(db, id)!);
}

/** The rater a token belongs to, or undefined for an unknown or revoked token. */
export function raterOf(db: DB, token: string): Caller | undefined {
  if (!/^[\w-]{16,200}$/.test(token)) return undefined;
  const l = liveLinkByHash(db, hash(token));
  return l && { role: 'rater', linkId: l.id, rater: l.rater, sessions: l.sessions };
}

/**
 * Who a request's token makes the caller: the owner (the token compared in constant time), a
 * rater's live link, or no one (undefined).
 */
export function callerOf(db: DB, ownerToken: string, given: string): Caller | undefined {
  const [a, b] = [Buffer.from(given), Buffer.from(ownerToken)];
  if (a.length === b.length && timingSafeEqual(a, b)) return OWNER;
  return raterOf(db, given);
}
