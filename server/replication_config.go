package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// LitestreamVersion is the Litestream release the portal is built and tested against
// (.ci/run installs it; README "Operations" says how to install it on a server).
const LitestreamVersion = "v0.5.18"

// ReplicationConfig is config.toml's [replication] table: the database is streamed to
// a replica by Litestream, run by the portal as a child process. Secrets never live
// here: they come from the environment or from credentials_file.
type ReplicationConfig struct {
	// URL is file:///abs/path, sftp://user@host[:port]/path or s3://bucket/path?endpoint=….
	URL string `toml:"url"`
	// SyncInterval is how often new transactions are shipped (default 1s).
	SyncInterval string `toml:"sync_interval"`
	// Retention is how far back a point-in-time restore can go (default 720h).
	Retention string `toml:"retention"`
	// Litestream is the litestream binary (default: "litestream" on PATH).
	Litestream string `toml:"litestream"`
	// CredentialsFile holds NAME=value lines (e.g. LITESTREAM_ACCESS_KEY_ID,
	// LITESTREAM_SECRET_ACCESS_KEY, SFTP_PASSWORD) added to Litestream's environment.
	CredentialsFile string `toml:"credentials_file"`
	// SSHKeyFile is the private key for an sftp replica.
	SSHKeyFile string `toml:"ssh_key_file"`
	// SSHHostKey is the sftp server's public host key ("ssh-ed25519 AAAA…", as
	// ssh-keyscan prints it after the host name). Required for sftp: without it the
	// replica host would not be authenticated.
	SSHHostKey string `toml:"ssh_host_key"`

	syncInterval time.Duration
	retention    time.Duration
}

// envNameRE is a valid environment variable name in a credentials file.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *Config) checkReplication() error {
	r := c.Replication
	if r == nil {
		return nil
	}
	if r.URL == "" {
		return errors.New("replication.url: missing (file:///path, sftp://user@host/path or s3://bucket/path)")
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return fmt.Errorf("replication.url: %w", err)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return errors.New("replication.url: a password does not belong in config.toml; put SFTP_PASSWORD in the environment or in replication.credentials_file, or use replication.ssh_key_file")
		}
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" || !filepath.IsAbs(u.Path) {
			return fmt.Errorf("replication.url: want file:///absolute/path, got %q", r.URL)
		}
	case "sftp":
		if u.User == nil || u.User.Username() == "" || u.Hostname() == "" {
			return fmt.Errorf("replication.url: want sftp://user@host/path, got %q", r.URL)
		}
		if strings.TrimSpace(r.SSHHostKey) == "" {
			return errors.New("replication.ssh_host_key: required for an sftp replica (the server's public key, from ssh-keyscan HOST); without it the replica host is not authenticated")
		}
		if f := strings.Fields(r.SSHHostKey); len(f) < 2 || !strings.HasPrefix(f[0], "ssh-") && !strings.HasPrefix(f[0], "ecdsa-") {
			return fmt.Errorf("replication.ssh_host_key: want \"TYPE BASE64\" (e.g. ssh-ed25519 AAAA…), got %q", r.SSHHostKey)
		}
	case "s3":
		if u.Host == "" {
			return fmt.Errorf("replication.url: want s3://bucket/path[?endpoint=…], got %q", r.URL)
		}
		if u.User != nil {
			return errors.New("replication.url: S3 keys do not belong in config.toml; set LITESTREAM_ACCESS_KEY_ID and LITESTREAM_SECRET_ACCESS_KEY in the environment or in replication.credentials_file")
		}
	default:
		return fmt.Errorf("replication.url: scheme %q is not supported (file, sftp, s3)", u.Scheme)
	}
	if r.syncInterval, err = durationOr(r.SyncInterval, time.Second); err != nil || r.syncInterval < 100*time.Millisecond {
		return fmt.Errorf("replication.sync_interval: want a duration of at least 100ms such as \"1s\", got %q", r.SyncInterval)
	}
	if r.retention, err = durationOr(r.Retention, 720*time.Hour); err != nil || r.retention < time.Hour {
		return fmt.Errorf("replication.retention: want a duration of at least 1h such as \"720h\", got %q", r.Retention)
	}
	if r.Litestream == "" {
		r.Litestream = "litestream"
	} else if strings.ContainsRune(r.Litestream, filepath.Separator) {
		r.Litestream = c.resolve(r.Litestream)
	}
	if r.CredentialsFile != "" {
		r.CredentialsFile = c.resolve(r.CredentialsFile)
		if _, err := readCredentials(r.CredentialsFile); err != nil {
			return fmt.Errorf("replication.credentials_file: %w", err)
		}
	}
	if r.SSHKeyFile != "" {
		r.SSHKeyFile = c.resolve(r.SSHKeyFile)
		if _, err := os.Stat(r.SSHKeyFile); err != nil {
			return fmt.Errorf("replication.ssh_key_file: %w", err)
		}
	}
	return nil
}

func durationOr(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	return time.ParseDuration(s)
}

// readCredentials reads NAME=value lines (blank lines and # comments allowed). The file
// holds secrets, so it must not be readable by group or others.
func readCredentials(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by others (mode %04o); chmod 600 it", path, st.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var env []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(strings.TrimPrefix(name, "export "))
		if !ok || !envNameRE.MatchString(name) {
			return nil, fmt.Errorf("%s line %d: want NAME=value", path, n)
		}
		env = append(env, name+"="+strings.TrimSpace(val))
	}
	return env, sc.Err()
}

