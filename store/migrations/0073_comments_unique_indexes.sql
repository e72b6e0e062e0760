-- foreign_keys: off
-- The comments table rebuilt so that its two UNIQUE constraints (the tracking number
-- and the submission key) become named unique indexes: the same rule for every write,
-- but indexes that a bulk import into an empty table can drop and build again, sorted,
-- at the end (store/bulk.go), instead of writing one page of each per comment. Every
-- row keeps its id and every column its value, so the full-text index (keyed by id),
-- the queue of comments waiting for it and every table that refers to a comment stay
-- valid; the other indexes and the triggers are created again as they were. (The
-- migration runs with foreign keys off, as SQLite's table-rebuild procedure asks, and
-- checks them before it commits.)
CREATE TABLE comments_rebuilt (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    section_id      INTEGER REFERENCES sections (id), -- NULL: on the draft as a whole
    section_anchor  TEXT    NOT NULL,                 -- general / preamble / chapter-N / article-N
    tracking        TEXT    NOT NULL,                 -- the commenter's receipt number (unique: comments_tracking)
    submission_key  TEXT,                             -- one per rendered form: replays land on the same row (unique)
    body            TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    identity        TEXT    NOT NULL DEFAULT '',
    organization    TEXT    NOT NULL DEFAULT '',
    phone           TEXT    NOT NULL DEFAULT '',
    email           TEXT    NOT NULL DEFAULT '',
    publish_name    INTEGER NOT NULL DEFAULT 0,       -- may the name appear in published feedback
    consented_at    INTEGER NOT NULL,
    channel         TEXT    NOT NULL DEFAULT 'web',
    late            INTEGER NOT NULL DEFAULT 0,       -- received after the window closed
    status          TEXT    NOT NULL DEFAULT 'pending',
    created_at      INTEGER NOT NULL,
    response        TEXT    NOT NULL DEFAULT '',
    note            TEXT    NOT NULL DEFAULT '',
    tags            TEXT    NOT NULL DEFAULT '',
    decided_by      TEXT    NOT NULL DEFAULT '',
    decided_at      INTEGER NOT NULL DEFAULT 0,
    received_at     INTEGER NOT NULL DEFAULT 0,
    recorded_by     TEXT    NOT NULL DEFAULT '',
    group_id        INTEGER NOT NULL DEFAULT 0,
    norm_hash       TEXT    NOT NULL DEFAULT '',
    minhash         BLOB,
    band0           INTEGER NOT NULL DEFAULT 0,
    band1           INTEGER NOT NULL DEFAULT 0,
    band2           INTEGER NOT NULL DEFAULT 0,
    band3           INTEGER NOT NULL DEFAULT 0,
    band4           INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 0,
    assigned_to     TEXT    NOT NULL DEFAULT '',
    draft_revision  INTEGER NOT NULL DEFAULT 1
);
INSERT INTO comments_rebuilt (id, consultation_id, section_id, section_anchor, tracking, submission_key, body,
        name, identity, organization, phone, email, publish_name, consented_at, channel, late, status, created_at,
        response, note, tags, decided_by, decided_at, received_at, recorded_by, group_id, norm_hash, minhash,
        band0, band1, band2, band3, band4, version, assigned_to, draft_revision)
    SELECT id, consultation_id, section_id, section_anchor, tracking, submission_key, body,
        name, identity, organization, phone, email, publish_name, consented_at, channel, late, status, created_at,
        response, note, tags, decided_by, decided_at, received_at, recorded_by, group_id, norm_hash, minhash,
        band0, band1, band2, band3, band4, version, assigned_to, draft_revision
    FROM comments ORDER BY id;
DROP TABLE comments;
ALTER TABLE comments_rebuilt RENAME TO comments;

CREATE UNIQUE INDEX comments_tracking ON comments (tracking);
CREATE UNIQUE INDEX comments_submission_key ON comments (submission_key);
CREATE INDEX comments_consultation_section ON comments (consultation_id, section_anchor);
CREATE INDEX comments_consultation_created ON comments (consultation_id, created_at);
CREATE INDEX comments_queue   ON comments (consultation_id, id);
CREATE INDEX comments_status  ON comments (consultation_id, status, id);
CREATE INDEX comments_group   ON comments (consultation_id, group_id, id);
CREATE INDEX comments_norm    ON comments (consultation_id, norm_hash);
CREATE INDEX comments_band0   ON comments (consultation_id, band0) WHERE band0 != 0;
CREATE INDEX comments_band1   ON comments (consultation_id, band1) WHERE band1 != 0;
CREATE INDEX comments_band2   ON comments (consultation_id, band2) WHERE band2 != 0;
CREATE INDEX comments_band3   ON comments (consultation_id, band3) WHERE band3 != 0;
CREATE INDEX comments_band4   ON comments (consultation_id, band4) WHERE band4 != 0;
CREATE INDEX comments_people ON comments (consultation_id, identity, channel);
CREATE INDEX comments_assigned ON comments (consultation_id, assigned_to, id) WHERE assigned_to != '';
CREATE INDEX comments_consultation_revision ON comments (consultation_id, draft_revision, section_anchor);
CREATE INDEX comments_section_status ON comments (consultation_id, section_anchor, status);

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
CREATE TRIGGER comments_fts_update AFTER UPDATE OF body ON comments
WHEN old.id NOT IN (SELECT id FROM fts_queue) BEGIN
    DELETE FROM comments_fts WHERE rowid = old.id;
    INSERT INTO comments_fts (rowid, body) VALUES (new.id, new.body || char(1));
END;
CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
    DELETE FROM comments_fts WHERE rowid = old.id AND old.id NOT IN (SELECT id FROM fts_queue);
    DELETE FROM fts_queue WHERE id = old.id;
END;
