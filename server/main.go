// Command consult serves the public-consultation portal: published drafts with
// per-article anchors, comment intake and (later) the officers' workspace.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"consult/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "consult:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("consult", flag.ContinueOnError)
	configPath := fs.String("config", "config.toml", "path to the TOML config file")
	fresh := fs.Bool("fresh", false, "with [replication] configured and no database file: begin with an empty database instead of refusing (see restore)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if rest := fs.Args(); len(rest) > 0 && rest[0] == "demo" {
		return demoCommand(rest[1:], os.Stdout) // needs no config file and touches no data
	}
	if rest := fs.Args(); len(rest) > 0 && rest[0] == "generate" {
		return generateCommand(rest[1:], os.Stdout) // needs no config file and no database
	}
	cfg, err := LoadConfig(*configPath)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// restore writes the database file, so it runs before anything opens it.
	if rest := fs.Args(); len(rest) > 0 && rest[0] == "restore" {
		return restoreCommand(ctx, cfg, rest[1:], os.Stdout)
	}
	if err := refuseEmptyStart(cfg, *fresh, *configPath); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Database.Path), 0o750); err != nil {
		return fmt.Errorf("database.path: %w", err)
	}
	st, err := store.Open(ctx, cfg.Database.Path)
	if err != nil {
		return err
	}
	defer st.Close() // idempotent; serve closes it first, before the last replica flush
	if err := syncConsultations(ctx, st, cfg, logger); err != nil {
		return err
	}

	switch rest := fs.Args(); {
	case len(rest) == 0:
		if err := ensureFirstAdmin(ctx, st, logger); err != nil {
			return err
		}
		return serve(ctx, cfg, st, logger)
	default:
		return runCommand(ctx, cfg, st, rest, os.Stdin, os.Stdout)
	}
}

func serve(ctx context.Context, cfg *Config, st *store.Store, logger *slog.Logger) error {
	a, err := newApp(cfg, st, logger)
	if err != nil {
		return err
	}
	if cfg.Replication != nil {
		rep, err := newReplicator(cfg, logger)
		if err != nil {
			return err
		}
		if err := rep.Start(); err != nil {
			return err
		}
		a.replication = rep
	}
	srv := &http.Server{
		Addr:              cfg.Server.Addr,
		Handler:           a.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		a.stopReplication(logger, 5*time.Second)
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("listening", "addr", cfg.Server.Addr, "base_url", cfg.Server.BaseURL, "database", cfg.Database.Path)
	select {
	case err := <-errc:
		a.stopReplication(logger, 5*time.Second)
		return err
	case <-ctx.Done():
	}
	return shutdown(srv, st, a, logger)
}

// shutdown is the SIGTERM path, done within 10 s: stop accepting and let the requests
// in flight finish (up to 6 s), commit every queued comment (closing the store drains
// the group committer), ship the last transactions to the replica, stop Litestream.
func shutdown(srv *http.Server, st *store.Store, a *app, logger *slog.Logger) error {
	t0 := time.Now()
	logger.Info("shutting down: no new connections, finishing requests in flight")
	httpCtx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(httpCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("requests still running at the deadline", "err", err)
		_ = srv.Close()
	}
	if err := st.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	logger.Info("database closed: every queued comment committed", "after", time.Since(t0))
	if err := a.stopReplication(logger, 9500*time.Millisecond-time.Since(t0)); err != nil {
		errs = append(errs, err)
	}
	logger.Info("stopped", "after", time.Since(t0))
	return errors.Join(errs...)
}
