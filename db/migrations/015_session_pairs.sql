-- Version 15: a caption can be shown in several items of one session. A pairwise session over all
-- pairs of an image's n-best shows each of its n captions in n - 1 pairs, which version 10's key
-- (session, caption, source) forbade. The key gains the item's position; what looked an item up by
-- caption (the item an edit or a score belongs to) reads a new index with the same columns first.
-- In a session of scores each caption is still in one item (sessions.ts); rows convert as they are.

CREATE TABLE session_candidates_v15 (
  session_id    INTEGER NOT NULL,
  position      INTEGER NOT NULL,
  slot          INTEGER NOT NULL,
  candidate_id  INTEGER NOT NULL REFERENCES caption_candidates(id),
  source_id     INTEGER NOT NULL REFERENCES caption_candidates(id),
  PRIMARY KEY (session_id, position, candidate_id, source_id),
  FOREIGN KEY (session_id, position) REFERENCES session_items(session_id, position) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO session_candidates_v15 (session_id, position, slot, candidate_id, source_id)
  SELECT session_id, position, slot, candidate_id, source_id FROM session_candidates;

-- the view reads the table: dropped with it, then made again as version 11 made it
DROP VIEW candidate_ratings;
DROP TABLE session_candidates;
ALTER TABLE session_candidates_v15 RENAME TO session_candidates;
CREATE INDEX session_candidates_item ON session_candidates(session_id, position, slot);
-- A WITHOUT ROWID table's index carries the rest of the key after its own columns: on caption it is
-- (candidate_id, session_id, position, source_id). One index serves the item (or pair) showing a
-- caption, the view's join, and the foreign-key check when a caption is deleted (edit undo deletes
-- thousands: version 13's reason for these two indexes, made again with the table).
CREATE INDEX session_candidates_candidate ON session_candidates(candidate_id);
CREATE INDEX session_candidates_source ON session_candidates(source_id);

CREATE VIEW candidate_ratings AS
  SELECT r.id, r.session_id, r.rater_id, r.image_id, coalesce(sc.source_id, r.candidate_id) AS candidate_id,
         r.value, r.best, r.created_at
  FROM ratings r
  LEFT JOIN session_candidates sc ON sc.session_id = r.session_id AND sc.candidate_id = r.candidate_id;
