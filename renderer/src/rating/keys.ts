/** The rating view's keys: what each one does, and the help that lists them (scores, or a pairwise session's). */
import type { PairwiseChoice } from '../../../electron/core/api/options.ts';

export type RatingAction =
  | { type: 'score'; value: number }
  | { type: 'focus'; step: -1 | 1 }
  | { type: 'move'; step: -1 | 1 }
  | { type: 'best' }
  | { type: 'verdict'; choice: PairwiseChoice }
  | { type: 'edit' }
  | { type: 'undo' }
  | { type: 'help' };

/** A pairwise session's arrows: ← A, → B, ↓ tie, ↑ both bad. */
const VERDICT_KEYS: Record<string, PairwiseChoice> = {
  ArrowLeft: 'a',
  ArrowRight: 'b',
  ArrowDown: 'tie',
  ArrowUp: 'bad',
};

/** The action of a key, and whether the key's own effect (scrolling, typing) is suppressed. */
export function ratingAction(
  key: string,
  kind: 'scores' | 'pairwise' = 'scores',
): { action: RatingAction; prevent: boolean } | null {
  if (kind === 'pairwise') {
    if (key in VERDICT_KEYS) return { action: { type: 'verdict', choice: VERDICT_KEYS[key] }, prevent: true };
    if (key === 'Backspace') return { action: { type: 'move', step: -1 }, prevent: true };
    if (/^[1-5be]$/.test(key)) return null;
  }
  if (/^[1-5]$/.test(key)) return { action: { type: 'score', value: Number(key) }, prevent: true };
  switch (key) {
    case 'ArrowDown':
      return { action: { type: 'focus', step: 1 }, prevent: true };
    case 'ArrowUp':
      return { action: { type: 'focus', step: -1 }, prevent: true };
    case 'ArrowRight':
    case ' ':
      return { action: { type: 'move', step: 1 }, prevent: true };
    case 'ArrowLeft':
      return { action: { type: 'move', step: -1 }, prevent: true };
    case 'b':
      return { action: { type: 'best' }, prevent: false };
    case 'e':
      return { action: { type: 'edit' }, prevent: true };
    case 'u':
      return { action: { type: 'undo' }, prevent: false };
    case '?':
      return { action: { type: 'help' }, prevent: false };
    default:
      return null;
  }
}

export const HELP: [string, string][] = [
  ['1–5', 'rate the highlighted caption'],
  ['↑ ↓', 'highlight another caption'],
  ['→ or space', 'next image'],
  ['←', 'previous image'],
  ['b', 'pick the highlighted caption as the best of this image'],
  ['e', 'edit the highlighted caption (saved as a human caption)'],
  ['u', 'undo your last rating'],
  ['?', 'show or hide this help and the session’s guidelines'],
];

export const PAIRWISE_HELP: [string, string][] = [
  ['←', 'the left caption (A) is better'],
  ['→', 'the right caption (B) is better'],
  ['↓', 'a tie: both as good'],
  ['↑', 'both are bad'],
  ['space', 'skip to the next pair'],
  ['Backspace', 'back to the previous pair'],
  ['u', 'undo your last verdict'],
  ['?', 'show or hide this help and the session’s guidelines'],
];
