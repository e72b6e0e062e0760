-- The public feedback report (意见采纳情况). Publishing takes a snapshot of every
-- comment's decision and response, so nothing reaches the public before the office
-- publishes, and later edits appear only in the next revision.
CREATE TABLE feedback_drafts (
    consultation_id INTEGER PRIMARY KEY REFERENCES consultations (id),
    summary         TEXT    NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL,
    updated_by      TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE feedback_reports (
    id              INTEGER PRIMARY KEY,
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    revision        INTEGER NOT NULL,             -- 1, 2, …
    summary         TEXT    NOT NULL,
    participants    INTEGER NOT NULL,
    comments        INTEGER NOT NULL,
    published_at    INTEGER NOT NULL,
    published_by    TEXT    NOT NULL,
    UNIQUE (consultation_id, revision)
);

CREATE TABLE feedback_items (
    report_id      INTEGER NOT NULL REFERENCES feedback_reports (id),
    comment_id     INTEGER NOT NULL REFERENCES comments (id),
    group_id       INTEGER NOT NULL,
    section_anchor TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    response       TEXT    NOT NULL,
    public_name    TEXT    NOT NULL,              -- the name only if its owner consented
    PRIMARY KEY (report_id, comment_id)
) WITHOUT ROWID;
CREATE INDEX feedback_items_comment ON feedback_items (comment_id, report_id);
