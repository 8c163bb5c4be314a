/**
 * Reference-free evaluation in a real browser: a library with no reference captions, captioned by
 * the shipped model with two decodings; the interface-faithful CLIP fixture installed as a scorer
 * (a local folder, nothing downloaded); scoring run from the Evaluation view; captions rated
 * through a rater's link. The view shows each model's CLIPScore as the database holds it and its
 * Kendall tau-c against the ratings as computed here from the stored rows; the rater's link
 * reaches neither the scores nor the evaluation. Screenshots go to test-output/screenshots/.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tauCByDefinition } from '../electron/core/eval/tau-check.ts';
import { FIXTURES } from '../test/fixtures/bundles.ts';
import { newPage, photoFolder, type Studio, screenshot, sharedBrowser, startStudio } from './harness.ts';

const web = sharedBrowser();
const CLIP = join(FIXTURES, 'clip-repo');

/** A request with a given token (the rater's link), its status and body. */
async function callAs(studio: Studio, token: string, channel: string, req: unknown) {
  const r = await fetch(`${studio.base}/api/${channel}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(req),
  });
  return { status: r.status, body: await r.text() };
}

interface Scored {
  candidate_id: number;
  clip_score: number;
  beams: number;
}

describe('CLIPScore in the Evaluation view, without references', () => {
  let studio: Studio;
  let rootId: number;
  let raterToken: string;
  beforeAll(async () => {
    studio = await startStudio();
    const folder = await photoFolder('cs-e2e-clip-', 6);
    rootId = (await studio.call<{ id: number }>('library.addRoot', { path: folder })).id;
    for (const decoding of [{}, { num_beams: 3 }]) await studio.captionAll(rootId, decoding);
    const scorer = await studio.call<{ role: string }>('models.add', { path: CLIP });
    expect(scorer.role).toBe('scorer');
  });
  afterAll(() => studio?.stop());

  /** The database as the server left it, read-only, for the figures this test recomputes. */
  const stored = <T>(sql: string): T[] => {
    const db = new Database(join(studio.dataDir, 'studio.sqlite'), { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };

  it('scores from the view, and shows CLIPScore per model and its tau-c against ratings', async () => {
    const page = await web.open(studio, '#/evaluation');
    await page.getByTestId('eval-table').waitFor();
    await expect(page.getByTestId('clip-column').count()).resolves.toBe(0);
    await page.getByLabel('CLIP scorer').selectOption({ label: 'clip-repo' });
    await page.getByLabel('Scorer variant').selectOption('fp32');
    await page.getByRole('button', { name: 'Score captions' }).click();
    const [{ n: current }] = stored<{ n: number }>(
      'SELECT count(*) AS n FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id WHERE r.superseded = 0',
    );
    await expect
      .poll(() => page.getByTestId('score-done').textContent(), { timeout: 30_000 })
      .toMatch(
        new RegExp(
          `^Scored ${current} captions of 6 images with clip-repo \\(fp32\\), mean CLIPScore \\d\\.\\d{3}$`,
        ),
      );
    await expect(page.getByTestId('clip-column').allTextContents()).resolves.toEqual([
      'CLIPScore · clip-repo (fp32) (95% CI)',
    ]);

    // ratings through a rater's link: every caption of the session, varied values
    const session = await studio.call<{ id: number; items: number }>('sessions.create', {
      name: 'holiday',
      rootId,
      candidates: 'all',
    });
    raterToken = (
      await studio.call<{ token: string }>('raters.invite', { rater: 'ria', sessions: [session.id] })
    ).token;
    for (let position = 0; position < session.items; position++) {
      const item = JSON.parse(
        (await callAs(studio, raterToken, 'sessions.item', { sessionId: session.id, rater: 'ria', position }))
          .body,
      ).value as { candidates: { id: number }[] };
      for (const [i, c] of item.candidates.entries()) {
        const value = 1 + ((position * 2 + i * 3) % 5);
        const r = await callAs(studio, raterToken, 'ratings.set', {
          sessionId: session.id,
          rater: 'ria',
          candidateId: c.id,
          value,
        });
        expect(r.status).toBe(200);
      }
    }

    await page.reload();
    const rows = page.locator('[data-testid=eval-table] tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const summary = await studio.call<{
      rows: {
        source: string;
        bleu4: number | null;
        clip: ({ mean: number; tauC: { tau: number } | null } | null)[];
      }[];
    }>('eval.summary', {});

    // recomputed from the stored rows: scores by decoding, each rated caption's mean rating
    const scores = stored<Scored>(
      `SELECT s.candidate_id, s.clip_score, json_extract(dc.json, '$.num_beams') AS beams
       FROM candidate_scores s JOIN caption_candidates c ON c.id = s.candidate_id
       JOIN caption_runs r ON r.id = c.run_id JOIN decoding_configs dc ON dc.id = r.config_id
       WHERE r.superseded = 0`,
    );
    const rating = new Map(
      stored<{ candidate_id: number; mean: number }>(
        'SELECT candidate_id, avg(value) AS mean FROM candidate_ratings WHERE value IS NOT NULL GROUP BY candidate_id',
      ).map((r) => [r.candidate_id, r.mean]),
    );
    expect(scores).toHaveLength(current);
    for (const [k, source] of ['default · beam 3', 'default · greedy'].entries()) {
      const mine = scores.filter((s) => s.beams === (source === 'default · greedy' ? 1 : 3));
      const mean = mine.reduce((a, s) => a + s.clip_score, 0) / mine.length;
      const rated = mine.filter((s) => rating.has(s.candidate_id));
      expect(rated.length).toBeGreaterThanOrEqual(2);
      const tau = tauCByDefinition(
        rated.map((s) => s.clip_score),
        rated.map((s) => rating.get(s.candidate_id)!),
      );
      const api = summary.rows[k];
      expect(api.source).toBe(source);
      expect(api.bleu4).toBeNull(); // no references
      // 1e-12: the same doubles summed in another order, and tau-c's one division: a few ulps at most
      expect(Math.abs(api.clip[0]!.mean - mean)).toBeLessThan(1e-12);
      expect(Math.abs(api.clip[0]!.tauC!.tau - tau)).toBeLessThan(1e-12);
      const row = rows.nth(k);
      await expect(row.locator('td').first().textContent()).resolves.toBe(source);
      await expect(row.getByTestId('clip-score').textContent()).resolves.toMatch(
        new RegExp(`^${mean.toFixed(3)} \\(\\d\\.\\d{3}–\\d\\.\\d{3}\\), n=${mine.length}$`),
      );
      await expect(row.getByTestId('clip-tau').textContent()).resolves.toMatch(
        new RegExp(`^${tau.toFixed(3)} \\(-?\\d\\.\\d{3}–-?\\d\\.\\d{3}\\), n=${rated.length}$`),
      );
    }
    // the metric-against-rating plot works without references: one point per rated, scored caption
    const ratedScored = scores.filter((s) => rating.has(s.candidate_id)).length;
    await expect(page.locator('[data-testid=clip-scatter] circle').count()).resolves.toBe(ratedScored);
    await expect(page.getByTestId('scatter').count()).resolves.toBe(0); // CIDEr-D's: no references
    await screenshot(page, 'evaluation-clip');
    await page.close();
  });

  it("a rater's link reaches neither the scores nor the evaluation", async () => {
    for (const [channel, req] of [
      ['eval.summary', {}],
      ['scores.run', { scorer: CLIP }],
      ['models.list', {}],
    ] as const) {
      const r = await callAs(studio, raterToken, channel, req);
      expect(r.status, channel).toBe(403);
      expect(r.body).not.toMatch(/clip_?score|"mean"/i);
    }
    // what the rater does reach, its session's items, carries no score
    const [session] = JSON.parse((await callAs(studio, raterToken, 'sessions.list', {})).body).value as {
      id: number;
    }[];
    const item = await callAs(studio, raterToken, 'sessions.item', {
      sessionId: session.id,
      rater: 'ria',
      position: 0,
    });
    expect(item.status).toBe(200);
    expect(item.body).not.toMatch(/clip_?score|scorer/i);
    // the link's page: rating only, no Evaluation view, no scoring
    const page = await newPage(web.browser);
    await page.goto(`${studio.base}/?token=${raterToken}#/evaluation`);
    await page.getByText('rating as ria').waitFor();
    await expect(page.getByRole('button', { name: 'Evaluation' }).count()).resolves.toBe(0);
    await expect(page.getByTestId('eval-table').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Score captions' }).count()).resolves.toBe(0);
    await page.close();
  });
});
