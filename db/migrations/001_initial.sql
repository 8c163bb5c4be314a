-- Caption Studio schema, version 1.
-- Images are identified by content hash (images.hash); files are where they were seen. Ratings and
-- captions hang off images and candidates, so they survive renames and moves.

CREATE TABLE library_roots (
  id        INTEGER PRIMARY KEY,
  path      TEXT NOT NULL UNIQUE,
  added_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  scanned_at TEXT
);

CREATE TABLE images (
  id      INTEGER PRIMARY KEY,
  hash    TEXT NOT NULL UNIQUE,         -- sha256 of the file bytes, hex
  bytes   INTEGER NOT NULL,
  width   INTEGER,
  height  INTEGER,
  format  TEXT
);

CREATE TABLE files (
  id        INTEGER PRIMARY KEY,
  root_id   INTEGER NOT NULL REFERENCES library_roots(id) ON DELETE CASCADE,
  path      TEXT NOT NULL UNIQUE,       -- absolute
  size      INTEGER NOT NULL,
  mtime_ms  REAL NOT NULL,
  image_id  INTEGER REFERENCES images(id),
  status    TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'ok', 'error', 'missing')),
  error     TEXT,
  seen_at   TEXT NOT NULL
);
CREATE INDEX files_root_status ON files(root_id, status);
CREATE INDEX files_image ON files(image_id);

CREATE TABLE models (
  id        INTEGER PRIMARY KEY,
  hash      TEXT NOT NULL UNIQUE,       -- sha256 over the bundle's files
  path      TEXT NOT NULL,
  name      TEXT NOT NULL,
  added_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE decoding_configs (
  id    INTEGER PRIMARY KEY,
  hash  TEXT NOT NULL UNIQUE,           -- sha256 of the canonical JSON
  json  TEXT NOT NULL                   -- canonical: keys sorted, defaults filled
);

CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('caption')),
  root_id     INTEGER NOT NULL REFERENCES library_roots(id) ON DELETE CASCADE,
  model_id    INTEGER NOT NULL REFERENCES models(id),
  config_id   INTEGER NOT NULL REFERENCES decoding_configs(id),
  policy      TEXT NOT NULL CHECK (policy IN ('skip-existing', 'overwrite')),
  state       TEXT NOT NULL CHECK (state IN ('running', 'paused', 'done', 'cancelled', 'failed')),
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One current run per image, model and decoding config; an overwritten run is kept (superseded)
-- so ratings of its candidates stay valid.
CREATE TABLE caption_runs (
  id          INTEGER PRIMARY KEY,
  image_id    INTEGER NOT NULL REFERENCES images(id),
  model_id    INTEGER NOT NULL REFERENCES models(id),
  config_id   INTEGER NOT NULL REFERENCES decoding_configs(id),
  job_id      INTEGER REFERENCES jobs(id),
  provider    TEXT NOT NULL,            -- execution provider that ran it, e.g. 'cpu', 'cuda'
  duration_ms REAL NOT NULL,
  superseded  INTEGER NOT NULL DEFAULT 0,
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX caption_runs_current ON caption_runs(image_id, model_id, config_id) WHERE superseded = 0;

CREATE TABLE caption_candidates (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES caption_runs(id),
  rank          INTEGER NOT NULL,       -- 0 = best; human edits come after the model's n-best
  source        TEXT NOT NULL CHECK (source IN ('model', 'human')),
  text          TEXT NOT NULL,
  token_ids     TEXT,                   -- JSON array
  token_logprobs TEXT,                  -- JSON array
  logprob_sum   REAL,
  score         REAL,                   -- length-normalised
  attention     BLOB,                   -- uint8 heat-map per token: tokens x grid_h x grid_w
  attention_grid TEXT,                  -- JSON [tokens, grid_h, grid_w]
  edited_from   INTEGER REFERENCES caption_candidates(id),
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (run_id, rank)
);

CREATE TABLE raters (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE
);

CREATE TABLE rating_sessions (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  blind       INTEGER NOT NULL DEFAULT 1,
  config      TEXT NOT NULL,            -- JSON: candidate sources, scale
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE session_items (
  session_id  INTEGER NOT NULL REFERENCES rating_sessions(id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  image_id    INTEGER NOT NULL REFERENCES images(id),
  PRIMARY KEY (session_id, position)
);

CREATE TABLE ratings (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES rating_sessions(id),
  rater_id      INTEGER NOT NULL REFERENCES raters(id),
  image_id      INTEGER NOT NULL REFERENCES images(id),
  candidate_id  INTEGER NOT NULL REFERENCES caption_candidates(id),
  value         INTEGER CHECK (value BETWEEN 1 AND 5),
  best          INTEGER NOT NULL DEFAULT 0,   -- 1 = picked as best of N for this image
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (session_id, rater_id, candidate_id)
);
CREATE INDEX ratings_candidate ON ratings(candidate_id);
