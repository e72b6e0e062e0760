package main

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadmeStartCommands: the README leads with the demo command beside the
// production start command (and the test command), and the production command works
// as written on a copy of the shipped config.toml (only its address changed, so the
// test needs no free port 8080). The demo command is run by TestDemoCommand.
func TestReadmeStartCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README has no sh block")
	}
	var cmds []string
	for _, l := range strings.Split(string(block[1]), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			cmds = append(cmds, l)
		}
	}
	want := []string{"go run -tags sqlite_fts5 ./server demo", "go run -tags sqlite_fts5 ./server -config config.toml", "go test -tags sqlite_fts5 -timeout 30m ./..."}
	if strings.Join(cmds, "\n") != strings.Join(want, "\n") {
		t.Fatalf("README's first commands are %q, want %q", cmds, want)
	}

	dir := t.TempDir()
	conf, err := os.ReadFile("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	conf = bytes.ReplaceAll(conf, []byte("127.0.0.1:8080"), []byte(addr))
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), conf, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "content"), 0o750); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(seedDraft)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "content", "yinchuan-etdz-reform-2022.txt"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(consultBinary(t), "-config", "config.toml")
	cmd.Dir = dir
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	base := "http://" + addr
	waitHealthy(t, base)
	for path, wantText := range map[string]string{"/c/" + seedSlug: "已结束", "/admin/login": "登录", "/api/v1/consultations": seedSlug} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(b.String(), wantText) {
			t.Errorf("GET %s: %d, lacks %q", path, resp.StatusCode, wantText)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop on SIGTERM")
	}
	if !strings.Contains(log.String(), "created the first account") {
		t.Errorf("no first account announced:\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "consult.db")); err != nil {
		t.Errorf("database not where config.toml puts it: %v", err)
	}
}
