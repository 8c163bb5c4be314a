/**
 * The served page in Chromium keeps its token out of sight: after load the address bar (and
 * history) no longer holds it, images load by short-lived grants (no token in any request URL),
 * a rater's link still rates, and a reload keeps working from the tab's session storage (the
 * history entry is replaced, not added).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captionedFolder, newPage, type Studio, sharedBrowser, startStudio } from './harness.ts';

const web = sharedBrowser();
let studio: Studio;
let sessionId: number;
beforeAll(async () => {
  studio = await startStudio();
  const { rootId } = await captionedFolder(studio, 'cs-e2e-served-', 3);
  sessionId = (await studio.call<{ id: number }>('sessions.create', { name: 'served', rootId })).id;
}, 180_000);
afterAll(() => studio?.stop());

/** A new page (see harness newPage) and every URL it requests (to check none carries a token). */
async function pageWithRequests(): Promise<{ page: Page; urls: string[] }> {
  const page = await newPage(web.browser);
  const urls: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  return { page, urls };
}

const loadedImages = (page: Page) =>
  page
    .locator('img')
    .evaluateAll(
      (els) => els.filter((e) => (e as unknown as { naturalWidth: number }).naturalWidth > 0).length,
    );

describe('the token leaves the address bar', () => {
  it("the owner's page: no token in location.href or in any request URL after load; thumbnails and images load", async () => {
    const { page, urls } = await pageWithRequests();
    await page.goto(`${studio.url}#/`);
    await page.locator('[data-testid=tile] img').first().waitFor();
    await expect.poll(() => loadedImages(page)).toBe(3);
    const href = await page.evaluate<string>('location.href');
    expect(href).not.toContain(studio.token);
    expect(href).not.toContain('token=');
    expect(href).toBe(`${studio.base}/#/`);
    const later = urls.slice(1); // the first is the printed URL itself
    expect(later.length).toBeGreaterThan(3);
    for (const u of later) expect(u, u).not.toContain(studio.token);
    expect(later.some((u) => /\/thumb\/\d+(\/[0-9a-f]{64})?\?grant=/.test(u))).toBe(true);
    // about:blank, then this page: the entry that held the token was replaced, not added to
    expect(await page.evaluate<number>('history.length')).toBe(2);
    // a reload (token now only in this tab's session storage) still works
    await page.reload();
    await expect.poll(() => loadedImages(page)).toBe(3);
    expect(await page.evaluate<string>('location.href')).toBe(`${studio.base}/#/`);
    await page.close();
  });

  it("a rater's link: the token leaves the URL, the image loads, and a rating is stored", async () => {
    const link = await studio.call<{ token: string }>('raters.invite', {
      rater: 'rae',
      sessions: [sessionId],
    });
    const { page, urls } = await pageWithRequests();
    await page.goto(`${studio.base}/?token=${link.token}`);
    await page.getByText('rating as rae').waitFor();
    expect(await page.evaluate<string>('location.href')).not.toContain(link.token);
    await page.getByRole('button', { name: 'Rate' }).click();
    await page.getByTestId('rating').waitFor();
    await expect
      .poll(() =>
        page
          .locator('img.rate-image')
          .evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    await page.keyboard.press('4');
    await expect
      .poll(() => page.locator('[data-testid=rate-candidate]').first().getAttribute('data-value'))
      .toBe('4');
    expect(urls[0]).toContain(link.token); // the link itself, then never again
    for (const u of urls.slice(1)) expect(u, u).not.toContain(link.token);
    expect(await page.evaluate<string>('location.href')).not.toContain(link.token);
    await page.close();
    const item = await studio.call<{ candidates: { value: number | null }[] }>('sessions.item', {
      sessionId,
      rater: 'rae',
      position: 0,
    });
    expect(item.candidates.map((c) => c.value)).toContain(4);
  });
});
