package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"consult/store"
)

// axeSource is axe-core, read from testdata/axe-core (see its README for the version
// and licence). It is injected into each page through the DevTools protocol, which
// the page's Content-Security-Policy does not govern, so the portal's CSP stays as
// strict as in production.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/axe-core/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// axeViolation is what axe-core reports for one rule.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // CSS selectors of the first failing elements
	Count  int      `json:"count"`
}

// axeAllJS runs axe-core's WCAG 2.0 and 2.1 level A and AA rules on the document.
const axeAllJS = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})`

// axeStyleJS runs the WCAG 2.1 A/AA rules whose outcome depends on colours and font
// size, the only things a reading control changes (it sets classes on <html>; the
// markup stays the same): contrast, links told apart from text, and regions that
// start to scroll when the text grows.
const axeStyleJS = `axe.run(document, {runOnly: {type: 'rule', values: ['color-contrast', 'link-in-text-block', 'scrollable-region-focusable']}, resultTypes: ['violations']})`

// axeReportJS turns axe's result into axeViolations.
const axeReportJS = `.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help,
		nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')), count: v.nodes.length}))))`

// runAxe injects axe-core (once per document), runs it and returns the violations.
func runAxe(t *testing.T, ctx context.Context, src, run string) []axeViolation {
	t.Helper()
	if !browserEval[bool](t, ctx, `typeof axe !== 'undefined'`) {
		browserEval[bool](t, ctx, src+";true")
	}
	out := browserEval[string](t, ctx, run+axeReportJS)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatal(err)
	}
	return vs
}

// readingSteps are the reading controls in the order a reader might try them; the
// last one resets everything.
var readingSteps = []struct{ pref, value string }{
	{"size", "l"}, {"size", "s"}, {"color", "red"}, {"color", "yellow"}, {"color", "blue"}, {"color", "green"},
	{"eye", "1"}, {"eye", "0"}, {"reset", ""},
}

