/**
 * What a bulk edit's operation does to one caption (a pure function of its text) and how the
 * history names it. Preview and apply both run `transform`, so a preview's count is what apply
 * writes.
 */
import type { ParsedRequest } from '../api/contract.ts';

export type EditOperation = ParsedRequest<'edit.apply'>['op'];

const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** a letter or digit: what a whole word must not touch on either side */
const WORD = '\\p{L}\\p{N}';

/** Separators left dangling by a removal: doubled commas, a comma first or last, runs of spaces. */
function tidy(s: string): string {
  return s
    .replace(/\s*([,;])(\s*[,;])+/g, '$1')
    .replace(/^[\s,;]+|[\s,;]+$/g, '')
    .replace(/\s+([,;.])/g, '$1')
    .replace(/[ \t]{2,}/g, ' ');
}

function sentence(s: string): string {
  const lower = s.toLowerCase();
  return lower.replace(/\p{L}/u, (c) => c.toUpperCase());
}

function title(s: string): string {
  return s
    .toLowerCase()
    .replace(new RegExp(`(^|[^${WORD}'’])(\\p{L})`, 'gu'), (_, a, c) => a + c.toUpperCase());
}

/** The operation as a function of a caption's text. */
export function transform(op: EditOperation): (text: string) => string {
  switch (op.kind) {
    case 'replace': {
      const flags = `g${op.ignoreCase ? 'i' : ''}u`;
      const re = new RegExp(op.regex ? op.find : literal(op.find), flags);
      // a plain replacement is taken literally ($ included); a regular expression's may name groups
      return op.regex ? (t) => t.replace(re, op.replace) : (t) => t.replace(re, () => op.replace);
    }
    case 'prepend':
      return (t) => (t.startsWith(op.text) ? t : `${op.text}${op.separator}${t}`);
    case 'append':
      return (t) => (t.endsWith(op.text) ? t : `${t}${op.separator}${op.text}`);
    case 'strip': {
      const re = new RegExp(`(?<![${WORD}])${literal(op.text)}(?![${WORD}])`, 'giu');
      return (t) => {
        const out = t.replace(re, '');
        return out === t ? t : tidy(out);
      };
    }
    case 'case':
      return op.to === 'lower'
        ? (t) => t.toLowerCase()
        : op.to === 'upper'
          ? (t) => t.toUpperCase()
          : op.to === 'sentence'
            ? sentence
            : title;
    case 'whitespace':
      return (t) => t.trim().replace(/\s+/g, ' ');
    case 'set':
      return () => op.text;
  }
}

const quote = (s: string) => JSON.stringify(s);

/** The operation in words, for the history: `replace /cats?/i with "dog"`, `append "ohwx"`. */
export function describe(op: EditOperation): string {
  switch (op.kind) {
    case 'replace':
      return `replace ${op.regex ? `/${op.find}/${op.ignoreCase ? 'i' : ''}` : quote(op.find)} with ${quote(op.replace)}`;
    case 'prepend':
    case 'append':
      return `${op.kind} ${quote(op.text)}`;
    case 'strip':
      return `strip ${quote(op.text)}`;
    case 'case':
      return `${op.to} case`;
    case 'whitespace':
      return 'trim white space';
    case 'set':
      return `set to ${quote(op.text)}`;
  }
}
