/**
 * Bulk caption edits on a real studio (database file, worker threads, the contract's boundary):
 * preview equals apply, one undoable step per operation, undo restores every caption exactly,
 * redo reapplies, the history survives a restart, exports see the edits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE } from '../../../test/fixtures/bundles.ts';
import { seedCaptions } from '../../../test/fixtures/captions.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { call } from '../../../test/fixtures/studio.ts';
import { exportRows } from '../export/select.ts';
import { openStudio, type Studio } from '../studio.ts';
import { describe as label, transform } from './ops.ts';

const open = (dataDir: string) => openStudio({ dataDir, model: DEFAULT_BUNDLE, load: { intraOpThreads: 1 } });
let studio: Studio | undefined;
afterEach(async () => {
  await studio?.close();
  studio = undefined;
});

/** Every image's caption as the library shows it, by file id. */
async function captions(s: Studio): Promise<Map<number, string>> {
  const { items } = await call(s, 'library.images', { limit: 1000 });
  return new Map(items.map((r) => [r.fileId, r.caption!]));
}

describe('bulk caption edits', () => {
  it('a regular-expression replace: preview equals what is applied; undo restores every caption, redo reapplies', async () => {
    const dataDir = tempDir('cs-edit-');
    studio = open(dataDir);
    const { fileIds } = seedCaptions(studio.db, '/photos', 300);
    const selected = fileIds.slice(20, 220);
    const before = await captions(studio);
    const op = {
      kind: 'replace',
      find: '\\b(cat|dog)s?\\b',
      replace: '$1-like animal',
      regex: true,
    } as const;
    const preview = await call(studio, 'edit.preview', { op, fileIds: selected });
    // the same count, computed here: captions of the selection the expression matches
    const expected = selected.filter((id) => /\b(cat|dog)s?\b/u.test(before.get(id)!));
    expect(expected.length).toBeGreaterThan(0);
    expect(preview).toMatchObject({ images: 200, changed: expected.length, emptied: 0 });
    expect(preview.samples[0].after).toBe(
      before.get(preview.samples[0].fileId)!.replace(/\b(cat|dog)s?\b/gu, '$1-like animal'),
    );

    const batch = await call(studio, 'edit.apply', { op, fileIds: selected, expect: preview.changed });
    expect(batch).toMatchObject({
      changed: preview.changed,
      state: 'applied',
      label: 'replace /\\b(cat|dog)s?\\b/ with "$1-like animal"',
    });
    const after = await captions(studio);
    for (const [id, text] of before) {
      const want = expected.includes(id) ? text.replace(/\b(cat|dog)s?\b/gu, '$1-like animal') : text;
      expect(after.get(id)).toBe(want);
    }
    for (const s of preview.samples) expect(after.get(s.fileId)).toBe(s.after);
    // stored as human edits of the captions they changed, so exports take them
    const rows = exportRows(studio.db, { policy: 'human' });
    expect(rows.length).toBe(expected.length);
    expect(new Set(exportRows(studio.db, {}).map((r) => r.caption))).toEqual(new Set(after.values()));

    const undone = await call(studio, 'edit.undo', {});
    expect(undone.batch).toMatchObject({ id: batch.id, state: 'undone' });
    expect(undone.history).toMatchObject({ canUndo: false, canRedo: true });
    expect(await captions(studio)).toEqual(before);
    expect(exportRows(studio.db, { policy: 'human' })).toEqual([]);
    const redone = await call(studio, 'edit.redo', {});
    expect(redone.batch).toMatchObject({ id: batch.id, state: 'applied', changed: expected.length });
    expect(await captions(studio)).toEqual(after);
    // nothing left to redo: a step that does nothing, said so
    expect((await call(studio, 'edit.redo', {})).batch).toBeNull();
  });

  it('steps stack: two edits undone and redone in order, across a restart, land exactly where they were', async () => {
    const dataDir = tempDir('cs-edit-');
    studio = open(dataDir);
    const { fileIds, rootId } = seedCaptions(studio.db, '/photos', 60);
    const c0 = await captions(studio);
    await call(studio, 'edit.apply', { op: { kind: 'prepend', text: 'ohwx' }, library: { rootId } });
    const c1 = await captions(studio);
    expect([...c1.values()].every((t) => t.startsWith('ohwx, '))).toBe(true);
    // the second edits the first's edits (and only the images the search finds)
    const second = await call(studio, 'edit.apply', {
      op: { kind: 'case', to: 'upper' },
      library: { search: 'sofa' },
    });
    expect(second.changed).toBe(fileIds.filter((_, i) => i % 3 === 0).length);
    const c2 = await captions(studio);
    await studio.close();
    studio = open(dataDir); // the history is in the database
    expect(await call(studio, 'edit.history', {})).toMatchObject({
      canUndo: true,
      canRedo: false,
      batches: [{ label: 'upper case' }, { label: 'prepend "ohwx"' }],
    });
    await call(studio, 'edit.undo', {});
    expect(await captions(studio)).toEqual(c1);
    await call(studio, 'edit.undo', {});
    expect(await captions(studio)).toEqual(c0);
    expect((await call(studio, 'edit.undo', {})).batch).toBeNull();
    await call(studio, 'edit.redo', {});
    expect(await captions(studio)).toEqual(c1);
    await call(studio, 'edit.redo', {});
    expect(await captions(studio)).toEqual(c2);
    // and back again: the redone second step names the redone first step's edits
    await call(studio, 'edit.undo', {});
    await call(studio, 'edit.undo', {});
    expect(await captions(studio)).toEqual(c0);
    // a new step drops what was undone
    await call(studio, 'edit.apply', { op: { kind: 'append', text: 'x' }, fileIds: [fileIds[0]] });
    expect((await call(studio, 'edit.history', {})).canRedo).toBe(false);
  });

  it('refuses what it cannot do cleanly, changing nothing', async () => {
    studio = open(tempDir('cs-edit-'));
    const { fileIds } = seedCaptions(studio.db, '/photos', 12);
    const op = { kind: 'replace', find: 'cat', replace: 'dog' } as const;
    await expect(
      call(studio, 'edit.preview', { op: { ...op, find: '(unclosed', regex: true }, fileIds }),
    ).rejects.toMatchObject({
      status: 400,
      field: 'op.find',
    });
    await expect(call(studio, 'edit.apply', { op } as never)).rejects.toMatchObject({
      status: 400,
      field: 'fileIds',
    });
    const before = await captions(studio);
    await expect(call(studio, 'edit.apply', { op, fileIds, expect: 99 })).rejects.toMatchObject({
      status: 409,
      message: /the preview said 99; nothing was changed/,
    });
    expect(await captions(studio)).toEqual(before);
    // an edit rated since (here: edited again by hand) is not deleted by undo
    await call(studio, 'edit.apply', { op, fileIds });
    const edited = (await call(studio, 'image.get', { fileId: fileIds[0] })).runs[0].candidates.find(
      (c) => c.source === 'human',
    )!;
    await call(studio, 'candidate.edit', { candidateId: edited.id, text: 'by hand' });
    await expect(call(studio, 'edit.undo', {})).rejects.toMatchObject({
      status: 409,
      message: /1 of its edited captions/,
    });
  });
});

