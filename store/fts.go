package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// The full-text index of web comments is written a few hundred comments at a time.
//
// FTS5 writes the terms pending in a transaction as a new segment when it commits, and
// merges segments as they pile up. One segment per group commit (a dozen or two
// comments under load) made the index's writes and merges about a quarter of the single
// writer's time per comment, more on a large index. So while comments keep arriving
// the group committer puts their ids in fts_queue, in the transaction that stores them,
// and indexes the queue with the batch that brings it to ftsBatch comments or that
// finds nobody waiting behind it, or after ftsMaxLag (runCommitter's timer). A search
// may miss a comment for that long under load; when comments come one at a time each
// is indexed with its own commit, as before. Imports and officers' records index their
// comments in their own transactions. Open indexes what a crash left in the queue.

const (
	ftsBatch  = 256             // queued comments that are indexed at once
	ftsMaxLag = 1 * time.Second // the longest a queued comment waits
)

// ftsMerge is how the full-text index merges its segments (FTS5's own settings, kept
// in comments_fts_config; Open sets them). FTS5 merges the segments of a level once
// automerge of them pile up (default 4), and at once, inside the insert, at
// crisismerge (default 16). An import leaves a million comments in a few large
// segments; with the defaults the web comments' small segments climbed into merges with
// those every few thousand comments, paid by the commits after them. Merging 16 at a
// time does a quarter as many merges (the comment cycle on the million +15 %, the empty
// database unchanged; bench/cycle.txt, session 7), and crisismerge 32 leaves a level of
// 16 to the incremental merges instead of one commit. A search reads a few more
// segments.
const ftsMerge = `INSERT INTO comments_fts (comments_fts, rank) VALUES ('automerge', 16);
INSERT INTO comments_fts (comments_fts, rank) VALUES ('crisismerge', 32);`

// bulkFTSMerge is how the index merges during a bulk import: FTS5's default, which
// leaves the imported comments in a few large segments. With 16 the import left many
// more, mid-sized, and the web comments after it ran no faster than with the default
// (bench/cycle.txt, session 7). Finish, or the next Open after a crash, sets ftsMerge.
const bulkFTSMerge = `INSERT INTO comments_fts (comments_fts, rank) VALUES ('automerge', 4);
INSERT INTO comments_fts (comments_fts, rank) VALUES ('crisismerge', 16);`

// setFTSMerge makes the index merge as ftsMerge says, writing only if it does not yet.
func (s *Store) setFTSMerge(ctx context.Context) error {
	var n int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments_fts_config
		WHERE (k = 'automerge' AND v = 16) OR (k = 'crisismerge' AND v = 32)`).Scan(&n); err != nil {
		return fmt.Errorf("store: full-text merge settings: %w", err)
	}
	if n == 2 {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, ftsMerge); err != nil {
		return fmt.Errorf("store: full-text merge settings: %w", err)
	}
	return nil
}

// ftsState is the committer's view of the queue; only the committer goroutine (and Open,
// before it starts) touches it.
type ftsState struct {
	pending int       // comments in fts_queue
	since   time.Time // when the oldest of them was queued
	hold    bool      // tests: index only on Close and Open (see ftsHoldReq)
	flushes int       // times the queue was indexed
}

// ftsHoldReq, sent on Store.ftsHold by tests only, turns ftsState.hold on or off in
// the committer's goroutine, so a test can see a comment wait for the index.
type ftsHoldReq struct {
	on   bool
	done chan struct{}
}

// ftsPlan is what a batch does with the ids of the comments it stored.
type ftsPlan struct {
	flush bool // index the queue and the batch's comments now
}

// planFTS decides for a batch of n new comments, with waiting requests behind it or not.
func (st *ftsState) planFTS(n int, waiting bool, now time.Time) ftsPlan {
	if st.hold {
		return ftsPlan{}
	}
	if !waiting || st.pending+n >= ftsBatch || (st.pending > 0 && now.Sub(st.since) >= ftsMaxLag) {
		return ftsPlan{flush: true}
	}
	return ftsPlan{}
}

// applied records a committed batch's plan.
func (st *ftsState) applied(p ftsPlan, n int, now time.Time) {
	switch {
	case p.flush:
		st.pending = 0
		st.flushes++
	case n > 0:
		if st.pending == 0 {
			st.since = now
		}
		st.pending += n
	}
}

// indexBatch carries out a plan in the batch's transaction.
func indexBatch(ctx context.Context, tx *sql.Tx, p ftsPlan, pending int, ids []any) error {
	if !p.flush {
		return queueForIndex(ctx, tx, ids)
	}
	if pending > 0 {
		if err := indexQueue(ctx, tx); err != nil {
			return err
		}
	}
	return indexComments(ctx, tx, ids)
}

func queueForIndex(ctx context.Context, tx *sql.Tx, ids []any) error {
	if len(ids) == 0 {
		return nil
	}
	q := `INSERT INTO fts_queue (id) VALUES (?` + strings.Repeat("),(?", len(ids)-1) + `)`
	if _, err := tx.ExecContext(ctx, q, ids...); err != nil {
		return fmt.Errorf("store: queue for the index: %w", err)
	}
	return nil
}

// indexQueue adds every queued comment to the full-text index and empties the queue.
func indexQueue(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO comments_fts (rowid, body)
		SELECT c.id, c.body || char(1) FROM fts_queue q JOIN comments c ON c.id = q.id`); err != nil {
		return fmt.Errorf("store: index queued comments: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM fts_queue`); err != nil {
		return fmt.Errorf("store: empty the index queue: %w", err)
	}
	return nil
}

// flushFTS indexes the queue in a transaction of its own (the timer, Close, Open).
func (s *Store) flushFTS(ctx context.Context) error {
	var n int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM fts_queue`).Scan(&n); err != nil || n == 0 {
			return err
		}
		return indexQueue(ctx, tx)
	})
	if err == nil {
		s.fts.pending = 0
		if n > 0 {
			s.fts.flushes++
		}
	} else {
		s.fts.since = time.Now() // (a full disk) try again in ftsMaxLag, not at once
	}
	return err
}

// indexLag reports how many stored comments are not yet in the full-text index.
func (s *Store) indexLag(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM fts_queue`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: index lag: %w", err)
	}
	return n, nil
}
