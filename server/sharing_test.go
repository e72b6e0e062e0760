package main

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"consult/store"
)

// metaContent returns the content of <meta name=key> or <meta property=key>.
func metaContent(doc *html.Node, key string) (string, bool) {
	for _, n := range all(doc, "meta") {
		if attr(n, "name") == key || attr(n, "property") == key {
			return attr(n, "content"), true
		}
	}
	return "", false
}

// TestSharingMetadata: a link to the draft or the report pasted into WeChat or an
// e-mail previews with the title and the comment window (description and Open Graph).
func TestSharingMetadata(t *testing.T) {
	e := newOpenEnv(t, "")
	const title = "银川经济技术开发区推进体制机制改革促进高质量发展实施方案"
	_, page := e.get("/c/" + seedSlug)
	doc := parseHTML(t, page)
	want := map[string]func(string) bool{
		"description": func(s string) bool {
			return strings.Contains(s, "2022-12-21 17:24 至 2023-02-07 17:00") && strings.Contains(s, "正在征集意见")
		},
		"og:title":       func(s string) bool { return strings.Contains(s, title) },
		"og:description": func(s string) bool { return strings.Contains(s, "2022-12-21 17:24 至 2023-02-07 17:00") },
		"og:url":         func(s string) bool { return s == "http://127.0.0.1:8080/c/"+seedSlug },
		"og:type":        func(s string) bool { return s == "article" },
		"og:locale":      func(s string) bool { return s == "zh_CN" },
	}
	for key, ok := range want {
		if v, found := metaContent(doc, key); !found || !ok(v) {
			t.Errorf("draft page %s = %q (present %v)", key, v, found)
		}
	}

	ctx := context.Background()
	seedFeedback(t, e)
	d, _ := e.app.loadDraft(ctx, seedSlug)
	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "chen"}, d.C.ID, inWindow); err != nil {
		t.Fatal(err)
	}
	_, page = e.get("/c/" + seedSlug + "/feedback")
	doc = parseHTML(t, page)
	for key, ok := range map[string]func(string) bool{
		"description": func(s string) bool {
			return strings.Contains(s, "2023-02-07 17:00") && strings.Contains(s, "提出意见 8 条")
		},
		"og:title":       func(s string) bool { return strings.Contains(s, title) && strings.Contains(s, "采纳情况") },
		"og:description": func(s string) bool { return strings.Contains(s, "提出意见 8 条") },
		"og:url":         func(s string) bool { return s == "http://127.0.0.1:8080/c/"+seedSlug+"/feedback" },
	} {
		if v, found := metaContent(doc, key); !found || !ok(v) {
			t.Errorf("report page %s = %q (present %v)", key, v, found)
		}
	}
	// Contact data stays out of the previews too.
	for _, n := range all(doc, "meta") {
		if c := attr(n, "content"); strings.Contains(c, "13911112222") || strings.Contains(c, "隐名者") {
			t.Errorf("meta leaks contact data: %q", c)
		}
	}
}
