-- Version 4: each candidate keeps the text of its tokens (for per-word heat-maps), written when it
-- is generated, so showing a caption never needs the model that made it.
ALTER TABLE caption_candidates ADD COLUMN token_texts TEXT; -- JSON array of strings, '' for special tokens
