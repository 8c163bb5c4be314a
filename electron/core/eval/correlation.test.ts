import { describe, expect, it } from 'vitest';
import { bootstrapTauC, kendallTauC } from './correlation.ts';

describe("Kendall's tau-c", () => {
  it('equals hand-computed values: 2 (P - Q) / (n^2 (m - 1) / m)', () => {
    expect(kendallTauC([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTauC([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // x = 1,2,2,3; y = 1,3,2,3: P = 4, Q = 0 (pair (1,2) ties in x, (1,3) in y); m = 3:
    // 2 * 4 / (16 * 2/3) = 3/4 (tau-b of the same data is 4/5)
    expect(kendallTauC([1, 2, 2, 3], [1, 3, 2, 3])).toBeCloseTo(0.75, 12); // float64 rounding only
    // scores against a two-level judgement: x = .1,.4,.35,.8; y = 0,0,1,1: P = 3, Q = 1
    // ((.4, 0) vs (.35, 1)), m = 2: 2 * 2 / (16 * 1/2) = 1/2
    expect(kendallTauC([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.5, 12);
    expect(kendallTauC([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => kendallTauC([1], [1, 2])).toThrow(/differ in length/);
  });

  it("the bootstrap interval is the hand-derived resampling distribution's 2.5 and 97.5 percentiles", () => {
    // x = 1,2,3; y = 1,3,2: tau-c = 2 (2 - 1) / (9 * 2/3) = 1/3. Of the 27 equally likely
    // resamples, 3 repeat one pair (tau-c undefined: left out), 6 are a permutation (1/3), and 18
    // hold two distinct pairs {a,a,b}: m = 2, P - Q = +-2, tau-c = +-8/9, negative only for the
    // discordant pair {2,3} (6 of 18). So, of the defined ones: -8/9 w.p. 1/4, 1/3 w.p. 1/4,
    // 8/9 w.p. 1/2; the 2.5 and 97.5 percentiles are -8/9 and 8/9.
    const ci = bootstrapTauC([1, 2, 3], [1, 3, 2], 4000, 3);
    expect(ci.tau).toBeCloseTo(1 / 3, 12);
    expect(ci.lo).toBeCloseTo(-8 / 9, 12);
    expect(ci.hi).toBeCloseTo(8 / 9, 12);
    // 1/9 of resamples are degenerate: 4000/9 = 444 +- 3 sd (sd = sqrt(4000 * 1/9 * 8/9) = 19.9)
    expect(Math.abs(ci.degenerate - 4000 / 9)).toBeLessThan(60);
    expect(bootstrapTauC([1, 2, 3], [1, 3, 2], 500, 7)).toEqual(bootstrapTauC([1, 2, 3], [1, 3, 2], 500, 7));
  });

  it('a larger sample: the interval holds tau and narrows with more pairs', () => {
    const r = (i: number) => ((i * 7919) % 101) / 101;
    const mk = (n: number) => {
      const x = Array.from({ length: n }, (_, i) => r(i));
      const y = x.map((v, i) => Math.round((v + 0.5 * r(i + 1000)) * 4)); // a noisy 0-6 rating
      return bootstrapTauC(x, y, 1000, 1);
    };
    const small = mk(20);
    const big = mk(200);
    for (const c of [small, big]) expect(c.lo <= c.tau && c.tau <= c.hi).toBe(true);
    expect(big.hi - big.lo).toBeLessThan(small.hi - small.lo);
  });
});
