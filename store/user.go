package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Roles: admin manages everything; officer triages; committee reads and downloads.
const (
	RoleAdmin     = "admin"
	RoleOfficer   = "officer"
	RoleCommittee = "committee"
	// RoleDepartment is a responsible unit's account (财政局 …): it sees only the
	// comments routed to its unit and proposes how to answer them.
	RoleDepartment = "department"
)

// Roles lists the roles in order of power.
var Roles = []string{RoleAdmin, RoleOfficer, RoleCommittee, RoleDepartment}

// User is an account of the officers' workspace.
type User struct {
	ID                int64
	Username          string
	PasswordHash      string
	Role              string
	Disabled          bool
	FailedLogins      int
	LockedUntil       time.Time
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	Unit              string // the department's unit; "" for other roles
}

// ErrExists is returned when a unique name is taken.
var ErrExists = errors.New("store: already exists")

const userColumns = `id, username, password_hash, role, disabled, failed_logins, locked_until, password_changed_at, created_at, unit`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var locked, changed, created int64
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &u.Role, &u.Disabled, &u.FailedLogins, &locked, &changed, &created, &u.Unit); err != nil {
		return nil, err
	}
	u.LockedUntil, u.PasswordChangedAt, u.CreatedAt = time.Unix(locked, 0), time.Unix(changed, 0), time.Unix(created, 0)
	return &u, nil
}

// CreateUser adds an account with an already-hashed password and records it in the audit log.
func (s *Store) CreateUser(ctx context.Context, actor Actor, username, passwordHash, role string) (*User, error) {
	return s.CreateUserInUnit(ctx, actor, username, passwordHash, role, "")
}

// ErrUnit is returned when a department account comes without its unit, or another
// role with one.
var ErrUnit = errors.New("store: a department account needs its unit, and only it")

// CreateUserInUnit is CreateUser for an account that belongs to a unit (the
// department role); unit must be empty for the other roles.
func (s *Store) CreateUserInUnit(ctx context.Context, actor Actor, username, passwordHash, role, unit string) (*User, error) {
	if (role == RoleDepartment) != (unit != "") {
		return nil, fmt.Errorf("store: user %q: %w", username, ErrUnit)
	}
	now := time.Now()
	var u *User
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (username, password_hash, role, password_changed_at, created_at, unit)
			VALUES (?, ?, ?, ?, ?, ?)`, username, passwordHash, role, now.Unix(), now.Unix(), unit)
		if isUnique(err) {
			return fmt.Errorf("store: user %q: %w", username, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("store: create user %q: %w", username, err)
		}
		id, _ := res.LastInsertId()
		u = &User{ID: id, Username: username, PasswordHash: passwordHash, Role: role, PasswordChangedAt: now, CreatedAt: now, Unit: unit}
		after := map[string]any{"role": role}
		if unit != "" {
			after["unit"] = unit
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "user_add", Target: "user:" + username, After: after})
	})
	return u, err
}

// UserByName returns the account with that user name (case-insensitive), or ErrNotFound.
func (s *Store) UserByName(ctx context.Context, username string) (*User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: user %q: %w", username, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: user %q: %w", username, err)
	}
	return u, nil
}

// ListUsers returns every account by name.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list users: %w", err)
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// CountUsers returns how many accounts exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// RecordLogin records a login attempt: a success resets the failure count (and ends
// any lock); a failure counts, and after maxFailures locks the account for lockFor.
func (s *Store) RecordLogin(ctx context.Context, actor Actor, u *User, ok bool, maxFailures int, lockFor time.Duration, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if ok {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = ?`, u.ID); err != nil {
				return err
			}
			return audit(ctx, tx, actor, AuditEntry{Action: "login", Target: "user:" + u.Username})
		}
		var failed int
		if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins`, u.ID).Scan(&failed); err != nil {
			return err
		}
		after := map[string]any{"failed_logins": failed}
		if failed >= maxFailures {
			until := now.Add(lockFor)
			if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?`, until.Unix(), u.ID); err != nil {
				return err
			}
			after["locked_until"] = until.Unix()
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "login_failed", Target: "user:" + u.Username, After: after})
	})
}

// SetPassword changes a password, ends the user's other sessions (all but keepToken)
// and records the change.
func (s *Store) SetPassword(ctx context.Context, actor Actor, userID int64, passwordHash, keepTokenHash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ? RETURNING username`,
			passwordHash, time.Now().Unix(), userID).Scan(&name); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: user %d: %w", userID, ErrNotFound)
			}
			return fmt.Errorf("store: set password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash != ?`, userID, keepTokenHash); err != nil {
			return err
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "password_change", Target: "user:" + name})
	})
}

// SetUserRole changes a user's role or disables the account (ending its sessions).
func (s *Store) SetUserRole(ctx context.Context, actor Actor, userID int64, role string, disabled bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var name, oldRole string
		var oldDisabled bool
		if err := tx.QueryRowContext(ctx, `SELECT username, role, disabled FROM users WHERE id = ?`, userID).Scan(&name, &oldRole, &oldDisabled); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: user %d: %w", userID, ErrNotFound)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ?, disabled = ? WHERE id = ?`, role, disabled, userID); err != nil {
			return fmt.Errorf("store: set role: %w", err)
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "user_change", Target: "user:" + name,
			Before: map[string]any{"role": oldRole, "disabled": oldDisabled}, After: map[string]any{"role": role, "disabled": disabled}})
	})
}
