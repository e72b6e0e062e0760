package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// Config is config.toml. Its key names are a stable contract: other tools write them.
type Config struct {
	Server struct {
		Addr    string `toml:"addr"`
		BaseURL string `toml:"base_url"`
		// TrustedProxies lists the addresses or CIDRs of reverse proxies whose
		// X-Forwarded-For is believed. Empty (the default): the peer address is the client.
		TrustedProxies []string `toml:"trusted_proxies"`
	} `toml:"server"`
	Database struct {
		Path string `toml:"path"`
	} `toml:"database"`
	Captcha struct {
		Enabled *bool `toml:"enabled"`
	} `toml:"captcha"`
	Limits struct {
		CommentsPerMinute *int `toml:"comments_per_minute"`
		CaptchasPerMinute *int `toml:"captchas_per_minute"`
		LoginsPerMinute   *int `toml:"logins_per_minute"`
		APIPerMinute      *int `toml:"api_per_minute"` // open data, feed and sitemap
	} `toml:"limits"`
	Export struct {
		// UnmaskedRoles may download workbooks with phone numbers and e-mail addresses
		// in full; other roles get them masked. Default: admin and officer.
		UnmaskedRoles *[]string `toml:"unmasked_roles"`
	} `toml:"export"`
	Privacy struct {
		// ContactRoles see commenters' phone numbers and e-mail addresses on the
		// comment page; others see them masked. Default: admin and officer.
		ContactRoles *[]string `toml:"contact_roles"`
	} `toml:"privacy"`
	Consultations []ConsultationConfig `toml:"consultation"`
	// Replication streams the database to a replica with Litestream; nil when the
	// [replication] table is absent (replication off).
	Replication *ReplicationConfig `toml:"replication"`
	Metrics     struct {
		// Allow lists the networks /metrics answers (default loopback only).
		Allow *[]string `toml:"allow"`
	} `toml:"metrics"`

	dir  string // folder of the config file; relative paths resolve against it
	demo bool   // `consult demo`: every page carries the 演示数据 banner
}

// ConsultationConfig declares a consultation to publish from a draft file.
type ConsultationConfig struct {
	Slug     string    `toml:"slug"`
	Draft    string    `toml:"draft"`
	OpensAt  time.Time `toml:"opens_at"`
	ClosesAt time.Time `toml:"closes_at"`
	// WindowReason explains the window; needed when it is shorter than 30 days.
	WindowReason string `toml:"window_reason"`
	// RequireName and RequireContact default to true.
	RequireName    *bool `toml:"require_name"`
	RequireContact *bool `toml:"require_contact"`
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// LoadConfig reads and checks a config file. Errors name the offending key.
func LoadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := parseConfig(raw, filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

func parseConfig(raw []byte, dir string) (*Config, error) {
	var cfg Config
	dec := toml.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			var keys []string
			for _, e := range strict.Errors {
				keys = append(keys, strings.Join(e.Key(), "."))
			}
			return nil, fmt.Errorf("unknown key %s", strings.Join(keys, ", "))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("line %d column %d: %s (key %s)", row, col, de.Error(), strings.Join(de.Key(), "."))
		}
		return nil, err
	}
	cfg.dir = dir
	return &cfg, cfg.check()
}

