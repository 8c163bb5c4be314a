/** Evaluation handlers: references imported and matched, and the per-source table. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let lib: Awaited<ReturnType<typeof addLibrary>>;
beforeAll(async () => {
  studio = openTestStudio();
  lib = await addLibrary(studio, 4);
  await captionRoot(studio, lib.id, {});
  await captionRoot(studio, lib.id, { num_beams: 2 });
});
afterAll(() => studio?.close());

describe('evaluation handlers', () => {
  it('imports references by file name and scores every source against them', async () => {
    const refs = join(lib.folder, 'refs.tsv');
    writeFileSync(refs, 'img-000.png\ta large red circle\nimg-001.png\ttwo shapes\nnowhere.png\tx\n');
    const imported = await call(studio, 'eval.importReferences', { path: refs });
    expect(imported).toMatchObject({ captions: 3, added: 2, matchedImages: 2, unmatched: ['nowhere.png'] });
    // importing again adds nothing
    expect((await call(studio, 'eval.importReferences', { path: refs })).added).toBe(0);
    const s = await call(studio, 'eval.summary', {});
    expect(s.rows.map((r) => r.source)).toEqual(['default · beam 2', 'default · greedy']);
    for (const r of s.rows) {
      expect(r).toMatchObject({ images: 4, withReferences: 2, ratings: 0, meanRating: null });
      expect(r.ciderD).toBeGreaterThanOrEqual(0);
      expect(r.bleu4).not.toBeNull();
    }
    expect((await call(studio, 'eval.summary', { rootId: lib.id })).rows).toHaveLength(2);
  });

  it('a reference file that cannot be read is named, with a 4xx status', async () => {
    await expect(
      call(studio, 'eval.importReferences', { path: join(lib.folder, 'none.tsv') }),
    ).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/none\.tsv: cannot read/) });
  });
});
