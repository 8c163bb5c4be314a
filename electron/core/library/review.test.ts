/**
 * The review queue (`library.images` with order 'clip') on a real studio: a captioned folder (three
 * beams per image), scored by the interface-faithful CLIP fixture in its worker, then a person's
 * edit scored and another left unscored. The queue equals what the test works out from the image
 * view (each image's caption as it stands: its newest human edit, else its top beam) and the stored
 * scores: files whose current caption is scored, lowest CLIPScore first. The page query's plan
 * walks the index, with no sort.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewSql } from '../../../db/queries/library.ts';
import { FIXTURES } from '../../../test/fixtures/bundles.ts';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { Request } from '../api/contract.ts';
import type { Studio } from '../studio.ts';

const CLIP = join(FIXTURES, 'clip-repo');

let studio: Studio;
let lib: Awaited<ReturnType<typeof addLibrary>>;
let scorer: number;
beforeAll(async () => {
  studio = openTestStudio();
  lib = await addLibrary(studio, 6);
  await captionRoot(studio, lib.id, { num_beams: 3, num_return_sequences: 3 });
  await call(studio, 'models.add', { path: CLIP });
  await call(studio, 'scores.run', { rootId: lib.id, scorer: CLIP });
  scorer = (await call(studio, 'eval.summary', {})).scorers[0].id;
});
afterAll(async () => {
  await studio?.close();
});

/** Each file's caption as it stands, from the image view: its newest human edit, else its run's top beam. */
async function currentCandidates(): Promise<{ fileId: number; candidateId: number }[]> {
  const files = (await call(studio, 'library.images', { rootId: lib.id })).items;
  const out: { fileId: number; candidateId: number }[] = [];
  for (const f of files) {
    const { runs } = await call(studio, 'image.get', { fileId: f.fileId });
    const all = runs.flatMap((r) => r.candidates);
    const human = all.filter((c) => c.source === 'human').sort((x, y) => y.id - x.id);
    const top = [...runs].sort((x, y) => y.id - x.id)[0].candidates.filter((c) => c.source === 'model');
    const current = human[0] ?? [...top].sort((x, y) => x.rank - y.rank)[0];
    out.push({ fileId: f.fileId, candidateId: current.id });
  }
  return out;
}

/** The queue worked out here: the files whose current caption has a stored score, lowest first. */
async function expectedQueue() {
  const score = studio.db.prepare<[number, number], { clip_score: number }>(
    'SELECT clip_score FROM candidate_scores WHERE candidate_id = ? AND scorer_id = ?',
  );
  return (await currentCandidates())
    .map((c) => ({ ...c, clipScore: score.get(c.candidateId, scorer)?.clip_score }))
    .filter((c): c is typeof c & { clipScore: number } => c.clipScore !== undefined)
    .sort((x, y) => x.clipScore - y.clipScore || x.candidateId - y.candidateId || x.fileId - y.fileId);
}

const queue = (req: Request<'library.images'> = {}) =>
  call(studio, 'library.images', { order: 'clip', scorer, ...req });

