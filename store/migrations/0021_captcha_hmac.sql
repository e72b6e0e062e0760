-- Captchas without a write when a form is shown: a captcha id carries its issue time
-- and random bytes, its digits are HMAC(secret, id) (store/captcha.go), and only its
-- use is written, by the transaction that stores the comment it was answered for (or,
-- for a wrong answer, by the group committer alone). The secret is kept here so it
-- survives restarts and is shared by every instance on this database.
CREATE TABLE captcha_secret (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB    NOT NULL
);

-- Used-up captchas: a second use of the same id is refused by the primary key. Rows
-- older than the captcha lifetime are pruned by the committer, so the table holds at
-- most the captchas used in the last twenty minutes or so.
CREATE TABLE used_captchas (
    id        TEXT    PRIMARY KEY,
    issued_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX used_captchas_issued ON used_captchas (issued_at);

DROP TABLE captchas;
