package main

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// rawGet fetches path with the given Accept-Encoding and a cookie header, without the
// transport's own decompression, and returns the response and its raw body.
func (e *testEnv) rawGet(path, acceptEncoding, cookie string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", acceptEncoding)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// normalizeForm blanks the three per-request values, so two form pages can be
// compared byte for byte.
func normalizeForm(t *testing.T, page string) string {
	t.Helper()
	for _, re := range []*struct {
		find func(string) []string
	}{{csrfRE.FindStringSubmatch}, {formKeyRETest.FindStringSubmatch}, {captchaIDRETest.FindStringSubmatch}} {
		m := re.find(page)
		if m == nil {
			t.Fatalf("page lacks a per-request value: %.200s", page)
		}
		page = strings.ReplaceAll(page, m[1], "VALUE")
	}
	return page
}

// TestFormPageFromCache checks the cached form page: the gzip stream spliced from
// pre-deflated pieces decodes (CRC and length checked by compress/gzip) to exactly
// the uncompressed page; each request gets its own form key and captcha id, which
// work for submitting; the reading settings and the section change the page; and
// showing forms writes nothing to the database.
func TestFormPageFromCache(t *testing.T) {
	e := newOpenEnv(t, "[limits]\ncaptchas_per_minute = 0\n")
	path := "/c/" + seedSlug + "/comment?section=article-17"
	cookie := "_csrf=" + strings.Repeat("t", 32)

	db, err := sql.Open("sqlite3", "file:"+e.app.cfg.Database.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	dataVersion := func() (v int) {
		if err := conn.QueryRowContext(t.Context(), `PRAGMA data_version`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	walSize := func() int64 {
		fi, err := os.Stat(e.app.cfg.Database.Path + "-wal")
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	e.get(path) // warm the draft data and the form cache
	v0, w0 := dataVersion(), walSize()

	var pages []string
	for i := range 6 {
		ae := "gzip, deflate, br"
		if i%2 == 1 {
			ae = "identity"
		}
		resp, raw := e.rawGet(path, ae, cookie)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		page := string(raw)
		if i%2 == 0 {
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatal("form page not compressed for a browser")
			}
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(false)
			b, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("gzip stream does not decode: %v", err)
			}
			page = string(b)
		} else if resp.Header.Get("Content-Encoding") != "" {
			t.Fatal("compressed for a client that did not ask")
		}
		if !strings.Contains(page, `name="_csrf" value="`+strings.Repeat("t", 32)+`"`) {
			t.Fatal("the client's CSRF token is not in the form")
		}
		pages = append(pages, page)
	}
	for i := 1; i < len(pages); i++ {
		if normalizeForm(t, pages[i]) != normalizeForm(t, pages[0]) {
			t.Fatalf("form page %d differs from the first beyond the per-request values", i)
		}
		if formKeyRETest.FindStringSubmatch(pages[i])[1] == formKeyRETest.FindStringSubmatch(pages[0])[1] ||
			captchaIDRETest.FindStringSubmatch(pages[i])[1] == captchaIDRETest.FindStringSubmatch(pages[0])[1] {
			t.Fatal("two form pages share a form key or a captcha")
		}
	}
	if v, w := dataVersion(), walSize(); v != v0 || w != w0 {
		t.Fatalf("showing forms wrote to the database (data_version %d -> %d, WAL %d -> %d bytes)", v0, v, w0, w)
	}
	if !strings.Contains(pages[0], `<option value="article-17" selected>`) {
		t.Fatal("section not selected")
	}

	// Another section and other reading settings are other pages.
	_, other := e.rawGet("/c/"+seedSlug+"/comment?section=article-3", "identity", cookie)
	if !strings.Contains(string(other), `<option value="article-3" selected>`) || strings.Contains(string(other), `<option value="article-17" selected>`) {
		t.Fatal("the cache served another section's form")
	}
	_, big := e.rawGet(path, "identity", cookie+"; reading=l.blue.1")
	if !strings.Contains(string(big), "fs-l") || !strings.Contains(string(big), "bg-eye") || strings.Contains(pages[1], "fs-l") {
		t.Fatal("reading settings not applied to the cached form")
	}

	// A hostile CSRF cookie is escaped, as the template escapes it.
	_, hostile := e.rawGet(path, "identity", `_csrf=x><script>x</script>`)
	if strings.Contains(string(hostile), "<script>x</script>") || !strings.Contains(string(hostile), `value="x&gt;&lt;script&gt;`) {
		t.Fatal("the CSRF token from the cookie is not escaped")
	}

	// A cached form submits like any other.
	f, _ := e.openForm("article-17")
	if resp, page := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit from a cached form: %d %.300s", resp.StatusCode, page)
	}
}
