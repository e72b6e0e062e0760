package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// ExportReader reads a consultation's comments for a download from one snapshot of
// the database (a read transaction), so every sheet of a workbook describes the same
// comments even while new ones arrive and officers decide others. Its methods may be
// called from several goroutines at once: each query is its own statement on the
// snapshot's connection, and rows stream one at a time, never all in memory.
type ExportReader struct {
	s  *Store
	tx *sql.Tx

	routeOnce sync.Once // RoutingOf's statement (store/routing.go)
	routeStmt *sql.Stmt
	routeErr  error
}

// BeginExport opens a read snapshot. Close it when done: it holds one connection of
// the read pool.
func (s *Store) BeginExport(ctx context.Context) (*ExportReader, error) {
	tx, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin export: %w", err)
	}
	// A deferred transaction takes its snapshot at its first read: take it now.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM dup_groups WHERE id = 0`).Scan(&n); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("store: begin export: %w", err)
	}
	return &ExportReader{s: s, tx: tx}, nil
}

// Close ends the snapshot.
func (x *ExportReader) Close() error { return x.tx.Rollback() }

// EachComment calls fn with every comment f matches, in f's order (Sort "" newest
// first, "old" oldest first, "group" largest duplicate group first, "document" by
// section in the draft's order, then by time), reading from a
// fresh snapshot. Cursor and Limit are ignored: it visits every match. fn must not
// keep the *Comment. It stops at fn's first error and returns it.
func (s *Store) EachComment(ctx context.Context, f QueueFilter, fn func(*Comment) error) error {
	x, err := s.BeginExport(ctx)
	if err != nil {
		return err
	}
	defer x.Close()
	return x.EachComment(ctx, f, fn)
}

// EachComment is Store.EachComment on the reader's snapshot.
func (x *ExportReader) EachComment(ctx context.Context, f QueueFilter, fn func(*Comment) error) error {
	where, args, err := x.s.queueWhere(ctx, f)
	if err != nil {
		return err
	}
	if f.Sort == "document" {
		return x.eachInDocumentOrder(ctx, where, args, f.ConsultationID, fn)
	}
	from, order := "comments c", "c.id DESC"
	switch f.Sort {
	case "old":
		order = "c.id ASC"
	case "group":
		from = "comments c LEFT JOIN dup_groups g ON g.id = c.group_id"
		order = "COALESCE(g.size, 1) DESC, c.id DESC"
	}
	return x.eachQuery(ctx, `SELECT `+commentColumnsC+` FROM `+from+` WHERE `+where+` ORDER BY `+order, args, fn)
}

// GroupTally is how many of the comments a filter matches on one section belong to
// one duplicate group, by status, and the first of them.
type GroupTally struct {
	Anchor   string
	GroupID  int64
	First    int64 // the smallest comment id among them
	Count    int
	ByStatus map[string]int
}

// GroupKey identifies a duplicate group on one section.
type GroupKey struct {
	Anchor  string
	GroupID int64
}

// groupTalliesSQL counts the copies of each group by section and status among the
// comments where matches. Only groups of two or more can have copies: it starts from
// those (dup_groups keeps their sizes; CROSS JOIN keeps that order) and reads their
// comments through comments_group, so other comments are never read
// (TestPlansUseTheirIndexes).
func groupTalliesSQL(where string) string {
	return `SELECT c.section_anchor, c.group_id, c.status, COUNT(*), MIN(c.id)
		FROM dup_groups g CROSS JOIN comments c ON c.consultation_id = g.consultation_id AND c.group_id = g.id
		WHERE g.consultation_id = ? AND g.size > 1 AND ` + where + `
		GROUP BY c.section_anchor, c.group_id, c.status ORDER BY c.section_anchor, c.group_id`
}

