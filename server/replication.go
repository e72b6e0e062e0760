package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

var execLookPath = exec.LookPath

// replicator runs Litestream beside the portal (a child process, restarted if it
// dies), watches how far the replica trails the database through Litestream's
// control socket, and flushes it on shutdown.
type replicator struct {
	cfg    *ReplicationConfig
	dbPath string
	log    *slog.Logger
	bin    string
	yaml   string // generated litestream.yml
	sock   string
	client *http.Client

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the current child exits
	running  bool
	started  time.Time
	restarts int
	status   replicationStatus
	// pending holds (time observed, local txid) samples not yet known to be on the
	// replica; the oldest one's age is the replication lag.
	pending []txSample

	stop chan struct{}
	done chan struct{}
}

type txSample struct {
	at   time.Time
	txid uint64
}

// replicationStatus is what /readyz, /metrics and the admin page show.
type replicationStatus struct {
	Enabled        bool
	URL            string // without credentials (config.toml never has any)
	Running        bool
	LocalTXID      uint64
	ReplicatedTXID uint64
	Lag            time.Duration // age of the oldest transaction not yet on the replica
	LastSync       time.Time     // last successful upload to the replica (Litestream's)
	LastCheck      time.Time     // last successful status query
	LastError      string
	Restarts       int
	SyncInterval   time.Duration
	Retention      time.Duration
}

// MaxLag is the lag past which /readyz reports replication as failing.
func (s replicationStatus) MaxLag() time.Duration {
	m := 10 * s.SyncInterval
	if m < 30*time.Second {
		m = 30 * time.Second
	}
	return m
}

// LastSyncText is the last successful sync in Beijing time, to the second.
func (s replicationStatus) LastSyncText() string {
	return s.LastSync.In(beijing).Format("2006年1月2日 15:04:05")
}

// Healthy reports whether replication keeps up.
func (s replicationStatus) Healthy() bool {
	return s.Running && !s.LastCheck.IsZero() && time.Since(s.LastCheck) < s.MaxLag() && s.Lag <= s.MaxLag()
}

func newReplicator(cfg *Config, logger *slog.Logger) (*replicator, error) {
	r := cfg.Replication
	bin, err := r.litestreamBinary()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.Database.Path)
	if err != nil {
		return nil, err
	}
	sock := litestreamSocket(abs)
	rep := &replicator{
		cfg: r, dbPath: abs, log: logger.With("component", "replication"), bin: bin,
		yaml: filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+"-litestream.yml"),
		sock: sock,
		client: &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
		}},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	rep.status = replicationStatus{Enabled: true, URL: r.URL, SyncInterval: r.syncInterval, Retention: r.retention}
	return rep, nil
}

// Start launches Litestream and the watcher. The database must exist (migrated).
func (r *replicator) Start() error {
	if err := r.spawn(); err != nil {
		return err
	}
	go r.watch()
	return nil
}

func (r *replicator) spawn() error {
	env, err := r.cfg.litestreamEnv()
	if err != nil {
		return err
	}
	if err := r.cfg.writeLitestreamConfig(r.yaml, r.dbPath, env); err != nil {
		return err
	}
	cmd := exec.Command(r.bin, "replicate", "-config", r.yaml)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	// Its own process group: a Ctrl-C in the terminal reaches the portal, which then
	// stops Litestream after the last commit has been flushed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("replication: start %s: %w", r.bin, err)
	}
	exited := make(chan struct{})
	r.mu.Lock()
	r.cmd, r.exited, r.running, r.started = cmd, exited, true, time.Now()
	r.mu.Unlock()
	r.log.Info("litestream started", "pid", cmd.Process.Pid, "url", r.cfg.URL, "sync_interval", r.cfg.syncInterval)
	go func() {
		err := cmd.Wait()
		r.mu.Lock()
		r.running = false
		r.status.Running = false
		if err != nil {
			r.status.LastError = "litestream exited: " + err.Error()
		}
		r.mu.Unlock()
		close(exited)
	}()
	return nil
}

// watch polls Litestream once per sync interval (at most every second), and restarts
// it with a back-off if it died.
func (r *replicator) watch() {
	defer close(r.done)
	every := r.cfg.syncInterval
	if every > time.Second {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	backoff := time.Second
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
		r.mu.Lock()
		running, exited := r.running, r.exited
		r.mu.Unlock()
		if !running {
			select {
			case <-exited:
			default:
			}
			r.log.Error("litestream is not running; restarting", "backoff", backoff)
			select {
			case <-r.stop:
				return
			case <-time.After(backoff):
			}
			if err := r.spawn(); err != nil {
				r.log.Error("restart litestream", "err", err)
			} else {
				r.mu.Lock()
				r.restarts++
				r.mu.Unlock()
			}
			if backoff < 30*time.Second {
				backoff *= 2
			}
			continue
		}
		if err := r.poll(context.Background()); err != nil {
			r.mu.Lock()
			r.status.LastError = err.Error()
			r.mu.Unlock()
			// A fresh child needs a moment to open its socket.
			continue
		}
		backoff = time.Second
	}
}

