package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"consult/store"
)

// reviseCommand publishes the text at PATH as the next revision of a consultation:
//
//	consult -config FILE revise -consultation SLUG [-opens RFC3339 -closes RFC3339 -reason TEXT] PATH
//
// With -opens and -closes the revision opens a new round of comment; -reason is the
// 修改说明 (and the reason for the window, required when it is under 30 days). It
// prints the comparison with the revision before before publishing.
func reviseCommand(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("revise", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	slug := fs.String("consultation", "", "the consultation's slug")
	opensS := fs.String("opens", "", "a second round opens (RFC 3339)")
	closesS := fs.String("closes", "", "and closes (RFC 3339)")
	reason := fs.String("reason", "", "修改说明, and why the window is as it is")
	usage := errors.New("usage: revise -consultation SLUG [-opens RFC3339 -closes RFC3339 -reason TEXT] PATH")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w (%v)", usage, err)
	}
	if *slug == "" || fs.NArg() != 1 {
		return usage
	}
	var nr store.NewRevision
	nr.Reason = strings.TrimSpace(*reason)
	if (*opensS == "") != (*closesS == "") {
		return errors.New("-opens and -closes: give both for a new round, or neither")
	}
	if *opensS != "" {
		var err error
		if nr.OpensAt, err = time.Parse(time.RFC3339, *opensS); err != nil {
			return fmt.Errorf("-opens: want RFC 3339 with an offset, e.g. 2023-04-01T09:00:00+08:00: %w", err)
		}
		if nr.ClosesAt, err = time.Parse(time.RFC3339, *closesS); err != nil {
			return fmt.Errorf("-closes: want RFC 3339 with an offset, e.g. 2023-05-01T17:00:00+08:00: %w", err)
		}
		if !nr.ClosesAt.After(nr.OpensAt) {
			return errors.New("-closes: the window must close after it opens")
		}
		if nr.ClosesAt.Sub(nr.OpensAt) < 30*24*time.Hour && nr.Reason == "" {
			return errors.New("-reason: a window under 30 days must be explained")
		}
	}
	path := fs.Arg(0)
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cs, err := st.ConsultationBySlug(ctx, *slug)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("-consultation: no consultation %q", *slug)
		}
		return err
	}
	d, secs, err := parseRevision(string(raw))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cur, err := st.Sections(ctx, cs.ID)
	if err != nil {
		return err
	}
	cmp := compareSections(cur, secs, nil, nil, nil)
	if cmp.Changed+cmp.Added+cmp.Deleted+cmp.Moved == 0 && d.Title == cs.Title {
		return fmt.Errorf("%s: the text is the same as the %s on show; nothing to publish", path, store.RevisionName(cs.DraftRevision))
	}
	nr.Draft, nr.Sections = d, secs
	n, err := st.PublishRevision(ctx, store.Actor{Username: "command-line"}, cs.ID, nr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: published revision %d (%s): %s\n", *slug, n, store.RevisionName(n), cmp.summary())
	for _, r := range cmp.Rows {
		if r.Type == "未修改" {
			continue
		}
		fmt.Fprintf(stdout, "  %s\t%s → %s\n", r.TypeLabel(), orDash(r.OldLabel()), orDash(r.NewLabel()))
	}
	if !nr.OpensAt.IsZero() {
		fmt.Fprintf(stdout, "  comments open %s to %s (Beijing time)\n", nr.OpensAt.In(beijing).Format("2006-01-02 15:04"), nr.ClosesAt.In(beijing).Format("2006-01-02 15:04"))
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
