package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/net/html"

	"consult/store"
)

func init() {
	registerSample("admin_consultation_new", func(t *testing.T, e *testEnv) any {
		return consultationNewView{Form: consultationForm{Slug: "x", Text: "\n<b>第一条</b>", OpensAt: "2024-01-01T09:00"},
			Errors: map[string]string{"draft_text": "没有识别出章节或条款", "draft_file": "x", "slug": "x"}, MaxKB: 1024}
	})
	registerSample("admin_consultation_preview", func(t *testing.T, e *testEnv) any {
		raw, err := os.ReadFile(seedDraft)
		if err != nil {
			t.Fatal(err)
		}
		var v validator
		cs, secs, d := parseDraftText(string(raw), &v)
		pv := consultationPreviewView{Form: consultationForm{Slug: "x", Text: string(raw), Title: cs.Title, Publisher: cs.Publisher},
			Errors: map[string]string{"window_reason": "少于 30 天", "contact_email": "x"}, Length: "10 天", Short: true, Past: true}
		fillPreview(&pv, secs, d)
		pv.Ignored = append(pv.Ignored, "扫一扫")
		return pv
	})
}

// smallLawDraft is a draft in the 第X章/第X条 form with a 10-day window.
const smallLawDraft = `当前位置:首页 > 互动交流 > 意见征集 > 规范性文件
来源:银川市司法局 征集时间:2024-03-01 09:00 至 2024-03-11 17:00
为广泛听取社会各界意见,现将《银川市停车场管理办法(征求意见稿)》全文公布,征求社会各界意见。
联系人:王五
联系电话:0951-6888123
邮箱:sfj@example.com
银川市停车场管理办法
(征求意见稿)
第一章　总则
第一条　为了加强停车场管理,规范停车秩序,制定本办法。
第二条　本办法适用于本市行政区域内停车场的规划、建设和管理。
第二章　建设与管理
第三条　停车场经营者应当公示收费标准。
一、收费项目;
二、收费依据。
第四条　违反本办法的,由有关部门依法处理。
`

