package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"consult/store"
)

// cliActor is who the audit log names for command-line operations.
var cliActor = store.Actor{Username: "command-line"}

// defaultRetentionDays is how long after a consultation closes its commenters' phone
// numbers and e-mail addresses are kept (for follow-up questions while the feedback
// report is written).
const defaultRetentionDays = 180

// backupCommand writes a consistent copy of the live database to PATH while the server
// keeps running: consult -config FILE backup PATH.
func backupCommand(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) == "" {
		return errors.New("usage: backup PATH (PATH must not exist yet)")
	}
	path, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	size, err := st.Backup(ctx, path)
	if errors.Is(err, store.ErrBackupExists) {
		return fmt.Errorf("backup: %s already exists; backups never overwrite a file, choose a new name", path)
	}
	if err != nil {
		return err
	}
	// The copy holds every commenter's personal data: record that it was made.
	if err := st.Audit(ctx, cliActor, store.AuditEntry{Action: "backup", Target: "file:" + path,
		After: map[string]any{"bytes": size}}); err != nil {
		return fmt.Errorf("backup written to %s, but the audit entry failed: %w", path, err)
	}
	fmt.Fprintf(stdout, "backup written to %s (%s, %d bytes)\n", path, humanBytes(size), size)
	return nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// retentionCommand erases commenters' phone numbers and e-mail addresses DAYS after a
// consultation closed: consult -config FILE retention [-after DAYS] [-dry-run].
func retentionCommand(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	days := fs.Int("after", defaultRetentionDays, "erase contact data this many `DAYS` after a consultation closed")
	dry := fs.Bool("dry-run", false, "only count what would be erased")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: retention [-after DAYS] [-dry-run]")
	}
	if *days < 0 || *days > 100*366 {
		return errors.New("-after: want a number of days from 0 to 36600")
	}
	now := time.Now()
	rows, err := st.EraseContacts(ctx, cliActor, now, time.Duration(*days)*24*time.Hour, *dry)
	if err != nil {
		return err
	}
	verb := "cleared"
	if *dry {
		verb = "would clear"
		fmt.Fprintln(stdout, "dry run: nothing is changed")
	}
	const layout = "2006-01-02 15:04 -07:00"
	total, due := 0, 0
	for _, r := range rows {
		closed := r.ClosedAt.In(beijing).Format(layout)
		until := r.DueAt.In(beijing).Format(layout)
		if !r.Due {
			tense := "closed"
			if r.ClosedAt.After(now) {
				tense = "closes"
			}
			fmt.Fprintf(stdout, "%s: %s %s, contact data kept until %s\n", r.Slug, tense, closed, until)
			continue
		}
		due++
		total += r.Cleared
		fmt.Fprintf(stdout, "%s: closed %s, %s phone and e-mail of %d comments\n", r.Slug, closed, verb, r.Cleared)
	}
	fmt.Fprintf(stdout, "retention (%d days after closing): %s %d comments in %d consultation(s); names, comments, decisions and responses are kept\n",
		*days, verb, total, due)
	return nil
}
