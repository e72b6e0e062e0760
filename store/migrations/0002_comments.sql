-- Comments from the public (and, later, ones officers record from letters or calls).
CREATE TABLE comments (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    section_id      INTEGER REFERENCES sections (id), -- NULL: on the draft as a whole
    section_anchor  TEXT    NOT NULL,                 -- general / preamble / chapter-N / article-N
    tracking        TEXT    NOT NULL UNIQUE,          -- the commenter's receipt number
    submission_key  TEXT    UNIQUE,                   -- one per rendered form: replays land on the same row
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
    created_at      INTEGER NOT NULL
);
CREATE INDEX comments_consultation_section ON comments (consultation_id, section_anchor);
CREATE INDEX comments_consultation_created ON comments (consultation_id, created_at);
