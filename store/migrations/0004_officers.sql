-- Officer workspace: accounts, server-side sessions, decisions, duplicate groups,
-- full-text search and the append-only audit log.
CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash       TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('admin', 'officer', 'committee')),
    disabled            INTEGER NOT NULL DEFAULT 0,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        INTEGER NOT NULL DEFAULT 0,
    password_changed_at INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,           -- sha256 of the cookie value
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Decisions on comments.
ALTER TABLE comments ADD COLUMN response   TEXT    NOT NULL DEFAULT ''; -- 处理意见/理由, may be published
ALTER TABLE comments ADD COLUMN note       TEXT    NOT NULL DEFAULT ''; -- internal
ALTER TABLE comments ADD COLUMN tags       TEXT    NOT NULL DEFAULT ''; -- space-separated
ALTER TABLE comments ADD COLUMN decided_by TEXT    NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN decided_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN received_at INTEGER NOT NULL DEFAULT 0;  -- for letters and calls: date received
ALTER TABLE comments ADD COLUMN recorded_by TEXT   NOT NULL DEFAULT '';  -- officer who typed in a letter/call
-- Campaign copies: identical after normalisation (norm_hash) or near-identical
-- (MinHash signature, looked up by its five LSH bands; see store/dedupe).
ALTER TABLE comments ADD COLUMN group_id  INTEGER NOT NULL DEFAULT 0;   -- id of the group's first comment
ALTER TABLE comments ADD COLUMN norm_hash TEXT    NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN minhash   BLOB;
ALTER TABLE comments ADD COLUMN band0     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN band1     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN band2     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN band3     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN band4     INTEGER NOT NULL DEFAULT 0;

CREATE INDEX comments_queue   ON comments (consultation_id, id);
CREATE INDEX comments_status  ON comments (consultation_id, status, id);
CREATE INDEX comments_group   ON comments (consultation_id, group_id, id);
CREATE INDEX comments_norm    ON comments (consultation_id, norm_hash);
CREATE INDEX comments_band0   ON comments (consultation_id, band0) WHERE band0 != 0;
CREATE INDEX comments_band1   ON comments (consultation_id, band1) WHERE band1 != 0;
CREATE INDEX comments_band2   ON comments (consultation_id, band2) WHERE band2 != 0;
CREATE INDEX comments_band3   ON comments (consultation_id, band3) WHERE band3 != 0;
CREATE INDEX comments_band4   ON comments (consultation_id, band4) WHERE band4 != 0;

-- Group sizes, kept by the insert path so the queue can show them without counting.
CREATE TABLE dup_groups (
    id              INTEGER PRIMARY KEY,        -- = the first comment's id
    consultation_id INTEGER NOT NULL,
    size            INTEGER NOT NULL
);
CREATE INDEX dup_groups_size ON dup_groups (consultation_id, size DESC);
UPDATE comments SET group_id = id;
INSERT INTO dup_groups (id, consultation_id, size) SELECT id, consultation_id, 1 FROM comments;

-- Full-text search of comment bodies. The trigram tokenizer finds any substring of three
-- or more characters; two-character queries expand to the trigrams that start with them
-- (see store/search.go), which is why the indexed text ends with a U+0001 sentinel.
CREATE VIRTUAL TABLE comments_fts USING fts5(body, content = '', contentless_delete = 1, tokenize = 'trigram');
CREATE VIRTUAL TABLE comments_fts_vocab USING fts5vocab(comments_fts, 'row');
CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comments_fts (rowid, body) VALUES (new.id, new.body || char(1));
END;
CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments BEGIN
    DELETE FROM comments_fts WHERE rowid = old.id;
END;
CREATE TRIGGER comments_fts_update AFTER UPDATE OF body ON comments BEGIN
    DELETE FROM comments_fts WHERE rowid = old.id;
    INSERT INTO comments_fts (rowid, body) VALUES (new.id, new.body || char(1));
END;
INSERT INTO comments_fts (rowid, body) SELECT id, body || char(1) FROM comments;

CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    user_id         INTEGER NOT NULL DEFAULT 0,
    username        TEXT    NOT NULL DEFAULT '',
    ip              TEXT    NOT NULL DEFAULT '',
    action          TEXT    NOT NULL,             -- login, decide, bulk_decide, window, user_add, export…
    consultation_id INTEGER NOT NULL DEFAULT 0,
    target          TEXT    NOT NULL DEFAULT '',  -- e.g. comment:42, user:alice
    before          TEXT    NOT NULL DEFAULT '',  -- JSON
    after           TEXT    NOT NULL DEFAULT ''   -- JSON
);
CREATE INDEX audit_at ON audit_log (at);
CREATE INDEX audit_target ON audit_log (target, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