// axeEnv is a portal with something on every page: comments with decisions, a
// published report on the seed (closed) and an open consultation without one.
func axeEnv(t *testing.T) (*testEnv, map[string]string) {
	t.Helper()
	now := time.Now()
	e := newTestEnv(t, fmt.Sprintf("\n[[consultation]]\nslug = \"open\"\ndraft = \"draft.txt\"\nopens_at = %s\ncloses_at = %s\nwindow_reason = \"测试\"\n",
		now.Add(-48*time.Hour).Format(time.RFC3339), now.Add(30*24*time.Hour).Format(time.RFC3339)))
	ctx := context.Background()
	seed, err := e.store.ConsultationBySlug(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	officer := store.Actor{Username: "chensf"}
	if err := demoComments(ctx, e.store, officer, seed, 3, 60, seed.OpensAt, seed.ClosesAt, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.PublishFeedback(ctx, officer, seed.ID, seed.ClosesAt.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	open, err := e.store.ConsultationBySlug(ctx, "open")
	if err != nil {
		t.Fatal(err)
	}
	if err := demoComments(ctx, e.store, officer, open, 4, 30, open.OpensAt, now.Add(-time.Minute), false); err != nil {
		t.Fatal(err)
	}
	e.app.gen.Add(1)
	rows, _, err := e.store.Queue(ctx, store.QueueFilter{ConsultationID: seed.ID, Limit: 1})
	if err != nil || len(rows) == 0 {
		t.Fatalf("no comment to open: %v", err)
	}
	e.newUser("axe", store.RoleAdmin)
	return e, map[string]string{"tracking": rows[0].Tracking, "id": fmt.Sprint(rows[0].ID)}
}

// TestBrowserAccessibilityEveryPage runs axe-core's WCAG 2.1 A and AA rules on every
// page, public and officer, at 390 px and 1280 px wide, and again after reading
// controls are used (clicked, as a reader does), with the rules that depend on colour
// and size (axeStyleJS):
//   - the pages people read and work in (home, draft, report, comment form, receipt,
//     tracking, the pending report, the queue, a comment, the dashboard) after each of
//     the nine controls in turn at 390 px, and in the hardest combination (large text,
//     a text colour, eye-care background) at 1280 px;
//   - every other page in that hardest combination at both widths.
//
// (Each control at every page and width would take over ten minutes on the CI
// machine; TestBrowserContrastEveryCombination checks every combination's contrast on
// the draft and home pages.)
func TestBrowserAccessibilityEveryPage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs axe-core in Chromium on every page")
	}
	t.Parallel() // the slowest test: let it run beside the other child-process tests
	e, ids := axeEnv(t)
	src := axeSource(t)
	s := "/c/" + seedSlug
	type page struct {
		path string
		read bool // a page people read and work in: every control in turn at 390 px
	}
	public := []page{{"/", true}, {s, true}, {s + "/feedback", true}, {"/c/open", true}, {"/c/open/comment?section=article-17", true},
		{"/c/open/feedback", true}, {"/track", false}, {"/track?no=" + ids["tracking"], true}, {s + "/receipt/" + ids["tracking"], true},
		{"/no-such-page", false}, {"/admin/login", false}}
	officer := []page{{"/admin", false}, {s + "/comments?section=article-17", true}, {s + "/comments/" + ids["id"], true},
		{s + "/comments/new", false}, {s + "/dashboard", true}, {s + "/window", false}, {s + "/feedback", false},
		{s + "/feedback/preview", false}, {"/admin/users", false}, {"/admin/audit", false}, {"/admin/consultations/new", false},
		{"/admin/password", false}, {"/admin/c/open/dashboard", false}}
	hardest := readingSteps[:0:0]
	hardest = append(hardest, readingSteps[0], readingSteps[5], readingSteps[6]) // size=l, color=green, eye=1
	for _, width := range []int{390, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			t.Parallel() // one Chromium per width
			ctx := newBrowserFor(t, width, 900, 15*time.Minute)
			check := func(pg page) {
				t.Helper()
				start := time.Now()
				browserDo(t, ctx, "load "+pg.path, chromedp.Navigate("about:blank"), chromedp.Navigate(e.srv.URL+pg.path))
				report := func(state, run string) {
					t.Helper()
					for _, v := range runAxe(t, ctx, src, run) {
						t.Errorf("%d px %s (%s): %s [%s] %s on %d elements, e.g. %s",
							width, pg.path, state, v.ID, v.Impact, v.Help, v.Count, strings.Join(v.Nodes, " | "))
					}
				}
				click := func(st struct{ pref, value string }) {
					sel := fmt.Sprintf(`a[data-pref="%s"][data-value="%s"]`, st.pref, st.value)
					browserDo(t, ctx, "reading control "+sel, chromedp.Click(chromedp.CSS(sel)))
				}
				report("default reading settings", axeAllJS)
				if pg.read && width == 390 {
					for _, st := range readingSteps {
						click(st)
						report("after "+st.pref+"="+st.value, axeStyleJS)
					}
				} else {
					for _, st := range hardest {
						click(st)
					}
					report("large text, green, eye-care", axeStyleJS)
					click(readingSteps[len(readingSteps)-1]) // reset, for the next page
				}
				t.Logf("%d px %s: %v", width, pg.path, time.Since(start).Round(time.Millisecond))
			}
			for _, p := range public {
				check(p)
			}
			browserDo(t, ctx, "log in", chromedp.Navigate(e.srv.URL+"/admin/login"),
				chromedp.WaitVisible(chromedp.CSS("#username")),
				chromedp.SendKeys(chromedp.CSS("#username"), "axe"),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
			browserWait(t, ctx, `location.pathname === '/admin' && document.readyState === 'complete'`)
			for _, p := range officer {
				check(p)
			}
		})
	}
}
