import { describe, expect, it } from 'vitest';
import { pairAgreement, pairwiseRanking, type SourceVerdict } from './pairwise.ts';

describe('pairwise ranking', () => {
  it('two sources: the Bradley–Terry strength is the win share, the interval brackets it, ties count as not won', () => {
    // with two players the MLE is p_A = wins_A / (wins_A + wins_B) exactly
    const vs: SourceVerdict[] = [
      ...Array.from({ length: 14 }, (): SourceVerdict => ({ a: 'A', b: 'B', choice: 'a' })),
      ...Array.from({ length: 6 }, (): SourceVerdict => ({ a: 'B', b: 'A', choice: 'a' })),
      { a: 'A', b: 'B', choice: 'tie' },
      { a: 'A', b: 'B', choice: 'bad' },
    ];
    const [first, second] = pairwiseRanking(vs);
    // the MM iterations stop at a change below 1e-12: that is the tolerance
    expect(first.source).toBe('A');
    expect(first.strength).toBeCloseTo(14 / 20, 10);
    expect(second.strength).toBeCloseTo(6 / 20, 10);
    expect(first.lo).toBeLessThan(first.strength);
    expect(first.hi).toBeGreaterThan(first.strength);
    expect(first.winRate).toBe(14 / 22);
    expect(second.winRate).toBe(6 / 22);
    expect(pairwiseRanking(vs)).toEqual(pairwiseRanking(vs)); // seeded: reproducible
  });

  it('agreement over the pairs two raters judged', () => {
    expect(
      pairAgreement([
        { pair: '1-2', rater: 'ada', verdict: '1' },
        { pair: '1-2', rater: 'bob', verdict: '1' },
        { pair: '3-4', rater: 'ada', verdict: 'tie' },
        { pair: '3-4', rater: 'bob', verdict: '4' },
        { pair: '5-6', rater: 'ada', verdict: '5' },
      ]),
    ).toEqual({ pairs: 2, comparisons: 2, agreement: 0.5 });
  });
});
