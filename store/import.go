package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"consult/store/dedupe"
)

// ImportComments stores comments collected elsewhere (letters, e-mails, another
// system's spreadsheet) in one transaction, exactly as the group committer stores web
// comments: duplicate groups, the full-text index and the section counts are kept the
// same way. A comment whose SubmissionKey is already stored is skipped, so importing
// the same file again adds nothing. It returns how many comments were added.
func (s *Store) ImportComments(ctx context.Context, cs []*Comment) (added int, err error) {
	fps := make([]dedupe.Fingerprint, len(cs))
	for i, c := range cs {
		if c.SubmissionKey == "" {
			return 0, errors.New("store: import: a comment without a submission key")
		}
		fps[i] = dedupe.Of(c.Body)
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		added = 0
		var ids []any
		for i, c := range cs {
			saved, created, err := s.insertComment(ctx, tx, c, fps[i])
			if err != nil {
				return err
			}
			if created {
				ids = append(ids, saved.ID)
				added++
			}
		}
		return indexComments(ctx, tx, ids)
	})
	if err != nil {
		return 0, fmt.Errorf("store: import: %w", err)
	}
	return added, nil
}
