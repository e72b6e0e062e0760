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
