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

  it('candidate.layers: any layer and head on demand; last layer and mean of heads is the stored map', async () => {
    const studio = opened[0];
    const [root] = await call(studio, 'library.roots', {});
    const [image] = (await call(studio, 'library.images', { rootId: root.id })).items;
    const run = (await call(studio, 'image.get', { fileId: image.fileId })).runs.find((r) =>
      r.candidates.every((c) => c.hasAttention),
    )!;
    const c = run.candidates[2]; // a beam candidate
    const req = { fileId: image.fileId, candidateId: c.id };
    const last = await call(studio, 'candidate.layers', req);
    const stored = await call(studio, 'candidate.attention', { candidateId: c.id });
    expect(last.shape).toEqual(stored.shape);
    const [T, rows, cols] = last.shape;
    const n = rows * cols;
    for (let t = 0; t < T; t++) {
      const map = last.data.slice(t * n, (t + 1) * n);
      const q = stored.data.slice(t * n, (t + 1) * n);
      // float32 sums renormalised in float64: 1e-6
      expect(map.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
      // stored maps are uint8 of each map over its maximum: within half a level, plus float slack
      const max = Math.max(...map);
      map.forEach((v, k) => {
        expect(Math.abs((v / max) * 255 - q[k])).toBeLessThanOrEqual(0.5 + 1e-6);
      });
      expect(last.share[t].prompt).toBe(0); // vit-gpt2: no positions after the grid
      expect(last.share[t].lead).toBeGreaterThan(0); // CLS
    }
    const one = await call(studio, 'candidate.layers', { ...req, layer: 0, head: 1 });
    expect(one.shape).toEqual(last.shape);
    expect(one.data).not.toEqual(last.data);
    const all = await call(studio, 'candidate.layers', { ...req, layer: 'mean', head: 'mean' });
    expect(all.data).not.toEqual(last.data);
    expect([all.layers, all.heads]).toEqual([last.layers, last.heads]);
    await expect(call(studio, 'candidate.layers', { ...req, layer: last.layers })).rejects.toMatchObject({
      status: 400,
      field: 'layer',
    });
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
