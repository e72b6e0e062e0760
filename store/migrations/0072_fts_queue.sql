-- Web comments wait here for the full-text index (store/fts.go): the group committer
-- adds their ids in the transaction that stores them and indexes up to a few hundred
-- at a time, so FTS5 writes and merges one segment per few hundred comments instead of
-- one per commit. A row here is a comment stored but not yet in comments_fts; the
-- store indexes what is left when it opens, so nothing waits past a crash.
CREATE TABLE fts_queue (id INTEGER PRIMARY KEY);

-- A comment still waiting is not in the index yet: its new body is indexed when the
-- queue is, and deleting it takes it out of the queue.
DROP TRIGGER comments_fts_update;
CREATE TRIGGER comments_fts_update AFTER UPDATE OF body ON comments
WHEN old.id NOT IN (SELECT id FROM fts_queue) BEGIN
    DELETE FROM comments_fts WHERE rowid = old.id;
    INSERT INTO comments_fts (rowid, body) VALUES (new.id, new.body || char(1));
END;
DROP TRIGGER comments_fts_delete;
CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
    DELETE FROM comments_fts WHERE rowid = old.id AND old.id NOT IN (SELECT id FROM fts_queue);
    DELETE FROM fts_queue WHERE id = old.id;
END;
