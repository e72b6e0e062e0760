package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"consult/store"
)

// TestAdminRevise publishes the scenario's 修改稿 in the workspace: paste, preview the
// comparison, correct a pairing, publish with a second round.
func TestAdminRevise(t *testing.T) {
	e := newOpenEnv(t, "")
	raw, err := os.ReadFile(revisedDraft)
	if err != nil {
		t.Fatal(err)
	}
	officer := e.loginAs("chen", store.RoleOfficer)
	if status, _ := e.getWith(officer, "/admin/c/"+seedSlug+"/revise"); status != http.StatusForbidden {
		t.Fatalf("officer opened the revise form: %d", status)
	}
	admin := e.loginAs("root", store.RoleAdmin)
	status, page := e.getWith(admin, "/admin/c/"+seedSlug+"/revise")
	if status != http.StatusOK || !strings.Contains(page, "发布修改稿") {
		t.Fatalf("revise form: %d", status)
	}
	csrf := csrfFrom(t, page)
	preview := "/admin/c/" + seedSlug + "/revise/preview"

	// No 修改说明: the comparison is shown with the message next to the field.
	resp, page := e.multipartPost(admin, preview, url.Values{"_csrf": {csrf}, "draft_text": {string(raw)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "请填写修改说明") || !strings.Contains(page, `id="count-deleted">1<`) {
		t.Fatalf("preview without a reason: %d", resp.StatusCode)
	}
	// Not a draft: the text is kept with the message.
	resp, page = e.multipartPost(admin, preview, url.Values{"_csrf": {csrf}, "draft_text": {"随便写的一段话"}, "reason": {"x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "没有识别出章节或条款") || !strings.Contains(page, "随便写的一段话") {
		t.Fatalf("preview of a non-draft: %d", resp.StatusCode)
	}
	// Uploaded as a file, with a second round.
	f := url.Values{"_csrf": {csrf}, "reason": {"根据第一轮意见修改"}, "round": {"1"}, "opens_at": {"2023-03-01T09:00"}, "closes_at": {"2023-04-01T17:00"}}
	resp, page = e.multipartPost(admin, preview, f, upload{"draft_file", "rev2.txt", raw})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	for _, s := range []string{`id="count-modified">1<`, `id="count-added">1<`, `id="count-deleted">1<`, "征集期 31 天"} {
		if !strings.Contains(page, s) {
			t.Errorf("preview lacks %q", s)
		}
	}
	// The officer says the new (十二) continues the deleted (八): re-compare.
	form := formValues(t, page, "revise-publish")
	if form.Get("pair_article-12") != "" || form.Get("pair_article-8") != "article-9" {
		t.Fatalf("automatic pairing in the selects: 12=%q 8=%q", form.Get("pair_article-12"), form.Get("pair_article-8"))
	}
	form.Set("pair_article-12", "article-8")
	resp, page = e.multipartPost(admin, preview, form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="count-modified">2<`) || !strings.Contains(page, `id="count-deleted">0<`) ||
		!strings.Contains(page, "人工对应") {
		t.Fatalf("re-compared with a pin: %d", resp.StatusCode)
	}
	form = formValues(t, page, "revise-publish")
	resp, _ = e.multipartPost(admin, "/admin/c/"+seedSlug+"/revise/publish", form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/c/"+seedSlug+"/changes" {
		t.Fatalf("publish: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cs := seedConsultation(t, e)
	if cs.DraftRevision != 2 || cs.OpensAt.In(beijing).Format("2006-01-02 15:04") != "2023-03-01 09:00" {
		t.Fatalf("after publishing: revision %d opens %s", cs.DraftRevision, cs.OpensAt)
	}
	revs, _ := e.store.Revisions(context.Background(), cs.ID)
	if len(revs) != 2 || len(revs[1].Pins) != 1 || revs[1].Pins[0] != (store.PairPin{Old: "article-8", New: "article-12"}) || revs[1].PublishedBy != "root" {
		t.Fatalf("revision 2: %+v", revs)
	}
	// The public table keeps the officer's pairing.
	_, pub := e.get("/c/" + seedSlug + "/changes")
	if !strings.Contains(pub, `data-new="article-12" data-old="article-8"`) || !strings.Contains(pub, `id="count-deleted">0<`) {
		t.Error("public table lost the pairing correction")
	}
	// A stale preview (published meanwhile) is refused with the text kept.
	resp, page = e.multipartPost(admin, "/admin/c/"+seedSlug+"/revise/publish", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "已有人发布了新的修改稿") {
		t.Fatalf("stale publish: %d", resp.StatusCode)
	}
}
