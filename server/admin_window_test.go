package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"consult/store"
)

func init() {
	registerSample("admin_window", func(t *testing.T, e *testEnv) any {
		d, err := e.app.loadDraft(context.Background(), seedSlug)
		if err != nil {
			t.Fatal(err)
		}
		closes := inWindow
		art := d.Section("article-17")
		at := time.Date(2023, 1, 5, 9, 0, 0, 0, beijing)
		return windowView{
			D: d, Status: windowStatus{"open", "征集中"}, Short: true,
			Form:   windowForm{OpensAt: "2023-01-01T09:00", ClosesAt: "2023-01-10T09:00", Reason: "<b>理由</b>"},
			Errors: map[string]string{"reason": "请填写"}, ShortNote: "少于 30 天",
			Sec: sectionWindowForm{Section: "article-17"}, SecErrors: map[string]string{"closes_at": "x"},
			Overrides: []sectionOverride{{Sec: art, Opens: d.C.OpensAt, Closes: closes, Status: windowStatus{"closed", "已结束"}}},
			History: []windowChangeRow{
				{WindowChange: store.WindowChange{At: at, Username: "root", Action: "window",
					Before: store.WindowState{OpensAt: &d.C.OpensAt, ClosesAt: &d.C.ClosesAt},
					After:  store.WindowState{OpensAt: &d.C.OpensAt, ClosesAt: &closes, Reason: "提前"}}, Where: "整体征集时间"},
				{WindowChange: store.WindowChange{At: at, Username: "root", Action: "section_window", Anchor: "article-17",
					Before: store.WindowState{ClosesAt: &closes}, After: store.WindowState{Reason: "恢复"}}, Where: "(十七)"},
			},
			Saved: "window", Overridden: map[string]bool{"article-17": true},
		}
	})
}

const windowPath = "/admin/c/" + seedSlug + "/window"

// windowPost posts the window form with the CSRF token of the admin's window page.
func (e *testEnv) windowPost(client *http.Client, path string, f url.Values) (*http.Response, string) {
	e.t.Helper()
	_, page := e.getWith(client, windowPath)
	f.Set("_csrf", csrfFrom(e.t, page))
	return e.postWith(client, path, f, nil)
}

func TestWindowPageRoles(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", store.RoleAdmin)
	status, page := e.getWith(admin, windowPath)
	if status != http.StatusOK {
		t.Fatalf("admin: %d", status)
	}
	doc := parseHTML(t, page)
	for id, want := range map[string]string{"current-opens": "2022-12-21 17:24", "current-closes": "2023-02-07 17:00",
		"current-length": "47 天 23 小时 36 分钟"} {
		if n := byID(doc, id); n == nil || text(n) != want {
			t.Errorf("#%s: want %q", id, want)
		}
	}
	if byID(doc, "short-current") != nil {
		t.Error("a 48-day window flagged as short")
	}
	if n := byID(doc, "opens_at"); n == nil || attr(n, "value") != "2022-12-21T17:24" || attr(n, "type") != "datetime-local" {
		t.Error("opens_at not prefilled in Beijing time")
	}
	if !strings.Contains(page, `<option value="article-23">(二十三)`) {
		t.Error("section select lacks article 23 with its label")
	}
	if status, _ := e.getWith(admin, "/admin/c/no-such-thing/window"); status != http.StatusNotFound {
		t.Errorf("unknown consultation: %d", status)
	}

	for _, role := range []string{store.RoleOfficer, store.RoleCommittee} {
		client := e.loginAs("u-"+role, role)
		if status, _ := e.getWith(client, windowPath); status != http.StatusForbidden {
			t.Errorf("%s GET: %d", role, status)
		}
		_, home := e.getWith(client, "/admin")
		f := url.Values{"_csrf": {csrfFrom(t, home)}, "opens_at": {"2023-01-01T00:00"}, "closes_at": {"2023-03-01T00:00"}, "reason": {"试图修改"}}
		if resp, _ := e.postWith(client, windowPath, f, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST: %d", role, resp.StatusCode)
		}
		f.Set("section", "article-1")
		if resp, _ := e.postWith(client, windowPath+"/section", f, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s POST section: %d", role, resp.StatusCode)
		}
	}
	resp, err := e.client.Get(e.srv.URL + windowPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
		t.Errorf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if n, _ := e.store.WindowChanges(context.Background(), 1, 0); len(n) != 0 {
		t.Errorf("refused requests changed something: %v", n)
	}
}

func TestWindowChangeNeedsReason(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", store.RoleAdmin)
	f := url.Values{"opens_at": {"2022-12-21T17:24"}, "closes_at": {"2023-02-20T17:00"}, "reason": {"  "}}
	resp, page := e.windowPost(admin, windowPath, f)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "请填写调整理由") {
		t.Fatalf("no reason: %d", resp.StatusCode)
	}
	if n := byID(parseHTML(t, page), "closes_at"); n == nil || attr(n, "value") != "2023-02-20T17:00" {
		t.Error("typed closing time not kept")
	}
	if strings.Contains(page, `id="short-new"`) {
		t.Error("a long window flagged as short")
	}
	// Bad input: unparseable, inverted, unchanged.
	for _, c := range []struct{ opens, closes, msg string }{
		{"2023-01-01", "2023-03-01T00:00", "请填写开始时间"},
		{"2023-03-01T00:00", "2023-01-01T00:00", "截止时间必须晚于开始时间"},
		{"2022-12-21T17:24", "2023-02-07T17:00", "征集时间没有变化"},
	} {
		f := url.Values{"opens_at": {c.opens}, "closes_at": {c.closes}, "reason": {"理由"}}
		if resp, page := e.windowPost(admin, windowPath, f); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, c.msg) {
			t.Errorf("%v: %d, want %q", c, resp.StatusCode, c.msg)
		}
	}
	cs, _ := e.store.ConsultationBySlug(context.Background(), seedSlug)
	if !cs.ClosesAt.Equal(time.Date(2023, 2, 7, 17, 0, 0, 0, beijing)) {
		t.Errorf("refused change stored: %v", cs.ClosesAt)
	}
	if n, _ := e.store.WindowChanges(context.Background(), cs.ID, 0); len(n) != 0 {
		t.Errorf("refused change audited: %v", n)
	}
}

