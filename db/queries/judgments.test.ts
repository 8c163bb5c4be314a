import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempFile } from '../migration-harness.ts';
import { type DB, openDatabase } from '../open.ts';
import { currentJudgment, currentJudgments, recordJudgments, undoLastAction } from './judgments.ts';
import { insertSession, raterId } from './rating.ts';
import { writeTx } from './statements.ts';

/** A library with one image captioned by two models (candidates 1 and 2) and a session showing both. */
function studioDb(): { db: DB; session: number; ada: number } {
  const db = openDatabase(tempFile());
  db.exec(`
    INSERT INTO images (id, hash, bytes) VALUES (1, 'h', 1);
    INSERT INTO models (id, hash, path, name) VALUES (1, 'a', '/a', 'model-a'), (2, 'b', '/b', 'model-b');
    INSERT INTO decoding_configs (id, hash, json) VALUES (1, 'c', '{}');
    INSERT INTO caption_runs (id, image_id, model_id, config_id, provider, duration_ms) VALUES
      (1, 1, 1, 1, 'cpu', 1), (2, 1, 2, 1, 'cpu', 1);
    INSERT INTO caption_candidates (id, run_id, rank, source, text) VALUES (1, 1, 0, 'model', 'a dog'), (2, 2, 0, 'model', 'a puppy');
  `);
  const session = insertSession(db, {
    name: 'a vs b',
    blind: true,
    guidelines: '',
    overlap: null,
    items: [{ imageId: 1, groups: [[1], [2]] }],
    queues: new Map(),
    config: {},
  });
  return { db, session, ada: raterId(db, 'ada') };
}

describe('judgments', () => {
  let t: ReturnType<typeof studioDb>;
  beforeEach(() => {
    t = studioDb();
  });
  afterEach(() => t.db.close());
  const record = (js: Parameters<typeof recordJudgments>[3]) =>
    writeTx(t.db, () => recordJudgments(t.db, t.session, t.ada, js));

  it('stores a pairwise preference and reads it back, beside a score and a pick of the same captions', () => {
    const pair = { kind: 'pairwise' as const, imageId: 1, candidateId: 1, otherId: 2 };
    expect(record([{ ...pair, value: 'b' }])).toBe(1);
    expect(record([{ kind: 'score', imageId: 1, candidateId: 2, value: 4 }])).toBe(2);
    expect(record([{ kind: 'best', imageId: 1, candidateId: 2, value: 1 }])).toBe(3);
    expect(
      currentJudgments(t.db, t.session, t.ada).map(({ kind, candidate_id, other_id, value, seq }) => ({
        kind,
        candidate_id,
        other_id,
        value,
        seq,
      })),
    ).toEqual([
      { kind: 'pairwise', candidate_id: 1, other_id: 2, value: 'b', seq: 1 },
      { kind: 'score', candidate_id: 2, other_id: null, value: 4, seq: 2 },
      { kind: 'best', candidate_id: 2, other_id: null, value: 1, seq: 3 },
    ]);
    expect(currentJudgment(t.db, t.session, t.ada, 'pairwise', 1, 2)?.value).toBe('b');
    // the pair (2, 1) is another thing judged: a rater shown them the other way round
    expect(currentJudgment(t.db, t.session, t.ada, 'pairwise', 2, 1)).toBeUndefined();
    // a preference is no rating: the scores-and-picks view shows candidate 2 only
    expect(t.db.prepare('SELECT candidate_id, value, best FROM ratings').all()).toEqual([
      { candidate_id: 2, value: 4, best: 1 },
    ]);
  });

  it('a new verdict on the same pair replaces the current one; undo brings the old one back', () => {
    const pair = { kind: 'pairwise' as const, imageId: 1, candidateId: 1, otherId: 2 };
    record([{ ...pair, value: 'a' }]);
    record([{ ...pair, value: 'tie' }]);
    expect(currentJudgment(t.db, t.session, t.ada, 'pairwise', 1, 2)?.value).toBe('tie');
    expect(t.db.prepare('SELECT value, state FROM judgments ORDER BY id').all()).toEqual([
      { value: 'a', state: 'replaced' },
      { value: 'tie', state: 'current' },
    ]);
    expect(writeTx(t.db, () => undoLastAction(t.db, t.session, t.ada))).toBe(1);
    expect(currentJudgment(t.db, t.session, t.ada, 'pairwise', 1, 2)?.value).toBe('a');
    writeTx(t.db, () => undoLastAction(t.db, t.session, t.ada));
    expect(currentJudgment(t.db, t.session, t.ada, 'pairwise', 1, 2)).toBeUndefined();
    expect(writeTx(t.db, () => undoLastAction(t.db, t.session, t.ada))).toBe(null);
    // 'both bad' after the undos: a new action with the next seq
    expect(record([{ ...pair, value: 'bad' }])).toBe(3);
    expect(currentJudgments(t.db, t.session, t.ada).map((j) => j.value)).toEqual(['bad']);
  });

  it('refuses what no kind means: an unknown choice, a pair without its B, a score out of range', () => {
    const bad = [
      { kind: 'pairwise' as const, imageId: 1, candidateId: 1, otherId: 2, value: 'c' as 'a' },
      { kind: 'pairwise' as const, imageId: 1, candidateId: 1, value: 'a' as const },
      { kind: 'pairwise' as const, imageId: 1, candidateId: 1, otherId: 1, value: 'a' as const },
      { kind: 'score' as const, imageId: 1, candidateId: 1, value: 6 },
      { kind: 'score' as const, imageId: 1, candidateId: 1, value: 'a' as const },
      { kind: 'best' as const, imageId: 1, candidateId: 1, value: 2 },
    ];
    for (const j of bad) expect(() => record([j]), JSON.stringify(j)).toThrow(/CHECK constraint failed/);
    expect(t.db.prepare('SELECT count(*) AS n FROM judgments').get()).toEqual({ n: 0 });
  });
});
