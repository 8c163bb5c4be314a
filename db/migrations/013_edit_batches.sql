-- Version 13: bulk caption edits, each one undoable step. An edit batch is one operation (find and
-- replace, prepend, strip, case, whitespace) over many images; it wrote one human edit per caption
-- it changed (caption_candidates, source 'human', edited_from the caption it changed). Its items
-- keep each caption's text before and after, and the human edit it wrote (`after_id`). Undo deletes
-- those edits, so each image's caption is again the one before; redo writes them again, under new
-- ids (and names them in later batches' `before_id`). While a batch is undone its `after_id`s name
-- nothing: ids only, not foreign keys. The history survives restarts; applying a new batch drops the undone
-- ones (the redo stack).
CREATE TABLE edit_batches (
  id          INTEGER PRIMARY KEY,
  operation   TEXT NOT NULL,             -- JSON: the operation as requested (provenance)
  label       TEXT NOT NULL,             -- the operation in words, for the history
  state       TEXT NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'undone')),
  created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX edit_batches_state ON edit_batches(state, id);

CREATE TABLE edit_batch_items (
  batch_id   INTEGER NOT NULL REFERENCES edit_batches(id) ON DELETE CASCADE,
  image_id   INTEGER NOT NULL REFERENCES images(id),
  -- the caption changed: a candidate id, not a foreign key (an earlier batch's edit it names is
  -- deleted while that batch is undone, and renamed when it is redone)
  before_id  INTEGER NOT NULL,
  after_id   INTEGER NOT NULL,
  before     TEXT NOT NULL,
  after      TEXT NOT NULL,
  PRIMARY KEY (batch_id, image_id)
) WITHOUT ROWID;
-- which batch wrote a human edit (provenance: of an applied batch)
CREATE INDEX edit_batch_items_after ON edit_batch_items(after_id);

-- Undo deletes up to tens of thousands of candidates at once: every table that names a candidate
-- must find its rows by that column, or SQLite's foreign-key check scans the table per deleted row.
CREATE INDEX caption_candidates_edited_from ON caption_candidates(edited_from) WHERE edited_from IS NOT NULL;
CREATE INDEX session_candidates_candidate ON session_candidates(candidate_id);
CREATE INDEX session_candidates_source_only ON session_candidates(source_id);
CREATE INDEX judgments_other ON judgments(other_id) WHERE other_id IS NOT NULL;
