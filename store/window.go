package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WindowState is a comment window as recorded in the audit log's before/after: the
// consultation's (both ends set) or a section's override (an end is nil when the
// section inherits it). Times are written in Beijing time so the JSON reads as the
// officers saw it.
type WindowState struct {
	OpensAt  *time.Time `json:"opens_at"`
	ClosesAt *time.Time `json:"closes_at"`
	Reason   string     `json:"reason,omitempty"`
}

// WindowChange is one change of a consultation's window or of a section's override.
type WindowChange struct {
	ID       int64
	At       time.Time
	Username string
	IP       string
	Action   string // "window" or "section_window"
	Anchor   string // the section, for "section_window"
	Before   WindowState
	After    WindowState
}

// chinaTime is UTC+8 (China has no daylight saving time).
var chinaTime = time.FixedZone("CST", 8*3600)

func windowPtr(t time.Time) *time.Time {
	t = t.In(chinaTime)
	return &t
}

func windowPtrOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return windowPtr(*t)
}

// ChangeWindow sets a consultation's comment window, keeping the reason for it (in
// window_reason and in the audit log, with the window before and after, in the same
// transaction). It refuses an empty reason (ErrReasonRequired) and a window that does
// not close after it opens.
func (s *Store) ChangeWindow(ctx context.Context, actor Actor, consultationID int64, opens, closes time.Time, reason string) error {
	return s.ChangeWindowSeen(ctx, actor, consultationID, opens, closes, reason, -1)
}

