/**
 * Rating sessions: which captions each image shows (identical texts once, remembering every
 * source), what a rater sees of them (blind sessions hide the sources behind letters and shuffle
 * the order per rater), which images each rater gets, where a returning rater resumes, and
 * ratings with undo. Every rating is committed at once; a key press costs the same at any size.
 */
import { createHash } from 'node:crypto';
import type { DB } from '../../../db/open.ts';
import { actionState, setVerdict, undoRating } from '../../../db/queries/actions.ts';
import { sessionCandidates } from '../../../db/queries/captions.ts';
import type { PairwiseChoice } from '../../../db/queries/judgments.ts';
import { captionedImagesOfRoot, fileOfImage, reviewImages } from '../../../db/queries/library.ts';
import { currentVerdict, positionOfPair } from '../../../db/queries/pairwise.ts';
import {
  addToItem,
  enterSession,
  firstOpen,
  indexOf,
  insertSession,
  itemAt,
  positionAt,
  positionOfCandidate,
  raterId,
  type SessionRow,
  type ShownRow,
  sessionRow,
  setRating,
  shownCandidates,
} from '../../../db/queries/rating.ts';
import { captionKey } from '../api/captions.ts';
import { decodingLabel } from '../api/decoding.ts';
import { ApiError, conflict, notFound } from '../api/dispatch.ts';
import type { RatingCandidate, SessionItem, SessionView } from '../api/types.ts';
import { toImageRow } from '../library/views.ts';

export const SESSION_SOURCES = 'best candidate of every current run, plus human edits';
export const SESSION_ALL_SOURCES = 'every candidate of every current run (its n-best), plus human edits';

/** An image's candidates grouped by text, in first-seen order: each group's first id is the one shown. */
export function groupByText(cands: { id: number; text: string }[]): number[][] {
  const groups = new Map<string, number[]>();
  for (const c of cands) {
    const key = captionKey(c.text);
    groups.set(key, [...(groups.get(key) ?? []), c.id]);
  }
  return [...groups.values()];
}

/**
 * Which items each rater gets: `overlap` percent of the items (spread evenly over the session) go
 * to every rater, for agreement; the rest are dealt out in turn, so each rater gets a share.
 */
export function assignItems(items: number, raters: string[], overlap: number): Map<string, number[]> {
  const queues = new Map(raters.map((r) => [r, [] as number[]]));
  let turn = 0;
  for (let p = 0; p < items; p++) {
    const shared = Math.floor(((p + 1) * overlap) / 100) > Math.floor((p * overlap) / 100);
    if (shared || raters.length === 1) for (const r of raters) queues.get(r)!.push(p);
    else queues.get(raters[turn++ % raters.length])!.push(p);
  }
  return queues;
}

export function createSession(
  db: DB,
  s: {
    name: string;
    rootId: number;
    blind: boolean;
    limit: number;
    guidelines: string;
    candidates: 'top' | 'all';
    kind: 'scores' | 'pairwise';
    assign?: { raters: string[]; overlap: number };
    review?: number;
  },
): SessionView {
  const images =
    s.review === undefined
      ? captionedImagesOfRoot(db, s.rootId, s.limit)
      : reviewImages(db, s.rootId, s.review, s.limit);
  if (!images.length && s.review !== undefined)
    throw new ApiError(
      409,
      'no image of this folder has its caption scored by this scorer: score it first',
      'review',
    );
  if (!images.length) throw conflict('no captioned images in this folder yet: caption it first');
  const raters = [...new Set(s.assign?.raters ?? [])];
  const byImage = images.map((imageId) => ({
    imageId,
    groups: groupByText(sessionCandidates(db, imageId, s.candidates === 'all')),
  }));
  // pairwise: an item per pair of an image's distinct captions (two models, two decodings, or every
  // pair of its n-best: a caption is then in several pairs, migration 015)
  const items = s.kind === 'pairwise' ? byImage.flatMap(pairsOf) : byImage;
  if (!items.length) throw conflict('no image here has two different captions to compare');
  const id = insertSession(db, {
    name: s.name,
    blind: s.blind,
    guidelines: s.guidelines,
    overlap: s.assign ? s.assign.overlap : null,
    config: {
      rootId: s.rootId,
      sources: s.candidates === 'all' ? SESSION_ALL_SOURCES : SESSION_SOURCES,
      scale: '1-5',
      candidates: s.candidates,
      kind: s.kind,
    },
    items,
    queues: s.assign ? assignItems(items.length, raters, s.assign.overlap) : new Map(),
  });
  return {
    id,
    name: s.name,
    blind: s.blind,
    items: items.length,
    guidelines: s.guidelines,
    raters,
    overlap: s.assign ? s.assign.overlap : null,
    candidates: s.candidates,
    kind: s.kind,
  };
}

