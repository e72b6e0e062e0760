//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// processLock is a flock(2) on the database's lock file (the database path + ".lock"),
// held shared by every process that has the store open. A bulk import converts its own
// to exclusive, which succeeds only while no other process has the database open; a
// process opening the store meanwhile is refused with ErrBulkImportRunning.
//
// A file of its own, not the database: closing any descriptor of the database file
// would drop the POSIX locks SQLite holds on it.
type processLock struct{ f *os.File }

func lockShared(dbPath string) (*processLock, error) {
	f, err := os.OpenFile(dbPath+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrBulkImportRunning
		}
		return nil, fmt.Errorf("store: lock file: %w", err)
	}
	return &processLock{f: f}, nil
}

// tryExclusive reports whether this is the only process with the database open, and
// if so keeps the others out until shared is called.
func (l *processLock) tryExclusive() bool {
	if syscall.Flock(int(l.f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		return true
	}
	// flock converts by unlocking first: take the shared lock back (the others hold
	// shared locks too, so this does not wait).
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_SH)
	return false
}

func (l *processLock) shared() { _ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_SH) }

// close releases the lock; closing again does nothing.
func (l *processLock) close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
