/**
 * The studio in a real browser: add a folder, caption it, compare candidates, see a heat-map,
 * run a blind rating session by keyboard only, reload mid-session and resume with nothing lost.
 * Screenshots of each main view go to test-output/screenshots/.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeBrokenImages, writeGoodImages } from '../test/fixtures/images.ts';
import { launchBrowser, openPage, type Studio, screenshot, startStudio } from './harness.ts';

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

describe('blind rating session by keyboard only', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await startStudio();
    const folder = tempDir('cs-e2e-rate-');
    await writeGoodImages(folder, 4);
    const root = await studio.call<{ id: number }>('library.addRoot', { path: folder });
    rootId = root.id;
    // each image: the model's caption and a person's, two candidates to compare
    await studio.captionAll(root.id, {});
    for (const [i, g] of (await greedy()).entries())
      await studio.call('candidate.edit', { candidateId: g.id, text: `a person's caption ${i}` });
  });
  afterAll(() => studio?.stop());
  let rootId: number;

  /** Each image's greedy caption, in library order. */
  const greedy = async () => {
    const files = await studio.call<{ items: { fileId: number }[] }>('library.images', { rootId });
    const out: { id: number; text: string }[] = [];
    for (const f of files.items) {
      const d = await studio.call<{ runs: { candidates: { id: number; text: string; source: string }[] }[] }>(
        'image.get',
        { fileId: f.fileId },
      );
      out.push(d.runs[0].candidates.find((c) => c.source === 'model')!);
    }
    return out;
  };

  /** The Rating view, once its form shows the folder a new session rates (loaded after the page). */
  const sessionForm = async () => {
    const page = await open(studio, '#/rate');
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

  it('an open session with guidelines: identical texts once, an edit made while rating joins the image, a progress bar', async () => {
    // the first image's greedy caption written again by a person, spaced differently: the same caption
    const [first] = await greedy();
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

describe('image view and jobs', () => {
  let studio: Studio;
  let rootId: number;
  beforeAll(async () => {
    studio = await startStudio();
    const folder = tempDir('cs-e2e-view-');
    const [scene] = await writeGoodImages(join(folder, 'src'), 1);
    // a wide, a square and a tall photo, in that path order
    for (const [name, w, h] of [
      ['a-wide.png', 320, 160],
      ['b-square.png', 200, 200],
      ['c-tall.png', 120, 240],
    ] as const)
      await sharp(scene).resize(w, h, { fit: 'fill' }).png().toFile(join(folder, name));
    rmSync(join(folder, 'src'), { recursive: true });
    rootId = (await studio.call<{ id: number }>('library.addRoot', { path: folder })).id;
    await studio.captionAll(rootId, {});
  });
  afterAll(() => studio?.stop());

  it('keeps each photo’s aspect ratio, zooms, and steps through the folder with ← / →, back to the grid with Esc', async () => {
    const files = (
      await studio.call<{ items: { fileId: number; rel: string }[] }>('library.images', { rootId })
    ).items;
    expect(files.map((f) => f.rel)).toEqual(['a-wide.png', 'b-square.png', 'c-tall.png']);
    const page = await open(studio, `#/image/${files[0].fileId}`);
    const shown = async () => {
      const img = page.getByTestId('image');
      await expect
        .poll(() => img.evaluate((e) => (e as unknown as { naturalWidth: number }).naturalWidth))
        .toBeGreaterThan(0);
      const box = (await page.getByTestId('image-viewport').boundingBox())!;
      const natural = await img.evaluate((e) => [
        (e as unknown as { naturalWidth: number }).naturalWidth,
        (e as unknown as { naturalHeight: number }).naturalHeight,
      ]);
      return {
        rel: await page.locator('.path').first().textContent(),
        ratio: box.width / box.height,
        natural: natural[0] / natural[1],
      };
    };
    let now = await shown();
    expect(now.rel).toBe('a-wide.png');
    expect(now.natural).toBe(2);
    // the shown box is laid out in whole pixels: its aspect ratio within 0.05 (1 digit) of the file's
    expect(now.ratio).toBeCloseTo(now.natural, 1);
    await screenshot(page, 'image-wide');

    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('.path').first().textContent()).toBe('b-square.png');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.locator('.path').first().textContent()).toBe('c-tall.png');
    now = await shown();
    expect(now.natural).toBe(0.5);
    expect(now.ratio).toBeCloseTo(0.5, 1);
    await page.keyboard.press('ArrowRight'); // the last: stays
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.locator('.path').first().textContent()).toBe('b-square.png');

    // zoom in with +, the box stays the same size
    const before = (await page.getByTestId('image-viewport').boundingBox())!;
    await page.keyboard.press('+');
    await expect.poll(() => page.locator('.heat-image').getAttribute('data-zoom')).toBe('1.25');
    expect((await page.getByTestId('image-viewport').boundingBox())!.width).toBe(before.width);
    await page.keyboard.press('0');
    await expect.poll(() => page.locator('.heat-image').getAttribute('data-zoom')).toBe('1.00');

    await page.keyboard.press('Escape');
    await page.locator('[data-testid=grid][data-total="3"]').waitFor();
    // the grid by keyboard: arrows move between tiles, Enter opens one
    await page.locator('[data-testid=tile]').first().focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.path').first().textContent()).toBe('b-square.png');
    // removing a folder asks first; saying no keeps it
    await page.keyboard.press('Escape');
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      d.dismiss();
    });
    await page.getByRole('button', { name: /^Remove / }).click();
    await expect.poll(() => asked).toEqual([expect.stringMatching(/captions and ratings are kept/)]);
    await expect(studio.call<unknown[]>('library.roots', {})).resolves.toHaveLength(1);
    await page.close();
  });

  it('Resume continues a paused job from the Jobs view', async () => {
    const folder = tempDir('cs-e2e-resume-');
    await writeGoodImages(folder, 40);
    const root = await studio.call<{ id: number }>('library.addRoot', { path: folder });
    const job = await studio.call<{ id: number }>('jobs.start', {
      rootId: root.id,
      decoding: {},
      batchSize: 1,
    });
    const paused = await studio.call<{ state: string; done: number }>('jobs.stop', {
      jobId: job.id,
      action: 'pause',
    });
    expect(paused.state).toBe('paused');
    expect(paused.done).toBeLessThan(40);
    const page = await open(studio, '#/jobs');
    const row = page.locator(`[data-testid=job]:has(td:text-is("${job.id}"))`);
    await expect(row.getAttribute('data-state')).resolves.toBe('paused');
    await row.getByRole('button', { name: 'Resume' }).click();
    await page
      .locator(`[data-testid=job][data-state=done]:has(td:text-is("${job.id}"))`)
      .waitFor({ timeout: 60_000 });
    await expect(row.locator('td').nth(5).textContent()).resolves.toMatch(/40\/40$/);
    await screenshot(page, 'jobs');
    await page.close();
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

    // plots with axes, ticks and a legend, one distinct colour per series
    for (const plot of ['histogram', 'scatter']) {
      const svg = page.getByTestId(plot);
      await expect(svg.getByTestId('x-axis').count()).resolves.toBe(1);
      await expect(svg.getByTestId('y-axis').count()).resolves.toBe(1);
      expect(await svg.locator('.tick').count()).toBeGreaterThanOrEqual(8);
      const legend = page.getByTestId(plot).locator('xpath=..').getByTestId('legend').locator('li');
      await expect(legend.allTextContents()).resolves.toEqual([' default · beam 3', ' default · greedy']);
      const colours = await legend
        .locator('.swatch')
        .evaluateAll((els) => els.map((e) => e.getAttribute('style')));
      expect(new Set(colours).size).toBe(2);
    }
    await expect(page.getByTestId('import-done').textContent()).resolves.toMatch(
      /^Imported 5 reference captions from .*refs\.tsv: 5 new, for 5 images$/,
    );
    await page.close();
  });

  it('the Export view previews the rows and writes a dataset', async () => {
    const page = await open(studio, '#/export');
    const out = join(tempDir('cs-e2e-export-'), 'dataset');
    await page.getByLabel('Export format').selectOption('imagefolder');
    await page.getByLabel('Export to').fill(out);
    // best captions of an unrated-or-rated library: one row per image, previewed before writing
    await expect.poll(() => page.getByTestId('export-rows').textContent()).toBe('5 rows');
    // the preview follows the options: rated captions by a rater who rated none are no rows, and it says why
    await page.getByLabel('Captions to export').selectOption('rated');
    await page.getByLabel('Raters').fill('nobody');
    await expect
      .poll(() => page.getByTestId('export-rows').textContent())
      .toBe('0 rows: no caption has ratings from the raters or sessions asked for');
    await page.getByLabel('Raters').fill('');
    await page.getByLabel('Captions to export').selectOption('best');
    await expect.poll(() => page.getByTestId('export-rows').textContent()).toBe('5 rows');
    const preview = JSON.parse((await page.locator('pre.preview').textContent())!.split('\n')[0]);
    expect(preview).toMatchObject({ file_name: expect.stringMatching(/^(train|val|test)\/img-00\d\./) });
    await screenshot(page, 'export');
    const exportButton = page.locator('form.export-form').getByRole('button', { name: 'Export' });
    await exportButton.click();
    await expect
      .poll(() => page.getByTestId('export-done').textContent())
      .toBe(`Exported 5 rows as imagefolder to ${join(out, 'metadata.jsonl')}`);
    const meta = readFileSync(join(out, 'metadata.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(meta).toHaveLength(5);
    expect(meta[0]).toEqual(preview);
    for (const m of meta) expect(existsSync(join(out, m.file_name))).toBe(true);
    // a second export to the same folder is refused without "replace"
    await exportButton.click();
    await page
      .getByRole('alert')
      .getByText(/exists \(use overwrite/)
      .waitFor();
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
