package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"consult/content"
	"consult/store"
	"consult/store/gen"
)

// demoOpenSlug is the seed consultation, open for comment in the demo.
const demoOpenSlug = "yinchuan-etdz-reform-2022"

// demoClosedSlug is the closed copy of the seed consultation that the demo gives a
// published feedback report.
const demoClosedSlug = "yinchuan-etdz-reform-2022-closed"

// demoOpenComments and demoClosedComments size the demo: a few thousand comments,
// enough for every queue filter, chart and workbook sheet to have something to show.
const (
	demoOpenComments   = 2400
	demoClosedComments = 1200
)

// demoAccount is an account the demo creates and prints.
type demoAccount struct {
	Role, Username, Password string
	Unit                     string // a department account's unit (not printed)
}

// demoCommand runs `consult demo [-addr ADDR]`: the portal on a throwaway database in
// a temporary folder, with the seed consultation open now, generated comments, a
// closed copy with a published feedback report and one account per role, printed on
// standard output as `account ROLE USERNAME PASSWORD`. The folder is removed on exit
// (SIGINT, SIGTERM or a server error). It never reads config.toml or data/.
func demoCommand(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected argument %q (usage: demo [-addr ADDR])", fs.Arg(0))
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dir, err := os.MkdirTemp("", "consult-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer os.RemoveAll(dir)
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	cfg, err := demoConfig(dir, *addr, time.Now())
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Database.Path)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	accounts, err := fillDemo(ctx, st, cfg, logger)
	if err != nil {
		return err
	}
	logger.Info("demo data ready", "folder", dir, "took", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "demo folder %s (removed on exit)\n", dir)
	for _, acc := range accounts {
		fmt.Fprintf(stdout, "account %s %s %s\n", acc.Role, acc.Username, acc.Password)
	}
	fmt.Fprintf(stdout, "open %s/c/%s#article-17\n", cfg.Server.BaseURL, demoOpenSlug)
	fmt.Fprintf(stdout, "officers: %s/admin/login\n", cfg.Server.BaseURL)
	return serve(ctx, cfg, st, logger)
}

