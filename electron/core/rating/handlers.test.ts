/**
 * Rating sessions on a real database file: what each rater sees (blind letters, a per-rater
 * order, identical texts once), ratings and best-of-N picks committed at once, undo, edits made
 * while rating, images assigned to raters, and where a returning rater resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { SessionItem } from '../api/types.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let rootId: number;
/** per image in library order: the distinct texts a session shows */
let texts: string[][];
beforeAll(async () => {
  studio = openTestStudio();
  const lib = await addLibrary(studio, 3);
  rootId = lib.id;
  // sources per image: greedy and beam 3 (often the same text), and on every image two human
  // edits of the greedy caption, one of them the greedy text again with other spacing
  await captionRoot(studio, rootId, {});
  await captionRoot(studio, rootId, { num_beams: 3 });
  texts = [];
  for (const [i, file] of (await call(studio, 'library.images', { rootId })).items.entries()) {
    const [greedy, beam] = (await call(studio, 'image.get', { fileId: file.fileId })).runs;
    const g = greedy.candidates[0];
    await call(studio, 'candidate.edit', { candidateId: g.id, text: `written by person ${i}` });
    await call(studio, 'candidate.edit', { candidateId: g.id, text: `  ${g.text.replaceAll(' ', '  ')} ` });
    texts.push([...new Set([g.text, `written by person ${i}`, beam.candidates[0].text])]);
  }
});
afterAll(() => studio?.close());

const item = (sessionId: number, rater: string, position?: number) =>
  call(studio, 'sessions.item', { sessionId, rater, position });
const values = (it: SessionItem) => it.candidates.map((c) => c.value);
const rate = (sessionId: number, rater: string, candidateId: number, value: number) =>
  call(studio, 'ratings.set', { sessionId, rater, candidateId, value });