func TestWindowShorterThan30Days(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", store.RoleAdmin)
	f := url.Values{"opens_at": {"2022-12-21T17:24"}, "closes_at": {"2023-01-10T17:24"}}
	resp, page := e.windowPost(admin, windowPath, f)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("short without reason: %d", resp.StatusCode)
	}
	doc := parseHTML(t, page)
	if n := byID(doc, "short-new"); n == nil || !strings.Contains(text(n), "20 天,少于 30 天") {
		t.Error("page does not say the new window is under 30 days")
	}
	if !strings.Contains(page, "为什么征集期少于 30 天") {
		t.Error("no specific message next to the reason")
	}
	f.Set("reason", "春节前须报市政府常务会议审议,征集期缩短为 20 天。")
	resp, _ = e.windowPost(admin, windowPath, f)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != windowPath+"?saved=window" {
		t.Fatalf("short with reason: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = e.getWith(admin, resp.Header.Get("Location"))
	doc = parseHTML(t, page)
	if byID(doc, "short-current") == nil || byID(doc, "saved") == nil {
		t.Error("page does not say the current window is under 30 days")
	}
	if n := byID(doc, "current-reason"); n == nil || !strings.Contains(text(n), "征集期缩短为 20 天") {
		t.Error("reason not shown")
	}
	hist := byID(doc, "window-history")
	if hist == nil {
		t.Fatal("no history")
	}
	rows := all(hist, "tr")
	if len(rows) != 2 { // header + one change
		t.Fatalf("%d history rows", len(rows))
	}
	row := text(rows[1])
	for _, s := range []string{"root", "整体征集时间", "2022-12-21 17:24 至 2023-02-07 17:00", "2022-12-21 17:24 至 2023-01-10 17:24", "征集期缩短为 20 天"} {
		if !strings.Contains(row, s) {
			t.Errorf("history row %q lacks %q", row, s)
		}
	}
	cs, _ := e.store.ConsultationBySlug(context.Background(), seedSlug)
	if cs.WindowReason != f.Get("reason") {
		t.Errorf("window_reason = %q", cs.WindowReason)
	}
}

// TestWindowReopenRefreshesPublicPageAndComments reopens a closed consultation: the
// cached public page shows the new window and comments are accepted again.
func TestWindowReopenRefreshesPublicPageAndComments(t *testing.T) {
	e := newTestEnv(t, "[limits]\ncomments_per_minute = 1000\ncaptchas_per_minute = 1000\n")
	after := time.Date(2023, 3, 1, 10, 0, 0, 0, beijing)
	e.app.now = func() time.Time { return after }
	admin := e.loginAs("root", store.RoleAdmin)

	_, page := e.get("/c/" + seedSlug) // now cached
	if n := byID(parseHTML(t, page), "status"); n == nil || text(n) != "已结束" {
		t.Fatal("seed not closed on 1 March 2023")
	}
	if _, form := e.get("/c/" + seedSlug + "/comment?section=article-3"); !strings.Contains(form, `id="window-closed"`) {
		t.Fatal("comment form open after the window closed")
	}

	f := url.Values{"opens_at": {"2022-12-21T17:24"}, "closes_at": {"2023-03-31T17:00"}, "reason": {"应企业要求重新开放征集。"}}
	if resp, _ := e.windowPost(admin, windowPath, f); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reopen: %d", resp.StatusCode)
	}
	_, page = e.get("/c/" + seedSlug)
	doc := parseHTML(t, page)
	if n := byID(doc, "status"); n == nil || !strings.HasPrefix(text(n), "征集中") {
		t.Error("public page still shows the old status")
	}
	if !strings.Contains(page, "2023-03-31 17:00") {
		t.Error("public page does not show the new closing time")
	}
	f2, _ := e.openForm("article-3")
	if resp, _ := e.submit(f2, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("comment after reopening: %d", resp.StatusCode)
	}

	entries, err := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "window"})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %v %v", entries, err)
	}
	var before, afterJ map[string]string
	_ = json.Unmarshal([]byte(entries[0].BeforeJSON), &before)
	_ = json.Unmarshal([]byte(entries[0].AfterJSON), &afterJ)
	if entries[0].Username != "root" || before["closes_at"] != "2023-02-07T17:00:00+08:00" ||
		afterJ["closes_at"] != "2023-03-31T17:00:00+08:00" || afterJ["reason"] != "应企业要求重新开放征集。" {
		t.Errorf("audit entry %+v", entries[0])
	}

	// Shortening it again closes it: the public page follows, and a form opened
	// before is refused.
	f2, _ = e.openForm("article-3")
	f = url.Values{"opens_at": {"2022-12-21T17:24"}, "closes_at": {"2023-03-01T10:00"}, "reason": {"按原计划结束。"}}
	if resp, _ := e.windowPost(admin, windowPath, f); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("shorten: %d", resp.StatusCode)
	}
	if _, page = e.get("/c/" + seedSlug); !strings.Contains(page, "2023-03-01 10:00") || !strings.Contains(page, "已结束") {
		t.Error("public page does not show the shortened window")
	}
	if resp, _ := e.submit(f2, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("comment at the new closing time: %d", resp.StatusCode)
	}
}