// litestreamEnv is the environment for the litestream child: the portal's own plus the
// credentials file's lines (which win).
func (r *ReplicationConfig) litestreamEnv() ([]string, error) {
	env := os.Environ()
	if r.CredentialsFile != "" {
		extra, err := readCredentials(r.CredentialsFile)
		if err != nil {
			return nil, fmt.Errorf("replication.credentials_file: %w", err)
		}
		env = append(env, extra...)
	}
	return env, nil
}

func envHas(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") && len(kv) > len(name)+1 {
			return true
		}
	}
	return false
}

// litestreamSocket is the control socket beside the database, or in the temp folder
// when that path is too long for a Unix socket.
func litestreamSocket(dbPath string) string {
	p := filepath.Join(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+"-litestream.sock")
	if len(p) < 100 {
		return p
	}
	h := sha256.Sum256([]byte(dbPath))
	return filepath.Join(os.TempDir(), "consult-litestream-"+hex.EncodeToString(h[:6])+".sock")
}

// litestreamYAML is Litestream's configuration, generated from [replication]. It holds
// no secret: an sftp password is referenced as ${SFTP_PASSWORD}, which Litestream
// expands from its environment.
func (r *ReplicationConfig) litestreamYAML(dbPath string, env []string) []byte {
	var b strings.Builder
	q := strconv.Quote
	b.WriteString("# Generated by consult from config.toml [replication]; edits are overwritten.\n")
	fmt.Fprintf(&b, "socket:\n  enabled: true\n  path: %s\n  permissions: 384\n", q(litestreamSocket(dbPath)))
	fmt.Fprintf(&b, "snapshot:\n  interval: %s\n  retention: %s\n", q(snapshotInterval(r.retention).String()), q(r.retention.String()))
	b.WriteString("logging:\n  level: info\n  type: text\n")
	// The portal flushes the replica itself before stopping Litestream; this bounds
	// Litestream's own last attempt so that shutdown stays within systemd's timeout.
	b.WriteString("shutdown-sync-timeout: 3s\n")
	// Litestream turns new WAL frames into LTX files every monitor interval and ships
	// them every sync interval: checking the WAL four times per sync interval keeps the
	// worst case near sync_interval rather than twice it.
	fmt.Fprintf(&b, "dbs:\n  - path: %s\n    monitor-interval: %s\n    replica:\n", q(dbPath), q(monitorInterval(r.syncInterval).String()))
	fmt.Fprintf(&b, "      url: %s\n", q(r.URL))
	fmt.Fprintf(&b, "      sync-interval: %s\n", q(r.syncInterval.String()))
	if strings.HasPrefix(r.URL, "sftp:") {
		if r.SSHKeyFile != "" {
			fmt.Fprintf(&b, "      key-path: %s\n", q(r.SSHKeyFile))
		}
		fmt.Fprintf(&b, "      host-key: %s\n", q(strings.TrimSpace(r.SSHHostKey)))
		if envHas(env, "SFTP_PASSWORD") {
			b.WriteString("      password: ${SFTP_PASSWORD}\n")
		}
	}
	return []byte(b.String())
}

func monitorInterval(sync time.Duration) time.Duration {
	m := sync / 4
	if m > time.Second {
		m = time.Second
	}
	if m < 50*time.Millisecond {
		m = 50 * time.Millisecond
	}
	return m
}

// snapshotInterval takes a full snapshot at least daily, and often enough that the
// retention window holds several.
func snapshotInterval(retention time.Duration) time.Duration {
	iv := 24 * time.Hour
	if retention/4 < iv {
		iv = retention / 4
	}
	return iv
}

// writeLitestreamConfig writes the generated configuration beside the database
// (mode 0600) and returns its path.
func (r *ReplicationConfig) writeLitestreamConfig(path, dbPath string, env []string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, r.litestreamYAML(dbPath, env), 0o600); err != nil {
		return fmt.Errorf("replication: write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// litestreamBinary finds the litestream executable.
func (r *ReplicationConfig) litestreamBinary() (string, error) {
	p, err := execLookPath(r.Litestream)
	if err != nil {
		return "", fmt.Errorf("replication.litestream: %q not found (%v); install Litestream %s: go install github.com/benbjohnson/litestream/cmd/litestream@%s", r.Litestream, err, LitestreamVersion, LitestreamVersion)
	}
	return p, nil
}

func (c *Config) checkMetrics() error {
	if c.Metrics.Allow == nil {
		return nil
	}
	for i, s := range *c.Metrics.Allow {
		if _, _, err := net.ParseCIDR(s); err != nil && net.ParseIP(s) == nil {
			return fmt.Errorf("metrics.allow[%d]: %q is neither an IP nor a CIDR", i, s)
		}
	}
	return nil
}

// metricsAllow is the parsed allow-list for /metrics: loopback when not configured.
func (c *Config) metricsAllow() []*net.IPNet {
	list := []string{"127.0.0.1/32", "::1/128"}
	if c.Metrics.Allow != nil {
		list = *c.Metrics.Allow
	}
	var nets []*net.IPNet
	for _, s := range list {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			ip := net.ParseIP(s)
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			n = &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}
		}
		nets = append(nets, n)
	}
	return nets
}
