/**
 * The pixel guard every format passes through: crafted files whose headers declare huge images
 * (BMP RLE8 / RLE4 / bitfields, PNG, GIF, TIFF, WebP) are refused from their headers alone, before
 * a pixel is allocated; empty and truncated files are clear errors; real BMPs still decode.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { bmpFile, bombFiles, tempDir, writeBombs } from '../../../test/fixtures/images.ts';
import { BMP_MAX_SIDE } from './bmp.ts';
import { checkDeclaredSize, maxPixels, openImage, PixelBudget, PixelLimitError } from './decode.ts';

const DECLARED: Record<string, [string, number, number]> = {
  'bomb-rle8.bmp': ['bmp', 30000, 30000],
  'bomb-rle4.bmp': ['bmp', 30000, 30000],
  'bomb-bitfields.bmp': ['bmp', 20000, 20000],
  'bomb.png': ['png', 30000, 30000],
  'bomb.gif': ['gif', 65535, 65535],
  'bomb.tiff': ['tiff', 30000, 30000],
  'bomb.webp': ['webp', 16383, 16383],
};

describe('the pixel guard', () => {
  it('refuses every crafted bomb from its header, as bytes and as a file, in milliseconds', async () => {
    const files = writeBombs(tempDir('cs-bombs-'));
    const bytes = bombFiles();
    for (const [name, [format, w, h]] of Object.entries(DECLARED)) {
      expect(bytes[name].length, name).toBeLessThan(1100); // small files...
      for (const input of [bytes[name], files[name]]) {
        const t = performance.now();
        const err = await openImage(input).catch((e: Error) => e);
        expect(err, name).toBeInstanceOf(PixelLimitError);
        // ...declaring huge images, said in the error
        expect((err as Error).message, name).toMatch(
          new RegExp(
            `^${format} image declares ${w}x${h} \\(\\d+ megapixels\\); the limit is 100 megapixels`,
          ),
        );
        expect(performance.now() - t, name).toBeLessThan(500);
      }
    }
  });

  it('empty and truncated files are errors that say so, not crashes', async () => {
    const bytes = bombFiles();
    for (const name of ['zero-bytes.bmp', 'zero-bytes.png'])
      await expect(openImage(bytes[name])).rejects.toThrow('empty file (0 bytes)');
    await expect(openImage(bytes['truncated-header.bmp'])).rejects.toThrow(
      'truncated bmp image (a header of 30 bytes)',
    );
    await expect(openImage(bytes['truncated.gif'])).rejects.toThrow(/gif|corrupt/i);
  });

  it('the limit is CAPTION_STUDIO_MAX_MEGAPIXELS, checked as width x height', async () => {
    expect(maxPixels({})).toBe(100e6);
    expect(maxPixels({ CAPTION_STUDIO_MAX_MEGAPIXELS: '0.5' })).toBe(500_000);
    expect(maxPixels({ CAPTION_STUDIO_MAX_MEGAPIXELS: 'lots' })).toBe(100e6);
    const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    expect(await checkDeclaredSize(png, 20_000)).toEqual({ format: 'png', width: 200, height: 100 });
    await expect(checkDeclaredSize(png, 19_999)).rejects.toBeInstanceOf(PixelLimitError);
    const bmp = bmpFile(new Uint8Array(200 * 100 * 3), 200, 100);
    await expect(checkDeclaredSize(bmp, 19_999)).rejects.toThrow(/^bmp image declares 200x100/);
  });

  it('a real BMP still decodes (in its worker) to its pixels, from bytes and from a file', async () => {
    const w = 7;
    const h = 5;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 29) % 256);
    const file = join(tempDir('cs-bmp-'), 'x.bmp');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, bmpFile(rgb, w, h));
    for (const input of [bmpFile(rgb, w, h), file]) {
      const { img, format } = await openImage(input);
      const out = await img.raw().toBuffer({ resolveWithObject: true });
      expect(format).toBe('bmp');
      expect([out.info.width, out.info.height, out.info.channels]).toEqual([w, h, 3]);
      expect(Array.from(out.data)).toEqual(Array.from(rgb));
    }
  });

  it('a BMP larger than BMP_MAX_SIDE comes back scaled to fit it, with its own size said', async () => {
    const rgb = new Uint8Array(3000 * 100 * 3).fill(200);
    const { img, width, height } = await openImage(bmpFile(rgb, 3000, 100));
    const meta = await img.metadata();
    expect([width, height]).toEqual([3000, 100]);
    expect([meta.width, meta.height]).toEqual([BMP_MAX_SIDE, Math.round((100 * BMP_MAX_SIDE) / 3000)]);
  });
});

describe('the full-decode budget', () => {
  it('decodes that fit share it, a large one waits for room, in order of arrival; one over it runs alone', async () => {
    const budget = new PixelBudget(() => 100);
    const log: string[] = [];
    const releases: Record<string, () => void> = {};
    const start = (name: string, pixels: number) =>
      budget.run(pixels, () => {
        log.push(`start ${name}`);
        return new Promise<void>((done) => (releases[name] = done));
      });
    const tick = () => new Promise((r) => setImmediate(r));
    const all = [start('a', 40), start('b', 40), start('big', 90), start('c', 10)];
    await tick();
    expect(log).toEqual(['start a', 'start b']); // c fits, but does not overtake the large one waiting
    releases.a();
    await tick();
    expect(log).toEqual(['start a', 'start b']); // 40 + 90 > 100
    releases.b();
    await tick();
    expect(log).toEqual(['start a', 'start b', 'start big', 'start c']); // 90 + 10 fit
    releases.big();
    releases.c();
    await Promise.all(all);
    // one over the budget still runs, alone
    await expect(budget.run(500, async () => 'ran')).resolves.toBe('ran');
  });
});
