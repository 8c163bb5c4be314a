/**
 * The library in a real browser: add a folder, caption it as a job, filter the grid, compare beam
 * candidates with a heat-map and edit one; and a virtualised grid over 100,000 files.
 * Screenshots go to test-output/screenshots/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/fixtures/images.ts';
import { photoFolder, type Studio, screenshot, sharedBrowser, startStudio } from './harness.ts';

const { open } = sharedBrowser();

describe('library, captioning, beam comparison and heat-maps', () => {
  let studio: Studio;
  let folder: string;
  beforeAll(async () => {
    studio = await startStudio();
    folder = await photoFolder('cs-e2e-lib-', 12, { broken: true });
  });
  afterAll(() => studio?.stop());

  it('adds a folder, captions it as a job, and compares beam candidates with a heat-map', async () => {
    const page = await open(studio);
    await page.getByLabel('Folder path').fill(folder);
    await page.getByRole('button', { name: 'Add folder' }).click();
    await page.getByText('17 images, 0 captioned, 0 errors').waitFor();

    await page.getByRole('button', { name: 'Jobs' }).click();
    await page.getByLabel('beams').fill('4');
    await page.getByRole('button', { name: 'Caption folder' }).click();
    await page.locator('[data-testid=job][data-state=done]').waitFor({ timeout: 60_000 });
    const job = page.locator('[data-testid=job] td');
    await expect(job.nth(8).textContent()).resolves.toBe('5'); // errors
    await expect(job.nth(1).textContent()).resolves.toBe(folder);
    await expect(job.nth(3).textContent()).resolves.toBe('beam 4');
    await expect(job.nth(6).textContent()).resolves.toMatch(/^\d+\.\d img\/s$/); // the rate stays when done

    await page.getByRole('button', { name: 'Library' }).click();
    await page.getByText('17 images, 12 captioned, 5 errors').waitFor();
    const tiles = page.locator('[data-testid=tile]');
    await expect.poll(() => tiles.count()).toBe(17);
    await page.locator('[data-testid=tile] img').first().waitFor();
    await screenshot(page, 'library');

    // the error filter shows exactly the five broken files, with their reasons
    await page.getByLabel('Filter').selectOption('errors');
    await page.locator('[data-testid=grid][data-total="5"]').waitFor();
    await expect(page.locator('[data-testid=tile]').first().getAttribute('title')).resolves.toMatch(/broken/);
    await page.getByLabel('Filter').selectOption('all');
    // and the filter by model run shows the twelve captioned images
    await page.reload();
    await page.getByLabel('Caption run').selectOption({ label: 'default, beam 4 (12)' });
    await page.locator('[data-testid=grid][data-total="12"]').waitFor();
    await page.getByLabel('Caption run').selectOption('');

    await page.locator('[data-testid=tile]:not(.error)').first().click();
    const run = page.locator('[data-testid=run]');
    await run.first().waitFor();
    await expect(run.locator('[data-testid=candidate]').count()).resolves.toBe(4);
    await expect(run.first().textContent()).resolves.toMatch(/beam 4/);
    await expect(run.first().textContent()).resolves.not.toMatch(/<eos>/);

    // re-run with other settings: a second run appears beside the first
    await page.getByLabel('num beams').fill('2');
    await page.getByLabel('num return sequences').fill('2');
    await page.getByRole('button', { name: 'Caption with these settings' }).click();
    await expect.poll(() => run.count(), { timeout: 30_000 }).toBe(2); // a model call: slow on a loaded machine

    // hovering a word draws its cross-attention over the image
    const heat = page.getByTestId('heatmap');
    await expect(heat.getAttribute('data-active')).resolves.toBe('no');
    await run.first().locator('[data-testid=word]').nth(1).hover();
    await expect.poll(() => heat.getAttribute('data-active'), { timeout: 10_000 }).toBe('yes');
    const painted = await heat.evaluate((el) => {
      const c = el as unknown as {
        width: number;
        height: number;
        getContext(k: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(0);
    await screenshot(page, 'image-beams-heatmap');

    // editing keeps the original and adds a human candidate
    const before = await run.first().locator('[data-testid=candidate]').count();
    await run.first().getByRole('button', { name: 'Edit' }).first().click();
    await page.getByLabel('Edited caption').fill('a hand written caption');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => run.first().locator('[data-testid=candidate]').count()).toBe(before + 1);
    await expect(run.first().textContent()).resolves.toContain('a hand written caption');
    await page.close();
  });
});

/** Scrolls the view to a quarter, half and the end: at each, a few hundred nodes in the DOM at most. */
async function scrollsVirtualised(page: Page) {
  const grid = page.getByTestId('grid');
  const nodes = () => grid.evaluate((g) => g.querySelectorAll('*').length);
  expect(await nodes()).toBeLessThan(400);
  for (const fraction of [0.25, 0.5, 1]) {
    await grid.evaluate((g, f) => {
      g.scrollTop = (g.scrollHeight - g.clientHeight) * f;
    }, fraction);
    await page.waitForTimeout(150);
    expect(await nodes()).toBeLessThan(400);
  }
}

describe('a library of 100,000 images', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await startStudio();
    const folder = tempDir('cs-e2e-100k-');
    for (let d = 0; d < 100; d++) {
      const dir = join(folder, `d${String(d).padStart(3, '0')}`);
      mkdirSync(dir);
      for (let i = 0; i < 1000; i++) writeFileSync(join(dir, `p${String(i).padStart(4, '0')}.jpg`), '');
    }
    await studio.call('library.addRoot', { path: folder });
  }, 180_000);
  afterAll(() => studio?.stop());

  it('scrolls a virtualised grid without rendering more than a few hundred nodes', async () => {
    const page = await open(studio);
    await page.locator('[data-testid=grid][data-total="100000"]').waitFor();
    await scrollsVirtualised(page);
    // the bottom of the grid shows the last files, fetched page by page
    await expect
      .poll(() => page.locator('[data-testid=tile]').last().getAttribute('title'))
      .toBe('d099/p0999.jpg');
    await page.close();
  }, 120_000);

  it('the list view too: one row per file, a few dozen in the DOM at any depth, the last file at the bottom', async () => {
    const page = await open(studio);
    await page.getByRole('button', { name: 'List view' }).click();
    const grid = page.getByTestId('grid');
    await page.locator('[data-testid=grid][data-total="100000"]').waitFor();
    await page.getByTestId('list-row').first().waitFor();
    // 44 px rows: the scroller is one row per file high, the DOM holds the rows in view only
    await expect.poll(() => grid.evaluate((g) => g.scrollHeight)).toBe(100_000 * 44);
    await scrollsVirtualised(page);
    await expect.poll(() => page.getByTestId('list-name').last().textContent()).toBe('d099/p0999.jpg');
    // a file name found among 100,000
    await page.getByLabel('Search file names').fill('d042/p0007');
    await page.locator('[data-testid=grid][data-total="1"]').waitFor();
    await expect(page.getByTestId('list-name').first().textContent()).resolves.toBe('d042/p0007.jpg');
    await page.close();
  }, 120_000);
});
