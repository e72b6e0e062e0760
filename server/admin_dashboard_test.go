package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"consult/store"
)

func init() {
	registerSample("admin_dashboard", func(t *testing.T, e *testEnv) any {
		d, err := e.app.loadDraft(context.Background(), seedSlug)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2023, 1, 10, 0, 0, 0, 0, beijing)
		st := &store.Stats{Total: 12, Distinct: 8, Triaged: 5,
			ByStatus:   map[string]int{"pending": 7, "adopted": 4, "oddity": 1},
			ByIdentity: map[string]int{"个人": 9, "": 2, "企业": 1},
			ByChannel:  map[string]int{"web": 11, "letter": 1},
			BySection:  map[string]int{"general": 2, "article-17": 9, "article-99": 1},
			ByDay:      []store.DayCount{{Day: day, Count: 5}, {Day: day.AddDate(0, 0, 1), Count: 7}},
			TopGroups: []store.GroupStat{{ID: 3, Size: 4, Excerpt: "<b>相同意见</b>", Status: "pending", SectionAnchor: "article-17"},
				{ID: 9, Size: 2, Excerpt: "另一组", Status: "oddity", SectionAnchor: "general"}}}
		v := newDashboardView(d, st, day, day.AddDate(0, 0, 2))
		v.Age = 12
		return v
	})
}

const dashLimits = "[limits]\ncomments_per_minute = 1000\ncaptchas_per_minute = 1000\n"

func dashPath() string { return "/admin/c/" + seedSlug + "/dashboard" }

func TestDashboardAccess(t *testing.T) {
	e := newTestEnv(t, "")
	status, _ := e.get(dashPath())
	if status != http.StatusSeeOther {
		t.Fatalf("anonymous: status %d", status)
	}
	resp, err := e.client.Get(e.srv.URL + dashPath())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/admin/login?next="+url.QueryEscape(dashPath()) {
		t.Errorf("anonymous redirected to %q", loc)
	}
	for _, role := range store.Roles {
		client := e.loginAs("u-"+role, role)
		status, page := e.getWith(client, dashPath())
		if role == store.RoleDepartment { // a unit sees only what is routed to it
			if status != http.StatusForbidden {
				t.Errorf("%s: status %d", role, status)
			}
			continue
		}
		if status != http.StatusOK || !strings.Contains(page, "<h1>意见统计</h1>") {
			t.Errorf("%s: status %d", role, status)
		}
		if role == store.RoleCommittee {
			if status, _ := e.getWith(client, "/admin/c/no-such-thing/dashboard"); status != http.StatusNotFound {
				t.Errorf("unknown consultation: status %d", status)
			}
		}
	}
}

// dashPost submits a public comment at the given Beijing time.
func (e *testEnv) dashPost(at time.Time, section, body, identity string) {
	e.t.Helper()
	e.app.now = func() time.Time { return at }
	f, _ := e.openForm(section)
	f.Set("body", body)
	f.Set("identity", identity)
	if identity != "个人" {
		f.Set("organization", "银川某"+identity)
	}
	if resp, page := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("comment: status %d\n%s", resp.StatusCode, page)
	}
}

// rowsOf reads a breakdown table into label → [count, share, link].
func rowsOf(t *testing.T, doc *html.Node, id string) map[string][3]string {
	t.Helper()
	table := byID(doc, id)
	if table == nil {
		t.Fatalf("no table #%s", id)
	}
	out := map[string][3]string{}
	for _, tr := range all(table, "tr") {
		th, tds := all(tr, "th"), all(tr, "td")
		if len(th) != 1 || len(tds) != 2 {
			continue
		}
		link := ""
		if a := all(th[0], "a"); len(a) == 1 {
			link = attr(a[0], "href")
		}
		out[strings.TrimSpace(text(th[0]))] = [3]string{text(tds[0]), text(tds[1]), link}
	}
	return out
}

// sameURL reports whether two URLs have the same path and query, in any order.
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Path == ub.Path && ua.Query().Encode() == ub.Query().Encode()
}

