package store

import (
	"context"
	"fmt"
)

// Count returns how many comments EachComment visits for f on the reader's snapshot
// (the export plans its sheets with it: an Excel sheet holds 1,048,576 rows).
func (x *ExportReader) Count(ctx context.Context, f QueueFilter) (int, error) {
	where, args, err := x.s.queueWhere(ctx, f)
	if err != nil {
		return 0, err
	}
	var n int
	if err := x.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments c WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: export count: %w", err)
	}
	return n, nil
}
