/** Library handlers on a real database file: folders, counts, the grid's filters and paging. */
import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let lib: Awaited<ReturnType<typeof addLibrary>>;
beforeAll(async () => {
  studio = openTestStudio();
  lib = await addLibrary(studio, 6, { broken: true });
});
afterAll(() => studio?.close());

describe('library handlers', () => {
  it('adding a folder scans it and reports what it found; a new folder is all uncaptioned and unrated', async () => {
    expect(lib.scan).toEqual({ found: 11, added: 11, changed: 0, missing: 0, skipped: [] });
    expect(lib).toMatchObject({ images: 11, captioned: 0, errors: 0, unread: 11, missing: 0 });
    for (const filter of ['uncaptioned', 'unrated'] as const)
      expect((await call(studio, 'library.images', { rootId: lib.id, filter })).total, filter).toBe(11);
  });

  it('~ in a path is the home folder', async () => {
    const home = process.env.HOME;
    process.env.HOME = dirname(lib.folder);
    try {
      const again = await call(studio, 'library.addRoot', { path: `~/${basename(lib.folder)}` });
      expect(again).toMatchObject({ id: lib.id, path: lib.folder });
    } finally {
      process.env.HOME = home;
    }
  });

  it('adding the same folder again rescans it without duplicating anything', async () => {
    const again = await call(studio, 'library.addRoot', { path: lib.folder });
    expect(again.id).toBe(lib.id);
    expect(again.scan).toEqual({ found: 11, added: 0, changed: 0, missing: 0, skipped: [] });
    expect(await call(studio, 'library.roots', {})).toHaveLength(1);
  });

  it('filters the grid by state, caption text and model run, a page at a time', async () => {
    await captionRoot(studio, lib.id, { num_beams: 2, num_return_sequences: 2 });
    const [root] = await call(studio, 'library.roots', {});
    expect(root).toMatchObject({ images: 11, captioned: 6, errors: 5, unread: 0 });
    const page = (q: object) => call(studio, 'library.images', { rootId: lib.id, ...q });
    expect((await page({})).total).toBe(11);
    const errors = await page({ filter: 'errors' });
    expect(errors.items.map((i) => i.rel).every((r) => r.startsWith('broken/'))).toBe(true);
    expect(errors.items.every((i) => i.error)).toBe(true);
    expect((await page({ filter: 'uncaptioned' })).total).toBe(0);
    expect((await page({ filter: 'unrated' })).total).toBe(6);
    expect((await page({ filter: 'rated' })).total).toBe(0);
    const first = (await page({ filter: 'all', limit: 2, offset: 0 })).items;
    const second = (await page({ filter: 'all', limit: 2, offset: 2 })).items;
    expect(first).toHaveLength(2);
    expect(second[0].rel > first[1].rel).toBe(true);
    // search matches caption text, with LIKE's wildcards taken literally
    const captioned = (await page({ filter: 'unrated', limit: 1 })).items[0];
    const word = captioned.caption!.split(' ')[1];
    expect((await page({ search: word })).items.map((i) => i.rel)).toContain(captioned.rel);
    expect((await page({ search: '%' })).total).toBe(0);
    // by model run
    const [run] = await call(studio, 'library.runs', {});
    expect(run).toMatchObject({ model: 'default', images: 6, decoding: { num_beams: 2 } });
    expect((await page({ run: { modelId: run.modelId, configId: run.configId } })).total).toBe(6);
  });

  it('searches file names inside the folder, sorts Z to A, and shows the caption’s model and score', async () => {
    const page = (q: object) => call(studio, 'library.images', { rootId: lib.id, ...q });
    const all = (await page({})).items.map((i) => i.rel);
    // a part of the path inside the folder; the folder's own name is not part of it
    expect((await page({ name: 'broken/' })).items.map((i) => i.rel)).toEqual(
      all.filter((r) => r.startsWith('broken/')),
    );
    expect((await page({ name: basename(lib.folder) })).total).toBe(0);
    expect((await page({ name: '_' })).items.map((i) => i.rel)).toEqual(all.filter((r) => r.includes('_')));
    expect((await page({ desc: true })).items.map((i) => i.rel)).toEqual([...all].reverse());
    expect((await page({ desc: true, limit: 2, offset: 1 })).items.map((i) => i.rel)).toEqual(
      [...all].reverse().slice(1, 3),
    );
    // the columns: the model of the caption's run and the caption's own score
    const row = (await page({ filter: 'unrated', limit: 1 })).items[0];
    const detail = await call(studio, 'image.get', { fileId: row.fileId });
    const top = detail.runs[0].candidates[0];
    expect(row).toMatchObject({ model: 'default', score: top.score, edited: false, caption: top.text });
    expect(row.score).toEqual(expect.any(Number));
    // a bulk edit over the filter takes the file-name search too
    const preview = await call(studio, 'edit.preview', {
      op: { kind: 'append', text: 'x' },
      library: { rootId: lib.id, name: row.rel },
    });
    expect(preview.changed).toBe(1);
    await call(studio, 'candidate.edit', { candidateId: top.id, text: 'a person wrote this' });
    expect((await page({ name: row.rel })).items[0]).toMatchObject({
      caption: 'a person wrote this',
      model: 'default',
      edited: true,
    });
    // caption search looks at the caption as it stands, not at the one the edit replaced
    expect((await page({ search: 'person wrote' })).items.map((i) => i.rel)).toEqual([row.rel]);
    expect((await page({ search: top.text, name: row.rel })).total).toBe(0);
  });

  it('bad requests are field errors; unknown folders are 404', async () => {
    await expect(call(studio, 'library.images', { filter: 'nope' as 'all' })).rejects.toMatchObject({
      status: 400,
      field: 'filter',
      message: expect.stringMatching(/expected one of all, uncaptioned/),
    });
    await expect(call(studio, 'library.removeRoot', { rootId: 999 })).rejects.toMatchObject({ status: 404 });
    await expect(call(studio, 'library.addRoot', { path: '/no/such/folder' })).rejects.toMatchObject({
      status: 422,
      message: '/no/such/folder: not a folder',
    });
  });

  it('removing a folder forgets its files but keeps what was captioned of their content', async () => {
    const extra = await addLibrary(studio, 1);
    await call(studio, 'library.removeRoot', { rootId: extra.id });
    expect((await call(studio, 'library.roots', {})).map((r) => r.id)).toEqual([lib.id]);
    expect((await call(studio, 'library.runs', {}))[0].images).toBe(6);
  });

  it('removing a captioned, rated folder keeps its captions and ratings by content; re-adding shows them again', async () => {
    const session = await call(studio, 'sessions.create', {
      name: 'before removal',
      rootId: lib.id,
      blind: false,
    });
    const item = await call(studio, 'sessions.item', { sessionId: session.id, rater: 'ann' });
    await call(studio, 'ratings.set', {
      sessionId: session.id,
      rater: 'ann',
      candidateId: item.candidates[0].id,
      value: 4,
    });
    await call(studio, 'library.removeRoot', { rootId: lib.id });
    expect(await call(studio, 'library.roots', {})).toEqual([]);

    const back = await call(studio, 'library.addRoot', { path: lib.folder });
    // known again at once: no file read, no model run
    expect(back).toMatchObject({ images: 11, captioned: 6, unread: 5 });
    const rated = await call(studio, 'library.images', { rootId: back.id, filter: 'rated' });
    expect(rated.items.map((i) => i.rel)).toEqual(['rel' in item.file && item.file.rel]);
    const again = await call(studio, 'sessions.item', { sessionId: session.id, rater: 'ann', position: 0 });
    expect(again.candidates.find((c) => c.id === item.candidates[0].id)?.value).toBe(4);
  });
});
