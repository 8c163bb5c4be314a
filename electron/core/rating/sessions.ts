/**
 * Rating sessions: which captions each image shows, what a rater sees of them (blind sessions hide
 * the sources behind letters and shuffle the order per rater), where a returning rater resumes,
 * and ratings with undo. Every rating is committed at once.
 */
import { createHash } from 'node:crypto';
import type { DB } from '../../../db/open.ts';
import { candidateSources, sessionCandidateIds } from '../../../db/queries/captions.ts';
import { captionedImagesOfRoot, fileOfImage } from '../../../db/queries/library.ts';
import {
  type ItemRow,
  insertSession,
  itemOfCandidate,
  raterId,
  ratingsOf,
  sessionItems,
  sessionRow,
  setRating,
  undoRating,
} from '../../../db/queries/rating.ts';
import { decodingLabel } from '../api/decoding.ts';
import { conflict, notFound } from '../api/dispatch.ts';
import type { RatingCandidate, SessionItem, SessionView } from '../api/types.ts';
import { toImageRow } from '../library/views.ts';

export const SESSION_SOURCES = 'best candidate of every current run, plus human edits';

export function createSession(
  db: DB,
  s: { name: string; rootId: number; blind: boolean; limit: number },
): SessionView {
  const images = captionedImagesOfRoot(db, s.rootId, s.limit);
  if (!images.length) throw conflict('no captioned images in this folder yet: caption it first');
  const id = insertSession(db, {
    name: s.name,
    blind: s.blind,
    config: { rootId: s.rootId, sources: SESSION_SOURCES, scale: '1-5' },
    items: images.map((imageId) => ({ imageId, candidateIds: sessionCandidateIds(db, imageId) })),
  });
  return { id, name: s.name, blind: s.blind, items: images.length };
}

/** A per-rater, per-session order: the same every time this rater opens the item, different across raters. */
function shuffleKey(sessionId: number, rater: string, candidateId: number): string {
  return createHash('sha1').update(`${sessionId}\0${rater}\0${candidateId}`).digest('hex');
}

const ids = (it: ItemRow) => JSON.parse(it.candidate_ids) as number[];

/** The item at `position` (default: where this rater resumes) as the rater sees it. */
export function sessionItem(db: DB, sessionId: number, rater: string, position?: number): SessionItem {
  const session = sessionRow(db, sessionId);
  if (!session) throw notFound(`no rating session with id ${sessionId}`);
  const items = sessionItems(db, sessionId);
  if (!items.length) throw conflict(`rating session ${sessionId} has no images`);
  const rated = ratingsOf(db, sessionId, raterId(db, rater));
  const isDone = (it: ItemRow) => ids(it).every((c) => rated.get(c)?.value != null);
  const firstOpen = items.findIndex((it) => !isDone(it));
  const resumeAt = firstOpen === -1 ? items.length - 1 : firstOpen;
  const pos = Math.min(Math.max(position ?? resumeAt, 0), items.length - 1);
  const it = items[pos];
  const f = fileOfImage(db, it.image_id);
  if (!f) throw notFound(`image ${it.image_id} of session ${sessionId} is no longer in the library`);
  const sources = new Map(candidateSources(db, ids(it)).map((r) => [r.id, r]));
  const order = session.blind
    ? [...ids(it)].sort((a, b) =>
        shuffleKey(sessionId, rater, a).localeCompare(shuffleKey(sessionId, rater, b)),
      )
    : ids(it);
  const candidates = order.map((cid, i): RatingCandidate => {
    const r = sources.get(cid)!;
    const label = session.blind
      ? `Caption ${String.fromCharCode(65 + i)}`
      : r.source === 'human'
        ? 'human edit'
        : `${r.model}, ${decodingLabel(JSON.parse(r.config))}`;
    const rt = rated.get(cid);
    return { id: cid, label, text: r.text, value: rt?.value ?? null, best: rt?.best === 1 };
  });
  return {
    sessionId,
    position: pos,
    total: items.length,
    resumeAt,
    file: toImageRow(f),
    candidates,
    rated: items.filter(isDone).length,
  };
}

export function rate(
  db: DB,
  r: { sessionId: number; rater: string; candidateId: number; value?: number | null; best?: boolean },
): SessionItem {
  const item = itemOfCandidate(db, r.sessionId, r.candidateId);
  if (!item) throw notFound(`candidate ${r.candidateId} is not part of rating session ${r.sessionId}`);
  setRating(db, {
    sessionId: r.sessionId,
    raterId: raterId(db, r.rater),
    imageId: item.image_id,
    candidateId: r.candidateId,
    value: r.value,
    best: r.best,
    siblings: ids(item),
  });
  return sessionItem(db, r.sessionId, r.rater, item.position);
}

/** Reverts the rater's last action and shows the item it touched. */
export function undo(db: DB, sessionId: number, rater: string): SessionItem {
  if (!sessionRow(db, sessionId)) throw notFound(`no rating session with id ${sessionId}`);
  const cand = undoRating(db, sessionId, raterId(db, rater));
  const position = cand === null ? undefined : itemOfCandidate(db, sessionId, cand)?.position;
  return sessionItem(db, sessionId, rater, position);
}
