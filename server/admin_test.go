package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"consult/store"
)

func TestAdminRolesOnEveryRoute(t *testing.T) {
	e := newOpenEnv(t, "")
	officer := e.loginAs("officer1", store.RoleOfficer)
	committee := e.loginAs("committee1", store.RoleCommittee)
	admin := e.loginAs("admin1", store.RoleAdmin)
	anon := newClient(t)
	base := "/admin/c/" + seedSlug
	// A comment to act on.
	f, _ := e.openForm("article-17")
	e.submit(f, nil)

	gets := []string{"/admin", "/admin/password", base + "/comments", base + "/comments/1", base + "/comments/new"}
	for _, p := range gets {
		resp, err := anon.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
			t.Errorf("anonymous GET %s: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, p := range []string{"/admin", base + "/comments", base + "/comments/1"} {
		if status, _ := e.getWith(committee, p); status != http.StatusOK {
			t.Errorf("committee GET %s: %d", p, status)
		}
	}
	if status, _ := e.getWith(committee, base+"/comments/new"); status != http.StatusForbidden {
		t.Errorf("committee may not record comments: %d", status)
	}
	// Every state-changing route: committee refused, anonymous redirected, officer allowed.
	posts := []struct {
		path string
		form url.Values
	}{
		{base + "/comments/1", url.Values{"status": {"explained"}, "response": {"说明"}}},
		{base + "/comments/bulk", url.Values{"scope": {"filter"}, "status": {"explained"}, "confirm": {"1"}, "expect": {"1"}}},
		{base + "/comments/new", url.Values{"channel": {"letter"}, "received_on": {"2023-01-05"}, "section": {"general"}, "body": {"信函意见"}, "identity": {"个人"}}},
	}
	for _, p := range posts {
		_, page := e.getWith(committee, "/admin")
		form := cloneValues(p.form)
		form.Set("_csrf", csrfFrom(t, page))
		if resp, _ := e.postWith(committee, p.path, form, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("committee POST %s: %d", p.path, resp.StatusCode)
		}
		if resp, _ := e.postWith(anon, p.path, p.form, nil); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusSeeOther {
			t.Errorf("anonymous POST %s: %d", p.path, resp.StatusCode)
		}
		_, page = e.getWith(officer, "/admin")
		form.Set("_csrf", csrfFrom(t, page))
		if resp, body := e.postWith(officer, p.path, form, nil); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("officer POST %s: %d %.300s", p.path, resp.StatusCode, body)
		}
	}
	if status, _ := e.getWith(admin, "/admin"); status != http.StatusOK {
		t.Errorf("admin home: %d", status)
	}
	cm, _ := e.store.CommentByID(context.Background(), 1, 1)
	if cm.Status != store.StatusExplained {
		t.Errorf("committee or officer action not applied as expected: %s", cm.Status)
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func TestAnonymousPostIsRedirectedToLogin(t *testing.T) {
	e := newOpenEnv(t, "")
	_, page := e.get("/admin/login")
	resp, _ := e.postForm("/admin/c/"+seedSlug+"/comments/1", url.Values{"_csrf": {csrfFrom(t, page)}, "status": {"adopted"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login") {
		t.Errorf("status %d location %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLoginLogoutAndCSRF(t *testing.T) {
	e := newOpenEnv(t, "")
	e.newUser("chen", store.RoleOfficer)
	c := newClient(t)
	// No token: refused.
	resp, _ := e.postWith(c, "/admin/login", url.Values{"username": {"chen"}, "password": {testPassword}}, nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without CSRF token: %d", resp.StatusCode)
	}
	if resp := e.login(c, "chen", "wrong password!", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	if resp := e.login(c, "nobody", "wrong password!", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown user: %d", resp.StatusCode)
	}
	resp = e.login(c, "CHEN", testPassword, nil) // user names are case-insensitive
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("session cookie %+v", cookie)
	}
	if status, page := e.getWith(c, "/admin"); status != 200 || !strings.Contains(page, "chen") {
		t.Fatalf("workspace after login: %d", status)
	}
	_, page := e.getWith(c, "/admin")
	resp, _ = e.postWith(c, "/admin/logout", url.Values{"_csrf": {csrfFrom(t, page)}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	// The old cookie value is worthless now, even if replayed.
	replay := newClient(t)
	u, _ := url.Parse(e.srv.URL + "/admin")
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: cookie.Value, Path: "/admin"}})
	if status, _ := e.getWith(replay, "/admin"); status != http.StatusSeeOther {
		t.Errorf("session cookie still valid after logout: %d", status)
	}
	entries, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Username: "chen"})
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
	}
	if got := strings.Join(actions, ","); got != "logout,login,login_failed" {
		t.Errorf("audit of chen: %s", got)
	}
}

func TestSecureCookiesOnHTTPS(t *testing.T) {
	e := newOpenEnv(t, "")
	e.app.cfg.Server.BaseURL = "https://consult.example.gov.cn"
	e.newUser("chen", store.RoleOfficer)
	resp := e.login(newClient(t), "chen", testPassword, nil)
	found := false
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			found = true
			if !ck.Secure {
				t.Error("session cookie not Secure under https base_url")
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newOpenEnv(t, "")
	c := e.loginAs("chen", store.RoleOfficer)
	start := inWindow
	// Activity keeps the session alive past the idle limit...
	for i := 1; i <= 3; i++ {
		e.app.now = func() time.Time { return start.Add(time.Duration(i) * 50 * time.Minute) }
		if status, _ := e.getWith(c, "/admin"); status != 200 {
			t.Fatalf("active session ended at step %d: %d", i, status)
		}
	}
	// ...until the idle limit passes without any.
	e.app.now = func() time.Time { return start.Add(150*time.Minute + sessionIdle + time.Minute) }
	if status, _ := e.getWith(c, "/admin"); status != http.StatusSeeOther {
		t.Errorf("idle session still valid: %d", status)
	}
	// The absolute limit holds even with constant activity.
	c2 := e.loginAs("li", store.RoleOfficer)
	base := e.app.now()
	for m := time.Duration(0); m <= sessionAbsolute; m += 50 * time.Minute {
		e.app.now = func() time.Time { return base.Add(m) }
		e.getWith(c2, "/admin")
	}
	e.app.now = func() time.Time { return base.Add(sessionAbsolute + time.Minute) }
	if status, _ := e.getWith(c2, "/admin"); status != http.StatusSeeOther {
		t.Errorf("session older than the absolute limit still valid: %d", status)
	}
}

func TestLoginThrottling(t *testing.T) {
	e := newOpenEnv(t, "[limits]\nlogins_per_minute = 100\n")
	e.newUser("chen", store.RoleOfficer)
	// Per account: after five wrong passwords even the right one is refused for a while.
	for i := 0; i < maxLoginFailures; i++ {
		e.login(newClient(t), "chen", "wrong password!", http.Header{"X-Forwarded-For": {fmt.Sprintf("10.9.0.%d", i)}})
	}
	if resp := e.login(newClient(t), "chen", testPassword, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("locked account accepted the password: %d", resp.StatusCode)
	}
	e.app.now = func() time.Time { return inWindow.Add(loginLock + time.Minute) }
	if resp := e.login(newClient(t), "chen", testPassword, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("account still locked after the lock period: %d", resp.StatusCode)
	}

	// Per client: forged X-Forwarded-For headers all count as the same client.
	e2 := newOpenEnv(t, "[limits]\nlogins_per_minute = 3\n")
	var codes []int
	for i := 0; i < 5; i++ {
		resp := e2.login(newClient(t), fmt.Sprintf("user%d", i), "whatever password", http.Header{"X-Forwarded-For": {fmt.Sprintf("203.0.113.%d", i)}, "X-Real-Ip": {"1.2.3.4"}})
		codes = append(codes, resp.StatusCode)
	}
	if fmt.Sprint(codes) != "[401 401 401 429 429]" {
		t.Errorf("statuses %v", codes)
	}
}

func TestPasswordChange(t *testing.T) {
	e := newOpenEnv(t, "")
	c := e.loginAs("chen", store.RoleOfficer)
	other := newClient(t)
	e.login(other, "chen", testPassword, nil)
	_, page := e.getWith(c, "/admin/password")
	tok := csrfFrom(t, page)
	resp, body := e.postWith(c, "/admin/password", url.Values{"_csrf": {tok}, "current": {"nope"}, "password": {"short"}, "password2": {"x"}}, nil)
	if resp.StatusCode != 422 || !strings.Contains(body, "当前密码不正确") || !strings.Contains(body, "至少 10 个字符") {
		t.Fatalf("bad change: %d", resp.StatusCode)
	}
	resp, _ = e.postWith(c, "/admin/password", url.Values{"_csrf": {tok}, "current": {testPassword}, "password": {"a new long password"}, "password2": {"a new long password"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	if status, _ := e.getWith(c, "/admin"); status != 200 {
		t.Error("the session that changed the password was signed out")
	}
	if status, _ := e.getWith(other, "/admin"); status != http.StatusSeeOther {
		t.Error("other sessions survived a password change")
	}
	if resp := e.login(newClient(t), "chen", "a new long password", nil); resp.StatusCode != http.StatusSeeOther {
		t.Error("new password refused")
	}
}

// postComments stores comments directly through the store (as the public form would).
func (e *testEnv) postComments(anchor string, bodies ...string) {
	e.t.Helper()
	d, err := e.app.loadDraft(context.Background(), seedSlug)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range bodies {
		c := &store.Comment{ConsultationID: d.C.ID, SectionAnchor: anchor, Body: b, Name: "测试", Identity: "个人",
			Phone: "13830463501", ConsentedAt: inWindow, CreatedAt: inWindow, SubmissionKey: newFormKey()}
		if s := d.Section(anchor); s != nil {
			c.SectionID = s.ID
		}
		if _, _, err := e.store.CreateComment(context.Background(), c); err != nil {
			e.t.Fatal(err)
		}
	}
}

var rowRE = regexp.MustCompile(`<tr data-href="/admin/c/[^/]+/comments/(\d+)`)

func queueIDs(page string) []string {
	var ids []string
	for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestQueueSearchChinese(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-15",
		"建议加大招商引资力度,引进龙头企业。",        // 1: 招商 in the middle
		"园区应当重视产业链招商",               // 2: 招商 at the very end
		"关于人才引进的意见:提高补贴。",           // 3
		"希望优化营商环境,减少审批环节,提升政务服务效率。", // 4
	)
	c := e.loginAs("chen", store.RoleOfficer)
	tests := []struct {
		q       string
		want    string
		wantErr bool
	}{
		{"招商", "2,1", false},
		{"招商引", "1", false},
		{"优化营商环境减少审批", "", false}, // 10 characters, not contiguous in text (comma): no match
		{"优化营商环境,减少审批", "4", false},
		{"人才 补贴", "3", false},
		{"营商 招商", "", false},
		{"引进", "3,1", false},
		{"链招", "2", false},
		{"招", "", true},
		{`"招商" OR x`, "", false},
	}
	for _, tt := range tests {
		status, page := e.getWith(c, "/admin/c/"+seedSlug+"/comments?q="+url.QueryEscape(tt.q))
		if tt.wantErr {
			if status != http.StatusUnprocessableEntity || !strings.Contains(page, "至少需要两个字") {
				t.Errorf("%q: status %d", tt.q, status)
			}
			continue
		}
		if status != 200 {
			t.Errorf("%q: status %d", tt.q, status)
			continue
		}
		if got := strings.Join(queueIDs(page), ","); got != tt.want {
			t.Errorf("search %q: ids %s, want %s", tt.q, got, tt.want)
		}
	}
}

const campaign = "我们强烈建议经开区在第十七条中加大对新材料产业的扶持力度,设立专项资金,支持本地企业技术改造和人才引进,切实减轻企业负担。"

func TestCampaignGroupingAndGroupDecision(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-17", campaign, campaign, " "+campaign+"\n", strings.ReplaceAll(campaign, ",", ","), campaign+"谢谢!")
	e.postComments("article-17", "第十七条的表述过于笼统,建议明确三年目标和年度考核指标。")
	e.postComments("article-17", campaign) // a later copy joins too
	c := e.loginAs("chen", store.RoleOfficer)
	_, page := e.getWith(c, "/admin/c/"+seedSlug+"/comments?section=article-17")
	if ids := queueIDs(page); strings.Join(ids, ",") != "6,1" {
		t.Fatalf("collapsed queue ids %v, want the representative of each group", ids)
	}
	if !strings.Contains(page, "同类 6 条") {
		t.Error("group size not shown")
	}
	_, page = e.getWith(c, "/admin/c/"+seedSlug+"/comments?group=1&collapse=0")
	if n := len(queueIDs(page)); n != 6 {
		t.Errorf("group view shows %d comments, want 6", n)
	}
	// One decision for the whole group.
	_, page = e.getWith(c, "/admin/c/"+seedSlug+"/comments/1")
	resp, _ := e.postWith(c, "/admin/c/"+seedSlug+"/comments/1", url.Values{"_csrf": {csrfFrom(t, page)}, "status": {"explained"},
		"response": {"已在实施细则中考虑。"}, "whole_group": {"1"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decide: %d", resp.StatusCode)
	}
	counts, _ := e.store.StatusCounts(context.Background(), 1)
	if counts[store.StatusExplained] != 6 || counts[store.StatusPending] != 1 {
		t.Errorf("counts after group decision: %v", counts)
	}
	entries, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "decide_group"})
	if len(entries) != 6 || entries[0].Username != "chen" || !strings.Contains(entries[0].BeforeJSON, `"pending"`) || !strings.Contains(entries[0].AfterJSON, `"explained"`) {
		t.Errorf("audit of the group decision: %d entries %+v", len(entries), entries)
	}
}

func TestDecideRulesAndHistory(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-3", "建议二", "建议一") // ids 1, 2: the queue lists 2 first
	c := e.loginAs("chen", store.RoleOfficer)
	_, page := e.getWith(c, "/admin/c/"+seedSlug+"/comments/2")
	if !strings.Contains(page, "坚持稳中求进") {
		t.Error("the article's text is not beside the comment")
	}
	tok := csrfFrom(t, page)
	resp, body := e.postWith(c, "/admin/c/"+seedSlug+"/comments/2", url.Values{"_csrf": {tok}, "status": {"rejected"}, "note": {"内部"}}, nil)
	if resp.StatusCode != 422 || !strings.Contains(body, "必须填写理由") || !strings.Contains(body, "内部") {
		t.Fatalf("rejected without reason: %d", resp.StatusCode)
	}
	resp, _ = e.postWith(c, "/admin/c/"+seedSlug+"/comments/2", url.Values{"_csrf": {tok}, "status": {"rejected"}, "response": {"与上位法不符"},
		"note": {"内部备注"}, "tags": {"法规  人员"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/comments/1?") {
		t.Fatalf("save and next: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cm, _ := e.store.CommentByID(context.Background(), 1, 2)
	if cm.Status != "rejected" || cm.Response != "与上位法不符" || cm.Note != "内部备注" || cm.Tags != "法规 人员" || cm.DecidedBy != "chen" {
		t.Errorf("stored %+v", cm)
	}
	_, page = e.getWith(c, "/admin/c/"+seedSlug+"/comments/2")
	if !strings.Contains(page, `id="history"`) || !strings.Contains(page, "与上位法不符") {
		t.Error("history not shown")
	}
	_, q := e.getWith(c, "/admin/c/"+seedSlug+"/comments?tag=法规")
	if ids := queueIDs(q); len(ids) != 1 || ids[0] != "2" {
		t.Errorf("tag filter: %v", ids)
	}
	_, q = e.getWith(c, "/admin/c/"+seedSlug+"/comments?status=pending")
	if ids := queueIDs(q); len(ids) != 1 || ids[0] != "1" {
		t.Errorf("status filter: %v", ids)
	}
	// The public draft page never shows decisions.
	_, pub := e.get("/c/" + seedSlug)
	if strings.Contains(pub, "与上位法不符") || strings.Contains(pub, "内部备注") {
		t.Error("decision leaked to the public page")
	}
}

func TestBulkDecisionConfirmsCount(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-1", "甲意见内容", "乙意见内容", "丙意见内容")
	e.postComments("article-2", "丁意见内容")
	c := e.loginAs("chen", store.RoleOfficer)
	_, page := e.getWith(c, "/admin/c/"+seedSlug+"/comments?section=article-1")
	tok := csrfFrom(t, page)
	form := url.Values{"_csrf": {tok}, "q_section": {"article-1"}, "scope": {"filter"}, "status": {"invalid"}, "tags": {"批量"}}
	resp, body := e.postWith(c, "/admin/c/"+seedSlug+"/comments/bulk", form, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "将处理 <strong>3</strong> 条意见") {
		t.Fatalf("confirmation: %d %.500s", resp.StatusCode, body)
	}
	// Something changes between the count and the confirmation: refused.
	e.postComments("article-1", "戊意见内容")
	form.Set("confirm", "1")
	form.Set("expect", "3")
	if resp, _ := e.postWith(c, "/admin/c/"+seedSlug+"/comments/bulk", form, nil); resp.StatusCode != http.StatusConflict {
		t.Fatalf("changed selection: %d", resp.StatusCode)
	}
	form.Set("expect", "4")
	resp, _ = e.postWith(c, "/admin/c/"+seedSlug+"/comments/bulk", form, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk: %d", resp.StatusCode)
	}
	counts, _ := e.store.StatusCounts(context.Background(), 1)
	if counts["invalid"] != 4 || counts["pending"] != 1 {
		t.Errorf("counts %v", counts)
	}
	// Selected ids.
	sel := url.Values{"_csrf": {tok}, "scope": {"selected"}, "ids": {"4"}, "status": {"adopted"}, "confirm": {"1"}, "expect": {"1"}}
	if resp, _ := e.postWith(c, "/admin/c/"+seedSlug+"/comments/bulk", sel, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk selected: %d", resp.StatusCode)
	}
	if cm, _ := e.store.CommentByID(context.Background(), 1, 4); cm.Status != "adopted" {
		t.Errorf("selected comment: %s", cm.Status)
	}
	bulk, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "bulk_decide"})
	items, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "bulk_item"})
	if len(bulk) != 2 || len(items) != 5 || !strings.Contains(bulk[1].AfterJSON, `"section":"article-1"`) {
		t.Errorf("audit: %d bulk, %d items; %s", len(bulk), len(items), bulk[len(bulk)-1].AfterJSON)
	}
}

func TestRecordLetterAfterClosing(t *testing.T) {
	e := newOpenEnv(t, "")
	e.app.now = func() time.Time { return time.Date(2023, 2, 20, 9, 0, 0, 0, beijing) } // closed
	c := e.loginAs("chen", store.RoleOfficer)
	_, page := e.getWith(c, "/admin/c/"+seedSlug+"/comments/new")
	tok := csrfFrom(t, page)
	bad := url.Values{"_csrf": {tok}, "channel": {"letter"}, "received_on": {"2023-02-10"}, "section": {"article-9"}, "body": {""}, "identity": {"企业"}, "organization": {"某公司"}}
	if resp, body := e.postWith(c, "/admin/c/"+seedSlug+"/comments/new", bad, nil); resp.StatusCode != 422 || !strings.Contains(body, "请填写意见内容") || !strings.Contains(body, "某公司") {
		t.Fatalf("invalid letter: %d", resp.StatusCode)
	}
	for day, late := range map[string]bool{"2023-02-07": false, "2023-02-10": true} {
		f := cloneValues(bad)
		f.Set("body", "来信意见 "+day)
		f.Set("received_on", day)
		resp, _ := e.postWith(c, "/admin/c/"+seedSlug+"/comments/new", f, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("record: %d", resp.StatusCode)
		}
		rows, _, _ := e.store.Queue(context.Background(), store.QueueFilter{ConsultationID: 1, Q: day})
		if len(rows) != 1 || rows[0].Channel != "letter" || rows[0].Late != late || rows[0].RecordedBy != "chen" {
			t.Errorf("%s: %+v", day, rows)
		}
	}
	_, q := e.getWith(c, "/admin/c/"+seedSlug+"/comments?channel=letter")
	if !strings.Contains(q, "逾期") || len(queueIDs(q)) != 2 {
		t.Error("letters not listed with the late mark")
	}
}

func TestCommandUserAddAndFirstAdmin(t *testing.T) {
	e := newTestEnv(t, "")
	ctx := context.Background()
	var out bytes.Buffer
	err := runCommand(ctx, e.app.cfg, e.store, []string{"user", "add", "-role", "committee", "weiyuan"}, strings.NewReader("a long enough password\n"), &out)
	if err != nil || !strings.Contains(out.String(), "weiyuan") {
		t.Fatalf("user add: %v %s", err, out.String())
	}
	if resp := e.login(newClient(t), "weiyuan", "a long enough password", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("new user cannot log in: %d", resp.StatusCode)
	}
	for _, args := range [][]string{{"user", "add", "-role", "boss", "x"}, {"user", "add", "-role", "officer"}, {"user", "add", "-role", "officer", "weiyuan"}} {
		if err := runCommand(ctx, e.app.cfg, e.store, args, strings.NewReader("a long enough password\n"), &out); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if err := runCommand(ctx, e.app.cfg, e.store, []string{"user", "add", "-role", "officer", "y"}, strings.NewReader("short\n"), &out); err == nil {
		t.Error("short password accepted")
	}
	// With accounts present no admin is invented.
	var logs bytes.Buffer
	if err := ensureFirstAdmin(ctx, e.store, slog.New(slog.NewTextHandler(&logs, nil))); err != nil || logs.Len() != 0 {
		t.Errorf("first admin created although users exist: %v %s", err, logs.String())
	}
	e2 := newTestEnv(t, "")
	if err := ensureFirstAdmin(ctx, e2.store, slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`username=admin password=(\S+)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("password not printed: %s", logs.String())
	}
	if resp := e2.login(newClient(t), "admin", m[1], nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("printed password does not work: %d", resp.StatusCode)
	}
}
