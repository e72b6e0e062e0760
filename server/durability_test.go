package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
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

// TestAcknowledgedCommentsSurviveSIGKILL starts the real binary, sends concurrent
// comments, kills the process with SIGKILL mid-stream, restarts it and checks that
// every comment whose receipt was sent is there, and that the database is intact.
func TestAcknowledgedCommentsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "consult")
	build := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(seedDraft)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "draft.txt"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
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
`, addr, addr, seedSlug, now.Add(-24*time.Hour).Format(time.RFC3339), now.Add(30*24*time.Hour).Format(time.RFC3339))
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "-config", cfgPath)
		logf, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				return cmd
			}
			time.Sleep(50 * time.Millisecond)
		}
		cmd.Process.Kill()
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		t.Fatalf("server did not start:\n%s", log)
		return nil
	}

	cmd := start()
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			client := newClient(t)
			resp, err := client.Get(base + "/c/" + seedSlug + "/comment?section=article-17")
			if err != nil {
				return
			}
			var page strings.Builder
			buf := make([]byte, 32<<10)
			for {
				n, err := resp.Body.Read(buf)
				page.Write(buf[:n])
				if err != nil {
					break
				}
			}
			resp.Body.Close()
			token := csrfRE.FindStringSubmatch(page.String())
			if token == nil {
				t.Error("no csrf token")
				return
			}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				f := url.Values{"_csrf": {token[1]}, "section": {"article-17"}, "body": {fmt.Sprintf("意见 %d-%d:建议加快建立现代产业体系。", w, i)},
					"name": {"测试"}, "identity": {"个人"}, "phone": {"13830463501"}, "consent": {"1"}, "form_key": {newFormKey()}}
				resp, err := client.PostForm(base+"/c/"+seedSlug+"/comments", f)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusSeeOther {
					loc := resp.Header.Get("Location")
					mu.Lock()
					acked = append(acked, loc[strings.LastIndex(loc, "/")+1:])
					mu.Unlock()
				}
			}
		}(w)
	}
	// Let comments flow, then kill the server mid-stream.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 300 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 50 {
		t.Fatalf("only %d comments acknowledged before the kill", len(acked))
	}

	cmd = start()
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	client := newClient(t)
	for _, tr := range acked {
		resp, err := client.Get(base + "/c/" + seedSlug + "/receipt/" + tr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("acknowledged comment %s lost (status %d)", tr, resp.StatusCode)
		}
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "data", "consult.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(context.Background(), `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q %v", check, err)
	}
	var stored int
	if err := db.QueryRow(`SELECT COUNT(*) FROM comments`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d acknowledged before SIGKILL, %d stored", len(acked), stored)
	if stored < len(acked) {
		t.Errorf("%d stored < %d acknowledged", stored, len(acked))
	}
}
