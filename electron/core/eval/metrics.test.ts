import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentFrequencies, lcsLength, scoreCaptions } from './metrics.ts';
import { ptbTokenize } from './tokenize.ts';

const GOLDEN = join(import.meta.dirname, 'testdata/coco-caption-metrics.json');

interface GoldenItem {
  references: string[];
  hypothesis: string;
  bleu: number[];
  cider_d: number;
  rouge_l: number;
}

describe('coco-caption parity (testdata/, golden from the original scorers)', () => {
  const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as {
    corpus: { bleu: number[]; cider_d: number; rouge_l: number };
    items: GoldenItem[];
  };
  const { corpus, perImage } = scoreCaptions(golden.items, { pretokenized: true });

  // The original scorers compute in float64 too, with the same smoothing constants; only the
  // order of sums and libm's last bit differ (measured: 5.6e-17 corpus, 4.4e-16 per image, on
  // scores up to 10 whose float64 step is 1.8e-15). 1e-12 (12 digits: 5e-13) leaves ~300 steps.
  it('corpus BLEU-1..4, CIDEr-D and ROUGE-L within 1e-12', () => {
    corpus.bleu.forEach((b, k) => {
      expect(b).toBeCloseTo(golden.corpus.bleu[k], 12);
    });
    expect(corpus.cider_d).toBeCloseTo(golden.corpus.cider_d, 12);
    expect(corpus.rouge_l).toBeCloseTo(golden.corpus.rouge_l, 12);
  });

  it('per-image scores within 1e-12 for all 300 items', () => {
    expect(perImage).toHaveLength(golden.items.length);
    let worst = 0;
    golden.items.forEach((g, i) => {
      for (let k = 0; k < 4; k++) worst = Math.max(worst, Math.abs(perImage[i].bleu[k] - g.bleu[k]));
      worst = Math.max(
        worst,
        Math.abs(perImage[i].cider_d - g.cider_d),
        Math.abs(perImage[i].rouge_l - g.rouge_l),
      );
    });
    expect(worst).toBeLessThan(1e-12);
  });

  it('tokenising the already-tokenised golden captions changes nothing', () => {
    const raw = scoreCaptions(golden.items.slice(0, 50));
    const pre = scoreCaptions(golden.items.slice(0, 50), { pretokenized: true });
    expect(raw.corpus).toEqual(pre.corpus);
  });
});

describe('hand-computed cases', () => {
  it('BLEU of an exact match is 1 and of a disjoint hypothesis ~0', () => {
    const exact = scoreCaptions([
      { references: ['a red circle above a blue square'], hypothesis: 'a red circle above a blue square' },
    ]);
    // 1 up to the smoothing constants (1e-9 relative) and float64 rounding
    exact.corpus.bleu.forEach((b) => {
      expect(b).toBeCloseTo(1, 9);
    });
    const none = scoreCaptions([{ references: ['a red circle'], hypothesis: 'two green dogs' }]);
    expect(none.corpus.bleu[0]).toBeLessThan(1e-9); // 0 up to the 1e-15 smoothing
  });

  it('BLEU clips repeated words and applies the brevity penalty against the closest reference', () => {
    // hyp "the the the" vs ref "the cat": clipped unigram precision 1/3; c=3 > r=2 so no penalty
    const r = scoreCaptions([{ references: ['the cat'], hypothesis: 'the the the' }]);
    // hand-computed values: float64 and the 1e-9 smoothing only (9 digits; 8 after exp/log)
    expect(r.perImage[0].bleu[0]).toBeCloseTo(1 / 3, 9);
    // hyp "a cat" (2 words), refs of 3 and 6 words: closest is 3 -> BP = exp(1 - 3/2)
    const b = scoreCaptions([{ references: ['a cat sat', 'a cat sat on the mat'], hypothesis: 'a cat' }]);
    expect(b.perImage[0].bleu[0]).toBeCloseTo(Math.exp(1 - 3 / 2), 8);
    // tie between 1-word and 3-word references for a 2-word hypothesis: the shorter (1) wins, no penalty
    const t = scoreCaptions([{ references: ['cat', 'a cat sat'], hypothesis: 'a cat' }]);
    expect(t.perImage[0].bleu[0]).toBeCloseTo(1, 9);
  });

  it('ROUGE-L is the beta=1.2 F-measure of the LCS', () => {
    expect(lcsLength('a b c d'.split(' '), 'a c d e'.split(' '))).toBe(3);
    const r = scoreCaptions([{ references: ['a b c d'], hypothesis: 'a c d e f' }]).perImage[0].rouge_l;
    const p = 3 / 5;
    const rec = 3 / 4;
    expect(r).toBeCloseTo(((1 + 1.44) * p * rec) / (rec + 1.44 * p), 12); // float64 rounding only
  });

  it('CIDEr-D: an n-gram in every image has idf 0; a unique exact match scores 10 x mean cosine', () => {
    // Two images; "x" appears in both (idf 0), other words unique to each image.
    const items = [
      { references: ['x a b c d'], hypothesis: 'x a b c d' },
      { references: ['x e f g h'], hypothesis: 'y' },
    ];
    const { perImage } = scoreCaptions(items);
    // image 0: hypothesis equals its only reference: each n-gram order has cosine 1, except that
    // unigram "x" carries zero weight (identical on both sides) -> still cosine 1; x 10
    expect(perImage[0].cider_d).toBeCloseTo(10, 9); // cosines of equal vectors: float64 rounding only
    expect(perImage[1].cider_d).toBe(0);
    const df = documentFrequencies([[['x', 'a']], [['x', 'b']]]);
    expect(df.df.get('x')).toBe(2);
    expect(df.df.get('x a')).toBe(1);
  });

  it('CIDEr-D penalises length differences with sigma 6 on bigram counts', () => {
    const refs = ['a b c d e f g h i j k l'];
    const filler = Array.from({ length: 40 }, (_, i) => ({
      references: [`w${i} v${i}`],
      hypothesis: `w${i}`,
    }));
    const short = scoreCaptions([{ references: refs, hypothesis: 'a b c d e f' }, ...filler]).perImage[0]
      .cider_d;
    const full = scoreCaptions([{ references: refs, hypothesis: refs[0] }, ...filler]).perImage[0].cider_d;
    expect(full).toBeCloseTo(10, 9);
    // the Gaussian penalty of a 6-bigram difference, plus float64 rounding (1e-9 of a score of 10)
    expect(short).toBeLessThan(full * Math.exp(-(6 * 6) / (2 * 36)) + 1e-9);
  });

  it('warns when the idf comes from too few images', () => {
    const warnings: string[] = [];
    scoreCaptions([{ references: ['a b'], hypothesis: 'a b' }], { warn: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/idf from only 1 images/);
  });
});

describe('PTB-style tokenisation', () => {
  it('lower-cases, splits clitics and drops punctuation', () => {
    expect(ptbTokenize('A dog, running.')).toEqual(['a', 'dog', 'running']);
    expect(ptbTokenize("The man's hat isn't red!")).toEqual(['the', 'man', "'s", 'hat', 'is', "n't", 'red']);
    expect(ptbTokenize('A "big" (red) bus -- on 5.5 st.')).toEqual([
      'a',
      'big',
      'red',
      'bus',
      'on',
      '5.5',
      'st',
    ]);
  });
});
