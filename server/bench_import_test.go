package main

// BenchmarkImport measures `consult import` of generated comments (`consult generate`)
// against its ceiling in the same run: a bare insert of the same rows, read from the
// same CSV file, into a table with the same columns and a trigram FTS5 index, with the
// portal's SQLite settings (WAL, synchronous=FULL, one writer), 2,000 rows per
// transaction, and nothing else (no validation, no duplicate groups, no other indexes).
// The import runs as the real binary in a child process, so its peak RSS is its own
// (rusage maxrss).
//
// Reproduce (see bench/import.txt):
//
//	CONSULT_IMPORT_N=1000000 go test -tags sqlite_fts5 -run '^$' -bench Import -benchtime 1x -timeout 0 ./server/
//
// TestImportBenchSetup runs both on 1,500 rows, so the benchmark cannot rot.

import (
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

type importBenchResult struct {
	rows              int
	bare, portal      time.Duration
	portalMaxRSSKB    int64
	portalAdded       int
	bareRowsPerSecond float64
}

// importBenchCSV writes n generated comments to dir/comments.csv with the real
// binary's `consult generate` (the stable contract: run where there is no config file).
func importBenchCSV(tb testing.TB, dir, bin string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, "comments.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(bin, "generate", "-n", strconv.Itoa(n), "-seed", "2023")
	cmd.Dir = dir // no config.toml here: generate needs none
	var errOut strings.Builder
	cmd.Stdout, cmd.Stderr = f, &errOut
	if err := cmd.Run(); err != nil {
		tb.Fatalf("consult generate: %v\n%s", err, errOut.String())
	}
	return path
}

// importBenchBare inserts the CSV's rows into a bare table with a trigram FTS5 index.
func importBenchBare(tb testing.TB, dir, csvPath string) (int, time.Duration) {
	tb.Helper()
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	q.Set("_busy_timeout", "10000")
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "bare.db")+"?"+q.Encode())
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		`CREATE TABLE comments (id INTEGER PRIMARY KEY, consultation_id INTEGER NOT NULL, section_anchor TEXT NOT NULL,
			body TEXT NOT NULL, name TEXT NOT NULL, identity TEXT NOT NULL, organization TEXT NOT NULL, phone TEXT NOT NULL,
			email TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL)`,
		`CREATE VIRTUAL TABLE comments_fts USING fts5(body, content = '', contentless_delete = 1, tokenize = 'trigram')`,
	} {
		if _, err := db.Exec(s); err != nil {
			tb.Fatal(err)
		}
	}
	start := time.Now()
	f, err := os.Open(csvPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	if _, err := r.Read(); err != nil { // header
		tb.Fatal(err)
	}
	n, id := 0, int64(0)
	var tx *sql.Tx
	var ins *sql.Stmt
	flush := func(first int64) {
		if _, err := tx.Exec(`INSERT INTO comments_fts (rowid, body) SELECT id, body || char(1) FROM comments WHERE id >= ?`, first); err != nil {
			tb.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
		tx = nil
	}
	first := int64(1)
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		if tx == nil {
			if tx, err = db.Begin(); err != nil {
				tb.Fatal(err)
			}
			if ins, err = tx.Prepare(`INSERT INTO comments (id, consultation_id, section_anchor, body, name, identity, organization,
				phone, email, channel, status, created_at) VALUES (?,1,?,?,?,?,?,?,?,?,?,?)`); err != nil {
				tb.Fatal(err)
			}
			first = id + 1
		}
		id++
		t, _ := time.ParseInLocation(importTimeLayout, rec[8], beijing)
		if _, err := ins.Exec(id, rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7], rec[9], t.Unix()); err != nil {
			tb.Fatal(err)
		}
		n++
		if n%importBatch == 0 {
			flush(first)
		}
	}
	if tx != nil {
		flush(first)
	}
	return n, time.Since(start)
}

// importBenchPortal runs the real binary's import of csvPath into a new database.
func importBenchPortal(tb testing.TB, dir, bin, csvPath string) (time.Duration, int64, string) {
	tb.Helper()
	conf := strings.Replace(testConfig, `path = "data/test.db"`, `path = "data/import.db"`, 1)
	cfg := writeTestConfig(tb, dir, conf)
	cfgPath := filepath.Join(dir, "config.toml")
	// The database and the consultation exist before the clock starts, as in use.
	st, _ := openTestStore(tb, cfg)
	st.Close()
	cmd := exec.Command(bin, "-config", cfgPath, "import", "-consultation", seedSlug, csvPath)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Run(); err != nil {
		tb.Fatalf("import: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	el := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !strings.Contains(errOut.String(), "import: done") {
		tb.Fatalf("no progress/done line on stderr: %q", errOut.String())
	}
	return el, ru.Maxrss, strings.TrimSpace(out.String())
}

func buildConsult(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "consult")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func runImportBench(tb testing.TB, n int) importBenchResult {
	tb.Helper()
	dir := tb.TempDir()
	bin := buildConsult(tb, dir)
	csvPath := importBenchCSV(tb, dir, bin, n)
	rows, bare := importBenchBare(tb, dir, csvPath)
	portalDir := filepath.Join(dir, "portal")
	if err := os.Mkdir(portalDir, 0o750); err != nil {
		tb.Fatal(err)
	}
	portal, rss, summary := importBenchPortal(tb, portalDir, bin, csvPath)
	want := fmt.Sprintf("imported %d of %d rows", rows, rows)
	if !strings.Contains(summary, want) {
		tb.Fatalf("import summary %q, want %q", summary, want)
	}
	return importBenchResult{rows: rows, bare: bare, portal: portal, portalMaxRSSKB: rss, portalAdded: rows,
		bareRowsPerSecond: float64(rows) / bare.Seconds()}
}

func TestImportBenchSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	r := runImportBench(t, 1500)
	if r.rows != 1500 {
		t.Fatalf("%d rows", r.rows)
	}
	t.Logf("bare %v, portal %v (%.2f×), portal max RSS %d MiB", r.bare, r.portal, r.portal.Seconds()/r.bare.Seconds(), r.portalMaxRSSKB>>10)
}

func BenchmarkImport(b *testing.B) {
	n := 100_000
	if v := os.Getenv("CONSULT_IMPORT_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		before := othersLoad()
		r := runImportBench(b, n)
		fmt.Fprintf(os.Stderr, "import bench: %d rows: bare insert %v (%.0f rows/s), portal import %v (%.0f rows/s), ratio %.2f×, portal max RSS %d MiB; load1 before %s, after %s\n",
			r.rows, r.bare.Round(time.Millisecond), r.bareRowsPerSecond, r.portal.Round(time.Millisecond),
			float64(r.rows)/r.portal.Seconds(), r.portal.Seconds()/r.bare.Seconds(), r.portalMaxRSSKB>>10, before, othersLoad())
		b.ReportMetric(r.portal.Seconds()/r.bare.Seconds(), "portal/bare")
		b.ReportMetric(float64(r.rows)/r.portal.Seconds(), "rows/s")
		b.ReportMetric(float64(r.portalMaxRSSKB>>10), "MiB-maxrss")
	}
}

// othersLoad is the 1-minute load average, to note how busy the shared machine was.
func othersLoad() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}
