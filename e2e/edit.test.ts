/**
 * Bulk caption editing in a real browser on a library of 1,000 captioned photos: select 300 with a
 * click and a shift-click, a regular-expression find/replace whose preview count is what it
 * applies, undo (Ctrl+Z) restores every caption, redo (Ctrl+Shift+Z) reapplies, and a sidecar
 * export afterwards carries the edits.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databasePath, openDatabase } from '../db/open.ts';
import { captionFiles, seededCaption } from '../test/fixtures/captions.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { launchBrowser, openPage, type Studio, screenshot, startStudio } from './harness.ts';

const N = 1000;
const SELECTED = 300;
const FIND = '\\b(two|three) (cat|dog)s\\b';
const REPLACE = '$2s ($1)';
const edit = (t: string) => t.replace(new RegExp(FIND, 'gu'), REPLACE);

let browser: Browser;
let studio: Studio;
beforeAll(async () => {
  const folder = tempDir('cs-e2e-edit-');
  [browser, studio] = await Promise.all([launchBrowser(), startStudio()]);
  // N distinct small photos: the image's number in its pixels
  for (let i = 0; i < N; i++) {
    const px = Buffer.alloc(8 * 8 * 3, i % 251);
    px.writeUInt16LE(i, 0);
    writeFileSync(
      join(folder, `p${String(i).padStart(4, '0')}.png`),
      await sharp(px, { raw: { width: 8, height: 8, channels: 3 } })
        .png()
        .toBuffer(),
    );
  }
  const root = await studio.call<{ id: number }>('library.addRoot', { path: folder });
  // captioned as a job would record it, by a stand-in model (the model is not what is tested here)
  const db = openDatabase(databasePath(studio.dataDir));
  expect(captionFiles(db, root.id, { width: 8, height: 8, format: 'png' })).toBe(N);
  db.close();
}, 180_000);
afterAll(async () => {
  await studio?.stop();
  await browser?.close();
});

/** Every caption, in the library's order (the files' names are their numbers). */
async function captions(): Promise<string[]> {
  const { items } = await studio.call<{ items: { caption: string }[] }>('library.images', { limit: 1000 });
  return items.map((r) => r.caption);
}

