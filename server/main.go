// Command consult serves the public-consultation portal: published drafts with
// per-article anchors, comment intake and (later) the officers' workspace.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	if rest := fs.Args(); len(rest) > 0 && rest[0] == "demo" {
		return demoCommand(rest[1:], os.Stdout) // needs no config file and touches no data
	}
	cfg, err := LoadConfig(*configPath)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.MkdirAll(filepath.Dir(cfg.Database.Path), 0o750); err != nil {
		return fmt.Errorf("database.path: %w", err)
	}
	st, err := store.Open(ctx, cfg.Database.Path)
	if err != nil {
		return err
	}
	defer st.Close()
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
	srv := &http.Server{
		Addr:              cfg.Server.Addr,
		Handler:           a.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("listening", "addr", cfg.Server.Addr, "base_url", cfg.Server.BaseURL, "database", cfg.Database.Path)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