/** Every pair of an image's shown candidates, in slot order. */
function pairsOf(it: { imageId: number; groups: number[][] }): { imageId: number; groups: number[][] }[] {
  return it.groups.flatMap((a, i) =>
    it.groups.slice(i + 1).map((b) => ({ imageId: it.imageId, groups: [a, b] })),
  );
}

/** A per-rater, per-session order: the same every time this rater opens the item, different across raters. */
function shuffleKey(sessionId: number, rater: string, candidateId: number): string {
  return createHash('sha1').update(`${sessionId}\0${rater}\0${candidateId}`).digest('hex');
}

function session(db: DB, sessionId: number): SessionRow {
  const s = sessionRow(db, sessionId);
  if (!s) throw notFound(`no rating session with id ${sessionId}`);
  return s;
}

/** A caption's source as the owner reads it: model and decoding (and its rank in the n-best), or a human edit. */
export const sourceLabel = (r: ShownRow) =>
  r.source === 'human'
    ? 'human edit'
    : `${r.model}, ${decodingLabel(JSON.parse(r.config))}${r.rank > 0 ? `, candidate ${r.rank + 1}` : ''}`;

/** The rater's item at queue index `index` (default: where this rater resumes), as the rater sees it. */
export function sessionItem(db: DB, sessionId: number, rater: string, index?: number): SessionItem {
  const s = session(db, sessionId);
  return itemView(db, s, rater, raterId(db, rater), index);
}

function itemView(db: DB, s: SessionRow, rater: string, rid: number, index?: number): SessionItem {
  const sessionId = s.id;
  const { items: total, done } = enterSession(db, s, rid);
  if (!total)
    throw conflict(
      s.overlap === null
        ? `rating session ${sessionId} has no images`
        : `rating session ${sessionId} assigns no images to ${rater}`,
    );
  const open = firstOpen(db, sessionId, rid);
  const resumeAt = open === null ? total - 1 : indexOf(db, s, rid, open)!;
  const idx = Math.min(Math.max(index ?? resumeAt, 0), total - 1);
  const position = positionAt(db, s, rid, idx)!;
  const imageId = itemAt(db, sessionId, position)!.image_id;
  const f = fileOfImage(db, imageId);
  if (!f) throw notFound(`image ${imageId} of session ${sessionId} is no longer in the library`);
  const shown = new Map<number, { row: ShownRow; sources: string[] }>();
  for (const r of shownCandidates(db, sessionId, position, rid)) {
    const label = sourceLabel(r);
    const seen = shown.get(r.id);
    if (!seen) shown.set(r.id, { row: r, sources: [label] });
    else if (!seen.sources.includes(label)) seen.sources.push(label);
  }
  const ids = [...shown.keys()];
  // pairwise: left and right drawn per rater and item, blind or not
  const who = s.kind === 'pairwise' ? `${rater}\0${position}` : rater;
  const order =
    s.blind || s.kind === 'pairwise'
      ? ids.sort((a, b) => shuffleKey(sessionId, who, a).localeCompare(shuffleKey(sessionId, who, b)))
      : ids;
  const candidates = order.map((cid, i): RatingCandidate => {
    const { row, sources } = shown.get(cid)!;
    return {
      id: cid,
      label: s.blind ? `Caption ${String.fromCharCode(65 + i)}` : sources.join(' · '),
      text: row.text,
      value: row.value ?? null,
      best: row.best === 1,
    };
  });
  return {
    sessionId,
    name: s.name,
    guidelines: s.guidelines,
    position: idx,
    total,
    resumeAt,
    file: s.blind ? { fileId: f.id } : toImageRow(f),
    candidates,
    kind: s.kind,
    choice: s.kind === 'pairwise' ? currentVerdict(db, sessionId, rid, order[0], order[1]) : null,
    rated: done,
    ...actionState(db, sessionId, rid),
  };
}

