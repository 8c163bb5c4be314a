/**
 * The owner's care of sessions on a real database file: rename, and delete after being told what
 * is lost (the session's judgments, from how many raters, and which rater links stop reaching it).
 * A deleted session's links stop reaching it at once; another session's judgments stay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoCaptionsEach } from '../../../test/fixtures/rated.ts';
import { call, openTestStudio } from '../../../test/fixtures/studio.ts';
import { raterOf } from '../access/links.ts';
import { callAs } from '../access/scope.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let rootId: number;
beforeAll(async () => {
  studio = openTestStudio();
  rootId = await twoCaptionsEach(studio, 3);
});
afterAll(() => studio?.close());

/** A call through a rater's link, as the served mode makes it (401: the token is no live link). */
async function raterCall(s: Studio, token: string, channel: string, req: object) {
  const caller = raterOf(s.db, token);
  if (!caller) return { ok: false as const, status: 401, error: 'not a live link' };
  return callAs(s.db, s.handlers, caller, channel, req);
}

/** Every judgment row of a session, as stored (any state). */
const stored = (sessionId: number) =>
  (
    studio.db.prepare('SELECT count(*) AS n FROM judgments WHERE session_id = ?').get(sessionId) as {
      n: number;
    }
  ).n;

describe('renaming and deleting sessions', () => {
  it('renames a session; an unknown one is 404, a blank name a 400 naming the field', async () => {
    const s = await call(studio, 'sessions.create', { name: 'first try', rootId });
    const renamed = await call(studio, 'sessions.rename', { sessionId: s.id, name: '  beams, round 1 ' });
    expect(renamed).toMatchObject({ id: s.id, name: 'beams, round 1', items: 3 });
    expect((await call(studio, 'sessions.list', {})).find((x) => x.id === s.id)?.name).toBe('beams, round 1');
    expect((await call(studio, 'sessions.item', { sessionId: s.id, rater: 'ada' })).name).toBe(
      'beams, round 1',
    );
    await expect(call(studio, 'sessions.rename', { sessionId: 9999, name: 'x' })).rejects.toMatchObject({
      status: 404,
    });
    await expect(call(studio, 'sessions.rename', { sessionId: s.id, name: '   ' })).rejects.toMatchObject({
      status: 400,
      field: 'name',
    });
  });

  it('says what deleting loses, deletes only when asked, and its links stop reaching it', async () => {
    const doomed = await call(studio, 'sessions.create', { name: 'doomed', rootId, blind: false });
    const kept = await call(studio, 'sessions.create', { name: 'kept', rootId, blind: false });
    // ada scores two captions and picks one as best; bea scores one; undone work is not counted
    const first = await call(studio, 'sessions.item', { sessionId: doomed.id, rater: 'ada', position: 0 });
    const [a, b] = first.candidates;
    const set = (sessionId: number, rater: string, candidateId: number, more: object) =>
      call(studio, 'ratings.set', { sessionId, rater, candidateId, ...more });
    await set(doomed.id, 'ada', a.id, { value: 4 });
    await set(doomed.id, 'ada', b.id, { value: 2 });
    await set(doomed.id, 'ada', b.id, { best: true });
    await set(doomed.id, 'bea', a.id, { value: 5 });
    await set(doomed.id, 'bea', b.id, { value: 1 });
    await call(studio, 'ratings.undo', { sessionId: doomed.id, rater: 'bea' });
    const keptItem = await call(studio, 'sessions.item', { sessionId: kept.id, rater: 'ada', position: 0 });
    await set(kept.id, 'ada', keptItem.candidates[0].id, { value: 3 });
    const onlyDoomed = await call(studio, 'raters.invite', { rater: 'bea', sessions: [doomed.id] });
    const both = await call(studio, 'raters.invite', { rater: 'cy', sessions: [doomed.id, kept.id] });

    const asked = await call(studio, 'sessions.delete', { sessionId: doomed.id, dryRun: true });
    expect(asked).toEqual({
      id: doomed.id,
      name: 'doomed',
      deleted: false,
      judgments: 4, // ada's 4, 2 and pick; bea's 5 (her 1 was undone)
      raters: 2,
      finals: 0,
      linksRevoked: 1,
      linksNarrowed: 1,
    });
    // asking changed nothing
    expect((await call(studio, 'sessions.list', {})).map((s) => s.id)).toContain(doomed.id);
    expect(
      await raterCall(studio, onlyDoomed.token, 'sessions.item', { sessionId: doomed.id }),
    ).toMatchObject({
      ok: true,
    });

    const done = await call(studio, 'sessions.delete', { sessionId: doomed.id });
    expect(done).toEqual({ ...asked, deleted: true });
    expect((await call(studio, 'sessions.list', {})).map((s) => s.id)).not.toContain(doomed.id);
    expect(stored(doomed.id)).toBe(0);
    await expect(call(studio, 'sessions.item', { sessionId: doomed.id, rater: 'ada' })).rejects.toMatchObject(
      { status: 404 },
    );
    await expect(call(studio, 'sessions.delete', { sessionId: doomed.id })).rejects.toMatchObject({
      status: 404,
    });

    // the link that reached only the deleted session is revoked: its token is no one's now
    expect(await raterCall(studio, onlyDoomed.token, 'sessions.list', {})).toEqual({
      ok: false,
      status: 401,
      error: 'not a live link',
    });
    // the other link keeps its other session, and is refused the deleted one
    expect(await raterCall(studio, both.token, 'sessions.item', { sessionId: doomed.id })).toMatchObject({
      ok: false,
      status: 403,
    });
    const cy = await raterCall(studio, both.token, 'sessions.list', {});
    expect(cy.ok && (cy.value as { id: number }[]).map((s) => s.id)).toEqual([kept.id]);
    const links = await call(studio, 'raters.list', {});
    expect(links.find((l) => l.id === onlyDoomed.id)).toMatchObject({ revoked: true, sessions: [] });
    expect(links.find((l) => l.id === both.id)).toMatchObject({ revoked: false, sessions: [kept.id] });

    // the other session and its judgment are untouched
    expect(stored(kept.id)).toBe(1);
    const again = await call(studio, 'sessions.item', { sessionId: kept.id, rater: 'ada', position: 0 });
    expect(again.candidates[0].value).toBe(3);
  });
});
