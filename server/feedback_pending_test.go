package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"consult/store"
)

// TestFeedbackPendingPage: before a report is published, /c/{slug}/feedback says so
// and when comment closed, and the closed draft's banner links to it; once published,
// the banner links to the report instead. Unknown consultations are still 404.
func TestFeedbackPendingPage(t *testing.T) {
	e := newTestEnv(t, "") // the seed's window closed in 2023
	ctx := context.Background()
	d, err := e.app.loadDraft(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	sec := d.Section("article-17")
	if _, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: d.C.ID, SectionID: sec.ID, SectionAnchor: sec.Anchor,
		Body: "建议明确扶持资金规模。", Name: "李四", Identity: "个人", Phone: "13800001111", ConsentedAt: inWindow, CreatedAt: inWindow}); err != nil {
		t.Fatal(err)
	}
	e.app.gen.Add(1)

	status, page := e.get("/c/" + seedSlug + "/feedback")
	if status != http.StatusOK {
		t.Fatalf("pending report page: status %d", status)
	}
	for _, want := range []string{`id="feedback-pending"`, "意见采纳情况尚未公布", `id="closed-at"`, "2023年2月7日 17:00", "共收到意见 1 条", `href="/track"`} {
		if !strings.Contains(page, want) {
			t.Errorf("pending page lacks %s", want)
		}
	}
	if strings.Contains(page, "13800001111") || strings.Contains(page, "扶持资金规模") {
		t.Error("pending page shows comment data")
	}
	_, draftPage := e.get("/c/" + seedSlug)
	banner := between(draftPage, `id="closed-banner"`, "</div>")
	if !strings.Contains(banner, `<a href="/c/`+seedSlug+`/feedback" id="feedback-pending-link">`) || strings.Contains(draftPage, `id="feedback-link"`) {
		t.Errorf("closed banner does not link the pending page: %s", banner)
	}
	if status, _ := e.get("/c/no-such-consultation/feedback"); status != http.StatusNotFound {
		t.Errorf("unknown consultation: %d", status)
	}

	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "chen"}, d.C.ID, inWindow); err != nil {
		t.Fatal(err)
	}
	e.app.gen.Add(1)
	e.app.draftGen.Add(1) // as the publish handler does (feedback.go): the draft page links to the report
	_, page = e.get("/c/" + seedSlug + "/feedback")
	if strings.Contains(page, "尚未公布") || !strings.Contains(page, `id="totals"`) {
		t.Error("published report still shows the pending notice")
	}
	_, draftPage = e.get("/c/" + seedSlug)
	if !strings.Contains(draftPage, `id="feedback-link"`) || strings.Contains(draftPage, "feedback-pending-link") {
		t.Error("closed banner does not link the published report")
	}
}

// between returns the text of s from the first from up to the next to.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

func init() {
	registerSample("feedback_pending", func(t *testing.T, e *testEnv) any {
		cs, err := e.store.ConsultationBySlug(context.Background(), seedSlug)
		if err != nil {
			t.Fatal(err)
		}
		return feedbackPendingView{C: cs, Status: statusAt(e.app.now(), cs.OpensAt, cs.ClosesAt), Total: 3}
	})
}
