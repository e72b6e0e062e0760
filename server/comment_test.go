package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"consult/server/captchaimage"
)

// inWindow is a moment while the seed consultation is open (Beijing time).
var inWindow = time.Date(2023, 1, 10, 10, 0, 0, 0, beijing)

// captchaAnswer is the test binary's hook for a captcha's answer: it asks the store
// to derive it, as the image handler does. Production code never hands an answer to
// anything but the image and the audio.
func (e *testEnv) captchaAnswer(id string) string {
	e.t.Helper()
	d, err := e.store.CaptchaDigits(id, e.app.now())
	if err != nil {
		e.t.Fatalf("captcha %s: %v", id, err)
	}
	return d
}

var (
	captchaIDRETest = regexp.MustCompile(`name="captcha_id" value="([A-Z2-7]{20})"`)
	formKeyRETest   = regexp.MustCompile(`name="form_key" value="([A-Za-z0-9_-]{22})"`)
	trackingRETest  = regexp.MustCompile(`id="tracking-number">([^<]+)<`)
)

// openForm fetches the comment form and returns a filled-in valid submission.
func (e *testEnv) openForm(section string) (url.Values, string) {
	e.t.Helper()
	status, page := e.get("/c/" + seedSlug + "/comment?section=" + section)
	if status != http.StatusOK {
		e.t.Fatalf("form: status %d", status)
	}
	return e.validForm(page, section), page
}

func (e *testEnv) validForm(page, section string) url.Values {
	e.t.Helper()
	f := url.Values{
		"_csrf": {csrfFrom(e.t, page)}, "section": {section}, "body": {"建议第十七条增加对中小企业的扶持措施。\n第二段。"},
		"name": {"张三"}, "identity": {"个人"}, "phone": {"138 3046 3501"}, "email": {"zhang@example.com"}, "consent": {"1"},
	}
	if m := formKeyRETest.FindStringSubmatch(page); m != nil {
		f.Set("form_key", m[1])
	}
	if m := captchaIDRETest.FindStringSubmatch(page); m != nil {
		f.Set("captcha_id", m[1])
		f.Set("captcha_solution", e.captchaAnswer(m[1]))
	}
	return f
}

// submit posts the form and returns the response and body.
func (e *testEnv) submit(f url.Values, header http.Header) (*http.Response, string) {
	e.t.Helper()
	return e.postForm("/c/"+seedSlug+"/comments", f, header)
}

func newOpenEnv(t *testing.T, extra string) *testEnv {
	t.Helper()
	e := newTestEnv(t, extra)
	e.app.now = func() time.Time { return inWindow }
	return e
}

func TestCommentFormShowsArticle(t *testing.T) {
	e := newOpenEnv(t, "")
	_, page := e.openForm("article-17")
	for _, s := range []string{`<option value="article-17" selected>`, "(十七)加快建立现代产业体系。", "大力发展新材料",
		`name="captcha_id"`, "/image.png", "/audio.wav", "换一张", `name="consent"`, `name="publish_name"`, "个人信息保护法",
		`value="个人" checked`} {
		if !strings.Contains(page, s) {
			t.Errorf("form lacks %q", s)
		}
	}
	if strings.Contains(page, `name="publish_name" value="1" checked`) {
		t.Error("publishing the name must be off by default")
	}
	_, page = e.get("/c/" + seedSlug + "/comment?section=nonsense")
	if !strings.Contains(page, `<option value="general" selected>`) {
		t.Error("unknown section should fall back to the whole draft")
	}
}

