package main

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"consult/server/chart"
	"consult/store"
)

func init() {
	funcs["thousands"] = chart.Number
}

func (a *app) dashboardRoutes(g *echo.Group) {
	g.GET("/c/:slug/dashboard", a.dashboard, a.requireRole(anyRole...))
}

// countRow is one line of a breakdown: what, how many, and the queue showing them.
type countRow struct {
	Label string
	N     int
	Pct   string // share of all comments, e.g. "12.5%"
	Href  string // the queue filtered to exactly these comments; "" when it cannot be
}

// countTable is a breakdown: its table's id suffix, its first column's heading, rows.
type countTable struct {
	ID   string
	Head string
	Rows []countRow
}

func (t *countTable) add(r countRow) { t.Rows = append(t.Rows, r) }

// groupRow is one of the largest duplicate groups.
type groupRow struct {
	store.GroupStat
	Section string // where its first comment is, in words
	Href    string
}

type dashboardView struct {
	D        *draftData
	S        *store.Stats
	At       time.Time // when the numbers were counted
	Age      int       // seconds since then, when a cached count is shown
	Share    string    // share triaged, e.g. "77.8%"
	Pending  int
	Queue    string // the queue, uncollapsed
	Status   countTable
	Identity countTable
	Channel  countTable
	Sections countTable
	Days     countTable // days with comments
	Groups   []groupRow

	StatusChart, IdentityChart, SectionChart, DayChart template.HTML
	Backlog                                            []store.UnitBacklog // each unit's routed comments (team.go)
}

// dashboard shows a consultation's numbers: totals, the share triaged, breakdowns by
// status, identity, channel, section and day, and the largest duplicate groups.
func (a *app) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := a.loadDraft(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	if d.Revised() {
		// One round at a time: an anchor names a different article in each revision,
		// so counts per article only make sense within one (server/revisions.go).
		rev, err := strconv.Atoi(c.QueryParam("rev"))
		if err != nil || rev < 1 || rev > d.C.DraftRevision {
			rev = d.C.DraftRevision
		}
		return a.revisionDashboard(c, d, rev)
	}
	e, err := a.statsCache().get(d.C.ID, func() (*store.Stats, error) { return a.store.Stats(ctx, d.C.ID) }, a.now)
	if err != nil {
		return err
	}
	v := newDashboardView(d, e.stats, e.shownAt, a.now())
	if age := int(time.Since(e.at) / time.Second); age > 0 {
		v.Age = age
	}
	if v.Backlog, err = a.store.Backlog(ctx, d.C.ID, a.now()); err != nil {
		return err
	}
	return a.render(c, http.StatusOK, "admin_dashboard", "意见统计", v)
}

