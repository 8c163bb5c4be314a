/**
 * Search by meaning in a real browser: a captioned folder scored with the CLIP fixture (through the
 * served API), then a query typed into the Library's "search by meaning" box; the ranked strip shows
 * the images in the order `search.images` gives, each with its score, and a click opens the image.
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
  beforeAll(async () => {
    studio = await startStudio();
    const { rootId } = await captionedFolder(studio, 'cs-e2e-search-', 4);
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
});
