package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"consult/store"
)

// TestBrowserOfficerKeyboardTriage: log in, filter the queue, decide comments with the
// keyboard only, log out.
func TestBrowserOfficerKeyboardTriage(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-15", "建议加大招商引资力度,引进龙头企业。", "希望优化营商环境。")
	e.postComments("article-17", "第十七条应当写明招商目标。")
	e.newUser("chen", store.RoleOfficer)
	ctx := newBrowser(t, 1280, 900)

	browserDo(t, ctx, "log in", chromedp.Navigate(e.srv.URL+"/admin/c/"+seedSlug+"/comments"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "chen"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
	browserWait(t, ctx, `!!document.getElementById('queue')`)

	// Filter: search 招商, pending only.
	browserDo(t, ctx, "filter", chromedp.SendKeys(chromedp.CSS("#q"), "招商"),
		chromedp.SetValue(chromedp.CSS("#f-status"), "pending"),
		chromedp.Click(chromedp.CSS("#filter-submit")))
	browserWait(t, ctx, `location.search.includes('q=') && document.readyState === 'complete' && document.querySelectorAll('#queue tbody tr[data-href]').length === 2`)

	// Keyboard: j selects the first row, Enter opens it, 5 picks 已作说明, Ctrl+Enter saves and moves on.
	browserDo(t, ctx, "select with the keyboard", chromedp.KeyEvent("j"))
	browserWait(t, ctx, `!!document.querySelector('#queue tr.current')`)
	browserDo(t, ctx, "open with the keyboard", chromedp.KeyEvent(kb.Enter))
	browserWait(t, ctx, `!!document.getElementById('decide') && document.readyState === 'complete'`)
	first := browserEval[string](t, ctx, `location.pathname`)
	browserDo(t, ctx, "choose 已作说明", chromedp.KeyEvent("5"))
	if v := browserEval[string](t, ctx, `document.querySelector('input[name=status]:checked').value`); v != store.StatusExplained {
		t.Fatalf("key 5 chose %q", v)
	}
	browserDo(t, ctx, "type a response", chromedp.Click(chromedp.CSS("#response")), chromedp.SendKeys(chromedp.CSS("#response"), "已在实施细则中考虑"))
	browserDo(t, ctx, "save and next", chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	browserWait(t, ctx, `!!document.getElementById('saved') && location.pathname !== '`+first+`'`)
	if q := browserEval[string](t, ctx, `location.search`); !strings.Contains(q, "q=") {
		t.Errorf("the filter was lost moving on: %s", q)
	}

	// The decision is stored, by chen, and in the audit log.
	rows, _, err := e.store.Queue(context.Background(), store.QueueFilter{ConsultationID: 1, Status: store.StatusExplained})
	if err != nil || len(rows) != 1 || rows[0].DecidedBy != "chen" || rows[0].Response != "已在实施细则中考虑" {
		t.Fatalf("decision not stored: %+v %v", rows, err)
	}
	entries, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "decide", Username: "chen"})
	if len(entries) != 1 {
		t.Errorf("%d audit entries for the decision", len(entries))
	}

	browserDo(t, ctx, "log out", chromedp.Click(chromedp.CSS("#logout")))
	browserWait(t, ctx, `location.pathname === '/admin/login'`)
	browserDo(t, ctx, "back to the queue", chromedp.Navigate(e.srv.URL+"/admin/c/"+seedSlug+"/comments"))
	browserWait(t, ctx, `location.pathname === '/admin/login'`)
}
