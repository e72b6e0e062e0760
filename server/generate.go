package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"consult/store/gen"
)

// importColumns are the import format's English header keys (the first nine are a
// stable contract), in the order generate writes them; status (triage done
// elsewhere) and publish_name (the commenter agreed to their name being published)
// are optional.
var importColumns = []string{"section", "body", "name", "identity", "organization", "phone", "email", "channel", "received_at", "status", "publish_name"}

// importTimeLayout is how generate writes received_at (Beijing time); import reads it
// and several others.
const importTimeLayout = "2006-01-02 15:04:05"

// The seed consultation's window, which generated comments fall in.
var (
	seedOpens  = time.Date(2022, 12, 21, 17, 24, 0, 0, beijing)
	seedCloses = time.Date(2023, 2, 7, 17, 0, 0, 0, beijing)
)

// generateCommand writes store/gen's realistic comments on the seed consultation to
// stdout as UTF-8 CSV in the import format: consult generate [-n N] [-seed S]. It
// needs no config and no database.
func generateCommand(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	n := fs.Int("n", 1000, "how many `N` comments")
	seed := fs.Uint64("seed", 1, "random `S`eed: the same seed gives the same comments")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New("usage: generate [-n N] [-seed S] > comments.csv")
	}
	if *n < 0 || *n > 100_000_000 {
		return errors.New("-n: want 0 to 100000000")
	}
	bw := bufio.NewWriterSize(stdout, 1<<20)
	w := csv.NewWriter(bw)
	if err := w.Write(importColumns); err != nil {
		return err
	}
	g := gen.New(gen.Options{Seed: *seed, N: *n, Opens: seedOpens, Closes: seedCloses})
	row := make([]string, len(importColumns))
	for {
		c, ok := g.Next()
		if !ok {
			break
		}
		received := c.CreatedAt
		if !c.ReceivedAt.IsZero() {
			received = c.ReceivedAt
		}
		row[0], row[1], row[2], row[3], row[4] = c.SectionAnchor, c.Body, c.Name, c.Identity, c.Organization
		row[5], row[6], row[7], row[8], row[9] = c.Phone, c.Email, c.Channel, received.In(beijing).Format(importTimeLayout), c.Status
		row[10] = ""
		if c.PublishName {
			row[10] = "1"
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	return bw.Flush()
}
