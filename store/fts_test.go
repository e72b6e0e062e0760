package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// searchCount is how many comments the full-text index finds for a phrase.
func searchCount(t *testing.T, s *Store, phrase string) int {
	t.Helper()
	rows, _, err := s.Queue(context.Background(), QueueFilter{ConsultationID: 1, Q: phrase, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

func ftsComment(cid int64, body string) *Comment {
	return &Comment{ConsultationID: cid, SectionAnchor: "general", Body: body, ConsentedAt: time.Now()}
}

// TestIndexCatchesUpAfterABurst: comments posted by many clients at once may wait in
// fts_queue, but once the last of them is acknowledged every one is searchable.
func TestIndexCatchesUpAfterABurst(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	cid := createTestConsultation(t, s)
	const clients, each = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, _, err := s.CreateComment(ctx, ftsComment(cid, fmt.Sprintf("编号甲%03d乙%03d丙:建议明确办理时限。", w, i))); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if lag, err := s.indexLag(ctx); err != nil || lag != 0 {
		t.Fatalf("%d comments still wait for the index (%v)", lag, err)
	}
	for w := 0; w < clients; w++ {
		for i := 0; i < each; i++ {
			if n := searchCount(t, s, fmt.Sprintf("甲%03d乙%03d丙", w, i)); n != 1 {
				t.Fatalf("comment %d/%d found %d times", w, i, n)
			}
		}
	}
}

// TestQueuedCommentsAreIndexedByTheTimerAndAfterACrash: a comment that waits in the
// queue is not yet found; the timer indexes it within ftsMaxLag with no further
// comments; and a copy of the files taken while comments waited (what a killed process
// leaves) opens with them indexed. A waiting comment's body edited in the meantime is
// indexed as edited, once.
func TestQueuedCommentsAreIndexedByTheTimerAndAfterACrash(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	cid := createTestConsultation(t, s)
	if _, _, err := s.CreateComment(ctx, ftsComment(cid, "第一条:先到的意见马上可以搜索。")); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, "先到的意见"); n != 1 {
		t.Fatalf("a comment alone was not indexed with its commit: %d", n)
	}
	hold(t, s, true)
	waiting, _, err := s.CreateComment(ctx, ftsComment(cid, "第二条:排队等候索引的意见。"))
	if err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, "排队等候"); n != 0 {
		t.Fatalf("a queued comment is already indexed (%d): the test holds nothing", n)
	}
	if lag, _ := s.indexLag(ctx); lag != 1 {
		t.Fatalf("index lag %d, want 1", lag)
	}
	// An edit while it waits (the trigger must leave the index to the queue).
	if _, err := s.w.ExecContext(ctx, `UPDATE comments SET body = ? WHERE id = ?`, "第二条:排队期间改过的意见。", waiting.ID); err != nil {
		t.Fatal(err)
	}
	if n := searchCount(t, s, "排队期间改过"); n != 0 {
		t.Fatalf("the edit of a queued comment went into the index ahead of the queue (%d)", n)
	}
	crash := filepath.Join(t.TempDir(), "crash.db")
	copyFile(t, path, crash)
	copyFile(t, path+"-wal", crash+"-wal")

	hold(t, s, false)
	deadline := time.Now().Add(ftsMaxLag + 5*time.Second)
	for lag, err := s.indexLag(ctx); lag != 0; lag, err = s.indexLag(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the timer did not index the queued comment within %v", ftsMaxLag)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := searchCount(t, s, "排队期间改过"); n != 1 {
		t.Errorf("the edited body is found %d times, want 1", n)
	}
	if n := searchCount(t, s, "排队等候"); n != 0 {
		t.Errorf("the body before the edit is indexed too (%d)", n)
	}
	docs := 0
	if err := s.r.QueryRowContext(ctx, `SELECT doc FROM comments_fts_vocab WHERE term = '改过的'`).Scan(&docs); err != nil || docs != 1 {
		t.Errorf("the edited body is in the index %d times (%v), want once", docs, err)
	}

	c, err := Open(ctx, crash)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := searchCount(t, c, "排队期间改过"); n != 1 {
		t.Errorf("after a crash the queued comment is found %d times, want 1", n)
	}
	if lag, _ := c.indexLag(ctx); lag != 0 {
		t.Errorf("after a crash %d comments still wait", lag)
	}
	// Deleting comments (nothing in the portal does; the trigger must still hold): one
	// indexed, one waiting.
	hold(t, c, true)
	gone, _, err := c.CreateComment(ctx, ftsComment(cid, "第三条:还在排队就被删除的意见。"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.w.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		t.Fatal(err)
	}
	if _, err := c.w.ExecContext(ctx, `DELETE FROM comments WHERE id IN (?, ?)`, waiting.ID, gone.ID); err != nil {
		t.Fatal(err)
	}
	if lag, _ := c.indexLag(ctx); lag != 0 {
		t.Errorf("a deleted comment still waits for the index (%d)", lag)
	}
	c.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(doc), 0) FROM comments_fts_vocab WHERE term = '改过的'`).Scan(&docs)
	if docs != 0 {
		t.Errorf("a deleted comment is still in the index (%d)", docs)
	}
}

// hold stops (or lets) the committer index: while on, only Close and Open index. The
// change is made in the committer's own goroutine.
func hold(t *testing.T, s *Store, on bool) {
	t.Helper()
	done := make(chan struct{})
	s.ftsHold <- ftsHoldReq{on: on, done: done}
	<-done
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestPlanFTS: when a batch indexes the queue.
func TestPlanFTS(t *testing.T) {
	now := time.Now()
	var st ftsState
	if !st.planFTS(3, false, now).flush {
		t.Error("nobody waiting: index now")
	}
	p := st.planFTS(3, true, now)
	if p.flush {
		t.Error("others waiting and a short queue: wait")
	}
	st.applied(p, 3, now)
	if st.pending != 3 || !st.since.Equal(now) {
		t.Fatalf("pending %d since %v", st.pending, st.since)
	}
	if st.planFTS(2, true, now.Add(time.Millisecond)).flush {
		t.Error("still short and young: wait")
	}
	if !st.planFTS(ftsBatch-3, true, now).flush {
		t.Error("a full batch: index")
	}
	if !st.planFTS(1, true, now.Add(ftsMaxLag)).flush {
		t.Error("the oldest waited ftsMaxLag: index")
	}
	st.applied(ftsPlan{flush: true}, 1, now)
	if st.pending != 0 || st.flushes != 1 {
		t.Errorf("after indexing: pending %d, flushes %d", st.pending, st.flushes)
	}
}

// TestFTSMergeSettings: Open sets how the full-text index merges its segments
// (ftsMerge, in the index's own config table), a bulk import merges as FTS5 does by
// default while it runs, and Finish (or, after a crash, the next Open) sets ftsMerge
// again.
func TestFTSMergeSettings(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	merge := func(db *sql.DB) string {
		t.Helper()
		var am, cm int
		if err := db.QueryRow(`SELECT (SELECT v FROM comments_fts_config WHERE k = 'automerge'),
			(SELECT v FROM comments_fts_config WHERE k = 'crisismerge')`).Scan(&am, &cm); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d/%d", am, cm)
	}
	if got := merge(s.r); got != "16/32" {
		t.Fatalf("after Open: automerge/crisismerge %s, want 16/32", got)
	}
	cid := createTestConsultation(t, s)
	b, err := s.BeginBulkImport(ctx, cid, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := merge(s.r); got != "4/16" {
		t.Fatalf("during a bulk import: %s, want 4/16", got)
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if got := merge(s.r); got != "16/32" {
		t.Fatalf("after a bulk import: %s, want 16/32", got)
	}
	if _, err := s.BeginBulkImport(ctx, cid, 100); err != nil {
		t.Fatal(err)
	}
	s.Close() // without Finish: as if killed
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := merge(s.r); got != "16/32" {
		t.Fatalf("after a bulk import stopped half way and Open: %s, want 16/32", got)
	}
}
