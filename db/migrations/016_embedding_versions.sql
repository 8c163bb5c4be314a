-- Version 16: search by meaning keeps each scorer's image embeddings as one matrix in memory; these
-- tell it what changed since it read them, from any connection (the studio, a CLI `score` run):
-- each embedding added is numbered (`embedding_additions.seq`), so a copy reads only the rows added
-- after the last it holds; an embedding changed or removed bumps the scorer's version, and a copy of
-- an older version is read again whole. One indexed look-up each instead of counting or hashing
-- 100k embeddings.
CREATE TABLE embedding_versions (
  scorer_id INTEGER PRIMARY KEY REFERENCES models(id),
  version   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE embedding_additions (
  seq       INTEGER PRIMARY KEY,
  scorer_id INTEGER NOT NULL REFERENCES models(id),
  image_id  INTEGER NOT NULL REFERENCES images(id)
);
CREATE INDEX embedding_additions_scorer ON embedding_additions(scorer_id, seq);
INSERT INTO embedding_additions (scorer_id, image_id) SELECT scorer_id, image_id FROM image_embeddings;

CREATE TRIGGER image_embeddings_added AFTER INSERT ON image_embeddings BEGIN
  INSERT INTO embedding_additions (scorer_id, image_id) VALUES (new.scorer_id, new.image_id);
END;
CREATE TRIGGER image_embeddings_changed AFTER UPDATE ON image_embeddings BEGIN
  INSERT INTO embedding_versions (scorer_id, version) VALUES (old.scorer_id, 1), (new.scorer_id, 1)
    ON CONFLICT (scorer_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER image_embeddings_removed AFTER DELETE ON image_embeddings BEGIN
  INSERT INTO embedding_versions (scorer_id, version) VALUES (old.scorer_id, 1)
    ON CONFLICT (scorer_id) DO UPDATE SET version = version + 1;
END;
