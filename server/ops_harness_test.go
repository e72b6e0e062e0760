package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The replication, restore and shutdown tests run the real binaries: consult built
// from this package and Litestream built from the module proxy at LitestreamVersion.

// buildConsult (bench_import_test.go) builds the server binary into a folder.

var litestreamOnce struct {
	sync.Once
	path string
	err  error
}

// litestreamBin finds Litestream LitestreamVersion on PATH (.ci/run installs it), or
// builds it once with go install (minutes the first time; cached afterwards).
func litestreamBin(t testing.TB) string {
	t.Helper()
	litestreamOnce.Do(func() {
		if p, err := exec.LookPath("litestream"); err == nil {
			if out, err := exec.Command(p, "version").Output(); err == nil && strings.TrimSpace(string(out)) == LitestreamVersion {
				litestreamOnce.path = p
				return
			}
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		gobin := filepath.Join(cache, "consult-test", "litestream-"+LitestreamVersion)
		p := filepath.Join(gobin, "litestream")
		if _, err := os.Stat(p); err == nil {
			litestreamOnce.path = p
			return
		}
		t.Logf("building litestream %s with go install (first time only)", LitestreamVersion)
		cmd := exec.Command("go", "install", "github.com/benbjohnson/litestream/cmd/litestream@"+LitestreamVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			litestreamOnce.err = fmt.Errorf("go install litestream: %v\n%s", err, out)
			return
		}
		litestreamOnce.path = p
	})
	if litestreamOnce.err != nil {
		t.Fatal(litestreamOnce.err)
	}
	return litestreamOnce.path
}

// opsConfig is a config.toml with an open consultation, no captcha and no limits, so
// that a load generator can post freely; extra is appended.
func opsConfig(t *testing.T, dir, addr, extra string) string {
	t.Helper()
	raw, err := os.ReadFile(seedDraft)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "draft.txt"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cfg := fmt.Sprintf(`[server]
addr = %q
base_url = "http://%s"
[database]
path = "data/consult.db"
[captcha]
enabled = false
[limits]
comments_per_minute = 0
captchas_per_minute = 0
[[consultation]]
slug = %q
draft = "draft.txt"
opens_at = %s
closes_at = %s
`, addr, addr, seedSlug, now.Add(-24*time.Hour).Format(time.RFC3339), now.Add(30*24*time.Hour).Format(time.RFC3339)) + extra
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// proc is a running consult server.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startConsult starts bin with args (after -config), logging to dir/server.log, and
// waits until /healthz answers.
func startConsult(t *testing.T, bin, cfgPath, base string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(filepath.Dir(cfgPath), "server.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-config", cfgPath}, args...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			killTree(p)
			<-p.done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("server exited: %v\n%s", p.err, readLog(p.log))
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not start:\n%s", readLog(p.log))
	return nil
}

func readLog(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// childPIDs lists the children of pid (Litestream, for consult), whichever of its
// threads started them.
func childPIDs(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, task := range tasks {
		raw, err := os.ReadFile(task)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(raw)) {
			var n int
			fmt.Sscan(f, &n)
			out = append(out, n)
		}
	}
	return out
}

// killTree SIGKILLs consult and its Litestream child at the same instant, as a lost
// machine would: nothing gets to flush.
func killTree(p *proc) {
	for _, c := range childPIDs(p.cmd.Process.Pid) {
		syscall.Kill(c, syscall.SIGKILL)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
}

// waitReady polls /readyz until it answers 200, and returns its body.
func waitReady(t *testing.T, base string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			if resp.StatusCode == http.StatusOK {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("/readyz never answered 200; last:\n%s", last)
	return ""
}

// ack is one acknowledged comment: when its POST was sent and when the receipt came.
type ack struct {
	tracking    string
	sent, acked time.Time
}

// loader posts comments from n concurrent clients until stopped.
type loader struct {
	mu     sync.Mutex
	acks   []ack
	bad    []string // unexpected answers (a 5xx, say)
	stop   chan struct{}
	wg     sync.WaitGroup
	errors int // transport errors (the server went away)
}

// startLoad starts n clients, each pausing pause between its comments (0: as fast as
// the server answers).
func startLoad(t *testing.T, base string, n int, pause time.Duration) *loader {
	l := &loader{stop: make(chan struct{})}
	for w := 0; w < n; w++ {
		l.wg.Add(1)
		go func(w int) {
			defer l.wg.Done()
			client := newClient(t)
			resp, err := client.Get(base + "/c/" + seedSlug + "/comment?section=article-17")
			if err != nil {
				return
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			token := csrfRE.FindStringSubmatch(string(page))
			if token == nil {
				t.Error("no csrf token")
				return
			}
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				case <-time.After(pause):
				}
				f := url.Values{"_csrf": {token[1]}, "section": {"article-17"}, "body": {fmt.Sprintf("演练意见 %d-%d:建议加快建立现代产业体系,完善园区服务。", w, i)},
					"name": {"测试"}, "identity": {"个人"}, "phone": {"13830463501"}, "consent": {"1"}, "form_key": {newFormKey()}}
				sent := time.Now()
				resp, err := client.PostForm(base+"/c/"+seedSlug+"/comments", f)
				if err != nil {
					l.mu.Lock()
					l.errors++
					l.mu.Unlock()
					return // the server is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				l.mu.Lock()
				if resp.StatusCode == http.StatusSeeOther {
					loc := resp.Header.Get("Location")
					l.acks = append(l.acks, ack{loc[strings.LastIndex(loc, "/")+1:], sent, time.Now()})
				} else {
					l.bad = append(l.bad, fmt.Sprintf("status %d", resp.StatusCode))
				}
				l.mu.Unlock()
			}
		}(w)
	}
	return l
}

func (l *loader) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

func (l *loader) finish() []ack {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ack(nil), l.acks...)
}

// trackingsIn opens a database file read-only, checks integrity_check and returns the
// tracking numbers of its comments.
func trackingsIn(t *testing.T, path string) map[string]bool {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(context.Background(), `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of %s: %q %v", path, check, err)
	}
	rows, err := db.Query(`SELECT tracking FROM comments`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out[s] = true
	}
	return out
}

// runConsult runs a one-shot consult command and returns its combined output.
func runConsult(bin, cfgPath string, args ...string) (string, error) {
	out, err := exec.Command(bin, append([]string{"-config", cfgPath}, args...)...).CombinedOutput()
	return string(out), err
}

// needRoot skips (or, under CI, fails) a test that needs root and a program.
func needRootAnd(t *testing.T, programs ...string) {
	t.Helper()
	miss := ""
	if os.Geteuid() != 0 {
		miss = "root"
	}
	for _, p := range programs {
		if _, err := os.Stat(p); err != nil {
			miss = p
		}
	}
	if miss == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("needs %s (CI installs openssh-server and runs as root)", miss)
	}
	t.Skipf("needs %s; skipped (apt-get install openssh-server, run as root)", miss)
}
