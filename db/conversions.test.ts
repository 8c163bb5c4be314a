/**
 * The migrations that convert data, on real database files of the version before: 010 (sessions
 * stored as JSON lists become tables) and 011 (ratings and their undo log become judgments).
 */
import { describe, expect, it } from 'vitest';
import { databaseAt, objects, upgrade } from './migration-harness.ts';
import { undoRating } from './queries/actions.ts';
import { enterSession, firstOpen, sessionRow, setRating } from './queries/rating.ts';

describe('data conversions', () => {
  it('version 10 turns sessions stored as JSON lists into tables, keeping every rating and who finished what', () => {
    const db = databaseAt(9, false);
    db.exec(`
      INSERT INTO library_roots (id, path) VALUES (1, '/photos');
      INSERT INTO images (id, hash, bytes) VALUES (1, 'a', 1), (2, 'b', 1);
      INSERT INTO models (id, hash, path, name) VALUES (1, 'm', '/m', 'default');
      INSERT INTO decoding_configs (id, hash, json) VALUES (1, 'c', '{}');
      INSERT INTO caption_runs (id, image_id, model_id, config_id, provider, duration_ms) VALUES (1, 1, 1, 1, 'cpu', 1), (2, 2, 1, 1, 'cpu', 1);
      INSERT INTO caption_candidates (id, run_id, rank, source, text) VALUES
        (10, 1, 0, 'model', 'a dog'), (11, 1, 1, 'human', 'a dog'), (20, 2, 0, 'model', 'a cat');
      INSERT INTO rating_sessions (id, name, blind, config) VALUES (1, 'old', 1, '{}');
      INSERT INTO session_items (session_id, position, image_id, candidate_ids) VALUES (1, 0, 1, '[10,11]'), (1, 1, 2, '[20]');
      INSERT INTO raters (id, name) VALUES (1, 'ada'), (2, 'bob');
      INSERT INTO ratings (session_id, rater_id, image_id, candidate_id, value, best) VALUES
        (1, 1, 1, 10, 4, 1), (1, 1, 1, 11, 2, 0), (1, 2, 1, 10, 5, 0), (1, 1, 2, 20, 3, 0);
    `);
    upgrade(db, 10);
    const rows = (sql: string) => db.prepare(sql).all();
    expect(
      rows('SELECT position, slot, candidate_id, source_id FROM session_candidates ORDER BY 1, 2'),
    ).toEqual([
      { position: 0, slot: 0, candidate_id: 10, source_id: 10 },
      { position: 0, slot: 1, candidate_id: 11, source_id: 11 }, // not merged after the fact: both were rated
      { position: 1, slot: 0, candidate_id: 20, source_id: 20 },
    ]);
    expect(rows('SELECT position, candidates FROM session_items ORDER BY 1')).toEqual([
      { position: 0, candidates: 2 },
      { position: 1, candidates: 1 },
    ]);
    expect(rows('SELECT count(*) AS n FROM ratings')).toEqual([{ n: 4 }]);
    // a rater's progress is worked out from the ratings on the rater's next visit (here at
    // version 11, where the code that works it out lives)
    upgrade(db, 11);
    const old = sessionRow(db, 1)!;
    expect(enterSession(db, old, 1)).toEqual({ items: 2, done: 2 });
    expect(enterSession(db, old, 2)).toEqual({ items: 2, done: 0 });
    expect(firstOpen(db, 1, 1)).toBe(null);
    expect(firstOpen(db, 1, 2)).toBe(0);
    db.close();
  });

  it('version 11 turns every rating into judgments: ratings and candidate_ratings read as before', () => {
    const db = databaseAt(10);
    const cols = 'session_id, rater_id, image_id, candidate_id, value, best';
    const read = (from: string) =>
      db.prepare(`SELECT ${cols} FROM ${from} WHERE value IS NOT NULL OR best <> 0 ORDER BY 1, 2, 4`).all();
    const ratings = read('ratings');
    const spread = read('candidate_ratings');
    // the seed holds ratings with a value and no pick, a pick and no value, both, and neither
    expect(ratings).toHaveLength(7);
    expect(spread.length).toBeGreaterThanOrEqual(7);
    upgrade(db);
    expect(objects(db, 'table')).not.toContain('ratings');
    expect(objects(db, 'table')).not.toContain('rating_log');
    expect(read('ratings')).toEqual(ratings);
    expect(read('candidate_ratings')).toEqual(spread);
    expect(
      db
        .prepare('SELECT kind, count(*) AS n, min(seq) AS seq FROM judgments GROUP BY kind ORDER BY kind')
        .all(),
    ).toEqual([
      { kind: 'best', n: 3, seq: 0 },
      { kind: 'score', n: 6, seq: 0 },
    ]);
    // who finished what is worked out from the converted scores (the rater's share, overlap 50 %)
    const s = sessionRow(db, 1)!;
    expect(enterSession(db, s, 1)).toEqual({ items: 2, done: 1 });
    expect(enterSession(db, s, 2)).toEqual({ items: 2, done: 0 });
    db.close();
  });

  it('version 11: undo does not reach converted ratings; a new judgment replaces one and its undo restores it', () => {
    const old = databaseAt(10);
    upgrade(old);
    const view = () =>
      old
        .prepare(
          'SELECT candidate_id, value, best FROM ratings WHERE session_id = 1 AND rater_id = 1 ORDER BY 1',
        )
        .all();
    const converted = view();
    expect(converted).toEqual([
      { candidate_id: 10, value: 4, best: 1 },
      { candidate_id: 11, value: 2, best: 0 },
      { candidate_id: 20, value: 3, best: 0 },
    ]);
    expect(undoRating(old, 1, 1)).toBe(null);
    expect(view()).toEqual(converted);
    // ada picks 11 as the best of image 1 and scores it 5: 10's pick is taken back in the same action
    setRating(old, {
      sessionId: 1,
      raterId: 1,
      imageId: 1,
      position: 0,
      candidateId: 11,
      value: 5,
      best: true,
      siblings: [10, 11, 12],
    });
    expect(view()).toEqual([
      { candidate_id: 10, value: 4, best: 0 },
      { candidate_id: 11, value: 5, best: 1 },
      { candidate_id: 20, value: 3, best: 0 },
    ]);
    expect(
      old
        .prepare('SELECT DISTINCT seq FROM judgments WHERE session_id = 1 AND rater_id = 1 AND seq > 0')
        .all(),
    ).toEqual([{ seq: 1 }]);
    expect(undoRating(old, 1, 1)).toBe(0); // the item of 11
    expect(view()).toEqual(converted);
    expect(undoRating(old, 1, 1)).toBe(null);
    // the undone judgments stay in the log
    expect(old.prepare("SELECT count(*) AS n FROM judgments WHERE state = 'undone'").get()).toEqual({ n: 3 });
    old.close();
  });
});