func TestCommentSubmitReceiptTrackAndCounts(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("article-17")
	resp, _ := e.submit(f, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/c/"+seedSlug+"/receipt/") {
		t.Fatalf("Location %q", loc)
	}
	status, receipt := e.get(loc)
	if status != http.StatusOK {
		t.Fatalf("receipt status %d", status)
	}
	m := trackingRETest.FindStringSubmatch(receipt)
	if m == nil {
		t.Fatal("no #tracking-number on the receipt")
	}
	tracking := m[1]
	for _, s := range []string{"建议第十七条增加对中小企业的扶持措施。", "第二段。", "(十七)加快建立现代产业体系", "2023年1月10日 10:00"} {
		if !strings.Contains(receipt, s) {
			t.Errorf("receipt lacks %q", s)
		}
	}
	for _, s := range []string{"13830463501", "138 3046 3501", "zhang@example.com"} {
		if strings.Contains(receipt, s) {
			t.Errorf("receipt shows contact data %q", s)
		}
	}
	// The draft page counts it, on the article and in the table of contents.
	_, page := e.get("/c/" + seedSlug)
	if !strings.Contains(page, "已有 1 条意见") || !strings.Contains(page, "(1 条意见)") {
		t.Error("draft page does not count the comment")
	}
	// Tracking: with dashes, lower case, spaces — as people type it.
	for _, q := range []string{tracking, strings.ToLower(tracking), strings.ReplaceAll(tracking, "-", " ")} {
		status, page := e.get("/track?no=" + url.QueryEscape(q))
		if status != http.StatusOK || !strings.Contains(page, "已收到,正在研究处理") || !strings.Contains(page, "加快建立现代产业体系") {
			t.Errorf("track %q: status %d", q, status)
		}
		if strings.Contains(page, "zhang@example.com") || strings.Contains(page, "13830463501") {
			t.Error("track page shows contact data")
		}
	}
	// A typo is caught by the check character.
	typo := []byte(strings.ReplaceAll(tracking, "-", ""))
	if typo[0] == 'A' {
		typo[0] = 'B'
	} else {
		typo[0] = 'A'
	}
	if status, page := e.get("/track?no=" + string(typo)); status != http.StatusUnprocessableEntity || !strings.Contains(page, "受理编号有误") {
		t.Errorf("typo: status %d", status)
	}
	// The stored comment has the normalised phone.
	cm, err := e.store.CommentByTracking(context.Background(), strings.ReplaceAll(tracking, "-", ""))
	if err != nil {
		t.Fatal(err)
	}
	if cm.Phone != "13830463501" || cm.SectionAnchor != "article-17" || cm.PublishName || cm.Identity != "个人" {
		t.Errorf("stored %+v", cm)
	}
}

func TestCommentDoubleSubmitIsOneComment(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("general")
	r1, _ := e.submit(f, nil)
	r2, _ := e.submit(f, nil) // the same POST again: double click or replay
	if r1.StatusCode != http.StatusSeeOther || r2.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d %d", r1.StatusCode, r2.StatusCode)
	}
	if r1.Header.Get("Location") != r2.Header.Get("Location") {
		t.Errorf("replay gave a second receipt: %s vs %s", r1.Header.Get("Location"), r2.Header.Get("Location"))
	}
	counts, _ := e.store.CommentCounts(context.Background(), 1)
	if counts["general"] != 1 {
		t.Errorf("%d comments stored", counts["general"])
	}
}

// TestCommentReplayAfterCloseShowsTheReceipt: the same form sent again once the window
// has closed (a browser's "resubmit", a retry over a bad connection) is known by its
// form_key before anything else is checked, so it still leads to the first receipt.
func TestCommentReplayAfterCloseShowsTheReceipt(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("article-17")
	r1, _ := e.submit(f, nil)
	if r1.StatusCode != http.StatusSeeOther {
		t.Fatalf("first POST: status %d", r1.StatusCode)
	}
	e.app.now = func() time.Time { return inWindow.AddDate(1, 0, 0) } // long closed
	r2, _ := e.submit(f, nil)
	if r2.StatusCode != http.StatusSeeOther || r2.Header.Get("Location") != r1.Header.Get("Location") {
		t.Fatalf("replay after close: status %d to %q, want 303 to %q", r2.StatusCode, r2.Header.Get("Location"), r1.Header.Get("Location"))
	}
	// A new form's POST after close is still refused: the receipt is only for the key.
	f["form_key"] = []string{"AZ5t0sOqJ8w1m2n3b4v5c6"}
	if r3, _ := e.submit(f, nil); r3.StatusCode == http.StatusSeeOther {
		t.Fatalf("another form_key after close was accepted: %q", r3.Header.Get("Location"))
	}
}

