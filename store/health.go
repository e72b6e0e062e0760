package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Probe proves that the database takes writes: it writes now (nanoseconds) into the
// one health_probe row through the writer, in a durable transaction, and reads it
// back through the read pool.
func (s *Store) Probe(ctx context.Context, now time.Time) error {
	v := now.UnixNano()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO health_probe (id, at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at`, v)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: probe write: %w", err)
	}
	var got int64
	if err := s.r.QueryRowContext(ctx, `SELECT at FROM health_probe WHERE id = 1`).Scan(&got); err != nil {
		return fmt.Errorf("store: probe read: %w", err)
	}
	if got == 0 {
		return fmt.Errorf("store: probe read back nothing")
	}
	return nil
}
