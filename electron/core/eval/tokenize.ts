/**
 * Caption tokenisation as coco-caption evaluates: lower-case, Penn-Treebank-style splitting
 * (punctuation and clitics split off), then punctuation tokens dropped. coco-caption runs Stanford
 * CoreNLP's PTBTokenizer for this; we implement the rules that matter for captions in TypeScript
 * (no Java). Already-tokenised lower-case text without punctuation passes through unchanged.
 */

// coco-caption's PUNCTUATIONS list, plus the PTB bracket tokens
const PUNCTUATION = new Set([
  "''",
  "'",
  '``',
  '`',
  '-lrb-',
  '-rrb-',
  '-lcb-',
  '-rcb-',
  '.',
  '?',
  '!',
  ',',
  ':',
  '-',
  '--',
  '...',
  ';',
]);

export function ptbTokenize(text: string): string[] {
  let s = ` ${text.toLowerCase()} `;
  s = s.replace(/[\u2018\u2019]/g, "'").replace(/[\u201c\u201d]/g, '"');
  s = s.replace(/"/g, ' `` ');
  s = s.replace(/([()[\]{}])/g, ' $1 ');
  s = s.replace(/\.\.\./g, ' ... ');
  s = s.replace(/([,;:!?@#$%&])/g, ' $1 ');
  s = s.replace(/([^.])(\.)(\s|$)/g, '$1 $2$3'); // sentence-final periods; keeps "u.s." and "3.5"
  s = s.replace(/--/g, ' -- ');
  s = s.replace(/(\w)'(s|m|d|ll|re|ve)\b/g, "$1 '$2");
  s = s.replace(/(\w)n't\b/g, "$1 n't");
  s = s.replace(/(^|\s)'(?!(?:s|m|d|ll|re|ve)\s)(\S)/g, "$1' $2"); // opening quote, not a clitic
  s = s.replace(/(\S)'(\s|$)/g, "$1 '$2");
  return s.split(/\s+/).filter((t) => t && !PUNCTUATION.has(t) && !/^[()[\]{}]$/.test(t));
}

/** The form the scorers see: tokens joined by single spaces. */
export function normaliseCaption(text: string): string {
  return ptbTokenize(text).join(' ');
}
