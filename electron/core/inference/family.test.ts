/**
 * The family seam: a family registered from a test-only file (`families/toy.test-family.ts`)
 * captions through the normal loader and engine, chosen by config.json's `model_type`, with no other
 * production file touched; a model_type no family runs is a clear error naming the families known.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLE } from '../../../test/fixtures/bundles.ts';
import { tempDir, writeGoodImages } from '../../../test/fixtures/images.ts';
import { describe as describeModel } from '../models/installed.ts';
import { loadBundle } from './bundle.ts';
import { CaptionEngine } from './engine.ts';
import { FAMILIES, registerFamily } from './families/index.ts';
import { toy } from './families/toy.test-family.ts';

/** A copy of the default bundle whose config.json says `model_type`. */
function bundleAs(modelType: string): string {
  const dir = join(tempDir('cs-family-'), 'bundle');
  cpSync(DEFAULT_BUNDLE, dir, { recursive: true, filter: (f) => !/model\.pt$|parity/.test(f) });
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: modelType }));
  return dir;
}

describe('model families', () => {
  let dir: string;
  let images: string[];
  beforeAll(async () => {
    dir = bundleAs(toy.modelType);
    images = await writeGoodImages(tempDir('cs-family-img-'), 3);
  });
  afterAll(() => {
    FAMILIES.delete(toy.modelType);
  });

  it('refuses a model_type no family runs, naming it and the families known', async () => {
    await expect(loadBundle(dir)).rejects.toThrow(
      `${join(dir, 'config.json')}: model_type 'toy-captioner' is not a family the studio runs (known: vision-encoder-decoder, florence2)`,
    );
  });

  it('captions with a family registered by a test, through the normal loader and engine', async () => {
    registerFamily(toy);
    expect(() => registerFamily(toy)).toThrow(/registered already/);
    const [ours, base] = await Promise.all([
      CaptionEngine.load(dir, { intraOpThreads: 1 }),
      CaptionEngine.load(DEFAULT_BUNDLE, { intraOpThreads: 1 }),
    ]);
    try {
      expect(ours.info).toMatchObject({ family: 'toy-captioner', grid: null, tasks: [] });
      expect(ours.info.can).toEqual(toy.can);
      expect(base.info).toMatchObject({ family: 'vision-encoder-decoder', hasAttention: true });
      expect(ours.info.hasAttention).toBe(false);
      const run = async (e: CaptionEngine) => {
        const out = [];
        for await (const o of e.captionFiles(
          images.map((file) => ({ file })),
          e.decoding({ num_beams: 2, num_return_sequences: 2 }),
        ))
          out.push(o.ok ? o.result.candidates : o.error);
        return out;
      };
      const [mine, theirs] = await Promise.all([run(ours), run(base)]);
      for (const [i, list] of mine.entries()) {
        const expected = theirs[i];
        if (typeof list === 'string' || typeof expected === 'string') throw new Error(`image ${i} failed`);
        expect(list).toHaveLength(2);
        // same sessions, same tokens; the family's own text mapping and (absent) attention geometry
        expect(list.map((c) => c.tokens)).toEqual(expected.map((c) => c.tokens));
        expect(list.map((c) => c.text)).toEqual(expected.map((c) => c.text.toUpperCase()));
        expect(list.some((c) => /[A-Z]/.test(c.text))).toBe(true);
        expect(list.every((c) => c.attention === null)).toBe(true);
        expect(expected.every((c) => c.attention !== null)).toBe(true);
      }
    } finally {
      await Promise.all([ours.dispose(), base.dispose()]);
    }
    // models list reads the same registry
    const entry = describeModel({ ref: dir, kind: 'folder', dir, label: 'toy', source: dir });
    expect(entry.can).toEqual({ family: 'toy-captioner', tasks: [], attention: false, nBest: true });
  });
});
