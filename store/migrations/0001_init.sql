-- Consultations and the sections (preamble, chapters, articles) of their drafts.
CREATE TABLE consultations (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    title            TEXT    NOT NULL,            -- title lines joined with "\n"
    publisher        TEXT    NOT NULL DEFAULT '', -- 来源
    category         TEXT    NOT NULL DEFAULT '', -- e.g. 重大行政决策
    source           TEXT    NOT NULL DEFAULT '', -- where the draft was first published
    call_text        TEXT    NOT NULL DEFAULT '', -- the call for comments
    contact_name     TEXT    NOT NULL DEFAULT '',
    contact_phone    TEXT    NOT NULL DEFAULT '',
    contact_email    TEXT    NOT NULL DEFAULT '',
    signer           TEXT    NOT NULL DEFAULT '',
    signed_on        TEXT    NOT NULL DEFAULT '',
    opens_at         INTEGER NOT NULL,            -- unix seconds
    closes_at        INTEGER NOT NULL,
    window_reason    TEXT    NOT NULL DEFAULT '', -- why the window is as it is (required under 30 days)
    config_opens_at  INTEGER NOT NULL DEFAULT 0,  -- the window config.toml last asked for
    config_closes_at INTEGER NOT NULL DEFAULT 0,
    draft_sha256     TEXT    NOT NULL DEFAULT '', -- of the draft file last imported
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK (closes_at > opens_at)
);

CREATE TABLE sections (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,             -- document order, from 0
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
    UNIQUE (consultation_id, anchor),
    UNIQUE (consultation_id, position)
);
CREATE INDEX sections_parent ON sections (parent_id);
