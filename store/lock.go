package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ErrConflict is returned (wrapped in a *ConflictError) when a save was made against
// an older version of what it changes: someone else saved in between.
var ErrConflict = errors.New("store: changed by someone else since it was shown")

// ConflictError tells what the other save left: the comment as it now is (for a
// decision), or the feedback draft as it now is.
type ConflictError struct {
	Comment *Comment
	Draft   *FeedbackDraftState
}

func (e *ConflictError) Error() string { return ErrConflict.Error() }

// Unwrap makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// AsConflict returns the conflict behind err, or nil.
func AsConflict(err error) *ConflictError {
	var ce *ConflictError
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}

// AuditMark returns the id of the latest audit entry: a bulk confirmation carries it,
// and comments decided after it are "changed since the selection".
func (s *Store) AuditMark(ctx context.Context) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM audit_log`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: audit mark: %w", err)
	}
	return id, nil
}

// decisionActions are the audit actions that change a comment's decision.
var decisionActions = []string{"decide", "decide_group", "bulk_item"}

// decidedSince returns which of ids were decided (by anyone) after the audit entry mark.
func decidedSince(ctx context.Context, tx *sql.Tx, mark int64, ids []int64) (map[int64]bool, error) {
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT target FROM audit_log WHERE id > ? AND target LIKE 'comment:%'
		AND action IN ('`+strings.Join(decisionActions, "','")+`')`, mark)
	if err != nil {
		return nil, fmt.Errorf("store: decided since: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var target string
		if err := rows.Scan(&target); err != nil {
			return nil, err
		}
		var id int64
		if _, err := fmt.Sscanf(target, "comment:%d", &id); err == nil && want[id] {
			out[id] = true
		}
	}
	return out, rows.Err()
}

// BulkConflictError lists the comments of a bulk decision that others decided after
// the selection was made; nothing was saved.
type BulkConflictError struct {
	Changed []Comment
}

func (e *BulkConflictError) Error() string {
	return fmt.Sprintf("store: %d comments changed since the selection", len(e.Changed))
}

// Unwrap makes errors.Is(err, ErrConflict) hold.
func (e *BulkConflictError) Unwrap() error { return ErrConflict }

const windowMarkSQL = `SELECT COALESCE(MAX(id), 0) FROM audit_log WHERE consultation_id = ? AND action IN ('window', 'section_window')`

// WindowMark identifies the latest change of a consultation's window or of a section's
// override (the id of its audit entry; 0 before any): the window form carries it.
func (s *Store) WindowMark(ctx context.Context, consultationID int64) (int64, error) {
	var id int64
	if err := s.r.QueryRowContext(ctx, windowMarkSQL, consultationID).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: window mark: %w", err)
	}
	return id, nil
}

func checkWindowMark(ctx context.Context, tx *sql.Tx, consultationID, seen int64) error {
	if seen < 0 {
		return nil
	}
	var id int64
	if err := tx.QueryRowContext(ctx, windowMarkSQL, consultationID).Scan(&id); err != nil {
		return fmt.Errorf("store: window mark: %w", err)
	}
	if id != seen {
		return fmt.Errorf("store: window of consultation %d: %w", consultationID, ErrConflict)
	}
	return nil
}
