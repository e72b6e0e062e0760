package main

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"consult/store"
)

var wantChapters = []string{"一、总体要求", "二、基本原则", "三、发展目标", "四、持续深化改革", "五、加快转型升级", "六、加强组织领导"}

var wantArticles = []struct{ label, heading string }{
	{"(一)", "坚持简政放权"}, {"(二)", "强化市场竞争"}, {"(三)", "坚持稳中求进"}, {"(四)", "运行机制更加高效顺畅"},
	{"(五)", "整体实力再上新台阶"}, {"(六)", "高质量发展取得新突破"}, {"(七)", "优化综合管理职能"}, {"(八)", "移交社会事务管理职能"},
	{"(九)", "健全完善现代企业制度"}, {"(十)", "整合公铁物流园功能"}, {"(十一)", "优化人员管理方式"}, {"(十二)", "调整审批执法权限"},
	{"(十三)", "强化财政保障机制"}, {"(十四)", "加强政务服务保障"}, {"(十五)", "提升专业招商能力"}, {"(十六)", "全面强化规划引领作用"},
	{"(十七)", "加快建立现代产业体系"}, {"(十八)", "全面提升创新驱动能力"}, {"(十九)", "全面推进绿色低碳发展"}, {"(二十)", "全面提高资源要素利用效率"},
	{"(二十一)", "健全组织机构"}, {"(二十二)", "建立工作台账"}, {"(二十三)", "强化督查落实"},
}

// chapterOfArticle maps article N to the chapter it sits in.
func chapterOfArticle(n int) int {
	switch {
	case n <= 3:
		return 2
	case n <= 6:
		return 3
	case n <= 15:
		return 4
	case n <= 20:
		return 5
	}
	return 6
}

func TestDraftPageAnchorsAndText(t *testing.T) {
	e := newTestEnv(t, "")
	status, page := e.get("/c/" + seedSlug)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	doc := parseHTML(t, page)
	if h := attr(all(doc, "html")[0], "lang"); h != "zh-CN" {
		t.Errorf("lang = %q", h)
	}
	raw, err := os.ReadFile(seedDraft)
	if err != nil {
		t.Fatal(err)
	}
	seedLines := strings.Split(string(raw), "\n")

	pre := byID(doc, "preamble")
	if pre == nil {
		t.Fatal("no #preamble")
	}
	if !strings.Contains(text(pre), seedLines[10]) { // the preamble paragraph
		t.Errorf("#preamble does not hold the preamble verbatim: %q", text(pre))
	}
	for i, want := range wantChapters {
		ch := byID(doc, fmt.Sprintf("chapter-%d", i+1))
		if ch == nil {
			t.Fatalf("no #chapter-%d", i+1)
		}
		if h := text(all(ch, "h2")[0]); h != want {
			t.Errorf("chapter-%d heading %q, want %q", i+1, h, want)
		}
	}
	for i, want := range wantArticles {
		n := i + 1
		art := byID(doc, fmt.Sprintf("article-%d", n))
		if art == nil {
			t.Fatalf("no #article-%d", n)
		}
		parent := art.Parent
		for parent != nil && attr(parent, "id") == "" {
			parent = parent.Parent
		}
		if got, wantID := attr(parent, "id"), fmt.Sprintf("chapter-%d", chapterOfArticle(n)); got != wantID {
			t.Errorf("article-%d is inside %s, want %s", n, got, wantID)
		}
		h3 := text(all(art, "h3")[0])
		if h3 != want.label+want.heading+"。" {
			t.Errorf("article-%d heading %q", n, h3)
		}
		// The whole article, heading and body, is the seed line verbatim.
		var line string
		for _, l := range seedLines {
			if strings.HasPrefix(l, want.label+want.heading) {
				line = l
			}
		}
		var body strings.Builder
		for _, p := range all(art, "p") {
			if attr(p, "class") != "actions" {
				body.WriteString(text(p))
			}
		}
		if h3+body.String() != line {
			t.Errorf("article-%d text differs from the seed:\n got %q\nwant %q", n, h3+body.String(), line)
		}
		if !strings.Contains(page, fmt.Sprintf(`href="/c/%s/comment?section=article-%d"`, seedSlug, n)) {
			t.Errorf("article-%d has no 对本条提意见 link", n)
		}
		if !strings.Contains(page, fmt.Sprintf(`<a href="#article-%d">%s%s</a>`, n, want.label, want.heading)) {
			t.Errorf("table of contents lacks article-%d", n)
		}
	}
	for _, s := range []string{"来源:银川经济技术开发区", "2022-12-21 17:24", "2023-02-07 17:00", "联系人:陈淑芳",
		"13830463501", "1837060996@qq.com", "已结束", "扫一扫在手机上查看当前页面", "重大行政决策", "对本条提意见"} {
		if !strings.Contains(page, s) {
			t.Errorf("draft page lacks %q", s)
		}
	}
	if byID(doc, "article-24") != nil || byID(doc, "chapter-7") != nil {
		t.Error("more sections than the draft has")
	}
}