/** The item showing a candidate, checked to be this rater's. */
function itemOf(db: DB, s: SessionRow, rid: number, rater: string, candidateId: number) {
  const position = checkInSession(db, s.id, candidateId);
  const index = indexOf(db, s, rid, position);
  if (index === undefined) throw conflict(`rating session ${s.id} does not assign this image to ${rater}`);
  return { position, index };
}

export function rate(
  db: DB,
  r: {
    sessionId: number;
    rater: string;
    candidateId: number;
    value?: number | null;
    best?: boolean;
    seq?: number;
  },
): SessionItem {
  const s = session(db, r.sessionId);
  if (s.kind === 'pairwise')
    throw conflict(`rating session ${s.id} compares pairs of captions: use ratings.prefer`);
  const rid = raterId(db, r.rater);
  enterSession(db, s, rid);
  const { position, index } = itemOf(db, s, rid, r.rater, r.candidateId);
  const siblings = [...new Set(shownCandidates(db, s.id, position, rid).map((c) => c.id))];
  if (!siblings.includes(r.candidateId))
    throw notFound(
      `candidate ${r.candidateId} is shown as another caption in rating session ${s.id}: rate that one`,
    );
  setRating(db, {
    sessionId: s.id,
    raterId: rid,
    imageId: itemAt(db, s.id, position)!.image_id,
    position,
    candidateId: r.candidateId,
    value: r.value,
    best: r.best,
    siblings,
    seq: r.seq,
  });
  return itemView(db, s, r.rater, rid, index);
}

/** Records a rater's pairwise verdict on the item showing `left` and `right` (as shown to the rater). */
export function prefer(
  db: DB,
  r: {
    sessionId: number;
    rater: string;
    left: number;
    right: number;
    choice: PairwiseChoice | null;
    seq?: number;
  },
): SessionItem {
  const s = session(db, r.sessionId);
  if (s.kind !== 'pairwise') throw conflict(`rating session ${s.id} scores captions: use ratings.set`);
  const rid = raterId(db, r.rater);
  enterSession(db, s, rid);
  const position = positionOfPair(db, s.id, r.left, r.right);
  if (position === undefined)
    throw notFound(`rating session ${s.id} shows no pair of ${r.left} and ${r.right}`);
  const index = indexOf(db, s, rid, position);
  if (index === undefined) throw conflict(`rating session ${s.id} does not assign this pair to ${r.rater}`);
  setVerdict(db, {
    sessionId: s.id,
    raterId: rid,
    imageId: itemAt(db, s.id, position)!.image_id,
    position,
    left: r.left,
    right: r.right,
    choice: r.choice,
    seq: r.seq,
  });
  return itemView(db, s, r.rater, rid, index);
}

/**
 * Reverts the rater's last action (or action `seq`, which must be the last one still in force;
 * undone already, a retry, changes nothing) and shows the item it touched.
 */
export function undo(db: DB, sessionId: number, rater: string, seq?: number): SessionItem {
  const s = session(db, sessionId);
  const rid = raterId(db, rater);
  enterSession(db, s, rid);
  const position = undoRating(db, sessionId, rid, seq);
  if (position === 'not-last')
    throw conflict(
      `action ${seq} of ${rater} in rating session ${sessionId} is not the last one: undo that first`,
    );
  return itemView(db, s, rater, rid, position === null ? undefined : indexOf(db, s, rid, position));
}

/** The position of the item showing a candidate; 404 for an unknown session or a candidate not in it. */
export function checkInSession(db: DB, sessionId: number, candidateId: number): number {
  session(db, sessionId);
  const position = positionOfCandidate(db, sessionId, candidateId);
  if (position === undefined)
    throw notFound(`candidate ${candidateId} is not part of rating session ${sessionId}`);
  return position;
}

/**
 * A caption edited while rating joins the item it was edited in at once: as a new candidate, or
 * as another source of the candidate that already has its text.
 */
export function addEditToSession(
  db: DB,
  sessionId: number,
  editedFrom: number,
  edit: { id: number; text: string },
) {
  const position = checkInSession(db, sessionId, editedFrom);
  const same = shownCandidates(db, sessionId, position, 0).find(
    (c) => c.source_id === c.id && captionKey(c.text) === captionKey(edit.text),
  );
  addToItem(db, sessionId, position, edit.id, same?.id);
}
