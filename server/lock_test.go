package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"consult/store"
)

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

// decisionForm reads the decision form of a comment page as its officer would submit it.
func decisionForm(t *testing.T, page string) url.Values {
	t.Helper()
	m := versionRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no version field on the decision form")
	}
	return url.Values{"_csrf": {csrfFrom(t, page)}, "version": {m[1]}, "stay": {"1"}}
}

// Two officers, two real sessions, the same comment open: the later save is refused
// with both decisions shown, and saving over it takes one deliberate click.
func TestDecisionConflictTwoSessions(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-13", "建议第十三条明确财政资金来源。")
	li := e.loginAs("li", store.RoleOfficer)
	chen := e.loginAs("chen", store.RoleOfficer)
	path := "/admin/c/" + seedSlug + "/comments/1"
	_, liPage := e.getWith(li, path)
	_, chenPage := e.getWith(chen, path)

	lf := decisionForm(t, liPage)
	lf.Set("status", store.StatusAdopted)
	lf.Set("response", "采纳,已在第十三条补充资金来源。")
	if resp, body := e.postWith(li, path, lf, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("li saves: %d %.300s", resp.StatusCode, body)
	}

	cf := decisionForm(t, chenPage)
	cf.Set("status", store.StatusRejected)
	cf.Set("response", "不予采纳:资金来源另行规定。")
	cf.Set("note", "陈的内部备注")
	cf.Set("tags", "财政 资金")
	resp, body := e.postWith(chen, path, cf, nil)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("chen's stale save: %d, want 409", resp.StatusCode)
	}
	cm, _ := e.store.CommentByID(context.Background(), 1, 1)
	if cm.Status != store.StatusAdopted || cm.DecidedBy != "li" {
		t.Fatalf("li's decision was replaced: %+v", cm)
	}
	for _, want := range []string{`id="conflict"`, `id="conflict-by">li<`, "采纳,已在第十三条补充资金来源。",
		"不予采纳:资金来源另行规定。", "陈的内部备注", `value="财政 资金"`, `id="overwrite"`, `id="conflict-at"`} {
		if !strings.Contains(body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	// chen's own choice is still selected in the form.
	if !regexp.MustCompile(`value="rejected" data-key="\d+" checked`).MatchString(body) {
		t.Error("chen's status is not kept in the form")
	}

	// One click: save over li's decision, deliberately.
	of := decisionForm(t, body)
	for _, k := range []string{"status", "response", "note", "tags"} {
		of.Set(k, cf.Get(k))
	}
	if resp, body := e.postWith(chen, path, of, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("overwrite: %d %.300s", resp.StatusCode, body)
	}
	cm, _ = e.store.CommentByID(context.Background(), 1, 1)
	if cm.Status != store.StatusRejected || cm.DecidedBy != "chen" || cm.Note != "陈的内部备注" {
		t.Fatalf("overwrite not saved: %+v", cm)
	}
	// Both decisions are in the history.
	hist, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Target: "comment:1"})
	if len(hist) != 2 {
		t.Errorf("history has %d entries, want 2", len(hist))
	}
	// li's page, still open, is now stale too.
	lf.Set("status", store.StatusPartial)
	if resp, _ := e.postWith(li, path, lf, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("li's second stale save: %d", resp.StatusCode)
	}
}

var markRE = regexp.MustCompile(`name="mark" value="(\d+)"`)

// A bulk decision lists the comments another officer decided after the selection and
// leaves them alone unless the officer confirms overwriting them.
func TestBulkDecisionLeavesChangedCommentsAlone(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-13", "甲:第十三条意见", "乙:第十三条意见", "丙:第十三条意见")
	li := e.loginAs("li", store.RoleOfficer)
	chen := e.loginAs("chen", store.RoleOfficer)
	base := "/admin/c/" + seedSlug + "/comments"
	_, queue := e.getWith(li, base+"?section=article-13")
	mark := markRE.FindStringSubmatch(queue)
	if mark == nil {
		t.Fatal("no mark on the queue's bulk form")
	}
	// chen decides comment 2 while li is making her selection.
	_, page := e.getWith(chen, base+"/2")
	cf := decisionForm(t, page)
	cf.Set("status", store.StatusAdopted)
	cf.Set("response", "陈:采纳")
	if resp, _ := e.postWith(chen, base+"/2", cf, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("chen decides: %d", resp.StatusCode)
	}
	form := url.Values{"_csrf": {csrfFrom(t, queue)}, "mark": {mark[1]}, "scope": {"selected"}, "ids": {"1", "2", "3"},
		"status": {store.StatusExplained}, "response": {"李:统一说明"}}
	resp, body := e.postWith(li, base+"/bulk", form, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="mark" value="`+mark[1]+`"`) {
		t.Fatalf("confirmation page: %d", resp.StatusCode)
	}
	form.Set("confirm", "1")
	form.Set("expect", "3")
	resp, body = e.postWith(li, base+"/bulk", form, nil)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("bulk over a changed comment: %d, want 409", resp.StatusCode)
	}
	for _, want := range []string{`id="changed-2"`, "陈:采纳", "chen", `id="bulk-skip-changed"`, `id="bulk-overwrite-all"`} {
		if !strings.Contains(body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="changed-1"`) || strings.Contains(body, `id="changed-3"`) {
		t.Error("unchanged comments listed as changed")
	}
	counts, _ := e.store.StatusCounts(context.Background(), 1)
	if counts[store.StatusExplained] != 0 {
		t.Fatalf("the refused bulk decision saved something: %v", counts)
	}
	// Leave chen's decision alone: the skip form as the page rendered it.
	skip := formFields(t, body, "bulk-skip")
	if resp, body := e.postWith(li, base+"/bulk", skip, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("skip changed: %d %.400s", resp.StatusCode, body)
	}
	for id, want := range map[int64]string{1: store.StatusExplained, 2: store.StatusAdopted, 3: store.StatusExplained} {
		if cm, _ := e.store.CommentByID(context.Background(), 1, id); cm.Status != want {
			t.Errorf("comment %d: %s, want %s", id, cm.Status, want)
		}
	}
	// Overwriting deliberately decides the changed one too.
	resp, body = e.postWith(li, base+"/bulk", form, nil)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("second bulk: %d", resp.StatusCode)
	}
	over := formFields(t, body, "bulk-overwrite")
	if resp, _ := e.postWith(li, base+"/bulk", over, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("overwrite: %d", resp.StatusCode)
	}
	if cm, _ := e.store.CommentByID(context.Background(), 1, 2); cm.Status != store.StatusExplained || cm.DecidedBy != "li" {
		t.Errorf("overwrite: %+v", cm)
	}
}

