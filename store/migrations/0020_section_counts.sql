-- Per-section comment counts, kept by triggers in the transaction that changes the
-- comments, so the public pages read a handful of rows instead of counting a million
-- (store/counts.go). Keyed by (consultation, anchor): the anchor is what a comment is
-- written about, and what the pages show counts for.
CREATE TABLE section_counts (
    consultation_id INTEGER NOT NULL,
    section_anchor  TEXT    NOT NULL,
    n               INTEGER NOT NULL,
    PRIMARY KEY (consultation_id, section_anchor)
) WITHOUT ROWID;

CREATE TRIGGER section_counts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO section_counts (consultation_id, section_anchor, n)
    VALUES (new.consultation_id, new.section_anchor, 1)
    ON CONFLICT (consultation_id, section_anchor) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER section_counts_delete AFTER DELETE ON comments BEGIN
    UPDATE section_counts SET n = n - 1
    WHERE consultation_id = old.consultation_id AND section_anchor = old.section_anchor;
END;

CREATE TRIGGER section_counts_update AFTER UPDATE OF consultation_id, section_anchor ON comments
WHEN old.consultation_id != new.consultation_id OR old.section_anchor != new.section_anchor BEGIN
    UPDATE section_counts SET n = n - 1
    WHERE consultation_id = old.consultation_id AND section_anchor = old.section_anchor;
    INSERT INTO section_counts (consultation_id, section_anchor, n)
    VALUES (new.consultation_id, new.section_anchor, 1)
    ON CONFLICT (consultation_id, section_anchor) DO UPDATE SET n = n + 1;
END;

INSERT INTO section_counts (consultation_id, section_anchor, n)
SELECT consultation_id, section_anchor, COUNT(*) FROM comments GROUP BY consultation_id, section_anchor;