func TestCommentValidation(t *testing.T) {
	long := strings.Repeat("意", maxBodyRunes+1)
	tests := []struct {
		name    string
		extra   string
		change  func(url.Values)
		field   string
		message string
	}{
		{"empty body", "", func(f url.Values) { f.Set("body", "  \n ") }, "body", "请填写意见内容"},
		{"body too long", "", func(f url.Values) { f.Set("body", long) }, "body", "最多 15000 字"},
		{"no name", "", func(f url.Values) { f.Set("name", " ") }, "name", "请填写姓名"},
		{"bad identity", "", func(f url.Values) { f.Set("identity", "外星人") }, "identity", "请选择您的身份"},
		{"company without name", "", func(f url.Values) { f.Set("identity", "企业") }, "organization", "请填写单位名称"},
		{"bad phone", "", func(f url.Values) { f.Set("phone", "12345") }, "phone", "联系电话格式不正确"},
		{"bad email", "", func(f url.Values) { f.Set("email", "zhang@") }, "email", "电子邮箱格式不正确"},
		{"no contact", "", func(f url.Values) { f.Del("phone"); f.Del("email") }, "phone", "至少填写联系电话或电子邮箱"},
		{"no consent", "", func(f url.Values) { f.Del("consent") }, "consent", "勾选同意"},
		{"bad section", "", func(f url.Values) { f.Set("section", "article-99") }, "section", "请选择意见针对的条款"},
		{"wrong captcha", "", func(f url.Values) { f.Set("captcha_solution", "99999x") }, "captcha_solution", "验证码不正确"},
		{"empty captcha", "", func(f url.Values) { f.Set("captcha_solution", "") }, "captcha_solution", "请输入图片中的数字"},
		{"forged captcha id", "", func(f url.Values) { f.Set("captcha_id", "AAAAAAAAAAAAAAAAAAAA") }, "captcha_solution", "验证码不正确"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOpenEnv(t, tt.extra)
			f, _ := e.openForm("article-17")
			tt.change(f)
			resp, page := e.submit(f, nil)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			doc := parseHTML(t, page)
			// The message sits in the field's own block.
			var block string
			for _, n := range all(doc, "div") {
				if strings.Contains(attr(n, "class"), "invalid") {
					block += text(n)
				}
			}
			for _, n := range all(doc, "fieldset") {
				if strings.Contains(attr(n, "class"), "invalid") {
					block += text(n)
				}
			}
			if !strings.Contains(block, tt.message) {
				t.Errorf("no %q next to the field; invalid blocks: %q", tt.message, block)
			}
			// The person's text and choices are kept, and a fresh captcha is shown.
			if body := f.Get("body"); strings.TrimSpace(body) != "" && len(body) < 1000 {
				if !strings.Contains(page, strings.Split(body, "\n")[0]) {
					t.Error("body not kept")
				}
			}
			if f.Get("name") == "张三" && !strings.Contains(page, `value="张三"`) {
				t.Error("name not kept")
			}
			m := captchaIDRETest.FindStringSubmatch(page)
			if m == nil || m[1] == f.Get("captcha_id") {
				t.Error("no fresh captcha")
			}
			if n, _ := e.store.CommentCounts(context.Background(), 1); len(n) != 0 {
				t.Errorf("invalid comment stored: %v", n)
			}
		})
	}
}

func TestCommentLongestBodyAccepted(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("general")
	body := strings.Repeat("😀", maxBodyRunes) // the limit, in characters outside the BMP
	f.Set("body", body)
	resp, _ := e.submit(f, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
	_, receipt := e.get(resp.Header.Get("Location"))
	m := trackingRETest.FindStringSubmatch(receipt)
	cm, err := e.store.CommentByTracking(context.Background(), strings.ReplaceAll(m[1], "-", ""))
	if err != nil || cm.Body != body {
		t.Fatalf("body not stored whole: %v", err)
	}
}

func TestCommentOptionalNameAndContact(t *testing.T) {
	e := newOpenEnv(t, "require_name = false\nrequire_contact = false\n")
	f, _ := e.openForm("general")
	f.Del("name")
	f.Del("phone")
	f.Del("email")
	if resp, page := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d: %s", resp.StatusCode, page)
	}
}

func TestCaptchaUsedOnceAndTypedAsPeopleDo(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("general")
	ans := f.Get("captcha_solution")
	// Full-width digits with spaces are accepted.
	var fw strings.Builder
	for _, r := range ans {
		fw.WriteRune(r + 0xFEE0)
		fw.WriteRune(' ')
	}
	f.Set("captcha_solution", fw.String())
	resp, _ := e.submit(f, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("full-width answer refused: %d", resp.StatusCode)
	}
	// The same captcha cannot be used for a second, different form.
	f2, _ := e.openForm("general")
	f2.Set("captcha_id", f.Get("captcha_id"))
	f2.Set("captcha_solution", ans)
	if resp, _ := e.submit(f2, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("captcha reused: %d", resp.StatusCode)
	}
}

