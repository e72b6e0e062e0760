package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const replBase = `[server]
addr = "127.0.0.1:8080"
[database]
path = "data/consult.db"
`

func TestReplicationConfig(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"no url", "[replication]\n", "replication.url: missing"},
		{"password in url", "[replication]\nurl = \"sftp://u:secret@h/p\"\nssh_host_key = \"ssh-ed25519 AAAA\"\n", "password does not belong in config.toml"},
		{"s3 keys in url", "[replication]\nurl = \"s3://KEY@bucket/p\"\n", "S3 keys do not belong"},
		{"sftp without host key", "[replication]\nurl = \"sftp://u@h/p\"\n", "replication.ssh_host_key: required"},
		{"bad host key", "[replication]\nurl = \"sftp://u@h/p\"\nssh_host_key = \"xyz\"\n", "replication.ssh_host_key: want"},
		{"relative file", "[replication]\nurl = \"file://replica\"\n", "want file:///absolute/path"},
		{"scheme", "[replication]\nurl = \"ftp://h/p\"\n", "scheme \"ftp\" is not supported"},
		{"sync interval", "[replication]\nurl = \"file:///r\"\nsync_interval = \"soon\"\n", "replication.sync_interval"},
		{"retention", "[replication]\nurl = \"file:///r\"\nretention = \"5m\"\n", "replication.retention"},
		{"missing key file", "[replication]\nurl = \"sftp://u@h/p\"\nssh_host_key = \"ssh-ed25519 AAAA\"\nssh_key_file = \"nope\"\n", "replication.ssh_key_file"},
		{"unknown key", "[replication]\nurl = \"file:///r\"\npassword = \"x\"\n", "unknown key replication.password"},
		{"metrics allow", "[metrics]\nallow = [\"everyone\"]\n", "metrics.allow[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, replBase+tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}

	t.Run("absent table: off", func(t *testing.T) {
		cfg, err := LoadConfig(writeConfig(t, replBase))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Replication != nil {
			t.Fatal("replication on without [replication]")
		}
	})

	t.Run("defaults, credentials file, generated litestream.yml", func(t *testing.T) {
		p := writeConfig(t, replBase+`[replication]
url = "sftp://backup@10.0.0.5:2222/srv/consult"
credentials_file = "replica.env"
ssh_key_file = "id_ed25519"
ssh_host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBW host"
`)
		dir := filepath.Dir(p)
		os.WriteFile(filepath.Join(dir, "id_ed25519"), []byte("key"), 0o600)
		env := filepath.Join(dir, "replica.env")
		os.WriteFile(env, []byte("# sftp\nSFTP_PASSWORD=hunter2-secret\n"), 0o644)
		if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), "readable by others") {
			t.Fatalf("a world-readable credentials file: err = %v", err)
		}
		os.Chmod(env, 0o600)
		cfg, err := LoadConfig(p)
		if err != nil {
			t.Fatal(err)
		}
		r := cfg.Replication
		if r.syncInterval != time.Second || r.retention != 720*time.Hour || r.Litestream != "litestream" {
			t.Fatalf("defaults: %v %v %q", r.syncInterval, r.retention, r.Litestream)
		}
		e, err := r.litestreamEnv()
		if err != nil || !envHas(e, "SFTP_PASSWORD") {
			t.Fatalf("env from credentials file: %v", err)
		}
		y := string(r.litestreamYAML(cfg.Database.Path, e))
		for _, want := range []string{`url: "sftp://backup@10.0.0.5:2222/srv/consult"`, `sync-interval: "1s"`, `retention: "720h0m0s"`,
			`key-path: "` + filepath.Join(dir, "id_ed25519") + `"`, `host-key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBW host"`,
			"password: ${SFTP_PASSWORD}", "socket:", `path: "` + cfg.Database.Path + `"`} {
			if !strings.Contains(y, want) {
				t.Errorf("litestream.yml lacks %q:\n%s", want, y)
			}
		}
		if strings.Contains(y, "hunter2") {
			t.Errorf("litestream.yml holds the secret itself:\n%s", y)
		}
	})
}

