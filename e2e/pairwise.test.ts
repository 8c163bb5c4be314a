/**
 * Pairwise rating in a real browser: two captions of an image side by side (greedy against 3 beams
 * cut at 3 tokens), verdicts by arrow keys sent 10 ms apart (and again with 100 ms added to every
 * request) through the same never-lose-a-key queue as scores: every verdict stored once, in the
 * order typed, on the pair shown; and by mouse: the A / B / tie / both-bad buttons, skip and undo.
 */

import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalSummary, SessionItem } from '../electron/core/api/types.ts';
import { tempDir, writeGoodImages } from '../test/fixtures/images.ts';
import { launchBrowser, openPage, type Studio, screenshot, startStudio } from './harness.ts';

const IMAGES = 20;
let browser: Browser;
let studio: Studio;
let sessionId: number;
beforeAll(async () => {
  browser = await launchBrowser();
  studio = await startStudio();
  const folder = tempDir('cs-e2e-pairs-');
  await writeGoodImages(folder, IMAGES);
  const root = await studio.call<{ id: number }>('library.addRoot', { path: folder });
  await studio.captionAll(root.id, {});
  await studio.captionAll(root.id, { num_beams: 3, max_length: 4 });
  const s = await studio.call<{ id: number; items: number }>('sessions.create', {
    name: 'A/B',
    rootId: root.id,
    kind: 'pairwise',
  });
  expect(s.items).toBe(IMAGES);
  sessionId = s.id;
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await studio?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KEYS = { ArrowLeft: 'a', ArrowRight: 'b', ArrowDown: 'tie', ArrowUp: 'bad' } as const;

/** A rater's pairwise judgments in the session, in the order stored. */
function stored(rater: string) {
  const db = new Database(join(studio.dataDir, 'studio.sqlite'), { readonly: true });
  const rows = db
    .prepare(
      `SELECT j.candidate_id AS left, j.other_id AS right, j.value, j.seq, j.state FROM judgments j
       JOIN raters r ON r.id = j.rater_id WHERE j.session_id = ? AND r.name = ? AND j.kind = 'pairwise' ORDER BY j.id`,
    )
    .all(sessionId, rater) as { left: number; right: number; value: string; seq: number; state: string }[];
  db.close();
  return rows;
}

/** The pairs as the rater sees them (left, right), by position. */
async function shown(rater: string): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (let p = 0; p < IMAGES; p++) {
    const it = await studio.call<SessionItem>('sessions.item', { sessionId, rater, position: p });
    out.push([it.candidates[0].id, it.candidates[1].id]);
  }
  return out;
}

const settled = (page: Page) =>
  expect.poll(() => page.getByTestId('rating').getAttribute('data-pending'), { timeout: 30_000 }).toBe('0');

/** A verdict key per pair, 10 ms apart, each moving on to the next pair; the verdicts typed. */
async function typeVerdicts(page: Page): Promise<string[]> {
  const keys = Object.keys(KEYS) as (keyof typeof KEYS)[];
  const typed: string[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const key = keys[(i * 3 + Math.floor(i / 4)) % 4];
    await page.keyboard.press(key);
    typed.push(KEYS[key]);
    await sleep(10);
  }
  return typed;
}

async function checkTyped(page: Page, rater: string, typed: string[]) {
  await settled(page);
  await expect(page.getByTestId('rating').getAttribute('data-position')).resolves.toBe(String(IMAGES - 1));
  await expect(page.getByTestId('pair').getAttribute('data-choice')).resolves.toBe(typed.at(-1));
  const rows = stored(rater);
  const pairs = await shown(rater);
  expect(rows.map((r) => [r.left, r.right, r.value])).toEqual(typed.map((v, p) => [...pairs[p], v]));
  const seqs = rows.map((r) => r.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(seqs).size).toBe(IMAGES);
  expect(rows.every((r) => r.state === 'current')).toBe(true);
  const last = await studio.call<SessionItem>('sessions.item', { sessionId, rater });
  expect(last.rated).toBe(IMAGES);
}

describe('pairwise rating in the browser', () => {
  it('20 verdict keys 10 ms apart: 20 verdicts stored in order, on the pairs shown', async () => {
    const page = await openPage(browser, studio, `#/rate/${sessionId}/ada`);
    await page.getByTestId('pair').waitFor();
    // two captions side by side, blind: A and B
    await expect(page.getByTestId('pair-side').count()).resolves.toBe(2);
    await screenshot(page, 'pairwise');
    const typed = await typeVerdicts(page);
    await checkTyped(page, 'ada', typed);
    // every pair judged: the session-complete note, and the owner's list shows the rater's progress
    await expect(page.getByTestId('session-complete').textContent()).resolves.toMatch(
      /ada has judged all 20 pairs/,
    );
    await page.goto(`${studio.url}#/rate`);
    await expect(page.getByTestId('rater-progress').textContent()).resolves.toMatch(/ada 20\/20/);
    // a rater's link lists its session without the other raters' progress
    const { token } = await studio.call<{ token: string }>('raters.invite', {
      rater: 'dee',
      sessions: [sessionId],
    });
    const listed = await fetch(`${studio.base}/api/sessions.list`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    }).then((r) => r.json() as Promise<{ value: { id: number; progress?: unknown }[] }>);
    expect(listed.value.map((x) => [x.id, 'progress' in x])).toEqual([[sessionId, false]]);
    await page.close();
  });

  it('with 100 ms added to every request, the same: nothing lost, nothing twice', async () => {
    const page = await openPage(browser, studio, `#/rate/${sessionId}/bea`);
    await page.route('**/api/{ratings.prefer,sessions.item}', async (route) => {
      await sleep(100);
      return route.continue();
    });
    await page.getByTestId('pair').waitFor();
    const typed = await typeVerdicts(page);
    await checkTyped(page, 'bea', typed);
    await page.close();
  });

  it('by mouse: A / B / tie / both bad buttons, skip and undo', async () => {
    const page = await openPage(browser, studio, `#/rate/${sessionId}/cy`);
    await page.getByTestId('pair').waitFor();
    const at = () => page.getByTestId('rating').getAttribute('data-position');
    await page.getByTestId('verdict-b').click(); // pair 1: B
    await expect.poll(at).toBe('1');
    await page.getByTestId('verdict-tie').click(); // pair 2: tie
    await expect.poll(at).toBe('2');
    await page.getByTestId('pair-skip').click(); // pair 3 skipped
    await expect.poll(at).toBe('3');
    await page.getByTestId('verdict-bad').click(); // pair 4: both bad
    await expect.poll(at).toBe('4');
    await page.getByTestId('verdict-a').click(); // pair 5: A ...
    await expect.poll(at).toBe('5');
    await page.getByTestId('pair-undo').click(); // ... undone: back on pair 5, no verdict
    await expect.poll(at).toBe('4');
    await expect(page.getByTestId('pair').getAttribute('data-choice')).resolves.toBe('');
    await settled(page);
    const pairs = await shown('cy');
    const current = stored('cy').filter((r) => r.state === 'current');
    expect(current.map((r) => [r.left, r.right, r.value])).toEqual([
      [...pairs[0], 'b'],
      [...pairs[1], 'tie'],
      [...pairs[3], 'bad'],
    ]);
    await page.close();
  });

  it('Evaluation ranks the two decodings by Bradley–Terry, with intervals and wins / ties / losses', async () => {
    const summary = await studio.call<EvalSummary>('eval.summary', {});
    const ranking = summary.pairwise!.sessions.find((p) => p.sessionId === sessionId)!.ranking;
    expect(ranking.map((r) => r.source).sort()).toEqual(['default · beam 3', 'default · greedy']);
    const page = await openPage(browser, studio, '#/evaluation');
    const table = page.locator(`[data-testid=pairwise-session][data-session="${sessionId}"]`);
    await table.waitFor();
    const rows = await table
      .getByTestId('pairwise-row')
      .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows).toEqual(
      ranking.map((r) => [
        r.source,
        `${r.strength.toFixed(3)} (${r.lo.toFixed(3)}–${r.hi.toFixed(3)})`,
        `${r.wins} / ${r.ties} / ${r.bothBad} / ${r.losses}`,
        `${(r.winRate * 100).toFixed(0)}%`,
      ]),
    );
    await screenshot(page, 'pairwise-evaluation');
    await page.close();
  });
});
