package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Decision is what an officer decides about a comment.
type Decision struct {
	Status   string
	Response string // 处理意见/理由; required for 不予采纳
	Note     string // internal note
	Tags     string // space-separated
}

// ErrReasonRequired is returned when 不予采纳 comes without a reason.
var ErrReasonRequired = errors.New("store: a reason is required")

// ErrBadStatus is returned for a status that does not exist.
var ErrBadStatus = errors.New("store: unknown status")

func (d *Decision) check() error {
	if _, ok := StatusLabels[d.Status]; !ok {
		return ErrBadStatus
	}
	d.Tags = strings.Join(strings.Fields(d.Tags), " ")
	if d.Status == StatusRejected && strings.TrimSpace(d.Response) == "" {
		return ErrReasonRequired
	}
	return nil
}

// CommentByID returns a comment of a consultation, or ErrNotFound.
func (s *Store) CommentByID(ctx context.Context, consultationID, id int64) (*Comment, error) {
	c, err := scanComment(s.r.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments WHERE id = ? AND consultation_id = ?`, id, consultationID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: comment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: comment %d: %w", id, err)
	}
	return c, nil
}

// GroupSize returns how many comments are in a duplicate group.
func (s *Store) GroupSize(ctx context.Context, groupID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT size FROM dup_groups WHERE id = ?`, groupID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 1, nil
	}
	return n, err
}

// Decide records a decision on one comment, or on its whole duplicate group when
// wholeGroup is set, with an audit entry per comment changed. It returns how many
// comments changed.
func (s *Store) Decide(ctx context.Context, actor Actor, consultationID, id int64, d Decision, wholeGroup bool) (int, error) {
	return s.DecideVersion(ctx, actor, consultationID, id, d, wholeGroup, -1)
}

// DecideVersion is Decide for a form shown at the comment's version seen: when the
// comment has been decided since (its version moved on), nothing is saved and the
// error is a *ConflictError holding the comment as it now is. A negative seen skips
// the check (a deliberate overwrite passes the version it was shown on the conflict
// page instead).
func (s *Store) DecideVersion(ctx context.Context, actor Actor, consultationID, id int64, d Decision, wholeGroup bool, seen int64) (int, error) {
	if err := d.check(); err != nil {
		return 0, err
	}
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := scanComment(tx.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments WHERE id = ? AND consultation_id = ?`, id, consultationID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: comment %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if seen >= 0 && c.Version != seen {
			return &ConflictError{Comment: c}
		}
		ids := []int64{id}
		if wholeGroup {
			if ids, err = queryIDs(ctx, tx, `SELECT id FROM comments WHERE consultation_id = ? AND group_id = ?`, consultationID, c.GroupID); err != nil {
				return err
			}
		}
		action := "decide"
		if wholeGroup {
			action = "decide_group"
		}
		n, err = decideIDs(ctx, tx, actor, consultationID, ids, d, action, id)
		return err
	})
	return n, err
}

// BulkDecide applies one decision to every comment matching the filter (or to the
// listed ids, when given) and returns how many changed. The audit log gets one entry
// for the bulk action (with the filter) and one per comment, for its history.
func (s *Store) BulkDecide(ctx context.Context, actor Actor, f QueueFilter, ids []int64, d Decision, expect int) (int, error) {
	return s.BulkDecideWith(ctx, actor, f, ids, d, BulkOptions{Expect: expect})
}

// BulkOptions guard a bulk decision against what changed since it was confirmed.
type BulkOptions struct {
	Expect    int     // the count confirmed; negative: not checked
	Mark      int64   // the audit mark when the selection was made (AuditMark); 0: not checked
	Overwrite bool    // decide comments changed since Mark too, deliberately
	Exclude   []int64 // comments to leave alone (those changed since, when the officer chose so)
}

// BulkDecideWith is BulkDecide with guards: when comments in the selection were decided
// by others after opts.Mark, nothing is saved and the error is a *BulkConflictError
// listing them, unless opts.Overwrite.
func (s *Store) BulkDecideWith(ctx context.Context, actor Actor, f QueueFilter, ids []int64, d Decision, opts BulkOptions) (int, error) {
	if err := d.check(); err != nil {
		return 0, err
	}
	where, args, err := s.queueWhere(ctx, f)
	if err != nil {
		return 0, err
	}
	exclude := map[int64]bool{}
	for _, id := range opts.Exclude {
		exclude[id] = true
	}
	n := 0
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var all, target []int64
		if len(ids) > 0 {
			for _, id := range ids {
				var ok int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE id = ? AND consultation_id = ?`, id, f.ConsultationID).Scan(&ok); err != nil {
					return err
				}
				if ok == 1 {
					all = append(all, id)
				}
			}
		} else if all, err = queryIDs(ctx, tx, `SELECT c.id FROM comments c WHERE `+where, args...); err != nil {
			return err
		}
		for _, id := range all {
			if !exclude[id] {
				target = append(target, id)
			}
		}
		if opts.Expect >= 0 && len(target) != opts.Expect {
			return fmt.Errorf("store: bulk decision on %d comments, %d confirmed: %w", len(target), opts.Expect, ErrChanged)
		}
		if opts.Mark > 0 && !opts.Overwrite {
			changed, err := decidedSince(ctx, tx, opts.Mark, target)
			if err != nil {
				return err
			}
			if len(changed) > 0 {
				ce := &BulkConflictError{}
				for _, id := range target {
					if changed[id] {
						c, err := scanComment(tx.QueryRowContext(ctx, `SELECT `+commentColumns+` FROM comments WHERE id = ?`, id))
						if err != nil {
							return fmt.Errorf("store: comment %d: %w", id, err)
						}
						ce.Changed = append(ce.Changed, *c)
					}
				}
				return ce
			}
		}
		if n, err = decideIDs(ctx, tx, actor, f.ConsultationID, target, d, "bulk_item", 0); err != nil {
			return err
		}
		after := map[string]any{"status": d.Status, "response": d.Response, "tags": d.Tags, "count": n, "filter": filterSummary(f), "ids": len(ids) > 0}
		if len(opts.Exclude) > 0 {
			after["left_alone"] = len(opts.Exclude)
		}
		if opts.Overwrite {
			after["overwrite"] = true
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "bulk_decide", ConsultationID: f.ConsultationID,
			Target: fmt.Sprintf("comments:%d", len(target)), After: after})
	})
	return n, err
}

