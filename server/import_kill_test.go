package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestImportBulkKilledAndRunAgain kills the real binary (SIGKILL) during a bulk import
// of 50,000 rows, once its first 20,000 have been committed: the comments committed stay, the
// next opening of the database builds the dropped indexes, and running the same import
// again adds exactly the rest.
func TestImportBulkKilledAndRunAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and imports 50,000 rows twice")
	}
	dir := t.TempDir()
	bin := buildConsult(t, dir)
	csvPath := importBenchCSV(t, dir, bin, 50_000)
	portalDir := filepath.Join(dir, "portal")
	if err := os.Mkdir(portalDir, 0o750); err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(testConfig, `path = "data/test.db"`, `path = "data/import.db"`, 1)
	cfg := writeTestConfig(t, portalDir, conf)
	st, _ := openTestStore(t, cfg)
	st.Close()
	cfgPath := filepath.Join(portalDir, "config.toml")

	cmd := exec.Command(bin, "-config", cfgPath, "import", "-consultation", seedSlug, csvPath)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var seen []string
	bulk := false
	timeout := time.After(2 * time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the import ended before it could be killed:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			bulk = bulk || strings.Contains(l, "bulk import of about")
			var n int
			if _, err := fmt.Sscanf(l, "import: %d rows stored or checked", &n); bulk && err == nil && n >= 20_000 && n < 50_000 {
				break wait // the first 20,000 (store.bulkCommitRows) are committed
			}
		case <-timeout:
			t.Fatalf("no progress in 2 minutes:\n%s", strings.Join(seen, "\n"))
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for range lines {
	}

	dbPath := filepath.Join(portalDir, "data", "import.db")
	count := func(q string) int {
		t.Helper()
		db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	stored := count(`SELECT COUNT(*) FROM comments`)
	dropped := count(`SELECT COUNT(*) FROM bulk_import_indexes`)
	if stored%20_000 != 0 || stored == 0 || stored == 50_000 || dropped == 0 {
		t.Fatalf("after the kill: %d comments stored, %d indexes recorded as dropped\n%s", stored, dropped, strings.Join(seen, "\n"))
	}

	out, err := exec.Command(bin, "-config", cfgPath, "import", "-consultation", seedSlug, csvPath).CombinedOutput()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	want := fmt.Sprintf("imported %d of 50000 rows into %s (csv, UTF-8); %d already imported, 0 rejected", 50_000-stored, seedSlug, stored)
	if !strings.Contains(string(out), want) {
		t.Fatalf("second run:\n%s\nwant %q", out, want)
	}
	if n := count(`SELECT COUNT(*) FROM comments`); n != 50_000 {
		t.Fatalf("%d comments after the second run", n)
	}
	if n := count(`SELECT COUNT(*) FROM bulk_import_indexes`); n != 0 {
		t.Fatalf("%d indexes still recorded as dropped", n)
	}
	if n := count(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('comments_band0', 'comments_norm', 'comments_consultation_created')`); n != 3 {
		t.Fatalf("%d of the dropped indexes are back", n)
	}
	if n, m := count(`SELECT COUNT(*) FROM comments`), count(`SELECT SUM(n) FROM section_counts`); n != m {
		t.Fatalf("section counts %d, comments %d", m, n)
	}
}
