// Package store keeps consultations, their drafts and comments in one SQLite file.
// It imports nothing HTTP: handlers call it with the request's context.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
)

// ErrNotFound is returned when the asked-for row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrBulkImportRunning is returned by Open while a bulk import has the database to
// itself (store/bulk.go).
var ErrBulkImportRunning = errors.New("store: a bulk import has the database to itself; try again when it has finished")

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the application's persistence: one writer connection and a small read pool
// on the same SQLite file in WAL mode.
type Store struct {
	w *sql.DB // the single writer; every write goes through tx
	r *sql.DB // read-only pool

	commentQ      chan *commentReq // comments waiting for the group committer
	quit          chan struct{}
	committerDone chan struct{}
	closeOnce     sync.Once
	stmts         commentStmts
	rstmts        readStmts
	recent        recentComments                                      // the committer's memory of the latest comments (store/recent.go)
	ftsHold       chan ftsHoldReq                                     // tests only: store/fts.go ftsHoldReq
	fts           ftsState                                            // web comments waiting for the full-text index (store/fts.go)
	health        writeHealth                                         // whether writes fail for the disk or the database (health.go)
	path          string                                              // the database file
	lock          *processLock                                        // shared while open; exclusive during a bulk import
	onCommit      atomic.Pointer[func(batch int, took time.Duration)] // see OnCommit
	captchaSecret []byte                                              // HMAC key of captcha answers (store/captcha.go)
	capPruned     time.Time                                           // when the committer last pruned used captchas
}

// Open opens (creating if needed) the database at path, applies pending migrations and
// checks that SQLite was built with FTS5.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	common := url.Values{}
	common.Set("_busy_timeout", "10000")
	common.Set("_foreign_keys", "on")
	common.Set("_journal_mode", "WAL")
	common.Set("_synchronous", "FULL")
	lock, err := lockShared(abs)
	if err != nil {
		return nil, err
	}
	opened := false
	defer func() {
		if !opened {
			lock.close()
		}
	}()
	wq := url.Values{}
	for k, v := range common {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	// Deleted and moved content is overwritten with zeros, so erased contact data
	// (retention) leaves no remnant in the free space of a page, whatever the layout.
	wq.Set("_secure_delete", "on")
	// The writer touches every index of the comments table on each insert; SQLite's
	// default 2 MiB cache re-reads their pages from the OS for nearly every comment
	// once there are a few hundred thousand. 32 MiB keeps their upper levels in memory.
	wq.Set("_cache_size", "-32768")
	w, err := sql.Open("sqlite3", "file:"+abs+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &Store{path: abs, lock: lock, w: w, commentQ: make(chan *commentReq, 4*maxBatch), ftsHold: make(chan ftsHoldReq), quit: make(chan struct{}), committerDone: make(chan struct{})}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	// A bulk import killed before it finished left the comments table without some of
	// its indexes (store/bulk.go).
	if err := s.rebuildIndexes(ctx); err != nil {
		w.Close()
		return nil, err
	}
	rq := url.Values{}
	for k, v := range common {
		rq[k] = v
	}
	rq.Set("_query_only", "true")
	r, err := sql.Open("sqlite3", "file:"+abs+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s.r = r
	if err := s.checkFTS5(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	if err := s.loadCaptchaSecret(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	if err := s.prepareCommentStmts(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	// The index's merge settings (also after a bulk import that a crash stopped).
	if err := s.setFTSMerge(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	// Comments a crash left waiting for the full-text index.
	if err := s.flushFTS(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	go s.runCommitter()
	opened = true
	return s, nil
}

// Close stops the group committer (after the batch in hand) and closes both pools.
// Callers must not create comments concurrently with Close.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.quit) })
	<-s.committerDone
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if s.lock != nil {
		errs = append(errs, s.lock.close())
	}
	return errors.Join(errs...)
}

func (s *Store) checkFTS5(ctx context.Context) error {
	var used int
	if err := s.r.QueryRowContext(ctx, `SELECT sqlite_compileoption_used('ENABLE_FTS5')`).Scan(&used); err != nil {
		return fmt.Errorf("store: compile options: %w", err)
	}
	if used != 1 {
		return errors.New("store: SQLite was built without FTS5; build and test with -tags sqlite_fts5 (see README)")
	}
	return nil
}

// Pragmas reports the writer's and a reader's effective settings, so tests can check
// that the DSN keys were not silently ignored.
func (s *Store) Pragmas(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range []string{"journal_mode", "synchronous", "foreign_keys", "busy_timeout", "query_only", "secure_delete", "cache_size"} {
		var v string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
			return nil, fmt.Errorf("store: pragma %s: %w", p, err)
		}
		out["writer."+p] = v
		if err := s.r.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
			return nil, fmt.Errorf("store: pragma %s: %w", p, err)
		}
		out["reader."+p] = v
	}
	return out, nil
}

// tx runs fn in one immediate transaction on the writer connection, and notes in the
// write health whether it failed for the disk or the database.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	err := s.tx1(ctx, fn)
	s.health.note(err)
	return err
}

func (s *Store) tx1(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// migrate applies the embedded numbered migrations, each with its version row in one
// transaction, and refuses a database newer than this binary.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	entries, err := migrationFS.ReadDir("migrations")
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	type mig struct {
		version int
		name    string
	}
	var migs []mig
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return fmt.Errorf("store: bad migration file name %q", e.Name())
		}
		migs = append(migs, mig{v, e.Name()})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	var current int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("store: schema version: %w", err)
	}
	if latest := migs[len(migs)-1].version; current > latest {
		return fmt.Errorf("store: database schema version %d is newer than this binary (%d); use a newer consult", current, latest)
	}
	for _, m := range migs {
		if m.version <= current {
			continue
		}
		body, err := migrationFS.ReadFile("migrations/" + m.name)
		if err != nil {
			return fmt.Errorf("store: read migration %s: %w", m.name, err)
		}
		// A migration that rebuilds a table others refer to starts with this line: it
		// runs with foreign keys off (they cannot be switched inside a transaction) and
		// checks them before committing, as SQLite's table-rebuild procedure asks.
		fkOff := strings.HasPrefix(string(body), "-- foreign_keys: off\n")
		if fkOff {
			if _, err := s.w.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
			if fkOff {
				var table string
				var rowid, parent, fkid any
				err := tx.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table, &rowid, &parent, &fkid)
				if err == nil {
					return fmt.Errorf("store: migration %s: foreign key of %s row %v broken", m.name, table, rowid)
				}
				if !errors.Is(err, sql.ErrNoRows) {
					return fmt.Errorf("store: migration %s: %w", m.name, err)
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, m.version, time.Now().Unix())
			return err
		})
		if fkOff {
			if _, ferr := s.w.ExecContext(ctx, `PRAGMA foreign_keys = ON`); ferr != nil && err == nil {
				err = fmt.Errorf("store: migration %s: %w", m.name, ferr)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// isUnique reports whether err is a UNIQUE constraint violation.
func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}