// cnNumber writes 1..9999 as a Chinese numeral, as printed in 第X条 labels.
func cnNumber(n int) string {
	digits := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	units := []string{"千", "百", "十", ""}
	var b strings.Builder
	zero := false
	for i, div := range []int{1000, 100, 10, 1} {
		d := n / div % 10
		if d == 0 {
			zero = b.Len() > 0
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		if !(d == 1 && i == 2 && b.Len() == 0) { // 十二, not 一十二
			b.WriteString(digits[d])
		}
		b.WriteString(units[i])
	}
	return b.String()
}

// bigLawDraft builds a 第X章/第X条 draft of at least size bytes.
func bigLawDraft(size int) (text string, chapters, articles int) {
	var b strings.Builder
	b.WriteString("来源:银川市司法局\n征集时间:2024-03-01 09:00 至 2024-04-15 17:00\n联系人:王五\n银川市大型测试条例\n")
	para := strings.Repeat("停车场经营者应当按照规定公示收费标准并接受监督,", 8)
	for b.Len() < size {
		chapters++
		fmt.Fprintf(&b, "第%s章　第%s部分\n", cnNumber(chapters), cnNumber(chapters))
		for i := 0; i < 40; i++ {
			articles++
			fmt.Fprintf(&b, "第%s条　%s第%d项。\n", cnNumber(articles), para, articles)
		}
	}
	return b.String(), chapters, articles
}

type upload struct {
	field, name string
	content     []byte
}

// multipartPost posts a multipart form (with the CSRF token from tokenPage) as the
// browser does for the new-consultation forms.
func (e *testEnv) multipartPost(client *http.Client, path string, f url.Values, files ...upload) (*http.Response, string) {
	e.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range f {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	for _, u := range files {
		fw, err := w.CreateFormFile(u.field, u.name)
		if err != nil {
			e.t.Fatal(err)
		}
		fw.Write(u.content)
	}
	w.Close()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, &body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

// previewDraft opens the new-consultation form and submits it.
func (e *testEnv) previewDraft(admin *http.Client, f url.Values, files ...upload) (*http.Response, string) {
	e.t.Helper()
	_, page := e.getWith(admin, "/admin/consultations/new")
	f.Set("_csrf", csrfFrom(e.t, page))
	return e.multipartPost(admin, "/admin/consultations/preview", f, files...)
}

// formValues reads what a browser would submit from the form with that id: inputs
// (not files or buttons), textareas and selects.
func formValues(t *testing.T, page, id string) url.Values {
	t.Helper()
	form := byID(parseHTML(t, page), id)
	if form == nil {
		t.Fatalf("no form #%s", id)
	}
	out := url.Values{}
	walk(form, func(n *html.Node) bool {
		if n.Type != html.ElementNode || attr(n, "name") == "" {
			return true
		}
		switch n.Data {
		case "input":
			switch attr(n, "type") {
			case "file", "submit", "button":
			case "checkbox", "radio":
				for _, a := range n.Attr {
					if a.Key == "checked" {
						out.Add(attr(n, "name"), attr(n, "value"))
					}
				}
			default:
				out.Add(attr(n, "name"), attr(n, "value"))
			}
		case "textarea":
			out.Add(attr(n, "name"), text(n))
		case "select":
			var first, chosen *html.Node
			walk(n, func(o *html.Node) bool {
				if o.Type == html.ElementNode && o.Data == "option" {
					if first == nil {
						first = o
					}
					for _, a := range o.Attr {
						if a.Key == "selected" && chosen == nil {
							chosen = o
						}
					}
				}
				return true
			})
			if chosen == nil {
				chosen = first
			}
			if chosen != nil {
				out.Add(attr(n, "name"), attr(chosen, "value"))
			}
		}
		return true
	})
	return out
}

func fieldValue(t *testing.T, page, id string) string {
	t.Helper()
	n := byID(parseHTML(t, page), id)
	if n == nil {
		t.Fatalf("no #%s", id)
	}
	if n.Data == "textarea" {
		return text(n)
	}
	return attr(n, "value")
}

func TestConsultationPagesRoles(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", store.RoleAdmin)
	if status, page := e.getWith(admin, "/admin/consultations/new"); status != http.StatusOK || !strings.Contains(page, `enctype="multipart/form-data"`) {
		t.Fatalf("admin: %d", status)
	}
	for _, role := range []string{store.RoleOfficer, store.RoleCommittee} {
		client := e.loginAs("u-"+role, role)
		if status, _ := e.getWith(client, "/admin/consultations/new"); status != http.StatusForbidden {
			t.Errorf("%s GET: %d", role, status)
		}
		_, home := e.getWith(client, "/admin")
		f := url.Values{"_csrf": {csrfFrom(t, home)}, "slug": {"sneaky"}, "draft_text": {smallLawDraft},
			"title": {"标题"}, "publisher": {"某局"}, "opens_at": {"2024-03-01T09:00"}, "closes_at": {"2024-05-01T09:00"}}
		for _, p := range []string{"/admin/consultations/preview", "/admin/consultations/publish"} {
			if resp, _ := e.multipartPost(client, p, f); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST %s: %d", role, p, resp.StatusCode)
			}
		}
	}
	resp, err := e.client.Get(e.srv.URL + "/admin/consultations/new")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/login?next=") {
		t.Errorf("anonymous: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := e.store.ConsultationBySlug(context.Background(), "sneaky"); err == nil {
		t.Error("a non-admin published a consultation")
	}
}

// TestConsultationFromSeedText pastes the seed page, corrects the metadata in the
// preview and publishes it.
func TestConsultationFromSeedText(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", store.RoleAdmin)
	raw, err := os.ReadFile(seedDraft)
	if err != nil {
		t.Fatal(err)
	}
	resp, page := e.previewDraft(admin, url.Values{"slug": {"etdz-copy"}, "draft_text": {strings.ReplaceAll(string(raw), "\n", "\r\n")}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, page)
	}
	doc := parseHTML(t, page)
	if n := byID(doc, "counts"); n == nil || !strings.Contains(text(n), "6 章 23 条") {
		t.Fatal("preview does not count 6 章 23 条")
	}
	for id, want := range map[string]string{
		"title": "银川经济技术开发区推进体制机制改革\n促进高质量发展实施方案", "publisher": "银川经济技术开发区", "category": "重大行政决策",
		"contact_name": "陈淑芳", "contact_phone": "13830463501", "contact_email": "1837060996@qq.com",
		"signer": "银川经济技术开发区管理委员会", "signed_on": "2022年12月21日",
		"opens_at": "2022-12-21T17:24", "closes_at": "2023-02-07T17:00", // from 征集时间 in the text
	} {
		if got := fieldValue(t, page, id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
	if !strings.HasPrefix(fieldValue(t, page, "call"), "为进一步深化银川经济技术开发区") {
		t.Error("call for comments not recognised")
	}
	if n := byID(doc, "preview-article-23"); n == nil || !strings.Contains(text(n), "(二十三)") {
		t.Error("article 23 not shown in the preview")
	}
	if n := byID(doc, "preview-chapter-6"); n == nil {
		t.Error("chapter 6 not shown in the preview")
	}
	if byID(doc, "past-window") == nil {
		t.Error("a window that closed in 2023 is not flagged")
	}

	// Correct the metadata and publish what the browser would send.
	f := formValues(t, page, "publish-form")
	f.Set("publisher", "银川经济技术开发区管委会")
	f.Set("contact_phone", "138 3046 3501")
	f.Set("closes_at", "2023-02-28T17:00")
	resp, page = e.multipartPost(admin, "/admin/consultations/publish", f)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/c/etdz-copy" {
		t.Fatalf("publish: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), page)
	}
	status, pub := e.get("/c/etdz-copy")
	if status != http.StatusOK {
		t.Fatalf("public page: %d", status)
	}
	pdoc := parseHTML(t, pub)
	if n := byID(pdoc, "article-23"); n == nil || !strings.Contains(text(n), "(二十三)") {
		t.Error("public page lacks #article-23")
	}
	for _, s := range []string{"来源:银川经济技术开发区管委会", "2023-02-28 17:00", "tel:13830463501"} {
		if !strings.Contains(pub, s) {
			t.Errorf("public page lacks %q", s)
		}
	}
	cs, err := e.store.ConsultationBySlug(context.Background(), "etdz-copy")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(cleanDraftText(string(raw))))
	if cs.DraftSHA256 != hex.EncodeToString(sum[:]) {
		t.Error("the carried text changed between preview and publish")
	}
	seed, _ := e.store.ConsultationBySlug(context.Background(), seedSlug)
	if cs.DraftSHA256 != seed.DraftSHA256 {
		t.Error("pasted text (CRLF) hashed differently from the same file imported from config.toml")
	}
	secs, _ := e.store.Sections(context.Background(), cs.ID)
	seedSecs, _ := e.store.Sections(context.Background(), seed.ID)
	if len(secs) != len(seedSecs) || len(secs) != 30 {
		t.Fatalf("%d sections, seed has %d", len(secs), len(seedSecs))
	}
	for i := range secs {
		a, b := secs[i], seedSecs[i]
		if a.Anchor != b.Anchor || a.Body != b.Body || a.Heading != b.Heading || a.Parent != b.Parent {
			t.Errorf("section %d differs from the config import", i)
		}
	}
	entries, _ := e.store.ListAudit(context.Background(), store.AuditFilter{Action: "consultation_create", ConsultationID: cs.ID})
	if len(entries) != 1 || entries[0].Username != "root" || entries[0].ConsultationID != cs.ID {
		t.Fatalf("audit %+v", entries)
	}
	var after map[string]any
	_ = json.Unmarshal([]byte(entries[0].AfterJSON), &after)
	if after["articles"] != 23.0 || after["chapters"] != 6.0 {
		t.Errorf("audit after %v", after)
	}
	// The workspace lists it, and a second publish of the same slug is refused.
	if _, home := e.getWith(admin, "/admin"); !strings.Contains(home, "/admin/c/etdz-copy/comments") {
		t.Error("workspace does not list the new consultation")
	}
	resp, page = e.multipartPost(admin, "/admin/consultations/publish", f)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "这个网址名已被使用") {
		t.Errorf("second publish: %d", resp.StatusCode)
	}
	if !strings.Contains(fieldValue(t, page, "carried-text"), "(二十三)") {
		t.Error("text lost after a refused publish")
	}
}

// TestConsultationSmallDraftAndShortWindow publishes a 第X条 draft whose printed window
// is 10 days: the preview says so and publishing needs a reason.
func TestConsultationSmallDraftAndShortWindow(t *testing.T) {
	e := newTestEnv(t, "")
	e.app.now = func() time.Time { return time.Date(2024, 2, 20, 9, 0, 0, 0, beijing) }
	admin := e.loginAs("root", store.RoleAdmin)
	resp, page := e.previewDraft(admin, url.Values{"slug": {"parking-2024"}, "draft_text": {smallLawDraft}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("preview of a short window without reason: %d", resp.StatusCode)
	}
	doc := parseHTML(t, page)
	if n := byID(doc, "counts"); n == nil || !strings.Contains(text(n), "2 章 4 条") {
		t.Errorf("counts: %q", text(byID(doc, "counts")))
	}
	if byID(doc, "short-new") == nil || !strings.Contains(page, "征集期为 10 天 8 小时,少于 30 天") {
		t.Error("preview does not say the window is under 30 days")
	}
	if byID(doc, "past-window") != nil {
		t.Error("a future window flagged as past")
	}
	if got := fieldValue(t, page, "title"); got != "银川市停车场管理办法\n(征求意见稿)" {
		t.Errorf("title %q", got)
	}
	if n := byID(doc, "preview-article-3"); n == nil || !strings.Contains(text(n), "一、收费项目") {
		t.Error("items of article 3 not in its body")
	}
	f := formValues(t, page, "publish-form")
	resp, page = e.multipartPost(admin, "/admin/consultations/publish", f)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "为什么征集期少于 30 天") {
		t.Fatalf("publish without reason: %d", resp.StatusCode)
	}
	// Bad metadata is refused next to its field, the rest kept.
	f.Set("window_reason", "配合全市停车专项整治,征集期 10 天。")
	f.Set("contact_email", "not-an-email")
	f.Set("title", "")
	resp, page = e.multipartPost(admin, "/admin/consultations/publish", f)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "邮箱格式不正确") || !strings.Contains(page, "请填写标题") {
		t.Fatalf("bad metadata: %d", resp.StatusCode)
	}
	if fieldValue(t, page, "window_reason") != "配合全市停车专项整治,征集期 10 天。" || fieldValue(t, page, "contact_email") != "not-an-email" {
		t.Error("input not kept")
	}
	if n := byID(parseHTML(t, page), "counts"); n == nil || !strings.Contains(text(n), "2 章 4 条") {
		t.Error("re-rendered preview lost the structure")
	}
	f.Set("contact_email", "sfj@example.com")
	f.Set("title", "银川市停车场管理办法\n(征求意见稿)")
	resp, _ = e.multipartPost(admin, "/admin/consultations/publish", f)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/c/parking-2024" {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	_, pub := e.get("/c/parking-2024")
	pdoc := parseHTML(t, pub)
	for _, id := range []string{"chapter-1", "chapter-2", "article-1", "article-4"} {
		if byID(pdoc, id) == nil {
			t.Errorf("public page lacks #%s", id)
		}
	}
	if byID(pdoc, "article-5") != nil {
		t.Error("public page has an article too many")
	}
	cs, _ := e.store.ConsultationBySlug(context.Background(), "parking-2024")
	if cs.WindowReason != "配合全市停车专项整治,征集期 10 天。" || !cs.OpensAt.Equal(time.Date(2024, 3, 1, 9, 0, 0, 0, beijing)) ||
		!cs.ClosesAt.Equal(time.Date(2024, 3, 11, 17, 0, 0, 0, beijing)) || cs.Title != "银川市停车场管理办法\n(征求意见稿)" {
		t.Errorf("stored %+v", cs)
	}
}

func TestConsultationUpload(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", store.RoleAdmin)
	// A file wins over the text box, and a BOM is dropped.
	resp, page := e.previewDraft(admin, url.Values{"slug": {"upload"}, "draft_text": {"被文件覆盖"}, "window_reason": {"理由"}},
		upload{"draft_file", "停车.TXT", append([]byte("\uFEFF"), smallLawDraft...)})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload preview: %d\n%s", resp.StatusCode, page)
	}
	if n := byID(parseHTML(t, page), "counts"); n == nil || !strings.Contains(text(n), "2 章 4 条") {
		t.Error("uploaded file not parsed")
	}
	if got := fieldValue(t, page, "carried-text"); got != smallLawDraft {
		t.Errorf("carried text differs from the file:\n%q", got)
	}
	resp, _ = e.multipartPost(admin, "/admin/consultations/publish", formValues(t, page, "publish-form"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	if _, pub := e.get("/c/upload"); byID(parseHTML(t, pub), "article-4") == nil {
		t.Error("uploaded draft not published")
	}

	// GB18030 bytes (第一条 …) are refused with a clear message; the text box is kept.
	gb := []byte{0xB5, 0xDA, 0xD2, 0xBB, 0xCC, 0xF5, 0x0A}
	resp, page = e.previewDraft(admin, url.Values{"slug": {"gbk"}, "draft_text": {"我粘贴的文字"}}, upload{"draft_file", "gbk.txt", gb})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "不是 UTF-8 编码") {
		t.Errorf("GB18030 file: %d", resp.StatusCode)
	}
	if got := fieldValue(t, page, "draft_text"); got != "我粘贴的文字" || fieldValue(t, page, "slug") != "gbk" {
		t.Errorf("text box not kept: %q", got)
	}
	resp, page = e.previewDraft(admin, url.Values{"slug": {"doc"}}, upload{"draft_file", "draft.docx", []byte(smallLawDraft)})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "请上传 .txt 文本文件") {
		t.Errorf(".docx file: %d", resp.StatusCode)
	}
	big := bytes.Repeat([]byte("第一条　甲。\n"), maxDraftBytes/18+1)
	resp, page = e.previewDraft(admin, url.Values{"slug": {"big"}}, upload{"draft_file", "big.txt", big})
	if resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("over 1 MB: %d", resp.StatusCode)
	}
	if resp.StatusCode == http.StatusUnprocessableEntity && !strings.Contains(page, "文件超过 1024 KB") {
		t.Error("no size message")
	}
}

