package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// Migration 0030 rebuilds users (for the department role): accounts and signed-in
// sessions of a database made before it survive, with foreign keys on.
func TestMigration0030KeepsUsersAndSessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	entries, _ := migrationFS.ReadDir("migrations")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		if n >= "0030" {
			break
		}
		body, _ := migrationFS.ReadFile("migrations/" + n)
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, mustAtoi(t, n[:4])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO users (id, username, password_hash, role, password_changed_at, created_at) VALUES (7, 'chen', 'h', 'officer', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ('tok', 7, ?, ?)`, time.Now().Unix(), time.Now().Unix()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("migrating an existing database: %v", err)
	}
	defer s.Close()
	sess, err := s.SessionByToken(ctx, "tok", time.Hour, 12*time.Hour, time.Now())
	if err != nil || sess.User.Username != "chen" || sess.User.Role != RoleOfficer {
		t.Fatalf("session after migration: %+v %v", sess, err)
	}
	var fkErrors int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&fkErrors); err != nil || fkErrors != 0 {
		t.Errorf("foreign key check: %d %v", fkErrors, err)
	}
	// Deleting the user still cascades to the sessions (the rebuilt reference holds).
	if _, err := s.w.ExecContext(ctx, `DELETE FROM users WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, "tok", time.Hour, 12*time.Hour, time.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("session outlived its user: %v", err)
	}
	// A department account needs its unit, and only it.
	if _, err := s.CreateUserInUnit(ctx, Actor{}, "cz", "h", RoleDepartment, ""); !errors.Is(err, ErrUnit) {
		t.Errorf("department without unit: %v", err)
	}
	if _, err := s.CreateUserInUnit(ctx, Actor{}, "li", "h", RoleOfficer, "财政局"); !errors.Is(err, ErrUnit) {
		t.Errorf("officer with a unit: %v", err)
	}
	if u, err := s.CreateUserInUnit(ctx, Actor{}, "cz", "h", RoleDepartment, "财政局"); err != nil || u.Unit != "财政局" {
		t.Errorf("department: %+v %v", u, err)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The routing workflow's rules: versions guard every step, an accepted item is closed,
// re-routing clears an old proposal, the backlog counts by unit and state.
func TestRoutingWorkflowRules(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	now := time.Now()
	cid, err := s.CreateConsultation(ctx, &Consultation{Slug: "x", Title: "x", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour)}, sampleSections())
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := 0; i < 3; i++ {
		c, _, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionAnchor: "article-1", Body: fmt.Sprintf("意见%d号内容", i), ConsentedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	li, cz := Actor{Username: "li"}, Actor{Username: "cz"}
	if _, err := s.Route(ctx, li, cid, ids, "  ", time.Time{}); !errors.Is(err, ErrNoUnit) {
		t.Errorf("empty unit: %v", err)
	}
	if n, err := s.Route(ctx, li, cid, ids, "财政局", now.Add(-time.Minute)); err != nil || n != 3 {
		t.Fatalf("route: %d %v", n, err)
	}
	r, _ := s.RoutingFor(ctx, ids[0])
	if !r.Overdue(now) || r.Version != 0 {
		t.Errorf("routing: %+v", r)
	}
	// Another unit cannot answer; a stale version is a conflict; pending is no proposal.
	if err := s.ProposeAnswer(ctx, cz, cid, ids[0], "人社局", Decision{Status: StatusAdopted}, -1); !errors.Is(err, ErrNotRouted) {
		t.Errorf("other unit: %v", err)
	}
	if err := s.ProposeAnswer(ctx, cz, cid, ids[0], "财政局", Decision{Status: StatusAdopted}, 5); !errors.Is(err, ErrConflict) {
		t.Errorf("stale version: %v", err)
	}
	if err := s.ProposeAnswer(ctx, cz, cid, ids[0], "财政局", Decision{Status: StatusPending}, 0); !errors.Is(err, ErrBadStatus) {
		t.Errorf("pending proposal: %v", err)
	}
	if err := s.ProposeAnswer(ctx, cz, cid, ids[0], "财政局", Decision{Status: StatusExplained, Response: "已有规定"}, 0); err != nil {
		t.Fatal(err)
	}
	r, _ = s.RoutingFor(ctx, ids[0])
	if r.State != RouteAnswered || r.Overdue(now) || r.Version != 1 {
		t.Errorf("after the proposal: %+v", r)
	}
	// The unit revises its proposal: the officer's review of version 1 is now stale.
	if err := s.ProposeAnswer(ctx, cz, cid, ids[0], "财政局", Decision{Status: StatusAdopted, Response: "采纳"}, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.AcceptAnswer(ctx, li, cid, ids[0], 1); !errors.Is(err, ErrConflict) {
		t.Errorf("accepting a revised proposal unseen: %v", err)
	}
	if err := s.AcceptAnswer(ctx, li, cid, ids[0], 2); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.CommentByID(ctx, cid, ids[0]); c.Status != StatusAdopted || c.Response != "采纳" || c.Version != 1 {
		t.Errorf("accepted: %+v", c)
	}
	// Closed: not re-routed, no more proposals.
	if n, _ := s.Route(ctx, li, cid, ids[:1], "人社局", time.Time{}); n != 0 {
		t.Errorf("an accepted item was re-routed")
	}
	if err := s.ProposeAnswer(ctx, cz, cid, ids[0], "财政局", Decision{Status: StatusAdopted}, -1); !errors.Is(err, ErrNotRouted) {
		t.Errorf("proposal on an accepted item: %v", err)
	}
	// Returned, then re-routed elsewhere: the old proposal and note are gone.
	if err := s.ProposeAnswer(ctx, cz, cid, ids[1], "财政局", Decision{Status: StatusAdopted, Response: "甲"}, -1); err != nil {
		t.Fatal(err)
	}
	if err := s.ReturnAnswer(ctx, li, cid, ids[1], -1, " "); !errors.Is(err, ErrReasonRequired) {
		t.Errorf("return without a note: %v", err)
	}
	if err := s.ReturnAnswer(ctx, li, cid, ids[1], -1, "请补充依据"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Route(ctx, li, cid, ids[1:2], "人社局", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.RoutingFor(ctx, ids[1]); r.Unit != "人社局" || r.State != RouteRouted || r.ProposedStatus != "" || r.ReturnNote != "" {
		t.Errorf("re-routed: %+v", r)
	}
	b, err := s.Backlog(ctx, cid, now)
	if err != nil || len(b) != 2 {
		t.Fatalf("backlog: %+v %v", b, err)
	}
	if b[0].Unit != "人社局" || b[0].Open != 1 || b[0].Overdue != 0 || b[1].Unit != "财政局" || b[1].Counts[RouteAccepted] != 1 || b[1].Overdue != 1 {
		t.Errorf("backlog: %+v", b)
	}
	// Queue filters.
	for _, tc := range []struct {
		f    QueueFilter
		want int
	}{
		{QueueFilter{Unit: "财政局"}, 2}, {QueueFilter{Route: RouteNone}, 0}, {QueueFilter{Route: RouteAccepted}, 1},
		{QueueFilter{OverdueAt: now}, 1}, {QueueFilter{Unit: "人社局", Route: RouteRouted}, 1},
	} {
		tc.f.ConsultationID = cid
		if n, err := s.CountQueue(ctx, tc.f); err != nil || n != tc.want {
			t.Errorf("%+v: %d %v, want %d", tc.f, n, err, tc.want)
		}
	}
}

// BenchmarkRoutingOf is the per-row cost the workbook's 交办 columns add when a
// consultation's comments are routed (figures in bench/team-export.txt).
func BenchmarkRoutingOf(b *testing.B) {
	s, ids := routedFixture(b, 2000)
	ctx := context.Background()
	x, err := s.BeginExport(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := x.RoutingOf(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRoutingOfBenchSetup keeps BenchmarkRoutingOf's fixture and look-up working.
func TestRoutingOfBenchSetup(t *testing.T) {
	s, ids := routedFixture(t, 20)
	ctx := context.Background()
	x, err := s.BeginExport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for i, id := range ids {
		r, err := x.RoutingOf(ctx, id)
		if err != nil || (i%2 == 0) != (r != nil) {
			t.Fatalf("comment %d: %+v %v", id, r, err)
		}
	}
	// A snapshot without routings answers without a statement.
	s2, ids2 := routedFixture(t, 0)
	x2, _ := s2.BeginExport(ctx)
	defer x2.Close()
	if r, err := x2.RoutingOf(ctx, ids2[0]); r != nil || err != nil || x2.routeStmt != nil {
		t.Errorf("no routings: %+v %v", r, err)
	}
}

// routedFixture makes n comments (at least one), every other one routed.
func routedFixture(tb testing.TB, n int) (*Store, []int64) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "r.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	ctx := context.Background()
	now := time.Now()
	cid, err := s.CreateConsultation(ctx, &Consultation{Slug: "x", Title: "x", OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour)}, sampleSections())
	if err != nil {
		tb.Fatal(err)
	}
	var ids, routed []int64
	for i := 0; i < max(n, 1); i++ {
		c, _, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionAnchor: "article-1", Body: fmt.Sprintf("第%d条意见的内容", i), ConsentedAt: now})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, c.ID)
		if i%2 == 0 && n > 0 {
			routed = append(routed, c.ID)
		}
	}
	if len(routed) > 0 {
		if _, err := s.Route(ctx, Actor{Username: "li"}, cid, routed, "财政局", now.Add(24*time.Hour)); err != nil {
			tb.Fatal(err)
		}
	}
	return s, ids
}