// GroupTallies returns, for every duplicate group with two or more comments on the
// same section among those f matches, their count by status. (Collapse is ignored:
// the tallies count every copy.)
func (x *ExportReader) GroupTallies(ctx context.Context, f QueueFilter) (map[GroupKey]*GroupTally, error) {
	f.Collapse = false
	where, args, err := x.s.queueWhere(ctx, f)
	if err != nil {
		return nil, err
	}
	rows, err := x.tx.QueryContext(ctx, groupTalliesSQL(where), append([]any{f.ConsultationID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("store: group tallies: %w", err)
	}
	defer rows.Close()
	out := map[GroupKey]*GroupTally{}
	var cur *GroupTally
	keep := func() {
		if cur != nil && cur.Count > 1 {
			out[GroupKey{cur.Anchor, cur.GroupID}] = cur
		}
	}
	for rows.Next() {
		var anchor, status string
		var gid, first int64
		var n int
		if err := rows.Scan(&anchor, &gid, &status, &n, &first); err != nil {
			return nil, fmt.Errorf("store: group tallies: %w", err)
		}
		if cur == nil || cur.Anchor != anchor || cur.GroupID != gid {
			keep()
			cur = &GroupTally{Anchor: anchor, GroupID: gid, First: first, ByStatus: map[string]int{}}
		}
		cur.Count += n
		cur.ByStatus[status] += n
		cur.First = min(cur.First, first)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: group tallies: %w", err)
	}
	keep()
	return out, nil
}

// GroupSizes returns the size of every duplicate group of a consultation with two
// or more comments, by group id.
func (x *ExportReader) GroupSizes(ctx context.Context, consultationID int64) (map[int64]int, error) {
	rows, err := x.tx.QueryContext(ctx, `SELECT id, size FROM dup_groups WHERE consultation_id = ? AND size > 1`, consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: group sizes: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: group sizes: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: group sizes: %w", err)
	}
	return out, nil
}

// Anchors returns the section anchors a consultation's comments are on (from the
// index alone).
func (x *ExportReader) Anchors(ctx context.Context, consultationID int64) ([]string, error) {
	rows, err := x.tx.QueryContext(ctx, `SELECT DISTINCT section_anchor FROM comments WHERE consultation_id = ? ORDER BY section_anchor`, consultationID)
	if err != nil {
		return nil, fmt.Errorf("store: comment anchors: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("store: comment anchors: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: comment anchors: %w", err)
	}
	return out, nil
}

// eachInDocumentOrder visits comments section by section in the draft's order (the draft
// as a whole first, comments on sections no longer in the draft last), each section's
// oldest first. One indexed query per section, so nothing is sorted in memory.
func (x *ExportReader) eachInDocumentOrder(ctx context.Context, where string, args []any, consultationID int64, fn func(*Comment) error) error {
	anchors := []string{"general"}
	rows, err := x.tx.QueryContext(ctx, `SELECT anchor FROM sections WHERE consultation_id = ? AND draft_revision = `+currentRevision+` ORDER BY position`,
		consultationID, consultationID)
	if err != nil {
		return fmt.Errorf("store: export sections: %w", err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return err
		}
		anchors = append(anchors, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	known := map[string]bool{}
	for _, a := range anchors {
		known[a] = true
	}
	rows, err = x.tx.QueryContext(ctx, `SELECT DISTINCT section_anchor FROM comments WHERE consultation_id = ?`, consultationID)
	if err != nil {
		return fmt.Errorf("store: export anchors: %w", err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return err
		}
		if !known[a] {
			anchors = append(anchors, a)
		}
	}
	rows.Close()
	for _, a := range anchors {
		if err := x.eachQuery(ctx, `SELECT `+commentColumnsC+` FROM comments c WHERE `+where+` AND c.section_anchor = ? ORDER BY c.id`,
			append(append([]any{}, args...), a), fn); err != nil {
			return err
		}
	}
	return nil
}

func (x *ExportReader) eachQuery(ctx context.Context, q string, args []any, fn func(*Comment) error) error {
	rows, err := x.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: export comments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return fmt.Errorf("store: export comments: %w", err)
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export comments: %w", err)
	}
	return nil
}
