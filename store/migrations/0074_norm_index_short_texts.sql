-- The index of normalised hashes keeps a key only for the texts too short for bands
-- (band0 = 0): a longer text's identical copies share its bands, and are found through
-- the band indexes as its near-identical copies are (store/comment.go groupStmts). Its
-- key was random, so every comment wrote a page of it at each commit; a longer text's
-- key is now NULL, and its entry goes where the last one went.
-- It stays an index on every row, not a partial one: without statistics, SQLite's
-- planner weighs how many full indexes begin with consultation_id, and with one fewer it
-- took comments_consultation_created for the export's group tallies, reading every
-- comment once per group (TestPlansUseTheirIndexes).
-- A bulk import that was killed before it built its indexes again (store/bulk.go) may
-- have it recorded as dropped: it is built here instead, with the new definition.
DROP INDEX IF EXISTS comments_norm;
DELETE FROM bulk_import_indexes WHERE name = 'comments_norm';
CREATE INDEX comments_norm ON comments (consultation_id, (CASE WHEN band0 = 0 THEN norm_hash END));