// newDashboardView lays out the stats for the page; now bounds the daily chart (no
// future days).
func newDashboardView(d *draftData, st *store.Stats, at, now time.Time) dashboardView {
	base := "/admin/c/" + d.C.Slug + "/comments"
	queue := func(kv ...string) string {
		q := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		q.Set("collapse", "0") // counts are of every comment, copies included
		if d.Scope != 0 {
			q.Set("rev", strconv.Itoa(d.Scope))
		}
		return base + "?" + q.Encode()
	}
	pct := func(n int) string {
		if st.Total == 0 {
			return "0%"
		}
		return percent(float64(n) / float64(st.Total))
	}
	v := dashboardView{D: d, S: st, At: at, Share: percent(st.TriagedShare()), Pending: st.ByStatus[store.StatusPending], Queue: queue(),
		Status: countTable{ID: "status", Head: "处理状态"}, Identity: countTable{ID: "identity", Head: "身份"},
		Channel: countTable{ID: "channel", Head: "渠道"}, Sections: countTable{ID: "section", Head: "条款"}, Days: countTable{ID: "day", Head: "日期"}}

	// Statuses in the workspace's order, then any the list does not know.
	for _, s := range store.Statuses {
		v.Status.add(countRow{Label: store.StatusLabels[s], N: st.ByStatus[s], Pct: pct(st.ByStatus[s]), Href: queue("status", s)})
	}
	for _, s := range extraKeys(st.ByStatus, store.Statuses) {
		v.Status.add(countRow{Label: s, N: st.ByStatus[s], Pct: pct(st.ByStatus[s])})
	}
	for _, id := range identities {
		v.Identity.add(countRow{Label: id, N: st.ByIdentity[id], Pct: pct(st.ByIdentity[id]), Href: queue("identity", id)})
	}
	for _, id := range extraKeys(st.ByIdentity, identities) {
		label := id
		if id == "" {
			label = "未填写"
		}
		v.Identity.add(countRow{Label: label, N: st.ByIdentity[id], Pct: pct(st.ByIdentity[id])})
	}
	for _, ch := range store.Channels {
		v.Channel.add(countRow{Label: store.ChannelLabels[ch], N: st.ByChannel[ch], Pct: pct(st.ByChannel[ch]), Href: queue("channel", ch)})
	}
	for _, ch := range extraKeys(st.ByChannel, store.Channels) {
		v.Channel.add(countRow{Label: ch, N: st.ByChannel[ch], Pct: pct(st.ByChannel[ch])})
	}

	// Sections in document order, the draft as a whole first; comments on sections a
	// re-import removed come last.
	anchors := []string{"general"}
	for _, s := range d.Sections {
		anchors = append(anchors, s.Anchor)
	}
	anchors = append(anchors, extraKeys(st.BySection, anchors)...)
	for _, an := range anchors {
		r := countRow{Label: targetName(d, an), N: st.BySection[an], Pct: pct(st.BySection[an])}
		if an == "general" || d.Section(an) != nil {
			r.Href = queue("section", an)
		}
		v.Sections.add(r)
	}

	// Every day from the window's opening (or the first comment, if earlier) to today
	// or the close (or the last comment, if later).
	days, first := dailySeries(d.C, st.ByDay, now)
	for i, n := range days {
		if n == 0 {
			continue
		}
		day := first.AddDate(0, 0, i).Format("2006-01-02")
		v.Days.add(countRow{Label: first.AddDate(0, 0, i).Format("2006年1月2日"), N: n, Pct: pct(n), Href: queue("from", day, "to", day)})
	}

	for _, g := range st.TopGroups {
		v.Groups = append(v.Groups, groupRow{GroupStat: g, Section: targetName(d, g.SectionAnchor),
			Href: fmt.Sprintf("%s?group=%d&collapse=0", base, g.ID)})
	}

	labels := func(t countTable) ([]string, []int) {
		ls, ns := make([]string, len(t.Rows)), make([]int, len(t.Rows))
		for i, r := range t.Rows {
			ls[i], ns[i] = r.Label, r.N
		}
		return ls, ns
	}
	ls, ns := labels(v.Status)
	v.StatusChart = chart.Bars("各处理状态的意见数", ls, ns, chart.Horizontal(), chart.Unit("条"))
	ls, ns = labels(v.Identity)
	v.IdentityChart = chart.Bars("各类身份提交的意见数", ls, ns, chart.Horizontal(), chart.Unit("条"))
	ls, ns = labels(v.Sections)
	v.SectionChart = chart.Bars("各条款收到的意见数(按文件顺序)", ls, ns, chart.Horizontal(), chart.Unit("条"))
	v.DayChart = chart.Daily("每日收到的意见数(北京时间)", first, days, chart.Unit("条"))
	return v
}

// targetName is how the dashboard names a comment's target.
func targetName(d *draftData, anchor string) string {
	if anchor == "general" {
		return "全文/总体意见"
	}
	s := d.Section(anchor)
	switch {
	case s == nil:
		return "已删除的条款(" + anchor + ")"
	case s.Kind == "preamble":
		return "前言"
	default:
		return s.Label + s.Heading
	}
}

// maxDashboardDays bounds the daily series (ten years).
const maxDashboardDays = 3660

