package main

import (
	"context"
	"testing"
	"time"

	"consult/store"
)

// extraSamples lets each feature's test file register sample data for its own pages
// (registerSample in an init function), so files do not all edit this one.
var extraSamples = map[string]func(t *testing.T, e *testEnv) any{}

func registerSample(page string, f func(t *testing.T, e *testEnv) any) { extraSamples[page] = f }

// templateSamples returns data each page template can be rendered with.
func templateSamples(t *testing.T, e *testEnv) map[string]any {
	t.Helper()
	out := baseSamples(t, e)
	for page, f := range extraSamples {
		out[page] = f(t, e)
	}
	return out
}

func baseSamples(t *testing.T, e *testEnv) map[string]any {
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
	art := d.Section("article-17")
	cm := &store.Comment{Tracking: "K7QM4XH9P2T", Body: "第一段\n第二段", SectionAnchor: "article-17", CreatedAt: time.Now(), Status: "pending"}
	form := commentForm{Section: "article-17", Body: "<b>意见</b>", Identity: "企业", FormKey: newFormKey()}
	form.CheckField(false, "phone", "联系电话格式不正确")
	return map[string]any{
		"admin_login":    loginView{Username: "a", Error: "用户名或密码不正确。"},
		"admin_password": passwordView{Errors: map[string]string{"password": "太短"}},
		"admin_home":     []adminHomeItem{{C: *cs, Counts: map[string]int{"pending": 1}, Total: 1}},
		"admin_queue": queueView{D: d, Rows: []store.QueueRow{{Comment: *cm, GroupSize: 3}}, CanWrite: true, Statuses: store.Statuses,
			Channels: store.Channels, Identity: identities, Next: "3.9", Flash: "已处理"},
		"admin_bulk":    bulkView{D: d, IDs: []int64{1, 2}, Count: 2, Dec: store.Decision{Status: "explained"}},
		"admin_comment": commentView{D: d, C: cm, Section: art, Group: 3, CanWrite: true, ShowPII: false, Statuses: store.Statuses, Next: 2, Prev: 1, Errors: map[string]string{"response": "x"}},
		"admin_record":  recordView{D: d, Form: recordForm{Channel: "letter"}, Errors: map[string]string{"body": "x"}},
		"comment_form": commentFormView{D: d, Selected: art, Form: form, Status: windowStatus{"open", "征集中"}, Open: true,
			CaptchaEnabled: true, CaptchaID: "ABCDEFGHIJKLMNOPQRST", Identities: identities, MaxBody: maxBodyRunes, Notice: "提示"},
		"comment_receipt": receiptView{D: d, Comment: cm, Section: art, Tracking: "K7QM-4XH9-P2T"},
		"track":           trackView{Query: "K7QM4XH9P2T", Comment: cm, D: d, Section: art, Tracking: "K7QM-4XH9-P2T"},
		"home":            []homeItem{{Consultation: *cs, Status: statusAt(e.app.now(), cs.OpensAt, cs.ClosesAt), Feedback: true}},
		"draft":           draftView{C: cs, Counts: map[string]int{}},
		"error":           errorView{Code: 404, Message: "没有找到"},
	}
}
