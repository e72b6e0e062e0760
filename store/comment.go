package store

import (
	"context"
	"database/sql"
	"fmt"
)

func countComments(ctx context.Context, tx *sql.Tx, consultationID int64) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE consultation_id = ?`, consultationID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count comments of %d: %w", consultationID, err)
	}
	return n, nil
}

// CommentCounts returns how many comments each section anchor (and "general") has.
func (s *Store) CommentCounts(ctx context.Context, consultationID int64) (map[string]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT section_anchor, COUNT(*) FROM comments
		WHERE consultation_id = ? GROUP BY section_anchor`, consultationID)
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
	return out, rows.Err()
}
