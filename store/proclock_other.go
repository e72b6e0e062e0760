//go:build !unix

package store

// processLock is not available here: a bulk import never has the database to itself,
// and imports run in small transactions (store/proclock_unix.go).
type processLock struct{}

func lockShared(string) (*processLock, error) { return &processLock{}, nil }
func (*processLock) tryExclusive() bool       { return false }
func (*processLock) shared()                  {}
func (*processLock) close() error             { return nil }
