/**
 * The adjudication view on a real database file: every rater's judgments of an item side by side
 * (pairwise verdicts turned to the item's own A/B order, whatever each rater was shown), and the
 * final judgment the owner records, stored, replaced, withdrawn, deleted with its session, and the
 * caption a best export takes for the image.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoCaptionsEach } from '../../../test/fixtures/rated.ts';
import { call, openTestStudio } from '../../../test/fixtures/studio.ts';
import { exportRows } from '../export/select.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let rootId: number;
beforeAll(async () => {
  studio = openTestStudio();
  rootId = await twoCaptionsEach(studio, 2);
});
afterAll(() => studio?.close());

const finals = (sessionId: number) =>
  studio.db
    .prepare(
      'SELECT kind, candidate_id, other_id, value FROM adjudications WHERE session_id = ? ORDER BY position',
    )
    .all(sessionId);

describe('adjudication', () => {
  it('shows each rater’s verdict on the pair in A/B order, and records the final verdict', async () => {
    const s = await call(studio, 'sessions.create', { name: 'pairs', rootId, kind: 'pairwise' });
    const [A, B] = (await call(studio, 'sessions.review', { sessionId: s.id, position: 0 })).candidates;
    // each rater prefers the caption shown on the left (its own random side), or calls it a tie
    const expected: Record<string, string> = {};
    for (const [rater, choice] of [
      ['ada', 'a'],
      ['bea', 'a'],
      ['cy', 'b'],
      ['dee', 'tie'],
    ] as const) {
      const it = await call(studio, 'sessions.item', { sessionId: s.id, rater, position: 0 });
      const [left, right] = it.candidates.map((c) => c.id);
      await call(studio, 'ratings.prefer', { sessionId: s.id, rater, left, right, choice });
      const preferred = choice === 'a' ? left : choice === 'b' ? right : null;
      expected[rater] = preferred === null ? choice : preferred === A.id ? 'a' : 'b';
    }
    const seen = await call(studio, 'sessions.review', { sessionId: s.id, position: 0 });
    expect(Object.fromEntries(seen.raters.map((r) => [r.rater, r.choice]))).toEqual(expected);
    expect(seen.final).toBeNull();
    expect(seen.candidates.map((c) => c.id)).toEqual([A.id, B.id]);

    const decided = await call(studio, 'sessions.adjudicate', {
      sessionId: s.id,
      position: 0,
      final: { choice: 'b' },
    });
    expect(decided.final).toEqual({ choice: 'b' });
    expect(finals(s.id)).toEqual([{ kind: 'pairwise', candidate_id: A.id, other_id: B.id, value: 'b' }]);
    // a pairwise session takes a choice, not a best caption
    await expect(
      call(studio, 'sessions.adjudicate', { sessionId: s.id, position: 0, final: { best: A.id } }),
    ).rejects.toMatchObject({ status: 409 });
    // what deleting the session loses names the final verdict too, and it goes with the session
    const stakes = await call(studio, 'sessions.delete', { sessionId: s.id, dryRun: true });
    expect(stakes).toMatchObject({ judgments: 4, raters: 4, finals: 1 });
    await call(studio, 'sessions.delete', { sessionId: s.id });
    expect(finals(s.id)).toEqual([]);
  });

  it('shows scores and picks per rater, and records the best caption with its score', async () => {
    const s = await call(studio, 'sessions.create', { name: 'scores', rootId, blind: false });
    const [x, y] = (await call(studio, 'sessions.item', { sessionId: s.id, rater: 'ada', position: 1 }))
      .candidates;
    const set = (rater: string, candidateId: number, more: object) =>
      call(studio, 'ratings.set', { sessionId: s.id, rater, candidateId, ...more });
    await set('ada', x.id, { value: 2 });
    await set('ada', y.id, { value: 4, best: true });
    await set('bea', x.id, { value: 5, best: true });
    const seen = await call(studio, 'sessions.review', { sessionId: s.id, position: 1 });
    expect(seen.raters).toEqual([
      { rater: 'ada', scores: { [x.id]: 2, [y.id]: 4 }, best: y.id, choice: null },
      { rater: 'bea', scores: { [x.id]: 5 }, best: x.id, choice: null },
    ]);
    expect(seen.candidates.map((c) => c.text)).toEqual([x.text, y.text]);
    expect(seen.file.fileId).toBeGreaterThan(0);
    // the other item's judgments are not this one's
    expect((await call(studio, 'sessions.review', { sessionId: s.id, position: 0 })).raters).toEqual([]);

    const adj = (final: object | null) =>
      call(studio, 'sessions.adjudicate', { sessionId: s.id, position: 1, final: final as null });
    // export's best caption of this image: by the ratings y (mean 4 against 3.5), until the final says x
    const exported = () =>
      exportRows(studio.db, { policy: 'best', sessions: [s.id] })
        .filter((r) => r.image_id === seen.file.imageId)
        .map((r) => r.candidate_id);
    expect(exported()).toEqual([y.id]);
    expect((await adj({ best: y.id, score: 4 })).final).toEqual({ best: y.id, score: 4 });
    expect((await adj({ best: x.id })).final).toEqual({ best: x.id, score: null }); // replaces it
    expect(finals(s.id)).toEqual([{ kind: 'best', candidate_id: x.id, other_id: null, value: null }]);
    expect(exported()).toEqual([x.id]);
    expect((await call(studio, 'sessions.review', { sessionId: s.id, position: 1 })).final).toEqual({
      best: x.id,
      score: null,
    });
    // a caption of another item, a score out of range, a choice, an item that is not there
    const other = (await call(studio, 'sessions.review', { sessionId: s.id, position: 0 })).candidates[0];
    await expect(adj({ best: other.id })).rejects.toMatchObject({ status: 400, field: 'final.best' });
    await expect(adj({ best: x.id, score: 6 })).rejects.toMatchObject({ status: 400 });
    await expect(adj({ choice: 'a' })).rejects.toMatchObject({ status: 409 });
    await expect(
      call(studio, 'sessions.adjudicate', { sessionId: s.id, position: 9, final: null }),
    ).rejects.toMatchObject({ status: 404 });
    expect(finals(s.id)).toHaveLength(1); // nothing above changed it
    expect((await adj(null)).final).toBeNull();
    expect(finals(s.id)).toEqual([]);
    expect(exported()).toEqual([y.id]);
  });
});
