/**
 * The Jobs view in a real browser: a paused caption job resumes from its row and runs to the end.
 * Screenshots go to test-output/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, writeGoodImages } from '../test/fixtures/images.ts';
import { type Studio, screenshot, sharedBrowser, startStudio } from './harness.ts';

const { open } = sharedBrowser();

describe('jobs view', () => {
  let studio: Studio;
  beforeAll(async () => {
    studio = await startStudio();
  });
  afterAll(() => studio?.stop());

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