var (
	formRE  = regexp.MustCompile(`(?s)<form[^>]*id="([^"]+)"[^>]*>(.*?)</form>`)
	inputRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// formFields returns the hidden fields of the form with that id, as the browser sends them.
func formFields(t *testing.T, page, id string) url.Values {
	t.Helper()
	for _, m := range formRE.FindAllStringSubmatch(page, -1) {
		if m[1] != id {
			continue
		}
		out := url.Values{}
		for _, in := range inputRE.FindAllStringSubmatch(m[2], -1) {
			out.Add(in[1], htmlUnescape(in[2]))
		}
		return out
	}
	t.Fatalf("no form %q", id)
	return nil
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// Two officers editing the feedback report's summary: the later save is refused with
// the other text shown and the officer's own kept; a second click saves over it.
func TestFeedbackDraftConflict(t *testing.T) {
	e := newOpenEnv(t, "")
	li := e.loginAs("li", store.RoleOfficer)
	chen := e.loginAs("chen", store.RoleOfficer)
	path := "/admin/c/" + seedSlug + "/feedback"
	_, liPage := e.getWith(li, path)
	_, chenPage := e.getWith(chen, path)
	lf := decisionForm(t, liPage)
	lf.Set("summary", "李写的总体情况说明。")
	if resp, _ := e.postWith(li, path, lf, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("li saves: %d", resp.StatusCode)
	}
	cf := decisionForm(t, chenPage)
	cf.Set("summary", "陈写的总体情况说明。")
	cf.Set("publish", "1")
	resp, body := e.postWith(chen, path, cf, nil)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("chen's stale save: %d, want 409", resp.StatusCode)
	}
	for _, want := range []string{"李写的总体情况说明。", ">陈写的总体情况说明。</textarea>", `id="conflict-by">li<`, `id="overwrite"`} {
		if !strings.Contains(body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	if reps, _ := e.store.FeedbackReports(context.Background(), 1); len(reps) != 0 {
		t.Error("a refused save published the report")
	}
	st, _ := e.store.FeedbackDraftFull(context.Background(), 1)
	if st.Summary != "李写的总体情况说明。" {
		t.Fatalf("li's text replaced: %q", st.Summary)
	}
	of := decisionForm(t, body)
	of.Set("summary", "陈写的总体情况说明。")
	if resp, _ := e.postWith(chen, path, of, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("overwrite: %d", resp.StatusCode)
	}
	if st, _ := e.store.FeedbackDraftFull(context.Background(), 1); st.Summary != "陈写的总体情况说明。" || st.UpdatedBy != "chen" {
		t.Errorf("overwrite: %+v", st)
	}
}

var seenRE = regexp.MustCompile(`name="seen" value="(\d+)"`)

// Two admins changing the window: the later change is refused with the earlier shown.
func TestWindowEditConflict(t *testing.T) {
	e := newOpenEnv(t, "")
	a1 := e.loginAs("root1", store.RoleAdmin)
	a2 := e.loginAs("root2", store.RoleAdmin)
	_, p1 := e.getWith(a1, windowPath)
	_, p2 := e.getWith(a2, windowPath)
	post := func(c *http.Client, page, closes, reason string) (*http.Response, string) {
		m := seenRE.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no seen field on the window form")
		}
		return e.postWith(c, windowPath, url.Values{"_csrf": {csrfFrom(t, page)}, "seen": {m[1]},
			"opens_at": {"2022-12-21T17:24"}, "closes_at": {closes}, "reason": {reason}}, nil)
	}
	if resp, _ := post(a1, p1, "2023-02-20T17:00", "root1:延长至二月二十日"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first change: %d", resp.StatusCode)
	}
	resp, body := post(a2, p2, "2023-02-28T17:00", "root2:延长至二月底")
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale change: %d, want 409", resp.StatusCode)
	}
	for _, want := range []string{`id="conflict-by">root1<`, "root1:延长至二月二十日", ">root2:延长至二月底</textarea>", `value="2023-02-28T17:00"`} {
		if !strings.Contains(body, want) {
			t.Errorf("conflict page lacks %q", want)
		}
	}
	if resp, _ := post(a2, body, "2023-02-28T17:00", "root2:延长至二月底"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deliberate change: %d", resp.StatusCode)
	}
	cs, _ := e.store.ConsultationByID(context.Background(), 1)
	if got := cs.ClosesAt.In(beijing).Format("2006-01-02"); got != "2023-02-28" {
		t.Errorf("window closes %s", got)
	}
}

// An invalid save (不予采纳 without a reason) made against an older version comes back
// with that older version still in the form, so fixing the reason cannot slip past
// the conflict check.
func TestInvalidStaleDecisionKeepsItsVersion(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-13", "第十三条意见")
	li := e.loginAs("li", store.RoleOfficer)
	chen := e.loginAs("chen", store.RoleOfficer)
	path := "/admin/c/" + seedSlug + "/comments/1"
	_, liPage := e.getWith(li, path)
	_, chenPage := e.getWith(chen, path)
	lf := decisionForm(t, liPage)
	lf.Set("status", store.StatusAdopted)
	if resp, _ := e.postWith(li, path, lf, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("li: %d", resp.StatusCode)
	}
	cf := decisionForm(t, chenPage)
	cf.Set("status", store.StatusRejected)
	resp, body := e.postWith(chen, path, cf, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid: %d", resp.StatusCode)
	}
	fixed := decisionForm(t, body)
	if fixed.Get("version") != cf.Get("version") {
		t.Fatalf("the corrected form carries version %s, was shown %s", fixed.Get("version"), cf.Get("version"))
	}
	fixed.Set("status", store.StatusRejected)
	fixed.Set("response", "理由")
	if resp, _ := e.postWith(chen, path, fixed, nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("corrected stale save: %d, want 409", resp.StatusCode)
	}
}

// A bulk decision on everything a filter matches is guarded the same way: comments
// decided by another officer after the count was shown are listed, not overwritten.
func TestBulkFilterScopeConflict(t *testing.T) {
	e := newOpenEnv(t, "")
	e.postComments("article-2", "甲意见内容", "乙意见内容")
	li := e.loginAs("li", store.RoleOfficer)
	base := "/admin/c/" + seedSlug + "/comments"
	_, queue := e.getWith(li, base+"?section=article-2")
	mark := markRE.FindStringSubmatch(queue)[1]
	if _, err := e.store.Decide(context.Background(), store.Actor{Username: "chen"}, 1, 1, store.Decision{Status: store.StatusAdopted}, false); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"_csrf": {csrfFrom(t, queue)}, "mark": {mark}, "q_section": {"article-2"}, "scope": {"filter"},
		"status": {store.StatusInvalid}, "confirm": {"1"}, "expect": {"2"}}
	resp, body := e.postWith(li, base+"/bulk", form, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `id="changed-1"`) {
		t.Fatalf("filter-scope bulk over a changed comment: %d", resp.StatusCode)
	}
	skip := formFields(t, body, "bulk-skip")
	if resp, _ := e.postWith(li, base+"/bulk", skip, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("skip: %d", resp.StatusCode)
	}
	if cm, _ := e.store.CommentByID(context.Background(), 1, 1); cm.Status != store.StatusAdopted {
		t.Errorf("chen's decision overwritten: %s", cm.Status)
	}
	if cm, _ := e.store.CommentByID(context.Background(), 1, 2); cm.Status != store.StatusInvalid {
		t.Errorf("the other comment: %s", cm.Status)
	}
}

// The per-section window form is guarded too.
func TestSectionWindowEditConflict(t *testing.T) {
	e := newOpenEnv(t, "")
	a1 := e.loginAs("root1", store.RoleAdmin)
	a2 := e.loginAs("root2", store.RoleAdmin)
	_, p1 := e.getWith(a1, windowPath)
	_, p2 := e.getWith(a2, windowPath)
	post := func(c *http.Client, page, closes, reason string) (*http.Response, string) {
		return e.postWith(c, windowPath+"/section", url.Values{"_csrf": {csrfFrom(t, page)}, "seen": {seenRE.FindStringSubmatch(page)[1]},
			"section": {"article-17"}, "closes_at": {closes}, "reason": {reason}}, nil)
	}
	if resp, _ := post(a1, p1, "2023-02-20T17:00", "root1:第十七条延长"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	resp, body := post(a2, p2, "2023-02-25T17:00", "root2:第十七条再延长")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "root1:第十七条延长") || !strings.Contains(body, "root2:第十七条再延长") {
		t.Fatalf("stale section change: %d", resp.StatusCode)
	}
}
