/**
 * The studio in a real browser: add a folder, caption it, compare candidates, see a heat-map,
 * run a blind rating session by keyboard only, reload mid-session and resume with nothing lost.
 * Screenshots of each main view go to test-output/screenshots/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, openPage, type Studio, screenshot, startStudio } from './harness.ts';
import { tempDir, writeBrokenImages, writeGoodImages } from './support/images.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(() => browser?.close());

const open = (studio: Studio, hash = '') => openPage(browser, studio, hash);

describe('library, captioning, beam comparison and heat-maps', () => {
  let studio: Studio;
  let folder: string;
  beforeAll(async () => {
    studio = await startStudio();
    folder = tempDir('cs-e2e-lib-');
    await writeGoodImages(folder, 12);
    writeBrokenImages(join(folder, 'broken'));
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
    await expect(page.locator('[data-testid=job] td').nth(5).textContent()).resolves.toBe('5');

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

describe('blind rating session by keyboard only', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await startStudio();
    const folder = tempDir('cs-e2e-rate-');
    await writeGoodImages(folder, 4);
    const root = await studio.call<{ id: number }>('library.addRoot', { path: folder });
    // two decoding configs, so each image has two candidates to compare
    for (const decoding of [{}, { num_beams: 3 }]) {
      await studio.captionAll(root.id, decoding);
    }
  });
  afterAll(() => studio?.stop());

  const candidates = (page: Page) => page.locator('[data-testid=rate-candidate]');
  const values = (page: Page) =>
    candidates(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-value')));

  it('creates a session, rates with digits, picks best, undoes, moves on, and resumes after a reload', async () => {
    const page = await open(studio, '#/rate');
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
    const owner = await open(studio, '#/rate');
    await owner.getByRole('button', { name: 'Invite rater' }).first().click();
    await owner.getByLabel("Invited rater's name").fill('bea');
    await owner.getByRole('button', { name: 'Make link' }).click();
    const link = (await owner.getByLabel('Rater link').textContent())!;
    expect(link).toMatch(new RegExp(`^${studio.base}/\\?token=[\\w-]{32}$`));
    await owner.close();

    const page = await browser.newPage();
    page.on('pageerror', (e) => {
      throw e;
    });
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
});

describe('evaluation view', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await startStudio();
    const folder = tempDir('cs-e2e-eval-');
    const files = await writeGoodImages(folder, 5);
    writeFileSync(
      join(folder, 'refs.tsv'),
      files.map((f) => `${f.split('/').pop()}\ta large red circle`).join('\n'),
    );
    const root = await studio.call<{ id: number }>('library.addRoot', { path: folder });
    for (const decoding of [{}, { num_beams: 3 }]) {
      await studio.captionAll(root.id, decoding);
    }
    const session = await studio.call<{ id: number; items: number }>('sessions.create', {
      name: 'eval',
      rootId: root.id,
    });
    for (const rater of ['ada', 'bob']) {
      for (let position = 0; position < session.items; position++) {
        const item = await studio.call<{ candidates: { id: number }[] }>('sessions.item', {
          sessionId: session.id,
          rater,
          position,
        });
        for (const [i, c] of item.candidates.entries()) {
          await studio.call('ratings.set', {
            sessionId: session.id,
            rater,
            candidateId: c.id,
            value: rater === 'ada' ? 5 - i : 4 - i,
          });
        }
        await studio.call('ratings.set', {
          sessionId: session.id,
          rater,
          candidateId: item.candidates[0].id,
          best: true,
        });
      }
    }
  });
  afterAll(() => studio?.stop());

  it('imports references and shows the per-model table with both plots', async () => {
    const page = await open(studio, '#/evaluation');
    await page.getByTestId('eval-table').waitFor();
    await page.getByLabel('Reference captions file').fill(join(tempDir(), 'missing.tsv'));
    await page.getByRole('button', { name: 'Import references' }).click();
    await page
      .getByRole('alert')
      .getByText(/missing\.tsv: cannot read/)
      .waitFor();
    const refs = (await studio.call<{ path: string }[]>('library.roots', {}))[0].path;
    await page.getByLabel('Reference captions file').fill(join(refs, 'refs.tsv'));
    await page.getByRole('button', { name: 'Import references' }).click();
    const rows = page.locator('[data-testid=eval-table] tbody tr');
    await expect
      .poll(() => rows.allTextContents())
      .toEqual([
        expect.stringMatching(/^default · beam 3\s*5 \(5 with refs\)\d\.\d{3}\d\.\d{3}\d\.\d{3}\d\.\d\d \(/),
        expect.stringMatching(/^default · greedy\s*5 \(5 with refs\)/),
      ]);
    await expect(page.getByTestId('agreement').textContent()).resolves.toMatch(
      /α \(ordinal\): -?\d\.\d{3} over 10 captions .* 2 raters/,
    );
    await expect(page.locator('[data-testid=histogram] rect').count()).resolves.toBe(10);
    await expect(page.locator('[data-testid=scatter] circle').count()).resolves.toBe(10);
    await screenshot(page, 'evaluation');

    // export from the UI: the rated captions as CSV, with provenance columns
    const csv = join(tempDir('cs-e2e-export-'), 'rated.csv');
    await page.getByLabel('Export format').selectOption('csv');
    await page.getByLabel('Captions to export').selectOption('rated');
    await page.getByLabel('Export to').fill(csv);
    await page.getByRole('button', { name: 'Export' }).click();
    await expect(page.getByTestId('export-done').textContent()).resolves.toBe(
      'Exported 10 rows as csv (1 file)',
    );
    const lines = readFileSync(csv, 'utf8').trim().split('\r\n');
    expect(lines[0]).toMatch(/^file_name,caption,image_hash,source,model,model_hash,decoding_config,raters/);
    expect(lines).toHaveLength(11);
    await page.close();
  });
});

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
    const grid = page.getByTestId('grid');
    await page.locator('[data-testid=grid][data-total="100000"]').waitFor();
    const nodes = () => grid.evaluate((g) => g.querySelectorAll('*').length);
    expect(await nodes()).toBeLessThan(400);
    for (const fraction of [0.25, 0.5, 1]) {
      await grid.evaluate((g, f) => {
        g.scrollTop = (g.scrollHeight - g.clientHeight) * f;
      }, fraction);
      await page.waitForTimeout(150);
      expect(await nodes()).toBeLessThan(400);
    }
    // the bottom of the grid shows the last files, fetched page by page
    await expect
      .poll(() => page.locator('[data-testid=tile]').last().getAttribute('title'))
      .toBe('d099/p0999.jpg');
    await page.close();
  }, 120_000);
});
