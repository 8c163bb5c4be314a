-- Version 17: final judgments. In the adjudication view the owner sees every rater's judgments of
-- a session item and records the item's final one (one per item; a new one replaces it):
-- * kind 'best':     in a session of scores, candidate_id is the best caption; value its final
--   score 1..5, or NULL when only the pick was made
-- * kind 'pairwise': in a pairwise session, the verdict on the item's pair: candidate_id is A (the
--   caption in slot 0), other_id B (slot 1), value 'a' | 'b' | 'tie' | 'bad' as in judgments
-- Deleting the session (its items) deletes them, and so does deleting a caption they name (an
-- undone edit). Exports and evaluation read them by caption.

CREATE TABLE adjudications (
  session_id    INTEGER NOT NULL,
  position      INTEGER NOT NULL,
  image_id      INTEGER NOT NULL REFERENCES images(id),
  kind          TEXT NOT NULL CHECK (kind IN ('best', 'pairwise')),
  candidate_id  INTEGER NOT NULL REFERENCES caption_candidates(id) ON DELETE CASCADE,
  other_id      INTEGER REFERENCES caption_candidates(id) ON DELETE CASCADE,
  value         NUMERIC,                -- integers stay integers, pairwise choices text
  at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (session_id, position),
  FOREIGN KEY (session_id, position) REFERENCES session_items(session_id, position) ON DELETE CASCADE,
  CHECK (CASE kind
    WHEN 'best' THEN other_id IS NULL AND (value IS NULL OR value IN (1, 2, 3, 4, 5))
    ELSE other_id IS NOT NULL AND other_id <> candidate_id AND value IN ('a', 'b', 'tie', 'bad')
  END)
) WITHOUT ROWID;
-- a caption's final judgments (exports, evaluation), and the foreign-key checks when a caption is deleted
CREATE INDEX adjudications_candidate ON adjudications(candidate_id);
CREATE INDEX adjudications_other ON adjudications(other_id);
