package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"consult/store"
)

func init() {
	// The bulk downloads are text the validator need not parse; their content is
	// checked by the tests below.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
}

// apiChecker fetches API URLs and validates every response (status, headers, body)
// against the served OpenAPI description.
type apiChecker struct {
	t      *testing.T
	e      *testEnv
	router routers.Router
	seen   map[string]bool // operationIds exercised
}

func newAPIChecker(t *testing.T, e *testEnv) *apiChecker {
	t.Helper()
	status, raw := e.get("/api/v1/openapi.json")
	if status != http.StatusOK {
		t.Fatalf("openapi.json: %d", status)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: e.srv.URL + "/api/v1"}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &apiChecker{t: t, e: e, router: r, seen: map[string]bool{}}
}

// get fetches path with optional headers, validates the response and returns it.
func (ac *apiChecker) get(path string, header ...string) (*http.Response, []byte) {
	ac.t.Helper()
	req, err := http.NewRequest(http.MethodGet, ac.e.srv.URL+path, nil)
	if err != nil {
		ac.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ac.e.client.Do(req)
	if err != nil {
		ac.t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		ac.t.Fatal(err)
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			ac.t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			ac.t.Fatal(err)
		}
	}
	route, params, err := ac.router.FindRoute(req)
	if err != nil {
		ac.t.Fatalf("GET %s: not described in openapi.json: %v", path, err)
	}
	ac.seen[route.Operation.OperationID] = true
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		ac.t.Errorf("GET %s (%d): response does not match openapi.json: %v\n%.500s", path, resp.StatusCode, err, body)
	}
	return resp, body
}

func decodeJSON[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %.300s", err, b)
	}
	return v
}

