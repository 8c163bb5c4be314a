-- Version 10: rating sessions as tables instead of JSON lists, so one key press is one indexed
-- write at any session size.
-- * session_candidates: what each item shows. A row per (shown candidate, source): identical
--   texts of one image are one shown candidate (the one rated) that remembers every candidate
--   with that text (its sources; the shown one is its own first source). `slot` orders an item.
-- * session_items.candidates: how many candidates the item shows.
-- * session_progress: per rater and item of the rater's, whether every shown candidate has a value
--   (written for all the rater's items on the rater's first visit); session_raters: per rater, how
--   many items that is, and how many are done. Progress is one row; where to resume is the lowest
--   open position in an index.
-- * session_queue: when images are assigned to raters, each rater's own list (idx -> position).
--   A session without assignments has no rows: everyone rates everything.
-- * candidate_ratings: ratings spread over every source of what was rated, for evaluation and
--   export (a rating of a text two runs produced counts for both).
-- Existing sessions convert as they are (no merging of their candidates), every rating kept; a
-- rater's progress is worked out from the ratings on the rater's next visit.

ALTER TABLE rating_sessions ADD COLUMN guidelines TEXT NOT NULL DEFAULT '';
ALTER TABLE rating_sessions ADD COLUMN overlap INTEGER; -- percent of items every assigned rater rates; NULL: no assignment
ALTER TABLE session_items ADD COLUMN candidates INTEGER NOT NULL DEFAULT 0;

CREATE TABLE session_candidates (
  session_id    INTEGER NOT NULL,
  position      INTEGER NOT NULL,
  slot          INTEGER NOT NULL,
  candidate_id  INTEGER NOT NULL REFERENCES caption_candidates(id),
  source_id     INTEGER NOT NULL REFERENCES caption_candidates(id),
  PRIMARY KEY (session_id, candidate_id, source_id),
  FOREIGN KEY (session_id, position) REFERENCES session_items(session_id, position) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX session_candidates_item ON session_candidates(session_id, position, slot);
CREATE INDEX session_candidates_source ON session_candidates(session_id, source_id);

INSERT INTO session_candidates (session_id, position, slot, candidate_id, source_id)
  SELECT i.session_id, i.position, j.key, j.value, j.value FROM session_items i, json_each(i.candidate_ids) j;
UPDATE session_items SET candidates = json_array_length(candidate_ids);
ALTER TABLE session_items DROP COLUMN candidate_ids;

CREATE TABLE session_progress (
  session_id  INTEGER NOT NULL REFERENCES rating_sessions(id) ON DELETE CASCADE,
  rater_id    INTEGER NOT NULL REFERENCES raters(id),
  position    INTEGER NOT NULL,
  done        INTEGER NOT NULL,
  PRIMARY KEY (session_id, rater_id, position)
) WITHOUT ROWID;
CREATE INDEX session_progress_done ON session_progress(session_id, rater_id, done, position);

CREATE TABLE session_raters (
  session_id  INTEGER NOT NULL REFERENCES rating_sessions(id) ON DELETE CASCADE,
  rater_id    INTEGER NOT NULL REFERENCES raters(id),
  items       INTEGER NOT NULL,
  done        INTEGER NOT NULL,
  PRIMARY KEY (session_id, rater_id)
) WITHOUT ROWID;

CREATE TABLE session_queue (
  session_id  INTEGER NOT NULL REFERENCES rating_sessions(id) ON DELETE CASCADE,
  rater_id    INTEGER NOT NULL REFERENCES raters(id),
  idx         INTEGER NOT NULL,
  position    INTEGER NOT NULL,
  PRIMARY KEY (session_id, rater_id, idx)
) WITHOUT ROWID;
CREATE UNIQUE INDEX session_queue_position ON session_queue(session_id, rater_id, position);

-- max(action) per rater without scanning the rater's whole log
CREATE INDEX rating_log_action ON rating_log(session_id, rater_id, action);

CREATE VIEW candidate_ratings AS
  SELECT r.id, r.session_id, r.rater_id, r.image_id, coalesce(sc.source_id, r.candidate_id) AS candidate_id,
         r.value, r.best, r.created_at
  FROM ratings r
  LEFT JOIN session_candidates sc ON sc.session_id = r.session_id AND sc.candidate_id = r.candidate_id;
