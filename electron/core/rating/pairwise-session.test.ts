/**
 * A pairwise session between two decodings of the shipped model (greedy against 3 beams cut at 3
 * tokens) over 30 images with two raters, on a real database through the API contract. What is
 * stored, the Bradley–Terry ranking with its bootstrap interval, the raters' agreement on the
 * pairs both judged and the TRL preference export are each checked against a computation written
 * here from the verdicts the raters gave.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/fixtures/images.ts';
import { addLibrary, call, captionRoot, openTestStudio } from '../../../test/fixtures/studio.ts';
import type { PairwiseChoice } from '../api/contract.ts';
import { rng } from '../eval/human.ts';
import type { Studio } from '../studio.ts';

const GREEDY = 'default · greedy';
const BEAM = 'default · beam 3';

let studio: Studio;
let rootId: number;
/** caption id -> its source and text */
const captions = new Map<number, { source: string; text: string }>();
beforeAll(async () => {
  studio = openTestStudio();
  rootId = (await addLibrary(studio, 30)).id;
  await captionRoot(studio, rootId, {});
  await captionRoot(studio, rootId, { num_beams: 3, max_length: 4 });
  for (const f of (await call(studio, 'library.images', { rootId })).items)
    for (const run of (await call(studio, 'image.get', { fileId: f.fileId })).runs)
      for (const c of run.candidates)
        captions.set(c.id, {
          source: Number(run.decoding.num_beams ?? 1) === 1 ? GREEDY : BEAM,
          text: c.text,
        });
});
afterAll(() => studio?.close());

/** the seeded generator the ranking's bootstrap draws from (the same stream is the contract); also the raters' choices */
const mulberry32 = rng;

interface Given {
  rater: string;
  seq: number;
  left: number;
  right: number;
  choice: PairwiseChoice;
}

/** Two players' Bradley–Terry MLE in closed form: p_X = wins_X / (wins_X + wins_Y). */
function share(vs: Given[], who: string): number {
  let won = 0;
  let decisive = 0;
  for (const v of vs) {
    if (v.choice !== 'a' && v.choice !== 'b') continue;
    decisive++;
    if (captions.get(v.choice === 'a' ? v.left : v.right)!.source === who) won++;
  }
  return decisive ? won / decisive : 0;
}

