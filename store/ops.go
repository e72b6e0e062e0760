package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// ErrBackupExists is returned when the backup's target file already exists: backups
// never overwrite anything.
var ErrBackupExists = errors.New("store: backup target exists")

// Backup writes a consistent snapshot of the database to path, which must not exist,
// and returns its size in bytes. It runs VACUUM INTO on a read-only connection: in WAL
// mode the snapshot is one read transaction, so the server keeps reading and writing
// while it runs. The copy is written to a temporary file in path's folder (mode 0600: it holds
// personal data), synced, and only then linked into place, so path is either absent or
// a complete database.
func (s *Store) Backup(ctx context.Context, path string) (int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	if _, err := os.Lstat(abs); err == nil {
		return 0, fmt.Errorf("store: backup %s: %w", abs, ErrBackupExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	dir := filepath.Dir(abs)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(abs)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	tmpName := tmp.Name()
	if err := tmp.Close(); err != nil {
		os.Remove(tmpName)
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.Remove(tmpName)
		}
	}()
	if err := s.vacuumInto(ctx, tmpName); err != nil {
		return 0, err
	}
	// SQLite does not sync the file VACUUM INTO writes.
	if err := syncFile(tmpName); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	if err := checkBackup(ctx, tmpName); err != nil {
		return 0, err
	}
	// A hard link fails when the target appeared meanwhile, where a rename would
	// silently replace it.
	if err := os.Link(tmpName, abs); errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("store: backup %s: %w", abs, ErrBackupExists)
	} else if err != nil {
		// A file system without hard links: check again, then rename.
		if _, err := os.Lstat(abs); !errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("store: backup %s: %w", abs, ErrBackupExists)
		}
		if err := os.Rename(tmpName, abs); err != nil {
			return 0, fmt.Errorf("store: backup: %w", err)
		}
		done = true
	} else {
		os.Remove(tmpName) // linked: drop the temporary name before syncing the folder
	}
	if err := syncFile(dir); err != nil {
		return 0, fmt.Errorf("store: backup: sync folder: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	return fi.Size(), nil
}

// vacuumInto copies the database into the empty file name (VACUUM INTO keeps its mode).
// The read pool refuses VACUUM INTO (query_only), so the copy runs on a connection of
// its own, opened read-only on the live file.
func (s *Store) vacuumInto(ctx context.Context, name string) error {
	var live string
	if err := s.r.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&live); err != nil {
		return fmt.Errorf("store: backup: database file: %w", err)
	}
	db, err := sql.Open("sqlite3", fileURI(live, "mode=ro&_busy_timeout=10000"))
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, name); err != nil {
		return fmt.Errorf("store: backup: vacuum into %s: %w", name, err)
	}
	return db.Close()
}

// fileURI makes an SQLite URI for a path, escaping what a URI would misread.
func fileURI(path, query string) string {
	return (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: query}).String()
}

