package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in officer's server-side session. Only the SHA-256 of the
// cookie value is stored, so a copy of the database does not let anyone sign in.
type Session struct {
	TokenHash  string
	User       User
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// CreateSession stores a new session for the user.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID int64, ip string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip) VALUES (?, ?, ?, ?, ?)`,
			tokenHash, userID, now.Unix(), now.Unix(), ip)
		if err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		return nil
	})
}

// SessionByToken returns a live session with its user, or ErrNotFound when it does not
// exist, has been idle longer than idle, is older than absolute, or its user is disabled.
func (s *Store) SessionByToken(ctx context.Context, tokenHash string, idle, absolute time.Duration, now time.Time) (*Session, error) {
	row := s.r.QueryRowContext(ctx, `SELECT s.created_at, s.last_seen_at, u.id, u.username, u.password_hash, u.role,
		u.disabled, u.failed_logins, u.locked_until, u.password_changed_at, u.created_at, u.unit
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash)
	var sess Session
	var created, seen int64
	u, err := scanUser(scanPrefix{row, []any{&created, &seen}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: session: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: session: %w", err)
	}
	sess.TokenHash, sess.User = tokenHash, *u
	sess.CreatedAt, sess.LastSeenAt = time.Unix(created, 0), time.Unix(seen, 0)
	if u.Disabled || now.Sub(sess.LastSeenAt) > idle || now.Sub(sess.CreatedAt) > absolute {
		return nil, fmt.Errorf("store: session expired: %w", ErrNotFound)
	}
	return &sess, nil
}

// scanPrefix scans leading columns into extra destinations before the wrapped scanner's own.
type scanPrefix struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (p scanPrefix) Scan(dest ...any) error { return p.row.Scan(append(p.extra, dest...)...) }

// TouchSession records activity on a session (callers do it at most once a minute).
func (s *Store) TouchSession(ctx context.Context, tokenHash string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, now.Unix(), tokenHash)
		return err
	})
}

// DeleteSession ends a session (logout) and records it.
func (s *Store) DeleteSession(ctx context.Context, actor Actor, tokenHash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
			return fmt.Errorf("store: delete session: %w", err)
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "logout", Target: "user:" + actor.Username})
	})
}

// PruneSessions deletes sessions past their idle or absolute lifetime.
func (s *Store) PruneSessions(ctx context.Context, idle, absolute time.Duration, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`,
			now.Add(-idle).Unix(), now.Add(-absolute).Unix())
		return err
	})
}
