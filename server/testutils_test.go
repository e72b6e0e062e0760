package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"consult/store"
)

// seedDraft is the shipped content file, copied into each test's folder so tests
// never depend on the working directory beyond the repo itself.
const seedDraft = "../content/yinchuan-etdz-reform-2022.txt"

const seedSlug = "yinchuan-etdz-reform-2022"

// testConfig is a config.toml for tests; %DRAFT% is replaced by the draft path.
const testConfig = `
[server]
addr = "127.0.0.1:0"
base_url = "http://127.0.0.1:8080"

[database]
path = "data/test.db"

[[consultation]]
slug = "yinchuan-etdz-reform-2022"
draft = "draft.txt"
opens_at = 2022-12-21T17:24:00+08:00
closes_at = 2023-02-07T17:00:00+08:00
`

type testEnv struct {
	t      *testing.T
	app    *app
	store  *store.Store
	srv    *httptest.Server
	client *http.Client
	dir    string
}

// writeTestConfig copies the seed draft into dir, writes conf there as config.toml,
// loads it and makes the database's folder. Every test and benchmark setup starts here.
func writeTestConfig(tb testing.TB, dir, conf string) *Config {
	tb.Helper()
	raw, err := os.ReadFile(seedDraft)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "draft.txt"), raw, 0o600); err != nil {
		tb.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		tb.Fatal(err)
	}
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Database.Path), 0o750); err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// openTestStore opens (migrating) cfg's database and imports its consultations, as
// the server does on start. The caller closes the store.
func openTestStore(tb testing.TB, cfg *Config) (*store.Store, *slog.Logger) {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Database.Path)
	if err != nil {
		tb.Fatal(err)
	}
	// The request log is formatted as in production but written nowhere.
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := syncConsultations(ctx, st, cfg, logger); err != nil {
		st.Close()
		tb.Fatal(err)
	}
	return st, logger
}

// newTestEnv starts the whole portal on a real SQLite file in a temp folder.
// extra is appended to the config file.
func newTestEnv(t *testing.T, extra string) *testEnv {
	t.Helper()
	dir := t.TempDir()
	cfg := writeTestConfig(t, dir, testConfig+extra)
	st, logger := openTestStore(t, cfg)
	t.Cleanup(func() { st.Close() })
	a, err := newApp(cfg, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return &testEnv{t: t, app: a, store: st, srv: srv, client: newClient(t), dir: dir}
}

func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// get fetches path and returns the status and body (decompressed by the transport).
func (e *testEnv) get(path string) (int, string) {
	e.t.Helper()
	resp, err := e.client.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// postForm posts a form and returns the response with its body read.
func (e *testEnv) postForm(path string, form url.Values, header http.Header) (*http.Response, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := e.client.Do(req)
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

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrfFrom reads the CSRF token the page rendered into its form.
func csrfFrom(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no _csrf field in page")
	}
	return m[1]
}
