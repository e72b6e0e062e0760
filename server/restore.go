package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"consult/store"
)

// refuseEmptyStart stops the portal from starting on an empty database when a replica
// is configured: a missing file then most likely means a lost disk, and starting empty
// would bury the replica's comments under a new history.
func refuseEmptyStart(cfg *Config, fresh bool, configPath string) error {
	if cfg.Replication == nil || fresh {
		return nil
	}
	if _, err := os.Stat(cfg.Database.Path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return fmt.Errorf("database %s does not exist, and [replication] is configured (%s).\n"+
		"Restore it from the replica first:\n    consult -config %s restore\n"+
		"or, to begin with an empty database on purpose, start with -fresh:\n    consult -config %s -fresh",
		cfg.Database.Path, cfg.Replication.URL, configPath, configPath)
}

// restoreCommand rebuilds the database from the replica:
//
//	consult -config FILE restore [-o PATH] [-timestamp RFC3339]
//
// Without -o it writes database.path, and refuses when that file exists. The restored
// copy passes SQLite's integrity_check before it is moved into place.
func restoreCommand(ctx context.Context, cfg *Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	out := fs.String("o", "", "write the restored database to `PATH` instead of database.path (must not exist)")
	ts := fs.String("timestamp", "", "restore the database as it was at this `TIME` (RFC 3339, e.g. 2026-11-26T09:30:00+08:00)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: restore [-o PATH] [-timestamp RFC3339]")
	}
	if cfg.Replication == nil {
		return errors.New("restore: config.toml has no [replication] table, so there is no replica to restore from (to restore a backup file, see README \"Backups\")")
	}
	var at time.Time
	if *ts != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, *ts); err != nil {
			return fmt.Errorf("-timestamp: want RFC 3339 such as 2026-11-26T09:30:00+08:00, got %q", *ts)
		}
	}
	target := cfg.Database.Path
	if *out != "" {
		target = *out
	}
	target, err := filepath.Abs(target)
	if err != nil {
		return err
	}
	for _, p := range []string{target, target + "-wal"} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("restore: %s already exists; restore never overwrites a database (move it away, or pass -o NEWPATH)", p)
		}
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	rep := cfg.Replication
	bin, err := rep.litestreamBinary()
	if err != nil {
		return err
	}
	env, err := rep.litestreamEnv()
	if err != nil {
		return err
	}
	dbPath, err := filepath.Abs(cfg.Database.Path)
	if err != nil {
		return err
	}
	t0 := time.Now()
	tmp := target + ".restoring"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		_ = os.Remove(p) // left over from an interrupted restore
	}
	yml, err := os.CreateTemp(filepath.Dir(target), ".restore-*.yml")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(yml.Name())
	if _, err := yml.Write(rep.litestreamYAML(dbPath, env)); err != nil {
		yml.Close()
		return fmt.Errorf("restore: %w", err)
	}
	if err := yml.Close(); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	largs := []string{"restore", "-config", yml.Name(), "-o", tmp}
	if !at.IsZero() {
		largs = append(largs, "-timestamp", at.UTC().Format(time.RFC3339Nano))
	}
	largs = append(largs, dbPath)
	cmd := exec.CommandContext(ctx, bin, largs...)
	cmd.Env = env
	outb, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.Remove(tmp)
		msg := strings.TrimSpace(string(outb))
		if strings.Contains(msg, "no matching backup files") {
			when := "any time"
			if !at.IsZero() {
				when = at.Format(time.RFC3339)
			}
			return fmt.Errorf("restore: the replica %s has nothing to restore for %s (is the URL right? is -timestamp within the retention of %s?)\n%s", rep.URL, when, rep.retention, msg)
		}
		return fmt.Errorf("restore: litestream restore failed: %v\n%s", err, msg)
	}
	info, err := checkRestored(ctx, tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := syncFile(filepath.Dir(target)); err != nil {
		return err
	}
	took := time.Since(t0)
	if err := auditRestore(ctx, target, rep.URL, at, info); err != nil {
		return fmt.Errorf("restored to %s, but: %w", target, err)
	}
	as := "the latest replicated state"
	if !at.IsZero() {
		as = "the state at " + at.Format(time.RFC3339)
	}
	newest := "none"
	if !info.newest.IsZero() {
		newest = info.newest.In(beijing).Format("2006-01-02 15:04:05 -07:00")
	}
	fmt.Fprintf(stdout, "restored %s from %s (%s) in %s: %d comments, newest %s; integrity_check ok\n",
		target, rep.URL, as, took.Round(time.Millisecond), info.comments, newest)
	return nil
}

type restoredInfo struct {
	comments int64
	newest   time.Time
}

// checkRestored runs integrity_check on the restored file and counts what it holds.
func checkRestored(ctx context.Context, path string) (restoredInfo, error) {
	var info restoredInfo
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		return info, fmt.Errorf("restore: open %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return info, fmt.Errorf("restore: integrity_check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return info, fmt.Errorf("restore: integrity_check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return info, fmt.Errorf("restore: integrity_check: %w", err)
	}
	if len(problems) > 0 {
		return info, fmt.Errorf("restore: the restored database fails integrity_check, so it was not moved into place: %s", strings.Join(problems, "; "))
	}
	var newest sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(created_at) FROM comments`).Scan(&info.comments, &newest); err != nil {
		return info, fmt.Errorf("restore: the restored file is not a consult database: %w", err)
	}
	if newest.Valid {
		info.newest = time.Unix(newest.Int64, 0)
	}
	return info, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("restore: sync %s: %w", path, err)
	}
	return nil
}

// auditRestore records the restore in the restored database's own audit log.
func auditRestore(ctx context.Context, path, from string, at time.Time, info restoredInfo) error {
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	after := map[string]any{"from": from, "comments": info.comments}
	if !at.IsZero() {
		after["timestamp"] = at.Format(time.RFC3339)
	}
	return st.Audit(ctx, cliActor, store.AuditEntry{Action: "restore", Target: "file:" + path, After: after})
}

// stopReplication flushes and stops Litestream, if replication is on.
func (a *app) stopReplication(logger *slog.Logger, timeout time.Duration) error {
	if a.replication == nil {
		return nil
	}
	if timeout < time.Second {
		timeout = time.Second
	}
	err := a.replication.Stop(timeout)
	if err != nil {
		logger.Error("replication stop", "err", err)
	}
	return err
}
