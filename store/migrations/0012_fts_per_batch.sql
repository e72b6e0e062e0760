-- New comments are added to the full-text index once per committed batch (store/comment.go
-- commitBatch), not by a per-row trigger: each INSERT statement made FTS5 flush and merge
-- its pending data, about a third of the insert path's CPU. Updates and deletes keep
-- their triggers.
DROP TRIGGER comments_fts_insert;
