package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// openBackup opens a backup file read-only.
func openBackup(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestBackupWhileWriting(t *testing.T) {
	s, livePath := openTest(t)
	ctx := context.Background()
	cid := createTestConsultation(t, s)
	// Ballast, so the copy takes long enough for writers to commit while it runs.
	if _, err := s.w.Exec(`CREATE TABLE ballast (b BLOB);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
		INSERT INTO ballast SELECT randomblob(2048) FROM n`); err != nil {
		t.Fatal(err)
	}

	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const writers = 4
	errc := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_, _, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionAnchor: "general",
					Body: fmt.Sprintf("写手%d的第%d条意见,内容各不相同以免归为重复", w, i), Phone: "13800000000", ConsentedAt: time.Now()})
				if err != nil {
					errc <- err
					return
				}
				written.Add(1)
			}
		}(w)
	}
	for written.Load() < 50 {
		time.Sleep(time.Millisecond)
	}
	// The copy itself (VACUUM INTO) must not hold the writer: comments keep committing.
	scratch := filepath.Join(t.TempDir(), "scratch.db")
	vStart := written.Load()
	t0 := time.Now()
	if err := s.vacuumInto(ctx, scratch); err != nil {
		t.Fatal(err)
	}
	took := time.Since(t0)
	vEnd := written.Load()
	t.Logf("%d comments committed during the %s copy", vEnd-vStart, took)
	// A copy holding the writer lets through at most the batch already committing.
	if vEnd-vStart <= writers {
		t.Errorf("%d comments committed during the %s copy: writers were blocked", vEnd-vStart, took)
	}

	atStart := written.Load()
	dst := filepath.Join(t.TempDir(), "backup.db")
	size, err := s.Backup(ctx, dst)
	atEnd := written.Load()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}

	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != size || size < 10000*2048 {
		t.Errorf("size %d reported, file has %d", size, fi.Size())
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600 (it holds personal data)", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(dst))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v, want only the backup", names)
	}

	db := openBackup(t, dst)
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	var n, grouped, ungrouped int
	if err := db.QueryRow(`SELECT COUNT(*), (SELECT COALESCE(SUM(size), 0) FROM dup_groups),
		(SELECT COUNT(*) FROM comments WHERE group_id = 0) FROM comments`).Scan(&n, &grouped, &ungrouped); err != nil {
		t.Fatal(err)
	}
	// A snapshot: every comment came with its duplicate-group bookkeeping (same transaction).
	if n != grouped || ungrouped != 0 {
		t.Errorf("backup has %d comments but groups count %d (%d ungrouped): not a consistent snapshot", n, grouped, ungrouped)
	}
	if int64(n) < atStart || int64(n) > atEnd+int64(maxBatch) {
		t.Errorf("backup has %d comments; %d were committed before it began and %d when it ended", n, atStart, atEnd)
	}
	var live int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM comments`).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if int64(live) != written.Load() {
		t.Errorf("live database has %d comments, %d were written", live, written.Load())
	}
	// The live database keeps working after the backup.
	if _, _, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionAnchor: "general", Body: "备份之后", ConsentedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The backup is a database this binary opens (and it is not the live file).
	s2, err := Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if c, err := s2.ConsultationBySlug(ctx, "x"); err != nil || c.ID != cid {
		t.Fatalf("consultation in backup: %v %v", c, err)
	}
	if dst == livePath {
		t.Fatal("backup is the live file")
	}
}

func TestBackupNeverOverwrites(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	dir := t.TempDir()
	for _, content := range []string{"", "precious"} {
		dst := filepath.Join(dir, fmt.Sprintf("exists-%d.db", len(content)))
		if err := os.WriteFile(dst, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Backup(ctx, dst); !errors.Is(err, ErrBackupExists) {
			t.Fatalf("backup over %q: %v, want ErrBackupExists", content, err)
		}
		if got, _ := os.ReadFile(dst); string(got) != content {
			t.Errorf("existing file changed to %q", got)
		}
	}
	if _, err := s.Backup(ctx, filepath.Join(dir, "missing", "b.db")); err == nil {
		t.Error("backup into a missing folder succeeded")
	}
	dst := filepath.Join(dir, "b.db")
	if _, err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Backup(ctx, dst); !errors.Is(err, ErrBackupExists) {
		t.Fatalf("second backup to the same path: %v", err)
	}
	// A folder name a URI would misread.
	odd := filepath.Join(t.TempDir(), "a?b#c%20d")
	if err := os.Mkdir(odd, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Backup(ctx, filepath.Join(odd, "b.db")); err != nil {
		t.Fatalf("backup into %s: %v", odd, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files left, want 3 (no temporary files)", len(entries))
	}
}

// retentionFixture makes three consultations relative to now: "old" closed 200 days
// ago, "recent" closed 10 days ago and "open" closes in 10 days.
type retentionFixture struct {
	s                 *Store
	path              string
	now               time.Time
	old, recent, open int64
	oldIDs            []int64
}

func newRetentionFixture(t *testing.T) *retentionFixture {
	t.Helper()
	s, path := openTest(t)
	ctx := context.Background()
	now := time.Now()
	day := 24 * time.Hour
	f := &retentionFixture{s: s, path: path, now: now}
	mk := func(slug string, closes time.Time) int64 {
		id, err := s.CreateConsultation(ctx, &Consultation{Slug: slug, Title: slug, OpensAt: closes.Add(-40 * day), ClosesAt: closes}, sampleSections())
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.old = mk("old", now.Add(-200*day))
	f.recent = mk("recent", now.Add(-10*day))
	f.open = mk("open", now.Add(10*day))
	add := func(cid int64, i int, body string, phone, email string) int64 {
		c, _, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionAnchor: "general", Body: body,
			Name: fmt.Sprintf("张三%d", i), Identity: "市民", Organization: "某公司", Phone: phone, Email: email,
			PublishName: i%2 == 0, ConsentedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	for _, cid := range []int64{f.old, f.recent, f.open} {
		for i := 0; i < 3; i++ {
			id := add(cid, i, fmt.Sprintf("意见%d-%d", cid, i), fmt.Sprintf("1390000%d%03d", cid, i), fmt.Sprintf("secret-%d-%d@example.com", cid, i))
			if cid == f.old {
				f.oldIDs = append(f.oldIDs, id)
			}
		}
		// Only a phone; then only an e-mail; then no contact data at all.
		add(cid, 3, fmt.Sprintf("只留电话%d", cid), fmt.Sprintf("1390000%d%03d", cid, 3), "")
		add(cid, 4, fmt.Sprintf("只留邮箱%d", cid), "", fmt.Sprintf("secret-%d-4@example.com", cid))
		add(cid, 5, fmt.Sprintf("匿名%d", cid), "", "")
	}
	// A long comment on "old", so its row spills into overflow pages.
	id := add(f.old, 6, strings.Repeat("很长的意见。", 3000), "13912345678", "overflow-secret@example.com")
	f.oldIDs = append(f.oldIDs, id)
	if _, err := s.Decide(ctx, Actor{Username: "officer"}, f.old, f.oldIDs[0], Decision{Status: StatusRejected, Response: "不符合上位法", Note: "内部备注", Tags: "法规"}, false); err != nil {
		t.Fatal(err)
	}
	return f
}

// snapshot returns every comment of a consultation.
func (f *retentionFixture) snapshot(t *testing.T, cid int64) []*Comment {
	t.Helper()
	rows, err := f.s.r.Query(`SELECT `+commentColumns+` FROM comments WHERE consultation_id = ? ORDER BY id`, cid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []*Comment
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func rowFor(t *testing.T, rows []RetentionRow, id int64) RetentionRow {
	t.Helper()
	for _, r := range rows {
		if r.ConsultationID == id {
			return r
		}
	}
	t.Fatalf("no row for consultation %d in %+v", id, rows)
	return RetentionRow{}
}

func auditCount(t *testing.T, s *Store, action string) []AuditEntry {
	t.Helper()
	es, err := s.ListAudit(context.Background(), AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestEraseContacts(t *testing.T) {
	f := newRetentionFixture(t)
	ctx := context.Background()
	after := 180 * 24 * time.Hour
	before := map[int64][]*Comment{}
	for _, cid := range []int64{f.old, f.recent, f.open} {
		before[cid] = f.snapshot(t, cid)
	}

	// Dry run: counts, changes nothing.
	rows, err := f.s.EraseContacts(ctx, Actor{Username: "command-line"}, f.now, after, true)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowFor(t, rows, f.old); !r.Due || r.Cleared != 6 {
		t.Errorf("dry run, old: %+v, want due with 6 to clear", r)
	}
	for _, cid := range []int64{f.recent, f.open} {
		if r := rowFor(t, rows, cid); r.Due || r.Cleared != 0 {
			t.Errorf("dry run, %s: %+v, want not due", r.Slug, r)
		}
	}
	for cid, want := range before {
		if got := f.snapshot(t, cid); fmt.Sprint(derefAll(got)) != fmt.Sprint(derefAll(want)) {
			t.Errorf("dry run changed consultation %d", cid)
		}
	}
	if es := auditCount(t, f.s, "retention"); len(es) != 0 {
		t.Errorf("dry run wrote audit entries: %+v", es)
	}

	// The real run.
	rows, err = f.s.EraseContacts(ctx, Actor{Username: "command-line"}, f.now, after, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowFor(t, rows, f.old); !r.Due || r.Cleared != 6 || !r.DueAt.Equal(r.ClosedAt.Add(after)) {
		t.Errorf("old: %+v, want 6 cleared", r)
	}
	got := f.snapshot(t, f.old)
	for i, c := range got {
		b := before[f.old][i]
		if c.Phone != "" || c.Email != "" {
			t.Errorf("comment %d keeps contact data %q %q", c.ID, c.Phone, c.Email)
		}
		// Everything else is as it was.
		b2 := *b
		b2.Phone, b2.Email = "", ""
		if fmt.Sprint(*c) != fmt.Sprint(b2) {
			t.Errorf("comment %d changed beyond its contact data:\n got  %+v\n want %+v", c.ID, *c, b2)
		}
	}
	if d := got[0]; d.Status != StatusRejected || d.Response != "不符合上位法" || d.Note != "内部备注" || d.Name != "张三0" || d.Organization != "某公司" {
		t.Errorf("decision or name lost: %+v", d)
	}
	for _, cid := range []int64{f.recent, f.open} {
		if got := f.snapshot(t, cid); fmt.Sprint(derefAll(got)) != fmt.Sprint(derefAll(before[cid])) {
			t.Errorf("consultation %d changed though not due", cid)
		}
	}
	es := auditCount(t, f.s, "retention")
	if len(es) != 1 {
		t.Fatalf("%d retention audit entries, want 1", len(es))
	}
	var afterJSON struct {
		Cleared int
		Days    int
	}
	if err := json.Unmarshal([]byte(es[0].AfterJSON), &afterJSON); err != nil {
		t.Fatal(err)
	}
	if es[0].ConsultationID != f.old || es[0].Username != "command-line" || es[0].Target != "consultation:old" ||
		afterJSON.Cleared != 6 || afterJSON.Days != 180 {
		t.Errorf("audit entry %+v (after %s)", es[0], es[0].AfterJSON)
	}
	// Decisions' own history is still there.
	if es := auditCount(t, f.s, "decide"); len(es) != 1 {
		t.Errorf("%d decide entries, want 1", len(es))
	}

	// Idempotent: a second run clears nothing and writes no audit entry.
	rows, err = f.s.EraseContacts(ctx, Actor{Username: "command-line"}, f.now, after, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowFor(t, rows, f.old); !r.Due || r.Cleared != 0 {
		t.Errorf("second run: %+v, want 0 cleared", r)
	}
	if es := auditCount(t, f.s, "retention"); len(es) != 1 {
		t.Errorf("second run wrote an audit entry: %d entries", len(es))
	}

	// A shorter period reaches the recently closed consultation, never the open one.
	rows, err = f.s.EraseContacts(ctx, Actor{Username: "command-line"}, f.now, 7*24*time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowFor(t, rows, f.recent); !r.Due || r.Cleared != 5 {
		t.Errorf("recent with 7 days: %+v, want 5 cleared", r)
	}
	if r := rowFor(t, rows, f.open); r.Due || r.Cleared != 0 {
		t.Errorf("open: %+v", r)
	}
	if _, err := f.s.EraseContacts(ctx, Actor{}, f.now, -time.Hour, false); err == nil {
		t.Error("negative period accepted")
	}
}

func derefAll(cs []*Comment) []Comment {
	out := make([]Comment, len(cs))
	for i, c := range cs {
		out[i] = *c
	}
	return out
}

// The erased values are gone from the files, not just from query results.
func TestEraseContactsLeavesNoTraceInFiles(t *testing.T) {
	f := newRetentionFixture(t)
	ctx := context.Background()
	files := func() []byte {
		var all []byte
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(f.path + suffix)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	erased := []string{fmt.Sprintf("secret-%d-1@example.com", f.old), "overflow-secret@example.com",
		fmt.Sprintf("1390000%d%03d", f.old, 2), "13912345678"}
	kept := fmt.Sprintf("secret-%d-1@example.com", f.recent)
	before := files()
	for _, s := range append(erased, kept) {
		if !bytes.Contains(before, []byte(s)) {
			t.Fatalf("fixture: %q not found in the database files", s)
		}
	}
	if _, err := f.s.EraseContacts(ctx, Actor{Username: "command-line"}, f.now, 180*24*time.Hour, false); err != nil {
		t.Fatal(err)
	}
	after := files()
	for _, s := range erased {
		if bytes.Contains(after, []byte(s)) {
			t.Errorf("%q is still in the database files", s)
		}
	}
	if !bytes.Contains(after, []byte(kept)) {
		t.Errorf("%q (not due) vanished from the files", kept)
	}
	var sd int
	if err := f.s.w.QueryRow(`PRAGMA secure_delete`).Scan(&sd); err != nil || sd != 2 { // FAST, as Open sets it
		t.Errorf("secure_delete left at %d (%v); it should be restored", sd, err)
	}
}

// A section whose own window closes later than the consultation's holds retention back.
func TestEraseContactsHonoursSectionWindows(t *testing.T) {
	f := newRetentionFixture(t)
	ctx := context.Background()
	late := f.now.Add(-5 * 24 * time.Hour)
	opens := late.Add(-time.Hour)
	if err := f.s.SetSectionWindow(ctx, f.old, "article-1", &opens, &late); err != nil {
		t.Fatal(err)
	}
	rows, err := f.s.EraseContacts(ctx, Actor{Username: "command-line"}, f.now, 180*24*time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := rowFor(t, rows, f.old); r.Due || r.Cleared != 0 || r.ClosedAt.Unix() != late.Unix() {
		t.Errorf("old with a late section window: %+v", r)
	}
	if c := f.snapshot(t, f.old); c[0].Phone == "" {
		t.Error("contact data erased though a section was open 5 days ago")
	}
}
