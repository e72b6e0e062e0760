package main

import (
	"fmt"
	"io"
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

// startSSHD starts Debian's sshd on a loopback port with a host key and an authorized
// client key made here; it serves SFTP. It returns the port, the host's public key and
// the client's private key file.
func startSSHD(t *testing.T, dir string) (port, hostKey, clientKey string) {
	t.Helper()
	needRootAnd(t, "/usr/sbin/sshd", "/usr/bin/ssh-keygen")
	sdir := filepath.Join(dir, "sshd")
	if err := os.MkdirAll(sdir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", filepath.Join(sdir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, err := os.ReadFile(filepath.Join(sdir, "client.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sdir, "authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	hk, err := os.ReadFile(filepath.Join(sdir, "host.pub"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	port = addr[strings.LastIndex(addr, ":")+1:]
	conf := fmt.Sprintf(`Port %s
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
LogLevel ERROR
`, port, filepath.Join(sdir, "host"), filepath.Join(sdir, "sshd.pid"), filepath.Join(sdir, "authorized_keys"))
	cfgPath := filepath.Join(sdir, "sshd_config")
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd wants its privilege-separation folder.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfgPath)
	logf, err := os.Create(filepath.Join(sdir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start:\n%s", readLog(filepath.Join(sdir, "sshd.log")))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return port, strings.TrimSpace(string(hk)), filepath.Join(sdir, "client")
}

var lagRE = regexp.MustCompile(`(?m)^consult_replication_lag_seconds ([0-9.e+-]+)$`)

// TestDrillLoseTheMachine is the disaster drill on real parts: the real binary
// replicates through Litestream to an SFTP server (Debian's sshd) and, separately, to a
// file replica; comments arrive concurrently; the server and Litestream are SIGKILLed
// together; the data folder is deleted; the portal refuses to start empty; restore
// brings the database back; every comment acknowledged more than sync_interval + 1 s
// before the kill is there, and integrity_check is ok.
func TestDrillLoseTheMachine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server, Litestream and sshd")
	}
	lsBin := litestreamBin(t)
	binDir := t.TempDir()
	bin := buildConsult(t, binDir)

	t.Run("sftp", func(t *testing.T) {
		dir := t.TempDir()
		port, hostKey, key := startSSHD(t, dir)
		replica := filepath.Join(dir, "remote", "consult")
		extra := fmt.Sprintf(`[replication]
url = "sftp://root@127.0.0.1:%s%s"
sync_interval = "1s"
litestream = %q
ssh_key_file = %q
ssh_host_key = %q
`, port, replica, lsBin, key, hostKey)
		drill(t, bin, dir, extra, time.Second)
	})
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		extra := fmt.Sprintf(`[replication]
url = "file://%s"
sync_interval = "1s"
litestream = %q
`, filepath.Join(dir, "mnt", "replica", "consult"), lsBin)
		drill(t, bin, dir, extra, time.Second)
	})
}