// TestOpenDataAPI walks every API operation before and after a report is published,
// validating each response against openapi.json, and checks that the counts are the
// store's, the report is the public page's and no contact data or unconsented name
// leaks.
func TestOpenDataAPI(t *testing.T) {
	e := newOpenEnv(t, "")
	tr := seedFeedback(t, e)
	ac := newAPIChecker(t, e)
	ctx := context.Background()
	d, err := e.app.loadDraft(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := e.store.CommentCounts(ctx, d.C.ID)
	if err != nil {
		t.Fatal(err)
	}

	resp, body := ac.get("/api/v1/consultations")
	list := decodeJSON[struct{ Consultations []APIConsultation }](t, body)
	if resp.StatusCode != http.StatusOK || len(list.Consultations) != 1 || list.Consultations[0].Slug != seedSlug ||
		list.Consultations[0].Status != "open" || list.Consultations[0].Comments != 8 || list.Consultations[0].Feedback != nil {
		t.Fatalf("list: %d %+v", resp.StatusCode, list)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=60") {
		t.Errorf("list headers: %v", resp.Header)
	}

	resp, body = ac.get("/api/v1/consultations/" + seedSlug)
	det := decodeJSON[APIConsultationDetail](t, body)
	if det.OpensAt != "2022-12-21T17:24:00+08:00" || det.ClosesAt != "2023-02-07T17:00:00+08:00" || det.GeneralComments != counts["general"] {
		t.Errorf("detail: %+v", det.APIConsultation)
	}
	if len(det.Sections) != len(d.Sections) {
		t.Fatalf("%d sections, want %d", len(det.Sections), len(d.Sections))
	}
	for _, s := range det.Sections {
		if s.Comments != counts[s.Anchor] {
			t.Errorf("%s: %d comments, store has %d", s.Anchor, s.Comments, counts[s.Anchor])
		}
		if s.Anchor == "article-17" && (s.Label != d.Section("article-17").Label || s.Comments != 2 || !strings.HasSuffix(s.URL, "/c/"+seedSlug+"#article-17") || s.Parent == "") {
			t.Errorf("article 17: %+v", s)
		}
	}

	// ETag and 304, also with a list and a weak tag.
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	for _, inm := range []string{etag, `"other", ` + etag, "W/" + etag} {
		if resp, body := ac.get("/api/v1/consultations/"+seedSlug, "If-None-Match", inm); resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("If-None-Match %s: %d", inm, resp.StatusCode)
		}
	}
	if resp, _ := ac.get("/api/v1/consultations/"+seedSlug, "If-None-Match", `"stale"`); resp.StatusCode != http.StatusOK {
		t.Errorf("stale tag: %d", resp.StatusCode)
	}
	// gzip when asked for, with the same tag.
	if resp, body := ac.get("/api/v1/consultations/"+seedSlug, "Accept-Encoding", "gzip"); resp.Header.Get("ETag") != etag || len(body) == 0 {
		t.Errorf("gzip: etag %q", resp.Header.Get("ETag"))
	}

	// A new comment changes the counts and the tag.
	add := &store.Comment{ConsultationID: d.C.ID, SectionID: d.Section("article-17").ID, SectionAnchor: "article-17", Body: "再提一条。",
		Identity: "个人", ConsentedAt: inWindow, CreatedAt: inWindow}
	if _, _, err := e.store.CreateComment(ctx, add); err != nil {
		t.Fatal(err)
	}
	e.app.gen.Add(1)
	resp, body = ac.get("/api/v1/consultations/"+seedSlug, "If-None-Match", etag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag {
		t.Fatalf("after a comment: %d, same tag %v", resp.StatusCode, resp.Header.Get("ETag") == etag)
	}
	for _, s := range decodeJSON[APIConsultationDetail](t, body).Sections {
		if s.Anchor == "article-17" && s.Comments != 3 {
			t.Errorf("article 17 after a comment: %d", s.Comments)
		}
	}

	// Before publication: 404 in JSON for the report and its downloads.
	for _, p := range []string{"/feedback", "/feedback.csv", "/feedback.jsonl"} {
		resp, body := ac.get("/api/v1/consultations/" + seedSlug + p)
		if resp.StatusCode != http.StatusNotFound || decodeJSON[apiError](t, body).Error != "not_found" {
			t.Errorf("%s before publication: %d %s", p, resp.StatusCode, body)
		}
	}
	if resp, _ := ac.get("/api/v1/consultations/no-such"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown slug: %d", resp.StatusCode)
	}

	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "chen"}, d.C.ID, inWindow.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.app.gen.Add(1)
	resp, body = ac.get("/api/v1/consultations/" + seedSlug + "/feedback")
	rep := decodeJSON[APIFeedbackReport](t, body)
	if resp.StatusCode != http.StatusOK || rep.Revision != 1 || rep.Comments != 9 || len(rep.Items) == 0 {
		t.Fatalf("report: %d %+v", resp.StatusCode, rep)
	}
	// Exactly what the public page lists: each item's text and response are on it.
	_, page := e.get("/c/" + seedSlug + "/feedback")
	for _, it := range rep.Items {
		if !strings.Contains(page, it.Body) || !strings.Contains(page, it.Response) {
			t.Errorf("item not on the public page: %+v", it)
		}
	}
	if got := len(rep.Items); got != strings.Count(page, `<div class="fb-body">`) {
		t.Errorf("%d items, the public page lists %d", got, strings.Count(page, `<div class="fb-body">`))
	}
	foundName := false
	for _, it := range rep.Items {
		if it.Status == store.StatusAdopted && strings.Contains(it.Body, "数字经济") && len(it.Names) != 0 {
			t.Errorf("unconsented name published: %+v", it)
		}
		if strings.Contains(it.Body, "新材料产业") {
			foundName = len(it.Names) == 1 && it.Names[0] == "公开姓名者"
		}
		if it.Status == "pending" || it.Status == "duplicate" {
			t.Errorf("the public page does not list %s items", it.Status)
		}
	}
	if !foundName {
		t.Error("the consented name is not in the report")
	}
	_, csvBody := ac.get("/api/v1/consultations/" + seedSlug + "/feedback.csv")
	resp, jsonl := ac.get("/api/v1/consultations/" + seedSlug + "/feedback.jsonl")
	if !strings.Contains(resp.Header.Get("Content-Disposition"), seedSlug+"-feedback.jsonl") {
		t.Errorf("jsonl disposition: %q", resp.Header.Get("Content-Disposition"))
	}
	for name, b := range map[string][]byte{"report": body, "csv": csvBody, "jsonl": jsonl} {
		for _, secret := range []string{"13911112222", "open.name@example.com", "hidden.one@example.com", "13955556660", "0951-7654321", "隐名者"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains %q", name, secret)
			}
		}
	}
	if !bytes.HasPrefix(csvBody, []byte("\xef\xbb\xbf")) {
		t.Error("CSV has no UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(csvBody[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(rep.Items)+1 || rows[0][0] != "条款编号" || !bytes.Contains(csvBody, []byte("\r\n")) {
		t.Errorf("CSV: %d rows for %d items: %q", len(rows), len(rep.Items), rows[0])
	}
	lines := strings.Split(strings.TrimSuffix(string(jsonl), "\n"), "\n")
	if len(lines) != len(rep.Items) {
		t.Fatalf("%d JSON lines for %d items", len(lines), len(rep.Items))
	}
	for i, l := range lines {
		if got := decodeJSON[APIFeedbackItem](t, []byte(l)); got.Body != rep.Items[i].Body || got.Status != rep.Items[i].Status {
			t.Errorf("line %d: %+v", i, got)
		}
	}
	resp, body = ac.get("/api/v1/consultations")
	if fb := decodeJSON[struct{ Consultations []APIConsultation }](t, body).Consultations[0].Feedback; fb == nil || fb.Revision != 1 {
		t.Errorf("list after publication: %+v", fb)
	}
	ac.get("/api/v1/openapi.json")
	for _, op := range []string{"listConsultations", "getConsultation", "getFeedback", "getFeedbackCSV", "getFeedbackJSONL", "getOpenAPI"} {
		if !ac.seen[op] {
			t.Errorf("operation %s not exercised", op)
		}
	}
	_ = tr
}

