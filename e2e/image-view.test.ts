/**
 * The image view in a real browser: each photo's aspect ratio, zoom, stepping through the folder by
 * keyboard, back to the grid and through it by keyboard, and removing a folder only when confirmed.
 * Screenshots go to test-output/screenshots/.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeGoodImages } from '../test/fixtures/images.ts';
import { type Studio, screenshot, sharedBrowser, startStudio } from './harness.ts';

const { open } = sharedBrowser();

describe('image view', () => {
  let studio: Studio;
  let rootId: number;
  beforeAll(async () => {
    studio = await startStudio();
    const folder = tempDir('cs-e2e-view-');
    const [scene] = await writeGoodImages(join(folder, 'src'), 1);
    // a wide, a square and a tall photo, in that path order
    for (const [name, w, h] of [
      ['a-wide.png', 320, 160],
      ['b-square.png', 200, 200],
      ['c-tall.png', 120, 240],
    ] as const)
      await sharp(scene).resize(w, h, { fit: 'fill' }).png().toFile(join(folder, name));
    rmSync(join(folder, 'src'), { recursive: true });
    rootId = (await studio.call<{ id: number }>('library.addRoot', { path: folder })).id;
    await studio.captionAll(rootId, {});
  });
  afterAll(() => studio?.stop());

  it('keeps each photo’s aspect ratio, zooms, and steps through the folder with ← / →, back to the grid with Esc', async () => {
    const files = (
      await studio.call<{ items: { fileId: number; rel: string }[] }>('library.images', { rootId })
    ).items;
    expect(files.map((f) => f.rel)).toEqual(['a-wide.png', 'b-square.png', 'c-tall.png']);
    const page = await open(studio, `#/image/${files[0].fileId}`);
    const shown = async () => {
      const img = page.getByTestId('image');
      await expect
        .poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth))
        .toBeGreaterThan(0);
      const box = (await page.getByTestId('image-viewport').boundingBox())!;
      const natural = await img.evaluate((e) => [
        (e as unknown as { naturalWidth: number }).naturalWidth,
        (e as unknown as { naturalHeight: number }).naturalHeight,
      ]);
      return {
        rel: await page.locator('.path').first().textContent(),
        ratio: box.width / box.height,
        natural: natural[0] / natural[1],
      };
    };
    let now = await shown();
    expect(now.rel).toBe('a-wide.png');
    expect(now.natural).toBe(2);
    // the shown box is laid out in whole pixels: its aspect ratio within 0.05 (1 digit) of the file's
    expect(now.ratio).toBeCloseTo(now.natural, 1);
    await screenshot(page, 'image-wide');

    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('.path').first().textContent()).toBe('b-square.png');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('.path').first().textContent()).toBe('c-tall.png');
    now = await shown();
    expect(now.natural).toBe(0.5);
    expect(now.ratio).toBeCloseTo(0.5, 1);
    await page.keyboard.press('ArrowRight'); // the last: stays
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.locator('.path').first().textContent()).toBe('b-square.png');

    // zoom in with +, the box stays the same size
    const before = (await page.getByTestId('image-viewport').boundingBox())!;
    await page.keyboard.press('+');
    await expect.poll(() => page.locator('.heat-image').getAttribute('data-zoom')).toBe('1.25');
    expect((await page.getByTestId('image-viewport').boundingBox())!.width).toBe(before.width);
    await page.keyboard.press('0');
    await expect.poll(() => page.locator('.heat-image').getAttribute('data-zoom')).toBe('1.00');

    await page.keyboard.press('Escape');
    await page.locator('[data-testid=grid][data-total="3"]').waitFor();
    // the grid by keyboard: arrows move between tiles, Enter opens one
    await page.locator('[data-testid=tile]').first().focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.path').first().textContent()).toBe('b-square.png');
    // removing a folder asks first; saying no keeps it
    await page.keyboard.press('Escape');
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      d.dismiss();
    });
    await page.getByRole('button', { name: /^Remove / }).click();
    await expect.poll(() => asked).toEqual([expect.stringMatching(/captions and ratings are kept/)]);
    await expect(studio.call<unknown[]>('library.roots', {})).resolves.toHaveLength(1);
    await page.close();
  });
});
