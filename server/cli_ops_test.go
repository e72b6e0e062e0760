package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"consult/store"
)

func seedConsultation(t *testing.T, e *testEnv) *store.Consultation {
	t.Helper()
	c, err := e.store.ConsultationBySlug(context.Background(), seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addContactComment(t *testing.T, e *testEnv, cid int64, i int) *store.Comment {
	t.Helper()
	c, _, err := e.store.CreateComment(context.Background(), &store.Comment{ConsultationID: cid, SectionAnchor: "general",
		Body: fmt.Sprintf("第%d条意见:建议延长办理时限。", i), Name: fmt.Sprintf("李四%d", i), Organization: "某商会",
		Phone: fmt.Sprintf("1380000%04d", i), Email: fmt.Sprintf("li%d@example.com", i), PublishName: true, ConsentedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBackupCommandWhileServing(t *testing.T) {
	e := newTestEnv(t, "")
	ctx := context.Background()
	cid := seedConsultation(t, e).ID
	for i := 0; i < 20; i++ {
		addContactComment(t, e, cid, i)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: cid, SectionAnchor: "general",
					Body: fmt.Sprintf("并发写入%d-%d", w, i), ConsentedAt: time.Now()}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	dst := filepath.Join(t.TempDir(), "consult-backup.db")
	var out strings.Builder
	err := runCommand(ctx, e.app.cfg, e.store, []string{"backup", dst}, strings.NewReader(""), &out)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "backup written to "+dst) || !strings.Contains(out.String(), " bytes)") {
		t.Errorf("output %q does not name the file and its size", out.String())
	}

	db, err := sql.Open("sqlite3", "file:"+dst+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the backup: %q %v", check, err)
	}
	var n, grouped, sections int
	if err := db.QueryRow(`SELECT COUNT(*), (SELECT SUM(size) FROM dup_groups), (SELECT COUNT(*) FROM sections) FROM comments`).Scan(&n, &grouped, &sections); err != nil {
		t.Fatal(err)
	}
	if n < 20 || n != grouped || sections == 0 {
		t.Errorf("backup: %d comments, groups count %d, %d sections", n, grouped, sections)
	}

	// The server kept serving and still does.
	if code, _ := e.get("/c/" + seedSlug); code != http.StatusOK {
		t.Errorf("draft page after the backup: %d", code)
	}
	addContactComment(t, e, cid, 99)

	es, err := e.store.ListAudit(ctx, store.AuditFilter{Action: "backup"})
	if err != nil || len(es) != 1 || es[0].Target != "file:"+dst || es[0].Username != "command-line" {
		t.Errorf("backup audit entries %+v %v", es, err)
	}

	// Never over an existing file.
	out.Reset()
	err = runCommand(ctx, e.app.cfg, e.store, []string{"backup", dst}, nil, &out)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second backup to %s: %v", dst, err)
	}
	for _, args := range [][]string{{"backup"}, {"backup", "a.db", "b.db"}, {"backup", ""}} {
		if err := runCommand(ctx, e.app.cfg, e.store, args, nil, &out); err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%q: %v, want a usage message", args, err)
		}
	}
}

// demoConsultation is a second consultation whose window is still open.
const demoConsultation = `
[[consultation]]
slug = "demo"
draft = "draft.txt"
opens_at = 2022-12-21T17:24:00+08:00
closes_at = 2099-12-31T17:00:00+08:00
`

func TestRetentionCommand(t *testing.T) {
	e := newTestEnv(t, demoConsultation)
	ctx := context.Background()
	seed := seedConsultation(t, e)
	demo, err := e.store.ConsultationBySlug(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	var seedComments []*store.Comment
	for i := 0; i < 3; i++ {
		seedComments = append(seedComments, addContactComment(t, e, seed.ID, i))
	}
	demoComment := addContactComment(t, e, demo.ID, 10)
	decided := seedComments[0]
	if _, err := e.store.Decide(ctx, store.Actor{Username: "officer"}, seed.ID, decided.ID,
		store.Decision{Status: store.StatusAdopted, Response: "已采纳并修改第十七条"}, false); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var out strings.Builder
		if err := runCommand(ctx, e.app.cfg, e.store, append([]string{"retention"}, args...), nil, &out); err != nil {
			t.Fatalf("retention %q: %v", args, err)
		}
		return out.String()
	}
	get := func(c *store.Comment) *store.Comment {
		t.Helper()
		got, err := e.store.CommentByID(ctx, c.ConsultationID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	out := run("-dry-run")
	for _, want := range []string{"dry run: nothing is changed",
		seedSlug + ": closed 2023-02-07 17:00 +08:00, would clear phone and e-mail of 3 comments",
		"demo: closes 2099-12-31 17:00 +08:00, contact data kept until 2100-06-29 17:00 +08:00",
		"retention (180 days after closing): would clear 3 comments in 1 consultation(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	for _, c := range seedComments {
		if got := get(c); got.Phone != c.Phone || got.Email != c.Email {
			t.Errorf("dry run erased comment %d", c.ID)
		}
	}

	// A retention period not yet over keeps everything.
	out = run("-after", "36500")
	if !strings.Contains(out, seedSlug+": closed 2023-02-07 17:00 +08:00, contact data kept until 2123-") {
		t.Errorf("-after 36500 output:\n%s", out)
	}
	if got := get(seedComments[1]); got.Phone == "" {
		t.Error("-after 36500 erased contact data")
	}

	out = run()
	if !strings.Contains(out, seedSlug+": closed 2023-02-07 17:00 +08:00, cleared phone and e-mail of 3 comments") {
		t.Errorf("output:\n%s", out)
	}
	for _, c := range seedComments {
		got := get(c)
		if got.Phone != "" || got.Email != "" {
			t.Errorf("comment %d keeps %q %q", c.ID, got.Phone, got.Email)
		}
		if got.Body != c.Body || got.Name != c.Name || got.Organization != c.Organization || !got.PublishName || got.Tracking != c.Tracking {
			t.Errorf("comment %d changed beyond its contact data: %+v", c.ID, got)
		}
	}
	if got := get(decided); got.Status != store.StatusAdopted || got.Response != "已采纳并修改第十七条" || got.DecidedBy != "officer" {
		t.Errorf("decision lost: %+v", got)
	}
	if got := get(demoComment); got.Phone != demoComment.Phone || got.Email != demoComment.Email {
		t.Errorf("open consultation's contact data erased: %+v", got)
	}
	es, err := e.store.ListAudit(ctx, store.AuditFilter{Action: "retention"})
	if err != nil || len(es) != 1 || es[0].ConsultationID != seed.ID || !strings.Contains(es[0].AfterJSON, `"cleared":3`) ||
		!strings.Contains(es[0].AfterJSON, `"days":180`) {
		t.Fatalf("retention audit entries %+v %v", es, err)
	}
	// The commenter's receipt still shows the comment.
	if code, body := e.get("/c/" + seedSlug + "/receipt/" + seedComments[1].Tracking); code != http.StatusOK || !strings.Contains(body, seedComments[1].Body) {
		t.Errorf("receipt after retention: %d %s", code, excerpt(body, 300))
	}

	out = run()
	if !strings.Contains(out, "cleared phone and e-mail of 0 comments") {
		t.Errorf("second run output:\n%s", out)
	}
	if es, _ := e.store.ListAudit(ctx, store.AuditFilter{Action: "retention"}); len(es) != 1 {
		t.Errorf("second run added audit entries: %d", len(es))
	}

	for _, args := range [][]string{{"-after", "-1"}, {"-after", "x"}, {"-after", "99999"}, {"now"}} {
		var out strings.Builder
		if err := runCommand(ctx, e.app.cfg, e.store, append([]string{"retention"}, args...), nil, &out); err == nil {
			t.Errorf("retention %q accepted", args)
		}
	}
}
