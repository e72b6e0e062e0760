-- foreign_keys: off
-- Revisions of a consultation's draft (第一稿, 修改稿 …). Each section belongs to one
-- revision and each comment keeps the revision it was written on. The sections table
-- is rebuilt so that its UNIQUE constraints include the revision; every id is kept, so
-- comments still point at the section they were written about. (The migration runs
-- with foreign keys off, as SQLite's table-rebuild procedure asks, and checks them
-- before it commits.)
CREATE TABLE draft_revisions (
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    number          INTEGER NOT NULL,             -- 1, 2, … (第一稿 is 1)
    title           TEXT    NOT NULL,             -- the revision's title lines joined with "\n"
    reason          TEXT    NOT NULL DEFAULT '',  -- 修改说明
    opens_at        INTEGER NOT NULL,             -- the round's comment window as published
    closes_at       INTEGER NOT NULL,
    draft_sha256    TEXT    NOT NULL DEFAULT '',
    pins            TEXT    NOT NULL DEFAULT '[]', -- officers' pairing corrections against the previous revision (JSON)
    published_at    INTEGER NOT NULL,
    published_by    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (consultation_id, number)
) WITHOUT ROWID;
INSERT INTO draft_revisions (consultation_id, number, title, opens_at, closes_at, draft_sha256, published_at, published_by)
    SELECT id, 1, title, opens_at, closes_at, draft_sha256, created_at, '' FROM consultations;

-- The revision on show (the latest published).
ALTER TABLE consultations ADD COLUMN draft_revision INTEGER NOT NULL DEFAULT 1;

CREATE TABLE sections_rebuilt (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    draft_revision  INTEGER NOT NULL DEFAULT 1,
    position        INTEGER NOT NULL,             -- document order within the revision, from 0
    kind            TEXT    NOT NULL CHECK (kind IN ('preamble', 'chapter', 'article')),
    parent_id       INTEGER REFERENCES sections (id) ON DELETE CASCADE,
    ordinal         INTEGER NOT NULL,             -- N in the anchor
    label           TEXT    NOT NULL,             -- 一、 / (十七) / 第一条
    heading         TEXT    NOT NULL,
    sep             TEXT    NOT NULL,             -- what stood between heading and body
    body            TEXT    NOT NULL,
    anchor          TEXT    NOT NULL,             -- preamble / chapter-N / article-N
    opens_at        INTEGER,                      -- optional per-section window override
    closes_at       INTEGER,
    UNIQUE (consultation_id, draft_revision, anchor),
    UNIQUE (consultation_id, draft_revision, position)
);
INSERT INTO sections_rebuilt (id, consultation_id, draft_revision, position, kind, parent_id, ordinal,
        label, heading, sep, body, anchor, opens_at, closes_at)
    SELECT id, consultation_id, 1, position, kind, parent_id, ordinal, label, heading, sep, body, anchor,
        opens_at, closes_at FROM sections;
DROP TABLE sections;
ALTER TABLE sections_rebuilt RENAME TO sections;
CREATE INDEX sections_parent ON sections (parent_id);

ALTER TABLE comments ADD COLUMN draft_revision INTEGER NOT NULL DEFAULT 1;
CREATE INDEX comments_consultation_revision ON comments (consultation_id, draft_revision, section_anchor);
