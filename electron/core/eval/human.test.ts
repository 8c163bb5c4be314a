import { describe, expect, it } from 'vitest';
import { bootstrapMean, bradleyTerry, kendallTau, krippendorffAlpha, pairwiseComparisons } from './human.ts';

// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the worked example:
// 4 coders (A-D) x 12 units, values 1-5, '.' = missing. Published: nominal .743, interval .849.
const K2011 = [
  [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
  [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
  [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
  [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
];
const units = K2011[0].map((_, u) => K2011.map((coder) => coder[u]).filter((v): v is number => v !== null));

describe("Krippendorff's alpha", () => {
  it('reproduces the published worked example', () => {
    // the paper prints 3 decimals: that is the reference's precision
    expect(krippendorffAlpha(units, 'nominal')).toBeCloseTo(0.743, 3);
    expect(krippendorffAlpha(units, 'interval')).toBeCloseTo(0.849, 3);
    expect(krippendorffAlpha(units, 'ordinal')).toBeCloseTo(0.815, 3);
  });

  it('is 1 for perfect agreement and ignores units with a single value', () => {
    expect(krippendorffAlpha([[1, 1], [3, 3, 3], [5, 5], [2]], 'ordinal')).toBe(1);
  });

  it('hand case: two coders, two units, total disagreement', () => {
    // units (1,2) and (2,1): o = [[0,2],[2,0]], n = 4, D_o = 4 (nominal), D_e = 2*2*2 = 8: 1 - 3*4/8 = -0.5
    expect(
      krippendorffAlpha(
        [
          [1, 2],
          [2, 1],
        ],
        'nominal',
      ),
    ).toBeCloseTo(-0.5, 12); // exact arithmetic on small integers: float64 rounding only
  });
});

describe('Bradley–Terry', () => {
  it('two players: strength share equals the win share', () => {
    const bt = bradleyTerry([
      { winner: 'a', loser: 'b' },
      { winner: 'a', loser: 'b' },
      { winner: 'a', loser: 'b' },
      { winner: 'b', loser: 'a' },
    ]);
    // an iterative fit, stopped when a step changes less than 1e-12 (human.ts): 9 digits
    expect(bt.get('a')! / (bt.get('a')! + bt.get('b')!)).toBeCloseTo(0.75, 9);
  });

  it('recovers strengths 4:2:1 from win counts that match them exactly', () => {
    // P(a>b)=4/6, P(a>c)=4/5, P(b>c)=2/3 with counts in those proportions
    const games = (w: string, l: string, n: number) =>
      Array.from({ length: n }, () => ({ winner: w, loser: l }));
    const bt = bradleyTerry([
      ...games('a', 'b', 6),
      ...games('b', 'a', 3),
      ...games('a', 'c', 8),
      ...games('c', 'a', 2),
      ...games('b', 'c', 6),
      ...games('c', 'b', 3),
    ]);
    // the fit stops on a step below 1e-12, short of the optimum by a little more (measured 7.6e-13):
    // 9 digits, as above
    expect(bt.get('a')).toBeCloseTo(4 / 7, 9);
    expect(bt.get('b')).toBeCloseTo(2 / 7, 9);
    expect(bt.get('c')).toBeCloseTo(1 / 7, 9);
  });
});

describe('Kendall tau and bootstrap', () => {
  it('tau-b: +1, -1 and a hand case with ties', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // x = 1,2,2,3 ; y = 1,3,2,3: pairs C=4, D=0, ties only in x: 1, only in y: 1 -> 4 / sqrt(5*5)
    expect(kendallTau([1, 2, 2, 3], [1, 3, 2, 3])).toBeCloseTo(4 / 5, 12); // float64 rounding only
  });

  it('bootstrap interval contains the mean and narrows with more data', () => {
    const small = bootstrapMean([1, 5, 3, 4, 2]);
    const big = bootstrapMean(Array.from({ length: 500 }, (_, i) => 1 + (i % 5)));
    expect(small.lo).toBeLessThanOrEqual(small.mean);
    expect(small.hi).toBeGreaterThanOrEqual(small.mean);
    expect(big.hi - big.lo).toBeLessThan(small.hi - small.lo);
    expect(bootstrapMean([1, 2, 3], 500, 7)).toEqual(bootstrapMean([1, 2, 3], 500, 7));
  });
});

describe('pairwise verdicts', () => {
  it('give a win to the side preferred, none for ties and both bad, and rank by Bradley–Terry', () => {
    const v = (choice: 'a' | 'b' | 'tie' | 'bad', a = 'model x', b = 'model y') => ({ a, b, choice });
    // x shown left 3 times and right once: x wins 3 (2 as A, 1 as B), y wins 1
    const r = pairwiseComparisons([
      v('a'),
      v('b'),
      v('a'),
      v('tie'),
      v('bad'),
      v('bad'),
      v('b', 'model y', 'model x'),
    ]);
    expect(r.ties).toBe(1);
    expect(r.bothBad).toBe(2);
    expect(r.comparisons).toEqual([
      { winner: 'model x', loser: 'model y' },
      { winner: 'model y', loser: 'model x' },
      { winner: 'model x', loser: 'model y' },
      { winner: 'model x', loser: 'model y' },
    ]);
    // two players: the MLE is p_x / (p_x + p_y) = wins_x / games = 3/4, which one MM step reaches;
    // the tolerance is float rounding
    const bt = bradleyTerry(r.comparisons);
    expect(Math.abs(bt.get('model x')! - 0.75)).toBeLessThan(1e-9);
  });
});
