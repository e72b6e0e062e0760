package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// UserByID returns the account with that id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: user %d: %w", id, err)
	}
	return u, nil
}

// ResetPassword sets another user's password (an admin's reset), ends ALL of that
// user's sessions, clears any login lock and records it. The hash never reaches the
// audit log.
func (s *Store) ResetPassword(ctx context.Context, actor Actor, userID int64, passwordHash string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var name string
		var changed, locked int64
		var failed int
		err := tx.QueryRowContext(ctx, `SELECT username, password_changed_at, locked_until, failed_logins FROM users WHERE id = ?`, userID).
			Scan(&name, &changed, &locked, &failed)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: user %d: %w", userID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: reset password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = 0 WHERE id = ?`,
			passwordHash, now.Unix(), userID); err != nil {
			return fmt.Errorf("store: reset password: %w", err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		if err != nil {
			return fmt.Errorf("store: reset password: end sessions: %w", err)
		}
		ended, _ := res.RowsAffected()
		return audit(ctx, tx, actor, AuditEntry{Action: "password_reset", Target: "user:" + name,
			Before: map[string]any{"password_changed_at": changed, "locked_until": locked, "failed_logins": failed},
			After:  map[string]any{"password_changed_at": now.Unix(), "locked_until": 0, "failed_logins": 0, "sessions_ended": ended}})
	})
}

// UnlockUser ends a login lock (and forgets earlier failures) and records it.
func (s *Store) UnlockUser(ctx context.Context, actor Actor, userID int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var name string
		var locked int64
		var failed int
		err := tx.QueryRowContext(ctx, `SELECT username, locked_until, failed_logins FROM users WHERE id = ?`, userID).Scan(&name, &locked, &failed)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: user %d: %w", userID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: unlock user: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = ?`, userID); err != nil {
			return fmt.Errorf("store: unlock user: %w", err)
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "user_unlock", Target: "user:" + name,
			Before: map[string]any{"locked_until": locked, "failed_logins": failed},
			After:  map[string]any{"locked_until": 0, "failed_logins": 0}})
	})
}