describe('the review queue: lowest CLIPScore first', () => {
  it("orders the files by their current caption's CLIPScore, lowest first, and pages it", async () => {
    const want = await expectedQueue();
    expect(want).toHaveLength(6);
    // three scored beams per image: the queue takes the current caption's score, not any beam's
    const got = await queue();
    expect(got.total).toBe(6);
    expect(got.items.map((r) => [r.fileId, r.clipScore])).toEqual(want.map((w) => [w.fileId, w.clipScore]));
    const page = await queue({ offset: 2, limit: 3 });
    expect(page.total).toBe(6);
    expect(page.items.map((r) => r.fileId)).toEqual(want.slice(2, 5).map((w) => w.fileId));
  });

  it("follows a person's edit: scored, it moves by its own score; unscored, the image leaves the queue", async () => {
    const [lowest, , third] = await expectedQueue();
    const cand = (await call(studio, 'image.get', { fileId: lowest.fileId })).runs[0].candidates[0];
    await call(studio, 'candidate.edit', { candidateId: cand.id, text: 'a photo of a large red circle' });
    await call(studio, 'scores.run', { rootId: lib.id, scorer: CLIP });
    const other = (await call(studio, 'image.get', { fileId: third.fileId })).runs[0].candidates[0];
    await call(studio, 'candidate.edit', { candidateId: other.id, text: 'left unscored' });
    const want = await expectedQueue();
    expect(want).toHaveLength(5);
    expect(want.map((w) => w.fileId)).not.toContain(third.fileId);
    const got = await queue();
    expect(got.total).toBe(5);
    expect(got.items.map((r) => [r.fileId, r.clipScore])).toEqual(want.map((w) => [w.fileId, w.clipScore]));
    // the edited image's row shows its edit and that edit's score
    const edited = got.items.find((r) => r.fileId === lowest.fileId)!;
    expect(edited).toMatchObject({ edited: true, caption: 'a photo of a large red circle' });
  });

  it("keeps the library's filters: a folder, a file name", async () => {
    const want = await expectedQueue();
    const inRoot = await queue({ rootId: lib.id });
    expect(inRoot.items.map((r) => r.fileId)).toEqual(want.map((w) => w.fileId));
    expect((await queue({ rootId: lib.id + 100 })).total).toBe(0);
    const one = want[1];
    const { rel } = (await call(studio, 'image.get', { fileId: one.fileId })).file;
    const byName = await queue({ name: rel });
    expect(byName.total).toBe(1);
    expect(byName.items[0]).toMatchObject({ fileId: one.fileId, clipScore: one.clipScore });
  });

  it('walks index candidate_scores_low: no sort in the plan of the page, with or without filters', () => {
    for (const q of [
      { filter: 'all' as const, search: '', scorerId: scorer },
      { filter: 'unrated' as const, search: 'circle', name: 'img', rootId: lib.id, scorerId: scorer },
    ]) {
      const { page, args } = reviewSql(q);
      const plan = studio.db.prepare(`EXPLAIN QUERY PLAN ${page}`).all(...args, 10, 0) as {
        id: number;
        parent: number;
        detail: string;
      }[];
      // the statement's own steps, not those of the current-caption subquery (whose ORDER BY sorts
      // one image's few candidates)
      const inner = new Set<number>();
      for (const p of plan) if (/SUBQUERY/.test(p.detail) || inner.has(p.parent)) inner.add(p.id);
      const text = plan
        .filter((p) => !inner.has(p.id))
        .map((p) => p.detail)
        .join('\n');
      expect(text).toMatch(
        /SCAN s USING (COVERING )?INDEX candidate_scores_low|SEARCH s USING (COVERING )?INDEX candidate_scores_low/,
      );
      expect(text).not.toMatch(/TEMP B-TREE/);
    }
  });

  it("creates a rating session from the queue: its first images, in the queue's order", async () => {
    const want = await expectedQueue();
    const s = await call(studio, 'sessions.create', {
      name: 'review',
      rootId: lib.id,
      blind: false,
      limit: 3,
      review: scorer,
    });
    const got: number[] = [];
    for (let position = 0; position < 3; position++) {
      const item = await call(studio, 'sessions.item', { sessionId: s.id, rater: 'ada', position });
      expect(item.total).toBe(3);
      got.push((item.file as { fileId: number }).fileId);
    }
    expect(got).toEqual(want.slice(0, 3).map((w) => w.fileId));
    // in path order the session starts elsewhere: the order is the queue's, not the folder's
    const byPath = (await call(studio, 'library.images', { rootId: lib.id })).items.map((f) => f.fileId);
    expect(got).not.toEqual(byPath.slice(0, 3));
    await expect(
      call(studio, 'sessions.create', { name: 'none', rootId: lib.id, review: 99_999 }),
    ).rejects.toMatchObject({ status: 409, field: 'review' });
  });

  it('names the field at fault: no scorer, an unknown scorer', async () => {
    await expect(call(studio, 'library.images', { order: 'clip' })).rejects.toMatchObject({
      status: 400,
      field: 'scorer',
    });
    await expect(queue({ scorer: 99_999 })).rejects.toMatchObject({ status: 404, field: 'scorer' });
    await expect(call(studio, 'library.images', { order: 'best' as never })).rejects.toMatchObject({
      status: 400,
      field: 'order',
    });
  });
});
