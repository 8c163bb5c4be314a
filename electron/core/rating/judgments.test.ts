/**
 * The API's judgment kinds and pairwise choices (contract.ts) are the ones the database stores
 * (db/queries/judgments.ts, migration 011): checked by the type system both ways and by the schema.
 */
import { describe, expect, it } from 'vitest';
import { tempFile } from '../../../db/migration-harness.ts';
import { openDatabase } from '../../../db/open.ts';
import type {
  PairwiseChoice as StoredChoice,
  JudgmentKind as StoredKind,
} from '../../../db/queries/judgments.ts';
import { JUDGMENT_KINDS, type JudgmentKind, PAIRWISE_CHOICES, type PairwiseChoice } from '../api/contract.ts';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const kindsAgree: Same<JudgmentKind, StoredKind> = true;
const choicesAgree: Same<PairwiseChoice, StoredChoice> = true;

describe('judgment kinds', () => {
  it('are the same in the contract and the database, which stores each and nothing else', () => {
    expect([kindsAgree, choicesAgree]).toEqual([true, true]);
    const db = openDatabase(tempFile());
    db.exec(`
      INSERT INTO images (id, hash, bytes) VALUES (1, 'h', 1);
      INSERT INTO models (id, hash, path, name) VALUES (1, 'a', '/a', 'a');
      INSERT INTO decoding_configs (id, hash, json) VALUES (1, 'c', '{}');
      INSERT INTO caption_runs (id, image_id, model_id, config_id, provider, duration_ms) VALUES (1, 1, 1, 1, 'cpu', 1);
      INSERT INTO caption_candidates (id, run_id, rank, source, text) VALUES (1, 1, 0, 'model', 'a'), (2, 1, 1, 'model', 'b');
      INSERT INTO raters (id, name) VALUES (1, 'ada');
      INSERT INTO rating_sessions (id, name, config) VALUES (1, 's', '{}');
    `);
    const insert = db.prepare(
      'INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, other_id, value, seq) VALUES (1, 1, 1, ?, 1, ?, ?, ?)',
    );
    let seq = 0;
    const store = (kind: string, value: number | string) =>
      insert.run(kind, kind === 'pairwise' ? 2 : null, value, ++seq);
    const example: Record<JudgmentKind, number | string> = { score: 3, best: 1, pairwise: 'a' };
    for (const kind of JUDGMENT_KINDS) {
      expect(() => store(kind, example[kind]), kind).not.toThrow();
      db.exec("UPDATE judgments SET state = 'replaced'");
    }
    for (const choice of PAIRWISE_CHOICES) {
      expect(() => store('pairwise', choice), choice).not.toThrow();
      db.exec("UPDATE judgments SET state = 'replaced'");
    }
    expect(() => store('ranking', 1)).toThrow(/CHECK constraint failed/);
    expect(db.prepare('SELECT DISTINCT kind FROM judgments ORDER BY kind').pluck().all()).toEqual(
      [...JUDGMENT_KINDS].sort(),
    );
    db.close();
  });
});