type syncResponse struct {
	Status         string `json:"status"`
	TXID           uint64 `json:"txid"`
	ReplicatedTXID uint64 `json:"replicated_txid"`
	Error          string `json:"error"`
}

type listResponse struct {
	Databases []struct {
		Path       string     `json:"path"`
		Status     string     `json:"status"`
		LastSyncAt *time.Time `json:"last_sync_at"`
	} `json:"databases"`
}

// sync asks Litestream to ship the WAL now; with wait it returns once the replica has
// everything committed so far.
func (r *replicator) sync(ctx context.Context, wait bool, timeout time.Duration) (syncResponse, error) {
	body, _ := json.Marshal(map[string]any{"path": r.dbPath, "wait": wait, "timeout": int(timeout.Seconds())})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://litestream/sync", bytes.NewReader(body))
	if err != nil {
		return syncResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return syncResponse{}, fmt.Errorf("litestream control socket: %w", err)
	}
	defer resp.Body.Close()
	var out syncResponse
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return out, fmt.Errorf("litestream sync: status %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("litestream sync: status %d: %s", resp.StatusCode, out.Error)
	}
	return out, nil
}

// poll records the local and replicated positions. Litestream's sync first turns every
// committed WAL frame into a local LTX file, so all transactions committed before the
// call are at or below the local txid it reports.
func (r *replicator) poll(ctx context.Context) error {
	at := time.Now()
	res, err := r.sync(ctx, false, 0)
	if err != nil {
		return err
	}
	var last time.Time
	if req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://litestream/list", nil); err == nil {
		if resp, err := r.client.Do(req); err == nil {
			var l listResponse
			if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&l) == nil {
				for _, d := range l.Databases {
					if d.Path == r.dbPath && d.LastSyncAt != nil {
						last = *d.LastSyncAt
					}
				}
			}
			resp.Body.Close()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record(at, res.TXID, res.ReplicatedTXID)
	if !last.IsZero() {
		r.status.LastSync = last
	}
	r.status.Running = r.running
	r.status.LastCheck = time.Now()
	r.status.LastError = ""
	return nil
}

// record updates the lag from one observation; the caller holds r.mu.
func (r *replicator) record(at time.Time, local, replicated uint64) {
	if n := len(r.pending); local > replicated && (n == 0 || r.pending[n-1].txid < local) {
		r.pending = append(r.pending, txSample{at, local})
	}
	i := 0
	for i < len(r.pending) && r.pending[i].txid <= replicated {
		i++
	}
	r.pending = r.pending[i:]
	r.status.LocalTXID, r.status.ReplicatedTXID = local, replicated
	if len(r.pending) == 0 {
		r.status.Lag = 0
	} else {
		r.status.Lag = time.Since(r.pending[0].at)
	}
}

// Status is a snapshot for the operator's views. The lag keeps growing between polls
// while something is pending, so a stuck replica shows at once.
func (r *replicator) Status() replicationStatus {
	if r == nil {
		return replicationStatus{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	s.Running = r.running
	s.Restarts = r.restarts
	if len(r.pending) > 0 {
		s.Lag = time.Since(r.pending[0].at)
	}
	return s
}

// Stop flushes the replica (everything committed is shipped, within timeout), then
// stops Litestream. Call it after the store is closed, so nothing new is written.
func (r *replicator) Stop(timeout time.Duration) error {
	close(r.stop)
	<-r.done
	deadline := time.Now().Add(timeout)
	r.mu.Lock()
	cmd, exited, running := r.cmd, r.exited, r.running
	r.mu.Unlock()
	var flushErr error
	if running {
		ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-2*time.Second))
		t0 := time.Now()
		res, err := r.sync(ctx, true, time.Until(deadline.Add(-2*time.Second)))
		cancel()
		if err != nil {
			flushErr = fmt.Errorf("replication: final flush: %w", err)
			r.log.Error("final replication flush failed", "err", err)
		} else {
			r.log.Info("replica flushed", "txid", res.TXID, "replicated_txid", res.ReplicatedTXID, "took", time.Since(t0))
		}
	}
	if cmd == nil {
		return flushErr
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(time.Until(deadline)):
		_ = cmd.Process.Kill()
		<-exited
		return errors.Join(flushErr, errors.New("replication: litestream did not stop in time; killed"))
	}
	return flushErr
}