describe('rating sessions', () => {
  it('identical texts of an image are one candidate that names all its sources', async () => {
    const s = await call(studio, 'sessions.create', { name: 'open', rootId, blind: false });
    for (const [p, want] of texts.entries()) {
      const it = await item(s.id, 'ada', p);
      expect(it.candidates.map((c) => c.text)).toEqual(want);
      // the greedy caption also stands for the edit that only re-spaced it (and for beam 3 when equal)
      expect(it.candidates[0].label).toMatch(/^default, greedy · (default, beam 3 · )?human edit$/);
      expect(it.candidates[1].label).toBe('human edit');
    }
  });

  it('a blind session hides sources behind letters, in an order of each rater’s own', async () => {
    const s = await call(studio, 'sessions.create', { name: 'blind', rootId });
    expect(s).toMatchObject({ blind: true, items: 3, raters: [], overlap: null });
    const ada = await item(s.id, 'ada', 0);
    expect(ada.candidates.map((c) => c.label)).toEqual(texts[0].map((_, i) => `Caption ${'ABC'[i]}`));
    expect(ada.candidates.map((c) => c.text).sort()).toEqual([...texts[0]].sort());
    expect((await item(s.id, 'ada', 0)).candidates.map((c) => c.id)).toEqual(ada.candidates.map((c) => c.id));
    const orders = async (rater: string) =>
      (await Promise.all([0, 1, 2].map((p) => item(s.id, rater, p)))).map((i) =>
        i.candidates.map((c) => c.id),
      );
    const all = await Promise.all(['ada', 'bob', 'cy', 'dee', 'eve'].map(orders));
    expect(new Set(all.map((o) => JSON.stringify(o))).size).toBeGreaterThan(1);
  });

  it('ratings and best picks commit at once; a best pick moves; undo walks back one action at a time', async () => {
    const s = await call(studio, 'sessions.create', { name: 'undo', rootId, blind: false });
    const it0 = await item(s.id, 'ada');
    expect(it0).toMatchObject({ position: 0, resumeAt: 0, rated: 0, total: 3, name: 'undo' });
    const [a, b] = it0.candidates;
    const last = it0.candidates.at(-1)!;
    const none = it0.candidates.map(() => null);
    await rate(s.id, 'ada', a.id, 4);
    await rate(s.id, 'ada', b.id, 2);
    let now = await call(studio, 'ratings.set', {
      sessionId: s.id,
      rater: 'ada',
      candidateId: a.id,
      best: true,
    });
    expect(values(now)).toEqual([4, 2, ...none.slice(2)]);
    expect(now.candidates.map((x) => x.best)).toEqual(none.map((_, i) => i === 0));
    now = await call(studio, 'ratings.set', {
      sessionId: s.id,
      rater: 'ada',
      candidateId: last.id,
      best: true,
    });
    expect(now.candidates.map((x) => x.best)).toEqual(none.map((_, i) => i === none.length - 1));
    // undo: the pick of the last (which also cleared the first's) comes back as one action
    now = await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' });
    expect(now.candidates.map((x) => x.best)).toEqual(none.map((_, i) => i === 0));
    now = await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' });
    expect(now.candidates.every((x) => !x.best)).toBe(true);
    now = await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' });
    expect(values(now)).toEqual([4, ...none.slice(1)]);
    expect(values(await item(s.id, 'bob', 0))).toEqual(none);
    expect((await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'bob' })).position).toBe(0);
  });

  it('a returning rater resumes at the first image not fully rated; progress counts finished images', async () => {
    const s = await call(studio, 'sessions.create', { name: 'resume', rootId });
    for (const pos of [0, 1]) {
      const it = await item(s.id, 'ada', pos);
      for (const cand of it.candidates.slice(0, pos === 0 ? undefined : 1))
        await rate(s.id, 'ada', cand.id, 3);
    }
    const back = await item(s.id, 'ada');
    expect(back).toMatchObject({ position: 1, resumeAt: 1, rated: 1 });
    expect(values(back).filter((v) => v !== null)).toHaveLength(1);
    // undoing the last rating of the finished image reopens it
    await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' }); // the one at image 2
    await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' }); // the last at image 1
    expect(await item(s.id, 'ada')).toMatchObject({ position: 0, resumeAt: 0, rated: 0 });
    expect((await item(s.id, 'ada', 99)).position).toBe(2);
  });

  it('an edit made while rating joins the item at once, as a new caption or as a source of the same text', async () => {
    const s = await call(studio, 'sessions.create', { name: 'edit', rootId, blind: false });
    const before = await item(s.id, 'ada', 1);
    for (const c of before.candidates) await rate(s.id, 'ada', c.id, 4);
    expect((await item(s.id, 'ada')).rated).toBe(1);
    const first = before.candidates[0];
    await call(studio, 'candidate.edit', {
      candidateId: first.id,
      text: 'a better caption',
      sessionId: s.id,
    });
    const after = await item(s.id, 'ada', 1);
    expect(after.candidates.map((c) => c.text)).toEqual([
      ...before.candidates.map((c) => c.text),
      'a better caption',
    ]);
    expect(after.candidates.at(-1)).toMatchObject({ label: 'human edit', value: null });
    // the image has an unrated caption again: not finished
    expect(after.rated).toBe(0);
    // the same text again is not another caption
    await call(studio, 'candidate.edit', {
      candidateId: first.id,
      text: 'a  better caption',
      sessionId: s.id,
    });
    expect((await item(s.id, 'ada', 1)).candidates).toHaveLength(after.candidates.length);
    // other sessions are not changed
    const other = await call(studio, 'sessions.create', { name: 'other', rootId, blind: false });
    await call(studio, 'candidate.edit', {
      candidateId: first.id,
      text: 'only in other',
      sessionId: other.id,
    });
    expect((await item(s.id, 'ada', 1)).candidates.map((c) => c.text)).not.toContain('only in other');
  });

  it('assigned sessions give each rater a share, with the overlap rated by everyone', async () => {
    const lib = await addLibrary(studio, 10);
    await captionRoot(studio, lib.id, {});
    const s = await call(studio, 'sessions.create', {
      name: 'shared',
      rootId: lib.id,
      assign: { raters: ['ada', 'bob'], overlap: 20 },
      guidelines: '# Rate\nFluency **and** accuracy.',
    });
    expect(s).toMatchObject({
      raters: ['ada', 'bob'],
      overlap: 20,
      guidelines: '# Rate\nFluency **and** accuracy.',
    });
    const images = async (rater: string) => {
      const first = await item(s.id, rater, 0);
      const all = [first];
      for (let i = 1; i < first.total; i++) all.push(await item(s.id, rater, i));
      return all.map((it) => it.file.fileId);
    };
    const [ada, bob] = [await images('ada'), await images('bob')];
    const both = ada.filter((r) => bob.includes(r));
    expect(both).toHaveLength(2); // 20 % of 10
    expect(new Set([...ada, ...bob]).size).toBe(10); // every image is someone's
    expect(ada.length).toBe(6);
    expect(bob.length).toBe(6);
    expect((await item(s.id, 'ada', 0)).guidelines).toBe('# Rate\nFluency **and** accuracy.');
    // an image of bob's alone cannot be rated by ada, and a rater without images is told so
    const bobs = (
      await item(
        s.id,
        'bob',
        bob.findIndex((r) => !ada.includes(r)),
      )
    ).candidates[0];
    await expect(rate(s.id, 'ada', bobs.id, 3)).rejects.toMatchObject({ status: 409 });
    await expect(item(s.id, 'cy')).rejects.toMatchObject({ status: 409, message: /assigns no images to cy/ });
    expect((await call(studio, 'sessions.list', {})).find((x) => x.id === s.id)).toMatchObject({
      raters: ['ada', 'bob'],
    });
  });

  it('refuses what does not belong: other sessions’ captions, unknown sessions, bad values', async () => {
    const s1 = await call(studio, 'sessions.create', { name: 'one', rootId, limit: 1 });
    const s2 = await call(studio, 'sessions.create', { name: 'two', rootId });
    const third = (await item(s2.id, 'ada', 2)).candidates[0];
    await expect(rate(s1.id, 'ada', third.id, 3)).rejects.toMatchObject({
      status: 404,
      message: expect.stringMatching(/not part of rating session/),
    });
    await expect(
      call(studio, 'candidate.edit', { candidateId: third.id, text: 'x', sessionId: s1.id }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(item(999, 'ada')).rejects.toMatchObject({ status: 404 });
    await expect(rate(s2.id, 'ada', third.id, 6)).rejects.toMatchObject({ status: 400, field: 'value' });
    const empty = await addLibrary(studio, 1);
    await expect(call(studio, 'sessions.create', { name: 'x', rootId: empty.id })).rejects.toMatchObject({
      status: 409,
    });
    await expect(
      call(studio, 'sessions.create', { name: 'x', rootId, assign: { raters: [], overlap: 0 } }),
    ).rejects.toMatchObject({ status: 400, field: 'assign.raters' });
    expect((await call(studio, 'sessions.list', {}))[0]).toMatchObject({ id: s2.id, name: 'two', items: 3 });
  });
});
