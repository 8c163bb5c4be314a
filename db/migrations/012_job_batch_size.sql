-- Version 12: a caption job remembers its batch size, so resuming it (from the studio, after the
-- CLI started it, or the other way round) runs it as it was started. Jobs from before have none:
-- they resume at the default batch size.
ALTER TABLE jobs ADD COLUMN batch_size INTEGER CHECK (batch_size IS NULL OR batch_size >= 1);
