/**
 * The Models view in a real browser: the built-in model's banner, pulling a captioner from a Hub
 * on loopback with live progress, choosing it, and captioning an image with it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../test/fixtures/bundles.ts';
import { tempDir, writeGoodImages } from '../test/fixtures/images.ts';
import { type Studio, screenshot, sharedBrowser, startStudioWithHub } from './harness.ts';

const REPO = 'Xenova/vit-gpt2-image-captioning';
const web = sharedBrowser();
let served: Awaited<ReturnType<typeof startStudioWithHub>>;
let studio: Studio;
let rootId: number;

beforeAll(async () => {
  // about 12 MB at 8 MB/s: long enough to watch the progress
  served = await startStudioWithHub(
    { [REPO]: { dir: join(FIXTURES, 'quantized-only') } },
    { bytesPerSecond: 8_000_000 },
  );
  studio = served.studio;
  const folder = tempDir('cs-e2e-models-');
  await writeGoodImages(folder, 2);
  rootId = (await studio.call<{ id: number }>('library.addRoot', { path: folder })).id;
});
afterAll(async () => {
  await served?.stop();
});

describe('models view', () => {
  it('pulls a captioner with progress, chooses it, and captions an image with it', async () => {
    const page = await web.open(studio);
    const banner = page.getByTestId('default-model-banner');
    await expect(banner.textContent()).resolves.toMatch(/only describes synthetic test scenes/);
    await banner.getByRole('button', { name: 'Open Models' }).click();

    await page.locator('[data-testid=model][data-ref=default]').waitFor();
    await page.getByRole('button', { name: `Pull ${REPO}` }).click();
    const pull = page.getByTestId('pull').first();
    // live progress while it runs: part of the bytes, a rate, an ETA
    await pull.locator('xpath=self::*[@data-state="running"]').waitFor();
    await expect
      .poll(() => pull.getByTestId('pull-progress').textContent())
      .toMatch(/^(?!0\.0 MB)[\d.]+ MB \/ [\d.]+ MB · [\d.]+ MB\/s · ETA \d+:\d\d · running$/);
    await screenshot(page, 'models-pull');
    await pull.locator('xpath=self::*[@data-state="done"]').waitFor({ timeout: 60_000 });
    await page.locator(`[data-testid=model][data-ref="${REPO}"]`).waitFor();
    await expect(page.locator(`[data-testid=model][data-ref="${REPO}"]`).textContent()).resolves.toMatch(
      /vit\+gpt2.*q8/,
    );
    await page.getByRole('button', { name: `Use ${REPO}` }).click();
    await expect(page.locator(`[data-testid=model][data-ref="${REPO}"]`).textContent()).resolves.toMatch(
      /in use/,
    );
    // a reload keeps the download's record (it ran in the core) and the choice
    await page.reload();
    await page.locator('[data-testid=pull][data-state=done]').waitFor();

    // caption an image with it from the image view
    const { items } = await studio.call<{ items: { fileId: number }[] }>('library.images', { rootId });
    await page.goto(`${studio.url}#/image/${items[0].fileId}`);
    await expect.poll(() => page.getByLabel('Model').inputValue()).toBe(REPO);
    await expect(page.getByTestId('default-model-banner').count()).resolves.toBe(0);
    await page.getByLabel('num beams').fill('2');
    await page.getByLabel('num return sequences').fill('2');
    await page.getByRole('button', { name: 'Caption with these settings' }).click();
    const run = page.locator('[data-testid=run]');
    await run.first().waitFor();
    await expect(run.first().locator('header').textContent()).resolves.toMatch(
      new RegExp(`^${REPO} \\(q8\\) · beam 2`),
    );
    await expect(run.first().locator('[data-testid=candidate]').count()).resolves.toBe(2);
    await screenshot(page, 'image-with-pulled-model');
    await page.close();
  }, 120_000);
});