// TestStartRefusesEmptyWithReplica runs the command in-process: a missing database
// with a replica configured is refused, and nothing is created.
func TestStartRefusesEmptyWithReplica(t *testing.T) {
	p := writeConfig(t, replBase+"[replication]\nurl = \"file:///nonexistent/replica\"\n")
	err := run([]string{"-config", p})
	if err == nil || !strings.Contains(err.Error(), "restore") || !strings.Contains(err.Error(), "-fresh") {
		t.Fatalf("err = %v", err)
	}
	err = run([]string{"-config", p, "user", "add", "-role", "admin", "x"})
	if err == nil || !strings.Contains(err.Error(), "restore") {
		t.Fatalf("a command on the missing database: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(p), "data", "consult.db")); err == nil {
		t.Fatal("database created")
	}
	// -fresh begins empty on purpose (a new installation): the command gets past the
	// refusal (and stops at the password, which standard input does not give here).
	err = run([]string{"-config", p, "-fresh", "user", "add", "-role", "admin", "x"})
	if err == nil || strings.Contains(err.Error(), "restore") || !strings.Contains(err.Error(), "password") {
		t.Fatalf("-fresh user add: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(p), "data", "consult.db")); err != nil {
		t.Fatalf("-fresh did not create the database: %v", err)
	}
	os.RemoveAll(filepath.Join(filepath.Dir(p), "data"))
	// restore refuses without a replica table, and onto an existing file.
	p2 := writeConfig(t, replBase)
	if err := run([]string{"-config", p2, "restore"}); err == nil || !strings.Contains(err.Error(), "no [replication]") {
		t.Fatalf("restore without [replication]: %v", err)
	}
	dir := filepath.Dir(p)
	os.MkdirAll(filepath.Join(dir, "data"), 0o700)
	os.WriteFile(filepath.Join(dir, "data", "consult.db"), []byte("x"), 0o600)
	if err := run([]string{"-config", p, "restore"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("restore onto an existing database: %v", err)
	}
	if err := run([]string{"-config", p, "restore", "-timestamp", "yesterday"}); err == nil || !strings.Contains(err.Error(), "-timestamp") {
		t.Fatalf("bad -timestamp: %v", err)
	}
}

func TestReplicationLagFromSamples(t *testing.T) {
	r := &replicator{}
	t0 := time.Now().Add(-10 * time.Second)
	r.record(t0, 5, 5)
	if r.status.Lag != 0 || len(r.pending) != 0 {
		t.Fatalf("in sync: lag %v pending %v", r.status.Lag, r.pending)
	}
	r.record(t0.Add(time.Second), 8, 5)
	r.record(t0.Add(2*time.Second), 12, 6)
	if got := r.Status().Lag; got < 8*time.Second || got > 10*time.Second {
		t.Fatalf("lag with txid 8 pending since t0+1s: %v", got)
	}
	r.record(t0.Add(3*time.Second), 12, 8) // 8 arrived; 12 (seen at t0+2s) still pending
	if got := r.Status().Lag; got < 8*time.Second || got > 9*time.Second {
		t.Fatalf("lag with txid 12 pending since t0+2s: %v", got)
	}
	r.record(t0.Add(4*time.Second), 12, 12)
	if got := r.Status().Lag; got != 0 {
		t.Fatalf("caught up: lag %v", got)
	}
}

func TestReadyz(t *testing.T) {
	e := newTestEnv(t, "")
	status, body := e.get("/readyz")
	if status != http.StatusOK {
		t.Fatalf("status %d:\n%s", status, body)
	}
	for _, want := range []string{"database: ok (write round-trip", "replication: ok (off", "disk: ok ("} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz lacks %q:\n%s", want, body)
		}
	}
	e.app.minFreeBytes = 1 << 62
	if status, body := e.get("/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "disk: FAIL") {
		t.Errorf("disk below the minimum: %d\n%s", status, body)
	}
	e.app.minFreeBytes = defaultMinFreeBytes
	// A database that cannot be written: 503 with the failing check, never a 500.
	e.store.Close()
	if status, body := e.get("/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "database: FAIL") {
		t.Errorf("closed database: %d\n%s", status, body)
	}
	if status, _ := e.get("/healthz"); status != http.StatusOK {
		t.Errorf("/healthz is liveness only, want 200, got %d", status)
	}
}

// metricValue reads one sample (name with its exact label set) from /metrics text.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(line[len(series):]), 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("/metrics lacks %s", series)
	return 0
}

