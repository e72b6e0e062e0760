package store

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// TestMigrationKeepsCommentsOnTheirSections builds a database at the schema before
// revisions (migrations up to 0059), with comments on sections, and opens it: the
// sections table is rebuilt with every id, comments still point at their sections,
// foreign keys are on and the data forms revision 1.
func TestMigrationKeepsCommentsOnTheirSections(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, 60)
	// Every index and trigger that exists before the rebuild (on any table) must exist
	// after it: SQLite drops a rebuilt table's own, so 0060 recreates them.
	before := schemaObjects(t, db)
	now := time.Now().Unix()
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`INSERT INTO consultations (id, slug, title, opens_at, closes_at, created_at, updated_at, draft_sha256) VALUES (7, 'x', '标题', 1, 2, ?, ?, 'abc')`, now, now)
	mustExec(`INSERT INTO sections (id, consultation_id, position, kind, parent_id, ordinal, label, heading, sep, body, anchor) VALUES
		(40, 7, 0, 'chapter', NULL, 1, '一、', '总体要求', '', '', 'chapter-1'),
		(41, 7, 1, 'article', 40, 1, '(一)', '坚持简政放权', '。', '正文', 'article-1')`)
	mustExec(`INSERT INTO comments (consultation_id, section_id, section_anchor, tracking, body, consented_at, created_at)
		VALUES (7, 41, 'article-1', 'T1', '意见', ?, ?)`, now, now)
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.ConsultationBySlug(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if c.DraftRevision != 1 {
		t.Fatalf("revision %d, want 1", c.DraftRevision)
	}
	secs, err := s.Sections(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 2 || secs[1].ID != 41 || secs[1].Parent != 0 {
		t.Fatalf("sections after the rebuild: %+v", secs)
	}
	cm, err := s.CommentByTracking(ctx, "T1")
	if err != nil {
		t.Fatal(err)
	}
	if cm.SectionID != 41 || cm.DraftRevision != 1 {
		t.Fatalf("comment: section %d revision %d", cm.SectionID, cm.DraftRevision)
	}
	revs, err := s.Revisions(ctx, 7)
	if err != nil || len(revs) != 1 || revs[0].Number != 1 || revs[0].Title != "标题" || revs[0].DraftSHA256 != "abc" {
		t.Fatalf("revisions %+v, %v", revs, err)
	}
	after := schemaObjects(t, s.r)
	for name, typ := range before {
		if after[name] != typ {
			t.Errorf("%s %s lost in migration 0060", typ, name)
		}
	}
	p, err := s.Pragmas(ctx)
	if err != nil || p["writer.foreign_keys"] != "1" {
		t.Fatalf("foreign keys after the migration: %v %v", p, err)
	}
	// The rebuilt table still enforces its references.
	if _, err := s.w.Exec(`INSERT INTO sections (consultation_id, position, kind, parent_id, ordinal, label, heading, sep, body, anchor)
		VALUES (7, 5, 'article', 9999, 2, '', '', '', '', 'article-9')`); err == nil {
		t.Fatal("a section with a missing parent was accepted")
	}
}

func TestPublishRevision(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	opens := time.Date(2022, 12, 21, 9, 24, 0, 0, time.UTC)
	id, err := s.CreateConsultation(ctx, &Consultation{Slug: "x", Title: "第一稿标题", OpensAt: opens, ClosesAt: opens.Add(48 * 24 * time.Hour)}, sampleSections())
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := s.CreateComment(ctx, &Comment{ConsultationID: id, SectionAnchor: "article-1", SectionID: 3, Body: "第一轮意见", ConsentedAt: opens})
	if err != nil {
		t.Fatal(err)
	}
	if first.DraftRevision != 1 {
		t.Fatalf("first-round comment on revision %d", first.DraftRevision)
	}
	rev2 := []Section{
		{Position: 0, Kind: "preamble", Parent: -1, Anchor: "preamble", Body: "前言"},
		{Position: 1, Kind: "chapter", Parent: -1, Ordinal: 1, Label: "一、", Heading: "总体要求", Anchor: "chapter-1"},
		{Position: 2, Kind: "article", Parent: 1, Ordinal: 1, Label: "(一)", Heading: "新增条文", Sep: "。", Body: "新内容", Anchor: "article-1"},
		{Position: 3, Kind: "article", Parent: 1, Ordinal: 2, Label: "(二)", Heading: "坚持简政放权", Sep: "。", Body: "正文修改", Anchor: "article-2"},
	}
	opens2 := opens.Add(90 * 24 * time.Hour)
	n, err := s.PublishRevision(ctx, Actor{Username: "admin"}, id, NewRevision{
		Draft: &Consultation{Title: "修改稿标题", DraftSHA256: "def"}, Sections: rev2, Reason: "根据第一轮意见修改",
		OpensAt: opens2, ClosesAt: opens2.Add(30 * 24 * time.Hour), Pins: []PairPin{{Old: "article-1", New: "article-2"}},
	})
	if err != nil || n != 2 {
		t.Fatalf("publish: %d, %v", n, err)
	}
	c, _ := s.ConsultationByID(ctx, id)
	if c.DraftRevision != 2 || c.Title != "修改稿标题" || !c.OpensAt.Equal(opens2) || c.WindowReason != "根据第一轮意见修改" {
		t.Fatalf("consultation after revising: %+v", c)
	}
	cur, _ := s.Sections(ctx, id)
	if len(cur) != 4 || cur[3].Body != "正文修改" || cur[3].Parent != 1 {
		t.Fatalf("current sections: %+v", cur)
	}
	old, _ := s.RevisionSections(ctx, id, 1)
	if len(old) != 3 || old[2].ID != 3 || old[2].Body != "正文" {
		t.Fatalf("revision 1 sections: %+v", old)
	}
	revs, _ := s.Revisions(ctx, id)
	if len(revs) != 2 || revs[1].Reason != "根据第一轮意见修改" || len(revs[1].Pins) != 1 || revs[1].Pins[0].New != "article-2" ||
		!revs[0].OpensAt.Equal(opens) || revs[1].PublishedBy != "admin" {
		t.Fatalf("revisions: %+v", revs)
	}
	second, _, err := s.CreateComment(ctx, &Comment{ConsultationID: id, SectionAnchor: "article-1", SectionID: cur[2].ID, Body: "第二轮意见", ConsentedAt: opens2})
	if err != nil || second.DraftRevision != 2 {
		t.Fatalf("second-round comment: %+v %v", second, err)
	}
	// A comment on a section of revision 1 is on revision 1, whatever the caller said
	// (a page cached before the revision was published).
	stale, _, err := s.CreateComment(ctx, &Comment{ConsultationID: id, SectionAnchor: "article-1", SectionID: 3, DraftRevision: 2, Body: "迟到的第一轮意见", ConsentedAt: opens2})
	if err != nil || stale.DraftRevision != 1 {
		t.Fatalf("comment on a revision-1 section: %+v %v", stale, err)
	}
	// The same anchor counts separately per revision.
	for rev, want := range map[int]string{1: "第一轮意见", 2: "第二轮意见"} {
		counts, err := s.RevisionCommentCounts(ctx, id, rev)
		if want1 := map[int]int{1: 2, 2: 1}[rev]; err != nil || counts["article-1"] != want1 {
			t.Fatalf("revision %d counts %v %v (want the comment %s only)", rev, counts, err, want)
		}
	}
	got, _ := s.CommentByTracking(ctx, first.Tracking)
	if got.DraftRevision != 1 || got.SectionID != 3 {
		t.Fatalf("first comment moved: %+v", got)
	}
	// A section window now applies to the revision on show.
	o := opens2.Add(time.Hour)
	if err := s.SetSectionWindow(ctx, id, "article-1", &o, nil); err != nil {
		t.Fatal(err)
	}
	old, _ = s.RevisionSections(ctx, id, 1)
	if old[2].OpensAt != nil {
		t.Fatal("a window set on revision 2 reached revision 1")
	}
	// The config file cannot replace a revised draft.
	if err := s.ReplaceDraft(ctx, &Consultation{ID: id, Slug: "x", Title: "t"}, sampleSections()); err == nil {
		t.Fatal("ReplaceDraft replaced a revised draft")
	}
	if es := auditCount(t, s, "revise"); len(es) != 1 {
		t.Fatalf("%d revise audit entries", len(es))
	}
}

// schemaObjects lists the named indexes and triggers of a database (name → type).
func schemaObjects(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT name, type FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		out[name] = typ
	}
	return out
}