// TestOpenDataCSVInjection: a comment that looks like a formula stays text in Excel.
func TestOpenDataCSVInjection(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "@A1": "'@A1", "建议": "建议", "": ""} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestOpenDataRateLimit: past limits.api_per_minute a client gets 429 with
// Retry-After, in JSON the description allows; another client is unaffected.
func TestOpenDataRateLimit(t *testing.T) {
	e := newTestEnv(t, "\n[limits]\napi_per_minute = 3\n")
	ac := newAPIChecker(t, e) // one request
	for i := 0; i < 2; i++ {
		if resp, _ := ac.get("/api/v1/consultations"); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: %d", i+2, resp.StatusCode)
		}
	}
	resp, body := ac.get("/api/v1/consultations")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || decodeJSON[apiError](t, body).Error != "rate_limited" {
		t.Fatalf("over the limit: %d %s", resp.StatusCode, body)
	}
	if status, _ := e.get("/sitemap.xml"); status != http.StatusTooManyRequests {
		t.Errorf("sitemap is not rate-limited: %d", status)
	}
	if !e.app.api.limit.allow("192.0.2.7", time.Now()) {
		t.Error("another client is limited too")
	}
}

type testFeed struct {
	Title   string `xml:"title"`
	Updated string `xml:"updated"`
	Entries []struct {
		Title   string `xml:"title"`
		ID      string `xml:"id"`
		Updated string `xml:"updated"`
		Link    struct {
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Summary string `xml:"summary"`
	} `xml:"entry"`
}

// TestAtomFeed: the feed lists the opening, an extension, the close and each report
// revision, newest first, with stable ids, and only what has happened.
func TestAtomFeed(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	d, err := e.app.loadDraft(ctx, seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	feed := func() (testFeed, http.Header) {
		t.Helper()
		resp, err := e.client.Get(e.srv.URL + "/feed.xml")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var f testFeed
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !bytes.Contains(b, []byte(`xmlns="http://www.w3.org/2005/Atom"`)) {
			t.Error("not an Atom document")
		}
		if err := xml.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		return f, resp.Header
	}
	f, _ := feed()
	if len(f.Entries) != 1 || !strings.HasPrefix(f.Entries[0].Title, "开始征求意见:") || f.Entries[0].Updated != "2022-12-21T09:24:00Z" {
		t.Fatalf("open consultation: %+v", f.Entries)
	}
	openedID := f.Entries[0].ID

	// Reopen (the window closed in 2023), let it close again, publish a report.
	real := time.Now()
	newClose := real.Add(30 * 24 * time.Hour).Truncate(time.Minute)
	if err := e.store.ChangeWindow(ctx, store.Actor{Username: "admin"}, d.C.ID, d.C.OpensAt, newClose, "应企业要求重新开放"); err != nil {
		t.Fatal(err)
	}
	e.app.draftGen.Add(1)
	e.app.now = func() time.Time { return newClose.Add(2 * time.Minute) }
	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "chen"}, d.C.ID, newClose.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	e.app.gen.Add(1)
	f, h := feed()
	var titles []string
	for _, en := range f.Entries {
		titles = append(titles, strings.SplitN(en.Title, ":", 2)[0])
	}
	want := []string{"公布意见采纳情况", "征求意见结束", "重新开放征求意见", "开始征求意见"}
	if strings.Join(titles, ",") != strings.Join(want, ",") {
		t.Fatalf("entries %v, want %v", titles, want)
	}
	if f.Entries[3].ID != openedID || f.Updated != f.Entries[0].Updated || !strings.HasSuffix(f.Entries[0].Link.Href, "/c/"+seedSlug+"/feedback") {
		t.Errorf("feed: %+v", f)
	}
	if !strings.Contains(f.Entries[2].Summary, newClose.In(beijing).Format("2006-01-02 15:04")) {
		t.Errorf("reopening summary: %q", f.Entries[2].Summary)
	}
	// Conditional GET works on the feed too.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/feed.xml", nil)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("feed If-None-Match: %d", resp.StatusCode)
	}
}

