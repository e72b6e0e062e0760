package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestPragmasAreApplied(t *testing.T) {
	s, _ := openTest(t)
	got, err := s.Pragmas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"writer.journal_mode": "wal", "reader.journal_mode": "wal",
		"writer.synchronous": "2", "reader.synchronous": "2", // FULL
		"writer.foreign_keys": "1", "reader.foreign_keys": "1",
		"writer.busy_timeout": "10000", "reader.busy_timeout": "10000",
		"writer.query_only": "0", "reader.query_only": "1",
		"writer.secure_delete": "1", "reader.secure_delete": "0",
		"writer.cache_size": "-32768",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestReaderCannotWrite(t *testing.T) {
	s, _ := openTest(t)
	if _, err := s.r.Exec(`INSERT INTO schema_migrations VALUES (99, 0)`); err == nil {
		t.Fatal("read pool accepted a write")
	}
}

func TestMigrationsIdempotentAndNewerRefused(t *testing.T) {
	s, path := openTest(t)
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	entries, _ := migrationFS.ReadDir("migrations")
	if n != len(entries) {
		t.Fatalf("%d migrations recorded, %d embedded", n, len(entries))
	}
	s.Close()
	s2, err := Open(context.Background(), path) // again: nothing to apply
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.w.Exec(`INSERT INTO schema_migrations VALUES (9999, 0)`); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("opened a database from the future: %v", err)
	}
}

func sampleSections() []Section {
	return []Section{
		{Position: 0, Kind: "preamble", Parent: -1, Anchor: "preamble", Body: "前言"},
		{Position: 1, Kind: "chapter", Parent: -1, Ordinal: 1, Label: "一、", Heading: "总体要求", Anchor: "chapter-1"},
		{Position: 2, Kind: "article", Parent: 1, Ordinal: 1, Label: "(一)", Heading: "坚持简政放权", Sep: "。", Body: "正文", Anchor: "article-1"},
	}
}

func TestConsultationRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	opens := time.Date(2022, 12, 21, 9, 24, 0, 0, time.UTC)
	c := &Consultation{Slug: "x", Title: "甲\n乙", Publisher: "经开区", ContactPhone: "13830463501",
		OpensAt: opens, ClosesAt: opens.Add(48 * 24 * time.Hour)}
	id, err := s.CreateConsultation(ctx, c, sampleSections())
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ConsultationBySlug(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != id || got.Title != "甲\n乙" || !got.OpensAt.Equal(opens) || got.ContactPhone != "13830463501" {
		t.Errorf("got %+v", got)
	}
	secs, err := s.Sections(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 3 || secs[2].Parent != 1 || secs[1].Parent != -1 || secs[2].Heading != "坚持简政放权" || secs[2].Sep != "。" {
		t.Errorf("sections %+v", secs)
	}
	if _, err := s.ConsultationBySlug(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing slug: %v", err)
	}
	if _, err := s.CreateConsultation(ctx, c, nil); err == nil {
		t.Error("duplicate slug accepted")
	}
	if err := s.SetWindow(ctx, id, opens, opens.Add(-time.Hour), "", false); err == nil {
		t.Error("window closing before it opens accepted")
	}
	if err := s.SetWindow(ctx, id, opens, opens.Add(10*24*time.Hour), "春节前须完成", false); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ConsultationBySlug(ctx, "x")
	if got.WindowReason != "春节前须完成" || !got.ClosesAt.Equal(opens.Add(10*24*time.Hour)) {
		t.Errorf("window not set: %+v", got)
	}
	list, err := s.ListConsultations(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %d", err, len(list))
	}
}

func TestReplaceDraftRefusedOnceCommented(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	now := time.Now()
	c := &Consultation{Slug: "x", Title: "t", OpensAt: now, ClosesAt: now.Add(time.Hour)}
	id, err := s.CreateConsultation(ctx, c, sampleSections())
	if err != nil {
		t.Fatal(err)
	}
	c.ID = id
	c.Title = "新标题"
	if err := s.ReplaceDraft(ctx, c, sampleSections()[:2]); err != nil {
		t.Fatal(err)
	}
	secs, _ := s.Sections(ctx, id)
	if len(secs) != 2 {
		t.Fatalf("sections not replaced: %d", len(secs))
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO comments (consultation_id, section_anchor, tracking, body, consented_at, created_at)
			VALUES (?, 'general', 'T1', '意见', 0, 0)`, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceDraft(ctx, c, sampleSections()); !errors.Is(err, ErrHasComments) {
		t.Fatalf("replace with comments: %v", err)
	}
}

func createTestConsultation(t *testing.T, s *Store) int64 {
	t.Helper()
	now := time.Now()
	id, err := s.CreateConsultation(context.Background(), &Consultation{Slug: "x", Title: "t", OpensAt: now, ClosesAt: now.Add(time.Hour)}, sampleSections())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestCreateCommentConcurrentAndIdempotent(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	cid := createTestConsultation(t, s)
	secs, _ := s.Sections(ctx, cid)
	const n = 200
	type out struct {
		c   *Comment
		err error
	}
	results := make(chan out, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			c, created, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionID: secs[2].ID, SectionAnchor: "article-1",
				SubmissionKey: fmt.Sprintf("key-%d", i%150), Body: "意见", ConsentedAt: time.Now()})
			if err == nil && c.Tracking == "" {
				err = errors.New("no tracking number")
			}
			_ = created
			results <- out{c, err}
		}(i)
	}
	tracking := map[string]bool{}
	for i := 0; i < n; i++ {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if _, ok := NormalizeTracking(r.c.Tracking); !ok {
			t.Errorf("bad tracking number %q", r.c.Tracking)
		}
		tracking[r.c.Tracking] = true
	}
	if len(tracking) != 150 {
		t.Errorf("%d distinct comments, want 150 (replays must return the first)", len(tracking))
	}
	counts, err := s.CommentCounts(ctx, cid)
	if err != nil || counts["article-1"] != 150 {
		t.Fatalf("counts %v %v", counts, err)
	}
	for tr := range tracking {
		c, err := s.CommentByTracking(ctx, tr)
		if err != nil || c.Body != "意见" || c.Status != StatusPending {
			t.Fatalf("by tracking %s: %+v %v", tr, c, err)
		}
	}
	// A bad row fails alone without failing its batch.
	_, _, err = s.CreateComment(ctx, &Comment{ConsultationID: 999999, SectionAnchor: "general", Body: "x", ConsentedAt: time.Now()})
	if err == nil {
		t.Error("comment on a missing consultation accepted")
	}
}

func TestTrackingNumbers(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		tr := NewTrackingNumber()
		if seen[tr] {
			t.Fatalf("duplicate %s", tr)
		}
		seen[tr] = true
		if strings.ContainsAny(tr, "01ILOU") {
			t.Fatalf("look-alike character in %s", tr)
		}
		got, ok := NormalizeTracking(strings.ToLower(FormatTracking(tr)))
		if !ok || got != tr {
			t.Fatalf("normalise %s: %s %v", tr, got, ok)
		}
		// Every single-character typo is caught by the check character.
		for pos := 0; pos < len(tr); pos++ {
			for _, r := range trackingAlphabet {
				if byte(r) == tr[pos] {
					continue
				}
				typo := tr[:pos] + string(r) + tr[pos+1:]
				if _, ok := NormalizeTracking(typo); ok {
					t.Fatalf("typo %s of %s passes the check", typo, tr)
				}
			}
		}
	}
	for _, in := range []string{"", "ABC", "K7QM-4XH9-P2TT", "O0000000000"} {
		if _, ok := NormalizeTracking(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
	// Full-width input is accepted.
	tr := NewTrackingNumber()
	var fw strings.Builder
	for _, r := range tr {
		fw.WriteRune(r + 0xFEE0)
	}
	if got, ok := NormalizeTracking(fw.String()); !ok || got != tr {
		t.Errorf("full-width %q: %q %v", fw.String(), got, ok)
	}
}