func TestDashboardNumbers(t *testing.T) {
	e := newOpenEnv(t, dashLimits)
	ctx := context.Background()
	campaign := "坚决支持加快建立现代产业体系,建议对新材料和数字经济企业给予用地、用能和人才方面的倾斜政策,尽快出台配套细则。"
	jan := func(day, h, m int) time.Time { return time.Date(2023, 1, day, h, m, 0, 0, beijing) }
	// A campaign: three copies, one with different spacing, all on article 17.
	e.dashPost(jan(10, 9, 0), "article-17", campaign, "个人")
	e.dashPost(jan(10, 10, 0), "article-17", " "+campaign+"\n", "个人")
	e.dashPost(jan(10, 23, 59), "article-17", campaign, "企业")
	// Single comments, one a minute after midnight (a new day in Beijing, still the
	// 11th in UTC).
	e.dashPost(jan(11, 8, 0), "general", "全文总体可行,建议补充实施时间表。", "企业")
	e.dashPost(jan(12, 0, 1), "chapter-2", "基本原则部分建议增加依法行政的内容。", "社会组织")

	// An officer records a letter, and decides the campaign as a whole.
	e.app.now = func() time.Time { return jan(12, 9, 0) }
	officer := e.loginAs("officer1", store.RoleOfficer)
	_, page := e.getWith(officer, "/admin/c/"+seedSlug+"/comments/new")
	resp, _ := e.postWith(officer, "/admin/c/"+seedSlug+"/comments/new", url.Values{"_csrf": {csrfFrom(t, page)},
		"channel": {"letter"}, "received_on": {"2023-01-12"}, "section": {"article-1"}, "body": {"来信:建议简政放权的具体清单向社会公开。"},
		"identity": {"政府部门"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("record letter: status %d", resp.StatusCode)
	}
	d, err := e.app.loadDraft(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := e.store.Queue(ctx, store.QueueFilter{ConsultationID: d.C.ID, Section: "article-17", Collapse: true, Limit: 10})
	if err != nil || len(rows) != 1 || rows[0].GroupSize != 3 {
		t.Fatalf("campaign not grouped: %v %+v", err, rows)
	}
	groupID := rows[0].ID
	if n, err := e.store.Decide(ctx, store.Actor{Username: "officer1"}, d.C.ID, groupID, store.Decision{Status: store.StatusExplained, Response: "已研究"}, true); err != nil || n != 3 {
		t.Fatalf("decide: %d %v", n, err)
	}

	committee := e.loginAs("member", store.RoleCommittee)
	status, page := e.getWith(committee, dashPath())
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	doc := parseHTML(t, page)
	for id, want := range map[string]string{"total": "6", "distinct": "4", "triaged": "3", "pending": "3", "share": "50%"} {
		if n := byID(doc, id); n == nil || strings.TrimSpace(text(n)) != want {
			got := "missing"
			if n != nil {
				got = text(n)
			}
			t.Errorf("#%s = %s, want %s", id, got, want)
		}
	}
	if p := byID(doc, "share-bar"); p == nil || attr(p, "value") != "3" || attr(p, "max") != "6" {
		t.Error("progress bar wrong or missing")
	}
	base := "/admin/c/" + seedSlug + "/comments?"
	checks := []struct {
		table, label, count, pct, link string
	}{
		{"by-status", "待处理", "3", "50%", base + "collapse=0&status=pending"},
		{"by-status", "已作说明", "3", "50%", base + "collapse=0&status=explained"},
		{"by-status", "采纳", "0", "0%", base + "collapse=0&status=adopted"},
		{"by-identity", "个人", "2", "33.3%", base + "collapse=0&identity=" + url.QueryEscape("个人")},
		{"by-identity", "企业", "2", "33.3%", base + "collapse=0&identity=" + url.QueryEscape("企业")},
		{"by-identity", "社会组织", "1", "16.7%", ""},
		{"by-identity", "政府部门", "1", "16.7%", ""},
		{"by-channel", "网站", "5", "83.3%", base + "collapse=0&channel=web"},
		{"by-channel", "信函", "1", "16.7%", base + "collapse=0&channel=letter"},
		{"by-channel", "电话", "0", "0%", ""},
		{"by-section", "(十七)加快建立现代产业体系", "3", "50%", base + "collapse=0&section=article-17"},
		{"by-section", "全文/总体意见", "1", "16.7%", base + "collapse=0&section=general"},
		{"by-section", "二、基本原则", "1", "16.7%", ""},
		{"by-section", "(一)坚持简政放权", "1", "16.7%", ""},
		{"by-section", "前言", "0", "0%", ""},
		{"by-day", "2023年1月10日", "3", "50%", base + "collapse=0&from=2023-01-10&to=2023-01-10"},
		{"by-day", "2023年1月11日", "1", "16.7%", ""},
		{"by-day", "2023年1月12日", "2", "33.3%", ""},
	}
	tables := map[string]map[string][3]string{}
	for _, c := range checks {
		if tables[c.table] == nil {
			tables[c.table] = rowsOf(t, doc, c.table)
		}
		got, ok := tables[c.table][c.label]
		if !ok {
			t.Errorf("%s: no row %q in %v", c.table, c.label, tables[c.table])
			continue
		}
		if got[0] != c.count || got[1] != c.pct || (c.link != "" && !sameURL(got[2], c.link)) {
			t.Errorf("%s %s = %q, want %s %s %s", c.table, c.label, got, c.count, c.pct, c.link)
		}
	}
	// Every section, in document order after the draft as a whole.
	secRows := all(byID(doc, "by-section"), "tr")[1:]
	if len(secRows) != len(d.Sections)+1 || !strings.Contains(text(secRows[0]), "全文/总体意见") ||
		!strings.Contains(text(secRows[1]), "前言") || !strings.Contains(text(secRows[len(secRows)-1]), "(二十三)强化督查落实") {
		t.Errorf("section rows: %d, want %d in document order", len(secRows), len(d.Sections)+1)
	}
	if len(tables["by-day"]) != 3 {
		t.Errorf("day rows %v", tables["by-day"])
	}

	// The largest duplicate group links to all its copies, and the link works.
	groups := byID(doc, "top-groups")
	if groups == nil {
		t.Fatal("no #top-groups")
	}
	grows := all(groups, "tr")[1:]
	if len(grows) != 1 {
		t.Fatalf("%d groups listed", len(grows))
	}
	cells := all(grows[0], "td")
	link := attr(all(grows[0], "a")[0], "href")
	if text(cells[0]) != "3" || !strings.HasPrefix(text(cells[1]), "坚决支持加快建立现代产业体系") ||
		text(cells[2]) != "(十七)加快建立现代产业体系" || text(cells[3]) != "已作说明" {
		t.Errorf("group row %q %q %q %q", text(cells[0]), text(cells[1]), text(cells[2]), text(cells[3]))
	}
	if want := "/admin/c/" + seedSlug + "/comments?group=" + itoa(int(groupID)) + "&collapse=0"; link != want {
		t.Errorf("group link %q, want %q", link, want)
	}
	_, queuePage := e.getWith(committee, link)
	if n := strings.Count(queuePage, `<tr data-href=`); n != 3 {
		t.Errorf("group link lists %d comments, want 3", n)
	}
	// The links back to the queue.
	for _, want := range []string{`href="/admin/c/` + seedSlug + `/comments"`, `href="/admin/c/` + seedSlug + `/comments?status=pending"`} {
		if !strings.Contains(page, want) {
			t.Errorf("no link %s", want)
		}
	}

	// The charts are inline SVG, self-contained and accessible.
	charts := map[string]int{"status-chart": len(store.Statuses), "identity-chart": len(identities),
		"section-chart": len(d.Sections) + 1, "day-chart": 23} // 21 December … 12 January
	for id, bars := range charts {
		div := byID(doc, id)
		if div == nil {
			t.Errorf("no #%s", id)
			continue
		}
		svgs := all(div, "svg")
		if len(svgs) != 1 {
			t.Errorf("#%s: %d svg elements", id, len(svgs))
			continue
		}
		svg := svgs[0]
		if attr(svg, "role") != "img" || attr(svg, "aria-label") == "" || len(all(svg, "title")) == 0 {
			t.Errorf("#%s: svg not accessible", id)
		}
		if n := len(all(svg, "rect")); n != bars {
			t.Errorf("#%s: %d bars, want %d", id, n, bars)
		}
		walk(svg, func(n *html.Node) bool {
			if n.Type == html.ElementNode {
				if n.Data == "script" || n.Data == "style" || n.Data == "image" || n.Data == "foreignObject" || n.Data == "use" {
					t.Errorf("#%s: <%s> in chart", id, n.Data)
				}
				for _, a := range n.Attr {
					v := strings.ToLower(a.Val)
					if a.Key == "href" || a.Key == "src" || a.Key == "style" || strings.HasPrefix(a.Key, "on") ||
						strings.Contains(v, "url(") || strings.Contains(v, "http") || strings.Contains(v, "javascript:") {
						t.Errorf("#%s: outside reference or script in %s=%q", id, a.Key, a.Val)
					}
				}
			}
			return true
		})
	}
	sec := byID(doc, "section-chart")
	var titles []string
	for _, r := range all(sec, "rect") {
		titles = append(titles, text(r))
	}
	if titles[0] != "全文/总体意见:1条" || !contains(titles, "(十七)加快建立现代产业体系:3条") {
		t.Errorf("section chart bars %q", titles[:3])
	}
	day := byID(doc, "day-chart")
	if l := attr(all(day, "svg")[0], "aria-label"); !strings.Contains(l, "2022年12月21日至2023年1月12日") || !strings.Contains(l, "合计 6条") {
		t.Errorf("day chart label %q", l)
	}
	var dayTitles []string
	for _, r := range all(day, "rect") {
		dayTitles = append(dayTitles, text(r))
	}
	if len(dayTitles) == 23 && (dayTitles[20] != "2023年1月10日:3条" || dayTitles[22] != "2023年1月12日:2条" || dayTitles[0] != "2022年12月21日:0条") {
		t.Errorf("day bars %q", dayTitles[19:])
	}
	// Nothing on the page needs an inline style (the CSP forbids them).
	walk(doc, func(n *html.Node) bool {
		if n.Type == html.ElementNode && (n.Data == "style" || attr(n, "style") != "") {
			t.Errorf("inline style on <%s>", n.Data)
		}
		return true
	})
}

func TestDashboardEmptyAndUpcoming(t *testing.T) {
	e := newTestEnv(t, "")
	// Before the window opens: nothing to count, no days to draw.
	e.app.now = func() time.Time { return time.Date(2022, 12, 1, 9, 0, 0, 0, beijing) }
	client := e.loginAs("member", store.RoleCommittee)
	status, page := e.getWith(client, dashPath())
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	doc := parseHTML(t, page)
	if got := text(byID(doc, "total")); got != "0" {
		t.Errorf("total %q", got)
	}
	if got := text(byID(doc, "share")); got != "0%" {
		t.Errorf("share %q", got)
	}
	if byID(doc, "share-bar") != nil {
		t.Error("progress bar for nothing")
	}
	if byID(doc, "no-groups") == nil {
		t.Error("no 'no groups' note")
	}
	if !strings.Contains(text(byID(doc, "day-chart")), "暂无数据") {
		t.Error("empty day chart not said")
	}
	if !strings.Contains(page, "还没有收到意见") {
		t.Error("empty day table not said")
	}
	// Three days into the window, still nothing: three empty days.
	e.app.now = func() time.Time { return time.Date(2022, 12, 23, 9, 0, 0, 0, beijing) }
	client = e.loginAs("member2", store.RoleCommittee) // the first session has expired meanwhile
	_, page = e.getWith(client, dashPath())
	if n := len(all(byID(parseHTML(t, page), "day-chart"), "rect")); n != 3 {
		t.Errorf("%d day bars, want 3", n)
	}
}

func TestDailySeries(t *testing.T) {
	opens := time.Date(2022, 12, 21, 17, 24, 0, 0, beijing)
	c := &store.Consultation{OpensAt: opens, ClosesAt: time.Date(2023, 2, 7, 17, 0, 0, 0, beijing)}
	utc8 := time.FixedZone("UTC+8", 8*3600)
	day := func(m time.Month, d int) time.Time { return time.Date(2023, m, d, 0, 0, 0, 0, utc8) }
	tests := []struct {
		name      string
		now       time.Time
		byDay     []store.DayCount
		wantLen   int
		wantFirst string
		wantSum   int
	}{
		{"upcoming", time.Date(2022, 12, 1, 0, 0, 0, 0, beijing), nil, 0, "2022-12-21", 0},
		{"first day", opens, nil, 1, "2022-12-21", 0},
		// Late at night in UTC is already the next day in Beijing.
		{"utc evening", time.Date(2022, 12, 22, 16, 30, 0, 0, time.UTC), nil, 3, "2022-12-21", 0},
		{"closed", time.Date(2023, 6, 1, 0, 0, 0, 0, beijing), []store.DayCount{{Day: day(1, 10), Count: 4}}, 49, "2022-12-21", 4},
		{"letter after the close", time.Date(2023, 6, 1, 0, 0, 0, 0, beijing), []store.DayCount{{Day: day(2, 20), Count: 1}}, 62, "2022-12-21", 1},
		{"comment before the window", time.Date(2022, 12, 22, 9, 0, 0, 0, beijing), []store.DayCount{{Day: time.Date(2022, 12, 19, 0, 0, 0, 0, utc8), Count: 2}}, 4, "2022-12-19", 2},
	}
	for _, tt := range tests {
		got, first := dailySeries(c, tt.byDay, tt.now)
		sum := 0
		for _, n := range got {
			sum += n
		}
		if len(got) != tt.wantLen || first.Format("2006-01-02") != tt.wantFirst || sum != tt.wantSum {
			t.Errorf("%s: %d days from %s, sum %d; want %d from %s, sum %d", tt.name, len(got), first.Format("2006-01-02"), sum, tt.wantLen, tt.wantFirst, tt.wantSum)
		}
	}
	got, first := dailySeries(c, []store.DayCount{{Day: day(1, 10), Count: 4}}, time.Date(2023, 6, 1, 0, 0, 0, 0, beijing))
	if i := daysBetween(first, day(1, 10).In(beijing)); got[i] != 4 {
		t.Errorf("count lands on day %d: %v", i, got)
	}
}

func TestPercent(t *testing.T) {
	for f, want := range map[float64]string{0: "0%", 1: "100%", 0.5: "50%", 7.0 / 9: "77.8%", 1.0 / 3: "33.3%", 0.0004: "0.1%", 0.9996: "99.9%", 0.00051: "0.1%", 0.123456: "12.3%"} {
		if got := percent(f); got != want {
			t.Errorf("percent(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestStatsCacheReusesOnlySlowCounts(t *testing.T) {
	var mu sync.Mutex
	clock := time.Unix(1000, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	c := &statsCache{slots: map[int64]*statsSlot{}, clock: now}
	counts := 0
	countTaking := func(d time.Duration) func() (*store.Stats, error) {
		return func() (*store.Stats, error) {
			counts++
			advance(d)
			return &store.Stats{Total: counts}, nil
		}
	}
	// A quick count is done afresh every time.
	for i := 1; i <= 3; i++ {
		e, err := c.get(1, countTaking(time.Millisecond), now)
		if err != nil || e.stats.Total != i {
			t.Fatalf("quick count %d: %v %+v", i, err, e.stats)
		}
	}
	// A slow one (2 s) is reused for 20 s, then counted again.
	counts = 0
	if e, _ := c.get(2, countTaking(2*time.Second), now); e.stats.Total != 1 {
		t.Fatal("first slow count")
	}
	advance(19 * time.Second)
	if e, _ := c.get(2, countTaking(2*time.Second), now); e.stats.Total != 1 {
		t.Errorf("slow count not reused: %d", e.stats.Total)
	}
	advance(2 * time.Second)
	if e, _ := c.get(2, countTaking(2*time.Second), now); e.stats.Total != 2 {
		t.Errorf("stale count reused: %d", e.stats.Total)
	}
	// Never longer than a minute, however slow.
	if e, _ := c.get(3, countTaking(time.Hour), now); e.stats.Total != 3 {
		t.Fatal("very slow count")
	}
	advance(statsMaxAge)
	if e, _ := c.get(3, countTaking(time.Millisecond), now); e.stats.Total != 4 {
		t.Errorf("count older than a minute reused: %d", e.stats.Total)
	}
	// Errors are not kept.
	boom := errors.New("boom")
	if _, err := c.get(4, func() (*store.Stats, error) { advance(time.Second); return nil, boom }, now); !errors.Is(err, boom) {
		t.Errorf("error lost: %v", err)
	}
	if e, err := c.get(4, countTaking(time.Millisecond), now); err != nil || e.stats == nil {
		t.Errorf("after an error: %v", err)
	}
	// Concurrent requests for one consultation share one slow count.
	counts = 0
	release := make(chan struct{})
	slow := func() (*store.Stats, error) {
		<-release
		counts++
		advance(time.Second)
		return &store.Stats{Total: counts}, nil
	}
	var wg sync.WaitGroup
	results := make([]int, 4)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e, err := c.get(5, slow, now)
			if err == nil {
				results[i] = e.stats.Total
			}
		}(i)
	}
	close(release)
	wg.Wait()
	for i, r := range results {
		if r != 1 {
			t.Errorf("request %d got count %d: counted more than once", i, r)
		}
	}
}
