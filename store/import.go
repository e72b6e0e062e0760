package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"consult/store/dedupe"
)

// ImportComments stores comments collected elsewhere (letters, e-mails, another
// system's spreadsheet) in one transaction, with what the group committer keeps for
// web comments: duplicate groups, the full-text index and the section counts (by
// trigger). A comment whose SubmissionKey is already stored is skipped, so importing
// the same file again adds nothing. It returns how many comments were added.
//
// Unlike the web path it knows each row's id before inserting it (it is the only
// writer while its transaction lasts), so a row is written once with its duplicate
// group instead of inserted and then updated.
func (s *Store) ImportComments(ctx context.Context, cs []*Comment) (added int, err error) {
	b, err := NewImportBatch(cs, runtime.GOMAXPROCS(0))
	if err != nil {
		return 0, err
	}
	return s.ImportBatch(ctx, b)
}

// ImportBatch is ImportComments for a batch fingerprinted beforehand.
func (s *Store) ImportBatch(ctx context.Context, b *ImportBatch) (added int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// The batch is small (a second or so): once begun it is finished, and a context
	// without Done spares go-sqlite3 a goroutine per statement.
	ctx = context.WithoutCancel(ctx)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var next int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM comments`).Scan(&next); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, importInsert)
		if err != nil {
			return err
		}
		defer ins.Close()
		byKey, err := tx.PrepareContext(ctx, `SELECT 1 FROM comments WHERE submission_key = ?`)
		if err != nil {
			return err
		}
		defer byKey.Close()
		added, err = s.importRows(ctx, tx, ins, byKey, b.cs, b.fps, &next, s.findGroup, nil)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: import: %w", err)
	}
	return added, nil
}

// ImportBatch is a batch of comments to import with their fingerprints, computed
// before the writer is needed (an import fingerprints the next batch while the store
// writes this one).
type ImportBatch struct {
	cs  []*Comment
	fps []dedupe.Fingerprint
}

// NewImportBatch fingerprints comments (pure CPU) on workers goroutines. Every comment
// must have a submission key.
func NewImportBatch(cs []*Comment, workers int) (*ImportBatch, error) {
	for _, c := range cs {
		if c.SubmissionKey == "" {
			return nil, errors.New("store: import: a comment without a submission key")
		}
	}
	fps := make([]dedupe.Fingerprint, len(cs))
	var wg sync.WaitGroup
	for w := range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(cs); i += max(1, workers) {
				fps[i] = dedupe.Of(cs[i].Body)
			}
		}()
	}
	wg.Wait()
	return &ImportBatch{cs: cs, fps: fps}, nil
}

const importInsert = `INSERT INTO comments (id, consultation_id, section_id, section_anchor,
	tracking, submission_key, body, name, identity, organization, phone, email, publish_name,
	consented_at, channel, late, status, created_at, received_at, recorded_by,
	norm_hash, minhash, band0, band1, band2, band3, band4, group_id)
	VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

// groupFinder returns the duplicate group a new comment joins, or 0 for a group of its own.
type groupFinder func(ctx context.Context, tx *sql.Tx, id, consultationID int64, fp dedupe.Fingerprint) (int64, error)

// importRows writes the comments not stored before (by submission key, unless byKey
// is nil: none can have been) with ids from
// *next, each with its duplicate group (find) and counted in it, then adds them to the
// full-text index. stored, if not nil, is told of each comment written.
func (s *Store) importRows(ctx context.Context, tx *sql.Tx, ins, byKey *sql.Stmt, cs []*Comment, fps []dedupe.Fingerprint,
	next *int64, find groupFinder, stored func(id, gid int64, fp dedupe.Fingerprint)) (int, error) {
	var ids []any
	for i, in := range cs {
		if byKey != nil {
			var one int
			switch err := byKey.QueryRowContext(ctx, in.SubmissionKey).Scan(&one); {
			case err == nil:
				continue // imported before
			case !errors.Is(err, sql.ErrNoRows):
				return 0, err
			}
		}
		id := *next
		gid, err := find(ctx, tx, id, in.ConsultationID, fps[i])
		if err != nil {
			return 0, err
		}
		if gid == 0 {
			gid = id
		}
		if err := importRow(ctx, ins, in, fps[i], id, gid); err != nil {
			return 0, err
		}
		if err := s.countInGroup(ctx, tx, gid, id, in.ConsultationID); err != nil {
			return 0, err
		}
		if stored != nil {
			stored(id, gid, fps[i])
		}
		*next++
		ids = append(ids, id)
	}
	return len(ids), indexComments(ctx, tx, ids)
}

// importRow inserts one comment with its id and group; a tracking number that is
// taken (given by the file, or drawn) is drawn again.
func importRow(ctx context.Context, ins *sql.Stmt, in *Comment, fp dedupe.Fingerprint, id, gid int64) error {
	c := *in
	if c.Channel == "" {
		c.Channel = "web"
	}
	if c.Status == "" {
		c.Status = StatusPending
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	var section any
	if c.SectionID != 0 {
		section = c.SectionID
	}
	var sig any
	if fp.Comparable() {
		sig = fp.SigBytes()
	}
	for attempt := 0; ; attempt++ {
		if c.Tracking == "" || attempt > 0 {
			c.Tracking = NewTrackingNumber()
		}
		_, err := ins.ExecContext(ctx, id, c.ConsultationID, section, c.SectionAnchor, c.Tracking, c.SubmissionKey, c.Body,
			c.Name, c.Identity, c.Organization, c.Phone, c.Email, c.PublishName, c.ConsentedAt.Unix(), c.Channel, c.Late,
			c.Status, c.CreatedAt.Unix(), unixOrZero(c.ReceivedAt), c.RecordedBy,
			fp.Hash, sig, fp.Bands[0], fp.Bands[1], fp.Bands[2], fp.Bands[3], fp.Bands[4], gid)
		switch {
		case err == nil:
			return nil
		case isUnique(err) && attempt < 3:
			continue
		default:
			return fmt.Errorf("store: import comment: %w", err)
		}
	}
}

// HasSubmissionKey reports whether a comment with that submission key is stored (an
// import's dry run uses it to tell rows imported before).
func (s *Store) HasSubmissionKey(ctx context.Context, key string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM comments WHERE submission_key = ?`, key).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: submission key: %w", err)
	}
	return true, nil
}

// SetWriterCache sets the writer connection's page cache to mib MiB. A bulk import
// (a process of its own) touches every index of a large table, and SQLite's default
// 2 MiB cache makes it re-read index pages from the OS for nearly every row.
func (s *Store) SetWriterCache(ctx context.Context, mib int) error {
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", mib*1024)); err != nil {
		return fmt.Errorf("store: cache size: %w", err)
	}
	return nil
}