// TestAtomFeedExtension: lengthening an open window is an extension.
func TestAtomFeedExtension(t *testing.T) {
	real := time.Now()
	e := newTestEnv(t, fmt.Sprintf("\n[[consultation]]\nslug = \"open\"\ndraft = \"draft.txt\"\nopens_at = %s\ncloses_at = %s\nwindow_reason = \"测试\"\n",
		real.Add(-24*time.Hour).Format(time.RFC3339), real.Add(24*time.Hour).Format(time.RFC3339)))
	ctx := context.Background()
	c, err := e.store.ConsultationBySlug(ctx, "open")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.ChangeWindow(ctx, store.Actor{Username: "admin"}, c.ID, c.OpensAt, c.ClosesAt.Add(10*24*time.Hour), "延长"); err != nil {
		t.Fatal(err)
	}
	e.app.draftGen.Add(1)
	_, body := e.get("/feed.xml")
	var f testFeed
	if err := xml.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) == 0 || !strings.HasPrefix(f.Entries[0].Title, "延长征求意见期:") || !strings.HasSuffix(f.Entries[0].Link.Href, "/c/open") {
		t.Fatalf("extension: %+v", f.Entries)
	}
}

// TestSitemap lists the home page, each draft and each published report.
func TestSitemap(t *testing.T) {
	e := newOpenEnv(t, "")
	status, body := e.get("/sitemap.xml")
	var set struct {
		URLs []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal([]byte(body), &set); err != nil || status != http.StatusOK {
		t.Fatalf("sitemap: %d %v", status, err)
	}
	if !strings.Contains(body, `xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"`) || len(set.URLs) != 2 ||
		set.URLs[0].Loc != "http://127.0.0.1:8080/" || set.URLs[1].Loc != "http://127.0.0.1:8080/c/"+seedSlug {
		t.Fatalf("sitemap before a report: %s", body)
	}
	ctx := context.Background()
	d, _ := e.app.loadDraft(ctx, seedSlug)
	if _, err := e.store.PublishFeedback(ctx, store.Actor{Username: "chen"}, d.C.ID, inWindow); err != nil {
		t.Fatal(err)
	}
	e.app.gen.Add(1)
	_, body = e.get("/sitemap.xml")
	if !strings.Contains(body, "<loc>http://127.0.0.1:8080/c/"+seedSlug+"/feedback</loc>") {
		t.Errorf("sitemap lacks the report: %s", body)
	}
	if status, body := e.get("/robots.txt"); status != http.StatusOK || !strings.Contains(body, "Sitemap: http://127.0.0.1:8080/sitemap.xml") ||
		!strings.Contains(body, "Disallow: /admin/") {
		t.Errorf("robots.txt: %d %q", status, body)
	}
}

// TestOpenDataAPIRevisions: after the 修改稿 is published, the consultation's sections
// are the revision's, and each counts the comments on that revision's article, not on
// the first draft's article that had the same number; the total counts both rounds.
func TestOpenDataAPIRevisions(t *testing.T) {
	e := newOpenEnv(t, "")
	ctx := context.Background()
	cs := seedConsultation(t, e)
	first, _ := e.store.Sections(ctx, cs.ID)
	byAnchor := map[string]store.Section{}
	for _, s := range first {
		byAnchor[s.Anchor] = s
	}
	for _, a := range []string{"article-8", "article-8", "article-12"} {
		if _, _, err := e.store.CreateComment(ctx, &store.Comment{ConsultationID: cs.ID, SectionID: byAnchor[a].ID, SectionAnchor: a,
			Body: "第一轮对" + a + "的意见", ConsentedAt: inWindow}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.revise(); err != nil {
		t.Fatal(err)
	}
	e.app.now = func() time.Time { return secondRound }
	f, _ := e.openForm("article-12") // the 修改稿's new article 12
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second-round comment: %d", resp.StatusCode)
	}
	ac := newAPIChecker(t, e)
	_, body := ac.get("/api/v1/consultations/" + seedSlug)
	v := decodeJSON[APIConsultationDetail](t, body)
	if v.Revision != 2 || v.Comments != 4 {
		t.Fatalf("revision %d, %d comments; want 2 and 4 (both rounds)", v.Revision, v.Comments)
	}
	got := map[string]int{}
	for _, s := range v.Sections {
		got[s.Anchor] = s.Comments
		if s.Anchor == "article-12" && !strings.HasPrefix(s.Heading, "优化营商环境评价机制") {
			t.Errorf("article-12 is %q, not the 修改稿's new article", s.Heading)
		}
	}
	if got["article-8"] != 0 || got["article-12"] != 1 {
		t.Errorf("section counts %v: want article-8 0 (the 第一稿's article 8 was deleted) and article-12 1 (the second round's)", got)
	}
}
