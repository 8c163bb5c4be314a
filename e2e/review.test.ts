/**
 * Most-disagreed captions in Evaluation show their image and open the item; the adjudication view
 * shows every rater's judgments of it, and records the final one. A real studio, real ratings, Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPersonCaptions,
  captionedFolder,
  type Studio,
  screenshot,
  sharedBrowser,
  startStudio,
} from './harness.ts';

const web = sharedBrowser();

describe('most disagreed, and the adjudication view', () => {
  let studio: Studio;
  let sessionId: number;
  /** the first item's captions, in the session's order */
  let shown: { id: number; text: string }[];
  beforeAll(async () => {
    studio = await startStudio();
    const { rootId } = await captionedFolder(studio, 'cs-e2e-review-', 3);
    await addPersonCaptions(studio, rootId);
    sessionId = (await studio.call<{ id: number }>('sessions.create', { name: 'open', rootId, blind: false }))
      .id;
    const item = (position: number) =>
      studio.call<{ candidates: { id: number; text: string }[] }>('sessions.item', {
        sessionId,
        rater: 'ada',
        position,
      });
    shown = (await item(0)).candidates;
    const rate = (rater: string, candidateId: number, more: object) =>
      studio.call('ratings.set', { sessionId, rater, candidateId, ...more });
    // item 0: ada and bea disagree as far as the scale goes; item 1: they agree
    await rate('ada', shown[0].id, { value: 5, best: true });
    await rate('ada', shown[1].id, { value: 1 });
    await rate('bea', shown[0].id, { value: 1 });
    await rate('bea', shown[1].id, { value: 5, best: true });
    for (const c of (await item(1)).candidates)
      for (const rater of ['ada', 'bea']) await rate(rater, c.id, { value: 3 });
  });
  afterAll(() => studio?.stop());

  it('shows each most-disagreed caption with its thumbnail; a click opens its item with every rater’s judgments and a final one', async () => {
    const page = await web.open(studio, '#/evaluation');
    const items = page.getByTestId('disagreed-item');
    await items.first().waitFor();
    // only item 0's two captions are disagreed on ([5, 1] and [1, 5]); item 1's [3, 3] are not
    await expect(items.count()).resolves.toBe(2);
    const texts = await items.locator('.text').allTextContents();
    expect(texts.sort()).toEqual(shown.map((c) => c.text).sort());
    await expect(items.locator('.values').allTextContents()).resolves.toEqual(['[5, 1]', '[1, 5]']);
    // a real thumbnail, decoded by the browser
    const img = items.first().locator('img');
    await expect
      .poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth))
      .toBeGreaterThan(0);
    await screenshot(page, 'most-disagreed');

    await items.first().click();
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/review/${sessionId}/0`);
    const review = page.getByTestId('review');
    await review.waitFor();
    await expect(review.locator('h2').textContent()).resolves.toBe('open: item 1 of 3');
    await expect(review.locator('thead th').allTextContents()).resolves.toEqual(['Caption', 'ada', 'bea']);
    const rows = review.getByTestId('review-candidate');
    await expect(rows.locator('.text').allTextContents()).resolves.toEqual(shown.map((c) => c.text));
    const cells = async (i: number) => rows.nth(i).getByTestId('review-cell').allTextContents();
    await expect(cells(0)).resolves.toEqual(['5 ★ best', '1']);
    await expect(cells(1)).resolves.toEqual(['1', '5 ★ best']);
    await expect
      .poll(() =>
        review.locator('img').evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    // the final judgment: B is best, score 4; stored where exports and evaluation read it
    const final = review.getByTestId('final');
    await expect(final.textContent()).resolves.toBe('No final judgment yet.');
    await review.getByLabel('Final best caption').selectOption(String(shown[1].id));
    await review.getByLabel('Final score').selectOption('4');
    await review.getByRole('button', { name: 'Record final judgment' }).click();
    await expect.poll(() => final.textContent()).toBe('Final: B is best, score 4.');
    await screenshot(page, 'adjudication');
    const stored = await studio.call<{ final: unknown }>('sessions.review', { sessionId, position: 0 });
    expect(stored.final).toEqual({ best: shown[1].id, score: 4 });
    await page.reload();
    await expect.poll(() => review.getByTestId('final').textContent()).toBe('Final: B is best, score 4.');
    await review.getByRole('button', { name: 'Next item →' }).click();
    await expect.poll(() => review.getAttribute('data-position')).toBe('1');
    await expect.poll(() => cells(0)).toEqual(['3', '3']);
    await page.close();
  });
});
