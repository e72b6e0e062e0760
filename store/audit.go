package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Actor is who does something: an officer, or the system (ID 0) for the command line.
type Actor struct {
	UserID   int64
	Username string
	IP       string
}

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	ID             int64
	At             time.Time
	UserID         int64
	Username       string
	IP             string
	Action         string
	ConsultationID int64
	Target         string
	Before         any // stored as JSON
	After          any
	BeforeJSON     string
	AfterJSON      string
}

// audit writes an entry in the caller's transaction, so the record and the change it
// describes commit together.
func audit(ctx context.Context, tx *sql.Tx, actor Actor, e AuditEntry) error {
	enc := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	before, err := enc(e.Before)
	if err != nil {
		return err
	}
	after, err := enc(e.After)
	if err != nil {
		return err
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, user_id, username, ip, action, consultation_id, target, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, at.Unix(), actor.UserID, actor.Username, actor.IP, e.Action,
		e.ConsultationID, e.Target, before, after)
	if err != nil {
		return fmt.Errorf("store: audit %s: %w", e.Action, err)
	}
	return nil
}

// Audit records an entry on its own (for events that change nothing else, such as an export).
func (s *Store) Audit(ctx context.Context, actor Actor, e AuditEntry) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return audit(ctx, tx, actor, e) })
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Username       string
	Action         string
	ConsultationID int64
	Target         string // exact, e.g. "comment:42"
	From, To       time.Time
	BeforeID       int64 // keyset pagination: entries older than this id
	Limit          int
}

// ListAudit returns entries matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Username != "" {
		add("username = ?", f.Username)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.ConsultationID != 0 {
		add("consultation_id = ?", f.ConsultationID)
	}
	if f.Target != "" {
		add("target = ?", f.Target)
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From.Unix())
	}
	if !f.To.IsZero() {
		add("at < ?", f.To.Unix())
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	q := `SELECT id, at, user_id, username, ip, action, consultation_id, target, before, after FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.UserID, &e.Username, &e.IP, &e.Action, &e.ConsultationID, &e.Target, &e.BeforeJSON, &e.AfterJSON); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		e.At = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}
