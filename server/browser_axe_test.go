package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
// published report and a 修改稿 on the seed (closed), and an open consultation without
// a report.
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
	// The 修改稿, so that the comparison page and the first revision's page exist.
	if _, err := e.revise("-consultation", seedSlug); err != nil {
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

// axePage is a page to check: a path to open and, for a page that is the answer to a
// form, what to do there first (fill in and send the form, as a person does).
type axePage struct {
	path  string
	reach func(t *testing.T, ctx context.Context)
}

// submitForm sets the named fields of the form (by element id) and clicks its button,
// then waits until the browser is on a page whose path ends with want.
func submitForm(fields map[string]string, button, want string) func(t *testing.T, ctx context.Context) {
	return func(t *testing.T, ctx context.Context) {
		t.Helper()
		for id, v := range fields {
			js, _ := json.Marshal(v)
			browserEval[bool](t, ctx, fmt.Sprintf(`(document.getElementById(%q).value = %s, true)`, id, js))
		}
		browserEval[bool](t, ctx, fmt.Sprintf(`(window.__axeLeft = true, document.querySelector(%q).click(), true)`, button))
		if want == "" { // answered in the page (the form's own checks): give it a moment
			time.Sleep(300 * time.Millisecond)
			return
		}
		browserWait(t, ctx, fmt.Sprintf(`window.__axeLeft === undefined && location.pathname.endsWith(%q) && document.readyState === 'complete'`, want))
	}
}

// TestBrowserAccessibilityEveryPage runs axe-core's WCAG 2.1 A and AA rules on every
// page, public and officer (including the pages that answer a form: the comment form
// with its errors, the previews of a new consultation and of a revision), at 390 px and
// 1280 px wide; then it clicks each of the nine reading controls in turn, as a reader
// does, and after each click runs again the rules whose outcome depends on colour and
// size (axeStyleJS; the controls set classes on <html> and leave the markup alone).
// TestBrowserContrastEveryCombination checks every combination's contrast on the
// draft and home pages.
func TestBrowserAccessibilityEveryPage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs axe-core in Chromium on every page")
	}
	t.Parallel() // the slowest test: let it run beside the other child-process tests
	e, ids := axeEnv(t)
	src := axeSource(t)
	s, a := "/c/"+seedSlug, "/admin/c/"+seedSlug
	rev2, err := os.ReadFile(revisedDraft)
	if err != nil {
		t.Fatal(err)
	}
	seedText, err := os.ReadFile(seedDraft)
	if err != nil {
		t.Fatal(err)
	}
	at := func(p string) axePage { return axePage{path: p} }
	public := []axePage{at("/"), at(s), at(s + "?rev=1"), at(s + "/changes"), at(s + "/feedback"), at("/c/open"),
		at("/c/open/comment?section=article-17"),
		{"/c/open/comment?section=article-17", submitForm(map[string]string{"body": ""}, "#submit", "")},
		at("/c/open/feedback"), at("/track"), at("/track?no=" + ids["tracking"]), at(s + "/receipt/" + ids["tracking"]),
		at("/no-such-page"), at("/admin/login")}
	officer := []axePage{at("/admin"), at(a + "/comments?section=article-17"), at(a + "/comments/" + ids["id"]),
		at(a + "/comments/new"), at(a + "/dashboard"), at(a + "/window"), at(a + "/routing"), at(a + "/feedback"),
		at(a + "/feedback/preview"), at(a + "/revise"),
		{a + "/revise", submitForm(map[string]string{"draft_text": string(rev2)}, "#revise-form button[type=submit]", "/revise/preview")},
		at("/admin/users"), at("/admin/audit"), at("/admin/system"), at("/admin/consultations/new"),
		{"/admin/consultations/new", submitForm(map[string]string{"slug": "axe-new", "draft_text": string(seedText)}, "#new-consultation button[type=submit]", "/consultations/preview")},
		at("/admin/password"), at("/admin/c/open/dashboard"), at("/admin/c/open/comments")}
	for _, width := range []int{390, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			t.Parallel() // one Chromium per width
			ctx := newBrowserFor(t, width, 900, 15*time.Minute)
			check := func(pg axePage) {
				t.Helper()
				start := time.Now()
				name := pg.path
				browserDo(t, ctx, "load "+pg.path, chromedp.Navigate("about:blank"), chromedp.Navigate(e.srv.URL+pg.path))
				want := http.StatusOK
				if pg.path == "/no-such-page" {
					want = http.StatusNotFound
				}
				if got := browserEval[int](t, ctx, `performance.getEntriesByType('navigation')[0].responseStatus`); got != want {
					t.Fatalf("%d px %s answered %d, not %d: the page checked would not be the one named", width, pg.path, got, want)
				}
				if pg.reach != nil {
					pg.reach(t, ctx)
					name += " (answer to its form: " + browserEval[string](t, ctx, `location.pathname`) + ")"
				}
				report := func(state, run string) {
					t.Helper()
					for _, v := range runAxe(t, ctx, src, run) {
						t.Errorf("%d px %s (%s): %s [%s] %s on %d elements, e.g. %s",
							width, name, state, v.ID, v.Impact, v.Help, v.Count, strings.Join(v.Nodes, " | "))
					}
				}
				report("default reading settings", axeAllJS)
				for _, st := range readingSteps { // the last one resets, for the next page
					sel := fmt.Sprintf(`a[data-pref="%s"][data-value="%s"]`, st.pref, st.value)
					browserDo(t, ctx, name+": reading control "+sel, chromedp.Click(chromedp.CSS(sel)))
					report("after "+st.pref+"="+st.value, axeStyleJS)
				}
				t.Logf("%d px %s: %v", width, name, time.Since(start).Round(time.Millisecond))
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