// ChangeWindowSeen is ChangeWindow for a form shown when the latest window change was
// seen (WindowMark); if the window changed since, nothing is saved and the error
// wraps ErrConflict. A negative seen skips the check.
func (s *Store) ChangeWindowSeen(ctx context.Context, actor Actor, consultationID int64, opens, closes time.Time, reason string, seen int64) error {
	if !closes.After(opens) {
		return fmt.Errorf("store: window closes before it opens")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fmt.Errorf("store: change window %d: %w", consultationID, ErrReasonRequired)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkWindowMark(ctx, tx, consultationID, seen); err != nil {
			return err
		}
		var oldOpens, oldCloses int64
		var slug, oldReason string
		err := tx.QueryRowContext(ctx, `SELECT slug, opens_at, closes_at, window_reason FROM consultations WHERE id = ?`,
			consultationID).Scan(&slug, &oldOpens, &oldCloses, &oldReason)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: change window %d: %w", consultationID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: change window %d: %w", consultationID, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE consultations SET opens_at = ?, closes_at = ?, window_reason = ?, updated_at = ? WHERE id = ?`,
			opens.Unix(), closes.Unix(), reason, time.Now().Unix(), consultationID)
		if err != nil {
			return fmt.Errorf("store: change window %d: %w", consultationID, err)
		}
		return audit(ctx, tx, actor, AuditEntry{
			Action: "window", ConsultationID: consultationID, Target: "consultation:" + slug,
			Before: WindowState{OpensAt: windowPtr(time.Unix(oldOpens, 0)), ClosesAt: windowPtr(time.Unix(oldCloses, 0)), Reason: oldReason},
			After:  WindowState{OpensAt: windowPtr(opens), ClosesAt: windowPtr(closes), Reason: reason},
		})
	})
}

// ChangeSectionWindow sets a section's own window (either end may be nil: inherited
// from its chapter or the consultation) or clears it (both nil), with an audit entry
// keeping the reason. It refuses an empty reason (ErrReasonRequired), a window that
// does not close after it opens, and an unknown anchor (ErrNotFound).
func (s *Store) ChangeSectionWindow(ctx context.Context, actor Actor, consultationID int64, anchor string, opens, closes *time.Time, reason string) error {
	return s.ChangeSectionWindowSeen(ctx, actor, consultationID, anchor, opens, closes, reason, -1)
}

// ChangeSectionWindowSeen is ChangeSectionWindow with the check of ChangeWindowSeen.
func (s *Store) ChangeSectionWindowSeen(ctx context.Context, actor Actor, consultationID int64, anchor string, opens, closes *time.Time, reason string, seen int64) error {
	if opens != nil && closes != nil && !closes.After(*opens) {
		return fmt.Errorf("store: window closes before it opens")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fmt.Errorf("store: section window %s: %w", anchor, ErrReasonRequired)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := checkWindowMark(ctx, tx, consultationID, seen); err != nil {
			return err
		}
		var oldOpens, oldCloses sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT opens_at, closes_at FROM sections WHERE consultation_id = ? AND anchor = ?
			AND draft_revision = `+currentRevision, consultationID, anchor, consultationID).Scan(&oldOpens, &oldCloses)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: section window %s: %w", anchor, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("store: section window %s: %w", anchor, err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE sections SET opens_at = ?, closes_at = ? WHERE consultation_id = ? AND anchor = ?
			AND draft_revision = `+currentRevision, unixOrNil(opens), unixOrNil(closes), consultationID, anchor, consultationID)
		if err != nil {
			return fmt.Errorf("store: section window %s: %w", anchor, err)
		}
		return audit(ctx, tx, actor, AuditEntry{
			Action: "section_window", ConsultationID: consultationID, Target: "section:" + anchor,
			Before: WindowState{OpensAt: windowPtrOrNil(timeOrNil(oldOpens)), ClosesAt: windowPtrOrNil(timeOrNil(oldCloses))},
			After:  WindowState{OpensAt: windowPtrOrNil(opens), ClosesAt: windowPtrOrNil(closes), Reason: reason},
		})
	})
}

// WindowChanges returns the changes of a consultation's window and of its sections'
// overrides, newest first (at most limit; 100 when limit <= 0).
func (s *Store) WindowChanges(ctx context.Context, consultationID int64, limit int) ([]WindowChange, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, username, ip, action, target, before, after FROM audit_log
		WHERE consultation_id = ? AND action IN ('window', 'section_window') ORDER BY id DESC LIMIT ?`, consultationID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: window changes of %d: %w", consultationID, err)
	}
	defer rows.Close()
	var out []WindowChange
	for rows.Next() {
		var w WindowChange
		var at int64
		var target, before, after string
		if err := rows.Scan(&w.ID, &at, &w.Username, &w.IP, &w.Action, &target, &before, &after); err != nil {
			return nil, fmt.Errorf("store: window changes of %d: %w", consultationID, err)
		}
		w.At = time.Unix(at, 0)
		w.Anchor = strings.TrimPrefix(target, "section:")
		if w.Action == "window" {
			w.Anchor = ""
		}
		for _, p := range []struct {
			raw string
			dst *WindowState
		}{{before, &w.Before}, {after, &w.After}} {
			if p.raw == "" {
				continue
			}
			if err := json.Unmarshal([]byte(p.raw), p.dst); err != nil {
				return nil, fmt.Errorf("store: window change %d: %w", w.ID, err)
			}
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// CreateConsultationAudited inserts a consultation and its sections, as
// CreateConsultation does, with an audit entry in the same transaction. A slug already
// taken gives ErrExists.
func (s *Store) CreateConsultationAudited(ctx context.Context, actor Actor, c *Consultation, secs []Section) (int64, error) {
	if !c.ClosesAt.After(c.OpensAt) {
		return 0, fmt.Errorf("store: window closes before it opens")
	}
	now := time.Now().Unix()
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO consultations (slug, title, publisher, category,
			source, call_text, contact_name, contact_phone, contact_email, signer, signed_on,
			opens_at, closes_at, window_reason, config_opens_at, config_closes_at, draft_sha256,
			created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			c.Slug, c.Title, c.Publisher, c.Category, c.Source, c.Call, c.ContactName,
			c.ContactPhone, c.ContactEmail, c.Signer, c.SignedOn, c.OpensAt.Unix(), c.ClosesAt.Unix(),
			c.WindowReason, c.ConfigOpensAt.Unix(), c.ConfigClosesAt.Unix(), c.DraftSHA256, now, now)
		if isUnique(err) {
			return fmt.Errorf("store: create consultation %q: %w", c.Slug, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("store: create consultation %q: %w", c.Slug, err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := insertSections(ctx, tx, id, secs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO draft_revisions (consultation_id, number, title, reason,
			opens_at, closes_at, draft_sha256, published_at, published_by) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)`,
			id, c.Title, c.WindowReason, c.OpensAt.Unix(), c.ClosesAt.Unix(), c.DraftSHA256, now, actor.Username); err != nil {
			return fmt.Errorf("store: create consultation %q: %w", c.Slug, err)
		}
		chapters, articles := 0, 0
		for _, sec := range secs {
			switch sec.Kind {
			case "chapter":
				chapters++
			case "article":
				articles++
			}
		}
		return audit(ctx, tx, actor, AuditEntry{
			Action: "consultation_create", ConsultationID: id, Target: "consultation:" + c.Slug,
			After: map[string]any{
				"slug": c.Slug, "title": c.Title, "opens_at": windowPtr(c.OpensAt), "closes_at": windowPtr(c.ClosesAt),
				"reason": c.WindowReason, "chapters": chapters, "articles": articles, "draft_sha256": c.DraftSHA256,
			},
		})
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}