func TestCaptchaImageAudioAndRefresh(t *testing.T) {
	e := newOpenEnv(t, "")
	f, page := e.openForm("general")
	id := f.Get("captcha_id")
	for path, ctype := range map[string]string{"/captcha/" + id + "/image.png": "image/png", "/captcha/" + id + "/audio.wav": "audio/wav"} {
		resp, err := e.client.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ctype {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if ctype == "image/png" {
			checkCaptchaPNG(t, e.app, id, body)
			if resp.Uncompressed {
				t.Error("captcha PNG sent gzipped: it is compressed already")
			}
		} else if !resp.Uncompressed {
			t.Error("captcha audio (PCM) sent without gzip")
		}
	}
	if status, _ := e.get("/captcha/AAAAAAAAAAAAAAAAAAAA/image.png"); status != 404 {
		t.Errorf("unknown captcha: %d", status)
	}
	// 换一张: the form comes back with the text kept and a new captcha.
	f.Set("refresh_captcha", "1")
	resp, page2 := e.submit(f, nil)
	if resp.StatusCode != 200 || !strings.Contains(page2, "建议第十七条增加") {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
	if m := captchaIDRETest.FindStringSubmatch(page2); m == nil || m[1] == id {
		t.Error("refresh did not give a new captcha")
	}
	_ = page
}

func TestCaptchaDisabled(t *testing.T) {
	e := newOpenEnv(t, "")
	disabled := false
	e.app.cfg.Captcha.Enabled = &disabled
	f, page := e.openForm("general")
	if strings.Contains(page, "captcha_id") {
		t.Error("captcha shown while disabled")
	}
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestCommentWindowEdges(t *testing.T) {
	opens := time.Date(2022, 12, 21, 17, 24, 0, 0, beijing)
	closes := time.Date(2023, 2, 7, 17, 0, 0, 0, beijing)
	tests := []struct {
		name   string
		now    time.Time
		status int
		notice string
	}{
		{"a second before it opens", opens.Add(-time.Second), http.StatusForbidden, "尚未开始"},
		{"as it opens", opens, http.StatusSeeOther, ""},
		{"a second before it closes", closes.Add(-time.Second), http.StatusSeeOther, ""},
		{"as it closes", closes, http.StatusForbidden, "已于 2023年2月7日 17:00(北京时间)结束"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newOpenEnv(t, "")
			disabled := false // a captcha would expire while the clock jumps
			e.app.cfg.Captcha.Enabled = &disabled
			f, _ := e.openForm("article-17")
			e.app.now = func() time.Time { return tt.now }
			resp, page := e.submit(f, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.notice != "" {
				if !strings.Contains(page, tt.notice) || !strings.Contains(page, "建议第十七条增加对中小企业的扶持措施") {
					t.Errorf("closed-window page lacks the notice or the person's text")
				}
				if strings.Contains(page, `id="comment-form"`) {
					t.Error("form still offered outside the window")
				}
				status, form := e.get("/c/" + seedSlug + "/comment?section=article-17")
				if status != 200 || strings.Contains(form, `id="comment-form"`) || !strings.Contains(form, `id="window-closed"`) {
					t.Error("GET form outside the window should show the notice instead")
				}
			}
		})
	}
}

func TestCommentSectionWindowOverride(t *testing.T) {
	e := newOpenEnv(t, "")
	early := inWindow.Add(-time.Hour)
	opens := inWindow.Add(-48 * time.Hour)
	if err := e.store.SetSectionWindow(context.Background(), 1, "article-17", &opens, &early); err != nil {
		t.Fatal(err)
	}
	e.app.draftGen.Add(1)
	if _, page := e.get("/c/" + seedSlug + "/comment?section=article-17"); !strings.Contains(page, `id="window-closed"`) {
		t.Error("form offered for an article whose own window closed")
	}
	f, _ := e.openForm("article-16")
	f.Set("section", "article-17")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("article with a closed override accepted: %d", resp.StatusCode)
	}
	f, _ = e.openForm("article-16")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("other article refused: %d", resp.StatusCode)
	}
}

func TestCommentCSRF(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("general")
	good := f.Get("_csrf")
	f.Del("_csrf")
	resp, page := e.submit(f, nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "您填写的内容已保留") || !strings.Contains(page, "建议第十七条增加") {
		t.Errorf("missing token: %d", resp.StatusCode)
	}
	f.Set("_csrf", good+"x")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	f.Set("_csrf", good)
	if resp, _ := e.submit(f, http.Header{"Sec-Fetch-Site": {"cross-site"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d", resp.StatusCode)
	}
	// Another browser (no cookie) with a stolen token is refused too.
	other := newClient(t)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/c/"+seedSlug+"/comments", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r2, err := other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusForbidden {
		t.Errorf("token without its cookie: %d", r2.StatusCode)
	}
	if n, _ := e.store.CommentCounts(context.Background(), 1); len(n) != 0 {
		t.Errorf("comment stored without CSRF: %v", n)
	}
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("valid post after failures: %d", resp.StatusCode)
	}
}

func TestCommentRateLimitIgnoresForgedHeaders(t *testing.T) {
	e := newOpenEnv(t, "[limits]\ncomments_per_minute = 2\ncaptchas_per_minute = 100\n")
	disabled := false
	e.app.cfg.Captcha.Enabled = &disabled
	codes := []int{}
	for i := 0; i < 4; i++ {
		f, _ := e.openForm("general")
		h := http.Header{"X-Forwarded-For": {fmt.Sprintf("10.0.0.%d", i)}, "X-Real-Ip": {fmt.Sprintf("10.1.0.%d", i)}}
		resp, page := e.submit(f, h)
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests && (!strings.Contains(page, "提交过于频繁") || !strings.Contains(page, "建议第十七条增加")) {
			t.Error("429 page lacks the message or the text")
		}
	}
	if fmt.Sprint(codes) != "[303 303 429 429]" {
		t.Errorf("statuses %v, want two accepted then 429", codes)
	}
}

func TestCaptchaRateLimit(t *testing.T) {
	e := newOpenEnv(t, "[limits]\ncaptchas_per_minute = 2\n")
	var codes []int
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/c/"+seedSlug+"/comment", nil)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i))
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes = append(codes, resp.StatusCode)
	}
	if fmt.Sprint(codes) != "[200 200 429]" {
		t.Errorf("statuses %v", codes)
	}
}

