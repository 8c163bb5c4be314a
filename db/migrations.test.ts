/**
 * A test per migration, on real database files: applied to a new file, applied to a database of
 * the version before with rows in every table (the rows survive), and the query plans of the hot
 * queries it adds an index for. Migrations 010 and 011 convert data: db/conversions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { databaseAt, LATEST, MIGRATIONS, objects, plan, rowCounts, upgrade } from './migration-harness.ts';
import type { DB } from './open.ts';
import { CURRENT_RUN } from './queries/runs.ts';

interface Case {
  /** what the migration creates */
  tables?: string[];
  indexes?: string[];
  views?: string[];
  /** tables whose row count the upgrade changes on purpose: the count after it */
  counts?: Record<string, number>;
  /** checks on the seeded database just upgraded to this version */
  check?: (db: DB) => void;
  /** hot queries and the index each must use, on a database of this version */
  plans?: [sql: string, uses: RegExp][];
}

const all = (db: DB, sql: string) => db.prepare(sql).all();

const CASES: Record<number, Case> = {
  1: {
    tables: [
      'caption_candidates',
      'caption_runs',
      'decoding_configs',
      'files',
      'images',
      'jobs',
      'library_roots',
      'models',
      'raters',
      'rating_sessions',
      'ratings',
      'session_items',
    ],
    indexes: ['caption_runs_current', 'files_image', 'files_root_status', 'ratings_candidate'],
    plans: [
      [
        `SELECT id FROM caption_runs WHERE image_id = 1 AND model_id = 1 AND config_id = 1 AND ${CURRENT_RUN()}`,
        /USING (COVERING )?INDEX caption_runs_current/,
      ],
      ["SELECT * FROM files WHERE root_id = 1 AND status = 'error'", /USING INDEX files_root_status/],
      ['SELECT id FROM files WHERE image_id = 2', /USING (COVERING )?INDEX files_image/],
      ["SELECT id FROM images WHERE hash = 'x'", /USING (COVERING )?INDEX sqlite_autoindex_images/],
      ['SELECT * FROM ratings WHERE candidate_id = 3', /USING INDEX ratings_candidate/],
    ],
  },
  2: {
    tables: ['rating_log'],
    indexes: ['rating_log_rater'],
    check: (db) =>
      expect(all(db, 'SELECT DISTINCT candidate_ids FROM session_items')).toEqual([{ candidate_ids: '[]' }]),
    plans: [
      [
        'SELECT action FROM rating_log WHERE session_id = 1 AND rater_id = 1 AND undone = 0 ORDER BY action DESC LIMIT 1',
        /USING (COVERING )?INDEX rating_log_rater/,
      ],
    ],
  },
  3: {
    tables: ['reference_captions'],
    indexes: ['reference_captions_image'],
    plans: [
      [
        'SELECT caption FROM reference_captions WHERE image_id = 1',
        /INDEX (reference_captions_image|sqlite_autoindex_reference_captions)/,
      ],
    ],
  },
  4: {
    check: (db) =>
      expect(all(db, 'SELECT count(*) AS n FROM caption_candidates WHERE token_texts IS NULL')).toEqual([
        { n: 6 },
      ]),
  },
  5: {
    indexes: ['files_root_path'],
    // a page of a folder's grid, in path order: read from an index, never a sort of the whole folder
    plans: [
      [
        "SELECT f.id FROM files f WHERE f.status != 'missing' AND f.root_id = 1 ORDER BY f.path LIMIT 200 OFFSET 5000",
        /^(?![\s\S]*TEMP B-TREE)[\s\S]*USING COVERING INDEX files_root_path/,
      ],
    ],
  },
  6: {
    tables: ['model_folders'],
    check: (db) =>
      expect(all(db, 'SELECT id, name, dtype, source FROM models ORDER BY id')).toEqual([
        { id: 1, name: 'model-a', dtype: null, source: null },
        { id: 2, name: 'model-b', dtype: null, source: null },
      ]),
  },
  7: {
    tables: ['known_files'],
    plans: [
      ["SELECT image_id FROM known_files WHERE path = '/a'", /USING INDEX sqlite_autoindex_known_files/],
    ],
  },
  8: {
    tables: ['rater_link_sessions', 'rater_links'],
    plans: [
      [
        "SELECT id FROM rater_links WHERE token_hash = 'x'",
        /USING (COVERING )?INDEX sqlite_autoindex_rater_links/,
      ],
      [
        'SELECT session_id FROM rater_link_sessions WHERE link_id = 1',
        /USING (COVERING )?INDEX sqlite_autoindex_rater_link_sessions|PRIMARY KEY/,
      ],
    ],
  },
  9: {
    tables: ['export_outputs'],
    plans: [
      ["SELECT sha256 FROM export_outputs WHERE path = '/x'", /USING INDEX sqlite_autoindex_export_outputs/],
    ],
  },
  10: {
    tables: ['session_candidates', 'session_progress', 'session_queue', 'session_raters'],
    indexes: [
      'rating_log_action',
      'session_candidates_item',
      'session_candidates_source',
      'session_progress_done',
      'session_queue_position',
    ],
    views: ['candidate_ratings'],
    // the items' JSON lists become rows: 3 + 1 + 1 + 2
    counts: { session_candidates: 7 },
    // a rating key press: where to resume and the item's captions from indexes, never a scan of the session
    plans: [
      [
        'SELECT min(position) FROM session_progress WHERE session_id = 1 AND rater_id = 1 AND done = 0',
        /USING COVERING INDEX session_progress_done/,
      ],
      [
        'SELECT position FROM session_candidates WHERE session_id = 1 AND candidate_id = 5 LIMIT 1',
        /USING PRIMARY KEY/,
      ],
      [
        'SELECT slot, candidate_id FROM session_candidates WHERE session_id = 1 AND position = 3',
        /USING (COVERING )?INDEX session_candidates_item/,
      ],

      [
        'SELECT position FROM session_queue WHERE session_id = 1 AND rater_id = 1 AND idx = 7',
        /USING PRIMARY KEY/,
      ],
      [
        'SELECT idx FROM session_queue WHERE session_id = 1 AND rater_id = 1 AND position = 7',
        /USING (COVERING )?INDEX session_queue_position/,
      ],
      ['SELECT max(action) FROM rating_log WHERE session_id = 1 AND rater_id = 1', /rating_log_action/],
    ],
  },
  11: {
    tables: ['judgments'],
    indexes: ['judgments_candidate', 'judgments_current', 'judgments_seq'],
    views: ['candidate_ratings', 'ratings'],
    // a rating with neither a value nor a best flag judged nothing: no judgment, no row in the view
    counts: { ratings: 7, candidate_ratings: 7, judgments: 9 },
    plans: [
      // a key press: the rater's current score of a caption, the next seq, the last action to undo
      [
        `SELECT id, value FROM judgments WHERE session_id = 1 AND rater_id = 1 AND kind = 'score' AND candidate_id = 3
           AND coalesce(other_id, 0) = 0 AND state = 'current'`,
        /USING INDEX judgments_current \(session_id=\? AND rater_id=\? AND kind=\? AND candidate_id=\? AND <expr>=\?\)/,
      ],
      [
        'SELECT max(seq) FROM judgments WHERE session_id = 1 AND rater_id = 1',
        /USING COVERING INDEX judgments_seq/,
      ],
      // whether an item is done: its few shown captions first, then each one's score (rating.ts SCORED)
      [
        `SELECT count(*) FROM session_candidates sc CROSS JOIN judgments j ON j.session_id = sc.session_id
           AND j.rater_id = 1 AND j.kind = 'score' AND j.candidate_id = sc.candidate_id AND coalesce(j.other_id, 0) = 0
           AND j.state = 'current' AND j.value IS NOT NULL
         WHERE sc.session_id = 1 AND sc.position = 0 AND sc.source_id = sc.candidate_id`,
        /session_candidates_item[\s\S]*judgments_current \(session_id=\? AND rater_id=\? AND kind=\? AND candidate_id=\?/,
      ],
      [
        "SELECT seq FROM judgments WHERE session_id = 1 AND rater_id = 1 AND seq > 0 AND state <> 'undone' ORDER BY seq DESC LIMIT 1",
        /^(?![\s\S]*TEMP B-TREE)[\s\S]*USING INDEX judgments_seq/,
      ],
      // an edit's item (version 10's index was not covering, and SQLite scanned the session's items)
      [
        'SELECT position FROM session_candidates WHERE session_id = 1 AND source_id = 5 LIMIT 1',
        /USING (COVERING )?INDEX session_candidates_source/,
      ],
      // exports and evaluation: a candidate's ratings through the view
      ['SELECT value, best FROM ratings WHERE candidate_id = 3', /USING INDEX judgments_candidate/],
    ],
  },
};

CASES[12] = {
  check: (db) => {
    // jobs from before have no batch size: they resume at the default
    expect(all(db, 'SELECT id, batch_size FROM jobs')).toEqual([{ id: 1, batch_size: null }]);
    db.prepare(
      'INSERT INTO jobs (kind, root_id, model_id, config_id, policy, state, batch_size) VALUES (?, 1, 1, 1, ?, ?, 16)',
    ).run('caption', 'overwrite', 'paused');
    expect(() => db.prepare('UPDATE jobs SET batch_size = 0 WHERE id = 1').run()).toThrow(/CHECK/);
  },
};

CASES[13] = {
  tables: ['edit_batches', 'edit_batch_items'],
  indexes: [
    'edit_batches_state',
    'edit_batch_items_after',
    'caption_candidates_edited_from',
    'session_candidates_candidate',
    'session_candidates_source_only',
    'judgments_other',
  ],
  check: (db) => {
    // a batch and its items go together
    db.prepare("INSERT INTO edit_batches (id, operation, label) VALUES (1, '{}', 'replace')").run();
    db.prepare(
      "INSERT INTO edit_batch_items (batch_id, image_id, before_id, after_id, before, after) VALUES (1, 1, 12, 12, 'a', 'b')",
    ).run();
    expect(() => db.prepare("UPDATE edit_batches SET state = 'gone'").run()).toThrow(/CHECK/);
    db.prepare('DELETE FROM edit_batches WHERE id = 1').run();
    expect(all(db, 'SELECT count(*) AS n FROM edit_batch_items')).toEqual([{ n: 0 }]);
  },
  plans: [
    // the foreign-key checks of undo's deletes, one per table naming a candidate
    ['SELECT 1 FROM caption_candidates WHERE edited_from = 5', /INDEX caption_candidates_edited_from/],
    ['SELECT 1 FROM session_candidates WHERE candidate_id = 5', /INDEX session_candidates_candidate/],
    ['SELECT 1 FROM session_candidates WHERE source_id = 5', /INDEX session_candidates_source_only/],
    ['SELECT 1 FROM judgments WHERE other_id = 5', /INDEX judgments_other/],
    ['SELECT batch_id FROM edit_batch_items WHERE after_id = 5', /INDEX edit_batch_items_after/],
  ],
};

CASES[14] = {
  tables: ['candidate_scores', 'image_embeddings'],
  indexes: ['candidate_scores_low'],
  check: (db) => {
    // a scorer is a models row; CLIPScores are 2.5 * max(cos, 0) >= 0, embeddings float32 of their dimension
    const vec = Buffer.from(new Float32Array([0.6, 0.8]).buffer);
    db.prepare('INSERT INTO image_embeddings (image_id, scorer_id, dim, vector) VALUES (1, 2, 2, ?)').run(
      vec,
    );
    expect(() =>
      db
        .prepare('INSERT INTO image_embeddings (image_id, scorer_id, dim, vector) VALUES (2, 2, 3, ?)')
        .run(vec),
    ).toThrow(/CHECK/);
    db.prepare(
      'INSERT INTO candidate_scores (candidate_id, scorer_id, clip_score) VALUES (10, 2, 0.75)',
    ).run();
    expect(() =>
      db
        .prepare('INSERT INTO candidate_scores (candidate_id, scorer_id, clip_score) VALUES (12, 2, -0.1)')
        .run(),
    ).toThrow(/CHECK/);
  },
  plans: [
    // the review queue: a scorer's lowest CLIPScore first, without sorting
    [
      'SELECT candidate_id FROM candidate_scores WHERE scorer_id = 2 ORDER BY clip_score LIMIT 50',
      /^(?![\s\S]*TEMP B-TREE)[\s\S]*USING COVERING INDEX candidate_scores_low/,
    ],
  ],
};

CASES[15] = {
  indexes: ['session_candidates_candidate', 'session_candidates_item', 'session_candidates_source'],
  views: ['candidate_ratings'],
  check: (db) => {
    // a caption in two items of one session (two pairs of an image's n-best); once per item
    expect(
      all(db, 'SELECT position, candidate_id FROM session_candidates WHERE session_id = 2 ORDER BY 1, 2'),
    ).toEqual([
      { position: 0, candidate_id: 12 },
      { position: 0, candidate_id: 50 },
    ]);
    db.prepare(
      'INSERT INTO session_items (session_id, position, image_id, candidates) VALUES (2, 1, 1, 2)',
    ).run();
    const show = db.prepare(
      'INSERT INTO session_candidates (session_id, position, slot, candidate_id, source_id) VALUES (2, 1, ?, ?, ?)',
    );
    show.run(0, 12, 12);
    show.run(1, 10, 10);
    expect(() => show.run(0, 12, 12)).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => db.prepare('INSERT INTO session_candidates VALUES (2, 7, 0, 12, 12)').run()).toThrow(
      /FOREIGN KEY/,
    );
  },
  plans: [
    // the item (or pair) showing a caption, and the pair of two captions (pairwise.ts positionOfPair)
    [
      'SELECT position FROM session_candidates WHERE session_id = 1 AND candidate_id = 10 LIMIT 1',
      /USING COVERING INDEX session_candidates_candidate/,
    ],
    [
      `SELECT position FROM session_candidates WHERE session_id = 2 AND candidate_id = 50
         AND position IN (SELECT position FROM session_candidates WHERE session_id = 2 AND candidate_id = 12) LIMIT 1`,
      /^SEARCH session_candidates USING COVERING INDEX session_candidates_candidate \(candidate_id=\? AND session_id=\? AND position=\?\)[\s\S]*SEARCH session_candidates USING COVERING INDEX session_candidates_candidate \(candidate_id=\? AND session_id=\?\)/,
    ],
    // an item's captions in slot order
    [
      'SELECT candidate_id FROM session_candidates WHERE session_id = 1 AND position = 0 ORDER BY slot',
      /USING (COVERING )?INDEX session_candidates_item|USING PRIMARY KEY/,
    ],
    // exports and evaluation: a rating's sources through the view
    ['SELECT candidate_id FROM candidate_ratings WHERE session_id = 1', /session_candidates_candidate/],
    // the foreign-key checks of edit undo's deletes (version 13's indexes, made again with the table)
    ['SELECT 1 FROM session_candidates WHERE candidate_id = 5', /INDEX session_candidates_candidate /],
    ['SELECT 1 FROM session_candidates WHERE source_id = 5', /INDEX session_candidates_source /],
  ],
};

