-- Version 3: reference captions for evaluation, matched to images by file name or content hash.
CREATE TABLE reference_captions (
  id          INTEGER PRIMARY KEY,
  image_id    INTEGER NOT NULL REFERENCES images(id),
  caption     TEXT NOT NULL,
  source      TEXT NOT NULL,            -- the file they were imported from
  imported_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  UNIQUE (image_id, caption)
);
CREATE INDEX reference_captions_image ON reference_captions(image_id);
