/**
 * Numbered actions on a real database file: a client numbers each rating action (seq) from the
 * item's `seq`; a retry of a number already applied changes nothing, and undo names the action it
 * reverts, so a retried undo does not revert a second one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let rootId: number;
beforeAll(async () => {
  studio = openTestStudio();
  rootId = (await addLibrary(studio, 2)).id;
  await captionRoot(studio, rootId, {});
});
afterAll(() => studio?.close());

const judgments = (sessionId: number) =>
  studio.db
    .prepare(
      `SELECT j.seq, j.candidate_id, j.value, j.state FROM judgments j JOIN raters r ON r.id = j.rater_id
       WHERE j.session_id = ? AND r.name = 'ada' ORDER BY j.id`,
    )
    .all(sessionId) as { seq: number; candidate_id: number; value: number; state: string }[];

describe('numbered rating actions', () => {
  it('a retried action or undo is applied once; undo of an action that is not the last is refused', async () => {
    const s = await call(studio, 'sessions.create', { name: 'seq', rootId });
    const it0 = await call(studio, 'sessions.item', { sessionId: s.id, rater: 'ada' });
    expect(it0).toMatchObject({ seq: 0, lastAction: null });
    const c = it0.candidates[0].id;
    const set = (seq: number, value: number) =>
      call(studio, 'ratings.set', { sessionId: s.id, rater: 'ada', candidateId: c, value, seq });
    expect(await set(1, 4)).toMatchObject({ seq: 1, lastAction: 1 });
    // the retry of 1 (its answer lost) and a stale 1 with another value: both ignored
    await set(1, 4);
    expect((await set(1, 2)).candidates[0].value).toBe(4);
    expect(await set(2, 5)).toMatchObject({ seq: 2, lastAction: 2 });
    expect(judgments(s.id).map((j) => [j.seq, j.value, j.state])).toEqual([
      [1, 4, 'replaced'],
      [2, 5, 'current'],
    ]);
    // undo of 1 while 2 stands: refused, nothing changes
    await expect(
      call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada', seq: 1 }),
    ).rejects.toMatchObject({
      status: 409,
    });
    // undo of 2, then its retry: 1 stands
    const undo = () => call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada', seq: 2 });
    expect((await undo()).candidates[0].value).toBe(4);
    const again = await undo();
    expect(again.candidates[0].value).toBe(4);
    expect(again).toMatchObject({ seq: 2, lastAction: 1 });
    // the next action is numbered above every one used, undone ones included
    await expect(set(2, 1)).resolves.toMatchObject({ lastAction: 1 });
    expect((await set(3, 1)).candidates[0].value).toBe(1);
    // actions without a number (the CLI) are numbered by the server after them
    await call(studio, 'ratings.set', { sessionId: s.id, rater: 'ada', candidateId: c, value: 3 });
    expect(judgments(s.id).map((j) => [j.seq, j.value, j.state])).toEqual([
      [1, 4, 'replaced'],
      [2, 5, 'undone'],
      [3, 1, 'replaced'],
      [4, 3, 'current'],
    ]);
  });
});