CASES[16] = {
  tables: ['embedding_additions', 'embedding_versions'],
  indexes: ['embedding_additions_scorer'],
  // what the triggers record, and how search reads it: db/queries/embeddings.test.ts
  plans: [
    // before each search: the last number added for a scorer, and what was added after a copy's
    [
      'SELECT max(seq) FROM embedding_additions WHERE scorer_id = 2',
      /USING COVERING INDEX embedding_additions_scorer/,
    ],
    [
      'SELECT image_id FROM embedding_additions WHERE scorer_id = 2 AND seq > 10 ORDER BY seq',
      /^(?![\s\S]*TEMP B-TREE)[\s\S]*USING (COVERING )?INDEX embedding_additions_scorer/,
    ],
  ],
};

CASES[17] = {
  tables: ['adjudications'],
  indexes: ['adjudications_candidate', 'adjudications_other'],
  // what the table takes and refuses, and what deleting an item does: db/queries/session-admin.test.ts
  plans: [
    // a caption's final judgments (exports), and the foreign-key checks when a caption is deleted
    ['SELECT * FROM adjudications WHERE candidate_id = 3', /USING INDEX adjudications_candidate/],
    ['SELECT 1 FROM adjudications WHERE other_id = 3', /USING (COVERING )?INDEX adjudications_other/],
  ],
};

