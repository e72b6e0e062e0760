package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Assign assigns comments of a consultation to an officer (to == "" releases them),
// with an audit entry per comment whose assignment changed. It returns how many changed.
func (s *Store) Assign(ctx context.Context, actor Actor, consultationID int64, ids []int64, to string) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			var before string
			err := tx.QueryRowContext(ctx, `SELECT assigned_to FROM comments WHERE id = ? AND consultation_id = ?`, id, consultationID).Scan(&before)
			if err == sql.ErrNoRows || (err == nil && before == to) {
				continue
			}
			if err != nil {
				return fmt.Errorf("store: assign %d: %w", id, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE comments SET assigned_to = ? WHERE id = ?`, to, id); err != nil {
				return fmt.Errorf("store: assign %d: %w", id, err)
			}
			if err := audit(ctx, tx, actor, AuditEntry{Action: "assign", ConsultationID: consultationID, Target: fmt.Sprintf("comment:%d", id),
				Before: map[string]any{"assigned_to": before}, After: map[string]any{"assigned_to": to}}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
