/**
 * Pairwise sessions on a real database and the shipped model: the two captions each image's run
 * returned, side by side; a verdict is stored as a judgment of (left, right) as shown, finishes
 * the item, is numbered like a rating (a retry applies once) and can be undone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let rootId: number;
beforeAll(async () => {
  studio = openTestStudio();
  rootId = (await addLibrary(studio, 3)).id;
  await captionRoot(studio, rootId, { num_beams: 3, num_return_sequences: 2 });
});
afterAll(() => studio?.close());

describe('pairwise sessions', () => {
  it('stores verdicts on pairs as shown, counts finished pairs, ignores a retried seq, undoes', async () => {
    const s = await call(studio, 'sessions.create', {
      name: 'ab',
      rootId,
      kind: 'pairwise',
      candidates: 'all',
    });
    expect(s).toMatchObject({ kind: 'pairwise', candidates: 'all' });
    const it0 = await call(studio, 'sessions.item', { sessionId: s.id, rater: 'ada', position: 0 });
    expect(it0).toMatchObject({ kind: 'pairwise', choice: null, rated: 0 });
    expect(it0.candidates).toHaveLength(2);
    const [left, right] = it0.candidates.map((c) => c.id);
    const prefer = (choice: 'a' | 'b' | 'tie' | 'bad', seq: number) =>
      call(studio, 'ratings.prefer', { sessionId: s.id, rater: 'ada', left, right, choice, seq });
    expect(await prefer('b', 1)).toMatchObject({ choice: 'b', rated: 1 });
    expect(await prefer('a', 1)).toMatchObject({ choice: 'b' }); // a retry of 1: ignored
    expect(await prefer('tie', 2)).toMatchObject({ choice: 'tie', rated: 1 });
    const rows = studio.db
      .prepare(
        "SELECT candidate_id, other_id, value, state FROM judgments WHERE session_id = ? AND kind = 'pairwise'",
      )
      .all(s.id);
    expect(rows).toEqual([
      { candidate_id: left, other_id: right, value: 'b', state: 'replaced' },
      { candidate_id: left, other_id: right, value: 'tie', state: 'current' },
    ]);
    expect(await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada', seq: 2 })).toMatchObject({
      position: 0,
      choice: 'b',
    });
    expect(await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' })).toMatchObject({
      choice: null,
      rated: 0,
    });
    // a pair the session does not show is refused
    await expect(
      call(studio, 'ratings.prefer', {
        sessionId: s.id,
        rater: 'ada',
        left,
        right: left + 1000,
        choice: 'a',
      }),
    ).rejects.toMatchObject({ status: 404 });
    // two raters on one pair: counted in Evaluation, with their agreement
    await prefer('a', 3);
    const bob = (await call(studio, 'sessions.item', { sessionId: s.id, rater: 'bob', position: 0 }))
      .candidates;
    await call(studio, 'ratings.prefer', {
      sessionId: s.id,
      rater: 'bob',
      left: bob[0].id,
      right: bob[1].id,
      choice: 'a',
    });
    const summary = await call(studio, 'eval.summary', {});
    expect(summary.pairwise).toMatchObject({
      verdicts: 2,
      ties: 0,
      pairs: 1,
      comparisons: 1,
      agreement: bob[0].id === left ? 1 : 0,
    });
  });
});
