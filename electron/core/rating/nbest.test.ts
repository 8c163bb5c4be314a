/**
 * N-best in sessions, on a real database and the shipped model: captioned with 3 beams returning
 * 3, a session of every candidate shows the image's beam texts (identical ones once), a best-of-N
 * pick of beam 3 is stored as a judgment and comes out in an export; a pairwise session of every
 * pair of an image's beams shows each beam in two pairs and ranks the beams by their verdicts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/images.ts';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import { captionKey } from '../api/captions.ts';
import type { Studio } from '../studio.ts';

let studio: Studio;
let rootId: number;
/** per image in library order, its three beam captions (rank 0..2) */
let beams: { id: number; text: string }[][];
beforeAll(async () => {
  studio = openTestStudio();
  rootId = (await addLibrary(studio, 4)).id;
  await captionRoot(studio, rootId, { num_beams: 3, num_return_sequences: 3 });
  beams = [];
  for (const f of (await call(studio, 'library.images', { rootId })).items) {
    const run = (await call(studio, 'image.get', { fileId: f.fileId })).runs[0];
    beams.push(run.candidates.filter((c) => c.source === 'model').sort((a, b) => a.rank - b.rank));
  }
});
afterAll(() => studio?.close());

describe('sessions of every beam candidate', () => {
  it("'all' shows each image's distinct beam texts; a best-of-N pick of beam 3 is stored and exported", async () => {
    expect(beams.every((b) => b.length === 3)).toBe(true);
    const position = beams.findIndex((b) => new Set(b.map((c) => captionKey(c.text))).size === 3);
    expect(position, 'an image whose three beam texts differ').toBeGreaterThanOrEqual(0);

    const top = await call(studio, 'sessions.create', { name: 'top', rootId, blind: false });
    expect(top).toMatchObject({ candidates: 'top', kind: 'scores' });
    const topItem = await call(studio, 'sessions.item', { sessionId: top.id, rater: 'ada', position });
    expect(topItem.candidates.map((c) => c.id)).toEqual([beams[position][0].id]);

    const all = await call(studio, 'sessions.create', {
      name: 'all',
      rootId,
      blind: false,
      candidates: 'all',
    });
    expect(all).toMatchObject({ candidates: 'all', kind: 'scores' });
    expect((await call(studio, 'sessions.list', {})).find((s) => s.id === all.id)).toMatchObject({
      candidates: 'all',
    });
    for (const [p, b] of beams.entries()) {
      const it = await call(studio, 'sessions.item', { sessionId: all.id, rater: 'ada', position: p });
      // identical texts still merge: as many candidates as distinct texts
      expect(it.candidates).toHaveLength(new Set(b.map((c) => captionKey(c.text))).size);
    }
    const item = await call(studio, 'sessions.item', { sessionId: all.id, rater: 'ada', position });
    expect(item.candidates.length).toBeGreaterThanOrEqual(3);
    expect(item.candidates.map((c) => c.text)).toEqual(beams[position].map((c) => c.text));
    expect(item.candidates[2].label).toMatch(/^default, beam 3.*, candidate 3$/);

    const beam3 = beams[position][2];
    const picked = await call(studio, 'ratings.set', {
      sessionId: all.id,
      rater: 'ada',
      candidateId: beam3.id,
      best: true,
    });
    expect(picked.candidates.map((c) => c.best)).toEqual([false, false, true]);
    const stored = studio.db
      .prepare(
        "SELECT candidate_id, value FROM judgments WHERE session_id = ? AND kind = 'best' AND state = 'current'",
      )
      .all(all.id);
    expect(stored).toEqual([{ candidate_id: beam3.id, value: 1 }]);

    const out = join(tempDir('cs-nbest-'), 'rated.csv');
    const r = await call(studio, 'export.run', { format: 'csv', out, policy: 'rated', sessions: [all.id] });
    expect(r.rows).toBe(1);
    const [head, row] = readFileSync(out, 'utf8').trim().split('\n');
    const cols = head.split(',');
    const cells = row.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
    expect(cells[cols.indexOf('caption')].replace(/^"|"$/g, '')).toBe(beam3.text);
    expect(cells[cols.indexOf('best_picks')]).toBe('1');
  });

  it('a pairwise session of every pair of the n-best: each caption in two pairs, verdicts kept apart, ranked by rank', async () => {
    const s = await call(studio, 'sessions.create', {
      name: 'n-best pairs',
      rootId,
      kind: 'pairwise',
      candidates: 'all',
    });
    const distinct = beams.map((b) => new Set(b.map((c) => captionKey(c.text))).size);
    expect(s.items).toBe(distinct.reduce((n, k) => n + (k * (k - 1)) / 2, 0));
    // the image whose three beam texts differ: its three pairs, each beam in two of them
    const image = beams.findIndex((_, i) => distinct[i] === 3);
    const first = distinct.slice(0, image).reduce((n, k) => n + (k * (k - 1)) / 2, 0);
    const [b1, b2, b3] = beams[image].map((c) => c.id);
    const items = [];
    for (let p = first; p < first + 3; p++)
      items.push(await call(studio, 'sessions.item', { sessionId: s.id, rater: 'ada', position: p }));
    const pairs = items.map((it) => it.candidates.map((c) => c.id).sort((x, y) => x - y));
    expect(pairs).toEqual([
      [b1, b2],
      [b1, b3],
      [b2, b3],
    ]);
    // beam 3 preferred in both its pairs, beam 1 over beam 2, each on the pair as shown
    const winner = (pair: number[]) => (pair.includes(b3) ? b3 : b1);
    for (const [k, it] of items.entries()) {
      const [left, right] = it.candidates.map((c) => c.id);
      const choice = left === winner(pairs[k]) ? 'a' : 'b';
      const after = await call(studio, 'ratings.prefer', {
        sessionId: s.id,
        rater: 'ada',
        left,
        right,
        choice,
      });
      expect(after).toMatchObject({ position: it.position, choice, rated: k + 1 });
    }
    const stored = studio.db
      .prepare(
        "SELECT candidate_id, other_id, value FROM judgments WHERE session_id = ? AND kind = 'pairwise' AND state = 'current' ORDER BY seq",
      )
      .all(s.id) as { candidate_id: number; other_id: number; value: 'a' | 'b' }[];
    expect(stored.map((j) => (j.value === 'a' ? j.candidate_id : j.other_id))).toEqual(pairs.map(winner));
    // undo reverts the last verdict, on its own pair
    expect(await call(studio, 'ratings.undo', { sessionId: s.id, rater: 'ada' })).toMatchObject({
      position: items[2].position,
      choice: null,
      rated: 2,
    });
    await call(studio, 'ratings.prefer', {
      sessionId: s.id,
      rater: 'ada',
      left: items[2].candidates[0].id,
      right: items[2].candidates[1].id,
      choice: items[2].candidates[0].id === b3 ? 'a' : 'b',
    });
    // Evaluation ranks the run's candidates by their rank: candidate 3 won twice, the top once
    const ranking = (await call(studio, 'eval.summary', {})).pairwise!.sessions.find(
      (x) => x.sessionId === s.id,
    )!.ranking;
    expect(Object.fromEntries(ranking.map((r) => [r.source.replace(/^.* · /, ''), r.wins]))).toEqual({
      'candidate 3': 2,
      'beam 3': 1,
      'candidate 2': 0,
    });
    expect(ranking[0].source).toMatch(/candidate 3$/);
    // a score is not what a pairwise session takes
    await expect(
      call(studio, 'ratings.set', { sessionId: s.id, rater: 'ada', candidateId: b1, value: 3 }),
    ).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/ratings\.prefer/) });
  });

  it('a pairwise session over one caption per image is refused clearly', async () => {
    await expect(
      call(studio, 'sessions.create', { name: 'ab', rootId, kind: 'pairwise' }),
    ).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/no image here has two/) });
  });
});
