package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// databaseAt creates a database file at the schema before migration version below
// (every embedded migration numbered lower, applied as Open applies them), so that a
// test can fill it as an old binary would and then Open it.
func databaseAt(t *testing.T, below int) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	entries, err := migrationFS.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		v, _ := strconv.Atoi(strings.SplitN(n, "_", 2)[0])
		if v >= below {
			break
		}
		body, _ := migrationFS.ReadFile("migrations/" + n)
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, v); err != nil {
			t.Fatal(err)
		}
	}
	return path, db
}

// TestMigrationNamesTheUniqueIndexes: migration 0073 rebuilds the comments table so
// that its UNIQUE constraints are named indexes (which a bulk import can drop). Every
// row and column value, every index and trigger (with the same definition) and every
// rule must survive: unique tracking numbers and submission keys, a replayed form
// landing on its comment, the references, the section counts and the search index.
func TestMigrationNamesTheUniqueIndexes(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAt(t, 73)
	mustExec := func(db *sql.DB, q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := time.Now().Unix()
	mustExec(db, `INSERT INTO consultations (id, slug, title, opens_at, closes_at, created_at, updated_at) VALUES (7, 'x', '标题', 1, ?, ?, ?)`, now+86400, now, now)
	mustExec(db, `INSERT INTO sections (id, consultation_id, position, kind, parent_id, ordinal, label, heading, sep, body, anchor) VALUES
		(41, 7, 0, 'article', NULL, 1, '(一)', '坚持简政放权', '。', '正文', 'article-1')`)
	mustExec(db, `INSERT INTO comments (id, consultation_id, section_id, section_anchor, tracking, submission_key, body, name,
		phone, email, consented_at, created_at, status, response, group_id, norm_hash, minhash, band0, band3, version, assigned_to)
		VALUES (5, 7, 41, 'article-1', 'T5', 'key-5', '第一条意见', '张三', '13800000000', 'z@example.cn', ?, ?, 'adopted', '采纳', 5,
		'abc', x'0102', 11, 33, 4, 'a1')`, now, now)
	mustExec(db, `INSERT INTO comments (id, consultation_id, section_anchor, tracking, body, consented_at, created_at, group_id, received_at, recorded_by)
		VALUES (9, 7, 'general', 'T9', '来信意见', ?, ?, 5, ?, 'officer')`, now, now, now-3600)
	mustExec(db, `INSERT INTO comments_fts (rowid, body) VALUES (5, '第一条意见' || char(1)), (9, '来信意见' || char(1))`)
	rowsBefore := allRows(t, db, `SELECT * FROM comments ORDER BY id`)
	defsBefore := definitions(t, db)
	countsBefore := allRows(t, db, `SELECT * FROM section_counts ORDER BY 1, 2, 3`)
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := allRows(t, s.r, `SELECT * FROM comments ORDER BY id`); !reflect.DeepEqual(got, rowsBefore) {
		t.Fatalf("rows after the rebuild:\n%v\nbefore:\n%v", got, rowsBefore)
	}
	if got := allRows(t, s.r, `SELECT * FROM section_counts ORDER BY 1, 2, 3`); !reflect.DeepEqual(got, countsBefore) {
		t.Fatalf("section counts after the rebuild %v, before %v", got, countsBefore)
	}
	defsAfter := definitions(t, s.r)
	for name, def := range defsBefore {
		if strings.HasPrefix(name, "sqlite_autoindex_comments_") {
			continue
		}
		if defsAfter[name] != def {
			t.Errorf("%s after the migration:\n%s\nbefore:\n%s", name, defsAfter[name], def)
		}
	}
	for _, name := range []string{"comments_tracking", "comments_submission_key"} {
		if !strings.HasPrefix(defsAfter[name], "CREATE UNIQUE INDEX") {
			t.Errorf("%s: %q", name, defsAfter[name])
		}
	}
	var autos int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE tbl_name = 'comments' AND name LIKE 'sqlite_autoindex%'`).Scan(&autos); err != nil || autos != 0 {
		t.Fatalf("%d autoindexes left on comments (%v)", autos, err)
	}

	// The rules hold as before.
	insert := func(id int, tracking string, key any, consultation int) error {
		_, err := s.w.Exec(`INSERT INTO comments (id, consultation_id, section_anchor, tracking, submission_key, body, consented_at, created_at)
			VALUES (?, ?, 'general', ?, ?, '另一条', 1, 1)`, id, consultation, tracking, key)
		return err
	}
	if err := insert(20, "T5", nil, 7); !isUnique(err) {
		t.Errorf("a taken tracking number: %v", err)
	}
	if err := insert(21, "T21", "key-5", 7); !isUnique(err) {
		t.Errorf("a taken submission key: %v", err)
	}
	if err := insert(22, "T22", nil, 7); err != nil {
		t.Errorf("a second comment without a submission key: %v", err)
	}
	if err := insert(23, "T23", nil, 9999); err == nil {
		t.Error("a comment on a missing consultation was accepted")
	}
	replay, created, err := s.CreateComment(ctx, &Comment{ConsultationID: 7, SectionAnchor: "general", Body: "重放的表单", SubmissionKey: "key-5", ConsentedAt: time.Now()})
	if err != nil || created || replay.ID != 5 {
		t.Fatalf("a replayed form: %+v created %v, %v", replay, created, err)
	}
	fresh, created, err := s.CreateComment(ctx, &Comment{ConsultationID: 7, SectionAnchor: "article-1", SectionID: 41, Body: "迁移之后的新意见", SubmissionKey: "key-new", ConsentedAt: time.Now()})
	if err != nil || !created {
		t.Fatalf("a new comment: %v %v", created, err)
	}
	var n int
	if err := s.r.QueryRow(`SELECT n FROM section_counts WHERE consultation_id = 7 AND section_anchor = 'article-1'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("article-1 count %d (%v), want 2", n, err)
	}
	mustExec(s.w, `UPDATE comments SET body = '来信意见,已更正' WHERE id = 9`)
	for q, want := range map[string][]int64{"迁移之后": {fresh.ID}, "已更正": {9}, "第一条": {5}} {
		var got []int64
		rows, err := s.r.Query(`SELECT rowid FROM comments_fts WHERE comments_fts MATCH ? ORDER BY rowid`, fmt.Sprintf("%q", q))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			got = append(got, id)
		}
		rows.Close()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("search %s: %v, want %v", q, got, want)
		}
	}
}

