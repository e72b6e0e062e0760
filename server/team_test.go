package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"consult/store"
)

func init() {
	registerSample("admin_routing", func(t *testing.T, e *testEnv) any {
		d, err := e.app.loadDraft(context.Background(), seedSlug)
		if err != nil {
			t.Fatal(err)
		}
		return routingView{D: d, Rules: []store.RouteRule{{SectionAnchor: "article-13", Unit: "财政局", DueDays: 10, CreatedBy: "li", CreatedAt: time.Now()}},
			Units: []string{"财政局"}, Errors: map[string]string{"unit": "x"}, Saved: "3"}
	})
}

// addUser adds an account through the command line, as a newcomer would, and signs in.
func (e *testEnv) addUser(args ...string) *http.Client {
	e.t.Helper()
	var out bytes.Buffer
	if err := runCommand(context.Background(), e.app.cfg, e.store, append([]string{"user", "add"}, args...), strings.NewReader(testPassword+"\n"), &out); err != nil {
		e.t.Fatalf("user add %v: %v", args, err)
	}
	c := newClient(e.t)
	if resp := e.login(c, args[len(args)-1], testPassword, nil); resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %v: %d", args, resp.StatusCode)
	}
	return c
}

var routeVersionRE = regexp.MustCompile(`name="route_version" value="(\d+)"`)

func routeVersion(t *testing.T, page string) string {
	t.Helper()
	m := routeVersionRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no route_version on the page")
	}
	return m[1]
}

