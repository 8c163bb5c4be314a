/**
 * Never a lost key, in a real browser: 40 rating keys (and 20 moves) 10 ms apart, through the
 * owner's page and through a rater link with 100 ms added to every API request, one request
 * aborted before it reaches the server and one whose answer is lost after the server applied it.
 * Each time exactly 40 judgments are stored, in the order typed, and the view ends on the last image.
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionItem } from '../electron/core/api/types.ts';
import {
  addPersonCaptions,
  captionedFolder,
  newPage,
  type Studio,
  sharedBrowser,
  startStudio,
} from './harness.ts';

const IMAGES = 20;
const web = sharedBrowser();
let studio: Studio;
let sessionId: number;
beforeAll(async () => {
  studio = await startStudio();
  const { rootId } = await captionedFolder(studio, 'cs-e2e-queue-', IMAGES);
  // each image: the model's caption and a person's, two to rate
  await addPersonCaptions(studio, rootId);
  sessionId = (await studio.call<{ id: number }>('sessions.create', { name: 'fast keys', rootId })).id;
}, 180_000);
afterAll(() => studio?.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per image two digits (the first rates caption A, the highlight moves on to B) then →; 10 ms apart. */
async function typeRatings(page: Page): Promise<[number, number][]> {
  const typed: [number, number][] = [];
  for (let i = 0; i < IMAGES; i++) {
    const values = [1 + (i % 5), 1 + ((i + 2) % 5)];
    for (const [slot, v] of values.entries()) {
      await page.keyboard.press(String(v));
      typed.push([i * 2 + slot, v]);
      await sleep(10);
    }
    if (i < IMAGES - 1) {
      await page.keyboard.press('ArrowRight');
      await sleep(10);
    }
  }
  return typed;
}

/** What a rater's judgments in the session are: (caption, value) in the order stored, and their seqs. */
function stored(rater: string) {
  const db = new Database(join(studio.dataDir, 'studio.sqlite'), { readonly: true });
  const rows = db
    .prepare(
      `SELECT j.candidate_id, j.value, j.seq, j.state FROM judgments j JOIN raters r ON r.id = j.rater_id
       WHERE j.session_id = ? AND r.name = ? ORDER BY j.id`,
    )
    .all(sessionId, rater) as { candidate_id: number; value: number; seq: number; state: string }[];
  db.close();
  return rows;
}

/** The captions the rater sees, in the rater's order: index 2 * image + slot. */
async function shownOrder(rater: string): Promise<number[]> {
  const out: number[] = [];
  for (let p = 0; p < IMAGES; p++) {
    const it = await studio.call<SessionItem>('sessions.item', { sessionId, rater, position: p });
    out.push(...it.candidates.map((c) => c.id));
  }
  return out;
}

async function checkAll(page: Page, rater: string, typed: [number, number][]) {
  // everything committed: nothing pending, the view on the last image with both its ratings
  await expect
    .poll(() => page.getByTestId('rating').getAttribute('data-pending'), { timeout: 30_000 })
    .toBe('0');
  await expect(page.getByTestId('rating').getAttribute('data-position')).resolves.toBe(String(IMAGES - 1));
  const last = typed.slice(-2).map(([, v]) => String(v));
  await expect(
    page
      .locator('[data-testid=rate-candidate]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-value'))),
  ).resolves.toEqual(last);
  const rows = stored(rater);
  expect(rows).toHaveLength(40);
  const order = await shownOrder(rater);
  expect(rows.map((r) => [r.candidate_id, r.value])).toEqual(typed.map(([at, v]) => [order[at], v]));
  const seqs = rows.map((r) => r.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(40);
  expect(rows.every((r) => r.state === 'current')).toBe(true);
}

describe('rating keys are never lost', () => {
  it('40 rating keys 10 ms apart on the owner’s page: 40 judgments, in order, the view on the last image', async () => {
    const page = await web.open(studio, `#/rate/${sessionId}/ada`);
    await page.getByTestId('rating').waitFor();
    const typed = await typeRatings(page);
    await checkAll(page, 'ada', typed);
    await page.close();
  });

  it('through a rater link with 100 ms latency, one request aborted and one answer lost: retried, 40 judgments once each', async () => {
    const { token } = await studio.call<{ token: string }>('raters.invite', {
      rater: 'bea',
      sessions: [sessionId],
    });
    const page = await newPage(web.browser);
    let sets = 0;
    await page.route('**/api/ratings.set', async (route) => {
      await sleep(100);
      sets++;
      if (sets === 3) return route.abort(); // never reaches the server
      if (sets === 7) {
        await route.fetch(); // the server applies it, the answer is lost on the way back
        return route.abort();
      }
      return route.continue();
    });
    await page.route('**/api/sessions.item', async (route) => {
      await sleep(100);
      return route.continue();
    });
    await page.goto(`${studio.base}/?token=${token}#/rate/${sessionId}`);
    await page.getByTestId('rating').waitFor();
    // the failure is shown while it is retried (for a few hundred ms): watched from inside the page
    await page.evaluate(`new MutationObserver(() => {
      if (document.querySelector('[data-testid=rating-retry]')) document.body.dataset.retryShown = 'yes';
    }).observe(document.body, { subtree: true, childList: true })`);
    const typed = await typeRatings(page);
    await checkAll(page, 'bea', typed);
    await expect(page.locator('body').getAttribute('data-retry-shown')).resolves.toBe('yes');
    expect(sets).toBe(42); // 40 actions, two of them sent twice
    await page.close();
  });

  it('undo works on the queued state, and a reload keeps what was not committed yet', async () => {
    const page = await web.open(studio, `#/rate/${sessionId}/cy`);
    await page.route('**/api/ratings.*', async (route) => {
      await sleep(300);
      return route.continue();
    });
    await page.getByTestId('rating').waitFor();
    const [a, b] = (await shownOrder('cy')).slice(0, 2);
    for (const key of ['3', '4', 'u', 'u', '5']) {
      await page.keyboard.press(key); // 3 on A (sent), 4 on B (queued), undo the 4, undo the 3, 5 on A
      await sleep(10);
    }
    await expect(page.getByTestId('rating').getAttribute('data-pending')).resolves.not.toBe('0');
    await page.reload();
    await page.getByTestId('rating').waitFor();
    await expect
      .poll(() => page.getByTestId('rating').getAttribute('data-pending'), { timeout: 30_000 })
      .toBe('0');
    const rows = stored('cy');
    // the 4 never left the browser; the 3 was stored and undone; the 5 stands
    expect(rows.map((r) => [r.candidate_id, r.value, r.state])).toEqual([
      [a, 3, 'undone'],
      [a, 5, 'current'],
    ]);
    expect(rows.some((r) => r.candidate_id === b)).toBe(false);
    const it = await studio.call<SessionItem>('sessions.item', { sessionId, rater: 'cy', position: 0 });
    expect(it.candidates.map((c) => c.value)).toEqual([5, null]);
    await page.close();
  });
});