describe('every migration', () => {
  it('has a test case here', () => {
    expect(Object.keys(CASES).map(Number)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(LATEST).toBe(17);
  });
});

for (const m of MIGRATIONS) {
  const v = m.version;
  const c = CASES[v] ?? {};
  describe(`migration ${m.name}`, () => {
    it('applies to a new database file', () => {
      const db = databaseAt(v, false);
      expect(db.pragma('user_version', { simple: true })).toBe(v);
      expect(objects(db, 'table')).toEqual(expect.arrayContaining(c.tables ?? []));
      expect(objects(db, 'index')).toEqual(expect.arrayContaining(c.indexes ?? []));
      expect(objects(db, 'view')).toEqual(expect.arrayContaining(c.views ?? []));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    });

    it(`upgrades a database of version ${v - 1} with rows in it, keeping them`, () => {
      const db = databaseAt(v - 1);
      const before = rowCounts(db);
      upgrade(db);
      expect(db.pragma('user_version', { simple: true })).toBe(v);
      const after = rowCounts(db);
      for (const [name, n] of before)
        if (after.has(name)) expect(`${name}: ${after.get(name)}`).toBe(`${name}: ${c.counts?.[name] ?? n}`);
      for (const [name, n] of Object.entries(c.counts ?? {}))
        expect(`${name}: ${after.get(name)}`).toBe(`${name}: ${n}`);
      expect(db.pragma('foreign_key_check')).toEqual([]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      c.check?.(db);
      db.close();
    });

    if (c.plans?.length)
      it('serves its hot queries from its indexes', () => {
        const db = databaseAt(v);
        for (const [sql, uses] of c.plans!) expect(plan(db, sql), sql).toMatch(uses);
        db.close();
      });
  });
}
