/**
 * Heat-maps of a public-layout model in a real browser: the studio serves the vit-gpt2 merged
 * fixture (its export has no attention outputs; the image view's re-caption opens the derived
 * decoder). Hovering two different words of a beam candidate paints different overlays.
 */
import { join } from 'node:path';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../test/fixtures/bundles.ts';
import { tempDir, writeGoodImages } from '../test/fixtures/images.ts';
import { launchBrowser, openPage, type Studio, screenshot, startStudio } from './harness.ts';

let browser: Browser;
let studio: Studio;
let fileId: number;

/** A studio serving `model` (a fixture folder) with a one-image library; the image's file id. */
async function serving(model: string): Promise<[Studio, number]> {
  const s = await startStudio({ CAPTION_STUDIO_MODEL: join(FIXTURES, model) });
  const folder = tempDir('cs-e2e-attn-');
  await writeGoodImages(folder, 1);
  const root = await s.call<{ id: number }>('library.addRoot', { path: folder });
  const { items } = await s.call<{ items: { fileId: number }[] }>('library.images', { rootId: root.id });
  return [s, items[0].fileId];
}

beforeAll(async () => {
  browser = await launchBrowser();
  [studio, fileId] = await serving('merged-only');
});
afterAll(async () => {
  await browser?.close();
  await studio?.stop();
});

/** The overlay canvas's RGBA bytes, as a string to compare. */
const pixels = (heat: Locator) =>
  heat.evaluate((el) => {
    const c = el as unknown as {
      width: number;
      height: number;
      getContext(k: '2d'): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    };
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',');
  });

describe('attention heat-maps of a public-layout model', () => {
  it('hovering two different words of a beam candidate draws two different smooth overlays', async () => {
    const page = await openPage(browser, studio, `#/image/${fileId}`);
    await page.getByLabel('num beams').fill('3');
    await page.getByLabel('num return sequences').fill('3');
    await page.getByRole('button', { name: 'Caption with these settings' }).click();
    const run = page.locator('[data-testid=run]');
    await expect.poll(() => run.count(), { timeout: 60_000 }).toBe(1); // a model call: slow on a loaded machine
    await expect(page.getByTestId('no-attention').count()).resolves.toBe(0);
    const beam = run.locator('[data-testid=candidate]').nth(2); // the third candidate of the beam search
    const words = beam.locator('[data-testid=word]');
    expect(await words.count()).toBeGreaterThanOrEqual(2);

    const heat = page.getByTestId('heatmap');
    await expect(heat.getAttribute('data-active')).resolves.toBe('no');
    await words.nth(0).hover();
    await expect.poll(() => heat.getAttribute('data-active'), { timeout: 10_000 }).toBe('yes');
    const first = await pixels(heat);
    await words.nth(1).hover();
    await expect.poll(() => pixels(heat)).not.toBe(first);
    const second = await pixels(heat);
    // smooth, not blocks: a bilinear map over a 14x14 grid has far more distinct colours than cells
    const bytes = second.split(',');
    const colours = new Set<string>();
    for (let i = 0; i < bytes.length; i += 4) colours.add(bytes.slice(i, i + 3).join(','));
    expect(colours.size).toBeGreaterThan(196);

    // the opacity slider changes the overlay's alpha
    await page.getByTestId('heat-opacity').fill('0.2');
    await expect.poll(() => pixels(heat).then((p) => Number(p.split(',')[3]))).toBe(Math.round(0.2 * 255));
    // the CLS share beside the map (vit-gpt2 has no prompt positions), once the model has answered
    await expect
      .poll(() => page.getByTestId('heat-share').textContent(), { timeout: 30_000 })
      .toMatch(/^CLS\/pooled \d+\.\d%$/);
    // layer 1, head 1 (of the choices the model's layer and head counts give): another map
    const mean = await pixels(heat);
    await page.getByTestId('heat-layer').selectOption('0');
    await page.getByTestId('heat-head').selectOption('0');
    await expect.poll(() => pixels(heat), { timeout: 30_000 }).not.toBe(mean);
    await screenshot(page, 'attention-public-layout');
  });
});

describe('attention heat-maps of the Florence-2 fixture', () => {
  it('shows a smooth map over its 24x24 image tokens, another per word, and the share that went to the task prompt', async () => {
    const [florence, id] = await serving('florence-repo');
    try {
      const page = await openPage(browser, florence, `#/image/${id}`);
      await page.getByRole('button', { name: 'Caption with these settings' }).click();
      const run = page.locator('[data-testid=run]');
      await expect.poll(() => run.count(), { timeout: 60_000 }).toBe(1);
      await expect(page.getByTestId('no-attention').count()).resolves.toBe(0);
      const heat = page.getByTestId('heatmap');
      const words = run.locator('[data-testid=candidate]').first().locator('[data-testid=word]');
      expect(await words.count()).toBeGreaterThanOrEqual(2);
      await expect(heat.getAttribute('data-active')).resolves.toBe('no');
      await words.nth(0).hover();
      await expect.poll(() => heat.getAttribute('data-active'), { timeout: 30_000 }).toBe('yes');
      const first = await pixels(heat);
      const bytes = first.split(',').map(Number);
      // painted: every pixel of the overlay has the opacity's alpha, none is left transparent
      expect(bytes.filter((_, i) => i % 4 === 3).every((a) => a > 0)).toBe(true);
      // smooth, not blocks: 24 blocks across change colour at most 23 times along a row; a bilinear
      // map changes at nearly every pixel where it is not flat (this fixture's maps are sharp: few
      // cells carry the attention, so most of the canvas is one colour and colours alone say little)
      const width = await heat.evaluate((el) => (el as unknown as { width: number }).width);
      let changes = 0;
      for (let y = 0; y < bytes.length / 4 / width; y++) {
        let row = 0;
        for (let x = 1; x < width; x++) {
          const [i, j] = [(y * width + x) * 4, (y * width + x - 1) * 4];
          if ([0, 1, 2].some((c) => bytes[i + c] !== bytes[j + c])) row++;
        }
        changes = Math.max(changes, row);
      }
      expect(changes).toBeGreaterThan(24 - 1);
      await words.nth(1).hover();
      await expect.poll(() => pixels(heat)).not.toBe(first);
      // the prompt's share beside the map (Florence-2's encoder states: image tokens, then the prompt)
      await expect
        .poll(() => page.getByTestId('heat-share').textContent(), { timeout: 30_000 })
        .toMatch(/prompt (\d+\.\d)%/);
      const share = (await page.getByTestId('heat-share').textContent())!;
      expect(Number(share.match(/prompt (\d+\.\d)%/)![1])).toBeGreaterThan(0);
      await screenshot(page, 'attention-florence');
    } finally {
      await florence.stop();
    }
  });
});