describe('a pairwise session of two decodings, two raters, 30 images', () => {
  it('stores every verdict; ranking, interval, agreement and TRL pairs equal an independent computation', async () => {
    const s = await call(studio, 'sessions.create', {
      name: 'decodings A/B',
      rootId,
      kind: 'pairwise',
      assign: { raters: ['ada', 'bob'], overlap: 40 },
    });
    expect(s).toMatchObject({ kind: 'pairwise', blind: true, items: 30 });

    // each rater goes through the share dealt to them; greedy (the full caption) is preferred 70 % of the time
    const given: Given[] = [];
    const draw = mulberry32(7);
    const byRater = new Map<string, Set<string>>();
    for (const rater of ['ada', 'bob']) {
      const first = await call(studio, 'sessions.item', { sessionId: s.id, rater });
      byRater.set(rater, new Set());
      for (let idx = 0, seq = first.seq + 1; idx < first.total; idx++, seq++) {
        const item = await call(studio, 'sessions.item', { sessionId: s.id, rater, position: idx });
        expect(item.candidates).toHaveLength(2);
        // blind: no source, path or model in what the rater sees
        expect(JSON.stringify(item)).not.toMatch(/default|greedy|beam|\/tmp|cs-lib/);
        const [left, right] = item.candidates.map((c) => c.id);
        const greedyLeft = captions.get(left)!.source === GREEDY;
        const u = draw();
        const choice: PairwiseChoice =
          u < 0.1 ? 'tie' : u < 0.15 ? 'bad' : u < 0.15 + 0.85 * 0.7 === greedyLeft ? 'a' : 'b';
        const after = await call(studio, 'ratings.prefer', {
          sessionId: s.id,
          rater,
          left,
          right,
          choice,
          seq,
        });
        expect(after).toMatchObject({ choice, seq });
        given.push({ rater, seq, left, right, choice });
        byRater.get(rater)!.add(`${Math.min(left, right)}/${Math.max(left, right)}`);
      }
      expect((await call(studio, 'sessions.item', { sessionId: s.id, rater })).rated).toBe(first.total);
    }
    // the owner's list: each rater's share and how much of it is finished
    expect((await call(studio, 'sessions.list', {})).find((x) => x.id === s.id)!.progress).toEqual([
      { rater: 'ada', items: 21, done: 21 },
      { rater: 'bob', items: 21, done: 21 },
    ]);
    const both = [...byRater.get('ada')!].filter((p) => byRater.get('bob')!.has(p));
    // overlap 40 % of 30 items: 12 shared, the other 18 dealt out in turn
    expect(both).toHaveLength(12);
    expect(given).toHaveLength(12 * 2 + 18);

    // stored: exactly what was given, as shown (left, right), in order
    const stored = studio.db
      .prepare(
        `SELECT ra.name AS rater, j.seq, j.candidate_id AS left, j.other_id AS right, j.value AS choice
         FROM judgments j JOIN raters ra ON ra.id = j.rater_id
         WHERE j.session_id = ? AND j.kind = 'pairwise' AND j.state = 'current' ORDER BY ra.name, j.seq`,
      )
      .all(s.id);
    expect(stored).toEqual(given);

    // the ranking: closed-form Bradley–Terry strengths, a percentile bootstrap over the verdicts
    // (in the order made: rater, then seq) with the same seeded generator, win rates over all verdicts
    const summary = (await call(studio, 'eval.summary', {})).pairwise!;
    const B = 1000;
    const r = mulberry32(1);
    const draws: Record<string, number[]> = { [GREEDY]: [], [BEAM]: [] };
    for (let k = 0; k < B; k++) {
      const sample = given.map(() => given[Math.floor(r() * given.length)]);
      for (const who of [GREEDY, BEAM]) draws[who].push(share(sample, who));
    }
    const expected = [GREEDY, BEAM]
      .map((source) => {
        const d = draws[source].sort((x, y) => x - y);
        // every pair shows one caption of each source: every verdict is one of each's
        const mine = given;
        const won = mine.filter(
          (v) =>
            (v.choice === 'a' || v.choice === 'b') &&
            captions.get(v.choice === 'a' ? v.left : v.right)!.source === source,
        ).length;
        return {
          source,
          strength: share(given, source),
          lo: d[Math.floor(0.025 * B)],
          hi: d[Math.ceil(0.975 * B) - 1],
          verdicts: mine.length,
          wins: won,
          losses: given.filter((v) => v.choice === 'a' || v.choice === 'b').length - won,
          ties: given.filter((v) => v.choice === 'tie').length,
          bothBad: given.filter((v) => v.choice === 'bad').length,
          winRate: won / mine.length,
        };
      })
      .sort((x, y) => y.strength - x.strength);
    expect(expected[0].source).toBe(GREEDY); // preferred 70 % of the decisive verdicts
    expect(summary.ranking.map((x) => x.source)).toEqual(expected.map((x) => x.source));
    for (const [i, got] of summary.ranking.entries()) {
      const want = expected[i];
      // the MM iterations stop at a change below 1e-12; the closed form is exact: 1e-9 covers both
      for (const k of ['strength', 'lo', 'hi'] as const) expect(got[k]).toBeCloseTo(want[k], 9);
      expect(got.lo).toBeLessThan(got.strength);
      expect(got.hi).toBeGreaterThan(got.strength);
      expect(got).toMatchObject({
        verdicts: want.verdicts,
        winRate: want.winRate,
        wins: want.wins,
        losses: want.losses,
        ties: want.ties,
        bothBad: want.bothBad,
      });
    }
    expect(summary).toMatchObject({
      verdicts: given.length,
      ties: given.filter((v) => v.choice === 'tie').length,
      bothBad: given.filter((v) => v.choice === 'bad').length,
    });

    // agreement on the 12 pairs both judged: the same caption preferred, or both a tie, or both bad
    const verdictOf = (v: Given) => (v.choice === 'a' ? v.left : v.choice === 'b' ? v.right : v.choice);
    let same = 0;
    for (const p of both) {
      const [a, b] = ['ada', 'bob'].map(
        (rater) =>
          given.find(
            (v) => v.rater === rater && `${Math.min(v.left, v.right)}/${Math.max(v.left, v.right)}` === p,
          )!,
      );
      if (verdictOf(a) === verdictOf(b)) same++;
    }
    expect(summary).toMatchObject({ pairs: 12, comparisons: 12, agreement: same / 12 });
    // per session (one here): the same figures under the session's name
    const { sessions, ...overall } = summary;
    expect(sessions).toEqual([{ sessionId: s.id, name: 'decodings A/B', ...overall }]);

    // TRL preferences: one pair per decisive verdict, chosen/rejected straight from it; ties and
    // "both bad" left out and counted
    const out = join(tempDir('cs-pairwise-'), 'trl');
    const res = await call(studio, 'export.run', { format: 'preferences-trl', out, sessions: [s.id] });
    const decisive = given.filter((v) => v.choice === 'a' || v.choice === 'b');
    expect(res.rows).toBe(decisive.length);
    const ties = given.length - decisive.length;
    expect(ties).toBeGreaterThan(0);
    expect(res.note).toContain(`${given.filter((v) => v.choice === 'tie').length} tie`);
    expect(res.note).toContain(`${given.filter((v) => v.choice === 'bad').length} "both bad"`);
    const records = readFileSync(join(out, 'preferences.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const text = (m: { role: string; content: { type: string; text: string }[] }[]) => {
      expect(m).toHaveLength(1);
      expect(m[0].role).toBe('assistant');
      return m[0].content[0].text;
    };
    expect(
      records.map((p) => ({
        rater: p.rater,
        session: p.session,
        chosen: text(p.chosen),
        rejected: text(p.rejected),
      })),
    ).toEqual(
      decisive.map((v) => ({
        rater: v.rater,
        session: s.id,
        chosen: captions.get(v.choice === 'a' ? v.left : v.right)!.text,
        rejected: captions.get(v.choice === 'a' ? v.right : v.left)!.text,
      })),
    );
    for (const p of records) {
      expect(p.prompt).toEqual([
        { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Describe the image.' }] },
      ]);
      expect(readFileSync(join(out, p.images[0])).length).toBeGreaterThan(0);
    }
  });
});
