/**
 * Rating sessions on a real database file: what each rater sees (blind letters, a per-rater
 * order), ratings and best-of-N picks committed at once, undo, and where a returning rater resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../e2e/support/studio.ts';
import type { SessionItem } from '../api/types.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let rootId: number;
beforeAll(async () => {
  studio = openTestStudio();
  const lib = await addLibrary(studio, 3);
  rootId = lib.id;
  // three sources per image: greedy, beam 3, and a human edit of one
  await captionRoot(studio, rootId, {});
  await captionRoot(studio, rootId, { num_beams: 3 });
  const first = (await call(studio, 'library.images', { rootId })).items[0];
  const [run] = (await call(studio, 'image.get', { fileId: first.fileId })).runs;
  await call(studio, 'candidate.edit', { candidateId: run.candidates[0].id, text: 'written by a person' });
});
afterAll(() => studio?.close());

const item = (sessionId: number, rater: string, position?: number) =>
  call(studio, 'sessions.item', { sessionId, rater, position });
const values = (it: SessionItem) => it.candidates.map((c) => c.value);

describe('rating sessions', () => {
  it('a blind session hides sources behind letters, in an order of each rater’s own', async () => {
    const s = await call(studio, 'sessions.create', { name: 'blind', rootId });
    expect(s).toMatchObject({ blind: true, items: 3 });
    const ada = await item(s.id, 'ada', 0);
    expect(ada.candidates.map((c) => c.label)).toEqual(['Caption A', 'Caption B', 'Caption C']);
    expect(ada.candidates.map((c) => c.text)).toContain('written by a person');
    // the same rater sees the same order every time; raters differ (over the session's items)
    expect((await item(s.id, 'ada', 0)).candidates.map((c) => c.id)).toEqual(ada.candidates.map((c) => c.id));
    const orders = async (rater: string) =>
      (await Promise.all([0, 1, 2].map((p) => item(s.id, rater, p)))).map((i) =>
        i.candidates.map((c) => c.id),
      );
    const raters = ['ada', 'bob', 'cy', 'dee', 'eve'];
    const all = await Promise.all(raters.map(orders));
    expect(new Set(all.map((o) => JSON.stringify(o))).size).toBeGreaterThan(1);
  });

  it('an open session names the model and decoding of each caption', async () => {
    const s = await call(studio, 'sessions.create', { name: 'open', rootId, blind: false });
    const labels = (await item(s.id, 'ada', 0)).candidates.map((c) => c.label);
    // run by run, each run's human edits after its model candidate
    expect(labels).toEqual(['default, greedy', 'human edit', 'default, beam 3']);
  });

  it('ratings and best picks commit at once; a best pick moves; undo walks back one action at a time', async () => {
    const s = await call(studio, 'sessions.create', { name: 'undo', rootId });
    const it0 = await item(s.id, 'ada');
    expect(it0).toMatchObject({ position: 0, resumeAt: 0, rated: 0, total: 3 });
    const [a, b, c] = it0.candidates;
    await call(studio, 'ratings.set', { sessionId: s.id, rater: 'ada', candidateId: a.id, value: 4 });
    await call(studio, 'ratings.set', { sessionId: s.id, rater: 'ada', candidateId: b.id, value: 2 });
    let now = await call(studio, 'ratings.set', {
      sessionId: s.id,
      rater: 'ada',
      candidateId: a.id,
      best: true,
    });
    expect(values(now)).toEqual([4, 2, null]);
    expect(now.candidates.map((x) => x.best)).toEqual([true, false, false]);
    now = await call(studio, 'ratings.set', { sessionId: s.id, rater: 'ada', candidateId: c.id, best: true });
    expect(now.candidates.map((x) => x.best)).toEqual([false, false, true]);
    // undo: the pick of C (which also cleared A's) comes back as one action
    now = await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' });
    expect(now.candidates.map((x) => x.best)).toEqual([true, false, false]);
    now = await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' });
    expect(now.candidates.map((x) => x.best)).toEqual([false, false, false]);
    now = await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' });
    expect(values(now)).toEqual([4, null, null]);
    // another rater's ratings are theirs alone
    expect(values(await item(s.id, 'bob', 0))).toEqual([null, null, null]);
    // nothing left to undo for bob: the item he is on, unchanged
    expect((await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'bob' })).position).toBe(0);
  });

  it('a returning rater resumes at the first image not fully rated', async () => {
    const s = await call(studio, 'sessions.create', { name: 'resume', rootId });
    for (const pos of [0, 1]) {
      const it = await item(s.id, 'ada', pos);
      for (const cand of it.candidates.slice(0, pos === 0 ? 3 : 1))
        await call(studio, 'ratings.set', { sessionId: s.id, rater: 'ada', candidateId: cand.id, value: 3 });
    }
    const back = await item(s.id, 'ada');
    expect(back).toMatchObject({ position: 1, resumeAt: 1, rated: 1 });
    expect(values(back).filter((v) => v !== null)).toHaveLength(1);
    // a position past the end shows the last image
    expect((await item(s.id, 'ada', 99)).position).toBe(2);
  });

  it('refuses what does not belong: other sessions’ captions, unknown sessions, bad values', async () => {
    const s1 = await call(studio, 'sessions.create', { name: 'one', rootId, limit: 1 });
    const s2 = await call(studio, 'sessions.create', { name: 'two', rootId });
    const third = (await item(s2.id, 'ada', 2)).candidates[0];
    await expect(
      call(studio, 'ratings.set', { sessionId: s1.id, rater: 'ada', candidateId: third.id, value: 3 }),
    ).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/not part of rating session/) });
    await expect(item(999, 'ada')).rejects.toMatchObject({ status: 404 });
    await expect(
      call(studio, 'ratings.set', { sessionId: s2.id, rater: 'ada', candidateId: third.id, value: 6 }),
    ).rejects.toMatchObject({ status: 400, field: 'value' });
    const empty = await addLibrary(studio, 1);
    await expect(call(studio, 'sessions.create', { name: 'x', rootId: empty.id })).rejects.toMatchObject({
      status: 409,
    });
    expect((await call(studio, 'sessions.list', {}))[0]).toMatchObject({ id: s2.id, name: 'two', items: 3 });
  });
});
