-- section_counts (0020) keyed by revision too: an anchor names a different article in
-- each revision of a draft (0060), and the pages show counts for one revision.
DROP TRIGGER section_counts_insert;
DROP TRIGGER section_counts_delete;
DROP TRIGGER section_counts_update;
DROP TABLE section_counts;
CREATE TABLE section_counts (
    consultation_id INTEGER NOT NULL,
    draft_revision  INTEGER NOT NULL,
    section_anchor  TEXT    NOT NULL,
    n               INTEGER NOT NULL,
    PRIMARY KEY (consultation_id, draft_revision, section_anchor)
) WITHOUT ROWID;

CREATE TRIGGER section_counts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO section_counts (consultation_id, draft_revision, section_anchor, n)
    VALUES (new.consultation_id, new.draft_revision, new.section_anchor, 1)
    ON CONFLICT (consultation_id, draft_revision, section_anchor) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER section_counts_delete AFTER DELETE ON comments BEGIN
    UPDATE section_counts SET n = n - 1
    WHERE consultation_id = old.consultation_id AND draft_revision = old.draft_revision AND section_anchor = old.section_anchor;
END;

CREATE TRIGGER section_counts_update AFTER UPDATE OF consultation_id, draft_revision, section_anchor ON comments
WHEN old.consultation_id != new.consultation_id OR old.draft_revision != new.draft_revision OR old.section_anchor != new.section_anchor BEGIN
    UPDATE section_counts SET n = n - 1
    WHERE consultation_id = old.consultation_id AND draft_revision = old.draft_revision AND section_anchor = old.section_anchor;
    INSERT INTO section_counts (consultation_id, draft_revision, section_anchor, n)
    VALUES (new.consultation_id, new.draft_revision, new.section_anchor, 1)
    ON CONFLICT (consultation_id, draft_revision, section_anchor) DO UPDATE SET n = n + 1;
END;

INSERT INTO section_counts (consultation_id, draft_revision, section_anchor, n)
SELECT consultation_id, draft_revision, section_anchor, COUNT(*) FROM comments GROUP BY consultation_id, draft_revision, section_anchor;