func TestConsultationBadInputKeepsText(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", store.RoleAdmin)
	for _, c := range []struct {
		slug, text, msg string
	}{
		{"no-sections", "关于某事的说明\n这里只有几句话,没有分章分条。", "没有识别出章节或条款"},
		{"no-title", "第一条　甲。\n第二条　乙。", "没有识别出草案标题"},
		{"empty", "  \n ", "请粘贴草案全文"},
	} {
		resp, page := e.previewDraft(admin, url.Values{"slug": {c.slug}, "draft_text": {c.text}, "opens_at": {"2024-01-01T09:00"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, c.msg) {
			t.Errorf("%s: %d, want %q", c.slug, resp.StatusCode, c.msg)
			continue
		}
		if got := fieldValue(t, page, "draft_text"); strings.TrimSpace(got) != strings.TrimSpace(c.text) {
			t.Errorf("%s: text not kept: %q", c.slug, got)
		}
		if fieldValue(t, page, "slug") != c.slug || fieldValue(t, page, "opens_at") != "2024-01-01T09:00" {
			t.Errorf("%s: other fields not kept", c.slug)
		}
	}
	// A parsed draft with a taken or malformed slug and no window: the preview shows
	// the structure with the errors next to the fields.
	for _, c := range []struct{ slug, msg string }{{seedSlug, "这个网址名已被使用"}, {"Bad Slug!", "网址名只能用小写字母"}, {"", "请填写网址名"}} {
		body := strings.Replace(smallLawDraft, "征集时间:2024-03-01 09:00 至 2024-03-11 17:00", "", 1)
		resp, page := e.previewDraft(admin, url.Values{"slug": {c.slug}, "draft_text": {body}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, c.msg) || !strings.Contains(page, "请填写开始时间") {
			t.Errorf("slug %q: %d, want %q", c.slug, resp.StatusCode, c.msg)
		}
		if !strings.Contains(page, "2 章 4 条") {
			t.Errorf("slug %q: structure not previewed", c.slug)
		}
	}
	// "Back to the text" from the preview returns the text to the text box.
	_, page := e.previewDraft(admin, url.Values{"slug": {"back"}, "draft_text": {smallLawDraft}, "window_reason": {"短"}})
	f := formValues(t, page, "publish-form")
	f.Set("edit", "1")
	resp, page := e.multipartPost(admin, "/admin/consultations/publish", f)
	if resp.StatusCode != http.StatusOK || fieldValue(t, page, "draft_text") != smallLawDraft || fieldValue(t, page, "slug") != "back" ||
		fieldValue(t, page, "window_reason") != "短" {
		t.Errorf("edit: %d", resp.StatusCode)
	}
	if _, err := e.store.ConsultationBySlug(context.Background(), "back"); err == nil {
		t.Error("going back published the draft")
	}
	list, _ := e.store.ListConsultations(context.Background())
	if len(list) != 1 {
		t.Errorf("%d consultations after refused input", len(list))
	}
}

// TestConsultationLargeDraft posts a 600 KB draft through preview and publish. The
// global 256 KB body limit (server/app.go) must make way for isDraftUpload routes.
func TestConsultationLargeDraft(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", store.RoleAdmin)
	body, chapters, articles := bigLawDraft(600 << 10)
	resp, page := e.previewDraft(admin, url.Values{"slug": {"big-2024"}, "draft_text": {body}})
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		t.Fatalf("a %d KB draft was refused with 413: server/app.go must skip its 256K body limit for isDraftUpload "+
			"routes and apply draftBodyLimit there instead", len(body)>>10)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	want := fmt.Sprintf("%d 章 %d 条", chapters, articles)
	if n := byID(parseHTML(t, page), "counts"); n == nil || !strings.Contains(text(n), want) {
		t.Fatalf("counts, want %s", want)
	}
	resp, _ = e.multipartPost(admin, "/admin/consultations/publish", formValues(t, page, "publish-form"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	_, pub := e.get("/c/big-2024")
	if byID(parseHTML(t, pub), fmt.Sprintf("article-%d", articles)) == nil {
		t.Error("last article not published")
	}
	// The larger limit is for these routes only, and it is a limit.
	huge, _, _ := bigLawDraft(3 << 20)
	if resp, _ := e.previewDraft(admin, url.Values{"slug": {"huge"}, "draft_text": {huge}}); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("3 MB draft: %d", resp.StatusCode)
	}
	_, page = e.getWith(admin, windowPath)
	f := url.Values{"_csrf": {csrfFrom(t, page)}, "opens_at": {"2022-12-21T17:24"}, "closes_at": {"2023-03-01T17:00"}, "reason": {strings.Repeat("长", 100000)}}
	if resp, _ := e.postWith(admin, windowPath, f, nil); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("900 KB window form: %d", resp.StatusCode)
	}
}

// TestBrowserConsultationPasteAndPublish goes through the pages in Chromium: paste a
// draft, preview, give the reason the short window needs, publish. The text carried
// in the preview's hidden field must reach the server unchanged.
func TestBrowserConsultationPasteAndPublish(t *testing.T) {
	e := newTestEnv(t, "")
	e.app.now = func() time.Time { return time.Date(2024, 2, 20, 9, 0, 0, 0, beijing) }
	e.newUser("root", store.RoleAdmin)
	ctx := newBrowser(t, 1280, 900)

	browserDo(t, ctx, "log in", chromedp.Navigate(e.srv.URL+"/admin/consultations/new"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "root"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword+kb.Enter))
	browserWait(t, ctx, `!!document.getElementById('new-consultation')`)
	js, _ := json.Marshal(smallLawDraft)
	browserEval[bool](t, ctx, `(document.getElementById('draft_text').value = `+string(js)+`, true)`)
	browserDo(t, ctx, "preview", chromedp.SendKeys(chromedp.CSS("#slug"), "parking-2024"),
		chromedp.Click(chromedp.CSS("#new-consultation button.primary")))
	browserWait(t, ctx, `!!document.getElementById('counts') && document.readyState === 'complete'`)
	if got := browserEval[string](t, ctx, `document.getElementById('counts').textContent`); !strings.Contains(got, "2 章 4 条") {
		t.Fatalf("counts %q", got)
	}
	if !browserEval[bool](t, ctx, `!!document.getElementById('short-new') && document.querySelector('#window_reason + .field-error') !== null`) {
		t.Error("short window not flagged next to the reason")
	}
	if !browserEval[bool](t, ctx, `getComputedStyle(document.getElementById('carried-text')).display === 'none'`) {
		t.Error("the carried text is visible")
	}
	browserDo(t, ctx, "publish", chromedp.SendKeys(chromedp.CSS("#window_reason"), "配合专项整治,征集期 10 天。"),
		chromedp.Click(chromedp.CSS("#publish")))
	browserWait(t, ctx, `location.pathname === '/c/parking-2024' && !!document.getElementById('article-4')`)

	cs, err := e.store.ConsultationBySlug(context.Background(), "parking-2024")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(cleanDraftText(smallLawDraft)))
	if cs.DraftSHA256 != hex.EncodeToString(sum[:]) || cs.WindowReason != "配合专项整治,征集期 10 天。" {
		t.Errorf("stored %q %q: the text changed on its way through the preview", cs.DraftSHA256, cs.WindowReason)
	}
}

func TestMetaTime(t *testing.T) {
	for _, c := range []struct {
		in      string
		closing bool
		want    string
	}{
		{"2022-12-21 17:24", false, "2022-12-21T17:24"},
		{"２０２３-０２-０７ １７:００", true, "2023-02-07T17:00"},
		{"2023年2月7日", true, "2023-02-07T23:59"},
		{"2023年2月7日", false, "2023-02-07T00:00"},
		{"2023/2/7 9:30", false, "2023-02-07T09:30"},
		{"2023年2月7日 9:30", false, "2023-02-07T09:30"},
		{"2月7日", false, ""}, // no year: not guessed
		{"2023年2月7日 09:30", false, "2023-02-07T09:30"},
		{"", false, ""},
	} {
		got := ""
		if tm, ok := metaTime(c.in, c.closing); ok {
			got = tm.In(beijing).Format("2006-01-02T15:04")
		}
		if got != c.want {
			t.Errorf("metaTime(%q, %v) = %q, want %q", c.in, c.closing, got, c.want)
		}
	}
}
