package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needProgram skips a test when a program is missing, except under CI, where .ci/run
// installs it.
func needProgram(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not installed (.ci/run installs it)", name)
	}
	t.Skipf("%s not installed; skipped", name)
	return ""
}

// TestDeploySystemdUnit checks deploy/consult.service with systemd's own tools: it
// verifies, it is hardened as ops teams expect, and its writable folder holds the
// database of deploy/config.toml.
func TestDeploySystemdUnit(t *testing.T) {
	sa := needProgram(t, "systemd-analyze")
	raw, err := os.ReadFile("../deploy/consult.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(raw)
	for _, want := range []string{"User=consult", "ProtectSystem=strict", "ReadWritePaths=/var/lib/consult", "NoNewPrivileges=yes",
		"ExecStart=/usr/local/bin/consult -config /etc/consult/config.toml", "KillSignal=SIGTERM"} {
		if !strings.Contains(unit, "\n"+want+"\n") {
			t.Errorf("consult.service lacks %q", want)
		}
	}
	cfg := deployConfig(t)
	if !strings.HasPrefix(cfg.Database.Path, "/var/lib/consult/") {
		t.Errorf("deploy/config.toml database.path %s is outside ReadWritePaths", cfg.Database.Path)
	}
	// systemd-analyze verify wants the binary to exist: point it at this test binary.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "consult.service")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(unit, "/usr/local/bin/consult", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sa, "verify", p).CombinedOutput(); err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, _ := exec.Command(sa, "security", "--offline=true", p).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for consult.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security:\n%s", out)
	}
	if v, _ := strconv.ParseFloat(string(m[1]), 64); v > 2.0 {
		t.Errorf("systemd-analyze security exposure %v, want at most 2.0 (OK):\n%s", v, out)
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
}

// deployConfig loads deploy/config.toml as the server would, with its SSH key file
// stood in for.
func deployConfig(t *testing.T) *Config {
	t.Helper()
	raw, err := os.ReadFile("../deploy/config.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "replica_ed25519")
	if err := os.WriteFile(key, []byte("key"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := strings.Replace(string(raw), "/var/lib/consult/.ssh/replica_ed25519", key, 1)
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatalf("deploy/config.toml: %v", err)
	}
	return cfg
}

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "consult.example.gov.cn"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"consult.example.gov.cn"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certPath, keyPath
}

// TestDeployNginx checks deploy/nginx.conf with nginx -t, then runs it in front of the
// portal configured as deploy/config.toml says (trusted_proxies = 127.0.0.1): HTTP
// redirects to HTTPS, pages come through TLS, /metrics stays internal, and the portal
// sees the visitor's address, not nginx's and not one the visitor forged.
func TestDeployNginx(t *testing.T) {
	ngx := needProgram(t, "nginx")
	raw, err := os.ReadFile("../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	site := string(raw)
	cfg := deployConfig(t)
	if !strings.Contains(site, "server "+cfg.Server.Addr+";") {
		t.Errorf("nginx.conf's upstream is not deploy/config.toml's server.addr %s", cfg.Server.Addr)
	}
	if !contains(cfg.Server.TrustedProxies, "127.0.0.1") || !strings.Contains(site, "proxy_set_header X-Forwarded-For $remote_addr;") {
		t.Error("deploy/config.toml must trust nginx (127.0.0.1), and nginx must set X-Forwarded-For to the peer it saw")
	}
	if !strings.HasPrefix(cfg.Server.BaseURL, "https://") {
		t.Errorf("deploy/config.toml base_url %s: want https behind TLS termination", cfg.Server.BaseURL)
	}

	// The portal, trusting the proxy as deploy/config.toml does.
	e := newTestEnv(t, "")
	e.app.cfg.Server.TrustedProxies = cfg.Server.TrustedProxies
	e.srv.Config.Handler = e.app.routes()
	e.newUser("zhou", "officer")
	upstream := strings.TrimPrefix(e.srv.URL, "http://")

	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
	site = strings.NewReplacer(
		"/etc/ssl/consult/fullchain.pem", cert, "/etc/ssl/consult/privkey.pem", key,
		"server "+cfg.Server.Addr+";", "server "+upstream+";",
		"listen 80;", "listen "+httpAddr+";", "listen [::]:80;", "",
		"listen 443 ssl http2;", "listen "+httpsAddr+" ssl http2;", "listen [::]:443 ssl http2;", "",
	).Replace(site)
	if err := os.WriteFile(filepath.Join(dir, "consult.conf"), []byte(site), 0o600); err != nil {
		t.Fatal(err)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // the workers read this folder
	}
	main := fmt.Sprintf(`%s
daemon off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log;
events {}
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    include %[2]s/consult.conf;
}
`, user, dir)
	mainPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainPath, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(ngx, "-t", "-p", dir, "-c", mainPath).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(ngx, "-p", dir, "-c", mainPath)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", httpsAddr, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start:\n%s", log)
		}
	}

	// The visitor connects from 127.0.0.3 (any loopback address works on Linux).
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}, Timeout: 5 * time.Second}
	client := newClient(t)
	client.Transport = &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}

	resp, err := client.Get("http://" + httpAddr + "/c/" + seedSlug)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasPrefix(resp.Header.Get("Location"), "https://") {
		t.Errorf("plain HTTP: %d %s, want a redirect to https", resp.StatusCode, resp.Header.Get("Location"))
	}
	base := "https://" + httpsAddr
	get := func(path string) (int, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get("/c/" + seedSlug); status != http.StatusOK || !strings.Contains(body, "银川经济技术开发区") {
		t.Errorf("draft page through nginx: %d", status)
	}
	if resp, err := client.Get(base + "/healthz"); err != nil || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("no HSTS header through nginx: %v", err)
	} else {
		resp.Body.Close()
	}
	if status, _ := get("/metrics"); status != http.StatusNotFound {
		t.Errorf("/metrics through nginx: %d, want 404", status)
	}
	if status, _ := get("/readyz"); status != http.StatusForbidden {
		t.Errorf("/readyz through nginx from 127.0.0.3: %d, want 403", status)
	}

	// A login through nginx with a forged X-Forwarded-For: the audit log records the
	// visitor's real address.
	_, page := get("/admin/login")
	req, _ := http.NewRequest(http.MethodPost, base+"/admin/login", strings.NewReader(url.Values{
		"_csrf": {csrfFrom(t, page)}, "username": {"zhou"}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "10.9.9.9")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login through nginx: %d", resp.StatusCode)
	}
	var ip string
	db, err := sql.Open("sqlite3", "file:"+e.app.cfg.Database.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRowContext(context.Background(), `SELECT ip FROM audit_log WHERE action = 'login' ORDER BY id DESC LIMIT 1`).Scan(&ip); err != nil {
		t.Fatal(err)
	}
	if ip != "127.0.0.3" {
		t.Errorf("audit log records the login from %q, want the visitor's 127.0.0.3", ip)
	}
}
