/**
 * A newcomer's rough edges, in a real browser: the empty library's hint, error tiles with their
 * reason, thumbnails by content hash (cached), the image view from a rendition (the original on
 * zoom), and a copied caption that keeps its spaces.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photoFolder, type Studio, sharedBrowser, startStudio } from './harness.ts';

const web = sharedBrowser();
let studio: Studio;
let folder: string;
beforeAll(async () => {
  studio = await startStudio();
  folder = await photoFolder('cs-e2e-new-', 3, { broken: true });
  // a photo far larger than the 480 px view
  await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#c33' } })
    .png()
    .toFile(join(folder, 'big.png'));
});
afterAll(async () => {
  await studio?.stop();
});

describe('a newcomer', () => {
  it('is offered Add folder in an empty library; tiles show reasons; thumbnails, previews and copy behave', async () => {
    const page = await web.open(studio);
    const hint = page.locator('[data-testid=empty-library]');
    await hint.waitFor();
    await hint.getByLabel('Folder path').fill(folder);
    await hint.getByRole('button', { name: 'Add folder' }).click();
    await page.getByText('9 images, 0 captioned, 0 errors').waitFor();
    await expect(hint.count()).resolves.toBe(0);
    const roots = (await studio.call<{ id: number }[]>('library.roots', {})) as { id: number }[];
    await studio.captionAll(roots[0].id, {});

    const thumbs: { url: string; cache: string | undefined }[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/thumb/')) thumbs.push({ url: r.url(), cache: r.headers()['cache-control'] });
    });
    await page.reload();
    // error tiles: the reason, not a clipped path; the full path on hover
    await page.getByLabel('Filter').selectOption('errors');
    await page.locator('[data-testid=grid][data-total="5"]').waitFor();
    const empty = page.locator('[data-testid=tile][title*="broken-empty.jpg"]');
    await expect(empty.locator('[data-testid=tile-caption]').textContent()).resolves.toBe(
      '⚠ empty file (0 bytes)',
    );
    await expect(empty.getAttribute('title')).resolves.toBe(
      `${join(folder, 'broken', 'broken-empty.jpg')}: empty file (0 bytes)`,
    );
    // thumbnails by content hash, immutable
    await page.getByLabel('Filter').selectOption('all');
    await page.locator('[data-testid=tile] img').first().waitFor();
    await expect.poll(() => thumbs.length).toBeGreaterThanOrEqual(4);
    for (const t of thumbs) {
      expect(t.url).toMatch(/\/thumb\/\d+\/[0-9a-f]{64}\?grant=/);
      expect(t.cache).toBe('private, max-age=31536000, immutable');
    }

    // the image view: a rendition about the box's size, the original once zoomed
    await page.locator('[data-testid=tile][title="big.png"]').click();
    const img = page.locator('[data-testid=image]');
    await expect
      .poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(512);
    await expect(img.getAttribute('src')).resolves.toMatch(/^thumb\/\d+\/[0-9a-f]{64}\?size=480&grant=/);
    await page.keyboard.press('+');
    await expect
      .poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(3000);
    await expect(img.getAttribute('src')).resolves.toMatch(/^media\/\d+\?grant=/);

    // selecting a caption's words copies the caption as written, spaces and all
    // (in the page: the DOM's own selection, as a mouse drag over the words makes it)
    const selected = await page.evaluate(`(() => {
      const range = document.createRange();
      range.selectNodeContents(document.querySelector('[data-testid=candidate] .words'));
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      return sel.toString();
    })()`);
    const big = (await page.locator('[data-testid=image]').getAttribute('src'))!;
    const detail = await studio.call<{ runs: { candidates: { text: string }[] }[] }>('image.get', {
      fileId: Number(/media\/(\d+)/.exec(big)![1]),
    });
    expect(selected).toBe(detail.runs[0].candidates[0].text);
    expect(selected).toMatch(/^\S+( \S+)+$/);
  });
});