func TestDraftPageNoOutsideResourcesAndWeight(t *testing.T) {
	e := newTestEnv(t, "")
	_, page := e.get("/c/" + seedSlug)
	doc := parseHTML(t, page)
	total := len(page)
	for _, tag := range []string{"link", "script", "img"} {
		for _, n := range all(doc, tag) {
			u := attr(n, "href") + attr(n, "src")
			if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
				t.Errorf("<%s> loads an outside resource: %q", tag, u)
			}
			if tag != "img" {
				status, body := e.get(u)
				if status != http.StatusOK {
					t.Errorf("%s: status %d", u, status)
				}
				total += len(body)
			}
		}
	}
	if total > 100*1024 {
		t.Errorf("draft page HTML+CSS+JS is %d bytes, over 100 KB", total)
	}
	t.Logf("draft page HTML+CSS+JS: %d bytes", total)
}

func TestDraftPageGzipETagAndHeaders(t *testing.T) {
	e := newTestEnv(t, "")
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/c/"+seedSlug, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(plain), `id="article-17"`) {
		t.Error("gzip body is not the draft page")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req2, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/c/"+seedSlug, nil)
	req2.Header.Set("If-None-Match", etag)
	resp2, err := http.DefaultTransport.RoundTrip(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", resp2.StatusCode)
	}
	// Without gzip the page comes plain.
	req3, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/c/"+seedSlug, nil)
	req3.Header.Set("Accept-Encoding", "identity")
	resp3, err := http.DefaultTransport.RoundTrip(req3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp3.Body)
	resp3.Body.Close()
	if resp3.Header.Get("Content-Encoding") != "" || !strings.Contains(string(b), `id="article-17"`) {
		t.Error("identity request did not get the plain page")
	}
}

func TestPublicPages(t *testing.T) {
	e := newTestEnv(t, "")
	tests := []struct {
		name, path      string
		wantStatus      int
		wantContains    []string
		wantNotContains []string
	}{
		{"home", "/", 200, []string{"意见征集", "银川经济技术开发区推进体制机制改革促进高质量发展实施方案", "已结束", "2022-12-21 17:24", `href="/c/` + seedSlug + `"`}, []string{"13830463501"}},
		{"draft", "/c/" + seedSlug, 200, []string{`id="preamble"`, `id="chapter-6"`, `id="article-23"`, "跳到正文"}, nil},
		{"unknown consultation", "/c/no-such-thing", 404, []string{"没有找到这个页面"}, nil},
		{"unknown path", "/nope", 404, []string{"没有找到这个页面"}, nil},
		{"qr", "/c/" + seedSlug + "/qr.svg", 200, []string{"<svg", "<path"}, nil},
		{"qr unknown", "/c/nope/qr.svg", 404, nil, nil},
		{"css", "/static/app.css", 200, []string{"bg-eye"}, nil},
		{"js", "/static/reading.js", 200, []string{"reading="}, nil},
		{"health", "/healthz", 200, []string{"ok"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.get(tt.path)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			for _, s := range tt.wantContains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q", s)
				}
			}
			for _, s := range tt.wantNotContains {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q", s)
				}
			}
		})
	}
}

