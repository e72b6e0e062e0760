-- Captcha answers, kept in the database so they survive a restart and work behind
-- several server instances. Bounded by expiry and a row cap (see captcha.go).
CREATE TABLE captchas (
    id         TEXT    PRIMARY KEY,
    digits     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX captchas_created ON captchas (created_at);
