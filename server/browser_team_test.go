package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"consult/store"
)

// browserLogin signs a browser in as name and opens path.
func browserLogin(t *testing.T, ctx context.Context, e *testEnv, name, path string) {
	t.Helper()
	browserDo(t, ctx, "log in as "+name, chromedp.Navigate(e.srv.URL+path),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
	browserWait(t, ctx, `location.pathname === '`+path+`' && document.readyState === 'complete'`)
}

// TestBrowserDecisionConflict: two officers in two real browsers open the same
// comment; the later save comes back with both decisions shown, the officer's text
// still in the form, and one click saves over the other's.
func TestBrowserDecisionConflict(t *testing.T) {
	e := newOpenEnv(t, "")
	saved := presencePoll
	presencePoll = 200 * time.Millisecond
	t.Cleanup(func() { presencePoll = saved })
	e.postComments("article-13", "建议第十三条明确财政资金来源。")
	e.newUser("li", store.RoleOfficer)
	e.newUser("chen", store.RoleOfficer)
	path := "/admin/c/" + seedSlug + "/comments/1"
	li := newBrowser(t, 1280, 900)
	chen := newBrowser(t, 1280, 900)
	browserLogin(t, li, e, "li", path)
	browserLogin(t, chen, e, "chen", path)

	// li's open page learns, without a reload, that chen has it open too.
	browserWait(t, li, `!document.getElementById('presence').hidden && document.getElementById('presence-names').textContent === 'chen'`)

	browserDo(t, li, "li decides", chromedp.Click(chromedp.CSS(`input[name=status][value=adopted]`)),
		chromedp.SendKeys(chromedp.CSS("#response"), "采纳,补充资金来源。"),
		chromedp.Click(chromedp.CSS(`button[name=stay]`)))
	browserWait(t, li, `!!document.getElementById('saved')`)

	browserDo(t, chen, "chen decides on the stale page", chromedp.Click(chromedp.CSS(`input[name=status][value=rejected]`)),
		chromedp.SendKeys(chromedp.CSS("#response"), "不予采纳:另行规定。"),
		chromedp.SendKeys(chromedp.CSS("#note"), "陈的备注"),
		chromedp.Click(chromedp.CSS(`button[name=stay]`)))
	browserWait(t, chen, `!!document.getElementById('conflict') && document.readyState === 'complete'`)
	if got := browserEval[string](t, chen, `document.getElementById('conflict-response').textContent`); got != "采纳,补充资金来源。" {
		t.Errorf("li's decision on chen's conflict page: %q", got)
	}
	if got := browserEval[string](t, chen, `document.getElementById('conflict-by').textContent`); got != "li" {
		t.Errorf("who: %q", got)
	}
	if got := browserEval[string](t, chen, `document.getElementById('response').value + '|' + document.getElementById('note').value + '|' + document.querySelector('input[name=status]:checked').value`); got != "不予采纳:另行规定。|陈的备注|rejected" {
		t.Errorf("chen's fields after the conflict: %q", got)
	}
	if cm, _ := e.store.CommentByID(context.Background(), 1, 1); cm.DecidedBy != "li" {
		t.Fatalf("chen's stale save replaced li's: %+v", cm)
	}
	// The save-and-next shortcut does not save over li's decision; it only focuses the button.
	browserDo(t, chen, "Ctrl+Enter on the conflict page", chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	browserWait(t, chen, `document.activeElement && document.activeElement.id === 'overwrite'`)
	if cm, _ := e.store.CommentByID(context.Background(), 1, 1); cm.DecidedBy != "li" {
		t.Fatalf("the shortcut saved over li's decision: %+v", cm)
	}
	browserDo(t, chen, "save over it", chromedp.Click(chromedp.CSS("#overwrite")))
	browserWait(t, chen, `!!document.getElementById('saved')`)
	if cm, _ := e.store.CommentByID(context.Background(), 1, 1); cm.DecidedBy != "chen" || cm.Status != store.StatusRejected || cm.Note != "陈的备注" {
		t.Errorf("overwrite: %+v", cm)
	}
}
