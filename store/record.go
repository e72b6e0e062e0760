package store

import (
	"context"
	"database/sql"
	"fmt"

	"consult/store/dedupe"
)

// RecordComment stores a comment an officer typed in (a letter, an e-mail, a call)
// together with its audit entry in one transaction, so a failure leaves neither and a
// success both. It bypasses the group committer: officers record one at a time.
func (s *Store) RecordComment(ctx context.Context, actor Actor, c *Comment, after map[string]any) (*Comment, error) {
	fp := dedupe.Of(c.Body)
	var saved *Comment
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var next int64
		cm, created, err := s.insertComment(ctx, tx, c, fp, groupHint{}, &next, nil)
		if err != nil {
			return err
		}
		saved = cm
		if !created {
			return nil
		}
		if err := indexComments(ctx, tx, []any{cm.ID}); err != nil {
			return err
		}
		if err := applyRouteRules(ctx, tx, []any{cm.ID}); err != nil {
			return err
		}
		return audit(ctx, tx, actor, AuditEntry{Action: "record", ConsultationID: cm.ConsultationID,
			Target: fmt.Sprintf("comment:%d", cm.ID), After: after})
	})
	return saved, err
}
