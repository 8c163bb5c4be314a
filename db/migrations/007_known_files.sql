-- Files of removed library folders whose image was known. When a folder is added again and a file
-- is found at the same path with the same size and mtime, it gets its image back at once - and with
-- it the captions and ratings, which hang off images - without being read again.
CREATE TABLE known_files (
  path      TEXT PRIMARY KEY,
  size      INTEGER NOT NULL,
  mtime_ms  REAL NOT NULL,
  image_id  INTEGER NOT NULL REFERENCES images(id)
);