describe('operations', () => {
  const run = (op: Parameters<typeof transform>[0], t: string) => transform(op)(t);
  it('each does what its name says, and nothing to a caption it does not apply to', () => {
    expect(
      run({ kind: 'replace', find: 'a $&', replace: '$1', regex: false, ignoreCase: false }, 'is a $& b'),
    ).toBe('is $1 b');
    expect(
      run({ kind: 'replace', find: 'CAT', replace: 'dog', regex: false, ignoreCase: true }, 'Cat cat'),
    ).toBe('dog dog');
    expect(run({ kind: 'prepend', text: 'ohwx', separator: ', ' }, 'a cat')).toBe('ohwx, a cat');
    expect(run({ kind: 'prepend', text: 'ohwx', separator: ', ' }, 'ohwx, a cat')).toBe('ohwx, a cat');
    expect(run({ kind: 'append', text: 'photo', separator: ' ' }, 'a cat')).toBe('a cat photo');
    expect(run({ kind: 'strip', text: 'blurry' }, 'cat, blurry, sofa')).toBe('cat, sofa');
    expect(run({ kind: 'strip', text: 'blurry' }, 'Blurry, cat')).toBe('cat');
    expect(run({ kind: 'strip', text: 'cat' }, 'a catalogue')).toBe('a catalogue');
    expect(run({ kind: 'strip', text: 'red car' }, 'a red car on the road')).toBe('a on the road');
    expect(run({ kind: 'case', to: 'sentence' }, 'A CAT on A Sofa')).toBe('A cat on a sofa');
    expect(run({ kind: 'case', to: 'title' }, "a cat's sofa")).toBe("A Cat's Sofa");
    expect(run({ kind: 'case', to: 'lower' }, 'ÉTÉ')).toBe('été');
    expect(run({ kind: 'whitespace' }, '  a \t cat\n on  ')).toBe('a cat on');
    expect(run({ kind: 'set', text: 'by hand' }, 'a cat')).toBe('by hand');
    expect(label({ kind: 'strip', text: 'x' })).toBe('strip "x"');
  });
});
