package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// restoreBenchResult is what one replicate-then-restore round measured.
type restoreBenchResult struct {
	comments  int64
	dbBytes   int64
	replicate time.Duration // first full snapshot of the database to the replica
	restore   time.Duration // consult restore, end to end (Litestream restore + integrity_check + rename)
	integrity time.Duration // integrity_check alone on the restored file
	copy      time.Duration // ceiling: copying the database file on the same disk
	replica   int64         // bytes on the replica
}

// restoreBench copies the database at src into a fresh folder, replicates it to a file
// replica with the portal's own replicator (Litestream as a child process), then
// restores it with the restore command into another folder and checks it.
func restoreBench(tb testing.TB, src string) restoreBenchResult {
	tb.Helper()
	var res restoreBenchResult
	dir := tb.TempDir()
	lsBin := litestreamBin(tb)
	db := filepath.Join(dir, "data", "consult.db")
	if err := os.MkdirAll(filepath.Dir(db), 0o750); err != nil {
		tb.Fatal(err)
	}
	t0 := time.Now()
	if err := copyFile(src, db); err != nil {
		tb.Fatal(err)
	}
	res.copy = time.Since(t0)
	st, err := os.Stat(db)
	if err != nil {
		tb.Fatal(err)
	}
	res.dbBytes = st.Size()

	replica := filepath.Join(dir, "replica")
	conf := strings.Replace(testConfig, `path = "data/test.db"`, `path = "data/consult.db"`, 1) +
		fmt.Sprintf("[replication]\nurl = %q\nlitestream = %q\n", "file://"+replica, lsBin)
	cfg := writeTestConfig(tb, dir, conf)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep, err := newReplicator(cfg, logger)
	if err != nil {
		tb.Fatal(err)
	}
	t0 = time.Now()
	if err := rep.Start(); err != nil {
		tb.Fatal(err)
	}
	for {
		s := rep.Status()
		if !s.LastCheck.IsZero() && s.LocalTXID > 0 && s.ReplicatedTXID >= s.LocalTXID {
			break
		}
		if time.Since(t0) > 30*time.Minute {
			tb.Fatalf("replica not complete after 30 min: %+v", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.replicate = time.Since(t0)
	if err := rep.Stop(10 * time.Second); err != nil {
		tb.Fatal(err)
	}
	filepath.Walk(replica, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			res.replica += fi.Size()
		}
		return nil
	})

	// A fresh machine: only config.toml and the replica.
	cfg.Database.Path = filepath.Join(dir, "new", "consult.db")
	var out bytes.Buffer
	t0 = time.Now()
	if err := restoreCommand(context.Background(), cfg, nil, &out); err != nil {
		tb.Fatal(err)
	}
	res.restore = time.Since(t0)
	if !strings.Contains(out.String(), "integrity_check ok") {
		tb.Fatalf("restore output: %s", out.String())
	}
	rdb, err := sql.Open("sqlite3", "file:"+cfg.Database.Path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer rdb.Close()
	t0 = time.Now()
	var check string
	if err := rdb.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		tb.Fatalf("integrity_check: %q %v", check, err)
	}
	res.integrity = time.Since(t0)
	var want int64
	sdb, err := sql.Open("sqlite3", "file:"+src+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer sdb.Close()
	if err := sdb.QueryRow(`SELECT COUNT(*) FROM comments`).Scan(&want); err != nil {
		tb.Fatal(err)
	}
	if err := rdb.QueryRow(`SELECT COUNT(*) FROM comments`).Scan(&res.comments); err != nil {
		tb.Fatal(err)
	}
	if res.comments != want {
		tb.Fatalf("restored %d comments, source has %d", res.comments, want)
	}
	return res
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// BenchmarkRestore1M measures the time to restore the 1,000,000-comment benchmark
// database (bench/queue.txt; built and cached in the temp folder on first use) from a
// file replica, against copying the same file on the same disk:
//
//	go test -tags sqlite_fts5 -run '^$' -bench Restore1M -benchtime 1x -timeout 60m ./server/
func BenchmarkRestore1M(b *testing.B) {
	src := queueBenchDB(b, queueBenchN)
	for i := 0; i < b.N; i++ {
		r := restoreBench(b, src)
		b.ReportMetric(r.restore.Seconds(), "restore-s")
		b.ReportMetric(r.integrity.Seconds(), "integrity-check-s")
		b.ReportMetric(r.replicate.Seconds(), "first-replication-s")
		b.ReportMetric(r.copy.Seconds(), "copy-ceiling-s")
		b.ReportMetric(float64(r.dbBytes)/(1<<20), "db-MiB")
		b.ReportMetric(float64(r.replica)/(1<<20), "replica-MiB")
		b.ReportMetric(float64(r.comments), "comments")
		b.ReportMetric(loadAverage(), "load1")
		b.Logf("GOMAXPROCS %d: %+v", runtime.GOMAXPROCS(0), r)
	}
}

// TestRestoreBenchSetup runs the benchmark's code on 2,000 comments.
func TestRestoreBenchSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Litestream")
	}
	path := filepath.Join(t.TempDir(), "bench.db")
	queueBenchBuild(t, path, 2000, nil)
	r := restoreBench(t, path)
	if r.comments != 2000 || r.replica == 0 || r.restore <= 0 {
		t.Fatalf("%+v", r)
	}
}
