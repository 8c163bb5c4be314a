-- Version 5: the library grid lists a root's files in path order a page at a time; this index
-- gives that order (and the status filter) without sorting the whole folder for every page.
CREATE INDEX files_root_path ON files(root_id, path, status);
