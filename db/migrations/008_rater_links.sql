-- Links for remote raters: each reaches its rating sessions only, rates under its rater's name,
-- and can be revoked. Only the SHA-256 of a link's token is kept; the token is shown once.
CREATE TABLE rater_links (
  id          INTEGER PRIMARY KEY,
  rater_id    INTEGER NOT NULL REFERENCES raters(id),
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  revoked_at  TEXT
);

CREATE TABLE rater_link_sessions (
  link_id     INTEGER NOT NULL REFERENCES rater_links(id) ON DELETE CASCADE,
  session_id  INTEGER NOT NULL REFERENCES rating_sessions(id) ON DELETE CASCADE,
  PRIMARY KEY (link_id, session_id)
);
