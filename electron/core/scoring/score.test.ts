/**
 * `scores.run` on a real studio: a captioned library (the shipped model, two decodings), a CLIP
 * scorer (the interface-faithful fixture, added as a folder) run in its worker thread; the stored
 * scores and embeddings equal the scorer's own on this thread, a second run has nothing left to do,
 * and an unreadable image is named while the others are scored.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test/fixtures/bundles.ts';
import { tempDir } from '../../../test/fixtures/images.ts';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import { kendallTauC } from '../eval/correlation.ts';
import { ClipScorer } from '../inference/clip/scorer.ts';
import type { Studio } from '../studio.ts';

const CLIP = join(FIXTURES, 'clip-repo');
let studio: Studio;
let lib: Awaited<ReturnType<typeof addLibrary>>;
beforeAll(async () => {
  studio = openTestStudio();
  lib = await addLibrary(studio, 3);
  await captionRoot(studio, lib.id, {});
  await captionRoot(studio, lib.id, { num_beams: 2, num_return_sequences: 2 });
  await call(studio, 'models.add', { path: CLIP });
});
afterAll(() => studio?.close());

interface Stored {
  candidate_id: number;
  text: string;
  path: string;
  clip_score: number;
  ref_clip_score: number | null;
  refs: number;
}

describe('scores.run', () => {
  it('scores every current candidate once, stores one embedding per image, and resumes', async () => {
    const refs = join(lib.folder, 'refs.tsv');
    writeFileSync(refs, 'img-000.png\ta red circle\nimg-000.png\ta shape on a plain background\n');
    await call(studio, 'eval.importReferences', { path: refs });

    const s = await call(studio, 'scores.run', { rootId: lib.id, scorer: CLIP, refs: true });
    const current = studio.db
      .prepare(
        'SELECT count(*) AS n FROM caption_candidates c JOIN caption_runs r ON r.id = c.run_id WHERE r.superseded = 0',
      )
      .get() as { n: number };
    expect(s).toMatchObject({ dtype: 'fp32', images: 3, candidates: current.n, failed: [] });
    expect(current.n).toBeGreaterThan(3);

    const stored = studio.db
      .prepare(
        `SELECT s.candidate_id, c.text, f.path, s.clip_score, s.ref_clip_score, s.refs FROM candidate_scores s
         JOIN caption_candidates c ON c.id = s.candidate_id JOIN caption_runs r ON r.id = c.run_id
         JOIN files f ON f.image_id = r.image_id ORDER BY s.candidate_id`,
      )
      .all() as Stored[];
    expect(stored).toHaveLength(current.n);
    const embeddings = studio.db.prepare('SELECT image_id, dim, vector FROM image_embeddings').all() as {
      dim: number;
      vector: Buffer;
    }[];
    expect(embeddings.map((e) => e.dim)).toEqual([512, 512, 512]);

    // the worker's numbers are the scorer's: recomputed here, on this thread
    const here = await ClipScorer.open(CLIP);
    try {
      for (const row of stored) {
        const image = await here.embedImage(row.path, readFileSync(row.path));
        const withRefs = row.path.endsWith('img-000.png');
        const references = withRefs ? ['a red circle', 'a shape on a plain background'] : [];
        const [want] = await here.score(image, [row.text], references);
        // 1e-6: the same code and sessions on two threads agree exactly; float32 storage of a
        // score below 2.5 is exact (REAL is a double), so the bound only guards the comparison
        expect(Math.abs(row.clip_score - want.clipScore)).toBeLessThan(1e-6);
        expect(row.refs).toBe(references.length);
        if (withRefs)
          expect(Math.abs((row.ref_clip_score ?? -1) - (want.refClipScore ?? 0))).toBeLessThan(1e-6);
        else expect(row.ref_clip_score).toBeNull();
      }
    } finally {
      await here.release();
    }
    const mean = stored.reduce((n, r) => n + r.clip_score, 0) / stored.length;
    expect(s.meanClipScore).toBeCloseTo(mean, 9);
    // per source: greedy (one caption per image) and beam 2 (two); nothing rated yet
    expect(s.sources.map((r) => r.captions).sort()).toEqual([3, 6]);
    for (const r of s.sources) {
      expect(r.lo <= r.mean && r.mean <= r.hi).toBe(true);
      expect(r).toMatchObject({ rated: 0, tauC: null });
    }

    // nothing left to do: a second run scores nothing and adds no embedding
    expect(await call(studio, 'scores.run', { rootId: lib.id, scorer: CLIP })).toMatchObject({
      images: 0,
      candidates: 0,
    });
    expect(studio.db.prepare('SELECT count(*) AS n FROM image_embeddings').get()).toEqual({ n: 3 });

    // exports carry each caption's score: a CSV column, COCO results and imagefolder metadata fields
    const byText = new Map(stored.map((r) => [`${basename(r.path)}\0${r.text}`, r.clip_score]));
    const out = tempDir('cs-score-export-');
    await call(studio, 'export.run', { format: 'csv', policy: 'all', out: join(out, 'all.csv') });
    const [header, ...lines] = readFileSync(join(out, 'all.csv'), 'utf8').trimEnd().split('\r\n');
    const cols = header.split(',');
    expect(cols.slice(-2)).toEqual(['clip_score', 'clip_scorer']);
    expect(lines).toHaveLength(stored.length);
    await call(studio, 'export.run', { format: 'coco-results', out: join(out, 'results.json') });
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
      image_id: number;
      caption: string;
      clip_score: number;
    }[];
    expect(results).toHaveLength(3);
    await call(studio, 'export.run', { format: 'imagefolder', out: join(out, 'ds') });
    const meta = readFileSync(join(out, 'ds', 'metadata.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) => JSON.parse(l) as { file_name: string; text: string; clip_score: number; clip_scorer: string },
      );
    expect(meta).toHaveLength(3);
    for (const m of meta) {
      expect(m.clip_score).toBe(byText.get(`${basename(m.file_name)}\0${m.text}`));
      expect(m.clip_scorer).toBe(`${CLIP} fp32`);
    }
    for (const r of results)
      expect(stored.some((s) => s.clip_score === r.clip_score && s.text === r.caption)).toBe(true);
  });

  it("per source: Kendall tau-c of CLIPScore against the captions' mean human rating", async () => {
    // ratings as a session stores them (judgments), a few values per caption from two raters
    const db = studio.db;
    db.prepare("INSERT INTO rating_sessions (id, name, blind, config) VALUES (90, 't', 1, '{}')").run();
    db.prepare("INSERT INTO raters (id, name) VALUES (90, 'ada'), (91, 'bob')").run();
    const scored = db
      .prepare(
        `SELECT s.candidate_id, r.image_id, r.config_id, s.clip_score FROM candidate_scores s
         JOIN caption_candidates c ON c.id = s.candidate_id JOIN caption_runs r ON r.id = c.run_id ORDER BY s.candidate_id`,
      )
      .all() as { candidate_id: number; image_id: number; config_id: number; clip_score: number }[];
    const put = db.prepare(
      "INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, value, seq) VALUES (90, ?, ?, 'score', ?, ?, ?)",
    );
    const rating = new Map<number, number>();
    scored.forEach((c, i) => {
      const a = 1 + (i % 5);
      const b = 1 + ((i * 3) % 5);
      put.run(90, c.image_id, c.candidate_id, a, i + 1);
      put.run(91, c.image_id, c.candidate_id, b, i + 1);
      rating.set(c.candidate_id, (a + b) / 2);
    });
    const s = await call(studio, 'scores.run', { rootId: lib.id, scorer: CLIP });
    expect(s.candidates).toBe(0);
    for (const row of s.sources) {
      const config =
        row.captions === 3
          ? Math.min(...scored.map((c) => c.config_id))
          : Math.max(...scored.map((c) => c.config_id));
      const mine = scored.filter((c) => c.config_id === config);
      expect(row.rated).toBe(mine.length);
      const want = kendallTauC(
        mine.map((c) => c.clip_score),
        mine.map((c) => rating.get(c.candidate_id)!),
      );
      expect(row.tauC?.tau).toBe(want);
      expect(row.tauC!.lo <= row.tauC!.hi).toBe(true);
    }
  });

  it('the q8 variant is another scorer; an unreadable image is named and the rest scored', async () => {
    const broken = join(lib.folder, 'img-001.png');
    writeFileSync(broken, 'not a png');
    const s = await call(studio, 'scores.run', { rootId: lib.id, scorer: CLIP, dtype: 'q8' });
    expect(s.dtype).toBe('q8');
    expect(s.images).toBe(2);
    expect(s.failed).toHaveLength(1);
    expect(s.failed[0].path).toBe(broken);
    expect(s.failed[0].error).toMatch(/img-001\.png/);
  });

  it('refuses a captioner as a scorer, and a scorer as a captioner', async () => {
    await expect(call(studio, 'scores.run', { scorer: 'default' })).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/is not a CLIP scorer/),
    });
    await expect(call(studio, 'scores.run', { scorer: 'nobody/nothing' })).rejects.toMatchObject({
      status: 404,
    });
  });
});
