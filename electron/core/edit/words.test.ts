/** Word statistics of captions on a real studio (database file, the edit worker thread, the contract). */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE } from '../../../test/fixtures/bundles.ts';
import { seedCaptions } from '../../../test/fixtures/captions.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { call } from '../../../test/fixtures/studio.ts';
import { openStudio } from '../studio.ts';

const studio = openStudio({
  dataDir: tempDir('cs-words-'),
  model: DEFAULT_BUNDLE,
  load: { intraOpThreads: 1 },
});
afterAll(() => studio.close());

const CAPTIONS = [
  'A red car on the street, a red car',
  'two dogs on the grass',
  'A dog near a red car',
  "the dog's ball, well-worn",
];

describe('edit.words', () => {
  it('counts words and two-word phrases of the current captions, most frequent first, with their images', async () => {
    const { rootId, fileIds } = seedCaptions(studio.db, '/words', CAPTIONS.length, (i) => CAPTIONS[i]);
    const stats = await call(studio, 'edit.words', { library: { rootId } });
    expect(stats.images).toBe(4);
    const of = (text: string) => stats.words.find((w) => w.text === text);
    // "red car" three times in two captions; function words alone ("a", "the", "on") are not counted
    expect(stats.words.slice(0, 3)).toEqual([
      { text: 'car', count: 3, images: 2 },
      { text: 'red', count: 3, images: 2 },
      { text: 'red car', count: 3, images: 2 },
    ]);
    expect(of('dog')).toEqual({ text: 'dog', count: 1, images: 1 });
    expect(of("dog's")).toEqual({ text: "dog's", count: 1, images: 1 });
    expect(of('well-worn')).toEqual({ text: 'well-worn', count: 1, images: 1 });
    for (const stop of ['a', 'the', 'on', 'on the', 'a red']) expect(of(stop), stop).toBeUndefined();
    // a selection, a limit; a person's edit counts as the caption it replaced
    const two = await call(studio, 'edit.words', { fileIds: fileIds.slice(1, 3), top: 2 });
    expect(two).toEqual({
      images: 2,
      words: [
        { text: 'car', count: 1, images: 1 },
        { text: 'dog', count: 1, images: 1 },
      ],
    });
    await call(studio, 'edit.apply', { op: { kind: 'set', text: 'grey cat' }, fileIds: [fileIds[0]] });
    const after = await call(studio, 'edit.words', { library: { rootId } });
    expect(after.words.find((w) => w.text === 'car')).toEqual({ text: 'car', count: 1, images: 1 });
    expect(after.words.find((w) => w.text === 'grey cat')).toEqual({ text: 'grey cat', count: 1, images: 1 });
  });

  it('names what is wrong with a request', async () => {
    await expect(call(studio, 'edit.words', {} as never)).rejects.toMatchObject({
      status: 400,
      field: 'fileIds',
    });
    await expect(call(studio, 'edit.words', { library: {}, top: 0 })).rejects.toMatchObject({
      status: 400,
      field: 'top',
    });
  });
});
