/**
 * A rating session in a real browser: blind, by keyboard only, resumed after a reload with nothing
 * lost; a rater's link that reaches that rater's sessions only; an open session with guidelines.
 * Screenshots go to test-output/screenshots/.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addPersonCaptions,
  captionedFolder,
  modelCaptions,
  newPage,
  type Studio,
  screenshot,
  sharedBrowser,
  startStudio,
} from './harness.ts';

const web = sharedBrowser();

describe('blind rating session by keyboard only', () => {
  let studio: Studio;
  let rootId: number;
  beforeAll(async () => {
    studio = await startStudio();
    rootId = (await captionedFolder(studio, 'cs-e2e-rate-', 4)).rootId;
    // each image: the model's caption and a person's, two candidates to compare
    await addPersonCaptions(studio, rootId);
  });
  afterAll(() => studio?.stop());

  /** The Rating view, once its form shows the folder a new session rates (loaded after the page). */
  const sessionForm = async () => {
    const page = await web.open(studio, '#/rate');
    await page.getByLabel('Session folder').locator('option').first().waitFor({ state: 'attached' });
    return page;
  };
  const candidates = (page: Page) => page.locator('[data-testid=rate-candidate]');
  const values = (page: Page) =>
    candidates(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-value')));

  it('creates a session, rates with digits, picks best, undoes, moves on, and resumes after a reload', async () => {
    const page = await sessionForm();
    // everything by keyboard: focus moves with Tab, text is typed, Enter submits
    await page.getByLabel('Rater name').focus();
    await page.keyboard.type('ada');
    await page.keyboard.press('Tab'); // session name
    await page.keyboard.type('blind check');
    await page.keyboard.press('Enter');
    await page.getByTestId('rating').waitFor();
    await expect(page.getByTestId('progress').textContent()).resolves.toBe('Image 1 of 4 · 0 rated by ada');
    const labels = await candidates(page).locator('.label').allTextContents();
    expect(labels).toEqual(['Caption A', 'Caption B']); // blind: sources hidden
    await screenshot(page, 'rating-session');

    await page.keyboard.press('?');
    await page.getByTestId('help').waitFor();
    await page.keyboard.press('?');

    await page.keyboard.press('4'); // rates A, focus moves on to B
    await expect.poll(() => values(page)).toEqual(['4', '']);
    await page.keyboard.press('2');
    await expect.poll(() => values(page)).toEqual(['4', '2']);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('b'); // A is the best of this image
    await expect.poll(() => candidates(page).first().getAttribute('data-best')).toBe('yes');
    await page.keyboard.press('u'); // undo the pick
    await expect.poll(() => candidates(page).first().getAttribute('data-best')).toBe('no');
    await page.keyboard.press('u'); // undo the 2
    await expect.poll(() => values(page)).toEqual(['4', '']);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('5');
    await expect.poll(() => values(page)).toEqual(['4', '5']);
    await expect(page.getByTestId('progress').textContent()).resolves.toBe('Image 1 of 4 · 1 rated by ada');

    await page.keyboard.press(' '); // next image
    await expect.poll(() => page.getByTestId('rating').getAttribute('data-position')).toBe('1');
    await page.keyboard.press('3'); // half of image 2 rated, then the browser is reloaded
    await expect.poll(() => values(page)).toEqual(['3', '']);

    await page.reload();
    await page.getByTestId('rating').waitFor();
    // resumes on the unfinished image with its committed rating, nothing lost
    await expect.poll(() => page.getByTestId('rating').getAttribute('data-position')).toBe('1');
    await expect.poll(() => values(page)).toEqual(['3', '']);
    await page.keyboard.press('1');
    await expect.poll(() => page.getByTestId('progress').textContent()).toBe('Image 2 of 4 · 2 rated by ada');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => values(page)).toEqual(['4', '5']);
    await page.close();

    // and what the database holds is what was typed
    const item = await studio.call<{ candidates: { value: number | null; best: boolean }[] }>(
      'sessions.item',
      {
        sessionId: 1,
        rater: 'ada',
        position: 0,
      },
    );
    expect(item.candidates.map((c) => [c.value, c.best])).toEqual([
      [4, false],
      [5, false],
    ]);
  });

  it("invites a rater from the Rating view; the link opens that rater's sessions only, rating under the link's name", async () => {
    const owner = await web.open(studio, '#/rate');
    await owner.getByRole('button', { name: 'Invite rater' }).first().click();
    await owner.getByLabel("Invited rater's name").fill('bea');
    await owner.getByRole('button', { name: 'Make link' }).click();
    const link = (await owner.getByLabel('Rater link').textContent())!;
    expect(link).toMatch(new RegExp(`^${studio.base}/\\?token=[\\w-]{32}$`));
    await owner.close();

    const page = await newPage(web.browser);
    await page.goto(link);
    await page.getByText('rating as bea').waitFor();
    await expect(page.getByRole('button', { name: 'Library' }).count()).resolves.toBe(0);
    await expect(page.getByLabel('Rater name').count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Rate' }).click();
    await page.getByTestId('rating').waitFor();
    await page.keyboard.press('5');
    await expect.poll(() => values(page)).toEqual(['5', '']);
    await screenshot(page, 'rater-link');
    await page.close();
    const item = await studio.call<{ candidates: { value: number | null }[] }>('sessions.item', {
      sessionId: 1,
      rater: 'bea',
      position: 0,
    });
    expect(item.candidates.map((c) => c.value)).toContain(5);
  });

  it('an open session with guidelines: identical texts once, an edit made while rating joins the image, a progress bar', async () => {
    // the first image's greedy caption written again by a person, spaced differently: the same caption
    const [first] = await modelCaptions(studio, rootId);
    await studio.call('candidate.edit', {
      candidateId: first.id,
      text: `  ${first.text.replaceAll(' ', '  ')}`,
    });
    const page = await sessionForm();
    await page.getByLabel('Rater name').fill('cy');
    await page.getByLabel('Session name').fill('open with guidelines');
    await page.getByRole('checkbox', { name: /blind/ }).uncheck();
    await page.getByLabel('Guidelines').fill('# Be strict\n\nA caption with **any** wrong colour gets 1.');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByTestId('rating').waitFor();
    await expect(candidates(page).locator('.label').allTextContents()).resolves.toEqual([
      'default, greedy · human edit',
      'human edit',
    ]);
    await expect(candidates(page).locator('.text').allTextContents()).resolves.toEqual([
      first.text,
      "a person's caption 0",
    ]);

    // ? shows the guidelines, rendered
    await page.keyboard.press('?');
    await expect(page.getByTestId('guidelines').locator('h1').textContent()).resolves.toBe('Be strict');
    await expect(page.getByTestId('guidelines').locator('strong').textContent()).resolves.toBe('any');
    await page.keyboard.press('?');
    await expect(page.getByTestId('guidelines').count()).resolves.toBe(0);

    // e: a labelled box; Enter saves, and the edit is a caption of this image at once, highlighted
    await page.keyboard.press('e');
    const box = page.getByLabel('Edit caption');
    await box.fill('a better caption by cy');
    await box.press('Enter');
    await expect
      .poll(() => candidates(page).locator('.text').allTextContents())
      .toEqual([first.text, "a person's caption 0", 'a better caption by cy']);
    await expect(candidates(page).nth(2).getAttribute('class')).resolves.toMatch(/focused/);

    const bar = page.getByTestId('progress-bar');
    await expect(bar.getAttribute('value')).resolves.toBe('0');
    await expect(bar.getAttribute('max')).resolves.toBe('4');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    // each digit rates the highlighted caption, and the highlight moves on to the next unrated one
    await page.keyboard.press('4');
    await expect.poll(() => values(page)).toEqual(['4', '', '']);
    await page.keyboard.press('5');
    await expect.poll(() => values(page)).toEqual(['4', '5', '']);
    await page.keyboard.press('3');
    await expect.poll(() => values(page)).toEqual(['4', '5', '3']);
    await expect.poll(() => bar.getAttribute('value')).toBe('1');
    await screenshot(page, 'rating-open-guidelines');
    await page.close();
  });
});
