/**
 * Reviewing what raters did: where an item is seen (a file of its image for the thumbnail, the
 * session item to open), and the adjudication view of an item: every rater's judgments side by side,
 * and the final judgment the owner records (migration 017).
 */
import type { DB } from '../../../db/open.ts';
import type { PairwiseChoice } from '../../../db/queries/judgments.ts';
import { fileOfImage } from '../../../db/queries/library.ts';
import { itemAt, positionOfCandidate, sessionRow, shownCandidates } from '../../../db/queries/rating.ts';
import {
  clearFinal,
  finalOf,
  itemCount,
  itemJudgments,
  setFinal,
} from '../../../db/queries/session-admin.ts';
import { conflict, invalid, notFound } from '../api/dispatch.ts';
import type { FinalJudgment, ReviewItem } from '../api/sessions.ts';
import { toImageRow } from '../library/views.ts';
import { sourceLabel } from './sessions.ts';

/** A caption's image as a library file, and the item of `sessionId` that shows it (null where none is). */
export function whereToSee(db: DB, imageId: number | undefined, candidateId: number, sessionId?: number) {
  const fileId = imageId === undefined ? null : (fileOfImage(db, imageId)?.id ?? null);
  const position = sessionId === undefined ? undefined : positionOfCandidate(db, sessionId, candidateId);
  return { fileId, item: position === undefined ? null : { sessionId: sessionId!, position } };
}

/** An item as the owner adjudicates it: the image, every caption with all its sources, each rater's judgments. */
export function review(db: DB, sessionId: number, position: number): ReviewItem {
  const s = sessionRow(db, sessionId);
  if (!s) throw notFound(`no rating session with id ${sessionId}`);
  const at = itemAt(db, sessionId, position);
  if (!at) throw notFound(`rating session ${sessionId} has no item at position ${position}`);
  const f = fileOfImage(db, at.image_id);
  if (!f) throw notFound(`image ${at.image_id} of session ${sessionId} is no longer in the library`);
  const shown = new Map<number, { id: number; text: string; sources: string[] }>();
  for (const r of shownCandidates(db, sessionId, position, 0)) {
    const c = shown.get(r.id) ?? { id: r.id, text: r.text, sources: [] };
    const label = sourceLabel(r);
    if (!c.sources.includes(label)) c.sources.push(label);
    shown.set(r.id, c);
  }
  const candidates = [...shown.values()];
  const raters = new Map<string, ReviewItem['raters'][number]>();
  for (const j of itemJudgments(db, sessionId, position)) {
    const r = raters.get(j.rater) ?? { rater: j.rater, scores: {}, best: null, choice: null };
    if (j.kind === 'score') r.scores[j.candidate_id] = Number(j.value);
    else if (j.kind === 'best') r.best = j.candidate_id;
    else r.choice = asShown(j.value as PairwiseChoice, j.candidate_id === candidates[0].id);
    raters.set(j.rater, r);
  }
  return {
    sessionId,
    name: s.name,
    kind: s.kind,
    position,
    total: itemCount(db, sessionId),
    file: toImageRow(f),
    candidates,
    raters: [...raters.values()],
    final: finalView(db, sessionId, position),
  };
}

function finalView(db: DB, sessionId: number, position: number): FinalJudgment | null {
  const f = finalOf(db, sessionId, position);
  if (!f) return null;
  return f.kind === 'best'
    ? { best: f.candidate_id, score: f.value === null ? null : Number(f.value) }
    : { choice: f.value as PairwiseChoice };
}

/**
 * Records an item's final judgment (or withdraws it): in a session of scores, the best caption
 * shown in the item and, optionally, its score; in a pairwise session, the verdict on (A, B).
 */
export function adjudicate(
  db: DB,
  r: { sessionId: number; position: number; final: FinalJudgment | null },
): ReviewItem {
  const seen = review(db, r.sessionId, r.position); // 404s for an unknown session or item
  const { final } = r;
  if (final === null) clearFinal(db, r.sessionId, r.position);
  else if ('best' in final) {
    if (seen.kind !== 'scores')
      throw conflict(`rating session ${r.sessionId} compares pairs: its final judgment is a choice`);
    if (!seen.candidates.some((c) => c.id === final.best))
      throw invalid(`caption ${final.best} is not shown in this item`, 'final.best');
    setFinal(db, {
      session_id: r.sessionId,
      position: r.position,
      image_id: imageOf(db, r.sessionId, r.position),
      kind: 'best',
      candidate_id: final.best,
      other_id: null,
      value: final.score,
    });
  } else {
    if (seen.kind !== 'pairwise')
      throw conflict(`rating session ${r.sessionId} scores captions: its final judgment is a best caption`);
    const [a, b] = seen.candidates;
    setFinal(db, {
      session_id: r.sessionId,
      position: r.position,
      image_id: imageOf(db, r.sessionId, r.position),
      kind: 'pairwise',
      candidate_id: a.id,
      other_id: b.id,
      value: final.choice,
    });
  }
  return { ...seen, final: finalView(db, r.sessionId, r.position) };
}

const imageOf = (db: DB, sessionId: number, position: number) => itemAt(db, sessionId, position)!.image_id;

/** A verdict on (left, right) as a verdict on (A, B): the same when A was shown left, else A and B swap. */
const asShown = (v: PairwiseChoice, aLeft: boolean): PairwiseChoice =>
  aLeft || v === 'tie' || v === 'bad' ? v : v === 'a' ? 'b' : 'a';
