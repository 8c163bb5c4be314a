/**
 * Word statistics of captions (the tag-frequency view): the most frequent words and two-word
 * phrases of a target's current captions, each with how often it occurs and in how many captions.
 * Words are lower-cased runs of letters and digits (with inner apostrophes and hyphens); a few
 * English function words are not counted alone, and no phrase holds one, so "on the" never tops
 * the list while "red car" can.
 */
import type { DB } from '../../../db/open.ts';
import { targetCaptions } from '../../../db/queries/edits.ts';
import type { ParsedRequest } from '../api/contract.ts';
import type { WordStats } from '../api/edit.ts';

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;
const STOP = new Set(
  'a an the of on in at to and or with for from by is are it its this that there his her their as into over under near next'.split(
    ' ',
  ),
);

export function wordStats(db: DB, req: ParsedRequest<'edit.words'>): WordStats {
  const captions = targetCaptions(db, req);
  const counts = new Map<string, { count: number; images: number; last: number }>();
  const add = (text: string, caption: number) => {
    const c = counts.get(text) ?? { count: 0, images: 0, last: -1 };
    counts.set(text, c);
    c.count++;
    if (c.last !== caption) {
      c.images++;
      c.last = caption;
    }
  };
  captions.forEach((cap, i) => {
    const words = cap.text.toLowerCase().match(WORD) ?? [];
    words.forEach((w, k) => {
      if (STOP.has(w)) return;
      add(w, i);
      if (k > 0 && !STOP.has(words[k - 1])) add(`${words[k - 1]} ${w}`, i);
    });
  });
  const words = [...counts]
    .map(([text, { count, images }]) => ({ text, count, images }))
    .sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : 1))
    .slice(0, req.top);
  return { images: captions.length, words };
}