func TestTrustedProxyXFF(t *testing.T) {
	e := newOpenEnv(t, "")
	e.app.cfg.Server.TrustedProxies = []string{"127.0.0.1"}
	ext := e.app.ipExtractor()
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "127.0.0.1:5555"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	if ip := ext(req); ip != "203.0.113.9" {
		t.Errorf("behind a trusted proxy: %s", ip)
	}
	req.RemoteAddr = "198.51.100.7:5555"
	if ip := ext(req); ip != "198.51.100.7" {
		t.Errorf("untrusted peer's XFF believed: %s", ip)
	}
}

func TestCommentHoneypotAndBodyLimit(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("general")
	f.Set("website", "http://spam.example")
	if resp, page := e.submit(f, nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "建议第十七条增加") {
		t.Errorf("honeypot: %d", resp.StatusCode)
	}
	f, _ = e.openForm("general")
	f.Set("body", strings.Repeat("长", 120000))
	if resp, page := e.submit(f, nil); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(page, "提交的内容过大") {
		t.Errorf("huge body: %d", resp.StatusCode)
	}
}

func TestXSSIsInert(t *testing.T) {
	e := newOpenEnv(t, "[limits]\ncomments_per_minute = 0\ncaptchas_per_minute = 0\n")
	payloads := []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `javascript:alert(1)`, `</textarea><script>x()</script>`}
	for _, p := range payloads {
		f, _ := e.openForm("general")
		f.Set("body", "意见 "+p)
		f.Set("name", p)
		f.Set("organization", p)
		// Invalid first (bad phone): the re-rendered form must escape everything.
		f.Set("phone", "1")
		resp, page := e.submit(f, nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", resp.StatusCode)
		}
		assertInert(t, "form", page)
		f2, _ := e.openForm("general")
		f2.Set("body", "意见 "+p)
		f2.Set("name", p)
		resp, _ = e.submit(f2, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", resp.StatusCode)
		}
		_, receipt := e.get(resp.Header.Get("Location"))
		assertInert(t, "receipt", receipt)
		m := trackingRETest.FindStringSubmatch(receipt)
		_, tr := e.get("/track?no=" + url.QueryEscape(m[1]))
		assertInert(t, "track", tr)
	}
	_, tr := e.get("/track?no=" + url.QueryEscape(`<script>alert(1)</script>`))
	assertInert(t, "track query", tr)
}

