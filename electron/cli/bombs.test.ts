/**
 * `caption` on a folder of decompression bombs (test/fixtures/images.ts `writeBombs`: RLE8, RLE4
 * and bitfield BMPs, a PNG, GIF, TIFF and WebP, each a few hundred bytes declaring an image of
 * 268 megapixels to 4.3 gigapixels), truncated and empty files, beside good images: each crafted
 * file is a per-file error naming what it declares, the good ones are captioned, and the run's
 * peak resident set (VmHWM of the child process) stays under 500 MB. Before the guard, the RLE8
 * BMP alone took the run to 6.3 GB.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { largePng, tempDir, writeBombs, writeGoodImages } from '../../test/fixtures/images.ts';
import { runMeasured } from '../../test/fixtures/measure.ts';

describe('caption on a folder of decompression bombs', () => {
  it('every crafted file is a per-file error, the good images are captioned, peak RSS < 500 MB', async () => {
    const folder = tempDir('cs-bombs-');
    await writeGoodImages(folder, 3);
    const bombs = writeBombs(folder);
    const data = tempDir('cs-bombs-data-');
    const r = await runMeasured(['caption', folder, '--data-dir', data, '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const n = Object.keys(bombs).length;
    expect(r.out).toContain(
      `Done: 3 captioned, 0 already captioned, ${n} new errors; ${n} files cannot be read:`,
    );
    const reason = (name: string) =>
      new RegExp(`${bombs[name].replace(/[.]/g, '\\.')}: (.*)`).exec(r.out)?.[1];
    for (const [name, what] of [
      ['bomb-rle8.bmp', 'bmp image declares 30000x30000'],
      ['bomb-rle4.bmp', 'bmp image declares 30000x30000'],
      ['bomb-bitfields.bmp', 'bmp image declares 20000x20000'],
      ['bomb.png', 'png image declares 30000x30000'],
      ['bomb.gif', 'gif image declares 65535x65535'],
      ['bomb.tiff', 'tiff image declares 30000x30000'],
      ['bomb.webp', 'webp image declares 16383x16383'],
    ])
      expect(reason(name), name).toContain(what);
    expect(reason('zero-bytes.bmp')).toMatch(/empty file \(0 bytes\)/);
    expect(reason('zero-bytes.png')).toMatch(/empty file \(0 bytes\)/);
    expect(reason('truncated-header.bmp')).toMatch(/truncated bmp image/);
    expect(reason('truncated.gif')).toMatch(/corrupt|truncated/);
    expect(r.peakMB).toBeGreaterThan(50); // the sampling saw the process
    expect(r.peakMB).toBeLessThan(500);
    console.log(`caption over ${n} crafted files and 3 good images: peak RSS ${r.peakMB.toFixed(0)} MB`);
  }, 120_000);

  it('a folder of images each just under the pixel limit is decoded one at a time: peak RSS < 500 MB', async () => {
    // 6 distinct 5000x5000 PNGs under a 30-megapixel limit: 75 MB of RGB each while decoded (held
    // twice briefly: libvips's buffer and the worker thread's copy). Decoded side by side (four at
    // a time in libuv's pool) they took the run past 850 MB; one at a time it is the ~280 MB the
    // process holds anyway plus one image.
    const folder = tempDir('cs-large-');
    for (let i = 0; i < 6; i++) writeFileSync(join(folder, `large-${i}.png`), largePng(5000, 5000, i));
    const data = tempDir('cs-large-data-');
    const r = await runMeasured(
      ['caption', folder, '--data-dir', data, '--quiet', '--batch-size', '6'],
      undefined,
      {
        CAPTION_STUDIO_MAX_MEGAPIXELS: '30',
      },
    );
    expect(r.err).toBe('');
    expect(r.out).toContain('Done: 6 captioned, 0 already captioned, 0 new errors');
    expect(r.peakMB).toBeLessThan(500);
    console.log(`caption over 6 images of 25 megapixels (limit 30): peak RSS ${r.peakMB.toFixed(0)} MB`);
  }, 120_000);
});
