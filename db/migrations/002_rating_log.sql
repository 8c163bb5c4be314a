-- Version 2: every rating action is logged so a rater can undo it, and session items remember
-- which candidates they show.

CREATE TABLE rating_log (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES rating_sessions(id),
  rater_id      INTEGER NOT NULL REFERENCES raters(id),
  action        INTEGER NOT NULL,         -- rows of one user action (a best pick clears others) share it
  candidate_id  INTEGER NOT NULL REFERENCES caption_candidates(id),
  prev_value    INTEGER,
  prev_best     INTEGER,
  undone        INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX rating_log_rater ON rating_log(session_id, rater_id, undone, action);

ALTER TABLE session_items ADD COLUMN candidate_ids TEXT NOT NULL DEFAULT '[]'; -- JSON array
