package main

import (
	"context"
	"errors"
	"io"

	"consult/store"
)

// backupCommand and retentionCommand are implemented in cli_ops.go.
func backupCommand(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	return errNotYet
}

func retentionCommand(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	return errNotYet
}

var errNotYet = errors.New("not implemented yet")
