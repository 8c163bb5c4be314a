import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../../test/fixtures/bundles.ts';
import { ImageDecodeError, preprocessImage } from '../preprocess.ts';
import { clipScore, refClipScore, referenceSimilarity, unit } from './score.ts';
import { ClipScorer } from './scorer.ts';

const REPO = join(FIXTURES, 'clip-repo');
const IMAGES = join(FIXTURES, 'clip-images');

interface ClipReference {
  images: string[];
  pixels: string[];
  captions: string[][];
  references: string[][];
  clip_score: number[][];
  ref_clip_score: number[][];
}
const ref: ClipReference = JSON.parse(readFileSync(join(FIXTURES, 'clip-reference.json'), 'utf8'));
const pilPixels = (i: number) => {
  const b = readFileSync(join(IMAGES, ref.pixels[i]));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
};

describe('CLIPScore and RefCLIPScore arithmetic', () => {
  it('clips the image side at 0, keeps the reference side signed, and returns 0 for a zero denominator', () => {
    const a = unit(new Float32Array([1, 0, 0]));
    const b = unit(new Float32Array([1, 1, 0])); // cos(a, b) = 1/sqrt(2)
    const c = unit(new Float32Array([-1, 0, 0]));
    expect(clipScore(a, b)).toBeCloseTo(2.5 / Math.SQRT2, 6);
    expect(clipScore(a, c)).toBe(0);
    expect(referenceSimilarity(a, [c])).toBe(-1);
    expect(referenceSimilarity(a, [c, b])).toBeCloseTo(1 / Math.SQRT2, 6);
    expect(refClipScore(0.5, 0.25)).toBeCloseTo(1 / 3, 12);
    expect(refClipScore(0, 0)).toBe(0);
    expect(refClipScore(0, 0.7)).toBe(0);
    expect(() => referenceSimilarity(a, [])).toThrow(/at least one reference/);
  });
});

describe('CLIP scorer on the interface-faithful fixture', () => {
  let fp32: ClipScorer;
  let q8: ClipScorer;
  beforeAll(async () => {
    fp32 = await ClipScorer.open(REPO);
    q8 = await ClipScorer.open(REPO, '_quantized');
  });
  afterAll(async () => {
    await Promise.all([fp32?.release(), q8?.release()]);
  });

  it('equals the PyTorch reference within 1e-5 (fp32) on 6 images x 5 captions', async () => {
    // 1e-5: ORT and PyTorch float32 kernels sum in different orders (~1e-7 relative on the
    // embeddings); scores are at most 2.5, so 1e-5 leaves two orders of magnitude for that error
    const images = await fp32.embedPixels(ref.images.map((_, i) => pilPixels(i)));
    let clipped = 0;
    for (let i = 0; i < ref.images.length; i++) {
      const got = await fp32.score(images[i], ref.captions[i], ref.references[i]);
      expect(got).toHaveLength(5);
      got.forEach((g, j) => {
        expect(Math.abs(g.clipScore - ref.clip_score[i][j])).toBeLessThan(1e-5);
        expect(Math.abs((g.refClipScore ?? Number.NaN) - ref.ref_clip_score[i][j])).toBeLessThan(1e-5);
        if (ref.clip_score[i][j] === 0) clipped++;
      });
    }
    // the fixture exercises both sides of the clipping at 0
    expect(clipped).toBeGreaterThan(0);
    expect(clipped).toBeLessThan(30);
  });

  it('scores with the q8 variant: the same interface, different numerics', async () => {
    const [img8] = await q8.embedPixels([pilPixels(0)]);
    const [img32] = await fp32.embedPixels([pilPixels(0)]);
    const s8 = await q8.score(img8, ref.captions[0]);
    const s32 = await fp32.score(img32, ref.captions[0]);
    expect(img8).toHaveLength(512);
    for (const s of s8) expect(s.clipScore >= 0 && s.clipScore <= 2.5).toBe(true);
    expect(s8.map((s) => s.clipScore)).not.toEqual(s32.map((s) => s.clipScore));
  });

  it('embeds a truncated caption at its kept end token', async () => {
    const words = (n: number) => Array(n).fill('cat').join(' ');
    // "A photo depicts " takes 3 of the 75 word slots: 72 words fill them, a 73rd is cut
    const [e71, e72, e73] = await fp32.embedCaptions([words(71), words(72), words(73)]);
    expect(Array.from(e73)).toEqual(Array.from(e72));
    expect(Array.from(e71)).not.toEqual(Array.from(e72));
  });

  it('preprocesses as the preprocessor_config says, within one 8-bit level of the PIL reference', async () => {
    // the config is CLIPImageProcessor's: shortest edge 224 bicubic, centre crop 224, CLIP mean/std
    expect(fp32.image.size.shortestEdge).toBe(224);
    expect(fp32.image.resample).toBe(3);
    expect(fp32.image.do_center_crop).toBe(true);
    // the 640x427 image's long edge is int(224 * 640 / 427) = 335 (335.7 rounded would be 336,
    // shifting every pixel): the truncation transformers' get_resize_output_image_size does
    const std = fp32.image.image_std;
    for (let i = 0; i < ref.images.length; i++) {
      const file = join(IMAGES, ref.images[i]);
      const { pixels: ours } = await preprocessImage(file, readFileSync(file), fp32.image);
      const pil = pilPixels(i);
      expect(ours).toHaveLength(pil.length);
      const plane = ours.length / 3;
      let max = 0;
      for (let k = 0; k < ours.length; k++) {
        const levels = (Math.abs(ours[k] - pil[k]) * std[Math.floor(k / plane)]) / fp32.image.rescale_factor;
        max = Math.max(max, levels);
      }
      // one level: the resampler is PIL's to the byte, the float normalisation order differs
      // ((x/255 - mean)/std in numpy vs x*(1/255/std) - mean/std here) by ~1e-6 of a level
      expect(max, ref.images[i]).toBeLessThanOrEqual(1);
    }
  });

  it('names the file on bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clip-'));
    const bad = join(dir, 'broken.jpg');
    writeFileSync(bad, Buffer.from('not a jpeg at all'));
    await expect(preprocessImage(bad, readFileSync(bad), fp32.image)).rejects.toThrow(ImageDecodeError);
    await expect(preprocessImage(bad, readFileSync(bad), fp32.image)).rejects.toThrow(/broken\.jpg/);
    await expect(ClipScorer.open(dir)).rejects.toThrow(/merges\.txt: missing/);
  });
});