func (c *Config) check() error {
	if c.Server.Addr == "" {
		c.Server.Addr = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(c.Server.Addr); err != nil {
		return fmt.Errorf("server.addr: %w", err)
	}
	if c.Server.BaseURL == "" {
		c.Server.BaseURL = "http://" + c.Server.Addr
	}
	u, err := url.Parse(c.Server.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("server.base_url: want an absolute http(s) URL, got %q", c.Server.BaseURL)
	}
	c.Server.BaseURL = strings.TrimRight(c.Server.BaseURL, "/")
	for i, p := range c.Server.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("server.trusted_proxies[%d]: %q is neither an IP nor a CIDR", i, p)
		}
	}
	if c.Database.Path == "" {
		return errors.New("database.path: missing")
	}
	c.Database.Path = c.resolve(c.Database.Path)
	for _, l := range []struct {
		key string
		v   *int
	}{{"limits.comments_per_minute", c.Limits.CommentsPerMinute}, {"limits.captchas_per_minute", c.Limits.CaptchasPerMinute}, {"limits.logins_per_minute", c.Limits.LoginsPerMinute}, {"limits.api_per_minute", c.Limits.APIPerMinute}} {
		if l.v != nil && *l.v < 0 {
			return fmt.Errorf("%s: must be 0 (off) or more", l.key)
		}
	}
	if c.Export.UnmaskedRoles != nil {
		for i, r := range *c.Export.UnmaskedRoles {
			if !isRole(r) {
				return fmt.Errorf("export.unmasked_roles[%d]: %q is not a role (admin, officer, committee, department)", i, r)
			}
		}
	}
	if c.Privacy.ContactRoles != nil {
		for i, r := range *c.Privacy.ContactRoles {
			if !isRole(r) {
				return fmt.Errorf("privacy.contact_roles[%d]: %q is not a role (admin, officer, committee, department)", i, r)
			}
		}
	}
	if err := c.checkReplication(); err != nil {
		return err
	}
	if err := c.checkMetrics(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range c.Consultations {
		cc := &c.Consultations[i]
		key := fmt.Sprintf("consultation[%d]", i)
		if !slugRE.MatchString(cc.Slug) {
			return fmt.Errorf("%s.slug: want lower-case letters, digits and dashes, got %q", key, cc.Slug)
		}
		if seen[cc.Slug] {
			return fmt.Errorf("%s.slug: %q is declared twice", key, cc.Slug)
		}
		seen[cc.Slug] = true
		if cc.Draft == "" {
			return fmt.Errorf("%s.draft: missing", key)
		}
		cc.Draft = c.resolve(cc.Draft)
		if st, err := os.Stat(cc.Draft); err != nil || st.IsDir() {
			return fmt.Errorf("%s.draft: cannot read draft file %s", key, cc.Draft)
		}
		if cc.OpensAt.IsZero() {
			return fmt.Errorf("%s.opens_at: missing", key)
		}
		if cc.ClosesAt.IsZero() {
			return fmt.Errorf("%s.closes_at: missing", key)
		}
		if !cc.ClosesAt.After(cc.OpensAt) {
			return fmt.Errorf("%s.closes_at: %s is not after opens_at %s", key, cc.ClosesAt.Format(time.RFC3339), cc.OpensAt.Format(time.RFC3339))
		}
	}
	return nil
}

func (c *Config) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// CaptchaEnabled reports whether comment forms ask for a captcha (default on).
func (c *Config) CaptchaEnabled() bool { return c.Captcha.Enabled == nil || *c.Captcha.Enabled }

func limitOr(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

// SecureCookies reports whether cookies get the Secure flag: exactly when base_url is https.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.Server.BaseURL, "https://") }

func boolOr(v *bool, def bool) bool {
	if v == nil {
		return def
	}
	return *v
}

// ExportUnmasked reports whether a role's workbooks show contact data in full.
func (c *Config) ExportUnmasked(role string) bool {
	roles := []string{"admin", "officer"}
	if c.Export.UnmaskedRoles != nil {
		roles = *c.Export.UnmaskedRoles
	}
	return contains(roles, role)
}

func isRole(r string) bool {
	return r == "admin" || r == "officer" || r == "committee" || r == "department"
}

// ContactVisible reports whether a role sees commenters' phone and e-mail in full on
// the comment page (privacy.contact_roles; by default admin and officer).
func (c *Config) ContactVisible(role string) bool {
	roles := []string{"admin", "officer"}
	if c.Privacy.ContactRoles != nil {
		roles = *c.Privacy.ContactRoles
	}
	return contains(roles, role)
}