// ErrChanged is returned when what a confirmation was given for has changed since.
var ErrChanged = errors.New("store: the selection changed since it was confirmed")

func filterSummary(f QueueFilter) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{"section": f.Section, "status": f.Status, "identity": f.Identity, "channel": f.Channel,
		"has_response": f.HasResponse, "tag": f.Tag, "q": f.Q, "unit": f.Unit, "route": f.Route, "assigned": f.AssignedTo} {
		if v != "" {
			m[k] = v
		}
	}
	if f.GroupID != 0 {
		m["group"] = f.GroupID
	}
	if !f.From.IsZero() {
		m["from"] = f.From.Unix()
	}
	if !f.To.IsZero() {
		m["to"] = f.To.Unix()
	}
	return m
}

func queryIDs(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: select ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// decideIDs updates each comment and writes its history to the audit log. The comment
// the officer opened (primary) takes the decision whole; others (group copies, bulk
// selections) keep their own internal note unless one is given, and add the tags.
func decideIDs(ctx context.Context, tx *sql.Tx, actor Actor, consultationID int64, ids []int64, dec Decision, action string, primary int64) (int, error) {
	now := time.Now().Unix()
	get, err := tx.PrepareContext(ctx, `SELECT status, response, note, tags FROM comments WHERE id = ?`)
	if err != nil {
		return 0, err
	}
	defer get.Close()
	upd, err := tx.PrepareContext(ctx, `UPDATE comments SET status = ?, response = ?, note = ?, tags = ?, decided_by = ?, decided_at = ?, version = version + 1 WHERE id = ?`)
	if err != nil {
		return 0, err
	}
	defer upd.Close()
	n := 0
	for _, id := range ids {
		var before Decision
		if err := get.QueryRowContext(ctx, id).Scan(&before.Status, &before.Response, &before.Note, &before.Tags); err != nil {
			return 0, fmt.Errorf("store: decide %d: %w", id, err)
		}
		d := dec
		if id != primary {
			if d.Note == "" {
				d.Note = before.Note
			}
			d.Tags = mergeTags(before.Tags, d.Tags)
		}
		if before == d {
			continue
		}
		if _, err := upd.ExecContext(ctx, d.Status, d.Response, d.Note, d.Tags, actor.Username, now, id); err != nil {
			return 0, fmt.Errorf("store: decide %d: %w", id, err)
		}
		err := audit(ctx, tx, actor, AuditEntry{Action: action, ConsultationID: consultationID, Target: fmt.Sprintf("comment:%d", id),
			Before: before, After: d})
		if err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func mergeTags(a, b string) string {
	seen := map[string]bool{}
	var out []string
	for _, t := range append(strings.Fields(a), strings.Fields(b)...) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return strings.Join(out, " ")
}
