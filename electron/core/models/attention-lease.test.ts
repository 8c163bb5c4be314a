/**
 * Heat-maps for a public-layout model through the studio: the image view's re-caption leases the
 * model with attention, so its candidates store attention maps although the export has no
 * `cross_attentions.*` outputs; caption jobs keep the original files (no maps); a second studio on
 * the same data directory reuses the derived decoder (same file, not rewritten).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures/bundles.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { addLibrary, call, captionRoot } from '../../../test/fixtures/studio.ts';
import { openStudio, type Studio } from '../studio.ts';

const MODEL = join(FIXTURES, 'merged-only');
const dataDir = tempDir('cs-attn-lease-');
const open = () => openStudio({ dataDir, model: MODEL, load: { intraOpThreads: 1 } });
const opened: Studio[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});

/** Every derived file under the data directory, with its modification time. */
function derivedFiles(): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of readdirSync(join(dataDir, 'derived'), { recursive: true, encoding: 'utf8' })) {
    const p = join(dataDir, 'derived', f);
    if (statSync(p).isFile()) out.set(p, statSync(p).mtimeMs);
  }
  return out;
}

describe('attention leases', () => {
  it("a job keeps the original files; the image view's re-caption stores every beam candidate's attention", async () => {
    const studio = open();
    opened.push(studio);
    const lib = await addLibrary(studio, 1);
    await captionRoot(studio, lib.id, { num_beams: 3, num_return_sequences: 3 });
    const [image] = (await call(studio, 'library.images', { rootId: lib.id })).items;
    const [job] = (await call(studio, 'image.get', { fileId: image.fileId })).runs;
    expect(job.candidates.map((c) => c.hasAttention)).toEqual([false, false, false]);

    const run = await call(studio, 'image.recaption', {
      fileId: image.fileId,
      decoding: { num_beams: 3, num_return_sequences: 3 },
    });
    expect(run.candidates).toHaveLength(3);
    for (const c of run.candidates) {
      expect(c.hasAttention).toBe(true);
      const a = await call(studio, 'candidate.attention', { candidateId: c.id });
      // the vit-gpt2 layout: one map per generated token over the 14x14 patch grid
      expect(a.shape.slice(1)).toEqual([14, 14]);
      expect(a.shape[0]).toBe(c.tokens.length);
    }
    expect(derivedFiles().size).toBeGreaterThan(0);
  });

  it('a second load (a new studio on the same data directory) reuses the derived file', async () => {
    const before = derivedFiles();
    await opened[0].close();
    opened.shift();
    const studio = open();
    opened.push(studio);
    const [root] = await call(studio, 'library.roots', {});
    const [image] = (await call(studio, 'library.images', { rootId: root.id })).items;
    const run = await call(studio, 'image.recaption', { fileId: image.fileId, decoding: {} });
    expect(run.candidates[0].hasAttention).toBe(true);
    expect(derivedFiles()).toEqual(before);
  });
});
