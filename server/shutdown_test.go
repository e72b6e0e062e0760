package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMFinishesEverything sends SIGTERM to the real binary mid-load: it must
// exit 0 within 10 s, every acknowledged comment must be in the database, no request
// may have got an error status, and the replica must hold every acknowledged comment
// too (the last transactions were flushed before Litestream stopped).
func TestSIGTERMFinishesEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server and Litestream")
	}
	lsBin := litestreamBin(t)
	dir := t.TempDir()
	bin := buildConsult(t, dir)
	addr := freeAddr(t)
	base := "http://" + addr
	cfgPath := opsConfig(t, dir, addr, fmt.Sprintf(`[replication]
url = "file://%s"
sync_interval = "1s"
litestream = %q
`, filepath.Join(dir, "replica"), lsBin))
	p := startConsult(t, bin, cfgPath, base, "-fresh")
	waitReady(t, base, 20*time.Second)

	load := startLoad(t, base, 16, 0)
	for t0 := time.Now(); load.count() < 300; time.Sleep(20 * time.Millisecond) {
		if time.Since(t0) > time.Minute {
			t.Fatalf("only %d comments in a minute", load.count())
		}
	}
	children := childPIDs(p.cmd.Process.Pid)
	if len(children) != 1 {
		t.Fatalf("want one litestream child, have %v", children)
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after SIGTERM:\n%s", readLog(p.log))
	}
	took := time.Since(sent)
	acks := load.finish()
	if p.err != nil {
		t.Fatalf("exit after SIGTERM: %v (want 0)\n%s", p.err, readLog(p.log))
	}
	if took > 10*time.Second {
		t.Errorf("took %s to stop (limit 10 s)", took)
	}
	// Litestream stopped too: its pid is gone.
	if err := syscall.Kill(children[0], 0); err == nil {
		t.Errorf("litestream (pid %d) still running after the portal exited", children[0])
	}
	load.mu.Lock()
	bad := load.bad
	load.mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("%d requests got an error status during shutdown, e.g. %s", len(bad), bad[0])
	}
	log := readLog(p.log)
	for _, want := range []string{"shutting down", "every queued comment committed", "replica flushed"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	t.Logf("stopped %s after SIGTERM with %d comments acknowledged", took.Round(time.Millisecond), len(acks))

	local := trackingsIn(t, filepath.Join(dir, "data", "consult.db"))
	out, err := exec.Command(bin, "-config", cfgPath, "restore", "-o", filepath.Join(dir, "from-replica.db")).CombinedOutput()
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	replica := trackingsIn(t, filepath.Join(dir, "from-replica.db"))
	for _, a := range acks {
		if !local[a.tracking] {
			t.Errorf("acknowledged comment %s not in the database", a.tracking)
		}
		if !replica[a.tracking] {
			t.Errorf("acknowledged comment %s not on the replica after a clean stop", a.tracking)
		}
	}
}
