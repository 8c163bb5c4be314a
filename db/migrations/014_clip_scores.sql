-- Version 14: reference-free scores. A scorer is a row of `models` like a captioner (a CLIP model
-- and export variant: its hash, dtype and source). CLIPScore (2.5 * max(cos, 0)) per caption
-- candidate and scorer, with RefCLIPScore when the image had reference captions; and each image's
-- CLIP embedding, once per image (images are content hashes) and scorer, for search by meaning.
CREATE TABLE candidate_scores (
  candidate_id   INTEGER NOT NULL REFERENCES caption_candidates(id),
  scorer_id      INTEGER NOT NULL REFERENCES models(id),
  -- 2.5 * max(cos, 0): never negative (no upper CHECK: float32 cosines can round past 1)
  clip_score     REAL NOT NULL CHECK (clip_score >= 0),
  -- the reference code's harmonic mean with an unclipped reference side: it can be negative
  ref_clip_score REAL,
  refs           INTEGER NOT NULL DEFAULT 0 CHECK (refs >= 0),  -- the references RefCLIPScore used
  scored_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (candidate_id, scorer_id)
) WITHOUT ROWID;
-- the review queue: a scorer's lowest scores first
CREATE INDEX candidate_scores_low ON candidate_scores(scorer_id, clip_score);

CREATE TABLE image_embeddings (
  image_id   INTEGER NOT NULL REFERENCES images(id),
  scorer_id  INTEGER NOT NULL REFERENCES models(id),
  dim        INTEGER NOT NULL CHECK (dim > 0),
  vector     BLOB NOT NULL CHECK (length(vector) = 4 * dim),  -- float32, little-endian, unit length
  PRIMARY KEY (image_id, scorer_id)
) WITHOUT ROWID;