func TestMetrics(t *testing.T) {
	e := newOpenEnv(t, "")
	f, _ := e.openForm("article-17")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid comment: %d", resp.StatusCode)
	}
	f, _ = e.openForm("article-17")
	f.Set("captcha_solution", "000000x")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("wrong captcha: %d", resp.StatusCode)
	}
	f, _ = e.openForm("article-17")
	f.Set("body", "")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("empty body: %d", resp.StatusCode)
	}
	f.Set("_csrf", "forged")
	if resp, _ := e.submit(f, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bad csrf: %d", resp.StatusCode)
	}

	status, text := e.get("/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics from loopback: %d", status)
	}
	for series, want := range map[string]float64{
		`consult_comments_accepted_total`:                                                 1,
		`consult_comments_refused_total{reason="captcha"}`:                                1,
		`consult_comments_refused_total{reason="invalid"}`:                                1,
		`consult_comments_refused_total{reason="csrf"}`:                                   1,
		`consult_comments_refused_total{reason="rate_limit"}`:                             0,
		`consult_captcha_failures_total`:                                                  1,
		`consult_group_commit_batch_size_count`:                                           2, // the comment, and the wrong captcha answer used up
		`consult_replication_enabled`:                                                     0,
		`consult_http_requests_total{code="303",method="POST",route="/c/:slug/comments"}`: 1,
		`consult_http_requests_total{code="200",method="GET",route="/c/:slug/comment"}`:   3,
	} {
		if got := metricValue(t, text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if got := metricValue(t, text, "consult_database_size_bytes"); got < 4096 {
		t.Errorf("database size %v", got)
	}
	if got := metricValue(t, text, "consult_group_commit_seconds_count"); got != 2 {
		t.Errorf("commit latency observations %v", got)
	}
	if !regexp.MustCompile(`consult_http_request_duration_seconds_bucket\{method="GET",route="/c/:slug/comment",le="[0-9.]+"\}`).MatchString(text) {
		t.Error("no latency histogram by route")
	}
	if strings.Contains(text, seedSlug) {
		t.Error("metrics are labelled with raw paths; want route patterns")
	}
}

func TestMetricsAllowList(t *testing.T) {
	e := newTestEnv(t, "[metrics]\nallow = [\"10.0.0.0/8\"]\n")
	for _, path := range []string{"/metrics", "/readyz"} {
		if status, _ := e.get(path); status != http.StatusForbidden {
			t.Errorf("%s from loopback, not in metrics.allow: %d", path, status)
		}
	}
	if status, _ := e.get("/healthz"); status != http.StatusOK {
		t.Errorf("/healthz is for anyone: %d", status)
	}
	// Behind a trusted proxy, the client is the forwarded address: a request relayed
	// from the internet is refused even though the TCP peer is loopback.
	e = newTestEnv(t, "")
	e.app.cfg.Server.TrustedProxies = []string{"127.0.0.1"}
	e.srv.Config.Handler = e.app.routes()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/metrics", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("forwarded from 203.0.113.9: %d", resp.StatusCode)
	}
	if status, _ := e.get("/metrics"); status != http.StatusOK {
		t.Errorf("from the proxy host itself: %d", status)
	}
}

func TestAdminSystemPage(t *testing.T) {
	e := newTestEnv(t, "")
	admin := e.loginAs("root", "admin")
	status, page := e.getWith(admin, "/admin/system")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{"系统状态", `id="replication-status" data-state="off"`, "未开启", `data-check="database"`, "数据库写入"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if _, home := e.getWith(admin, "/admin"); !strings.Contains(home, `href="/admin/system"`) {
		t.Error("the admin home does not link the system page")
	}
	officer := e.loginAs("chen", "officer")
	if status, _ := e.getWith(officer, "/admin/system"); status != http.StatusForbidden {
		t.Errorf("officer: %d", status)
	}
	if status, _ := e.get("/admin/system"); status != http.StatusSeeOther {
		t.Errorf("anonymous: %d", status)
	}
}

func init() {
	// The page with replication on, lagging, with an error: every branch of the template.
	registerSample("admin_system", func(t *testing.T, e *testEnv) any {
		return systemView{Now: time.Now(), Replication: replicationStatus{
			Enabled: true, URL: "sftp://backup@10.0.0.5/srv/consult", Running: true, Lag: 2500 * time.Millisecond,
			LastSync: time.Now().Add(-3 * time.Second), LastCheck: time.Now(), LastError: "litestream exited: <b>", Restarts: 1,
			SyncInterval: time.Second, Retention: 720 * time.Hour,
		}, Checks: []readyCheck{{"database", true, "write round-trip 1ms"}, {"disk", false, "1 MiB free"}}}
	})
}