func assertInert(t *testing.T, where, page string) {
	t.Helper()
	doc := parseHTML(t, page)
	for _, s := range all(doc, "script") {
		if src := attr(s, "src"); src == "" || !strings.HasPrefix(src, "/static/") {
			t.Errorf("%s: injected <script> %q", where, text(s))
		}
	}
	for _, tag := range []string{"img", "a", "input", "textarea"} {
		for _, n := range all(doc, tag) {
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s: injected handler %s on <%s>", where, a.Key, tag)
				}
				if (a.Key == "href" || a.Key == "src") && strings.HasPrefix(strings.ToLower(a.Val), "javascript:") {
					t.Errorf("%s: javascript: URL", where)
				}
			}
		}
	}
}

func TestContactDataNeverPublic(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("article-3")
	f.Set("phone", "0951-7654321")
	f.Set("email", "secret.person@example.org")
	resp, _ := e.submit(f, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatal(resp.StatusCode)
	}
	_, receipt := e.get(resp.Header.Get("Location"))
	m := trackingRETest.FindStringSubmatch(receipt)
	for _, p := range []string{"/", "/c/" + seedSlug, resp.Header.Get("Location"), "/track?no=" + m[1], "/c/" + seedSlug + "/comment?section=article-3"} {
		_, page := e.get(p)
		for _, s := range []string{"7654321", "secret.person", "张三"} {
			if strings.Contains(page, s) {
				t.Errorf("%s shows %q", p, s)
			}
		}
	}
}

// TestFormKeyIsTimeOrderedAndUnguessable: a form key is 22 characters (formKeyRE, a
// stable contract), starts with the milliseconds it was made at (so the submission-key
// index takes inserts at one spot) and ends with 80 random bits.
func TestFormKeyIsTimeOrderedAndUnguessable(t *testing.T) {
	before := time.Now().UnixMilli()
	keys := map[string]bool{}
	var tails []string
	for i := 0; i < 1000; i++ {
		k := newFormKey()
		if !formKeyRE.MatchString(k) {
			t.Fatalf("key %q does not match formKeyRE", k)
		}
		raw, err := base64.RawURLEncoding.DecodeString(k)
		if err != nil || len(raw) != 16 {
			t.Fatalf("key %q: %v (%d bytes)", k, err, len(raw))
		}
		var ms int64
		for _, b := range raw[:6] {
			ms = ms<<8 | int64(b)
		}
		if after := time.Now().UnixMilli(); ms < before || ms > after {
			t.Fatalf("key %q carries %d ms, not within [%d, %d]", k, ms, before, after)
		}
		if keys[k] {
			t.Fatalf("key %q drawn twice", k)
		}
		keys[k] = true
		tails = append(tails, string(raw[6:]))
	}
	// 1,000 keys made within a few milliseconds: the random tails must all differ.
	slices.Sort(tails)
	if len(slices.Compact(tails)) != 1000 {
		t.Fatal("random tails repeat")
	}
}

// checkCaptchaPNG checks that body is a PNG with exactly the pixels drawn for id's
// answer with the database's key (server/captchaimage; the portal encodes it itself,
// server/captcha.go).
func checkCaptchaPNG(t *testing.T, a *app, id string, body []byte) {
	t.Helper()
	got, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("captcha image: %v", err)
	}
	ans, err := a.store.CaptchaDigits(id, a.now())
	if err != nil {
		t.Fatal(err)
	}
	d := make([]byte, len(ans))
	for i := range ans {
		d[i] = ans[i] - '0'
	}
	// The drawing is the library's (server/captchaimage tests that), seeded from the
	// database's secret.
	want := captchaimage.Draw(a.store.CaptchaImageKey(), id, d, 200, 70)
	pm, ok := got.(*image.Paletted)
	if !ok || pm.Bounds() != want.Bounds() || pm.Bounds().Dx() != 200 || pm.Bounds().Dy() != 70 {
		t.Fatalf("captcha image %T %v, want a paletted %v", got, got.Bounds(), want.Bounds())
	}
	if !bytes.Equal(pm.Pix, want.Pix) || len(pm.Palette) != len(want.Palette) {
		t.Fatal("captcha image: not the pixels drawn for this captcha")
	}
	for i := range want.Palette {
		// Compared as drawn: the library's transparent colour is not premultiplied, so
		// it goes through NRGBA, where every transparent colour is the same.
		r1, g1, b1, a1 := pm.Palette[i].RGBA()
		r2, g2, b2, a2 := color.NRGBAModel.Convert(want.Palette[i]).RGBA()
		if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
			t.Errorf("captcha palette %d: %v, want %v", i, pm.Palette[i], want.Palette[i])
		}
	}
	if bytes.Count(pm.Pix, []byte{0}) == len(pm.Pix) {
		t.Error("captcha image: blank")
	}
}
