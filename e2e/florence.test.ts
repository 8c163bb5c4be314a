/**
 * Florence-2 in a real browser: pull the (interface-faithful) repository from the Hub on loopback,
 * choose it and its task, caption a folder as a job, and compare its beams beside the built-in
 * model's in the image view.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixtureReference } from '../test/fixtures/bundles.ts';
import { tempDir } from '../test/fixtures/images.ts';
import { type Studio, screenshot, sharedBrowser, startStudioWithHub } from './harness.ts';

const REPO = 'onnx-community/Florence-2-base-ft';
const web = sharedBrowser();
let served: Awaited<ReturnType<typeof startStudioWithHub>>;
let studio: Studio;
let rootId: number;

beforeAll(async () => {
  served = await startStudioWithHub({ [REPO]: { dir: join(FIXTURES, 'florence-repo') } });
  studio = served.studio;
  const folder = tempDir('cs-e2e-florence-');
  for (const f of fixtureReference().florence.images.slice(0, 2))
    copyFileSync(join(FIXTURES, 'florence-images', f), join(folder, f));
  rootId = (await studio.call<{ id: number }>('library.addRoot', { path: folder })).id;
  await studio.captionAll(rootId, { num_beams: 2, num_return_sequences: 2 }); // the built-in model, for comparison
});
afterAll(async () => {
  await served?.stop();
});

describe('Florence-2', () => {
  it('is pulled, chosen with a task, captions a folder, and shows its beams beside the built-in model', async () => {
    const page = await web.open(studio, '#/models');
    await page.getByRole('button', { name: `Pull ${REPO}` }).click();
    await page.locator('[data-testid=pull][data-state=done]').waitFor({ timeout: 60_000 });
    const row = page.locator(`[data-testid=model][data-ref="${REPO}"]`);
    await expect(row.textContent()).resolves.toMatch(/florence2.*fp32.*caption, detailed, more-detailed/);
    await page.getByRole('button', { name: `Use ${REPO}` }).click();
    await row.getByLabel('Task').selectOption('detailed');

    await page.getByRole('button', { name: 'Jobs' }).click();
    await expect.poll(() => page.getByLabel('Task').inputValue()).toBe('detailed');
    await page.getByLabel('beams').fill('3');
    await page.getByRole('button', { name: 'Caption folder' }).click();
    // the built-in model's job was done before; now Florence-2's is too
    await expect
      .poll(() => page.locator('[data-testid=job][data-state=done]').count(), { timeout: 60_000 })
      .toBe(2);

    const { items } = await studio.call<{ items: { fileId: number }[] }>('library.images', { rootId });
    await page.goto(`${studio.url}#/image/${items[0].fileId}`);
    const runs = page.locator('[data-testid=run]');
    await expect.poll(() => runs.count()).toBe(2);
    const headers = await runs.locator('header').allTextContents();
    expect(headers[0]).toMatch(/^default · beam 2/);
    expect(headers[1]).toMatch(
      new RegExp(`^${REPO} · detailed, beam 3, no-repeat 3-gram · cpu · no attention in this model$`),
    );
    await expect(runs.nth(1).locator('[data-testid=candidate]').count()).resolves.toBe(3);
    await expect(runs.nth(0).getByTestId('no-attention').count()).resolves.toBe(0);
    await screenshot(page, 'florence-beside-default');
    await page.close();
  }, 120_000);
});
