import { describe, expect, it } from 'vitest';
import { DEFAULT_DECODING } from '../../api/decoding.ts';
import { type BeamCandidate, BeamScorer } from './beam-scorer.ts';

const EOS = 2;
const d = {
  ...DEFAULT_DECODING,
  num_beams: 2,
  num_return_sequences: 2,
  length_penalty: 1,
  early_stopping: false,
};
const step = (scorer: BeamScorer<null>, candidates: [token: number, score: number][]) =>
  scorer.process(
    0,
    candidates.map(([token, score], beam): BeamCandidate => ({ token, score, beam: beam % 2 })),
    2,
    () => ({ tokens: [EOS], payload: null }),
  );

/** A scorer for one image, 2 beams, holding one finished hypothesis (score -3.2 / 2 = -1.6). */
function withOneFinished(): BeamScorer<null> {
  const scorer = new BeamScorer<null>(1, d, EOS);
  step(scorer, [
    [EOS, -3.2],
    [3, -3.5],
    [4, -3.6],
    [7, -5],
  ]);
  return scorer;
}

describe('BeamScorer stopping bound (transformers >= 4.50)', () => {
  it('bounds with the best running beam, not with an EOS candidate ranked above it', () => {
    const scorer = withOneFinished();
    expect(scorer.isDone(0)).toBe(false); // one finished of two
    const next = step(scorer, [
      [EOS, -1.0],
      [5, -4.0],
      [6, -4.2],
      [8, -6],
    ]);
    // two finished (-0.5, -1.6); best running -4.0 / 2 = -2.0 cannot beat -1.6: done.
    // (4.38-4.48 took the EOS's -1.0 / 2 = -0.5 as the bound and searched on.)
    expect(next.map((c) => c.token)).toEqual([5, 6]);
    expect(scorer.isDone(0)).toBe(true);
  });

  it('goes on while the best running beam can still beat the worst finished one', () => {
    const scorer = withOneFinished();
    step(scorer, [
      [EOS, -1.0],
      [5, -3.0],
      [6, -4.2],
      [8, -6],
    ]); // -3.0 / 2 = -1.5 beats -1.6
    expect(scorer.isDone(0)).toBe(false);
  });
});
