/**
 * Where exports write: a dataset folder's manifest (on record by hash) decides what `overwrite`
 * may replace, a forged marker decides nothing, and a cancelled export leaves nothing behind.
 * Progress is pushed as `export.progress` events.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/images.ts';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { ExportView } from '../api/types.ts';
import type { Studio } from '../studio.ts';
import { EXPORT_MARKER } from './outputs.ts';

let studio: Studio;
const IMAGES = 12;

beforeAll(async () => {
  studio = openTestStudio();
  const lib = await addLibrary(studio, IMAGES);
  await captionRoot(studio, lib.id, {});
});
afterAll(() => studio?.close());

const imagefolder = (out: string, overwrite = false) =>
  call(studio, 'export.run', { format: 'imagefolder', out, overwrite });

describe('export outputs', () => {
  it('overwrite of a folder with a forged marker and a foreign file: refused, the foreign file survives', async () => {
    const out = join(tempDir('cs-export-forged-'), 'dataset');
    await imagefolder(join(out, '..', 'genuine'));
    // a marker copied from a real export is still not on record for this folder
    const genuine = readFileSync(join(out, '..', 'genuine', EXPORT_MARKER));
    for (const marker of ['anything', genuine]) {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, EXPORT_MARKER), marker);
      writeFileSync(join(out, 'metadata.jsonl'), 'my own notes\n');
      writeFileSync(join(out, 'thesis.pdf'), 'precious');
      await expect(imagefolder(out, true)).rejects.toMatchObject({
        status: 409,
        message: expect.stringMatching(/not a folder an export made/),
      });
      expect(readFileSync(join(out, 'thesis.pdf'), 'utf8')).toBe('precious');
      expect(readFileSync(join(out, 'metadata.jsonl'), 'utf8')).toBe('my own notes\n');
    }
    expect(readdirSync(join(out, '..')).sort()).toEqual(['dataset', 'genuine']); // no partial sibling
  });

  it("overwrite of an export's own folder replaces only the files its manifest lists", async () => {
    const out = join(tempDir('cs-export-manifest-'), 'dataset');
    await imagefolder(out);
    const manifest = JSON.parse(readFileSync(join(out, EXPORT_MARKER), 'utf8'));
    const listed = Object.keys(manifest.files);
    expect(listed).toHaveLength(IMAGES + 1); // the photos and metadata.jsonl
    expect(listed).toContain('metadata.jsonl');
    writeFileSync(join(out, 'README.md'), 'my notes about this dataset');
    const before = readFileSync(join(out, 'metadata.jsonl'));
    await imagefolder(out, true);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe('my notes about this dataset');
    expect(readFileSync(join(out, 'metadata.jsonl')).equals(before)).toBe(true);
    for (const name of listed) expect(existsSync(join(out, name)), name).toBe(true);
    // a listed file changed since: nothing is replaced
    const photo = listed.find((n) => n.endsWith('.png'))!;
    writeFileSync(join(out, photo), 'edited by hand');
    await expect(imagefolder(out, true)).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/changed since the export wrote it/),
    });
    expect(readFileSync(join(out, photo), 'utf8')).toBe('edited by hand');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe('my notes about this dataset');
    // a user's file where the export would write: refused too
    const out2 = join(tempDir('cs-export-manifest2-'), 'dataset');
    await imagefolder(out2);
    const m2 = JSON.parse(readFileSync(join(out2, EXPORT_MARKER), 'utf8'));
    delete m2.files['metadata.jsonl'];
    writeFileSync(join(out2, EXPORT_MARKER), JSON.stringify(m2)); // no longer the manifest on record
    await expect(imagefolder(out2, true)).rejects.toThrow(/not a folder an export made/);
  });

  it('pushes progress to the end, and a cancelled export leaves nothing half-written', async () => {
    const parent = tempDir('cs-export-cancel-');
    const views: ExportView[] = [];
    const off = studio.events.on((m) => {
      if (m.event === 'export.progress') views.push(m.data);
    });
    try {
      const done = await imagefolder(join(parent, 'whole'));
      expect(done.rows).toBe(IMAGES);
      const last = views.at(-1)!;
      expect(last).toMatchObject({ state: 'done', done: IMAGES + 1, total: IMAGES + 1, error: null });
      expect(last.bytes).toBeGreaterThan(0);
      expect(views.filter((v) => v.id === last.id).every((v) => v.target === join(parent, 'whole'))).toBe(
        true,
      );
      // cancel as soon as the export says how much it has to write
      const stop = studio.events.on((m) => {
        if (m.event === 'export.progress' && m.data.state === 'running' && m.data.total)
          call(studio, 'export.cancel', { id: m.data.id }).catch(() => {});
      });
      try {
        await expect(imagefolder(join(parent, 'cancelled'))).rejects.toMatchObject({
          status: 409,
          message: expect.stringMatching(/cancelled/),
        });
      } finally {
        stop();
      }
      expect(views.at(-1)).toMatchObject({ state: 'cancelled' });
      expect(views.at(-1)!.done).toBeLessThan(IMAGES + 1);
      expect(readdirSync(parent)).toEqual(['whole']); // no folder, no partial sibling
      await expect(call(studio, 'export.cancel', { id: 999 })).rejects.toMatchObject({ status: 404 });
    } finally {
      off();
    }
  });
});
