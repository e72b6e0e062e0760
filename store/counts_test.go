package store

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"
)

// countedComments counts with GROUP BY over the comments themselves: the slow truth
// section_counts must always equal.
func countedComments(t *testing.T, s *Store, consultationID int64) map[string]int {
	t.Helper()
	rows, err := s.r.Query(`SELECT section_anchor, COUNT(*) FROM comments
		WHERE consultation_id = ? GROUP BY section_anchor`, consultationID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			t.Fatal(err)
		}
		out[a] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkCounts(t *testing.T, s *Store, cid int64, when string) map[string]int {
	t.Helper()
	got, err := s.CommentCounts(context.Background(), cid)
	if err != nil {
		t.Fatal(err)
	}
	want := countedComments(t, s, cid)
	if !maps.Equal(got, want) {
		t.Fatalf("%s: section_counts %v, COUNT(*) %v", when, got, want)
	}
	// And one revision at a time, as the pages of a revised draft read them.
	var revs []int
	rows, err := s.r.Query(`SELECT DISTINCT draft_revision FROM comments WHERE consultation_id = ?`, cid)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r int
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		revs = append(revs, r)
	}
	rows.Close()
	for _, r := range revs {
		gotRev, err := s.RevisionCommentCounts(context.Background(), cid, r)
		if err != nil {
			t.Fatal(err)
		}
		wantRev := map[string]int{}
		rr, err := s.r.Query(`SELECT section_anchor, COUNT(*) FROM comments
			WHERE consultation_id = ? AND draft_revision = ? GROUP BY section_anchor`, cid, r)
		if err != nil {
			t.Fatal(err)
		}
		for rr.Next() {
			var a string
			var n int
			if err := rr.Scan(&a, &n); err != nil {
				t.Fatal(err)
			}
			wantRev[a] = n
		}
		rr.Close()
		if !maps.Equal(gotRev, wantRev) {
			t.Fatalf("%s: revision %d: section_counts %v, COUNT(*) %v", when, r, gotRev, wantRev)
		}
	}
	return got
}

// TestSectionCountsMatchCount checks the kept counts against COUNT(*) after
// concurrent web submissions (with replays), imports (with a re-import), decisions,
// retention, and a comment moved to another section or deleted by hand in SQL.
func TestSectionCountsMatchCount(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	now := time.Now()
	day := 24 * time.Hour
	// Closed 200 days ago, so retention clears it; comments are recorded late.
	cid, err := s.CreateConsultation(ctx, &Consultation{Slug: "counts", Title: "t", OpensAt: now.Add(-240 * day), ClosesAt: now.Add(-200 * day)}, sampleSections())
	if err != nil {
		t.Fatal(err)
	}
	other := createTestConsultation(t, s)
	secs, err := s.Sections(ctx, cid)
	if err != nil {
		t.Fatal(err)
	}
	anchors := []string{"general", "preamble", "chapter-1", "article-1"}
	sectionID := map[string]int64{}
	for _, sec := range secs {
		sectionID[sec.Anchor] = sec.ID
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &Comment{ConsultationID: cid, SectionAnchor: anchors[i%len(anchors)], SectionID: sectionID[anchors[i%len(anchors)]],
				SubmissionKey: fmt.Sprintf("web-%d", i%300), Body: fmt.Sprintf("意见第%d条", i%300), Phone: "13900000000", ConsentedAt: now}
			if i%5 == 0 {
				c.ConsultationID, c.SectionID = other, 0
				c.SubmissionKey = fmt.Sprintf("other-%d", i)
			}
			_, _, err := s.CreateComment(ctx, c)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := checkCounts(t, s, cid, "after web comments")
	if total := got["general"] + got["preamble"] + got["chapter-1"] + got["article-1"]; total == 0 {
		t.Fatal("no counts at all")
	}
	checkCounts(t, s, other, "other consultation")

	var batch []*Comment
	for i := range 500 {
		batch = append(batch, &Comment{ConsultationID: cid, SectionAnchor: anchors[(i*7)%len(anchors)],
			SubmissionKey: fmt.Sprintf("import-%d", i), Body: fmt.Sprintf("来信%d", i), Channel: "letter", ConsentedAt: now, ReceivedAt: now})
	}
	if added, err := s.ImportComments(ctx, batch); err != nil || added != 500 {
		t.Fatalf("import: %d %v", added, err)
	}
	before := checkCounts(t, s, cid, "after an import")
	if added, err := s.ImportComments(ctx, batch); err != nil || added != 0 {
		t.Fatalf("re-import added %d (%v)", added, err)
	}
	if after := checkCounts(t, s, cid, "after a re-import"); !maps.Equal(before, after) {
		t.Fatalf("re-import changed the counts: %v -> %v", before, after)
	}

	var ids []int64
	rows, err := s.r.Query(`SELECT id FROM comments WHERE consultation_id = ? ORDER BY id LIMIT 50`, cid)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids[:10] {
		if _, err := s.Decide(ctx, Actor{Username: "officer"}, cid, id, Decision{Status: StatusRejected, Response: "理由"}, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.BulkDecide(ctx, Actor{Username: "officer"}, QueueFilter{ConsultationID: cid}, ids[10:], Decision{Status: "adopted"}, len(ids[10:])); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, cid, "after decisions")
	rr, err := s.EraseContacts(ctx, Actor{Username: "system"}, now, 180*day, false)
	if err != nil {
		t.Fatal(err)
	}
	if cleared := rowFor(t, rr, cid).Cleared; cleared == 0 {
		t.Fatal("retention cleared nothing")
	}
	checkCounts(t, s, cid, "after retention")

	// No code path moves or deletes comments today; the triggers still keep count
	// when SQL does.
	if _, err := s.w.Exec(`UPDATE comments SET section_anchor = 'article-1' WHERE id = ?`, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`UPDATE comments SET consultation_id = ? WHERE id = ?`, other, ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`DELETE FROM feedback_items WHERE comment_id = ?; DELETE FROM comments WHERE id = ?`, ids[2], ids[2]); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, cid, "after a move and a delete")
	checkCounts(t, s, other, "other consultation after a move")
}
