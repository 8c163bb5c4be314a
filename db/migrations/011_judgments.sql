-- Version 11: one stored notion of a human judgment. A score of a caption, a best-of-N pick and a
-- pairwise preference are kinds of one row in `judgments`, which is also the undo log (it replaces
-- the tables `ratings` and `rating_log`):
-- * kind 'score':    candidate_id scored, value 1..5
-- * kind 'best':     candidate_id picked as the best of its item, value 1
-- * kind 'pairwise': candidate_id (A, shown left) against other_id (B), value 'a' | 'b' | 'tie' | 'bad'
--   (B preferred is 'b'; 'bad': both bad)
-- value NULL: the rater withdrew that judgment (a score cleared, a pick taken back).
-- A rater's new judgment of the same thing (session, rater, kind, candidate(s)) replaces the current
-- one: that one's state becomes 'replaced' and the new row names it in `replaces`. The rows of one
-- user action share `seq` (per session and rater, increasing); undo marks the last action's rows
-- 'undone' and makes current again the rows they replaced.
-- The views `ratings` (a rater's score and pick per shown candidate: version 10's table) and
-- `candidate_ratings` (the same spread over every source of what was rated) keep their columns for
-- evaluation and export.
-- Every existing rating converts (a value to a score, a best flag to a pick) with seq 0, which undo
-- does not reach: the undo log before the upgrade held previous values, not actions to replay.

CREATE TABLE judgments (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES rating_sessions(id),
  rater_id      INTEGER NOT NULL REFERENCES raters(id),
  image_id      INTEGER NOT NULL REFERENCES images(id),
  kind          TEXT NOT NULL CHECK (kind IN ('score', 'best', 'pairwise')),
  candidate_id  INTEGER NOT NULL REFERENCES caption_candidates(id),
  other_id      INTEGER REFERENCES caption_candidates(id),
  value         NUMERIC,                -- integers stay integers, pairwise choices text
  seq           INTEGER NOT NULL,
  state         TEXT NOT NULL DEFAULT 'current' CHECK (state IN ('current', 'replaced', 'undone')),
  replaces      INTEGER REFERENCES judgments(id),
  at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK (CASE kind
    WHEN 'score' THEN other_id IS NULL AND (value IS NULL OR value IN (1, 2, 3, 4, 5))
    WHEN 'best' THEN other_id IS NULL AND (value IS NULL OR value = 1)
    ELSE other_id IS NOT NULL AND other_id <> candidate_id AND (value IS NULL OR value IN ('a', 'b', 'tie', 'bad'))
  END)
);
-- one current judgment per rater and thing judged; a key press looks its candidate's up here
CREATE UNIQUE INDEX judgments_current
  ON judgments(session_id, rater_id, kind, candidate_id, coalesce(other_id, 0)) WHERE state = 'current';
-- the rater's next seq (max) and last action (undo)
CREATE INDEX judgments_seq ON judgments(session_id, rater_id, seq);
-- what exports and evaluation read per candidate
CREATE INDEX judgments_candidate ON judgments(candidate_id);

-- the item showing a caption as a source (an edit's item): covering, or SQLite prefers scanning the
-- session's items in session_candidates_item
DROP INDEX session_candidates_source;
CREATE INDEX session_candidates_source ON session_candidates(session_id, source_id, position);

INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, value, seq, at)
  SELECT session_id, rater_id, image_id, 'score', candidate_id, value, 0, created_at
  FROM ratings WHERE value IS NOT NULL ORDER BY id;
INSERT INTO judgments (session_id, rater_id, image_id, kind, candidate_id, value, seq, at)
  SELECT session_id, rater_id, image_id, 'best', candidate_id, 1, 0, created_at
  FROM ratings WHERE best <> 0 ORDER BY id;

DROP VIEW candidate_ratings;
DROP TABLE rating_log;
DROP TABLE ratings;

CREATE VIEW ratings AS
  SELECT min(id) AS id, session_id, rater_id, image_id, candidate_id,
         max(CASE kind WHEN 'score' THEN value END) AS value,
         max(kind = 'best') AS best,
         max(at) AS created_at
  FROM judgments
  WHERE state = 'current' AND kind IN ('score', 'best') AND value IS NOT NULL
  GROUP BY session_id, rater_id, candidate_id;

CREATE VIEW candidate_ratings AS
  SELECT r.id, r.session_id, r.rater_id, r.image_id, coalesce(sc.source_id, r.candidate_id) AS candidate_id,
         r.value, r.best, r.created_at
  FROM ratings r
  LEFT JOIN session_candidates sc ON sc.session_id = r.session_id AND sc.candidate_id = r.candidate_id;