// The walk-through: two officers and a department; article 13's comments go to
// 财政局 by a standing rule; the department answers, the officer accepts one and
// returns another; every step is audited; the department sees only its own items and
// no contact data.
func TestDepartmentRoutingFlow(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	e.postComments("article-13", "第十三条:财政资金应当公开。", "第十三条:建议明确预算绩效。")
	e.postComments("article-17", "第十七条:人员编制问题。")
	li := e.addUser("-role", "officer", "li")
	e.addUser("-role", "officer", "chen")
	cz := e.addUser("-role", "department", "-unit", "财政局", "caizheng")
	rs := e.addUser("-role", "department", "-unit", "人社局", "renshe")
	var out bytes.Buffer
	if err := runCommand(ctx, e.app.cfg, e.store, []string{"user", "add", "-role", "department", "nounit"}, strings.NewReader(testPassword+"\n"), &out); err == nil {
		t.Error("a department account without its unit was accepted")
	}
	base := "/admin/c/" + seedSlug

	// A standing rule: 第十三条 → 财政局, ten days.
	_, page := e.getWith(li, base+"/routing")
	resp, body := e.postWith(li, base+"/routing", url.Values{"_csrf": {csrfFrom(t, page)}, "section": {"article-13"}, "unit": {""}, "due_days": {"10"}}, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写承办单位") || !strings.Contains(body, `value="10"`) {
		t.Errorf("rule without unit: %d", resp.StatusCode)
	}
	resp, _ = e.postWith(li, base+"/routing", url.Values{"_csrf": {csrfFrom(t, page)}, "section": {"article-13"}, "unit": {"财政局"}, "due_days": {"10"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "saved=2") {
		t.Fatalf("rule: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A comment arriving later on article 13 is routed as it is stored.
	e.postComments("article-13", "第十三条:后来的意见。")
	if r, err := e.store.RoutingFor(ctx, 4); err != nil || r.Unit != "财政局" || r.State != store.RouteRouted || r.DueAt.IsZero() {
		t.Fatalf("rule on arrival: %+v %v", r, err)
	}
	// Article 17 by hand, to 人社局, already overdue.
	_, page = e.getWith(li, base+"/comments/3")
	resp, _ = e.postWith(li, base+"/comments/route", url.Values{"_csrf": {csrfFrom(t, page)}, "back_id": {"3"}, "unit": {"人社局"}, "due": {"2023-01-01"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("route by hand: %d", resp.StatusCode)
	}

	// The queue filters by unit and routing state, and flags overdue items.
	_, q := e.getWith(li, base+"/comments?unit=财政局")
	if ids := queueIDs(q); strings.Join(ids, ",") != "4,2,1" {
		t.Errorf("unit filter: %v", ids)
	}
	_, q = e.getWith(li, base+"/comments?route=none")
	if ids := queueIDs(q); len(ids) != 0 {
		t.Errorf("未交办 filter: %v", ids)
	}
	_, q = e.getWith(li, base+"/comments?overdue=1")
	if ids := queueIDs(q); strings.Join(ids, ",") != "3" || !strings.Contains(q, `<span class="badge overdue">逾期</span>`) || !strings.Contains(q, "人社局 · 待回复") {
		t.Errorf("overdue filter: %v", ids)
	}

	// The department sees only its own items, never contact data, never another unit's.
	_, q = e.getWith(cz, base+"/comments")
	if ids := queueIDs(q); strings.Join(ids, ",") != "4,2,1" {
		t.Errorf("财政局 queue: %v", ids)
	}
	_, q = e.getWith(cz, base+"/comments?unit=人社局")
	if ids := queueIDs(q); strings.Join(ids, ",") != "4,2,1" {
		t.Errorf("a department widened its queue by URL: %v", ids)
	}
	if status, _ := e.getWith(cz, base+"/comments/3"); status != http.StatusNotFound {
		t.Errorf("财政局 opened 人社局's comment: %d", status)
	}
	status, czPage := e.getWith(cz, base+"/comments/1")
	if status != http.StatusOK || strings.Contains(czPage, "13830463501") || strings.Contains(czPage, `id="history"`) {
		t.Errorf("department comment page: %d, contact or history shown", status)
	}
	if !strings.Contains(czPage, `id="propose-form"`) || strings.Contains(czPage, `id="decide"`) {
		t.Error("department page: no proposal form, or the officer's decision form")
	}
	for _, p := range []string{base + "/dashboard", base + "/feedback", "/admin/audit", base + "/comments/new", base + "/routing"} {
		if status, _ := e.getWith(cz, p); status != http.StatusForbidden {
			t.Errorf("department GET %s: %d", p, status)
		}
	}
	// 人社局 proposing on 财政局's comment is refused.
	_, rsPage := e.getWith(rs, base+"/comments/3")
	if resp, _ := e.postWith(rs, base+"/comments/1/propose", url.Values{"_csrf": {csrfFrom(t, rsPage)}, "proposed_status": {"adopted"}}, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another unit's proposal: %d", resp.StatusCode)
	}

	// 财政局 proposes: a rejection without a reason is refused with the text kept.
	pf := url.Values{"_csrf": {csrfFrom(t, czPage)}, "route_version": {routeVersion(t, czPage)}, "proposed_status": {"rejected"}, "proposed_response": {""}}
	resp, body = e.postWith(cz, base+"/comments/1/propose", pf, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "必须填写理由") {
		t.Errorf("proposal without reason: %d", resp.StatusCode)
	}
	pf.Set("proposed_status", "adopted")
	pf.Set("proposed_response", "财政局:采纳,将公开财政资金使用情况。")
	if resp, body := e.postWith(cz, base+"/comments/1/propose", pf, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("proposal: %d %.300s", resp.StatusCode, body)
	}
	_, czPage2 := e.getWith(cz, base+"/comments/2")
	pf2 := url.Values{"_csrf": {csrfFrom(t, czPage2)}, "route_version": {routeVersion(t, czPage2)}, "proposed_status": {"explained"}, "proposed_response": {"财政局:已有规定。"}}
	if resp, _ := e.postWith(cz, base+"/comments/2/propose", pf2, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second proposal: %d", resp.StatusCode)
	}
	_, q = e.getWith(li, base+"/comments?route=answered")
	if ids := queueIDs(q); strings.Join(ids, ",") != "2,1" {
		t.Errorf("已回复待审: %v", ids)
	}

	// The officer accepts comment 1's proposal…
	_, liPage := e.getWith(li, base+"/comments/1")
	if !strings.Contains(liPage, "财政局:采纳,将公开财政资金使用情况。") || !strings.Contains(liPage, `id="accept"`) {
		t.Fatal("the officer does not see the proposal to accept")
	}
	rv := routeVersion(t, liPage)
	if resp, _ := e.postWith(li, base+"/comments/1/review", url.Values{"_csrf": {csrfFrom(t, liPage)}, "route_version": {rv}, "action": {"accept"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept: %d", resp.StatusCode)
	}
	cm, _ := e.store.CommentByID(ctx, 1, 1)
	if cm.Status != store.StatusAdopted || cm.Response != "财政局:采纳,将公开财政资金使用情况。" || cm.DecidedBy != "li" {
		t.Errorf("accepted decision: %+v", cm)
	}
	// …and returns comment 2's with a note (required).
	_, liPage = e.getWith(li, base+"/comments/2")
	rf := url.Values{"_csrf": {csrfFrom(t, liPage)}, "route_version": {routeVersion(t, liPage)}, "action": {"return"}}
	if resp, _ := e.postWith(li, base+"/comments/2/review", rf, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("return without note: %d", resp.StatusCode)
	}
	rf.Set("return_note", "请引用具体文件名称。")
	if resp, _ := e.postWith(li, base+"/comments/2/review", rf, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("return: %d", resp.StatusCode)
	}
	_, q = e.getWith(cz, base+"/comments?route=returned")
	if ids := queueIDs(q); strings.Join(ids, ",") != "2" {
		t.Errorf("已退回 for the department: %v", ids)
	}
	_, czPage2 = e.getWith(cz, base+"/comments/2")
	if !strings.Contains(czPage2, "请引用具体文件名称。") {
		t.Error("the department does not see the return note")
	}

	// The dashboard shows each unit's backlog.
	_, dash := e.getWith(li, base+"/dashboard")
	for _, want := range []string{`id="backlog"`, `id="backlog-财政局"`, `id="backlog-人社局"`} {
		if !strings.Contains(dash, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
	if !regexp.MustCompile(`(?s)id="backlog-人社局".*?class="overdue"[^>]*>1<`).MatchString(dash) {
		t.Error("人社局's overdue item not counted on the dashboard")
	}

	// Every step is in the audit log.
	for action, want := range map[string]int{"route_rule": 1, "route": 3, "route_auto": 1, "route_answer": 2, "route_accept": 1, "route_return": 1} {
		got, _ := e.store.ListAudit(ctx, store.AuditFilter{Action: action})
		if len(got) != want {
			t.Errorf("audit %s: %d entries, want %d", action, len(got), want)
		}
	}
}

// With privacy.contact_roles including department, the unit sees contact data.
func TestDepartmentContactByConfig(t *testing.T) {
	e := newOpenEnv(t, "\n[privacy]\ncontact_roles = [\"admin\", \"officer\", \"department\"]\n")
	e.postComments("article-13", "第十三条意见")
	cz := e.addUser("-role", "department", "-unit", "财政局", "caizheng")
	if _, err := e.store.Route(context.Background(), store.Actor{Username: "li"}, 1, []int64{1}, "财政局", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, page := e.getWith(cz, "/admin/c/"+seedSlug+"/comments/1"); !strings.Contains(page, "13830463501") {
		t.Error("contact data not shown although the config allows the department")
	}
}

// Assignment splits the queue: 指派给我 and 我的待办, and the page shows who else has
// the comment open right now.
func TestAssignmentAndPresence(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-5", "意见一", "意见二", "意见三")
	li := e.loginAs("li", store.RoleOfficer)
	chen := e.loginAs("chen", store.RoleOfficer)
	base := "/admin/c/" + seedSlug + "/comments"
	_, q := e.getWith(li, base)
	resp, _ := e.postWith(li, base+"/assign", url.Values{"_csrf": {csrfFrom(t, q)}, "ids": {"1", "2"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign to me: %d", resp.StatusCode)
	}
	_, page := e.getWith(chen, base+"/3")
	if resp, _ := e.postWith(chen, base+"/assign", url.Values{"_csrf": {csrfFrom(t, page)}, "back_id": {"3"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("chen assigns 3: %d", resp.StatusCode)
	}
	_, q = e.getWith(li, base+"?assigned=me&status=pending")
	if ids := queueIDs(q); strings.Join(ids, ",") != "2,1" {
		t.Errorf("li's 我的待办: %v", ids)
	}
	_, q = e.getWith(chen, base+"?assigned=me")
	if ids := queueIDs(q); strings.Join(ids, ",") != "3" {
		t.Errorf("chen's 我的待办: %v", ids)
	}
	// chen has comment 1 open; li opening it sees so, and chen sees li.
	e.getWith(chen, base+"/1")
	_, liPage := e.getWith(li, base+"/1")
	if !strings.Contains(liPage, `id="presence-names">chen<`) || regexp.MustCompile(`id="presence"[^>]* hidden`).MatchString(liPage) {
		t.Error("li does not see that chen has the comment open")
	}
	_, chenPage := e.getWith(chen, base+"/1")
	if !strings.Contains(chenPage, `id="presence-names">li<`) {
		t.Error("chen does not see li")
	}
	// The queue shows it too.
	_, q = e.getWith(chen, base)
	if !regexp.MustCompile(`id="assigned-1">li <span class="badge" title="正在查看">li 正在查看`).MatchString(q) {
		t.Errorf("queue does not show who has comment 1 open: %s", regexp.MustCompile(`(?s)id="assigned-1">.{0,300}`).FindString(q))
	}
	// After the TTL the presence is gone.
	e.app.now = func() time.Time { return inWindow.Add(presenceTTL + time.Minute) }
	_, q = e.getWith(chen, base+"/2")
	if !regexp.MustCompile(`id="presence"[^>]* hidden>`).MatchString(q) || !strings.Contains(q, `id="presence-names"><`) {
		t.Error("stale presence shown")
	}
	// The page's poll says it is still open and answers who else is there.
	_, chenPage = e.getWith(chen, base+"/1")
	status, js := e.getWith(li, base+"/1/presence")
	if status != http.StatusOK || js != `{"viewers":["chen"]}`+"\n" {
		t.Errorf("presence ping: %d %q", status, js)
	}
	// Release; audit.
	_, liPage = e.getWith(li, base+"/1")
	if resp, _ := e.postWith(li, base+"/assign", url.Values{"_csrf": {csrfFrom(t, liPage)}, "back_id": {"1"}, "release": {"1"}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("release: %d", resp.StatusCode)
	}
	if cm, _ := e.store.CommentByID(context.Background(), 1, 1); cm.AssignedTo != "" {
		t.Errorf("released comment still assigned to %q", cm.AssignedTo)
	}
	if got, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "assign"}); len(got) != 4 {
		t.Errorf("assign audit entries: %d", len(got))
	}
	_ = fmt.Sprint
}

// The committee workbook carries each comment's unit, routing state, due date and the
// unit's proposal; a unit downloads its own items only, with contact data masked.
func TestExportRoutingColumnsAndDepartmentDownload(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	e.postComments("article-13", "第十三条:财政意见甲。", "第十三条:财政意见乙。")
	e.postComments("article-17", "第十七条:人社意见。")
	e.postComments("article-3", "第三条:未交办的意见。")
	officer := e.loginAs("li", store.RoleOfficer)
	cz := e.addUser("-role", "department", "-unit", "财政局", "caizheng")
	due := time.Date(2023, 1, 20, 23, 59, 59, 0, beijing)
	if _, err := e.store.Route(ctx, store.Actor{Username: "li"}, 1, []int64{1, 2}, "财政局", due); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Route(ctx, store.Actor{Username: "li"}, 1, []int64{3}, "人社局", time.Date(2023, 1, 1, 0, 0, 0, 0, beijing)); err != nil {
		t.Fatal(err)
	}
	if err := e.store.ProposeAnswer(ctx, store.Actor{Username: "caizheng"}, 1, 1, "财政局",
		store.Decision{Status: store.StatusAdopted, Response: "拟采纳,公开资金使用。"}, -1); err != nil {
		t.Fatal(err)
	}
	col := func(header []string, name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s in %v", name, header)
		return -1
	}
	_, _, f := e.download(officer, "?sort=old")
	rows := sheetRows(t, f, sheetDetail)
	h := rows[0]
	unit, state, dueCol, prop, phone := col(h, "承办单位"), col(h, "交办状态"), col(h, "办理期限"), col(h, "承办单位拟处理意见"), col(h, "联系电话")
	if len(rows) != 5 {
		t.Fatalf("officer's workbook: %d rows", len(rows))
	}
	cell := func(r []string, i int) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	want := [][]string{
		{"财政局", "已回复待审", "2023-01-20 23:59", "采纳:拟采纳,公开资金使用。"},
		{"财政局", "待回复", "2023-01-20 23:59", ""},
		{"人社局", "待回复(逾期)", "2023-01-01 00:00", ""},
		{"", "未交办", "", ""},
	}
	for i, w := range want {
		r := rows[i+1]
		got := []string{cell(r, unit), cell(r, state), cell(r, dueCol), cell(r, prop)}
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d: %q, want %q", i+1, got, w)
		}
	}
	if cell(rows[1], phone) != "13830463501" {
		t.Errorf("officer's workbook masks the phone: %q", cell(rows[1], phone))
	}
	// The department's download: its own two items, contact data masked.
	resp, _, f := e.download(cz, "?unit=人社局")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("department download: %d", resp.StatusCode)
	}
	rows = sheetRows(t, f, sheetDetail)
	if len(rows) != 3 {
		t.Fatalf("department workbook has %d rows, want its 2 items and the header", len(rows))
	}
	for _, r := range rows[1:] {
		if cell(r, unit) != "财政局" || strings.Contains(strings.Join(r, " "), "13830463501") {
			t.Errorf("department workbook row: %q", r)
		}
	}
	if r := rowByLabel(sheetRows(t, f, sheetSummary), "导出范围"); r == nil || !strings.Contains(r[1], "承办单位:财政局") {
		t.Errorf("the workbook does not say it holds 财政局's items only: %q", r)
	}
}
