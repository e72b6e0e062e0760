package store

import (
	"context"
	"database/sql"
	"fmt"
)

// CommentCounts returns how many comments each section anchor (and "general") has,
// over every revision of the draft (RevisionCommentCounts gives one revision's).
// It reads section_counts, which triggers keep in the same transaction as the
// comments (migration 0020), so its cost does not grow with the number of comments.
func (s *Store) CommentCounts(ctx context.Context, consultationID int64) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT section_anchor, SUM(n) FROM section_counts
		WHERE consultation_id = ? GROUP BY section_anchor HAVING SUM(n) > 0`, consultationID)
	return scanCounts(rows, err, consultationID)
}

// scanCounts reads (anchor, count) rows into a map.
func scanCounts(rows *sql.Rows, err error, consultationID int64) (map[string]int, error) {
	if err != nil {
		return nil, fmt.Errorf("store: comment counts of %d: %w", consultationID, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			return nil, fmt.Errorf("store: comment counts of %d: %w", consultationID, err)
		}
		out[a] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: comment counts of %d: %w", consultationID, err)
	}
	return out, nil
}

// TotalComments is how many comments the database holds, over every consultation (from
// section_counts: it reads no comment).
func (s *Store) TotalComments(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM section_counts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: total comments: %w", err)
	}
	return n, nil
}