// syncFile flushes a file (or a folder's entries) to stable storage.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkBackup opens the fresh copy read-only and runs SQLite's integrity check on it.
func checkBackup(ctx context.Context, name string) error {
	db, err := sql.Open("sqlite3", fileURI(name, "mode=ro"))
	if err != nil {
		return fmt.Errorf("store: backup: check: %w", err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&res); err != nil {
		return fmt.Errorf("store: backup: check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("store: backup: integrity check of the copy: %s", res)
	}
	return nil
}

// RetentionRow is what the retention pass did (or, in a dry run, would do) for one
// consultation.
type RetentionRow struct {
	ConsultationID int64
	Slug           string
	ClosedAt       time.Time // the latest close of the consultation and its sections' own windows
	DueAt          time.Time // ClosedAt + the retention period
	Due            bool      // DueAt is before now
	Cleared        int       // comments whose phone or e-mail was (or would be) blanked
}

// EraseContacts blanks the phone and e-mail of every comment on consultations whose
// comment window closed more than after ago, and returns one row per consultation.
// Names, identity, organisation, comment text, decisions and responses stay: names may
// appear in the published feedback report when the commenter consented. Each
// consultation is cleared in its own transaction with one "retention" audit entry
// (written only when something was cleared, so repeated runs leave no noise). With
// secure_delete on, the old values are zeroed in the pages rather than left in free
// space; a final checkpoint copies those pages into the database file and empties the
// WAL when no reader prevents it. When dryRun is set nothing is written and Cleared
// counts the comments that would be.
func (s *Store) EraseContacts(ctx context.Context, actor Actor, now time.Time, after time.Duration, dryRun bool) ([]RetentionRow, error) {
	if after < 0 {
		return nil, fmt.Errorf("store: retention: negative period %s", after)
	}
	rows, err := closedConsultations(ctx, s.r, after, now)
	if err != nil {
		return nil, err
	}
	days := int(after / (24 * time.Hour))
	cleared := 0
	for i := range rows {
		r := &rows[i]
		if !r.Due {
			continue
		}
		if dryRun {
			if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE consultation_id = ? AND (phone != '' OR email != '')`,
				r.ConsultationID).Scan(&r.Cleared); err != nil {
				return nil, fmt.Errorf("store: retention: count %s: %w", r.Slug, err)
			}
			continue
		}
		err := s.tx(ctx, func(tx *sql.Tx) error {
			// The window may have moved since the list was read: decide again in the transaction.
			closed, err := closedAt(ctx, tx, r.ConsultationID)
			if err != nil {
				return err
			}
			if !closed.Add(after).Before(now) {
				r.ClosedAt, r.DueAt, r.Due = closed, closed.Add(after), false
				return nil
			}
			var prev int
			if err := tx.QueryRowContext(ctx, `PRAGMA secure_delete`).Scan(&prev); err != nil {
				return fmt.Errorf("store: retention: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
				return fmt.Errorf("store: retention: %w", err)
			}
			res, err := tx.ExecContext(ctx, `UPDATE comments SET phone = '', email = ''
				WHERE consultation_id = ? AND (phone != '' OR email != '')`, r.ConsultationID)
			if err != nil {
				return fmt.Errorf("store: retention: clear %s: %w", r.Slug, err)
			}
			// Space is freed while the UPDATE runs, so the setting can go back before commit.
			// 2 reads back as FAST but would be written back as ON: use the names.
			if _, err := tx.ExecContext(ctx, `PRAGMA secure_delete = `+[]string{"OFF", "ON", "FAST"}[min(max(prev, 0), 2)]); err != nil {
				return fmt.Errorf("store: retention: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			r.Cleared = int(n)
			if n == 0 {
				return nil
			}
			return audit(ctx, tx, actor, AuditEntry{Action: "retention", ConsultationID: r.ConsultationID,
				Target: "consultation:" + r.Slug,
				After:  map[string]any{"cleared": n, "days": days, "closed_at": closed.Unix(), "fields": []string{"phone", "email"}}})
		})
		if err != nil {
			return nil, err
		}
		cleared += r.Cleared
	}
	if cleared > 0 {
		// Best effort: a reader of the running server may hold old frames; the next
		// checkpoint then copies the zeroed pages.
		if _, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return rows, fmt.Errorf("store: retention: checkpoint: %w", err)
		}
	}
	return rows, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// lastCloseExpr is when a consultation's commenting ended: its own window or the latest
// section window that overrides it, whichever closes last.
const lastCloseExpr = `MAX(c.closes_at, COALESCE((SELECT MAX(closes_at) FROM sections WHERE consultation_id = c.id), 0))`

func closedConsultations(ctx context.Context, q queryer, after time.Duration, now time.Time) ([]RetentionRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.slug, `+lastCloseExpr+` FROM consultations c ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("store: retention: list: %w", err)
	}
	defer rows.Close()
	var out []RetentionRow
	for rows.Next() {
		var r RetentionRow
		var closed int64
		if err := rows.Scan(&r.ConsultationID, &r.Slug, &closed); err != nil {
			return nil, fmt.Errorf("store: retention: list: %w", err)
		}
		r.ClosedAt = time.Unix(closed, 0)
		r.DueAt = r.ClosedAt.Add(after)
		r.Due = r.DueAt.Before(now)
		out = append(out, r)
	}
	return out, rows.Err()
}

func closedAt(ctx context.Context, q queryer, consultationID int64) (time.Time, error) {
	var closed int64
	if err := q.QueryRowContext(ctx, `SELECT `+lastCloseExpr+` FROM consultations c WHERE c.id = ?`, consultationID).Scan(&closed); err != nil {
		return time.Time{}, fmt.Errorf("store: retention: consultation %d: %w", consultationID, err)
	}
	return time.Unix(closed, 0), nil
}
