/**
 * The evaluation table's CLIPScore columns on a library with no reference captions: a real studio,
 * the shipped captioner (two decodings), the interface-faithful CLIP fixture as a scorer (fp32 and
 * q8, two columns), ratings stored as sessions store them. Each figure is recomputed here from the
 * stored rows: the mean per source, and tau-c by its definition (tau-check.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures/bundles.ts';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { Studio } from '../studio.ts';
import { tauCByDefinition } from './tau-check.ts';

const CLIP = join(FIXTURES, 'clip-repo');
let studio: Studio;
let lib: Awaited<ReturnType<typeof addLibrary>>;
beforeAll(async () => {
  studio = openTestStudio();
  lib = await addLibrary(studio, 5);
  await captionRoot(studio, lib.id, {});
  await captionRoot(studio, lib.id, { num_beams: 2, num_return_sequences: 2 });
  await call(studio, 'models.add', { path: CLIP });
});
afterAll(() => studio?.close());

interface Scored {
  candidate_id: number;
  scorer_id: number;
  clip_score: number;
  beams: number;
}

describe('CLIPScore in the evaluation table', () => {
  it('nothing scored: no scorer columns, each row an empty list', async () => {
    const s = await call(studio, 'eval.summary', {});
    expect(s.scorers).toEqual([]);
    for (const r of s.rows) expect(r.clip).toEqual([]);
  });

  it('per scorer and source: the mean of the stored scores and tau-c against mean ratings, without references', async () => {
    await call(studio, 'scores.run', { rootId: lib.id, scorer: CLIP });
    const db = studio.db;
    // ratings as a session stores them: two raters, varied values, on some captions only
    db.prepare("INSERT INTO rating_sessions (id, name, blind, config) VALUES (70, 't', 1, '{}')").run();
    db.prepare("INSERT INTO raters (id, name) VALUES (70, 'ada'), (71, 'bob')").run();
    const cands = db
      .prepare(
        `SELECT c.id, r.image_id FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id ORDER BY c.id`,
      )
      .all() as { id: number; image_id: number }[];
    const put = db.prepare(
      "INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, value, seq) VALUES (70, ?, ?, 'score', ?, ?, ?)",
    );
    const rating = new Map<number, number>();
    cands.forEach((c, i) => {
      if (i % 4 === 3) return; // some captions stay unrated
      const a = 1 + ((i * 2) % 5);
      const b = 1 + ((i * 3 + 1) % 5);
      put.run(70, c.image_id, c.id, a, i + 1);
      put.run(71, c.image_id, c.id, b, i + 1);
      rating.set(c.id, (a + b) / 2);
    });
    // a second scorer: the q8 variant, another model row, another column
    await call(studio, 'scores.run', { rootId: lib.id, scorer: CLIP, dtype: 'q8' });

    const s = await call(studio, 'eval.summary', { rootId: lib.id });
    expect(s.scorers.map((c) => [c.name, c.dtype])).toEqual([
      ['clip-repo', 'fp32'],
      ['clip-repo', 'q8'],
    ]);
    expect(s.rows.map((r) => r.source)).toEqual(['default · beam 2', 'default · greedy']);
    const scored = db
      .prepare(
        `SELECT s.candidate_id, s.scorer_id, s.clip_score, json_extract(dc.json, '$.num_beams') AS beams
         FROM candidate_scores s JOIN caption_candidates c ON c.id = s.candidate_id
         JOIN caption_runs r ON r.id = c.run_id JOIN decoding_configs dc ON dc.id = r.config_id`,
      )
      .all() as Scored[];
    for (const row of s.rows) {
      // no references: the reference metrics are empty, the CLIPScore columns are not
      expect(row).toMatchObject({ withReferences: 0, bleu4: null, ciderD: null });
      const beams = row.source === 'default · greedy' ? 1 : 2;
      expect(row.clip).toHaveLength(2);
      s.scorers.forEach((scorer, k) => {
        const mine = scored.filter((r) => r.scorer_id === scorer.id && r.beams === beams);
        const cell = row.clip[k]!;
        expect(cell.captions).toBe(beams * 5);
        // 1e-12: the same doubles summed in another order; the rounding differs by a few ulps at most
        expect(Math.abs(cell.mean - mine.reduce((a, r) => a + r.clip_score, 0) / mine.length)).toBeLessThan(
          1e-12,
        );
        expect(cell.lo <= cell.mean && cell.mean <= cell.hi).toBe(true);
        const rated = mine.filter((r) => rating.has(r.candidate_id));
        expect(cell.rated).toBe(rated.length);
        const want = tauCByDefinition(
          rated.map((r) => r.clip_score),
          rated.map((r) => rating.get(r.candidate_id)!),
        );
        // 1e-12: integer counts in both; only the final division's rounding may differ
        expect(Math.abs(cell.tauC!.tau - want)).toBeLessThan(1e-12);
        expect(cell.tauC!.lo <= cell.tauC!.hi).toBe(true);
        // the plot's points: each rated caption's stored score against its mean rating
        const points = s.clipScatter[k]
          .filter((p) => p.source === row.source)
          .sort((a, b) => a.candidateId - b.candidateId);
        expect(points.map((p) => [p.candidateId, p.clipScore, p.rating])).toEqual(
          rated
            .sort((a, b) => a.candidate_id - b.candidate_id)
            .map((r) => [r.candidate_id, r.clip_score, rating.get(r.candidate_id)]),
        );
      });
    }
  });

  it('a source the scorer has not scored gets null in its column', async () => {
    const [c] = (await call(studio, 'library.images', { rootId: lib.id })).items;
    const detail = await call(studio, 'image.get', { fileId: c.fileId });
    await call(studio, 'candidate.edit', {
      candidateId: detail.runs[0].candidates[0].id,
      text: 'a person wrote this',
    });
    const s = await call(studio, 'eval.summary', {});
    const human = s.rows.find((r) => r.source === 'human edits')!;
    expect(human.clip).toEqual([null, null]);
    // scoring again scores just the new caption, in the column of the scorer that ran
    await call(studio, 'scores.run', { scorer: CLIP });
    const after = (await call(studio, 'eval.summary', {})).rows.find((r) => r.source === 'human edits')!;
    expect(after.clip[0]).toMatchObject({ captions: 1, rated: 0, tauC: null });
    expect(after.clip[1]).toBeNull();
  });
});
