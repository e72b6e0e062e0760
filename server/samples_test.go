package main

import (
	"context"
	"testing"
	"time"

	"consult/store"
)

// templateSamples returns data each page template can be rendered with.
func templateSamples(t *testing.T, e *testEnv) map[string]any {
	t.Helper()
	ctx := context.Background()
	cs, err := e.store.ConsultationBySlug(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.app.loadDraft(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	art := d.section("article-17")
	cm := &store.Comment{Tracking: "K7QM4XH9P2T", Body: "第一段\n第二段", SectionAnchor: "article-17", CreatedAt: time.Now(), Status: "pending"}
	form := commentForm{Section: "article-17", Body: "<b>意见</b>", Identity: "企业", FormKey: newFormKey()}
	form.CheckField(false, "phone", "联系电话格式不正确")
	return map[string]any{
		"comment_form": commentFormView{D: d, Selected: art, Form: form, Status: windowStatus{"open", "征集中"}, Open: true,
			CaptchaEnabled: true, CaptchaID: "ABCDEFGHIJKLMNOPQRST", Identities: identities, MaxBody: maxBodyRunes, Notice: "提示"},
		"comment_receipt": receiptView{D: d, Comment: cm, Section: art, Tracking: "K7QM-4XH9-P2T"},
		"track":           trackView{Query: "K7QM4XH9P2T", Comment: cm, D: d, Section: art, Tracking: "K7QM-4XH9-P2T"},
		"home":            []homeItem{{*cs, statusAt(e.app.now(), cs.OpensAt, cs.ClosesAt)}},
		"draft":           draftView{C: cs, Counts: map[string]int{}},
		"error":           errorView{Code: 404, Message: "没有找到"},
	}
}
