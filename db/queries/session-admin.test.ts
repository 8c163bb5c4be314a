/**
 * Migration 017's final judgments on a real database file with rows in it: one per item (a new one
 * replaces it), what the table refuses, and that an item's deletion takes its final judgment along.
 */
import { describe, expect, it } from 'vitest';
import { databaseAt, LATEST } from '../migration-harness.ts';
import { finalJudgments, finalOf, setFinal } from './session-admin.ts';

describe('final judgments (migration 017)', () => {
  it('keeps one per item, refuses what is not a judgment, and goes with its item', () => {
    const db = databaseAt(LATEST);
    const item = db.prepare('SELECT session_id, position, image_id FROM session_items LIMIT 1').get() as {
      session_id: number;
      position: number;
      image_id: number;
    };
    const [a, b] = (
      db.prepare('SELECT id FROM caption_candidates ORDER BY id LIMIT 2').all() as { id: number }[]
    ).map((r) => r.id);
    const put = (
      kind: 'best' | 'pairwise',
      candidate_id: number,
      other_id: number | null,
      value: number | string | null,
    ) => setFinal(db, { ...item, kind, candidate_id, other_id, value });
    put('best', a, null, 4);
    expect(finalOf(db, item.session_id, item.position)).toMatchObject({
      kind: 'best',
      candidate_id: a,
      value: 4,
    });
    put('pairwise', a, b, 'tie'); // replaces the pick
    expect(finalJudgments(db).map((f) => [f.kind, f.candidate_id, f.other_id, f.value])).toEqual([
      ['pairwise', a, b, 'tie'],
    ]);
    expect(() => put('best', a, null, 7)).toThrow(/CHECK/);
    expect(() => put('best', a, b, null)).toThrow(/CHECK/);
    expect(() => put('pairwise', a, null, 'a')).toThrow(/CHECK/);
    expect(() => put('pairwise', a, a, 'a')).toThrow(/CHECK/);
    expect(() => put('pairwise', a, b, 'maybe')).toThrow(/CHECK/);
    expect(() =>
      setFinal(db, { ...item, position: 999, kind: 'best', candidate_id: a, other_id: null, value: null }),
    ).toThrow(/FOREIGN KEY/);
    expect(finalJudgments(db)).toHaveLength(1); // nothing refused was written
    db.prepare('DELETE FROM session_items WHERE session_id = ? AND position = ?').run(
      item.session_id,
      item.position,
    );
    expect(finalJudgments(db)).toEqual([]);
    db.close();
  });
});
