package store

import (
	"time"
)

// OnCommit sets fn to be called after each group-commit transaction that committed,
// with the number of comments in it and how long writing and syncing took (for the
// operator's metrics). fn must be quick; nil removes it.
func (s *Store) OnCommit(fn func(batch int, took time.Duration)) {
	if fn == nil {
		s.onCommit.Store(nil)
		return
	}
	s.onCommit.Store(&fn)
}

func (s *Store) observeCommit(n int, took time.Duration) {
	if fn := s.onCommit.Load(); fn != nil {
		(*fn)(n, took)
	}
}