// dailySeries returns one count per Beijing day and the first day, covering the
// comment window up to today (not beyond its close) and every day with comments.
func dailySeries(c *store.Consultation, byDay []store.DayCount, now time.Time) ([]int, time.Time) {
	day := func(t time.Time) time.Time {
		t = t.In(beijing)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, beijing)
	}
	first, last := day(c.OpensAt), day(c.ClosesAt)
	if today := day(now); today.Before(last) {
		last = today
	}
	counts := map[time.Time]int{}
	for _, dc := range byDay {
		dd := day(dc.Day)
		counts[dd] += dc.Count
		if dd.Before(first) {
			first = dd
		}
		if dd.After(last) {
			last = dd
		}
	}
	if last.Before(first) { // the window has not opened yet
		return nil, first
	}
	if n := daysBetween(first, last); n >= maxDashboardDays {
		first = last.AddDate(0, 0, -(maxDashboardDays - 1))
	}
	var out []int
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		out = append(out, counts[d])
	}
	return out, first
}

func daysBetween(a, b time.Time) int {
	return int(time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC).Sub(time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// extraKeys returns the keys of m that are not in known, sorted.
func extraKeys(m map[string]int, known []string) []string {
	var out []string
	for k := range m {
		if !contains(known, k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// percent writes a share in [0, 1] with one decimal: 0.7778 → "77.8%". Only none is
// "0%" and only all is "100%": 0.9996 is "99.9%", 0.0004 "0.1%".
func percent(f float64) string {
	p := math.Round(f * 1000)
	switch {
	case p >= 1000 && f < 1:
		p = 999
	case p <= 0 && f > 0:
		p = 1
	}
	s := fmt.Sprintf("%.1f", p/10)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + "%"
}

// statsCache keeps each consultation's last count. Counting a consultation of
// 1,000,000 comments takes seconds, so a slow count is reused for a while (ten times
// as long as it took, at most a minute) rather than redone for every officer who
// opens the dashboard; a quick one is never reused. Concurrent requests for one
// consultation wait for a single count.
type statsCache struct {
	mu    sync.Mutex
	slots map[int64]*statsSlot
	clock func() time.Time // real time: measures how long counting takes
}

type statsSlot struct {
	mu sync.Mutex // held while counting
	statsEntry
	ttl time.Duration
}

type statsEntry struct {
	stats   *store.Stats
	at      time.Time // by the cache's clock
	shownAt time.Time // by the app's clock, for the page
}

// Counts quicker than statsSlow are not cached; slower ones for statsReuse times as
// long as they took, up to statsMaxAge.
const (
	statsSlow   = 250 * time.Millisecond
	statsReuse  = 10
	statsMaxAge = time.Minute
)

// dashCaches holds one statsCache per app (tests run several apps at once).
var dashCaches sync.Map

func (a *app) statsCache() *statsCache {
	if c, ok := dashCaches.Load(a); ok {
		return c.(*statsCache)
	}
	c, _ := dashCaches.LoadOrStore(a, &statsCache{slots: map[int64]*statsSlot{}, clock: time.Now})
	return c.(*statsCache)
}

// get returns a fresh enough count of the consultation, counting with count if needed.
func (c *statsCache) get(id int64, count func() (*store.Stats, error), appNow func() time.Time) (statsEntry, error) {
	c.mu.Lock()
	slot := c.slots[id]
	if slot == nil {
		slot = &statsSlot{}
		c.slots[id] = slot
	}
	c.mu.Unlock()
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.stats != nil && c.clock().Sub(slot.at) < slot.ttl {
		return slot.statsEntry, nil
	}
	start := c.clock()
	shown := appNow()
	st, err := count()
	if err != nil {
		return statsEntry{}, err
	}
	end := c.clock()
	took := end.Sub(start)
	slot.statsEntry = statsEntry{stats: st, at: end, shownAt: shown}
	slot.ttl = 0
	if took >= statsSlow {
		slot.ttl = min(statsReuse*took, statsMaxAge)
	}
	return slot.statsEntry, nil
}
