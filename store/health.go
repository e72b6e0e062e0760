package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

// ErrUnavailable marks a write that failed because of the disk or the database (full,
// read-only, I/O error, locked for too long), not because of what was written. Nothing
// was saved; the same write may succeed later.
var ErrUnavailable = errors.New("store: the database cannot save right now")

// IsUnavailable reports whether err is such a failure.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrCantOpen, sqlite3.ErrReadonly, sqlite3.ErrBusy,
			sqlite3.ErrLocked, sqlite3.ErrNomem, sqlite3.ErrProtocol, sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
			return true
		}
	}
	return false
}

// writeHealth remembers the last write that failed for the disk or the database, until
// a write succeeds again.
type writeHealth struct {
	mu       sync.Mutex
	failing  bool
	since    time.Time
	lastErr  string
	failures int64
}

func (h *writeHealth) note(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.failing = false
	case IsUnavailable(err):
		if !h.failing {
			h.failing, h.since = true, time.Now()
		}
		h.lastErr = err.Error()
		h.failures++
	}
}

// WriteHealth is the state of writes: whether the last one failed for the disk or the
// database, since when, and with what error.
type WriteHealth struct {
	Failing bool
	Since   time.Time
	Err     string
}

// WriteState reports the state of writes without writing.
func (s *Store) WriteState() WriteHealth {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return WriteHealth{Failing: s.health.failing, Since: s.health.since, Err: s.health.lastErr}
}

// minFreeBytes is the room the database's file system must have before a failed
// write counts as recovered: enough for a batch of the longest comments with their
// index entries, and the write-ahead log growing for them.
const minFreeBytes = 4 << 20

// CheckWrites reports whether writes succeed. While the last write failed it tries one
// small write of its own (synced like any other), so the state clears as soon as the
// disk has room again even if no one submits anything. A small write can succeed on a
// full disk (the write-ahead log reuses its space), so it also needs minFreeBytes free.
func (s *Store) CheckWrites(ctx context.Context) WriteHealth {
	if st := s.WriteState(); !st.Failing {
		return st
	}
	if free, ok := freeBytes(s.path); ok && free < minFreeBytes {
		return s.WriteState()
	}
	_ = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO health_probe (id, at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at`, time.Now().UnixNano()); err != nil {
			return fmt.Errorf("store: health probe: %w", err)
		}
		return nil
	})
	return s.WriteState()
}

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
