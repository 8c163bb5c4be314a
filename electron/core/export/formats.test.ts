/** Every format from a studio of its own: unrated libraries, several folders, nothing captioned. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeGoodImages } from '../../../test/fixtures/images.ts';
import { call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import { EXPORT_FORMATS as FORMATS } from '../api/contract.ts';

const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('formats', () => {
  it('an unrated library exports its captions in every format; rated and human say why there are none', async () => {
    const s = openTestStudio();
    try {
      const lib = tempDir('cs-export-unrated-');
      await writeGoodImages(join(lib, 'a', 'b'), 3);
      const root = await call(s, 'library.addRoot', { path: lib });
      await captionRoot(s, root.id, { num_beams: 2, num_return_sequences: 2 });
      const out = tempDir('cs-export-unrated-out-');
      // imagefolder: one row per image; sidecars: every selected caption, one per line
      const perImage = new Set(['imagefolder']);
      for (const format of FORMATS.filter((f) => !f.startsWith('preferences')))
        for (const policy of ['best', 'latest', 'all'] as const) {
          if (format === 'coco-results' && policy === 'all') {
            // one caption per image by definition: refused, not silently narrowed to 3
            await expect(
              call(s, 'export.run', { format, policy, out: join(out, `${format}-${policy}`) }),
            ).rejects.toMatchObject({ status: 400, field: 'policy' });
            continue;
          }
          const r = await call(s, 'export.run', { format, policy, out: join(out, `${format}-${policy}`) });
          expect(r.rows, `${format} ${policy}`).toBe(policy === 'all' && !perImage.has(format) ? 6 : 3);
          expect(r.note).toBeUndefined();
          // the preview announces the same rows, and its first records are what was written
          const p = await call(s, 'export.preview', {
            format,
            policy,
            out: join(out, `${format}-${policy}`),
          });
          expect(p.rows).toBe(r.rows);
          expect(p.records.length).toBe(Math.min(5, r.rows));
          const written = readFileSync(r.written[0], 'utf8');
          if (format === 'coco' || format === 'coco-results') {
            const parsed = JSON.parse(written);
            for (const rec of p.records)
              expect(format === 'coco' ? parsed.annotations : parsed).toContainEqual(JSON.parse(rec));
          } else if (format !== 'sidecars') for (const rec of p.records) expect(written).toContain(rec);
        }
      // names are paths inside the library folder: COCO, imagefolder, sidecars mirroring the tree
      const coco = JSON.parse(readFileSync(join(out, 'coco-best'), 'utf8'));
      expect(coco.images.map((i: { file_name: string }) => i.file_name).sort()).toEqual([
        'a/b/img-000.png',
        'a/b/img-001.png',
        'a/b/img-002.png',
      ]);
      const hf = readJsonl(join(out, 'imagefolder-best', 'metadata.jsonl'));
      expect(hf.map((m) => m.original_file).sort()).toEqual(
        coco.images.map((i: { file_name: string }) => i.file_name).sort(),
      );
      const side = join(out, 'sidecars-best');
      expect(readdirSync(join(side, 'a', 'b')).sort()).toEqual([
        'img-000.png',
        'img-000.txt',
        'img-001.png',
        'img-001.txt',
        'img-002.png',
        'img-002.txt',
      ]);
      for (const i of [0, 1, 2]) {
        const best = coco.annotations.find(
          (a: { image_id: number }) => a.image_id === coco.images[i].id,
        ).caption;
        expect(readFileSync(join(side, coco.images[i].file_name.replace('.png', '.txt')), 'utf8')).toBe(
          `${best}\n`,
        );
      }
      // policy all: both beams of every image in its .txt, one per line, the sidecar's best first
      for (const i of [0, 1, 2]) {
        const name = coco.images[i].file_name.replace('.png', '.txt');
        const all = readFileSync(join(out, 'sidecars-all', name), 'utf8').split('\n');
        expect(all).toHaveLength(3);
        expect(all[0]).toBe(readFileSync(join(side, name), 'utf8').trim());
        expect(all[2]).toBe('');
      }
      expect(readdirSync(join(lib, 'a', 'b')).every((f) => f.endsWith('.png'))).toBe(true); // nothing beside the photos
      const rated = await call(s, 'export.run', {
        format: 'csv',
        policy: 'rated',
        out: join(out, 'rated.csv'),
      });
      expect(rated).toMatchObject({
        rows: 0,
        note: "no caption has been rated: rate some, or export with policy 'best'",
      });
      const human = await call(s, 'export.run', {
        format: 'csv',
        policy: 'human',
        out: join(out, 'human.csv'),
      });
      expect(human).toMatchObject({ rows: 0, note: 'no caption has been edited by a person' });
      const prefs = await call(s, 'export.run', { format: 'preferences', out: join(out, 'p') });
      expect(prefs.note).toMatch(/no caption has been rated/);
      const high = await call(s, 'export.run', { format: 'csv', minRating: 4, out: join(out, 'high.csv') });
      expect(high.note).toBe('no caption has a mean rating of 4 or more');
    } finally {
      await s.close();
    }
  });

  it('an export over several folders leads each name with its folder, two folders of one name apart', async () => {
    const s = openTestStudio();
    try {
      const [one, two] = [join(tempDir('cs-x-'), 'photos'), join(tempDir('cs-y-'), 'photos')];
      const files = await writeGoodImages(tempDir('cs-src-'), 2);
      for (const [dir, file] of [
        [one, files[0]],
        [two, files[1]],
      ]) {
        mkdirSync(dir);
        writeFileSync(join(dir, 'same-name.png'), readFileSync(file));
        await captionRoot(s, (await call(s, 'library.addRoot', { path: dir })).id, {});
      }
      const out = join(tempDir('cs-export-roots-'), 'coco.json');
      await call(s, 'export.run', { format: 'coco', out });
      const names = JSON.parse(readFileSync(out, 'utf8')).images.map(
        (i: { file_name: string }) => i.file_name,
      );
      expect(names.sort()).toEqual(['photos-2/same-name.png', 'photos/same-name.png']);
    } finally {
      await s.close();
    }
  });

  it('nothing captioned: the note says so', async () => {
    const s = openTestStudio();
    try {
      const r = await call(s, 'export.run', {
        format: 'csv',
        out: join(tempDir('cs-export-empty-'), 'x.csv'),
      });
      expect(r).toMatchObject({ rows: 0, note: 'nothing is captioned yet: caption a folder first' });
    } finally {
      await s.close();
    }
  });
});
