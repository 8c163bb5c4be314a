-- Version 16: search by meaning keeps each scorer's image embeddings as one matrix in memory; this
-- tells it when that copy is stale. Every change to a scorer's rows of image_embeddings (from any
-- connection: the studio, a CLI `score` run) bumps the scorer's version, so a search checks one row
-- instead of counting or hashing 100k embeddings.
CREATE TABLE embedding_versions (
  scorer_id INTEGER PRIMARY KEY REFERENCES models(id),
  version   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO embedding_versions (scorer_id, version) SELECT DISTINCT scorer_id, 1 FROM image_embeddings;

CREATE TRIGGER image_embeddings_added AFTER INSERT ON image_embeddings BEGIN
  INSERT INTO embedding_versions (scorer_id, version) VALUES (new.scorer_id, 1)
    ON CONFLICT (scorer_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER image_embeddings_changed AFTER UPDATE ON image_embeddings BEGIN
  INSERT INTO embedding_versions (scorer_id, version) VALUES (old.scorer_id, 1), (new.scorer_id, 1)
    ON CONFLICT (scorer_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER image_embeddings_removed AFTER DELETE ON image_embeddings BEGIN
  INSERT INTO embedding_versions (scorer_id, version) VALUES (old.scorer_id, 1)
    ON CONFLICT (scorer_id) DO UPDATE SET version = version + 1;
END;
