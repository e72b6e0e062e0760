-- Team triage (issue 10): optimistic locking, the department role, routing (交办) of
-- comments to units, and assignment inside the office.

-- Every decision bumps its comment's version; a decision form carries the version it
-- was shown, and a save against an older one is refused.
ALTER TABLE comments ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
-- The officer a comment is assigned to (指派), '' for nobody.
ALTER TABLE comments ADD COLUMN assigned_to TEXT NOT NULL DEFAULT '';
CREATE INDEX comments_assigned ON comments (consultation_id, assigned_to, id) WHERE assigned_to != '';
ALTER TABLE feedback_drafts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- The department role: an account of a responsible unit (财政局, 人社局 …). The role
-- CHECK cannot be altered in place, so users is rebuilt; sessions refer to users and
-- are set aside and put back (dropping users first would cascade into them).
CREATE TABLE users_new (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash       TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('admin', 'officer', 'committee', 'department')),
    disabled            INTEGER NOT NULL DEFAULT 0,
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        INTEGER NOT NULL DEFAULT 0,
    password_changed_at INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    unit                TEXT    NOT NULL DEFAULT '',
    CHECK ((role = 'department') = (unit != ''))
);
INSERT INTO users_new (id, username, password_hash, role, disabled, failed_logins, locked_until, password_changed_at, created_at)
    SELECT id, username, password_hash, role, disabled, failed_logins, locked_until, password_changed_at, created_at FROM users;
CREATE TABLE sessions_keep AS SELECT * FROM sessions;
DROP TABLE sessions;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
INSERT INTO sessions SELECT * FROM sessions_keep;
DROP TABLE sessions_keep;

-- A comment routed (交办) to a unit: at most one routing per comment. No row: 未交办.
CREATE TABLE routings (
    comment_id        INTEGER PRIMARY KEY REFERENCES comments (id),
    consultation_id   INTEGER NOT NULL,
    unit              TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('routed', 'answered', 'returned', 'accepted')),
    due_at            INTEGER NOT NULL DEFAULT 0,   -- unix seconds, 0: no due date
    proposed_status   TEXT    NOT NULL DEFAULT '',  -- 拟处理意见 of the unit
    proposed_response TEXT    NOT NULL DEFAULT '',
    return_note       TEXT    NOT NULL DEFAULT '',  -- why the officer sent it back
    routed_by         TEXT    NOT NULL DEFAULT '',
    routed_at         INTEGER NOT NULL DEFAULT 0,
    answered_by       TEXT    NOT NULL DEFAULT '',
    answered_at       INTEGER NOT NULL DEFAULT 0,
    version           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX routings_unit ON routings (consultation_id, unit, state, comment_id);
CREATE INDEX routings_state ON routings (consultation_id, state, comment_id);

-- Standing rules: comments on this section (existing and arriving) go to this unit.
CREATE TABLE route_rules (
    consultation_id INTEGER NOT NULL REFERENCES consultations (id),
    section_anchor  TEXT    NOT NULL,
    unit            TEXT    NOT NULL,
    due_days        INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (consultation_id, section_anchor)
) WITHOUT ROWID;

-- One row the health check rewrites, to find out whether writes succeed again after
-- a failure (a full disk, say).
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
);

-- The latest window change of a consultation (the window form's version) by index.
CREATE INDEX audit_consultation_action ON audit_log (consultation_id, action, id);