// allRows reads every row of a query as column name -> value.
func allRows(t *testing.T, db *sql.DB, q string) []map[string]any {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out
}

// definitions maps each index and trigger on any table to its SQL, with runs of white
// space folded.
func definitions(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT name, COALESCE(sql, '') FROM sqlite_schema WHERE type IN ('index', 'trigger')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		out[name] = strings.Join(strings.Fields(def), " ")
	}
	return out
}

// TestPlansUseTheirIndexes: without statistics, SQLite's planner chooses among the
// comments table's indexes by their shapes and number, so adding or removing one can
// turn a look-up into a scan of every comment. Session 10 tried making the index of
// normalised hashes partial: the export's group tallies then read all comments once per
// group (15 minutes on the million instead of under a second). These plans must keep
// their indexes, on a new database and after a bulk import has dropped and built again
// its indexes (which changes their order).
func TestPlansUseTheirIndexes(t *testing.T) {
	s, _ := openTest(t)
	checkPlans(t, s, "new database")
	ctx := context.Background()
	b, err := s.BeginBulkImport(ctx, createTestConsultation(t, s), 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	checkPlans(t, s, "after a bulk import")
}

func checkPlans(t *testing.T, s *Store, when string) {
	t.Helper()
	for _, tc := range []struct {
		name, query, index string
		args               []any
	}{
		{"export's group tallies", groupTalliesSQL("c.consultation_id = ?"), "USING INDEX comments_group (consultation_id=? AND group_id=?)", []any{1, 1}},
		{"identical copies", normLookupSQL, "USING INDEX comments_norm (consultation_id=? AND norm_hash=?", []any{1, "x", 0, 0}},
		{"band look-up", bandLookupSQL(2), "USING INDEX comments_band2 (consultation_id=? AND band2=?", []any{1, 7, 0, 0}},
	} {
		plan := queryPlan(t, s, tc.name, tc.query, tc.args...)
		if !strings.Contains(strings.Join(plan, "\n"), tc.index) {
			t.Errorf("%s, %s: plan\n%s\nlacks %q", when, tc.name, strings.Join(plan, "\n"), tc.index)
		}
	}
}
