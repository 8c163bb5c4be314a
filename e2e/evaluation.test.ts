/**
 * Evaluation and export in a real browser: importing reference captions (a missing file is a clear
 * error), the per-model table with its plots, and the Export view's preview and written dataset.
 * Screenshots go to test-output/screenshots/.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeGoodImages } from '../test/fixtures/images.ts';
import { type Studio, screenshot, sharedBrowser, startStudio } from './harness.ts';

const { open } = sharedBrowser();

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
