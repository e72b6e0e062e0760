package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"consult/store"
)

func init() {
	registerSample("admin_audit", func(t *testing.T, e *testEnv) any {
		cs, err := e.store.ListConsultations(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return auditView{
			Form:          auditForm{User: "boss", Action: "made_up", Consultation: seedSlug, From: "2023-01-01", To: "2023-01-31", Target: "comment:1"},
			Users:         []string{"system", "boss"},
			Actions:       auditActions,
			OtherAction:   true,
			Consultations: cs,
			Rows: []auditRow{
				{AuditEntry: store.AuditEntry{ID: 9, At: time.Now(), Username: "boss", IP: "127.0.0.1", Action: "user_change", Target: "user:<b>"},
					Time: "2023-01-10 12:00:00", Before: `role: "officer"`, After: `role: "<script>"`, Consultation: "关于"},
				{AuditEntry: store.AuditEntry{ID: 8, At: time.Now(), Action: "login"}},
			},
			NextURL: "/admin/audit?before=8", Paged: true, FirstURL: "/admin/audit",
		}
	})
}

// auditRowView is one row of the audit table as shown.
type auditRowView struct {
	ID                                    string
	Action, Time, User, IP, Label, Target string
	Change, Consultation                  string
}

func auditRows(t *testing.T, page string) []auditRowView {
	t.Helper()
	table := byID(parseHTML(t, page), "audit")
	if table == nil {
		t.Fatalf("no audit table in page: %.400s", page)
	}
	var out []auditRowView
	for _, tr := range all(table, "tr") {
		if attr(tr, "data-action") == "" {
			continue
		}
		r := auditRowView{ID: strings.TrimPrefix(attr(tr, "id"), "audit-"), Action: attr(tr, "data-action")}
		for _, td := range all(tr, "td") {
			switch attr(td, "class") {
			case "sec":
				r.Time = text(td)
			case "user":
				r.User = text(td)
			case "ip":
				r.IP = text(td)
			case "action":
				r.Label = text(td)
			case "target":
				if td.FirstChild != nil && td.FirstChild.Type == html.TextNode {
					r.Target = td.FirstChild.Data
				}
				for _, sp := range all(td, "span") {
					r.Consultation = text(sp)
				}
			case "change":
				r.Change = text(td)
			}
		}
		out = append(out, r)
	}
	return out
}

func TestAuditRoutesAdminOnly(t *testing.T) {
	e := newTestEnv(t, "")
	expectAdminOnly(t, e, []string{"/admin/audit", "/admin/audit?action=login"}, nil)
	admin := e.loginAs("boss", store.RoleAdmin)
	if status, _ := e.getWith(admin, "/admin/audit"); status != http.StatusOK {
		t.Errorf("admin: %d", status)
	}
	if _, page := e.getWith(admin, "/admin"); !strings.Contains(page, `href="/admin/audit"`) {
		t.Error("admin home does not link to the audit log")
	}
}

// TestAuditCannotBeEdited: the viewer offers no way to change the log, and no route
// accepts a write.
func TestAuditCannotBeEdited(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	_, page := e.getWith(admin, "/admin/audit")
	for _, f := range all(parseHTML(t, page), "form") {
		if m := strings.ToLower(attr(f, "method")); m == "post" && attr(f, "action") != "/admin/logout" {
			t.Errorf("audit page has a POST form to %s", attr(f, "action"))
		}
	}
	rows := auditRows(t, page)
	if len(rows) == 0 {
		t.Fatal("no entries")
	}
	for _, p := range []string{"/admin/audit", "/admin/audit/" + rows[0].ID, "/admin/audit/" + rows[0].ID + "/delete"} {
		resp, _ := e.acctPost(admin, p, url.Values{"username": {"nobody"}})
		if resp.StatusCode < 400 {
			t.Errorf("POST %s: %d", p, resp.StatusCode)
		}
	}
	_, again := e.getWith(admin, "/admin/audit")
	if after := auditRows(t, again); len(after) != len(rows) || after[0] != rows[0] {
		t.Errorf("the log changed: %v -> %v", rows, after)
	}
}

// TestEveryAccountActionIsAudited performs each action through the pages and finds it
// in the viewer with who did it, from where, and what changed.
func TestEveryAccountActionIsAudited(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	const pw = "first password 1"
	resp, _ := e.acctPost(admin, "/admin/users", url.Values{"username": {"wang"}, "role": {store.RoleOfficer}, "password": {pw}, "password2": {pw}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	wang := e.userNamed("wang")
	p := fmt.Sprintf("/admin/users/%d", wang.ID)
	steps := []url.Values{
		{"op": {"role"}, "role": {store.RoleCommittee}},
		{"op": {"disable"}},
		{"op": {"enable"}},
	}
	for _, f := range steps {
		if resp, _ := e.acctPost(admin, p, f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%v: %d", f, resp.StatusCode)
		}
	}
	wc := newClient(t)
	e.login(wc, "wang", "wrong password!", nil) // login_failed, by wang's account
	if resp, _ := e.acctPost(admin, p+"/password", url.Values{"password": {"second password 2"}, "password2": {"second password 2"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if resp := e.login(wc, "wang", "second password 2", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("wang login")
	}
	if resp, _ := e.acctPost(wc, "/admin/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("logout")
	}

	_, page := e.getWith(admin, "/admin/audit")
	rows := auditRows(t, page)
	want := []struct {
		action, user, label, target string
		change                      []string
	}{
		{"logout", "wang", "退出登录", "user:wang", nil},
		{"login", "wang", "登录", "user:wang", nil},
		{"password_reset", "boss", "管理员重置密码", "user:wang", []string{"sessions_ended: 0", "failed_logins: 1", "→"}},
		{"login_failed", "wang", "登录失败", "user:wang", []string{"failed_logins: 1"}},
		{"user_change", "boss", "修改账户角色/状态", "user:wang", []string{`disabled: true, role: "committee" → disabled: false, role: "committee"`}},
		{"user_change", "boss", "修改账户角色/状态", "user:wang", []string{`disabled: false, role: "committee" → disabled: true, role: "committee"`}},
		{"user_change", "boss", "修改账户角色/状态", "user:wang", []string{`disabled: false, role: "officer" → disabled: false, role: "committee"`}},
		{"user_add", "boss", "新建账户", "user:wang", []string{`role: "officer"`}},
		{"login", "boss", "登录", "user:boss", nil},
	}
	if len(rows) < len(want) {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	today := time.Now().In(beijing).Format("2006-01-02")
	for i, w := range want {
		r := rows[i]
		if r.Action != w.action || r.User != w.user || r.Label != w.label || r.Target != w.target || r.IP != "127.0.0.1" ||
			!strings.HasPrefix(r.Time, today) {
			t.Errorf("row %d = %+v, want %s by %s (%s) on %s", i, r, w.action, w.user, w.label, w.target)
		}
		for _, s := range w.change {
			if !strings.Contains(r.Change, s) {
				t.Errorf("row %d (%s) change %q lacks %q", i, w.action, r.Change, s)
			}
		}
	}
	// No password, and no hash of one, ever reaches the log.
	for _, secret := range []string{pw, "second password 2", wang.PasswordHash, e.userNamed("wang").PasswordHash, "$2a$"} {
		if strings.Contains(page, secret) {
			t.Errorf("audit page shows %q", secret)
		}
	}
	// Dates under time-like keys read as Beijing time next to the number.
	if !strings.Contains(rows[2].Change, "password_changed_at: ") || !strings.Contains(rows[2].Change, "("+today) {
		t.Errorf("password_changed_at not shown as a date: %q", rows[2].Change)
	}
}

func TestAuditValuesAreEscaped(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	err := e.store.Audit(context.Background(), store.Actor{Username: "<img src=x>", IP: "10.0.0.9"}, store.AuditEntry{
		Action: "decide", Target: "comment:<b>1</b>",
		Before: store.Decision{Status: "pending"},
		After:  store.Decision{Status: "rejected", Response: `不予采纳 <script>alert("x")</script>`, Tags: "a b"}})
	if err != nil {
		t.Fatal(err)
	}
	_, page := e.getWith(admin, "/admin/audit")
	for _, bad := range []string{"<script>alert", "<img src=x>", "<b>1</b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("unescaped %q in page", bad)
		}
	}
	r := auditRows(t, page)[0]
	if r.User != "<img src=x>" || r.Target != "comment:<b>1</b>" || r.Label != "处理意见" ||
		r.Change != `Status: "pending", Response: "", Note: "", Tags: "" → Status: "rejected", Response: "不予采纳 <script>alert(\"x\")</script>", Note: "", Tags: "a b"` {
		t.Errorf("row %+v", r)
	}
}

func TestAuditJSONFormatting(t *testing.T) {
	at := time.Date(2023, 1, 10, 9, 30, 0, 0, beijing).Unix()
	cases := map[string]string{
		``:                                 ``,
		`{}`:                               ``,
		`{"a":1,"b":[1,"x",{"c":null}]}`:   `a: 1, b: [1, "x", {c: null}]`,
		`{"locked_until":0}`:               `locked_until: 0`,
		fmt.Sprintf(`{"opens_at":%d}`, at): fmt.Sprintf(`opens_at: %d (2023-01-10 09:30:00)`, at),
		fmt.Sprintf(`{"count":%d}`, at):    fmt.Sprintf(`count: %d`, at), // not a time-like key
		`{"key with space":"值\n"}`:         `"key with space": "值\n"`,
		`not json`:                         `not json`,
		`{"a":1} trailing`:                 `{"a":1} trailing`,
		`"plain"`:                          `"plain"`,
		`{"big":12345678901234567890}`:     `big: 12345678901234567890`,
	}
	for in, want := range cases {
		if got := auditJSON(in); got != want {
			t.Errorf("auditJSON(%q) = %q, want %q", in, got, want)
		}
	}
}

// seedAudit writes entries with chosen times and returns the seed consultation's id.
func seedAudit(t *testing.T, e *testEnv) int64 {
	t.Helper()
	ctx := context.Background()
	cs, err := e.store.ConsultationBySlug(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	bj := func(d, h, m int) time.Time { return time.Date(2023, 1, d, h, m, 0, 0, beijing) }
	entries := []struct {
		who string
		e   store.AuditEntry
	}{
		{"chen", store.AuditEntry{At: bj(9, 23, 59), Action: "decide", ConsultationID: cs.ID, Target: "comment:42"}},
		// 00:30 Beijing on the 10th is still the 9th in UTC: the date filter must use Beijing days.
		{"chen", store.AuditEntry{At: bj(10, 0, 30), Action: "decide", ConsultationID: cs.ID, Target: "comment:43"}},
		{"li", store.AuditEntry{At: bj(10, 23, 30), Action: "export", ConsultationID: cs.ID, Target: "consultation:" + seedSlug}},
		{"li", store.AuditEntry{At: bj(11, 8, 0), Action: "window", ConsultationID: 999, Target: "consultation:other"}},
		{"chen", store.AuditEntry{At: bj(12, 8, 0), Action: "decide", ConsultationID: cs.ID, Target: "comment:42"}},
	}
	for _, x := range entries {
		if err := e.store.Audit(ctx, store.Actor{Username: x.who, IP: "10.0.0.1"}, x.e); err != nil {
			t.Fatal(err)
		}
	}
	return cs.ID
}

func TestAuditFilters(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	seedAudit(t, e)
	targets := func(q string) string {
		t.Helper()
		status, page := e.getWith(admin, "/admin/audit?"+q)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", q, status)
		}
		var out []string
		for _, r := range auditRows(t, page) {
			if r.User == "boss" || r.User == "test" || r.User == "config.toml" { // the test's own login, account and import
				continue
			}
			out = append(out, r.User+"/"+r.Action+"/"+r.Target)
		}
		return strings.Join(out, " ")
	}
	cases := []struct{ q, want string }{
		{"", "chen/decide/comment:42 li/window/consultation:other li/export/consultation:" + seedSlug + " chen/decide/comment:43 chen/decide/comment:42"},
		{"user=li", "li/window/consultation:other li/export/consultation:" + seedSlug},
		{"user=+li+", "li/window/consultation:other li/export/consultation:" + seedSlug},
		{"action=decide", "chen/decide/comment:42 chen/decide/comment:43 chen/decide/comment:42"},
		{"consultation=" + seedSlug, "chen/decide/comment:42 li/export/consultation:" + seedSlug + " chen/decide/comment:43 chen/decide/comment:42"},
		{"consultation=" + seedSlug + "&target=comment:43", "chen/decide/comment:43"},
		{"target=comment:42", "chen/decide/comment:42 chen/decide/comment:42"},
		{"target=" + url.QueryEscape("comment： 42"), "chen/decide/comment:42 chen/decide/comment:42"}, // full-width colon from an IME
		{"from=2023-01-10&to=2023-01-10", "li/export/consultation:" + seedSlug + " chen/decide/comment:43"},
		{"from=2023-01-11", "chen/decide/comment:42 li/window/consultation:other"},
		{"to=2023-01-09", "chen/decide/comment:42"},
		{"user=chen&action=decide&target=comment:42&from=2023-01-10", "chen/decide/comment:42"},
		{"action=made_up_code", ""},
	}
	for _, c := range cases {
		if got := targets(c.q); got != c.want {
			t.Errorf("?%s\n got  %s\n want %s", c.q, got, c.want)
		}
	}
	// Entries of a consultation name it under their target.
	_, page := e.getWith(admin, "/admin/audit?user=li")
	if rows := auditRows(t, page); len(rows) != 2 || rows[0].Consultation != "" || !strings.HasPrefix(rows[1].Consultation, "银川经济技术开发区") {
		t.Errorf("consultation names: %+v", rows)
	}
	// The form shows the filter it applied.
	_, page = e.getWith(admin, "/admin/audit?user=li&action=export&consultation="+seedSlug+"&from=2023-01-10&to=2023-01-11&target=comment:1")
	doc := parseHTML(t, page)
	for id, want := range map[string]string{"f-user": "li", "f-from": "2023-01-10", "f-to": "2023-01-11", "f-target": "comment:1"} {
		if got := attr(byID(doc, id), "value"); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	for id, want := range map[string]string{"f-action": "导出/下载", "f-consultation": "银川经济技术开发区"} {
		var sel string
		for _, o := range all(byID(doc, id), "option") {
			if hasAttr(o, "selected") {
				sel = text(o)
			}
		}
		if !strings.HasPrefix(sel, want) {
			t.Errorf("#%s selected %q, want %q", id, sel, want)
		}
	}
	// Bad filters are refused next to their field.
	for _, c := range []struct{ q, field, msg string }{
		{"from=2023-13-01", "f-from", "格式"},
		{"to=yesterday", "f-to", "格式"},
		{"from=2023-01-12&to=2023-01-10", "f-to", "不能早于"},
		{"consultation=nope", "f-consultation", "没有这个征求意见"},
		{"action=" + url.QueryEscape("<x>"), "f-action", "请从列表中选择"},
	} {
		status, page := e.getWith(admin, "/admin/audit?"+c.q)
		if status != http.StatusUnprocessableEntity {
			t.Errorf("?%s: %d", c.q, status)
			continue
		}
		if got := fieldError(t, page, c.field); !strings.Contains(got, c.msg) {
			t.Errorf("?%s: error %q, want %q", c.q, got, c.msg)
		}
		if byID(parseHTML(t, page), "audit") != nil {
			t.Errorf("?%s: results shown for a bad filter", c.q)
		}
	}
}

func TestAuditPagination(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	ctx := context.Background()
	const n = 2*auditPageSize + 7
	for i := 1; i <= n; i++ {
		if err := e.store.Audit(ctx, store.Actor{Username: "li"}, store.AuditEntry{Action: "export", Target: fmt.Sprintf("export:%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Noise the filter must keep out of every page.
	if err := e.store.Audit(ctx, store.Actor{Username: "li"}, store.AuditEntry{Action: "logout"}); err != nil {
		t.Fatal(err)
	}
	next := "/admin/audit?action=export&user=li"
	var seen []string
	for pageNo := 0; next != ""; pageNo++ {
		if pageNo > 3 {
			t.Fatal("too many pages")
		}
		status, page := e.getWith(admin, next)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", next, status)
		}
		rows := auditRows(t, page)
		wantLen := auditPageSize
		if pageNo == 2 {
			wantLen = 7
		}
		if len(rows) != wantLen {
			t.Fatalf("page %d has %d rows, want %d", pageNo, len(rows), wantLen)
		}
		for _, r := range rows {
			if r.Action != "export" {
				t.Fatalf("page %d: %+v", pageNo, r)
			}
			seen = append(seen, r.Target)
		}
		doc := parseHTML(t, page)
		if first := byID(doc, "first-page"); (first != nil) != (pageNo > 0) {
			t.Errorf("page %d: first-page link present = %v", pageNo, first != nil)
		} else if first != nil && attr(first, "href") != "/admin/audit?action=export&user=li" {
			t.Errorf("first-page link %s", attr(first, "href"))
		}
		next = ""
		if a := byID(doc, "next-page"); a != nil {
			next = attr(a, "href")
			if !strings.Contains(next, "action=export") || !strings.Contains(next, "user=li") {
				t.Errorf("next link loses the filter: %s", next)
			}
		}
		if pageNo == 0 {
			// A new entry while reading does not shift the following pages (keyset).
			if err := e.store.Audit(ctx, store.Actor{Username: "li"}, store.AuditEntry{Action: "export", Target: "export:late"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("saw %d entries, want %d", len(seen), n)
	}
	for i, target := range seen { // newest first, each exactly once
		if want := fmt.Sprintf("export:%d", n-i); target != want {
			t.Fatalf("entry %d is %s, want %s", i, target, want)
		}
	}
	for _, bad := range []string{"x", "-1", "0"} {
		if status, _ := e.getWith(admin, "/admin/audit?before="+bad); status != http.StatusBadRequest {
			t.Errorf("before=%s: %d", bad, status)
		}
	}
}

// Every action code the store writes has a Chinese label.
func TestAuditActionLabels(t *testing.T) {
	codes := []string{"login", "login_failed", "logout", "decide", "decide_group", "bulk_decide", "bulk_item", "record",
		"window", "section_window", "user_add", "user_change", "user_unlock", "password_change", "password_reset", "export",
		"consultation_create"}
	for _, c := range codes {
		if l := auditActionLabel(c); l == c || !isChinese(l) {
			t.Errorf("action %s has no Chinese label", c)
		}
	}
	if auditActionLabel("brand_new") != "brand_new" {
		t.Error("unknown codes should show as they are")
	}
}

// TestBrowserAccountPagesOnPhone: on a phone neither page scrolls sideways (the wide
// audit table scrolls inside its box), and action names are not broken one character
// to a line.
func TestBrowserAccountPagesOnPhone(t *testing.T) {
	const width, height = 360, 800
	e := newTestEnv(t, "")
	admin := e.loginAs("boss", store.RoleAdmin)
	e.newUser("a-rather-long-user-name-01", store.RoleCommittee)
	err := e.store.Audit(context.Background(), store.Actor{Username: "li", IP: "2001:db8::1234:5678"}, store.AuditEntry{
		Action: "bulk_decide", Target: "comments:120", After: map[string]any{"status": "explained", "response": strings.Repeat("说明", 60)}})
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for _, ck := range admin.Jar.Cookies(mustURL(t, e.srv.URL+"/admin")) {
		if ck.Name == sessionCookie {
			token = ck.Value
		}
	}
	ctx := newBrowser(t, width, height)
	browserDo(t, ctx, "emulate a phone", chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateTouch))
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: sessionCookie, Value: token, URL: e.srv.URL + "/admin", Path: "/admin"}); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/users", "/admin/audit"} {
		browserDo(t, ctx, "open "+path, chromedp.Navigate(e.srv.URL+path))
		if title := browserEval[string](t, ctx, `document.querySelector('h1').textContent`); title != "账户管理" && title != "操作日志" {
			t.Fatalf("%s: not signed in (h1 %q)", path, title)
		}
		type layout struct {
			InnerWidth  int `json:"innerWidth"`
			ScrollWidth int `json:"scrollWidth"`
		}
		l := browserEval[layout](t, ctx, `({innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth})`)
		if l.InnerWidth != width || l.ScrollWidth > width {
			wide := browserEval[[]string](t, ctx, fmt.Sprintf(`Array.from(document.body.querySelectorAll('*'))
			  .filter(el => el.getBoundingClientRect().right > %d.5 && !el.closest('.table-scroll'))
			  .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''))`, width))
			t.Errorf("%s is wider than a %d px phone: %+v; too wide: %v", path, width, l, wide)
		}
	}
	// The action column keeps "批量处理" on one line.
	lines := browserEval[int](t, ctx, `(() => {
	  const r = document.createRange();
	  r.selectNodeContents(document.querySelector('#audit td.action'));
	  return r.getClientRects().length;
	})()`)
	if lines != 1 {
		t.Errorf("action name wraps over %d lines", lines)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