// TestSectionWindowOverrideViaPage sets per-article windows from the page and checks
// that comment posts are refused and accepted at the exact edges.
func TestSectionWindowOverrideViaPage(t *testing.T) {
	e := newOpenEnv(t, "[limits]\ncomments_per_minute = 1000\ncaptchas_per_minute = 1000\n")
	admin := e.loginAs("root", store.RoleAdmin)
	sec := windowPath + "/section"

	// Article 17 closes at exactly inWindow (10:00); article 18 opens one minute later.
	resp, _ := e.windowPost(admin, sec, url.Values{"section": {"article-17"}, "closes_at": {"2023-01-10T10:00"}, "reason": {"第十七条已另行征求意见。"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set article-17: %d", resp.StatusCode)
	}
	resp, _ = e.windowPost(admin, sec, url.Values{"section": {"article-18"}, "opens_at": {"2023-01-10T10:01"}, "reason": {"第十八条稍后开放。"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set article-18: %d", resp.StatusCode)
	}
	post := func(section string) int {
		t.Helper()
		f, _ := e.openForm("article-16")
		f.Set("section", section)
		resp, _ := e.submit(f, nil)
		return resp.StatusCode
	}
	at := func(t time.Time) { e.app.now = func() time.Time { return t } }

	at(inWindow) // 10:00: article 17 has just closed, article 18 not yet open
	if got := post("article-17"); got != http.StatusForbidden {
		t.Errorf("article-17 at its closing minute: %d", got)
	}
	if got := post("article-18"); got != http.StatusForbidden {
		t.Errorf("article-18 before it opens: %d", got)
	}
	if got := post("article-16"); got != http.StatusSeeOther {
		t.Errorf("article-16 (no override): %d", got)
	}
	at(inWindow.Add(-time.Second)) // 09:59:59: article 17 still open
	if got := post("article-17"); got != http.StatusSeeOther {
		t.Errorf("article-17 a second before closing: %d", got)
	}
	at(inWindow.Add(time.Minute)) // 10:01: article 18 opens
	if got := post("article-18"); got != http.StatusSeeOther {
		t.Errorf("article-18 at its opening minute: %d", got)
	}

	_, page := e.getWith(admin, windowPath)
	doc := parseHTML(t, page)
	if n := byID(doc, "override-article-17"); n == nil || !strings.Contains(text(n), "沿用上级 至 2023-01-10 10:00") {
		t.Error("override list lacks article 17")
	}
	if !strings.Contains(page, `<option value="article-17">(十七)加快建立现代产业体系(已单独设置)</option>`) {
		t.Error("select does not mark article 17 as overridden")
	}

	// Refusals: no reason, an override that would close before it opens, no change,
	// unknown section, clearing a section without an override.
	for _, c := range []struct {
		f   url.Values
		msg string
	}{
		{url.Values{"section": {"article-5"}, "closes_at": {"2023-02-01T00:00"}}, "请填写理由"},
		{url.Values{"section": {"article-5"}, "closes_at": {"2022-12-01T00:00"}, "reason": {"x"}}, "截止时间必须晚于开始时间"},
		{url.Values{"section": {"article-17"}, "closes_at": {"2023-01-10T10:00"}, "reason": {"x"}}, "没有变化"},
		{url.Values{"section": {"article-99"}, "closes_at": {"2023-02-01T00:00"}, "reason": {"x"}}, "请选择要单独设置的章节或条款"},
		{url.Values{"section": {"article-5"}, "clear": {"1"}, "reason": {"x"}}, "没有单独设置"},
		{url.Values{"section": {"article-5"}, "reason": {"x"}}, "至少一项"},
	} {
		resp, page := e.windowPost(admin, sec, c.f)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, c.msg) {
			t.Errorf("%v: %d, want %q", c.f, resp.StatusCode, c.msg)
		}
	}

	// Clearing article 17's override lets it follow the consultation again.
	resp, _ = e.windowPost(admin, sec, url.Values{"section": {"article-17"}, "clear": {"1"}, "closes_at": {"ignored"}, "reason": {"恢复统一截止时间。"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear: %d", resp.StatusCode)
	}
	at(inWindow.Add(2 * time.Minute))
	if got := post("article-17"); got != http.StatusSeeOther {
		t.Errorf("article-17 after clearing its override: %d", got)
	}

	changes, err := e.store.WindowChanges(context.Background(), 1, 0)
	if err != nil || len(changes) != 3 {
		t.Fatalf("changes: %v %v", changes, err)
	}
	clear := changes[0]
	if clear.Anchor != "article-17" || clear.Before.ClosesAt == nil || !clear.Before.ClosesAt.Equal(inWindow) ||
		clear.After.ClosesAt != nil || clear.After.Reason != "恢复统一截止时间。" || clear.Username != "root" {
		t.Errorf("clear entry %+v", clear)
	}
	_, page = e.getWith(admin, windowPath)
	rows := all(byID(parseHTML(t, page), "window-history"), "tr")
	if len(rows) != 4 || !strings.Contains(text(rows[1]), "取消单独设置") || !strings.Contains(text(rows[1]), "(十七)加快建立现代产业体系") ||
		!strings.Contains(text(rows[3]), "未单独设置") || !strings.Contains(text(rows[3]), "第十七条已另行征求意见") {
		t.Errorf("history rows: %d", len(rows))
	}
}

// TestBrowserWindowChange changes the window in Chromium: datetime-local values as the
// browser sends them are read as Beijing time.
func TestBrowserWindowChange(t *testing.T) {
	e := newTestEnv(t, "")
	e.newUser("root", store.RoleAdmin)
	ctx := newBrowser(t, 1280, 900)
	browserDo(t, ctx, "log in", chromedp.Navigate(e.srv.URL+windowPath),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "root"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
	browserWait(t, ctx, `!!document.getElementById('window-form')`)
	browserEval[bool](t, ctx, `(document.getElementById('closes_at').value = '2023-02-28T17:30', true)`)
	browserDo(t, ctx, "save", chromedp.SendKeys(chromedp.CSS("#reason"), "春节假期顺延。"),
		chromedp.Click(chromedp.CSS("#window-form button.primary")))
	browserWait(t, ctx, `!!document.getElementById('saved')`)
	if got := browserEval[string](t, ctx, `document.getElementById('current-closes').textContent`); got != "2023-02-28 17:30" {
		t.Errorf("closes %q", got)
	}
	cs, _ := e.store.ConsultationBySlug(context.Background(), seedSlug)
	if !cs.ClosesAt.Equal(time.Date(2023, 2, 28, 17, 30, 0, 0, beijing)) {
		t.Errorf("stored %v", cs.ClosesAt)
	}
}
