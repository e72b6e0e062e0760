-- The index of normalised hashes keeps only the texts too short for bands (band0 = 0):
-- a longer text's identical copies share its bands, and are found through the band
-- indexes as its near-identical copies are (store/comment.go groupStmts). Every comment
-- wrote a random page of this index at each commit for look-ups the bands answer.
-- A bulk import that was killed before it built its indexes again (store/bulk.go) may
-- have it recorded as dropped: it is built here instead, with the new definition.
DROP INDEX IF EXISTS comments_norm;
DELETE FROM bulk_import_indexes WHERE name = 'comments_norm';
CREATE INDEX comments_norm ON comments (consultation_id, norm_hash) WHERE band0 = 0;
