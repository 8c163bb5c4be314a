-- Every file an export wrote, with the SHA-256 of what it wrote: `overwrite` replaces only such a
-- file, and only while it is unchanged; anything else at the path is the user's and is left alone.
CREATE TABLE export_outputs (
  path        TEXT PRIMARY KEY,
  sha256      TEXT NOT NULL,
  written_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