func drill(t *testing.T, bin, dir, extra string, syncInterval time.Duration) {
	addr := freeAddr(t)
	base := "http://" + addr
	cfgPath := opsConfig(t, dir, addr, extra)
	p := startConsult(t, bin, cfgPath, base, "-fresh") // a new office: nothing to restore yet
	waitReady(t, base, 20*time.Second)

	// Eight clients, each sending a comment every 20 ms or so: a few hundred comments
	// a second, ten times a national consultation's peak, while leaving Litestream
	// some of the two shared cores (a saturated CPU delays its uploads like any
	// process's).
	load := startLoad(t, base, 8, 20*time.Millisecond)
	// While comments flow, /readyz and /metrics show the replication lag.
	var maxLag float64
	var midpoint time.Time
	loadStart := time.Now()
	for time.Since(loadStart) < 6*time.Second || load.count() < 300 {
		if time.Since(loadStart) > 30*time.Second {
			t.Fatalf("only %d comments in 30 s", load.count())
		}
		if midpoint.IsZero() && time.Since(loadStart) > 3*time.Second {
			midpoint = time.Now()
		}
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "replication: ") || !strings.Contains(string(body), "lag ") {
			t.Fatalf("/readyz does not report the replication lag:\n%s", body)
		}
		resp, err = http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		m := lagRE.FindStringSubmatch(string(body))
		if m == nil {
			t.Fatalf("/metrics has no consult_replication_lag_seconds:\n%.2000s", body)
		}
		lag, _ := strconv.ParseFloat(m[1], 64)
		maxLag = max(maxLag, lag)
		time.Sleep(250 * time.Millisecond)
	}
	kill := time.Now()
	killTree(p)
	<-p.done
	acks := load.finish()
	t.Logf("%d comments acknowledged in %s; largest replication lag seen on /metrics: %.2f s", len(acks), kill.Sub(loadStart).Round(time.Millisecond), maxLag)

	// The machine is gone: so is its data folder.
	if err := os.RemoveAll(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	out, err := runConsult(bin, cfgPath)
	if err == nil || !strings.Contains(out, "restore") || !strings.Contains(out, "-fresh") {
		t.Fatalf("starting on a missing database with a replica configured: err %v, output:\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "consult.db")); err == nil {
		t.Fatal("the refused start created a database")
	}

	t0 := time.Now()
	out, err = runConsult(bin, cfgPath, "restore")
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	t.Logf("restore took %s: %s", time.Since(t0).Round(time.Millisecond), strings.TrimSpace(out))
	if !strings.Contains(out, "integrity_check ok") {
		t.Errorf("restore output does not confirm the integrity check:\n%s", out)
	}
	if out, err := runConsult(bin, cfgPath, "restore"); err == nil || !strings.Contains(out, "already exists") {
		t.Errorf("a second restore onto the existing database: err %v\n%s", err, out)
	}

	have := trackingsIn(t, filepath.Join(dir, "data", "consult.db"))
	window := syncInterval + time.Second
	var lost, lostLate int
	oldestLost := time.Duration(0)
	for _, a := range acks {
		if have[a.tracking] {
			continue
		}
		if age := kill.Sub(a.acked); age > oldestLost {
			oldestLost = age
		}
		if kill.Sub(a.acked) > window {
			lost++
			t.Errorf("comment %s acknowledged %s before the kill is missing after restore", a.tracking, kill.Sub(a.acked).Round(time.Millisecond))
		} else {
			lostLate++
		}
	}
	t.Logf("after restore: %d of %d acknowledged comments present; %d acknowledged within %s of the kill missing; measured RPO (oldest missing acknowledgement before the kill): %s",
		len(acks)-lost-lostLate, len(acks), lostLate, window, oldestLost.Round(time.Millisecond))

	// Point in time: the state three seconds into the load holds what was acknowledged
	// well before it and nothing sent after it.
	pit := filepath.Join(dir, "pit.db")
	out, err = runConsult(bin, cfgPath, "restore", "-o", pit, "-timestamp", midpoint.Format(time.RFC3339Nano))
	if err != nil {
		t.Fatalf("restore -timestamp: %v\n%s", err, out)
	}
	then := trackingsIn(t, pit)
	var before, after int
	for _, a := range acks {
		if a.acked.Before(midpoint.Add(-window)) {
			before++
			if !then[a.tracking] {
				t.Errorf("comment %s acknowledged %s before the restore point is missing from it", a.tracking, midpoint.Sub(a.acked))
			}
		}
		// Sent a second after the point: committed after it, so not in that state.
		// (Litestream timestamps each LTX file, a few hundred milliseconds of
		// transactions: restores are accurate to that.)
		if a.sent.After(midpoint.Add(time.Second)) && have[a.tracking] {
			after++
			if then[a.tracking] {
				t.Errorf("comment %s sent %s after the restore point is in it", a.tracking, a.sent.Sub(midpoint))
			}
		}
	}
	t.Logf("point-in-time restore at %s: %d comments (latest %d); %d acknowledged before it checked present, %d sent after it checked absent",
		midpoint.Format(time.RFC3339Nano), len(then), len(have), before, after)
	if before == 0 || after == 0 {
		t.Errorf("the point-in-time check had nothing to check (before %d, after %d)", before, after)
	}

	// And the portal starts again on the restored database, replicating.
	p = startConsult(t, bin, cfgPath, base)
	waitReady(t, base, 20*time.Second)
	client := newClient(t)
	// The administrator (restored with the database) sees replication healthy.
	m := regexp.MustCompile(`password=(\S+)`).FindStringSubmatch(readLog(p.log))
	if m == nil {
		t.Fatal("no first-account password in the log")
	}
	resp, err := client.Get(base + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp, err = client.PostForm(base+"/admin/login", url.Values{"_csrf": {csrfFrom(t, string(page))}, "username": {"admin"}, "password": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin login after restore: %d", resp.StatusCode)
	}
	var sys string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err = client.Get(base + "/admin/system")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sys = string(b)
		if strings.Contains(sys, `data-state="ok"`) && !strings.Contains(sys, `id="replication-last-sync">尚无`) {
			break
		}
	}
	if !strings.Contains(sys, `id="replication-status" data-state="ok"`) || !strings.Contains(sys, `id="replication-last-sync"><time`) {
		t.Errorf("/admin/system does not show replication healthy with a last sync:\n%s", sys)
	}
	for i, a := range acks {
		if i%25 != 0 || !have[a.tracking] {
			continue
		}
		resp, err := client.Get(base + "/c/" + seedSlug + "/receipt/" + a.tracking)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("receipt %s after restore: status %d", a.tracking, resp.StatusCode)
		}
	}
}
