package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "draft.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	base := `[server]
addr = "127.0.0.1:8080"
base_url = "http://127.0.0.1:8080"
[database]
path = "data/consult.db"
`
	cons := `[[consultation]]
slug = "a"
draft = "draft.txt"
opens_at = 2022-12-21T17:24:00+08:00
closes_at = 2023-02-07T17:00:00+08:00
`
	tests := []struct {
		name, body, want string
	}{
		{"unknown top-level key", "colour = 1\n" + base + cons, "unknown key colour"},
		{"unknown nested key", strings.Replace(base, "[database]", "[database]\npth = 1", 1) + cons, "unknown key database.pth"},
		{"unknown consultation key", base + strings.Replace(cons, "slug", "titel = 1\nslug", 1), "consultation.titel"},
		{"missing draft file", base + strings.Replace(cons, "draft.txt", "nope.txt", 1), "consultation[0].draft"},
		{"window ends before start", base + strings.Replace(cons, "2023-02-07T17:00:00+08:00", "2022-12-01T00:00:00+08:00", 1), "consultation[0].closes_at"},
		{"bad slug", base + strings.Replace(cons, `"a"`, `"A B"`, 1), "consultation[0].slug"},
		{"bad base_url", strings.Replace(base, "http://127.0.0.1:8080", "ftp:x", 1) + cons, "server.base_url"},
		{"negative limit", base + "[limits]\ncomments_per_minute = -1\n" + cons, "limits.comments_per_minute"},
		{"bad export role", base + "[export]\nunmasked_roles = [\"boss\"]\n" + cons, "export.unmasked_roles[0]"},
		{"bad proxy", strings.Replace(base, "[database]", "trusted_proxies = [\"nope\"]\n[database]", 1) + cons, "server.trusted_proxies[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
	cfg, err := LoadConfig(writeConfig(t, base+cons))
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(cfg.Database.Path) || !filepath.IsAbs(cfg.Consultations[0].Draft) {
		t.Errorf("relative paths not resolved: %q %q", cfg.Database.Path, cfg.Consultations[0].Draft)
	}
	if filepath.Dir(cfg.Consultations[0].Draft) != filepath.Dir(filepath.Dir(cfg.Database.Path)) {
		t.Errorf("paths not resolved against the config folder")
	}
	if !cfg.CaptchaEnabled() || cfg.SecureCookies() {
		t.Error("defaults: captcha on, cookies not Secure on http")
	}
	if !cfg.ExportUnmasked("officer") || cfg.ExportUnmasked("committee") {
		t.Error("default: committee workbooks masked, officers' not")
	}
	cfg2, err := LoadConfig(writeConfig(t, base+"[export]\nunmasked_roles = [\"committee\"]\n"+cons))
	if err != nil || !cfg2.ExportUnmasked("committee") || cfg2.ExportUnmasked("officer") {
		t.Errorf("export.unmasked_roles not applied: %v", err)
	}
}

func TestShippedConfigLoads(t *testing.T) {
	cfg, err := LoadConfig("../config.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Consultations) != 1 || cfg.Consultations[0].Slug != seedSlug {
		t.Fatalf("shipped config: %+v", cfg.Consultations)
	}
}