// demoConfig is the demo's configuration: the seed draft written into dir, open from
// a week ago until 30 days from now (Beijing time, 17:00), and the closed copy with
// the seed's real 2022–2023 window.
func demoConfig(dir, addr string, now time.Time) (*Config, error) {
	draftPath := filepath.Join(dir, "draft.txt")
	if err := os.WriteFile(draftPath, content.Seed, 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	today := now.In(beijing)
	y, m, d := today.Date()
	opens := time.Date(y, m, d-7, 9, 0, 0, 0, beijing)
	closes := time.Date(y, m, d+30, 17, 0, 0, 0, beijing)
	cfg := &Config{dir: dir, demo: true}
	cfg.Server.Addr = addr
	cfg.Database.Path = filepath.Join(dir, "consult.db")
	cfg.Consultations = []ConsultationConfig{
		{Slug: demoOpenSlug, Draft: draftPath, OpensAt: opens, ClosesAt: closes, WindowReason: "演示:征集期 30 天以上"},
		{Slug: demoClosedSlug, Draft: draftPath,
			OpensAt:  time.Date(2022, 12, 21, 17, 24, 0, 0, beijing),
			ClosesAt: time.Date(2023, 2, 7, 17, 0, 0, 0, beijing)},
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return cfg, nil
}

// fillDemo imports the consultations, creates the accounts and fills both
// consultations with generated comments and decisions; it publishes the closed
// copy's feedback report.
func fillDemo(ctx context.Context, st *store.Store, cfg *Config, logger *slog.Logger) ([]demoAccount, error) {
	if err := syncConsultations(ctx, st, cfg, logger); err != nil {
		return nil, err
	}
	accounts := []demoAccount{
		{Role: store.RoleAdmin, Username: "admin"},
		{Role: store.RoleOfficer, Username: "chensf"},
		{Role: store.RoleCommittee, Username: "weiyuan"},
		{Role: store.RoleDepartment, Username: "jingfa", Unit: demoUnit},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(accounts))
	for i := range accounts { // bcrypt is slow on purpose: hash them at once
		wg.Add(1)
		go func() {
			defer wg.Done()
			accounts[i].Password = randomPassword()
			h, err := hashPassword(accounts[i].Password)
			if err == nil {
				_, err = st.CreateUserInUnit(ctx, store.Actor{Username: "demo"}, accounts[i].Username, h, accounts[i].Role, accounts[i].Unit)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	officer := store.Actor{Username: "chensf"}

	open, err := st.ConsultationBySlug(ctx, demoOpenSlug)
	if err != nil {
		return nil, err
	}
	// The open consultation's comments arrived between its opening and now.
	if err := demoComments(ctx, st, officer, open, 1, demoOpenComments, open.OpensAt, time.Now().Add(-time.Minute), false); err != nil {
		return nil, err
	}
	if err := demoRouting(ctx, st, officer, open, time.Now()); err != nil {
		return nil, err
	}
	closed, err := st.ConsultationBySlug(ctx, demoClosedSlug)
	if err != nil {
		return nil, err
	}
	if err := demoComments(ctx, st, officer, closed, 2, demoClosedComments, closed.OpensAt, closed.ClosesAt, true); err != nil {
		return nil, err
	}
	if err := st.SaveFeedbackDraft(ctx, officer, closed.ID, demoSummary); err != nil {
		return nil, err
	}
	if _, err := st.PublishFeedback(ctx, officer, closed.ID, closed.ClosesAt.Add(21*24*time.Hour)); err != nil {
		return nil, err
	}
	return accounts, nil
}

// demoUnit is the unit of the demo's department account; demoRoutes says which
// articles' pending comments the officer has routed (交办) to which unit, and when the
// answer is due, in days from now (negative: overdue, so the dashboard's backlog has
// something late in it).
const demoUnit = "经济发展局"

var demoRoutes = []struct {
	anchor, unit string
	dueDays      int
}{
	{"article-3", demoUnit, 7}, {"article-9", demoUnit, 7}, {"article-17", demoUnit, 10},
	{"article-12", "财政局", -2}, {"article-20", "自然资源局", 5},
}

// demoRouting routes up to 12 pending comments of each article in demoRoutes to its
// unit, as the officer does from the queue, and has the demo's department propose an
// answer (拟处理意见) on a few of its own, which wait for the officer's review.
func demoRouting(ctx context.Context, st *store.Store, officer store.Actor, c *store.Consultation, now time.Time) error {
	proposals := 0
	for _, r := range demoRoutes {
		rows, _, err := st.Queue(ctx, store.QueueFilter{ConsultationID: c.ID, Section: r.anchor, Status: store.StatusPending, Limit: 12})
		if err != nil {
			return err
		}
		ids := make([]int64, len(rows))
		for i, row := range rows {
			ids[i] = row.ID
		}
		if len(ids) == 0 {
			continue
		}
		if _, err := st.Route(ctx, officer, c.ID, ids, r.unit, now.AddDate(0, 0, r.dueDays)); err != nil {
			return err
		}
		if r.unit != demoUnit {
			continue
		}
		for _, id := range ids[:min(2, len(ids))] {
			d := store.Decision{Status: store.StatusPartial, Response: "经研究,该意见部分可行,拟在修改稿中对相关表述作出调整。(演示数据)"}
			if proposals%2 == 1 {
				d = store.Decision{Status: store.StatusExplained, Response: "该事项已在相关配套文件中明确,本方案不再重复规定。(演示数据)"}
			}
			if err := st.ProposeAnswer(ctx, store.Actor{Username: "jingfa"}, c.ID, id, demoUnit, d, -1); err != nil {
				return err
			}
			proposals++
		}
	}
	return nil
}

const demoSummary = "本次征求意见期间,共收到社会各界意见建议。起草单位逐条研究,对合理可行的意见予以采纳或部分采纳," +
	"对暂不具备条件或与上位法规定不符的意见作出说明。以下按条款列出处理情况。(本报告为演示数据,由程序生成。)"

// demoComments inserts n generated comments through the real insert path (group
// commit, duplicate grouping, full-text index), then applies the generator's
// decisions as the officer would, in bulk by article and decision, with a response.
// With settled, almost every comment gets a decision (the window has closed).
func demoComments(ctx context.Context, st *store.Store, officer store.Actor, c *store.Consultation, seed uint64, n int, opens, closes time.Time, settled bool) error {
	secs, err := st.Sections(ctx, c.ID)
	if err != nil {
		return err
	}
	byAnchor := map[string]*store.Section{}
	for i := range secs {
		byAnchor[secs[i].Anchor] = &secs[i]
	}
	g := gen.New(gen.Options{Seed: seed, N: n, Opens: opens, Closes: closes})
	type planned struct {
		c      *store.Comment
		status string
	}
	var list []planned
	for {
		gc, ok := g.Next()
		if !ok {
			break
		}
		status := gc.Status
		if settled && status == store.StatusPending && gc.Seq%25 != 0 {
			status = []string{store.StatusExplained, store.StatusAdopted, store.StatusPartial, store.StatusRejected, store.StatusExplained}[gc.Seq%5]
		}
		cm := &store.Comment{ConsultationID: c.ID, SectionAnchor: gc.SectionAnchor, Body: gc.Body, Name: gc.Name,
			Identity: gc.Identity, Organization: gc.Organization, Phone: gc.Phone, Email: gc.Email,
			PublishName: gc.PublishName, ConsentedAt: gc.CreatedAt, Channel: gc.Channel,
			CreatedAt: gc.CreatedAt, ReceivedAt: gc.ReceivedAt, RecordedBy: gc.RecordedBy}
		if s := byAnchor[gc.SectionAnchor]; s != nil {
			cm.SectionID = s.ID
		}
		list = append(list, planned{cm, status})
	}
	// Concurrent callers share commits: a few thousand comments take a few dozen fsyncs.
	work := make(chan int)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				saved, _, err := st.CreateComment(ctx, list[i].c)
				if err != nil {
					select {
					case errc <- err:
					default:
					}
					continue
				}
				list[i].c = saved
			}
		}()
	}
	for i := range list {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	type key struct{ anchor, status string }
	batches := map[key][]int64{}
	for _, p := range list {
		if p.status != store.StatusPending {
			k := key{p.c.SectionAnchor, p.status}
			batches[k] = append(batches[k], p.c.ID)
		}
	}
	keys := make([]key, 0, len(batches))
	for k := range batches {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].anchor != keys[j].anchor {
			return keys[i].anchor < keys[j].anchor
		}
		return keys[i].status < keys[j].status
	})
	for _, k := range keys {
		label := "方案总体"
		if s := byAnchor[k.anchor]; s != nil {
			label = s.Label
		}
		d := store.Decision{Status: k.status, Response: demoResponse(k.status, label)}
		f := store.QueueFilter{ConsultationID: c.ID}
		if _, err := st.BulkDecide(ctx, officer, f, batches[k], d, -1); err != nil {
			return fmt.Errorf("demo: decide %s %s: %w", k.anchor, k.status, err)
		}
	}
	return nil
}

// demoResponse is the response an officer would write for a decision on a section.
func demoResponse(status, label string) string {
	switch status {
	case store.StatusAdopted:
		return "已采纳。" + label + "将按意见补充完善相关表述,并在实施细则中明确责任单位和完成时限。"
	case store.StatusPartial:
		return "部分采纳。" + label + "已吸收意见中关于加强服务保障的内容;涉及资金补贴比例的建议,将结合财力另行研究。"
	case store.StatusRejected:
		return "不予采纳。" + label + "所涉事项属于上级部门权限,经开区无权作出规定。"
	case store.StatusExplained:
		return "感谢您的意见。" + strings.TrimSpace(label) + "的相关内容将在配套政策中细化,具体办法另行公布。"
	}
	return "" // duplicate and invalid need no response
}
