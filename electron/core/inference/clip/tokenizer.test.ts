import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR } from '../../../../test/fixtures/bundles.ts';
import { ClipTokenizer, CONTEXT_LENGTH, END_TOKEN, START_TOKEN } from './tokenizer.ts';

const MERGES = resolve(MODELS_DIR, 'fixtures/clip/bpe_simple_vocab_16e6.txt.gz');
const REFERENCE = resolve(MODELS_DIR, 'scorer/clip_tokenizer.py');
const tok = ClipTokenizer.fromMergesFile(MERGES);

/** The independent Python implementation (models/scorer/clip_tokenizer.py) on `texts`. */
function reference(texts: string[]): number[][] {
  const r = spawnSync('/usr/bin/python3', [REFERENCE, MERGES], {
    input: JSON.stringify(texts),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`reference tokenizer failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Deterministic varied strings: words, case, punctuation, digits, accents, scripts, emoji, long words. */
function variedStrings(n: number): string[] {
  let seed = 28;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const words = [
    'a',
    'photo',
    'of',
    'cat',
    'Dog',
    'RUNNING',
    'on',
    'the',
    'beach',
    'skateboarder',
    'giraffe',
  ];
  const accents = [
    'café',
    'naïve',
    'Über',
    'señor',
    'façade',
    'Ørsted',
    'Åland',
    'crème brûlée',
    'e\u0301t\u00e9',
  ];
  const scripts = ['кошка', 'Σοφία ΟΔΟΣ', '東京タワー', '고양이', 'مرحبا', 'שלום', 'नमस्ते', 'İstanbul'];
  const emoji = ['🐶', '👍🏽', '🇫🇷', '❤️', '👨‍👩‍👧', '🎉🎉', '☕'];
  const punct = [
    '!',
    '?!',
    '...',
    ',',
    '"',
    "'s",
    "'RE",
    "'ll",
    "'d",
    '—',
    '(',
    ')',
    '&amp;',
    '#',
    '@',
    '/',
    ':-)',
  ];
  const digits = ['3.14', '1,000', '2024', '0', '42nd', '½', '٣', '1st'];
  const specials = ['<|startoftext|>', '<|endoftext|>', '<|ENDOFTEXT|>'];
  const spaces = [' ', ' ', ' ', '  ', '\t', '\n', '\u00a0', '\u3000'];
  const longWord = () => {
    const letters = 'abcdefghijklmnopqrstuvwxyzéß';
    let w = '';
    for (let k = 20 + Math.floor(rnd() * 30); k > 0; k--) w += pick(Array.from(letters));
    return w;
  };
  const pools = [words, words, words, accents, scripts, emoji, punct, punct, digits, specials];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    const parts = 1 + Math.floor(rnd() * (i % 10 === 0 ? 120 : 12));
    for (let k = 0; k < parts; k++) {
      const part = rnd() < 0.06 ? longWord() : pick(pick(pools));
      s += (rnd() < 0.25 ? '' : pick(spaces)) + (rnd() < 0.1 ? part.toUpperCase() : part);
    }
    out.push(s);
  }
  return out;
}

describe('CLIP tokenizer', () => {
  it('builds the 49408-id vocabulary and encodes the known ids', () => {
    expect(tok.vocabSize).toBe(49408);
    expect(tok.encode('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    // lower-casing and whitespace collapse
    expect(tok.encode('  A   PHOTO\tof a\nCat ')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
  });

  it('truncates to 77 ids and keeps the end token', () => {
    const long = Array.from({ length: 200 }, () => 'cat').join(' ');
    const ids = tok.encode(long);
    expect(ids).toHaveLength(CONTEXT_LENGTH);
    expect(ids[0]).toBe(START_TOKEN);
    expect(ids[CONTEXT_LENGTH - 1]).toBe(END_TOKEN);
    expect(ids.slice(1, -1).every((id) => id === 2368)).toBe(true);
    // exactly 75 words fit: no truncation, 76 words: the last is dropped, not the end token
    expect(tok.encode(Array(75).fill('cat').join(' '))).toHaveLength(77);
    expect(tok.encode(Array(76).fill('cat').join(' '))).toEqual(tok.encode(Array(75).fill('cat').join(' ')));
  });

  it('pads a batch with the end token', () => {
    const { ids, dims } = tok.batch(['a cat', 'a photo of a cat']);
    expect(dims).toEqual([2, 7]);
    expect(Array.from(ids.slice(0, 7), Number)).toEqual([49406, 320, 2368, 49407, 49407, 49407, 49407]);
  });

  it('agrees with an independent Python implementation on 600 varied strings', () => {
    const texts = variedStrings(600);
    // the generator must produce what the claim says: truncated ones, emoji, accents, digits
    const ours = texts.map((t) => tok.encode(t));
    expect(ours.filter((ids) => ids.length === CONTEXT_LENGTH).length).toBeGreaterThan(20);
    expect(texts.filter((t) => /\p{Extended_Pictographic}/u.test(t)).length).toBeGreaterThan(50);
    expect(texts.filter((t) => /[éüñçøå]/iu.test(t)).length).toBeGreaterThan(50);
    expect(texts.filter((t) => /\d/u.test(t)).length).toBeGreaterThan(50);
    const theirs = reference(texts);
    const mismatches = texts.filter((_, i) => JSON.stringify(ours[i]) !== JSON.stringify(theirs[i]));
    expect(mismatches).toEqual([]);
  });
});
