-- Version 6: where each model came from and which export variant ran (provenance of every caption
-- run), and the model folders the owner added to the studio's list.
ALTER TABLE models ADD COLUMN dtype TEXT;   -- fp32, fp16, q8, ...
ALTER TABLE models ADD COLUMN source TEXT;  -- 'hf:ORG/NAME@COMMIT' or the folder's path

CREATE TABLE model_folders (
  id        INTEGER PRIMARY KEY,
  path      TEXT NOT NULL UNIQUE,
  added_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
