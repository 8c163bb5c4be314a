/**
 * Search by meaning in a real browser: a captioned folder scored with the CLIP fixture (through the
 * served API), then a query typed into the Library's "search by meaning" box; the ranked strip shows
 * the images in the order `search.images` gives, each with its score, and a click opens the image.
 * "More like this" in the image view shows the strip `search.images` gives for that image; the
 * Library's order "Review: lowest CLIPScore first" shows the tiles in the review queue's order.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchPage } from '../electron/core/api/types.ts';
import { FIXTURES } from '../test/fixtures/bundles.ts';
import { captionedFolder, type Studio, screenshot, sharedBrowser, startStudio } from './harness.ts';

const { open } = sharedBrowser();
const CLIP = join(FIXTURES, 'clip-repo');

describe('search by meaning in the Library view', () => {
  let studio: Studio;
  let rootId: number;
  beforeAll(async () => {
    studio = await startStudio();
    ({ rootId } = await captionedFolder(studio, 'cs-e2e-search-', 4));
    await studio.call('models.add', { path: CLIP });
    await studio.call('scores.run', { rootId, scorer: CLIP });
  });
  afterAll(() => studio?.stop());

  it('ranks the scored images for a typed query, best first, and opens one', async () => {
    const want = await studio.call<SearchPage>('search.images', { query: 'a red circle', scorer: CLIP });
    expect(want.items).toHaveLength(4);
    const page = await open(studio);
    await page.getByLabel('Search by meaning').fill('a red circle');
    await page.getByLabel('Search by meaning').press('Enter');
    const hits = page.locator('[data-testid=meaning-results] li button');
    await expect.poll(() => hits.count()).toBe(4);
    await expect(hits.evaluateAll((bs) => bs.map((b) => b.getAttribute('title')))).resolves.toEqual(
      want.items.map((h) => h.rel),
    );
    await expect(hits.first().textContent()).resolves.toContain(want.items[0].score.toFixed(3));
    await screenshot(page, 'search-by-meaning');
    await hits.first().click();
    await page.waitForURL(new RegExp(`#/image/${want.items[0].fileId}$`));
  });

  it('shows more like this from an image, as search.images ranks it for that file', async () => {
    const files = await studio.call<{ items: { fileId: number }[] }>('library.images', { rootId });
    const start = files.items[1].fileId;
    const want = await studio.call<SearchPage>('search.images', { fileId: start, scorer: CLIP, limit: 30 });
    expect(want.items).toHaveLength(3);
    const page = await open(studio, `#/image/${start}`);
    await page.getByRole('button', { name: 'More like this' }).click();
    const hits = page.locator('[data-testid=meaning-results] li button');
    await expect.poll(() => hits.count()).toBe(3);
    await expect(hits.evaluateAll((bs) => bs.map((b) => b.getAttribute('title')))).resolves.toEqual(
      want.items.map((h) => h.rel),
    );
    await screenshot(page, 'more-like-this');
  });

  it("orders the Library's tiles lowest CLIPScore first on 'Review: lowest CLIPScore first'", async () => {
    const [scorer] = await studio.call<{ id: number }[]>('library.scorers', {});
    const want = await studio.call<{ items: { rel: string; fileId: number }[] }>('library.images', {
      order: 'clip',
      scorer: scorer.id,
    });
    expect(want.items).toHaveLength(4);
    const page = await open(studio);
    const tiles = page.locator('[data-testid=tile]');
    await expect.poll(() => tiles.count()).toBe(4);
    const byName = await tiles.evaluateAll((ts) => ts.map((t) => t.getAttribute('title')));
    await page.getByLabel('Order').selectOption({ label: 'Review: lowest CLIPScore first' });
    const order = () =>
      tiles.evaluateAll((ts) =>
        [...ts]
          .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
          .map((t) => t.getAttribute('title')),
      );
    await expect.poll(order).toEqual(want.items.map((r) => r.rel));
    // a real change of order (the fixture's scores do not follow the file names)
    expect(byName).not.toEqual(want.items.map((r) => r.rel));
    await screenshot(page, 'review-queue');
    // in one folder, a rating session is made from that order
    const folder = await studio.call<{ path: string }[]>('library.roots', {});
    await page.getByRole('button', { name: folder[0].path, exact: true }).click();
    await page.getByRole('button', { name: 'Rating session from this order' }).click();
    await page.waitForURL(/#\/rate$/);
    const sessions = await studio.call<{ id: number; name: string }[]>('sessions.list', {});
    const made = sessions.find((x) => x.name.startsWith('Review: lowest CLIPScore first'));
    expect(made).toBeDefined();
    const first = await studio.call<{ file: { fileId: number }; total: number }>('sessions.item', {
      sessionId: made!.id,
      rater: 'ada',
      position: 0,
    });
    // a blind session hides the path: its first image is the queue's first, by file id
    expect(first).toMatchObject({ total: 4, file: { fileId: want.items[0].fileId } });
  });
});