func TestPrefsWithoutJavaScript(t *testing.T) {
	e := newTestEnv(t, "")
	for _, q := range []string{"size=l", "color=blue", "eye=1"} {
		resp, err := e.client.Get(e.srv.URL + "/prefs?" + q + "&next=/c/" + seedSlug)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/c/"+seedSlug {
			t.Fatalf("%s: status %d location %q", q, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	_, page := e.get("/c/" + seedSlug)
	if !strings.Contains(page, `<html lang="zh-CN" class="fs-l fc-blue bg-eye">`) {
		t.Errorf("settings not rendered on the next page: %.200s", page)
	}
	if !strings.Contains(page, `data-value="l" aria-pressed="true"`) {
		t.Error("chosen size is not marked pressed")
	}
	// Another page keeps them too.
	_, home := e.get("/")
	if !strings.Contains(home, `class="fs-l fc-blue bg-eye"`) {
		t.Error("settings not kept across pages")
	}
	resp, err := e.client.Get(e.srv.URL + "/prefs?reset=1&next=/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, home = e.get("/")
	if !strings.Contains(home, `<html lang="zh-CN">`) {
		t.Error("恢复默认 did not reset")
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		resp, err := e.client.Get(e.srv.URL + "/prefs?size=s&next=" + next)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q redirected to %q", next, loc)
		}
	}
}

func TestStatusAt(t *testing.T) {
	opens := time.Date(2022, 12, 21, 17, 24, 0, 0, beijing)
	closes := time.Date(2023, 2, 7, 17, 0, 0, 0, beijing)
	tests := []struct {
		now   time.Time
		state string
		label string
	}{
		{opens.Add(-time.Second), "upcoming", "未开始"},
		{opens, "open", "征集中 (48 天后截止)"},
		{time.Date(2023, 2, 6, 23, 59, 0, 0, beijing), "open", "征集中 (1 天后截止)"},
		{time.Date(2023, 2, 7, 0, 0, 0, 0, beijing), "open", "征集中 (今天 17:00 截止)"},
		{closes.Add(-time.Second), "open", "征集中 (今天 17:00 截止)"},
		{closes, "closed", "已结束"},
		// A UTC clock near midnight still counts days in Beijing.
		{time.Date(2023, 2, 6, 16, 30, 0, 0, time.UTC), "open", "征集中 (今天 17:00 截止)"},
	}
	for _, tt := range tests {
		got := statusAt(tt.now, opens, closes)
		if got.State != tt.state || got.Label != tt.label {
			t.Errorf("statusAt(%s) = %+v, want %s %q", tt.now, got, tt.state, tt.label)
		}
	}
}

// TestEveryTemplateRenders executes every embedded page with sample data, so a page
// missing from the //go:embed line or a broken template fails here.
func TestEveryTemplateRenders(t *testing.T) {
	e := newTestEnv(t, "")
	samples := templateSamples(t, e)
	for name := range e.app.pages {
		data, ok := samples[name]
		if !ok {
			t.Errorf("page %s has no sample in templateSamples", name)
			continue
		}
		b, err := e.app.renderBytes(name, "标题", prefs{Size: "l", Color: "red", Eye: true}, "/x", "tok", data,
			&store.User{Username: "officer", Role: store.RoleAdmin})
		if err != nil {
			t.Errorf("page %s: %v", name, err)
			continue
		}
		if !strings.Contains(string(b), "</html>") || !strings.Contains(string(b), `class="fs-l fc-red bg-eye"`) {
			t.Errorf("page %s rendered incompletely", name)
		}
	}
	for name := range samples {
		if _, ok := e.app.pages[name]; !ok {
			t.Errorf("page %s is not embedded", name)
		}
	}
}