describe('bulk caption editing', () => {
  it('300 of 1,000 selected with shift-click; regex replace as previewed; undo, redo; sidecars carry the edits', async () => {
    const page = await openPage(browser, studio);
    const grid = page.locator(`[data-testid=grid][data-total="${N}"]`);
    await grid.waitFor();
    const before = await captions();
    expect(before).toEqual(Array.from({ length: N }, (_, i) => seededCaption(i)));

    await page.locator('[data-index="0"] [data-testid=tile-select]').click();
    // scroll until the 300th tile is drawn, then shift-click it
    const last = page.locator(`[data-index="${SELECTED - 1}"] [data-testid=tile-select]`);
    while (!(await last.count())) await grid.evaluate((el) => el.scrollBy(0, 300));
    await last.click({ modifiers: ['Shift'] });
    await page.getByTestId('selected-count').getByText(`${SELECTED} selected`).waitFor();

    const panel = page.getByTestId('bulk-edit');
    await panel.getByLabel('Find').fill(FIND);
    await panel.getByLabel('Replace with').fill(REPLACE);
    await panel.getByLabel('regex').check();
    // the count, worked out here: captions of the 300 the expression matches
    const expected = before.slice(0, SELECTED).filter((t) => edit(t) !== t).length;
    expect(expected).toBeGreaterThan(50);
    const preview = page.getByTestId('edit-preview');
    await preview.getByText(`${expected} of ${SELECTED} captions change`).waitFor();
    await screenshot(page, 'edit-preview');
    await panel.getByRole('button', { name: 'Apply' }).click();
    await page.getByTestId('edit-status').getByText(`Changed ${expected} captions`).waitFor();
    const after = before.map((t, i) => (i < SELECTED ? edit(t) : t));
    expect(await captions()).toEqual(after);
    // the grid shows the edited captions
    await grid.evaluate((el) => el.scrollTo(0, 0));
    await page.locator('[data-index="1"] [data-testid=tile-caption]').getByText(after[1]).waitFor();

    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.keyboard.press('Control+z');
    await page.getByTestId('edit-status').getByText(`Undid`).waitFor();
    expect(await captions()).toEqual(before);
    await page.keyboard.press('Control+Shift+Z');
    await page.getByTestId('edit-status').getByText(`Redid`).waitFor();
    expect(await captions()).toEqual(after);

    const out = join(tempDir('cs-e2e-edit-out-'), 'sidecars');
    await studio.call('export.run', { format: 'sidecars', out });
    const txt = readdirSync(out)
      .filter((f) => f.endsWith('.txt'))
      .sort();
    expect(txt).toHaveLength(N);
    expect(txt.map((f) => readFileSync(join(out, f), 'utf8'))).toEqual(after.map((t) => `${t}\n`));
  }, 180_000);

  it('the list view edits a caption in place: Enter saves it, Esc cancels, leaving the cell saves, Ctrl+Z undoes', async () => {
    const page = await openPage(browser, studio);
    await page.getByRole('button', { name: 'List view' }).click();
    const rows = page.getByTestId('list-row');
    await page.locator(`[data-testid=grid][data-total="${N}"]`).waitFor();
    const before = await captions();
    const cell = (i: number) => rows.and(page.locator(`[data-index="${i}"]`));

    await cell(2).getByTestId('list-caption').click();
    await cell(2).getByLabel('Caption').fill('typed in the list');
    await page.keyboard.press('Enter');
    await cell(2).getByTestId('list-caption').getByText('typed in the list').waitFor();
    await cell(3).getByTestId('list-caption').click();
    await cell(3).getByLabel('Caption').fill('never saved');
    await page.keyboard.press('Escape');
    await cell(4).getByTestId('list-caption').click();
    await cell(4).getByLabel('Caption').fill('saved on leaving');
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await cell(4).getByTestId('list-caption').getByText('saved on leaving').waitFor();
    const want = [...before];
    want[2] = 'typed in the list';
    want[4] = 'saved on leaving';
    expect(await captions()).toEqual(want);
    await screenshot(page, 'edit-list-view');
    await page.keyboard.press('Control+z');
    await cell(4).getByTestId('list-caption').getByText(before[4]).waitFor();
    want[4] = before[4];
    expect(await captions()).toEqual(want);
  }, 60_000);

  it("the list view shows each caption's model, searches file names, sorts by file name both ways; word statistics", async () => {
    const page = await openPage(browser, studio);
    await page.getByRole('button', { name: 'List view' }).click();
    await page.locator(`[data-testid=grid][data-total="${N}"]`).waitFor();
    const rows = page.getByTestId('list-row');
    const cell = (i: number) => rows.and(page.locator(`[data-index="${i}"]`));
    // the stand-in model's run holds every caption; row 2 is a person's edit of it (the test before)
    await expect.poll(() => cell(0).getByTestId('list-model').textContent()).toBe('seed');
    await expect(cell(2).getByTestId('list-model').textContent()).resolves.toBe('seed (edited)');
    // file names, not captions: "p0007" is in no caption, "photo 7" in no file name
    await page.getByLabel('Search file names').fill('p0007');
    await page.locator('[data-testid=grid][data-total="1"]').waitFor();
    await expect(cell(0).getByTestId('list-name').textContent()).resolves.toBe('p0007.png');
    await page.getByLabel('Search file names').fill('photo 7');
    await page.locator('[data-testid=grid][data-total="0"]').waitFor();
    await page.getByLabel('Search file names').fill('');
    await page.locator(`[data-testid=grid][data-total="${N}"]`).waitFor();
    await page.getByRole('button', { name: 'Sort by file name, Z to A' }).click();
    await expect.poll(() => cell(0).getByTestId('list-name').textContent()).toBe('p0999.png');
    await page.getByRole('button', { name: 'Sort by file name, A to Z' }).click();
    await expect.poll(() => cell(0).getByTestId('list-name').textContent()).toBe('p0000.png');
    // word statistics of what the filters show: a phrase's caption count is what its filter shows
    await page.getByRole('button', { name: 'Word statistics' }).click();
    const phrase = page.getByTestId('word').filter({ hasText: /^red car \d+$/ });
    const shown = Number((await phrase.locator('.counts').textContent())!);
    const { total } = await studio.call<{ total: number }>('library.images', { search: 'red car' });
    expect(shown).toBe(total);
    await phrase.click();
    await expect(page.getByLabel('Search captions').inputValue()).resolves.toBe('red car');
    await page.locator(`[data-testid=grid][data-total="${total}"]`).waitFor();
    await page.getByLabel('Search captions').fill('');
    // '/' goes to the caption search
    await page.locator('body').click({ position: { x: 1, y: 1 } });
    await page.keyboard.press('/');
    await expect(page.evaluate('document.activeElement.getAttribute("aria-label")')).resolves.toBe(
      'Search captions',
    );
  }, 60_000);
});
