/** The rating view's keys: what each one does, and the help that lists them. */

export type RatingAction =
  | { type: 'score'; value: number }
  | { type: 'focus'; step: -1 | 1 }
  | { type: 'move'; step: -1 | 1 }
  | { type: 'best' }
  | { type: 'edit' }
  | { type: 'undo' }
  | { type: 'help' };

/** The action of a key, and whether the key's own effect (scrolling, typing) is suppressed. */
export function ratingAction(key: string): { action: RatingAction; prevent: boolean } | null {
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
