package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"consult/store/gen"
)

// fingerprinted is batch as an *ImportBatch.
func fingerprinted(t *testing.T, batch []*Comment) *ImportBatch {
	t.Helper()
	b, err := NewImportBatch(batch, 2)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// genBatches is n generated comments (store/gen: campaign copies exact and edited,
// letters, short replies) on a consultation, in batches of size.
func genBatches(cid int64, n, size int, seed uint64) [][]*Comment {
	now := time.Now()
	g := gen.New(gen.Options{Seed: seed, N: n, Opens: now.Add(-30 * 24 * time.Hour), Closes: now})
	var out [][]*Comment
	var b []*Comment
	for {
		c, ok := g.Next()
		if !ok {
			break
		}
		anchor := "general"
		if c.SectionAnchor != "general" {
			anchor = "article-1"
		}
		b = append(b, &Comment{ConsultationID: cid, SectionAnchor: anchor, SubmissionKey: fmt.Sprintf("gen-%d-%d", seed, c.Seq),
			Body: c.Body, Name: c.Name, Identity: c.Identity, Channel: c.Channel, Status: c.Status,
			ConsentedAt: now, CreatedAt: c.CreatedAt, ReceivedAt: c.ReceivedAt, RecordedBy: "import"})
		if len(b) == size {
			out, b = append(out, b), nil
		}
	}
	if len(b) > 0 {
		out = append(out, b)
	}
	return out
}

// grouping is every comment's (id, group) and every group's size.
func grouping(t *testing.T, s *Store) (string, map[int64]int) {
	t.Helper()
	var b strings.Builder
	rows, err := s.r.Query(`SELECT id, group_id FROM comments ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, gid int64
		if err := rows.Scan(&id, &gid); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d:%d ", id, gid)
	}
	rows.Close()
	sizes := map[int64]int{}
	rows, err = s.r.Query(`SELECT id, size FROM dup_groups`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		sizes[id] = n
	}
	return b.String(), sizes
}

func commentIndexes(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'comments' AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			t.Fatal(err)
		}
		out[name] = q
	}
	return out
}

// TestBulkImportGroupsAsImportDoes feeds two databases the same comments, web comments
// first and then 6,000 generated ones: one imported in small transactions with the
// indexes (ImportComments), the other by a bulk import. Every comment must land in the
// same duplicate group with the same sizes, the full-text index and the section counts
// must agree, and the bulk import must leave the same indexes as it found.
func TestBulkImportGroupsAsImportDoes(t *testing.T) {
	ctx := context.Background()
	inc, _ := openTest(t)
	bulk, _ := openTest(t)
	cid := createTestConsultation(t, inc)
	if got := createTestConsultation(t, bulk); got != cid {
		t.Fatal("consultation ids differ")
	}
	indexesBefore := commentIndexes(t, bulk.w)
	pragmasBefore, err := bulk.Pragmas(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var autoCheckpoint int
	bulk.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&autoCheckpoint)
	web := genBatches(cid, 300, 300, 1)[0]
	for _, s := range []*Store{inc, bulk} {
		for _, c := range web {
			c := *c
			c.Channel, c.ReceivedAt = "web", time.Time{}
			if _, _, err := s.CreateComment(ctx, &c); err != nil {
				t.Fatal(err)
			}
		}
	}
	batches := genBatches(cid, 6000, 500, 2)
	for _, b := range batches {
		if n, err := inc.ImportComments(ctx, b); err != nil || n != len(b) {
			t.Fatalf("import: %d %v", n, err)
		}
	}
	b, err := bulk.BeginBulkImport(ctx, cid, 6000)
	if err != nil {
		t.Fatal(err)
	}
	for name := range commentIndexes(t, bulk.w) {
		if slices.Contains(bulkDropped, any(name)) {
			t.Fatalf("index %s is still there during the bulk import", name)
		}
	}
	for _, batch := range batches {
		if n, err := b.Add(ctx, fingerprinted(t, batch)); err != nil || n != len(batch) {
			t.Fatalf("bulk add: %d %v", n, err)
		}
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if got := commentIndexes(t, bulk.w); !maps.Equal(got, indexesBefore) {
		t.Fatalf("indexes after the bulk import:\n%v\nbefore:\n%v", got, indexesBefore)
	}
	// The writer is as Open left it (its page cache above all).
	if got, err := bulk.Pragmas(ctx); err != nil || !maps.Equal(got, pragmasBefore) {
		t.Fatalf("pragmas after the bulk import %v (%v), before %v", got, err, pragmasBefore)
	}
	var ac int
	if bulk.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&ac); ac != autoCheckpoint {
		t.Fatalf("wal_autocheckpoint %d after the bulk import, %d before", ac, autoCheckpoint)
	}
	var pending int
	bulk.r.QueryRow(`SELECT COUNT(*) FROM bulk_import_indexes`).Scan(&pending)
	if pending != 0 {
		t.Fatalf("%d indexes still recorded as dropped", pending)
	}

	gi, si := grouping(t, inc)
	gb, sb := grouping(t, bulk)
	if gi != gb || !maps.Equal(si, sb) {
		t.Fatal("the bulk import grouped comments otherwise than the import does")
	}
	// The data must exercise all three ways into a group: exact copies, near copies
	// (an edited campaign text: another normalised hash in the group) and new groups.
	var exact, near, groups int
	bulk.r.QueryRow(`SELECT COUNT(*) FROM comments c JOIN comments g ON g.id = c.group_id
		WHERE c.id != c.group_id AND c.norm_hash = g.norm_hash`).Scan(&exact)
	bulk.r.QueryRow(`SELECT COUNT(*) FROM comments c JOIN comments g ON g.id = c.group_id
		WHERE c.id != c.group_id AND c.norm_hash != g.norm_hash`).Scan(&near)
	bulk.r.QueryRow(`SELECT COUNT(*) FROM dup_groups`).Scan(&groups)
	if exact < 100 || near < 100 || groups < 1000 {
		t.Fatalf("the generated comments gave %d exact copies, %d near copies, %d groups", exact, near, groups)
	}
	for _, s := range []*Store{inc, bulk} {
		checkCounts(t, s, cid, "after the import")
		var n int
		if err := s.r.QueryRow(`SELECT COUNT(*) FROM comments_fts WHERE comments_fts MATCH '"营商环境"'`).Scan(&n); err != nil || n == 0 {
			t.Fatalf("full-text search: %d %v", n, err)
		}
	}
	var ni, nb int
	inc.r.QueryRow(`SELECT COUNT(*) FROM comments_fts WHERE comments_fts MATCH '"营商环境"'`).Scan(&ni)
	bulk.r.QueryRow(`SELECT COUNT(*) FROM comments_fts WHERE comments_fts MATCH '"营商环境"'`).Scan(&nb)
	if ni != nb {
		t.Fatalf("full-text matches: import %d, bulk %d", ni, nb)
	}

	// The same comments again: nothing is added, and the indexes are back again.
	b, err = bulk.BeginBulkImport(ctx, cid, 6000)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range batches {
		if n, err := b.Add(ctx, fingerprinted(t, batch)); err != nil || n != 0 {
			t.Fatalf("bulk re-import added %d (%v)", n, err)
		}
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if g, _ := grouping(t, bulk); g != gb {
		t.Fatal("a re-import changed the comments")
	}
	if got := commentIndexes(t, bulk.w); !maps.Equal(got, indexesBefore) {
		t.Fatal("indexes differ after the re-import")
	}
}

// TestBulkImportOnlyAlone: a bulk import needs the database to itself, and keeps other
// openers out until it finishes.
func TestBulkImportOnlyAlone(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	cid := createTestConsultation(t, s)
	other, err := Open(ctx, path) // as the portal, say
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginBulkImport(ctx, cid, 10); !errors.Is(err, ErrNotAlone) {
		t.Fatalf("bulk import with the database open elsewhere: %v", err)
	}
	other.Close()
	b, err := s.BeginBulkImport(ctx, cid, 10)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := Open(ctx, path); !errors.Is(err, ErrBulkImportRunning) {
		if o != nil {
			o.Close()
		}
		t.Fatalf("open during a bulk import: %v", err)
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	o, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open after the bulk import: %v", err)
	}
	o.Close()
	// Web comments go on after it.
	if _, _, err := s.CreateComment(ctx, &Comment{ConsultationID: cid, SectionAnchor: "general", Body: "之后的意见", ConsentedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// TestBulkImportStoppedHalfWay: a bulk import that never finishes (the process killed)
// leaves the batches it committed; the next Open builds the dropped indexes, and the
// import run again adds only the rest.
func TestBulkImportStoppedHalfWay(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stop.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	cid := createTestConsultation(t, s)
	want := commentIndexes(t, s.w)
	batches := genBatches(cid, 1500, 500, 3)
	b, err := s.BeginBulkImport(ctx, cid, 1500)
	if err != nil {
		t.Fatal(err)
	}
	b.commitRows = 500 // each batch is committed
	// Into the empty table the unique indexes are dropped too, so a tracking number
	// given twice by the file is stored twice until the indexes are built.
	given := NewTrackingNumber()
	batches[0][10].Tracking, batches[0][20].Tracking = given, given
	if _, err := b.Add(ctx, fingerprinted(t, batches[0])); err != nil {
		t.Fatal(err)
	}
	s.Close() // without Finish: as if killed (the lock goes with the process)
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	if got, dropped := commentIndexes(t, raw), len(bulkDropped)+len(bulkDroppedWhenEmpty); len(got) != len(want)-dropped {
		t.Fatalf("after the stop: %d indexes, want %d", len(got), len(want)-dropped)
	}
	raw.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := commentIndexes(t, s.w); !maps.Equal(got, want) {
		t.Fatalf("Open did not build the indexes again: %v", got)
	}
	checkTracking(t, s, given, 11, 500)
	b, err = s.BeginBulkImport(ctx, cid, 1500)
	if err != nil {
		t.Fatal(err)
	}
	if b.Empty() {
		t.Fatal("the second run is into an empty table")
	}
	added := 0
	for _, batch := range batches {
		n, err := b.Add(ctx, fingerprinted(t, batch))
		if err != nil {
			t.Fatal(err)
		}
		added += n
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if added != 1000 {
		t.Fatalf("the second run added %d, want 1000", added)
	}
	checkCounts(t, s, cid, "after the second run")
}

// TestBulkImportIntoAnEmptyTable: into an empty comments table a bulk import drops the
// unique tracking-number and submission-key indexes too, and Finish builds them again
// even when the rows broke their rule meanwhile: a tracking number given twice keeps
// its first comment and the second draws a new one; a submission key given twice
// keeps both comments, the later one's key marked with its id. A bulk import into a
// table that holds comments keeps both indexes throughout.
func TestBulkImportIntoAnEmptyTable(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	cid := createTestConsultation(t, s)
	want := commentIndexes(t, s.w)
	batches := genBatches(cid, 1000, 500, 4)
	given := NewTrackingNumber()
	batches[0][3].Tracking, batches[1][7].Tracking = given, given
	batches[1][9].SubmissionKey = batches[0][5].SubmissionKey
	b, err := s.BeginBulkImport(ctx, cid, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Empty() {
		t.Fatal("Empty() is false for an empty table")
	}
	during := commentIndexes(t, s.w)
	for _, name := range bulkDroppedWhenEmpty {
		if _, ok := during[name.(string)]; ok {
			t.Fatalf("index %s is still there during a bulk import into an empty table", name)
		}
	}
	for _, batch := range batches {
		if n, err := b.Add(ctx, fingerprinted(t, batch)); err != nil || n != len(batch) {
			t.Fatalf("bulk add: %d %v", n, err)
		}
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if got := commentIndexes(t, s.w); !maps.Equal(got, want) {
		t.Fatalf("indexes after the bulk import:\n%v\nbefore:\n%v", got, want)
	}
	checkTracking(t, s, given, 4, 1000)
	var keys []string
	rows, err := s.r.Query(`SELECT submission_key FROM comments WHERE submission_key = ?1 OR submission_key LIKE ?1 || '#%' ORDER BY id`, batches[0][5].SubmissionKey)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		keys = append(keys, k)
	}
	rows.Close()
	if len(keys) != 2 || keys[0] != batches[0][5].SubmissionKey || !strings.HasPrefix(keys[1], keys[0]+"#") {
		t.Fatalf("comments with a submission key given twice: %q", keys)
	}
	checkCounts(t, s, cid, "after the bulk import")

	b, err = s.BeginBulkImport(ctx, cid, 1000)
	if err != nil {
		t.Fatal(err)
	}
	during = commentIndexes(t, s.w)
	for _, name := range bulkDroppedWhenEmpty {
		if _, ok := during[name.(string)]; !ok || b.Empty() {
			t.Fatalf("index %s dropped by a bulk import into a table with comments", name)
		}
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
}

// checkTracking: the comments' tracking numbers are distinct and well-formed, there
// are n of them, and the one given twice to a bulk import stayed with comment first.
func checkTracking(t *testing.T, s *Store, given string, first int64, n int) {
	t.Helper()
	rows, err := s.r.Query(`SELECT id, tracking FROM comments ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int64{}
	for rows.Next() {
		var id int64
		var tr string
		if err := rows.Scan(&id, &tr); err != nil {
			t.Fatal(err)
		}
		if _, ok := NormalizeTracking(tr); !ok || seen[tr] != 0 {
			t.Fatalf("comment %d: tracking number %q malformed or taken", id, tr)
		}
		seen[tr] = id
	}
	if len(seen) != n {
		t.Fatalf("%d tracking numbers, want %d", len(seen), n)
	}
	if seen[given] != first {
		t.Fatalf("the tracking number given twice is comment %d's, want %d's", seen[given], first)
	}
}

// TestKeyTable checks the open-addressing table against a map, through growth, with
// keys that collide in their start position and the key 0.
func TestKeyTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tab := newKeyTable[uint32](0)
	want := map[uint32]uint32{}
	for i := range 200_000 {
		k := r.Uint32() % 150_000 // many keys set twice: the later value wins
		if i%1000 == 0 {
			k = 0
		}
		v := uint32(i + 1)
		tab.set(k, v)
		want[k] = v
	}
	if tab.n != len(want) {
		t.Fatalf("%d keys, want %d", tab.n, len(want))
	}
	for k, v := range want {
		if got := tab.find(k); got != v {
			t.Fatalf("find(%d) = %d, want %d", k, got, v)
		}
	}
	for range 10_000 {
		if k := 150_000 + r.Uint32()%1_000_000; tab.find(k) != 0 {
			t.Fatalf("find(%d) of a key never set", k)
		}
	}
	if len(tab.keys)*3 < tab.n*4 {
		t.Fatalf("table more than three quarters full: %d of %d", tab.n, len(tab.keys))
	}
}
